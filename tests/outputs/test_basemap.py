"""Tests of geoplan.basemap: the offline basemap layers (GeoJSON in WGS-84) drawn from the area's own OSM data."""

from __future__ import annotations

import dataclasses
import json

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geoplan import settings
from geoplan.errors import InputError
from geoplan.outputs.basemap import LAYERS, MIN_ZOOM, RawJSON, basemap_bounds, basemap_layer, street_classes

SOURCE = {"streets": "edges", "water": "water", "buildings": "buildings", "landuse": "landuse"}
PROPERTIES = {"streets": {"highway", "name"}, "water": {"kind"}, "buildings": {"name"}, "landuse": {"landuse"}}
MARGIN_DEG = 1e-5  # about 1 m: simplification and rounding may nudge a vertex past the hull of the nodes


@pytest.fixture(scope="module")
def layers(helsinki):
    """Every basemap layer of the default area at the default tolerance."""
    return {layer: basemap_layer(helsinki, layer) for layer in LAYERS}


def _geometries(collection: dict) -> np.ndarray:
    return shapely.from_geojson([json.dumps(feature["geometry"]) for feature in collection["features"]])


def _drawable(frame: gpd.GeoDataFrame) -> int:
    geometry = frame.geometry.to_numpy()
    return int((~shapely.is_missing(geometry) & ~shapely.is_empty(geometry) & shapely.is_valid(geometry)).sum())


def _back_to_area(collection: dict, area) -> np.ndarray:
    return gpd.GeoSeries(_geometries(collection), crs=settings.WGS84).to_crs(area.crs).to_numpy()


def test_layer_names_and_zooms():
    assert LAYERS == ("streets", "water", "buildings", "landuse")
    assert set(MIN_ZOOM) == set(LAYERS)
    assert MIN_ZOOM["streets"] == 0
    assert MIN_ZOOM["buildings"] > MIN_ZOOM["landuse"] > MIN_ZOOM["water"]


def test_bounds_are_south_west_north_east_around_helsinki(helsinki):
    (south, west), (north, east) = basemap_bounds(helsinki)
    assert all(isinstance(value, float) for value in (south, west, north, east))
    assert 60.1 < south < north < 60.3
    assert 24.8 < west < east < 25.0
    node_lon, node_lat = shapely.get_coordinates(helsinki.nodes.to_crs(settings.WGS84).geometry.to_numpy()).T
    assert south <= node_lat.min() + 1e-9
    assert north >= node_lat.max() - 1e-9
    assert west <= node_lon.min() + 1e-9
    assert east >= node_lon.max() - 1e-9


def test_streets_are_non_empty_lon_lat_and_inside_bounds(helsinki, layers):
    streets = layers["streets"]
    assert streets["type"] == "FeatureCollection"
    assert len(streets["features"]) > 1000
    (south, west), (north, east) = basemap_bounds(helsinki)
    xy = shapely.get_coordinates(_geometries(streets))
    lon, lat = xy[:, 0], xy[:, 1]
    assert np.all((lon > 24.8) & (lon < 25.0)), "longitude must come first (Helsinki is lon ~24.9)"
    assert np.all((lat > 60.1) & (lat < 60.3)), "latitude must come second (Helsinki is lat ~60.2)"
    assert lon.min() >= west - MARGIN_DEG
    assert lon.max() <= east + MARGIN_DEG
    assert lat.min() >= south - MARGIN_DEG
    assert lat.max() <= north + MARGIN_DEG
    assert set(shapely.get_type_id(_geometries(streets))) <= {1, 5}  # LineString, MultiLineString


@pytest.mark.parametrize("layer", LAYERS)
def test_one_feature_per_drawable_source_geometry(helsinki, layers, layer):
    frame = getattr(helsinki, SOURCE[layer])
    assert len(layers[layer]["features"]) == _drawable(frame)
    assert len(layers[layer]["features"]) > 0


@pytest.mark.parametrize("layer", LAYERS)
def test_only_drawing_properties(layers, layer):
    for feature in layers[layer]["features"]:
        assert feature["type"] == "Feature"
        assert set(feature["properties"]) == PROPERTIES[layer]
        assert all(value is None or isinstance(value, str) for value in feature["properties"].values())


def test_street_and_water_properties(helsinki, layers):
    streets = layers["streets"]["features"]
    assert all(isinstance(feature["properties"]["highway"], str) for feature in streets)
    names = [feature["properties"]["name"] for feature in streets]
    assert "Erottajankatu" in names
    assert None in names  # unnamed footways come out as null, not NaN or "nan"
    assert {feature["properties"]["kind"] for feature in layers["water"]["features"]} == {"water", "shallow"}
    landuse = {feature["properties"]["landuse"] for feature in layers["landuse"]["features"]}
    assert {"grass", "commercial", "residential"} <= landuse


@pytest.mark.parametrize("layer", LAYERS)
def test_coordinates_rounded_to_six_decimals(layers, layer):
    xy = shapely.get_coordinates(_geometries(layers[layer]))
    np.testing.assert_array_equal(xy, np.round(xy, 6))


def test_simplification_keeps_streets_within_tolerance(helsinki, layers):
    original = helsinki.edges.geometry.to_numpy()
    simplified = _back_to_area(layers["streets"], helsinki)
    assert len(simplified) == len(original)
    assert np.all(shapely.get_num_coordinates(simplified) <= shapely.get_num_coordinates(original))
    assert float(shapely.hausdorff_distance(simplified, original).max()) <= 1.5


def test_simplification_straightens_a_wiggly_street(helsinki):
    x, y = helsinki.boundary.centroid.coords[0]
    along = np.linspace(0.0, 200.0, 41)
    wiggle = 0.3 * np.sin(along)  # +-0.3 m sideways every 5 m: noise below the tolerance
    street = shapely.LineString(np.column_stack([x + along, y + wiggle]))
    edges = gpd.GeoDataFrame({"highway": ["residential"], "name": ["Wiggle"]}, geometry=[street], crs=helsinki.crs)
    area = dataclasses.replace(helsinki, edges=edges)
    kept = _back_to_area(basemap_layer(area, "streets", tolerance_m=1.0), area)
    assert shapely.get_num_coordinates(kept)[0] < 10
    assert float(shapely.hausdorff_distance(kept[0], street)) <= 1.1
    exact = _back_to_area(basemap_layer(area, "streets", tolerance_m=0.0), area)
    assert shapely.get_num_coordinates(exact)[0] == 41
    assert float(shapely.hausdorff_distance(exact[0], street)) < 0.1  # only the 6-decimal rounding


def test_coarser_tolerance_drops_vertices_but_stays_close(helsinki):
    fine = basemap_layer(helsinki, "landuse", tolerance_m=0.0)
    coarse = basemap_layer(helsinki, "landuse", tolerance_m=5.0)
    fine_count = shapely.get_num_coordinates(_geometries(fine))
    coarse_count = shapely.get_num_coordinates(_geometries(coarse))
    assert np.all(coarse_count <= fine_count)
    assert coarse_count.sum() < fine_count.sum()
    distance = shapely.hausdorff_distance(_back_to_area(coarse, helsinki), _back_to_area(fine, helsinki))
    assert float(distance.max()) <= 10.0  # GEOS also drops a ring's start vertex, which may overshoot 5 m a bit
    assert np.all(shapely.is_valid(_back_to_area(coarse, helsinki)))  # topology preserved: polygons stay polygons


def test_unknown_layer_names_the_valid_ones(helsinki):
    with pytest.raises(InputError, match="Unknown basemap layer 'roads'") as info:
        basemap_layer(helsinki, "roads")
    assert all(layer in str(info.value) for layer in LAYERS)


@pytest.mark.parametrize("tolerance", [-1.0, float("nan"), float("inf"), "1"])
def test_bad_tolerance_is_an_input_error(helsinki, tolerance):
    with pytest.raises(InputError, match="tolerance"):
        basemap_layer(helsinki, "water", tolerance_m=tolerance)


def test_chinese_street_name_survives(helsinki):
    edges = helsinki.edges.copy()
    edges.loc[edges.index[0], "name"] = "八一大道"
    area = dataclasses.replace(helsinki, edges=edges)
    streets = basemap_layer(area, "streets")
    assert streets["features"][0]["properties"]["name"] == "八一大道"
    assert "八一大道" in json.dumps(streets, ensure_ascii=False)
    assert json.loads(json.dumps(streets))["features"][0]["properties"]["name"] == "八一大道"


def test_empty_layer_is_an_empty_collection(helsinki):
    area = dataclasses.replace(
        helsinki, water=gpd.GeoDataFrame(geometry=[], crs=helsinki.crs), landuse=helsinki.landuse.iloc[:0]
    )
    assert basemap_layer(area, "water") == {"type": "FeatureCollection", "features": []}
    assert basemap_layer(area, "landuse") == {"type": "FeatureCollection", "features": []}


def test_empty_and_invalid_geometries_are_dropped(helsinki):
    x, y = helsinki.boundary.centroid.coords[0]
    square = shapely.box(x, y, x + 20, y + 20)
    bowtie = shapely.Polygon([(x, y), (x + 20, y + 20), (x + 20, y), (x, y + 20)])
    buildings = gpd.GeoDataFrame(
        {"name": ["Kept", "Bowtie", "Empty", "Missing"]},
        geometry=[square, bowtie, shapely.Polygon(), None],
        crs=helsinki.crs,
    )
    out = basemap_layer(dataclasses.replace(helsinki, buildings=buildings), "buildings")
    assert [feature["properties"] for feature in out["features"]] == [{"name": "Kept"}]


def test_missing_tags_fall_back(helsinki):
    x, y = helsinki.boundary.centroid.coords[0]
    line = shapely.LineString([(x, y), (x + 50, y)])
    edges = gpd.GeoDataFrame(geometry=[line], crs=helsinki.crs)  # no highway or name column at all
    water = gpd.GeoDataFrame({"waterway": ["riverbank"]}, geometry=[line.buffer(5)], crs=helsinki.crs)
    area = dataclasses.replace(helsinki, edges=edges, water=water)
    assert basemap_layer(area, "streets")["features"][0]["properties"] == {"highway": "road", "name": None}
    assert basemap_layer(area, "water")["features"][0]["properties"] == {"kind": "riverbank"}


def test_every_layer_is_json_serialisable_and_round_trips(layers):
    for layer in LAYERS:
        text = json.dumps(layers[layer], allow_nan=False)
        assert json.loads(text) == layers[layer]


# street_classes: one feature per street class, geometries kept as text


def test_street_classes_hold_exactly_the_streets_of_the_basemap_layer(helsinki, layers):
    classes = street_classes(helsinki)
    features = classes["features"]
    assert all(isinstance(feature["geometry"], RawJSON) for feature in features)
    by_class = {f["properties"]["highway"]: shapely.from_geojson(f["geometry"].text) for f in features}
    assert len(by_class) == len(features) > 3, "one feature per class"
    assert all(feature["properties"].keys() == {"highway"} for feature in features)
    counts = [shapely.get_num_geometries(by_class[f["properties"]["highway"]]) for f in features]
    assert counts == sorted(counts, reverse=True), "the most numerous class first"
    # the lines of the per-street layer of the same tolerance, vertex for vertex and class for class, each street
    # drawn in at least one of its directions, a two-way street's second direction left out
    expected: dict[str, set] = {}
    for feature in layers["streets"]["features"]:
        expected.setdefault(feature["properties"]["highway"], set()).add(
            tuple(tuple(xy) for xy in feature["geometry"]["coordinates"])
        )
    assert by_class.keys() == expected.keys()
    drawn = 0
    for highway, merged in by_class.items():
        got = {tuple(line.coords) for line in shapely.get_parts(merged)}
        drawn += shapely.get_num_geometries(merged)
        assert got <= expected[highway]
        assert all(line in got or line[::-1] in got for line in expected[highway])
    assert drawn < len(layers["streets"]["features"]), "Helsinki's two-way streets are drawn once"


def test_street_classes_of_an_area_without_streets_or_tags(helsinki):
    x, y = helsinki.boundary.centroid.coords[0]
    untagged = dataclasses.replace(helsinki, edges=gpd.GeoDataFrame(
        geometry=[shapely.LineString([(x, y), (x + 50, y)]), None], crs=helsinki.crs))  # fmt: skip
    (feature,) = street_classes(untagged)["features"]
    assert feature["properties"] == {"highway": "road"}
    empty = dataclasses.replace(helsinki, edges=helsinki.edges.iloc[:0])
    assert street_classes(empty) == {"type": "FeatureCollection", "features": []}
    with pytest.raises(InputError, match="tolerance"):
        street_classes(helsinki, tolerance_m=-1.0)
