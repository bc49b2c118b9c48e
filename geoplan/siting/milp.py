"""Exact maximal covering with HiGHS (through highspy), warm-started from the heuristic.

Model, after :mod:`geoplan.siting.reduce` has merged demand points with identical covering sets::

    max  sum_i w_i y_i
    s.t. y_i <= sum_{j covers i} x_j      (each merged demand point)
         sum_j x_j = p
         min_d <= sum_{j in d} x_j <= max_d   (districts)
         x_a + x_b <= 1                    (pairs closer than the minimum spacing)
         x_j = 1 (fixed), x_j = 0 (excluded), x binary, 0 <= y <= 1

``y`` can stay continuous: at an integral ``x`` the best ``y`` is integral. HiGHS's dual bound certifies the gap.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from geoplan.errors import InfeasibleError, SolverError
from geoplan.siting.model import Constraints


@dataclass(frozen=True)
class MilpOutcome:
    """What HiGHS returned: the best sites found (or None), their value, the dual bound and the status."""

    selected: np.ndarray | None
    objective: float
    bound: float
    status: str


def solve(
    coverage: sp.csr_array,
    weights: np.ndarray,
    constraints: Constraints,
    start: np.ndarray | None,
    time_limit: float,
    target_gap: float,
) -> MilpOutcome:
    """Solve the covering MILP.

    Parameters
    ----------
    coverage : scipy.sparse.csr_array
        Candidates x (merged) demand 0/1 matrix.
    weights : numpy.ndarray
        Weight of each (merged) demand column.
    constraints : Constraints
        Validated constraints.
    start : numpy.ndarray or None
        A feasible choice of sites to warm-start from.
    time_limit : float
        Seconds.
    target_gap : float
        Relative gap at which HiGHS may stop.

    Returns
    -------
    MilpOutcome
    """
    n = coverage.shape[0]
    highs = _new_highs()
    highs.setOptionValue("time_limit", float(max(time_limit, 0.01)))
    highs.setOptionValue("mip_rel_gap", float(target_gap))
    highs.setOptionValue("random_seed", 0)
    highs.passModel(_model(coverage, weights, constraints))
    if start is not None:
        solution = highspy.HighsSolution()
        x = np.zeros(n)
        x[start] = 1.0
        y = np.minimum(coverage.T @ x, 1.0)
        solution.col_value = list(np.r_[x, y])
        highs.setSolution(solution)
    highs.run()
    return _outcome(highs, coverage, weights)


def _model(coverage: sp.csr_array, weights: np.ndarray, c: Constraints) -> highspy.HighsLp:
    n, m = coverage.shape
    district_rows, district_low, district_high = _district_rows(c, n)
    conflicts = np.asarray(c.conflicts, dtype=np.int64).reshape(-1, 2)
    k = len(conflicts)
    conflict_rows = sp.csr_array((np.ones(2 * k), (np.repeat(np.arange(k), 2), conflicts.ravel())), shape=(k, n))
    x_block = sp.vstack(
        [-coverage.T.tocsr(), sp.csr_array(np.ones((1, n))), district_rows, conflict_rows], format="csc"
    )
    y_block = sp.vstack([sp.identity(m, format="csr"), sp.csr_array((1 + district_rows.shape[0] + k, m))], format="csc")
    matrix = sp.hstack([x_block, y_block], format="csc")
    matrix.sort_indices()

    lp = highspy.HighsLp()
    lp.num_col_ = n + m
    lp.num_row_ = matrix.shape[0]
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_ = np.r_[np.zeros(n), weights].astype(float)
    lower = np.zeros(n + m)
    upper = np.ones(n + m)
    lower[c.fixed] = 1.0
    upper[c.excluded] = 0.0
    lp.col_lower_ = lower
    lp.col_upper_ = upper
    inf = highspy.kHighsInf
    lp.row_lower_ = np.r_[np.full(m, -inf), [c.p], district_low, np.full(k, -inf)]
    lp.row_upper_ = np.r_[np.zeros(m), [c.p], district_high, np.ones(k)]
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data.astype(float)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n + [highspy.HighsVarType.kContinuous] * m
    return lp


def _outcome(highs: highspy.Highs, coverage: sp.csr_array, weights: np.ndarray) -> MilpOutcome:
    n = coverage.shape[0]
    status = highs.getModelStatus()
    info = highs.getInfo()
    if status == highspy.HighsModelStatus.kInfeasible:
        raise InfeasibleError(
            "No choice of sites satisfies every rule at once (spacing, district minimums and maximums, fixed "
            "sites): lower the minimum spacing or the station count, or relax the district rules."
        )
    if status not in (
        highspy.HighsModelStatus.kOptimal,
        highspy.HighsModelStatus.kTimeLimit,
        highspy.HighsModelStatus.kInterrupt,
        highspy.HighsModelStatus.kSolutionLimit,
    ):
        raise SolverError(f"HiGHS stopped with status {highs.modelStatusToString(status)}.")
    bound = float(info.mip_dual_bound)
    selected = None
    objective = -np.inf
    if info.primal_solution_status >= 2:  # a feasible solution exists
        values = np.asarray(highs.getSolution().col_value[:n])
        selected = np.flatnonzero(values > 0.5)
        objective = float(weights[(coverage.T @ (values > 0.5).astype(float)) > 0].sum())
    label = "optimal" if status == highspy.HighsModelStatus.kOptimal else "time_limit"
    return MilpOutcome(selected=selected, objective=objective, bound=bound, status=label)


_banner_shown = False


def _new_highs() -> highspy.Highs:
    """Create a silent HiGHS instance.

    HiGHS writes a banner to stdout on its first construction in a process, before any
    option can be set; the library never prints, so that one construction runs with stdout pointed at /dev/null.
    """
    global _banner_shown  # noqa: PLW0603 - once per process, mirrors HiGHS's own global
    if _banner_shown:
        highs = highspy.Highs()
    else:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as devnull:
                os.dup2(devnull.fileno(), 1)
                highs = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _banner_shown = True
    highs.setOptionValue("output_flag", False)
    return highs


def _district_rows(c: Constraints, n: int) -> tuple[sp.csr_array, np.ndarray, np.ndarray]:
    minimums, maximums = c.minimums(), c.maximums()
    labels = list(dict.fromkeys([*minimums, *maximums]))
    if not labels:
        return sp.csr_array((0, n)), np.zeros(0), np.zeros(0)
    district = np.asarray(c.district, dtype=object)
    rows, cols = [], []
    for r, label in enumerate(labels):
        members = np.flatnonzero(district == label)
        rows.append(np.full(len(members), r))
        cols.append(members)
    matrix = sp.csr_array(
        (np.ones(sum(len(x) for x in cols)), (np.concatenate(rows), np.concatenate(cols))),
        shape=(len(labels), n),
    )
    low = np.array([minimums.get(label, 0) for label in labels], dtype=float)
    high = np.array([maximums.get(label, highspy.kHighsInf) for label in labels], dtype=float)
    return matrix, low, high
