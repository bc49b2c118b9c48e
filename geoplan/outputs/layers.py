"""The review map's layers as WGS-84 GeoJSON: candidate sites, districts, and workers marked covered or not.

Each layer is drawn from a prepared model (and, for the workers, a set of stations evaluated on it by
:class:`geoplan.planning.workspace.Workspace`), so the map shows exactly what the figures count.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan import crs, settings
from geoplan.planning.prepare import PreparedModel
from geoplan.planning.sites import LONLAT_DIGITS, json_scalar
from geoplan.planning.workspace import Workspace

__all__ = [
    "DemandFeatures", "candidates_geojson", "demand_features", "demand_frame", "demand_geojson",
    "demand_geojson_text", "districts_geojson",
]

_DEMAND_DIGITS = 6  # ~10 cm: demand points are street samples and POIs


@dataclass(frozen=True, eq=False)
class DemandFeatures:
    """The workers map layer of a prepared model, one feature per location and group, ready to mark covered.

    Built once per prepared model (:func:`demand_features`); a set of stations only decides which features are
    covered (:meth:`covered`).

    Attributes
    ----------
    piece_feature : numpy.ndarray
        Feature of each demand piece of the siting model.
    weight : numpy.ndarray
        Workers of each feature (summed over shifts).
    frame : geopandas.GeoDataFrame
        ``group``, ``weight`` (2 decimals), ``district`` and WGS-84 point geometry of each feature.
    fragments : list of str
        Each feature as GeoJSON text up to its ``covered`` value.
    """

    piece_feature: np.ndarray
    weight: np.ndarray
    frame: gpd.GeoDataFrame
    fragments: list[str]

    def covered(self, columns: np.ndarray, prepared: PreparedModel) -> np.ndarray:
        """Which features are covered (at least half their workers) by stations covering ``columns``."""
        pieces = prepared.model.pieces
        hit_piece = np.asarray(columns, dtype=bool)[pieces["column"].to_numpy()]
        weight = pieces["weight"].to_numpy(dtype=float)
        hit = np.bincount(self.piece_feature, weights=np.where(hit_piece, weight, 0.0), minlength=len(self.weight))
        return (hit >= 0.5 * self.weight) & (hit > 0)


def demand_features(prepared: PreparedModel) -> DemandFeatures:
    """Build the workers layer of a prepared model (see :class:`DemandFeatures`)."""
    pieces = prepared.model.pieces
    key = pd.MultiIndex.from_arrays([pieces["location"].to_numpy(), pieces["group"].astype(str).to_numpy()])
    codes, uniques = pd.factorize(key, sort=True)
    weight = np.bincount(codes, weights=pieces["weight"].to_numpy(dtype=float), minlength=len(uniques))
    first = pd.Series(np.arange(len(pieces))).groupby(codes).first().to_numpy()
    location = pieces["location"].to_numpy()[first]
    lonlat = np.round(crs.to_wgs84(prepared.area.crs, prepared.points[location, :2]), _DEMAND_DIGITS)
    frame = gpd.GeoDataFrame(
        {
            "group": pieces["group"].astype(str).to_numpy()[first],
            "weight": np.round(weight, 2),
            "district": pieces["district"].astype(str).to_numpy()[first],
        },
        geometry=shapely.points(lonlat),
        crs=settings.WGS84,
    )
    dumps = functools.partial(json.dumps, ensure_ascii=False)
    fragments = [
        f'{{"type":"Feature","geometry":{{"type":"Point","coordinates":[{lon!r},{lat!r}]}},'
        f'"properties":{{"group":{dumps(group)},"weight":{w!r},"district":{dumps(district)},"covered":'
        for (lon, lat), group, w, district in zip(
            lonlat.tolist(), frame["group"], frame["weight"].tolist(), frame["district"], strict=True
        )
    ]
    return DemandFeatures(codes.astype(np.int64), weight, frame, fragments)


def demand_frame(workspace: Workspace, sites: Sequence[Mapping], features: DemandFeatures | None = None):
    """Workers per location and group (weights summed over shifts), in WGS-84, marked covered by the sites.

    Parameters
    ----------
    workspace : Workspace
    sites : sequence of dict
        Site dicts, as for :meth:`Workspace.evaluate`.
    features : DemandFeatures, optional
        The prepared model's layer, when already built.

    Returns
    -------
    geopandas.GeoDataFrame
        ``group``, ``weight`` (workers, 2 decimals), ``district``, ``covered`` (bool: at least half of the
        location's workers of that group are covered; all or none without opening hours), point geometry.
    """
    features = features or demand_features(workspace.prepared)
    covered = features.covered(workspace.covered_columns(sites), workspace.prepared)
    return features.frame.assign(covered=covered)


def demand_geojson_text(workspace: Workspace, sites: Sequence[Mapping], features: DemandFeatures | None = None) -> str:
    """Return :func:`demand_geojson` as JSON text, from the layer's prepared fragments (fast for big areas)."""
    features = features or demand_features(workspace.prepared)
    covered = features.covered(workspace.covered_columns(sites), workspace.prepared).tolist()
    body = ",".join(
        fragment + ("true}}" if hit else "false}}") for fragment, hit in zip(features.fragments, covered, strict=True)
    )
    return f'{{"type":"FeatureCollection","features":[{body}]}}'


def demand_geojson(workspace: Workspace, sites: Sequence[Mapping]) -> dict:
    """Return the workers marked covered or not by the sites, as a GeoJSON FeatureCollection (WGS-84).

    Returns
    -------
    dict
        Point features with properties ``group``, ``weight``, ``district`` and ``covered``
        (see :func:`demand_frame`).
    """
    return json.loads(demand_geojson_text(workspace, sites))


def candidates_geojson(prepared: PreparedModel) -> dict:
    """Return every candidate site as a GeoJSON FeatureCollection (WGS-84).

    Returns
    -------
    dict
        Point features with properties ``id``, ``district``, ``source``, ``kind``, ``name``.
    """
    index = prepared.index
    sites = prepared.candidates.sites
    columns = zip(index.ids, index.district, sites["source"], sites["kind"], sites["name"], strict=True)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]},
                "properties": {
                    "id": str(ident),
                    "district": json_scalar(district),
                    "source": str(source),
                    "kind": json_scalar(kind),
                    "name": json_scalar(name),
                },
            }
            for (lon, lat), (ident, district, source, kind, name) in zip(index.lonlat, columns, strict=True)
        ],
    }


def districts_geojson(prepared: PreparedModel) -> dict:
    """Return the district polygons as a GeoJSON FeatureCollection (WGS-84).

    Returns
    -------
    dict
        Polygon features with properties ``district`` (name), ``has_network`` (bool: holds streets) and ``label``
        (``[lon, lat]`` of a point inside the part of the district the study area covers, where a map writes its
        name: a district reaching far beyond the area would otherwise be labelled off the map).
    """
    districts = prepared.area.districts
    area_crs = prepared.area.crs
    polygons = districts.geometry.to_numpy()
    studied = shapely.intersection(polygons, prepared.area.boundary)
    inside = shapely.point_on_surface(np.where(shapely.is_empty(studied), polygons, studied))
    labels = np.round(crs.to_wgs84(area_crs, shapely.get_coordinates(inside)), LONLAT_DIGITS)
    geometries = shapely.transform(polygons, lambda xy: np.round(crs.to_wgs84(area_crs, xy), LONLAT_DIGITS))
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": json.loads(shapely.to_geojson(geometry)),
                "properties": {"district": str(name), "has_network": bool(has_network), "label": label.tolist()},
            }
            for name, has_network, geometry, label in zip(
                districts["district"], districts["has_network"], geometries, labels, strict=True
            )
        ],
    }
