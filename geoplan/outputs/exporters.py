"""Export a review scenario as files planners hand on: GeoJSON, GeoPackage, KML, CSV, HTML, PNG and PDF.

The data of a scenario is gathered once (:func:`geoplan.outputs.export_data.build_export_data`), then written in
the asked format by the format's own module. Every file is written to a staging folder beside its target and
moved into place when complete (:func:`geoplan.files.write_all`), so a failed export leaves no half-written file
and an existing file of the same name untouched.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path

from geoplan import i18n
from geoplan.files import check_folder, ensure_folder, write_all
from geoplan.outputs import kml, pdf, png, tables, webmap
from geoplan.outputs.export_data import ExportData, active_sites, build_export_data
from geoplan.planning.workspace import Workspace

__all__ = ["EXTENSIONS", "FORMATS", "GEOJSON_FILES", "check_format", "export_scenario", "planned_files",
           "write_export"]  # fmt: skip

#: Formats :func:`export_scenario` writes.
FORMATS = ("geojson", "gpkg", "kml", "csv", "html", "png", "pdf")

#: File extension of each format.
EXTENSIONS = {fmt: f".{fmt}" for fmt in FORMATS}

#: Files a GeoJSON export writes into a folder.
GEOJSON_FILES = ("stations.geojson", "service_areas.geojson", "districts.geojson", "demand.geojson")


def export_scenario(
    scenario: dict, fmt: str, out: Path | str, *, workspace: Workspace, lang: str = "zh", minutes: float = 15
) -> list[Path]:
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
    workspace : Workspace
        The scenario's workspace (:func:`geoplan.planning.scenarios.scenario_workspace`).
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
    geoplan.outputs.export_data.build_export_data, write_export : the two steps, to write several formats from one
    gathering of the data.
    """
    fmt, lang = check_format(fmt), i18n.check_lang(lang)
    planned_files(scenario, fmt, out)
    return write_export(build_export_data(scenario, workspace, minutes=minutes), fmt, out, lang=lang)


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
    fmt, lang = check_format(fmt), i18n.check_lang(lang)
    folder, names = _targets(fmt, Path(out), _file_stem({"name": data.name, "id": data.scenario_id}))
    ensure_folder(check_folder(folder))
    return write_all(folder, _writers(data, fmt, names, lang))


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
    active_sites(scenario)
    folder, names = _targets(fmt, Path(out), _file_stem(scenario))
    check_folder(folder)
    return [folder / name for name in names]


def check_format(fmt: str) -> str:
    """Return the format name, lower-cased, or raise InputError listing :data:`FORMATS`."""
    text = str(fmt or "").strip().lower()
    if text not in FORMATS:
        raise i18n.input_error("export_format_unknown", fmt=fmt, formats=", ".join(FORMATS))
    return text


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


def _writers(data: ExportData, fmt: str, names: list[str], lang: str) -> dict[str, Callable[[Path], object]]:
    """File name -> function writing that file's content to a given (temporary) path."""
    if fmt == "geojson":
        if len(names) == 1:
            return {names[0]: lambda path: tables.write_geojson(data.stations, path, "stations")}
        frames = (data.stations, data.service_areas, data.districts, data.demand)
        return {
            name: functools.partial(tables.write_geojson, frame, layer=name.removesuffix(".geojson"))
            for name, frame in zip(names, frames, strict=True)
        }
    write = {
        "gpkg": tables.write_gpkg,
        "kml": kml.write_kml,
        "csv": tables.write_csv,
        "html": webmap.write_scenario_map,
        "png": png.render_map,
        "pdf": pdf.write_report,
    }[fmt]
    return {names[0]: functools.partial(write, data, lang=lang)}
