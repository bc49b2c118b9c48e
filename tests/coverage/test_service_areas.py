"""Tests of geoplan.service_areas: isochrone polygons along the street network.

Small graphs are built by hand in EPSG:32650 (metres) so that every reach can be checked by eye; network distances
of the grid test come from networkx, independently of the scipy searches the module runs. The real Helsinki
extract checks that the areas are plausible.
"""

from __future__ import annotations

import math

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely

from geoplan.coverage.nearby import RIDE_M_PER_MIN, WALK_M_PER_MIN
from geoplan.coverage.network import street_graph
from geoplan.coverage.service_areas import DEFAULT_WIDTH_M, service_areas
from geoplan.errors import InputError

CRS = "EPSG:32650"


def edges_frame(rows) -> gpd.GeoDataFrame:
    """Edges from (u, v, [(x, y), ...]) rows; lengths are the geometric lengths."""
    lines = [shapely.LineString(r[2]) for r in rows]
    return gpd.GeoDataFrame(
        {
            "u": np.array([r[0] for r in rows], dtype=np.int64),
            "v": np.array([r[1] for r in rows], dtype=np.int64),
            "length": shapely.length(np.array(lines)),
        },
        geometry=lines,
        crs=CRS,
    )


# A long straight street 1 (0,0) -- 2 (5000,0), split at 3 (2500,0) by a side street to 4 (2500,400); and an
# island 10 (0,3000) -- 11 (200,3000) that is not connected to the rest.
STRAIGHT = [
    (1, 3, [(0, 0), (2500, 0)]),
    (3, 2, [(2500, 0), (5000, 0)]),
    (3, 4, [(2500, 0), (2500, 400)]),
    (10, 11, [(0, 3000), (200, 3000)]),
]


@pytest.fixture(scope="module")
def straight():
    return street_graph(edges_frame(STRAIGHT))


def grid_rows(n: int = 6, step: float = 100.0):
    """An n x n grid of junctions ``step`` metres apart, with one diagonal short-cut that bends."""
    node = {(i, j): i * n + j + 1 for i in range(n) for j in range(n)}
    rows = []
    for i in range(n):
        for j in range(n):
            if i + 1 < n:
                rows.append((node[i, j], node[i + 1, j], [(i * step, j * step), ((i + 1) * step, j * step)]))
            if j + 1 < n:
                rows.append((node[i, j], node[i, j + 1], [(i * step, j * step), (i * step, (j + 1) * step)]))
    rows.append((node[0, 0], node[2, 2], [(0, 0), (1.5 * step, 0.3 * step), (2 * step, 2 * step)]))
    return rows


# --- the method, on hand-made graphs -----------------------------------------------------------------------------


def test_columns_order_and_reach(straight):
    areas = service_areas(straight, CRS, [[1000, 0], [4000, 0]], minutes=15)
    assert list(areas.columns) == ["station", "mode", "minutes", "reach_m", "area_km2", "geometry"]
    assert areas.crs == CRS
    assert areas["station"].tolist() == [0, 0, 1, 1]
    assert areas["mode"].tolist() == ["walk", "ride", "walk", "ride"]
    assert areas["minutes"].tolist() == [15.0] * 4
    assert areas["reach_m"].tolist() == pytest.approx([1000.0, 3750.0, 1000.0, 3750.0])
    assert areas["area_km2"].to_numpy() == pytest.approx(shapely.area(areas.geometry.to_numpy()) / 1e6, rel=1e-4)
    assert all(geometry.is_valid and geometry.geom_type == "Polygon" for geometry in areas.geometry)


def test_reach_along_a_long_straight_street(straight):
    walk = service_areas(straight, CRS, [[1000, 0]], modes=("walk",)).geometry.iloc[0]
    reach = 15 * WALK_M_PER_MIN
    assert walk.contains(shapely.Point(1000, 0))
    for x in (1000 - reach + 1, 1000 + reach - 1, 0.5):
        assert walk.contains(shapely.Point(x, 0)), x
    # Just beyond reach along the street (past the buffer's rounded end) is outside.
    beyond = 1000 + reach + DEFAULT_WIDTH_M + 1
    assert not walk.contains(shapely.Point(beyond, 0))
    assert not walk.intersects(shapely.Point(2500, 0))
    # The band is width_m wide on either side of the street.
    assert walk.contains(shapely.Point(1500, DEFAULT_WIDTH_M - 1))
    assert not walk.contains(shapely.Point(1500, DEFAULT_WIDTH_M + 1))


def test_partial_segments_are_cut_by_the_metres_left(straight):
    """From (2000, 0) on foot: 500 m to junction 3, then 500 m left up the side street and along the main one."""
    walk = service_areas(straight, CRS, [[2000, 0]], modes=("walk",), width_m=5).geometry.iloc[0]
    assert walk.contains(shapely.Point(2500, 399))
    assert not walk.contains(shapely.Point(2500, 400 + 6))  # the side street ends at 400 m: nothing beyond it
    assert walk.contains(shapely.Point(2999, 0))
    assert not walk.contains(shapely.Point(3000 + 6, 0))
    assert walk.contains(shapely.Point(1001, 0))
    assert not walk.contains(shapely.Point(1000 - 6, 0))


def test_lateral_offset_uses_up_reach(straight):
    """A station 100 m off the street reaches 900 m along it on foot, and its link to the street is inside."""
    walk = service_areas(straight, CRS, [[1000, 100]], modes=("walk",), width_m=5).geometry.iloc[0]
    assert walk.contains(shapely.Point(1000, 100))
    assert walk.contains(shapely.Point(1000, 50))
    assert walk.contains(shapely.Point(1899, 0))
    assert not walk.contains(shapely.Point(1900 + 6, 0))


def test_every_reached_street_point_is_inside_on_a_grid():
    rows = grid_rows()
    graph = street_graph(edges_frame(rows))
    station = np.array([225.0, 170.0])  # on no street: 25 m east of the street x = 200
    minutes = 4.5  # 300 m on foot
    reach = minutes * WALK_M_PER_MIN
    polygon = service_areas(graph, CRS, [station], minutes=minutes, modes=("walk",)).geometry.iloc[0]
    # Independent distances: networkx over the junctions, then the station's own spot on x = 200.
    nxg = nx.Graph()
    for u, v, coords in rows:
        nxg.add_edge(u, v, weight=shapely.LineString(coords).length)
    own = next(r for r in rows if r[2] == [(200.0, 100.0), (200.0, 200.0)])
    lateral = 25.0
    to_u = nx.single_source_dijkstra_path_length(nxg, own[0], weight="weight")
    to_v = nx.single_source_dijkstra_path_length(nxg, own[1], weight="weight")

    def network_distance(point: shapely.Point) -> float:
        best = math.inf
        for u, v, coords in rows:
            line = shapely.LineString(coords)
            if line.distance(point) > 1e-6:
                continue
            along = line.project(point)
            if (u, v) == (own[0], own[1]):
                best = min(best, abs(along - 70.0))
            best = min(
                best,
                along + min(70.0 + to_u.get(u, math.inf), 30.0 + to_v.get(u, math.inf)),
                line.length - along + min(70.0 + to_u.get(v, math.inf), 30.0 + to_v.get(v, math.inf)),
            )
        return lateral + best

    checked = 0
    for _, _, coords in rows:
        line = shapely.LineString(coords)
        for t in np.arange(0.0, line.length + 1e-9, 5.0):
            point = line.interpolate(t)
            if network_distance(point) <= reach:
                assert polygon.buffer(1e-6).contains(point), (point, network_distance(point))
                checked += 1
    assert checked > 50
    # A junction farther than reach plus the band from every reached street is outside.
    assert not polygon.contains(shapely.Point(500, 500))


def test_ride_contains_walk():
    rows = grid_rows()
    graph = street_graph(edges_frame(rows))
    areas = service_areas(graph, CRS, [[225, 170], [0, 0], [500, 420]], minutes=3)
    for station in range(3):
        walk = areas[(areas.station == station) & (areas["mode"] == "walk")].geometry.iloc[0]
        ride = areas[(areas.station == station) & (areas["mode"] == "ride")].geometry.iloc[0]
        assert walk.difference(ride).area < 1e-2
        assert ride.area > walk.area
    assert RIDE_M_PER_MIN > WALK_M_PER_MIN


def test_station_by_a_disconnected_street(straight):
    """The island is not part of the graph: the station links to the nearest street of the main network."""
    areas = service_areas(straight, CRS, [[100, 3000]])
    walk, ride = areas.geometry.tolist()
    # 3000 m from the main network: on foot, nothing but the station's own spot.
    assert walk.contains(shapely.Point(100, 3000))
    assert walk.area == pytest.approx(math.pi * DEFAULT_WIDTH_M**2, rel=0.05)
    # Riding 3750 m: 3000 m to the street at (100, 0), then 750 m along it.
    assert ride.contains(shapely.Point(100, 3000))
    assert ride.contains(shapely.Point(100, 1500))
    assert ride.contains(shapely.Point(849, 0))
    assert not ride.contains(shapely.Point(850 + DEFAULT_WIDTH_M + 1, 0))


def test_no_stations_and_refusals(straight):
    empty = service_areas(straight, CRS, np.zeros((0, 2)))
    assert len(empty) == 0
    assert list(empty.columns) == ["station", "mode", "minutes", "reach_m", "area_km2", "geometry"]
    with pytest.raises(InputError, match="'fly'"):
        service_areas(straight, CRS, [[0, 0]], modes=("walk", "fly"))
    for minutes in (0, -1, math.inf, math.nan, True):
        with pytest.raises(InputError, match="minutes"):
            service_areas(straight, CRS, [[0, 0]], minutes=minutes)
    with pytest.raises(InputError, match="width_m"):
        service_areas(straight, CRS, [[0, 0]], width_m=0)
    with pytest.raises(InputError, match="finite"):
        service_areas(straight, CRS, [[np.nan, 0]])


# --- the real default area ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def helsinki_graph(helsinki):
    return street_graph(helsinki.edges)


def test_plausible_areas_on_helsinki(helsinki, helsinki_graph):
    graph = helsinki_graph
    rng = np.random.default_rng(7)
    centre = np.asarray(helsinki.boundary.centroid.coords[0])
    near = np.argsort(np.hypot(*(graph.node_xy - centre).T))[:200]
    stations = graph.node_xy[rng.choice(near, 5, replace=False)] + [3.0, 4.0]
    areas = service_areas(graph, helsinki.crs, stations)
    assert len(areas) == 10
    walk = areas[areas["mode"] == "walk"]
    ride = areas[areas["mode"] == "ride"]
    assert (walk["area_km2"] > 0.05).all()
    assert (walk["area_km2"] < math.pi * 1.0**2).all()
    assert (ride["area_km2"].to_numpy() > walk["area_km2"].to_numpy()).all()
    for (x, y), polygon in zip(stations, walk.geometry, strict=True):
        assert polygon.contains(shapely.Point(x, y))
        # Nothing farther than the reach (plus the link to the street and the band) as the crow flies.
        assert shapely.Point(x, y).buffer(1000 + DEFAULT_WIDTH_M + 10).contains(polygon)
