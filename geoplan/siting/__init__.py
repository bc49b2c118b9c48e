"""Choose station sites: maximal covering with district, spacing and fixed-site rules, with a certified gap.

Entry point: :func:`solve_mclp` works from matrices alone (a scipy.sparse candidates x demand 0/1 matrix and
demand weights), so the model can be checked on textbook instances; :mod:`geoplan.plan` builds those matrices from
a study area.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from geoplan.errors import InfeasibleError, InputError
from geoplan.siting import heuristic, lagrangian, milp, pmedian
from geoplan.siting.model import (
    Constraints,
    SitingResult,
    designate_city_level,
    gap,
    restrict,
    spacing_conflicts,
    validate,
)
from geoplan.siting.reduce import merge_demand

#: Above this many sites left after Lagrangian elimination, HiGHS cannot close the gap in interactive time; the
#: answer then carries the Lagrangian bound.
MILP_MAX_SITES = 5000

__all__ = ["Constraints", "SitingResult", "solve_mclp", "solve_pmedian", "spacing_conflicts"]


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
    time_limit: float = 10.0,
    target_gap: float = 0.005,
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
    time_limit : float
        Seconds for the whole solve.
    target_gap : float
        Relative gap at which the exact phase may stop (0.005 = 0.5%).
    exact : bool
        Run the MILP after the heuristic; without it the bound is the LP-free trivial bound.

    Returns
    -------
    SitingResult
        Selected indices, covered weight, upper bound, gap and the city-level designation.

    Raises
    ------
    InfeasibleError
        The rules cannot all be met; the message names the cause.
    """
    started = time.perf_counter()
    matrix = sp.csr_array(coverage, dtype=float)
    matrix.data = (matrix.data != 0).astype(float)
    matrix.eliminate_zeros()
    w = _weights(weights, matrix.shape, "coverage")
    constraints = validate(
        matrix.shape[0],
        _constraints(p, district, district_min, district_max, conflicts, fixed, excluded, city_level_min,
                     city_level_fixed),
    )  # fmt: skip
    usable = np.ones(matrix.shape[0], dtype=bool)
    usable[constraints.excluded] = False
    reduced, reduced_w = merge_demand(matrix, w, usable)
    budget = max(time_limit, 0.05)
    deadline = started + budget
    try:
        selected = heuristic.greedy_swap(reduced, reduced_w, constraints, time_limit=budget * (0.25 if exact else 1.0))
    except InfeasibleError:
        if not exact:
            raise
        # Greedy can paint itself into a corner with spacing rules; the MILP decides whether a plan exists.
        selected = _milp_from_scratch(reduced, reduced_w, constraints, deadline, target_gap)
    objective = _covered(reduced, reduced_w, selected)
    bound, method = float(reduced_w.sum()), "greedy+swap"
    if exact and gap(objective, bound) > target_gap:
        relaxed = lagrangian.bound(
            reduced, reduced_w, constraints, objective, target_gap, time_limit=0.5 * (deadline - time.perf_counter())
        )  # fmt: skip
        survivors = int(np.count_nonzero(relaxed.site_bound >= objective))
        if gap(objective, relaxed.bound) > target_gap and survivors > MILP_MAX_SITES:
            # Too many sites left for the MILP: spend the rest of the time tightening the bound.
            relaxed = lagrangian.bound(
                reduced, reduced_w, constraints, objective, target_gap, time_limit=deadline - time.perf_counter(),
                max_iterations=100_000, initial=relaxed.multipliers,
            )  # fmt: skip
            survivors = int(np.count_nonzero(relaxed.site_bound >= objective))
        bound = min(bound, relaxed.bound)
        method = "greedy+swap, Lagrangian bound"
        if gap(objective, bound) > target_gap and survivors <= MILP_MAX_SITES:
            selected, objective, bound, method = _exact(
                reduced,
                reduced_w,
                constraints,
                selected,
                objective,
                relaxed.site_bound,
                deadline,
                target_gap,
                bound,
            )
    bound = max(bound, objective)
    status = "optimal" if gap(objective, bound) <= target_gap + 1e-12 else ("time_limit" if exact else "heuristic")
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
    )


def solve_pmedian(
    cost: sp.sparray | sp.spmatrix | np.ndarray,
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
    time_limit: float = 10.0,
    target_gap: float = 0.005,
    exact: bool = True,
) -> SitingResult:
    """Choose ``p`` sites minimising the total weighted distance from each demand point to its nearest site.

    Parameters
    ----------
    cost : array or sparse matrix
        Candidates x demand distances (metres or any unit). Dense: ``inf``/NaN = unreachable; sparse: missing
        entries are unreachable (a stored 0 is a distance of 0).
    weights : array-like
        Demand weights.
    p, district, district_min, district_max, conflicts, fixed, excluded, city_level_min, city_level_fixed,
    time_limit, target_gap, exact
        As for :func:`solve_mclp`.

    Returns
    -------
    SitingResult
        ``objective`` is the total weighted distance, ``bound`` a proven LOWER bound, ``gap`` =
        ``(objective - bound) / objective``.

    Raises
    ------
    InfeasibleError
        The rules cannot all be met, or no choice of ``p`` sites reaches every demand point.
    """
    started = time.perf_counter()
    costs = pmedian.dense_costs(cost)
    w = _weights(weights, costs.shape, "cost")
    constraints = validate(
        costs.shape[0],
        _constraints(p, district, district_min, district_max, conflicts, fixed, excluded, city_level_min,
                     city_level_fixed),
    )  # fmt: skip
    usable = np.ones(costs.shape[0], dtype=bool)
    usable[constraints.excluded] = False
    unreachable = np.flatnonzero(~np.isfinite(costs[usable]).any(axis=0) & (w > 0))
    if len(unreachable):
        raise InfeasibleError(
            f"{len(unreachable)} demand point(s) (first: {unreachable[0]}) cannot reach any usable candidate site."
        )
    deadline = started + max(time_limit, 0.05)
    selected = pmedian.greedy_interchange(costs, w, constraints, time_limit=0.3 * max(time_limit, 0.05))
    objective = pmedian.assignment_cost(costs, w, selected)
    if not np.isfinite(objective):
        raise InfeasibleError("No choice of sites found reaches every demand point: add candidates or raise p.")
    lower, method = 0.0, "greedy+interchange"
    if exact and objective > 0:
        lower, site_bound = pmedian.lagrangian_bound(
            costs, w, constraints, objective, target_gap, 0.5 * (deadline - time.perf_counter())
        )
        method = "greedy+interchange, Lagrangian bound"
        if _min_gap(objective, lower) > target_gap:
            found = pmedian.exact(
                costs, w, constraints, selected, objective, site_bound, deadline - time.perf_counter(), target_gap
            )
            if found is not None:
                selected, objective, milp_lower = found
                lower = max(lower, milp_lower)
                method = "greedy+interchange, Lagrangian elimination, HiGHS"
    lower = min(max(lower, 0.0), objective)
    status = "optimal" if _min_gap(objective, lower) <= target_gap + 1e-12 else ("time_limit" if exact else "heuristic")
    # City-level stations: those serving the most demand (each point counted at its nearest station).
    station_value = np.bincount(selected[costs[selected].argmin(axis=0)], weights=w, minlength=costs.shape[0])
    return SitingResult(
        selected=np.sort(selected),
        objective=objective,
        bound=lower,
        gap=_min_gap(objective, lower),
        status=status,
        method=method,
        seconds=time.perf_counter() - started,
        city_level=designate_city_level(np.sort(selected), station_value, constraints),
    )


def _min_gap(objective: float, lower: float) -> float:
    """Relative gap of a minimisation: ``(objective - lower) / objective``."""
    if objective <= 0:
        return 0.0
    return max(0.0, (objective - lower) / objective)


def _weights(weights, shape, name: str) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    if len(shape) != 2 or shape[1] != len(w):
        raise InputError(f"{name} has {shape[1]} demand columns but {len(w)} weights were given.")
    if len(w) and (not np.all(np.isfinite(w)) or w.min() < 0):
        raise InputError("Demand weights must be finite and non-negative.")
    return w


def _constraints(p, district, district_min, district_max, conflicts, fixed, excluded, city_level_min, city_level_fixed):
    return Constraints(
        p=int(p),
        district=None if district is None else np.asarray(district, dtype=object),
        district_min=district_min,
        district_max=district_max,
        conflicts=np.zeros((0, 2), dtype=np.int64) if conflicts is None else np.asarray(conflicts),
        fixed=np.asarray(fixed, dtype=np.int64),
        excluded=np.asarray(excluded, dtype=np.int64),
        city_level_min=int(city_level_min),
        city_level_fixed=np.asarray(city_level_fixed, dtype=np.int64),
    )


def _milp_from_scratch(coverage, weights, constraints, deadline, target_gap) -> np.ndarray:
    outcome = milp.solve(coverage, weights, constraints, None, max(deadline - time.perf_counter(), 1.0), target_gap)
    if outcome.selected is None:
        raise InfeasibleError(
            "No plan satisfying the spacing and district rules was found within the time limit: lower the minimum "
            "spacing or the station count, or allow more time."
        )
    return outcome.selected


def _exact(coverage, weights, constraints, incumbent, objective, site_bound, deadline, target_gap, bound):
    """MILP over the sites the Lagrangian bound cannot rule out, warm-started from the incumbent.

    A site whose bound is below the incumbent's value belongs to no better plan, so the MILP's answer over the
    survivors is optimal overall and its dual bound, raised to the best eliminated site's bound, is a global bound.
    """
    keep = site_bound >= objective - 1e-9 * max(1.0, abs(objective))
    keep[incumbent] = True
    keep[constraints.fixed] = True
    survivors = np.flatnonzero(keep)
    eliminated_bound = float(site_bound[~keep].max(initial=-np.inf))
    sub_constraints = restrict(constraints, survivors)
    sub_coverage, sub_weights = merge_demand(coverage[survivors], weights, np.ones(len(survivors), dtype=bool))
    # Demand no survivor covers cannot be won by any better plan: the sub-model's bound covers everything else.
    start = np.searchsorted(survivors, incumbent)
    outcome = milp.solve(sub_coverage, sub_weights, sub_constraints, start, deadline - time.perf_counter(), target_gap)
    method = f"greedy+swap, Lagrangian elimination ({len(survivors)} of {len(site_bound)} sites), HiGHS"
    selected = incumbent
    if outcome.selected is not None:
        value = _covered(coverage, weights, survivors[outcome.selected])
        if value > objective + 1e-9:
            selected, objective = survivors[outcome.selected], value
    global_bound = min(bound, max(outcome.bound, eliminated_bound, objective))
    return selected, objective, global_bound, method


def _covered(coverage: sp.csr_array, weights: np.ndarray, selected: np.ndarray) -> float:
    hit = np.zeros(coverage.shape[0])
    hit[selected] = 1.0
    return float(weights[(coverage.T @ hit) > 0].sum())
