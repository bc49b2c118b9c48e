"""Download a scenario as files planners can hand on: GeoJSON, GeoPackage, KML, CSV, HTML map, PNG map, PDF report.

``GET /api/planner/scenarios/<id>/export?format=FMT&lang=zh|en`` is open to every logged-in user (viewers too:
an export changes nothing). The files are written by :func:`geoplan.outputs.exporters.export_scenario` into a
temporary folder, read back and the folder removed before the answer leaves, so nothing is left on disk whether
the export succeeds, fails or the client goes away. Errors answer as JSON (400 bad format or nothing to export,
404 unknown scenario) through the app's :class:`~geoplan.errors.GeoplanError` handler.
"""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from pathlib import Path
from urllib.parse import quote

from flask import Blueprint, Response, current_app
from flask_login import login_required
from geoplan_web import i18n, scenarios, validation

from geoplan.outputs.exporters import FORMATS, export_scenario
from geoplan.store import Store

blueprint = Blueprint("exports", __name__, url_prefix="/api/planner")

#: File extension and media type of each export format.
MEDIA: dict[str, tuple[str, str]] = {
    "geojson": ("geojson", "application/geo+json"),
    "gpkg": ("gpkg", "application/geopackage+sqlite3"),
    "kml": ("kml", "application/vnd.google-earth.kml+xml"),
    "csv": ("csv", "text/csv"),
    "html": ("html", "text/html"),
    "png": ("png", "image/png"),
    "pdf": ("pdf", "application/pdf"),
}

#: Formats written as a folder of files and sent as one zip archive.
ZIPPED = frozenset({"geojson"})

_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|;]+')
_NOT_ASCII_WORD = re.compile(r"[^A-Za-z0-9._-]+")
_NAME_CHARS = 60


@blueprint.get("/scenarios/<int:scenario_id>/export")
@login_required
def export(scenario_id: int):
    """Send a scenario as a file: ``?format=geojson|gpkg|kml|csv|html|png|pdf&lang=zh|en``.

    GeoJSON comes as a zip of its layers (``scenario-<id>-geojson.zip``); every other format as one file named
    after the scenario's id and name.
    """
    fields = validation.query()
    fmt = fields.choice("format", FORMATS, fold=True)
    lang = fields.choice("lang", i18n.LANGUAGES, default=i18n.language())  # labels of the file; default: the page's
    scenario = _store().scenario(scenario_id)
    extension, mimetype = MEDIA.get(fmt, (fmt, "application/octet-stream"))
    with tempfile.TemporaryDirectory(prefix="geoplan-export-") as folder:
        if fmt in ZIPPED:
            out = Path(folder) / fmt
            out.mkdir()
        else:
            out = Path(folder) / f"scenario-{scenario_id}.{extension}"
        paths = export_scenario(scenario, fmt, out, workspace=scenarios.workspace(scenario), lang=lang)
        if fmt in ZIPPED or len(paths) > 1:
            body, mimetype = _zip(paths, out if out.is_dir() else Path(folder)), "application/zip"
            plain, full = _filenames(scenario_id, scenario["name"], f"-{fmt}.zip", ascii_name=False)
        else:
            body = Path(paths[0]).read_bytes()
            plain, full = _filenames(scenario_id, scenario["name"], f".{extension}")
    response = Response(body, mimetype=mimetype)
    disposition = f'attachment; filename="{plain}"'
    if full != plain:
        disposition += f"; filename*=UTF-8''{quote(full, safe='')}"
    response.headers["Content-Disposition"] = disposition
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response


@blueprint.app_context_processor
def _menu() -> dict:
    """Hand the templates the export formats, in the download menu's order."""
    return {"export_formats": FORMATS}


def _store() -> Store:
    return current_app.extensions["geoplan_store"]


def _filenames(scenario_id: int, name: str, suffix: str, *, ascii_name: bool = True) -> tuple[str, str]:
    """Return the download's ASCII file name and its full (UTF-8) name, both ``scenario-<id>[-<name>]<suffix>``.

    The ASCII name keeps the Latin letters, digits, dots and dashes of the scenario's name (none of it when
    ``ascii_name`` is false); the full name keeps the whole name, Chinese included, less the characters file
    systems or headers refuse, and is sent as RFC 5987 ``filename*``.
    """
    stem = f"scenario-{scenario_id}"
    ascii_part = _NOT_ASCII_WORD.sub("-", name)[:_NAME_CHARS].strip("-._") if ascii_name else ""
    full_part = " ".join(_UNSAFE.sub("-", name).split())[:_NAME_CHARS].strip(" -._")
    plain = "-".join(p for p in (stem, ascii_part) if p) + suffix
    full = "-".join(p for p in (stem, full_part) if p) + suffix
    return plain, full


def _zip(paths: list[Path], root: Path) -> bytes:
    """Return a zip archive (in memory) of the written files, named relative to ``root``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(Path(p) for p in paths):
            try:
                arcname = path.relative_to(root).as_posix()
            except ValueError:
                arcname = path.name
            archive.write(path, arcname)
    return buffer.getvalue()
