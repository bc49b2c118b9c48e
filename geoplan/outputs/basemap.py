"""Offline basemap: the study area's own OSM streets, water, buildings and land use as GeoJSON for the web map.

The review map must work with no internet, so it draws no tiles: it draws these vector layers (Leaflet renders
them on a canvas). Each layer is simplified in the area's projected CRS (metres), reprojected to WGS-84 and
rounded to 6 decimals (about 0.1 m), and carries only the properties the front end needs to style it.

Nothing is cached here: an area is loaded once per process, so the caller (the web layer) keeps the answers
it serves, keyed by area name, layer and tolerance.
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan import i18n, settings
from geoplan.data.areas import StudyArea
from geoplan.data.geometry import one_per_segment

__all__ = ["LAYERS", "MIN_ZOOM", "RawJSON", "basemap_bounds", "basemap_layer", "street_classes"]

#: Basemap layers, in drawing order (bottom first is the front end's choice).
LAYERS = ("streets", "water", "buildings", "landuse")

#: Zoom level from which the web map shows each layer (buildings and land use would clutter a city-wide view).
MIN_ZOOM = {"streets": 0, "water": 0, "landuse": 13, "buildings": 16}

#: Decimals kept in WGS-84 coordinates: 1e-6 degree is about 0.1 m.
COORDINATE_DECIMALS = 6

#: Value of ``highway`` for a street whose class is unknown (OSM's own tag for an unclassified road).
UNKNOWN_HIGHWAY = "road"

#: Tags that say what a water polygon is, most specific first; ``"water"`` when none is set.
WATER_KIND_TAGS = ("water", "waterway", "natural")


def basemap_layer(area: StudyArea, layer: str, tolerance_m: float = 1.0) -> dict:
    """Build one basemap layer of a study area as a GeoJSON FeatureCollection in WGS-84.

    Parameters
    ----------
    area : StudyArea
        The loaded study area (features in its projected CRS).
    layer : {"streets", "water", "buildings", "landuse"}
        Which layer to build (see :data:`LAYERS`).
    tolerance_m : float
        Simplification tolerance in metres (Douglas-Peucker, topology preserved so polygons stay valid), applied
        in the area's projected CRS before reprojection: no street moves more than ``tolerance_m``; a polygon
        outline may move a little more where its ring's start vertex is dropped too. 0 keeps every vertex.

    Returns
    -------
    dict
        A GeoJSON FeatureCollection (plain dicts, lists, str, float and None; ready for :func:`json.dumps`) with
        coordinates in longitude/latitude order, rounded to 6 decimals. Properties per layer: streets ``highway``
        (str) and ``name`` (str or None); water ``kind`` (str); buildings ``name`` (str or None); landuse
        ``landuse`` (str or None). Missing, empty and invalid geometries are dropped; an empty layer gives a
        collection with no features.

    Raises
    ------
    InputError
        ``layer`` is not one of :data:`LAYERS`, or ``tolerance_m`` is negative or not a number.
    """
    frame, rounded = _lonlat(area, layer, tolerance_m)
    if len(frame) == 0:
        return {"type": "FeatureCollection", "features": []}
    texts = shapely.to_geojson(rounded)
    features = [
        {"type": "Feature", "geometry": json.loads(text), "properties": props}
        for text, empty, props in zip(texts, shapely.is_empty(rounded), _LAYER_SOURCES[layer][1](frame), strict=True)
        if not empty
    ]
    return {"type": "FeatureCollection", "features": features}


@dataclass(frozen=True)
class RawJSON:
    """A JSON text to be written as it is where a value is expected (see :func:`street_classes`).

    Attributes
    ----------
    text : str
        Valid JSON.
    """

    text: str


def street_classes(area: StudyArea, tolerance_m: float = 1.0) -> dict:
    """Build the streets layer with one feature per street class, for a file that draws a whole city.

    Same simplification and coordinates as ``basemap_layer(area, "streets", tolerance_m)``, but a two-way street
    stored once per direction is drawn once (:func:`~geoplan.data.geometry.one_per_segment`; loops are kept), and
    the lines are merged into one MultiLineString per ``highway`` value whose GeoJSON is kept as text: a city of a
    million street segments gives a dozen features and no Python object per vertex (written out, a few times the
    file's size in memory instead of gigabytes).

    Parameters
    ----------
    area : StudyArea
        The loaded study area.
    tolerance_m : float
        Simplification tolerance in metres, as for :func:`basemap_layer`.

    Returns
    -------
    dict
        A GeoJSON FeatureCollection whose features have a :class:`RawJSON` geometry and the property ``highway``;
        the most numerous class first (minor streets under arterials when drawn in order).

    Raises
    ------
    InputError
        ``tolerance_m`` is negative or not a number.
    """
    frame, rounded = _lonlat(area, "streets", tolerance_m, _drawn_once(area.edges))
    highway = np.array([value or UNKNOWN_HIGHWAY for value in _column(frame, "highway")], dtype=object)
    lines = np.isin(shapely.get_type_id(rounded), (1, 2)) & ~shapely.is_empty(rounded)  # LineString, LinearRing
    highway, rounded = highway[lines], rounded[lines]
    classes, counts = np.unique(highway.astype(str), return_counts=True)
    features = []
    for value in classes[np.lexsort((classes, -counts))]:
        merged = shapely.multilinestrings(rounded[highway == value])
        features.append({"type": "Feature", "geometry": RawJSON(shapely.to_geojson(merged)),
                         "properties": {"highway": str(value)}})  # fmt: skip
    return {"type": "FeatureCollection", "features": features}


def _drawn_once(edges: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return the streets with one row per segment (one direction of a two-way street), loops kept."""
    if not {"u", "v", "length"} <= set(edges.columns) or len(edges) == 0:
        return edges
    kept = (edges["u"] == edges["v"]).to_numpy(copy=True)
    kept[one_per_segment(edges.reset_index(drop=True)).index.to_numpy()] = True
    return edges[kept]


def _lonlat(
    area: StudyArea, layer: str, tolerance_m: float, frame: gpd.GeoDataFrame | None = None
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Return a layer's drawable rows and their geometries: simplified in metres, in WGS-84, rounded.

    ``frame`` replaces the area's rows of the layer (a subset of them).
    """
    if layer not in _LAYER_SOURCES:
        raise i18n.input_error("basemap_layer_unknown", layer=layer, layers=", ".join(LAYERS))
    tolerance = float(tolerance_m) if isinstance(tolerance_m, numbers.Real) else math.nan
    if not math.isfinite(tolerance) or tolerance < 0:
        raise i18n.input_error("basemap_tolerance", value=tolerance_m)
    frame = getattr(area, _LAYER_SOURCES[layer][0]) if frame is None else frame
    geometry = np.asarray(frame.geometry.to_numpy(), dtype=object)
    keep = ~shapely.is_missing(geometry) & ~shapely.is_empty(geometry) & shapely.is_valid(geometry)
    frame, geometry = frame[keep], geometry[keep]
    if len(frame) == 0:
        return frame, geometry
    simplified = shapely.simplify(geometry, tolerance, preserve_topology=True)
    lonlat = gpd.GeoSeries(simplified, crs=area.crs).to_crs(settings.WGS84).to_numpy()
    return frame, shapely.transform(lonlat, lambda xy: np.round(xy, COORDINATE_DECIMALS))


def basemap_bounds(area: StudyArea) -> list[list[float]]:
    """Return the extent of a study area in WGS-84, in the order Leaflet's ``fitBounds`` takes.

    Parameters
    ----------
    area : StudyArea
        The loaded study area.

    Returns
    -------
    list of list of float
        ``[[south, west], [north, east]]`` of the area's boundary (latitude first), in degrees.
    """
    west, south, east, north = gpd.GeoSeries([area.boundary], crs=area.crs).to_crs(settings.WGS84).total_bounds
    return [[float(south), float(west)], [float(north), float(east)]]


def _text(value: object) -> str | None:
    """Return a tag value as a string, or None when it is missing or blank."""
    if isinstance(value, str):
        return value or None
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)


def _column(frame: gpd.GeoDataFrame, name: str) -> list[str | None]:
    """Return a column's values as strings or None; all None when the column is absent."""
    if name not in frame.columns:
        return [None] * len(frame)
    return [_text(value) for value in frame[name].to_numpy()]


def _street_properties(frame: gpd.GeoDataFrame) -> list[dict]:
    return [
        {"highway": highway or UNKNOWN_HIGHWAY, "name": name}
        for highway, name in zip(_column(frame, "highway"), _column(frame, "name"), strict=True)
    ]


def _water_properties(frame: gpd.GeoDataFrame) -> list[dict]:
    tags = zip(*(_column(frame, tag) for tag in WATER_KIND_TAGS), strict=True)
    return [{"kind": next((value for value in values if value), "water")} for values in tags]


def _building_properties(frame: gpd.GeoDataFrame) -> list[dict]:
    return [{"name": name} for name in _column(frame, "name")]


def _landuse_properties(frame: gpd.GeoDataFrame) -> list[dict]:
    return [{"landuse": landuse} for landuse in _column(frame, "landuse")]


# Per layer: the StudyArea attribute it is drawn from and the function giving each feature's properties.
_LAYER_SOURCES: dict[str, tuple[str, Callable[[gpd.GeoDataFrame], list[dict]]]] = {
    "streets": ("edges", _street_properties),
    "water": ("water", _water_properties),
    "buildings": ("buildings", _building_properties),
    "landuse": ("landuse", _landuse_properties),
}
