"""Distances along the street network: snapping points onto streets and bounded, sparse coverage.

A point (candidate site, worker, phone location) is snapped to the nearest spot on a street segment of the
network's largest connected component: it keeps the segment, its distance along it and its lateral offset from
it. The distance between two snapped points is

    lateral_a + min over the segment ends (offset to the end + junction-to-junction distance + offset) + lateral_b

or, on the same segment, the distance along it. Junction-to-junction distances come from bounded Dijkstra
searches (:func:`scipy.sparse.csgraph.dijkstra` with ``limit``) on the junction graph only; the pairs are then
formed by sparse joins. The sources are taken in spatially compact chunks: a chunk's searches run on the part of
the graph its cutoff can reach (a straight-line bound measured on the graph itself), and its junction distances
are released once joined, so time and memory grow with the area, not with its square. No dense demand x candidate
matrix is ever formed, and the searches run on the street graph's junctions, not on one node per point. The
chunks can be computed by any ``concurrent.futures``-like executor (:func:`coverage`'s ``executor``).
"""

from __future__ import annotations

import collections
import functools
import itertools
from concurrent.futures import Executor
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
from geoplan.memory import release_memory

#: Smallest distance stored in a coverage matrix (m), so that a covered pair is never an implicit zero.
MIN_DISTANCE_M = 1e-3

#: Junctions per bounded Dijkstra batch: bounds the dense scratch array to batch x junctions.
BATCH_SOURCES = 512

#: Source points per chunk: bounds the rows of the sparse joins.
BATCH_POINTS = 2048

#: Side of the tiles source points are grouped by, in cutoffs: a chunk's searches only see the graph within one
#: cutoff (times the graph's span ratio) of the tile's junctions.
TILE_CUTOFFS = 2.0


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


def coverage(
    graph: StreetGraph,
    sources: Snapped,
    targets: Snapped,
    cutoff_m: np.ndarray | float,
    *,
    executor: Executor | None = None,
    chunk_points: int | None = None,
    metres: bool = True,
) -> sp.csr_array:
    """Network distances from every source to every target within the target's cutoff.

    The sources are cut into spatially compact chunks (at most ``chunk_points`` source points each). A chunk's
    junction distances are searched on the part of the street graph that can lie within the cutoff of its
    junctions (:func:`_reach_radius`: a provable straight-line bound), joined with the targets and released before
    the next chunk, so memory and the cost of each search are bounded by the chunk, not by the area. The result
    is the same matrix, entry for entry, whatever the chunks and whoever computes them.

    Parameters
    ----------
    graph : StreetGraph
    sources, targets : Snapped
        Snapped candidate sites and demand points.
    cutoff_m : float or numpy.ndarray
        Service cutoff in metres, one for all targets or one per target.
    executor : concurrent.futures.Executor, optional
        Computes the chunks (anything with ``submit(fn, *args)`` returning futures with ``result()``, or with
        ``map(fn, iterable)``: a thread or process pool, ``distributed.Client.get_executor()``). Each chunk is sent
        on its own, with only its part of the graph and of the targets. None: computed here, one after another.
    chunk_points : int, optional
        Source points per chunk (default :data:`BATCH_POINTS`).
    metres : bool
        False: store 1.0 for every covered pair instead of its distance (the 0/1 coverage pattern). Each chunk's
        distances are then dropped as it arrives, which for a whole city cuts the stage's peak memory by a third.

    Returns
    -------
    scipy.sparse.csr_array
        (sources x targets) distances in metres, lateral offsets included, stored only where within the cutoff
        (at least :data:`MIN_DISTANCE_M`, so a stored entry always means "covered"); 1.0 instead with
        ``metres=False``.
    """
    cutoff = np.broadcast_to(np.asarray(cutoff_m, dtype=float), (len(targets),)).copy()
    shape = (len(sources), len(targets))
    if not len(sources) or not len(targets):
        return sp.csr_array(shape)
    chunks = _chunks(graph, sources, targets, cutoff, chunk_points or BATCH_POINTS)
    total = len(chunks.groups)
    if executor is None:
        results = (_chunk_pairs(chunk) for chunk in map(chunks.build, range(total)))
    else:
        results = _run(executor, chunks, total)
    if not metres:
        results = ((points, count, cols, None) for points, count, cols, _ in results)
    parts = list(track(results, "network distances", total=total, unit="batch"))
    return _assemble(parts, shape)


@dataclass(frozen=True)
class _Chunk:
    """What one chunk of sources needs, all in local numbering (small to send to another process).

    ``graph`` is the part of the street graph the chunk's searches can reach; ``junctions`` are the chunk's source
    junctions in it; each source end is (``end_node`` into ``junctions``, ``end_point`` into ``points``,
    ``end_offset``); ``at_node`` maps each cutoff value to (subgraph node x local target) offsets; ``same`` are the
    (local point, local target, distance) pairs on a shared segment.
    """

    points: np.ndarray
    point_lateral: np.ndarray
    targets: np.ndarray
    target_lateral: np.ndarray
    target_cutoff: np.ndarray
    graph: sp.csr_array
    junctions: np.ndarray
    end_node: np.ndarray
    end_point: np.ndarray
    end_offset: np.ndarray
    at_node: dict
    same: tuple
    limit: float


@dataclass
class _Chunks:
    """The sources cut into chunks, and what building each chunk's :class:`_Chunk` needs (kept in the caller)."""

    graph: StreetGraph
    sources: Snapped
    targets: Snapped
    cutoff: np.ndarray
    limit: float
    radius: float
    src_node: np.ndarray
    src_point: np.ndarray
    src_off: np.ndarray
    at_node: dict
    target_order: np.ndarray
    x_order: np.ndarray
    x_sorted: np.ndarray
    groups: list

    def build(self, number: int) -> _Chunk:
        """Return the inputs of chunk ``number``."""
        point_set, lo, hi = self.groups[number]
        node, point, offset = self.src_node[lo:hi], self.src_point[lo:hi], self.src_off[lo:hi]
        points = np.sort(point_set)
        junctions = np.unique(node)
        nodes = junctions
        if len(junctions):
            xy = self.graph.node_xy[junctions]
            (x0, y0), (x1, y1) = xy.min(axis=0) - self.radius, xy.max(axis=0) + self.radius
            a, b = np.searchsorted(self.x_sorted, x0, "left"), np.searchsorted(self.x_sorted, x1, "right")
            near = self.x_order[a:b]
            near_y = self.graph.node_xy[near, 1]
            nodes = np.union1d(near[(near_y >= y0) & (near_y <= y1)], junctions)
        sub = self.graph.graph[nodes][:, nodes]
        at_node = {value: matrix[nodes] for value, matrix in self.at_node.items()}
        same = _same_segment(points, self.sources, self.targets, self.target_order)
        targets = np.unique(np.concatenate([*(m.indices for m in at_node.values()), same[1]]))
        local_at = {
            value: sp.csr_array(
                (m.data, np.searchsorted(targets, m.indices), m.indptr), shape=(len(nodes), len(targets))
            )
            for value, m in at_node.items()
        }
        return _Chunk(
            points=points,
            point_lateral=self.sources.lateral_m[points],
            targets=targets,
            target_lateral=self.targets.lateral_m[targets],
            target_cutoff=self.cutoff[targets],
            graph=sp.csr_array(sub),
            junctions=np.searchsorted(nodes, junctions),
            end_node=np.searchsorted(junctions, node),
            end_point=np.searchsorted(points, point),
            end_offset=offset,
            at_node=local_at,
            same=(np.searchsorted(points, same[0]), np.searchsorted(targets, same[1]), same[2]),
            limit=self.limit,
        )


def _chunks(graph: StreetGraph, sources: Snapped, targets: Snapped, cutoff: np.ndarray, size: int) -> _Chunks:
    """Cut the sources into chunks of nearby points (tiles of about two cutoffs, at most ``size`` points each)."""
    limit = float(cutoff.max())
    src_node, src_point, src_off = _ends(graph, sources)
    tgt_node, tgt_point, tgt_off = _ends(graph, targets)
    keep = src_off <= limit
    src_node, src_point, src_off = src_node[keep], src_point[keep], src_off[keep]
    keep = tgt_off <= cutoff[tgt_point]
    tgt_node, tgt_point, tgt_off = tgt_node[keep], tgt_point[keep], tgt_off[keep]
    # Per distinct cutoff (walking, riding...): junction -> targets with their offset (+1 mm so 0 is stored).
    # Joining each cutoff separately prunes paths at that cutoff instead of the largest one.
    at_node = {
        value: sp.csr_array(
            (tgt_off[mask] + MIN_DISTANCE_M, (tgt_node[mask], tgt_point[mask])), shape=(graph.size, len(targets))
        )
        for value in np.unique(cutoff)
        if (mask := cutoff[tgt_point] == value).any()
    }
    # Source points grouped by tile of their spot on the street, then by index; each tile cut into chunks of at
    # most ``size`` points. Both ends of a point go with it.
    side = max(TILE_CUTOFFS * limit, 500.0)
    tile = np.floor((sources.xy - sources.xy.min(axis=0)) / side).astype(np.int64)
    tile_key = tile[:, 0] * (int(tile[:, 1].max()) + 1) + tile[:, 1]
    point_order = np.lexsort((np.arange(len(sources)), tile_key))
    sorted_tiles = tile_key[point_order]
    new_tile = np.ones(len(point_order), dtype=bool)
    new_tile[1:] = sorted_tiles[1:] != sorted_tiles[:-1]
    rank = np.arange(len(point_order))
    tile_start = np.maximum.accumulate(np.where(new_tile, rank, 0))
    starts = np.flatnonzero(new_tile | ((rank - tile_start) % size == 0))
    position = np.empty(len(point_order), dtype=np.int64)
    position[point_order] = rank
    end_position = position[src_point]
    order = np.argsort(end_position, kind="stable")
    src_node, src_point, src_off, end_position = src_node[order], src_point[order], src_off[order], end_position[order]
    bounds = [*starts.tolist(), len(point_order)]
    end_bounds = np.searchsorted(end_position, bounds)
    groups = [
        (point_order[a:b], int(c), int(d))
        for (a, b), (c, d) in zip(itertools.pairwise(bounds), itertools.pairwise(end_bounds), strict=True)
    ]
    x_order = np.argsort(graph.node_xy[:, 0], kind="stable")
    return _Chunks(
        graph=graph, sources=sources, targets=targets, cutoff=cutoff, limit=limit, radius=_reach_radius(graph, limit),
        src_node=src_node, src_point=src_point, src_off=src_off, at_node=at_node,
        target_order=np.argsort(targets.edge, kind="stable"), x_order=x_order, x_sorted=graph.node_xy[x_order, 0],
        groups=groups,
    )  # fmt: skip


def _reach_radius(graph: StreetGraph, limit: float) -> float:
    """Straight-line distance (m) beyond which no junction is within ``limit`` along the network of another.

    Every segment's straight span between its junctions is at most ``ratio`` times its network length (measured
    on the graph itself: 1 when lengths are at least the straight spans), so a path of network length ``d``
    spans at most ``ratio * d`` in a straight line. A search to ``limit`` from some junctions therefore only ever
    uses junctions within ``ratio * limit`` of one of them: the graph cut to that box gives the same distances.
    """
    return (max(_span_ratio(graph), 1.0) * limit) * (1 + 1e-9) + 1e-6


def _span_ratio(graph: StreetGraph) -> float:
    """Largest straight span / network length over the graph's segments."""
    coo = graph.graph.tocoo()
    if not coo.nnz:
        return 1.0
    span = np.hypot(*(graph.node_xy[coo.row] - graph.node_xy[coo.col]).T)
    return float(np.max(span / coo.data))


def _chunk_pairs(chunk: _Chunk) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return the covered (source, target) pairs of one chunk, compressed by source.

    Returns the chunk's source points (global indices, ascending), how many targets each covers, and the targets
    (global indices, int32 when they fit) with their distances (m), by source then target; each pair once, at its
    shortest distance.
    """
    junctions = _junction_distances(chunk.graph, chunk.junctions, chunk.limit)
    parts = [
        _join(chunk.end_point, chunk.end_node, chunk.end_offset, junctions, targets_at, value)
        for value, targets_at in chunk.at_node.items()
    ]
    del junctions
    parts.append(chunk.same)
    r, c, d = (np.concatenate(column) for column in zip(*parts, strict=True))
    del parts
    d = d + chunk.point_lateral[r] + chunk.target_lateral[c]
    keep = d <= chunk.target_cutoff[c]
    r, c, d = _min_per_pair(r[keep], c[keep], d[keep], len(chunk.targets))
    counts = np.bincount(r, minlength=len(chunk.points))
    targets = chunk.targets[c]
    if len(targets) and targets.max() < np.iinfo(np.int32).max:
        targets = targets.astype(np.int32)
    return chunk.points, counts, targets, d


def _run(executor, chunks: _Chunks, total: int, pending: int = 32):
    """Chunk results computed by ``executor``, in chunk order, with at most ``pending`` chunks sent at a time."""
    if not hasattr(executor, "submit"):
        yield from executor.map(_chunk_pairs, map(chunks.build, range(total)))
        return
    queue = collections.deque()
    for number in range(total):
        queue.append(executor.submit(_chunk_pairs, chunks.build(number)))
        if len(queue) >= pending:
            yield queue.popleft().result()
    while queue:
        yield queue.popleft().result()


def _assemble(parts: list, shape: tuple[int, int]) -> sp.csr_array:
    """One CSR matrix from the chunks' (sources, counts, targets, distances), each sorted by source then target.

    The chunks' results are released one by one as they are copied in: the peak is the matrix plus the results.
    Distances None (every chunk's, or none): 1.0 is stored for each pair.
    """
    counts = np.zeros(shape[0], dtype=np.int64)
    for points, count, _, _ in parts:
        counts[points] = count
    indptr = np.zeros(shape[0] + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    nnz = int(indptr[-1])
    index_dtype = np.int32 if max(nnz, shape[0], shape[1]) < np.iinfo(np.int32).max else np.int64
    indices = np.empty(nnz, dtype=index_dtype)
    pattern = any(vals is None for *_, vals in parts)
    data = None if pattern else np.empty(nnz)  # the pattern's ones come once the parts are released
    while parts:
        points, count, cols, vals = parts.pop()
        rows = np.repeat(points, count)
        run_start = np.repeat(np.cumsum(count) - count, count)
        position = indptr[rows] + (np.arange(len(rows)) - run_start)
        indices[position] = cols
        if not pattern:
            data[position] = np.maximum(vals, MIN_DISTANCE_M)
    if pattern:
        release_memory()  # the parts were small blocks on the heap: give their pages back before the big array
        data = np.ones(nnz)
    return sp.csr_array((data, indices, indptr.astype(index_dtype)), shape=shape)


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


def _junction_distances(graph: sp.csr_array, sources: np.ndarray, limit: float) -> sp.csr_array:
    """Sparse (sources x junctions) distances (m) from ``sources`` within ``limit`` (+1 mm so 0 is stored)."""
    rows, cols, vals = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)], [np.zeros(0)]
    for start in range(0, len(sources), BATCH_SOURCES):
        batch = sources[start : start + BATCH_SOURCES]
        dist = csgraph.dijkstra(graph, directed=False, indices=batch, limit=limit)
        r, c = np.nonzero(np.isfinite(dist))
        rows.append(r + start)
        cols.append(c)
        vals.append(dist[r, c] + MIN_DISTANCE_M)
    return sp.csr_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(len(sources), graph.shape[0])
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
    """Each (row, column) pair once, at its smallest value; sorted by row, then column."""
    key = rows.astype(np.int64) * n_cols + cols
    order = np.argsort(key)
    key = key[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    starts = np.flatnonzero(first)
    vals = np.minimum.reduceat(vals[order], starts) if len(starts) else vals[:0]
    key = key[starts]
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
