"""Lagrangian upper bound for maximal covering, and the candidate elimination it proves.

Relaxing the coverage rows ``y_i <= sum_j a_ij x_j`` with multipliers ``lambda_i >= 0`` (and dropping spacing and
district rules, which only loosens the bound) leaves a problem solved by inspection::

    L(lambda) = sum_i max(0, w_i - lambda_i) + sum of rho_j over the fixed sites and the p - f best free sites,
    rho_j = sum_i a_ij lambda_i

Every ``L(lambda)`` is an upper bound on the best plan; subgradient steps lower it. With the best multipliers,
a site ``j`` outside the chosen set can only enter a plan worth at most ``L - rho_(k) + rho_j`` (swapping it for
the weakest chosen one). When that is below the incumbent's value, no better plan contains ``j``: it is eliminated
before the exact solve, which then works on a fraction of the sites.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from geoplan.siting.model import Constraints

#: Subgradient iterations without a better bound before the step size is halved, at most. Patient halving
#: converges much closer to the LP bound (measured: 60 reaches within 0.13% of the LP value where 15 stalls 0.65%
#: above it), but is slow to start; the patience grows with the iterations run (10, then a tenth of them).
STALL_ITERATIONS = 60


#: Weight of the newest relaxed solution in the running average that gives the step direction (the volume
#: algorithm of Barahona and Anbil). Stepping along an average rather than the latest subgradient stops the
#: zig-zag between sets of sites: on a 50,000 x 10,000 instance it ends 0.2% above the LP bound where plain
#: subgradient steps stall 0.5% above it in the same time.
VOLUME_ALPHA = 0.1

#: The subgradient loop multiplies with a single-precision copy of the 0/1 matrix (half the memory traffic) up to
#: this many stored entries; above, with the matrix itself: for a whole city the copy (0.9 GB at 222 million
#: entries) would be the solve's largest allocation.
SINGLE_PRECISION_MAX_ENTRIES = 100_000_000


@dataclass(frozen=True)
class LagrangianOutcome:
    """Best bound found and, per candidate, the bound on any plan containing it.

    Attributes
    ----------
    bound : float
        Upper bound on the best plan's value.
    site_bound : numpy.ndarray
        For each candidate, an upper bound on any plan that contains it (``-inf`` for excluded ones).
    iterations : int
        Subgradient iterations run.
    multipliers : numpy.ndarray
        The multipliers of the best bound (to continue from).
    best_sites, best_value : numpy.ndarray, float
        The best relaxed choice of sites seen, valued by its true coverage (a Lagrangian heuristic: these sets
        ignore spacing and quota rules, so the caller repairs them before use).
    """

    bound: float
    site_bound: np.ndarray
    iterations: int
    multipliers: np.ndarray
    best_sites: np.ndarray
    best_value: float


def bound(
    coverage: sp.csr_array,
    weights: np.ndarray,
    constraints: Constraints,
    incumbent: float,
    target_gap: float,
    time_limit: float,
    max_iterations: int = 20_000,
    initial: np.ndarray | None = None,
) -> LagrangianOutcome:
    """Subgradient optimisation of the Lagrangian bound.

    Parameters
    ----------
    coverage : scipy.sparse.csr_array
        Candidates x demand 0/1 matrix.
    weights : numpy.ndarray
        Demand weights.
    constraints : Constraints
        Validated constraints (only ``p``, ``fixed`` and ``excluded`` are used: the rest is relaxed).
    incumbent : float
        Value of the best known plan (the step size aims at it).
    target_gap : float
        Stop once the bound is within this relative gap of the incumbent.
    time_limit : float
        Seconds.
    max_iterations : int
        Iteration cap.
    initial : numpy.ndarray, optional
        Multipliers to start from (a previous outcome's); default: the demand weights.

    Returns
    -------
    LagrangianOutcome
    """
    deadline = time.perf_counter() + time_limit
    # The subgradient loop only ranks sites, so single precision does (half the memory traffic of the product
    # that dominates each iteration); the bound returned is recomputed in double precision from its multipliers.
    pattern = coverage
    if coverage.nnz <= SINGLE_PRECISION_MAX_ENTRIES:
        pattern = sp.csr_array((np.ones(coverage.nnz, dtype=np.float32), coverage.indices, coverage.indptr),
                               shape=coverage.shape)  # fmt: skip
    fixed, free = _site_masks(constraints, coverage.shape[0])
    free_index, fixed_index = np.flatnonzero(free), np.flatnonzero(fixed)
    k = constraints.p - len(fixed_index)
    weightless = weights <= 0  # columns whose weight was folded onto an identical one (or that have none)
    multipliers = (weights if initial is None else initial).astype(float).copy()
    multipliers[weightless] = 0.0
    best = (np.inf, multipliers.copy())
    step_size, iterations = _StepSize(), 0
    average = None  # running average of the relaxed solutions' (y, count): the volume algorithm's direction
    best_primal = (-np.inf, np.zeros(0, dtype=np.int64))
    target = incumbent / (1.0 - target_gap) if target_gap < 1 else np.inf
    while iterations < max_iterations and time.perf_counter() < deadline:
        iterations += 1
        rho = (pattern @ multipliers.astype(pattern.dtype)).astype(float)
        top = free_index[np.argpartition(-rho[free_index], k - 1)[:k]] if k > 0 else free_index[:0]
        value = float(np.maximum(weights - multipliers, 0.0).sum() + rho[fixed].sum() + rho[top].sum())
        improved = value < best[0] - 1e-9 * max(1.0, abs(value))
        if improved:
            best = (value, multipliers.copy())
        step_size.record(improved, iterations)
        if best[0] <= target:
            break
        if step_size.stuck():
            if not step_size.restart(best[0]):
                break
            average, multipliers = None, best[1].copy()
            continue
        sites = np.r_[fixed_index, top]
        count = _cover_counts(coverage, sites)
        value_now = float(weights[count > 0].sum())
        if value_now > best_primal[0]:
            best_primal = (value_now, np.sort(sites))
            incumbent = max(incumbent, value_now)
        relaxed = np.stack([(weights > multipliers).astype(float), count])
        average = relaxed if average is None else VOLUME_ALPHA * relaxed + (1.0 - VOLUME_ALPHA) * average
        subgradient = average[0] - average[1]
        subgradient[weightless] = 0.0  # their best multiplier is 0: any other only raises the bound
        norm = float(subgradient @ subgradient)
        if norm < 1e-12:  # the averaged relaxed solution is feasible: nothing left to move
            break
        # An averaged direction can be tiny without being zero; a norm below one (the least a single relaxed
        # solution's subgradient has) would blow the step up.
        step = step_size.theta * max(value - incumbent, 1e-9 * max(1.0, value)) / max(norm, 1.0)
        multipliers = np.maximum(multipliers + step * subgradient, 0.0)
    exact = _value(coverage, weights, best[1], fixed, free, k)
    site_bound = _site_bounds(coverage, weights, best[1], fixed, free, k)
    return LagrangianOutcome(exact, site_bound, iterations, best[1], best_primal[1], best_primal[0])


class _StepSize:
    """Scale of the Polyak step: halved after a run without a better bound, restarted once steps stop moving."""

    def __init__(self) -> None:
        self.theta = 1.0
        self._stall = 0
        self._at_best = self.theta  # the scale when the bound last improved
        self._restarted_at = np.inf

    def record(self, improved: bool, iterations: int) -> None:
        """Note whether this iteration gave a better bound; the patience grows with the iterations run."""
        if improved:
            self._stall, self._at_best = 0, self.theta
            return
        self._stall += 1
        if self._stall >= min(STALL_ITERATIONS, max(10, iterations // 10)):
            self.theta, self._stall = self.theta / 2.0, 0

    def stuck(self) -> bool:
        """Tell whether the steps have become too short to move the multipliers."""
        return self.theta < 1e-4

    def restart(self, best: float) -> bool:
        """Go back to the scale of the last improvement, unless the previous restart gained nothing."""
        if best > self._restarted_at * (1.0 - 1e-4):
            return False
        self._restarted_at, self.theta, self._stall = best, self._at_best, 0
        return True


def _site_masks(constraints: Constraints, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the masks of fixed sites and of free ones (neither fixed nor excluded)."""
    fixed = np.zeros(n, dtype=bool)
    fixed[constraints.fixed] = True
    free = ~fixed
    free[constraints.excluded] = False
    return fixed, free


def _cover_counts(coverage: sp.csr_array, sites: np.ndarray) -> np.ndarray:
    """How many of ``sites`` cover each demand column (a sum of a few rows, not a full product)."""
    starts = coverage.indptr[sites]
    lengths = coverage.indptr[sites + 1] - starts
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.bincount(coverage.indices[np.repeat(starts, lengths) + offsets], minlength=coverage.shape[1]).astype(
        float
    )


def _value(coverage, weights, multipliers, fixed, free, k) -> float:
    """``L(multipliers)`` in double precision: the bound reported."""
    rho = coverage @ multipliers
    return float(np.maximum(weights - multipliers, 0.0).sum() + rho[fixed].sum() + _top_sum(rho[free], k))


def _site_bounds(coverage, weights, multipliers, fixed, free, k) -> np.ndarray:
    rho = coverage @ multipliers
    base = float(np.maximum(weights - multipliers, 0.0).sum() + rho[fixed].sum())
    site = np.full(len(rho), -np.inf)
    site[fixed] = base + _top_sum(rho[free], k)
    if k == 0 or not free.any():
        return site
    values = np.sort(rho[free])[::-1]
    kth = values[k - 1]
    total = values[:k].sum()
    # A free site in the top k: the bound itself; below it: swap it in for the k-th.
    site[free] = base + np.where(rho[free] >= kth, total, total - kth + rho[free])
    return site


def _top_sum(values: np.ndarray, k: int) -> float:
    if k <= 0 or len(values) == 0:
        return 0.0
    return float(np.sort(values)[::-1][:k].sum())
