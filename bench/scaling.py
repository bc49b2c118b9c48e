"""How ``geoplan plan`` scales with the street network: one command, a table written to docs/benchmarks.md.

    .venv/bin/python bench/scaling.py                                  # grids 200, 400, 800 + shenzhen, nanchang
    .venv/bin/python bench/scaling.py --sizes 200,400 --real nanchang  # a subset
    .venv/bin/python bench/scaling.py --label before --json out.json   # keep the raw figures (no table written)

Each case runs ``geoplan plan`` in a fresh process (``--case``), timed from interpreter start. Inside it the
stages are wrapped from the outside (the package is not changed for the benchmark), and a background thread
samples the resident memory every 20 ms, so each stage gets its seconds and the peak RSS seen while it ran.
Generated grids: ``bench/synthetic.py grid_area`` (side 200 -> 40,000 nodes), p = 35, ``--candidate-spacing 200``.
The table goes between ``<!-- scaling begin -->`` and ``<!-- scaling end -->`` in docs/benchmarks.md; with
``--before FILE`` the figures of an earlier run (``--json``) are shown beside the new ones.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

BEGIN, END = "<!-- scaling begin -->", "<!-- scaling end -->"
HEADING = "## Whole city on one machine (scaling)"
#: Stages in the order they run; each is (label, module, attribute) of the function wrapped.
STAGES = [
    ("load", "geoplan.data.areas", "load_area"),
    ("demand", "geoplan.planning.prepare", "build_demand"),
    ("candidates", "geoplan.planning.prepare", "build_candidates"),
    ("graph", "geoplan.coverage.network", "street_graph"),
    ("snap", "geoplan.coverage.network", "snap"),
    ("coverage", "geoplan.coverage.network", "coverage"),
    ("model", "geoplan.planning.prepare", "build_model"),
    ("solve", "geoplan.planning.plan", "solve"),
    ("write", "geoplan.outputs.plan_files", "write_plan"),
]


# ---------------------------------------------------------------------------------------------- one case (child)


class _Sampler:
    """Peak resident memory per stage, sampled from /proc/self/statm in a daemon thread.

    A spike shorter than the sampling interval is caught too: the kernel's high-water mark (``ru_maxrss``) is read
    at each sample, and when it rose since the last one, the new mark counts for the stages running then.
    """

    def __init__(self, every_s: float = 0.02) -> None:
        self.page = os.sysconf("SC_PAGE_SIZE")
        self.every_s = every_s
        self.stack: list[str] = ["other"]
        self.peak: dict[str, int] = {}
        self.seconds: dict[str, float] = {}
        self.start_rss: dict[str, int] = {}
        self.high_water = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def rss(self) -> int:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * self.page

    def _note(self) -> None:
        value = self.rss()
        high_water = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        if high_water > self.high_water:
            self.high_water = high_water
            value = max(value, high_water)
        for stage in self.stack:  # an outer stage's peak includes its inner stages
            if value > self.peak.get(stage, 0):
                self.peak[stage] = value

    def _run(self) -> None:
        while not self.stop.wait(self.every_s):
            self._note()

    def wrap(self, label: str, function):
        def wrapped(*args, **kwargs):
            self._note()
            self.start_rss.setdefault(label, self.rss())
            self.stack.append(label)
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - started
                self._note()
                self.stack.pop()

        return wrapped


def _case(registry: str, out: str, plan_args: list[str]) -> None:
    if registry != "-":
        os.environ["GEOPLAN_AREAS"] = registry
    started = time.perf_counter()
    sampler = _Sampler()
    sampler.thread.start()
    import importlib

    from geoplan import cli  # imported here so that import time counts

    counts: dict = {}
    for label, module_name, attribute in STAGES:
        module = importlib.import_module(module_name)
        setattr(module, attribute, sampler.wrap(label, getattr(module, attribute)))
    network = importlib.import_module("geoplan.coverage.network")
    built = network.street_graph

    def street_graph(*args, **kwargs):
        graph = built(*args, **kwargs)
        counts.update(nodes=int(graph.size), edges=len(graph.u))
        return graph

    network.street_graph = street_graph
    covered = network.coverage

    def coverage(graph, sources, targets, *args, **kwargs):
        matrix = covered(graph, sources, targets, *args, **kwargs)
        if "demand_locations" not in counts:  # the first call: candidate sites x demand locations
            counts.update(demand_locations=matrix.shape[1], coverage_nnz=int(matrix.nnz))
        return matrix

    network.coverage = coverage
    code = cli.main(["plan", "--quiet", "--out", out, *plan_args])
    wall = time.perf_counter() - started
    sampler.stop.set()
    report = {"exit": code, "wall_s": round(wall, 2), **counts}
    if code == 0:
        from plan_case import plan_figures

        report |= plan_figures(Path(out))
    report["stage_s"] = {k: round(v, 2) for k, v in sampler.seconds.items()}
    report["stage_peak_mb"] = {k: round(v / 2**20) for k, v in sampler.peak.items()}
    report["stage_start_mb"] = {k: round(v / 2**20) for k, v in sampler.start_rss.items()}
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(report, ensure_ascii=False))


# ---------------------------------------------------------------------------------------------- the driver


def machine() -> str:
    """The machine, as every benchmark here describes it (bench/run.py's description)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from run import machine as described

    return described()


def run_case(name: str, registry: str, args: list[str], out: Path, timeout_s: float | None) -> dict:
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    command = [sys.executable, str(Path(__file__).resolve()), "--case", registry, str(out), *args]
    try:
        proc = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        print(f"{name}: stopped after {timeout_s} s", flush=True)
        return {"name": name, "args": " ".join(args), "failed": f"stopped after {timeout_s:.0f} s"}
    total = time.perf_counter() - started
    if proc.returncode != 0 or not proc.stdout.strip():
        print(f"{name}: failed\n{proc.stderr[-3000:]}", flush=True)
        return {"name": name, "args": " ".join(args), "failed": proc.stderr.strip().splitlines()[-1:] or "?"}
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    report |= {"process_s": round(total, 2), "name": name, "args": " ".join(args),
               "load": [round(load_before, 2), round(os.getloadavg()[0], 2)]}  # fmt: skip
    print(f"{name}: {report['process_s']} s, peak {report['peak_rss_mb']} MB, gap {report.get('gap')}, "
          f"stages {report['stage_s']}, peaks {report['stage_peak_mb']}", flush=True)  # fmt: skip
    return report


def run_all(sizes: list[int], real: list[str], timeout_s: float | None) -> list[dict]:
    results = []
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        for side in sizes:
            grid = _generate(tmp / f"grid{side}", side)
            report = run_case(
                f"grid {side}x{side}", str(tmp / f"grid{side}" / "areas.toml"),
                ["--area", "grid", "--stations", "35", "--candidate-spacing", "200"], tmp / f"g{side}", timeout_s,
            )  # fmt: skip
            report.setdefault("nodes", grid["nodes"])
            report["side"] = side
            results.append(report)
        for name in real:
            results.append(run_case(name, "-", ["--area", name, "--stations", "35"], tmp / name, timeout_s))
    return results


def _generate(folder: Path, side: int) -> dict:
    """Write a generated grid area in another process (so that this one stays small: a child's peak RSS counts
    the parent's memory at the fork)."""
    code = (f"import json, sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); from synthetic import grid_area; "
            f"from pathlib import Path; print(json.dumps(grid_area(Path({str(folder)!r}), {side})))")  # fmt: skip
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _cell(report: dict | None, stage: str) -> str:
    if not report or "failed" in report:
        return "–"
    seconds = report.get("stage_s", {}).get(stage)
    peak = report.get("stage_peak_mb", {}).get(stage)
    if seconds is None:
        return "–"
    return f"{seconds:.1f} s / {peak / 1024:.2f} GiB"


def table(results: list[dict], before: list[dict]) -> list[str]:
    previous = {r["name"]: r for r in before}
    stages = [label for label, _, _ in STAGES]
    head = "| case | run | nodes | edges | candidates | demand locations | covered pairs | " + " | ".join(stages)
    lines = [head + " | wall (s) | peak RSS (GiB) | gap | covered |", "|---|---|" + "---:|" * (len(stages) + 9)]
    for report in results:
        for label, r in (("before", previous.get(report["name"])), ("after", report)):
            if r is None:
                continue
            if "failed" in r:
                dashes = " | ".join(["–"] * len(stages))
                nodes = f"{r['nodes']:,}" if r.get("nodes") else ""
                lines.append(f"| {r['name']} | {label} | {nodes} | | | | | {dashes} | {r['failed']} | | | |")
                continue
            lines.append(
                f"| {r['name']} | {label} | {r.get('nodes', 0):,} | {r.get('edges', 0):,} | {r.get('candidates', 0):,} "
                f"| {r.get('demand_locations', 0):,} | {r.get('coverage_nnz', 0):,} | "
                + " | ".join(_cell(r, s) for s in stages)
                + f" | {r['process_s']:.0f} | {r['peak_rss_mb'] / 1024:.2f} | {r.get('gap', 0):.3%} "
                f"| {r.get('covered_share', 0):.1%} |"
            )  # fmt: skip
    return lines


def write_report(path: Path, results: list[dict], before: list[dict], note: str) -> None:
    lines = [
        BEGIN,
        HEADING,
        "",
        "Reproduce with one command: `.venv/bin/python bench/scaling.py` (each case in a fresh process; "
        "`--sizes 200,400,800 --real shenzhen,nanchang` are the defaults). Grids from `bench/synthetic.py` "
        "(side 200 = 40,000 nodes), p = 35, `--candidate-spacing 200`; real areas with p = 35.",
        "",
        f"- Date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Machine: {machine()}; shared with other work, load average "
        + ", ".join(f"{r['name']} {r['load'][0]}→{r['load'][1]}" for r in results if "load" in r),
        "",
        "Each stage cell is the stage's seconds / the peak RSS (GiB) while it ran: sampled every 20 ms, or the "
        "kernel's high-water mark when that rose during the stage, so short spikes count (load: reading the "
        "area; graph, snap, coverage: the street graph, snapping, the site x location distances; model: the "
        "siting matrices; solve: the siting solver; write: the output files). Wall is the whole process from "
        "interpreter start; peak RSS is the process's `ru_maxrss` (GiB, 2^30 bytes). Covered pairs: stored "
        "entries of the candidate x demand-location coverage matrix. \"Before\" is the code at the start of the "
        "work (commit 7927ec8), run with the same driver.",
        "",
        *table(results, before),
        "",
        *([note, ""] if note else []),
        END,
    ]
    replace_section(path, BEGIN, END, "\n".join(lines))


def replace_section(path: Path, begin: str, end: str, block: str) -> None:
    """Put ``block`` (which starts with ``begin`` and ends with ``end``) in place of that section of ``path``, or at
    its end when the file has none yet; the rest of the file stays as it is."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--case":
        _case(sys.argv[2], sys.argv[3], sys.argv[4:])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="200,400,800", help="grid sides (200 -> 40,000 nodes); '' for none")
    parser.add_argument("--real", default="shenzhen,nanchang", help="registry areas; '' for none")
    parser.add_argument("--timeout", type=float, default=None, help="stop a case after this many seconds")
    parser.add_argument("--json", type=Path, help="also write the raw figures to this file")
    parser.add_argument("--before", type=Path, help="raw figures of an earlier run (--json), shown beside")
    parser.add_argument("--note", default="", help="a paragraph written under the table")
    parser.add_argument("--no-report", action="store_true", help="do not write docs/benchmarks.md")
    parser.add_argument("--from-json", type=Path, help="write the table from the raw figures of a run (no new run)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    options = parser.parse_args()
    sizes = [int(s) for s in options.sizes.split(",") if s.strip()]
    real = [s.strip() for s in options.real.split(",") if s.strip()]
    if options.from_json:
        results = json.loads(options.from_json.read_text(encoding="utf-8"))
    else:
        results = run_all(sizes, real, options.timeout)
    if options.json:
        options.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    before = json.loads(options.before.read_text(encoding="utf-8")) if options.before else []
    if not options.no_report:
        write_report(options.output, results, before, options.note)


if __name__ == "__main__":
    main()
