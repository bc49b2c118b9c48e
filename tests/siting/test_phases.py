"""Phased plans and coverage targets (geoplan.siting.phases) checked against brute force written here."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from _siting_brute import brute_force, covered_weight, is_feasible, random_instance, station_values

from geoplan.errors import InfeasibleError, InputError
from geoplan.siting import Quota, solve_mclp, solve_pmedian
from geoplan.siting.phases import PhasedResult, TargetResult, solve_phased, stations_for_coverage

DISTRICTS = ("东湖区", "西湖区", "青山湖区")


def instance(seed: int, density: float = 0.15) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """10-14 candidates, 40-60 demand points, three districts of at least three candidates each."""
    rng = np.random.default_rng(40_000 + seed)
    n, m = int(rng.integers(10, 15)), int(rng.integers(40, 61))
    cover, weights = random_instance(seed, n, m, density)
    labels = [DISTRICTS[i % 3] for i in range(n)]
    return cover, weights, [labels[i] for i in rng.permutation(n)]


def best_coverage(cover: np.ndarray, weights: np.ndarray, k: int, **rules) -> float:
    """Brute-force best covered weight with k sites (-inf when no plan is feasible)."""
    return brute_force(cover, weights, k, **rules)[0]


def brute_minimal_count(cover, weights, share: float, max_stations: int, **rules) -> int | None:
    """Smallest k <= max_stations whose best feasible coverage reaches share * total; None when none does."""
    target = share * float(weights.sum())
    for k in range(1, max_stations + 1):
        if best_coverage(cover, weights, k, **rules) >= target - 1e-9:
            return k
    return None


def pmedian_costs(seed: int, n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(50_000 + seed)
    costs = (rng.permutation(n * m) + 1).reshape(n, m).astype(float)
    return costs, rng.integers(1, 20, size=m).astype(float)


def pmedian_value(costs: np.ndarray, weights: np.ndarray, subset) -> float:
    return float(weights @ costs[list(subset)].min(axis=0))


# ---------------------------------------------------------------------------------------------------------------
# solve_phased with solve_mclp


@pytest.mark.parametrize(("seed", "p1", "p2"), [(0, 3, 5), (1, 3, 6), (2, 4, 6), (3, 3, 3)])
def test_phased_mclp(seed, p1, p2):
    cover, weights, district = instance(seed)
    n = cover.shape[0]
    result = solve_phased(
        solve_mclp, cover, weights, p1, p2, district=district, district_min=1, city_level_min=2, target_gap=0
    )
    assert isinstance(result, PhasedResult)
    first, second = result.phase1.selected.tolist(), result.phase2.selected.tolist()
    assert len(first) == p1
    assert len(second) == p2
    assert set(first) <= set(second)
    # Phase 1: optimal under the district minimums.
    rules = {"district": district, "district_min": 1}
    assert is_feasible(first, n, p1, **rules)
    assert {district[j] for j in first} == set(DISTRICTS)
    assert result.phase1.objective == best_coverage(cover, weights, p1, **rules)
    assert result.phase1.status == "optimal"
    # Phase 2: optimal among plans keeping phase 1.
    assert result.phase2.objective == best_coverage(cover, weights, p2, fixed=first)
    assert result.phase2.objective == covered_weight(cover, weights, second)
    assert result.phase2.status == "optimal"
    # Phase labels.
    labels = result.phase_of()
    assert set(labels) == set(second)
    assert all(isinstance(j, int) for j in labels)
    assert {j for j, phase in labels.items() if phase == 1} == set(first)
    assert {j for j, phase in labels.items() if phase == 2} == set(second) - set(first)
    # City level: chosen in phase 1 (its highest-covering sites) and unchanged in phase 2.
    city = result.phase1.city_level.tolist()
    assert len(city) == 2
    assert set(city) <= set(first)
    values = station_values(cover, weights)
    others = set(first) - set(city)
    if others:
        assert min(values[j] for j in city) >= max(values[j] for j in others)
    assert result.phase2.city_level.tolist() == city


def test_phased_keeps_existing_fixed_and_excluded():
    cover, weights, _ = instance(10)
    first_best = brute_force(cover, weights, 3)[1][0]
    rules = {"fixed": [first_best[-1] + 1 if first_best[-1] + 1 < cover.shape[0] else 0], "excluded": [first_best[0]]}
    result = solve_phased(solve_mclp, cover, weights, 3, 5, target_gap=0, **rules)
    for phase in (result.phase1, result.phase2):
        assert set(rules["fixed"]) <= set(phase.selected.tolist())
        assert not set(rules["excluded"]) & set(phase.selected.tolist())
    assert result.phase1.objective == best_coverage(cover, weights, 3, **rules)
    assert result.phase2.objective == best_coverage(
        cover, weights, 5, fixed=result.phase1.selected.tolist(), excluded=rules["excluded"]
    )


def test_phased_with_start_dropped_in_phase_two():
    cover, weights, _ = instance(11)
    start = list(range(5))
    result = solve_phased(solve_mclp, cover, weights, 2, 4, start=start, target_gap=0)
    assert set(result.phase1.selected.tolist()) <= set(result.phase2.selected.tolist())
    assert result.phase1.objective == best_coverage(cover, weights, 2)


@pytest.mark.parametrize(("p1", "p2"), [(0, 5), (-1, 5), (6, 5), (0, 0)])
def test_phased_invalid_sizes(p1, p2):
    cover, weights, _ = instance(12)
    with pytest.raises(InputError, match="Phase 1"):
        solve_phased(solve_mclp, cover, weights, p1, p2)


def test_phased_city_level_above_phase_one():
    cover, weights, district = instance(13)
    with pytest.raises(InfeasibleError):
        solve_phased(solve_mclp, cover, weights, 2, 5, city_level_min=3)
    with pytest.raises(InfeasibleError):
        solve_phased(solve_mclp, cover, weights, 2, 5, district=district, district_min=1)


# ---------------------------------------------------------------------------------------------------------------
# solve_phased with solve_pmedian


@pytest.mark.parametrize(("seed", "p1", "p2"), [(0, 3, 5), (1, 3, 4), (2, 4, 5)])
def test_phased_pmedian(seed, p1, p2):
    _, _, district = instance(seed)
    n = len(district)
    costs, weights = pmedian_costs(seed, n, 40)
    result = solve_phased(
        solve_pmedian, costs, weights, p1, p2, district=district, district_min=1, city_level_min=2, target_gap=0
    )
    first, second = result.phase1.selected.tolist(), result.phase2.selected.tolist()
    assert set(first) <= set(second)
    assert len(first) == p1
    assert len(second) == p2
    assert {district[j] for j in first} == set(DISTRICTS)
    rules = {"district": district, "district_min": 1}
    feasible1 = [s for s in itertools.combinations(range(n), p1) if is_feasible(s, n, p1, **rules)]
    assert result.phase1.objective == min(pmedian_value(costs, weights, s) for s in feasible1)
    keep = [s for s in itertools.combinations(range(n), p2) if set(first) <= set(s)]
    assert result.phase2.objective == min(pmedian_value(costs, weights, s) for s in keep)
    assert result.phase2.objective <= result.phase1.objective
    assert result.phase1.status == "optimal"
    assert result.phase2.status == "optimal"
    labels = result.phase_of()
    assert sorted(j for j, phase in labels.items() if phase == 1) == first
    # City level: the phase-1 sites serving the most weight (each point at its nearest phase-1 site), kept after.
    nearest = np.asarray(first)[costs[first].argmin(axis=0)]
    served = {j: float(weights[nearest == j].sum()) for j in first}
    city = result.phase1.city_level.tolist()
    assert len(city) == 2
    others = set(first) - set(city)
    if others:
        assert min(served[j] for j in city) >= max(served[j] for j in others)
    assert result.phase2.city_level.tolist() == city


# ---------------------------------------------------------------------------------------------------------------
# stations_for_coverage


@pytest.mark.parametrize(("seed", "share"), [(0, 0.5), (1, 0.6), (2, 0.7), (3, 0.6), (4, 0.4), (5, 0.65)])
def test_stations_for_coverage_minimal(seed, share):
    cover, weights, _ = instance(seed, density=0.12)
    max_stations = 7
    expected = brute_minimal_count(cover, weights, share, max_stations)
    assert expected is not None, "test instance should reach the share"
    result = stations_for_coverage(solve_mclp, cover, weights, share, max_stations, target_gap=0)
    assert isinstance(result, TargetResult)
    assert result.target == share * float(weights.sum())
    assert result.stations == expected
    assert result.proven_minimum is True
    assert result.lower_stations == expected
    assert len(result.plan.selected) == expected
    assert result.plan.objective >= result.target
    assert result.plan.objective == covered_weight(cover, weights, result.plan.selected)
    if expected > 1:
        assert best_coverage(cover, weights, expected - 1) < result.target


def test_stations_for_coverage_one_station_enough():
    cover, weights, _ = instance(6)
    share = float(station_values(cover, weights).max()) / float(weights.sum())
    result = stations_for_coverage(solve_mclp, cover, weights, share, 6, target_gap=0)
    assert result.stations == 1
    assert result.proven_minimum is True
    assert result.lower_stations == 1


def test_stations_for_coverage_full_share():
    cover, weights, _ = instance(7, density=0.3)
    coverable = cover.any(axis=0)
    cover = cover[:, coverable]
    weights = weights[coverable]
    expected = brute_minimal_count(cover, weights, 1.0, 8)
    assert expected is not None
    result = stations_for_coverage(solve_mclp, cover, weights, 1.0, 8, target_gap=0)
    assert result.stations == expected
    assert result.proven_minimum is True
    assert result.plan.objective == float(weights.sum())


def test_stations_for_coverage_with_fixed():
    cover, weights, _ = instance(8)
    fixed = [0, 1]
    target_share = 0.6
    expected = next(
        k for k in range(2, 8) if best_coverage(cover, weights, k, fixed=fixed) >= target_share * weights.sum() - 1e-9
    )
    result = stations_for_coverage(solve_mclp, cover, weights, target_share, 7, fixed=fixed, target_gap=0)
    assert result.stations == expected
    assert result.proven_minimum is True
    assert set(fixed) <= set(result.plan.selected.tolist())


def test_stations_for_coverage_with_district_minimum():
    # With one station required per district (three districts), counts below 3 are impossible: the search should
    # treat them as too few (not crash on them) and return the smallest feasible count reaching the target.
    cover, weights, district = instance(9)
    rules = {"district": district, "district_min": 1}
    share = 0.3
    expected = next(k for k in range(3, 8) if best_coverage(cover, weights, k, **rules) >= share * weights.sum() - 1e-9)
    result = stations_for_coverage(solve_mclp, cover, weights, share, 7, target_gap=0, **rules)
    assert result.stations == expected
    assert result.proven_minimum is True
    assert result.lower_stations == expected
    assert result.plan.objective >= result.target
    assert is_feasible(result.plan.selected.tolist(), cover.shape[0], expected, **rules)


def test_stations_for_coverage_with_fixed_sites_in_one_district():
    # Two fixed sites in the same district plus one station per district: at least 4 stations, although the
    # district minimums alone add up to 3 and there are only 2 fixed sites.
    cover, weights, district = instance(17)
    same = [j for j in range(cover.shape[0]) if district[j] == DISTRICTS[0]][:2]
    rules = {"district": district, "district_min": 1, "fixed": same}
    share = 0.2
    assert brute_force(cover, weights, 3, **rules)[1] == []
    expected = next(k for k in range(4, 8) if best_coverage(cover, weights, k, **rules) >= share * weights.sum() - 1e-9)
    result = stations_for_coverage(solve_mclp, cover, weights, share, 7, target_gap=0, **rules)
    assert result.stations == expected
    assert result.proven_minimum is True
    assert is_feasible(result.plan.selected.tolist(), cover.shape[0], expected, **rules)


def test_stations_for_coverage_with_city_level_minimum():
    cover, weights, _ = instance(18)
    share = 0.1  # one station is enough for the share, but two city-level stations are required
    assert best_coverage(cover, weights, 1) >= share * weights.sum()
    result = stations_for_coverage(solve_mclp, cover, weights, share, 6, city_level_min=2, target_gap=0)
    assert result.stations == 2
    assert result.proven_minimum is True
    assert len(result.plan.city_level) == 2


def test_stations_for_coverage_with_quota_minimum():
    # A quota minimum (two 24-hour stations) also rules out a single station.
    cover, weights, _ = instance(19)
    labels = np.asarray(["24h" if j % 3 == 0 else "std" for j in range(cover.shape[0])], dtype=object)
    share = 0.1
    assert best_coverage(cover, weights, 1) >= share * weights.sum()
    result = stations_for_coverage(
        solve_mclp, cover, weights, share, 6, quotas=[Quota("hours", labels, {"24h": 2}, {})], target_gap=0
    )
    assert result.stations == 2
    assert result.proven_minimum is True
    assert sum(labels[j] == "24h" for j in result.plan.selected) >= 2


def test_stations_for_coverage_unreachable():
    cover, weights, _ = instance(14)
    best = best_coverage(cover, weights, 2)
    share = 0.9
    assert best < share * weights.sum()
    with pytest.raises(InfeasibleError, match="90%"):
        stations_for_coverage(solve_mclp, cover, weights, share, 2, target_gap=0)


def test_stations_for_coverage_uncoverable_demand():
    cover, weights, _ = instance(15)
    cover[:, 0] = False
    weights[0] = weights.sum()  # half the weight can never be covered
    with pytest.raises(InfeasibleError, match="60%"):
        stations_for_coverage(solve_mclp, cover, weights, 0.6, cover.shape[0], target_gap=0)


@pytest.mark.parametrize("share", [0.0, -0.1, 1.01, 2.0, float("nan")])
def test_stations_for_coverage_share_out_of_range(share):
    cover, weights, _ = instance(16)
    with pytest.raises(InputError, match="share"):
        stations_for_coverage(solve_mclp, cover, weights, share, 5, target_gap=0)
