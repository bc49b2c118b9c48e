"""Capacitated maximal covering by time window: choose p sites and a size for each, serve loads up to capacity.

A station within reach serves a worker only while it has room: in each time window a site of size ``s`` takes at
most ``cap_js`` person-minutes per hour, and each demand column's load in that window may be split among the open
sites within reach. :func:`solve_capacitated` maximises the load served, weighted by each window's hours, under the
rules every siting model takes (station count, districts and quotas, spacing, fixed and excluded sites).

Model, after demand columns with the same covering sites are merged (their loads summed per window: exact, since
the model sees a column only through its covering set and its loads)::

    max  sum_t h_t sum_{g,j} x_gjt
    s.t. sum_j x_gjt <= D_gt                                   (load of merged column g in window t)
         sum_g x_gjt <= sum_s cap_js y_js                      (capacity of site j in window t)
         x_gjt <= sum_s min(D_gt, cap_js) y_js                 (strengthening, when affordable)
         x_j := sum_s y_js <= 1                                (one size per site)
         rows of :func:`geoplan.siting.milp.site_rows` on x    (p, districts, quotas, spacing; fixed, excluded)
         y binary, x >= 0 only for pairs within reach

Served loads of a choice are a maximum flow per window (:func:`scipy.sparse.csgraph.maximum_flow` on limits
rounded down to integers, then, as time allows, an exact LP through :func:`scipy.optimize.linprog`), so a load
never exceeds its station's capacity and a served load never exceeds its demand.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog
from scipy.sparse.csgraph import maximum_flow

from geoplan import i18n
from geoplan.siting import milp
from geoplan.siting.covering import solve_mclp
from geoplan.siting.model import (
    OPTIMAL_GAP,
    Constraints,
    Quota,
    constraints_from,
    designate_city_level,
    gap,
    restrict,
    solve_status,
    validate,
    whole_numbers,
)
from geoplan.siting.reduce import demand_groups
from geoplan.siting.rules import SiteRules

__all__ = ["CAPACITATED_MILP_MAX_VARIABLES", "CAPACITATED_STRENGTHEN_MAX", "CapacitatedResult", "solve_capacitated"]

#: Largest number of (merged demand column, site, window) assignment variables for which the MILP is built over
#: every usable site. Above it the MILP runs over a restricted pool of the most promising sites (filled up to this
#: many variables), and the reported bound is the global one of :func:`_global_bound`, so the gap stays honest.
#: Measured with bench/capacitated.py (2 cores, 60 s): 1,000 points x 500 sites (about 10,000 variables) are proven
#: optimal in 8 s; 10,000 x 2,000 (below the threshold) end at a 7.9% gap, HiGHS still near its root.
CAPACITATED_MILP_MAX_VARIABLES = 300_000

#: Up to this many assignment variables, each gets its variable-upper-bound row ``x_gjt <= sum_s min(D_gt, cap_js)
#: y_js``, which tightens the LP relaxation (and the dual bound) at the price of one row per variable.
CAPACITATED_STRENGTHEN_MAX = 120_000

#: Share of the time limit that must be left for the MILP over a site pool to be started: below it HiGHS spends the
#: time building and presolving a model whose bound does not count (the pool's bound is not a global one), and the
#: solve would overrun its limit (measured on Shenzhen: 4.8 s of HiGHS for a 1.9 s limit).
_POOL_MIN_SHARE = 0.3

#: Most flows the final plan's exact LP polish (:func:`_polish`) takes on. Its time limit is not kept by HiGHS's
#: crossover: on Shenzhen's 501,411 flows a 1.5 s limit ran 30 s on a loaded machine, for a gain below 1e-6.
_POLISH_MAX_VARIABLES = 50_000

#: Relative tolerance under which a smaller size is taken to serve as much as a larger one.
_SAME_VALUE = 1e-9


@dataclass(frozen=True)
class CapacitatedResult:
    """The answer of the capacitated covering model.

    Attributes
    ----------
    selected : numpy.ndarray
        Chosen site indices, ascending.
    size : numpy.ndarray
        Index of the size option chosen at each selected site (0 with a one-column capacity).
    capacity : numpy.ndarray
        Capacity of each selected site at its chosen size, person-minutes per hour.
    served : numpy.ndarray
        (m, T) load served per demand column and window, person-minutes per hour; never above ``demand``.
    load : numpy.ndarray
        (len(selected), T) load each selected station takes per window; never above its ``capacity`` times its
        ``open_share`` in the window.
    objective : float
        ``sum_t window_hours[t] * served[:, t].sum()``: served person-minutes over the windows.
    bound : float
        Proven upper bound on the best possible objective.
    gap : float
        ``(bound - objective) / bound``: 0 means proven optimal.
    status : str
        As :class:`~geoplan.siting.model.SitingResult` statuses (:func:`~geoplan.siting.model.solve_status`).
    method : str
        What produced the answer.
    seconds : float
        Wall time spent.
    city_level : numpy.ndarray
        The selected sites designated city-level (fixed ones first, then those serving the most).
    covered : numpy.ndarray
        (m, T) load within reach of a selected site (uncapacitated coverage of the same selection), to report
        served versus covered.
    open_share : numpy.ndarray
        (len(selected), T) share of each window each selected station is open (1 without opening hours).
    """

    selected: np.ndarray
    size: np.ndarray
    capacity: np.ndarray
    served: np.ndarray
    load: np.ndarray
    objective: float
    bound: float
    gap: float
    status: str
    method: str
    seconds: float
    city_level: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    covered: np.ndarray = field(default_factory=lambda: np.zeros((0, 1)))
    open_share: np.ndarray = field(default_factory=lambda: np.zeros((0, 1)))


@dataclass(frozen=True)
class _Merged:
    """The merged problem: sites x groups coverage, loads per group and window, capacities, window hours."""

    coverage: sp.csr_array
    load: np.ndarray
    capacity: np.ndarray
    hours: np.ndarray
    open: np.ndarray

    def window_capacity(self, sites: np.ndarray, sizes: np.ndarray) -> np.ndarray:
        """(len(sites), T) capacity of each site at its size in each window: nominal capacity x open share."""
        return self.capacity[sites, sizes][:, None] * self.open[sites]

    def top_capacity(self) -> np.ndarray:
        """(n_sites, T) capacity of each site at its largest size in each window."""
        return self.capacity.max(axis=1)[:, None] * self.open


@dataclass(frozen=True)
class _Service:
    """Flows of one choice on the merged problem: value, per (site, group, window) amounts."""

    value: float
    site: np.ndarray
    group: np.ndarray
    window: np.ndarray
    amount: np.ndarray


def solve_capacitated(
    coverage: sp.sparray | sp.spmatrix | np.ndarray,
    demand: np.ndarray,
    capacity: np.ndarray,
    p: int,
    *,
    window_hours: np.ndarray | Sequence[float] | None = None,
    open_share: np.ndarray | None = None,
    district: Sequence[object] | np.ndarray | None = None,
    district_min: Mapping[object, int] | int | None = None,
    district_max: Mapping[object, int] | None = None,
    conflicts: np.ndarray | None = None,
    fixed: Sequence[int] = (),
    excluded: Sequence[int] = (),
    city_level_min: int = 0,
    city_level_fixed: Sequence[int] = (),
    quotas: Sequence[Quota] = (),
    time_limit: float = 10.0,
    target_gap: float = 0.0,
) -> CapacitatedResult:
    """Choose ``p`` sites and a size for each, maximising the load served within capacity over the time windows.

    Parameters
    ----------
    coverage : sparse matrix or array
        (n_sites, m), nonzero where site ``j`` can serve demand column ``i`` (within reach).
    demand : numpy.ndarray
        (m, T) load of each demand column in each time window, person-minutes per hour (visits per hour times
        visit minutes), ``>= 0``; a 1-d array is one window.
    capacity : numpy.ndarray
        (n_sites,) or (n_sites, S) person-minutes per hour a site takes at each size option (people at once x 60);
        0 or NaN: that option is not offered there. A site with no option offered is never chosen.
    p : int
        Number of stations, fixed ones included.
    window_hours : array-like, optional
        (T,) hours each window lasts (> 0), the objective's weight per window; default 1 each.
    open_share : numpy.ndarray, optional
        (n_sites, T) share of each window a site is open, in [0, 1] (opening hours): its capacity in the window is
        its capacity times that share, and a site closed in a window (0) serves nothing then. Default: open
        throughout.
    district, district_min, district_max, conflicts, fixed, excluded, city_level_min, city_level_fixed, quotas
        The rules, exactly as :func:`geoplan.siting.solve_mclp` takes them.
    time_limit : float
        Seconds for the whole solve.
    target_gap : float
        Relative gap at which the MILP may stop early; 0 stops only at a proven optimum or at the time limit.

    Returns
    -------
    CapacitatedResult
        The selection, sizes, served loads and station loads, with a certified bound. Sizes: of the sizes that
        serve the same load, the smallest is chosen (a larger one wins only when it serves more).

    Raises
    ------
    InputError
        Shapes, negative or non-finite values, ``p`` above the number of sites, a gap outside [0, 1).
    InfeasibleError
        No choice meets the rules (proven).
    SolverError
        Within the time limit no plan was found and none was proven impossible.
    """
    started = time.perf_counter()
    matrix = _binary(coverage)
    d = _check_demand(demand, matrix.shape)
    cap = _check_capacity(capacity, matrix.shape[0])
    hours = _check_hours(window_hours, d.shape[1])
    opened = _check_open(open_share, matrix.shape[0], d.shape[1])
    _check_p_gap(p, matrix.shape[0], target_gap)
    constraints = validate(
        matrix.shape[0],
        constraints_from(p, district, district_min, district_max, conflicts, fixed, excluded, city_level_min,
                         city_level_fixed, quotas),
    )  # fmt: skip
    offered = cap.max(axis=1) > 0
    if not offered[constraints.fixed].all():
        missing = constraints.fixed[~offered[constraints.fixed]]
        raise i18n.input_error("capacitated_fixed_without_capacity", sites=str(missing.tolist()[:5]))
    if not offered.all():
        excluded_all = np.union1d(constraints.excluded, np.flatnonzero(~offered))
        constraints = validate(matrix.shape[0], dataclasses.replace(constraints, excluded=excluded_all))
    stop_gap = max(float(target_gap), OPTIMAL_GAP)
    budget = max(float(time_limit), 0.05)
    deadline = started + 0.9 * budget
    usable = np.ones(matrix.shape[0], dtype=bool)
    usable[constraints.excluded] = False

    weighted = d @ hours
    _, _, column_of = demand_groups(matrix, np.where(d.sum(axis=1) > 0, weighted + 1.0, 0.0), usable)
    problem = _merge(matrix, d, column_of, cap, hours, opened)
    variables = _variable_count(problem, np.flatnonzero(usable))
    large = variables > CAPACITATED_MILP_MAX_VARIABLES

    candidates, mclp_bound = _starts(problem, constraints, large, budget)
    selected, sizes, service = max((_best_sizes(problem, sites) for sites in candidates), key=lambda x: x[2].value)
    method = "MCLP+flow" if np.array_equal(selected, candidates[0]) else "greedy+flow"

    bound = _global_bound(problem, constraints, mclp_bound if large else np.inf)
    left = deadline - time.perf_counter()
    if large and left < _POOL_MIN_SHARE * budget:
        # The pool's MILP cannot move the (global) bound and would overrun the time limit before it starts.
        method += ", no time left for HiGHS over a pool"
    elif gap(service.value, bound) > stop_gap:
        pool = _pool(problem, constraints, usable, candidates) if large else np.flatnonzero(usable)
        found, milp_bound, sizes_found = _solve_milp(problem, constraints, pool, selected, sizes, service,
                                                     max(deadline - time.perf_counter(), 0.05), stop_gap)  # fmt: skip
        if found is not None:
            new_service = _serve(problem, found, sizes_found)
            if new_service.value > service.value + 1e-9 * max(1.0, service.value):
                selected, sizes, service = found, sizes_found, new_service
        method += ", HiGHS over " + ("a pool of " + f"{len(pool)} sites" if large else "all sites")
        if not large:
            bound = min(bound, milp_bound)
    sizes, service = _smallest_sizes(problem, selected, sizes, service, deadline)
    service = _polish(problem, selected, sizes, service, started + budget - time.perf_counter())
    if (whole_numbers(problem.load) and whole_numbers(hours) and whole_numbers(np.nan_to_num(problem.capacity))
            and whole_numbers(problem.open)):  # fmt: skip
        # Integral loads and capacities: the transportation LP has an integral optimum, so the bound rounds down.
        bound = np.floor(bound + 1e-9 * max(1.0, abs(bound)))
    bound = max(bound, service.value)
    return _result(matrix, d, column_of, problem, constraints, selected, sizes, service, bound, target_gap, method,
                   started)  # fmt: skip


def _result(matrix, d, column_of, problem, constraints, selected, sizes, service, bound, target_gap, method,
            started) -> CapacitatedResult:  # fmt: skip
    """Split the merged flows back onto the demand columns and build the result."""
    m, windows = d.shape
    order = np.argsort(selected)
    selected, sizes = selected[order], sizes[order]
    merged_served = np.zeros_like(problem.load)
    np.add.at(merged_served, (service.group, service.window), service.amount)
    position = np.searchsorted(selected, service.site)
    load = np.zeros((len(selected), windows))
    np.add.at(load, (position, service.window), service.amount)
    served = np.zeros((m, windows))
    kept = column_of >= 0
    group_load = problem.load[column_of[kept]]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(group_load > 0, d[kept] / group_load, 0.0)
    served[kept] = np.minimum(merged_served[column_of[kept]] * share, d[kept])
    hit = np.zeros(matrix.shape[0])
    hit[selected] = 1.0
    covered = np.where((matrix.T @ hit)[:, None] > 0, d, 0.0)
    objective = float(problem.hours @ served.sum(axis=0))
    bound = max(float(bound), objective)
    relative = gap(objective, bound)
    relative = 0.0 if relative <= OPTIMAL_GAP else relative  # the split back onto columns adds float noise only
    station_value = np.zeros(matrix.shape[0])
    station_value[selected] = load @ problem.hours
    return CapacitatedResult(
        selected=selected,
        size=sizes.astype(np.int64),
        capacity=problem.capacity[selected, sizes] if len(selected) else np.zeros(0),
        open_share=problem.open[selected],
        served=served,
        load=load,
        objective=objective,
        bound=bound,
        gap=relative,
        status=solve_status(relative, target_gap),
        method=method,
        seconds=time.perf_counter() - started,
        city_level=designate_city_level(selected, station_value, constraints),
        covered=covered,
    )


# -- input checks ------------------------------------------------------------------------------------------------


def _binary(coverage: sp.sparray | sp.spmatrix | np.ndarray) -> sp.csr_array:
    matrix = sp.csr_array(coverage, dtype=float, copy=True)
    if matrix.ndim != 2:
        raise i18n.input_error("capacitated_coverage_shape", shape=str(np.shape(coverage)))
    matrix.data = (matrix.data != 0).astype(float)
    matrix.eliminate_zeros()
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


def _check_demand(demand: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    d = np.asarray(demand, dtype=float)
    if d.ndim == 1:
        d = d[:, None]
    if d.ndim != 2 or d.shape[0] != shape[1] or d.shape[1] < 1:
        raise i18n.input_error("capacitated_demand_shape", shape=str(np.shape(demand)), columns=shape[1])
    if d.size and (not np.all(np.isfinite(d)) or d.min() < 0):
        raise i18n.input_error("capacitated_demand_negative")
    return d


def _check_capacity(capacity: np.ndarray, n: int) -> np.ndarray:
    """Capacities as an (n, S) float array with 0 for the options not offered (NaN given)."""
    cap = np.asarray(capacity, dtype=float)
    if cap.ndim == 1:
        cap = cap[:, None]
    if cap.ndim != 2 or cap.shape[0] != n or cap.shape[1] < 1:
        raise i18n.input_error("capacitated_capacity_shape", shape=str(np.shape(capacity)), sites=n)
    cap = np.where(np.isnan(cap), 0.0, cap)
    if cap.size and (not np.all(np.isfinite(cap)) or cap.min() < 0):
        raise i18n.input_error("capacitated_capacity_negative")
    return cap


def _check_p_gap(p: int, n: int, target_gap: float) -> None:
    if not 0 <= target_gap < 1:
        raise i18n.input_error("target_gap_range", value=target_gap)
    if int(p) > n:
        raise i18n.input_error("capacitated_p_above_sites", p=int(p), sites=n)


def _check_open(open_share: np.ndarray | None, n: int, windows: int) -> np.ndarray:
    """Open shares as an (n, T) float array in [0, 1]; all ones when not given."""
    if open_share is None:
        return np.ones((n, windows))
    share = np.asarray(open_share, dtype=float)
    if share.ndim == 1 and windows == 1:
        share = share[:, None]
    if (
        share.shape != (n, windows)
        or not np.all(np.isfinite(share))
        or (share.size and (share.min() < 0 or share.max() > 1))
    ):
        raise i18n.input_error("capacitated_open_share", shape=str(np.shape(open_share)), sites=n, windows=windows)
    return share


def _check_hours(window_hours: np.ndarray | Sequence[float] | None, windows: int) -> np.ndarray:
    if window_hours is None:
        return np.ones(windows)
    hours = np.asarray(window_hours, dtype=float).ravel()
    if len(hours) != windows or not np.all(np.isfinite(hours)) or hours.min() <= 0:
        raise i18n.input_error("capacitated_window_hours", windows=windows, given=len(hours))
    return hours


def _rules(c: Constraints) -> dict:
    """Return the solver keywords of validated constraints (to call :func:`solve_mclp` with the same rules)."""
    return {"district": c.district, "district_min": c.district_min, "district_max": c.district_max,
            "conflicts": c.conflicts, "fixed": c.fixed, "excluded": c.excluded, "city_level_min": 0,
            "city_level_fixed": (), "quotas": c.quotas}  # fmt: skip


# -- merged problem ----------------------------------------------------------------------------------------------


def _merge(matrix: sp.csr_array, d: np.ndarray, column_of: np.ndarray, cap: np.ndarray, hours: np.ndarray,
           opened: np.ndarray) -> _Merged:  # fmt: skip
    """Sum the loads of demand columns with the same covering sites (per window); keep one column per group."""
    groups = int(column_of.max(initial=-1)) + 1
    kept = np.flatnonzero(column_of >= 0)
    load = np.zeros((groups, d.shape[1]))
    np.add.at(load, column_of[kept], d[kept])
    representative = np.zeros(groups, dtype=np.int64)
    representative[column_of[kept]] = kept
    columns = sp.csr_array(matrix[:, representative]) if groups else sp.csr_array((matrix.shape[0], 0))
    columns.sort_indices()
    return _Merged(columns, load, cap, hours, opened)


def _pairs(problem: _Merged, sites: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(site, group) of every covered pair among ``sites`` (ascending), site-major."""
    sub = problem.coverage[sites]
    counts = np.diff(sub.indptr)
    return np.repeat(sites, counts), sub.indices.astype(np.int64)


def _variable_count(problem: _Merged, sites: np.ndarray) -> int:
    return int(_variables_per_site(problem)[sites].sum())


def _variables_per_site(problem: _Merged) -> np.ndarray:
    """Count each site's assignment variables: covered groups with load in a window the site is open in."""
    loaded = problem.coverage @ (problem.load > 0).astype(float)  # (n, T) loaded groups within reach per window
    return np.rint((loaded * (problem.open > 0)).sum(axis=1)).astype(np.int64)


def _pair_windows(problem: _Merged, sites: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(site, group, window) of every assignment variable among ``sites`` (covered, loaded, open in the window)."""
    site, group = _pairs(problem, sites)
    positive = (problem.load[group] > 0) & (problem.open[site] > 0)
    pair, window = np.nonzero(positive)
    return site[pair], group[pair], window


# -- served load of a choice -------------------------------------------------------------------------------------


def _serve(problem: _Merged, sites: np.ndarray, sizes: np.ndarray) -> _Service:
    """Compute the most load a choice of sites and sizes serves, and the flows that serve it: a maximum flow per window.

    Within a window every served person-minute is worth the same (the window's hours), and windows share no limit,
    so the most load served is, window by window, a maximum flow from the demand columns (each up to its load) to
    the open stations within reach (each up to its capacity in the window). :func:`_window_flow` computes it with
    integer capacities (scaled by a power of two, rounded down): flows never exceed a limit, are exact for whole
    loads and capacities, and otherwise fall short of the optimum by less than one scaled unit per limit that binds
    (below 1e-6 of the window's load). :func:`_polish` recovers that remainder with an exact LP when time allows.
    """
    sites = np.asarray(sites, dtype=np.int64)
    order = np.argsort(sites)
    sites, sizes = sites[order], np.asarray(sizes, dtype=np.int64)[order]
    site, group, window = _pair_windows(problem, sites)
    amount = np.zeros(len(site))
    if len(site) == 0:
        return _Service(0.0, site, group, window, amount)
    cap = problem.window_capacity(sites, sizes)
    position = np.searchsorted(sites, site)
    for t in np.unique(window):
        here = np.flatnonzero(window == t)
        amount[here] = _window_flow(group[here], position[here], problem.load[:, t], cap[:, t])
    return _Service(float(problem.hours[window] @ amount), site, group, window, amount)


def _window_flow(group: np.ndarray, station: np.ndarray, load: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Maximum flow of one window: amount on each (group, station) arc, groups up to ``load``, stations to ``cap``.

    Limits are scaled by the largest power of two that keeps the total load within int32 (what
    :func:`scipy.sparse.csgraph.maximum_flow` takes) and rounded down, so the flows returned never exceed a limit.
    """
    groups, g_index = np.unique(group, return_inverse=True)
    stations, s_index = np.unique(station, return_inverse=True)
    g_load = load[groups]
    # A station never takes more than the load within its reach: capping it there changes no flow, and keeps the
    # scale (and so the resolution) set by the load alone, however roomy the stations.
    s_cap = np.minimum(cap[stations], np.bincount(s_index, weights=g_load[g_index], minlength=len(stations)))
    total = max(float(g_load.sum()), 1e-300)
    scale = 2.0 ** np.floor(np.log2((2**31 - 2) / (total * (1 + 1e-9))))
    scale = min(scale, 2.0**40)
    n_g, n_s = len(groups), len(stations)
    source, sink = 0, n_g + n_s + 1
    arc = np.arange(len(group))
    tails = np.r_[np.zeros(n_g, dtype=np.int64), 1 + g_index, 1 + n_g + np.arange(n_s)]
    heads = np.r_[1 + np.arange(n_g), 1 + n_g + s_index, np.full(n_s, sink)]
    limit = np.floor(np.r_[g_load * scale, g_load[g_index] * scale, s_cap * scale]).astype(np.int32)
    graph = sp.csr_array((limit, (tails, heads)), shape=(sink + 1, sink + 1))
    graph.sum_duplicates()
    flow = maximum_flow(graph, source, sink).flow
    flow = sp.csr_array(flow)
    values = np.asarray(flow[1 + g_index[arc], 1 + n_g + s_index[arc]]).ravel()
    return np.maximum(values, 0).astype(float) / scale


def _polish(problem: _Merged, sites: np.ndarray, sizes: np.ndarray, service: _Service, seconds: float) -> _Service:
    """Serve the same choice by an exact LP (HiGHS's interior point with crossover) if it ends within ``seconds``.

    The LP recovers what the integer rounding of :func:`_window_flow` left out (below 1e-6 of the load); its flows
    are scaled down where its tolerance left a station or a demand column a hair over its limit. Returns the better
    of the two. Skipped above :data:`_POLISH_MAX_VARIABLES` flows: HiGHS's crossover does not look at the clock.
    """
    site, group, window = service.site, service.group, service.window
    k = len(site)
    if k == 0 or k > _POLISH_MAX_VARIABLES or seconds <= 0:
        return service
    windows = problem.load.shape[1]
    order = np.argsort(sites)
    sites, sizes = np.asarray(sites)[order], np.asarray(sizes)[order]
    position = np.searchsorted(sites, site)
    demand_row, demand_key = _row_index(group * windows + window)
    cap_row, cap_key = _row_index(position * windows + window)
    a = sp.vstack(
        [
            sp.csr_array((np.ones(k), (demand_row, np.arange(k))), shape=(len(demand_key), k)),
            sp.csr_array((np.ones(k), (cap_row, np.arange(k))), shape=(len(cap_key), k)),
        ],
        format="csr",
    )
    cap = problem.window_capacity(sites, sizes).ravel()
    rhs = np.r_[problem.load.ravel()[demand_key], cap[cap_key]]
    answer = linprog(-problem.hours[window], A_ub=a, b_ub=rhs, bounds=(0, None), method="highs-ipm",
                     options={"time_limit": float(seconds)})  # fmt: skip
    if answer.status != 0 or answer.x is None:
        return service
    amount = np.maximum(np.asarray(answer.x), 0.0)
    for row, key, limit in ((demand_row, demand_key, rhs[: len(demand_key)]),
                            (cap_row, cap_key, rhs[len(demand_key):])):  # fmt: skip
        total = np.bincount(row, weights=amount, minlength=len(key))
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(total > limit, limit / total, 1.0)
        amount = amount * scale[row]
    value = float(problem.hours[window] @ amount)
    if value <= service.value:
        return service
    return _Service(value, site, group, window, amount)


def _row_index(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    unique, inverse = np.unique(keys, return_inverse=True)
    return inverse.ravel(), unique


def _best_sizes(problem: _Merged, sites: np.ndarray) -> tuple[np.ndarray, np.ndarray, _Service]:
    """Each site at its largest offered size (served load never falls with capacity), and what it serves."""
    sites = np.sort(np.asarray(sites, dtype=np.int64))
    sizes = np.argmax(problem.capacity[sites], axis=1) if len(sites) else np.zeros(0, dtype=np.int64)
    return sites, sizes, _serve(problem, sites, sizes)


def _smallest_sizes(problem: _Merged, sites: np.ndarray, sizes: np.ndarray, service: _Service,
                    deadline: float) -> tuple[np.ndarray, _Service]:  # fmt: skip
    """Shrink each site to the smallest offered size that serves as much (ties go to the smaller size).

    A size that holds the site's current loads in every window is taken at once; otherwise an exact LP decides,
    as long as time is left.
    """
    sizes = np.asarray(sizes, dtype=np.int64).copy()
    for index, j in enumerate(sites):
        current = problem.capacity[j, sizes[index]]
        smaller = [s for s in np.argsort(problem.capacity[j], kind="stable")
                   if 0 < problem.capacity[j, s] < current]  # fmt: skip
        if not smaller:
            continue
        taken = np.bincount(service.window[service.site == j], weights=service.amount[service.site == j],
                            minlength=problem.load.shape[1])  # fmt: skip
        for s in smaller:
            if np.all(taken <= problem.capacity[j, s] * problem.open[j]):
                sizes[index] = s
                break
            if time.perf_counter() > deadline:
                break
            trial = sizes.copy()
            trial[index] = s
            attempt = _serve(problem, sites, trial)
            if attempt.value >= service.value - _SAME_VALUE * max(1.0, service.value):
                sizes, service = trial, attempt
                break
    return sizes, service


# -- heuristic, pool and bound -----------------------------------------------------------------------------------


def _greedy(problem: _Merged, constraints: Constraints) -> np.ndarray | None:
    """Greedy on marginal served load: open the site whose largest size serves the most residual load, repeat.

    Residual loads of the demand a site reaches are reduced in proportion to what it takes, and the residual load
    within reach of every site is updated only where it changed (the sites sharing demand with the one taken).
    Rules are kept with :class:`~geoplan.siting.rules.SiteRules`; returns None when greedy paints itself into a
    corner.
    """
    n = problem.coverage.shape[0]
    rules = SiteRules(n, constraints)
    residual = problem.load.copy()
    top = problem.top_capacity()
    by_group = problem.coverage.tocsc()
    within = problem.coverage @ residual  # (n, T) residual load within reach of each site
    chosen: list[int] = []

    def take(j: int) -> None:
        reach = problem.coverage.indices[problem.coverage.indptr[j] : problem.coverage.indptr[j + 1]]
        total = residual[reach].sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            keep = np.where(total > 0, 1.0 - np.minimum(top[j], total) / total, 1.0)
        taken = residual[reach] * (1.0 - keep)
        residual[reach] -= taken
        within[:] -= by_group[:, reach] @ taken
        rules.open(j)
        chosen.append(j)

    for j in constraints.fixed:
        take(int(j))
    while len(chosen) < constraints.p:
        allowed = rules.allowed(constraints.p - len(chosen))
        if not allowed.any():
            return None
        gain = (np.minimum(np.maximum(within, 0.0), top) @ problem.hours).astype(float)
        gain[~allowed] = -1.0
        take(int(np.argmax(gain)))
    return np.sort(np.asarray(chosen, dtype=np.int64))


def _starts(problem: _Merged, constraints: Constraints, large: bool,
            budget: float) -> tuple[list[np.ndarray], float]:  # fmt: skip
    """Return the starting plans (the uncapacitated MCLP's first, then greedy's) and the MCLP's bound."""
    greedy = _greedy(problem, constraints)
    mclp = solve_mclp(problem.coverage, problem.load @ problem.hours, constraints.p, **_rules(constraints),
                      time_limit=(0.3 if large else 0.1) * budget, exact=large)  # fmt: skip
    candidates = [np.sort(mclp.selected)] + ([greedy] if greedy is not None else [])
    return candidates, float(mclp.bound)


def _global_bound(problem: _Merged, constraints: Constraints, covered_bound: float) -> float:
    """Bound every plan: served load is at most covered load, and per window at most what p sites can each take.

    ``covered_bound`` is an upper bound on the hour-weighted load within reach of p sites (the uncapacitated
    covering bound). Per window, a station serves at most its capacity and at most the load within its reach, so
    the served load is at most the p largest of ``min(capacity, load within reach)`` summed (each window choosing
    its own p sites: a relaxation), and at most the load within reach of any usable site.
    """
    usable = np.ones(problem.coverage.shape[0], dtype=bool)
    usable[constraints.excluded] = False
    alone = np.minimum(problem.top_capacity(), problem.coverage @ problem.load)[usable]
    top = -np.sort(-alone, axis=0)[: constraints.p].sum(axis=0)
    reachable = problem.load.sum(axis=0)  # merged groups are reachable from a usable site by construction
    return float(min(covered_bound, problem.hours @ np.minimum(reachable, top)))


def _pool(problem: _Merged, constraints: Constraints, usable: np.ndarray, starts: list[np.ndarray]) -> np.ndarray:
    """Choose the most promising sites, as many as :data:`CAPACITATED_MILP_MAX_VARIABLES` allows.

    Always holds the starting plans (so the pool's MILP is feasible) and the fixed sites; then sites by their
    stand-alone served load, with each quota label's minimum covered several times over.
    """
    alone = np.minimum(problem.coverage @ problem.load, problem.top_capacity()) @ problem.hours
    alone[~usable] = -np.inf
    order = np.argsort(-alone, kind="stable")
    order = order[np.isfinite(alone[order])]
    must = [constraints.fixed, *starts]
    for quota in constraints.all_quotas():
        labels = np.asarray(quota.labels, dtype=object)
        for label, low in quota.minimum.items():
            members = order[labels[order] == label]
            must.append(members[: 5 * max(int(low), 1)])
    pool = np.unique(np.concatenate([np.asarray(x, dtype=np.int64) for x in must]))
    variables = _variables_per_site(problem)
    room = CAPACITATED_MILP_MAX_VARIABLES - int(variables[pool].sum())
    rest = order[~np.isin(order, pool)]
    fits = rest[np.cumsum(variables[rest]) <= room]
    return np.union1d(pool, fits)


# -- the MILP ----------------------------------------------------------------------------------------------------


def _solve_milp(problem: _Merged, constraints: Constraints, pool: np.ndarray, start: np.ndarray,
                start_sizes: np.ndarray, service: _Service, time_limit: float,
                stop_gap: float) -> tuple[np.ndarray | None, float, np.ndarray]:  # fmt: skip
    """Solve the capacitated MILP over the sites of ``pool`` (ascending), warm-started from a plan in it.

    Returns the sites and sizes found (or None) and HiGHS's dual bound (a bound over the pool only).
    """
    local = restrict(constraints, pool)
    n_pool = len(pool)
    windows = problem.load.shape[1]
    option_site, option_size = np.nonzero(problem.capacity[pool] > 0)
    option_cap = problem.capacity[pool][option_site, option_size]
    k = len(option_site)
    to_site = sp.csr_array((np.ones(k), (option_site, np.arange(k))), shape=(n_pool, k))
    site, group, window = _pair_windows(problem, pool)
    local_site = np.searchsorted(pool, site)
    v = len(site)
    demand_row, demand_key = _row_index(group * windows + window)
    cap_row, cap_key = _row_index(local_site * windows + window)
    inf = np.inf
    site_matrix, site_low, site_high = milp.site_rows(local, n_pool)
    x_low, x_high = milp.site_bounds(local, n_pool)
    blocks = [
        [site_matrix @ to_site, sp.csr_array((site_matrix.shape[0], v))],
        [to_site, sp.csr_array((n_pool, v))],
        [sp.csr_array((len(demand_key), k)), sp.csr_array((np.ones(v), (demand_row, np.arange(v))),
                                                           shape=(len(demand_key), v))],
    ]  # fmt: skip
    # Capacity rows: sum_g x_gjt - sum_s cap_js y_js <= 0, one per (site, window) with a variable.
    cap_site = cap_key // windows
    option_of_site = to_site.tocsr()
    starts, ends = option_of_site.indptr[cap_site], option_of_site.indptr[cap_site + 1]
    lengths = ends - starts
    option_entry = option_of_site.indices[np.repeat(starts, lengths) + _ranges(lengths)]
    blocks.append([
        sp.csr_array((-option_cap[option_entry] * np.repeat(problem.open[pool[cap_site], cap_key % windows], lengths),
                      (np.repeat(np.arange(len(cap_key)), lengths), option_entry)),
                     shape=(len(cap_key), k)),
        sp.csr_array((np.ones(v), (cap_row, np.arange(v))), shape=(len(cap_key), v)),
    ])  # fmt: skip
    row_low = [site_low, x_low, np.full(len(demand_key), -inf), np.full(len(cap_key), -inf)]
    row_high = [site_high, x_high, problem.load.ravel()[demand_key], np.zeros(len(cap_key))]
    if v <= CAPACITATED_STRENGTHEN_MAX:
        starts, ends = option_of_site.indptr[local_site], option_of_site.indptr[local_site + 1]
        lengths = ends - starts
        entry = option_of_site.indices[np.repeat(starts, lengths) + _ranges(lengths)]
        owner = np.repeat(np.arange(v), lengths)
        coefficient = np.minimum(
            problem.load[group[owner], window[owner]], option_cap[entry] * problem.open[site[owner], window[owner]]
        )
        blocks.append([sp.csr_array((-coefficient, (owner, entry)), shape=(v, k)), sp.identity(v, format="csr")])
        row_low.append(np.full(v, -inf))
        row_high.append(np.zeros(v))
    matrix = sp.vstack([sp.hstack(block) for block in blocks], format="csc")
    start_values = np.zeros(k + v)
    start_local = np.searchsorted(pool, start)
    option_index = {(int(a), int(b)): i for i, (a, b) in enumerate(zip(option_site, option_size, strict=True))}
    for j, s in zip(start_local, start_sizes, strict=True):
        start_values[option_index[(int(j), int(s))]] = 1.0
    key = (local_site * problem.load.shape[0] + group) * windows + window
    flow_key = (np.searchsorted(pool, service.site) * problem.load.shape[0] + service.group) * windows + service.window
    where = np.searchsorted(key, flow_key)  # key is sorted: site-major pairs, groups ascending, then windows
    start_values[k + where] = service.amount
    values, bound, _ = milp.run(
        cost=np.r_[np.zeros(k), problem.hours[window]],
        maximise=True,
        matrix=matrix,
        row_low=np.concatenate(row_low),
        row_high=np.concatenate(row_high),
        col_low=np.zeros(k + v),
        col_high=np.r_[np.ones(k), np.full(v, inf)],
        integer=k,
        start=start_values,
        time_limit=time_limit,
        target_gap=stop_gap,
    )
    if values is None:
        return None, bound, np.zeros(0, dtype=np.int64)
    chosen = np.flatnonzero(values[:k] > 0.5)
    return pool[option_site[chosen]], bound, option_size[chosen]


def _ranges(lengths: np.ndarray) -> np.ndarray:
    """0..l-1 for each length, concatenated."""
    return np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
