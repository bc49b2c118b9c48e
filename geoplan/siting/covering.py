"""Maximal covering (MCLP) with district, spacing, fixed-site and quota rules: a plan and a certified upper bound.

:func:`solve_mclp` works from matrices alone (a scipy.sparse candidates x demand 0/1 matrix and demand weights):
greedy and local search find plans, a Lagrangian relaxation bounds them, and HiGHS closes the gap over the sites the
bound cannot rule out.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from geoplan import i18n
from geoplan.errors import InfeasibleError
from geoplan.siting import feasibility, heuristic, lagrangian, milp
from geoplan.siting.model import (
    OPTIMAL_GAP,
    Quota,
    SitingResult,
    check_weights,
    constraints_from,
    designate_city_level,
    gap,
    restrict,
    solve_status,
    validate,
    whole_numbers,
)
from geoplan.siting.reduce import demand_groups, dominated_sites, merge_demand

__all__ = ["MERGE_MIN_SAVING", "MILP_MAX_SITES", "solve_mclp"]

#: Demand columns with the same covering sites are merged into a copy of the matrix only when that removes at least
#: this share of its stored entries; otherwise their weights are folded onto one of them in the matrix as it is (on a
#: whole city's grid of streets merging removes under 1% of the entries, and the copy would double the solve's memory).
MERGE_MIN_SAVING = 0.25

#: Above this many sites left after Lagrangian elimination, HiGHS cannot close the gap in interactive time; the
#: answer then carries the Lagrangian bound.
MILP_MAX_SITES = 5000


def solve_mclp(
    coverage: sp.sparray | sp.spmatrix | np.ndarray,
    weights: Sequence[float] | np.ndarray,
    p: int,
    *,
    district: Sequence[object] | np.ndarray | None = None,
    district_min: Mapping[object, int] | int | None = None,
    district_max: Mapping[object, int] | None = None,
    conflicts: np.ndarray | None = None,
    fixed: Sequence[int] = (),
    excluded: Sequence[int] = (),
    city_level_min: int = 0,
    city_level_fixed: Sequence[int] = (),
    quotas: Sequence[Quota] = (),
    backup_weight: float = 0.0,
    must_cover: sp.sparray | sp.spmatrix | np.ndarray | None = None,
    start: Sequence[int] | None = None,
    multipliers: np.ndarray | None = None,
    time_limit: float = 10.0,
    target_gap: float = 0.0,
    exact: bool = True,
) -> SitingResult:
    """Choose ``p`` sites maximising the covered demand weight.

    Parameters
    ----------
    coverage : sparse matrix or array
        Candidates x demand; nonzero where the candidate covers the demand point.
    weights : array-like
        Demand weights (workers), one per column.
    p : int
        Number of sites, fixed ones included.
    district, district_min, district_max
        District label per candidate and minimum (int for all, or per label) / maximum per label.
    conflicts : numpy.ndarray, optional
        (k, 2) candidate pairs that may not both be chosen, e.g. from :func:`spacing_conflicts`.
    fixed, excluded : sequence of int
        Candidates always / never chosen.
    city_level_min : int
        Number of chosen sites to designate city-level (the highest-covering ones after ``city_level_fixed``).
    city_level_fixed : sequence of int
        Fixed sites already designated city-level.
    quotas : sequence of Quota
        Further per-label minimums/maximums (e.g. at most k stations open 24 hours).
    backup_weight : float
        Cross coverage (交叉覆盖) as a second objective: each worker covered by two or more stations adds this
        fraction of its weight again (0: plain maximal covering).
    must_cover : sparse matrix or array, optional
        Candidates x points that must each be within reach of a station (the maximum-gap rule: a point's row
        holds the sites within its maximum distance).
    start : sequence of int, optional
        A previous plan to start from (re-optimisation after a planner's change).
    multipliers : numpy.ndarray, optional
        A previous result's ``multipliers`` (one per demand column): the bound starts from them instead of from
        scratch, which makes re-optimisation's bound nearly free.
    time_limit : float
        Seconds for the whole solve.
    target_gap : float
        Relative gap at which the exact phase may stop early (0.005 = 0.5%); 0 (the default) stops only at a
        proven optimum or at the time limit.
    exact : bool
        Prove a bound after the heuristic (Lagrangian, then MILP); without it the bound is the total weight.

    Returns
    -------
    SitingResult
        Selected indices, objective, upper bound, gap and the city-level designation; ``details`` holds the
        weight covered once and twice.

    Raises
    ------
    InfeasibleError
        No plan meets the rules (proven); the message names the rules that bind.
    SolverError
        Within the time limit no plan was found and none was proven impossible.
    """
    started = time.perf_counter()
    matrix = _binary(coverage)
    w = check_weights(weights, matrix.shape, "coverage")
    constraints = validate(
        matrix.shape[0],
        constraints_from(p, district, district_min, district_max, conflicts, fixed, excluded, city_level_min,
                     city_level_fixed, quotas),
    )  # fmt: skip
    if not 0 <= target_gap < 1:
        raise i18n.input_error("target_gap_range", value=target_gap)
    stop_gap = max(float(target_gap), OPTIMAL_GAP)  # floating-point noise is no gap
    if backup_weight < 0 or not np.isfinite(backup_weight):
        raise i18n.input_error("backup_weight_not_number", value=backup_weight)
    usable = np.ones(matrix.shape[0], dtype=bool)
    usable[constraints.excluded] = False
    must = _must_cover(must_cover, matrix.shape[0], usable)
    if start is not None:
        start = np.asarray(start, dtype=np.int64).ravel()
        if len(start) and (start.min() < 0 or start.max() >= matrix.shape[0]):
            raise i18n.input_error("candidate_index_range", name="start", last=matrix.shape[0] - 1)
    reduced, reduced_w, column_of = demand_groups(matrix, w, usable, min_saving=MERGE_MIN_SAVING)
    initial = None
    if multipliers is not None:
        initial = _merge_multipliers(np.asarray(multipliers, dtype=float), column_of, len(reduced_w), len(w))
    budget = max(time_limit, 0.05)
    deadline = started + 0.9 * budget  # leave room for the final bookkeeping: time_limit is a ceiling
    options = {"backup": backup_weight, "must_cover": must}
    learned = None
    try:
        selected = heuristic.greedy_swap(
            reduced,
            reduced_w,
            constraints,
            start=start,
            **options,
            time_limit=min(budget * (0.25 if exact else 1.0), max(deadline - time.perf_counter(), 0.01)),
        )
    except InfeasibleError:
        # Greedy can paint itself into a corner (spacing rules once coverage saturates, say): whether a plan exists
        # is decided exactly, and the plan found is then improved by swaps.
        found = feasibility.find_plan(len(usable), constraints, must, time_limit=max(deadline - time.perf_counter(),
                                                                                      1.0))  # fmt: skip
        selected = heuristic.descend(reduced, reduced_w, constraints, found, 0.1 * budget, **options)
    objective = milp.coverage_value(reduced, reduced_w, selected, backup_weight)
    bound, method = float(reduced_w.sum()) * (1.0 + backup_weight), "greedy+swap"
    if not exact and gap(objective, bound) > stop_gap:
        selected = heuristic.improve(
            reduced, reduced_w, constraints, selected, deadline - time.perf_counter(), target=bound, **options
        )
        objective = milp.coverage_value(reduced, reduced_w, selected, backup_weight)
        method = "greedy+swap, iterated local search"
    if exact and gap(objective, bound) > stop_gap:
        if backup_weight > 0:
            # The Lagrangian bound below is for plain coverage; cross coverage goes to the MILP directly.
            outcome = milp.solve(reduced, reduced_w, constraints, selected, deadline - time.perf_counter(),
                                 stop_gap, **options)  # fmt: skip
            if outcome.selected is not None and outcome.objective > objective + 1e-9:
                selected, objective = outcome.selected, outcome.objective
            bound, method = min(bound, max(outcome.bound, objective)), "greedy+swap, HiGHS"
        else:
            selected, objective, bound, method, final = _covering_bound(
                reduced, reduced_w, constraints, selected, objective, bound, deadline, stop_gap, must, initial
            )
            learned = _split_multipliers(final, column_of, w, reduced_w)
    if backup_weight == 0 and whole_numbers(w):
        # Integer weights: no plan covers a fraction of a worker, so the bound rounds down to a whole number.
        bound = np.floor(bound + 1e-9 * max(1.0, abs(bound)))
    bound = max(bound, objective)
    status = solve_status(gap(objective, bound), target_gap, exact)
    station_value = matrix @ w
    return SitingResult(
        selected=np.sort(selected),
        objective=objective,
        bound=bound,
        gap=gap(objective, bound),
        status=status,
        method=method,
        seconds=time.perf_counter() - started,
        city_level=designate_city_level(np.sort(selected), station_value, constraints),
        details={
            "covered": milp.coverage_value(matrix, w, selected),
            "covered_twice": milp.coverage_value(matrix, w, selected, 1.0) - milp.coverage_value(matrix, w, selected),
        },
        multipliers=learned,
    )


def _merge_multipliers(multipliers: np.ndarray, column_of: np.ndarray, merged: int, n: int) -> np.ndarray:
    """Warm-start multipliers per original column, summed onto the merged columns."""
    if multipliers.shape != (n,):
        raise i18n.input_error("multipliers_count", given=multipliers.shape[0], n=n)
    kept = column_of >= 0
    return np.bincount(column_of[kept], weights=np.maximum(multipliers[kept], 0.0), minlength=merged)


def _split_multipliers(merged: np.ndarray, column_of: np.ndarray, weights: np.ndarray, merged_weights: np.ndarray):
    """Multipliers of merged columns shared out to the original columns in proportion to their weight."""
    out = np.zeros(len(column_of))
    kept = column_of >= 0
    share = np.divide(weights[kept], merged_weights[column_of[kept]], out=np.zeros(int(kept.sum())),
                      where=merged_weights[column_of[kept]] > 0)  # fmt: skip
    out[kept] = merged[column_of[kept]] * share
    return out


def _covering_bound(coverage, weights, constraints, selected, objective, bound, deadline, target_gap, must, initial):
    """Lagrangian bound, local search, then the MILP (few sites left) or more bound; returns the improved answer.

    Time left is shared: 40% to a first bound; when the sites it keeps make a small MILP, HiGHS gets a short try
    at it (easy instances end there, proven); then iterated local search (which stops early once the plan is
    within the target gap) gets 10% of the rest, and 40% of what then remains when too many sites survive for
    the MILP; the remainder goes to the MILP over the surviving sites or, when too many sites survive for the MILP, to
    tightening the bound from the multipliers reached and then to more local search.
    """
    relaxed = lagrangian.bound(
        coverage, weights, constraints, objective, target_gap, time_limit=0.4 * (deadline - time.perf_counter()),
        initial=initial,
    )  # fmt: skip
    bound = min(bound, relaxed.bound)
    method = "greedy+swap, Lagrangian bound"
    best = _lagrangian_plan(coverage, weights, constraints, relaxed, objective, deadline, must)
    if best is not None and milp.coverage_value(coverage, weights, best) > objective + 1e-9:
        selected, objective = best, milp.coverage_value(coverage, weights, best)
        method = "greedy+swap, Lagrangian heuristic, Lagrangian bound"
    best = selected
    keep = relaxed.site_bound >= objective
    if gap(objective, bound) > target_gap and _small_milp(coverage, keep) and _time_for_milp(coverage, keep, deadline):
        # Easy instances: a short MILP over the surviving sites often proves the optimum outright, faster than
        # local search could match the bound; when it does not, its bound still holds and the search goes on.
        early = time.perf_counter() + min(EARLY_MILP_SHARE * (deadline - time.perf_counter()), EARLY_MILP_SECONDS)
        selected, objective, bound, method = _exact(
            coverage, weights, constraints, selected, objective, relaxed.site_bound, early, target_gap, bound, must
        )
        best = selected
        if gap(objective, bound) <= target_gap:
            return selected, objective, bound, method, relaxed.multipliers
    # Local search in two rounds: a short one, enough when few enough sites then survive for the MILP to finish
    # the job, and a longer one when the plan it finds is the answer.
    for share, patience in ((0.1, heuristic.ILS_PATIENCE // 4), (0.4, heuristic.ILS_PATIENCE)):
        value = milp.coverage_value(coverage, weights, best)
        if gap(value, bound) <= target_gap or (
            share > 0.1 and np.count_nonzero(relaxed.site_bound >= value) <= MILP_MAX_SITES
        ):
            break
        best = heuristic.improve(
            coverage, weights, constraints, best, share * (deadline - time.perf_counter()), must_cover=must,
            target=bound * (1.0 - target_gap), patience=patience,
        )  # fmt: skip
    value = milp.coverage_value(coverage, weights, best)
    if value > objective + 1e-9:
        selected, objective, method = best, value, "greedy+swap, iterated local search, Lagrangian bound"
    survivors = int(np.count_nonzero(relaxed.site_bound >= objective))
    if gap(objective, bound) > target_gap and survivors > MILP_MAX_SITES:
        # Too many sites left for the MILP: spend the rest of the time tightening the bound.
        relaxed = lagrangian.bound(
            coverage, weights, constraints, objective, target_gap, time_limit=deadline - time.perf_counter(),
            max_iterations=100_000, initial=relaxed.multipliers,
        )  # fmt: skip
        bound = min(bound, relaxed.bound)
        survivors = int(np.count_nonzero(relaxed.site_bound >= objective))
        if gap(objective, bound) > target_gap:
            # The bound has converged: what time is left goes to finding a better plan, round after round of
            # local search with fresh kicks (each round ends when its kicks stop paying off).
            seed = 1
            while gap(objective, bound) > target_gap and deadline - time.perf_counter() > 0.01:
                best = heuristic.improve(
                    coverage, weights, constraints, selected, deadline - time.perf_counter(), must_cover=must,
                    target=bound * (1.0 - target_gap), patience=4 * heuristic.ILS_PATIENCE, seed=seed,
                )  # fmt: skip
                seed += 1
                value = milp.coverage_value(coverage, weights, best)
                if value > objective + 1e-9:
                    selected, objective, method = best, value, "greedy+swap, iterated local search, Lagrangian bound"
            survivors = int(np.count_nonzero(relaxed.site_bound >= objective))
    if (
        gap(objective, bound) > target_gap
        and survivors <= MILP_MAX_SITES
        and _time_for_milp(coverage, relaxed.site_bound >= objective, deadline)
    ):
        selected, objective, bound, method = _exact(
            coverage, weights, constraints, selected, objective, relaxed.site_bound, deadline, target_gap, bound, must
        )
    return selected, objective, bound, method, relaxed.multipliers


def _lagrangian_plan(coverage, weights, constraints, relaxed, objective, deadline, must) -> np.ndarray | None:
    """Repair the best relaxed choice of sites under the rules (the Lagrangian heuristic).

    None when the relaxed choice is worth no more than ``objective`` or cannot be repaired.
    """
    if relaxed.best_value <= objective + 1e-9:
        return None
    with contextlib.suppress(InfeasibleError):
        return heuristic.greedy_swap(
            coverage, weights, constraints, time_limit=0.05 * (deadline - time.perf_counter()),
            start=relaxed.best_sites, must_cover=must,
        )  # fmt: skip
    return None


#: Seconds HiGHS needs to take in a covering model, per stored coverage entry (measured: building and passing a
#: 1.6 million entry model takes about 3 s on the benchmark machine), plus a fixed start-up.
MILP_SECONDS_PER_ENTRY = 2e-6
MILP_MIN_SECONDS = 0.2


#: An early, short MILP is tried when the sites the first bound keeps hold at most this many coverage entries (the
#: plain model then takes HiGHS well under a second to load), for at most this share of the time left and seconds.
EARLY_MILP_ENTRIES = 40_000
EARLY_MILP_SHARE = 0.15
EARLY_MILP_SECONDS = 3.0


def _small_milp(coverage: sp.csr_array, keep: np.ndarray) -> bool:
    """Tell whether the MILP over the kept sites is small enough to try before local search."""
    return int(keep.sum()) <= MILP_MAX_SITES and int(np.diff(coverage.indptr)[keep].sum()) <= EARLY_MILP_ENTRIES


def _time_for_milp(coverage: sp.csr_array, keep: np.ndarray, deadline: float) -> bool:
    """Tell whether enough time is left to build the MILP over the kept sites and still search a little."""
    entries = int(np.diff(coverage.indptr)[keep].sum())
    return deadline - time.perf_counter() > MILP_MIN_SECONDS + 2 * MILP_SECONDS_PER_ENTRY * entries


def _binary(coverage) -> sp.csr_array:
    """Return the 0/1 float CSR matrix of ``coverage``'s nonzero pattern.

    The caller's matrix is never changed (a prepared model's is shared and read-only): it is used as it is when it
    already is one (a prepared model's is, and copying it would double the solve's memory), copied otherwise.
    """
    if (
        isinstance(coverage, sp.csr_array | sp.csr_matrix)
        and coverage.dtype == np.float64
        and coverage.has_canonical_format
        and np.all(coverage.data == 1.0)
    ):
        return sp.csr_array(coverage)
    matrix = sp.csr_array(coverage, dtype=float, copy=True)
    matrix.data = (matrix.data != 0).astype(float)
    matrix.eliminate_zeros()
    return matrix


def _must_cover(must_cover, n: int, usable: np.ndarray) -> sp.csr_array | None:
    """Distinct must-cover columns; refuse points that no usable site can reach."""
    if must_cover is None:
        return None
    must = _binary(must_cover)
    if must.shape[0] != n:
        raise i18n.input_error("must_cover_rows", rows=must.shape[0], n=n)
    reachable = (sp.diags_array(usable.astype(float)) @ must).sum(axis=0) > 0
    if not np.all(reachable):
        raise i18n.coded_error(InfeasibleError, "gap_unreachable", count=int((~reachable).sum()))
    merged, _ = merge_demand(must, np.ones(must.shape[1]), usable)
    return merged


def _exact(coverage, weights, constraints, incumbent, objective, site_bound, deadline, target_gap, bound, must):
    """MILP over the sites the Lagrangian bound cannot rule out, warm-started from the incumbent.

    A site whose bound is below the incumbent's value belongs to no better plan, so the MILP's answer over the
    survivors is optimal overall and its dual bound, raised to the best eliminated site's bound, is a global bound.
    """
    keep = site_bound >= objective - 1e-9 * max(1.0, abs(objective))
    keep[incumbent] = True
    keep[constraints.fixed] = True
    eliminated_bound = float(site_bound[~keep].max(initial=-np.inf))
    if must is None and not len(constraints.conflicts) and not constraints.all_quotas():
        # Plain covering: a surviving site whose coverage another survivor contains is never needed.
        protected = np.zeros(len(keep), dtype=bool)
        protected[incumbent] = True
        protected[constraints.fixed] = True
        dominated = np.zeros(len(keep), dtype=bool)
        dominated[keep] = dominated_sites(
            coverage[np.flatnonzero(keep)], np.ones(int(keep.sum()), bool), protected[keep]
        )
        if (keep & ~dominated).sum() > constraints.p:
            keep &= ~dominated
    survivors = np.flatnonzero(keep)
    sub_constraints = restrict(constraints, survivors)
    sub_coverage, sub_weights = merge_demand(coverage[survivors], weights, np.ones(len(survivors), dtype=bool))
    # Demand no survivor covers cannot be won by any better plan: the sub-model's bound covers everything else.
    start = np.searchsorted(survivors, incumbent)
    sub_must = None if must is None else must[survivors]
    outcome = milp.solve(
        sub_coverage, sub_weights, sub_constraints, start, deadline - time.perf_counter(), target_gap,
        must_cover=sub_must,
    )  # fmt: skip
    method = f"greedy+swap, Lagrangian elimination ({len(survivors)} of {len(site_bound)} sites), HiGHS"
    selected = incumbent
    if outcome.selected is not None:
        value = milp.coverage_value(coverage, weights, survivors[outcome.selected])
        if value > objective + 1e-9:
            selected, objective = survivors[outcome.selected], value
    global_bound = min(bound, max(outcome.bound, eliminated_bound, objective))
    return selected, objective, global_bound, method
