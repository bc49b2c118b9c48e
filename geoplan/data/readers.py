"""The one reader of point files people upload: CSV (``lon,lat`` and other columns) or GeoJSON/GeoPackage points.

Demand layers, candidate sites, existing stations (CLI and review map) and the firms' bulk lookup all read their
files here, in WGS-84, GCJ-02 or BD-09, and get the same checks and the same messages: each malformed row is named
by its line number and what is wrong with it. :func:`read_points` refuses a file with any malformed row;
:func:`scan_points_csv` keeps the good rows and lists the others (the bulk lookup answers what it can).
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio.errors
import shapely

from geoplan import coords, i18n, settings
from geoplan.errors import InputError

__all__ = ["TEXT_ENCODINGS", "RowProblem", "decode_text", "read_points", "read_points_csv", "scan_points_csv"]

#: Malformed rows listed in one message (the rest are counted).
MAX_ROWS_LISTED = 10

#: Encodings :func:`decode_text` reads (UTF-16 only with its byte-order mark).
TEXT_ENCODINGS = ("UTF-8", "GBK", "UTF-16")

_VECTOR_SUFFIXES = frozenset({".geojson", ".json", ".gpkg"})

#: Control characters no text file holds (tab, line ends and form feed aside): the bytes are binary data.
_BINARY = re.compile("[\x00-\x08\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class RowProblem:
    """A malformed row of a CSV file.

    Attributes
    ----------
    line : int
        Line number in the file (the header is line 1).
    message : str
        What is wrong with it, starting with ``line N:`` (English).
    code : str or None
        Key of the message in the catalog's ``error`` section (``row_not_number``...), for the edges to render it
        in the reader's language: ``geoplan.i18n.error_text(problem.error(), lang)``.
    params : dict
        The message's placeholders.
    """

    line: int
    message: str
    code: str | None = None
    params: Mapping[str, object] = field(default_factory=dict)

    def error(self) -> InputError:
        """Return the problem as a coded InputError (its message :attr:`message`), to render in any language."""
        return InputError(self.message, code=self.code, **self.params)


def read_points(
    path: Path | str, crs: str = "wgs84", weight: str | None = "weight", *, shown: str | None = None
) -> gpd.GeoDataFrame:
    """Read points from a CSV (``lon,lat`` columns) or a GeoJSON/GeoPackage of points, into WGS-84.

    Parameters
    ----------
    path : pathlib.Path or str
        ``.csv`` (see :func:`read_points_csv`) or ``.geojson``/``.json``/``.gpkg``.
    crs : {"wgs84", "gcj02", "bd09"}
        Coordinate system of the file.
    weight : str or None
        Name of a required, non-negative numeric column, or None.
    shown : str, optional
        Name of the file in messages (an upload's own name rather than a temporary path).

    Returns
    -------
    geopandas.GeoDataFrame
        The file's columns and point geometry in WGS-84.

    Raises
    ------
    InputError
        Missing or unreadable file, missing columns, malformed rows (each named), non-point features.
    """
    path = Path(path)
    if path.suffix.lower() in _VECTOR_SUFFIXES:
        return _read_vector_points(path, crs, weight, shown or str(path))
    return read_points_csv(path, crs=crs, weight=weight, shown=shown)


def read_points_csv(
    path: Path | str,
    crs: str = "wgs84",
    lon: str = "lon",
    lat: str = "lat",
    weight: str | None = "weight",
    *,
    shown: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a CSV of points, validating every row; any malformed row refuses the file.

    Parameters
    ----------
    path : pathlib.Path or str
        Text with a header row, as :func:`decode_text` reads it (UTF-8, GBK or UTF-16 with its BOM; any line ends).
    crs : {"wgs84", "gcj02", "bd09"}
        Coordinate system of the lon/lat columns.
    lon, lat : str
        Names of the coordinate columns.
    weight : str or None
        Name of a required, non-negative numeric column, or None for none.
    shown : str, optional
        Name of the file in messages.

    Returns
    -------
    geopandas.GeoDataFrame
        All columns of the file (``weight`` as float), ``csv_line`` (the row's line number in the file) and point
        geometry in WGS-84.

    Raises
    ------
    InputError
        Missing file or columns, or malformed rows: the message lists the line numbers and what is wrong.
    """
    name = shown or str(path)
    frame, problems = scan_points_csv(path, crs, lon, lat, weight, shown=shown)
    if problems:
        shown_problems = problems[:MAX_ROWS_LISTED]
        left = len(problems) - MAX_ROWS_LISTED
        raise i18n.input_error(
            "malformed_rows", name=name, count=len(problems),
            listed="; ".join(problem.message for problem in shown_problems),
            listed_zh="；".join(i18n.error_text(problem.error(), "zh").rstrip("。") for problem in shown_problems),
            more=f" (and {left} more)" if left > 0 else "", more_zh=f"（另有 {left} 行）" if left > 0 else "",
        )  # fmt: skip
    if not len(frame):
        raise i18n.input_error("file_no_rows", name=name)
    return frame


def scan_points_csv(
    path: Path | str,
    crs: str = "wgs84",
    lon: str = "lon",
    lat: str = "lat",
    weight: str | None = "weight",
    *,
    shown: str | None = None,
) -> tuple[gpd.GeoDataFrame, list[RowProblem]]:
    """Read the good rows of a CSV of points and list the malformed ones.

    Parameters
    ----------
    path, crs, lon, lat, weight, shown
        As for :func:`read_points_csv`; column names match whatever their case in the header.

    Returns
    -------
    frame : geopandas.GeoDataFrame
        The good rows, as :func:`read_points_csv` returns them (possibly none).
    problems : list of RowProblem
        The malformed rows, in file order.

    Raises
    ------
    InputError
        Missing or unreadable file, an empty file, or a header without the required columns.
    """
    path = Path(path)
    name = shown or str(path)
    text = _read_text(path, name)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    with _csv_errors(reader, name):
        header = [str(column).strip() for column in reader.fieldnames or []]
    required = [lon, lat] + ([weight] if weight else [])
    canonical = {column.lower(): column for column in required}
    reader.fieldnames = [canonical.get(column.lower(), column) for column in header]
    missing = [column for column in required if column not in reader.fieldnames]
    if missing:
        raise i18n.input_error(
            "missing_columns", name=name, missing=", ".join(missing), required=", ".join(required),
            found=", ".join(header) or "nothing: the file is empty", found_zh="、".join(header) or "无，文件是空的",
        )  # fmt: skip
    rows, problems = [], []
    with _csv_errors(reader, name):
        for row in reader:
            if None not in row and not any((value or "").strip() for value in row.values()):
                continue  # a line of empty fields (",,")
            problem = _row_problem(row, lon, lat, weight)
            if problem:
                code, params = problem
                params = {"line": reader.line_num, **params}
                message = i18n.text("error", code, "en", **params)
                problems.append(RowProblem(reader.line_num, message, code, params))
            else:
                rows.append(row | {"csv_line": reader.line_num})
    frame = pd.DataFrame(rows, columns=[*reader.fieldnames, "csv_line"] if not rows else None)
    lonlat = frame[[lon, lat]].to_numpy(dtype=float) if len(frame) else np.zeros((0, 2))
    x, y = coords.to_wgs84(lonlat[:, 0], lonlat[:, 1], crs)
    if weight and len(frame):
        frame[weight] = frame[weight].astype(float)
    points = shapely.points(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return gpd.GeoDataFrame(frame, geometry=points, crs=settings.WGS84), problems


def decode_text(raw: bytes, name: str) -> str:
    """Return the text of a file people made, every line ending (Windows CR LF, old Mac CR) made a line feed.

    Parameters
    ----------
    raw : bytes
        The file's bytes: UTF-8 (with or without BOM), UTF-16 with its byte-order mark (Excel's "Unicode text") or
        GBK (Excel in China saves CSV as GBK).
    name : str
        Name of the file in messages.

    Returns
    -------
    str

    Raises
    ------
    InputError
        Bytes that are none of these encodings, or control characters no text file holds (binary data).
    """
    encodings = ("utf-16",) if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else ("utf-8-sig", "gbk")
    for encoding in encodings:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _BINARY.search(text):
            break
        return text.replace("\r\n", "\n").replace("\r", "\n")
    params = {"file": name, "encodings": ", ".join(TEXT_ENCODINGS), "encodings_zh": "、".join(TEXT_ENCODINGS)}
    raise InputError(i18n.text("error", "file_not_text", "en", **params), code="file_not_text", **params)


@contextmanager
def _csv_errors(reader: csv.DictReader, name: str) -> Iterator[None]:
    """Turn what the csv module cannot read (a field longer than its limit, say) into InputError naming the line."""
    try:
        yield
    except csv.Error as exc:
        params = {"file": name, "line": reader.line_num + 1, "reason": str(exc)}  # the line it could not finish
        raise InputError(i18n.text("error", "file_not_csv", "en", **params), code="file_not_csv", **params) from None


def _read_text(path: Path, name: str) -> str:
    if not path.is_file():
        raise i18n.input_error("file_not_found", name=name)
    return decode_text(path.read_bytes(), name)


def _row_problem(row: dict, lon: str, lat: str, weight: str | None) -> tuple[str, dict] | None:
    """Return the error code and placeholders of what is wrong with a row, or None for a good row."""
    if None in row:
        return "row_extra_fields", {}
    values = {}
    for name in (lon, lat) + ((weight,) if weight else ()):
        text = (row.get(name) or "").strip()
        try:
            values[name] = float(text)
        except ValueError:
            return ("row_not_number", {"name": name, "value": text}) if text else ("row_empty", {"name": name})
        if not math.isfinite(values[name]):
            return "row_not_finite", {"name": name, "value": text}
    x, y = values[lon], values[lat]
    if not -180 <= x <= 180 or not -90 <= y <= 90:
        swapped = -90 <= x <= 90 and -180 <= y <= 180
        return ("row_swapped" if swapped else "row_not_degrees"), {"lon": x, "lat": y}
    if weight and values[weight] < 0:
        return "row_negative", {"name": weight, "value": values[weight]}
    return None


def _read_vector_points(path: Path, crs: str, weight: str | None, name: str) -> gpd.GeoDataFrame:
    if not path.is_file():
        raise i18n.input_error("file_not_found", name=name)
    try:
        frame = gpd.read_file(path)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError, ValueError) as exc:
        reason = str(exc).replace(str(path), name)  # never show a server's temporary path
        raise i18n.input_error("vector_points_unreadable", name=name, reason=reason) from exc
    if len(frame) == 0:
        raise i18n.input_error("file_no_features", name=name)
    if frame.crs is not None and not frame.crs.is_geographic:
        raise i18n.input_error("points_projected", name=name, crs=str(frame.crs))
    bad = ~frame.geom_type.eq("Point")
    if bad.any():
        raise i18n.input_error("features_not_points", name=name, **_listed(np.flatnonzero(bad)))
    weights = None
    if weight is not None:
        if weight not in frame.columns:
            raise i18n.input_error("features_no_weight", name=name, weight=weight)
        weights = pd.to_numeric(frame[weight], errors="coerce")
        bad = weights.isna() | (weights < 0)
        if bad.any():
            raise i18n.input_error("features_bad_weight", name=name, **_listed(np.flatnonzero(bad)))
    x, y = coords.to_wgs84(frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy(), crs)
    if not (np.all(np.abs(x) <= 180) and np.all(np.abs(y) <= 90)):
        raise i18n.input_error("points_not_degrees", name=name)
    out = gpd.GeoDataFrame(frame.drop(columns="geometry"), geometry=shapely.points(x, y), crs=settings.WGS84)
    if weights is not None:
        out[weight] = weights.astype(float)
    return out


def _listed(indices: np.ndarray) -> dict[str, str]:
    """Return the ``features`` placeholder (1-based numbers, at most :data:`MAX_ROWS_LISTED`) in English and Chinese."""
    left = len(indices) - MAX_ROWS_LISTED
    numbers = [str(i + 1) for i in indices[:MAX_ROWS_LISTED]]
    return {"features": ", ".join(numbers) + (f" (and {left} more)" if left > 0 else ""),
            "features_zh": "、".join(numbers) + (f"（另有 {left} 个）" if left > 0 else "")}  # fmt: skip
