"""Static coverage map of a scenario as a PNG, drawn from the study area's own OSM data (no tiles, no network).

:func:`render_map` draws, in the area's UTM zone: land use, water, buildings, streets (width by road class),
district boundaries with their names, the stations' walking service areas, the demand points (covered or not) and
the stations (shape by status, colour by level) with their names, in a capacitated scenario each ringed in the
colour of its utilisation band (:mod:`geoplan.outputs.utilisation`, as the HTML map does); then a legend, a scale
bar, a north arrow, a title and the share of workers covered. Everything is drawn on a
:class:`matplotlib.figure.Figure` with the Agg canvas, so no pyplot state is touched and renders in threads of a web
server do not interfere.

Chinese text needs a CJK font: :func:`cjk_font` finds Noto Sans CJK SC (Debian's ``fonts-noto-cjk``) with
:mod:`matplotlib.font_manager`. Without it the map falls back to DejaVu Sans with English labels, and names it
cannot draw are shortened to what it can (station ids in the worst case), so no glyph goes missing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path as MplPath

from geoplan import i18n
from geoplan.files import check_target, write_atomic
from geoplan.outputs.export_data import ExportData
from geoplan.outputs.fonts import CJK_FAMILY, NOTO_CJK_DIR, FontFace, cjk_font, text_font
from geoplan.outputs.utilisation import UTILISATION_COLOURS, band_label, utilisation_band
from geoplan.vocabulary import LANGUAGES

__all__ = [
    "CJK_FAMILY",
    "FIGSIZE_IN",
    "LANGUAGES",
    "NOTO_CJK_DIR",
    "FontFace",
    "cjk_font",
    "render_figure",
    "render_map",
    "scale_length",
    "text_font",
]


#: Figure size in inches (width, height): at ``dpi`` the PNG is ``round(11 * dpi)`` x ``round(7.5 * dpi)`` pixels.
FIGSIZE_IN = (11.0, 7.5)

#: The map's axes: left and width in figure fractions (the legend takes the column to the right); room above it
#: (for the title) and below it (for the footer) in inches.
MAP_LEFT, MAP_WIDTH, MAP_TOP_IN, MAP_BOTTOM_IN = 0.012, 0.735, 0.75, 0.375

#: Smallest grid cell (m) demand points are summed over on the map.
MIN_DEMAND_CELL_M = 10.0

#: Street line widths (points) by OSM ``highway`` class; ``*_link`` roads get 70 % of their class.
STREET_WIDTHS = {
    "motorway": 2.6,
    "trunk": 2.4,
    "primary": 2.0,
    "secondary": 1.6,
    "tertiary": 1.25,
    "residential": 0.8,
    "unclassified": 0.8,
    "living_street": 0.7,
    "road": 0.7,
    "pedestrian": 0.7,
    "service": 0.5,
}

#: Width of every other street class (footways, paths, steps, cycleways, ...).
MINOR_STREET_WIDTH = 0.35

#: Road classes drawn in the darker "major road" colour.
MAJOR_STREETS = frozenset({"motorway", "trunk", "primary", "secondary", "tertiary"})

#: Land-use fill colours by kind; OSM ``landuse`` values of each kind are in :data:`LANDUSE_KINDS`.
LANDUSE_COLOURS = {
    "green": "#d6e9c6",
    "residential": "#ece8e1",
    "commercial": "#f2e1e6",
    "industrial": "#e6deed",
    "other": "#eeeeee",
}

#: OSM ``landuse`` values drawn in each kind's colour; other values are drawn as "other".
LANDUSE_KINDS = {
    "green": {
        "grass", "park", "forest", "meadow", "recreation_ground", "cemetery", "allotments", "village_green",
        "orchard", "farmland", "greenfield", "vineyard", "plant_nursery", "flowerbed",
    },
    "residential": {"residential"},
    "commercial": {"commercial", "retail"},
    "industrial": {"industrial", "railway", "construction", "brownfield", "depot", "port"},
}  # fmt: skip

LEVEL_COLOURS = {"city": "#c0392b", "district": "#2471a3"}
STATUS_MARKERS = {"proposed": "o", "accepted": "s", "existing": "D"}
COVERED_COLOUR, UNCOVERED_COLOUR = "#27ae60", "#e74c3c"
WATER_COLOUR, BUILDING_COLOUR = "#aad3df", "#d9d0c9"
SERVICE_FILL, SERVICE_EDGE = "#5dade2", "#2874a6"

#: Marker area (points²) of a station's utilisation ring by level: around the station's marker (120 and 80).
RING_SIZES = {"city": 340.0, "district": 260.0}

#: Line width (points) of a utilisation ring.
RING_WIDTH = 2.4


def scale_length(width_m: float) -> float:
    """Return the scale bar's length: the largest 1, 2, 2.5 or 5 x 10^k metres not above a fifth of ``width_m``.

    Parameters
    ----------
    width_m : float
        Width of the map, metres (> 0).

    Returns
    -------
    float
        Length in metres (at least 1): between a tenth and a fifth of ``width_m`` (for widths from 10 m).
    """
    target = max(float(width_m) / 5.0, 1.0)
    power = 10.0 ** math.floor(math.log10(target))
    return max(step * power for step in (1.0, 2.0, 2.5, 5.0) if step * power <= target)


def render_figure(data: ExportData, lang: str = "zh", *, size_in: tuple[float, float] = FIGSIZE_IN) -> Figure:
    """Draw the scenario's coverage map on a new figure (Agg canvas, nothing shown).

    The map is in the area's UTM zone: its north arrow shows UTM grid north, which differs from true north by the
    meridian convergence, about (longitude - zone's central meridian) x sin(latitude): at most 3° x sin(latitude)
    within a zone, under 1.5° at Nanchang's 28.7° N.

    Parameters
    ----------
    data : ExportData
        The scenario's stations, service areas, demand and coverage (see :mod:`geoplan.outputs.export_data`).
    lang : {"zh", "en"}
        Language of the labels. Chinese labels need the Noto CJK fonts; without them English is used.
    size_in : tuple of float
        Width and height of the figure, inches (default :data:`FIGSIZE_IN`; the PDF report uses a taller one).

    Returns
    -------
    matplotlib.figure.Figure
        Of size ``size_in``. Artists tests and callers may look up by gid: ``"map"`` (the axes),
        ``"legend"``, ``"scale-bar"`` (and its label ``"scale-bar-label"``), ``"north-arrow"`` (its "N" is
        ``"north-arrow-label"``), ``"title"``, ``"subtitle"``; in a capacitated scenario
        ``"utilisation-ring"`` (the rings of one band's stations, a collection per band present).

    Raises
    ------
    InputError
        ``lang`` is not one of :data:`LANGUAGES`.
    """
    i18n.check_lang(lang)
    font, bold = text_font(), text_font(bold=True)
    lang = lang if font.cjk else "en"
    text = i18n.entries("png", lang)
    area = data.area
    fig = Figure(figsize=size_in, facecolor="white")
    FigureCanvasAgg(fig)
    height = size_in[1]
    top, bottom = 1.0 - MAP_TOP_IN / height, MAP_BOTTOM_IN / height
    ax = fig.add_axes((MAP_LEFT, bottom, MAP_WIDTH, top - bottom))
    ax.set_gid("map")
    ax.set_facecolor("white")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_edgecolor("#999999")
    station_xy = shapely.get_coordinates(data.stations.geometry.to_crs(area.crs).to_numpy())
    extent = _extent(area, station_xy)
    handles: list = []
    handles += _draw_landuse(ax, area.landuse, text)
    handles += _draw_polygons(ax, area.water, WATER_COLOUR, text["water"], zorder=2)
    handles += _draw_polygons(ax, area.buildings, BUILDING_COLOUR, text["buildings"], zorder=3)
    handles += _draw_streets(ax, area.edges, text)
    handles += _draw_service_areas(ax, data, text)
    handles += _draw_districts(ax, area.districts, extent, font, text)
    handles += _draw_demand(ax, data.demand, area.crs, extent, text)
    handles += _draw_stations(ax, data.stations, station_xy, font, text)
    if data.capacity is not None:
        handles += _draw_utilisation(ax, data.stations, station_xy, lang)
    _fit(ax, extent)
    _draw_scale_bar(ax, font)
    _draw_north_arrow(ax, bold)
    legend = fig.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(0.76, top), frameon=False, prop=font.properties(8.5),
        title=text["legend"], title_fontproperties=bold.properties(10), alignment="left", borderaxespad=0.0,
        handlelength=2.2, labelspacing=0.7,
    )  # fmt: skip
    legend.set_gid("legend")
    _draw_titles(fig, data, font, bold, lang)
    return fig


def render_map(
    data: ExportData, out: Path, lang: str = "zh", dpi: int = 150, *, size_in: tuple[float, float] = FIGSIZE_IN
) -> Path:
    """Render the scenario's coverage map to a PNG file.

    The file is written to a temporary file beside ``out`` and moved into place, so a failed render leaves an
    existing ``out`` as it was. See :func:`render_figure` for what the map shows (its north arrow is UTM grid
    north).

    Parameters
    ----------
    data : ExportData
        The scenario's data (see :mod:`geoplan.outputs.export_data`).
    out : pathlib.Path
        PNG file to write; its folder must exist.
    lang : {"zh", "en"}
        Language of the labels.
    dpi : int
        Resolution: the image is ``round(11 * dpi)`` x ``round(7.5 * dpi)`` pixels (see :data:`FIGSIZE_IN`).
    size_in : tuple of float
        Width and height of the map, inches.

    Returns
    -------
    pathlib.Path
        ``out``.

    Raises
    ------
    InputError
        Unknown ``lang``, a ``dpi`` that is not a positive number, or ``out``'s folder cannot be written.
    """
    i18n.check_lang(lang)
    if isinstance(dpi, bool) or not isinstance(dpi, int | float) or not 1 <= dpi <= 1200:
        raise i18n.input_error("dpi_range", value=dpi)
    out = check_target(out)
    fig = render_figure(data, lang, size_in=size_in)
    write_atomic(out, lambda tmp: fig.savefig(tmp, format="png", dpi=dpi, facecolor="white"))
    return out


# --- layers ----------------------------------------------------------------------------------------------------------


def _draw_landuse(ax, landuse, text: Mapping[str, str]) -> list:
    if len(landuse) == 0 or "landuse" not in landuse.columns:
        return []
    kinds = landuse["landuse"].map(_landuse_kind)
    handles = []
    for kind in ("other", "residential", "commercial", "industrial", "green"):
        subset = landuse[kinds == kind]
        if len(subset):
            _draw_polygons(ax, subset, LANDUSE_COLOURS[kind], "", zorder=1)
    present = set(kinds)
    if "green" in present:
        handles.append(_patch(LANDUSE_COLOURS["green"], text["green"]))
    if present - {"green"}:
        handles.append(_patch(LANDUSE_COLOURS["residential"], text["landuse"]))
    return handles


def _landuse_kind(value: object) -> str:
    for kind, values in LANDUSE_KINDS.items():
        if value in values:
            return kind
    return "other"


def _draw_polygons(ax, geometries, colour: str, label: str, zorder: float, **style) -> list:
    """Fill polygons (a GeoDataFrame's or a list of geometries) in one colour; return their legend handle."""
    if hasattr(geometries, "geometry"):
        geometries = geometries.geometry.to_numpy()
    path = _polygon_path(geometries)
    if path is None:
        return []
    ax.add_patch(PathPatch(path, facecolor=colour, edgecolor="none", zorder=zorder, **style))
    return [_patch(colour, label)] if label else []


def _polygon_path(geometries: Iterable) -> MplPath | None:
    """One compound path of all polygons (exteriors clockwise, holes counter-clockwise, so holes stay empty)."""
    parts = shapely.get_parts(np.asarray(geometries, dtype=object))
    parts = parts[shapely.get_type_id(parts) == shapely.GeometryType.POLYGON]
    parts = shapely.normalize(parts[~shapely.is_empty(parts)])
    if len(parts) == 0:
        return None
    rings = shapely.get_rings(parts)
    xy, ring = shapely.get_coordinates(rings, return_index=True)
    codes = np.full(len(xy), MplPath.LINETO, dtype=MplPath.code_type)
    starts = np.flatnonzero(np.r_[True, ring[1:] != ring[:-1]])
    codes[starts] = MplPath.MOVETO
    codes[np.r_[starts[1:] - 1, len(xy) - 1]] = MplPath.CLOSEPOLY
    return MplPath(xy, codes)


def _draw_streets(ax, edges, text: Mapping[str, str]) -> list:
    if len(edges) == 0:
        return []
    classes = edges["highway"].map(_highway_class) if "highway" in edges.columns else pd.Series("road", edges.index)
    parts, owner = shapely.get_parts(edges.geometry.to_numpy(), return_index=True)
    lines = shapely.get_type_id(parts) == shapely.GeometryType.LINESTRING
    parts, owner = parts[lines], owner[lines]
    xy, line = shapely.get_coordinates(parts, return_index=True)
    splits = np.flatnonzero(np.diff(line)) + 1
    segments = np.split(xy, splits)
    street_class = classes.to_numpy()[owner[np.unique(line)]]
    widths = np.array([_street_width(name) for name in street_class])
    colours = np.where([name.removesuffix("_link") in MAJOR_STREETS for name in street_class], "#7b7b7b", "#a3a3a3")
    order = np.argsort(widths, kind="stable")  # wide roads on top
    ax.add_collection(
        LineCollection(
            [segments[i] for i in order],
            linewidths=widths[order],
            colors=colours[order],
            zorder=4,
            capstyle="round",
            joinstyle="round",
        )
    )
    return [Line2D([], [], color="#7b7b7b", linewidth=1.6, label=text["streets"])]


def _highway_class(value: object) -> str:
    if isinstance(value, list | tuple | np.ndarray):
        value = value[0] if len(value) else None
    return str(value) if isinstance(value, str) and value else "road"


def _street_width(name: str) -> float:
    base = name.removesuffix("_link")
    width = STREET_WIDTHS.get(base, MINOR_STREET_WIDTH)
    return width * 0.7 if base != name else width


def _draw_service_areas(ax, data: ExportData, text: Mapping[str, str]) -> list:
    areas = data.service_areas
    if len(areas) == 0:
        return []
    if "mode" in areas.columns:
        areas = areas[areas["mode"] == "walk"]
    areas = areas[areas.geometry.notna() & ~areas.geometry.is_empty]
    if len(areas) == 0:
        return []
    union = shapely.union_all(areas.geometry.to_crs(data.area.crs).to_numpy())
    path = _polygon_path([union])
    if path is None:
        return []
    fill, edge = to_rgba(SERVICE_FILL, 0.22), to_rgba(SERVICE_EDGE, 0.7)
    ax.add_patch(PathPatch(path, facecolor=fill, edgecolor=edge, linewidth=0.7, zorder=5))
    minutes = float(data.minutes) if data.minutes else float(areas["minutes"].iloc[0])
    label = text["service"].format(minutes=minutes)
    return [Rectangle((0, 0), 1, 1, facecolor=to_rgba(SERVICE_FILL, 0.4), edgecolor=edge, label=label)]


def _draw_districts(ax, districts, extent, font: FontFace, text: Mapping[str, str]) -> list:
    if len(districts) == 0:
        return []
    boundaries = shapely.boundary(districts.geometry.to_numpy())
    parts = shapely.get_parts(boundaries)
    xy, line = shapely.get_coordinates(parts, return_index=True)
    segments = np.split(xy, np.flatnonzero(np.diff(line)) + 1)
    ax.add_collection(
        LineCollection(segments, colors="#4d4d4d", linewidths=1.1, linestyles=(0, (5, 3)), zorder=6, alpha=0.9)
    )
    view = shapely.box(*extent)
    halo = [patheffects.withStroke(linewidth=3, foreground="white")]
    names = districts["district"].astype(str).to_numpy()
    for name, geometry in zip(names, districts.geometry.to_numpy(), strict=True):
        visible = shapely.intersection(geometry, view)
        if visible.is_empty or visible.area < 0.01 * view.area:
            continue
        spot = visible.representative_point() if visible.geom_type != "Polygon" else _label_spot(visible)
        label = font.drawable(name)
        if label:
            ax.text(
                spot.x, spot.y, label, fontproperties=font.properties(10.5), color="#3d3d3d", ha="center",
                va="center", zorder=9, path_effects=halo, parse_math=False, alpha=0.85,
            )  # fmt: skip
    return [Line2D([], [], color="#4d4d4d", linewidth=1.1, linestyle=(0, (5, 3)), label=text["boundary"])]


def _label_spot(polygon: shapely.Polygon) -> shapely.Point:
    """Return the polygon's centroid if it lies inside, else a point surely inside."""
    centroid = polygon.centroid
    return centroid if polygon.contains(centroid) else polygon.representative_point()


def _draw_demand(ax, demand, crs, extent, text: Mapping[str, str]) -> list:
    """Draw workers covered (green) and not (red) as dots sized by headcount, summed per small grid cell.

    The cell is 1/250 of the map's width (at least :data:`MIN_DEMAND_CELL_M`), so a city-wide map shows a few
    thousand dots rather than tens of thousands of overlapping ones.
    """
    handles = [
        Line2D([], [], marker="o", linestyle="", markersize=5, color=colour, alpha=0.7, label=text[key])
        for key, colour in (("covered", COVERED_COLOUR), ("uncovered", UNCOVERED_COLOUR))
    ]
    if len(demand) == 0:
        return handles
    xy = shapely.get_coordinates(demand.geometry.to_crs(crs).to_numpy())
    cell_m = max((extent[2] - extent[0]) / 250.0, MIN_DEMAND_CELL_M)
    cells = pd.DataFrame(
        {
            "cx": np.floor(xy[:, 0] / cell_m).astype(np.int64),
            "cy": np.floor(xy[:, 1] / cell_m).astype(np.int64),
            "covered": demand["covered"].to_numpy(dtype=bool),
            "weight": np.clip(demand["weight"].to_numpy(dtype=float), 0.0, None),
        }
    )
    cells = cells.groupby(["covered", "cx", "cy"], as_index=False)["weight"].sum()
    top = max(float(cells["weight"].max()), 1e-9)
    for hit, colour in ((True, COVERED_COLOUR), (False, UNCOVERED_COLOUR)):
        rows = cells[cells["covered"] == hit]
        if len(rows):
            ax.scatter(
                (rows["cx"] + 0.5) * cell_m, (rows["cy"] + 0.5) * cell_m, s=1.5 + 16.0 * np.sqrt(rows["weight"] / top),
                c=colour, alpha=0.55, linewidths=0, zorder=7 if hit else 7.5,
            )  # fmt: skip
    return handles


def _draw_stations(ax, stations, xy: np.ndarray, font: FontFace, text: Mapping[str, str]) -> list:
    handles = [
        Line2D([], [], marker="o", linestyle="", markersize=9, markerfacecolor=LEVEL_COLOURS[level],
               markeredgecolor="white", markeredgewidth=1.5, label=text[level])
        for level in ("city", "district")
    ]  # fmt: skip
    if len(stations) == 0:
        return handles
    status = stations["status"].astype(str).to_numpy()
    level = stations["level"].astype(str).to_numpy()
    for kind in dict.fromkeys(status):
        marker = STATUS_MARKERS.get(kind, "o")
        for grade in ("district", "city"):
            rows = (status == kind) & (level == grade)
            if rows.any():
                ax.scatter(
                    xy[rows, 0], xy[rows, 1], s=120 if grade == "city" else 80, marker=marker,
                    c=LEVEL_COLOURS[grade], edgecolors="white", linewidths=1.6, zorder=10,
                )  # fmt: skip
        if kind in STATUS_MARKERS:
            handles.append(
                Line2D([], [], marker=marker, linestyle="", markersize=7, markerfacecolor="#777777",
                       markeredgecolor="white", label=text.get(kind, kind))
            )  # fmt: skip
    halo = [patheffects.withStroke(linewidth=2.6, foreground="white")]
    names = stations["name"].fillna("").astype(str).to_numpy()
    ids = stations["id"].astype(str).to_numpy()
    for (x, y), name, ident in zip(xy, names, ids, strict=True):
        label = font.drawable(name, fallback=ident) if name else ident
        ax.annotate(
            label, (x, y), xytext=(6, 5), textcoords="offset points", fontproperties=font.properties(7.5),
            color="#1b1b1b", zorder=11, path_effects=halo, annotation_clip=True, parse_math=False,
        )  # fmt: skip
    return handles


def _draw_utilisation(ax, stations, xy: np.ndarray, lang: str) -> list:
    """Ring each station in the colour of its utilisation band, under its marker; a legend entry per band."""
    bands = np.array([utilisation_band(value) or "" for value in stations["utilisation"].to_numpy(dtype=float)])
    sizes = np.where(stations["level"].to_numpy() == "city", RING_SIZES["city"], RING_SIZES["district"])
    handles = []
    for band, colour in UTILISATION_COLOURS.items():
        rows = bands == band
        if rows.any():
            ax.scatter(
                xy[rows, 0], xy[rows, 1], s=sizes[rows], marker="o", facecolors="none", edgecolors=colour,
                linewidths=RING_WIDTH, zorder=9.8, gid="utilisation-ring",
            )  # fmt: skip
        handles.append(
            Line2D([], [], marker="o", linestyle="", markersize=10, markerfacecolor="none", markeredgecolor=colour,
                   markeredgewidth=2.2, label=band_label(band, lang))
        )  # fmt: skip
    return handles


def _patch(colour: str, label: str, alpha: float = 1.0, edgecolor: str = "none") -> Rectangle:
    return Rectangle((0, 0), 1, 1, facecolor=colour, edgecolor=edgecolor, alpha=alpha, label=label)


# --- frame: extent, scale bar, north arrow, titles ------------------------------------------------------------------


def _extent(area, station_xy: np.ndarray) -> tuple[float, float, float, float]:
    """Return the network's extent (grown to hold every station) with a 3 % margin, in the area's CRS."""
    xmin, ymin, xmax, ymax = area.boundary.bounds
    if len(station_xy):
        sx, sy = station_xy.T
        xmin, ymin = min(xmin, sx.min()), min(ymin, sy.min())
        xmax, ymax = max(xmax, sx.max()), max(ymax, sy.max())
    margin = 0.03 * max(xmax - xmin, ymax - ymin, 100.0)
    return xmin - margin, ymin - margin, xmax + margin, ymax + margin


def _fit(ax, extent: tuple[float, float, float, float]) -> None:
    """Show ``extent`` at equal scale, widening the short side so the map fills the axes box."""
    xmin, ymin, xmax, ymax = extent
    box = ax.get_position()
    fig_w, fig_h = ax.figure.get_size_inches()
    box_ratio = (box.width * fig_w) / (box.height * fig_h)
    width, height = xmax - xmin, ymax - ymin
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    if width / height < box_ratio:
        width = height * box_ratio
    else:
        height = width / box_ratio
    ax.set_xlim(cx - width / 2, cx + width / 2)
    ax.set_ylim(cy - height / 2, cy + height / 2)
    ax.set_aspect("equal", adjustable="box")


def _draw_scale_bar(ax, font: FontFace) -> None:
    xmin, xmax = ax.get_xlim()
    ymin, ymax = ax.get_ylim()
    width, height = xmax - xmin, ymax - ymin
    length = scale_length(width)
    x0, y0 = xmin + 0.03 * width, ymin + 0.035 * height
    bar = 0.009 * height
    ax.add_patch(
        Rectangle((x0 - 0.012 * width, y0 - 0.022 * height), length + 0.045 * width, 0.06 * height,
                  facecolor="white", edgecolor="none", alpha=0.8, zorder=12, gid="scale-bar-background")
    )  # fmt: skip
    for i in range(4):
        ax.add_patch(
            Rectangle((x0 + i * length / 4, y0), length / 4, bar, facecolor="#222222" if i % 2 == 0 else "white",
                      edgecolor="#222222", linewidth=0.8, zorder=13, gid="scale-bar")
        )  # fmt: skip
    style = {"fontproperties": font.properties(8), "color": "#222222", "zorder": 13, "va": "bottom", "ha": "center"}
    ax.text(x0, y0 + 1.6 * bar, "0", **style)
    ax.text(x0 + length, y0 + 1.6 * bar, _length_label(length), gid="scale-bar-label", **style)


def _length_label(metres: float) -> str:
    return f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"


def _draw_north_arrow(ax, bold: FontFace) -> None:
    x, top, bottom = 0.955, 0.945, 0.865
    ax.annotate(
        "", xy=(x, top), xytext=(x, bottom), xycoords="axes fraction", zorder=13, gid="north-arrow",
        arrowprops={"arrowstyle": "simple,head_length=0.9,head_width=0.7,tail_width=0.25", "color": "#222222"},
    )  # fmt: skip
    ax.text(
        x, top + 0.008, "N", transform=ax.transAxes, ha="center", va="bottom", fontproperties=bold.properties(12),
        color="#222222", zorder=13, gid="north-arrow-label",
        path_effects=[patheffects.withStroke(linewidth=3, foreground="white")],
    )  # fmt: skip


def _draw_titles(fig: Figure, data: ExportData, font: FontFace, bold: FontFace, lang: str) -> None:
    text = i18n.entries("png", lang)
    spec = data.area.spec
    area_title = spec.title_in(lang)
    parts = [bold.drawable(str(data.name or "")), bold.drawable(area_title, fallback=spec.name)]
    title = " · ".join(part for part in parts if part)
    height = fig.get_figheight()
    fig.text(0.012, 1.0 - 0.34 / height, title, fontproperties=bold.properties(15), va="center", ha="left", gid="title",
             parse_math=False)  # fmt: skip
    workers = data.workers or {}
    total, covered = float(workers.get("total", 0.0)), float(workers.get("covered", 0.0))
    share = float(workers.get("share", covered / total if total else 0.0))
    subtitle = " · ".join(
        [
            text["stations"].format(n=len(data.stations)),
            text["share"].format(share=f"{share:.1%}", covered=f"{covered:,.0f}", total=f"{total:,.0f}"),
        ]
    )
    fig.text(0.012, 1.0 - 0.62 / height, subtitle, fontproperties=font.properties(10.5), color="#333333", va="center",
             gid="subtitle", parse_math=False)  # fmt: skip
    crs = data.area.crs
    crs_name = getattr(crs, "name", None) or str(crs)
    epsg = crs.to_epsg() if hasattr(crs, "to_epsg") else None
    date = data.exported_at.strftime("%Y-%m-%d") if data.exported_at else ""
    footer = text["footer"].format(crs=f"EPSG:{epsg}" if epsg else crs_name, date=date)
    fig.text(0.012, 0.15 / height, font.drawable(footer), fontproperties=font.properties(7), color="#666666",
             va="center", parse_math=False)  # fmt: skip
