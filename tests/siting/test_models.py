"""Maximal-covering variants of geoplan.siting.solve_mclp: cross coverage, must-cover, quotas and warm starts.

Every optimum is checked against a brute force written here (enumeration of all feasible plans); weights are
integers and the backup weights dyadic, so objectives are exact floats.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from _siting_brute import as_bool, brute, covers_all, is_feasible, quota_ok, random_instance, value
from hypothesis import given, settings
from hypothesis import strategies as st

from geoplan.errors import InfeasibleError, InputError
from geoplan.siting import Quota, SitingResult, solve_mclp


def instance(seed: int, density: float = 0.25) -> tuple[np.ndarray, np.ndarray, int]:
    """8-12 candidates, 30-60 demand points, p in 2..4."""
    rng = np.random.default_rng(10_000 + seed)
    n, m, p = int(rng.integers(8, 13)), int(rng.integers(30, 61)), int(rng.integers(2, 5))
    cover, weights = random_instance(seed, n, m, density)
    return cover, weights, p


def must_matrix(seed: int, n: int, k: int, per_point: int = 2) -> np.ndarray:
    """Candidates x k must-cover points, each point reachable from ``per_point`` random candidates."""
    rng = np.random.default_rng(20_000 + seed)
    must = np.zeros((n, k), dtype=bool)
    for i in range(k):
        must[rng.choice(n, size=per_point, replace=False), i] = True
    return must


def check_plan(result: SitingResult, cover, weights, p, backup=0.0, must=None, quotas=(), **rules) -> None:
    """Sorted unique p sites, every rule kept, objective and details recomputed exactly."""
    selected = result.selected.tolist()
    assert selected == sorted(set(selected))
    assert len(selected) == p
    assert is_feasible(selected, cover.shape[0], p, **rules), selected
    assert covers_all(must, selected), selected
    assert quota_ok(selected, quotas), selected
    assert result.objective == value(cover, weights, selected, backup)
    counts = cover[selected].sum(axis=0)
    assert result.details["covered"] == float(weights @ (counts >= 1))
    assert result.details["covered_twice"] == float(weights @ (counts >= 2))
    assert result.bound >= result.objective


def check_optimal(result: SitingResult, cover, weights, p, backup=0.0, must=None, quotas=(), **rules) -> float:
    optimum, plans = brute(cover, weights, p, backup, must, quotas, **rules)
    assert plans, "test instance should be feasible"
    check_plan(result, cover, weights, p, backup, must, quotas, **rules)
    assert result.objective == optimum
    assert tuple(result.selected.tolist()) in plans
    assert result.bound <= optimum * (1 + 1e-9) + 1e-9
    assert result.gap == pytest.approx(0.0, abs=1e-9)
    assert result.status == "optimal"
    return optimum


# ---------------------------------------------------------------------------------------------------------------
# cross coverage (backup_weight)


@pytest.mark.parametrize("backup", [0.25, 0.5, 1.0])
@pytest.mark.parametrize("seed", range(4))
def test_backup_weight_optimum(seed, backup):
    cover, weights, p = instance(seed)
    p = max(p, 3)
    result = solve_mclp(cover, weights, p, backup_weight=backup, target_gap=0)
    check_optimal(result, cover, weights, p, backup)
    assert result.objective == result.details["covered"] + backup * result.details["covered_twice"]


def test_backup_weight_changes_the_choice():
    # Sites 0 and 1 cover disjoint points (2 + 2); sites 0 and 2 overlap on 3 heavy points.
    cover = np.array(
        [
            [1, 1, 1, 0, 0],
            [0, 0, 0, 1, 1],
            [1, 1, 1, 0, 0],
        ],
        dtype=bool,
    )
    weights = np.array([2.0, 2.0, 2.0, 1.0, 1.0])
    plain = solve_mclp(cover, weights, 2, target_gap=0)
    assert plain.selected.tolist() == [0, 1]
    assert plain.objective == 8.0
    assert plain.details == {"covered": 8.0, "covered_twice": 0.0}
    crossed = solve_mclp(cover, weights, 2, backup_weight=0.5, target_gap=0)
    # {0, 2}: 6 + 0.5 * 6 = 9 beats {0, 1}: 8.
    assert crossed.selected.tolist() == [0, 2]
    assert crossed.objective == 9.0
    assert crossed.details == {"covered": 6.0, "covered_twice": 6.0}


@pytest.mark.parametrize("seed", range(3))
def test_backup_weight_with_rules(seed):
    cover, weights, _ = instance(100 + seed)
    n, p = cover.shape[0], 4
    district = [("A", "B")[j % 2] for j in range(n)]
    conflicts = np.array([[0, 1], [2, 3], [4, 5]])
    rules = {"district": district, "district_min": 1, "conflicts": conflicts, "fixed": [6], "excluded": [7]}
    result = solve_mclp(cover, weights, p, backup_weight=0.5, target_gap=0, **rules)
    check_optimal(result, cover, weights, p, 0.5, **rules)


def test_backup_weight_details_with_sparse_and_excluded():
    cover, weights, p = instance(150)
    result = solve_mclp(sp.csr_array(cover.astype(float)), weights, p, backup_weight=0.5, excluded=[0], target_gap=0)
    check_optimal(result, cover, weights, p, 0.5, excluded=[0])


@pytest.mark.parametrize("backup", [-0.5, np.nan, np.inf])
def test_backup_weight_invalid(backup):
    cover, weights, p = instance(160)
    with pytest.raises(InputError, match="backup_weight"):
        solve_mclp(cover, weights, p, backup_weight=backup)


def test_details_without_backup():
    cover, weights, p = instance(170)
    result = solve_mclp(cover, weights, p, target_gap=0)
    check_optimal(result, cover, weights, p)
    assert result.objective == result.details["covered"]


# ---------------------------------------------------------------------------------------------------------------
# must_cover (maximum-gap rule)


@pytest.mark.parametrize("seed", range(6))
def test_must_cover_optimum(seed):
    cover, weights, _ = instance(200 + seed)
    n, p = cover.shape[0], 4
    must = must_matrix(seed, n, k=4)
    free_best = brute(cover, weights, p)[0]
    result = solve_mclp(cover, weights, p, must_cover=must, target_gap=0)
    optimum = check_optimal(result, cover, weights, p, must=must)
    assert optimum <= free_best


@pytest.mark.parametrize("seed", range(3))
def test_must_cover_binding(seed):
    # Every must point is reachable only from a site of the unconstrained optimum's complement: the rule binds.
    cover, weights, _ = instance(250 + seed)
    n, p = cover.shape[0], 3
    free_value, free_plans = brute(cover, weights, p)
    outside = [j for j in range(n) if j not in free_plans[0]]
    must = np.zeros((n, 1), dtype=bool)
    must[outside[0], 0] = True
    result = solve_mclp(cover, weights, p, must_cover=must, target_gap=0)
    check_optimal(result, cover, weights, p, must=must)
    assert outside[0] in result.selected
    assert result.objective <= free_value


@pytest.mark.parametrize("kind", ["dense_float", "csr_array", "coo_matrix"])
def test_must_cover_formats(kind):
    cover, weights, _ = instance(260)
    n, p = cover.shape[0], 4
    must = must_matrix(260, n, k=3)
    given_must = {"dense_float": must.astype(float), "csr_array": sp.csr_array(must), "coo_matrix": sp.coo_matrix(must)}
    result = solve_mclp(cover, weights, p, must_cover=given_must[kind], target_gap=0)
    check_optimal(result, cover, weights, p, must=must)


@pytest.mark.parametrize("seed", range(3))
def test_must_cover_with_backup_fixed_excluded(seed):
    cover, weights, _ = instance(270 + seed)
    n, p = cover.shape[0], 4
    must = must_matrix(seed + 70, n, k=3, per_point=3)
    rules = {"fixed": [0], "excluded": [1]}
    result = solve_mclp(cover, weights, p, must_cover=must, backup_weight=0.5, target_gap=0, **rules)
    check_optimal(result, cover, weights, p, 0.5, must=must, **rules)


def test_must_cover_point_without_usable_candidate():
    cover, weights, p = instance(280)
    n = cover.shape[0]
    must = np.zeros((n, 2), dtype=bool)
    must[[1, 2], 0] = True
    must[3, 1] = True  # point 1 only reachable from site 3
    solve_mclp(cover, weights, p, must_cover=must, target_gap=0)
    with pytest.raises(InfeasibleError, match="maximum gap"):
        solve_mclp(cover, weights, p, must_cover=must, excluded=[3], target_gap=0)
    with pytest.raises(InfeasibleError, match="maximum gap"):
        solve_mclp(cover, weights, p, must_cover=must, excluded=[3], exact=False)


def test_must_cover_empty_column_is_infeasible():
    cover, weights, p = instance(281)
    must = np.zeros((cover.shape[0], 3), dtype=bool)
    must[0, :2] = True
    with pytest.raises(InfeasibleError, match="maximum gap"):
        solve_mclp(cover, weights, p, must_cover=must)


def test_must_cover_wrong_row_count():
    cover, weights, p = instance(282)
    with pytest.raises(InputError, match="must_cover"):
        solve_mclp(cover, weights, p, must_cover=np.ones((cover.shape[0] + 1, 2)))


def disjoint_must(n: int, k: int) -> np.ndarray:
    """k must points, point i reachable only from sites 2i and 2i+1: any plan needs k sites to meet the rule."""
    must = np.zeros((n, k), dtype=bool)
    for i in range(k):
        must[[2 * i, 2 * i + 1], i] = True
    return must


def test_must_cover_p_too_small_heuristic():
    cover, weights, _ = instance(290)
    must = disjoint_must(cover.shape[0], 4)
    assert brute(cover, weights, 3, must=must)[1] == []
    with pytest.raises(InfeasibleError, match="maximum gap"):
        solve_mclp(cover, weights, 3, must_cover=must, exact=False)
    result = solve_mclp(cover, weights, 4, must_cover=must, target_gap=0)
    check_optimal(result, cover, weights, 4, must=must)


def test_must_cover_p_too_small_exact_raises():
    # Greedy fails, the MILP then proves infeasibility: an InfeasibleError either way.
    cover, weights, _ = instance(291)
    must = disjoint_must(cover.shape[0], 4)
    with pytest.raises(InfeasibleError):
        solve_mclp(cover, weights, 3, must_cover=must, target_gap=0)


def test_must_cover_p_too_small_exact_names_the_cause():
    # The only rule that cannot be met is the maximum-gap rule (no spacing, district or fixed rules are given),
    # so the message should name it, as the heuristic path's message does.
    cover, weights, _ = instance(292)
    must = disjoint_must(cover.shape[0], 4)
    with pytest.raises(InfeasibleError, match="maximum gap"):
        solve_mclp(cover, weights, 3, must_cover=must, target_gap=0)


# ---------------------------------------------------------------------------------------------------------------
# quotas


def hours_labels(seed: int, n: int, k24: int = 4) -> list[str]:
    rng = np.random.default_rng(30_000 + seed)
    labels = ["24h"] * k24 + ["std"] * (n - k24)
    return [labels[i] for i in rng.permutation(n)]


@pytest.mark.parametrize("seed", range(5))
def test_quota_maximum(seed):
    cover, weights, _ = instance(300 + seed)
    n, p = cover.shape[0], 4
    labels = hours_labels(seed, n)
    # Make the 24h sites attractive so that the cap binds.
    boosted = cover.copy()
    for j in range(n):
        if labels[j] == "24h":
            boosted[j] |= np.random.default_rng(seed + j).random(cover.shape[1]) < 0.3
    quota = Quota("hours", np.asarray(labels, dtype=object), {}, {"24h": 1})
    result = solve_mclp(boosted, weights, p, quotas=[quota], target_gap=0)
    check_optimal(result, boosted, weights, p, quotas=[(labels, {}, {"24h": 1})])
    assert sum(labels[j] == "24h" for j in result.selected) <= 1
    assert brute(boosted, weights, p)[0] >= result.objective


@pytest.mark.parametrize("seed", range(5))
def test_quota_minimum(seed):
    cover, weights, _ = instance(350 + seed)
    n, p = cover.shape[0], 4
    labels = hours_labels(seed + 50, n, k24=3)
    quota = Quota("hours", np.asarray(labels, dtype=object), {"24h": 2}, {})
    result = solve_mclp(cover, weights, p, quotas=[quota], target_gap=0)
    check_optimal(result, cover, weights, p, quotas=[(labels, {"24h": 2}, {})])
    assert sum(labels[j] == "24h" for j in result.selected) >= 2


@pytest.mark.parametrize("seed", range(3))
def test_quota_with_district_and_backup(seed):
    cover, weights, _ = instance(380 + seed)
    n, p = cover.shape[0], 4
    labels = hours_labels(seed + 80, n)
    district = [("A", "B")[j % 2] for j in range(n)]
    quotas = [Quota("hours", np.asarray(labels, dtype=object), {"24h": 1}, {"24h": 2})]
    rules = {"district": district, "district_max": {"A": 2}}
    result = solve_mclp(cover, weights, p, quotas=quotas, backup_weight=0.5, target_gap=0, **rules)
    check_optimal(result, cover, weights, p, 0.5, quotas=[(labels, {"24h": 1}, {"24h": 2})], **rules)


def test_quota_heuristic_feasible():
    cover, weights, _ = instance(390)
    n, p = cover.shape[0], 4
    labels = hours_labels(90, n)
    quota = Quota("hours", np.asarray(labels, dtype=object), {"std": 2}, {"24h": 1})
    result = solve_mclp(cover, weights, p, quotas=[quota], exact=False)
    check_plan(result, cover, weights, p, quotas=[(labels, {"std": 2}, {"24h": 1})])


def test_quota_errors():
    cover, weights, p = instance(395)
    n = cover.shape[0]
    with pytest.raises(InputError, match="hours labels"):
        solve_mclp(cover, weights, p, quotas=[Quota("hours", np.asarray(["24h"] * (n - 1), dtype=object))])
    labels = np.asarray(hours_labels(95, n, k24=2), dtype=object)
    with pytest.raises(InfeasibleError):
        solve_mclp(cover, weights, p, quotas=[Quota("hours", labels, {"24h": 3}, {})])
    with pytest.raises(InfeasibleError):
        solve_mclp(cover, weights, 2, quotas=[Quota("hours", labels, {"24h": 2, "std": 1}, {})])
    with pytest.raises(InfeasibleError):
        solve_mclp(cover, weights, p, quotas=[Quota("hours", labels, {"24h": 2}, {"24h": 1})])


# ---------------------------------------------------------------------------------------------------------------
# warm start


@pytest.mark.parametrize("seed", range(5))
def test_start_after_planner_change(seed):
    cover, weights, _ = instance(400 + seed)
    n, p = cover.shape[0], 4
    previous = solve_mclp(cover, weights, p, target_gap=0).selected
    outside = [j for j in range(n) if j not in previous]
    rules = {"fixed": [outside[0]], "excluded": [int(previous[0])]}
    cold = solve_mclp(cover, weights, p, target_gap=0, **rules)
    warm = solve_mclp(cover, weights, p, start=previous, target_gap=0, **rules)
    optimum = check_optimal(warm, cover, weights, p, **rules)
    assert cold.objective == optimum
    assert warm.objective == cold.objective
    quick = solve_mclp(cover, weights, p, start=previous, exact=False, **rules)
    check_plan(quick, cover, weights, p, **rules)
    assert quick.objective <= optimum


@pytest.mark.parametrize("seed", range(3))
def test_start_with_backup_must_and_conflicts(seed):
    cover, weights, _ = instance(450 + seed)
    n, p = cover.shape[0], 4
    must = must_matrix(seed + 450, n, k=3, per_point=3)
    previous = solve_mclp(cover, weights, p, backup_weight=0.5, must_cover=must, target_gap=0).selected
    # The new rule: the first two previous sites are now too close to each other.
    conflicts = np.array([[int(previous[0]), int(previous[1])]])
    rules = {"conflicts": conflicts}
    options = {"backup_weight": 0.5, "must_cover": must}
    cold = solve_mclp(cover, weights, p, target_gap=0, **options, **rules)
    warm = solve_mclp(cover, weights, p, start=previous, target_gap=0, **options, **rules)
    check_optimal(warm, cover, weights, p, 0.5, must=must, **rules)
    assert warm.objective == cold.objective
    quick = solve_mclp(cover, weights, p, start=previous, exact=False, **options, **rules)
    check_plan(quick, cover, weights, p, 0.5, must=must, **rules)


def test_start_does_not_block_must_cover_heuristic():
    # Site 1 was in the previous plan; the maximum-gap rule now needs site 0 (the only one reaching the must point).
    # {0} is a feasible plan, yet the heuristic keeps the start site, fills p=1 with it, and gives up.
    cover = np.eye(2, dtype=bool)
    weights = np.array([1.0, 2.0])
    must = np.array([[1], [0]], dtype=bool)
    assert solve_mclp(cover, weights, 1, must_cover=must, exact=False).selected.tolist() == [0]
    result = solve_mclp(cover, weights, 1, must_cover=must, start=[1], exact=False)
    assert result.selected.tolist() == [0]
    assert result.objective == 1.0


def test_start_does_not_block_must_cover_exact():
    cover = np.eye(2, dtype=bool)
    must = np.array([[1], [0]], dtype=bool)
    result = solve_mclp(cover, [1.0, 2.0], 1, must_cover=must, start=[1], target_gap=0)
    assert result.selected.tolist() == [0]
    assert result.status == "optimal"


def test_start_larger_than_p_and_with_excluded_sites():
    cover, weights, _ = instance(470)
    n = cover.shape[0]
    start = list(range(n))  # more sites than p, some now excluded
    result = solve_mclp(cover, weights, 3, start=start, excluded=[0, 1], target_gap=0)
    check_optimal(result, cover, weights, 3, excluded=[0, 1])
    quick = solve_mclp(cover, weights, 3, start=start, excluded=[0, 1], exact=False)
    check_plan(quick, cover, weights, 3, excluded=[0, 1])


@pytest.mark.parametrize("bad", ["past_end", "negative"])
def test_start_index_out_of_range(bad):
    # fixed and excluded indices outside 0..n-1 are refused with an InputError; a stale start (e.g. from a plan
    # made when there were more candidates) should be refused the same way, not crash or wrap around.
    cover, weights, p = instance(480)
    n = cover.shape[0]
    with pytest.raises(InputError):
        solve_mclp(cover, weights, p, fixed=[n])
    start = [n] if bad == "past_end" else [-1]
    with pytest.raises(InputError):
        solve_mclp(cover, weights, p, start=start, exact=False)


# ---------------------------------------------------------------------------------------------------------------
# property-based: heuristic and exact paths with cross coverage and must-cover


@st.composite
def variants(draw):
    n = draw(st.integers(4, 9))
    m = draw(st.integers(3, 20))
    p = draw(st.integers(1, min(4, n - 1)))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    cover = rng.random((n, m)) < draw(st.sampled_from([0.1, 0.3, 0.6]))
    weights = rng.integers(0, 10, size=m).astype(float)
    backup = draw(st.sampled_from([0.0, 0.25, 0.5, 1.0]))
    n_fixed = draw(st.integers(0, p - 1))
    order = rng.permutation(n)
    fixed = sorted(order[:n_fixed].tolist())
    excluded = sorted(order[n_fixed : n_fixed + draw(st.integers(0, n - p))].tolist())
    usable = [j for j in range(n) if j not in excluded]
    # At most p - |fixed| must points, each reachable from a usable site: greedy can always meet the rule.
    k = draw(st.integers(0, p - n_fixed))
    must = np.zeros((n, k), dtype=bool)
    for i in range(k):
        must[rng.choice(usable, size=int(rng.integers(1, 3)), replace=True), i] = True
        if rng.random() < 0.3:
            must[rng.choice(excluded or usable), i] = True
    start = rng.choice(n, size=int(rng.integers(0, n + 1)), replace=False).tolist() if rng.random() < 0.5 else None
    return cover, weights, p, backup, must if k else None, fixed, excluded, start


@settings(max_examples=40, deadline=None, derandomize=True)
@given(variants())
def test_heuristic_path_feasible(case):
    cover, weights, p, backup, must, fixed, excluded, _ = case
    rules = {"fixed": fixed, "excluded": excluded}
    result = solve_mclp(cover, weights, p, backup_weight=backup, must_cover=must, exact=False, **rules)
    check_plan(result, cover, weights, p, backup, must, **rules)
    optimum, plans = brute(cover, weights, p, backup, must, **rules)
    assert plans
    assert result.objective <= optimum
    assert result.bound >= optimum
    assert result.status in {"heuristic", "optimal"}


@settings(max_examples=40, deadline=None, derandomize=True)
@given(variants())
def test_exact_path_optimal(case):
    cover, weights, p, backup, must, fixed, excluded, start = case
    rules = {"fixed": fixed, "excluded": excluded}
    result = solve_mclp(cover, weights, p, backup_weight=backup, must_cover=must, start=start, target_gap=0, **rules)
    check_optimal(result, cover, weights, p, backup, must, **rules)


def test_as_bool_matches_input():
    # The reference works on booleans; non-0/1 nonzero coverage entries count as covered in geoplan too.
    cover, weights, p = instance(490)
    scaled = cover * np.random.default_rng(0).integers(1, 5, size=cover.shape)
    assert (as_bool(scaled) == cover).all()
    result = solve_mclp(scaled.astype(float), weights, p, backup_weight=0.5, target_gap=0)
    check_optimal(result, cover, weights, p, 0.5)
