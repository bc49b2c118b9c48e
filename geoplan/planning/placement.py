"""Where a dragged station may go: the nearest candidate spot with room for the footprint, or why there is none."""

from __future__ import annotations

import json
import math
from numbers import Real

import numpy as np
import shapely

from geoplan import crs, i18n
from geoplan.errors import PlacementError
from geoplan.planning.sites import LONLAT_DIGITS, SiteIndex, json_scalar, to_area_xy

__all__ = ["place"]


def place(prepared, lon: float, lat: float, max_move_m: float = 150.0) -> dict:
    """Find the candidate spot nearest to where a planner dragged a station.

    Only spots where a station's footprint is known to fit count: candidates of source roadside, host or user.

    Parameters
    ----------
    prepared : geoplan.planning.prepare.PreparedModel
    lon, lat : float
        WGS-84 position the station was dragged to.
    max_move_m : float
        How far (straight line, metres) the station may be moved to a candidate spot.

    Returns
    -------
    dict
        ``candidate_id``, ``lon``, ``lat``, ``district``, ``distance_m`` (from the dragged position),
        ``footprint`` (GeoJSON polygon in WGS-84, roadside sites only, else None), ``source``, ``kind``,
        ``name``.

    Raises
    ------
    PlacementError
        No candidate spot within ``max_move_m``; the message says why (the reason the nearest refused spot
        was refused, or that no street lies within reach).
    InputError
        ``lon``/``lat`` not finite or outside the area, or a bad ``max_move_m``.
    """
    if isinstance(max_move_m, bool) or not isinstance(max_move_m, Real) or not 0 < max_move_m < math.inf:
        raise i18n.input_error("max_move_not_positive", value=max_move_m)
    xy = to_area_xy(prepared.area, lon, lat, "place")
    index: SiteIndex = prepared.index
    if index.place_tree is not None:
        distance, k = index.place_tree.query(xy, distance_upper_bound=float(max_move_m))
        if math.isfinite(distance):
            return _placed(prepared, int(index.place_rows[k]), float(distance))
    raise _why_not_here(prepared, xy, float(max_move_m))


def _placed(prepared, row: int, distance: float) -> dict:
    index: SiteIndex = prepared.index
    sites = prepared.candidates.sites
    footprint = sites["footprint"].iloc[row]
    has_footprint = isinstance(footprint, shapely.Geometry) and not footprint.is_empty
    return {
        "candidate_id": str(index.ids[row]),
        "lon": float(index.lonlat[row, 0]),
        "lat": float(index.lonlat[row, 1]),
        "district": str(index.district[row]),
        "distance_m": round(distance, 1),
        "footprint": _geometry_json(prepared, footprint) if has_footprint else None,
        "source": str(sites["source"].iloc[row]),
        "kind": json_scalar(sites["kind"].iloc[row]),
        "name": json_scalar(sites["name"].iloc[row]),
    }


def _why_not_here(prepared, xy: np.ndarray, reach: float) -> PlacementError:
    """Return the coded refusal saying why no candidate spot lies within ``reach`` metres of ``xy``."""
    index: SiteIndex = prepared.index
    tail = {"tail": ""}
    if index.place_tree is not None:
        nearest = f"{float(index.place_tree.query(xy)[0]):.0f}"
        tail = {f"tail{suffix}": i18n.text("error", "placement_nearest", lang, distance=nearest)
                for lang, suffix in (("en", ""), ("zh", "_zh"))}  # fmt: skip
    if index.refused_tree is not None:
        distance, k = index.refused_tree.query(xy, distance_upper_bound=reach)
        if math.isfinite(distance):
            return _explain(index, int(k), prepared.params.candidate_rules.min_area_m2, tail)
    street = int(index.street_tree.nearest(shapely.Point(xy)))
    gap = float(shapely.distance(index.street_tree.geometries[street], shapely.Point(xy)))
    if gap > reach:
        return i18n.coded_error(PlacementError, "placement_no_street", reach=f"{reach:g}", **tail)
    return i18n.coded_error(PlacementError, "placement_no_spot", reach=f"{reach:g}",
                            street_class=str(index.street_class[street]), gap=f"{gap:.0f}", **tail)  # fmt: skip


def _explain(index: SiteIndex, k: int, min_area_m2: float, tail: dict[str, str]) -> PlacementError:
    """Return the refusal of a spot near refused spot ``k``: what its footprint would overlap, else its reason."""
    sides = list(dict.fromkeys(str(index.refused_code[k]).split("/")))
    if all(side.startswith("overlaps_") for side in sides):
        where = {}
        for lang, suffix in (("en", ""), ("zh", "_zh")):
            things = [i18n.text("overlap", side, lang) for side in sides]
            where[f"where{suffix}"] = things[0] if len(things) == 1 else i18n.text(
                "error", "placement_two_sides", lang, one=things[0], other=things[1])
        return i18n.coded_error(PlacementError, "placement_no_room", min_area=f"{min_area_m2:g}", **where, **tail)
    return i18n.coded_error(PlacementError, "placement_refused", reason=str(index.refused_reason[k]),
                            reason_zh=str(index.refused_reason_zh[k]), **tail)  # fmt: skip


def _geometry_json(prepared, geometry: shapely.Geometry) -> dict:
    area_crs = prepared.area.crs
    moved = shapely.transform(geometry, lambda xy: np.round(crs.to_wgs84(area_crs, xy), LONLAT_DIGITS))
    return json.loads(shapely.to_geojson(moved))
