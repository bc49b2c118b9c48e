"""Distances along the street network: snapping points onto streets and bounded, sparse coverage.

Points (candidate sites, workers) are snapped to the nearest street segment of the network's largest connected
component and inserted there as new nodes, so a distance is measured from the exact spot on the street, not from
the nearest junction. The lateral offset (from the point to the street) is added at both ends. Coverage is
computed with bounded Dijkstra searches (:func:`scipy.sparse.csgraph.dijkstra` with ``limit``) in batches of
sources, so memory stays proportional to the batch, and the result is a sparse candidates x demand matrix: no
dense demand x candidate matrix is ever formed.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse import csgraph

from geoplan._progress import track
from geoplan.errors import AreaError

#: Edge weight given to zero-length pieces (two points snapped to the same spot), in metres.
_MIN_EDGE_M = 1e-3

#: Sources per bounded Dijkstra batch: bounds the dense scratch array to batch x nodes.
BATCH_SOURCES = 256


@dataclass(frozen=True)
class Network:
    """A street network with snapped points inserted as nodes.

    Attributes
    ----------
    graph : scipy.sparse.csr_array
        Symmetric adjacency, weights in metres.
    node_xy : numpy.ndarray
        (n, 2) coordinates of every node in the area's CRS.
    street_nodes : int
        The first ``street_nodes`` nodes are the street network's own junctions.
    """

    graph: sp.csr_array
    node_xy: np.ndarray
    street_nodes: int


@dataclass(frozen=True)
class Snapped:
    """Where a set of points sits on the network.

    Attributes
    ----------
    node : numpy.ndarray
        Network node index of each point.
    lateral_m : numpy.ndarray
        Straight distance from each point to its spot on the street, in metres.
    """

    node: np.ndarray
    lateral_m: np.ndarray


def build(edges: gpd.GeoDataFrame, point_sets: dict[str, np.ndarray]) -> tuple[Network, dict[str, Snapped]]:
    """Build the routable network with every point set snapped onto it.

    Parameters
    ----------
    edges : geopandas.GeoDataFrame
        Street edges in a metric CRS with ``u``, ``v``, ``length`` (metres) and line geometry. Both directions of a
        two-way street may be present; walking ignores direction.
    point_sets : dict of str to numpy.ndarray
        Named (k, 2) coordinate arrays in the same CRS.

    Returns
    -------
    network : Network
    snapped : dict of str to Snapped
        For each point set, the node and lateral offset of each point.
    """
    edges = _largest_component(_undirected(edges))
    node_ids = pd.Index(pd.unique(np.concatenate([edges["u"].to_numpy(), edges["v"].to_numpy()])))
    u = node_ids.get_indexer(edges["u"])
    v = node_ids.get_indexer(edges["v"])
    lines = edges.geometry.to_numpy()
    length = edges["length"].to_numpy(dtype=float)
    length = np.where(np.isfinite(length) & (length > 0), length, shapely.length(lines))
    starts = shapely.get_point(lines, 0)
    ends = shapely.get_point(lines, -1)
    # A node's position: the end of the edge geometry that touches it.
    node_xy = np.zeros((len(node_ids), 2))
    node_xy[u] = shapely.get_coordinates(starts)
    node_xy[v] = shapely.get_coordinates(ends)

    names = list(point_sets)
    sizes = [len(point_sets[name]) for name in names]
    xy = np.vstack([np.asarray(point_sets[name], dtype=float).reshape(-1, 2) for name in names] or [np.zeros((0, 2))])
    points = shapely.points(xy)
    tree = shapely.STRtree(lines)
    point_index, edge_index = tree.query_nearest(points, return_distance=False, all_matches=False)
    order = np.argsort(point_index, kind="stable")
    edge_of = np.empty(len(points), dtype=np.int64)
    edge_of[point_index[order]] = edge_index[order]
    geom_length = shapely.length(lines[edge_of])
    along = shapely.line_locate_point(lines[edge_of], points)
    frac = np.divide(along, geom_length, out=np.zeros_like(along), where=geom_length > 0)
    lateral = shapely.distance(points, shapely.line_interpolate_point(lines[edge_of], along))

    n_street = len(node_ids)
    point_node = n_street + np.arange(len(points))
    a, b, w = _subdivide(u, v, length, edge_of, frac, point_node)
    n_total = n_street + len(points)
    graph = _symmetric(a, b, w, n_total)
    all_xy = np.vstack([node_xy, shapely.get_coordinates(shapely.line_interpolate_point(lines[edge_of], along))])
    network = Network(graph=graph, node_xy=all_xy, street_nodes=n_street)
    snapped, start = {}, 0
    for name, size in zip(names, sizes, strict=True):
        snapped[name] = Snapped(node=point_node[start : start + size], lateral_m=lateral[start : start + size])
        start += size
    return network, snapped


def coverage(
    network: Network, sources: Snapped, targets: Snapped, cutoff_m: np.ndarray | float
) -> sp.csr_array:
    """Network distances from every source to every target within the target's cutoff.

    Parameters
    ----------
    network : Network
    sources, targets : Snapped
        Snapped candidate sites and demand points.
    cutoff_m : float or numpy.ndarray
        Service cutoff in metres, one for all targets or one per target.

    Returns
    -------
    scipy.sparse.csr_array
        (sources x targets) distances in metres (lateral offsets included), stored only where within the cutoff;
        a stored distance is at least 1 mm so that no covered pair is an implicit zero.
    """
    cutoff = np.broadcast_to(np.asarray(cutoff_m, dtype=float), (len(targets.node),))
    limit = float(cutoff.max(initial=0.0))
    rows, cols, vals = [], [], []
    batches = range(0, len(sources.node), BATCH_SOURCES)
    for start in track(batches, "network distances", total=len(batches), unit="batch"):
        nodes = sources.node[start : start + BATCH_SOURCES]
        offset = sources.lateral_m[start : start + BATCH_SOURCES]
        dist = csgraph.dijkstra(network.graph, directed=False, indices=nodes, limit=limit)
        total = dist[:, targets.node] + offset[:, None] + targets.lateral_m[None, :]
        r, c = np.nonzero(total <= cutoff[None, :])
        rows.append(r + start)
        cols.append(c)
        vals.append(np.maximum(total[r, c], _MIN_EDGE_M))
    matrix = sp.coo_array(
        (np.concatenate(vals or [[]]), (np.concatenate(rows or [[]]), np.concatenate(cols or [[]]))),
        shape=(len(sources.node), len(targets.node)),
    )
    return matrix.tocsr()


def distances_from(network: Network, source: Snapped, limit_m: float = np.inf) -> np.ndarray:
    """Network distance (m) from each source point to every node, as a (sources x nodes) array."""
    dist = csgraph.dijkstra(network.graph, directed=False, indices=source.node, limit=limit_m)
    return dist + source.lateral_m[:, None]


def _undirected(edges: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    pair = pd.DataFrame({"a": np.minimum(edges["u"], edges["v"]), "b": np.maximum(edges["u"], edges["v"])})
    pair["length"] = edges["length"].round(1)
    return edges[~pair.duplicated().to_numpy() & (edges["u"] != edges["v"]).to_numpy()]


def _largest_component(edges: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if len(edges) == 0:
        raise AreaError("The street network has no edges to route on.")
    ids = pd.Index(pd.unique(np.concatenate([edges["u"].to_numpy(), edges["v"].to_numpy()])))
    u, v = ids.get_indexer(edges["u"]), ids.get_indexer(edges["v"])
    adjacency = sp.coo_array((np.ones(len(u)), (u, v)), shape=(len(ids), len(ids)))
    _, labels = csgraph.connected_components(adjacency, directed=False)
    main = np.bincount(labels).argmax()
    return edges[labels[u] == main]


def _subdivide(u, v, length, edge_of, frac, point_node):
    """Edge list of the network with each point inserted into its edge, in order along the edge."""
    has_points = np.zeros(len(u), dtype=bool)
    has_points[edge_of] = True
    keep = ~has_points
    a_parts, b_parts, w_parts = [u[keep]], [v[keep]], [length[keep]]
    order = np.lexsort((frac, edge_of))
    e, f, node = edge_of[order], frac[order], point_node[order]
    first = np.ones(len(e), dtype=bool)
    first[1:] = e[1:] != e[:-1]
    last = np.ones(len(e), dtype=bool)
    last[:-1] = e[1:] != e[:-1]
    prev_node = np.where(first, u[e], np.roll(node, 1))
    prev_frac = np.where(first, 0.0, np.roll(f, 1))
    a_parts += [prev_node, node[last]]
    b_parts += [node, v[e[last]]]
    w_parts += [(f - prev_frac) * length[e], (1.0 - f[last]) * length[e[last]]]
    return np.concatenate(a_parts), np.concatenate(b_parts), np.concatenate(w_parts)


def _symmetric(a: np.ndarray, b: np.ndarray, w: np.ndarray, n: int) -> sp.csr_array:
    """Symmetric CSR adjacency keeping the shortest of parallel edges (CSR would otherwise sum them)."""
    rows = np.concatenate([a, b])
    cols = np.concatenate([b, a])
    weights = np.maximum(np.concatenate([w, w]), _MIN_EDGE_M)
    order = np.lexsort((weights, cols, rows))
    rows, cols, weights = rows[order], cols[order], weights[order]
    unique = np.ones(len(rows), dtype=bool)
    unique[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    loops = rows == cols
    keep = unique & ~loops
    return sp.csr_array((weights[keep], (rows[keep], cols[keep])), shape=(n, n))
