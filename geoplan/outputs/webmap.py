"""Interactive maps (folium): a plan run's map.html and a scenario's standalone HTML export.

Layers: districts (with coverage), streets, walking and riding service areas, outdoor workers aggregated on a grid
(green: mostly covered, red: mostly not), candidate sites and the stations with their details.
"""

from __future__ import annotations

import html
import math
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import shapely

from geoplan import i18n, settings
from geoplan.outputs.descriptions import overview, station_text
from geoplan.outputs.export_data import ExportData
from geoplan.outputs.tables import proposals_wgs84
from geoplan.planning.plan import Plan
from geoplan.vocabulary import MODES

__all__ = ["LEVEL_COLOURS", "MAP_CELL_M", "demand_grid_layer", "plan_map", "scenario_map", "write_scenario_map"]

#: Side of the grid cells (m) that aggregate demand points on the map.
MAP_CELL_M = 150.0

LEVEL_COLOURS = {"city": "#c0392b", "district": "#2471a3"}


def plan_map(plan: Plan) -> folium.Map:
    """Draw an interactive map of districts, streets, demand (covered or not), candidates and proposals."""
    area = plan.area
    centre = gpd.GeoSeries([area.boundary.centroid], crs=area.crs).to_crs(settings.WGS84).iloc[0]
    fmap = folium.Map(location=[centre.y, centre.x], zoom_start=14, tiles=None, control_scale=True)
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap tiles (online)", show=True).add_to(fmap)
    districts = area.districts.to_crs(settings.WGS84)
    folium.GeoJson(
        _html_safe(districts[["district", "has_network", "geometry"]], ["district"]),
        name="区县 districts",
        style_function=lambda _: {"color": "#555", "weight": 2, "fillOpacity": 0.03, "dashArray": "6 4"},
        tooltip=folium.GeoJsonTooltip(fields=["district"], aliases=["区县"]),
    ).add_to(fmap)
    streets = area.edges[["geometry"]].copy()
    streets["geometry"] = shapely.simplify(streets.geometry.values, 2.0)
    folium.GeoJson(
        streets.to_crs(settings.WGS84),
        name="街道 streets (from the area's OSM data)",
        style_function=lambda _: {"color": "#888", "weight": 1, "opacity": 0.7},
    ).add_to(fmap)
    _demand_layer(plan).add_to(fmap)
    sites = plan.candidates.sites.drop(columns="footprint").to_crs(settings.WGS84)
    folium.GeoJson(
        _html_safe(sites[["id", "kind", "district", "geometry"]], ["id", "kind", "district"]),
        name=f"候选点 candidate sites ({len(sites)})",
        show=False,
        marker=folium.CircleMarker(radius=2, weight=1, color="#7f8c8d", fill=True),
        tooltip=folium.GeoJsonTooltip(fields=["id", "kind", "district"]),
    ).add_to(fmap)
    stations = folium.FeatureGroup(name=f"建议站点 proposed stations ({len(plan.proposals)})")
    for row in proposals_wgs84(plan).itertuples():
        colour = LEVEL_COLOURS.get(row.level, "#2471a3")
        folium.CircleMarker(
            [row.lat, row.lon], radius=9, color="white", weight=2, fill=True, fill_color=colour, fill_opacity=0.95,
            popup=folium.Popup(_popup(row), max_width=320), tooltip=_html_text(f"{row.id} · {row.district}"),
        ).add_to(stations)  # fmt: skip
    stations.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    west, south, east, north = districts[districts["has_network"]].total_bounds
    fmap.fit_bounds([[south, west], [north, east]])
    return fmap


def _demand_layer(plan: Plan) -> folium.GeoJson:
    demand = plan.demand if plan.demand.crs is not None else plan.demand.set_crs(plan.area.crs)
    return demand_grid_layer(demand, "外勤人员 workers (red: mostly not covered)")


def demand_grid_layer(demand: gpd.GeoDataFrame, name: str, labels: tuple[str, str] = ("workers", "% covered")):
    """Return a map layer of demand aggregated on a :data:`MAP_CELL_M` grid, coloured by the share covered.

    Parameters
    ----------
    demand : geopandas.GeoDataFrame
        Points with ``weight`` (workers) and ``covered`` (bool), in a metric CRS.
    name : str
        Layer name in the layer control.
    labels : tuple of str
        Tooltip labels of the workers and the percentage covered.

    Returns
    -------
    folium.GeoJson
        One circle per grid cell (size by workers; green when at least half are covered, else red).
    """
    xy = shapely.get_coordinates(demand.geometry.values)
    cell = np.floor(xy / MAP_CELL_M).astype(np.int64)
    frame = demand[["weight", "covered"]].copy()
    frame["cx"], frame["cy"] = cell[:, 0], cell[:, 1]
    frame["covered_weight"] = frame["weight"] * frame["covered"]
    cells = frame.groupby(["cx", "cy"]).agg(weight=("weight", "sum"), covered=("covered_weight", "sum")).reset_index()
    centres = gpd.GeoSeries(
        shapely.points((cells["cx"] + 0.5) * MAP_CELL_M, (cells["cy"] + 0.5) * MAP_CELL_M), crs=demand.crs
    ).to_crs(settings.WGS84)
    top = max(float(cells["weight"].max()), 1e-9) if len(cells) else 1.0
    share = np.where(cells["weight"] > 0, cells["covered"] / cells["weight"].where(cells["weight"] > 0, 1.0), 0.0)
    frame = gpd.GeoDataFrame(
        {
            "workers": cells["weight"].round(1),
            "covered": np.round(share * 100).astype(int),
            "radius": 3 + 9 * np.sqrt(cells["weight"] / top),
            "colour": np.where(share >= 0.5, "#27ae60", "#e74c3c"),
        },
        geometry=centres.values,
        crs=settings.WGS84,
    )
    return folium.GeoJson(
        frame,
        name=name,
        marker=folium.CircleMarker(stroke=False, fill=True, fill_opacity=0.45),
        style_function=lambda feature: {
            "radius": feature["properties"]["radius"],
            "fillColor": feature["properties"]["colour"],
            "stroke": False,
            "fillOpacity": 0.45,
        },
        tooltip=folium.GeoJsonTooltip(fields=["workers", "covered"], aliases=list(labels)),
    )


def _popup(row) -> str:
    level = "市级 city-level" if row.level == "city" else "区县级 district-level"
    name = _html_text(row.name) if isinstance(row.name, str) and row.name else "—"
    ident, district, kind, source = (_html_text(v) for v in (row.id, row.district, row.kind, row.source))
    return (
        f"<b>{ident}</b> · {level}<br>区县 district: {district}<br>"
        f"覆盖外勤人员 covered workers: {row.covered_workers:.0f}<br>面积 floor area: {row.footprint_m2:g} m²<br>"
        f"类型 type: {kind} ({source})<br>名称 name: {name}<br>"
        f"WGS-84: {row.lon:.6f}, {row.lat:.6f}<br>GCJ-02: {row.lon_gcj02:.6f}, {row.lat_gcj02:.6f}"
    )


def write_scenario_map(data: ExportData, path: Path, *, lang: str) -> None:
    """Write the standalone HTML map of :func:`scenario_map`."""
    scenario_map(data, lang).save(str(path))


def scenario_map(data: ExportData, lang: str = "zh"):
    """Return a standalone interactive map (folium) of a scenario's export data.

    Layers: districts with their coverage (popup), walking and riding service areas, outdoor workers on a grid
    (green: mostly covered, red: mostly not), and the stations with their details (popup). Tiles load from
    OpenStreetMap when the file is opened.
    """
    west, south, east, north = data.districts.total_bounds
    fmap = folium.Map(location=[(south + north) / 2, (west + east) / 2], zoom_start=13, tiles=None,
                      control_scale=True)  # fmt: skip
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap", show=True).add_to(fmap)
    title = _html_text(f"{data.name} · {overview(data, lang)}")
    fmap.get_root().html.add_child(folium.Element(
        f'<div style="position:fixed;top:10px;left:50px;z-index:1000;background:white;padding:4px 8px;'
        f'border-radius:4px;box-shadow:0 1px 4px #0004;font:14px sans-serif">{title}</div>'
    ))  # fmt: skip
    districts = data.districts.assign(share_pct=(data.districts["share"] * 100).round(1))
    folium.GeoJson(
        _html_safe(districts, ["district"]),
        name=_label("districts", lang),
        style_function=lambda _: {"color": "#555", "weight": 2, "fillOpacity": 0.03, "dashArray": "6 4"},
        popup=folium.GeoJsonPopup(
            fields=["district", "workers", "covered", "share_pct", "stations"],
            aliases=[
                _label("district", lang),
                _label("workers", lang),
                _label("covered_workers", lang),
                f"{_label('share', lang)} (%)",
                _label("stations", lang),
            ],
        ),
    ).add_to(fmap)
    for mode in MODES:
        colour = "#27ae60" if mode == "walk" else "#3498db"
        areas = data.service_areas[data.service_areas["mode"] == mode]
        folium.GeoJson(
            _html_safe(areas[["station", "name", "mode", "minutes", "area_km2", "geometry"]], ["name"]),
            name=f"{_label('service_areas', lang)}: {_label(f'mode_{mode}', lang)} {data.minutes:g} "
            f"{_label('minutes', lang)}",
            show=mode == "walk",
            style_function=lambda _, colour=colour: {
                "color": colour,
                "weight": 1,
                "fillColor": colour,
                "fillOpacity": 0.15,
            },
            tooltip=folium.GeoJsonTooltip(fields=["name", "area_km2"], aliases=["", _label("area_km2", lang)]),
        ).add_to(fmap)
    if len(data.demand):
        demand = data.demand.to_crs(data.area.crs)
        name = f"{_label('workers', lang)} ({'红色：多数未覆盖' if lang == 'zh' else 'red: mostly not covered'})"
        demand_grid_layer(demand, name, (_label("workers", lang), f"{_label('share', lang)} (%)")).add_to(fmap)
    stations = folium.FeatureGroup(name=f"{_label('stations', lang)} ({len(data.stations)})")
    for row in data.stations.itertuples(index=False):
        text = _html_text(station_text(row, lang, "\n")).replace("\n", "<br>")
        heading = f"<b>{_html_text(row.name or f'#{row.id}')}</b><br>"
        folium.CircleMarker(
            [row.lat, row.lon], radius=9, color="white", weight=2, fill=True,
            fill_color=LEVEL_COLOURS.get(row.level, "#2471a3"), fill_opacity=0.95,
            popup=folium.Popup(heading + text, max_width=320), tooltip=_html_text(row.name or f"#{row.id}"),
        ).add_to(stations)  # fmt: skip
    stations.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.fit_bounds([[south, west], [north, east]])
    return fmap


def _html_text(text: object) -> str:
    """Escape text for a folium popup or tooltip: HTML, and the JavaScript template literal folium puts it in.

    folium writes popup and tooltip HTML inside backticks, so ``${...}`` in a station's name would run as script
    and a backslash could break the page; those characters become HTML entities, which show as themselves.
    """
    return html.escape(str(text)).replace("$", "&#36;").replace("`", "&#96;").replace("\\", "&#92;")


def _html_safe(frame: gpd.GeoDataFrame, columns: list[str]) -> gpd.GeoDataFrame:
    """Return ``frame`` with the text of ``columns`` escaped (folium's GeoJSON tooltips and popups use innerHTML)."""
    out = frame.copy()
    for column in columns:
        missing = [v is None or (isinstance(v, float) and math.isnan(v)) for v in out[column]]
        out[column] = [v if gone else _html_text(v) for v, gone in zip(out[column], missing, strict=True)]
    return out


def _label(key: str, lang: str) -> str:
    return i18n.text("label", key, lang)
