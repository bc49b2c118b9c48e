"""One validation layer for what the web app reads: JSON bodies, form fields, query parameters and uploaded files.

Every endpoint reads its input here. :func:`body` parses a JSON request body strictly (a size cap and a nesting
cap, no NaN, no name given twice, an object and nothing else); :func:`form` and :func:`query` take a request's form
fields and query parameters. Each gives :class:`Fields`, whose small typed readers (:meth:`~Fields.text`,
:meth:`~Fields.integer`, :meth:`~Fields.number`, :meth:`~Fields.choice`, :meth:`~Fields.boolean`,
:meth:`~Fields.object`, :meth:`~Fields.bbox`) return the value in the type the code needs or raise
:class:`~geoplan.errors.InputError` naming the field and the reason. The errors carry codes, so
:mod:`geoplan.i18n` renders them in the user's language (Chinese first), and the app answers them with 400.
:func:`upload` reads an uploaded file within a byte cap and a row cap, as text in one of the encodings
:func:`geoplan.data.readers.decode_text` reads.

JSON values keep their JSON types: a whole number is a JSON integer (``7``; not ``7.9``, ``7.0``, ``"7"`` or
``true``). Form fields and query parameters are text by nature: there ``"7"`` is the whole number 7 and an empty
field counts as not given.

What a value means is checked where its rule lives, not repeated here: a scenario name's length and a station's
details in :mod:`geoplan.store.checks`, plan parameters in :mod:`geoplan.planning.parameters`, whether a position
lies in the study area in :mod:`geoplan.planning.sites`. This module makes sure the request holds values of the
right kind and size before they get there.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from flask import request

from geoplan import i18n
from geoplan.data.readers import decode_text

__all__ = [
    "BULK_FILE",
    "LAYER_FILE",
    "MAX_BODY_BYTES",
    "MAX_DEPTH",
    "MAX_ID",
    "OBSERVED_FILE",
    "SITES_FILE",
    "STATIONS_FILE",
    "Fields",
    "Upload",
    "UploadLimits",
    "body",
    "form",
    "query",
    "upload",
]

#: Largest JSON request body read (bytes): plan parameters and station details are a few kB.
MAX_BODY_BYTES = 256 * 1024

#: Deepest nesting of a JSON body (the body itself is level 1; ``{"params": {"cutoff_m": {...}}}`` is 3).
MAX_DEPTH = 10

#: Largest scenario id, site id or version a request may name.
MAX_ID = 2**31 - 1

#: Most digits of a JSON integer read (a longer one is no id, count or version of ours).
MAX_DIGITS = 18

#: Characters of a value quoted back in a message.
_SHOWN_CHARS = 40

_WHOLE = re.compile(r"[+-]?[0-9]{1,18}")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
_FILE_NAME_CHARS = 100
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")


class _Required:
    """The default of a field that must be given."""

    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED = _Required()


_error = i18n.input_error
_shown = i18n.shown


def _name(field: object) -> str:
    """Return a field name as messages quote it (a client's unknown name shortened, unprintables replaced)."""
    text = _UNPRINTABLE.sub("?", str(field))
    return text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + "…"


class Fields:
    """The fields of one request (a JSON object, a form or a query string), read through typed readers.

    Parameters
    ----------
    values : mapping
        Field names and values.
    typed : bool
        True for JSON (values keep their JSON types), False for form fields and query parameters (text).
    """

    def __init__(self, values: Mapping[str, object], *, typed: bool):
        self._values = values
        self._typed = typed

    def only(self, *fields: str) -> Fields:
        """Refuse fields other than ``fields``, so a misspelt or misplaced field is never silently ignored."""
        unknown = sorted(str(name) for name in self._values if name not in fields)
        if unknown:
            raise _error(code="field_unknown", field=_name(unknown[0]), known=", ".join(fields))
        return self

    def given(self, field: str) -> bool:
        """Tell whether the request gives ``field`` (an empty form field or query parameter counts as not given)."""
        return self._raw(field) is not REQUIRED

    def text(self, field: str, max_len: int, *, default: object = REQUIRED) -> str:
        """Return a text without surrounding blanks, at most ``max_len`` characters.

        Parameters
        ----------
        field : str
        max_len : int
            Most characters.
        default : object, optional
            What a field not given reads as; without it the field is required.

        Returns
        -------
        str
        """
        value = self._raw(field)
        if value is REQUIRED:
            return self._default(field, default)
        if not isinstance(value, str):
            raise _error(code="field_not_text", field=field, **_shown(value))
        text = value.strip()
        if len(text) > max_len:
            raise _error(code="field_too_long", field=field, max_len=max_len, length=len(text))
        return text

    def integer(self, field: str, low: int, high: int, *, default: object = REQUIRED) -> int:
        """Return a whole number from ``low`` to ``high``: a JSON integer (no float, boolean or text), or digits."""
        value = self._raw(field)
        if value is REQUIRED:
            return self._default(field, default)
        if self._typed:
            if isinstance(value, bool) or not isinstance(value, int):
                raise _error(code="field_not_integer", field=field, **_shown(value))
            number = value
        else:
            if not isinstance(value, str) or not _WHOLE.fullmatch(value.strip()):
                raise _error(code="field_not_integer", field=field, **_shown(value))
            number = int(value.strip())
        return _in_range(field, number, low, high)

    def number(self, field: str, low: float, high: float, *, default: object = REQUIRED) -> float:
        """Return a finite number from ``low`` to ``high``: a JSON number (no boolean or text), or decimal text."""
        value = self._raw(field)
        if value is REQUIRED:
            return self._default(field, default)
        if self._typed:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise _error(code="field_not_number", field=field, **_shown(value))
        elif not isinstance(value, str) or not _DECIMAL.fullmatch(value.strip()):
            raise _error(code="field_not_number", field=field, **_shown(value))
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise _error(code="field_out_of_range", field=field, low=_bound(low), high=_bound(high), **_shown(value))
        return float(_in_range(field, number, low, high))

    def choice(self, field: str, options: Sequence[str], *, default: object = REQUIRED, fold: bool = False) -> str:
        """Return one of ``options`` (compared in lower case, blanks stripped, when ``fold``)."""
        value = self._raw(field)
        listed = ", ".join(options)
        if value is REQUIRED:
            if default is REQUIRED:
                raise _error(code="field_required_choice", field=field, choices=listed)
            return default  # type: ignore[return-value]
        if not isinstance(value, str):
            raise _error(code="field_not_choice", field=field, choices=listed, **_shown(value))
        key = value.strip().lower() if fold else value
        if key not in options:
            shown = key if len(key) <= _SHOWN_CHARS else key[:_SHOWN_CHARS] + "…"
            raise _error(code="field_not_choice", field=field, choices=listed, got=repr(shown), got_zh=repr(shown))
        return key

    def boolean(self, field: str, *, default: object = REQUIRED) -> bool:
        """Return true or false: a JSON boolean, or 1/0, true/false, yes/no, on/off in a form or query."""
        value = self._raw(field)
        if value is REQUIRED:
            return self._default(field, default)
        if self._typed and isinstance(value, bool):
            return value
        if not self._typed and isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
            return value.strip().lower() in _TRUE
        raise _error(code="field_not_boolean", field=field, **_shown(value))

    def object(self, field: str, *, default: object = REQUIRED) -> dict:
        """Return a JSON object (its contents are checked by whoever reads them)."""
        value = self._raw(field)
        if value is REQUIRED:
            return self._default(field, default)
        if not isinstance(value, dict):
            raise _error(code="field_not_object", field=field, **_shown(value))
        return value

    def bbox(self, field: str, max_side_deg: float) -> tuple[float, float, float, float] | None:
        """Return a WGS-84 box ``minlon,minlat,maxlon,maxlat`` (None if not given), at most ``max_side_deg`` a side."""
        text = self.text(field, 100, default=None)
        if text is None:
            return None
        parts = text.split(",")
        if len(parts) == 4 and all(_DECIMAL.fullmatch(part.strip()) for part in parts):
            west, south, east, north = (float(part) for part in parts)
            inside = -180 <= west < east <= 180 and -90 <= south < north <= 90
            if inside and max(east - west, north - south) <= max_side_deg:
                return west, south, east, north
        raise _error(code="field_bbox", field=field, most=f"{max_side_deg:g}")

    def _raw(self, field: str) -> object:
        value = self._values.get(field, REQUIRED)
        if not self._typed and isinstance(value, str) and not value.strip():
            return REQUIRED
        return value

    @staticmethod
    def _default(field: str, default: object):
        if default is REQUIRED:
            raise _error(code="field_required", field=field)
        return default


def _in_range(field: str, number, low, high):
    if not low <= number <= high:
        raise _error(code="field_out_of_range", field=field, low=_bound(low), high=_bound(high), **_shown(number))
    return number


def _bound(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"


# --- JSON bodies ---------------------------------------------------------------------------------------------------


def body() -> Fields:
    """Read the request's JSON body: an object of at most :data:`MAX_BODY_BYTES`, nested at most :data:`MAX_DEPTH`.

    Returns
    -------
    Fields

    Raises
    ------
    InputError
        Not JSON, too large, too deep, not an object, NaN or a number past :data:`MAX_DIGITS` digits, a name given
        twice.
    """
    if not request.is_json:
        raise _error(code="body_not_json_type", content_type=_name(request.mimetype or "nothing"))
    kb = MAX_BODY_BYTES // 1024
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise _error(code="body_too_large", kb=kb)
    raw = request.get_data(cache=True)
    if len(raw) > MAX_BODY_BYTES:
        raise _error(code="body_too_large", kb=kb)
    value = _parse(raw)
    if not isinstance(value, dict):
        raise _error(code="body_not_object", **_shown(value))
    _check_depth(value)
    return Fields(value, typed=True)


def form() -> Fields:
    """Read the request's form fields (multipart uploads' fields too)."""
    return Fields(request.form, typed=False)


def query() -> Fields:
    """Read the request's query parameters."""
    return Fields(request.args, typed=False)


def _parse(raw: bytes) -> object:
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_no_constant, parse_float=_finite,
                          parse_int=_short_int, object_pairs_hook=_once)  # fmt: skip
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        raise _error(code="body_not_json", line=before.count(b"\n") + 1,
                     column=exc.start - before.rfind(b"\n")) from None  # fmt: skip
    except json.JSONDecodeError as exc:
        raise _error(code="body_not_json", line=exc.lineno, column=exc.colno) from None
    except RecursionError:
        raise _error(code="body_too_deep", depth=MAX_DEPTH) from None


def _no_constant(name: str) -> float:
    raise _error(code="body_bad_number", number=name, digits=MAX_DIGITS)


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _error(code="body_bad_number", number=_name(text), digits=MAX_DIGITS)
    return number


def _short_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise _error(code="body_bad_number", number=_name(text), digits=MAX_DIGITS)
    return int(text)


def _once(pairs: list[tuple[str, object]]) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise _error(code="field_duplicate", field=_name(key))
        out[key] = value
    return out


def _check_depth(value: dict) -> None:
    """Refuse a body nested deeper than :data:`MAX_DEPTH`, naming the top-level field that is."""
    stack = [(item, 2, key) for key, item in value.items()]
    while stack:
        item, depth, field = stack.pop()
        if isinstance(item, dict | list) and depth > MAX_DEPTH:
            raise _error(code="field_too_deep", field=_name(field), depth=MAX_DEPTH)
        if isinstance(item, dict):
            stack.extend((inner, depth + 1, field) for inner in item.values())
        elif isinstance(item, list):
            stack.extend((inner, depth + 1, field) for inner in item)


# --- uploaded files ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadLimits:
    """What one kind of upload may be.

    Attributes
    ----------
    suffixes : tuple of str
        File name endings accepted (empty: any name; the contents are read as CSV).
    max_bytes : int
        Largest file.
    max_rows : int
        Most rows (CSV lines after the header, GeoJSON features).
    """

    suffixes: tuple[str, ...]
    max_bytes: int
    max_rows: int


#: Existing stations a planner imports (CSV ``lon,lat[,name]`` or GeoJSON): a city has hundreds.
STATIONS_FILE = UploadLimits((".csv", ".geojson", ".json"), 2 * 1024 * 1024, 10_000)

#: A demand layer (CSV ``lon,lat,weight[,group]`` or GeoJSON points).
LAYER_FILE = UploadLimits((".csv", ".geojson", ".json"), 4 * 1024 * 1024, 100_000)

#: Candidate sites (CSV ``lon,lat,footprint_m2[,name]``).
SITES_FILE = UploadLimits((".csv",), 4 * 1024 * 1024, 50_000)

#: A firm's observations a demand layer is built from (CSV pings, orders or depots, see
#: :func:`geoplan.planning.observed_layers.build_layer`): within the app's request cap (``MAX_CONTENT_LENGTH``,
#: 5 MB); larger files go through ``geoplan layer build``, which streams them.
OBSERVED_FILE = UploadLimits((".csv",), 4 * 1024 * 1024, 200_000)

#: The public bulk lookup (CSV ``name,lon,lat``), answered row by row on the street network.
BULK_FILE = UploadLimits((), 1024 * 1024, 2_000)


@dataclass(frozen=True)
class Upload:
    """An uploaded file read as text.

    Attributes
    ----------
    name : str
        Its name as the user gave it, without folders and shortened: what messages call it.
    suffix : str
        Its ending in lower case (``.csv``; ``.csv`` whatever its name when any name is accepted).
    text : str
        Its text, every line ending made a line feed.
    rows : int
        CSV lines after the header that hold anything, or GeoJSON features.
    """

    name: str
    suffix: str
    text: str
    rows: int

    def save(self, folder: Path, stem: str) -> Path:
        """Write the text as UTF-8 to ``folder/<stem><suffix>`` (for the library's readers) and return the path."""
        path = Path(folder) / f"{stem}{self.suffix}"
        path.write_text(self.text, encoding="utf-8")
        return path


def upload(field: str, limits: UploadLimits) -> Upload:
    """Read the uploaded file of form field ``field`` within ``limits``.

    Raises
    ------
    InputError
        No file, a name ending other than ``limits.suffixes``, more than ``limits.max_bytes`` or
        ``limits.max_rows``, bytes that are not text in a known encoding.
    """
    sent = request.files.get(field)
    if sent is None or not sent.filename:
        raise _error(code="file_required", field=field)
    name = _file_name(sent.filename)
    suffix = Path(name).suffix.lower() if limits.suffixes else ".csv"  # any name: read as CSV
    if limits.suffixes and suffix not in limits.suffixes:
        raise _error(code="file_suffix", file=name, suffixes=" / ".join(limits.suffixes))
    raw = sent.stream.read(limits.max_bytes + 1)
    if len(raw) > limits.max_bytes:
        raise _error(code="file_too_large", file=name, mb=f"{limits.max_bytes / 1024 / 1024:g}")
    text = decode_text(raw, name)
    rows = _features(text) if suffix in (".geojson", ".json") else _csv_rows(text)
    if rows > limits.max_rows:
        raise _error(code="file_too_many_rows", file=name, cap=limits.max_rows, rows=rows)
    return Upload(name, suffix, text, rows)


def _file_name(filename: str) -> str:
    """Return an uploaded file's name without the folders a browser may send, printable, at most 100 characters."""
    name = _UNPRINTABLE.sub("_", filename.replace("\\", "/").rsplit("/", 1)[-1]).strip() or "upload"
    if len(name) <= _FILE_NAME_CHARS:
        return name
    suffix = Path(name).suffix[:10]
    return name[: _FILE_NAME_CHARS - len(suffix) - 1] + "…" + suffix


def _csv_rows(text: str) -> int:
    """Lines after the header that hold anything (a quoted field over several lines counts each of them)."""
    lines = text.split("\n")
    return sum(1 for line in lines[1:] if line.strip())


def _features(text: str) -> int:
    """Features of a GeoJSON text (a bare geometry or feature is one); 0 when it is no JSON (its reader says why)."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return 0
    if isinstance(data, dict) and isinstance(data.get("features"), list):
        return len(data["features"])
    return 1
