"""Tests of geoplan.network: street graph, snapping, bounded coverage and dense distances.

Small graphs are built by hand in EPSG:32650 (metres) so every distance can be checked by eye; the real Helsinki
extract is checked against an independent networkx + shapely computation.
"""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import shapely

from geoplan.coverage import network
from geoplan.coverage.network import coverage, distances_between, snap, street_graph
from geoplan.errors import AreaError

CRS = "EPSG:32650"


def edges_frame(rows) -> gpd.GeoDataFrame:
    """Edges from (u, v, length, [(x, y), ...]) rows."""
    return gpd.GeoDataFrame(
        {
            "u": np.array([r[0] for r in rows], dtype=np.int64),
            "v": np.array([r[1] for r in rows], dtype=np.int64),
            "length": np.array([r[2] for r in rows], dtype=float),
        },
        geometry=[shapely.LineString(r[3]) for r in rows],
        crs=CRS,
    )


# 1 (0,0) --100-- 2 (100,0) ----200---- 3 (300,0)
PATH = [(1, 2, 100.0, [(0, 0), (100, 0)]), (2, 3, 200.0, [(100, 0), (300, 0)])]

# Square 1 (0,0), 2 (100,0), 3 (100,100), 4 (0,100), sides 100 m, and a winding diagonal 1-3 of 150 m network length.
SQUARE = [
    (1, 2, 100.0, [(0, 0), (100, 0)]),
    (2, 3, 100.0, [(100, 0), (100, 100)]),
    (3, 4, 100.0, [(100, 100), (0, 100)]),
    (4, 1, 100.0, [(0, 100), (0, 0)]),
    (1, 3, 150.0, [(0, 0), (100, 100)]),
]

# Two parallel edges 1-2: straight 100 m, and a curve over (50, 60) of 180 m stored from 2 to 1; then 2-3, 50 m.
PARALLEL = [
    (1, 2, 100.0, [(0, 0), (100, 0)]),
    (2, 1, 180.0, [(100, 0), (50, 60), (0, 0)]),
    (2, 3, 50.0, [(100, 0), (150, 0)]),
]


@pytest.fixture
def path_graph():
    return street_graph(edges_frame(PATH))


def dense_adjacency(graph, ids):
    """Adjacency as a dense matrix in the order of the given OSM ids."""
    order = [int(np.flatnonzero(graph.node_ids == i)[0]) for i in ids]
    return graph.graph.toarray()[np.ix_(order, order)]


# ---------------------------------------------------------------------------------------------------------
# street_graph
# ---------------------------------------------------------------------------------------------------------


def test_street_graph_of_a_path(path_graph):
    g = path_graph
    assert g.size == 3
    assert sorted(g.node_ids.tolist()) == [1, 2, 3]
    np.testing.assert_array_equal(dense_adjacency(g, [1, 2, 3]), [[0, 100, 0], [100, 0, 200], [0, 200, 0]])
    xy = {int(i): tuple(g.node_xy[k]) for k, i in enumerate(g.node_ids)}
    assert xy == {1: (0.0, 0.0), 2: (100.0, 0.0), 3: (300.0, 0.0)}
    assert g.node_ids[g.u].tolist() == [1, 2]
    assert g.node_ids[g.v].tolist() == [2, 3]
    np.testing.assert_array_equal(g.length_m, [100.0, 200.0])
    assert len(g.lines) == 2
    assert isinstance(g.graph, sp.csr_array)


def test_street_graph_drops_reverse_duplicates_and_self_loops():
    rows = [
        *PATH,
        (2, 1, 100.0, [(100, 0), (0, 0)]),  # the other direction of a two-way street
        (3, 3, 40.0, [(300, 0), (310, 10), (300, 10), (300, 0)]),  # a loop
    ]
    g = street_graph(edges_frame(rows))
    assert len(g.lines) == 2
    assert g.size == 3
    np.testing.assert_array_equal(dense_adjacency(g, [1, 2, 3]), [[0, 100, 0], [100, 0, 200], [0, 200, 0]])


def test_street_graph_keeps_shorter_of_parallel_edges():
    g = street_graph(edges_frame(PARALLEL))
    assert len(g.lines) == 3  # both parallel edges stay for snapping
    np.testing.assert_array_equal(dense_adjacency(g, [1, 2, 3]), [[0, 100, 0], [100, 0, 50], [0, 50, 0]])


def test_street_graph_keeps_parallel_edges_of_equal_length_but_different_course():
    # A roundabout split into two halves of equal length between the same two junctions: both halves are streets.
    half = float(2 * np.hypot(50, 50))
    rows = [
        (1, 2, half, [(0, 0), (50, 50), (100, 0)]),
        (1, 2, half, [(0, 0), (50, -50), (100, 0)]),
        (2, 3, 100.0, [(100, 0), (200, 0)]),
    ]
    g = street_graph(edges_frame(rows))
    s = snap(g, [[50, -52]])  # 2 m outside the southern half
    assert s.lateral_m[0] == pytest.approx(2.0)
    assert s.along_m[0] == pytest.approx(half / 2)
    assert len(g.lines) == 3


def test_street_graph_uses_geometric_length_when_length_is_missing_or_zero():
    rows = [
        (1, 2, np.nan, [(0, 0), (30, 40)]),
        (2, 3, 0.0, [(30, 40), (30, 100)]),
        (3, 4, 25.0, [(30, 100), (30, 110)]),
    ]
    g = street_graph(edges_frame(rows))
    np.testing.assert_array_equal(g.length_m, [50.0, 60.0, 25.0])


def test_street_graph_keeps_largest_component_only():
    rows = [*PATH, (10, 11, 50.0, [(0, 500), (50, 500)])]
    g = street_graph(edges_frame(rows))
    assert sorted(g.node_ids.tolist()) == [1, 2, 3]
    assert len(g.lines) == 2
    # A point right beside the island snaps to the main component.
    s = snap(g, [[25, 495]])
    assert g.node_ids[g.u[s.edge[0]]] == 1
    assert g.node_ids[g.v[s.edge[0]]] == 2
    assert s.along_m[0] == pytest.approx(25.0)
    assert s.lateral_m[0] == pytest.approx(495.0)


def test_street_graph_without_edges_raises():
    with pytest.raises(AreaError, match="no edges"):
        street_graph(edges_frame([]))


# ---------------------------------------------------------------------------------------------------------
# snap
# ---------------------------------------------------------------------------------------------------------


def test_snap_exact_positions(path_graph):
    s = snap(path_graph, [[50, 10], [250, -20], [0, 0], [-30, 0], [300, 40], [100, 7]])
    assert len(s) == 6
    assert s.edge[:5].tolist() == [0, 1, 0, 0, 1]
    np.testing.assert_allclose(s.along_m[:5], [50, 150, 0, 0, 200], atol=1e-9)
    np.testing.assert_allclose(s.lateral_m, [10, 20, 0, 30, 40, 7], atol=1e-9)
    np.testing.assert_allclose(s.xy, [[50, 0], [250, 0], [0, 0], [0, 0], [300, 0], [100, 0]], atol=1e-9)
    # (100, 7) is equally near both edges: either way it sits on junction 2.
    offset_to_2 = s.along_m[5] if path_graph.node_ids[path_graph.u[s.edge[5]]] == 2 else 100 - s.along_m[5]
    assert offset_to_2 == pytest.approx(0.0, abs=1e-9)


def test_snap_scales_along_to_network_length():
    # The diagonal is 141.42 m on the map but 150 m along the road: its midpoint is 75 m from either end.
    g = street_graph(edges_frame(SQUARE))
    s = snap(g, [[50, 50], [60, 55]])
    diagonal = int(np.flatnonzero(g.length_m == 150.0)[0])
    assert s.edge.tolist() == [diagonal, diagonal]
    assert s.along_m[0] == pytest.approx(75.0)
    assert s.lateral_m[0] == pytest.approx(0.0, abs=1e-9)
    assert s.along_m[1] == pytest.approx(150.0 * np.hypot(57.5, 57.5) / np.hypot(100, 100))
    assert s.lateral_m[1] == pytest.approx(np.hypot(2.5, 2.5))


def test_snap_along_follows_stored_direction():
    g = street_graph(edges_frame(PARALLEL))
    s = snap(g, [[50, 62]])
    curve = int(np.flatnonzero(g.length_m == 180.0)[0])
    assert s.edge[0] == curve
    assert g.node_ids[g.u[curve]] == 2
    assert s.along_m[0] == pytest.approx(90.0)
    assert s.lateral_m[0] == pytest.approx(2.0)
    np.testing.assert_allclose(s.xy, [[50, 60]], atol=1e-9)


def test_snap_empty(path_graph):
    s = snap(path_graph, np.zeros((0, 2)))
    assert len(s) == 0
    assert s.xy.shape == (0, 2)


# ---------------------------------------------------------------------------------------------------------
# coverage
# ---------------------------------------------------------------------------------------------------------


def test_coverage_exact_distance_with_lateral_offsets_at_both_ends(path_graph):
    g = path_graph
    m = coverage(g, snap(g, [[50, 10]]), snap(g, [[250, -20]]), 1000.0)
    assert isinstance(m, sp.csr_array)
    assert m.shape == (1, 1)
    # 10 (lateral) + 50 (to junction 2) + 150 (to the spot) + 20 (lateral)
    assert m.toarray().tolist() == [[230.0]]


def test_coverage_pair_exactly_at_cutoff_is_included(path_graph):
    g = path_graph
    src, tgt = snap(g, [[50, 10]]), snap(g, [[250, -20]])
    at = coverage(g, src, tgt, 230.0)
    assert at.nnz == 1
    assert at[0, 0] == 230.0
    assert coverage(g, src, tgt, 229.99).nnz == 0


def test_coverage_exact_cutoff_on_integer_lengths():
    rows = [(1, 2, 137.0, [(0, 0), (137, 0)]), (2, 3, 411.0, [(137, 0), (548, 0)])]
    g = street_graph(edges_frame(rows))
    src, tgt = snap(g, [[13, 0]]), snap(g, [[537, 0]])
    exact = (137 - 13) + (411 - 11)
    m = coverage(g, src, tgt, float(exact))
    assert m.nnz == 1
    assert m[0, 0] == exact


def test_coverage_result_shape_and_content(path_graph):
    g = path_graph
    sources = snap(g, [[0, 0], [50, 10], [300, 0]])
    targets = snap(g, [[100, 0], [250, -20], [0, 5], [300, 600]])
    m = coverage(g, sources, targets, 300.0)
    assert m.shape == (3, 4)
    expected = np.array(
        [
            [100, 270, 5, 0],  # from junction 1: 100; 250 + 20; 5; 300 + 600 > 300
            [60, 230, 65, 0],  # 10 + 50; 10 + 200 + 20; 10 + 50 + 5
            [200, 70, 0, 0],  # 200; 50 + 20; 300 + 5 > 300; 600 > 300
        ],
        dtype=float,
    )
    np.testing.assert_allclose(m.toarray(), expected, atol=1e-9)
    assert m.nnz == int(np.count_nonzero(expected))


def test_coverage_per_target_cutoffs(path_graph):
    g = path_graph
    sources = snap(g, [[0, 0]])
    targets = snap(g, [[100, 0], [150, 0], [200, 0], [250, 0]])  # at 100, 150, 200, 250 m
    m = coverage(g, sources, targets, np.array([99.0, 150.0, 1000.0, 249.0]))
    np.testing.assert_allclose(m.toarray(), [[0, 150, 200, 0]], atol=1e-9)
    assert m.nnz == 2


def test_coverage_stores_nothing_beyond_cutoff():
    g = street_graph(edges_frame(SQUARE))
    rng = np.random.default_rng(3)
    sources = snap(g, rng.uniform(-20, 120, size=(15, 2)))
    targets = snap(g, rng.uniform(-20, 120, size=(25, 2)))
    cutoff = rng.uniform(20, 250, size=25)
    m = coverage(g, sources, targets, cutoff).tocoo()
    assert np.all(m.data <= cutoff[m.col])
    full = distances_between(g, sources, targets)
    assert np.isfinite(full).all()
    within = full <= cutoff[None, :]
    assert m.nnz == int(within.sum())
    np.testing.assert_allclose(m.toarray()[within], full[within], atol=1e-9)


def test_coverage_same_segment_measured_along_it(path_graph):
    g = path_graph
    # Both on the 200 m edge: 100 m apart along it, 3 m and 4 m off it.
    m = coverage(g, snap(g, [[150, 3]]), snap(g, [[250, -4]]), 500.0)
    assert m[0, 0] == pytest.approx(107.0)
    # Same spot, other side: only the laterals.
    m = coverage(g, snap(g, [[150, 3]]), snap(g, [[150, -4]]), 500.0)
    assert m[0, 0] == pytest.approx(7.0)


def test_coverage_same_segment_takes_network_detour_when_shorter():
    g = street_graph(edges_frame(PARALLEL))
    curve = int(np.flatnonzero(g.length_m == 180.0)[0])
    on_curve = shapely.get_coordinates(shapely.line_interpolate_point(g.lines[curve], [0.1, 0.9], normalized=True))
    a, b = snap(g, on_curve[:1]), snap(g, on_curve[1:])
    assert a.edge[0] == b.edge[0] == curve
    # Along the curve 144 m; back to the junctions and over the straight edge 18 + 100 + 18 = 136 m.
    assert coverage(g, a, b, 500.0)[0, 0] == pytest.approx(136.0)


def test_parallel_edges_shorter_wins():
    g = street_graph(edges_frame(PARALLEL))
    d = distances_between(g, snap(g, [[0, -5]]), snap(g, [[150, 0], [50, 62]]))
    # 5 + 100 (straight edge, not the 180 m curve) + 50; to the curve's middle: 5 + 90 + 2
    np.testing.assert_allclose(d, [[155.0, 97.0]], atol=1e-9)


def test_coverage_identical_points_store_minimum_distance(path_graph):
    g = path_graph
    m = coverage(g, snap(g, [[40, 0], [300, 0]]), snap(g, [[40, 0], [300, 0]]), 10.0)
    np.testing.assert_array_equal(m.toarray(), [[network.MIN_DISTANCE_M, 0], [0, network.MIN_DISTANCE_M]])


def test_coverage_lateral_offset_beyond_cutoff(path_graph):
    g = path_graph
    assert coverage(g, snap(g, [[50, 0]]), snap(g, [[50, 120]]), 119.0).nnz == 0
    assert coverage(g, snap(g, [[50, 0]]), snap(g, [[50, 120]]), 120.0)[0, 0] == pytest.approx(120.0)


def test_coverage_empty_inputs(path_graph):
    g = path_graph
    none = snap(g, np.zeros((0, 2)))
    some = snap(g, [[0, 0], [10, 0]])
    assert coverage(g, none, some, 100.0).shape == (0, 2)
    assert coverage(g, some, none, 100.0).shape == (2, 0)
    assert coverage(g, some, none, 100.0).nnz == 0


def test_square_with_diagonal():
    g = street_graph(edges_frame(SQUARE))
    corners = snap(g, [[0, 0], [100, 0], [100, 100], [0, 100]])
    d = distances_between(g, corners, corners)
    expected = [[0, 100, 150, 100], [100, 0, 100, 200], [150, 100, 0, 100], [100, 200, 100, 0]]
    np.testing.assert_allclose(d, expected, atol=2 * network.MIN_DISTANCE_M)
    mid = snap(g, [[50, 50]])  # middle of the diagonal: 75 m from corners 1 and 3
    np.testing.assert_allclose(
        distances_between(g, mid, snap(g, [[100, 0], [100, 50], [0, 0]])), [[175, 125, 75]], atol=1e-9
    )


# ---------------------------------------------------------------------------------------------------------
# distances_between
# ---------------------------------------------------------------------------------------------------------


def test_distances_between_dense_and_limited(path_graph):
    g = path_graph
    a, b = snap(g, [[50, 10], [150, 0]]), snap(g, [[250, -20], [50, 10]])
    # The same point 10 m off the street is 10 + 10 m from itself: both laterals count.
    np.testing.assert_allclose(distances_between(g, a, b), [[230, 20], [120, 110]], atol=1e-9)
    limited = distances_between(g, a, b, limit_m=115.0)
    assert np.isinf(limited[0, 0])
    assert limited[0, 1] == pytest.approx(20.0)
    assert np.isinf(limited[1, 0])
    assert limited[1, 1] == pytest.approx(110.0)


def test_distances_between_without_limit_includes_far_points(path_graph):
    # The network is 300 m long; a point 1000 m away from it is still reachable when no limit is given.
    g = path_graph
    d = distances_between(g, snap(g, [[0, 1000]]), snap(g, [[50, 10]]))
    assert d[0, 0] == pytest.approx(1000 + 50 + 10)


def _random_spots(g, area, seed: int, n_sources: int, n_targets: int):
    """The random generator, then sources and targets drawn uniformly over the area's bounds, snapped."""
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = area.boundary.bounds
    sources = snap(g, rng.uniform([minx, miny], [maxx, maxy], size=(n_sources, 2)))
    targets = snap(g, rng.uniform([minx, miny], [maxx, maxy], size=(n_targets, 2)))
    return rng, sources, targets


def test_coverage_batches_give_same_result(monkeypatch, helsinki):
    g = street_graph(helsinki.edges)
    _, sources, targets = _random_spots(g, helsinki, 11, 40, 120)
    reference = coverage(g, sources, targets, 600.0)
    monkeypatch.setattr(network, "BATCH_POINTS", 7)
    monkeypatch.setattr(network, "BATCH_SOURCES", 5)
    batched = coverage(g, sources, targets, 600.0)
    assert reference.nnz > 50
    assert (reference != batched).nnz == 0


# ---------------------------------------------------------------------------------------------------------
# Real network: Helsinki against an independent networkx computation
# ---------------------------------------------------------------------------------------------------------

CUTOFF_M = 800.0


class Independent:
    """The same distance definition built with networkx and shapely only."""

    def __init__(self, edges: gpd.GeoDataFrame):
        graph = nx.Graph()
        for a, b, length in zip(edges["u"], edges["v"], edges["length"], strict=True):
            if a == b:
                continue
            if graph.has_edge(a, b):
                graph[a][b]["length"] = min(graph[a][b]["length"], length)
            else:
                graph.add_edge(a, b, length=length)
        main = max(nx.connected_components(graph), key=len)
        self.graph = graph.subgraph(main).copy()
        keep = (edges["u"].isin(main) & edges["v"].isin(main) & (edges["u"] != edges["v"])).to_numpy()
        kept = edges[keep]
        self.lines = kept.geometry.to_numpy()
        self.u = kept["u"].to_numpy()
        self.v = kept["v"].to_numpy()
        self.length = kept["length"].to_numpy(dtype=float)
        self.tree = shapely.STRtree(self.lines)
        # A street stored once per direction is one segment: same end nodes, same course.
        wkb = shapely.to_wkb(shapely.normalize(self.lines))
        keys = zip(np.minimum(self.u, self.v), np.maximum(self.u, self.v), wkb, strict=True)
        self.segment = pd.factorize(pd.Series(list(keys)))[0]

    def snap(self, xy):
        points = shapely.points(xy)
        _, edge = self.tree.query_nearest(points, all_matches=False)
        lines = self.lines[edge]
        along = shapely.line_locate_point(lines, points)
        spot = shapely.line_interpolate_point(lines, along)
        return edge, along * self.length[edge] / shapely.length(lines), shapely.distance(points, spot)

    def along_from_lower_node(self, edge, along):
        """Position along the segment measured from its end with the smaller node id (direction-free)."""
        return np.where(self.u[edge] < self.v[edge], along, self.length[edge] - along)

    def ends(self, edge, along):
        return ((self.u[edge], along), (self.v[edge], self.length[edge] - along))

    def distances(self, sources, targets, cutoff):
        """Dict (source, target) -> distance for every pair within the cutoff."""
        s_edge, s_along, s_lat = self.snap(sources)
        t_edge, t_along, t_lat = self.snap(targets)
        s_key, t_key = self.along_from_lower_node(s_edge, s_along), self.along_from_lower_node(t_edge, t_along)
        out = {}
        for i in range(len(sources)):
            reach = [
                (nx.single_source_dijkstra_path_length(self.graph, node, cutoff=cutoff, weight="length"), offset)
                for node, offset in self.ends(s_edge[i], s_along[i])
            ]
            for j in range(len(targets)):
                same = self.segment[s_edge[i]] == self.segment[t_edge[j]]
                best = abs(s_key[i] - t_key[j]) if same else np.inf
                for dist, offset in reach:
                    for node, offset2 in self.ends(t_edge[j], t_along[j]):
                        if node in dist:
                            best = min(best, offset + dist[node] + offset2)
                total = best + s_lat[i] + t_lat[j]
                if total <= cutoff + 0.01:
                    out[(i, j)] = total
        return out


@pytest.fixture(scope="module")
def helsinki_independent(helsinki):
    return Independent(helsinki.edges)


def random_points_inside(polygon, count, rng):
    minx, miny, maxx, maxy = polygon.bounds
    found = np.zeros((0, 2))
    while len(found) < count:
        xy = rng.uniform([minx, miny], [maxx, maxy], size=(2 * count, 2))
        found = np.vstack([found, xy[shapely.contains_xy(polygon, xy[:, 0], xy[:, 1])]])
    return found[:count]


def test_helsinki_street_graph_matches_networkx(helsinki, helsinki_independent):
    g = street_graph(helsinki.edges)
    ref = helsinki_independent.graph
    assert g.size == ref.number_of_nodes()
    assert g.graph.nnz == 2 * ref.number_of_edges()
    assert set(g.node_ids.tolist()) == set(ref.nodes)
    assert g.size > 5000


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_helsinki_coverage_matches_networkx(helsinki, helsinki_independent, seed):
    rng = np.random.default_rng(seed)
    sources = random_points_inside(helsinki.boundary, 30, rng)
    targets = random_points_inside(helsinki.boundary, 200, rng)
    g = street_graph(helsinki.edges)
    matrix = coverage(g, snap(g, sources), snap(g, targets), CUTOFF_M).tocoo()
    got = {(int(r), int(c)): float(d) for r, c, d in zip(matrix.row, matrix.col, matrix.data, strict=True)}
    expected = helsinki_independent.distances(sources, targets, CUTOFF_M)
    borderline = {pair for pair, dist in expected.items() if abs(dist - CUTOFF_M) <= 0.01}
    sure = {pair for pair, dist in expected.items() if dist <= CUTOFF_M} - borderline
    assert len(sure) > 500
    assert sure <= set(got)
    assert set(got) <= sure | borderline
    errors = [abs(got[pair] - expected[pair]) for pair in got]
    assert max(errors) <= 0.01
    assert np.all(matrix.data <= CUTOFF_M)


def test_nanchang_coverage_matches_networkx(nanchang):
    # Straight arterial edges stored once per direction; ride cutoff.
    cutoff = 2000.0
    rng = np.random.default_rng(4)
    sources = random_points_inside(nanchang.boundary, 30, rng)
    targets = random_points_inside(nanchang.boundary, 400, rng)
    g = street_graph(nanchang.edges)
    assert g.size == 2067
    assert len(g.lines) == 3041
    matrix = coverage(g, snap(g, sources), snap(g, targets), cutoff).tocoo()
    got = {(int(r), int(c)): float(d) for r, c, d in zip(matrix.row, matrix.col, matrix.data, strict=True)}
    expected = Independent(nanchang.edges).distances(sources, targets, cutoff)
    borderline = {pair for pair, dist in expected.items() if abs(dist - cutoff) <= 0.01}
    sure = {pair for pair, dist in expected.items() if dist <= cutoff} - borderline
    assert len(sure) > 50
    assert sure <= set(got) <= sure | borderline
    assert max(abs(got[pair] - expected[pair]) for pair in got) <= 0.01


def test_helsinki_distances_between_agrees_with_coverage(helsinki):
    rng = np.random.default_rng(5)
    g = street_graph(helsinki.edges)
    a = snap(g, random_points_inside(helsinki.boundary, 8, rng))
    b = snap(g, random_points_inside(helsinki.boundary, 12, rng))
    dense = distances_between(g, a, b, limit_m=700.0)
    sparse = coverage(g, a, b, 700.0).toarray()
    np.testing.assert_array_equal(np.where(np.isinf(dense), 0.0, dense), sparse)
    full = distances_between(g, a, b)
    assert np.isfinite(full).all()
    finite = np.isfinite(dense)
    np.testing.assert_array_equal(full[finite], dense[finite])
    assert np.all(full[~finite] > 700.0)


# ---------------------------------------------------------------------------------------------------------
# Chunks and executors: the same matrix, entry for entry
# ---------------------------------------------------------------------------------------------------------


def _identical(a: sp.csr_array, b: sp.csr_array) -> bool:
    a, b = sp.csr_array(a), sp.csr_array(b)
    a.sort_indices()
    b.sort_indices()
    return (
        a.shape == b.shape
        and np.array_equal(a.indptr, b.indptr)
        and np.array_equal(a.indices, b.indices)
        and np.array_equal(a.data, b.data)
    )


def _unchunked(monkeypatch, g, sources, targets, cutoff):
    """One chunk, one tile: every search on the whole graph (the computation before chunks)."""
    with monkeypatch.context() as patch:
        patch.setattr(network, "TILE_CUTOFFS", 1e9)
        return coverage(g, sources, targets, cutoff, chunk_points=10**9)


@pytest.fixture(scope="module")
def grid_case(tmp_path_factory):
    """A generated 30 x 30 grid (bench/synthetic.py) with random sources and walking / riding targets."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    from synthetic import grid_area

    folder = tmp_path_factory.mktemp("grid")
    grid_area(folder, 30)
    return folder


def _grid_graph(folder):
    import osmnx as ox

    graph = ox.load_graphml(folder / "network.graphml")
    edges = ox.graph_to_gdfs(graph, nodes=False).reset_index().to_crs("EPSG:32650")
    return street_graph(edges)


def test_coverage_chunks_equal_one_chunk_on_helsinki(monkeypatch, helsinki):
    g = street_graph(helsinki.edges)
    rng, sources, targets = _random_spots(g, helsinki, 5, 300, 900)
    cutoff = rng.choice([300.0, 600.0], size=len(targets))
    reference = _unchunked(monkeypatch, g, sources, targets, cutoff)
    assert reference.nnz > 1000
    for tile, size in ((0.1, 13), (0.5, 50), (2.0, 7)):
        monkeypatch.setattr(network, "TILE_CUTOFFS", tile)
        assert _identical(coverage(g, sources, targets, cutoff, chunk_points=size), reference)


def test_coverage_chunks_equal_one_chunk_on_a_generated_grid(monkeypatch, grid_case):
    g = _grid_graph(grid_case)
    rng = np.random.default_rng(6)
    lo, hi = g.node_xy.min(axis=0), g.node_xy.max(axis=0)
    sources = snap(g, rng.uniform(lo, hi, size=(400, 2)))
    targets = snap(g, rng.uniform(lo, hi, size=(1500, 2)))
    cutoff = rng.choice([400.0, 800.0], size=len(targets))
    reference = _unchunked(monkeypatch, g, sources, targets, cutoff)
    assert reference.nnz > 5000
    monkeypatch.setattr(network, "TILE_CUTOFFS", 0.5)
    assert _identical(coverage(g, sources, targets, cutoff, chunk_points=17), reference)


@pytest.mark.parametrize("executor", [None, "thread"])
def test_coverage_pattern_without_metres_is_the_pattern_of_the_metres(helsinki, executor):
    """metres=False: 1.0 at exactly the pairs the metres are stored at, in chunks and from an executor."""
    from concurrent.futures import ThreadPoolExecutor

    g = street_graph(helsinki.edges)
    rng, sources, targets = _random_spots(g, helsinki, 12, 150, 500)
    cutoff = rng.choice([300.0, 600.0], size=len(targets))
    metres = coverage(g, sources, targets, cutoff, chunk_points=11)
    assert metres.nnz > 300
    pool = None if executor is None else ThreadPoolExecutor(2)
    try:
        pattern = coverage(g, sources, targets, cutoff, chunk_points=11, executor=pool, metres=False)
    finally:
        if pool is not None:
            pool.shutdown()
    assert pattern.dtype == np.float64
    assert np.array_equal(pattern.indptr, metres.indptr)
    assert np.array_equal(pattern.indices, metres.indices)
    assert np.all(pattern.data == 1.0)


def test_chunk_search_area_is_a_proven_bound_even_when_lengths_are_shorter_than_the_span():
    # A segment stored 10 m long spans 1000 m: the chunk's search area must grow with it (the target is 90 m away
    # along the network, 1080 m in a straight line), not assume that lengths are at least the straight spans.
    rows = [
        (0, 1, 50.0, [(-50, 0), (0, 0)]),
        (1, 2, 10.0, [(0, 0), (1000, 0)]),
        (2, 3, 30.0, [(1000, 0), (1030, 0)]),
    ]
    g = street_graph(edges_frame(rows))
    assert network._span_ratio(g) == pytest.approx(100.0)
    d = coverage(g, snap(g, [[-50, 0]]), snap(g, [[1030, 0], [1030, 70]]), 150.0, chunk_points=1).toarray()
    assert d[0, 0] == pytest.approx(90.0)
    assert d[0, 1] == 0  # 90 m along the network + 70 m off the street: beyond


@pytest.mark.parametrize("kind", ["thread", "process"])
def test_coverage_with_an_executor_equals_the_serial_path(monkeypatch, helsinki, kind):
    from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

    g = street_graph(helsinki.edges)
    rng, sources, targets = _random_spots(g, helsinki, 8, 200, 600)
    cutoff = rng.choice([300.0, 600.0], size=len(targets))
    serial = coverage(g, sources, targets, cutoff, chunk_points=20)
    assert serial.nnz > 500
    pool = ThreadPoolExecutor(2) if kind == "thread" else ProcessPoolExecutor(2)
    with pool:
        assert _identical(coverage(g, sources, targets, cutoff, executor=pool, chunk_points=20), serial)


def test_coverage_with_a_map_only_executor_equals_the_serial_path(helsinki):
    class MapOnly:
        def map(self, fn, iterable):
            return map(fn, iterable)

    g = street_graph(helsinki.edges)
    _, sources, targets = _random_spots(g, helsinki, 9, 60, 200)
    serial = coverage(g, sources, targets, 500.0, chunk_points=9)
    assert _identical(coverage(g, sources, targets, 500.0, executor=MapOnly(), chunk_points=9), serial)
