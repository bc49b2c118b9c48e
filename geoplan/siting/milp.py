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
import pandas as pd
import scipy.sparse as sp

from geoplan import i18n
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
    backup: float = 0.0,
    must_cover: sp.csr_array | None = None,
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
    backup : float
        Weight of second coverage (cross coverage); adds ``y2_i <= y1_i``, ``y1_i + y2_i <= sum_j a_ij x_j``.
    must_cover : scipy.sparse.csr_array, optional
        Candidates x points that must each be covered: ``sum_j m_ij x_j >= 1``.

    Returns
    -------
    MilpOutcome
    """
    n, m = coverage.shape
    rows, low, high = site_rows(constraints, n)
    inf = highspy.kHighsInf
    eye = sp.identity(m, format="csr")
    levels = 2 if backup > 0 else 1
    blocks = [[-coverage.T.tocsr(), *([eye] * levels)]]
    row_low, row_high = [np.full(m, -inf)], [np.zeros(m)]
    if levels == 2:
        blocks.append([sp.csr_array((m, n)), -eye, eye])
        row_low.append(np.full(m, -inf))
        row_high.append(np.zeros(m))
    if must_cover is not None and must_cover.shape[1]:
        k = must_cover.shape[1]
        blocks.append([must_cover.T.tocsr(), *([sp.csr_array((k, m))] * levels)])
        row_low.append(np.ones(k))
        row_high.append(np.full(k, inf))
    blocks.append([rows, *([sp.csr_array((rows.shape[0], m))] * levels)])
    row_low.append(low)
    row_high.append(high)
    matrix = sp.vstack([sp.hstack(block) for block in blocks], format="csc")
    x_low, x_high = site_bounds(constraints, n)
    start_values = None
    if start is not None:
        x = np.zeros(n)
        x[start] = 1.0
        count = coverage.T @ x
        start_values = np.r_[x, np.minimum(count, 1.0), *([np.clip(count - 1.0, 0.0, 1.0)] if levels == 2 else [])]
    values, bound, status = run(
        cost=np.r_[np.zeros(n), weights, *([backup * weights] if levels == 2 else [])],
        maximise=True,
        matrix=matrix,
        row_low=np.concatenate(row_low),
        row_high=np.concatenate(row_high),
        col_low=np.r_[x_low, np.zeros(levels * m)],
        col_high=np.r_[x_high, np.ones(levels * m)],
        integer=n,
        start=start_values,
        time_limit=time_limit,
        target_gap=target_gap,
    )
    if values is None:
        return MilpOutcome(None, -np.inf, bound, status)
    selected = np.flatnonzero(values[:n] > 0.5)
    return MilpOutcome(selected, coverage_value(coverage, weights, selected, backup), bound, status)


def coverage_value(coverage: sp.csr_array, weights: np.ndarray, selected: np.ndarray, backup: float = 0.0) -> float:
    """Covered weight of a choice of sites, plus ``backup`` times the weight covered at least twice."""
    hit = np.zeros(coverage.shape[0])
    hit[np.asarray(selected, dtype=np.int64)] = 1.0
    count = coverage.T @ hit
    return float(weights @ ((count > 0) + backup * (count > 1)))


def site_rows(c: Constraints, n: int) -> tuple[sp.csr_array, np.ndarray, np.ndarray]:
    """Rows over the site variables: the station count, district minimums/maximums and spacing conflicts.

    Returns the (rows x n) matrix and the rows' lower and upper bounds.
    """
    district_rows, district_low, district_high = _quota_rows(c, n)
    conflicts = np.asarray(c.conflicts, dtype=np.int64).reshape(-1, 2)
    k = len(conflicts)
    conflict_rows = sp.csr_array((np.ones(2 * k), (np.repeat(np.arange(k), 2), conflicts.ravel())), shape=(k, n))
    matrix = sp.vstack([sp.csr_array(np.ones((1, n))), district_rows, conflict_rows], format="csr")
    low = np.r_[[c.p], district_low, np.full(k, -highspy.kHighsInf)]
    high = np.r_[[c.p], district_high, np.ones(k)]
    return matrix, low, high


def site_bounds(c: Constraints, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of the site variables: 1 for fixed sites, 0 for excluded ones."""
    low, high = np.zeros(n), np.ones(n)
    low[c.fixed] = 1.0
    high[c.excluded] = 0.0
    return low, high


def run(
    cost: np.ndarray,
    maximise: bool,
    matrix: sp.csc_array,
    row_low: np.ndarray,
    row_high: np.ndarray,
    col_low: np.ndarray,
    col_high: np.ndarray,
    integer: int,
    start: np.ndarray | None,
    time_limit: float,
    target_gap: float,
) -> tuple[np.ndarray | None, float, str]:
    """Solve a MILP whose first ``integer`` columns are integral; return (values or None, dual bound, status).

    Raises
    ------
    InfeasibleError
        HiGHS proved that no choice satisfies the rows.
    SolverError
        HiGHS stopped for another reason.
    """
    matrix = sp.csc_array(matrix)
    if not matrix.has_sorted_indices:
        matrix = matrix.sorted_indices()  # a sorted copy: the caller's matrix is never changed
    lp = highspy.HighsLp()
    lp.num_col_ = matrix.shape[1]
    lp.num_row_ = matrix.shape[0]
    lp.sense_ = highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
    lp.col_cost_ = np.asarray(cost, dtype=float)
    lp.col_lower_ = np.asarray(col_low, dtype=float)
    lp.col_upper_ = np.asarray(col_high, dtype=float)
    lp.row_lower_ = np.asarray(row_low, dtype=float)
    lp.row_upper_ = np.asarray(row_high, dtype=float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data.astype(float)
    continuous = matrix.shape[1] - integer
    lp.integrality_ = [highspy.HighsVarType.kInteger] * integer + [highspy.HighsVarType.kContinuous] * continuous
    highs = _new_highs()
    highs.setOptionValue("time_limit", float(max(time_limit, 0.01)))
    highs.setOptionValue("mip_rel_gap", float(target_gap))
    highs.setOptionValue("random_seed", 0)
    highs.passModel(lp)
    if start is not None:
        solution = highspy.HighsSolution()
        solution.col_value = list(np.asarray(start, dtype=float))
        highs.setSolution(solution)
    highs.run()
    status = highs.getModelStatus()
    info = highs.getInfo()
    if status == highspy.HighsModelStatus.kInfeasible:
        raise i18n.coded_error(InfeasibleError, "no_choice_meets_rules")
    if status not in (
        highspy.HighsModelStatus.kOptimal,
        highspy.HighsModelStatus.kTimeLimit,
        highspy.HighsModelStatus.kInterrupt,
        highspy.HighsModelStatus.kSolutionLimit,
    ):
        raise i18n.coded_error(SolverError, "solver_stopped", status=highs.modelStatusToString(status))
    values = np.asarray(highs.getSolution().col_value) if info.primal_solution_status >= 2 else None
    label = "optimal" if status == highspy.HighsModelStatus.kOptimal else "time_limit"
    return values, float(info.mip_dual_bound), label


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


def _quota_rows(c: Constraints, n: int) -> tuple[sp.csr_array, np.ndarray, np.ndarray]:
    matrices, low, high = [], [], []
    for quota in c.all_quotas():
        codes, uniques = pd.factorize(np.asarray(quota.labels, dtype=object))
        bounded = [i for i, label in enumerate(uniques) if label in quota.minimum or label in quota.maximum]
        if not bounded:
            continue
        row_of = np.full(len(uniques), -1)
        row_of[bounded] = np.arange(len(bounded))
        member = row_of[codes] >= 0
        matrices.append(
            sp.csr_array(
                (np.ones(int(member.sum())), (row_of[codes[member]], np.flatnonzero(member))), shape=(len(bounded), n)
            )
        )
        low += [float(quota.minimum.get(uniques[i], 0)) for i in bounded]
        high += [float(quota.maximum.get(uniques[i], highspy.kHighsInf)) for i in bounded]
    if not matrices:
        return sp.csr_array((0, n)), np.zeros(0), np.zeros(0)
    return sp.vstack(matrices, format="csr"), np.asarray(low), np.asarray(high)
