"""Tests of the demand reduction (merge_demand), the Lagrangian bound and spacing_conflicts."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from _siting_brute import brute_force, feasible_subsets, subset_values

from geoplan.siting import lagrangian, spacing_conflicts
from geoplan.siting.model import Constraints, validate
from geoplan.siting.reduce import _same_pattern, column_counts, demand_groups, merge_demand

# ---------------------------------------------------------------------------------------------------------------
# merge_demand


def patterned_instance(seed: int, n: int = 12, m: int = 150) -> tuple[np.ndarray, np.ndarray]:
    """Coverage whose columns repeat a few covering sets, with empty columns and zero weights mixed in."""
    rng = np.random.default_rng(seed)
    patterns = rng.random((n, 15)) < 0.25
    patterns[:, 0] = False  # an uncoverable pattern
    coverage = patterns[:, rng.integers(0, 15, m)]
    weights = rng.integers(0, 6, m).astype(float)  # about one in six is weightless
    weights[rng.random(m) < 0.2] += 0.25  # non-integer weights too
    return coverage, weights


def expected_merge(coverage: np.ndarray, weights: np.ndarray, usable: np.ndarray) -> dict[frozenset, float]:
    """Covering set (usable candidates only) -> total weight, for coverable columns of positive weight."""
    out: dict[frozenset, float] = {}
    for i in range(coverage.shape[1]):
        covering = frozenset(np.flatnonzero(coverage[:, i] & usable).tolist())
        if covering and weights[i] > 0:
            out[covering] = out.get(covering, 0.0) + float(weights[i])
    return out


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("with_excluded", [False, True])
def test_merge_demand_groups_identical_columns(seed, with_excluded):
    coverage, weights = patterned_instance(seed)
    n = coverage.shape[0]
    usable = np.ones(n, dtype=bool)
    if with_excluded:
        usable[[1, 4, 7]] = False
    merged, merged_weights = merge_demand(sp.csr_array(coverage.astype(float)), weights, usable)
    assert isinstance(merged, sp.csr_array)
    assert merged.shape == (n, len(merged_weights))
    dense = merged.toarray()
    assert set(np.unique(dense).tolist()) <= {0.0, 1.0}
    assert not dense[~usable].any(), "unusable candidates must cover nothing after the reduction"
    got: dict[frozenset, float] = {}
    for k in range(dense.shape[1]):
        covering = frozenset(np.flatnonzero(dense[:, k]).tolist())
        assert covering, "an uncoverable column survived"
        assert covering not in got, "two merged columns have the same covering set"
        got[covering] = float(merged_weights[k])
    expected = expected_merge(coverage, weights, usable)
    assert got.keys() == expected.keys()
    for covering, weight in expected.items():
        assert got[covering] == pytest.approx(weight, rel=1e-12)
    assert np.all(merged_weights > 0)
    assert merged_weights.sum() == pytest.approx(sum(expected.values()), rel=1e-12)


def test_merge_demand_small_exact():
    coverage = np.array(
        [
            [1, 1, 0, 0, 1, 0, 1],
            [0, 0, 1, 0, 1, 0, 1],
            [0, 0, 0, 0, 0, 1, 0],
        ],
        dtype=float,
    )
    weights = np.array([2.0, 3.0, 4.0, 9.0, 0.0, 5.0, 1.5])
    usable = np.array([True, True, False])
    merged, merged_weights = merge_demand(sp.csr_array(coverage), weights, usable)
    # columns 0,1 ({0}) merge to 5; column 2 ({1}) 4; column 3 uncoverable; column 4 weightless;
    # column 5 covered only by the unusable site 2; column 6 ({0,1}) 1.5.
    got = {frozenset(np.flatnonzero(merged.toarray()[:, k]).tolist()): w for k, w in enumerate(merged_weights)}
    assert got == {frozenset({0}): 5.0, frozenset({1}): 4.0, frozenset({0, 1}): 1.5}



@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("with_excluded", [False, True])
def test_demand_groups_folds_weights_instead_of_copying(seed, with_excluded):
    """Merging that saves little: the matrix itself, each group's weight on one column; every plan's value kept."""
    coverage, weights = patterned_instance(seed + 20, n=10, m=90)
    matrix = sp.csr_array(coverage.astype(float))
    usable = np.ones(coverage.shape[0], dtype=bool)
    if with_excluded:
        usable[[0, 5]] = False
    merged, merged_weights, _ = demand_groups(matrix, weights, usable)
    folded, folded_weights, column_of = demand_groups(matrix, weights, usable, min_saving=1.0)
    assert folded.shape == matrix.shape
    if not with_excluded:
        assert folded is matrix or np.shares_memory(folded.indices, matrix.indices), "no copy of the matrix"
    # one column per group carries the group's weight, equal to the merged column's
    assert sorted(folded_weights[folded_weights > 0]) == pytest.approx(sorted(merged_weights), rel=1e-12)
    kept = column_of >= 0
    assert np.all(folded_weights[column_of[kept]] > 0)
    assert not kept[(weights == 0) | ~(coverage & usable[:, None]).any(axis=0)].any()
    plans = feasible_subsets(coverage.shape[0], 3, excluded=np.flatnonzero(~usable).tolist())
    np.testing.assert_allclose(
        subset_values(folded, folded_weights, plans), subset_values(coverage & usable[:, None], weights, plans),
        rtol=1e-12,
    )  # fmt: skip
    # min_saving 0 always copies: the merged matrix of merge_demand
    copied, copied_weights, _ = demand_groups(matrix, weights, usable, min_saving=0.0)
    assert copied.shape == merged.shape
    assert np.allclose(copied_weights, merged_weights)


@pytest.mark.parametrize("block", [1, 3, 50, 1 << 22])
def test_same_pattern_checked_in_row_blocks(block):
    """The exact check of a grouping agrees with a dense comparison whatever the blocks of rows."""
    rng = np.random.default_rng(block)
    for _ in range(40):
        n, m = int(rng.integers(1, 25)), int(rng.integers(2, 60))
        coverage = (rng.random((n, 6)) < 0.4)[:, rng.integers(0, 6, m)]
        if rng.random() < 0.5:  # one entry flipped: two columns that looked alike no longer are
            coverage[rng.integers(0, n), rng.integers(0, m)] ^= True
        matrix = sp.csr_array(coverage.astype(float))
        kept = np.flatnonzero(coverage.any(axis=0))
        if len(kept) == 0:
            continue
        _, group = np.unique(rng.integers(0, max(1, len(kept) // 2), len(kept)), return_inverse=True)
        truth = all(len({coverage[:, kept[i]].tobytes() for i in np.flatnonzero(group == g)}) == 1
                    for g in range(group.max() + 1))  # fmt: skip
        assert _same_pattern(matrix, kept, group, block=block) == truth

def test_merge_demand_nothing_left():
    coverage = sp.csr_array(np.array([[0.0, 1.0], [0.0, 1.0]]))
    merged, merged_weights = merge_demand(coverage, np.array([3.0, 0.0]), np.ones(2, dtype=bool))
    assert merged.shape == (2, 0)
    assert len(merged_weights) == 0


@pytest.mark.parametrize("seed", range(5))
def test_merge_demand_keeps_the_optimum(seed):
    coverage, weights = patterned_instance(seed + 50, n=11, m=120)
    excluded = [2, 9]
    usable = np.ones(coverage.shape[0], dtype=bool)
    usable[excluded] = False
    merged, merged_weights = merge_demand(sp.csr_array(coverage.astype(float)), weights, usable)
    assert merged.shape[1] < coverage.shape[1]
    for p in (2, 3, 4):
        original, original_plans = brute_force(coverage, weights, p, excluded=excluded)
        reduced, reduced_plans = brute_force(merged, merged_weights, p, excluded=excluded)
        assert reduced == pytest.approx(original, rel=1e-12)
        assert set(reduced_plans) == set(original_plans)
        # every plan keeps its value, not only the best one
        plans = feasible_subsets(coverage.shape[0], p, excluded=excluded)
        np.testing.assert_allclose(
            subset_values(merged, merged_weights, plans), subset_values(coverage, weights, plans), rtol=1e-12
        )


# ---------------------------------------------------------------------------------------------------------------
# Lagrangian bound


def bound_instance(seed: int):
    rng = np.random.default_rng(seed + 300)
    n, m, p = int(rng.integers(10, 16)), int(rng.integers(40, 120)), int(rng.integers(2, 5))
    coverage = rng.random((n, m)) < rng.uniform(0.08, 0.2)
    weights = rng.integers(0, 20, m).astype(float)
    fixed = rng.choice(n, int(rng.integers(0, 2)), replace=False).tolist()
    excluded = [j for j in rng.choice(n, int(rng.integers(0, 3)), replace=False).tolist() if j not in fixed]
    return coverage, weights, p, sorted(fixed), sorted(excluded)


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("precision", ["single", "double"])
def test_lagrangian_bound_is_an_upper_bound(seed, precision, monkeypatch):
    if precision == "double":  # a whole city's matrix: the loop multiplies with the matrix itself, not a copy
        monkeypatch.setattr(lagrangian, "SINGLE_PRECISION_MAX_ENTRIES", 0)
    coverage, weights, p, fixed, excluded = bound_instance(seed)
    n = coverage.shape[0]
    rules = {"fixed": fixed, "excluded": excluded}
    optimum, _ = brute_force(coverage, weights, p, **rules)
    constraints = validate(n, Constraints(p=p, fixed=np.array(fixed, dtype=np.int64), excluded=np.array(excluded)))
    matrix = sp.csr_array(coverage.astype(float))
    plans = feasible_subsets(n, p, **rules)
    values = subset_values(coverage, weights, plans)
    for incumbent in (0.0, 0.9 * optimum, optimum):
        outcome = lagrangian.bound(matrix, weights, constraints, incumbent, target_gap=0.0, time_limit=30.0)
        assert outcome.bound >= optimum - 1e-9
        assert outcome.iterations >= 1
        assert outcome.site_bound.shape == (n,)
        for j in range(n):
            containing = [v for plan, v in zip(plans, values, strict=True) if j in plan]
            if j in excluded:
                assert outcome.site_bound[j] == -np.inf
            else:
                assert containing
                assert outcome.site_bound[j] >= max(containing) - 1e-9, (j, outcome.site_bound[j], max(containing))
        assert outcome.site_bound.max() <= outcome.bound + 1e-9


def test_lagrangian_bound_ignores_relaxed_rules_safely():
    """Spacing and district rules are dropped by the relaxation: the bound still exceeds the constrained optimum."""
    coverage, weights, p, _, _ = bound_instance(99)
    n = coverage.shape[0]
    district = ["东湖区" if j % 2 else "西湖区" for j in range(n)]
    conflicts = np.array([[0, 1], [2, 3], [4, 5]])
    rules = {"district": district, "district_min": {"东湖区": 1}, "district_max": {"西湖区": 1}, "conflicts": conflicts}
    optimum, _ = brute_force(coverage, weights, p, **rules)
    unconstrained, _ = brute_force(coverage, weights, p)
    constraints = validate(
        n,
        Constraints(
            p=p,
            district=np.array(district, dtype=object),
            district_min={"东湖区": 1},
            district_max={"西湖区": 1},
            conflicts=conflicts,
        ),
    )
    outcome = lagrangian.bound(sp.csr_array(coverage.astype(float)), weights, constraints, optimum, 0.0, 30.0)
    assert outcome.bound >= unconstrained - 1e-9 >= optimum - 1e-9


def test_lagrangian_all_fixed():
    coverage, weights, _, _, _ = bound_instance(5)
    n = coverage.shape[0]
    constraints = validate(n, Constraints(p=2, fixed=np.array([0, 3])))
    value = float(weights[coverage[[0, 3]].any(axis=0)].sum())
    outcome = lagrangian.bound(sp.csr_array(coverage.astype(float)), weights, constraints, value, 0.0, 30.0)
    assert outcome.bound >= value - 1e-9
    assert outcome.site_bound[0] >= value - 1e-9
    assert outcome.site_bound[3] >= value - 1e-9
    others = np.setdiff1d(np.arange(n), [0, 3])
    assert np.all(outcome.site_bound[others] == -np.inf), "no plan of 2 stations contains a third site"


# ---------------------------------------------------------------------------------------------------------------
# spacing_conflicts


def naive_pairs(xy: np.ndarray, d: float) -> set[tuple[int, int]]:
    return {
        (a, b)
        for a, b in itertools.combinations(range(len(xy)), 2)
        if np.hypot(xy[a, 0] - xy[b, 0], xy[a, 1] - xy[b, 1]) < d
    }


def as_pair_set(pairs: np.ndarray) -> set[tuple[int, int]]:
    pairs = np.asarray(pairs)
    assert pairs.ndim == 2
    assert pairs.shape[1] == 2
    assert np.issubdtype(pairs.dtype, np.integer)
    normalised = [tuple(sorted(map(int, row))) for row in pairs]
    assert len(set(normalised)) == len(normalised), "duplicate pairs"
    assert all(a != b for a, b in normalised), "a site conflicting with itself"
    return set(normalised)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("d", [0.0, 1.0, 50.0, 120.0, 400.0, 5000.0])
def test_spacing_conflicts_matches_double_loop(seed, d):
    xy = np.random.default_rng(seed).random((60, 2)) * 1000.0
    got = as_pair_set(spacing_conflicts(xy, d))
    assert got == naive_pairs(xy, d)
    if d == 0.0:
        assert got == set()


def test_spacing_conflicts_strict_at_exact_distance():
    # A 100 m grid: neighbours exactly 100 m apart are allowed (closer than, not at, the spacing).
    xy = np.array([[x, y] for x in (0.0, 100.0, 200.0) for y in (0.0, 100.0)])
    assert as_pair_set(spacing_conflicts(xy, 100.0)) == set()
    assert as_pair_set(spacing_conflicts(xy, 100.001)) == naive_pairs(xy, 100.001)
    assert len(naive_pairs(xy, 100.001)) == 7
    # 3-4-5 triangle: 500 m apart is not closer than 500 m
    assert as_pair_set(spacing_conflicts(np.array([[0.0, 0.0], [300.0, 400.0]]), 500.0)) == set()
    assert as_pair_set(spacing_conflicts(np.array([[0.0, 0.0], [300.0, 399.0]]), 500.0)) == {(0, 1)}


def test_spacing_conflicts_degenerate_inputs():
    assert as_pair_set(spacing_conflicts(np.zeros((0, 2)), 100.0)) == set()
    assert as_pair_set(spacing_conflicts(np.array([[5.0, 5.0]]), 100.0)) == set()
    assert as_pair_set(spacing_conflicts(np.array([[5.0, 5.0], [5.0, 5.0]]), 1.0)) == {(0, 1)}
    assert as_pair_set(spacing_conflicts(np.array([[5.0, 5.0], [5.0, 5.0]]), 0.0)) == set()
    assert as_pair_set(spacing_conflicts(np.array([[0.0, 0.0], [1.0, 0.0]]), -10.0)) == set()


# ---------------------------------------------------------------------------------------------------------------
# Memory-lean reductions: the caller's (read-only) matrix is used as it is, never changed, with the same answers


def _read_only(matrix: sp.csr_array) -> sp.csr_array:
    matrix = sp.csr_array(matrix, dtype=float)
    matrix.sort_indices()
    for array in (matrix.data, matrix.indices, matrix.indptr):
        array.flags.writeable = False
    return matrix


@pytest.mark.parametrize("seed", range(4))
def test_merge_demand_of_a_read_only_matrix_matches_the_expected_groups(seed):
    coverage, weights = patterned_instance(seed)
    usable = np.random.default_rng(seed).random(coverage.shape[0]) < 0.8
    for mask in (usable, np.ones_like(usable)):
        merged, merged_weights = merge_demand(_read_only(sp.csr_array(coverage)), weights, mask)
        got = {
            frozenset(np.flatnonzero(merged.toarray()[:, j]).tolist()): float(merged_weights[j])
            for j in range(merged.shape[1])
        }
        assert got == pytest.approx(expected_merge(coverage, weights, mask))


def test_same_pattern_checks_every_group_exactly():
    from geoplan.siting.reduce import _same_pattern

    # Columns: A, A, B, A, C (C has A's size but other rows), and an empty column left out of ``kept``.
    a, b, c = [1, 1, 0, 0], [0, 1, 1, 1], [0, 0, 1, 1]
    rows = _read_only(sp.csr_array(np.array([a, a, b, a, c, [0, 0, 0, 0]]).T))
    kept = np.arange(5)
    assert _same_pattern(rows, kept, np.array([0, 0, 1, 0, 2]))
    assert not _same_pattern(rows, kept, np.array([0, 0, 1, 0, 0]))  # C put with A
    assert not _same_pattern(rows, kept, np.array([0, 0, 0, 0, 1]))  # B put with A


@pytest.mark.parametrize("seed", range(3))
def test_solve_mclp_on_the_shared_matrix_equals_a_private_copy(seed):
    from geoplan.siting import solve_mclp

    coverage, weights = patterned_instance(seed, n=14, m=200)
    shared = _read_only(sp.csr_array(coverage))
    kwargs = {"p": 4, "excluded": [1], "time_limit": 5.0}
    a = solve_mclp(shared, weights, **kwargs)
    b = solve_mclp(coverage.astype(int), weights, **kwargs)
    assert a.objective == b.objective
    assert a.bound == b.bound
    assert list(a.selected) == list(b.selected)
    assert np.array_equal(shared.toarray(), coverage.astype(float))


@pytest.mark.parametrize("block", [1, 7, 1 << 24])
def test_column_counts_in_blocks_equal_one_count(block):
    rng = np.random.default_rng(block)
    matrix = sp.random_array((40, 300), density=0.1, format="csr", rng=rng)
    np.testing.assert_array_equal(
        column_counts(matrix, block=block), np.bincount(matrix.indices, minlength=matrix.shape[1])
    )
    assert column_counts(sp.csr_array((3, 5)), block=block).tolist() == [0] * 5
