"""p-median: choose p sites minimising the total weighted distance from each worker to the nearest station.

Engine, on a dense weighted-cost matrix (unreachable pairs at +inf):

1. greedy construction under the site rules, then fast interchange: every (incoming, outgoing) swap is priced at
   once from each demand point's nearest and second-nearest open site (Whitaker's decomposition, with the
   Resende-Werneck "extra" term computed as one matrix product);
2. Lagrangian relaxation of the assignment rows for a lower bound (subgradient ascent), whose per-site bounds
   eliminate sites that cannot belong to a better plan;
3. an exact MILP (HiGHS) over the surviving sites, warm-started from the heuristic, when it is small enough.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from geoplan import i18n
from geoplan.errors import InfeasibleError
from geoplan.siting import milp
from geoplan.siting.model import Constraints, restrict
from geoplan.siting.rules import SiteRules

#: Largest candidates x demand matrix handled densely (float64 entries).
MAX_DENSE_ENTRIES = 60_000_000

#: Largest number of (site, demand) assignment variables handed to the MILP.
MILP_MAX_PAIRS = 400_000

_EPS = 1e-9

#: Iterated local search stops after this many kicks in a row that found nothing better.
ILS_PATIENCE = 100


def dense_costs(cost: sp.sparray | sp.spmatrix | np.ndarray) -> np.ndarray:
    """Candidates x demand costs as a dense float array with unreachable pairs (sparse gaps, NaN) at +inf."""
    if sp.issparse(cost):
        n, m = cost.shape
        if n * m > MAX_DENSE_ENTRIES:
            raise i18n.input_error("cost_matrix_too_large", n=n, m=m, most=f"{MAX_DENSE_ENTRIES:,}")
        coo = sp.coo_array(cost)
        dense = np.full((n, m), np.inf)
        dense[coo.row, coo.col] = coo.data
    else:
        dense = np.array(cost, dtype=float)
        if dense.ndim != 2:
            raise i18n.input_error("cost_not_matrix")
        dense[np.isnan(dense)] = np.inf
    if (dense < 0).any():
        raise i18n.input_error("distances_negative")
    return dense


def assignment_cost(costs: np.ndarray, weights: np.ndarray, selected: np.ndarray) -> float:
    """Total weighted distance from each demand point to its nearest selected site (+inf if one is unreachable)."""
    if len(selected) == 0:
        return np.inf
    nearest = costs[selected].min(axis=0)
    return float(weights @ nearest) if np.isfinite(nearest[weights > 0]).all() else np.inf


class _Assignment(SiteRules):
    """Open sites plus each demand point's nearest and second-nearest open site."""

    def __init__(self, costs: np.ndarray, weights: np.ndarray, c: Constraints, penalty: float):
        super().__init__(costs.shape[0], c)
        self.costs = costs
        self.weights = weights
        self.penalty = penalty  # stands for "unreachable" so that sums stay finite

    def refresh(self) -> None:
        open_sites = np.flatnonzero(self.chosen)
        block = np.minimum(self.costs[open_sites], self.penalty) if len(open_sites) else None
        m = self.costs.shape[1]
        if block is None:
            self.d1 = np.full(m, self.penalty)
            self.d2 = np.full(m, self.penalty)
            self.best = np.full(m, -1)
            return
        order = np.argsort(block, axis=0)[:2]
        self.best = open_sites[order[0]]
        self.d1 = np.take_along_axis(block, order[:1], axis=0)[0]
        self.d2 = np.take_along_axis(block, order[1:2], axis=0)[0] if len(open_sites) > 1 else np.full(m, self.penalty)

    def value(self) -> float:
        return float(self.weights @ self.d1)


def greedy_interchange(costs: np.ndarray, weights: np.ndarray, c: Constraints, time_limit: float) -> np.ndarray:
    """Constrained greedy construction followed by best-improvement interchange.

    Parameters
    ----------
    costs : numpy.ndarray
        Dense candidates x demand distances (+inf = unreachable).
    weights : numpy.ndarray
        Demand weights.
    c : Constraints
        Validated constraints.
    time_limit : float
        Seconds for the interchange phase.

    Returns
    -------
    numpy.ndarray
        Chosen candidate indices, ascending.
    """
    deadline = time.perf_counter() + time_limit
    finite = costs[np.isfinite(costs)]
    penalty = (float(finite.max()) if len(finite) else 1.0) * 10.0 + 1.0
    state = _Assignment(costs, weights, c, penalty)
    capped = np.minimum(costs, penalty)
    for j in c.fixed:
        state.open(int(j))
    state.refresh()
    while state.chosen.sum() < c.p:
        allowed = state.allowed(c.p - int(state.chosen.sum()))
        if not allowed.any():
            raise i18n.coded_error(InfeasibleError, "no_site_addable")
        gain = np.maximum(state.d1[None, :] - capped, 0.0) @ weights
        state.open(int(np.argmax(np.where(allowed, gain, -np.inf))))
        state.refresh()
    _interchange(state, capped, deadline)
    return np.flatnonzero(state.chosen)


def improve(
    costs: np.ndarray, weights: np.ndarray, c: Constraints, selected: np.ndarray, time_limit: float, target: float
) -> np.ndarray:
    """Improve a feasible plan by iterated local search: close 2-5 random sites, refill greedily, interchange.

    Stops after ``time_limit`` seconds, once the plan's cost reaches ``target`` (a proven lower bound), or after
    :data:`ILS_PATIENCE` kicks in a row without improvement. Seeded, so reproducible for a given budget.
    """
    deadline = time.perf_counter() + time_limit
    finite = costs[np.isfinite(costs)]
    penalty = (float(finite.max()) if len(finite) else 1.0) * 10.0 + 1.0
    capped = np.minimum(costs, penalty)
    state = _Assignment(costs, weights, c, penalty)
    for j in selected:
        state.open(int(j))
    state.refresh()
    rng = np.random.default_rng(0)
    best_value, best_sites, stale = state.value(), np.flatnonzero(state.chosen), 0
    while time.perf_counter() < deadline and best_value > target + 1e-9 * max(1.0, target) and stale < ILS_PATIENCE:
        stale += 1
        free = np.flatnonzero(state.chosen & ~state.fixed)
        if len(free) < 2:
            break
        for j in rng.choice(free, size=int(rng.integers(2, min(5, len(free)) + 1)), replace=False):
            state.close(int(j))
        state.refresh()
        refilled = True
        while state.chosen.sum() < c.p:
            allowed = state.allowed(c.p - int(state.chosen.sum()))
            if not allowed.any():
                refilled = False
                break
            sample = allowed & (rng.random(len(allowed)) < 0.7)  # randomise the refill
            if sample.any():
                allowed = sample
            gain = np.maximum(state.d1[None, :] - capped, 0.0) @ weights
            state.open(int(np.argmax(np.where(allowed, gain, -np.inf))))
            state.refresh()
        if refilled:
            _interchange(state, capped, deadline)
        if refilled and state.value() < best_value - 1e-9 * max(1.0, best_value):
            best_value, best_sites, stale = state.value(), np.flatnonzero(state.chosen), 0
        else:
            for j in np.flatnonzero(state.chosen):
                state.close(int(j))
            for j in best_sites:
                state.open(int(j))
            state.refresh()
    return best_sites


def _interchange(state: _Assignment, capped: np.ndarray, deadline: float) -> None:
    weights = state.weights
    while time.perf_counter() < deadline:
        open_sites = np.flatnonzero(state.chosen & ~state.fixed)
        if len(open_sites) == 0:
            return
        gain = np.maximum(state.d1[None, :] - capped, 0.0) @ weights  # opening a, nothing closed
        owner = np.searchsorted(open_sites, state.best)
        owned = (owner < len(open_sites)) & (open_sites[np.minimum(owner, len(open_sites) - 1)] == state.best)
        loss = np.bincount(owner[owned], weights=(weights * (state.d2 - state.d1))[owned], minlength=len(open_sites))
        extra_terms = np.maximum(state.d2[None, :] - np.maximum(capped, state.d1[None, :]), 0.0) * weights[None, :]
        assign = sp.csr_array(
            (np.ones(int(owned.sum())), (np.flatnonzero(owned), owner[owned])), shape=(len(weights), len(open_sites))
        )
        extra = (assign.T @ extra_terms.T).T  # candidates x outgoing
        profit = gain[:, None] - loss[None, :] + extra
        profit[~state.swaps(open_sites)] = -np.inf
        a, r = np.unravel_index(int(np.argmax(profit)), profit.shape)
        if not profit[a, r] > _EPS * max(1.0, state.value()):
            return
        state.close(int(open_sites[r]))
        state.open(int(a))
        state.refresh()


def lagrangian_bound(
    costs: np.ndarray, weights: np.ndarray, c: Constraints, upper: float, target_gap: float, time_limit: float
) -> tuple[float, np.ndarray]:
    """Lagrangian lower bound (assignment rows relaxed) and, per site, a lower bound on plans containing it.

    ``L(u) = sum_i u_i + sum of the p smallest rho_j`` (fixed sites forced in), ``rho_j = sum_i min(0, w_i c_ij -
    u_i)``; every ``L(u)`` is a lower bound, raised by subgradient ascent.
    """
    deadline = time.perf_counter() + time_limit
    n = costs.shape[0]
    weighted = costs * weights[None, :]
    free = np.ones(n, dtype=bool)
    free[c.fixed] = False
    free[c.excluded] = False
    free_index = np.flatnonzero(free)
    fixed = np.zeros(n, dtype=bool)
    fixed[c.fixed] = True
    k = c.p - int(fixed.sum())
    finite = np.where(np.isfinite(weighted), weighted, np.nan)
    u = np.nan_to_num(np.nanmin(np.where(free[:, None] | fixed[:, None], finite, np.nan), axis=0), nan=0.0)
    best_value, best_u = -np.inf, u.copy()
    theta, stall = 2.0, 0
    target = upper * (1.0 - target_gap)
    while time.perf_counter() < deadline:
        reduced = np.minimum(weighted - u[None, :], 0.0)
        rho = reduced.sum(axis=1)
        top = free_index[np.argpartition(rho[free_index], k - 1)[:k]] if k > 0 else free_index[:0]
        value = float(u.sum() + rho[fixed].sum() + rho[top].sum())
        if value > best_value + 1e-9 * max(1.0, abs(value)):
            best_value, best_u, stall = value, u.copy(), 0
        else:
            stall += 1
            if stall >= 20:
                theta, stall = theta / 2.0, 0
        if best_value >= target or theta < 1e-5:
            break
        open_mask = fixed.copy()
        open_mask[top] = True
        subgradient = 1.0 - (reduced[open_mask] < 0).sum(axis=0)
        norm = float(subgradient @ subgradient)
        if norm == 0.0:
            break
        u = u + theta * max(upper - value, 1e-9 * max(1.0, abs(value))) / norm * subgradient
    return best_value, _site_bounds(weighted, best_u, fixed, free, k)


def _site_bounds(weighted, u, fixed, free, k) -> np.ndarray:
    rho = np.minimum(weighted - u[None, :], 0.0).sum(axis=1)
    base = float(u.sum() + rho[fixed].sum())
    site = np.full(len(rho), np.inf)
    if k <= 0 or not free.any():
        site[fixed] = base
        return site
    values = np.sort(rho[free])
    kth, total = values[k - 1], values[:k].sum()
    site[fixed] = base + total
    site[free] = base + np.where(rho[free] <= kth, total, total - kth + rho[free])
    return site


def exact(
    costs: np.ndarray,
    weights: np.ndarray,
    c: Constraints,
    incumbent: np.ndarray | None,
    upper: float,
    site_bound: np.ndarray,
    time_limit: float,
    target_gap: float,
) -> tuple[np.ndarray, float, float] | None:
    """MILP over the sites the Lagrangian bound cannot rule out; None when that model is still too large.

    Returns (selected, objective, lower bound valid for the whole problem).
    """
    keep = site_bound <= upper + 1e-9 * max(1.0, abs(upper)) if np.isfinite(upper) else np.ones(len(site_bound), bool)
    if incumbent is not None:
        keep[incumbent] = True
    keep[c.fixed] = True
    keep[c.excluded] = False
    survivors = np.flatnonzero(keep)
    eliminated = float(site_bound[~keep].min(initial=np.inf))
    sub = costs[survivors]
    reach = np.isfinite(sub) & (weights[None, :] > 0)
    pairs = int(reach.sum())
    if pairs > MILP_MAX_PAIRS:
        return None
    n, m = len(survivors), costs.shape[1]
    site_of, demand_of = np.nonzero(reach)
    sub_c = restrict(c, survivors)
    rows, low, high = milp.site_rows(sub_c, n)
    # Columns: y (n sites), then x (pairs). Rows: assignment (m), x <= y (pairs), then the site rows.
    assign = sp.csr_array((np.ones(pairs), (demand_of, n + np.arange(pairs))), shape=(m, n + pairs))
    link = sp.csr_array(
        (
            np.r_[np.ones(pairs), -np.ones(pairs)],
            (np.r_[np.arange(pairs), np.arange(pairs)], np.r_[n + np.arange(pairs), site_of]),
        ),
        shape=(pairs, n + pairs),
    )
    site_part = sp.hstack([rows, sp.csr_array((rows.shape[0], pairs))])
    served = weights > 0
    matrix = sp.vstack([assign[served], link, site_part], format="csc")
    y_low, y_high = milp.site_bounds(sub_c, n)
    start = None
    if incumbent is not None and np.isfinite(upper):
        start_y = np.isin(survivors, incumbent).astype(float)
        nearest = np.where(start_y[:, None] > 0, sub, np.inf).argmin(axis=0)
        start = np.r_[start_y, (site_of == nearest[demand_of]).astype(float)]
    values, bound, _ = milp.run(
        cost=np.r_[np.zeros(n), (sub * weights[None, :])[site_of, demand_of]],
        maximise=False,
        matrix=matrix,
        row_low=np.r_[np.ones(int(served.sum())), np.full(pairs, -np.inf), low],
        row_high=np.r_[np.ones(int(served.sum())), np.zeros(pairs), high],
        col_low=np.r_[y_low, np.zeros(pairs)],
        col_high=np.r_[y_high, np.ones(pairs)],
        integer=n,
        start=start,
        time_limit=time_limit,
        target_gap=target_gap,
    )
    selected, objective = (incumbent if incumbent is not None else np.zeros(0, dtype=np.int64)), upper
    if values is not None:
        candidate = survivors[np.flatnonzero(values[:n] > 0.5)]
        value = assignment_cost(costs, weights, candidate)
        if value < objective - 1e-9:
            selected, objective = candidate, value
    return selected, objective, max(min(bound, eliminated, objective), -np.inf)
