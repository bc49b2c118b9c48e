"""What a batch is asked: which areas (a list file) and, per area, how many stations (a table).

Both are files people make (Excel, WPS, a text editor): UTF-8, UTF-8 with BOM, GBK or UTF-16 are read alike
(:func:`geoplan.data.readers.decode_text`), and every problem is named with its line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from geoplan import i18n
from geoplan.data.readers import decode_text

__all__ = ["AreaQuota", "read_area_list", "read_stations_table"]

#: Largest list or table read (bytes): a country's counties are about 2,900 lines.
MAX_BYTES = 2_000_000

#: Column names of the stations table, and the other names (Chinese headings) people give them.
_COLUMNS = {
    "area": ("area", "区域", "地区", "区县", "名称", "name"),
    "stations": ("stations", "站点数", "站点", "驿站数"),
    "district_min": ("district_min", "每区最少", "区县最少"),
    "city_level": ("city_level", "市级站点", "市级"),
}


@dataclass(frozen=True)
class AreaQuota:
    """Parameters one area gets from the stations table (None: the batch's own).

    Attributes
    ----------
    stations : int or None
        Total stations of the area.
    district_min : int or None
        Minimum stations per district.
    city_level : int or None
        City-level stations to designate.
    """

    stations: int | None = None
    district_min: int | None = None
    city_level: int | None = None


def read_area_list(path: Path) -> list[str]:
    """Read area names, one per line (blank lines and ``#`` comments skipped; a name given twice counts once).

    Parameters
    ----------
    path : pathlib.Path

    Returns
    -------
    list of str

    Raises
    ------
    InputError
        The file cannot be read, is not text, or names no area.
    """
    text = _read(path)
    names = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    names = list(dict.fromkeys(name for name in names if name))
    if not names:
        raise i18n.input_error("batch_area_list_empty", file=str(path))
    return names


def read_stations_table(path: Path, areas: Sequence[str]) -> dict[str, AreaQuota]:
    """Read the per-area parameters: a CSV with ``area`` and ``stations``, optionally ``district_min``, ``city_level``.

    Parameters
    ----------
    path : pathlib.Path
    areas : sequence of str
        The batch's areas: every row must name one of them (an area without a row keeps the batch's parameters).

    Returns
    -------
    dict of str to AreaQuota

    Raises
    ------
    InputError
        The file is not a CSV with those columns, a value is not a whole number (stations at least 1), an area is
        unknown or given twice; the message names the line.
    """
    shown = str(path)
    reader = csv.DictReader(io.StringIO(_read(path)))
    fields = {name.strip().lstrip("\ufeff").lower(): name for name in reader.fieldnames or ()}
    columns = {key: next((fields[alias] for alias in aliases if alias in fields), None)
               for key, aliases in _COLUMNS.items()}  # fmt: skip
    if columns["area"] is None or columns["stations"] is None:
        raise i18n.input_error("batch_table_columns", file=shown, found=", ".join(fields) or "—")
    known = set(areas)
    quotas: dict[str, AreaQuota] = {}
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise i18n.input_error("file_not_csv", file=shown, line=reader.line_num + 1, reason=str(exc)) from None
    for number, row in enumerate(rows, start=2):
        area = str(row.get(columns["area"]) or "").strip()
        if not area:
            continue
        if area not in known:
            raise i18n.input_error("batch_table_unknown_area", file=shown, line=number, area=area,
                                   known="、".join(list(areas)[:20]))  # fmt: skip
        if area in quotas:
            raise i18n.input_error("batch_table_repeated_area", file=shown, line=number, area=area)
        values = {key: _whole(row.get(column), shown, number, key, minimum=1 if key == "stations" else 0)
                  for key, column in columns.items() if key != "area" and column is not None}  # fmt: skip
        if values["stations"] is None:
            raise i18n.input_error("batch_table_value", file=shown, line=number, column="stations", value="")
        quotas[area] = AreaQuota(**values)
    return quotas


def _read(path: Path) -> str:
    path = Path(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise i18n.input_error("batch_file_unreadable", file=str(path), reason=exc.strerror or str(exc)) from exc
    if len(raw) > MAX_BYTES:
        raise i18n.input_error("batch_file_too_large", file=str(path), limit=f"{MAX_BYTES // 1_000_000} MB")
    return decode_text(raw, str(path))


def _whole(value: object, shown: str, line: int, column: str, minimum: int) -> int | None:
    text = str(value if value is not None else "").strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        number = float("nan")
    if not number.is_integer() or number < minimum or number > 100_000:
        raise i18n.input_error("batch_table_value", file=shown, line=line, column=column, value=text[:40])
    return int(number)
