"""Phased plans and coverage targets, built on any siting model.

- :func:`solve_phased`: phase 1 places the quota stations (Nanchang: at least 3 city-level and at least one per
  county/district); phase 2 keeps them and fills the plan up to its total.
- :func:`stations_for_coverage`: the fewest stations that cover a target share of the workers ("how many stations
  for 90%?"), with a proof of minimality where the bounds allow one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from geoplan import i18n
from geoplan.errors import InfeasibleError
from geoplan.siting.model import SitingResult, minimum_stations

Solver = Callable[..., SitingResult]


@dataclass(frozen=True)
class PhasedResult:
    """Both phases of a phased plan.

    Attributes
    ----------
    phase1, phase2 : SitingResult
        Phase 2's selection contains phase 1's.
    """

    phase1: SitingResult
    phase2: SitingResult

    def phase_of(self) -> dict[int, int]:
        """Phase (1 or 2) of every site of the final plan."""
        first = set(self.phase1.selected.tolist())
        return {int(j): 1 if int(j) in first else 2 for j in self.phase2.selected}


def solve_phased(
    solver: Solver, matrix, weights, phase1_p: int, total_p: int, *, phase2_fixed=(), **rules
) -> PhasedResult:
    """Solve phase 1 with ``phase1_p`` stations and all rules, then phase 2 up to ``total_p`` keeping phase 1.

    Parameters
    ----------
    solver : callable
        :func:`geoplan.siting.solve_mclp` or :func:`geoplan.siting.solve_pmedian`.
    matrix, weights
        The model's matrix and demand weights.
    phase1_p, total_p : int
        Stations after phase 1 and in total.
    phase2_fixed : sequence of int
        Sites that must be part of the plan by the end of phase 2 (a planner's phase-2 decisions when re-planning);
        phase 1 may take them too.
    **rules
        Keyword arguments of the solver (districts, spacing, fixed, excluded, city level, time limit...). District
        and city-level minimums apply to phase 1; phase 2 inherits them through the kept sites.

    Returns
    -------
    PhasedResult
    """
    if not 1 <= phase1_p <= total_p:
        raise i18n.input_error("phase1_count", total=total_p, p=phase1_p)
    kept = np.union1d(np.asarray(rules.get("fixed", ()), dtype=np.int64), np.asarray(phase2_fixed, dtype=np.int64))
    first = solver(matrix, weights, phase1_p, **rules)
    try:
        return PhasedResult(first, _phase2(solver, matrix, weights, total_p, first, kept, rules))
    except InfeasibleError:
        # Phase 1's best sites can leave no room for phase 2 (a minimum spacing, say). Plan the whole first, then
        # take phase 1 from within it: phase 2 can then always be completed. Raises, naming the rules that bind,
        # when no whole plan exists at all.
        whole = solver(matrix, weights, total_p, **{key: value for key, value in rules.items() if key != "start"}
                       | {"fixed": kept})  # fmt: skip
        outside = np.setdiff1d(np.arange(np.shape(matrix)[0]), whole.selected)
        inside = dict(rules, excluded=np.union1d(np.asarray(rules.get("excluded", ()), dtype=np.int64), outside))
        first = solver(matrix, weights, phase1_p, **inside)
        return PhasedResult(first, _phase2(solver, matrix, weights, total_p, first, kept, rules))


def _phase2(solver: Solver, matrix, weights, total_p: int, first: SitingResult, kept: np.ndarray, rules: dict):
    later = dict(rules)
    later["fixed"] = np.union1d(kept, first.selected)
    later["city_level_fixed"] = first.city_level
    later.pop("start", None)
    return solver(matrix, weights, total_p, **later)


@dataclass(frozen=True)
class TargetResult:
    """The fewest stations reaching a coverage target.

    Attributes
    ----------
    stations : int
        Stations of the best plan found that reaches the target.
    proven_minimum : bool
        True when ``stations - 1`` was proven unable to reach the target (its upper bound falls short).
    lower_stations : int
        Stations proven necessary (equal to ``stations`` when ``proven_minimum``).
    plan : SitingResult
        The plan with ``stations`` sites.
    target : float
        Weight to cover.
    """

    stations: int
    proven_minimum: bool
    lower_stations: int
    plan: SitingResult
    target: float


def stations_for_coverage(solver: Solver, coverage, weights, share: float, max_stations: int, **rules) -> TargetResult:
    """Find the fewest stations covering ``share`` of the total weight.

    Binary search over the station count with the maximal-covering solver: a count whose plan reaches the target is
    enough; a count whose proven upper bound falls short is too few.

    Parameters
    ----------
    solver : callable
        :func:`geoplan.siting.solve_mclp`.
    coverage, weights
        Candidates x demand 0/1 matrix and weights.
    share : float
        Target share of the total weight, in (0, 1].
    max_stations : int
        Largest count to consider.
    **rules
        Solver keyword arguments (districts, spacing, fixed, time limit per solve...).

    Returns
    -------
    TargetResult

    Raises
    ------
    InfeasibleError
        Even ``max_stations`` stations cannot reach the target.
    """
    if not 0 < share <= 1:
        raise i18n.input_error("coverage_target_range", value=share)
    target = share * float(np.sum(weights))
    low = minimum_stations(coverage.shape[0], **rules)
    best = solver(coverage, weights, max_stations, **rules)
    if best.objective < target - 1e-9:
        if best.bound < target - 1e-9:
            raise i18n.coded_error(InfeasibleError, "target_out_of_reach", stations=max_stations,
                                   most=f"{best.bound:.0f}", total=f"{float(np.sum(weights)):.0f}",
                                   share=f"{share:.0%}")  # fmt: skip
        raise i18n.coded_error(InfeasibleError, "target_not_found_in_time", stations=max_stations,
                               share=f"{share:.0%}")  # fmt: skip
    high, below, proven = max_stations, low - 1, {low - 1}
    while high - below > 1:
        middle = (high + below) // 2
        result = solver(coverage, weights, middle, **rules)
        if result.objective < target - 1e-9 <= result.bound and rules.get("target_gap", 0.0) > 0:
            result = solver(coverage, weights, middle, **(rules | {"target_gap": 0.0}))  # decide this count exactly
        if result.objective >= target - 1e-9:
            high, best = middle, result
        else:
            below = middle  # too few as far as we can tell; proven only if the bound falls short
            if result.bound < target - 1e-9:
                proven.add(middle)
    return TargetResult(high, (high - 1) in proven, max(proven) + 1, best, target)
