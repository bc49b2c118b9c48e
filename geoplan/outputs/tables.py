"""The data formats of a scenario export: GeoJSON layers, one GeoPackage, and the CSV table of stations.

Column names are the same in every language (programs read them); the CSV's values are for people, in the export's
language (status 已采纳, services 饮水、如厕, whole worker counts), with the codes a program reads kept in their own
columns at the end (``status_code``, ``level_code``, ``services_code``). The CSV carries WGS-84 and GCJ-02
coordinates and is written as UTF-8 with a BOM so that Excel shows Chinese text. The GeoPackage and GeoJSON layers
are data for GIS tools and keep the codes; the GeoPackage's ``scenario`` table adds a ``label`` column in the
export's language and gives the export time on the area's clocks.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from geoplan import coords, csvfile, i18n, settings
from geoplan.outputs.export_data import CAPACITY_COLUMNS, ExportData
from geoplan.planning.plan import Plan
from geoplan.vocabulary import MODES

__all__ = ["STATION_COLUMNS", "proposals_wgs84", "stations_table", "write_csv", "write_geojson", "write_gpkg"]

#: Columns of the stations in every data format, in order.
STATION_COLUMNS = ("id", "name", "status", "level", "district", "address", "phone", "hours", "services",
                   "covered_workers", "lon", "lat", "lon_gcj02", "lat_gcj02")  # fmt: skip


def write_gpkg(data: ExportData, path: Path, *, lang: str) -> None:
    """One GeoPackage: layers stations, service_areas, districts, demand; tables coverage_by_group, scenario."""
    layers = {
        "stations": data.stations,
        "service_areas": data.service_areas,
        "districts": data.districts,
        "demand": data.demand,
        "coverage_by_group": _group_table(data, lang),
        "scenario": _summary_table(data, lang),
    }
    for layer, frame in layers.items():
        pyogrio.write_dataframe(frame, path, layer=layer, driver="GPKG")


def _group_table(data: ExportData, lang: str) -> pd.DataFrame:
    table = data.by_group.reset_index()
    table.insert(1, "label", [i18n.group_name(group, lang) for group in table["group"]])
    return table


def _summary_table(data: ExportData, lang: str = "zh") -> pd.DataFrame:
    """Return the scenario's key figures as (key, value, label) text rows; ``label`` names the key in ``lang``."""
    result = data.result
    rows = {
        "scenario_id": data.scenario_id,
        "name": data.name,
        "area": data.area.spec.name,
        "stations": len(data.stations),
        "workers_total": data.workers.get("total"),
        "workers_covered": data.workers.get("covered"),
        "share_covered": data.workers.get("share"),
        **({"workers_served": data.workers.get("served"), "share_served": data.workers.get("served_share")}
           if data.capacity is not None else {}),
        "service_area_minutes": data.minutes,
        **{f"optimiser_{key}": result.get(key) for key in ("objective", "bound", "gap", "status", "method")},
        **{f"param_{key}": value for key, value in sorted(data.params.items())},
        "exported_at": data.exported_at.isoformat(timespec="seconds"),
        "exported_at_local": i18n.format_time(data.exported_at, lang, data.area.spec.timezone),
    }
    labels = [_summary_label(key, lang) for key in rows]
    return pd.DataFrame({"key": list(rows), "value": ["" if v is None else str(v) for v in rows.values()],
                         "label": labels})  # fmt: skip


def _summary_label(key: str, lang: str) -> str:
    """Name a key of the scenario table in ``lang`` (plan parameters by their catalog names)."""
    if key.startswith("param_"):
        return i18n.text("param", key.removeprefix("param_"), lang)
    found = i18n.text("label", f"summary_{key}", lang)
    return key if found == f"summary_{key}" else found


def write_csv(data: ExportData, path: Path, *, lang: str) -> None:
    """Write the stations table: see :func:`stations_table`.

    UTF-8 with BOM, so Excel reads Chinese text; text a spreadsheet would run as a formula is neutralised
    (:mod:`geoplan.csvfile`).
    """
    csvfile.write_frame(stations_table(data, lang), path)


def stations_table(data: ExportData, lang: str = "zh") -> pd.DataFrame:
    """Return the stations as the CSV export writes them, its values for people reading ``lang``.

    Columns: ``id``, ``name``, ``status`` (已采纳 / Accepted...), ``level`` (市级 / City-level...), ``district``,
    ``address``, ``phone``, ``hours``, ``services`` (饮水、如厕 / Drinking water, Toilet), ``covered_workers``
    (workers within reach of the station alone, a whole number, when known), in a capacitated scenario then
    :data:`~geoplan.outputs.export_data.CAPACITY_COLUMNS` (``size_m2``, ``capacity`` and ``declared_capacity``
    (empty where none) in people at once, ``capacity_per_hour`` and ``peak_load`` in person-minutes per hour,
    ``peak_window``, ``utilisation`` 0..1), ``lon``, ``lat`` (WGS-84, for GPS and international tools),
    ``lon_gcj02``, ``lat_gcj02`` (GCJ-02, for Amap and Tencent maps), ``walk_area_km2`` and ``ride_area_km2`` (size
    of the station's walking and riding service area within :attr:`ExportData.minutes`),
    then the codes for programs: ``status_code`` (proposed|accepted|existing), ``level_code`` (city|district),
    ``services_code`` (";"-joined service codes).

    Parameters
    ----------
    data : ExportData
    lang : str
        ``zh`` (default) or ``en``.

    Returns
    -------
    pandas.DataFrame
    """
    columns = list(STATION_COLUMNS)
    if data.capacity is not None:
        at = columns.index("covered_workers") + 1
        columns[at:at] = CAPACITY_COLUMNS
    table = pd.DataFrame(data.stations[columns])
    for mode in MODES:
        sizes = data.service_areas[data.service_areas["mode"] == mode].set_index("station")["area_km2"]
        table[f"{mode}_area_km2"] = table["id"].map(sizes).to_numpy()
    codes = {"status_code": table["status"].astype(str), "level_code": table["level"].astype(str),
             "services_code": table["services"].fillna("").astype(str)}  # fmt: skip
    table["status"] = [i18n.text("label", f"status_{code}", lang) for code in codes["status_code"]]
    table["level"] = [i18n.text("label", f"level_{code}", lang) for code in codes["level_code"]]
    table["services"] = [i18n.services_text(code, lang) for code in codes["services_code"]]
    covered = pd.to_numeric(table["covered_workers"], errors="coerce").round()
    table["covered_workers"] = covered.astype("Int64")  # people are counted whole; empty where unknown
    if data.capacity is not None:
        for column in ("capacity", "declared_capacity"):
            table[column] = pd.to_numeric(table[column], errors="coerce").round().astype("Int64")
    for column, values in codes.items():
        table[column] = values.to_numpy()
    return table


def write_geojson(frame: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    """Write one layer as RFC 7946 GeoJSON (WGS-84, 8 decimals)."""
    pyogrio.write_dataframe(
        frame, path, driver="GeoJSON", layer=layer, layer_options={"COORDINATE_PRECISION": 8, "RFC7946": "YES"}
    )


def proposals_wgs84(plan: Plan) -> gpd.GeoDataFrame:
    """Return a plan's proposals in WGS-84 with lon/lat and GCJ-02 lon/lat columns, footprint dropped."""
    frame = plan.proposals.drop(columns="footprint").to_crs(settings.WGS84)
    lon, lat = frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()
    frame["lon"], frame["lat"] = np.round(lon, 7), np.round(lat, 7)
    gcj_lon, gcj_lat = coords.wgs84_to_gcj02(lon, lat)
    frame["lon_gcj02"], frame["lat_gcj02"] = np.round(gcj_lon, 7), np.round(gcj_lat, 7)
    return frame
