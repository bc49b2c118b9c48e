"""Interactive HTML maps that work offline: a plan run's ``map.html`` and a scenario's standalone HTML export.

Planners open these files in the field, often with a poor or no network, so a map must draw from the file alone:

- **One self-contained file.** Leaflet's script and style sheet (its few images as ``data:`` URLs), the page
  script and style (``assets/webmap.js``, ``assets/webmap.css``) and all the map's data are inlined into the one
  HTML file. A single file survives being shared by WeChat or e-mail, where files written beside it (a
  ``map_files/`` folder) get lost; the cost is Leaflet's ~165 kB in every file. The only URL the page may load is
  the online tile layer's template, and only when a planner switches that layer on (it is off by default).
- **Our own small template, not folium.** folium's pages load Leaflet, jQuery, Bootstrap, awesome-markers and Font
  Awesome from CDNs, and put popup HTML inside JavaScript template literals; the maps need none of the extras, and
  writing the page ourselves (one JSON data block, one script) drops a dependency and the CDN configuration.
- **Basemap from the area's own OSM data** (:func:`geoplan.outputs.basemap.basemap_layer`): land use, water,
  buildings and streets, styled as the served review map draws them (``web/static/map.js``), each simplified in
  the area's metric CRS and rounded to 6 decimals, drawn on canvases below the plan's layers.
- **Chinese first.** Layer names, the legend, popups and tooltips come from :mod:`geoplan.i18n` in the map's
  language.
- **Names stay text.** Every text from the data (station names, addresses, districts...) is escaped as HTML on the
  Python side (:func:`_html_text`) before it goes into a popup or tooltip, and the JSON block is written so that no
  text can close the ``<script>`` element it sits in.

Layers: districts (with coverage), the basemap, walking and riding service areas, outdoor workers aggregated on a
grid (green: mostly covered, red: mostly not), candidate sites and the stations with their details; a legend.
"""

from __future__ import annotations

import base64
import functools
import html
import json
import math
import re
import uuid
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from geoplan import i18n, settings
from geoplan.outputs.basemap import COORDINATE_DECIMALS, MIN_ZOOM, RawJSON, basemap_layer, street_classes
from geoplan.outputs.descriptions import overview, station_text
from geoplan.outputs.export_data import ExportData
from geoplan.outputs.tables import proposals_wgs84
from geoplan.outputs.utilisation import UTILISATION_COLOURS, band_label, utilisation_band
from geoplan.planning.plan import Plan
from geoplan.vocabulary import MODES

__all__ = [
    "BASEMAP_LAYERS",
    "BASEMAP_TOLERANCE_M",
    "LEVEL_COLOURS",
    "MAP_CELL_M",
    "TILE_URL",
    "HtmlMap",
    "demand_grid_layer",
    "plan_map",
    "scenario_map",
    "write_scenario_map",
]

#: Side of the grid cells (m) that aggregate demand points on the map.
MAP_CELL_M = 150.0

#: Fill colour of a station by level.
LEVEL_COLOURS = {"city": "#c0392b", "district": "#2471a3"}

#: Basemap layers drawn from the area's own OSM data, bottom first.
BASEMAP_LAYERS = ("landuse", "water", "buildings", "streets")

#: Simplification (m) of the basemap and district outlines: keeps the default area's map near its former size.
BASEMAP_TOLERANCE_M = 2.0

#: Template of the optional online tile layer (off by default; nothing is requested unless a planner turns it on).
TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

_COVERED, _UNCOVERED = "#27ae60", "#e74c3c"
_MODE_COLOURS = {"walk": "#27ae60", "ride": "#3498db"}
_DISTRICT_STYLE = {"color": "#555", "weight": 2, "fillOpacity": 0.03, "dashArray": "6 4"}
_BASEMAP_LEGEND = {"water": "#aad3ee", "buildings": "#d9d0c9", "landuse": "#cfe3c4"}
_STREET_COLOUR = "#9a9a9a"
_ASSETS = "assets"

# A JSON text can end its <script> element or enter the double-escaped state only with these; written with "<" as
# \u003c (JSON only has "<" inside strings, where the escape means the same character).
_SCRIPT_BREAKERS = re.compile(r"<(?=!--|/?script)", re.IGNORECASE)


@dataclass(frozen=True)
class HtmlMap:
    """A written-out map page: one self-contained HTML document, kept as the consecutive pieces of its text.

    A whole city's page runs to hundreds of megabytes; as pieces it is held once, and written piece by piece.

    Attributes
    ----------
    parts : tuple of str
        The page's text in order (Leaflet, the page script and the data inlined).
    """

    parts: tuple[str, ...]

    @property
    def html(self) -> str:
        """The whole page as one text."""
        return "".join(self.parts)

    def save(self, path: str | Path) -> None:
        """Write the page to ``path`` as UTF-8, piece by piece."""
        with open(path, "w", encoding="utf-8", newline="") as out:
            for part in self.parts:
                out.write(part)


def plan_map(plan: Plan, lang: str = "zh") -> HtmlMap:
    """Draw a plan run's map: districts, the basemap, demand (covered or not), candidates and proposals.

    Parameters
    ----------
    plan : Plan
        The plan run.
    lang : {"zh", "en"}
        Language of layer names, legend, popups and tooltips.

    Returns
    -------
    HtmlMap
        The page; it draws with no network.
    """
    area = plan.area
    districts = area.districts[["district", "has_network", "geometry"]]
    overlays = [
        _overlay("districts", _t("districts", lang), "polygons", _polygons(districts, area.crs, [
            {"tip": _html_text(name)} for name in districts["district"]
        ]), style=_DISTRICT_STYLE),
    ]  # fmt: skip
    demand = plan.demand if plan.demand.crs is not None else plan.demand.set_crs(area.crs)
    overlays.append(demand_grid_layer(demand, lang))
    sites = plan.candidates.sites.drop(columns="footprint").to_crs(settings.WGS84)
    overlays.append(_overlay(
        "candidates", _t("candidates", lang, n=len(sites)), "circles",
        _points(sites, [_lines([(_t("id", lang), row.id), (_t("type", lang), row.kind),
                                (_label("district", lang), row.district)])
                        for row in sites.itertuples()]),
        show=False, style={"radius": 2, "weight": 1, "color": "#7f8c8d", "fillOpacity": 0.5},
    ))  # fmt: skip
    stations = proposals_wgs84(plan)
    overlays.append(_overlay(
        "stations", _t("proposals", lang, n=len(stations)), "stations",
        _points(stations, [{"level": row.level, "colour": LEVEL_COLOURS.get(row.level, LEVEL_COLOURS["district"]),
                            "popup": _proposal_popup(row, lang), "tip": _html_text(f"{row.id} · {row.district}")}
                           for row in stations.itertuples()], tip=False),
    ))  # fmt: skip
    title = i18n.text("webmap", "plan_title", lang, area=area.spec.title_in(lang), n=len(stations))
    west, south, east, north = districts[districts["has_network"]].to_crs(settings.WGS84).total_bounds
    basemap = _basemap(area, lang)
    legend = _legend(lang, candidates=True, workers=len(demand) > 0, modes=(), basemap=basemap)
    return _page(title, lang, basemap, overlays, legend, [[south, west], [north, east]])


def write_scenario_map(data: ExportData, path: Path, *, lang: str) -> None:
    """Write the standalone HTML map of :func:`scenario_map` to ``path``."""
    scenario_map(data, lang).save(path)


def scenario_map(data: ExportData, lang: str = "zh") -> HtmlMap:
    """Return a standalone interactive map of a scenario's export data.

    Parameters
    ----------
    data : ExportData
        The scenario's export data.
    lang : {"zh", "en"}
        Language of the title's figures, layer names, legend, popups and tooltips.

    Returns
    -------
    HtmlMap
        The page: districts with their coverage (popup), the area's basemap, walking and riding service areas,
        outdoor workers on a grid (green: mostly covered, red: mostly not) and the stations with their details
        (popup). It draws with no network.
    """
    area = data.area
    districts = data.districts
    district_popups = [
        {"tip": _html_text(row.district), "popup": _lines([
            (_label("district", lang), row.district), (_label("workers", lang), f"{row.workers:.0f}"),
            (_label("covered_workers", lang), f"{row.covered:.0f}"),
            (f"{_label('share', lang)} (%)", f"{row.share * 100:.1f}"), (_label("stations", lang), row.stations),
        ])}
        for row in districts.itertuples()
    ]  # fmt: skip
    overlays = [_overlay("districts", _label("districts", lang), "polygons",
                         _polygons(districts, area.crs, district_popups), style=_DISTRICT_STYLE)]  # fmt: skip
    for mode in MODES:
        areas = data.service_areas[data.service_areas["mode"] == mode]
        colour = _MODE_COLOURS.get(mode, "#3498db")
        tips = [{"tip": _lines([("", row.name if _text(row.name) else f"#{row.station}"),
                                (_label("area_km2", lang), row.area_km2)])}
                for row in areas.itertuples()]  # fmt: skip
        overlays.append(_overlay(
            f"service_{mode}", f"{_label('service_areas', lang)}: {_service_name(mode, data.minutes, lang)}",
            "polygons",
            _polygons(areas, None, tips), show=mode == "walk",
            style={"color": colour, "weight": 1, "fillColor": colour, "fillOpacity": 0.15},
        ))  # fmt: skip
    if len(data.demand):
        overlays.append(demand_grid_layer(data.demand.to_crs(area.crs), lang))
    stations = data.stations
    popups = [
        {"level": row.level, "colour": LEVEL_COLOURS.get(row.level, LEVEL_COLOURS["district"]),
         "tip": _html_text(row.name or f"#{row.id}"),
         "popup": f"<b>{_html_text(row.name or f'#{row.id}')}</b><br>"
                  + _html_text(station_text(row, lang, "\n")).replace("\n", "<br>"),
         **_utilisation(row)}
        for row in stations.itertuples(index=False)
    ]  # fmt: skip
    overlays.append(_overlay("stations", _t("stations", lang, n=len(stations)), "stations",
                             _points(stations, popups, tip=False)))  # fmt: skip
    basemap = _basemap(area, lang)
    modes = tuple(mode for mode in MODES if (data.service_areas["mode"] == mode).any())
    legend = _legend(lang, candidates=False, workers=len(data.demand) > 0, modes=modes, basemap=basemap,
                     minutes=data.minutes)  # fmt: skip
    if data.capacity is not None:
        legend["items"][2:2] = [{"shape": "ring", "colour": colour, "text": band_label(band, lang)}
                                for band, colour in UTILISATION_COLOURS.items()]  # fmt: skip
    west, south, east, north = districts.total_bounds
    title = f"{data.name} · {overview(data, lang)}"
    return _page(title, lang, basemap, overlays, legend, [[south, west], [north, east]])


def demand_grid_layer(demand: gpd.GeoDataFrame, lang: str = "zh") -> dict:
    """Return the map layer of demand aggregated on a :data:`MAP_CELL_M` grid, coloured by the share covered.

    Parameters
    ----------
    demand : geopandas.GeoDataFrame
        Points with ``weight`` (workers) and ``covered`` (bool), in a metric CRS.
    lang : {"zh", "en"}
        Language of the layer name and the tooltips.

    Returns
    -------
    dict
        The layer as the page script takes it (``id``, ``name``, ``kind`` = ``"circles"``, ``show``, ``style``,
        ``data``): one circle per grid cell in ``data`` (a GeoJSON FeatureCollection in WGS-84), sized by workers,
        green when at least half of them are covered, else red; its tooltip gives workers and the share covered.
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
    weight = cells["weight"].to_numpy(dtype=float)
    share = np.where(weight > 0, cells["covered"].to_numpy(dtype=float) / np.where(weight > 0, weight, 1.0), 0.0)
    radius = 3 + 9 * np.sqrt(weight / top)
    workers, share_label = _label("workers", lang), f"{_label('share', lang)} (%)"
    properties = [
        {"radius": round(float(r), 2), "colour": _COVERED if s >= 0.5 else _UNCOVERED,
         "tip": _lines([(workers, f"{w:.1f}"), (share_label, f"{round(s * 100):.0f}")])}
        for w, s, r in zip(weight, share, radius, strict=True)
    ]  # fmt: skip
    return _overlay("workers", _t("workers_layer", lang), "circles", _collection(centres.to_numpy(), properties),
                    style={"stroke": False, "fillOpacity": 0.45})  # fmt: skip


# --- the page ------------------------------------------------------------------------------------------------------


def _page(title: str, lang: str, basemap: list[dict], overlays: list[dict], legend: dict, bounds) -> HtmlMap:
    """Assemble the self-contained page: inlined Leaflet, style, data block and page script.

    Each layer of ``basemap`` and ``overlays`` is released (its list entry set to ``None``) once its JSON is
    written, and its features are written in slices: a whole city's page is never held as more than one text.
    """
    heading = _html_text(title)
    head = f"""<!DOCTYPE html>
<html lang="{"zh-CN" if lang == "zh" else "en"}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{heading}</title>
<style>
{_leaflet_css()}
{_asset("webmap.css")}
</style>
</head>
<body>
<div id="map"></div>
<div class="geoplan-title"><span>{heading}</span></div>
<script type="application/json" id="geoplan-map-data">"""
    parts = [head, '{"bounds":', _script_json([[float(v) for v in corner] for corner in bounds])]
    for key, layers in (("basemap", basemap), ("overlays", overlays)):
        parts.append(f',"{key}":[')
        for index, layer in enumerate(layers):
            if index:
                parts.append(",")
            parts.extend(_layer_json(layer))
            layers[index] = None
        parts.append("]")
    tiles = {"url": TILE_URL, "name": html.escape(_t("tiles", lang)), "attribution": "© OpenStreetMap"}
    parts += [',"legend":', _script_json(legend), ',"tiles":', _script_json(tiles), "}"]
    parts.append(f"""</script>
<script>
{_leaflet_js()}
</script>
<script>
{_asset("webmap.js")}
</script>
</body>
</html>
""")
    return HtmlMap(tuple(parts))


#: Features written per piece of a layer's JSON.
_FEATURES_PER_PART = 20_000


def _layer_json(layer: dict) -> list[str]:
    """Return a layer's JSON in pieces: its fields, then its GeoJSON features :data:`_FEATURES_PER_PART` at a time."""
    data = layer.get("data")
    if not (isinstance(data, dict) and isinstance(data.get("features"), list)):
        return [_script_json(layer)]
    features = data["features"]
    fields = _script_json({key: value for key, value in layer.items() if key != "data"})
    members = _script_json({key: value for key, value in data.items() if key != "features"})
    parts = [_open_object(fields) + '"data":' + _open_object(members) + '"features":[']
    for start in range(0, len(features), _FEATURES_PER_PART):
        if start:
            parts.append(",")
        parts.append(_script_json(features[start : start + _FEATURES_PER_PART])[1:-1])
    parts.append("]}}")
    return parts


def _open_object(text: str) -> str:
    """``{...}`` as the start of an object that more members follow: ``{...,`` (``{`` when it had none)."""
    return text[:-1] + ("," if text != "{}" else "")


def _script_json(payload: object) -> str:
    """Return JSON for a ``<script type="application/json">`` block: nothing in it can end or escape the element.

    :class:`~geoplan.outputs.basemap.RawJSON` values are written as their text (JSON numbers and punctuation from
    shapely, or text already made safe by this function).
    """
    raw: list[str] = []
    token = uuid.uuid4().hex

    def placeholder(value: object) -> str:
        if not isinstance(value, RawJSON):
            raise TypeError(f"{type(value).__name__} is not JSON serialisable")
        raw.append(_SCRIPT_BREAKERS.sub(r"\\u003c", value.text))
        return f"{token}{len(raw) - 1}"

    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=placeholder)
    text = _SCRIPT_BREAKERS.sub(r"\\u003c", text)
    if raw:
        text = re.sub(f'"{token}(\\d+)"', lambda match: raw[int(match.group(1))], text)
    return text


def _asset(name: str) -> str:
    return (resources.files("geoplan.outputs") / _ASSETS / name).read_text(encoding="utf-8")


@functools.cache
def _leaflet_js() -> str:
    """Return Leaflet's script without its source-map comment (only developer tools would ask for the map)."""
    code = _asset("leaflet/leaflet.js")
    return re.sub(r"\n//# sourceMappingURL=\S+\s*$", "\n", code)


@functools.cache
def _leaflet_css() -> str:
    """Return Leaflet's style sheet with its images inlined as ``data:`` URLs (relative URLs fail offline)."""
    folder = resources.files("geoplan.outputs") / _ASSETS / "leaflet"

    def inline(match: re.Match) -> str:
        data = base64.b64encode((folder / "images" / match.group(1)).read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    return re.sub(r"url\(images/([\w.-]+\.png)\)", inline, (folder / "leaflet.css").read_text(encoding="utf-8"))


# --- layers --------------------------------------------------------------------------------------------------------


def _basemap(area, lang: str) -> list[dict]:
    """Return the area's own OSM layers that have features, bottom first, with the properties the page styles by."""
    layers = []
    for layer in BASEMAP_LAYERS:
        if layer == "streets":  # one feature per street class: a whole city's streets stay a light file to write
            collection = street_classes(area, BASEMAP_TOLERANCE_M)
        else:
            collection = basemap_layer(area, layer, BASEMAP_TOLERANCE_M)
            for feature in collection["features"]:
                feature["properties"] = {}
        if not collection["features"]:
            continue
        layers.append({
            "id": layer, "name": html.escape(_t(layer, lang)), "show": True, "min_zoom": MIN_ZOOM.get(layer, 0),
            "attribution": html.escape(_t("osm_attribution", lang)) if layer == "streets" else "",
            "data": collection,
        })  # fmt: skip
    return layers


def _overlay(ident: str, name: str, kind: str, data: dict, *, show: bool = True, style: dict | None = None) -> dict:
    return {"id": ident, "name": html.escape(name), "kind": kind, "show": show, "style": style or {}, "data": data}


def _polygons(frame: gpd.GeoDataFrame, metric_crs, properties: list[dict]) -> dict:
    """Return the polygons of ``frame`` as GeoJSON in WGS-84; simplified in ``metric_crs`` first when one is given."""
    geometry = frame.geometry
    if metric_crs is not None:
        metric = geometry.to_crs(metric_crs)
        simplified = shapely.simplify(metric.to_numpy(), BASEMAP_TOLERANCE_M, preserve_topology=True)
        geometry = gpd.GeoSeries(simplified, crs=metric_crs)
    return _collection(geometry.to_crs(settings.WGS84).to_numpy(), properties)


def _points(frame: gpd.GeoDataFrame, properties: list[dict], *, tip: bool = True) -> dict:
    """Return the points of ``frame`` (WGS-84) as GeoJSON; ``properties`` per row: dicts, or tooltip HTML if ``tip``."""
    props = [{"tip": p} for p in properties] if tip else properties
    return _collection(frame.geometry.to_numpy(), props)


def _collection(geometry: np.ndarray, properties: list[dict]) -> dict:
    """Return WGS-84 geometries as a GeoJSON FeatureCollection, rounded to the basemap's decimals, empties dropped.

    Geometries stay shapely's GeoJSON text (:class:`~geoplan.outputs.basemap.RawJSON`), written as they are into
    the page: a whole city's hundreds of thousands of candidates and demand cells would otherwise be a dict, a list
    and floats each.
    """
    geometry = np.asarray(geometry, dtype=object)
    rounded = shapely.transform(geometry, lambda xy: np.round(xy, COORDINATE_DECIMALS))
    keep = ~shapely.is_missing(rounded) & ~shapely.is_empty(rounded)
    texts = shapely.to_geojson(rounded[keep])
    props = [p for p, k in zip(properties, keep, strict=True) if k]
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": RawJSON(text), "properties": p}
            for text, p in zip(texts, props, strict=True)
        ],
    }


def _utilisation(row) -> dict:
    """Return a capacitated scenario's station's utilisation and ring colour (nothing for other scenarios)."""
    utilisation = getattr(row, "utilisation", None)
    band = utilisation_band(utilisation)
    if band is None:
        return {}
    return {"utilisation": round(float(utilisation), 4), "ring": UTILISATION_COLOURS[band]}


def _proposal_popup(row, lang: str) -> str:
    name = row.name if isinstance(row.name, str) and row.name else "—"
    covered = "—" if _missing(row.covered_workers) else f"{row.covered_workers:.0f}"
    area = "—" if _missing(row.footprint_m2) else f"{row.footprint_m2:g} m²"
    return (
        f"<b>{_html_text(row.id)}</b> · {_html_text(_label(f'level_{row.level}', lang))}<br>"
        + _lines([
            (_label("district", lang), row.district), (_label("covered_workers", lang), covered),
            (_t("floor_area", lang), area), (_t("type", lang), f"{row.kind} ({row.source})"), (_t("name", lang), name),
            ("WGS-84", f"{row.lon:.6f}, {row.lat:.6f}"), ("GCJ-02", f"{row.lon_gcj02:.6f}, {row.lat_gcj02:.6f}"),
        ])
    )  # fmt: skip


def _legend(lang: str, *, candidates: bool, workers: bool, modes: tuple, basemap: list[dict],
            minutes: float = 0.0) -> dict:  # fmt: skip
    """Return the legend entries (catalogue texts, set as text): stations, coverage, areas, basemap."""
    items = [
        {"shape": "station", "colour": LEVEL_COLOURS["city"], "text": _t("city_station", lang)},
        {"shape": "station", "colour": LEVEL_COLOURS["district"], "text": _t("district_station", lang)},
    ]
    if workers:
        items += [
            {"shape": "dot", "colour": _COVERED, "text": _t("mostly_covered", lang)},
            {"shape": "dot", "colour": _UNCOVERED, "text": _t("mostly_uncovered", lang)},
        ]
    items += [{"shape": "area", "colour": _MODE_COLOURS.get(m, "#3498db"), "text": _service_name(m, minutes, lang)}
              for m in modes]  # fmt: skip
    if candidates:
        items.append({"shape": "dot", "colour": "#7f8c8d", "text": _t("candidate", lang)})
    items.append({"shape": "dashed", "colour": "#555555", "text": _t("boundary", lang)})
    present = {layer["id"] for layer in basemap}
    if "streets" in present:
        items.append({"shape": "line", "colour": _STREET_COLOUR, "text": _t("streets", lang)})
    items += [{"shape": "fill", "colour": _BASEMAP_LEGEND[layer], "text": _t(layer, lang)}
              for layer in ("water", "buildings") if layer in present]  # fmt: skip
    return {"title": _t("legend", lang), "items": items}


# --- texts ---------------------------------------------------------------------------------------------------------


def _lines(pairs: list[tuple[str, object]]) -> str:
    """Return ``label: value`` lines as HTML, both escaped (a blank label gives the value alone)."""
    out = []
    for label, value in pairs:
        shown = "—" if _missing(value) else _html_text(value)
        out.append(f"{_html_text(label)}: {shown}" if label else shown)
    return "<br>".join(out)


def _text(value: object) -> bool:
    """Tell whether ``value`` is a text that is not blank."""
    return isinstance(value, str) and bool(value.strip())


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _html_text(text: object) -> str:
    """Escape text for a popup, tooltip or the page: HTML, and the ``$``, backtick and backslash of script literals.

    Popups and tooltips are set as HTML (Leaflet's ``bindPopup``/``bindTooltip`` with a string), so every text from
    the data goes through here; ``$``, backticks and backslashes become entities too (they show as themselves), so
    no ``${...}`` of a name can reach a script literal wherever the text is copied to.
    """
    return html.escape(str(text)).replace("$", "&#36;").replace("`", "&#96;").replace("\\", "&#92;")


def _service_name(mode: str, minutes: float, lang: str) -> str:
    return i18n.text("webmap", "service_area", lang, mode=_label(f"mode_{mode}", lang), minutes=minutes)


def _t(key: str, lang: str, **params: object) -> str:
    return i18n.text("webmap", key, lang, **params)


def _label(key: str, lang: str) -> str:
    return i18n.text("label", key, lang)
