"""Exact answers of geoplan.siting.solve_mclp checked against brute force, and its refusals of impossible plans."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from _siting_brute import (
    as_bool,
    brute_force,
    covered_weight,
    is_feasible,
    plain_greedy,
    random_instance,
    station_values,
)
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.spatial import cKDTree

from geoplan.errors import InfeasibleError, InputError
from geoplan.siting import SitingResult, solve_mclp

DISTRICTS = ("东湖区", "西湖区", "青山湖区")
TOL = 1e-9


# ---------------------------------------------------------------------------------------------------------------
# helpers


def sizes(seed: int, p_low: int = 2) -> tuple[int, int, int]:
    """Seeded instance size: 12-25 candidates, 60-200 demand points, p in p_low..5."""
    rng = np.random.default_rng(10_000 + seed)
    return int(rng.integers(12, 26)), int(rng.integers(60, 201)), int(rng.integers(p_low, 6))


def labels_for(seed: int, n: int) -> list[str]:
    """District labels with every one of the three districts holding at least three candidates."""
    rng = np.random.default_rng(20_000 + seed)
    labels = [DISTRICTS[i % 3] for i in range(9)] + [DISTRICTS[k] for k in rng.integers(0, 3, n - 9)]
    return [labels[i] for i in rng.permutation(n)]


def conflict_pairs(seed: int, n: int, spacing: float = 0.18) -> np.ndarray:
    """Pairs of random points in the unit square closer than ``spacing`` (double loop, not geoplan code)."""
    xy = np.random.default_rng(30_000 + seed).random((n, 2))
    pairs = [(a, b) for a, b in itertools.combinations(range(n), 2) if np.hypot(*(xy[a] - xy[b])) < spacing]
    return np.asarray(pairs, dtype=np.int64).reshape(-1, 2)


def check_plan(result: SitingResult, coverage, weights, p: int, **rules) -> None:
    """The structural promises of a SitingResult: sorted unique p sites, feasible, objective = covered weight."""
    selected = np.asarray(result.selected)
    assert selected.ndim == 1
    assert np.issubdtype(selected.dtype, np.integer)
    assert len(selected) == p
    assert np.all(np.diff(selected) > 0), f"selected not sorted and unique: {selected}"
    assert set(np.asarray(rules.get("fixed", ()), dtype=int).tolist()) <= set(selected.tolist())
    assert not set(np.asarray(rules.get("excluded", ()), dtype=int).tolist()) & set(selected.tolist())
    n = as_bool(coverage).shape[0]
    assert is_feasible(selected.tolist(), n, p, **rules), f"infeasible plan {selected.tolist()}"
    assert result.objective == pytest.approx(covered_weight(coverage, weights, selected), rel=0, abs=TOL)
    assert result.bound >= result.objective - TOL
    expected_gap = 0.0 if result.bound <= 0 else (result.bound - result.objective) / result.bound
    assert result.gap == pytest.approx(max(expected_gap, 0.0), abs=1e-12)


def check_exact(result: SitingResult, coverage, weights, p: int, **rules) -> float:
    """The plan is feasible and optimal (by brute force) with a certified zero gap; returns the optimum."""
    optimum, plans = brute_force(coverage, weights, p, **rules)
    assert plans, "test instance should be feasible"
    check_plan(result, coverage, weights, p, **rules)
    assert result.objective == pytest.approx(optimum, rel=0, abs=TOL)
    assert tuple(result.selected.tolist()) in plans
    assert result.bound >= optimum - TOL
    assert result.gap <= TOL
    assert result.status == "optimal"
    return optimum


def check_city_level(result: SitingResult, coverage, weights, minimum: int, designated=()) -> None:
    """City-level sites: ``minimum`` of them, chosen ones, designated first, then the highest-valued chosen ones."""
    city = np.asarray(result.city_level).tolist()
    selected = result.selected.tolist()
    assert len(city) == minimum
    assert len(set(city)) == len(city)
    assert city == sorted(city)
    assert set(city) <= set(selected)
    assert {int(j) for j in designated} <= set(city)
    values = station_values(coverage, weights)
    promoted = set(city) - {int(j) for j in designated}
    others = set(selected) - set(city)
    if promoted and others:
        assert min(values[j] for j in promoted) >= max(values[j] for j in others), (city, selected, values)


def coverage_format(coverage: np.ndarray, kind: str):
    """The same boolean coverage as a dense float array, a CSR array, a CSC array or a COO matrix."""
    dense = coverage.astype(float)
    return {
        "dense": dense,
        "dense_bool": coverage.copy(),
        "csr_array": sp.csr_array(dense),
        "csc_array": sp.csc_array(dense),
        "coo_matrix": sp.coo_matrix(dense),
    }[kind]


SEEDS = range(8)
FORMATS = ("dense", "dense_bool", "csr_array", "csc_array", "coo_matrix")


# ---------------------------------------------------------------------------------------------------------------
# exact answers


@pytest.mark.parametrize("seed", SEEDS)
def test_unconstrained_optimum(seed):
    n, m, p = sizes(seed)
    coverage, weights = random_instance(seed, n, m, density=0.1)
    result = solve_mclp(coverage_format(coverage, FORMATS[seed % len(FORMATS)]), weights, p, target_gap=0)
    optimum = check_exact(result, coverage, weights, p)
    assert optimum < weights.sum(), "instance should not be trivially fully covered"
    assert len(result.city_level) == 0


@pytest.mark.parametrize("seed", range(4))
def test_exact_beats_or_matches_plain_greedy(seed):
    n, m, p = sizes(seed + 40, p_low=4)
    coverage, weights = random_instance(seed + 40, n, m, density=0.15)
    _, greedy_value = plain_greedy(coverage, weights, p)
    result = solve_mclp(sp.csr_array(coverage.astype(float)), weights, p, target_gap=0)
    optimum = check_exact(result, coverage, weights, p)
    assert optimum >= greedy_value


@pytest.mark.parametrize("seed", range(5))
def test_district_minimum_int(seed):
    n, m, p = sizes(seed + 100, p_low=3)
    coverage, weights = random_instance(seed + 100, n, m)
    district = labels_for(seed, n)
    rules = {"district": district, "district_min": 1}
    result = solve_mclp(coverage, weights, p, target_gap=0, **rules)
    check_exact(result, coverage, weights, p, **rules)
    assert {district[j] for j in result.selected} == set(DISTRICTS)


@pytest.mark.parametrize("seed", range(5))
def test_district_minimum_dict(seed):
    n, m, p = sizes(seed + 200, p_low=3)
    coverage, weights = random_instance(seed + 200, n, m)
    district = labels_for(seed + 200, n)
    # Force the weakest district (by its best single site) to host two stations, so the rule binds.
    values = station_values(coverage, weights)
    weakest = min(DISTRICTS, key=lambda d: max(values[j] for j in range(n) if district[j] == d))
    rules = {"district": district, "district_min": {weakest: 2}}
    result = solve_mclp(coverage, weights, p, target_gap=0, **rules)
    check_exact(result, coverage, weights, p, **rules)
    assert sum(district[j] == weakest for j in result.selected) >= 2


@pytest.mark.parametrize("seed", range(5))
def test_district_maximum(seed):
    n, m, p = sizes(seed + 300, p_low=3)
    coverage, weights = random_instance(seed + 300, n, m)
    district = labels_for(seed + 300, n)
    values = station_values(coverage, weights)
    strongest = max(DISTRICTS, key=lambda d: sum(values[j] for j in range(n) if district[j] == d))
    other = next(d for d in DISTRICTS if d != strongest)
    rules = {"district": district, "district_max": {strongest: 0, other: 1}}
    result = solve_mclp(coverage, weights, p, target_gap=0, **rules)
    check_exact(result, coverage, weights, p, **rules)
    assert all(district[j] != strongest for j in result.selected)


@pytest.mark.parametrize("seed", range(5))
def test_district_minimum_and_maximum(seed):
    n, m, p = sizes(seed + 350, p_low=4)
    coverage, weights = random_instance(seed + 350, n, m)
    district = labels_for(seed + 350, n)
    rules = {
        "district": district,
        "district_min": {DISTRICTS[0]: 1, DISTRICTS[1]: 1},
        "district_max": {DISTRICTS[0]: 1, DISTRICTS[2]: 1},
    }
    result = solve_mclp(coverage, weights, p, target_gap=0, **rules)
    check_exact(result, coverage, weights, p, **rules)


@pytest.mark.parametrize("seed", range(8))
def test_spacing_conflicts(seed):
    n, m, p = sizes(seed + 400)
    coverage, weights = random_instance(seed + 400, n, m)
    # Geometric conflicts, plus one between the two strongest sites so that the rule always binds.
    greedy, _ = plain_greedy(coverage, weights, p)
    conflicts = np.r_[conflict_pairs(seed, n, spacing=0.3), [greedy[:2]]]
    rules = {"conflicts": conflicts}
    unconstrained, _ = brute_force(coverage, weights, p)
    result = solve_mclp(coverage, weights, p, target_gap=0, **rules)
    optimum = check_exact(result, coverage, weights, p, **rules)
    assert optimum <= unconstrained


@pytest.mark.parametrize("seed", range(5))
def test_fixed_sites(seed):
    n, m, p = sizes(seed + 500, p_low=3)
    coverage, weights = random_instance(seed + 500, n, m)
    # Fix the two sites of lowest value so that the rule changes the answer.
    order = np.argsort(station_values(coverage, weights), kind="stable")
    fixed = sorted(order[:2].tolist())
    rules = {"fixed": fixed}
    result = solve_mclp(coverage, weights, p, target_gap=0, city_level_min=2, city_level_fixed=fixed[:1], **rules)
    check_exact(result, coverage, weights, p, **rules)
    check_city_level(result, coverage, weights, 2, fixed[:1])


@pytest.mark.parametrize("seed", range(5))
def test_excluded_sites(seed):
    n, m, p = sizes(seed + 600)
    coverage, weights = random_instance(seed + 600, n, m)
    # Exclude the plain-greedy choice (the strongest sites) plus one more.
    greedy, _ = plain_greedy(coverage, weights, p)
    excluded = sorted({*greedy[:2], n - 1})
    rules = {"excluded": excluded}
    result = solve_mclp(coverage, weights, p, target_gap=0, city_level_min=1, **rules)
    check_exact(result, coverage, weights, p, **rules)
    check_city_level(result, coverage, weights, 1)


@pytest.mark.parametrize("seed", range(6))
def test_all_rules_together(seed):
    n, m, p = sizes(seed + 700, p_low=4)
    coverage, weights = random_instance(seed + 700, n, m, density=0.1)
    district = labels_for(seed + 700, n)
    rng = np.random.default_rng(seed + 700)
    fixed_site = int(rng.integers(n))
    excluded = sorted(set(rng.choice(n, 3, replace=False).tolist()) - {fixed_site})
    conflicts = conflict_pairs(seed + 700, n, spacing=0.12)
    rules = {
        "district": district,
        "district_min": {DISTRICTS[1]: 1, DISTRICTS[2]: 1},
        "district_max": {DISTRICTS[0]: 2},
        "conflicts": conflicts,
        "fixed": [fixed_site],
        "excluded": excluded,
    }
    result = solve_mclp(coverage, weights, p, target_gap=0, city_level_min=2, city_level_fixed=[fixed_site], **rules)
    check_exact(result, coverage, weights, p, **rules)
    check_city_level(result, coverage, weights, 2, [fixed_site])


@pytest.mark.parametrize("seed", range(4))
def test_city_level_highest_covering(seed):
    n, m, p = sizes(seed + 800, p_low=4)
    coverage, weights = random_instance(seed + 800, n, m)
    result = solve_mclp(sp.csr_array(coverage.astype(float)), weights, p, target_gap=0, city_level_min=3)
    check_exact(result, coverage, weights, p)
    check_city_level(result, coverage, weights, 3)


def test_city_level_designated_first_even_when_weakest():
    coverage, weights = random_instance(7, 14, 90)
    values = station_values(coverage, weights)
    weakest = int(np.argmin(values))
    result = solve_mclp(
        coverage, weights, 4, fixed=[weakest], city_level_min=2, city_level_fixed=[weakest], target_gap=0
    )
    check_exact(result, coverage, weights, 4, fixed=[weakest])
    check_city_level(result, coverage, weights, 2, [weakest])
    others = [j for j in result.selected.tolist() if j != weakest]
    best_other = max(others, key=lambda j: (values[j], -j))
    assert result.city_level.tolist() == sorted([weakest, best_other])


@pytest.mark.parametrize("seed", range(4))
def test_zero_weights_and_uncovered_demand(seed):
    n, m, p = sizes(seed + 900)
    coverage, weights = random_instance(seed + 900, n, m, density=0.12)
    weights[:15] = 0.0  # weightless demand points, some of them covered
    coverage[:, 15:25] = False  # demand no candidate covers
    weights[20] = 1000.0  # an uncovered heavy point must not count anywhere
    result = solve_mclp(coverage, weights, p, target_gap=0, city_level_min=1)
    optimum = check_exact(result, coverage, weights, p)
    assert optimum < weights.sum() - 1000.0 + TOL
    check_city_level(result, coverage, weights, 1)


@pytest.mark.parametrize("seed", range(4))
def test_distance_matrix_nonzero_means_covered(seed):
    n, m, p = sizes(seed + 1000)
    rng = np.random.default_rng(seed + 1000)
    sites, demand = rng.random((n, 2)), rng.random((m, 2))
    distance = np.hypot(*(sites[:, None, :] - demand[None, :, :]).transpose(2, 0, 1))
    radius = 0.17
    stored = np.where(distance < radius, distance + 0.5, 0.0)  # metres-like values, never 0 inside the radius
    weights = rng.integers(1, 30, m).astype(float)
    matrix = sp.csr_array(stored) if seed % 2 else sp.coo_matrix(stored)
    assert set(np.unique(matrix.data)) - {0.0, 1.0}, "the matrix should hold distances, not 0/1"
    result = solve_mclp(matrix, weights, p, target_gap=0, city_level_min=1)
    check_exact(result, distance < radius, weights, p)
    check_city_level(result, distance < radius, weights, 1)


def test_explicit_zeros_in_sparse_input_are_not_coverage():
    data = np.array([0.0, 2.0, 3.0, 0.0])
    rows, cols = np.array([0, 0, 1, 2]), np.array([0, 1, 2, 3])
    matrix = sp.csr_array((data, (rows, cols)), shape=(3, 4))  # stores two explicit zeros
    weights = np.array([50.0, 1.0, 2.0, 50.0])
    result = solve_mclp(matrix, weights, 1, target_gap=0)
    check_exact(result, matrix, weights, 1)
    assert result.selected.tolist() == [1]
    assert result.objective == 2.0


def test_all_weights_zero():
    coverage, _ = random_instance(3, 12, 60)
    result = solve_mclp(coverage, np.zeros(60), 3, target_gap=0)
    check_plan(result, coverage, np.zeros(60), 3)
    assert result.objective == 0.0
    assert result.gap == 0.0
    assert result.status == "optimal"


def test_p_equals_number_of_available_candidates():
    coverage, weights = random_instance(5, 12, 80)
    result = solve_mclp(coverage, weights, 10, excluded=[3, 7], target_gap=0)
    assert result.selected.tolist() == [0, 1, 2, 4, 5, 6, 8, 9, 10, 11]
    check_exact(result, coverage, weights, 10, excluded=[3, 7])


def test_conflicting_fixed_sites_are_both_kept():
    """Two existing stations closer than the spacing stay: conflicts among fixed sites are dropped."""
    coverage, weights = random_instance(11, 12, 80)
    conflicts = np.array([[0, 1], [1, 2], [0, 5]])
    rules = {"conflicts": conflicts, "fixed": [0, 1]}
    result = solve_mclp(coverage, weights, 4, target_gap=0, **rules)
    check_exact(result, coverage, weights, 4, **rules)
    assert not {2, 5} & set(result.selected.tolist())


def test_feasible_spacing_not_reported_infeasible():
    """Site 0 covers most but conflicts with 1 and 2; {1, 2} is the only feasible (and so optimal) plan.

    A constructive heuristic that takes site 0 first gets stuck; the solver must still find {1, 2}.
    """
    coverage = np.array([[1, 1, 1, 0], [1, 0, 0, 0], [0, 0, 0, 1]], dtype=float)
    weights = np.ones(4)
    conflicts = np.array([[0, 1], [0, 2]])
    assert brute_force(coverage, weights, 2, conflicts=conflicts) == (2.0, [(1, 2)])
    result = solve_mclp(coverage, weights, 2, conflicts=conflicts, target_gap=0)
    assert result.selected.tolist() == [1, 2]
    assert result.objective == 2.0
    assert result.status == "optimal"


# ---------------------------------------------------------------------------------------------------------------
# impossible or malformed requests


def small():
    coverage, weights = random_instance(1, 4, 10, density=0.4)
    return coverage, weights


def test_p_above_candidate_count():
    coverage, weights = small()
    with pytest.raises(InfeasibleError, match=r"asks for 5 stations but only 4 candidate sites are available"):
        solve_mclp(coverage, weights, 5)


def test_p_above_candidates_left_after_exclusion():
    coverage, weights = small()
    with pytest.raises(InfeasibleError, match=r"only 2 candidate sites are available \(4 found, 2 excluded\)"):
        solve_mclp(coverage, weights, 3, excluded=[0, 2])


def test_p_below_one():
    coverage, weights = small()
    with pytest.raises(InputError, match=r"at least 1, got 0"):
        solve_mclp(coverage, weights, 0)


def test_district_minimums_above_p():
    coverage, weights = small()
    district = ["东湖区", "西湖区", "青山湖区", "东湖区"]
    with pytest.raises(InfeasibleError, match=r"District minimums add up to 3 stations but the plan has only 2"):
        solve_mclp(coverage, weights, 2, district=district, district_min=1)
    with pytest.raises(InfeasibleError, match=r"add up to 4 stations but the plan has only 3"):
        solve_mclp(coverage, weights, 3, district=district, district_min={"东湖区": 2, "西湖区": 2})


def test_district_minimum_without_candidates():
    coverage, weights = small()
    district = ["东湖区", "西湖区", "青山湖区", "东湖区"]
    with pytest.raises(InfeasibleError, match=r"District 无站区 needs at least 1 station\(s\) but has no feasible"):
        solve_mclp(coverage, weights, 2, district=district, district_min={"东湖区": 1, "无站区": 1})


def test_district_minimum_all_candidates_excluded():
    coverage, weights = small()
    district = ["东湖区", "西湖区", "青山湖区", "东湖区"]
    with pytest.raises(InfeasibleError, match=r"District 西湖区 .*no feasible candidate site"):
        solve_mclp(coverage, weights, 2, district=district, district_min={"西湖区": 1}, excluded=[1])


def test_district_minimum_above_its_candidates():
    coverage, weights = small()
    district = ["东湖区", "西湖区", "青山湖区", "东湖区"]
    with pytest.raises(InfeasibleError, match=r"District 青山湖区 needs at least 2 station\(s\) but has only 1"):
        solve_mclp(coverage, weights, 3, district=district, district_min={"青山湖区": 2})


def test_district_maximum_below_minimum():
    coverage, weights = small()
    district = ["东湖区", "西湖区", "青山湖区", "东湖区"]
    with pytest.raises(InfeasibleError, match=r"District 东湖区: maximum 1 is below its minimum 2"):
        solve_mclp(coverage, weights, 3, district=district, district_min={"东湖区": 2}, district_max={"东湖区": 1})


def test_fixed_above_district_maximum():
    coverage, weights = small()
    district = ["东湖区", "西湖区", "青山湖区", "东湖区"]
    with pytest.raises(InfeasibleError, match=r"District 东湖区 already has 2 fixed stations, above its maximum 1"):
        solve_mclp(coverage, weights, 3, district=district, district_max={"东湖区": 1}, fixed=[0, 3])


@pytest.mark.parametrize("exact", [True, False])
def test_fixed_sites_leave_too_few_slots_for_district_minimums(exact):
    """p=2, site 0 (district A) fixed, B and C each need one station: 3 stations would be needed.

    The minimums alone add up to 2 <= p, so only the fixed site makes the request impossible.
    """
    coverage = np.eye(3)
    weights = np.ones(3)
    rules = {"district": ["A", "B", "C"], "district_min": {"B": 1, "C": 1}, "fixed": [0]}
    assert brute_force(coverage, weights, 2, **rules) == (-np.inf, [])
    # Currently returns selected=[0, 1] (C gets no station) with status "optimal" / "heuristic".
    with pytest.raises(InfeasibleError, match=r"(?i)district|minimum"):
        solve_mclp(coverage, weights, 2, target_gap=0, exact=exact, **rules)


def test_more_fixed_than_p():
    coverage, weights = small()
    with pytest.raises(InfeasibleError, match=r"3 sites are fixed but the plan has only 2 stations"):
        solve_mclp(coverage, weights, 2, fixed=[0, 1, 3])


def test_fixed_and_excluded():
    coverage, weights = small()
    with pytest.raises(InfeasibleError, match=r"Site\(s\) \[1\] are both fixed and excluded"):
        solve_mclp(coverage, weights, 2, fixed=[1, 2], excluded=[1])


def test_city_level_above_p():
    coverage, weights = small()
    with pytest.raises(InfeasibleError, match=r"3 city-level stations are required but the plan has only 2"):
        solve_mclp(coverage, weights, 2, city_level_min=3)


def test_city_level_designation_must_be_fixed():
    coverage, weights = small()
    with pytest.raises(InputError, match=r"city-level must also be fixed"):
        solve_mclp(coverage, weights, 2, city_level_min=1, city_level_fixed=[2])


def test_weights_length_mismatch():
    coverage, weights = small()
    with pytest.raises(InputError, match=r"coverage has 10 demand columns but 9 weights were given"):
        solve_mclp(coverage, weights[:9], 2)


@pytest.mark.parametrize("bad", [-1.0, np.nan, np.inf])
def test_bad_weights(bad):
    coverage, weights = small()
    weights[3] = bad
    with pytest.raises(InputError, match=r"finite and non-negative"):
        solve_mclp(coverage, weights, 2)


def test_district_labels_length_mismatch():
    coverage, weights = small()
    with pytest.raises(InputError, match=r"district labels: 3 given for 4 candidates"):
        solve_mclp(coverage, weights, 2, district=["东湖区", "西湖区", "东湖区"], district_min=1)


@pytest.mark.parametrize("field", ["fixed", "excluded"])
def test_index_out_of_range(field):
    coverage, weights = small()
    with pytest.raises(InputError, match=rf"{field}: candidate indices must lie in 0\.\.3"):
        solve_mclp(coverage, weights, 2, **{field: [4]})


def test_conflicts_out_of_range():
    coverage, weights = small()
    with pytest.raises(InputError, match=r"conflicts refer to candidates that do not exist"):
        solve_mclp(coverage, weights, 2, conflicts=np.array([[0, 9]]))


def test_pairwise_conflicts_make_p_impossible():
    coverage, weights = random_instance(2, 3, 10, density=0.5)
    conflicts = np.array([[0, 1], [0, 2], [1, 2]])
    assert brute_force(coverage, weights, 2, conflicts=conflicts) == (-np.inf, [])
    with pytest.raises(InfeasibleError, match=r"spacing"):
        solve_mclp(coverage, weights, 2, conflicts=conflicts, target_gap=0)


def test_spacing_and_district_minimum_impossible():
    """Both candidates of the district with a minimum conflict with the fixed site."""
    coverage, weights = random_instance(4, 5, 20, density=0.4)
    rules = {
        "district": ["东湖区", "西湖区", "西湖区", "东湖区", "东湖区"],
        "district_min": {"西湖区": 1},
        "conflicts": np.array([[0, 1], [0, 2]]),
        "fixed": [0],
    }
    assert brute_force(coverage, weights, 2, **rules) == (-np.inf, [])
    with pytest.raises(InfeasibleError, match=r"spacing"):
        solve_mclp(coverage, weights, 2, target_gap=0, **rules)


# ---------------------------------------------------------------------------------------------------------------
# a mid-size instance


def mid_size_instance(seed: int) -> tuple[sp.csr_array, np.ndarray]:
    """300 candidates x 2000 demand points on a 10 km square, covered within 1.2 km."""
    rng = np.random.default_rng(seed)
    sites, demand = rng.random((300, 2)) * 10_000, rng.random((2000, 2)) * 10_000
    weights = rng.integers(1, 50, 2000).astype(float)
    distances = cKDTree(sites).sparse_distance_matrix(cKDTree(demand), 1200.0, output_type="coo_matrix")
    coverage = sp.csr_array(distances)
    coverage.data[:] = 1.0
    return coverage, weights


def reference_optimum(
    coverage: sp.csr_array,
    weights: np.ndarray,
    p: int,
    *,
    district: list[str] | None = None,
    district_min: int = 0,
    district_max: dict[str, int] | None = None,
    conflicts: np.ndarray | None = None,
    fixed: list[int] = (),
    excluded: list[int] = (),
) -> float:
    """The covering MILP solved by scipy.optimize.milp (written independently of geoplan.siting.milp)."""
    n, m = coverage.shape
    cost = np.r_[np.zeros(n), -weights]
    link = sp.hstack([-coverage.T, sp.identity(m)], format="csr")  # y_i - sum_j a_ij x_j <= 0
    rows = [LinearConstraint(link, -np.inf, 0.0), LinearConstraint(np.r_[np.ones(n), np.zeros(m)][None, :], p, p)]
    if district is not None:
        labels = np.asarray(district)
        for label in dict.fromkeys(district):
            member = np.r_[(labels == label).astype(float), np.zeros(m)][None, :]
            rows.append(LinearConstraint(member, district_min, (district_max or {}).get(label, np.inf)))
    if conflicts is not None and len(conflicts):
        k = len(conflicts)
        pairs = sp.csr_array((np.ones(2 * k), (np.repeat(np.arange(k), 2), conflicts.ravel())), shape=(k, n + m))
        rows.append(LinearConstraint(pairs, -np.inf, 1.0))
    lower, upper = np.zeros(n + m), np.ones(n + m)
    lower[list(fixed)] = 1.0
    upper[list(excluded)] = 0.0
    result = milp(
        cost,
        constraints=rows,
        integrality=np.r_[np.ones(n), np.zeros(m)],
        bounds=Bounds(lower, upper),
        options={"mip_rel_gap": 0.0},
    )
    assert result.status == 0, result.message
    return -float(result.fun)


@pytest.mark.parametrize("target_gap", [0.005, 0.0])
def test_mid_size_instance_certified(target_gap):
    coverage, weights = mid_size_instance(2024)
    result = solve_mclp(coverage, weights, 10, target_gap=target_gap, time_limit=60.0)
    assert result.status == "optimal"
    assert result.gap <= target_gap + 1e-12
    assert result.bound >= result.objective
    assert len(result.selected) == 10
    assert np.all(np.diff(result.selected) > 0)
    assert result.objective == pytest.approx(covered_weight(coverage, weights, result.selected), abs=TOL)
    optimum = reference_optimum(coverage, weights, 10)
    assert result.bound >= optimum - 1e-6
    assert result.objective >= (1 - target_gap) * optimum - 1e-6
    if target_gap == 0:
        assert result.objective == pytest.approx(optimum, abs=1e-6)


def test_mid_size_instance_with_rules():
    coverage, weights = mid_size_instance(7)
    rng = np.random.default_rng(7)
    sites = rng.random((300, 2)) * 10_000  # the same draw as mid_size_instance's candidate coordinates
    district = [DISTRICTS[min(int(x // 3400), 2)] for x in sites[:, 0]]
    gaps = np.hypot(*(sites[:, None, :] - sites[None, :, :]).transpose(2, 0, 1))
    a, b = np.nonzero(np.triu(gaps < 700.0, k=1))
    conflicts = np.column_stack([a, b])
    values = coverage @ weights
    excluded = np.argsort(-values, kind="stable")[:8].tolist()  # the eight strongest sites are unavailable
    free_of_conflict = [j for j in np.argsort(values, kind="stable").tolist() if j not in excluded]
    fixed = [free_of_conflict[0]]
    fixed += [next(j for j in free_of_conflict[1:] if gaps[j, fixed[0]] >= 700.0)]
    rules = {
        "district": district,
        "district_min": 3,
        "district_max": {DISTRICTS[1]: 3},
        "conflicts": conflicts,
        "fixed": fixed,
        "excluded": excluded,
    }
    result = solve_mclp(coverage, weights, 12, target_gap=0.0, time_limit=60.0, city_level_min=3, **rules)
    check_plan(result, coverage, weights, 12, **rules)
    assert result.status == "optimal"
    assert result.gap <= 1e-12
    optimum = reference_optimum(coverage, weights, 12, **rules)
    assert result.objective == pytest.approx(optimum, abs=1e-6)
    assert result.bound >= optimum - 1e-6
    check_city_level(result, coverage, weights, 3)


def test_the_solver_never_changes_the_matrix_it_is_given():
    rng = np.random.default_rng(5)
    dense = (rng.random((30, 60)) < 0.2).astype(float)
    coverage = sp.csr_array(dense)
    coverage.data[::3] = 0.0  # stored zeros: the solver drops them from its own copy only
    before = (coverage.data.copy(), coverage.indices.copy(), coverage.indptr.copy())
    solve_mclp(coverage, rng.random(60), 4, time_limit=2.0)
    assert all(np.array_equal(a, b) for a, b in zip(before, (coverage.data, coverage.indices, coverage.indptr),
                                                      strict=True))  # fmt: skip
