"""Siting benchmarks: geoplan's MCLP and p-median solvers against spopt and published optima, one command.

    .venv/bin/python bench/siting.py                          # every section (a-e about 25 minutes on 2 cores,
                                                              # f up to about 70 more)
    .venv/bin/python bench/siting.py --quick                  # a subset of each section
    .venv/bin/python bench/siting.py --sections f             # only the peers side by side (f)
    .venv/bin/python bench/siting.py --sections f --quick     # three small instances of f (about 5 minutes)

Sections: (a) geoplan vs spopt (PuLP with CBC and HiGHS) on the same instances, (b) OR-Library pmed1..40 against
the published optima, (c) Máximo et al. city MCLP and Lorena's SJC against published / proven optima, with SCIP,
CP-SAT and greedy beside geoplan on the Máximo cities, (d) generated MCLP up to 50,000 demand x 10,000 candidates
(time, certified gap, peak memory) and a generated sparse p-median, (e) re-optimisation after fixing and excluding a
site, (f) peers side by side on four generated families (clustered, uniform, road network, many small clusters):
geoplan, spopt + CBC, spopt + HiGHS, SCIP, CP-SAT and greedy under the same time limit, with certified gaps and
times to a proven optimum. Every case runs in a fresh process (``--case JSON``), so the
peak resident memory reported is that case's own (for spopt, the larger of Python and the CBC subprocess). The
markdown tables are written to docs/benchmarks.md after ``<!-- siting benchmarks below -->``; everything before
that line belongs to bench/run.py and is kept byte for byte.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import inspect
import json
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import instances  # noqa: E402
import peers  # noqa: E402

MARKER = "<!-- siting benchmarks below -->"
#: Fingerprints of geoplan/siting seen by the cases, and the instances measured with each.
SOURCES: dict[str | None, list[dict]] = {}
RESULT = "RESULT "

#: Seconds spopt's solvers get (CBC ``timeLimit``, HiGHS ``time_limit``); building the PuLP model is extra.
SPOPT_LIMIT = 300
#: Seconds geoplan gets in the comparison, the city instances and the large generated ones.
GEOPLAN_LIMIT = 60.0
#: The Máximo et al. (2023) station counts: all 24 published city instances (4 cities x 6 counts) in a full run.
MAXIMO_P = (50, 60, 70, 80, 90, 100)
#: Seconds geoplan gets per OR-Library instance (its default).
PMED_LIMIT = 10.0
#: Stations in the generated covering instances.
GENERATED_P = 35
#: Targets for the largest generated instance.
TARGET_GAP, TARGET_SECONDS, TARGET_MB, TARGET_RESOLVE_S = 0.01, 60.0, 2048.0, 1.0
#: Section (f): (demand, candidates, p) of each family's instances, the --quick subset, and the quick time limit.
FAMILY_SIZES = [(2_000, 500, 10), (10_000, 2_000, 20), (50_000, 10_000, 50)]
QUICK_FAMILIES = [("clustered", 2_000, 500, 10), ("road", 2_000, 500, 20), ("small-clusters", 2_000, 500, 50)]
QUICK_FAMILY_LIMIT = 30.0
#: spopt builds a dense clients x facilities cost matrix and a PuLP term per cell (about 5.5 us each, section a):
#: beyond this many cells (2,000 x 10,000 takes about 110 s to build) it is not run.
SPOPT_MAX_CELLS = 20_000_000
#: The peers of section (f), in table order: case kind or spopt's solver name -> column heading.
PEER_COLUMNS = {"CBC": "spopt + CBC", "HiGHS": "spopt + HiGHS", "scip": "SCIP", "cpsat": "CP-SAT", "greedy": "greedy"}


# --------------------------------------------------------------------------------------------------------------
# Instances by spec (a spec is a small JSON-able dict, so that a child process can rebuild the instance)
# --------------------------------------------------------------------------------------------------------------


def sjc(n: int, service: int, p: int) -> dict:
    return {"family": "sjc", "n": n, "S": service, "p": p}


def maximo(city: str, p: int) -> dict:
    return {"family": "maximo", "city": city, "p": p}


def gen_mclp(demand: int, candidates: int, seed: int = 1, p: int = GENERATED_P) -> dict:
    return {"family": "gen-mclp", "demand": demand, "candidates": candidates, "seed": seed, "p": p}


def family(name: str, demand: int, candidates: int, p: int, seed: int = 1) -> dict:
    return {"family": name, "demand": demand, "candidates": candidates, "p": p, "seed": seed}


def pmed(k: int) -> dict:
    return {"family": "pmed", "k": k}


def gen_pmedian(demand: int, candidates: int, p: int, seed: int = 2, reach: float = 3000.0) -> dict:
    return {"family": "gen-pmedian", "demand": demand, "candidates": candidates, "p": p, "seed": seed, "reach": reach}


def is_pmedian(spec: dict) -> bool:
    return spec["family"] in {"pmed", "gen-pmedian"}


def load(spec: dict) -> tuple[object, np.ndarray, dict]:
    """Build the instance a spec names: (matrix, weights, meta) with ``meta['p']`` set."""
    family = spec["family"]
    if family == "sjc":
        return instances.load_sjc(spec["n"], spec["S"], spec["p"])
    if family == "maximo":
        return instances.load_maximo(spec["city"], spec["p"])
    if family == "pmed":
        return instances.load_pmed(spec["k"])
    if family == "gen-mclp":
        matrix, weights, meta = instances.generate_mclp(spec["demand"], spec["candidates"], spec["seed"])
    elif family in instances.FAMILIES:
        matrix, weights, meta = instances.generate_family(family, spec["demand"], spec["candidates"], spec["seed"])
    else:
        matrix, weights, meta = instances.generate_pmedian(
            spec["demand"], spec["candidates"], spec["seed"], spec["reach"]
        )
    meta["p"] = spec["p"]
    return matrix, weights, meta


def evaluate(spec: dict, matrix: object, weights: np.ndarray, selected: np.ndarray) -> float:
    """Objective of ``selected`` computed here, independently of the solver that chose it."""
    if is_pmedian(spec):
        return instances.pmedian_cost(matrix, weights, selected)
    return instances.covered_weight(matrix, weights, selected)


def peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024, 1)


# --------------------------------------------------------------------------------------------------------------
# Cases (run in a child process)
# --------------------------------------------------------------------------------------------------------------


def case_geoplan(case: dict) -> dict:
    """Solve one instance with geoplan; the objective is re-evaluated here and the selection checked."""
    from geoplan.siting import solve_mclp, solve_pmedian

    spec = case["instance"]
    started = time.perf_counter()
    matrix, weights, meta = load(spec)
    load_s = time.perf_counter() - started
    solve = solve_pmedian if is_pmedian(spec) else solve_mclp
    started = time.perf_counter()
    options = {"time_limit": case["time_limit"]}
    if case.get("target_gap") is not None:
        options["target_gap"] = case["target_gap"]
    result = solve(matrix, weights, meta["p"], **options)
    wall = time.perf_counter() - started
    selected = np.asarray(result.selected, dtype=np.int64)
    return {
        "name": meta["name"], "candidates": meta["candidates"], "demand": meta["demand"], "p": meta["p"],
        "nnz": meta.get("nnz"), "optimum": meta.get("optimum"), "total_weight": float(np.sum(weights)),
        "objective": float(result.objective), "check": evaluate(spec, matrix, weights, selected),
        "valid_selection": bool(len(np.unique(selected)) == meta["p"]), "bound": float(result.bound),
        "gap": float(result.gap), "status": result.status, "method": result.method,
        "solver_s": float(result.seconds), "wall_s": wall, "load_s": load_s, "patched": meta.get("patched"),
    }  # fmt: skip


def spopt_model(spec: dict, matrix: object, weights: np.ndarray, meta: dict) -> tuple[object, bool]:
    """The spopt model of an instance, from a dense clients x facilities cost matrix as spopt expects.

    Returns the model and whether spopt's 0/1 coverage (``aij``) equals ours exactly (covering models only).
    """
    from spopt.locate import MCLP, PMedian

    if is_pmedian(spec):
        cost = np.asarray(matrix, dtype=float).T  # ours is candidates x demand
        return PMedian.from_cost_matrix(cost, weights, p_facilities=meta["p"]), True
    family = spec["family"]
    if family == "sjc":
        cost = instances.sjc_distances(meta["xy"])
    elif family == "maximo":
        cost = instances.great_circle(meta["latlon"], meta["latlon"])
    else:  # generated: the covered pairs' distances, every other pair out of reach
        candidate, demand, distance = meta["pairs"]
        cost = np.full((meta["demand"], meta["candidates"]), np.inf)
        cost[demand, candidate] = distance
    model = MCLP.from_cost_matrix(cost, weights, service_radius=float(meta["radius"]), p_facilities=meta["p"])
    same = bool(np.array_equal(model.aij.astype(bool), matrix.T.toarray().astype(bool)))
    return model, same


def spopt_solvers(limit: int) -> dict[str, Callable[[], object]]:
    import pulp

    solvers = {"CBC": lambda: pulp.PULP_CBC_CMD(msg=False, timeLimit=limit)}
    if "HiGHS" in pulp.listSolvers(onlyAvailable=True):
        solvers["HiGHS"] = lambda: pulp.HiGHS(msg=False, timeLimit=limit)
    return solvers


def case_spopt(case: dict) -> dict:
    """Build the spopt model once, then solve it with CBC and with HiGHS (each under the same time limit)."""
    import pulp

    spec, limit = case["instance"], case["time_limit"]
    matrix, weights, meta = load(spec)
    started = time.perf_counter()
    model, same = spopt_model(spec, matrix, weights, meta)
    report = {"name": meta["name"], "build_s": time.perf_counter() - started, "same_coverage": same, "solvers": {}}
    for name, make in spopt_solvers(limit).items():
        for variable in model.problem.variables():
            variable.varValue = None
        started = time.perf_counter()
        try:
            model.solve(make(), results=False)
            error = None
        except Exception as exc:  # spopt raises bare errors for unsolved models: report them
            error = f"{type(exc).__name__}: {exc}"
        seconds = time.perf_counter() - started
        selected = np.asarray([j for j, v in enumerate(model.fac_vars) if (v.value() or 0) > 0.5], dtype=np.int64)
        proven = model.problem.sol_status == pulp.LpSolutionOptimal
        report["solvers"][name] = {
            "solve_s": seconds, "error": error, "proven": bool(proven and error is None),
            "hit_limit": bool(not proven or seconds >= 0.98 * limit), "count": len(selected),
            "objective": evaluate(spec, matrix, weights, selected) if len(selected) else None,
            "pulp_objective": pulp.value(model.problem.objective),
        }  # fmt: skip
    return report


def case_reopt(case: dict) -> dict:
    """Solve, then fix one chosen site and exclude another and re-solve (with ``start`` when accepted)."""
    from geoplan.siting import solve_mclp

    spec = case["instance"]
    matrix, weights, meta = load(spec)
    first = solve_mclp(matrix, weights, meta["p"], time_limit=case["time_limit"])
    rng = np.random.default_rng(spec["seed"])
    keep, drop = (int(j) for j in rng.choice(first.selected, size=2, replace=False))
    accepted = inspect.signature(solve_mclp).parameters
    previous = {"start": first.selected, "multipliers": getattr(first, "multipliers", None)}
    variants = [("start + multipliers of the previous solve, time_limit 1 s", ("start", "multipliers"), 1.0),
                ("start = previous plan, time_limit 1 s", ("start",), 1.0),
                ("start = previous plan, time_limit 10 s (default)", ("start",), 10.0),
                ("from scratch, time_limit 1 s", (), 1.0)]  # fmt: skip
    rows = []
    for label, keywords, limit in variants:
        if any(k not in accepted or previous[k] is None for k in keywords):
            continue
        extra = {k: previous[k] for k in keywords}
        started = time.perf_counter()
        result = solve_mclp(matrix, weights, meta["p"], fixed=[keep], excluded=[drop], time_limit=limit, **extra)
        rows.append({
            "variant": label, "wall_s": time.perf_counter() - started, "objective": float(result.objective),
            "bound": float(result.bound), "gap": float(result.gap), "status": result.status,
            "method": result.method, "rules_met": bool(keep in result.selected and drop not in result.selected),
            "check": instances.covered_weight(matrix, weights, result.selected),
        })  # fmt: skip
    accepts_start = "start" in accepted
    return {
        "name": meta["name"], "p": meta["p"], "fixed": keep, "excluded": drop, "accepts_start": accepts_start,
        "accepts_multipliers": "multipliers" in accepted,
        "first": {"objective": float(first.objective), "gap": float(first.gap), "seconds": float(first.seconds),
                  "status": first.status},
        "resolves": rows,
    }  # fmt: skip


def case_peer(case: dict) -> dict:
    """Solve one covering instance with a peer of :data:`peers.PEERS` on the compact model; re-evaluate its plan."""
    spec, limit = case["instance"], case["time_limit"]
    started = time.perf_counter()
    matrix, weights, meta = load(spec)
    load_s = time.perf_counter() - started
    result = peers.PEERS[case["kind"]](matrix, weights, meta["p"], limit)
    found = len(result.selected) > 0
    objective = instances.covered_weight(matrix, weights, result.selected) if found else None
    return {
        "name": meta["name"], "candidates": meta["candidates"], "demand": meta["demand"], "p": meta["p"],
        "nnz": int(matrix.nnz), "optimum": meta.get("optimum"), "total_weight": float(np.sum(weights)),
        "integer_weights": bool(np.all(weights == np.round(weights))), "objective": objective,
        "solver_objective": result.objective, "bound": result.bound, "gap": certified_gap(objective, result.bound),
        "proven": result.proven, "status": result.status, "solve_s": result.solve_s, "build_s": result.build_s,
        "load_s": load_s, "count": len(result.selected),
        "valid_selection": bool(len(np.unique(result.selected)) == meta["p"]), "details": result.details,
    }  # fmt: skip


def certified_gap(objective: float | None, bound: float | None) -> float | None:
    """``(bound - objective) / bound`` (geoplan's convention for maximising), None without a plan or a bound."""
    if objective is None or bound is None or not np.isfinite(bound) or bound <= 0:
        return None
    return max(0.0, (bound - objective) / bound)


CASES = {"geoplan": case_geoplan, "spopt": case_spopt, "reopt": case_reopt, **dict.fromkeys(peers.PEERS, case_peer)}


def source_fingerprint() -> str:
    """Short hash of the imported geoplan/siting sources, to tell which solver version a case measured."""
    import geoplan.siting

    digest = hashlib.sha1(usedforsecurity=False)
    for path in sorted(Path(geoplan.siting.__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:10]


def child(payload: str) -> None:
    case = json.loads(payload)
    source = source_fingerprint()
    report = CASES[case["kind"]](case)
    report["peak_mb"] = peak_mb()
    report["source"] = source
    sys.stdout.flush()
    print(RESULT + json.dumps(report, default=_jsonable), flush=True)


def _jsonable(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(type(value).__name__)


# --------------------------------------------------------------------------------------------------------------
# Running cases from the parent
# --------------------------------------------------------------------------------------------------------------


def run(case: dict, timeout: float) -> dict:
    """Run one case in a fresh process (its own process group, killed whole on timeout)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--case", json.dumps(case)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, start_new_session=True,
    )  # fmt: skip
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return {"error": f"killed after {timeout:.0f} s", "process_s": time.perf_counter() - started}
    lines = [line for line in out.splitlines() if line.startswith(RESULT)]
    if proc.returncode != 0 or not lines:
        tail = (err or out).strip().splitlines()[-3:]
        return {"error": f"exit {proc.returncode}: {' | '.join(tail)}", "process_s": time.perf_counter() - started}
    report = json.loads(lines[-1][len(RESULT) :])
    report["process_s"] = time.perf_counter() - started
    SOURCES.setdefault(report.get("source"), []).append(case["instance"])
    return report


def geoplan_case(spec: dict, limit: float, target_gap: float | None = None) -> dict:
    case = {"kind": "geoplan", "instance": spec, "time_limit": limit, "target_gap": target_gap}
    report = run(case, timeout=limit * 3 + 300)
    label = "geoplan" if target_gap is None else f"geoplan (target_gap {target_gap:g})"
    if "error" in report:
        print(f"  {label} {spec}: {report['error']}", flush=True)
    else:
        print(f"  {label} {report['name']}: {report['objective']:,.0f} in {report['wall_s']:.2f} s, gap "
              f"{report['gap']:.3%} ({report['status']}), peak {report['peak_mb']:.0f} MB", flush=True)  # fmt: skip
    return report


def spopt_case(spec: dict, limit: float = SPOPT_LIMIT) -> dict:
    report = run({"kind": "spopt", "instance": spec, "time_limit": limit}, timeout=3 * limit + 900)
    if "error" in report:
        print(f"  spopt {spec}: {report['error']}", flush=True)
        return report
    parts = [f"{name} {s['objective'] or 0:,.0f} in {s['solve_s']:.1f} s{' (limit)' if s['hit_limit'] else ''}"
             for name, s in report["solvers"].items()]  # fmt: skip
    print(f"  spopt {report['name']}: build {report['build_s']:.1f} s, {', '.join(parts)}", flush=True)
    return report


def peer_case(kind: str, spec: dict, limit: float) -> dict:
    report = run({"kind": kind, "instance": spec, "time_limit": limit}, timeout=3 * limit + 600)
    if "error" in report:
        print(f"  {kind} {spec}: {report['error']}", flush=True)
    else:
        gap = "n/a" if report["gap"] is None else f"{report['gap']:.3%}"
        print(f"  {kind} {report['name']}: {report['objective'] or 0:,.0f} in {report['solve_s']:.2f} s (+ build "
              f"{report['build_s']:.1f} s), gap {gap} ({report['status']})", flush=True)  # fmt: skip
    return report


# --------------------------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------------------------


def section_compare(quick: bool) -> list[str]:
    print("(a) geoplan vs spopt", flush=True)
    mclp = [sjc(324, 800, 10), sjc(818, 800, 10), gen_mclp(2000, 1000)]
    if not quick:
        mclp[2:2] = [maximo("NewYork", 50)]
        mclp += [gen_mclp(2000, 5000), gen_mclp(2000, 10000)]
    medians = [pmed(1), pmed(5)] + ([] if quick else [pmed(10), pmed(15)])
    rows, exact = [], []
    for spec in mclp + medians:
        rows.append((spec, geoplan_case(spec, GEOPLAN_LIMIT), spopt_case(spec)))
        exact.append(geoplan_case(spec, GEOPLAN_LIMIT, target_gap=0.0))
    lines = [
        "### (a) geoplan vs spopt on the same instances",
        "",
        f"geoplan: `solve_mclp` / `solve_pmedian` with `time_limit={GEOPLAN_LIMIT:g}` and the default "
        "`target_gap=0` (it stops early only at a proven optimum). spopt 0.7: "
        "`MCLP.from_cost_matrix(cost, weights, service_radius, p_facilities)` / `PMedian.from_cost_matrix(cost, "
        "weights, p_facilities)` on the dense clients x facilities cost matrix spopt requires (our candidates x "
        "demand matrix transposed; for the covering instances spopt's resulting 0/1 matrix was checked to equal "
        "geoplan's), solved through PuLP with `PULP_CBC_CMD(msg=False, timeLimit="
        f"{SPOPT_LIMIT})` and with `HiGHS(msg=False, timeLimit={SPOPT_LIMIT})`, one model built once per instance. "
        "geoplan's time is the solve call; spopt's is model building plus the solver (building is the part "
        "spopt cannot skip). Every objective is recomputed from the chosen sites by the benchmark, not taken "
        "from the solver. *limit* = the solver stopped at its time limit without proving optimality. "
        "Speed-up = spopt time / geoplan time.",
        "",
        "| instance | candidates x demand | p | geoplan objective | geoplan (s) | geoplan gap | spopt build (s) "
        "| CBC objective | CBC total (s) | HiGHS objective | HiGHS total (s) | speed-up vs CBC | speed-up vs HiGHS "
        "| geoplan vs best spopt |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    lines += [compare_row(spec, mine, theirs) for spec, mine, theirs in rows]
    lines += ["", *compare_notes(rows), "", *exact_table(rows, exact)]
    return lines


def exact_table(rows: list[tuple[dict, dict, dict]], exact: list[dict]) -> list[str]:
    """geoplan asked to prove optimality (target_gap=0) on the same instances, against the same spopt runs."""
    lines = [
        f"Same instances, geoplan asked to prove optimality (`target_gap=0`, `time_limit={GEOPLAN_LIMIT:g}`); spopt "
        "runs as above (speed-ups include spopt's model building; the last two columns are the solvers alone):",
        "",
        "| instance | geoplan objective | geoplan (s) | certified gap | status | geoplan vs best spopt "
        "| speed-up vs CBC | speed-up vs HiGHS | CBC solve alone (s) | HiGHS solve alone (s) | method |",
        "|---|---:|---:|---:|---|---|---:|---:|---:|---:|---|",
    ]
    for (spec, _, theirs), mine in zip(rows, exact, strict=True):
        if "error" in mine or "error" in theirs:
            lines.append(f"| {spec} | failed: {mine.get('error') or theirs.get('error')} | | | | | | | |")
            continue
        best, speed = spopt_summary(spec, mine, theirs)
        verdict = "" if best is None else _verdict(mine["objective"], best, is_pmedian(spec))

        def alone(name: str, solvers: dict = theirs["solvers"]) -> str:
            return f"{solvers[name]['solve_s']:.1f}" if name in solvers else "n/a"

        lines.append(
            f"| {mine['name']} | {mine['objective']:,.0f} | {mine['wall_s']:.3f} | {mine['gap']:.3%} | "
            f"{mine['status']} | {verdict} | {speed[0]} | {speed[1]} | {alone('CBC')} | {alone('HiGHS')} | "
            f"{mine['method']} |"
        )
    return lines


def spopt_summary(spec: dict, mine: dict, theirs: dict) -> tuple[float | None, list[str]]:
    """Best objective spopt found (either solver) and the speed-up of ``mine`` over CBC and HiGHS."""
    best, speed = None, []
    for name in ("CBC", "HiGHS"):
        s = theirs["solvers"].get(name)
        if s is None or s["objective"] is None:
            speed.append("")
            continue
        speed.append(f"{(theirs['build_s'] + s['solve_s']) / max(mine['wall_s'], 1e-9):.1f}x")
        if best is None or (s["objective"] < best if is_pmedian(spec) else s["objective"] > best):
            best = s["objective"]
    return best, speed


def compare_row(spec: dict, mine: dict, theirs: dict) -> str:
    if "error" in mine:
        return f"| {spec} | | | geoplan failed: {mine['error']} | | | | | | | | | | |"
    head = (f"| {mine['name']} | {mine['candidates']:,} x {mine['demand']:,} | {mine['p']} | "
            f"{mine['objective']:,.0f} | {mine['wall_s']:.3f} | {mine['gap']:.3%} |")  # fmt: skip
    if "error" in theirs:
        return head + f" spopt failed: {theirs['error']} | | | | | | | |"
    cells = []
    for name in ("CBC", "HiGHS"):
        s = theirs["solvers"].get(name)
        if s is None or s["objective"] is None:
            cells += ["n/a" if s is None else f"none ({s['error']})", ""]
            continue
        total = theirs["build_s"] + s["solve_s"]
        cells += [f"{s['objective']:,.0f}" + (" *limit*" if s["hit_limit"] else ""), f"{total:.1f}"]
    best, speed = spopt_summary(spec, mine, theirs)
    verdict = "" if best is None else _verdict(mine["objective"], best, is_pmedian(spec))
    return head + f" {theirs['build_s']:.1f} | " + " | ".join(cells) + f" | {speed[0]} | {speed[1]} | {verdict} |"


def _verdict(mine: float, theirs: float, minimise: bool) -> str:
    diff = (theirs - mine) if minimise else (mine - theirs)
    if abs(diff) <= 1e-6 * max(1.0, abs(theirs)):
        return "equal"
    share = abs(diff) / max(abs(theirs), 1e-9)
    return f"better by {share:.3%}" if diff > 0 else f"**worse by {share:.3%}**"


def compare_notes(rows: list[tuple[dict, dict, dict]]) -> list[str]:
    """Consistency checks, bound validity, unused time, and whether geoplan was ever worse than spopt."""
    ok = [(spec, mine, theirs) for spec, mine, theirs in rows if "error" not in mine and "error" not in theirs]
    notes = [note for spec, mine, theirs in ok for note in consistency_notes(spec, mine, theirs)]
    notes += unused_time_notes([m for _, m, _ in rows], GEOPLAN_LIMIT)[1:]
    worse, beyond = [], []
    for spec, mine, theirs in ok:
        best, _ = spopt_summary(spec, mine, theirs)
        if best is None or "worse" not in _verdict(mine["objective"], best, is_pmedian(spec)):
            continue
        worse.append(mine["name"])
        # In geoplan's own convention: (objective - lower) / objective when minimising, (upper - objective) / upper
        # when maximising; a valid certified gap is never smaller than this.
        shortfall = abs(mine["objective"] - best) / max(abs(mine["objective"] if is_pmedian(spec) else best), 1e-9)
        if shortfall > mine["gap"] + 1e-9:
            beyond.append(mine["name"])
    if not worse:
        notes.append("- geoplan's objective was never worse than spopt's.")
    else:
        notes.append(
            f"- geoplan's objective was worse than spopt's on: {', '.join(worse)}; "
            + (
                f"**beyond geoplan's own certified gap** on {', '.join(beyond)}."
                if beyond
                else "each time by less than geoplan's own certified gap (it stops once within `target_gap`)."
            )
        )
    faster = [
        f"{mine['name']} ({name} {solver['solve_s']:.1f} s vs geoplan {mine['wall_s']:.1f} s)"
        for _, mine, theirs in ok
        for name, solver in theirs["solvers"].items()
        if solver["objective"] is not None and solver["solve_s"] < mine["wall_s"]
    ]
    notes.append(
        "- The solver alone, without spopt's model building, was faster than geoplan on: "
        + ("; ".join(faster) if faster else "none")
        + "."
    )
    notes.append("- Methods: " + "; ".join(f"{m['name']}: {m['method']}" for _, m, _ in rows if "error" not in m))
    return notes


def consistency_notes(spec: dict, mine: dict, theirs: dict) -> list[str]:
    """Same coverage on both sides, reported objectives matching the chosen sites, geoplan's bound not beaten."""
    notes = []
    if not theirs["same_coverage"]:
        notes.append(f"- {mine['name']}: spopt's coverage matrix differs from geoplan's (comparison invalid).")
    if abs(mine["check"] - mine["objective"]) > 1e-6 * max(1.0, abs(mine["objective"])):
        notes.append(
            f"- {mine['name']}: geoplan reported {mine['objective']:,.2f}, its sites give {mine['check']:,.2f}."
        )
    for name, s in theirs["solvers"].items():
        if s["objective"] is None:
            continue
        if not is_pmedian(spec) and abs(s["objective"] - (s["pulp_objective"] or 0)) > 1e-6 * max(1.0, s["objective"]):
            notes.append(
                f"- {mine['name']}, {name}: PuLP reported {s['pulp_objective']}, the sites cover {s['objective']:,.2f}."
            )
        # Any plan spopt found is a valid plan: it cannot beat a valid bound.
        beats = s["objective"] < mine["bound"] - 1e-6 if is_pmedian(spec) else s["objective"] > mine["bound"] + 1e-6
        if beats:
            notes.append(
                f"- {mine['name']}: **geoplan's bound {mine['bound']:,.2f} is invalid**: {name} found a plan "
                f"worth {s['objective']:,.2f}."
            )
    return notes


def section_orlib(quick: bool) -> list[str]:
    print("(b) OR-Library pmed", flush=True)
    numbers = range(1, 11) if quick else range(1, 41)
    results = [geoplan_case(pmed(k), PMED_LIMIT) for k in numbers]
    lines = [
        "### (b) OR-Library p-median pmed1..pmed40" + (" (quick: pmed1..10)" if quick else ""),
        "",
        f"`solve_pmedian(cost, ones, p, time_limit={PMED_LIMIT:g})` (default target gap 0) on the all-pairs "
        "shortest-path costs; published optima from `pmedopt.txt`. Gap to optimum = (objective - optimum) / "
        "optimum; certified gap = geoplan's own (objective - bound) / objective. *bound <= optimum* must hold for a "
        "valid lower bound.",
        "",
        "| instance | n | p | optimum | geoplan | gap to optimum | certified gap | bound | bound <= optimum | "
        "status | time (s) | method |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---|",
    ]
    for r in results:
        if "error" in r:
            lines.append(f"| ? | | | | failed: {r['error']} | | | | | | | |")
            continue
        to_opt = (r["objective"] - r["optimum"]) / r["optimum"]
        valid = "yes" if r["bound"] <= r["optimum"] + 1e-6 else "**NO**"
        lines.append(
            f"| {r['name']} | {r['candidates']} | {r['p']} | {r['optimum']:,.0f} | {r['objective']:,.0f} | "
            f"{to_opt:.3%} | {r['gap']:.3%} | {r['bound']:,.1f} | {valid} | {r['status']} | {r['wall_s']:.2f} | "
            f"{r['method']} |"
        )
    ok = [r for r in results if "error" not in r]
    if ok:
        at_opt = sum(abs(r["objective"] - r["optimum"]) < 1e-6 for r in ok)
        worst = max(ok, key=lambda r: (r["objective"] - r["optimum"]) / r["optimum"])
        over = [r["name"] for r in ok if r["wall_s"] > PMED_LIMIT * 1.1]
        lines += [
            "",
            f"- At the published optimum: {at_opt} of {len(ok)}; largest gap to optimum: {worst['name']} "
            f"{(worst['objective'] - worst['optimum']) / worst['optimum']:.3%}; total time "
            f"{sum(r['wall_s'] for r in ok):.1f} s.",
            f"- Runs over the {PMED_LIMIT:g} s limit by more than 10%: {', '.join(over) if over else 'none'}.",
        ]
    return lines


def section_published_mclp(quick: bool) -> list[str]:
    print("(c) published MCLP optima", flush=True)
    specs = [maximo("NewYork", 50)] if quick else [maximo(c, p) for c in instances.MAXIMO_RADIUS for p in MAXIMO_P]
    specs += [sjc(n, s, p) for (n, s, p) in instances.SJC_OPTIMA]
    results = [geoplan_case(spec, GEOPLAN_LIMIT) for spec in specs]
    cities = [(spec, r) for spec, r in zip(specs, results, strict=True) if spec["family"] == "maximo"]
    # CP-SAT ends 3% or more below the optimum on every city (quick run): the full run leaves it out of the cities.
    kinds = tuple(peers.PEERS) if quick else tuple(k for k in peers.PEERS if k != "cpsat")
    city_peers = [{kind: normalise_peer(peer_case(kind, spec, GEOPLAN_LIMIT)) for kind in kinds}
                  for spec, _ in cities]  # fmt: skip
    lines = [
        "### (c) Maximal covering: Máximo et al. (2023) cities and Lorena's SJC",
        "",
        f"`solve_mclp(coverage, weights, p, time_limit={GEOPLAN_LIMIT:g})` (default target gap 0). Máximo: "
        "great-circle coverage (spherical law of cosines, R = 6,378,100 m, d <= r); the loader reproduces every "
        "published optimum from its published sites. SJC: Euclidean d <= S, optima proven with HiGHS (listed in "
        "the data README). Gap to optimum = (optimum - objective) / optimum; certified gap = (bound - objective) / "
        "bound; *bound >= optimum* must hold for a valid upper bound.",
        "",
        "| instance | n | p | optimum | geoplan | gap to optimum | certified gap | bound | bound >= optimum | "
        "status | time (s) | method |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---|",
    ]
    for r in results:
        if "error" in r:
            lines.append(f"| ? | | | | failed: {r['error']} | | | | | | | |")
            continue
        to_opt = (r["optimum"] - r["objective"]) / r["optimum"]
        valid = "yes" if r["bound"] >= r["optimum"] - 1e-6 else "**NO**"
        lines.append(
            f"| {r['name']} | {r['candidates']:,} | {r['p']} | {r['optimum']:,.0f} | {r['objective']:,.0f} | "
            f"{to_opt:.3%} | {r['gap']:.3%} | {r['bound']:,.0f} | {valid} | {r['status']} | {r['wall_s']:.2f} | "
            f"{r['method']} |"
        )
    lines += unused_time_notes(results, GEOPLAN_LIMIT)
    lines += ["", *maximo_peer_table(cities, city_peers, kinds)]
    return lines


def maximo_peer_table(
    cities: list[tuple[dict, dict]], city_peers: list[dict[str, dict]], kinds: tuple[str, ...]
) -> list[str]:
    """The peers ``kinds`` beside geoplan on the Máximo cities, against the published optima; a summary below."""
    lines = [
        f"Peers on the Máximo cities, each on the plain compact MCLP under the same {GEOPLAN_LIMIT:g} s limit (set "
        "up as in section f; geoplan as above, default target gap). Each cell: objective / gap to the published "
        "optimum / certified gap / solve seconds / proven. *bound >= optimum* checks every bound a solver reports.",
        "",
        "| instance | optimum | geoplan | " + " | ".join(label_of(k) for k in kinds) + " | bound >= optimum |",
        "|---|---:|---|" + "---|" * len(kinds) + "---|",
    ]
    reached = dict.fromkeys(("geoplan", *kinds), 0)
    certified = dict.fromkeys(("geoplan", *kinds), 0)
    for (spec, mine), others in zip(cities, city_peers, strict=True):
        runs = {"geoplan": normalise_geoplan(mine), **others}
        optimum = instances.maximo_optimum(spec["city"], spec["p"])[0]
        name = f"{spec['city']} p={spec['p']} r={instances.MAXIMO_RADIUS[spec['city']]}"
        cells = [peer_cell(runs[key], 0, to_optimum=optimum) for key in ("geoplan", *kinds)]
        for key in ("geoplan", *kinds):
            r = runs[key]
            if optimum is None or "error" in r or r["objective"] is None:
                continue
            reached[key] += abs(r["objective"] - optimum) <= 1e-6 * optimum
            certified[key] += r["bound"] is not None and (r["bound"] - r["objective"]) <= 1e-4 * r["bound"]
        invalid = [label_of(k) for k, r in runs.items()
                   if optimum is not None and "error" not in r and r["bound"] is not None
                   and r["bound"] < optimum - 1e-6]  # fmt: skip
        check = "n/a" if optimum is None else "yes" if not invalid else "**NO**: " + ", ".join(invalid)
        shown = "n/a" if optimum is None else f"{optimum:,.0f}"
        lines.append(f"| {name} | {shown} | " + " | ".join(cells) + f" | {check} |")
    lines += ["", "- Published optimum reached / certified (gap <= 0.01%), of " + f"{len(cities)}: " + "; ".join(
        f"{label_of(key)} {reached[key]} / {certified[key]}" for key in reached) + "."]
    return lines


def unused_time_notes(results: list[dict], limit: float) -> list[str]:
    """Name the runs that stopped short of their target gap with much of their time limit left."""
    early = [
        f"{r['name']} ({r['wall_s']:.1f} s, gap {r['gap']:.2%})"
        for r in results
        if "error" not in r and r["status"] != "optimal" and r["wall_s"] < 0.9 * limit
    ]
    if not early:
        return []
    return ["", f"- Stopped short of the target gap with over 10% of the {limit:g} s limit unused: {'; '.join(early)}."]


def section_generated(quick: bool) -> list[str]:
    print("(d) generated instances", flush=True)
    sizes = [(5000, 1000), (50000, 10000)] if quick else [(5000, 1000), (20000, 5000), (50000, 10000)]
    results = [geoplan_case(gen_mclp(d, c), GEOPLAN_LIMIT) for d, c in sizes]
    median = geoplan_case(gen_pmedian(2000, 5000, p=50), GEOPLAN_LIMIT)
    lines = [
        f"### (d) Generated instances (time limit {GEOPLAN_LIMIT:g} s)",
        "",
        "Maximal covering: demand from a seeded Gaussian mixture of 30 centres over a 20 km x 20 km square (weights "
        "1..10), uniform candidates, coverage radius 1,000 m built sparse with cKDTree; p = "
        f"{GENERATED_P}. Targets for the largest: certified gap <= {TARGET_GAP:.0%} within {TARGET_SECONDS:g} s, "
        f"peak <= {TARGET_MB / 1024:g} GB. Peak RSS is the whole process (Python, instance generation, solver).",
        "",
        "| instance | demand x candidates | coverage nnz | p | covered share | objective | bound | certified gap "
        "| status | solve (s) | generate (s) | peak RSS (MB) | targets | method |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|---|",
    ]
    for r in results:
        if "error" in r:
            lines.append(f"| ? | | | | failed: {r['error']} | | | | | | | | | |")
            continue
        missed = [f"gap {r['gap']:.2%}" if r["gap"] > TARGET_GAP else "",
                  f"{r['wall_s']:.0f} s" if r["wall_s"] > TARGET_SECONDS * 1.02 else "",
                  f"{r['peak_mb']:.0f} MB" if r["peak_mb"] > TARGET_MB else ""]  # fmt: skip
        missed = [m for m in missed if m]
        lines.append(
            f"| {r['name']} | {r['demand']:,} x {r['candidates']:,} | {r['nnz']:,} | {r['p']} | "
            f"{r['objective'] / r['total_weight']:.1%} | {r['objective']:,.0f} | {r['bound']:,.0f} | {r['gap']:.3%} | "
            f"{r['status']} | {r['wall_s']:.2f} | {r['load_s']:.2f} | {r['peak_mb']:.0f} | "
            f"{'met' if not missed else '**missed**: ' + ', '.join(missed)} | {r['method']} |"
        )
    lines += unused_time_notes([*results, median], GEOPLAN_LIMIT)
    lines += [
        "",
        "p-median on a generated instance (Euclidean cost truncated at 3,000 m, sparse, missing = unreachable; demand "
        "points with no candidate in reach get their nearest one):",
        "",
        "| instance | demand x candidates | cost nnz | patched demand | p | objective | lower bound | certified gap "
        "| status | solve (s) | peak RSS (MB) | method |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---|",
    ]
    if "error" in median:
        lines.append(f"| generated p-median | | | | | failed: {median['error']} | | | | | | |")
    else:
        r = median
        lines.append(
            f"| {r['name']} | {r['demand']:,} x {r['candidates']:,} | {r['nnz']:,} | {r['patched']} | {r['p']} | "
            f"{r['objective']:,.0f} | {r['bound']:,.0f} | {r['gap']:.3%} | {r['status']} | {r['wall_s']:.2f} | "
            f"{r['peak_mb']:.0f} | {r['method']} |"
        )
    return lines


def section_reopt(quick: bool) -> list[str]:
    print("(e) re-optimisation", flush=True)
    spec = gen_mclp(50000, 10000)
    r = run({"kind": "reopt", "instance": spec, "time_limit": GEOPLAN_LIMIT}, timeout=900)
    lines = ["### (e) Re-optimisation after a planner's change", ""]
    if "error" in r:
        print(f"  reopt: {r['error']}", flush=True)
        return [*lines, f"Failed: {r['error']}"]
    first = r["first"]
    print(
        f"  reopt {r['name']}: " + ", ".join(f"{x['variant']} {x['wall_s']:.2f} s" for x in r["resolves"]), flush=True
    )
    lines += [
        f"{r['name']}, p = {r['p']}: first solved with `time_limit={GEOPLAN_LIMIT:g}` (covered "
        f"{first['objective']:,.0f}, gap {first['gap']:.3%}, {first['seconds']:.1f} s, {first['status']}); then "
        f"candidate {r['fixed']} (chosen) is fixed and candidate {r['excluded']} (chosen) excluded, and the plan "
        f"re-solved (`fixed=[{r['fixed']}], excluded=[{r['excluded']}]`"
        + (", `start=previous.selected`" if r["accepts_start"] else "; `solve_mclp` has no `start` keyword")
        + (" and/or `multipliers=previous.multipliers`" if r.get("accepts_multipliers") else "")
        + f"). Target: re-solve within {TARGET_RESOLVE_S:g} s.",
        "",
        "| re-solve | time (s) | covered | vs first plan | certified gap | status | fixed kept, excluded dropped "
        "| method |",
        "|---|---:|---:|---:|---:|---|---|---|",
    ]
    for x in r["resolves"]:
        lines.append(
            f"| {x['variant']} | {x['wall_s']:.2f} | {x['objective']:,.0f} | "
            f"{(x['objective'] - first['objective']) / first['objective']:+.3%} | {x['gap']:.3%} | {x['status']} | "
            f"{'yes' if x['rules_met'] else '**NO**'} | {x['method']} |"
        )
    return lines


def label_of(key: str) -> str:
    return "geoplan" if key == "geoplan" else PEER_COLUMNS[key]


def normalise_geoplan(report: dict) -> dict:
    """geoplan's case report in the shape every column of section (f) uses."""
    if "error" in report:
        return {"error": f"failed: {report['error']}"}
    return {"objective": report["check"], "bound": report["bound"], "gap": certified_gap(report["check"],
            report["bound"]), "seconds": report["wall_s"], "proven": report["status"] == "optimal",
            "build_s": 0.0, "status": report["status"], "method": report["method"],
            "reported": report["objective"], "valid_selection": report["valid_selection"]}  # fmt: skip


def normalise_spopt(report: dict, solver: str) -> dict:
    """One of spopt's solvers; PuLP exposes no dual bound, so a bound (= the objective) exists only when proven."""
    if "error" in report:
        return {"error": f"failed: {report['error']}"}
    s = report["solvers"].get(solver)
    if s is None:
        return {"error": "not available"}
    if s["objective"] is None:
        return {"error": f"no plan ({s['error']})"}
    bound = s["objective"] if s["proven"] else None
    return {"objective": s["objective"], "bound": bound, "gap": 0.0 if s["proven"] else None,
            "seconds": s["solve_s"], "proven": s["proven"], "build_s": report["build_s"],
            "status": "optimal" if s["proven"] else "time limit", "reported": s["pulp_objective"],
            "valid_selection": s["count"] == report.get("p", s["count"]),
            "same_coverage": report["same_coverage"]}  # fmt: skip


def normalise_peer(report: dict) -> dict:
    if "error" in report:
        return {"error": f"failed: {report['error']}"}
    return {**report, "seconds": report["solve_s"], "reported": report["solver_objective"]}


def side_by_side(spec: dict, limit: float) -> tuple[dict[str, dict], dict]:
    """geoplan and every peer on one instance, each in its own process; also the instance's facts."""
    runs = {"geoplan": geoplan_case(spec, limit, target_gap=0.0)}
    facts = dict(runs["geoplan"]) if "error" not in runs["geoplan"] else {}
    runs["geoplan"] = normalise_geoplan(runs["geoplan"])
    cells = spec["demand"] * spec["candidates"]
    if cells <= SPOPT_MAX_CELLS:
        report = spopt_case(spec, limit)
        runs |= {name: normalise_spopt(report | {"p": spec["p"]}, name) for name in ("CBC", "HiGHS")}
    else:
        reason = f"not run ({cells / 1e6:,.0f}M-cell dense model)"
        runs |= {name: {"error": reason} for name in ("CBC", "HiGHS")}
    for kind in peers.PEERS:
        report = peer_case(kind, spec, limit)
        if "error" not in report:
            facts = report | facts
        runs[kind] = normalise_peer(report)
    return runs, facts


def peer_cell(r: dict, digits: int, to_optimum: float | None = None) -> str:
    """objective / [gap to optimum /] certified gap / seconds / proven, for one solver on one instance."""
    if "error" in r:
        return r["error"]
    if r["objective"] is None:
        return f"no plan ({r['status']})"
    parts = [f"{r['objective']:,.{digits}f}"]
    if to_optimum is not None:
        parts.append(f"{(to_optimum - r['objective']) / to_optimum:.3%} to opt.")
    parts.append("no bound" if r["gap"] is None else f"gap {r['gap']:.3%}")
    parts.append(f"{r['seconds']:.1f} s")
    if r["proven"]:
        parts.append("**proven**")
    return " / ".join(parts)


def family_verdict(runs: dict[str, dict]) -> str:
    """geoplan against the best peer's objective, the fastest peer's proof, and (if nobody proved) the gaps."""
    mine = runs["geoplan"]
    if "error" in mine or mine["objective"] is None:
        return "geoplan failed"
    others = {k: r for k, r in runs.items() if k != "geoplan" and "error" not in r and r["objective"] is not None}
    parts = []
    if others:
        best = max(others, key=lambda k: others[k]["objective"])
        parts.append(f"{_verdict(mine['objective'], others[best]['objective'], minimise=False)} vs best peer "
                     f"({label_of(best)})")  # fmt: skip
    proving = {k: r for k, r in others.items() if r["proven"]}
    fastest = min(proving, key=lambda k: proving[k]["seconds"]) if proving else None
    if mine["proven"] and fastest:
        ratio = mine["seconds"] / max(proving[fastest]["seconds"], 1e-3)
        parts.append(f"proof in {ratio:.2f}x the fastest peer's time ({label_of(fastest)} "
                     f"{proving[fastest]['seconds']:.1f} s)")  # fmt: skip
    elif mine["proven"]:
        parts.append("only geoplan proved optimality")
    elif fastest:
        parts.append(f"**no proof; {label_of(fastest)} proved in {proving[fastest]['seconds']:.1f} s**")
    else:
        gaps = {k: r["gap"] for k, r in runs.items() if "error" not in r and r.get("gap") is not None}
        if gaps:
            smallest = min(gaps, key=gaps.get)
            parts.append(f"nobody proved; smallest certified gap {label_of(smallest)} {gaps[smallest]:.3%}"
                         + ("" if smallest == "geoplan" or "geoplan" not in gaps
                            else f" (geoplan {gaps['geoplan']:.3%})"))  # fmt: skip
        else:
            parts.append("nobody proved or bounded")
    return "; ".join(parts)


def family_checks(name: str, runs: dict[str, dict]) -> list[str]:
    """Reported objectives match the re-evaluated plans, plans have p sites, no plan beats anybody's bound."""
    notes = []
    ok = {k: r for k, r in runs.items() if "error" not in r and r["objective"] is not None}
    for key, r in ok.items():
        if r.get("reported") is not None and abs(r["reported"] - r["objective"]) > 1e-6 * max(1.0, r["objective"]):
            notes.append(f"- {name}, {label_of(key)}: reported {r['reported']:,.2f}, its sites cover "
                         f"{r['objective']:,.2f}.")  # fmt: skip
        if not r.get("valid_selection", True):
            notes.append(f"- {name}, {label_of(key)}: the plan does not have exactly p distinct sites.")
        if r.get("same_coverage") is False:
            notes.append(f"- {name}, {label_of(key)}: spopt's coverage differs from geoplan's (comparison invalid).")
    best = max(ok, key=lambda k: ok[k]["objective"], default=None)
    for key, r in runs.items():
        if best and "error" not in r and r.get("bound") is not None and ok[best]["objective"] > r["bound"] + 1e-6:
            notes.append(f"- {name}: **{label_of(key)}'s bound {r['bound']:,.2f} is invalid**: {label_of(best)} "
                         f"found a plan worth {ok[best]['objective']:,.2f}.")  # fmt: skip
    return notes


def section_families(quick: bool) -> list[str]:
    print("(f) peers side by side on generated families", flush=True)
    if quick:
        specs, limit = [family(*args) for args in QUICK_FAMILIES], QUICK_FAMILY_LIMIT
    else:
        specs = [family(name, *size) for name in instances.FAMILIES for size in FAMILY_SIZES]
        limit = GEOPLAN_LIMIT
    measured = [(spec, *side_by_side(spec, limit)) for spec in specs]
    radius = instances.FAMILY_RADIUS_M
    lines = [
        f"### (f) Peers side by side on generated families (time limit {limit:g} s each"
        + (", quick subset)" if quick else ")"),
        "",
        "Families (bench/instances.py, `generate_family`, seed 1, coverage built sparse): *clustered* - 6-30 "
        "Gaussian clusters of demand, lognormal whole-worker weights (heavy-tailed), candidates half near demand "
        f"points and half uniform, radius {radius['clustered']:,.0f} m; *uniform* - uniform demand and candidates, "
        f"weights 1..10, radius {radius['uniform']:,.0f} m; *road* - demand and candidates at intersections of a "
        f"perturbed {instances.BLOCK_M:g} m street grid with 12% of its streets removed, coverage by network distance "
        f"<= {radius['road']:,.0f} m (Dijkstra with a cutoff), overdispersed integer weights; *small-clusters* - "
        "200-600 tight clusters (30-150 m) over 20 km x 20 km, gamma weights in hundredths, candidates 70% near a "
        f"cluster, radius {radius['small-clusters']:,.0f} m. The other families' squares grow with the demand "
        f"({instances.DEMAND_PER_KM2:g} demand points per km2).",
        "",
        f"Every solver gets the same {limit:g} s: geoplan `solve_mclp(coverage, weights, p, time_limit={limit:g}, "
        "target_gap=0)` (asked to prove optimality; its time is the whole call); the others get the plain compact "
        "MILP (max sum w_i y_i, y_i <= sum_(j covers i) x_j, sum x = p, x binary, 0 <= y <= 1) with that limit "
        "on the solver alone, and their model-building time is listed separately below. spopt 0.7 through PuLP "
        f"(`PULP_CBC_CMD(timeLimit={limit:g})`, `HiGHS(timeLimit={limit:g})`), only up to "
        f"{SPOPT_MAX_CELLS / 1e6:g}M demand x candidate cells (it builds a dense model); PuLP gives no dual bound, "
        f"so spopt shows a gap only when it proves optimality. SCIP (pyscipopt) with default settings, "
        f"`limits/time={limit:g}`, single-threaded (SCIP's `optimize` is). CP-SAT with `num_workers=2`, "
        "`max_time_in_seconds`, one `bool_or` per demand point and y boolean; its objective needs integers, so the "
        "weights are multiplied by the smallest of 1, 10, 100, 1000 that makes them whole (exact for every family "
        "here: x1, and x100 for small-clusters), and its bound is divided back. Greedy: lazy greedy, no bound. Every "
        "objective is recomputed by the benchmark from the chosen sites; certified gap = (bound - objective) / "
        "bound. Each cell: objective / certified gap / solve seconds / proven. Verdict: geoplan's objective against "
        "the best peer's, its time to a proven optimum against the fastest peer that proved one, and when nobody "
        "proved optimality, the smallest certified gap.",
        "",
        "| instance | candidates x demand | p | geoplan | " + " | ".join(PEER_COLUMNS.values()) + " | verdict |",
        "|---|---|---:|" + "---|" * (len(PEER_COLUMNS) + 2),
    ]
    notes, details = [], []
    for spec, runs, facts in measured:
        name = facts.get("name", str(spec))
        digits = 0 if facts.get("integer_weights", True) else 2
        cells = [peer_cell(runs[k], digits) for k in ("geoplan", *PEER_COLUMNS)]
        lines.append(f"| {name} | {spec['candidates']:,} x {spec['demand']:,} | {spec['p']} | " + " | ".join(cells)
                     + f" | {family_verdict(runs)} |")  # fmt: skip
        notes += family_checks(name, runs)
        details.append(family_details(name, runs, facts))
    lines += ["", *family_summary(measured), *notes, "", *family_details_table(details)]
    return lines


def family_summary(measured: list[tuple[dict, dict, dict]]) -> list[str]:
    """Per family: instances where geoplan's objective >= the best peer's, and proofs against the fastest peer."""
    lines = []
    for name in dict.fromkeys(spec["family"] for spec, _, _ in measured):
        rows = [runs for spec, runs, _ in measured if spec["family"] == name]
        at_least = sum(family_verdict(r).startswith(("equal", "better")) for r in rows)
        proofs = sum(1 for r in rows if "error" not in r["geoplan"] and r["geoplan"]["proven"])
        peer_proofs = sum(1 for r in rows if any("error" not in v and v.get("proven") for k, v in r.items()
                                                 if k != "geoplan"))  # fmt: skip
        lines.append(f"- {name}: geoplan's objective >= the best peer's on {at_least} of {len(rows)}; geoplan proved "
                     f"optimality on {proofs}, some peer on {peer_proofs}.")  # fmt: skip
    return lines


def family_details(name: str, runs: dict[str, dict], facts: dict) -> str:
    def build(key: str) -> str:
        r = runs[key]
        return "n/a" if "error" in r else f"{r['build_s']:.1f}"

    scale = runs["cpsat"].get("details", {}).get("scale", "n/a") if "error" not in runs["cpsat"] else "n/a"
    method = runs["geoplan"].get("method", "n/a")
    nnz = f"{facts['nnz']:,}" if facts.get("nnz") is not None else "n/a"
    load_s = f"{facts['load_s']:.1f}" if "load_s" in facts else "n/a"
    return (f"| {name} | {nnz} | {load_s} | {build('CBC')} | {build('scip')} | {build('cpsat')} | x{scale} | "
            f"{method} |")  # fmt: skip


def family_details_table(details: list[str]) -> list[str]:
    return [
        "Model building (seconds, not counted in the time limit), instance generation and geoplan's method:",
        "",
        "| instance | coverage nnz | generate (s) | spopt build (s) | SCIP build (s) | CP-SAT build (s) "
        "| CP-SAT weight scale | geoplan method |",
        "|---|---:|---:|---:|---:|---:|---|---|",
        *details,
    ]


SECTIONS = {"a": section_compare, "b": section_orlib, "c": section_published_mclp, "d": section_generated,
            "e": section_reopt, "f": section_families}  # fmt: skip
DEFAULT_SECTIONS = "".join(SECTIONS)


# --------------------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------------------


def machine() -> str:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor() or "unknown CPU",
    )  # fmt: skip
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if "MemTotal" in line)
    return f"{cpu}, {os.cpu_count()} cores, {mem_kb / 1024 / 1024:.0f} GiB RAM, Python {platform.python_version()}"


def versions() -> str:
    names = ["geoplan", "spopt", "PuLP", "highspy", "PySCIPOpt", "ortools", "numpy", "scipy"]
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def revision() -> str:
    """The commit the run measured, and whether geoplan/ had uncommitted changes (read-only git calls)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT, check=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "geoplan"], capture_output=True, text=True, cwd=ROOT, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head.stdout.strip() + (" with uncommitted changes under geoplan/" if dirty.stdout.strip() else "")


def write_report(path: Path, command: str, body: list[str], elapsed: float, measured: str) -> None:
    header = [
        "",
        "",
        "## Siting solvers (bench/siting.py)",
        "",
        f"Reproduce with one command: `{command}` (`--quick` runs a subset of each section).",
        "",
        f"- Date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Machine: {machine()}",
        f"- Packages: {versions()}",
        f"- geoplan: revision {measured}, copied at the start of the run; every case imports that copy",
        f"- Command: `{command}`, total {elapsed / 60:.1f} min; each case in its own process, run one at a time",
    ]
    if len(SOURCES) == 1:
        header.append(f"- geoplan/siting sources fingerprint (sha1 of its files): {next(iter(SOURCES))}")
    elif len(SOURCES) > 1:
        header.append(
            f"- **geoplan/siting changed while this ran**: {len(SOURCES)} versions of its sources were measured "
            f"({', '.join(f'{k}: {len(v)} cases' for k, v in SOURCES.items())}); compare rows with care."
        )
    header.append("")
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n" + MARKER
    if MARKER not in text:
        text = text.rstrip("\n") + "\n\n" + MARKER
    head, old = text.split(MARKER, 1)
    # Sections after ours that other benchmarks write (a "## " heading other than ours) are kept.
    later = [part for part in old.split("\n## ")[1:] if not part.startswith("Siting solvers")]
    tail = "".join("\n## " + part for part in later)
    path.write_text(head + MARKER + "\n".join(header + body) + "\n" + tail.rstrip("\n") + ("\n" if tail else ""),
                    encoding="utf-8")  # fmt: skip
    print(f"wrote {path}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a subset of every section")
    parser.add_argument("--sections", default=DEFAULT_SECTIONS, help=f"which sections to run (default: "
                        f"{DEFAULT_SECTIONS})")  # fmt: skip
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.case:
        child(options.case)
        return
    started = time.perf_counter()
    measured = revision()
    body = []
    with tempfile.TemporaryDirectory(prefix="geoplan-bench-") as folder:
        # Other people edit geoplan/ while this runs: every case imports one copy taken now, so that all rows
        # measure the same solver.
        shutil.copytree(ROOT / "geoplan", Path(folder) / "geoplan", ignore=shutil.ignore_patterns("__pycache__"))
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [folder, os.environ.get("PYTHONPATH")]))
        for key in options.sections:
            section_started = time.perf_counter()
            body += [*SECTIONS[key](options.quick), ""]
            print(f"section ({key}) done in {time.perf_counter() - section_started:.0f} s", flush=True)
    command = ".venv/bin/python bench/siting.py" + (" --quick" if options.quick else "")
    if options.sections != DEFAULT_SECTIONS:
        command += f" --sections {options.sections}"
    write_report(options.output, command, body, time.perf_counter() - started, measured)
    print(f"total {time.perf_counter() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()
