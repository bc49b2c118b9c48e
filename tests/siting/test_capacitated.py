"""Capacitated covering by time window (issue 16, part 3): brute force, capacity and demand limits, rules, refusals.

The reference values come from enumeration over every feasible plan and size choice, each scored by its own LP
(scipy.optimize.linprog over the original demand columns, no merging), written here independently of the solver.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from _siting_brute import feasible_subsets
from scipy.optimize import linprog

from geoplan.errors import InputError
from geoplan.siting import capacitated, solve_capacitated, solve_mclp


def _served_by_lp(coverage: np.ndarray, demand: np.ndarray, capacity: np.ndarray, hours: np.ndarray) -> float:
    """Best hour-weighted served load of open sites with the given capacities (sites x demand coverage).

    ``capacity`` per site, or (sites, windows) per site and window.
    """
    capacity = np.broadcast_to(np.asarray(capacity, dtype=float).reshape(len(coverage), -1),
                               (len(coverage), demand.shape[1]))  # fmt: skip
    pairs = np.argwhere(coverage)
    windows = demand.shape[1]
    if len(pairs) == 0:
        return 0.0
    variables = [(j, i, t) for j, i in pairs for t in range(windows)]
    a, b = [], []
    for i in range(demand.shape[0]):
        for t in range(windows):
            a.append([1.0 if (v[1] == i and v[2] == t) else 0.0 for v in variables])
            b.append(demand[i, t])
    for j in range(coverage.shape[0]):
        for t in range(windows):
            a.append([1.0 if (v[0] == j and v[2] == t) else 0.0 for v in variables])
            b.append(capacity[j, t])
    cost = [-hours[v[2]] for v in variables]
    answer = linprog(cost, A_ub=np.array(a), b_ub=np.array(b), bounds=(0, None), method="highs")
    assert answer.status == 0
    return -answer.fun


def _brute_force(coverage, demand, capacity, p, hours, open_share=None, **rules) -> float:
    """Best objective over every feasible plan and every offered size per chosen site."""
    capacity = np.nan_to_num(np.asarray(capacity, dtype=float).reshape(len(coverage), -1))
    opened = np.ones((len(coverage), demand.shape[1])) if open_share is None else np.asarray(open_share)
    best = 0.0
    for subset in feasible_subsets(len(coverage), p, **rules):
        options = [[c for c in capacity[j] if c > 0] for j in subset]
        if any(not option for option in options):
            continue
        for sizes in itertools.product(*options):
            per_window = np.array(sizes)[:, None] * opened[list(subset)]
            best = max(best, _served_by_lp(coverage[list(subset)], demand, per_window, hours))
    return best


def _instance(seed: int, n: int = 8, m: int = 12, windows: int = 2, sizes: int = 1):
    rng = np.random.default_rng(seed)
    coverage = rng.random((n, m)) < 0.3
    demand = rng.integers(0, 12, size=(m, windows)).astype(float)
    capacity = rng.integers(6, 25, size=(n, sizes)).astype(float)
    if sizes > 1:
        capacity = np.sort(capacity, axis=1)
        capacity[rng.random((n, sizes)) < 0.2] = np.nan  # some sizes not offered at some sites
        capacity[:, 0] = np.nan_to_num(capacity[:, 0], nan=5.0)
    return coverage, demand, capacity


def _check_limits(result, coverage, demand) -> None:
    """Loads within capacity, served within demand and within reach, checked from the result arrays alone."""
    assert np.all(result.load <= result.capacity[:, None] + 1e-9)
    assert np.all(result.served <= demand + 1e-9)
    assert np.all(result.served >= 0)
    assert np.all(result.load >= 0)
    reach = np.asarray(coverage)[result.selected].any(axis=0)
    assert np.all(result.served[~reach] == 0)
    assert np.allclose(result.covered, np.where(reach[:, None], demand, 0.0))
    assert np.all(result.served <= result.covered + 1e-9)
    assert np.allclose(result.served.sum(axis=0), result.load.sum(axis=0))


@pytest.mark.parametrize(("seed", "p", "sizes"), [(0, 2, 1), (1, 3, 1), (2, 3, 2), (3, 2, 2), (4, 3, 2), (5, 3, 1)])
def test_capacitated_matches_brute_force(seed, p, sizes):
    coverage, demand, capacity = _instance(seed, sizes=sizes)
    hours = np.array([1.5, 2.0])
    result = solve_capacitated(sp.csr_array(coverage.astype(float)), demand, capacity, p, window_hours=hours)
    expected = _brute_force(coverage, demand, capacity, p, hours)
    assert result.objective == pytest.approx(expected, abs=1e-6)
    assert result.status == "optimal"
    assert result.gap == 0
    assert len(result.selected) == p
    assert np.all(np.diff(result.selected) > 0)
    assert result.objective == pytest.approx(hours @ result.served.sum(axis=0))
    assert np.allclose(result.capacity, np.nan_to_num(capacity.reshape(8, -1))[result.selected, result.size])
    _check_limits(result, coverage, demand)


@pytest.mark.parametrize(("seed", "p", "sizes"), [(20, 2, 1), (21, 3, 2), (22, 3, 1), (23, 2, 2)])
def test_capacitated_opening_hours_match_brute_force(seed, p, sizes):
    """Sites open for part of the windows only (opening hours): capacity per window is capacity x open share."""
    coverage, demand, capacity = _instance(seed, windows=3, sizes=sizes)
    rng = np.random.default_rng(seed)
    open_share = rng.choice([0.0, 0.5, 1.0], size=(8, 3), p=[0.3, 0.2, 0.5])
    hours = np.array([1.0, 2.5, 0.5])
    result = solve_capacitated(coverage, demand, capacity, p, window_hours=hours, open_share=open_share)
    expected = _brute_force(coverage, demand, capacity, p, hours, open_share=open_share)
    assert result.objective == pytest.approx(expected, abs=1e-6)
    assert result.status == "optimal"
    assert np.allclose(result.open_share, open_share[result.selected])
    assert np.all(result.load <= result.capacity[:, None] * result.open_share + 1e-9)
    closed = result.open_share == 0
    assert np.all(result.load[closed] == 0)


def test_capacitated_closed_all_day_serves_nothing():
    """A site closed in every window is worth nothing, however much demand it reaches."""
    coverage = np.array([[1, 1, 1], [1, 0, 0], [0, 1, 0]], dtype=bool)
    demand = np.full((3, 2), 10.0)
    open_share = np.array([[0.0, 0.0], [1.0, 1.0], [1.0, 1.0]])
    result = solve_capacitated(coverage, demand, np.full(3, 100.0), 2, open_share=open_share)
    assert result.selected.tolist() == [1, 2]
    assert result.objective == pytest.approx(40.0)


@pytest.mark.parametrize("seed", [10, 11, 12])
def test_capacitated_loads_never_above_capacity(seed):
    coverage, demand, capacity = _instance(seed, n=10, m=40, windows=3, sizes=2)
    demand *= 3.7  # fractional loads: the LP's tolerances must not leak past the limits
    result = solve_capacitated(coverage, demand, capacity, 4)
    _check_limits(result, coverage, demand)
    assert result.objective <= result.bound + 1e-9


def test_capacitated_huge_capacity_equals_plain_coverage():
    coverage, demand, _ = _instance(7, n=10, m=30, windows=3)
    hours = np.array([1.0, 2.0, 0.5])
    result = solve_capacitated(coverage, demand, np.full(10, 1e6), 3, window_hours=hours)
    plain = solve_mclp(sp.csr_array(coverage.astype(float)), demand @ hours, 3)
    assert plain.status == "optimal"
    assert result.objective == pytest.approx(plain.objective)
    assert np.allclose(result.served, result.covered)


def test_capacitated_plan_spreads_over_a_dense_cluster():
    # Sites 0-5 all reach a dense cluster (10 columns of load 10); sites 6-11 each reach one lone column of load 3.
    n, cluster, lone = 12, 10, 6
    coverage = np.zeros((n, cluster + lone), dtype=bool)
    coverage[:6, :cluster] = True
    for k in range(lone):
        coverage[6 + k, cluster + k] = True
    demand = np.r_[np.full(cluster, 10.0), np.full(lone, 3.0)][:, None]
    capacity = np.full(n, 20.0)
    p = 4
    plain = solve_mclp(sp.csr_array(coverage.astype(float)), demand[:, 0], p)
    result = solve_capacitated(coverage, demand, capacity, p)
    plain_served = _served_by_lp(coverage[plain.selected], demand, capacity[plain.selected], np.ones(1))
    assert np.sum(result.selected < 6) > np.sum(plain.selected < 6)
    assert result.objective > plain_served
    assert result.objective == pytest.approx(80.0)


def test_capacitated_respects_the_rules():
    coverage, demand, capacity = _instance(21, n=9, m=14, windows=2, sizes=2)
    district = np.array(["a", "a", "a", "b", "b", "b", "c", "c", "c"], dtype=object)
    rules = {"district": district, "district_min": {"c": 1}, "district_max": {"a": 1},
             "conflicts": np.array([[3, 4], [6, 7]]), "fixed": [4], "excluded": [8]}  # fmt: skip
    hours = np.ones(2)
    result = solve_capacitated(coverage, demand, capacity, 3, **rules)
    chosen = set(result.selected.tolist())
    assert 4 in chosen
    assert 8 not in chosen
    assert 3 not in chosen
    assert not {6, 7} <= chosen
    assert np.sum(district[result.selected] == "c") >= 1
    assert np.sum(district[result.selected] == "a") <= 1
    assert result.status == "optimal"
    assert result.objective == pytest.approx(_brute_force(coverage, demand, capacity, 3, hours, **rules))


def test_capacitated_smallest_size_unless_larger_serves_more():
    coverage = np.array([[1, 1, 0], [0, 0, 1]], dtype=bool)
    capacity = np.array([[10.0, 30.0], [10.0, 30.0]])
    demand = np.array([[3.0], [4.0], [25.0]])
    result = solve_capacitated(coverage, demand, capacity, 2)
    assert result.selected.tolist() == [0, 1]
    assert result.size.tolist() == [0, 1]  # site 0's load (7) fits its small size; site 1's (25) needs the large
    assert result.capacity.tolist() == [10.0, 30.0]
    assert result.objective == pytest.approx(32.0)


def test_capacitated_pool_keeps_an_honest_bound(monkeypatch):
    coverage, demand, capacity = _instance(31, n=10, m=30, windows=2)
    optimum = _brute_force(coverage, demand, capacity, 3, np.ones(2))
    monkeypatch.setattr(capacitated, "CAPACITATED_MILP_MAX_VARIABLES", 20)
    result = solve_capacitated(coverage, demand, capacity, 3)
    assert "pool" in result.method
    assert result.objective <= optimum + 1e-6
    assert result.bound >= optimum - 1e-6
    assert result.gap == pytest.approx((result.bound - result.objective) / result.bound)
    _check_limits(result, coverage, demand)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"demand": np.ones((5, 2))}, "capacitated_demand_shape"),
        ({"demand": -np.ones((12, 2))}, "capacitated_demand_negative"),
        ({"demand": np.full((12, 2), np.inf)}, "capacitated_demand_negative"),
        ({"capacity": np.ones(7)}, "capacitated_capacity_shape"),
        ({"capacity": -np.ones(8)}, "capacitated_capacity_negative"),
        ({"window_hours": np.ones(3)}, "capacitated_window_hours"),
        ({"window_hours": np.array([1.0, 0.0])}, "capacitated_window_hours"),
        ({"p": 9}, "capacitated_p_above_sites"),
        ({"p": 0}, "station_count_below_one"),
        ({"fixed": [0], "capacity": np.r_[0.0, np.ones(7)]}, "capacitated_fixed_without_capacity"),
        ({"target_gap": 1.5}, "target_gap_range"),
        ({"open_share": np.ones((8, 3))}, "capacitated_open_share"),
        ({"open_share": np.full((8, 2), 1.5)}, "capacitated_open_share"),
        ({"open_share": np.full((8, 2), np.nan)}, "capacitated_open_share"),
    ],
)
def test_capacitated_refuses_bad_input(change, code):
    coverage, demand, capacity = _instance(0)
    arguments = {"coverage": coverage, "demand": demand, "capacity": capacity[:, 0], "p": 2} | change
    with pytest.raises(InputError) as raised:
        solve_capacitated(**arguments)
    assert raised.value.code == code


@pytest.mark.parametrize("seed", [30, 31])
def test_capacitated_fractional_loads_match_brute_force(seed):
    """Fractional loads and capacities: the flows (integer-scaled, then an exact LP) reach the brute-force optimum."""
    coverage, demand, capacity = _instance(seed, windows=3, sizes=2)
    demand *= 1.37
    capacity = capacity * 0.91
    hours = np.array([0.75, 1.25, 3.0])
    result = solve_capacitated(coverage, demand, capacity, 3, window_hours=hours)
    expected = _brute_force(coverage, demand, capacity, 3, hours)
    assert result.objective == pytest.approx(expected, rel=1e-6)
    _check_limits(result, coverage, demand)


def test_window_flow_never_exceeds_a_limit_and_is_exact_on_whole_numbers():
    group = np.array([0, 0, 1, 2, 2])
    station = np.array([0, 1, 1, 0, 1])
    load = np.array([5.0, 7.0, 4.0])
    cap = np.array([6.0, 6.0])
    flow = capacitated._window_flow(group, station, load, cap)
    assert flow.sum() == pytest.approx(12.0)
    assert np.all(np.bincount(group, weights=flow) <= load)
    assert np.all(np.bincount(station, weights=flow) <= cap)
    tiny = capacitated._window_flow(group, station, load / 3.0, cap / 7.0)
    assert np.all(np.bincount(group, weights=tiny) <= load / 3.0)
    assert np.all(np.bincount(station, weights=tiny) <= cap / 7.0)
    assert tiny.sum() == pytest.approx(12.0 / 7.0, rel=1e-6)
