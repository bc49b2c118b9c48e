"""Peer solvers for the plain compact maximal covering model, to run beside geoplan in bench/siting.py.

The model every peer gets (no reduction beyond dropping demand no candidate covers, which has no variable):

    max  sum_i w_i y_i
    s.t. y_i <= sum_{j covers i} x_j    for every coverable demand point i
         sum_j x_j = p
         x_j in {0, 1},  0 <= y_i <= 1  (y_i in {0, 1} for CP-SAT, which has no continuous variables)

Each solver returns a :class:`PeerResult`; the benchmark re-evaluates the objective from ``selected`` itself.
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

#: Powers of ten tried to make the weights integers for CP-SAT; the largest is used (rounded) when none is exact.
CPSAT_SCALES = (1, 10, 100, 1000)


@dataclass(frozen=True)
class PeerResult:
    """What one peer solver found: sites, its own objective and dual bound, and how long it took.

    ``bound`` is an upper bound on the optimum in the instance's own weights (None if the solver gives none);
    ``proven`` means the solver proved its plan optimal; ``solve_s`` is the solver's time alone, ``build_s`` the
    time to build its model from the coverage matrix.
    """

    selected: np.ndarray
    objective: float | None
    bound: float | None
    proven: bool
    status: str
    solve_s: float
    build_s: float
    details: dict = field(default_factory=dict)


def demand_rows(coverage: sp.sparray) -> tuple[np.ndarray, sp.csr_array]:
    """Indices of the coverable demand points and the demand x candidates 0/1 matrix restricted to them."""
    by_demand = sp.csr_array(sp.csr_array(coverage).T)
    by_demand.sum_duplicates()
    coverable = np.flatnonzero(np.diff(by_demand.indptr) > 0)
    return coverable, sp.csr_array(by_demand[coverable])


def solve_scip(coverage: sp.sparray, weights: np.ndarray, p: int, time_limit: float) -> PeerResult:
    """SCIP (pyscipopt) on the compact model, default settings, ``limits/time = time_limit``.

    SCIP's ``optimize()`` is single-threaded (its concurrent mode is a separate, experimental entry point).
    """
    from pyscipopt import Model, quicksum

    started = time.perf_counter()
    coverable, rows = demand_rows(coverage)
    model = Model("mclp")
    model.hideOutput()
    x = [model.addVar(vtype="B", name=f"x{j}") for j in range(coverage.shape[0])]
    y = [model.addVar(lb=0.0, ub=1.0, obj=float(weights[i]), name=f"y{i}") for i in coverable]
    for k in range(len(coverable)):
        cols = rows.indices[rows.indptr[k] : rows.indptr[k + 1]]
        model.addCons(quicksum(x[j] for j in cols) - y[k] >= 0)
    model.addCons(quicksum(x) == p)
    model.setMaximize()
    model.setParam("limits/time", float(time_limit))
    build_s = time.perf_counter() - started
    model.optimize()
    status = model.getStatus()
    found = model.getNSols() > 0
    selected = np.zeros(0, dtype=np.int64)
    if found:
        best = model.getBestSol()
        selected = np.asarray([j for j, v in enumerate(x) if model.getSolVal(best, v) > 0.5], dtype=np.int64)
    return PeerResult(
        selected=selected, objective=float(model.getObjVal()) if found else None,
        bound=float(model.getDualbound()), proven=status == "optimal", status=status,
        solve_s=float(model.getSolvingTime()), build_s=build_s,
        details={"scip_gap": float(model.getGap()) if found else None, "nodes": int(model.getNNodes())},
    )  # fmt: skip


def integer_scale(weights: np.ndarray) -> tuple[int, bool]:
    """The smallest of :data:`CPSAT_SCALES` that makes every weight a whole number, or the largest and False."""
    for scale in CPSAT_SCALES:
        scaled = weights * scale
        if np.allclose(scaled, np.round(scaled), rtol=0.0, atol=1e-6):
            return scale, True
    return CPSAT_SCALES[-1], False


def solve_cpsat(coverage: sp.sparray, weights: np.ndarray, p: int, time_limit: float, workers: int = 2) -> PeerResult:
    """OR-Tools CP-SAT on the compact model (``y_i`` boolean, ``bool_or(x_j for j covering i, not y_i)``).

    CP-SAT needs integer objective coefficients: the weights are multiplied by ``scale`` from
    :func:`integer_scale` and rounded. When that is exact, the bound divided by ``scale`` is a bound in the
    instance's weights; when not, each covered point's rounding error (at most ``0.5 / scale``) is added to the
    bound, and a CP-SAT "optimal" is not reported as proven.
    """
    from ortools.sat.python import cp_model

    started = time.perf_counter()
    coverable, rows = demand_rows(coverage)
    scale, exact = integer_scale(weights)
    scaled = np.round(weights[coverable] * scale).astype(np.int64)
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{j}") for j in range(coverage.shape[0])]
    y = [model.new_bool_var(f"y{i}") for i in coverable]
    for k in range(len(coverable)):
        cols = rows.indices[rows.indptr[k] : rows.indptr[k + 1]]
        model.add_bool_or([x[j] for j in cols] + [y[k].Not()])
    model.add(cp_model.LinearExpr.sum(x) == p)
    model.maximize(cp_model.LinearExpr.weighted_sum(y, scaled.tolist()))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit)
    solver.parameters.num_workers = workers
    build_s = time.perf_counter() - started
    code = solver.solve(model)
    status = solver.status_name(code)
    found = code in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    selected = np.zeros(0, dtype=np.int64)
    if found:
        selected = np.asarray([j for j, v in enumerate(x) if solver.boolean_value(v)], dtype=np.int64)
    rounding = 0.0 if exact else 0.5 / scale * len(coverable)
    raw_bound = float(solver.best_objective_bound)
    bound = raw_bound / scale + rounding if np.isfinite(raw_bound) and code != cp_model.MODEL_INVALID else None
    return PeerResult(
        selected=selected, objective=solver.objective_value / scale if found else None, bound=bound,
        proven=bool(code == cp_model.OPTIMAL and exact), status=status, solve_s=float(solver.wall_time),
        build_s=build_s, details={"scale": scale, "exact_scale": exact, "workers": workers},
    )  # fmt: skip


def greedy(coverage: sp.sparray, weights: np.ndarray, p: int) -> PeerResult:
    """Lazy greedy: repeatedly open the candidate adding the most uncovered weight (stale gains re-checked).

    Greedy proves nothing, so it reports no bound.
    """
    started = time.perf_counter()
    matrix = sp.csr_array(coverage)
    matrix.sum_duplicates()
    weights = np.asarray(weights, dtype=float)
    uncovered = np.ones(matrix.shape[1], dtype=bool)
    start, columns = matrix.indptr, matrix.indices

    def gain(j: int) -> float:
        cols = columns[start[j] : start[j + 1]]
        return float(weights[cols[uncovered[cols]]].sum())

    heap = [(-gain(j), j) for j in range(matrix.shape[0])]
    heapq.heapify(heap)
    chosen: list[int] = []
    while heap and len(chosen) < p:
        _, j = heapq.heappop(heap)
        fresh = gain(j)
        if heap and fresh < -heap[0][0] - 1e-12:  # another candidate's (possibly stale) gain is higher
            heapq.heappush(heap, (-fresh, j))
            continue
        chosen.append(j)
        uncovered[columns[start[j] : start[j + 1]]] = False
    selected = np.sort(np.asarray(chosen, dtype=np.int64))
    objective = float(weights[~uncovered].sum())
    return PeerResult(selected=selected, objective=objective, bound=None, proven=False, status="heuristic",
                      solve_s=time.perf_counter() - started, build_s=0.0)  # fmt: skip


#: Peer solvers by case kind, each taking (coverage, weights, p, time_limit).
PEERS = {
    "scip": solve_scip,
    "cpsat": solve_cpsat,
    "greedy": lambda coverage, weights, p, time_limit: greedy(coverage, weights, p),
}
