"""A scenario's sites read against a prepared model: which rows of the siting model they are, what else they cover.

Sites travel as plain dicts, which is what the database stores and the review map sends::

    {"status": "proposed" | "accepted" | "rejected" | "existing", "candidate_id": str | None,
     "lon": float, "lat": float, "city_level": bool, "name": str | None,
     "hours": str | None, "phase": 1 | 2 | None, "capacity": int | None}

Proposed, accepted and rejected sites refer to a candidate of the prepared model by ``candidate_id``; existing
stations may have none and stand anywhere, and their coverage is computed along the network when they are read.
With opening hours modelled, a station counts for a shift only when its ``hours`` are open long enough during it
(no hours: the first option). Rejected sites count as no station. An accepted or existing station may declare its
``capacity`` (people at once, a positive whole number; :func:`geoplan.inputs.candidates.capacity_value`): capacitated
figures and solves then give it exactly that capacity, in one size. Coordinates are WGS-84 at the edges, the area's
UTM zone inside.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Real

import geopandas as gpd
import numpy as np
import scipy.sparse as sp
import shapely
from scipy.spatial import cKDTree

from geoplan import crs, i18n
from geoplan.coverage import network
from geoplan.data.areas import StudyArea
from geoplan.errors import InputError
from geoplan.inputs.candidates import CandidateSet, capacity_value
from geoplan.planning.model import SitingModel
from geoplan.vocabulary import KEPT_STATUSES, PLACEABLE_SOURCES, SITE_STATUSES

__all__ = [
    "EXTENT_MARGIN_M",
    "Reading",
    "SiteIndex",
    "build_index",
    "check_stations_in_area",
    "json_scalar",
    "read_sites",
    "to_area_xy",
]

#: How far outside the area's street network (its convex hull) a lon/lat may lie and still be accepted, metres.
EXTENT_MARGIN_M = 1000.0

LONLAT_DIGITS = 7  # ~1 cm


@dataclass(frozen=True, eq=False)
class SiteIndex:
    """Look-ups over a prepared model's candidate sites, built once with it.

    Attributes
    ----------
    ids, district : numpy.ndarray
        Candidate id and district of each site.
    row_of : dict of str to int
        Site index of each candidate id.
    xy, lonlat : numpy.ndarray
        Positions in the area's CRS and in WGS-84 (7 decimals).
    site_tree : scipy.spatial.cKDTree or None
        Over ``xy`` (spacing to existing stations).
    place_rows : numpy.ndarray
        Sites a dragged station may land on (:data:`geoplan.vocabulary.PLACEABLE_SOURCES`).
    place_tree, refused_tree : scipy.spatial.cKDTree or None
        Over the placeable sites and over the refused spots.
    refused_code, refused_reason, refused_reason_zh : numpy.ndarray
        Why each refused spot was refused: its ``reason_code``, in English and in Chinese.
    street_tree : shapely.STRtree
        Over the area's street edges; ``street_class`` their OSM highway class.
    planned_names : numpy.ndarray
        Districts that hold streets; ``planned_tree`` over their polygons.
    """

    ids: np.ndarray
    district: np.ndarray
    row_of: dict
    xy: np.ndarray
    lonlat: np.ndarray
    site_tree: cKDTree | None
    place_rows: np.ndarray
    place_tree: cKDTree | None
    refused_code: np.ndarray
    refused_reason: np.ndarray
    refused_reason_zh: np.ndarray
    refused_tree: cKDTree | None
    street_tree: shapely.STRtree
    street_class: np.ndarray
    planned_names: np.ndarray
    planned_tree: shapely.STRtree


def build_index(area: StudyArea, candidates: CandidateSet) -> SiteIndex:
    """Build the look-ups of a prepared model's sites."""
    sites = candidates.sites
    ids = sites["id"].astype(str).to_numpy(dtype=object)
    xy = shapely.get_coordinates(sites.geometry.to_numpy())
    placeable = np.flatnonzero(sites["source"].isin(PLACEABLE_SOURCES).to_numpy())
    refused_xy = shapely.get_coordinates(candidates.refused.geometry.to_numpy())
    planned = area.districts[area.districts["has_network"]]
    if len(planned) == 0:
        planned = area.districts
    return SiteIndex(
        ids=ids,
        district=sites["district"].astype(str).to_numpy(dtype=object),
        row_of={ident: row for row, ident in enumerate(ids)},
        xy=xy,
        lonlat=np.round(crs.to_wgs84(area.crs, xy), LONLAT_DIGITS),
        site_tree=cKDTree(xy) if len(xy) else None,
        place_rows=placeable,
        place_tree=cKDTree(xy[placeable]) if len(placeable) else None,
        refused_code=candidates.refused["reason_code"].astype(str).to_numpy(dtype=object),
        refused_reason=candidates.refused["reason"].astype(str).to_numpy(dtype=object),
        refused_reason_zh=candidates.refused["reason_zh"].astype(str).to_numpy(dtype=object),
        refused_tree=cKDTree(refused_xy) if len(refused_xy) else None,
        street_tree=shapely.STRtree(area.edges.geometry.to_numpy()),
        street_class=area.edges["highway"].astype(str).to_numpy(dtype=object),
        planned_names=planned["district"].astype(str).to_numpy(dtype=object),
        planned_tree=shapely.STRtree(planned.geometry.to_numpy()),
    )


@dataclass(frozen=True, eq=False)
class Reading:
    """A list of site dicts read against a prepared model.

    Attributes
    ----------
    rows : numpy.ndarray
        Model rows of the counted stations that are rows of the siting model.
    extra : scipy.sparse.csr_array
        Columns covered by the counted stations that are no model row (existing stations anywhere; stations whose
        opening hours are none of the options), one row each.
    extra_must : scipy.sparse.csr_array or None
        Their maximum-gap rows.
    extra_xy : numpy.ndarray
        (k, 2) their positions in the area's CRS.
    extra_district : numpy.ndarray
        Their districts.
    extra_site : numpy.ndarray
        Their candidate site, or -1 off the candidate set.
    extra_kept, extra_city, extra_phase2 : numpy.ndarray
        Which of them are kept (accepted or existing), city-level, kept for phase 2.
    extra_hours : list of str or None
        Their opening hours.
    extra_people : numpy.ndarray
        People at once each of them declares (kept stations' ``capacity``), NaN where none.
    row_people : dict of int to int
        People at once declared by the kept stations that are model rows, by model row.
    fixed_rows, city_rows, phase2_rows : numpy.ndarray
        Model rows kept (accepted and existing), those city-level, those of phase 2.
    proposed_rows : numpy.ndarray
        Model rows of the proposals.
    rejected_sites : numpy.ndarray
        Candidate sites rejected.
    station_districts : list of str
        District of every counted station.
    kept : list of dict
        The accepted, existing and rejected dicts as sent (copies, same order).
    """

    rows: np.ndarray
    extra: sp.csr_array
    extra_must: sp.csr_array | None
    extra_xy: np.ndarray
    extra_district: np.ndarray
    extra_site: np.ndarray
    extra_kept: np.ndarray
    extra_city: np.ndarray
    extra_phase2: np.ndarray
    extra_hours: list[str | None]
    extra_people: np.ndarray
    row_people: dict
    fixed_rows: np.ndarray
    city_rows: np.ndarray
    phase2_rows: np.ndarray
    proposed_rows: np.ndarray
    rejected_sites: np.ndarray
    station_districts: list[str]
    kept: list[dict]


def read_sites(prepared, sites: Sequence[Mapping]) -> Reading:
    """Read site dicts against a prepared model (see the module docstring for the dicts).

    Parameters
    ----------
    prepared : geoplan.planning.prepare.PreparedModel
    sites : sequence of dict

    Returns
    -------
    Reading

    Raises
    ------
    InputError
        Not a list of dicts, an unknown status or candidate id, a site both rejected and kept, an existing station
        outside the area, unreadable opening hours, a capacity that is no positive whole number.
    """
    if isinstance(sites, Mapping | str | bytes) or not isinstance(sites, Sequence):
        raise i18n.input_error("sites_not_list", **i18n.shown(sites))
    model: SitingModel = prepared.model
    index: SiteIndex = prepared.index
    rows = {status: [] for status in SITE_STATUSES}
    city, phase2, kept, off, districts, people = [], [], [], [], [], {}
    for number, site in enumerate(sites):
        status, site_index = _status_and_site(prepared, number, site)
        if status != "proposed":
            kept.append(dict(site))
        if status == "rejected":
            rows["rejected"].append(site_index)
            continue
        hours = _hours(site, number)
        row = None if site_index is None else model.row_of(site_index, hours)
        if row is None:  # off the candidate set, or hours that are none of the options
            off.append((number, site, status, site_index, hours))
            continue
        rows[status].append(row)
        districts.append(str(index.district[site_index]))
        if status in KEPT_STATUSES:
            declared = _declared(site, number)
            if declared is not None:
                people[row] = declared
            if site.get("city_level"):
                city.append(row)
            if site.get("phase") == 2:
                phase2.append(row)
    extra = _extra(prepared, off)
    fixed = np.unique(np.asarray(rows["accepted"] + rows["existing"], dtype=np.int64))
    proposed = np.setdiff1d(np.asarray(rows["proposed"], dtype=np.int64), fixed)
    rejected = np.unique(np.asarray(rows["rejected"], dtype=np.int64))
    used = np.concatenate([model.row_site[np.union1d(fixed, proposed)], extra["site"][extra["site"] >= 0]])
    both = np.intersect1d(rejected, used)
    if len(both):
        ids = ", ".join(index.ids[both][:5])
        raise i18n.input_error("sites_rejected_and_kept", ids=ids, ids_zh=ids.replace(", ", "、"))
    return Reading(
        rows=np.union1d(fixed, proposed),
        extra=extra["matrix"],
        extra_must=extra["must"],
        extra_xy=extra["xy"],
        extra_district=extra["district"],
        extra_site=extra["site"],
        extra_kept=extra["kept"],
        extra_city=extra["city"],
        extra_phase2=extra["phase2"],
        extra_hours=extra["hours"],
        extra_people=extra["people"],
        row_people=people,
        fixed_rows=fixed,
        city_rows=np.unique(np.asarray(city, dtype=np.int64)),
        phase2_rows=np.unique(np.asarray(phase2, dtype=np.int64)),
        proposed_rows=proposed,
        rejected_sites=rejected,
        station_districts=districts + extra["district"].tolist(),
        kept=kept,
    )


#: The Chinese name of the positions :func:`to_area_xy` is asked about by other modules, for messages.
_WHAT_ZH = {"place": "所选位置"}

#: Names of the coordinates in messages, by language.
_DEGREE_NAMES = {"lon": "经度", "lat": "纬度"}


def to_area_xy(area: StudyArea, lon: object, lat: object, what: str, what_zh: str | None = None) -> np.ndarray:
    """Area-CRS position of a WGS-84 lon/lat, refusing non-numbers and positions outside the area.

    Parameters
    ----------
    area : StudyArea
    lon, lat : float
        WGS-84 degrees.
    what : str
        What the position is, for messages ("Site 3 (existing station)", "place").
    what_zh : str, optional
        The same in Chinese (default: a known name such as "place" -> 所选位置, else ``what``).

    Returns
    -------
    numpy.ndarray
        (2,) x, y in the area's CRS.

    Raises
    ------
    InputError
        Coded (rendered in Chinese or English): not finite degrees (``position_not_number``), not a longitude/latitude
        pair (``position_not_lonlat``, or ``position_lonlat_swapped`` when the swapped pair would be one), or
        farther than :data:`EXTENT_MARGIN_M` outside the area's street network (``position_outside_area``, or
        ``position_outside_area_swapped`` when the swapped pair lies inside).
    """
    names = {"what": what, "what_zh": what_zh or _WHAT_ZH.get(what, what)}
    for name, value in (("lon", lon), ("lat", lat)):
        if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
            raise i18n.input_error("position_not_number", **names, name=name, name_zh=_DEGREE_NAMES[name],
                                   value=repr(value))  # fmt: skip
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        swapped = -180.0 <= lat <= 180.0 and -90.0 <= lon <= 90.0
        code = "position_lonlat_swapped" if swapped else "position_not_lonlat"
        raise i18n.input_error(code, **names, lon=lon, lat=lat)
    xy = crs.from_wgs84(area.crs, [[float(lon), float(lat)]])[0]
    outside = float(_outside_m(area, xy[None, :])[0])
    if not outside <= EXTENT_MARGIN_M:
        code = "position_outside_area_swapped" if _inside(area, lat, lon) else "position_outside_area"
        raise i18n.input_error(code, **names, lon=f"{float(lon):.6f}", lat=f"{float(lat):.6f}",
                               km=f"{outside / 1000:.1f}", area=area.spec.name,
                               area_zh=area.spec.title_zh or area.spec.name)  # fmt: skip
    return xy


def _inside(area: StudyArea, lon: float, lat: float) -> bool:
    """Whether a WGS-84 lon/lat (any numbers) lies within :data:`EXTENT_MARGIN_M` of the area's network."""
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        return False
    xy = crs.from_wgs84(area.crs, [[float(lon), float(lat)]])
    return bool(_outside_m(area, xy)[0] <= EXTENT_MARGIN_M)


def check_stations_in_area(area: StudyArea, stations: gpd.GeoDataFrame, shown: str) -> None:
    """Refuse existing stations that lie outside the area: farther than :data:`EXTENT_MARGIN_M` from its network.

    The one check of where an existing station a planner brings may stand: ``geoplan plan --existing`` and the
    review map's import both call it, so what one refuses the other refuses, with the same message.

    Parameters
    ----------
    area : StudyArea
    stations : geopandas.GeoDataFrame
        Points, as :func:`geoplan.inputs.candidates.read_stations` and ``read_sites`` return them; their
        ``csv_line`` column, when there is one, names a station by its line in the file, else by its position
        (feature N).
    shown : str
        The file's name in messages.

    Raises
    ------
    InputError
        Code ``station_outside_area``: the first station too far out, where it is in the file and how far out.
    """
    xy = shapely.get_coordinates(stations.to_crs(area.crs).geometry.to_numpy())
    far = np.flatnonzero(~(_outside_m(area, xy) <= EXTENT_MARGIN_M))
    if not len(far):
        return
    first = int(far[0])
    lon, lat = (round(float(v), 6) for v in crs.to_wgs84(area.crs, xy[first : first + 1])[0])
    km = round(float(_outside_m(area, xy[first : first + 1])[0]) / 1000, 1)
    if "csv_line" in stations.columns:
        line = int(stations["csv_line"].iloc[first])
        where, where_zh = f"line {line}", f"第 {line} 行"
    else:
        where, where_zh = f"feature {first + 1}", f"第 {first + 1} 个要素"
    params = {"file": shown, "where": where, "where_zh": where_zh, "lon": lon, "lat": lat, "km": km,
              "area": area.spec.name}  # fmt: skip
    raise InputError(i18n.text("error", "station_outside_area", "en", **params), code="station_outside_area", **params)


def _outside_m(area: StudyArea, xy: np.ndarray) -> np.ndarray:
    """Distance (m) of area-CRS positions outside the area's street network (its convex hull); 0 inside."""
    return np.asarray(shapely.distance(area.boundary, shapely.points(np.asarray(xy, dtype=float))), dtype=float)


def json_scalar(value: object) -> object:
    """JSON-ready scalar: None for missing values (None, NaN), Python types for numpy ones."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _status_and_site(prepared, number: int, site: Mapping) -> tuple[str, int | None]:
    """Status and candidate site of a site dict (site None: an existing station off the candidate set)."""
    if not isinstance(site, Mapping):
        raise i18n.input_error("site_not_object", number=number, **i18n.shown(site))
    status = site.get("status")
    if status not in SITE_STATUSES:
        raise i18n.input_error("site_bad_status", number=number, status=status, **_statuses())
    ident = site.get("candidate_id")
    if ident is None:
        if status != "existing":
            raise i18n.input_error("site_needs_candidate", number=number, status=status,
                                   status_zh=i18n.text("ui", status, "zh"))  # fmt: skip
        return status, None
    row = prepared.index.row_of.get(str(ident))
    if row is None:
        spec = prepared.area.spec
        raise i18n.input_error("site_unknown_candidate", number=number, ident=ident, area=spec.name,
                               area_zh=spec.title_zh or spec.name)  # fmt: skip
    return status, row


def _statuses() -> dict[str, str]:
    """Return the site statuses for messages: their codes in English, their names (and codes) in Chinese."""
    return {"statuses": ", ".join(SITE_STATUSES),
            "statuses_zh": "、".join(f"{i18n.text('ui', s, 'zh')}（{s}）" for s in SITE_STATUSES)}  # fmt: skip


def _hours(site: Mapping, number: int) -> str | None:
    hours = site.get("hours")
    if hours is None or (isinstance(hours, str) and not hours.strip()):
        return None
    if not isinstance(hours, str):
        raise i18n.input_error("site_hours_not_text", number=number, **i18n.shown(hours))
    return hours


def _extra(prepared, items: list[tuple]) -> dict:
    """Rows of the stations that are no model row: their coverage along the network, districts and flags."""
    model: SitingModel = prepared.model
    index: SiteIndex = prepared.index
    xy = np.zeros((len(items), 2))
    site = np.full(len(items), -1, dtype=np.int64)
    for k, (number, item, _status, site_index, _hours) in enumerate(items):
        if site_index is None:
            xy[k] = to_area_xy(prepared.area, item.get("lon"), item.get("lat"), f"Site {number} (existing station)",
                               f"第 {number} 个站点（现有站点）")  # fmt: skip
        else:
            xy[k] = index.xy[site_index]
            site[k] = site_index
    hours = [entry[4] for entry in items]
    on_site = site >= 0
    reach, must = _reach(prepared, site[on_site], xy[~on_site])
    # Back into the order of the items: on-site ones were stacked first.
    order = np.argsort(np.concatenate([np.flatnonzero(on_site), np.flatnonzero(~on_site)]), kind="stable")
    matrix = model.station_rows(reach[order], hours) if len(items) else sp.csr_array((0, model.matrix.shape[1]))
    if must is not None:
        must = must[order]
    district = np.zeros(0, dtype=object)
    if len(items):
        _, nearest = index.planned_tree.query_nearest(shapely.points(xy), all_matches=False)
        district = np.where(on_site, index.district[np.maximum(site, 0)], index.planned_names[nearest]).astype(object)
    kept = np.array([entry[2] in KEPT_STATUSES for entry in items], dtype=bool)
    people = np.full(len(items), np.nan)  # what kept stations declare
    for k, (number, item, status, _site, _hours) in enumerate(items):
        declared = _declared(item, number) if status in KEPT_STATUSES else None
        if declared is not None:
            people[k] = declared
    return {
        "matrix": matrix,
        "must": must,
        "xy": xy,
        "district": district,
        "site": site,
        "kept": kept,
        "city": np.array([bool(entry[1].get("city_level")) for entry in items], dtype=bool) & kept,
        "phase2": np.array([entry[1].get("phase") == 2 for entry in items], dtype=bool) & kept,
        "hours": hours,
        "people": people,
    }


def _declared(site: Mapping, number: int) -> int | None:
    """People at once a site dict declares (its ``capacity``), None where it declares none."""
    value = site.get("capacity")
    try:
        return capacity_value(value)
    except ValueError:
        raise i18n.input_error("site_capacity_not_whole", number=number, **i18n.shown(value)) from None


def _reach(prepared, sites: np.ndarray, xy: np.ndarray) -> tuple[sp.csr_array, sp.csr_array | None]:
    """Locations (and maximum-gap positions) reached by candidate ``sites``, then by stations at ``xy`` (rows)."""
    reach = [prepared.reach[sites]]
    must = None if prepared.must_cover is None else [prepared.must_cover[sites]]
    if len(xy):
        spots = network.snap(prepared.graph, xy)
        reach.append(network.coverage(prepared.graph, spots, prepared.demand_spots, prepared.points[:, 2]))
        if must is not None:
            must.append(network.coverage(prepared.graph, spots, prepared.gap_spots, prepared.params.max_gap_m))
    stacked = sp.csr_array(sp.vstack(reach, format="csr"))
    return stacked, None if must is None else sp.csr_array(sp.vstack(must, format="csr"))
