"""The files of a batch of areas: one summary table, one map of every area and one report with a page per area.

:func:`write_summary` takes the areas' results as plain records (the JSON of
:class:`geoplan.batch.tasks.AreaResult`) and writes, in one go (all or nothing):

- ``summary.csv``: ``area,stations,covered_workers,workers,share,gap,status,seconds,error``, one row per area,
  English headers and status codes, for programs;
- ``summary_zh.csv``: the same with Chinese headings, statuses and errors, for people (opens in Excel/WPS);
- ``summary.gpkg``: layer ``areas`` (outlines with the figures, both languages' titles and statuses) and layer
  ``stations`` (every planned station, WGS-84);
- ``summary_map_zh.png`` / ``summary_map_en.png``: every area coloured by the share of its workers covered, with
  its stations;
- ``summary_zh.pdf`` / ``summary_en.pdf``: the table and the map, then a page per area (its figures, its map, its
  coverage per district, or why it failed).

:func:`area_map_png` draws one area's plan (streets, district lines, stations) for its page of the report.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from fpdf.enums import XPos, YPos
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch
from matplotlib.path import Path as MplPath

from geoplan import i18n, settings
from geoplan.csvfile import write_frame
from geoplan.files import write_all
from geoplan.outputs import pdf as report
from geoplan.outputs.fonts import text_font
from geoplan.planning.plan import Plan

__all__ = ["SUMMARY_COLUMNS", "SUMMARY_FILES", "area_map_png", "summary_frame", "write_summary"]

#: Columns of ``summary.csv``, in order.
SUMMARY_COLUMNS = ("area", "stations", "covered_workers", "workers", "share", "gap", "status", "seconds", "error")

#: The files :func:`write_summary` writes.
SUMMARY_FILES = (
    "summary.csv", "summary_zh.csv", "summary.gpkg", "summary_map_zh.png", "summary_map_en.png", "summary_zh.pdf",
    "summary_en.pdf",
)  # fmt: skip

_FAILED = "failed"
_UNPLANNED = frozenset({_FAILED, "no_streets"})
_STREET, _MAJOR = "#c8c8c8", "#8c8c8c"
_CITY, _DISTRICT = "#c0392b", "#2471a3"
_MAJOR_CLASSES = frozenset({"motorway", "trunk", "primary", "secondary", "tertiary"})


def summary_frame(records: Sequence[Mapping], lang: str | None = None) -> pd.DataFrame:
    """Return the summary table: one row per area, :data:`SUMMARY_COLUMNS`.

    Parameters
    ----------
    records : sequence of mapping
        Area results (``area``, ``title``, ``title_zh``, ``stations``, ``covered_workers``, ``workers``,
        ``share``, ``gap``, ``status``, ``seconds``, ``error``, ``error_zh``).
    lang : {"zh", "en"}, optional
        None: codes and English errors under the English column names (``summary.csv``); ``zh`` or ``en``: what a
        person reads, titles instead of names, statuses and errors in that language, headings translated.

    Returns
    -------
    pandas.DataFrame
    """
    rows = []
    for record in records:
        failed = record.get("status") in _UNPLANNED
        status = str(record.get("status", ""))
        rows.append({
            "area": _title(record, lang) if lang else record["area"],
            "stations": None if failed else int(record.get("stations", 0)),
            "covered_workers": None if failed else round(float(record.get("covered_workers", 0.0)), 2),
            "workers": None if failed else round(float(record.get("workers", 0.0)), 2),
            "share": None if failed else round(float(record.get("share", 0.0)), 4),
            "gap": None if failed or record.get("gap") is None else round(float(record["gap"]), 6),
            "status": _status(status, lang) if lang else status,
            "seconds": round(float(record.get("seconds", 0.0)), 2),
            "error": _error(record, lang or "en"),
        })  # fmt: skip
    frame = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    frame["stations"] = frame["stations"].astype("Int64")  # whole numbers, empty for a failed area
    if lang:
        frame = frame.rename(columns={c: i18n.text("batch", f"column_{c}", lang) for c in SUMMARY_COLUMNS})
    return frame


def write_summary(records: Sequence[Mapping], out_dir: Path, images: Mapping[str, Mapping[str, bytes]] | None = None,
                  notes: Sequence[Mapping[str, str]] = ()) -> list[Path]:  # fmt: skip
    """Write the batch's summary files (:data:`SUMMARY_FILES`) into ``out_dir``, all or none.

    Parameters
    ----------
    records : sequence of mapping
        Area results, in the order to show them (see :func:`summary_frame`; ``outline`` WKT and ``sites`` with
        ``lon``/``lat`` for the maps, ``by_district`` for the report).
    out_dir : pathlib.Path
        Existing folder.
    images : mapping, optional
        Each area's map by area name, then language (PNG bytes, see :func:`area_map_png`), for the report.
    notes : sequence of mapping
        Remarks on the whole batch, each ``{"zh": ..., "en": ...}`` (existing stations in no area...).

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    images = images or {}
    writers = {
        "summary.csv": lambda tmp: write_frame(summary_frame(records), tmp),
        "summary_zh.csv": lambda tmp: write_frame(summary_frame(records, "zh"), tmp),
        "summary.gpkg": lambda tmp: _write_geopackage(records, tmp),
    }
    for lang in ("zh", "en"):
        writers[f"summary_map_{lang}.png"] = lambda tmp, lang=lang: tmp.write_bytes(_overview_png(records, lang))
        writers[f"summary_{lang}.pdf"] = lambda tmp, lang=lang: _write_report(records, images, notes, lang, tmp)
    return write_all(out_dir, writers)


def area_map_png(plan: Plan, lang: str = "zh", dpi: int = 110) -> bytes:
    """Draw one area's plan: its streets, district lines and stations (city-level red, district-level blue).

    Parameters
    ----------
    plan : Plan
    lang : {"zh", "en"}
        Language of the title and legend.
    dpi : int
        Resolution.

    Returns
    -------
    bytes
        A PNG image.
    """
    font = text_font()
    fig = Figure(figsize=(8.0, 6.0))
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.9))
    ax.set_axis_off()
    ax.set_aspect("equal")
    edges = plan.area.edges
    major = edges["highway"].astype(str).isin(_MAJOR_CLASSES).to_numpy()
    for mask, colour, width in ((~major, _STREET, 0.3), (major, _MAJOR, 0.8)):
        lines = [np.asarray(line.coords)[:, :2] for line in edges.geometry.to_numpy()[mask]]
        ax.add_collection(LineCollection(lines, colors=colour, linewidths=width, zorder=1))
    _draw_outlines(ax, plan.area.districts.geometry.to_numpy(), "#7d3c98", 0.9)
    stations = plan.proposals
    if len(stations):
        xy = shapely.get_coordinates(stations.geometry.to_numpy())
        colours = np.where(stations["level"].to_numpy() == "city", _CITY, _DISTRICT)
        ax.scatter(xy[:, 0], xy[:, 1], s=36, c=colours, edgecolors="white", linewidths=0.8, zorder=3)
    minx, miny, maxx, maxy = plan.area.boundary.bounds
    pad = 0.03 * max(maxx - minx, maxy - miny, 1.0)
    ax.set_xlim(minx - pad, maxx + pad)
    ax.set_ylim(miny - pad, maxy + pad)
    summary = plan.summary()["workers"]
    name = font.drawable(plan.area.spec.title_in(lang), plan.area.spec.name)
    title = i18n.text("batch", "area_map_title", lang, area=name, stations=plan.stations,
                      share=f"{summary['share']:.1%}")  # fmt: skip
    fig.text(0.02, 0.95, title, fontproperties=font.properties(12), va="center")
    return _png_bytes(fig, dpi)


# --- summary pieces ----------------------------------------------------------------------------------------------


def _title(record: Mapping, lang: str) -> str:
    return str((record.get("title_zh") if lang == "zh" else record.get("title")) or record.get("title")
               or record["area"])  # fmt: skip


def _status(status: str, lang: str) -> str:
    if status in _UNPLANNED:
        return i18n.text("batch", f"status_{status}", lang)
    return i18n.status_text(status, lang)[0]


def _error(record: Mapping, lang: str) -> str:
    return str((record.get("error_zh") if lang == "zh" else record.get("error")) or record.get("error") or "")


def _outlines(records: Sequence[Mapping]) -> gpd.GeoDataFrame:
    shapes = [shapely.from_wkt(r["outline"]) if r.get("outline") else None for r in records]
    frame = pd.DataFrame([dict(r) for r in records])
    return gpd.GeoDataFrame(frame, geometry=shapes, crs=settings.WGS84)


def _write_geopackage(records: Sequence[Mapping], path: Path) -> None:
    table = summary_frame(records)
    areas = gpd.GeoDataFrame(
        table.assign(
            title=[_title(r, "en") for r in records], title_zh=[_title(r, "zh") for r in records],
            status_zh=[_status(str(r.get("status", "")), "zh") for r in records],
            error_zh=[_error(r, "zh") for r in records],
        ),
        geometry=_outlines(records).geometry.to_numpy(), crs=settings.WGS84,
    )  # fmt: skip
    areas.to_file(path, layer="areas", driver="GPKG")
    stations = [
        {"area": r["area"], "district": site.get("district"), "status": site.get("status"),
         "city_level": bool(site.get("city_level")), "covered_workers": site.get("covered_workers"),
         "lon": site["lon"], "lat": site["lat"]}
        for r in records for site in r.get("sites") or ()
    ]  # fmt: skip
    columns = ["area", "district", "status", "city_level", "covered_workers", "lon", "lat"]
    frame = pd.DataFrame(stations, columns=columns)
    points = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs=settings.WGS84)
    points.to_file(path, layer="stations", driver="GPKG", mode="a")


def _overview_png(records: Sequence[Mapping], lang: str, dpi: int = 130, size_in=(11.0, 8.0)) -> bytes:
    """Every area coloured by its covered share (failed areas hatched grey), its stations, its name."""
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    font = text_font()
    fig = Figure(figsize=size_in)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.01, 0.02, 0.84, 0.88))
    ax.set_axis_off()
    ax.set_aspect("equal")
    frame = _outlines(records)
    drawn = frame[frame.geometry.notna()]
    cmap, norm = colormaps["RdYlGn"], Normalize(0.0, 1.0)
    if len(drawn):
        crs = drawn.estimate_utm_crs()
        drawn = drawn.to_crs(crs)
        for row in drawn.itertuples():
            failed = row.status in _UNPLANNED
            colour = "#d5d8dc" if failed else cmap(norm(float(row.share)))
            _fill(ax, row.geometry, colour, hatch="//" if failed else None)
            label = font.drawable(_title(row._asdict(), lang), row.area)
            spot = row.geometry.representative_point()
            share = _status(row.status, lang) if failed else f"{float(row.share):.0%}"
            ax.text(spot.x, spot.y, f"{label}\n{share}", fontproperties=font.properties(7), ha="center", va="center",
                    zorder=4)  # fmt: skip
        sites = [(s["lon"], s["lat"], bool(s.get("city_level"))) for r in records for s in r.get("sites") or ()]
        if sites:
            lon, lat, city = (np.asarray(v) for v in zip(*sites, strict=True))
            points = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=settings.WGS84).to_crs(crs)
            ax.scatter(points.x, points.y, s=6, c=np.where(city, _CITY, _DISTRICT), linewidths=0, zorder=3)
        minx, miny, maxx, maxy = drawn.total_bounds
        pad = 0.02 * max(maxx - minx, maxy - miny, 1.0)
        ax.set_xlim(minx - pad, maxx + pad)
        ax.set_ylim(miny - pad, maxy + pad)
    bar = fig.add_axes((0.88, 0.2, 0.025, 0.55))
    colorbar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), cax=bar, format=lambda v, _: f"{v:.0%}")
    colorbar.set_label(i18n.text("batch", "legend_share", lang), fontproperties=font.properties(9))
    totals = _totals(records)
    title = i18n.text("batch", "overview_title", lang, areas=len(records), stations=totals["stations"],
                      share=f"{totals['share']:.1%}", failed=totals["failed"])  # fmt: skip
    fig.text(0.02, 0.95, title, fontproperties=font.properties(13), va="center")
    return _png_bytes(fig, dpi)


def _totals(records: Sequence[Mapping]) -> dict:
    done = [r for r in records if r.get("status") not in _UNPLANNED]
    workers = sum(float(r.get("workers", 0.0)) for r in done)
    covered = sum(float(r.get("covered_workers", 0.0)) for r in done)
    return {
        "stations": sum(int(r.get("stations", 0)) for r in done), "workers": workers, "covered": covered,
        "share": covered / workers if workers else 0.0, "failed": len(records) - len(done),
        "seconds": sum(float(r.get("seconds", 0.0)) for r in records),
    }  # fmt: skip


def _write_report(records: Sequence[Mapping], images: Mapping[str, Mapping[str, bytes]],
                  notes: Sequence[Mapping[str, str]], lang: str, path: Path) -> None:  # fmt: skip
    t = i18n.entries("batch", lang)
    pdf = report.new_document(t["report"], lang, t["report"])
    try:
        pdf.add_page()
        pdf.set_font(report.FONT_FAMILY, "B", size=18)
        pdf.multi_cell(0, 9, t["report"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(report.FONT_FAMILY, size=9.5)
        totals = _totals(records)
        when = i18n.format_time(dt.datetime.now(dt.UTC), lang)
        pdf.multi_cell(0, 5.5, i18n.text("batch", "report_totals", lang, date=when, areas=len(records),
                                         failed=totals["failed"], stations=totals["stations"],
                                         workers=i18n.format_count(totals["workers"], lang),
                                         covered=i18n.format_count(totals["covered"], lang),
                                         share=f"{totals['share']:.1%}"),
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT, wrapmode=pdf.wrap)  # fmt: skip
        for note in notes:
            pdf.multi_cell(0, 5.5, note.get(lang) or note.get("en", ""), new_x=XPos.LMARGIN, new_y=YPos.NEXT,
                           wrapmode=pdf.wrap)  # fmt: skip
        pdf.ln(2)
        pdf.image(report.palette_image(io.BytesIO(_overview_png(records, lang, dpi=150))), w=pdf.epw)
        report.heading(pdf, t["table"])
        table = summary_frame(records, lang)
        rows = [[_cell(v, column) for column, v in zip(SUMMARY_COLUMNS[:-1], row, strict=False)]
                for row in table.iloc[:, :-1].itertuples(index=False)]  # fmt: skip
        report.table(pdf, list(table.columns[:-1]), rows, (36, 14, 24, 24, 18, 20, 26, 18),
                     ("L", "R", "R", "R", "R", "R", "L", "R"), size=8)  # fmt: skip
        for record in records:
            _area_page(pdf, record, images.get(record["area"], {}).get(lang), lang, t)
        pdf.output(str(path))
    finally:
        report.close_fonts(pdf)


def _area_page(pdf, record: Mapping, image: bytes | None, lang: str, t: Mapping[str, str]) -> None:
    pdf.add_page()
    report.heading(pdf, _title(record, lang))
    failed = record.get("status") in _UNPLANNED
    facts = [
        (t["column_status"], _status(str(record.get("status", "")), lang)),
        (t["column_seconds"], f"{float(record.get('seconds', 0.0)):.1f}"),
    ]
    if failed:
        facts.append((t["column_error"], _error(record, lang)))
    else:
        facts[:0] = [
            (t["column_stations"], str(record.get("stations", 0))),
            (t["column_workers"], i18n.format_count(float(record.get("workers", 0.0)), lang)),
            (t["column_covered_workers"], i18n.format_count(float(record.get("covered_workers", 0.0)), lang)),
            (t["column_share"], f"{float(record.get('share', 0.0)):.1%}"),
            (t["column_gap"], report.format_gap(record.get("gap"))),
        ]
    report.table(pdf, [t["fact"], t["value"]], facts, (50, 130), ("L", "L"))
    if image:
        pdf.image(report.palette_image(io.BytesIO(image)), w=pdf.epw * 0.9)
    districts = record.get("by_district") or {}
    if districts and not failed:
        report.heading(pdf, t["by_district"])
        rows = [
            [name, i18n.format_count(v.get("workers", 0.0), lang), i18n.format_count(v.get("covered", 0.0), lang),
             f"{float(v.get('share', 0.0)):.1%}", str(v.get("stations", 0))]
            for name, v in districts.items()
        ]  # fmt: skip
        report.table(pdf, [t["district"], t["column_workers"], t["column_covered_workers"], t["column_share"],
                           t["column_stations"]], rows, (60, 32, 32, 26, 30), ("L", "R", "R", "R", "R"))  # fmt: skip


def _cell(value: object, column: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if column == "share":
        return f"{float(value):.1%}"
    if column == "gap":
        return report.format_gap(float(value))
    if column in ("workers", "covered_workers"):
        return f"{float(value):,.0f}"
    if column == "seconds":
        return f"{float(value):.1f}"
    return str(value)


# --- drawing ---------------------------------------------------------------------------------------------------------


def _draw_outlines(ax, geometries, colour: str, width: float) -> None:
    lines = []
    for geometry in geometries:
        for ring in shapely.get_parts(shapely.boundary(geometry)):
            for part in shapely.get_parts(ring):
                lines.append(np.asarray(part.coords)[:, :2])
    ax.add_collection(LineCollection(lines, colors=colour, linewidths=width, linestyles="--", zorder=2))


def _fill(ax, geometry, colour, hatch: str | None = None) -> None:
    vertices, codes = [], []
    for polygon in shapely.get_parts(geometry):
        if not isinstance(polygon, shapely.Polygon):
            continue
        for ring in (polygon.exterior, *polygon.interiors):
            xy = np.asarray(ring.coords)[:, :2]
            vertices.append(xy)
            codes.append(np.r_[MplPath.MOVETO, np.full(len(xy) - 2, MplPath.LINETO), MplPath.CLOSEPOLY])
    if vertices:
        path = MplPath(np.concatenate(vertices), np.concatenate(codes).astype(np.uint8))
        ax.add_patch(PathPatch(path, facecolor=colour, edgecolor="#505050", linewidth=0.6, hatch=hatch, zorder=2))


def _png_bytes(fig: Figure, dpi: int) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()
