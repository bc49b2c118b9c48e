"""Distances along the street network: snapping points onto streets and bounded, sparse coverage.

A point (candidate site, worker, phone location) is snapped to the nearest spot on a street segment of the
network's largest connected component: it keeps the segment, its distance along it and its lateral offset from
it. The distance between two snapped points is

    lateral_a + min over the segment ends (offset to the end + junction-to-junction distance + offset) + lateral_b

or, on the same segment, the distance along it. Junction-to-junction distances come from bounded Dijkstra
searches (:func:`scipy.sparse.csgraph.dijkstra` with ``limit``) on the junction graph only, in batches, kept as a
sparse matrix; the pairs are then formed by sparse joins. No dense demand x candidate matrix is ever formed, and
the searches run on the street graph's junctions, not on one node per point.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse import csgraph

from geoplan import i18n
from geoplan._progress import track
from geoplan.data.geometry import one_per_segment
from geoplan.errors import AreaError

#: Smallest distance stored in a coverage matrix (m), so that a covered pair is never an implicit zero.
MIN_DISTANCE_M = 1e-3

#: Junctions per bounded Dijkstra batch: bounds the dense scratch array to batch x junctions.
BATCH_SOURCES = 512

#: Source points per join batch: bounds the rows of the sparse joins.
BATCH_POINTS = 2048


@dataclass(frozen=True)
class StreetGraph:
    """The routable street graph of an area (largest connected component, direction ignored).

    Attributes
    ----------
    graph : scipy.sparse.csr_array
        Symmetric junction adjacency, weights in metres.
    node_ids : numpy.ndarray
        OSM id of each junction.
    node_xy : numpy.ndarray
        (n, 2) junction coordinates in the area's CRS.
    u, v : numpy.ndarray
        Junction indices at the start and end of each segment.
    length_m : numpy.ndarray
        Length of each segment along the network.
    lines : numpy.ndarray
        Segment geometries in the area's CRS.
    """

    graph: sp.csr_array
    node_ids: np.ndarray
    node_xy: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length_m: np.ndarray
    lines: np.ndarray

    @property
    def size(self) -> int:
        """Number of junctions."""
        return len(self.node_ids)

    @functools.cached_property
    def tree(self) -> shapely.STRtree:
        """Spatial index of the segments (built once; snapping uses it)."""
        return shapely.STRtree(self.lines)


@dataclass(frozen=True)
class Snapped:
    """Where a set of points sits on the street graph.

    Attributes
    ----------
    edge : numpy.ndarray
        Segment index of each point.
    along_m : numpy.ndarray
        Distance along the segment from its ``u`` end, in network metres.
    lateral_m : numpy.ndarray
        Straight distance from the point to its spot on the street, in metres.
    xy : numpy.ndarray
        (k, 2) coordinates of the spot on the street.
    """

    edge: np.ndarray
    along_m: np.ndarray
    lateral_m: np.ndarray
    xy: np.ndarray

    def __len__(self) -> int:
        return len(self.edge)


def street_graph(edges: gpd.GeoDataFrame) -> StreetGraph:
    """Build the routable graph from street edges in a metric CRS.

    Parameters
    ----------
    edges : geopandas.GeoDataFrame
        ``u``, ``v``, ``length`` (m) and line geometry; both directions of a two-way street may be present.

    Returns
    -------
    StreetGraph
    """
    edges = _largest_component(one_per_segment(edges))
    node_ids = pd.Index(pd.unique(np.concatenate([edges["u"].to_numpy(), edges["v"].to_numpy()])))
    u = node_ids.get_indexer(edges["u"])
    v = node_ids.get_indexer(edges["v"])
    lines = edges.geometry.to_numpy()
    length = edges["length"].to_numpy(dtype=float)
    length = np.where(np.isfinite(length) & (length > 0), length, shapely.length(lines))
    node_xy = np.zeros((len(node_ids), 2))
    node_xy[u] = shapely.get_coordinates(shapely.get_point(lines, 0))
    node_xy[v] = shapely.get_coordinates(shapely.get_point(lines, -1))
    return StreetGraph(
        graph=_symmetric(u, v, length, len(node_ids)),
        node_ids=node_ids.to_numpy(),
        node_xy=node_xy,
        u=u,
        v=v,
        length_m=length,
        lines=lines,
    )


def snap(graph: StreetGraph, xy: np.ndarray) -> Snapped:
    """Snap points to the nearest street segment.

    Parameters
    ----------
    graph : StreetGraph
    xy : numpy.ndarray
        (k, 2) coordinates in the graph's CRS.

    Returns
    -------
    Snapped
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    points = shapely.points(xy)
    if len(points) == 0:
        empty = np.zeros(0)
        return Snapped(np.zeros(0, dtype=np.int64), empty, empty, np.zeros((0, 2)))
    point_index, edge_index = graph.tree.query_nearest(points, all_matches=False)
    edge = np.empty(len(points), dtype=np.int64)
    edge[point_index] = edge_index
    lines = graph.lines[edge]
    geometric = shapely.length(lines)
    along = shapely.line_locate_point(lines, points)
    spot = shapely.line_interpolate_point(lines, along)
    frac = np.divide(along, geometric, out=np.zeros_like(along), where=geometric > 0)
    return Snapped(
        edge=edge,
        along_m=frac * graph.length_m[edge],
        lateral_m=shapely.distance(points, spot),
        xy=shapely.get_coordinates(spot),
    )


def coverage(graph: StreetGraph, sources: Snapped, targets: Snapped, cutoff_m: np.ndarray | float) -> sp.csr_array:
    """Network distances from every source to every target within the target's cutoff.

    Parameters
    ----------
    graph : StreetGraph
    sources, targets : Snapped
        Snapped candidate sites and demand points.
    cutoff_m : float or numpy.ndarray
        Service cutoff in metres, one for all targets or one per target.

    Returns
    -------
    scipy.sparse.csr_array
        (sources x targets) distances in metres, lateral offsets included, stored only where within the cutoff
        (at least :data:`MIN_DISTANCE_M`, so a stored entry always means "covered").
    """
    cutoff = np.broadcast_to(np.asarray(cutoff_m, dtype=float), (len(targets),)).copy()
    shape = (len(sources), len(targets))
    if not len(sources) or not len(targets):
        return sp.csr_array(shape)
    limit = float(cutoff.max())
    src_node, src_point, src_off = _ends(graph, sources)
    tgt_node, tgt_point, tgt_off = _ends(graph, targets)
    keep = src_off <= limit
    src_node, src_point, src_off = src_node[keep], src_point[keep], src_off[keep]
    keep = tgt_off <= cutoff[tgt_point]
    tgt_node, tgt_point, tgt_off = tgt_node[keep], tgt_point[keep], tgt_off[keep]
    junctions = _junction_distances(graph, np.unique(src_node), limit)
    # Per distinct cutoff (walking, riding...): junction -> targets with their offset (+1 mm so 0 is stored).
    # Joining each cutoff separately prunes paths at that cutoff instead of the largest one.
    at_node = {
        value: sp.csr_array(
            (tgt_off[mask] + MIN_DISTANCE_M, (tgt_node[mask], tgt_point[mask])), shape=(graph.size, len(targets))
        )
        for value in np.unique(cutoff)
        if (mask := cutoff[tgt_point] == value).any()
    }
    order = np.argsort(src_point, kind="stable")
    src_node, src_point, src_off = src_node[order], src_point[order], src_off[order]
    target_order = np.argsort(targets.edge, kind="stable")
    rows, cols, vals = [], [], []
    bounds = np.searchsorted(src_point, np.arange(0, len(sources) + BATCH_POINTS, BATCH_POINTS))
    batches = list(itertools.pairwise(bounds))
    for number, (lo, hi) in enumerate(track(batches, "network distances", total=len(batches), unit="batch")):
        parts = [
            _join(src_point[lo:hi], src_node[lo:hi], src_off[lo:hi], junctions, targets_at, value)
            for value, targets_at in at_node.items()
        ]
        points = np.arange(number * BATCH_POINTS, min((number + 1) * BATCH_POINTS, len(sources)))
        parts.append(_same_segment(points, sources, targets, target_order))
        r, c, d = (np.concatenate(column) for column in zip(*parts, strict=True))
        d = d + sources.lateral_m[r] + targets.lateral_m[c]
        keep = d <= cutoff[c]
        r, c, d = _min_per_pair(r[keep], c[keep], d[keep], len(targets))
        rows.append(r)
        cols.append(c)
        vals.append(d)
    rows, cols, vals = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    return sp.csr_array((np.maximum(vals, MIN_DISTANCE_M), (rows, cols)), shape=shape)


def distances_between(graph: StreetGraph, sources: Snapped, targets: Snapped, limit_m: float = np.inf) -> np.ndarray:
    """Dense (sources x targets) network distances in metres, ``inf`` beyond ``limit_m``; for small sets only."""
    if not np.isfinite(limit_m):
        limit_m = _diameter(graph) + sources.lateral_m.max(initial=0.0) + targets.lateral_m.max(initial=0.0)
    matrix = coverage(graph, sources, targets, limit_m)
    dense = np.full(matrix.shape, np.inf)
    coo = matrix.tocoo()
    dense[coo.row, coo.col] = coo.data
    return dense


def _ends(graph: StreetGraph, points: Snapped) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each point twice: (junction at either end of its segment, point index, network offset to that junction)."""
    index = np.arange(len(points))
    node = np.concatenate([graph.u[points.edge], graph.v[points.edge]])
    offset = np.concatenate([points.along_m, graph.length_m[points.edge] - points.along_m])
    return node, np.concatenate([index, index]), np.maximum(offset, 0.0)


def _junction_distances(graph: StreetGraph, sources: np.ndarray, limit: float) -> sp.csr_array:
    """Sparse junction x junction distances (m) from ``sources`` within ``limit`` (+1 mm so 0 is stored)."""
    rows, cols, vals = [], [], []
    for start in range(0, len(sources), BATCH_SOURCES):
        batch = sources[start : start + BATCH_SOURCES]
        dist = csgraph.dijkstra(graph.graph, directed=False, indices=batch, limit=limit)
        r, c = np.nonzero(np.isfinite(dist))
        rows.append(batch[r])
        cols.append(c)
        vals.append(dist[r, c] + MIN_DISTANCE_M)
    return sp.csr_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(graph.size, graph.size)
    )


def _expand(matrix: sp.csr_array, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each entry of ``rows``, every stored (column, value) of that matrix row: returns (repeat, position)."""
    starts = matrix.indptr[rows]
    counts = matrix.indptr[rows + 1] - starts
    repeat = np.repeat(np.arange(len(rows)), counts)
    position = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts) + starts[repeat]
    return repeat, position


def _join(point, node, offset, junctions: sp.csr_array, at_node: sp.csr_array, limit: float):
    """Pairs (source point, target) with distance offset + junction distance + target offset, within ``limit``."""
    rep, pos = _expand(junctions, node)
    mid_node = junctions.indices[pos]
    mid_dist = offset[rep] + junctions.data[pos] - MIN_DISTANCE_M
    keep = mid_dist <= limit
    rep, mid_node, mid_dist = rep[keep], mid_node[keep], mid_dist[keep]
    rep2, pos2 = _expand(at_node, mid_node)
    target = at_node.indices[pos2]
    total = mid_dist[rep2] + at_node.data[pos2] - MIN_DISTANCE_M
    keep = total <= limit
    return point[rep[rep2[keep]]], target[keep], total[keep]


def _same_segment(points: np.ndarray, sources: Snapped, targets: Snapped, order: np.ndarray):
    """Pairs of source ``points`` and targets on the same segment, at their distance along it."""
    sorted_edges = targets.edge[order]
    lo = np.searchsorted(sorted_edges, sources.edge[points], side="left")
    hi = np.searchsorted(sorted_edges, sources.edge[points], side="right")
    counts = hi - lo
    src = np.repeat(points, counts)
    local = np.repeat(np.arange(len(points)), counts)
    position = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts) + lo[local]
    tgt = order[position]
    return src, tgt, np.abs(sources.along_m[src] - targets.along_m[tgt])


def _min_per_pair(rows, cols, vals, n_cols):
    key = rows.astype(np.int64) * n_cols + cols
    order = np.lexsort((vals, key))
    key, vals = key[order], vals[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    key, vals = key[first], vals[first]
    return key // n_cols, key % n_cols, vals


def _diameter(graph: StreetGraph) -> float:
    return float(graph.length_m.sum()) + 1.0


def _largest_component(edges: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if len(edges) == 0:
        raise i18n.coded_error(AreaError, "network_no_edges")
    ids = pd.Index(pd.unique(np.concatenate([edges["u"].to_numpy(), edges["v"].to_numpy()])))
    u, v = ids.get_indexer(edges["u"]), ids.get_indexer(edges["v"])
    adjacency = sp.coo_array((np.ones(len(u)), (u, v)), shape=(len(ids), len(ids)))
    _, labels = csgraph.connected_components(adjacency, directed=False)
    main = np.bincount(labels).argmax()
    return edges[labels[u] == main]


def _symmetric(a: np.ndarray, b: np.ndarray, w: np.ndarray, n: int) -> sp.csr_array:
    """Symmetric CSR adjacency keeping the shortest of parallel edges (CSR would otherwise sum them)."""
    rows = np.concatenate([a, b])
    cols = np.concatenate([b, a])
    weights = np.maximum(np.concatenate([w, w]), MIN_DISTANCE_M)
    order = np.lexsort((weights, cols, rows))
    rows, cols, weights = rows[order], cols[order], weights[order]
    unique = np.ones(len(rows), dtype=bool)
    unique[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    keep = unique & (rows != cols)
    return sp.csr_array((weights[keep], (rows[keep], cols[keep])), shape=(n, n))
