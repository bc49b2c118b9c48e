"""Property tests of the greedy+swap heuristic (geoplan.siting.heuristic) and of solve_mclp's heuristic mode."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pytest
import scipy.sparse as sp
from _siting_brute import brute_force, covered_weight, is_feasible, plain_greedy, random_instance
from hypothesis import given, settings
from hypothesis import strategies as st

from geoplan.errors import InfeasibleError
from geoplan.siting import solve_mclp
from geoplan.siting.heuristic import greedy_swap, improve
from geoplan.siting.model import Constraints, validate

# derandomize: the same 60 examples every run, so a failure is reproducible and the suite is not flaky.
PROPERTY = settings(max_examples=60, deadline=None, database=None, derandomize=True)


@dataclass
class Instance:
    """A small random siting request: coverage, weights, p and the rules as solve_mclp keywords."""

    coverage: np.ndarray
    weights: np.ndarray
    p: int
    rules: dict

    @property
    def n(self) -> int:
        return self.coverage.shape[0]

    def constraints(self) -> Constraints:
        r = self.rules
        return Constraints(
            p=self.p,
            district=None if r.get("district") is None else np.asarray(r["district"], dtype=object),
            district_min=r.get("district_min"),
            district_max=r.get("district_max"),
            conflicts=np.asarray(r.get("conflicts", np.zeros((0, 2))), dtype=np.int64).reshape(-1, 2),
            fixed=np.asarray(r.get("fixed", ()), dtype=np.int64),
            excluded=np.asarray(r.get("excluded", ()), dtype=np.int64),
        )


@st.composite
def instances(draw) -> Instance:
    """Seeded random instances: sizes, rule kinds and counts drawn by hypothesis, the content by numpy."""
    seed = draw(st.integers(0, 2**32 - 1))
    n = draw(st.integers(4, 10))
    m = draw(st.integers(1, 30))
    n_districts = draw(st.integers(1, 3))
    minimum_kind = draw(st.sampled_from(["none", "int", "dict"]))
    p = draw(st.integers(n_districts if minimum_kind == "int" else 1, min(n, 5)))
    use_maximum = draw(st.booleans())
    n_fixed = draw(st.integers(0, min(2, p)))
    n_excluded = draw(st.integers(0, min(2, n - p)))
    spacing = draw(st.sampled_from([0.0, 0.0, 0.2, 0.35]))

    rng = np.random.default_rng(seed)
    coverage = rng.random((n, m)) < rng.uniform(0.1, 0.5)
    weights = rng.integers(0, 10, m).astype(float)
    rules: dict = {}
    labels = [f"区{k}" for k in range(n_districts)]
    if minimum_kind != "none" or use_maximum:
        rules["district"] = [labels[k % n_districts] for k in rng.permutation(n)]  # every district has a site
    if minimum_kind == "int":
        rules["district_min"] = 1
    elif minimum_kind == "dict":
        rules["district_min"] = {labels[int(rng.integers(n_districts))]: int(rng.integers(1, min(2, p) + 1))}
    if use_maximum:
        rules["district_max"] = {labels[-1]: int(rng.integers(0, 3))}  # the dict minimum is mostly elsewhere
    order = rng.permutation(n)
    rules["fixed"] = sorted(order[:n_fixed].tolist())
    rules["excluded"] = sorted(order[n_fixed : n_fixed + n_excluded].tolist())
    if spacing > 0:
        xy = rng.random((n, 2))
        rules["conflicts"] = np.asarray(
            [(a, b) for a, b in itertools.combinations(range(n), 2) if np.hypot(*(xy[a] - xy[b])) < spacing],
            dtype=np.int64,
        ).reshape(-1, 2)
    return Instance(coverage, weights, p, rules)


def validated(instance: Instance) -> Constraints | None:
    """Validated constraints, or None when validate (rightly, as brute force confirms) refuses the request."""
    try:
        return validate(instance.n, instance.constraints())
    except InfeasibleError:
        best, _ = brute_force(instance.coverage, instance.weights, instance.p, **instance.rules)
        assert best == -np.inf, "validate refused a request that has a feasible plan"
        return None


@st.composite
def district_instances(draw) -> Instance:
    """Instances where fixed sites and per-district minimums meet (no spacing rule): p is tight."""
    seed = draw(st.integers(0, 2**32 - 1))
    n = draw(st.integers(4, 9))
    m = draw(st.integers(1, 20))
    n_districts = draw(st.integers(2, 3))
    p = draw(st.integers(2, 4))
    n_fixed = draw(st.integers(1, 2))
    rng = np.random.default_rng(seed)
    labels = [f"区{k}" for k in range(n_districts)]
    district = [labels[k % n_districts] for k in rng.permutation(n)]
    minimums = {label: int(rng.integers(0, 3)) for label in labels}
    rules = {
        "district": district,
        "district_min": minimums,
        "fixed": sorted(rng.choice(n, n_fixed, replace=False).tolist()),
        "excluded": [],
    }
    coverage = rng.random((n, m)) < 0.3
    return Instance(coverage, rng.integers(0, 10, m).astype(float), p, rules)


def check_greedy_swap(instance: Instance) -> None:
    """greedy_swap returns p distinct sites meeting every rule, or raises only when no plan exists (no spacing)."""
    constraints = validated(instance)
    if constraints is None:
        return
    matrix = sp.csr_array(instance.coverage.astype(float))
    try:
        chosen = greedy_swap(matrix, instance.weights, constraints)
    except InfeasibleError:
        best, _ = brute_force(instance.coverage, instance.weights, instance.p, **instance.rules)
        if len(constraints.conflicts) == 0:
            assert best == -np.inf, "greedy_swap raised although a feasible plan exists and no spacing rule applies"
        return
    chosen = np.asarray(chosen)
    assert len(chosen) == instance.p
    assert len(np.unique(chosen)) == instance.p
    assert np.all(np.diff(chosen) > 0)
    assert set(instance.rules["fixed"]) <= set(chosen.tolist())
    assert not set(instance.rules["excluded"]) & set(chosen.tolist())
    assert is_feasible(chosen.tolist(), instance.n, instance.p, **instance.rules), (
        f"greedy_swap returned {chosen.tolist()}, which breaks a rule"
    )
    best, _ = brute_force(instance.coverage, instance.weights, instance.p, **instance.rules)
    assert covered_weight(instance.coverage, instance.weights, chosen) <= best


@PROPERTY
@given(instances())
def test_greedy_swap_returns_a_feasible_plan_or_raises(instance):
    check_greedy_swap(instance)


@PROPERTY
@given(district_instances())
def test_greedy_swap_fixed_sites_and_district_minimums(instance):
    check_greedy_swap(instance)


@PROPERTY
@given(instances())
def test_solve_mclp_exact_agrees_with_brute_force(instance):
    best, plans = brute_force(instance.coverage, instance.weights, instance.p, **instance.rules)
    if not plans:
        with pytest.raises(InfeasibleError):
            solve_mclp(instance.coverage, instance.weights, instance.p, target_gap=0, **instance.rules)
        return
    result = solve_mclp(instance.coverage, instance.weights, instance.p, target_gap=0, **instance.rules)
    assert tuple(result.selected.tolist()) in plans
    assert result.objective == best
    assert result.bound >= best - 1e-9
    assert result.status == "optimal"


@PROPERTY
@given(instances())
def test_solve_mclp_heuristic_objective_is_its_covered_weight(instance):
    try:
        result = solve_mclp(instance.coverage, instance.weights, instance.p, exact=False, **instance.rules)
    except InfeasibleError:
        return
    assert result.objective == pytest.approx(
        covered_weight(instance.coverage, instance.weights, result.selected), abs=1e-9
    )
    usable = np.ones(instance.n, dtype=bool)
    usable[instance.rules["excluded"]] = False
    coverable = float(instance.weights[instance.coverage[usable].any(axis=0)].sum())
    assert result.bound == pytest.approx(max(coverable, result.objective), abs=1e-9)
    assert result.status == ("optimal" if result.gap <= 0.005 + 1e-12 else "heuristic")


@pytest.mark.parametrize("seed", range(6))
def test_greedy_swap_no_worse_than_plain_greedy(seed):
    rng = np.random.default_rng(seed)
    n, m, p = int(rng.integers(30, 60)), int(rng.integers(200, 400)), int(rng.integers(3, 9))
    coverage, weights = random_instance(seed, n, m, density=0.06)
    _, greedy_value = plain_greedy(coverage, weights, p)
    constraints = validate(n, Constraints(p=p))
    chosen = greedy_swap(sp.csr_array(coverage.astype(float)), weights, constraints)
    assert len(chosen) == p
    assert covered_weight(coverage, weights, chosen) >= greedy_value
    result = solve_mclp(coverage, weights, p, exact=False)
    assert result.objective >= greedy_value
    assert result.objective == pytest.approx(covered_weight(coverage, weights, result.selected), abs=1e-9)
    assert result.bound == float(weights[coverage.any(axis=0)].sum())


def test_swaps_improve_on_greedy():
    """Greedy takes the big middle site 0 and then gains one point; the best pair is {1, 2}, one swap away."""
    coverage = np.array(
        [
            [0, 1, 1, 1, 1, 0],  # 4 points in the middle
            [1, 1, 1, 0, 0, 0],  # 3 points, left
            [0, 0, 0, 1, 1, 1],  # 3 points, right
        ],
        dtype=bool,
    )
    weights = np.ones(6)
    assert plain_greedy(coverage, weights, 2) == ([0, 1], 5.0)
    chosen = greedy_swap(sp.csr_array(coverage.astype(float)), weights, validate(3, Constraints(p=2)))
    assert chosen.tolist() == [1, 2]


def test_improve_runs_without_a_target():
    # The default target (no bound known, infinity) must not stop the search before it starts.
    rng = np.random.default_rng(11)
    cover = sp.csr_array((rng.random((60, 400)) < 0.05).astype(float))
    weights = rng.integers(1, 10, 400).astype(float)
    constraints = validate(60, Constraints(5))
    worst = np.argsort(cover @ weights)[:5]
    better = improve(cover, weights, constraints, worst, 5.0)
    assert covered_weight(cover, weights, better) > covered_weight(cover, weights, worst)
