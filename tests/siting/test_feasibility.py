"""Feasibility first: a plan whenever one exists, a proof naming the binding rules when none does, honest statuses.

Small instances are checked against enumeration of every plan (``_siting_brute``); larger ones against a plain MILP
of the same rules written here with scipy.optimize.milp (the oracle), on random rule sets drawn by hypothesis,
including saturated coverage (more stations than needed to cover everyone) under a minimum spacing.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from _siting_brute import brute, covers_all, is_feasible, quota_ok
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from geoplan import i18n
from geoplan.errors import InfeasibleError, SolverError
from geoplan.siting import Quota, solve_mclp, solve_pmedian
from geoplan.siting.feasibility import find_plan, station_range
from geoplan.siting.model import Constraints, solve_status, validate
from geoplan.siting.phases import solve_phased

# ---------------------------------------------------------------------------------------------------------------
# the oracle: a plain MILP of the rules (no geoplan code)


def oracle(n, p, conflicts=(), district=None, district_min=None, district_max=None, fixed=(), excluded=(),
           must=None, count="exact"):  # fmt: skip
    """Feasible plan of the rules by scipy's MILP, or None. ``count``: exact (p), most or least stations."""
    rows, low, high = [], [], []
    if count == "exact":
        rows.append(np.ones(n))
        low.append(p)
        high.append(p)
    for a, b in conflicts:
        if not (a in fixed and b in fixed):
            row = np.zeros(n)
            row[[a, b]] = 1
            rows.append(row)
            low.append(-np.inf)
            high.append(1)
    if district is not None:
        labels = list(dict.fromkeys(district))
        minimums = dict.fromkeys(labels, district_min) if isinstance(district_min, int) else dict(district_min or {})
        for label in labels:
            if label in minimums or label in (district_max or {}):
                rows.append(np.array([1.0 if d == label else 0.0 for d in district]))
                low.append(minimums.get(label, 0))
                high.append((district_max or {}).get(label, np.inf))
    if must is not None:
        for column in np.asarray(must, dtype=float).T:
            rows.append(column)
            low.append(1)
            high.append(np.inf)
    lower, upper = np.zeros(n), np.ones(n)
    lower[list(fixed)] = 1
    upper[list(excluded)] = 0
    cost = {"exact": np.zeros(n), "most": -np.ones(n), "least": np.ones(n)}[count]
    constraints = [LinearConstraint(np.array(rows), low, high)] if rows else []
    answer = milp(cost, integrality=np.ones(n), bounds=Bounds(lower, upper), constraints=constraints)
    if answer.status != 0:
        return None
    return np.flatnonzero(answer.x > 0.5)


def points_on_a_street(rng, n):
    """Candidate positions along a 2 km street with side streets (metres): spacing conflicts like a city's."""
    along = np.sort(rng.uniform(0, 2000, n))
    return np.column_stack([along, rng.choice([0.0, 150.0, 300.0], n)])


def spacing_pairs(xy, spacing):
    pairs = [(a, b) for a, b in itertools.combinations(range(len(xy)), 2) if np.hypot(*(xy[a] - xy[b])) < spacing]
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


# ---------------------------------------------------------------------------------------------------------------
# small instances: enumeration of every plan


@st.composite
def small_requests(draw):
    """Random rule sets on 5-9 candidates: spacing, districts with minimums/maximums, fixed, excluded, max gap."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n = draw(st.integers(5, 9))
    m = draw(st.integers(2, 12))
    cover = rng.random((n, m)) < draw(st.sampled_from([0.15, 0.4, 0.8]))
    weights = rng.integers(1, 10, size=m).astype(float)
    p = draw(st.integers(1, n - 1))
    rules = {}
    if draw(st.booleans()):
        rules["conflicts"] = spacing_pairs(points_on_a_street(rng, n), draw(st.sampled_from([200.0, 400.0, 800.0])))
    if draw(st.booleans()):
        rules["district"] = [f"d{k}" for k in rng.integers(0, draw(st.integers(1, 3)), n)]
        rules["district_min"] = draw(st.integers(0, 1))
        if draw(st.booleans()):
            rules["district_max"] = {"d0": draw(st.integers(1, 2))}
    order = rng.permutation(n)
    rules["fixed"] = sorted(order[: draw(st.integers(0, 1))].tolist())
    rules["excluded"] = sorted(order[1 : 1 + draw(st.integers(0, 2))].tolist())
    must = None
    if draw(st.booleans()):
        must = rng.random((n, draw(st.integers(1, 3)))) < 0.35
    return cover, weights, p, rules, must


def _reference(cover, weights, p, rules, must):
    def plain(values):
        return [int(v) for v in values]

    clean = {key: value for key, value in rules.items() if key != "conflicts"}
    clean["conflicts"] = [tuple(plain(pair)) for pair in rules.get("conflicts", [])]
    if must is not None and not must[[j for j in range(len(cover)) if j not in rules["excluded"]]].any(axis=0).all():
        return -np.inf, []
    return brute(cover, weights, p, must=must, **clean)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(small_requests())
def test_a_plan_whenever_one_exists_and_a_proof_otherwise(case):
    cover, weights, p, rules, must = case
    optimum, plans = _reference(cover, weights, p, rules, must)
    for exact in (True, False):
        if not plans:
            with pytest.raises(InfeasibleError):
                solve_mclp(cover, weights, p, must_cover=must, exact=exact, **rules)
            continue
        result = solve_mclp(cover, weights, p, must_cover=must, exact=exact, **rules)
        chosen = result.selected.tolist()
        assert is_feasible(chosen, len(cover), p, **rules), chosen
        assert covers_all(must, chosen)
        if exact:
            assert result.objective == optimum
            assert result.status == "optimal"


@settings(max_examples=60, deadline=None, derandomize=True)
@given(small_requests())
def test_pmedian_finds_a_plan_whenever_one_exists(case):
    cover, weights, p, rules, _ = case
    rng = np.random.default_rng(int(weights.sum()))
    cost = np.where(cover, rng.integers(1, 50, cover.shape).astype(float), np.inf)
    reach = cover.copy()
    _, plans = _reference(cover, weights, p, rules, reach)
    if not plans:
        with pytest.raises(InfeasibleError):
            solve_pmedian(cost, weights, p, **rules)
        return
    result = solve_pmedian(cost, weights, p, **rules)
    chosen = result.selected.tolist()
    assert is_feasible(chosen, len(cover), p, **rules)
    assert covers_all(reach, chosen)
    best = min(float(weights @ cost[list(plan)].min(axis=0)) for plan in plans)
    assert result.objective == best
    assert result.status == "optimal"


# ---------------------------------------------------------------------------------------------------------------
# larger instances: the MILP oracle


@st.composite
def street_requests(draw):
    """40-60 candidates on streets, saturating coverage, a spacing, districts, a few fixed/excluded sites."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n = draw(st.integers(40, 60))
    xy = points_on_a_street(rng, n)
    demand = xy[rng.choice(n, size=30)] + rng.normal(0, 50, (30, 2))
    reach = draw(st.sampled_from([300.0, 2500.0]))  # 2.5 km: one station covers everyone (saturation)
    cover = np.hypot(*(xy[:, None, :] - demand[None, :, :]).transpose(2, 0, 1)) <= reach
    rules = {"conflicts": spacing_pairs(xy, draw(st.sampled_from([150.0, 250.0, 400.0])))}
    if draw(st.booleans()):
        rules["district"] = np.where(xy[:, 0] < 1000, "west", "east").tolist()
        rules["district_min"] = draw(st.integers(1, 2))
        if draw(st.booleans()):
            rules["district_max"] = {"west": draw(st.integers(2, 6))}
    order = rng.permutation(n)
    rules["fixed"] = sorted(order[: draw(st.integers(0, 2))].tolist())
    rules["excluded"] = sorted(order[2 : 2 + draw(st.integers(0, 10))].tolist())
    weights = rng.integers(1, 20, 30).astype(float)
    return cover, weights, rules, draw(st.integers(1, 25))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(street_requests())
def test_feasibility_agrees_with_the_milp_oracle(case):
    cover, weights, rules, p = case
    n = len(cover)
    plain_rules = {key: rules[key] for key in ("district", "district_min", "district_max") if key in rules}
    expected = oracle(n, p, conflicts=rules["conflicts"].tolist(), fixed=rules["fixed"], excluded=rules["excluded"],
                      **plain_rules)  # fmt: skip
    if expected is None:
        with pytest.raises(InfeasibleError) as raised:
            solve_mclp(cover, weights, p, time_limit=30, **rules)
        error = raised.value
        if error.code == "too_many_stations":
            most = oracle(n, p, conflicts=rules["conflicts"].tolist(), fixed=rules["fixed"],
                          excluded=rules["excluded"], count="most", **plain_rules)  # fmt: skip
            assert error.params["most"] < p
            assert most is None or error.params["most"] >= len(most)
        return
    result = solve_mclp(cover, weights, p, time_limit=30, **rules)
    chosen = result.selected.tolist()
    pairs = [tuple(pair) for pair in rules["conflicts"].tolist()]
    assert is_feasible(chosen, n, p, conflicts=pairs, fixed=rules["fixed"], excluded=rules["excluded"], **plain_rules)
    assert result.status in {"optimal", "time_limit"}


def test_saturated_coverage_every_count_up_to_the_spacing_limit():
    # One station covers every worker: greedy gains are all 0 after the first, and the spacing decides the rest.
    rng = np.random.default_rng(7)
    xy = points_on_a_street(rng, 80)
    conflicts = spacing_pairs(xy, 300.0)
    district = np.where(xy[:, 0] < 700, "a", np.where(xy[:, 0] < 1400, "b", "c")).tolist()
    cover = np.ones((80, 25), dtype=bool)
    weights = np.arange(1, 26, dtype=float)
    most = len(oracle(80, 0, conflicts=conflicts.tolist(), district=district, district_min=1, count="most"))
    for p in range(3, most + 1):
        result = solve_mclp(cover, weights, p, conflicts=conflicts, district=district, district_min=1)
        assert is_feasible(result.selected.tolist(), 80, p, conflicts=[tuple(c) for c in conflicts.tolist()],
                           district=district, district_min=1)  # fmt: skip
        assert result.objective == weights.sum()
        assert result.status == "optimal"
    with pytest.raises(InfeasibleError) as raised:
        solve_mclp(cover, weights, most + 1, conflicts=conflicts, district=district, district_min=1)
    assert raised.value.code == "too_many_stations"
    assert raised.value.params["most"] == most
    assert "minimum spacing" in raised.value.params["rules"]


# ---------------------------------------------------------------------------------------------------------------
# naming the binding rules


def test_spacing_alone_names_the_largest_count():
    xy = np.column_stack([np.arange(10) * 100.0, np.zeros(10)])
    conflicts = spacing_pairs(xy, 250.0)  # a line at 100 m: every third site fits, 4 of 10
    constraints = validate(10, Constraints(5, conflicts=conflicts))
    with pytest.raises(InfeasibleError) as raised:
        find_plan(10, constraints)
    error = raised.value
    assert error.code == "too_many_stations"
    assert error.params["most"] == 4
    assert error.params["rules"] == "the minimum spacing"
    assert "最多只能布设 4 个站点" in i18n.error_text(error, "zh")
    assert "最小间距" in i18n.error_text(error, "zh")
    assert "At most 4 stations fit the minimum spacing" in i18n.error_text(error, "en")
    assert station_range(10, validate(10, Constraints(4, conflicts=conflicts))) == (1, 4)


def test_maximum_gap_names_the_smallest_count():
    must = np.zeros((6, 3), dtype=bool)
    for k in range(3):
        must[[2 * k, 2 * k + 1], k] = True  # three far-apart points, each reachable from its own pair of sites
    constraints = validate(6, Constraints(2))
    with pytest.raises(InfeasibleError) as raised:
        find_plan(6, constraints, sp.csr_array(must.astype(float)))
    assert raised.value.code == "too_few_stations"
    assert raised.value.params["least"] == 3
    assert raised.value.params["rules"] == "the maximum gap"


def test_rules_that_conflict_whatever_the_count():
    # The only site reaching a must-cover point is 2, which is closer than the spacing to the kept station 0.
    must = np.zeros((4, 1), dtype=bool)
    must[2, 0] = True
    constraints = validate(4, Constraints(2, conflicts=np.array([[0, 2]]), fixed=[0]))
    with pytest.raises(InfeasibleError) as raised:
        find_plan(4, constraints, sp.csr_array(must.astype(float)))
    assert raised.value.code == "rules_conflict"
    assert set(raised.value.params["rules"].replace(" and ", ", ").split(", ")) == {
        "the minimum spacing", "the kept stations", "the maximum gap"}  # fmt: skip
    assert "已保留的站点" in i18n.error_text(raised.value, "zh")


def test_spacing_with_district_minimums_is_named_together():
    # Three "a" sites 300 m apart all fit a 200 m spacing; district "b"'s one site lies between the first two, so
    # with one station per district at most 2 fit.
    xy = np.array([[0.0, 0], [300, 0], [600, 0], [150, 0]])
    conflicts = spacing_pairs(xy, 200.0)
    district = ["a", "a", "a", "b"]
    constraints = validate(4, Constraints(3, district=district, district_min=1, conflicts=conflicts))
    with pytest.raises(InfeasibleError) as raised:
        find_plan(4, constraints)
    assert raised.value.code == "too_many_stations"
    assert raised.value.params["most"] == 2
    assert raised.value.params["rules"] == "the minimum spacing and the district minimums"


def test_the_24_hour_limit_is_named():
    labels = np.array(["24h", "24h", "std", "std"], dtype=object)
    conflicts = np.array([[2, 3]])  # the two standard-hours options are the same site
    constraints = validate(4, Constraints(3, conflicts=conflicts, quotas=[Quota("hours", labels, {}, {"24h": 1})]))
    with pytest.raises(InfeasibleError) as raised:
        find_plan(4, constraints)
    assert raised.value.params["rules"] == "the minimum spacing and the limit on 24-hour stations"
    assert "24 小时站点数上限" in i18n.error_text(raised.value, "zh")


def test_undecided_within_the_time_limit_is_not_called_infeasible():
    constraints = validate(3, Constraints(2))
    with pytest.raises(SolverError) as raised:
        find_plan(3, constraints, time_limit=0.0)  # no time at all: neither answer is established
    assert raised.value.code == "no_plan_in_time"
    assert not isinstance(raised.value, InfeasibleError)


# ---------------------------------------------------------------------------------------------------------------
# phases


def test_phase_one_never_blocks_phase_two():
    # Site 1 covers most, but with it no second site fits the spacing; the two-station plan is {0, 2}.
    cover = np.array([[1, 1, 0, 0], [1, 1, 1, 1], [0, 0, 1, 1]], dtype=bool)
    weights = np.array([1.0, 1.0, 1.0, 1.0])
    result = solve_phased(solve_mclp, cover, weights, 1, 2, conflicts=np.array([[0, 1], [1, 2]]))
    assert result.phase2.selected.tolist() == [0, 2]
    assert set(result.phase1.selected.tolist()) <= {0, 2}
    assert result.phase2.objective == 4.0


# ---------------------------------------------------------------------------------------------------------------
# statuses


def test_statuses_say_how_sure_the_plan_is():
    assert solve_status(0.0, 0.0) == "optimal"
    assert solve_status(5e-10, 0.01) == "optimal"
    assert solve_status(0.004, 0.005) == "within_target"
    assert solve_status(0.004, 0.0) == "time_limit"
    assert solve_status(0.006, 0.005) == "time_limit"
    assert solve_status(0.3, 0.0, exact=False) == "heuristic"
    for status in ("optimal", "within_target", "time_limit", "heuristic", "infeasible"):
        for lang in ("zh", "en"):
            label, note = i18n.status_text(status, lang, 0.0123)
            assert label
            assert note
    assert "1.23%" in i18n.status_text("time_limit", "zh", 0.0123)[1]
    assert i18n.status_text("within_target", "en", 0.004)[0] == "Within the target gap"


def test_optimal_only_when_proven():
    rng = np.random.default_rng(3)
    cover = rng.random((40, 300)) < 0.08
    weights = rng.gamma(0.7, 10.0, 300)
    proven = solve_mclp(cover, weights, 6)
    assert proven.status == "optimal"
    assert proven.gap <= 1e-9
    brute_best = max(float(weights[cover[list(c)].any(axis=0)].sum()) for c in itertools.combinations(range(40), 2))
    assert solve_mclp(cover, weights, 2).objective == pytest.approx(brute_best, rel=1e-12)
    loose = solve_mclp(cover, weights, 6, target_gap=0.5)
    assert loose.status in {"within_target", "optimal"}
    assert loose.status == "optimal" or loose.gap > 1e-9
    heuristic = solve_mclp(cover, weights, 6, exact=False)
    assert heuristic.status in {"heuristic", "optimal"}


def test_default_target_gap_is_zero():
    import inspect

    for solver in (solve_mclp, solve_pmedian):
        assert inspect.signature(solver).parameters["target_gap"].default == 0.0


def test_quota_reference_is_sane():
    # The brute force's quota check (used above through brute) sees a 24-hour maximum.
    assert quota_ok([0, 1], [(["24h", "24h", "std"], {}, {"24h": 1})]) is False
