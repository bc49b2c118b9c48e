"""geoplan.siting.solve_pmedian against an independent brute force, its input checks and OR-Library pmed instances.

The brute force here enumerates every feasible choice of ``p`` sites and takes ``sum_i w_i min_j c_ij``; a plan
must reach (finite cost) every demand point of positive weight. Costs are distinct integers and weights integers,
so every objective is an exact float and no demand point has two equally near sites.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from _siting_brute import is_feasible
from scipy.sparse.csgraph import shortest_path

from geoplan.errors import InfeasibleError, InputError
from geoplan.siting import SitingResult, solve_pmedian

BENCHMARKS = Path("/work/shared/data/benchmarks/orlib-pmed")
DISTRICTS = ("东湖区", "西湖区", "青山湖区")


# ---------------------------------------------------------------------------------------------------------------
# reference implementation (no geoplan code)


def instance(seed: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Dense distinct-integer costs (10-16 candidates x 30-60 demand), integer weights, p in 2..4."""
    rng = np.random.default_rng(seed)
    n, m, p = int(rng.integers(10, 17)), int(rng.integers(30, 61)), int(rng.integers(2, 5))
    costs = (rng.permutation(n * m) + 1).reshape(n, m).astype(float)
    weights = rng.integers(1, 20, size=m).astype(float)
    return costs, weights, p


def plan_cost(costs: np.ndarray, weights: np.ndarray, subset) -> float:
    """sum_i w_i min_{j in subset} c_ij over positive-weight points; inf when one of them is unreachable."""
    served = weights > 0
    nearest = np.full(int(served.sum()), np.inf)
    for j in subset:
        nearest = np.minimum(nearest, costs[j, served])
    if not np.all(np.isfinite(nearest)):
        return np.inf
    return float(sum(float(w) * float(d) for w, d in zip(weights[served], nearest, strict=True)))


def brute_pmedian(costs: np.ndarray, weights: np.ndarray, p: int, **rules) -> tuple[float, list[tuple[int, ...]]]:
    """Best total weighted distance over feasible plans reaching every weighted point, and the plans reaching it."""
    n = costs.shape[0]
    best, plans = np.inf, []
    for subset in itertools.combinations(range(n), p):
        if not is_feasible(subset, n, p, **rules):
            continue
        value = plan_cost(costs, weights, subset)
        if value < best:
            best, plans = value, [subset]
        elif value == best and np.isfinite(value):
            plans.append(subset)
    return best, plans


def served_weight(costs: np.ndarray, weights: np.ndarray, selected) -> dict[int, float]:
    """Weight each selected site serves, each demand point counted at its nearest selected site."""
    selected = [int(j) for j in selected]
    served = dict.fromkeys(selected, 0.0)
    for i in range(costs.shape[1]):
        if weights[i] > 0:
            nearest = min(selected, key=lambda j: costs[j, i])
            served[nearest] += float(weights[i])
    return served


def labels_for(seed: int, n: int) -> list[str]:
    """District labels, each of the three districts on at least three candidates."""
    rng = np.random.default_rng(500 + seed)
    labels = [DISTRICTS[i % 3] for i in range(9)] + [DISTRICTS[k] for k in rng.integers(0, 3, n - 9)]
    return [labels[i] for i in rng.permutation(n)]


def conflict_pairs(seed: int, n: int, spacing: float = 0.2) -> np.ndarray:
    """Pairs of random points in the unit square closer than ``spacing``."""
    xy = np.random.default_rng(700 + seed).random((n, 2))
    pairs = [(a, b) for a, b in itertools.combinations(range(n), 2) if np.hypot(*(xy[a] - xy[b])) < spacing]
    return np.asarray(pairs, dtype=np.int64).reshape(-1, 2)


def check_optimal(result: SitingResult, costs: np.ndarray, weights: np.ndarray, p: int, **rules) -> float:
    """Feasible, optimal by brute force, with a proven lower bound at the optimum and status optimal."""
    optimum, plans = brute_pmedian(costs, weights, p, **rules)
    assert plans, "test instance should be feasible"
    selected = result.selected.tolist()
    assert selected == sorted(set(selected))
    assert len(selected) == p
    assert is_feasible(selected, costs.shape[0], p, **rules), selected
    assert result.objective == plan_cost(costs, weights, selected)
    assert result.objective == optimum
    assert tuple(selected) in plans
    assert result.bound <= optimum + 1e-9
    assert result.bound >= optimum * (1 - 1e-9)  # HiGHS's dual bound carries float noise (~1e-14 relative)
    assert result.gap == pytest.approx(0.0, abs=1e-9)
    assert result.status == "optimal"
    return optimum


def check_city_level(result: SitingResult, costs: np.ndarray, weights: np.ndarray, minimum: int) -> None:
    """City-level sites are the selected ones serving the most weight."""
    city = result.city_level.tolist()
    assert len(city) == minimum
    assert city == sorted(set(city))
    assert set(city) <= set(result.selected.tolist())
    served = served_weight(costs, weights, result.selected)
    others = set(result.selected.tolist()) - set(city)
    if city and others:
        assert min(served[j] for j in city) >= max(served[j] for j in others), (city, served)


# ---------------------------------------------------------------------------------------------------------------
# optimum on dense instances


@pytest.mark.parametrize("seed", range(8))
def test_dense_optimum(seed):
    costs, weights, p = instance(seed)
    result = solve_pmedian(costs, weights, p, target_gap=0)
    check_optimal(result, costs, weights, p)
    assert len(result.city_level) == 0


@pytest.mark.parametrize("seed", range(4))
def test_city_level_serves_most_weight(seed):
    costs, weights, p = instance(100 + seed)
    p = max(p, 3)
    result = solve_pmedian(costs, weights, p, city_level_min=2, target_gap=0)
    check_optimal(result, costs, weights, p)
    check_city_level(result, costs, weights, 2)


def test_city_level_explicit_small_case():
    # Site 0 serves points 0-1 (weight 2), site 2 serves points 2-4 (weight 9), site 3 is never nearest.
    costs = np.array(
        [
            [1.0, 1.0, 9.0, 9.0, 9.0],
            [5.0, 5.0, 5.0, 5.0, 5.0],
            [9.0, 9.0, 1.0, 1.0, 1.0],
        ]
    )
    weights = np.array([1.0, 1.0, 3.0, 3.0, 3.0])
    result = solve_pmedian(costs, weights, 2, city_level_min=1, target_gap=0)
    assert result.selected.tolist() == [0, 2]
    assert result.objective == 11.0
    assert result.city_level.tolist() == [2]


@pytest.mark.parametrize("seed", range(4))
def test_district_minimum_and_maximum(seed):
    costs, weights, _ = instance(200 + seed)
    n = costs.shape[0]
    p = 4
    district = labels_for(seed, n)
    rules = {"district": district, "district_min": 1, "district_max": {DISTRICTS[0]: 1}}
    result = solve_pmedian(costs, weights, p, target_gap=0, **rules)
    check_optimal(result, costs, weights, p, **rules)
    counts = {d: sum(district[j] == d for j in result.selected) for d in DISTRICTS}
    assert counts[DISTRICTS[0]] == 1
    assert min(counts.values()) >= 1


@pytest.mark.parametrize("seed", range(4))
def test_district_minimum_per_label(seed):
    costs, weights, p = instance(250 + seed)
    district = labels_for(seed + 50, costs.shape[0])
    rules = {"district": district, "district_min": {DISTRICTS[2]: 2}}
    result = solve_pmedian(costs, weights, p, target_gap=0, **rules)
    check_optimal(result, costs, weights, p, **rules)


@pytest.mark.parametrize("seed", range(4))
def test_spacing_conflicts(seed):
    costs, weights, p = instance(300 + seed)
    conflicts = conflict_pairs(seed, costs.shape[0])
    assert len(conflicts) > 0
    unconstrained = brute_pmedian(costs, weights, p)[0]
    result = solve_pmedian(costs, weights, p, conflicts=conflicts, target_gap=0)
    optimum = check_optimal(result, costs, weights, p, conflicts=conflicts)
    assert optimum >= unconstrained


@pytest.mark.parametrize("seed", range(4))
def test_fixed_and_excluded(seed):
    costs, weights, p = instance(400 + seed)
    free_best = brute_pmedian(costs, weights, p)[1][0]
    # Exclude a site of the unconstrained optimum and fix a site outside it: the answer must move.
    excluded = [free_best[0]]
    fixed = [next(j for j in range(costs.shape[0]) if j not in free_best)]
    rules = {"fixed": fixed, "excluded": excluded}
    result = solve_pmedian(costs, weights, p, target_gap=0, **rules)
    check_optimal(result, costs, weights, p, **rules)
    assert fixed[0] in result.selected
    assert excluded[0] not in result.selected


@pytest.mark.parametrize("seed", range(3))
def test_all_rules_together(seed):
    costs, weights, _ = instance(450 + seed)
    n, p = costs.shape[0], 4
    district = labels_for(seed + 90, n)
    conflicts = conflict_pairs(seed + 90, n, spacing=0.15)
    rules = {
        "district": district,
        "district_min": 1,
        "conflicts": conflicts,
        "fixed": [int(np.argmax(costs.sum(axis=1)))],  # the worst site, forced in
        "excluded": [int(np.argmin(costs.sum(axis=1)))],  # the best site, forced out
    }
    result = solve_pmedian(costs, weights, p, city_level_min=2, target_gap=0, **rules)
    check_optimal(result, costs, weights, p, **rules)
    check_city_level(result, costs, weights, 2)


def test_fixed_city_level_kept():
    costs, weights, p = instance(480)
    result = solve_pmedian(costs, weights, p, fixed=[1], city_level_fixed=[1], city_level_min=2, target_gap=0)
    check_optimal(result, costs, weights, p, fixed=[1])
    assert 1 in result.city_level.tolist()
    assert len(result.city_level) == 2
    other = (set(result.city_level.tolist()) - {1}).pop()
    served = served_weight(costs, weights, result.selected)
    assert served[other] == max(served[j] for j in result.selected if j != 1)


def test_exact_false_is_feasible_with_valid_bound():
    costs, weights, p = instance(490)
    result = solve_pmedian(costs, weights, p, exact=False)
    optimum = brute_pmedian(costs, weights, p)[0]
    assert len(result.selected) == p
    assert result.objective == plan_cost(costs, weights, result.selected)
    assert result.objective >= optimum
    assert result.bound <= optimum + 1e-9
    assert result.status in {"heuristic", "optimal"}


# ---------------------------------------------------------------------------------------------------------------
# unreachable pairs: sparse gaps, NaN and inf


def sparse_instance(seed: int, density: float = 0.45) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Sparse costs (row, col, data) with some explicit zeros; the dense reference with inf for missing pairs."""
    rng = np.random.default_rng(seed)
    n, m, p = int(rng.integers(10, 15)), int(rng.integers(30, 50)), int(rng.integers(3, 5))
    present = rng.random((n, m)) < density
    present[rng.integers(0, n, size=m), np.arange(m)] = True  # every point reachable from some candidate
    values = (rng.permutation(n * m) + 1).reshape(n, m).astype(float)
    rows, cols = np.nonzero(present)
    data = values[rows, cols]
    zeros = rng.choice(len(data), size=4, replace=False)
    data[zeros] = 0.0
    reference = np.full((n, m), np.inf)
    reference[rows, cols] = data
    weights = rng.integers(1, 20, size=m).astype(float)
    return (rows, cols, data), reference, weights, p


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("kind", ["csr_array", "coo_array", "csc_matrix"])
def test_sparse_missing_means_unreachable(seed, kind):
    (rows, cols, data), reference, weights, p = sparse_instance(600 + seed)
    shape = reference.shape
    cost = {
        "csr_array": sp.csr_array((data, (rows, cols)), shape=shape),
        "coo_array": sp.coo_array((data, (rows, cols)), shape=shape),
        "csc_matrix": sp.csc_matrix((data, (rows, cols)), shape=shape),
    }[kind]
    assert cost.nnz == len(data), "explicit zeros must be stored for this test"
    optimum, plans = brute_pmedian(reference, weights, p)
    if not plans:
        with pytest.raises(InfeasibleError):
            solve_pmedian(cost, weights, p, target_gap=0)
        return
    result = solve_pmedian(cost, weights, p, target_gap=0)
    check_optimal(result, reference, weights, p)
    # Treating the gaps as zero distances would give a different (lower) value.
    assert optimum > brute_pmedian(np.where(np.isfinite(reference), reference, 0.0), weights, p)[0]


def test_sparse_stored_zero_is_distance_zero():
    # Point 0 is at distance 0 from site 1 (stored zero); site 0 does not reach point 1 at all.
    cost = sp.csr_array(([4.0, 0.0, 3.0], ([0, 1, 1], [0, 0, 1])), shape=(2, 2))
    assert cost.nnz == 3
    result = solve_pmedian(cost, [5.0, 2.0], 1, target_gap=0)
    assert result.selected.tolist() == [1]
    assert result.objective == 6.0
    assert result.bound == 6.0


def test_sparse_all_stored_zeros_objective_zero():
    cost = sp.csr_array(([0.0, 0.0], ([0, 0], [0, 1])), shape=(3, 2))
    result = solve_pmedian(cost, [1.0, 2.0], 1, target_gap=0)
    assert result.selected.tolist() == [0]
    assert result.objective == 0.0
    assert result.status == "optimal"


@pytest.mark.parametrize("seed", range(4))
def test_dense_nan_and_inf_are_unreachable(seed):
    costs, weights, p = instance(800 + seed)
    rng = np.random.default_rng(seed)
    gaps = rng.random(costs.shape) < 0.3
    keep = rng.integers(0, costs.shape[0], size=costs.shape[1])
    gaps[keep, np.arange(costs.shape[1])] = False
    reference = np.where(gaps, np.inf, costs)
    given = reference.copy()
    given[gaps & (rng.random(costs.shape) < 0.5)] = np.nan
    assert np.isnan(given).any()
    assert np.isinf(given).any()
    _, plans = brute_pmedian(reference, weights, p)
    if not plans:
        with pytest.raises(InfeasibleError):
            solve_pmedian(given, weights, p, target_gap=0)
        return
    result = solve_pmedian(given, weights, p, target_gap=0)
    check_optimal(result, reference, weights, p)
    assert np.isfinite(result.objective)


def test_dense_nan_small_case():
    nan = np.nan
    costs = np.array([[1.0, nan, 4.0], [nan, 2.0, 6.0], [3.0, 3.0, nan]])
    # No single site reaches all three points; p=2: {0, 1} costs 1+2+4, {0, 2} 1+3+4, {1, 2} 3+2+6.
    with pytest.raises(InfeasibleError):
        solve_pmedian(costs, [1.0, 1.0, 1.0], 1, target_gap=0)
    result = solve_pmedian(costs, [1.0, 1.0, 1.0], 2, target_gap=0)
    assert result.selected.tolist() == [0, 1]
    assert result.objective == 7.0
    assert result.bound == 7.0


def test_reaching_plan_found_when_greedy_misses_it():
    # Only {0, 1} reaches every point (site 0 alone reaches points 0 and 2, site 1 points 1 and 3); optimum
    # 2*9 + 3*7 + 3*2 + 2*1 = 47. Greedy + interchange on capped costs ends at a plan leaving a point unreached.
    inf = np.inf
    costs = np.array(
        [
            [9.0, inf, 2.0, inf],
            [inf, 7.0, inf, 1.0],
            [inf, inf, 1.0, 4.0],
            [inf, 3.0, 4.0, inf],
        ]
    )
    weights = np.array([2.0, 3.0, 3.0, 2.0])
    assert brute_pmedian(costs, weights, 2) == (47.0, [(0, 1)])
    result = solve_pmedian(costs, weights, 2, target_gap=0)
    assert result.selected.tolist() == [0, 1]
    assert result.objective == 47.0
    assert result.status == "optimal"


def test_plan_must_reach_every_point():
    # Point 2 is reached only by site 2, which is far from everything else: it must still be chosen.
    inf = np.inf
    costs = np.array(
        [
            [1.0, 1.0, inf],
            [2.0, 2.0, inf],
            [50.0, 50.0, 7.0],
        ]
    )
    result = solve_pmedian(costs, [10.0, 10.0, 1.0], 2, target_gap=0)
    assert result.selected.tolist() == [0, 2]
    assert result.objective == 27.0


def test_zero_weight_point_unreachable_is_ignored():
    # The second point weighs nothing and no candidate reaches it: the plan need not reach it (only positive-weight
    # points must be reachable), so the answer is site 0 at cost 1.
    costs = np.array([[1.0, np.inf], [2.0, np.inf]])
    result = solve_pmedian(costs, [1.0, 0.0], 1, target_gap=0)
    assert result.selected.tolist() == [0]
    assert result.objective == 1.0
    assert result.status == "optimal"


def test_zero_weight_point_unreachable_is_ignored_sparse():
    cost = sp.csr_array(([1.0, 2.0, 3.0], ([0, 1, 1], [0, 0, 2])), shape=(2, 3))
    result = solve_pmedian(cost, [1.0, 0.0, 0.0], 1, target_gap=0)
    assert result.selected.tolist() == [0]
    assert result.objective == 1.0


#: A zero-weight point (column 0) that site 2 cannot reach. Optimum {1, 2}: 3*3 + 2*1 + 4*7 = 39 ({0, 3}: 40).
ZERO_WEIGHT_COSTS = np.array(
    [
        [3.0, 6.0, 9.0, 6.0],
        [7.0, 3.0, 6.0, 8.0],
        [np.inf, 8.0, 1.0, 7.0],
        [2.0, 4.0, 2.0, 7.0],
    ]
)
ZERO_WEIGHT_WEIGHTS = np.array([0.0, 3.0, 2.0, 4.0])


def test_zero_weight_point_partly_unreachable_no_warning():
    # Under pytest's warnings-as-errors this currently fails with "RuntimeWarning: invalid value encountered in
    # multiply" (0 * inf in the Lagrangian bound).
    result = solve_pmedian(ZERO_WEIGHT_COSTS, ZERO_WEIGHT_WEIGHTS, 2, target_gap=0)
    assert brute_pmedian(ZERO_WEIGHT_COSTS, ZERO_WEIGHT_WEIGHTS, 2) == (39.0, [(1, 2)])
    assert result.objective == 39.0


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_zero_weight_point_partly_unreachable_optimum():
    # With the warnings silenced the answer is {0, 3} at 40 with bound 40 and status "optimal": the NaN
    # (0 * inf) rows corrupt the Lagrangian lower bound, which then certifies a suboptimal plan.
    assert brute_pmedian(ZERO_WEIGHT_COSTS, ZERO_WEIGHT_WEIGHTS, 2) == (39.0, [(1, 2)])
    result = solve_pmedian(ZERO_WEIGHT_COSTS, ZERO_WEIGHT_WEIGHTS, 2, target_gap=0)
    assert result.bound <= 39.0 + 1e-9
    assert result.selected.tolist() == [1, 2]
    assert result.objective == 39.0


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("seed", range(6))
def test_zero_weight_points_random(seed):
    # Dense instances where three zero-weight points are unreachable from ~30% of the candidates.
    costs, weights, p = instance(1000 + seed)
    rng = np.random.default_rng(seed)
    zero = rng.choice(costs.shape[1], size=3, replace=False)
    weights[zero] = 0.0
    for i in zero:
        costs[rng.random(costs.shape[0]) < 0.3, i] = np.inf
    result = solve_pmedian(costs, weights, p, target_gap=0)
    check_optimal(result, costs, weights, p)


def test_point_reached_by_no_candidate_is_infeasible():
    costs, weights, p = instance(900)
    costs[:, 5] = np.inf
    with pytest.raises(InfeasibleError, match="cannot reach any usable candidate"):
        solve_pmedian(costs, weights, p, target_gap=0)


def test_point_reached_only_by_excluded_candidate_is_infeasible():
    costs, weights, p = instance(901)
    costs[1:, 7] = np.inf
    solve_pmedian(costs, weights, p, target_gap=0)  # reachable through site 0
    with pytest.raises(InfeasibleError, match="cannot reach any usable candidate"):
        solve_pmedian(costs, weights, p, excluded=[0], target_gap=0)


def test_sparse_point_with_no_entry_is_infeasible():
    cost = sp.csr_array(([1.0, 2.0], ([0, 1], [0, 0])), shape=(2, 2))
    with pytest.raises(InfeasibleError):
        solve_pmedian(cost, [1.0, 1.0], 1, target_gap=0)


def test_p_too_small_to_reach_everything_is_infeasible():
    inf = np.inf
    costs = np.array([[1.0, inf, inf], [inf, 1.0, inf], [inf, inf, 1.0]])
    assert solve_pmedian(costs, [1.0, 1.0, 1.0], 3, target_gap=0).objective == 3.0
    with pytest.raises(InfeasibleError):
        solve_pmedian(costs, [1.0, 1.0, 1.0], 2, target_gap=0)


# ---------------------------------------------------------------------------------------------------------------
# input checks


def test_negative_cost_dense_is_input_error():
    costs, weights, p = instance(950)
    costs[2, 3] = -1.0
    with pytest.raises(InputError, match="non-negative"):
        solve_pmedian(costs, weights, p)


def test_negative_cost_sparse_is_input_error():
    cost = sp.csr_array(([1.0, -2.0], ([0, 1], [0, 1])), shape=(2, 2))
    with pytest.raises(InputError, match="non-negative"):
        solve_pmedian(cost, [1.0, 1.0], 1)


def test_weights_length_mismatch():
    costs, weights, p = instance(951)
    with pytest.raises(InputError, match="cost has"):
        solve_pmedian(costs, weights[:-1], p)


def test_negative_weight_is_input_error():
    costs, weights, p = instance(952)
    weights[0] = -1.0
    with pytest.raises(InputError):
        solve_pmedian(costs, weights, p)


def test_one_dimensional_cost_is_input_error():
    with pytest.raises(InputError):
        solve_pmedian(np.array([1.0, 2.0]), [1.0, 1.0], 1)


def test_invalid_p_and_rules():
    costs, weights, _ = instance(953)
    with pytest.raises(InputError):
        solve_pmedian(costs, weights, 0)
    with pytest.raises(InfeasibleError):
        solve_pmedian(costs, weights, costs.shape[0] + 1)
    with pytest.raises(InfeasibleError):
        solve_pmedian(costs, weights, 2, fixed=[0, 1, 2])
    with pytest.raises(InfeasibleError):
        solve_pmedian(costs, weights, 2, fixed=[3], excluded=[3])


# ---------------------------------------------------------------------------------------------------------------
# OR-Library


def read_orlib(name: str) -> tuple[np.ndarray, int]:
    """All-pairs shortest-path distances and p of an OR-Library pmed instance (later edges overwrite earlier)."""
    lines = (BENCHMARKS / f"{name}.txt").read_text().split("\n")
    n, m, p = (int(x) for x in lines[0].split())
    edges: dict[tuple[int, int], float] = {}
    count = 0
    for line in lines[1:]:
        parts = line.split()
        if not parts:
            continue
        i, j, c = int(parts[0]) - 1, int(parts[1]) - 1, float(parts[2])
        edges[(min(i, j), max(i, j))] = c
        count += 1
    assert count == m
    rows = [i for i, _ in edges]
    cols = [j for _, j in edges]
    graph = sp.csr_array((list(edges.values()), (rows, cols)), shape=(n, n))
    return shortest_path(graph, directed=False), p


def published_optimum(name: str) -> float:
    for line in (BENCHMARKS / "pmedopt.txt").read_text().splitlines():
        parts = line.replace(":", " ").split()
        if parts and parts[0] == name:
            return float(parts[-1])
    raise AssertionError(f"{name} not in pmedopt.txt")


def test_orlib_pmed1():
    distances, p = read_orlib("pmed1")
    assert distances.shape == (100, 100)
    assert p == 5
    assert published_optimum("pmed1") == 5819
    result = solve_pmedian(distances, np.ones(100), p, target_gap=0, time_limit=60)
    assert result.objective == 5819
    assert result.bound == 5819
    assert result.status == "optimal"
    assert len(result.selected) == p
    assert result.objective == distances[result.selected].min(axis=0).sum()


@pytest.mark.slow
def test_orlib_pmed5():
    distances, p = read_orlib("pmed5")
    assert p == 33
    assert published_optimum("pmed5") == 1355
    result = solve_pmedian(distances, np.ones(100), p, target_gap=0, time_limit=120)
    assert result.objective == 1355
    assert result.bound == 1355
    assert result.status == "optimal"
