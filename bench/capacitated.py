"""Benchmark of the capacitated covering model (issue 16): time and certified gap on generated instances.

One command (``.venv/bin/python bench/capacitated.py``) solves generated instances of 1,000 / 10,000 / 50,000 demand
points (clustered, bench/instances.py's generator, 1 km reach) with 3 time windows and p = 35, checks every answer
independently (loads within capacity, served within demand, objective recomputed from the served loads) and rewrites
the ``capacitated`` section at the end of docs/benchmarks.md.

Loads: each demand point's workers (1..10) times a per-window rate (person-minutes per hour per worker: morning 2,
lunch 6, evening 4, each point's rate drawn within +-50%), then scaled so that the lunch window's total load is
1.5 times the capacity of 35 large stations: capacity binds, as it does at meal peaks. Capacity: 240 person-minutes
per hour (4 people at once, a 9 m² station) at every site, and a second size of 480 at a third of them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import instances

from geoplan.siting import solve_capacitated
from geoplan.siting.capacitated import CAPACITATED_MILP_MAX_VARIABLES

DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
BEGIN, END = "<!-- capacitated begin -->", "<!-- capacitated end -->"

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


def section(rows: list[dict], time_limit: float) -> str:
    """The docs/benchmarks.md section, markers included."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"
    lines = [
        BEGIN,
        "",
        "## Capacitated covering (issue 16): time and certified gap",
        "",
        f"`.venv/bin/python bench/capacitated.py` ({stamp}; {machine}; one process; time limit {time_limit:g} s).",
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
    lines += [
        "",
        "### Real areas (through the planning pipeline)",
        "",
        "<!-- capacitated real areas: Shanghai, Nanchang, Shenzhen rows go here (geoplan plan --capacitated) -->",
        "",
        "| area | candidates x demand | seconds | served | bound | gap | status | covered |",
        "|---|---|---:|---:|---:|---:|---|---:|",
        "",
        END,
    ]
    return "\n".join(lines) + "\n"


def write(text: str) -> None:
    """Replace the section between the markers at the end of docs/benchmarks.md (append it the first time)."""
    docs = DOCS.read_text()
    if BEGIN in docs and END in docs:
        docs = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END) + r"\n?", lambda _: text, docs, flags=re.S)
    else:
        docs = docs.rstrip("\n") + "\n\n" + text
    DOCS.write_text(docs)


def main() -> None:
    """Run the benchmark and rewrite its section of docs/benchmarks.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per solve (default 60)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md as it is")
    args = parser.parse_args()
    rows = run(args.time_limit)
    if not args.no_write:
        write(section(rows, args.time_limit))


if __name__ == "__main__":
    main()
