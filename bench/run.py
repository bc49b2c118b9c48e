"""Benchmarks of ``geoplan plan``: one command, results written to docs/benchmarks.md.

    .venv/bin/python bench/run.py            # all cases
    .venv/bin/python bench/run.py --quick    # skip the large generated network

Each case runs in a fresh process (so peak memory is that case's own) and is timed from interpreter start.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from synthetic import grid_area  # noqa: E402


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if "MemTotal" in line)
    return f"{cpu}, {os.cpu_count()} cores, {mem_kb / 1024 / 1024:.0f} GiB RAM, Python {platform.python_version()}"


def run_case(name: str, registry: str, args: list[str], out: Path) -> dict:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "plan_case.py"), registry, str(out), *args],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip
    total = time.perf_counter() - started
    if proc.returncode != 0 or not proc.stdout.strip():
        raise SystemExit(f"case {name} failed:\n{proc.stderr[-3000:]}")
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    report["process_s"] = round(total, 2)
    report["name"] = name
    report["args"] = " ".join(args)
    print(f"{name}: {report['process_s']} s, peak {report['peak_rss_mb']} MB, gap {report.get('gap')}", flush=True)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="skip the large generated network")
    parser.add_argument("--side", type=int, default=200, help="side of the generated grid (200 -> 40,000 nodes)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    options = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        results.append(run_case("default area (helsinki), scaled default p", "-", ["--area", "helsinki"], tmp / "h"))
        results.append(
            run_case("default area (helsinki), p = 35", "-", ["--area", "helsinki", "--stations", "35", "--spacing",
                                                                "100"], tmp / "h35")
        )  # fmt: skip
        results.append(run_case("nanchang arterial network, p = 35", "-", ["--area", "nanchang"], tmp / "n"))
        if not options.quick:
            grid = grid_area(tmp / "grid", options.side)
            results.append(
                run_case(
                    f"generated grid {options.side}x{options.side} "
                    f"({grid['nodes']:,} nodes, {grid['edges']:,} streets), p = 35",
                    str(tmp / "grid" / "areas.toml"),
                    ["--area", "grid", "--stations", "35", "--candidate-spacing", "200"],
                    tmp / "g",
                )
            )
    write_report(options.output, results)


def write_report(path: Path, results: list[dict]) -> None:
    lines = [
        "# Benchmarks",
        "",
        "Reproduce with one command: `.venv/bin/python bench/run.py` (add `--quick` to skip the generated network).",
        "",
        f"- Date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Machine: {machine()}",
        "",
        "## `geoplan plan` end to end",
        "",
        "Wall time of the whole process (interpreter start, loading, demand, candidates, network coverage, siting, "
        "writing files), its peak resident memory, and the stages' own seconds as recorded in `coverage.json`.",
        "",
        "| case | arguments | candidates | stations | wall (s) | peak RSS (MB) | covered | gap | stages (s) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        stages = ", ".join(f"{k} {v}" for k, v in r.get("stages_s", {}).items())
        lines.append(
            f"| {r['name']} | `{r['args']}` | {r.get('candidates', '')} | {r.get('stations', '')} | {r['process_s']} "
            f"| {r['peak_rss_mb']} | {r.get('covered_share', 0):.1%} | {r.get('gap', 0):.3%} | {stages} |"
        )
    lines += ["", "Solver method per case:", ""]
    lines += [f"- {r['name']}: {r.get('method', '')}" for r in results]
    path.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    # Only this benchmark's part: from the top to the next section another benchmark writes (the review map's, the
    # batch's, the scaling's, the siting's...), which are kept as they are.
    starts = [text.find(mark) for mark in ("\n## Review map", "\n<!--") if text.find(mark) >= 0]
    rest = text[min(starts):].lstrip("\n") if starts else ""
    path.write_text("\n".join(lines) + "\n\n" + rest, encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
