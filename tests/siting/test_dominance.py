"""Dominated-site reduction: exactly the sites whose coverage another usable site contains."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from geoplan.siting import solve_mclp
from geoplan.siting.reduce import dominated_sites


def expected(dense: np.ndarray, usable: np.ndarray, keep: np.ndarray) -> np.ndarray:
    n = len(dense)
    out = np.zeros(n, dtype=bool)
    for j in range(n):
        if keep[j]:
            continue
        if not dense[j].any():
            out[j] = True
            continue
        for k in range(n):
            if k == j or not usable[k]:
                continue
            inside = np.all(dense[k] >= dense[j])
            larger = dense[k].sum() > dense[j].sum() or k < j
            if inside and larger:
                out[j] = True
                break
    return out


@pytest.mark.parametrize("seed", range(12))
def test_dominated_sites_match_a_double_loop(seed):
    rng = np.random.default_rng(seed)
    dense = rng.random((18, 25)) < 0.2
    dense[3] = dense[4] | dense[3]  # make some containment certain
    dense[7] = dense[2]  # and a tie
    usable = rng.random(18) > 0.15
    keep = np.zeros(18, dtype=bool)
    keep[rng.integers(0, 18)] = True
    got = dominated_sites(sp.csr_array(dense.astype(float)), usable, keep, chunk=7)
    np.testing.assert_array_equal(got, expected(dense, usable, keep))


@pytest.mark.parametrize("seed", range(6))
def test_reduction_keeps_the_optimum(seed):
    rng = np.random.default_rng(100 + seed)
    dense = (rng.random((14, 40)) < 0.18).astype(float)
    dense[5] = np.maximum(dense[5], dense[6])
    weights = rng.integers(1, 9, 40).astype(float)
    result = solve_mclp(dense, weights, 3, target_gap=0)
    best = max(float(weights @ (dense[list(s)].sum(0) > 0)) for s in itertools.combinations(range(14), 3))
    assert result.objective == best
    assert result.bound >= best - 1e-9
