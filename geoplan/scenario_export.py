"""Export a review scenario as files planners can hand on: GeoJSON, GeoPackage, KML, CSV, HTML, PNG and PDF.

The data of a scenario is gathered once into an :class:`ExportData` (stations, service areas, coverage by district
and group, demand points), then written in the asked format. Every file is written to a temporary file in its
target folder and moved into place with :func:`os.replace`, so a failed export leaves no half-written file and an
existing file of the same name untouched.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import math
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geoplan import coords
from geoplan.areas import StudyArea
from geoplan.errors import InputError
from geoplan.export import _write_all

if TYPE_CHECKING:
    from geoplan.workspace import Workspace

#: Formats :func:`export_scenario` writes.
FORMATS = ("geojson", "gpkg", "kml", "csv", "html", "png", "pdf")

#: Languages of labels and descriptions.
LANGUAGES = ("zh", "en")

#: Site statuses that count as a station in an export (rejected sites are left out).
ACTIVE_STATUSES = ("proposed", "accepted", "existing")


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
        Isochrone polygons in WGS-84, one per station and mode (see :func:`geoplan.service_areas.service_areas`).
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


# ------------------------------------------------------------------------------------------------------------------
# Labels
# ------------------------------------------------------------------------------------------------------------------

#: Display text by key and language, for the human-readable formats (KML, HTML, and PNG/PDF if they wish).
LABELS: dict[str, dict[str, str]] = {
    "stations": {"zh": "驿站", "en": "Stations"},
    "service_areas": {"zh": "服务范围", "en": "Service areas"},
    "districts": {"zh": "区县覆盖", "en": "Coverage by district"},
    "workers": {"zh": "外勤人员", "en": "Outdoor workers"},
    "covered_workers": {"zh": "覆盖外勤人员", "en": "Workers covered"},
    "uncovered": {"zh": "未覆盖", "en": "not covered"},
    "share": {"zh": "覆盖率", "en": "Share covered"},
    "district": {"zh": "区县", "en": "District"},
    "level": {"zh": "级别", "en": "Level"},
    "status": {"zh": "状态", "en": "Status"},
    "address": {"zh": "地址", "en": "Address"},
    "phone": {"zh": "电话", "en": "Phone"},
    "hours": {"zh": "开放时间", "en": "Opening hours"},
    "services": {"zh": "服务", "en": "Services"},
    "area_km2": {"zh": "面积 (km²)", "en": "Area (km²)"},
    "level_city": {"zh": "市级", "en": "City-level"},
    "level_district": {"zh": "区县级", "en": "District-level"},
    "status_proposed": {"zh": "建议", "en": "Proposed"},
    "status_accepted": {"zh": "已采纳", "en": "Accepted"},
    "status_existing": {"zh": "已建成", "en": "Existing"},
    "mode_walk": {"zh": "步行", "en": "Walking"},
    "mode_ride": {"zh": "骑行", "en": "Riding"},
    "minutes": {"zh": "分钟", "en": "minutes"},
    "service_drinking_water": {"zh": "饮水", "en": "Drinking water"},
    "service_heating_food": {"zh": "热饭", "en": "Heat food"},
    "service_toilet": {"zh": "如厕", "en": "Toilet"},
    "service_rest": {"zh": "休息", "en": "Rest"},
    "service_phone_charging": {"zh": "手机充电", "en": "Phone charging"},
    "service_ebike_charging": {"zh": "电动车充电", "en": "E-bike charging"},
    "service_air_conditioning": {"zh": "空调", "en": "Air conditioning"},
    "service_first_aid": {"zh": "急救药箱", "en": "First aid kit"},
    "service_wifi": {"zh": "无线网络", "en": "Wi-Fi"},
    "service_repair_kit": {"zh": "维修工具", "en": "Repair tools"},
    "service_umbrella": {"zh": "借伞", "en": "Umbrella loan"},
    "service_reading": {"zh": "阅读", "en": "Reading"},
}


def label(key: str, lang: str = "zh") -> str:
    """Return the display text of a label key (the key itself when unknown), in ``lang`` (zh|en)."""
    entry = LABELS.get(key)
    return entry.get(lang, entry["en"]) if entry else key


def group_label(group: str, lang: str = "zh") -> str:
    """Return the display name of a worker group (the key itself for a user-defined group)."""
    from geoplan.demand import WORKER_GROUPS

    known = WORKER_GROUPS.get(group)
    if known is None:
        return group
    return known.name_zh if lang == "zh" else known.name_en


def services_text(services: str, lang: str = "zh") -> str:
    """Return the display text of a ";"-joined service list (as in :attr:`ExportData.stations`)."""
    separator = "、" if lang == "zh" else ", "
    return separator.join(label(f"service_{code}", lang) for code in services.split(";") if code)


# ------------------------------------------------------------------------------------------------------------------
# Public API
# ------------------------------------------------------------------------------------------------------------------

#: File extension of each format.
EXTENSIONS = {fmt: f".{fmt}" for fmt in FORMATS}

#: Files a GeoJSON export writes into a folder.
GEOJSON_FILES = ("stations.geojson", "service_areas.geojson", "districts.geojson", "demand.geojson")

#: Travel modes of the exported service areas.
MODES = ("walk", "ride")

#: Tolerance (m) the exported service-area outlines are simplified by.
SIMPLIFY_M = 1.0

_COORD_DIGITS = 7  # ~1 cm

_STATION_COLUMNS = ("id", "name", "status", "level", "district", "address", "phone", "hours", "services",
                    "covered_workers", "lon", "lat", "lon_gcj02", "lat_gcj02")  # fmt: skip


def export_scenario(scenario: dict, fmt: str, out: Path | str, *, lang: str = "zh", minutes: float = 15) -> list[Path]:
    """Export a scenario in one format.

    Parameters
    ----------
    scenario : dict
        A scenario with its sites, as from :meth:`geoplan.store.Store.scenario`.
    fmt : str
        One of :data:`FORMATS`.
    out : pathlib.Path or str
        A folder (an existing folder, or a path without a suffix: created) or a file. Into a folder, GeoJSON
        writes :data:`GEOJSON_FILES` and every other format one file named after the scenario (``NAME.gpkg``...);
        to a file path, GeoJSON writes the stations only and every other format its whole content.
    lang : str
        Language of labels and descriptions, ``zh`` or ``en``. Column names of the data formats (GeoJSON,
        GeoPackage, CSV) are the same in both.
    minutes : float
        Travel time of the service areas (walking and riding), minutes.

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    InputError
        Unknown format or language, a plan with no station (no proposed, accepted or existing site), an output
        path that cannot be written (its parent is a file, not writable...).

    See Also
    --------
    build_export_data, write_export : the two steps, to write several formats from one gathering of the data.
    """
    fmt, lang = check_format(fmt), _check_lang(lang)
    planned_files(scenario, fmt, out)
    return write_export(build_export_data(scenario, minutes=minutes), fmt, out, lang=lang)


def build_export_data(scenario: dict, *, minutes: float = 15) -> ExportData:
    """Gather everything an export shows: stations, service areas, coverage and demand.

    Parameters
    ----------
    scenario : dict
        A scenario with its sites, as from :meth:`geoplan.store.Store.scenario`.
    minutes : float
        Travel time of the service areas, minutes.

    Returns
    -------
    ExportData

    Raises
    ------
    InputError
        No station in the plan, an unknown area or parameters, malformed sites, a bad ``minutes``.
    """
    from geoplan import settings
    from geoplan.service_areas import service_areas
    from geoplan.workspace import from_wgs84

    if isinstance(minutes, bool) or not isinstance(minutes, int | float) or not 0 < minutes < float("inf"):
        raise InputError(f"minutes must be a positive number, got {minutes!r}.")
    active = _active_sites(scenario)
    ws = scenario_workspace(scenario)
    figures = ws.evaluate(scenario["sites"])
    area = ws.area
    stations = _stations_frame(active, settings.WGS84)
    xy = from_wgs84(area, stations[["lon", "lat"]].to_numpy(dtype=float))
    areas = service_areas(ws.graph, area.crs, xy, minutes=minutes, modes=MODES)
    areas["geometry"] = shapely.simplify(areas.geometry.to_numpy(), SIMPLIFY_M, preserve_topology=True)
    areas.insert(1, "name", stations["name"].to_numpy()[areas["station"].to_numpy()])
    areas["station"] = stations["id"].to_numpy()[areas["station"].to_numpy()]
    by_district = pd.DataFrame.from_dict(figures["by_district"], orient="index")
    by_district = by_district.reindex(columns=["workers", "covered", "share", "stations"]).rename_axis("district")
    by_group = pd.DataFrame.from_dict(figures["by_group"], orient="index")
    by_group = by_group.reindex(columns=["workers", "covered", "share"]).rename_axis("group")
    districts = area.districts[["district", "geometry"]].to_crs(settings.WGS84)
    districts["district"] = districts["district"].astype(str)
    districts = districts.merge(by_district, how="left", left_on="district", right_index=True)
    districts = districts.fillna({"workers": 0.0, "covered": 0.0, "share": 0.0, "stations": 0})
    districts = districts.astype({"stations": "int64"})[["district", "workers", "covered", "share", "stations",
                                                         "geometry"]]  # fmt: skip
    demand = _demand_frame(ws.demand_geojson(scenario["sites"]), settings.WGS84)
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
        demand=demand,
        result=dict(scenario.get("result") or {}),
        params=dict(scenario.get("params") or {}),
        minutes=float(minutes),
        exported_at=dt.datetime.now(dt.UTC),
    )


def write_export(data: ExportData, fmt: str, out: Path | str, *, lang: str = "zh") -> list[Path]:
    """Write gathered data in one format, atomically (see :func:`export_scenario` for ``out`` and the formats).

    Parameters
    ----------
    data : ExportData
    fmt : str
        One of :data:`FORMATS`.
    out : pathlib.Path or str
        Folder or file, as for :func:`export_scenario`.
    lang : str
        ``zh`` or ``en``.

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    InputError
        Unknown format or language, an output path that cannot be written.
    """
    fmt, lang = check_format(fmt), _check_lang(lang)
    folder, names = _targets(fmt, Path(out), _file_stem({"name": data.name, "id": data.scenario_id}))
    _check_folder(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"Cannot create output folder {folder}: {exc.strerror or exc}.") from exc
    writers = _writers(data, fmt, names, lang)
    _write_all(folder, writers)
    return [folder / name for name in names]


def planned_files(scenario: dict, fmt: str, out: Path | str) -> list[Path]:
    """Return the files an export would write, refusing what cannot be exported before any slow work.

    Parameters
    ----------
    scenario : dict
        A scenario with its sites.
    fmt : str
        One of :data:`FORMATS`.
    out : pathlib.Path or str
        Folder or file, as for :func:`export_scenario`.

    Returns
    -------
    list of pathlib.Path

    Raises
    ------
    InputError
        Unknown format, no station in the plan, an output path that cannot be written.
    """
    fmt = check_format(fmt)
    _active_sites(scenario)
    folder, names = _targets(fmt, Path(out), _file_stem(scenario))
    _check_folder(folder)
    return [folder / name for name in names]


def scenario_workspace(scenario: dict) -> Workspace:
    """Return the review workspace of a scenario's area and parameters (as the web app picks it).

    The station count is not part of the workspace's key, so scenarios that differ only in their count share one.

    Raises
    ------
    InputError
        The scenario's area is not registered, or its parameters are not accepted.
    """
    from geoplan.areas import load_registry
    from geoplan.workspace import workspace_for

    specs, default = load_registry()
    name = str(scenario.get("area") or "").strip() or default
    if name not in specs:
        raise InputError(f"Area {name!r} of the scenario is unknown; registered areas: {', '.join(sorted(specs))}.")
    params = {k: v for k, v in (scenario.get("params") or {}).items() if k != "stations"}
    return workspace_for(name, params)


# ------------------------------------------------------------------------------------------------------------------
# Checks and paths
# ------------------------------------------------------------------------------------------------------------------


def check_format(fmt: str) -> str:
    """Return the format name, lower-cased, or raise InputError listing :data:`FORMATS`."""
    text = str(fmt or "").strip().lower()
    if text not in FORMATS:
        raise InputError(f"Export format {fmt!r} is unknown; use one of {', '.join(FORMATS)}.")
    return text


def _check_lang(lang: str) -> str:
    if lang not in LANGUAGES:
        raise InputError(f"Language {lang!r} is unknown; use one of {', '.join(LANGUAGES)}.")
    return lang


def _active_sites(scenario: dict) -> list[dict]:
    sites = [site for site in scenario.get("sites") or () if site.get("status") in ACTIVE_STATUSES]
    if not sites:
        raise InputError(
            f"Scenario {scenario.get('name') or scenario.get('id')!r} has nothing to export: no proposed, accepted "
            "or existing station."
        )
    return sites


def _file_stem(scenario: dict) -> str:
    """File name of a scenario's single-file exports: its name with path-unsafe characters replaced."""
    stem = re.sub(r"[^\w\-.]+", "_", str(scenario.get("name") or "")).strip("._")
    return stem[:80] or f"scenario-{scenario.get('id') or 'export'}"


def _targets(fmt: str, out: Path, stem: str) -> tuple[Path, list[str]]:
    """Return the folder written into and the file names written there."""
    if out.is_dir() or (not out.exists() and not out.suffix):
        names = list(GEOJSON_FILES) if fmt == "geojson" else [f"{stem}{EXTENSIONS[fmt]}"]
        return out, names
    return out.parent, [out.name]


def _check_folder(folder: Path) -> None:
    """Refuse a folder that cannot be created or written to (before any work is done)."""
    probe = folder
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise InputError(f"Cannot write to {folder}: {probe} is a file, not a folder.")
    if probe.exists() and not os.access(probe, os.W_OK | os.X_OK):
        raise InputError(f"Cannot write to {folder}: {probe} is not writable.")


# ------------------------------------------------------------------------------------------------------------------
# Gathering
# ------------------------------------------------------------------------------------------------------------------


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _stations_frame(sites: list[dict], crs) -> gpd.GeoDataFrame:
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
    return gpd.GeoDataFrame(frame, geometry=shapely.points(lon, lat), crs=crs)


def _demand_frame(collection: dict, crs) -> gpd.GeoDataFrame:
    features = collection["features"]
    xy = np.array([f["geometry"]["coordinates"] for f in features], dtype=float).reshape(-1, 2)
    properties = pd.DataFrame([f["properties"] for f in features], columns=["group", "weight", "district", "covered"])
    properties = properties.astype({"group": str, "weight": float, "district": str, "covered": bool})
    return gpd.GeoDataFrame(properties, geometry=shapely.points(xy), crs=crs)


# ------------------------------------------------------------------------------------------------------------------
# Writers
# ------------------------------------------------------------------------------------------------------------------


def _writers(data: ExportData, fmt: str, names: list[str], lang: str) -> dict[str, Callable[[Path], object]]:
    """File name -> function writing that file's content to a given (temporary) path."""
    if fmt == "geojson":
        if len(names) == 1:
            return {names[0]: lambda path: _write_geojson(data.stations, path, "stations")}
        frames = (data.stations, data.service_areas, data.districts, data.demand)
        return {
            name: functools.partial(_write_geojson, frame, layer=name.removesuffix(".geojson"))
            for name, frame in zip(names, frames, strict=True)
        }
    write = {
        "gpkg": _write_gpkg,
        "kml": _write_kml,
        "csv": _write_csv,
        "html": _write_html,
        "png": _write_png,
        "pdf": _write_pdf,
    }[fmt]
    return {names[0]: functools.partial(write, data, lang=lang)}


def _write_gpkg(data: ExportData, path: Path, *, lang: str) -> None:
    """One GeoPackage: layers stations, service_areas, districts, demand; tables coverage_by_group, scenario."""
    layers = {
        "stations": data.stations,
        "service_areas": data.service_areas,
        "districts": data.districts,
        "demand": data.demand,
        "coverage_by_group": _group_table(data, lang),
        "scenario": _summary_table(data),
    }
    for layer, frame in layers.items():
        pyogrio.write_dataframe(frame, path, layer=layer, driver="GPKG")


def _group_table(data: ExportData, lang: str) -> pd.DataFrame:
    table = data.by_group.reset_index()
    table.insert(1, "label", [group_label(group, lang) for group in table["group"]])
    return table


def _summary_table(data: ExportData) -> pd.DataFrame:
    """Return the scenario's key figures as (key, value) text rows."""
    result = data.result
    rows = {
        "scenario_id": data.scenario_id,
        "name": data.name,
        "area": data.area.spec.name,
        "stations": len(data.stations),
        "workers_total": data.workers.get("total"),
        "workers_covered": data.workers.get("covered"),
        "share_covered": data.workers.get("share"),
        "service_area_minutes": data.minutes,
        **{f"optimiser_{key}": result.get(key) for key in ("objective", "bound", "gap", "status", "method")},
        **{f"param_{key}": value for key, value in sorted(data.params.items())},
        "exported_at": data.exported_at.isoformat(timespec="seconds"),
    }
    return pd.DataFrame({"key": list(rows), "value": ["" if v is None else str(v) for v in rows.values()]})


def _write_csv(data: ExportData, path: Path, *, lang: str) -> None:
    """Write the stations table (UTF-8 with BOM, so Excel reads Chinese text): see :func:`stations_table`."""
    stations_table(data).to_csv(path, index=False, encoding="utf-8-sig")


def stations_table(data: ExportData) -> pd.DataFrame:
    """Return the stations as the CSV export writes them.

    Columns: ``id``, ``name``, ``status`` (proposed|accepted|existing), ``level`` (city|district), ``district``,
    ``address``, ``phone``, ``hours``, ``services`` (";"-joined codes), ``covered_workers`` (workers within reach
    of the station alone, when known), ``lon``, ``lat`` (WGS-84, for GPS and international tools), ``lon_gcj02``,
    ``lat_gcj02`` (GCJ-02, for Amap and Tencent maps), then ``walk_area_km2`` and ``ride_area_km2`` (size of the
    station's walking and riding service area within :attr:`ExportData.minutes`).
    """
    table = pd.DataFrame(data.stations[list(_STATION_COLUMNS)])
    for mode in MODES:
        sizes = data.service_areas[data.service_areas["mode"] == mode].set_index("station")["area_km2"]
        table[f"{mode}_area_km2"] = table["id"].map(sizes).to_numpy()
    return table


def _write_png(data: ExportData, path: Path, *, lang: str) -> None:
    from geoplan import render

    render.render_map(data, path, lang)


def _write_pdf(data: ExportData, path: Path, *, lang: str) -> None:
    from geoplan import report

    report.write_report(data, path, lang)


def _write_geojson(frame: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    pyogrio.write_dataframe(
        frame, path, driver="GeoJSON", layer=layer, layer_options={"COORDINATE_PRECISION": 8, "RFC7946": "YES"}
    )


# --- KML ----------------------------------------------------------------------------------------------------------

KML_NAMESPACE = "http://www.opengis.net/kml/2.2"

#: KML colours (aabbggrr) of the station icons and service-area fills.
_KML_COLOURS = {
    "city": "ff2b39c0",
    "district": "ffa37124",
    "walk": "5560ae27",
    "ride": "33db9834",
    "district_outline": "ff555555",
}


def _kml(tag: str) -> str:
    return f"{{{KML_NAMESPACE}}}{tag}"


def _sub(parent: ET.Element, tag: str, text: object = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, _kml(tag), attributes)
    if text is not None:
        element.text = str(text)
    return element


def _write_kml(data: ExportData, path: Path, *, lang: str) -> None:
    """KML 2.2 (UTF-8): station placemarks, one folder of service-area polygons per mode, district coverage."""
    ET.register_namespace("", KML_NAMESPACE)
    root = ET.Element(_kml("kml"))
    document = _sub(root, "Document")
    _sub(document, "name", data.name)
    _sub(document, "description", _overview(data, lang))
    _kml_styles(document)
    folder = _sub(document, "Folder")
    _sub(folder, "name", f"{label('stations', lang)} ({len(data.stations)})")
    for row in data.stations.itertuples(index=False):
        placemark = _sub(folder, "Placemark", id=f"station-{row.id}")
        _sub(placemark, "name", row.name or f"#{row.id}")
        _sub(placemark, "description", _station_text(row, lang, "\n"))
        _sub(placemark, "styleUrl", f"#station-{row.level}")
        extended = _sub(placemark, "ExtendedData")
        for column in _STATION_COLUMNS:
            value = getattr(row, column)
            entry = _sub(extended, "Data", name=column)
            _sub(entry, "value", "" if isinstance(value, float) and math.isnan(value) else value)
        point = _sub(placemark, "Point")
        _sub(point, "coordinates", _kml_coordinates([(row.lon, row.lat)]))
    for mode in MODES:
        rows = data.service_areas[data.service_areas["mode"] == mode]
        folder = _sub(document, "Folder")
        _sub(folder, "name", f"{label('service_areas', lang)}: {label(f'mode_{mode}', lang)} "
                             f"{data.minutes:g} {label('minutes', lang)}")  # fmt: skip
        for row in rows.itertuples(index=False):
            placemark = _sub(folder, "Placemark")
            _sub(placemark, "name", f"{row.name or f'#{row.station}'} · {label(f'mode_{mode}', lang)}")
            _sub(placemark, "description", f"{label('area_km2', lang)}: {row.area_km2:.3f}; {row.reach_m:.0f} m")
            _sub(placemark, "styleUrl", f"#area-{mode}")
            _kml_polygons(placemark, row.geometry)
    folder = _sub(document, "Folder")
    _sub(folder, "name", label("districts", lang))
    _sub(folder, "visibility", 0)
    for row in data.districts.itertuples(index=False):
        placemark = _sub(folder, "Placemark")
        _sub(placemark, "name", row.district)
        _sub(placemark, "visibility", 0)
        _sub(placemark, "description", _district_text(row, lang, "\n"))
        _sub(placemark, "styleUrl", "#district")
        _kml_polygons(placemark, row.geometry)
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def _kml_styles(document: ET.Element) -> None:
    for level in ("city", "district"):
        style = _sub(document, "Style", id=f"station-{level}")
        icon_style = _sub(style, "IconStyle")
        _sub(icon_style, "color", _KML_COLOURS[level])
        _sub(icon_style, "scale", 1.2 if level == "city" else 1.0)
        icon = _sub(icon_style, "Icon")
        _sub(icon, "href", "http://maps.google.com/mapfiles/kml/shapes/placemark_circle.png")
    for mode in MODES:
        style = _sub(document, "Style", id=f"area-{mode}")
        line = _sub(style, "LineStyle")
        _sub(line, "color", "ff" + _KML_COLOURS[mode][2:])
        _sub(line, "width", 1)
        poly = _sub(style, "PolyStyle")
        _sub(poly, "color", _KML_COLOURS[mode])
    style = _sub(document, "Style", id="district")
    line = _sub(style, "LineStyle")
    _sub(line, "color", _KML_COLOURS["district_outline"])
    _sub(line, "width", 2)
    poly = _sub(style, "PolyStyle")
    _sub(poly, "fill", 0)


def _kml_coordinates(lonlat) -> str:
    return " ".join(f"{lon:.{_COORD_DIGITS}f},{lat:.{_COORD_DIGITS}f}" for lon, lat in lonlat)


def _kml_polygons(placemark: ET.Element, geometry: shapely.Geometry) -> None:
    polygons = [part for part in shapely.get_parts(geometry) if part.geom_type == "Polygon" and not part.is_empty]
    parent = _sub(placemark, "MultiGeometry") if len(polygons) != 1 else placemark
    for polygon in polygons:
        element = _sub(parent, "Polygon")
        boundary = _sub(element, "outerBoundaryIs")
        _sub(_sub(boundary, "LinearRing"), "coordinates", _kml_coordinates(polygon.exterior.coords))
        for ring in polygon.interiors:
            boundary = _sub(element, "innerBoundaryIs")
            _sub(_sub(boundary, "LinearRing"), "coordinates", _kml_coordinates(ring.coords))


# --- Descriptions shared by KML and HTML ---------------------------------------------------------------------------


def _station_text(row, lang: str, newline: str) -> str:
    """Plain-text description of a station (one line per field, empty fields left out)."""
    lines = [
        f"{label('status', lang)}: {label(f'status_{row.status}', lang)}",
        f"{label('level', lang)}: {label(f'level_{row.level}', lang)}",
        f"{label('district', lang)}: {row.district}" if row.district else "",
        f"{label('address', lang)}: {row.address}" if row.address else "",
        f"{label('phone', lang)}: {row.phone}" if row.phone else "",
        f"{label('hours', lang)}: {row.hours}" if row.hours else "",
        f"{label('services', lang)}: {services_text(row.services, lang)}" if row.services else "",
        f"{label('covered_workers', lang)}: {row.covered_workers:.0f}" if not math.isnan(row.covered_workers) else "",
        f"WGS-84: {row.lon:.6f}, {row.lat:.6f}",
        f"GCJ-02: {row.lon_gcj02:.6f}, {row.lat_gcj02:.6f}",
    ]
    return newline.join(line for line in lines if line)


def _district_text(row, lang: str, newline: str) -> str:
    return newline.join(
        [
            f"{label('workers', lang)}: {row.workers:.0f}",
            f"{label('covered_workers', lang)}: {row.covered:.0f}",
            f"{label('share', lang)}: {row.share:.1%}",
            f"{label('stations', lang)}: {row.stations}",
        ]
    )


def _overview(data: ExportData, lang: str) -> str:
    workers = data.workers
    gap = data.result.get("gap")
    parts = [
        f"{label('stations', lang)}: {len(data.stations)}",
        f"{label('covered_workers', lang)}: {workers.get('covered', 0):.0f} / {workers.get('total', 0):.0f} "
        f"({workers.get('share', 0):.1%})",
    ]
    if isinstance(gap, int | float) and math.isfinite(gap):
        parts.append(("最优性差距" if lang == "zh" else "optimality gap") + f": {gap:.2%}")
    return "; ".join(parts)


# --- HTML ---------------------------------------------------------------------------------------------------------


def _write_html(data: ExportData, path: Path, *, lang: str) -> None:
    scenario_map(data, lang).save(str(path))


def scenario_map(data: ExportData, lang: str = "zh"):
    """Return a standalone interactive map (folium) of a scenario's export data.

    Layers: districts with their coverage (popup), walking and riding service areas, outdoor workers on a grid
    (green: mostly covered, red: mostly not), and the stations with their details (popup). Tiles load from
    OpenStreetMap when the file is opened.
    """
    import folium

    from geoplan.export import LEVEL_COLOURS, demand_grid_layer

    west, south, east, north = data.districts.total_bounds
    fmap = folium.Map(location=[(south + north) / 2, (west + east) / 2], zoom_start=13, tiles=None,
                      control_scale=True)  # fmt: skip
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap", show=True).add_to(fmap)
    title = html.escape(f"{data.name} · {_overview(data, lang)}")
    fmap.get_root().html.add_child(folium.Element(
        f'<div style="position:fixed;top:10px;left:50px;z-index:1000;background:white;padding:4px 8px;'
        f'border-radius:4px;box-shadow:0 1px 4px #0004;font:14px sans-serif">{title}</div>'
    ))  # fmt: skip
    districts = data.districts.assign(share_pct=(data.districts["share"] * 100).round(1))
    folium.GeoJson(
        districts,
        name=label("districts", lang),
        style_function=lambda _: {"color": "#555", "weight": 2, "fillOpacity": 0.03, "dashArray": "6 4"},
        popup=folium.GeoJsonPopup(
            fields=["district", "workers", "covered", "share_pct", "stations"],
            aliases=[
                label("district", lang),
                label("workers", lang),
                label("covered_workers", lang),
                f"{label('share', lang)} (%)",
                label("stations", lang),
            ],
        ),
    ).add_to(fmap)
    for mode in MODES:
        colour = "#27ae60" if mode == "walk" else "#3498db"
        areas = data.service_areas[data.service_areas["mode"] == mode]
        folium.GeoJson(
            areas[["station", "name", "mode", "minutes", "area_km2", "geometry"]],
            name=f"{label('service_areas', lang)}: {label(f'mode_{mode}', lang)} {data.minutes:g} "
            f"{label('minutes', lang)}",
            show=mode == "walk",
            style_function=lambda _, colour=colour: {
                "color": colour,
                "weight": 1,
                "fillColor": colour,
                "fillOpacity": 0.15,
            },
            tooltip=folium.GeoJsonTooltip(fields=["name", "area_km2"], aliases=["", label("area_km2", lang)]),
        ).add_to(fmap)
    if len(data.demand):
        demand = data.demand.to_crs(data.area.crs)
        name = f"{label('workers', lang)} ({'红色：多数未覆盖' if lang == 'zh' else 'red: mostly not covered'})"
        demand_grid_layer(demand, name, (label("workers", lang), f"{label('share', lang)} (%)")).add_to(fmap)
    stations = folium.FeatureGroup(name=f"{label('stations', lang)} ({len(data.stations)})")
    for row in data.stations.itertuples(index=False):
        text = html.escape(_station_text(row, lang, "\n")).replace("\n", "<br>")
        heading = f"<b>{html.escape(row.name or f'#{row.id}')}</b><br>"
        folium.CircleMarker(
            [row.lat, row.lon], radius=9, color="white", weight=2, fill=True,
            fill_color=LEVEL_COLOURS.get(row.level, "#2471a3"), fill_opacity=0.95,
            popup=folium.Popup(heading + text, max_width=320), tooltip=html.escape(row.name or f"#{row.id}"),
        ).add_to(stations)  # fmt: skip
    stations.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.fit_bounds([[south, west], [north, east]])
    return fmap
