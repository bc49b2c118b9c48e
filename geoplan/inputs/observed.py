"""Worker density from what firms observe: stay points, clusters and kernel densities, with privacy cuts.

The pieces :func:`geoplan.planning.observed_layers.build_layer` puts together (all in the area's metric CRS):

- :func:`stay_points`: a worker *stays* where consecutive pings remain within ``radius_m`` of the first of them for
  at least ``min_seconds`` (the stay-point rule of Li et al., 2008, "Mining user similarity based on location
  history"); a gap of more than ``max_gap_s`` between two pings ends a track (phone off, shift over), so a stay
  never bridges one. Delivery riders waiting between orders are exactly such stays.
- :func:`cluster_stays`: stays of many workers at one place (a restaurant row, a mall's back door) are grouped with
  scikit-learn's DBSCAN on projected metres; each group becomes one point, weighted by the time spent there.
- :func:`kernel_density`: where workers move, or where orders are picked up, a Gaussian kernel density
  (scikit-learn's KernelDensity, its bandwidth chosen by cross-validated held-out likelihood) evaluated at
  the area's street samples, so that the demand sits on streets.
- :func:`distinct_per_cell` and :func:`busiest_count`: the privacy cut (a point in a cell where fewer than k
  distinct workers were seen is suppressed) and the default headcount (the most distinct workers seen at once).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.cluster import DBSCAN
from sklearn.model_selection import KFold
from sklearn.neighbors import KernelDensity

__all__ = [
    "BANDWIDTHS_M",
    "Density",
    "Stays",
    "busiest_count",
    "cell_keys",
    "cluster_stays",
    "count_at",
    "distinct_per_cell",
    "kernel_density",
    "stay_points",
    "tracks",
]

#: Bandwidths (m) the cross-validation chooses from: from a street corner to a neighbourhood.
BANDWIDTHS_M = tuple(float(b) for b in np.geomspace(30.0, 1000.0, 9).round())

#: Points used to choose the bandwidth, and to fit the density (a seeded sample when there are more).
CV_POINTS = 2_000
FIT_POINTS = 20_000

#: Stays are pooled on cells of side eps / this before DBSCAN (:func:`cluster_stays`).
_POOL_CELLS = 4

#: Folds of the bandwidth's cross-validation.
CV_FOLDS = 3

#: Relative tolerance of the density's tree sums: choosing the bandwidth, and the density the layer is made of.
_CV_RTOL = 1e-2
_RTOL = 1e-3

_SEED = 20261206


@dataclass(frozen=True)
class Stays:
    """Stay points: where a worker stayed, from when, for how long.

    Attributes
    ----------
    x, y : numpy.ndarray
        Mean position of the stay's pings (m, area CRS).
    worker : numpy.ndarray
        The worker's number.
    start : numpy.ndarray
        Index of the stay's first ping; ``end`` (exclusive) its last plus one.
    end : numpy.ndarray
    dwell_s : numpy.ndarray
        Seconds from the first ping of the stay to the last.
    """

    x: np.ndarray
    y: np.ndarray
    worker: np.ndarray
    start: np.ndarray
    end: np.ndarray
    dwell_s: np.ndarray

    def __len__(self) -> int:
        return len(self.x)


@dataclass(frozen=True)
class Density:
    """A kernel density evaluated at some points.

    Attributes
    ----------
    values : numpy.ndarray
        Density per m² at each point (it integrates to 1 over the plane).
    bandwidth_m : float
        The bandwidth cross-validation chose.
    scores : dict of float to float
        Mean held-out log-likelihood per point of each bandwidth tried.
    """

    values: np.ndarray
    bandwidth_m: float
    scores: dict[float, float]


def tracks(worker: np.ndarray, seconds: np.ndarray, max_gap_s: float) -> np.ndarray:
    """Return the track of each ping (sorted by worker and time): a new track at each new worker or gap > ``max_gap_s``.

    Parameters
    ----------
    worker, seconds : numpy.ndarray
        Per ping, sorted by worker then time.
    max_gap_s : float

    Returns
    -------
    numpy.ndarray
        Track number per ping (int64, non-decreasing).
    """
    if not len(worker):
        return np.zeros(0, dtype=np.int64)
    starts = np.ones(len(worker), dtype=bool)
    starts[1:] = (np.diff(worker) != 0) | (np.diff(seconds) > max_gap_s)
    return np.cumsum(starts) - 1


def stay_points(
    x: np.ndarray,
    y: np.ndarray,
    seconds: np.ndarray,
    track: np.ndarray,
    worker: np.ndarray,
    radius_m: float,
    min_seconds: float,
) -> Stays:
    """Find the stay points of tracks of pings.

    From each ping ``i`` not yet inside a stay, the stay runs to the last ping ``j`` of the same track such that
    pings ``i..j`` all lie within ``radius_m`` of ping ``i``; it counts when ``t[j] - t[i] >= min_seconds``, and
    the search goes on after ``j``; otherwise it goes on from ``i + 1``.

    Parameters
    ----------
    x, y, seconds : numpy.ndarray
        Pings sorted by track, then time.
    track : numpy.ndarray
        Track number per ping (:func:`tracks`).
    worker : numpy.ndarray
        Worker number per ping.
    radius_m, min_seconds : float

    Returns
    -------
    Stays

    Notes
    -----
    Whether ping ``i`` starts a stay needs only the pings up to the first one at least ``min_seconds`` later,
    which is checked for every ping at once with array operations; the exact end of a stay is then searched only
    for the stays the scan actually opens, so the cost grows with the pings, not with their square.
    """
    n = len(x)
    if n == 0:
        return _no_stays()
    track_end = np.searchsorted(track, track, side="right")
    key = track * (int(seconds.max() - seconds.min()) + int(min_seconds) + 2) + (seconds - seconds.min())
    reach = np.searchsorted(key, key + int(np.ceil(min_seconds)), side="left")  # first ping >= t + T
    del key
    alive = np.flatnonzero(reach < track_end)
    radius2 = radius_m * radius_m
    opens = np.zeros(n, dtype=bool)
    step = 1
    while len(alive):  # keep the pings whose followers up to `reach` all stay within the radius
        j = alive + step
        done = j > reach[alive]
        far = ~done & (((x[np.minimum(j, n - 1)] - x[alive]) ** 2 + (y[np.minimum(j, n - 1)] - y[alive]) ** 2)
                       > radius2)  # fmt: skip
        opens[alive[done]] = True
        alive = alive[~done & ~far]
        step += 1
    first, last = [], []
    candidates = np.flatnonzero(opens)
    i = 0
    while True:
        at = np.searchsorted(candidates, i)
        if at == len(candidates):
            break
        i = int(candidates[at])
        end = _stay_end(x, y, i, int(reach[i]) + 1, int(track_end[i]), radius2)
        first.append(i)
        last.append(end)
        i = end
    start = np.asarray(first, dtype=np.int64)
    end = np.asarray(last, dtype=np.int64)
    size = end - start
    return Stays(
        x=_range_sums(x, start, end) / size,
        y=_range_sums(y, start, end) / size,
        worker=worker[start],
        start=start,
        end=end,
        dwell_s=(seconds[end - 1] - seconds[start]).astype(float),
    )


def _range_sums(values: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Return the sums of ``values[start[i]:end[i]]`` (sorted, disjoint, non-empty ranges; ``values`` not copied)."""
    if not len(start):
        return np.zeros(0)
    bounds = np.column_stack([start, end]).ravel()
    if bounds[-1] == len(values):  # the last range runs to the end: reduceat takes that without the index
        bounds = bounds[:-1]
    return np.add.reduceat(values, bounds)[::2]


def _stay_end(x: np.ndarray, y: np.ndarray, i: int, begin: int, stop: int, radius2: float) -> int:
    """First index in ``begin..stop`` whose ping lies farther than the radius from ping ``i`` (``stop`` if none)."""
    width = 64
    while begin < stop:
        upto = min(stop, begin + width)
        far = np.flatnonzero((x[begin:upto] - x[i]) ** 2 + (y[begin:upto] - y[i]) ** 2 > radius2)
        if len(far):
            return begin + int(far[0])
        begin, width = upto, width * 2
    return stop


def _no_stays() -> Stays:
    empty = np.zeros(0)
    index = np.zeros(0, dtype=np.int64)
    return Stays(empty, empty, index.astype(np.int32), index, index, empty)


def cluster_stays(stays: Stays, eps_m: float, min_workers: int = 1) -> np.ndarray:
    """Group stays at one place with DBSCAN; return a cluster number per stay.

    Stays are first pooled on a square grid of side ``eps_m / 4`` (each occupied cell one point at its stays'
    mean position, weighted by their number); DBSCAN then groups the pooled points. A city's tens of thousands of
    stays at a few busy places would otherwise give DBSCAN hundreds of millions of neighbour pairs to hold (5.6 GB
    for 75,000 stays at 8 places); pooled, the pairs are bounded by the cells within ``eps_m`` of each cell.

    Parameters
    ----------
    stays : Stays
    eps_m : float
        Pooled points closer than this (m) are neighbours (DBSCAN's ``eps``).
    min_workers : int
        DBSCAN's ``min_samples`` (counted in stays); stays in no cluster get a number of their own.

    Returns
    -------
    numpy.ndarray
        Cluster number per stay (0..m-1).
    """
    if not len(stays):
        return np.zeros(0, dtype=np.int64)
    keys = cell_keys(stays.x, stays.y, eps_m / _POOL_CELLS)
    cells, cell_of = np.unique(keys, return_inverse=True)
    count = np.bincount(cell_of, minlength=len(cells)).astype(float)
    sums = [np.bincount(cell_of, weights=v, minlength=len(cells)) for v in (stays.x, stays.y)]
    centre = np.column_stack(sums) / count[:, None]
    labels = DBSCAN(eps=eps_m, min_samples=max(1, min_workers)).fit_predict(centre, sample_weight=count)
    alone = labels < 0
    labels[alone] = labels.max() + 1 + np.arange(int(alone.sum()))
    return np.unique(labels, return_inverse=True)[1][cell_of]


def kernel_density(
    xy: np.ndarray, at: np.ndarray, weights: np.ndarray | None = None, bandwidths: tuple[float, ...] = BANDWIDTHS_M
) -> Density:
    """Fit a Gaussian kernel density to points and evaluate it at other points.

    The bandwidth is the one of ``bandwidths`` with the best mean held-out log-likelihood over
    :data:`CV_FOLDS`-fold cross-validation (scikit-learn's KFold, weights honoured) on a seeded sample of at most
    :data:`CV_POINTS` points;
    the density itself is fitted on at most :data:`FIT_POINTS` (a seeded sample, weights kept).

    Parameters
    ----------
    xy : numpy.ndarray
        (n, 2) points in metres; at least 2.
    at : numpy.ndarray
        (m, 2) where to evaluate.
    weights : numpy.ndarray, optional
        Weight per point.
    bandwidths : tuple of float

    Returns
    -------
    Density
    """
    rng = np.random.default_rng(_SEED)
    weights = np.ones(len(xy)) if weights is None else np.asarray(weights, dtype=float)
    centre = xy.mean(axis=0)
    xy, at = xy - centre, at - centre
    sample = rng.choice(len(xy), CV_POINTS, replace=False) if len(xy) > CV_POINTS else np.arange(len(xy))
    scores = _held_out_likelihood(xy[sample], weights[sample], bandwidths)
    bandwidth = max(scores, key=scores.get)
    fit = rng.choice(len(xy), FIT_POINTS, replace=False) if len(xy) > FIT_POINTS else np.arange(len(xy))
    model = KernelDensity(kernel="gaussian", bandwidth=bandwidth, rtol=_RTOL).fit(xy[fit], sample_weight=weights[fit])
    values = np.exp(model.score_samples(at)) if len(at) else np.zeros(0)
    return Density(values, bandwidth, scores)


def _held_out_likelihood(xy: np.ndarray, weights: np.ndarray, bandwidths: tuple[float, ...]) -> dict[float, float]:
    """Weighted mean log-likelihood of held-out points per bandwidth, over :data:`CV_FOLDS` shuffled folds.

    GridSearchCV's scoring would ignore the weights (KernelDensity's ``score`` takes none), so the folds are
    scored here: each fold's density is fitted on the other folds with their weights and scored on its points, each
    counted by its weight.
    """
    folds = KFold(min(CV_FOLDS, len(xy)), shuffle=True, random_state=_SEED)
    total = {float(b): 0.0 for b in bandwidths}
    mass = 0.0
    for train, test in folds.split(xy):
        mass += float(weights[test].sum())
        for b in bandwidths:
            model = KernelDensity(kernel="gaussian", bandwidth=b, rtol=_CV_RTOL)
            model.fit(xy[train], sample_weight=weights[train])
            total[float(b)] += float(np.dot(weights[test], model.score_samples(xy[test])))
    return {b: value / max(mass, 1e-12) for b, value in total.items()}


def cell_keys(x: np.ndarray, y: np.ndarray, cell_m: float) -> np.ndarray:
    """Return the square cell (side ``cell_m``) each point falls in, as one int64 per cell, the same for any set."""
    cx = np.floor(np.asarray(x) / cell_m).astype(np.int64)
    cy = np.floor(np.asarray(y) / cell_m).astype(np.int64)
    return cx * (1 << 32) + (cy + (1 << 31))


def distinct_per_cell(keys: np.ndarray, who: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Count the distinct ``who`` (workers) seen in each cell.

    Parameters
    ----------
    keys : numpy.ndarray
        Cell of each point (:func:`cell_keys`).
    who : numpy.ndarray
        Worker of each point.

    Returns
    -------
    cells : numpy.ndarray
        The cells with a point, sorted.
    counts : numpy.ndarray
        Distinct workers in each.
    """
    if not len(keys):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    order = np.lexsort((who, keys))
    k, w = keys[order], who[order]
    new = np.ones(len(k), dtype=bool)
    new[1:] = (k[1:] != k[:-1]) | (w[1:] != w[:-1])
    cells, counts = np.unique(k[new], return_counts=True)
    return cells, counts


def count_at(keys: np.ndarray, cells: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Return the count of each key's cell (0 for a cell not among ``cells``, which must be sorted)."""
    at = np.searchsorted(cells, keys)
    found = at < len(cells)
    found[found] = cells[at[found]] == keys[found]
    return np.where(found, counts[np.minimum(at, max(len(cells) - 1, 0))] if len(cells) else 0, 0)


def busiest_count(worker: np.ndarray, seconds: np.ndarray, window_s: float = 900.0) -> int:
    """Return the most distinct workers with a ping in one window of ``window_s`` seconds (default headcount)."""
    if not len(worker):
        return 0
    _, counts = distinct_per_cell(np.floor_divide(seconds, int(window_s)), worker)
    return int(counts.max())
