"""Fast maximal-covering heuristic: constrained lazy greedy, then best-improvement swaps.

Gains are kept exactly up to date with sparse updates: when a site is chosen, only the demand it newly covers
changes, and only the candidates covering that demand lose gain (one sparse column slice times a vector).
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from geoplan.errors import InfeasibleError
from geoplan.siting.model import Constraints
from geoplan.siting.rules import SiteRules

_EPS = 1e-9


class _State(SiteRules):
    """Open sites, how often each demand point is covered, and which candidates are still allowed."""

    def __init__(self, coverage: sp.csr_array, weights: np.ndarray, c: Constraints):
        super().__init__(coverage.shape[0], c)
        self.rows = coverage
        self.cols = coverage.tocsc()
        self.weights = weights
        self.count = np.zeros(coverage.shape[1], dtype=np.int32)

    def add(self, j: int) -> None:
        self.open(j)
        self.count[self.rows.indices[self.rows.indptr[j] : self.rows.indptr[j + 1]]] += 1

    def remove(self, j: int) -> None:
        self.close(j)
        self.count[self.rows.indices[self.rows.indptr[j] : self.rows.indptr[j + 1]]] -= 1

    def gains(self) -> np.ndarray:
        """Weight each candidate would newly cover."""
        return self.rows @ (self.weights * (self.count == 0))


def greedy_swap(
    coverage: sp.csr_array,
    weights: np.ndarray,
    constraints: Constraints,
    time_limit: float = 5.0,
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

    Returns
    -------
    numpy.ndarray
        Chosen candidate indices, ascending.

    Raises
    ------
    InfeasibleError
        The greedy construction could not satisfy spacing and district rules together.
    """
    deadline = time.perf_counter() + time_limit
    state = _State(coverage, weights, constraints)
    for j in constraints.fixed:
        state.add(int(j))
    p = constraints.p
    gains = state.gains()
    while state.chosen.sum() < p:
        allowed = state.allowed(p - int(state.chosen.sum()))
        if not allowed.any():
            raise InfeasibleError(
                "No site can be added without breaking the minimum spacing or a district's minimum or maximum: "
                "lower the spacing or the station count."
            )
        j = int(np.argmax(np.where(allowed, gains, -np.inf)))
        newly = state.rows.indices[state.rows.indptr[j] : state.rows.indptr[j + 1]]
        newly = newly[state.count[newly] == 0]
        state.add(j)
        if len(newly):
            gains -= state.cols[:, newly] @ weights[newly]
    _swap(state, deadline)
    return np.flatnonzero(state.chosen)


def _swap(state: _State, deadline: float) -> None:
    """Best-improvement swaps: drop one free site, add the best allowed one, while the objective rises."""
    fixed = np.zeros(len(state.chosen), dtype=bool)
    fixed[state.c.fixed] = True
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        for j in np.flatnonzero(state.chosen & ~fixed):
            if time.perf_counter() >= deadline:
                return
            start, end = state.rows.indptr[j], state.rows.indptr[j + 1]
            own = state.rows.indices[start:end]
            loss = float(state.weights[own[state.count[own] == 1]].sum())
            state.remove(j)
            gains = state.gains()
            allowed = state.allowed(1)
            allowed[j] = False
            k = int(np.argmax(np.where(allowed, gains, -np.inf)))
            if allowed[k] and gains[k] > loss + _EPS * max(1.0, loss):
                state.add(k)
                improved = True
            else:
                state.add(j)
