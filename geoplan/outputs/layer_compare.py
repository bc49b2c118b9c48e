"""The files of ``geoplan layer compare``: what the rule of thumb costs in observed workers, as tables and maps.

:func:`write_comparison` writes, all or none (:func:`geoplan.files.write_all`):

- ``comparison.csv``: :data:`~geoplan.planning.layer_compare.COMPARISON_COLUMNS`, the whole area then each
  district (see :meth:`~geoplan.planning.layer_compare.LayerComparison.table`);
- ``comparison_zh.csv``: the same with Chinese headings and scopes, for people (opens in Excel/WPS);
- ``comparison_stations.csv``: both plans' stations (``plan,id,district,level,lon,lat``, WGS-84);
- ``comparison.json``: the figures (:attr:`~geoplan.planning.layer_compare.LayerComparison.figures`) with the area,
  the observed layer's source and the parameters;
- ``comparison_zh.png`` / ``comparison_en.png``: the observed workers coloured by which plan covers them, both
  plans' stations, a legend and a title.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from geoplan import i18n
from geoplan.csvfile import write_frame
from geoplan.files import write_all
from geoplan.outputs.fonts import text_font
from geoplan.planning.layer_compare import COMPARISON_COLUMNS, LayerComparison
from geoplan.vocabulary import LANGUAGES

__all__ = ["CATEGORY_COLOURS", "COMPARISON_FILES", "comparison_frame", "comparison_png", "write_comparison"]

#: The files :func:`write_comparison` writes, in order.
COMPARISON_FILES = (
    "comparison.csv",
    "comparison_zh.csv",
    "comparison_stations.csv",
    "comparison.json",
    "comparison_zh.png",
    "comparison_en.png",
)

#: Colour of an observed worker on the map, by who covers it (catalog key ``png.compare_<category>``).
CATEGORY_COLOURS = {
    "both": "#2e7d32",
    "only_observed": "#1565c0",
    "only_rule": "#ef6c00",
    "neither": "#c62828",
}

#: Marker, colour and size of each plan's stations on the map: the rule plan's smaller triangles drawn over the
#: observed plan's squares, so that a site both plans chose shows both.
_STATION_STYLE = {
    "observed": {"marker": "s", "color": "#1565c0", "size": 150.0},
    "rule": {"marker": "^", "color": "#ef6c00", "size": 70.0},
}

_STREET, _MAJOR = "#d0d3d4", "#909497"
_MAJOR_CLASSES = frozenset({"motorway", "trunk", "primary", "secondary", "tertiary"})


def comparison_frame(comparison: LayerComparison, lang: str | None = None) -> pd.DataFrame:
    """Return the comparison table.

    Parameters
    ----------
    comparison : LayerComparison
    lang : {"zh", "en"}, optional
        None: the codes under the column names of :data:`COMPARISON_COLUMNS` (``comparison.csv``); ``zh`` or
        ``en``: headings and scopes in that language (``comparison_zh.csv``).

    Returns
    -------
    pandas.DataFrame
    """
    frame = comparison.table()
    if lang is None:
        return frame
    frame["scope"] = [i18n.text("label", f"compare_scope_{scope}", lang) for scope in frame["scope"]]
    return frame.rename(columns={c: i18n.text("label", f"compare_{c}", lang) for c in COMPARISON_COLUMNS})


def comparison_png(comparison: LayerComparison, lang: str = "zh", dpi: int = 130) -> bytes:
    """Draw the observed workers coloured by which plan covers them, and both plans' stations.

    Parameters
    ----------
    comparison : LayerComparison
    lang : {"zh", "en"}
        Language of the title and legend (English when the Chinese font is not installed).
    dpi : int
        Resolution.

    Returns
    -------
    bytes
        A PNG image, 11 x 8 inches.
    """
    i18n.check_lang(lang)
    font, bold = text_font(), text_font(bold=True)
    lang = lang if font.cjk else "en"
    text = i18n.entries("png", lang)
    area = comparison.area
    fig = Figure(figsize=(11.0, 8.0))
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.01, 0.05, 0.70, 0.83))
    ax.set_axis_off()
    ax.set_aspect("equal")
    _draw_streets(ax, area.edges)
    for polygon in area.districts.geometry.to_numpy():
        for ring in shapely.get_rings(polygon):
            xy = shapely.get_coordinates(ring)
            ax.plot(xy[:, 0], xy[:, 1], color="#7d3c98", linewidth=0.8, zorder=2)
    handles = _draw_workers(ax, comparison, text)
    handles += _draw_stations(ax, comparison, text)
    minx, miny, maxx, maxy = area.boundary.bounds
    pad = 0.03 * max(maxx - minx, maxy - miny, 1.0)
    ax.set_xlim(minx - pad, maxx + pad)
    ax.set_ylim(miny - pad, maxy + pad)
    fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.73, 0.88), frameon=False,
               prop=font.properties(9), title=text["compare_legend"], title_fontproperties=bold.properties(10),
               alignment="left")  # fmt: skip
    figures = comparison.figures
    group = i18n.group_name(comparison.group, lang)
    fig.text(0.012, 0.965, text["compare_title"].format(group=group), fontproperties=bold.properties(14),
             va="center", parse_math=False)  # fmt: skip
    fig.text(0.012, 0.93, font.drawable(area.spec.title_in(lang), area.spec.name), fontproperties=font.properties(10),
             va="center", parse_math=False)  # fmt: skip
    subtitle = text["compare_subtitle"].format(
        workers=i18n.format_count(figures["layer"]["workers"], lang),
        rule_stations=figures["rule"]["stations"], rule=_covered(figures["rule"], lang),
        observed_stations=figures["observed"]["stations"], observed=_covered(figures["observed"], lang),
    )  # fmt: skip
    fig.text(0.012, 0.9, subtitle, fontproperties=font.properties(10), color="#333333", va="center",
             parse_math=False)  # fmt: skip
    cutoff = i18n.format_count(comparison.params.cutoff_for(comparison.group), lang)
    fig.text(0.012, 0.02, text["compare_footer"].format(cutoff=cutoff), fontproperties=font.properties(8),
             color="#666666", va="center", parse_math=False)  # fmt: skip
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()


def write_comparison(comparison: LayerComparison, out_dir: Path | str) -> list[Path]:
    """Write the comparison's files (:data:`COMPARISON_FILES`) into ``out_dir``, all or none.

    Parameters
    ----------
    comparison : LayerComparison
    out_dir : pathlib.Path or str
        An existing, writable folder.

    Returns
    -------
    list of pathlib.Path
        The files written, in the order of :data:`COMPARISON_FILES`.

    Raises
    ------
    InputError
        The folder cannot be written.
    """
    writers = {
        "comparison.csv": lambda tmp: write_frame(comparison_frame(comparison), tmp),
        "comparison_zh.csv": lambda tmp: write_frame(comparison_frame(comparison, "zh"), tmp),
        "comparison_stations.csv": lambda tmp: write_frame(comparison.stations(), tmp),
        "comparison.json": lambda tmp: tmp.write_text(_json_text(comparison), encoding="utf-8"),
    }
    for lang in LANGUAGES:
        writers[f"comparison_{lang}.png"] = lambda tmp, lang=lang: tmp.write_bytes(comparison_png(comparison, lang))
    return write_all(out_dir, writers)


def _json_text(comparison: LayerComparison) -> str:
    spec = comparison.area.spec
    params = comparison.params.to_json()
    params["cutoff_m"] = {comparison.group: comparison.params.cutoff_for(comparison.group)} | params["cutoff_m"]
    document = {
        "area": {"name": spec.name, "title": spec.title, "title_zh": spec.title_zh, "crs": str(comparison.area.crs)},
        "layer_source": comparison.observed_plan.layer_rules.get(comparison.group, ""),
        **comparison.figures,
        "parameters": params,
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _covered(entry: dict, lang: str) -> str:
    return f"{i18n.format_count(entry['covered'], lang)} ({entry['share']:.1%})"


def _draw_streets(ax, edges) -> None:
    major = edges["highway"].astype(str).isin(_MAJOR_CLASSES).to_numpy()
    for mask, colour, width in ((~major, _STREET, 0.3), (major, _MAJOR, 0.8)):
        lines = [np.asarray(line.coords)[:, :2] for line in edges.geometry.to_numpy()[mask]]
        ax.add_collection(LineCollection(lines, colors=colour, linewidths=width, zorder=1))


def _draw_workers(ax, comparison: LayerComparison, text: dict) -> list:
    workers = comparison.workers
    rule = workers["covered_rule"].to_numpy(dtype=bool)
    observed = workers["covered_observed"].to_numpy(dtype=bool)
    category = np.select([rule & observed, observed, rule], ["both", "only_observed", "only_rule"], "neither")
    xy = shapely.get_coordinates(workers.geometry.to_numpy())
    size = np.clip(6.0 * np.sqrt(workers["weight"].to_numpy(dtype=float)), 2.0, 80.0)
    handles = []
    for name, colour in CATEGORY_COLOURS.items():
        mask = category == name
        if mask.any():
            ax.scatter(xy[mask, 0], xy[mask, 1], s=size[mask], c=colour, alpha=0.75, linewidths=0, zorder=3)
        handles.append(Line2D([], [], linestyle="none", marker="o", markersize=6, markerfacecolor=colour,
                              markeredgewidth=0, label=text[f"compare_{name}"]))  # fmt: skip
    return handles


def _draw_stations(ax, comparison: LayerComparison, text: dict) -> list:
    handles = []
    for kind, style in _STATION_STYLE.items():
        xy = shapely.get_coordinates(comparison.plan(kind).proposals.geometry.to_numpy())
        ax.scatter(xy[:, 0], xy[:, 1], s=style["size"], marker=style["marker"], c=style["color"], edgecolors="black",
                   linewidths=1.0, zorder=5 if kind == "rule" else 4)  # fmt: skip
        handles.append(Line2D([], [], linestyle="none", marker=style["marker"], markersize=9,
                              markerfacecolor=style["color"], markeredgecolor="black",
                              label=text[f"compare_{kind}_station"]))  # fmt: skip
    return handles
