"""Benchmark of the capacitated covering model (issue 16): time and certified gap, generated instances and real areas.

One command (``.venv/bin/python bench/capacitated.py``) does two parts and rewrites the ``capacitated`` section at the
end of docs/benchmarks.md (``--parts generated`` or ``--parts real`` runs one and rewrites only its part):

- generated: instances of 1,000 / 10,000 / 50,000 demand points (clustered, bench/instances.py's generator, 1 km
  reach) with 3 time windows and p = 35, solved by ``solve_capacitated`` directly; every answer is checked
  independently (loads within capacity, served within demand, objective recomputed from the served loads).
- real: each area of ``--real`` (default shanghai, nanchang, shenzhen) planned through the whole pipeline,
  ``geoplan plan --area NAME --capacitated`` (``geoplan.cli.main``), in a fresh process per run so that its peak
  memory is its own, at each time limit of ``--real-limits`` (default 10 s, ``geoplan plan``'s default, and 60 s);
  the same area is also planned uncapacitated (the plain MCLP on the same instance, same time limit) to compare
  covered workers and solve time. Figures are read back from the plan's coverage.json; the instance's size (demand
  locations, model columns, candidate sites, coverage entries) is recorded by wrapping ``prepare`` in the child
  (coverage.json does not carry it). Load averages are sampled around every run: with other jobs on the machine,
  wall and solve times are upper bounds.

Loads: each demand point's workers (1..10) times a per-window rate (person-minutes per hour per worker: morning 2,
lunch 6, evening 4, each point's rate drawn within +-50%), then scaled so that the lunch window's total load is
1.5 times the capacity of 35 large stations: capacity binds, as it does at meal peaks. Capacity: 240 person-minutes
per hour (4 people at once, a 9 m² station) at every site, and a second size of 480 at a third of them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import instances

from geoplan.siting import solve_capacitated
from geoplan.siting.capacitated import CAPACITATED_MILP_MAX_VARIABLES

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- capacitated begin -->", "<!-- capacitated end -->"
REAL_HEADING = "### Real areas (through the planning pipeline)"
REAL_AREAS = ("shanghai", "nanchang", "shenzhen")
REAL_LIMITS = (10.0, 60.0)

#: (demand points, candidate sites) of the generated instances, as bench/siting.py's scaling rows.
SIZES = ((1_000, 500), (10_000, 2_000), (50_000, 10_000))
P = 35
WINDOWS = ("07:00-09:00", "11:00-13:00", "17:00-20:00")
WINDOW_HOURS = np.array([2.0, 2.0, 3.0])
RATE = np.array([2.0, 6.0, 4.0])
SMALL, LARGE = 240.0, 480.0


def generate(n_demand: int, n_candidates: int, seed: int = 1) -> tuple:
    """Coverage, loads (m, 3) and capacities (n, 2) of one generated instance."""
    coverage, workers, _ = instances.generate_mclp(n_demand, n_candidates, seed)
    rng = np.random.default_rng(seed + 100)
    load = workers[:, None] * RATE[None, :] * rng.uniform(0.5, 1.5, size=(n_demand, len(RATE)))
    load *= 1.5 * P * LARGE / load[:, 1].sum()
    capacity = np.column_stack([np.full(n_candidates, SMALL), np.where(rng.random(n_candidates) < 1 / 3, LARGE,
                                                                        np.nan)])  # fmt: skip
    return coverage, load, capacity


def check(result, coverage, load) -> float:
    """Check a result from its arrays alone; return the objective recomputed from the served loads."""
    assert np.all(result.load <= result.capacity[:, None] + 1e-9), "a station above its capacity"
    assert np.all(result.served <= load + 1e-9), "a column served above its load"
    reach = (coverage[result.selected].sum(axis=0) > 0) if len(result.selected) else np.zeros(load.shape[0], bool)
    assert np.all(result.served[~reach] == 0), "load served out of reach"
    assert np.allclose(result.served.sum(axis=0), result.load.sum(axis=0)), "station loads and served loads differ"
    return float(WINDOW_HOURS @ result.served.sum(axis=0))


def run(time_limit: float) -> list[dict]:
    """Solve every instance; one row of figures each."""
    rows = []
    for n_demand, n_candidates in SIZES:
        coverage, load, capacity = generate(n_demand, n_candidates)
        started = time.perf_counter()
        result = solve_capacitated(coverage, load, capacity, P, window_hours=WINDOW_HOURS, time_limit=time_limit)
        seconds = time.perf_counter() - started
        objective = check(result, coverage, load)
        covered = float(WINDOW_HOURS @ result.covered.sum(axis=0))
        peak = result.load / result.capacity[:, None]
        rows.append({
            "instance": f"generated {n_demand:,} x {n_candidates:,}", "nnz": coverage.nnz, "seconds": seconds,
            "objective": objective, "bound": result.bound, "gap": result.gap, "status": result.status,
            "method": result.method, "covered": covered, "large": int((result.size == 1).sum()),
            "utilisation": float(peak.max(axis=1).mean()) if len(peak) else 0.0,
        })  # fmt: skip
        print(rows[-1], flush=True)
    return rows


def _machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def _stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def section_generated(rows: list[dict], time_limit: float) -> str:
    """The generated instances' part of the section: from the begin marker to the real areas' heading."""
    lines = [
        BEGIN,
        "",
        "## Capacitated covering (issue 16): time and certified gap",
        "",
        f"`.venv/bin/python bench/capacitated.py` ({_stamp()}; {_machine()}; one process; time limit "
        f"{time_limit:g} s).",
        f"p = {P}, 3 windows {', '.join(WINDOWS)} weighted by their hours (2, 2, 3); capacity 240 person-min/h at "
        "every site (4 people at once), 480 offered at a third of them; loads scaled so the lunch window holds 1.5x "
        f"the capacity of {P} large stations. Served = hour-weighted person-minutes served within capacity "
        "(recomputed here from the served loads); covered = the same plan's load within reach, uncapacitated. "
        f"Above {CAPACITATED_MILP_MAX_VARIABLES:,} assignment variables (merged column x site x window) the MILP "
        "runs over a pool of the most promising sites and the bound is the global one (uncapacitated covering "
        "bound on the hour-weighted loads, and per window the p largest capacities).",
        "",
        "| instance | coverage entries | seconds | served | bound | gap | status | covered | large sizes | "
        "mean peak utilisation | method |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['instance']} | {row['nnz']:,} | {row['seconds']:.1f} | {row['objective']:,.0f} | "
            f"{row['bound']:,.0f} | {100 * row['gap']:.2f}% | {row['status']} | {row['covered']:,.0f} | "
            f"{row['large']} | {100 * row['utilisation']:.0f}% | {row['method']} |"
        )
    return "\n".join([*lines, "", ""])


def child(out: str, plan_args: list[str]) -> None:
    """One run in its own process: ``geoplan plan --quiet --out OUT *plan_args``; print its figures as a JSON line.

    ``prepare`` is wrapped to record the instance's size, which coverage.json does not carry; the plan itself is
    exactly the command's.
    """
    started = time.perf_counter()
    import geoplan.planning.prepare as preparing
    from geoplan import cli

    size: dict = {}
    prepare = preparing.prepare

    def recorded(*args, **kwargs):
        prepared = prepare(*args, **kwargs)
        matrix = prepared.model.matrix
        size.update(demand_rows=len(prepared.demand), locations=len(prepared.points), columns=matrix.shape[1],
                    sites=matrix.shape[0], nnz=int(matrix.nnz))  # fmt: skip
        return prepared

    preparing.prepare = recorded  # cli._prepare imports it when called
    code = cli.main(["plan", "--quiet", "--out", out, *plan_args])
    report = {"exit": code, "child_wall_s": time.perf_counter() - started, **size}
    if code == 0:
        report |= plan_figures(json.loads((Path(out) / "coverage.json").read_text(encoding="utf-8")))
    report["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(report, ensure_ascii=False))


def plan_figures(summary: dict) -> dict:
    """What a plan's coverage.json says: stations, workers covered and served, objective, bound, gap, status."""
    optimality, workers = summary["optimality"], summary["workers"]
    figures = {
        "stations": summary["parameters"]["stations"], "candidates": sum(summary["candidates"]["kept"].values()),
        "workers": workers["total"], "covered": workers["covered"], "served": workers.get("served"),
        "objective": optimality["objective"], "bound": optimality["bound"], "gap": optimality["gap"],
        "status": optimality.get("status", ""), "method": optimality["method"],
        "solve_s": optimality.get("solve_seconds"), "stages_s": summary["timings_s"],
    }  # fmt: skip
    capacity = summary.get("capacity")
    if capacity:
        figures |= {
            "windows": len(capacity["windows"]), "seats": capacity["stations"]["capacity_people"],
            "max_utilisation": capacity["stations"]["max_utilisation"],
            "mean_utilisation": capacity["stations"]["mean_utilisation"],
        }  # fmt: skip
    return figures


def run_one(area: str, time_limit: float, capacitated: bool, out: Path) -> dict:
    """Plan ``area`` in a fresh process; its figures, the process's wall time and the load averages around it."""
    plan_args = ["--area", area, "--time-limit", f"{time_limit:g}", *(["--capacitated"] if capacitated else [])]
    load_before = os.getloadavg()
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "_child", str(out), *plan_args], capture_output=True, text=True,
                          check=False, cwd=ROOT)  # fmt: skip
    wall = time.perf_counter() - started
    if proc.returncode != 0 or not proc.stdout.strip():
        raise SystemExit(f"{area} ({' '.join(plan_args)}) failed:\n{proc.stderr[-3000:]}")
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    if report["exit"] != 0:
        raise SystemExit(
            f"{area} ({' '.join(plan_args)}): geoplan plan exited {report['exit']}:\n{proc.stderr[-3000:]}"
        )
    report |= {"wall_s": wall, "load_before": load_before, "load_after": os.getloadavg()}
    return report


def run_real(areas: list[str], limits: list[float]) -> list[dict]:
    """Plan every area at every time limit, capacitated and plain; one row per area and time limit."""
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for area in areas:
            for limit in limits:
                capacitated = run_one(area, limit, True, Path(folder) / f"{area}-{limit:g}-capacitated")
                plain = run_one(area, limit, False, Path(folder) / f"{area}-{limit:g}-plain")
                rows.append({"area": area, "time_limit": limit, "capacitated": capacitated, "plain": plain})
                print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
    return rows


def section_real(rows: list[dict], command: str) -> str:
    """The real areas' part of the section: from its heading to the end marker."""
    loads = [load for row in rows for run in (row["capacitated"], row["plain"])
             for load in (run["load_before"][0], run["load_after"][0])]  # fmt: skip
    busy = max(loads) > 1.5
    lines = [
        REAL_HEADING,
        "",
        f"`{command}` ({_stamp()}; {_machine()}; each run a fresh process: `geoplan plan --area NAME [--capacitated] "
        "--time-limit S --quiet` through `geoplan.cli.main`, figures read back from its coverage.json). "
        f"1-minute load average before and after the runs: {min(loads):.2f} to {max(loads):.2f}"
        + (" (other jobs shared the 2 cores: wall and solve times are upper bounds)." if busy else "."),
        "MCLP = the same area and instance planned without `--capacitated` at the same time limit: it maximises "
        "covered workers, the capacitated plan maximises served visit-minutes (person-minutes per day served within "
        "the stations' seats, window by window; its bound and gap are on those), so the MCLP's covered workers are "
        "the reference for what coverage the capacitated plan gives up. Solve = the solver's own seconds in "
        "coverage.json; wall = the whole process (interpreter start, area, demand, candidates, coverage, solve, "
        "files).",
        "",
        "| area | demand rows | demand locations | model columns | candidate sites | coverage entries | windows | "
        "stations | seats |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    instances: dict[str, dict] = {}
    for row in rows:  # the instance is the same at every time limit
        instances.setdefault(row["area"], row["capacitated"])
    for area, c in instances.items():
        lines.append(f"| {area} | {c['demand_rows']:,} | {c['locations']:,} | "
                     f"{c['columns']:,} | {c['sites']:,} | {c['nnz']:,} | {c['windows']} | {c['stations']} | "
                     f"{c['seats']} |")  # fmt: skip
    lines += [
        "",
        "| area | time limit (s) | solve (s) | served visit-min/day | bound | gap | status | workers | covered | "
        "served | mean utilisation | MCLP covered | MCLP solve (s) | MCLP gap | wall (s), capacitated / MCLP | "
        "peak RSS (MB), capacitated / MCLP |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for row in rows:
        c, m = row["capacitated"], row["plain"]
        lines.append(
            f"| {row['area']} | {row['time_limit']:g} | {c['solve_s']:.1f} | {c['objective']:,.0f} | "
            f"{c['bound']:,.0f} | {100 * c['gap']:.2f}% | {c['status']} | {c['workers']:,.0f} | {c['covered']:,.0f} | "
            f"{c['served']:,.0f} | {100 * c['mean_utilisation']:.0f}% | {m['covered']:,.0f} | {m['solve_s']:.1f} | "
            f"{100 * m['gap']:.2f}% | {c['wall_s']:.0f} / {m['wall_s']:.0f} | "
            f"{c['peak_rss_mb']:,.0f} / {m['peak_rss_mb']:,.0f} |"
        )
    over = [f"{row['area']} {row['capacitated']['solve_s']:.0f} s at {row['time_limit']:g} s" for row in rows
            if row["capacitated"]["solve_s"] > 1.2 * row["time_limit"]]  # fmt: skip
    if over:
        lines += ["", "Capacitated solves that ran well past their time limit: " + "; ".join(over) + ". The limit "
                  "bounds the MCLP start and the MILP over the pool, and the pool's MILP is only started with 30% "
                  "of the time left; HiGHS still overshoots its own limit while it builds and presolves a large "
                  "pool model (seconds before it looks at the clock, more on a loaded machine). Served loads are "
                  "maximum flows per window (0.1-0.3 s on shenzhen) since 4b4de36; before, the LPs that scored "
                  "each plan ran 127 of 142 s there whatever the limit."]  # fmt: skip
    bounds = {area: {row["capacitated"]["bound"] for row in rows if row["area"] == area} for area in instances}
    fixed = [area for area, seen in bounds.items() if len(seen) == 1 and len(limits_of(rows, area)) > 1]
    if fixed:
        lines += ["", f"Bound the same at every time limit: {', '.join(fixed)}. Over a pool of sites the bound is the "
                  "global one (uncapacitated covering bound, and per window the p largest of min(capacity, load "
                  "within reach)), which more "
                  "time does not tighten: more time narrows the gap only through a better plan."]  # fmt: skip
    lines += ["", "Methods (capacitated; MCLP):", ""]
    lines += [f"- {row['area']}, {row['time_limit']:g} s: {row['capacitated']['method']}; {row['plain']['method']}"
              for row in rows]  # fmt: skip
    return "\n".join([*lines, "", END, ""])


def limits_of(rows: list[dict], area: str) -> list[float]:
    """The time limits ``area`` was run at."""
    return [row["time_limit"] for row in rows if row["area"] == area]


def write(generated: str | None, real: str | None) -> None:
    """Rewrite the parts given of the section between the markers in docs/benchmarks.md, keeping the others."""
    from scaling import replace_section

    docs = DOCS.read_text()
    old_text = docs[docs.index(BEGIN) : docs.index(END) + len(END)] + "\n" if BEGIN in docs and END in docs else ""
    head, _, tail = old_text.partition(REAL_HEADING)
    if generated is None:
        generated = head
    if real is None:
        real = REAL_HEADING + tail if tail else f"{REAL_HEADING}\n\n(not run yet)\n\n{END}\n"
    replace_section(DOCS, BEGIN, END, (generated + real).rstrip("\n"))


def main() -> None:
    """Run the benchmark and rewrite its section of docs/benchmarks.md."""
    if sys.argv[1:2] == ["_child"]:
        child(sys.argv[2], sys.argv[3:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="generated,real", help="generated, real or both (default both)")
    parser.add_argument("--time-limit", type=float, default=60.0,
                        help="seconds per solve of a generated instance (default 60)")  # fmt: skip
    parser.add_argument("--real", default=",".join(REAL_AREAS), help="registered areas to plan, comma-separated")
    parser.add_argument("--real-limits", default=",".join(f"{s:g}" for s in REAL_LIMITS),
                        help="time limits of the real areas' plans, s, comma-separated (default 10,60)")  # fmt: skip
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md as it is")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    generated = real = None
    if "generated" in parts:
        generated = section_generated(run(args.time_limit), args.time_limit)
    if "real" in parts:
        rows = run_real(args.real.split(","), [float(s) for s in args.real_limits.split(",")])
        real = section_real(rows, " ".join([".venv/bin/python bench/capacitated.py", *sys.argv[1:]]))
    if not args.no_write:
        write(generated, real)


if __name__ == "__main__":
    main()
