"""Everything an export of a scenario shows, gathered once: stations, service areas, coverage, workers.

:func:`build_export_data` reads a scenario (as the store returns it) against its workspace — the same prepared model
the review map and ``geoplan plan`` use — and returns an :class:`ExportData`; the writers of
:mod:`geoplan.outputs.exporters` turn it into files.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan import coords, crs, i18n, settings
from geoplan.coverage.service_areas import service_areas
from geoplan.data.areas import StudyArea
from geoplan.outputs.layers import demand_frame
from geoplan.planning.workspace import Workspace
from geoplan.vocabulary import ACTIVE_STATUSES, MODES

__all__ = ["CAPACITY_COLUMNS", "SIMPLIFY_M", "ExportData", "active_sites", "build_export_data"]

#: Station columns a capacitated scenario adds (after ``covered_workers``): floor area (m²), capacity (people at
#: once), the capacity its planner declared (people at once, NaN: none; the station then has exactly that capacity),
#: capacity per hour and peak load (person-minutes per hour), the busiest window, utilisation (0..1).
CAPACITY_COLUMNS = ("size_m2", "capacity", "declared_capacity", "capacity_per_hour", "peak_load", "peak_window",
                    "utilisation")  # fmt: skip

#: Tolerance (m) the exported service-area outlines are simplified by.
SIMPLIFY_M = 1.0

_COORD_DIGITS = 7  # ~1 cm


@dataclass(frozen=True, eq=False)
class ExportData:
    """Everything an export of a scenario shows, gathered once (WGS-84 lon/lat unless said otherwise).

    Attributes
    ----------
    scenario_id : int or None
        The scenario's database id.
    name : str
        The scenario's name.
    area : StudyArea
        The scenario's study area (its ``crs`` is the local UTM zone; ``districts``, ``edges`` are in it).
    stations : geopandas.GeoDataFrame
        Active sites (proposed, accepted, existing), point geometry in WGS-84, in the scenario's site order.
        Columns: ``id`` (site id), ``name``, ``status`` (proposed|accepted|existing), ``level`` (city|district),
        ``district``, ``address``, ``phone``, ``hours``, ``services`` (";"-joined service codes, "" if none),
        ``covered_workers`` (float, NaN if unknown), ``lon``, ``lat`` (WGS-84), ``lon_gcj02``, ``lat_gcj02``
        (GCJ-02, for Chinese map tools). Text columns hold "" rather than missing values.
    service_areas : geopandas.GeoDataFrame
        Isochrone polygons in WGS-84, one per station and mode (see
        :func:`geoplan.coverage.service_areas.service_areas`).
        Columns: ``station`` (the station's site ``id``), ``name`` (the station's name), ``mode`` (walk|ride),
        ``minutes``, ``reach_m``, ``area_km2`` (computed in the area's metric CRS), geometry.
    districts : geopandas.GeoDataFrame
        District polygons in WGS-84 with coverage: ``district``, ``workers``, ``covered``, ``share`` (0..1),
        ``stations`` (count), geometry.
    by_district : pandas.DataFrame
        Coverage by district, indexed by district name: ``workers``, ``covered``, ``share``, ``stations``.
    by_group : pandas.DataFrame
        Coverage by worker group, indexed by group name: ``workers``, ``covered``, ``share``.
    workers : dict
        Overall figures: ``total``, ``covered``, ``share``.
    demand : geopandas.GeoDataFrame
        Demand points in WGS-84 (one per location and group): ``group``, ``weight`` (workers), ``district``,
        ``covered`` (bool), geometry.
    result : dict
        The scenario's optimiser result (``objective``, ``bound``, ``gap``, ``status``, ``method``; may be empty
        for a scenario made from scratch).
    params : dict
        The scenario's plan parameters (as stored, ``stations`` included).
    minutes : float
        Travel time of the service areas, minutes.
    exported_at : datetime.datetime
        When the data was gathered (UTC, timezone-aware).
    capacity : dict or None
        In a capacitated scenario, the capacity block of its figures (``people_per_m2``, ``windows``,
        ``capacity_people``, ``max_utilisation``, ``mean_utilisation``, ``full``; see
        :func:`geoplan.planning.station_loads.with_capacity`); ``stations`` then also has :data:`CAPACITY_COLUMNS`
        and ``workers``, ``by_district`` and ``by_group`` also ``served`` and ``served_share`` (workers served
        within capacity). None otherwise, and nothing else changes.
    """

    scenario_id: int | None
    name: str
    area: StudyArea
    stations: gpd.GeoDataFrame
    service_areas: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame
    by_district: pd.DataFrame
    by_group: pd.DataFrame
    workers: dict
    demand: gpd.GeoDataFrame
    result: dict
    params: dict
    minutes: float
    exported_at: dt.datetime
    capacity: dict | None = None


def build_export_data(scenario: dict, workspace: Workspace, *, minutes: float = 15) -> ExportData:
    """Gather everything an export shows: stations, service areas, coverage and demand.

    Parameters
    ----------
    scenario : dict
        A scenario with its sites, as from :meth:`geoplan.store.Store.scenario`.
    workspace : Workspace
        The scenario's workspace (its prepared model and parameters).
    minutes : float
        Travel time of the service areas, minutes.

    Returns
    -------
    ExportData

    Raises
    ------
    InputError
        No station in the plan, malformed sites, a bad ``minutes``.
    """
    if isinstance(minutes, bool) or not isinstance(minutes, int | float) or not 0 < minutes < float("inf"):
        raise i18n.input_error("positive_number", name="minutes", value=minutes)
    active = active_sites(scenario)
    figures = workspace.evaluate(scenario["sites"])
    area = workspace.area
    capacity = figures.get("capacity")
    stations = _stations_frame(active)
    served = ["served", "served_share"] if capacity is not None else []
    if capacity is not None:
        stations = _with_capacity(stations, scenario["sites"], capacity["stations"])
        capacity = {key: value for key, value in capacity.items() if key != "stations"}
    xy = crs.from_wgs84(area.crs, stations[["lon", "lat"]].to_numpy(dtype=float))
    areas = service_areas(workspace.prepared.graph, area.crs, xy, minutes=minutes, modes=MODES)
    areas["geometry"] = shapely.simplify(areas.geometry.to_numpy(), SIMPLIFY_M, preserve_topology=True)
    areas.insert(1, "name", stations["name"].to_numpy()[areas["station"].to_numpy()])
    areas["station"] = stations["id"].to_numpy()[areas["station"].to_numpy()]
    by_district = pd.DataFrame.from_dict(figures["by_district"], orient="index")
    by_district = by_district.reindex(columns=["workers", "covered", "share", "stations", *served])
    by_district = by_district.rename_axis("district")
    by_group = pd.DataFrame.from_dict(figures["by_group"], orient="index")
    by_group = by_group.reindex(columns=["workers", "covered", "share", *served]).rename_axis("group")
    districts = area.districts[["district", "geometry"]].to_crs(settings.WGS84)
    districts["district"] = districts["district"].astype(str)
    districts = districts.merge(by_district, how="left", left_on="district", right_index=True)
    districts = districts.fillna({"workers": 0.0, "covered": 0.0, "share": 0.0, "stations": 0})
    districts = districts.astype({"stations": "int64"})[["district", "workers", "covered", "share", "stations",
                                                         "geometry"]]  # fmt: skip
    return ExportData(
        scenario_id=scenario.get("id"),
        name=str(scenario.get("name") or ""),
        area=area,
        stations=stations,
        service_areas=areas.to_crs(settings.WGS84),
        districts=gpd.GeoDataFrame(districts, geometry="geometry", crs=settings.WGS84),
        by_district=by_district,
        by_group=by_group,
        workers=dict(figures["workers"]),
        demand=demand_frame(workspace, scenario["sites"]),
        result=dict(scenario.get("result") or {}),
        params=dict(scenario.get("params") or {}),
        minutes=float(minutes),
        exported_at=dt.datetime.now(dt.UTC),
        capacity=capacity,
    )


def active_sites(scenario: dict) -> list[dict]:
    """Return the scenario's sites that count as stations, refusing a scenario that has none."""
    sites = [site for site in scenario.get("sites") or () if site.get("status") in ACTIVE_STATUSES]
    if not sites:
        raise i18n.input_error("nothing_to_export", name=scenario.get("name") or scenario.get("id"))
    return sites


def _with_capacity(stations: gpd.GeoDataFrame, sites: list[dict], entries: list[dict | None]) -> gpd.GeoDataFrame:
    """Add :data:`CAPACITY_COLUMNS` after ``covered_workers``: each active site's entry of the capacity figures.

    ``declared_capacity`` is the site's own ``capacity`` (what its planner declared), not a figure.
    """
    active = [{**(entry or {}), "declared_capacity": site.get("capacity")}
              for site, entry in zip(sites, entries, strict=True) if site.get("status") in ACTIVE_STATUSES]  # fmt: skip
    at = stations.columns.get_loc("covered_workers") + 1
    for offset, column in enumerate(CAPACITY_COLUMNS):
        values = [entry.get(column) for entry in active]
        if column == "peak_window":
            stations.insert(at + offset, column, [value or "" for value in values])
        else:
            stations.insert(at + offset, column, np.array([np.nan if v is None else v for v in values], dtype=float))
    return stations


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _stations_frame(sites: list[dict]) -> gpd.GeoDataFrame:
    lon = np.array([float(site["lon"]) for site in sites])
    lat = np.array([float(site["lat"]) for site in sites])
    gcj_lon, gcj_lat = coords.wgs84_to_gcj02(lon, lat)
    covered = [site.get("covered_workers") for site in sites]
    frame = pd.DataFrame(
        {
            "id": [site.get("id") if site.get("id") is not None else number + 1 for number, site in enumerate(sites)],
            "name": [_text(site.get("name")) for site in sites],
            "status": [str(site["status"]) for site in sites],
            "level": ["city" if site.get("city_level") else "district" for site in sites],
            "district": [_text(site.get("district")) for site in sites],
            "address": [_text(site.get("address")) for site in sites],
            "phone": [_text(site.get("phone")) for site in sites],
            "hours": [_text(site.get("hours")) for site in sites],
            "services": [";".join(site.get("services") or ()) for site in sites],
            "covered_workers": np.array([np.nan if c is None else float(c) for c in covered], dtype=float),
            "lon": lon,
            "lat": lat,
            "lon_gcj02": np.round(gcj_lon, _COORD_DIGITS),
            "lat_gcj02": np.round(gcj_lat, _COORD_DIGITS),
        }
    )
    return gpd.GeoDataFrame(frame, geometry=shapely.points(lon, lat), crs=settings.WGS84)
