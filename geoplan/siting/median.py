"""p-median: ``p`` sites minimising the total weighted distance to the nearest site, with a certified lower bound."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from geoplan import i18n
from geoplan.errors import InfeasibleError
from geoplan.siting import feasibility, pmedian
from geoplan.siting.model import (
    OPTIMAL_GAP,
    SitingResult,
    check_weights,
    constraints_from,
    designate_city_level,
    solve_status,
    validate,
    whole_numbers,
)
from geoplan.siting.reduce import merge_demand

__all__ = ["solve_pmedian"]


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
    target_gap: float = 0.0,
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
    w = check_weights(weights, costs.shape, "cost")
    constraints = validate(
        costs.shape[0],
        constraints_from(p, district, district_min, district_max, conflicts, fixed, excluded, city_level_min,
                     city_level_fixed),
    )  # fmt: skip
    # Weightless demand changes no plan's value; dropping it also keeps 0 x inf out of every sum.
    costs, w = costs[:, w > 0], w[w > 0]
    usable = np.ones(costs.shape[0], dtype=bool)
    usable[constraints.excluded] = False
    unreachable = np.flatnonzero(~np.isfinite(costs[usable]).any(axis=0))
    if len(unreachable):
        raise i18n.coded_error(InfeasibleError, "demand_unreachable", count=len(unreachable), first=unreachable[0])
    if not 0 <= target_gap < 1:
        raise i18n.input_error("target_gap_range", value=target_gap)
    stop_gap = max(float(target_gap), OPTIMAL_GAP)  # floating-point noise is no gap
    deadline = started + max(time_limit, 0.05)
    try:
        selected = pmedian.greedy_interchange(costs, w, constraints, time_limit=0.3 * max(time_limit, 0.05))
    except InfeasibleError:
        selected = np.zeros(0, dtype=np.int64)
    objective = pmedian.assignment_cost(costs, w, selected)
    if not np.isfinite(objective):
        # The heuristic failed the rules or left someone unreached: decide exactly whether a plan exists (every
        # demand point reaching a chosen site is a must-cover rule), then improve the plan found.
        reach = merge_demand(sp.csr_array(np.isfinite(costs).astype(float)), np.ones(costs.shape[1]), usable)[0]
        found = feasibility.find_plan(costs.shape[0], constraints, reach, max(deadline - time.perf_counter(), 1.0))
        selected = pmedian.improve(costs, w, constraints, found, 0.1 * max(time_limit, 0.05), target=0.0)
        objective = pmedian.assignment_cost(costs, w, selected)
    lower, method = 0.0, "greedy+interchange"
    if exact and objective > 0:
        lower, site_bound = pmedian.lagrangian_bound(
            costs, w, constraints, objective, stop_gap, 0.5 * (deadline - time.perf_counter())
        )
        method = "greedy+interchange, Lagrangian bound"
        if _min_gap(objective, lower) > stop_gap:
            better = pmedian.improve(
                costs, w, constraints, selected, 0.4 * (deadline - time.perf_counter()), target=lower / (1 - stop_gap)
            )
            value = pmedian.assignment_cost(costs, w, better)
            if value < objective - 1e-9:
                selected, objective = better, value
                method = "greedy+interchange, iterated local search, Lagrangian bound"
        if _min_gap(objective, lower) > stop_gap:
            found = pmedian.exact(
                costs, w, constraints, selected, objective, site_bound, deadline - time.perf_counter(), stop_gap
            )
            if found is not None:
                selected, objective, milp_lower = found
                lower = max(lower, milp_lower)
                method = "greedy+interchange, Lagrangian elimination, HiGHS"
    if whole_numbers(w) and _whole_costs(costs):
        # Integer distances and weights: every plan costs a whole number, so the bound rounds up to one.
        lower = np.ceil(lower - 1e-9 * max(1.0, abs(lower)))
    lower = min(max(lower, 0.0), objective)
    status = solve_status(_min_gap(objective, lower), target_gap, exact)
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


def _whole_costs(costs: np.ndarray) -> bool:
    """Tell whether every finite cost is a whole number (a sample first, then row blocks: no full-size copy)."""
    flat = costs.ravel()
    sample = flat[:: max(1, flat.size // 10_000)]
    if not whole_numbers(sample[np.isfinite(sample)]):
        return False
    step = max(1, 2_000_000 // max(costs.shape[1], 1))
    for start in range(0, costs.shape[0], step):
        block = costs[start : start + step]
        if not whole_numbers(block[np.isfinite(block)]):
            return False
    return True


def _min_gap(objective: float, lower: float) -> float:
    """Relative gap of a minimisation: ``(objective - lower) / objective``."""
    if objective <= 0:
        return 0.0
    return max(0.0, (objective - lower) / objective)
