"""The one CSV writer of geoplan: every CSV the project writes goes through it, safe to open in a spreadsheet.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to Excel, WPS
and LibreOffice (``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``, ``@SUM(...)``), so a station named that way would run
in a planner's or a firm's spreadsheet. As OWASP recommends, such text gets a leading apostrophe (shown by no
spreadsheet, it only marks the cell as text); full-width forms (``＝``, ``＋``, ``－``, ``＠``), which Chinese input
methods produce and WPS also reads as formula signs, are treated alike. Numbers stay numbers: a negative
coordinate is written as ``-0.5``, not as text. Files are UTF-8 with a byte-order mark, so that Excel shows
Chinese text.
"""

from __future__ import annotations

import csv
import io
import numbers
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

__all__ = ["FORMULA_PREFIXES", "csv_text", "safe_cell", "safe_frame", "write_frame"]

#: First characters that make a spreadsheet read a cell as a formula (ASCII and full-width forms).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")

#: Byte-order mark: Excel opens UTF-8 with it as UTF-8 (without it, as the local code page).
BOM = "\ufeff"


def safe_cell(value: object) -> object:
    """Return a CSV cell value that no spreadsheet runs as a formula.

    Parameters
    ----------
    value : object
        A cell: numbers (not booleans) and missing values pass unchanged; anything else is written as text, with
        an apostrophe in front when it starts with one of :data:`FORMULA_PREFIXES`.

    Returns
    -------
    object
        ``value`` itself, or its safe text.
    """
    if value is None or isinstance(value, bool):
        return "" if value is None else str(value)
    if isinstance(value, numbers.Number):
        return value
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]], *, bom: bool = True) -> str:
    """Return a whole CSV document (header first), every cell through :func:`safe_cell`.

    Parameters
    ----------
    header : sequence of str
        Column names.
    rows : iterable of sequences
        The rows, each as long as ``header``.
    bom : bool
        Start with a UTF-8 byte-order mark (the default; Excel needs it for Chinese text).

    Returns
    -------
    str
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(name) for name in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return (BOM if bom else "") + out.getvalue()


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` whose text cells (and column names) cannot run as formulas; numbers unchanged."""
    out = frame.copy()
    out.columns = [safe_cell(name) for name in out.columns]
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]) or pd.api.types.is_bool_dtype(out[column]):
            out[column] = [None if _missing(v) else safe_cell(v) for v in out[column]]
    return out


def write_frame(frame: pd.DataFrame, path: Path | str) -> Path:
    """Write ``frame`` as CSV (UTF-8 with BOM, no index) through :func:`safe_frame`.

    Parameters
    ----------
    frame : pandas.DataFrame
    path : pathlib.Path or str
        The file (callers write into :func:`geoplan.files.write_atomic`'s or ``write_all``'s temporary path).

    Returns
    -------
    pathlib.Path
    """
    safe_frame(frame).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return Path(path)


def _missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
