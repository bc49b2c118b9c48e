"""The review map's layers as WGS-84 GeoJSON: candidate sites, districts, and workers marked covered or not.

Each layer is drawn from a prepared model (and, for the workers, a set of stations evaluated on it by
:class:`geoplan.planning.workspace.Workspace`), so the map shows exactly what the figures count.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan import crs, settings
from geoplan.planning.prepare import PreparedModel
from geoplan.planning.sites import LONLAT_DIGITS, json_scalar
from geoplan.planning.workspace import Workspace

__all__ = ["candidates_geojson", "demand_frame", "demand_geojson", "districts_geojson"]

_DEMAND_DIGITS = 6  # ~10 cm: demand points are street samples and POIs


def demand_frame(workspace: Workspace, sites: Sequence[Mapping]) -> gpd.GeoDataFrame:
    """Workers per location and group (weights summed over shifts), in WGS-84, marked covered by the sites.

    Parameters
    ----------
    workspace : Workspace
    sites : sequence of dict
        Site dicts, as for :meth:`Workspace.evaluate`.

    Returns
    -------
    geopandas.GeoDataFrame
        ``group``, ``weight`` (workers, 2 decimals), ``district``, ``covered`` (bool: at least half of the
        location's workers of that group are covered; all or none without opening hours), point geometry.
    """
    prepared = workspace.prepared
    pieces = prepared.model.pieces
    covered = workspace.covered_columns(sites)[pieces["column"].to_numpy()]
    weight = pieces["weight"].to_numpy(dtype=float)
    table = pd.DataFrame({
        "location": pieces["location"].to_numpy(),
        "group": pieces["group"].astype(str).to_numpy(),
        "district": pieces["district"].astype(str).to_numpy(),
        "weight": weight,
        "hit": np.where(covered, weight, 0.0),
    })  # fmt: skip
    merged = table.groupby(["location", "group"], sort=True).agg(
        weight=("weight", "sum"), hit=("hit", "sum"), district=("district", "first")
    ).reset_index()
    lonlat = np.round(crs.to_wgs84(prepared.area.crs, prepared.points[merged["location"].to_numpy(), :2]),
                      _DEMAND_DIGITS)  # fmt: skip
    return gpd.GeoDataFrame(
        {
            "group": merged["group"].to_numpy(),
            "weight": np.round(merged["weight"].to_numpy(), 2),
            "district": merged["district"].to_numpy(),
            "covered": (merged["hit"] >= 0.5 * merged["weight"]).to_numpy() & (merged["hit"] > 0).to_numpy(),
        },
        geometry=shapely.points(lonlat),
        crs=settings.WGS84,
    )


def demand_geojson(workspace: Workspace, sites: Sequence[Mapping]) -> dict:
    """Return :func:`demand_frame` as a GeoJSON FeatureCollection (WGS-84).

    Returns
    -------
    dict
        Point features with properties ``group``, ``weight``, ``district`` and ``covered``.
    """
    frame = demand_frame(workspace, sites)
    xy = shapely.get_coordinates(frame.geometry.to_numpy()).tolist()
    columns = zip(frame["group"], frame["weight"].tolist(), frame["district"], frame["covered"].tolist(), strict=True)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {"group": str(group), "weight": weight, "district": str(district), "covered": hit},
            }
            for (lon, lat), (group, weight, district, hit) in zip(xy, columns, strict=True)
        ],
    }


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
        Polygon features with properties ``district`` (name) and ``has_network`` (bool: holds streets).
    """
    districts = prepared.area.districts
    area_crs = prepared.area.crs
    geometries = shapely.transform(
        districts.geometry.to_numpy(), lambda xy: np.round(crs.to_wgs84(area_crs, xy), LONLAT_DIGITS)
    )
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": json.loads(shapely.to_geojson(geometry)),
                "properties": {"district": str(name), "has_network": bool(has_network)},
            }
            for name, has_network, geometry in zip(
                districts["district"], districts["has_network"], geometries, strict=True
            )
        ],
    }
