"""Independent reference code for the siting tests: instance generators, a feasibility checker and brute force.

Nothing here imports geoplan: the rules are re-implemented from the documented model so that the tests compare
geoplan against a second, naive implementation.

Rules of a feasible plan (from ``geoplan.siting.model.Constraints`` and ``solve_mclp``'s docstring):

* exactly ``p`` distinct candidates;
* every fixed candidate chosen, no excluded candidate chosen;
* no conflicting pair both chosen, except a pair of two fixed sites (documented: conflicts among fixed sites are
  dropped, since existing stations cannot be moved);
* ``district_min`` as an int applies to every district label present among the candidates, as a dict to the
  labels it names; ``district_max`` (a dict) caps the labels it names.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import scipy.sparse as sp


def random_instance(seed: int, n: int, m: int, density: float = 0.12) -> tuple[np.ndarray, np.ndarray]:
    """Random boolean coverage (n x m) and integer-valued float weights (exact sums in float64)."""
    rng = np.random.default_rng(seed)
    coverage = rng.random((n, m)) < density
    weights = rng.integers(1, 20, size=m).astype(float)
    return coverage, weights


def as_bool(coverage) -> np.ndarray:
    """Dense boolean "covers" matrix of any dense or sparse input: nonzero means covered."""
    dense = coverage.toarray() if sp.issparse(coverage) else np.asarray(coverage)
    return dense != 0


def covered_weight(coverage: np.ndarray, weights: np.ndarray, subset: Iterable[int]) -> float:
    """Total weight of the demand points covered by at least one site of ``subset``."""
    rows = list(subset)
    if not rows:
        return 0.0
    hit = as_bool(coverage)[rows].any(axis=0)
    return float(np.asarray(weights, dtype=float)[hit].sum())


def station_values(coverage, weights) -> np.ndarray:
    """Total weight each candidate covers on its own (coverage row @ weights)."""
    return as_bool(coverage).astype(float) @ np.asarray(weights, dtype=float)


def is_feasible(
    subset: Sequence[int],
    n: int,
    p: int,
    *,
    district: Sequence[object] | None = None,
    district_min: Mapping[object, int] | int | None = None,
    district_max: Mapping[object, int] | None = None,
    conflicts: Iterable[Sequence[int]] = (),
    fixed: Iterable[int] = (),
    excluded: Iterable[int] = (),
) -> bool:
    """Whether ``subset`` is a feasible plan under the rules listed in the module docstring."""
    chosen = [int(j) for j in subset]
    chosen_set = set(chosen)
    if len(chosen) != p or len(chosen_set) != p or any(j < 0 or j >= n for j in chosen):
        return False
    fixed_set = {int(j) for j in fixed}
    if not fixed_set <= chosen_set or chosen_set & {int(j) for j in excluded}:
        return False
    for pair in conflicts:
        a, b = int(pair[0]), int(pair[1])
        if a in chosen_set and b in chosen_set and not (a in fixed_set and b in fixed_set):
            return False
    if district is not None:
        labels = list(district)
        counts: dict[object, int] = {}
        for j in chosen:
            counts[labels[j]] = counts.get(labels[j], 0) + 1
        if district_min is not None:
            minimums = dict.fromkeys(labels, int(district_min)) if isinstance(district_min, int) else dict(district_min)
            if any(counts.get(label, 0) < low for label, low in minimums.items()):
                return False
        if district_max is not None and any(counts.get(label, 0) > high for label, high in district_max.items()):
            return False
    return True


def feasible_subsets(n: int, p: int, **rules) -> list[tuple[int, ...]]:
    """All feasible plans (as ascending tuples) by enumeration."""
    return [combo for combo in itertools.combinations(range(n), p) if is_feasible(combo, n, p, **rules)]


def subset_values(coverage, weights, subsets: Sequence[Sequence[int]]) -> np.ndarray:
    """Covered weight of every subset (vectorised in chunks)."""
    if not subsets:
        return np.zeros(0)
    cover = as_bool(coverage)
    w = np.asarray(weights, dtype=float)
    combos = np.asarray(subsets, dtype=np.int64)
    out = np.empty(len(combos))
    step = 4096
    for start in range(0, len(combos), step):
        chunk = combos[start : start + step]
        out[start : start + step] = cover[chunk].any(axis=1) @ w
    return out


def brute_force(coverage, weights, p: int, **rules) -> tuple[float, list[tuple[int, ...]]]:
    """Best covered weight over all feasible plans and every plan reaching it; (-inf, []) if none is feasible."""
    n = as_bool(coverage).shape[0]
    subsets = feasible_subsets(n, p, **rules)
    if not subsets:
        return -np.inf, []
    values = subset_values(coverage, weights, subsets)
    best = float(values.max())
    return best, [s for s, v in zip(subsets, values, strict=True) if v == best]


def plain_greedy(coverage, weights, p: int) -> tuple[list[int], float]:
    """Unconstrained greedy without swaps: add the site of largest marginal gain (lowest index on ties)."""
    cover = as_bool(coverage)
    w = np.asarray(weights, dtype=float)
    uncovered = np.ones(cover.shape[1], dtype=bool)
    chosen: list[int] = []
    for _ in range(p):
        gains = cover.astype(float) @ (w * uncovered)
        gains[chosen] = -np.inf
        j = int(np.argmax(gains))
        chosen.append(j)
        uncovered &= ~cover[j]
    return sorted(chosen), float(w[~uncovered].sum())




def value(cover: np.ndarray, weights: np.ndarray, subset, backup: float = 0.0) -> float:
    """sum_i w_i ([c_i >= 1] + backup [c_i >= 2]) with c_i the number of chosen sites covering point i."""
    counts = cover[list(subset)].sum(axis=0) if len(subset) else np.zeros(cover.shape[1], dtype=int)
    return float(weights @ (counts >= 1)) + backup * float(weights @ (counts >= 2))


def covers_all(must: np.ndarray | None, subset) -> bool:
    """Whether the chosen sites reach every must-cover point."""
    if must is None:
        return True
    return bool(must[list(subset)].any(axis=0).all())


def quota_ok(subset, quotas: list[tuple[list[object], dict, dict]]) -> bool:
    """Per-label counts of the chosen sites within every (labels, minimum, maximum)."""
    for labels, low, high in quotas:
        counts: dict[object, int] = {}
        for j in subset:
            counts[labels[j]] = counts.get(labels[j], 0) + 1
        if any(counts.get(label, 0) < k for label, k in low.items()):
            return False
        if any(counts.get(label, 0) > k for label, k in high.items()):
            return False
    return True


def brute(
    cover: np.ndarray,
    weights: np.ndarray,
    p: int,
    backup: float = 0.0,
    must: np.ndarray | None = None,
    quotas: list[tuple[list[object], dict, dict]] = (),
    **rules,
) -> tuple[float, list[tuple[int, ...]]]:
    """Best value over feasible plans and all plans reaching it; (-inf, []) when none is feasible."""
    n = cover.shape[0]
    best, plans = -np.inf, []
    for subset in itertools.combinations(range(n), p):
        if not is_feasible(subset, n, p, **rules) or not covers_all(must, subset) or not quota_ok(subset, quotas):
            continue
        v = value(cover, weights, subset, backup)
        if v > best:
            best, plans = v, [subset]
        elif v == best:
            plans.append(subset)
    return best, plans
