"""Fast maximal-covering heuristic: constrained lazy greedy, then best-improvement swaps.

Gains are kept up to date with sparse updates: when a site opens or closes, only the demand it covers changes
cover count, and only the candidates covering that demand change gain. A swap then costs a few thousand operations
instead of a product with the whole coverage matrix, which is what lets local search run thousands of swaps a
second on city-sized instances.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from geoplan import i18n
from geoplan.errors import InfeasibleError
from geoplan.siting.model import Constraints
from geoplan.siting.rules import SiteRules

_EPS = 1e-9

#: Iterated local search stops after this many kicks in a row that found nothing better.
ILS_PATIENCE = 200

#: Incremental gain updates between two full recomputations (bounds floating-point drift).
_REFRESH = 5000


def _transpose_pattern(coverage: sp.csr_array) -> tuple[np.ndarray, np.ndarray]:
    """Column-major pattern of ``coverage``: ``(indptr, indices)``, the sites covering each demand point.

    For a whole city this is the solve's largest allocation, so no data array is kept: the conversion is given the
    matrix's own index bytes as stand-in 1-byte data (never read), and its 1-byte output is dropped.
    """
    stand_in = coverage.indices.view(np.int8)[: coverage.nnz]
    pattern = sp.csr_array((stand_in, coverage.indices, coverage.indptr), shape=coverage.shape).tocsc()
    return pattern.indptr, pattern.indices


class _State(SiteRules):
    """Open sites, how often each demand point is covered, and which candidates are still allowed.

    The value of a plan is ``sum_i w_i [c_i >= 1] + backup * sum_i w_i [c_i >= 2]`` with ``c_i`` the number of open
    sites covering demand point ``i``: plain coverage, plus cross coverage (交叉覆盖) when ``backup > 0``.
    """

    def __init__(
        self,
        coverage: sp.csr_array,
        weights: np.ndarray,
        c: Constraints,
        backup: float = 0.0,
        must_cover: sp.csr_array | None = None,
    ):
        super().__init__(coverage.shape[0], c)
        self.rows = coverage
        self.col_ptr, self.col_sites = _transpose_pattern(coverage)
        self.weights = weights
        self.backup = backup
        self.count = np.zeros(coverage.shape[1], dtype=np.int32)
        self.must = must_cover
        self.must_count = None if must_cover is None else np.zeros(must_cover.shape[1], dtype=np.int32)
        self._gain: np.ndarray | None = None  # kept up to date once first asked for
        self._updates = 0

    def add(self, j: int) -> None:
        self.open(j)
        self._cover(j, 1)
        if self.must is not None:
            self.must_count[self.must.indices[self.must.indptr[j] : self.must.indptr[j + 1]]] += 1

    def remove(self, j: int) -> None:
        self.close(j)
        self._cover(j, -1)
        if self.must is not None:
            self.must_count[self.must.indices[self.must.indptr[j] : self.must.indptr[j + 1]]] -= 1

    def undo_remove(self, j: int, gains: np.ndarray | None) -> None:
        """Reopen site ``j`` just removed, restoring the gains saved before (cheaper than :meth:`add`)."""
        if gains is None:
            self.add(j)
            return
        self.open(j)
        self.count[self.rows.indices[self.rows.indptr[j] : self.rows.indptr[j + 1]]] += 1
        if self.must is not None:
            self.must_count[self.must.indices[self.must.indptr[j] : self.must.indptr[j + 1]]] += 1
        self._gain = gains

    def _cover(self, j: int, step: int) -> None:
        """Change the cover counts of site ``j``'s demand by ``step``, and every candidate's gain with them."""
        own = self.rows.indices[self.rows.indptr[j] : self.rows.indptr[j + 1]]
        if self._gain is None:
            self.count[own] += step
            return
        before = self.marginal(self.count[own], self.weights[own])
        self.count[own] += step
        delta = self.marginal(self.count[own], self.weights[own]) - before
        changed = delta != 0
        columns, delta = own[changed], delta[changed]
        starts = self.col_ptr[columns]
        lengths = self.col_ptr[columns + 1] - starts
        offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        sites = self.col_sites[np.repeat(starts, lengths) + offsets]
        self._gain += np.bincount(sites, weights=np.repeat(delta, lengths), minlength=len(self._gain))
        self._updates += 1
        if self._updates >= _REFRESH:
            self._gain = None

    def marginal(self, count: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Value one more covering site adds to demand points of these weights at these cover counts."""
        return weights * ((count == 0) + self.backup * (count == 1))

    def gains(self) -> np.ndarray:
        """Value each candidate would add (a copy: callers may change it)."""
        if self._gain is None:
            self._gain = self.rows @ self.marginal(self.count, self.weights)
            self._updates = 0
        return self._gain.copy()

    def loss(self, j: int) -> float:
        """Value lost by closing open site ``j``."""
        own = self.rows.indices[self.rows.indptr[j] : self.rows.indptr[j + 1]]
        return float(self.marginal(self.count[own] - 1, self.weights[own]).sum())

    def keeps_must_cover(self) -> np.ndarray:
        """Candidates whose opening would cover every must-cover point that no open site covers."""
        if self.must is None:
            return np.ones(len(self.chosen), dtype=bool)
        bare = self.must_count == 0
        return (self.must @ bare.astype(float)) >= bare.sum() - 0.5

    def value(self) -> float:
        return float(self.weights @ (np.minimum(self.count, 1) + self.backup * (self.count >= 2)))


def greedy_swap(
    coverage: sp.csr_array,
    weights: np.ndarray,
    constraints: Constraints,
    time_limit: float = 5.0,
    *,
    backup: float = 0.0,
    must_cover: sp.csr_array | None = None,
    start: np.ndarray | None = None,
) -> np.ndarray:
    """Choose ``p`` sites by constrained greedy, then improve by swaps until no swap helps or time runs out.

    Parameters
    ----------
    coverage : scipy.sparse.csr_array
        Candidates x demand 0/1 matrix.
    weights : numpy.ndarray
        Demand weights.
    constraints : Constraints
        Validated constraints (see :func:`geoplan.siting.model.validate`).
    time_limit : float
        Seconds allowed for the swap phase.
    backup : float
        Weight of cross coverage (a second covering station) relative to first coverage; 0 for plain MCLP.
    must_cover : scipy.sparse.csr_array, optional
        Candidates x points 0/1 matrix of points that must each be covered (the maximum-gap rule).
    start : numpy.ndarray, optional
        A previous plan to start from (re-optimisation): its sites that are still allowed are kept, then the plan
        is filled up greedily and improved by swaps.

    Returns
    -------
    numpy.ndarray
        Chosen candidate indices, ascending.

    Raises
    ------
    InfeasibleError
        The greedy construction could not satisfy the rules together.
    """
    deadline = time.perf_counter() + time_limit
    state = _State(coverage, weights, constraints, backup, must_cover)
    for j in constraints.fixed:
        state.add(int(j))
    p = constraints.p
    pending = list(np.asarray(start if start is not None else [], dtype=np.int64))
    while state.chosen.sum() < p:
        if pending and (state.must is None or not (state.must_count == 0).any()):
            # The previous plan's sites come back once the maximum-gap rule is met, while still allowed.
            j = int(pending.pop(0))
            if state.allowed(p - int(state.chosen.sum()))[j]:
                state.add(j)
            continue
        allowed = state.allowed(p - int(state.chosen.sum()))
        score = state.gains()
        if state.must is not None and (state.must_count == 0).any():
            # Maximum-gap rule first: the site covering most uncovered must-cover points, gains breaking ties.
            uncovered = state.must @ (state.must_count == 0).astype(float)
            score = uncovered * (score.max(initial=0.0) + 1.0) + score
        if not allowed.any():
            raise i18n.coded_error(InfeasibleError, "no_site_addable")
        state.add(_pick(state, allowed, score))
    if state.must is not None and (state.must_count == 0).any():
        raise i18n.coded_error(InfeasibleError, "gap_left_uncovered", count=int((state.must_count == 0).sum()))
    _swap(state, deadline)
    return np.flatnonzero(state.chosen)


def descend(
    coverage: sp.csr_array,
    weights: np.ndarray,
    constraints: Constraints,
    selected: np.ndarray,
    time_limit: float,
    *,
    backup: float = 0.0,
    must_cover: sp.csr_array | None = None,
) -> np.ndarray:
    """Improve a feasible plan by best-improvement swaps that keep every rule, until none helps or time runs out.

    Returns
    -------
    numpy.ndarray
        The plan reached (never worse than ``selected``), ascending.
    """
    state = _holding(coverage, weights, constraints, selected, backup, must_cover)
    _swap(state, time.perf_counter() + time_limit)
    return np.flatnonzero(state.chosen)


def _holding(coverage, weights, constraints, selected, backup, must_cover) -> _State:
    """Return a state with the sites of a feasible plan open."""
    state = _State(coverage, weights, constraints, backup, must_cover)
    for j in selected:
        state.add(int(j))
    return state


def _pick(state: _State, allowed: np.ndarray, score: np.ndarray) -> int:
    """Return the allowed candidate of best score; among equal scores, the one blocking fewest allowed ones.

    Ties are common once coverage saturates (every gain 0): taking the least-blocking site then keeps room for the
    stations still to place under a minimum spacing.
    """
    masked = np.where(allowed, score, -np.inf)
    best = masked.max()
    ties = np.flatnonzero(masked >= best - _EPS * max(1.0, abs(best)))
    if len(ties) == 1 or state.neighbours.nnz == 0:
        return int(ties[0])
    blocking = state.neighbours[ties] @ allowed.astype(float)
    return int(ties[np.argmin(blocking)])


def improve(
    coverage: sp.csr_array,
    weights: np.ndarray,
    constraints: Constraints,
    selected: np.ndarray,
    time_limit: float,
    *,
    backup: float = 0.0,
    must_cover: sp.csr_array | None = None,
    target: float = np.inf,
    patience: int = ILS_PATIENCE,
    seed: int = 0,
) -> np.ndarray:
    """Improve a feasible plan by iterated local search: close a few sites at random, refill, descend by swaps.

    Swap descent stops at the first local optimum; kicking a few sites out and re-descending escapes it. Runs
    until ``time_limit`` seconds pass, the plan's value reaches ``target`` (a proven bound) or ``patience`` kicks
    in a row find nothing better. Seeded (``seed``), so a run is reproducible for a given budget; a second run
    from the first one's answer needs another seed to try other kicks.

    Returns
    -------
    numpy.ndarray
        The best plan found (never worse than ``selected``), ascending.
    """
    state = _holding(coverage, weights, constraints, selected, backup, must_cover)
    _perturb(state, time.perf_counter() + time_limit, target, patience, seed)
    return np.flatnonzero(state.chosen)


def _perturb(state: _State, deadline: float, target: float, patience: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    best_value, best_sites = state.value(), np.flatnonzero(state.chosen)
    free = np.flatnonzero(state.chosen & ~state.fixed)
    if len(free) < 2:
        return
    stale = 0
    while time.perf_counter() < deadline and best_value < target - _EPS * max(1.0, abs(best_value)):
        if stale >= patience:
            break
        stale += 1
        size = int(rng.integers(2, min(5, len(free)) + 1))
        for j in rng.choice(np.flatnonzero(state.chosen & ~state.fixed), size=size, replace=False):
            state.remove(int(j))
        if not _refill(state, rng):
            _restore(state, best_sites)
            continue
        _swap(state, deadline)
        value = state.value()
        if value > best_value + _EPS * max(1.0, best_value):
            best_value, best_sites, stale = value, np.flatnonzero(state.chosen), 0
        else:
            _restore(state, best_sites)


def _refill(state: _State, rng: np.random.Generator) -> bool:
    """Open sites up to p, each the best allowed by gain among a random half of the allowed ones."""
    p = state.c.p
    while state.chosen.sum() < p:
        allowed = state.allowed(p - int(state.chosen.sum())) & state.keeps_must_cover()
        if not allowed.any():
            allowed = state.allowed(p - int(state.chosen.sum()))
        if not allowed.any():
            return False
        allowed &= rng.random(len(allowed)) < 0.5 if allowed.sum() > 1 else allowed
        if not allowed.any():
            continue
        state.add(int(np.argmax(np.where(allowed, state.gains(), -np.inf))))
    return state.must is None or not (state.must_count == 0).any()


def _restore(state: _State, sites: np.ndarray) -> None:
    for j in np.flatnonzero(state.chosen):
        state.remove(int(j))
    for j in sites:
        state.add(int(j))


def _swap(state: _State, deadline: float) -> None:
    """Best-improvement swaps: drop one free site, add the best allowed one, while the objective rises."""
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        for j in np.flatnonzero(state.chosen & ~state.fixed):
            if time.perf_counter() >= deadline:
                return
            loss = state.loss(j)
            saved = state.gains()
            state.remove(j)
            gains = state.gains()
            allowed = state.allowed(1) & state.keeps_must_cover()
            allowed[j] = False
            k = int(np.argmax(np.where(allowed, gains, -np.inf)))
            if allowed[k] and gains[k] > loss + _EPS * max(1.0, loss):
                state.add(k)
                improved = True
            else:
                state.undo_remove(j, saved)
