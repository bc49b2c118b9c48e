"""Reading what firms observe: riders' GPS pings, order pick-ups and depots with their crews.

Delivery platforms, courier firms and sanitation companies export these as CSV, often millions of rows. A file is
read in chunks of :data:`CHUNK_ROWS` rows (never whole into memory), every row is checked, and the points come out
as plain arrays in the study area's metric CRS:

- **pings** ``worker_id,time,lon,lat``: one row per GPS fix of a worker;
- **orders** ``time,lon,lat[,weight]``: pick-up points (``time`` may be empty when unknown);
- **depots** ``lon,lat,headcount[,beat_m]``: a depot and the workers based there, with the length of their beat.

Times are ISO 8601 (``2026-05-01 12:00:05``, ``2026-05-01T12:00:05+08:00``), ``2026/5/1 12:00`` or Unix seconds
(milliseconds when the numbers are that large); times without a zone are the area's local clock, times with one are
converted to it. Coordinates are WGS-84, GCJ-02 or BD-09. Malformed rows refuse the file with their line numbers.
Worker ids are only turned into numbers 0..n-1 here; no id leaves this module, and only the aggregated layer built
from the arrays is ever written (:mod:`geoplan.inputs.observed`).
"""

from __future__ import annotations

import codecs
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import shapely

from geoplan import coords, i18n
from geoplan.data.areas import STREET_SAMPLE_M, StudyArea
from geoplan.data.readers import MAX_ROWS_LISTED

__all__ = ["CHUNK_ROWS", "KINDS", "NO_TIME", "Observations", "read_observations"]

#: Rows read at a time: a 10-million-ping file never sits in memory as text.
CHUNK_ROWS = 500_000

#: Required and optional columns of each kind of file.
KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "pings": (("worker_id", "time", "lon", "lat"), ()),
    "orders": (("time", "lon", "lat"), ("weight",)),
    "depots": (("lon", "lat", "headcount"), ("beat_m",)),
}

#: ``seconds`` of an order whose time is empty.
NO_TIME = np.iinfo(np.int64).min

#: Two pings of one worker closer than this (m) at the same second are the same fix written twice.
SAME_FIX_M = 1.0

_SNIFF_BYTES = 1 << 20


@dataclass(frozen=True)
class Observations:
    """The rows of one observation file, checked, as arrays in the area's metric CRS.

    Pings are sorted by worker, then time. Nothing here identifies a person: workers are numbered 0..n-1 in order
    of first appearance.

    Attributes
    ----------
    kind : {"pings", "orders", "depots"}
    source : str
        The file's name, as reports quote it.
    x, y : numpy.ndarray
        Coordinates (m) in the area's CRS.
    line : numpy.ndarray
        Each point's line in the file (the header is line 1), for messages.
    worker : numpy.ndarray or None
        Pings: the worker's number (int32).
    seconds : numpy.ndarray or None
        Pings and orders: the time on the area's local clock, whole seconds since 1970-01-01 (int64); an order
        whose time is empty: :data:`NO_TIME`; orders without any time: None.
    weight : numpy.ndarray or None
        Orders: the weight of each order (1 when not given); depots: the headcount.
    beat_m : numpy.ndarray or None
        Depots: the beat (m) along the streets, NaN where the file gives none.
    notes : tuple of (str, dict)
        What was set right while reading, as catalog codes (``cli`` section) and their parameters: points outside
        the area dropped, pings put in time order, fixes written twice dropped.
    """

    kind: str
    source: str
    x: np.ndarray
    y: np.ndarray
    line: np.ndarray
    worker: np.ndarray | None = None
    seconds: np.ndarray | None = None
    weight: np.ndarray | None = None
    beat_m: np.ndarray | None = None
    notes: tuple[tuple[str, dict], ...] = field(default=())

    def __len__(self) -> int:
        return len(self.x)

    @property
    def workers(self) -> int:
        """Distinct workers (pings), else 0."""
        return 0 if self.worker is None or not len(self.worker) else int(self.worker.max()) + 1


def read_observations(
    path: Path | str, kind: str, area: StudyArea, crs: str = "wgs84", *, shown: str | None = None
) -> Observations:
    """Read and check an observation file.

    Parameters
    ----------
    path : pathlib.Path or str
        CSV (UTF-8, GBK or UTF-16 with its byte-order mark) with a header row; see :data:`KINDS`.
    kind : {"pings", "orders", "depots"}
    area : StudyArea
        Points are projected to its CRS; points outside it are dropped (and counted in ``notes``).
    crs : {"wgs84", "gcj02", "bd09"}
        Coordinate system of the lon/lat columns.
    shown : str, optional
        The file's name in messages (an upload's own name).

    Returns
    -------
    Observations

    Raises
    ------
    InputError
        Missing or empty file, missing columns, malformed rows (listed with their line numbers), one worker seen at
        two places at the same second, or no point inside the area (usually the wrong coordinate system).
    """
    if kind not in KINDS:
        raise i18n.input_error("observation_kind", kind=kind, kinds=", ".join(KINDS))
    coords.to_wgs84(0.0, 0.0, crs)  # an unknown coordinate system is refused before the file is read
    path = Path(path)
    name = shown or path.name
    if not path.is_file():
        raise i18n.input_error("file_not_found", name=name)
    encoding = _encoding(path, name)
    required, optional = KINDS[kind]
    header = _header(path, encoding, name, required)
    columns = {column.strip().lower(): column for column in header}
    use = [columns[c] for c in required] + [columns[c] for c in optional if c in columns]
    reader = pd.read_csv(
        path, encoding=encoding, usecols=use, dtype=str, keep_default_na=False, skip_blank_lines=False,
        chunksize=CHUNK_ROWS, on_bad_lines="error", engine="c",
    )  # fmt: skip
    parts: list[dict[str, np.ndarray]] = []
    problems: list[tuple[int, str, dict]] = []
    count = bad_rows = 0
    workers: dict[str, int] = {}
    clock = _Clock(area.spec.timezone)
    try:
        for number, chunk in enumerate(reader):
            chunk.columns = [column.strip().lower() for column in chunk.columns]
            first_line = 2 + number * CHUNK_ROWS
            part, bad, rows = _chunk(chunk, kind, first_line, crs, workers, clock)
            count += rows
            problems.extend(bad[: max(0, MAX_ROWS_LISTED - len(problems))])
            bad_rows += part.pop("bad_rows")
            parts.append(part)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise i18n.input_error("file_not_csv", file=name, line="?", reason=str(exc).splitlines()[0][:200]) from None
    if bad_rows:
        _refuse(name, bad_rows, problems)
    if not count:
        raise i18n.input_error("file_no_rows", name=name)
    merged = {}
    for key in list(parts[0]):  # column by column, each chunk's piece released once copied
        merged[key] = np.concatenate([part.pop(key) for part in parts])
    parts.clear()
    return _finish(merged, kind, name, area, clock.known)


# --- reading --------------------------------------------------------------------------------------------------------


def _encoding(path: Path, name: str) -> str:
    """Return the text encoding: UTF-16 by its byte-order mark, else UTF-8 if the first megabyte decodes, else GBK."""
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if not head.strip():
        raise i18n.input_error("file_no_rows", name=name)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("gbk")().decode(head, final=False)
        return "gbk"
    except UnicodeDecodeError:
        params = {"file": name, "encodings": "UTF-8, GBK, UTF-16", "encodings_zh": "UTF-8、GBK、UTF-16"}
        raise i18n.input_error("file_not_text", **params) from None


def _header(path: Path, encoding: str, name: str, required: tuple[str, ...]) -> list[str]:
    try:
        header = [str(c) for c in pd.read_csv(path, encoding=encoding, nrows=0, dtype=str).columns]
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError):
        header = []
    found = {column.strip().lower() for column in header}
    missing = [column for column in required if column not in found]
    if missing:
        raise i18n.input_error(
            "missing_columns", name=name, missing=", ".join(missing), required=", ".join(required),
            found=", ".join(header) or "nothing: the file is empty", found_zh="、".join(header) or "无，文件是空的",
        )  # fmt: skip
    return header


class _Clock:
    """Parses a file's times to local-clock seconds; decides once per file whether they are Unix seconds."""

    def __init__(self, timezone: str):
        self.timezone = timezone
        self.unix: bool | None = None
        self.known = False

    def seconds(self, text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """Return local-clock seconds (:data:`NO_TIME` where empty) and a mask of the rows whose time is unreadable."""
        text = text.str.strip()
        empty = (text == "").to_numpy()
        if self.unix is None and (~empty).any():
            sample = pd.to_numeric(text[~empty].head(1000), errors="coerce")
            self.unix = bool(sample.notna().all())
        out = np.full(len(text), NO_TIME, dtype=np.int64)
        if (~empty).any():
            self.known = True
        if self.unix:
            number = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
            number = np.where(np.abs(number) >= 1e11, number / 1000.0, number)  # milliseconds
            ok = np.isfinite(number) & ~empty
            stamps = pd.to_datetime(np.where(ok, number, 0.0), unit="s", utc=True).tz_convert(self.timezone)
            local = stamps.tz_localize(None).to_numpy().astype("datetime64[s]").astype(np.int64)
            out[ok] = local[ok]
            return out, ~ok & ~empty
        parsed = self._strings(text.where(~empty, None))
        ok = parsed.notna().to_numpy() & ~empty
        values = parsed.to_numpy().astype("datetime64[s]").astype(np.int64)
        out[ok] = values[ok]
        return out, ~ok & ~empty

    def _strings(self, text: pd.Series) -> pd.Series:
        parsed = _to_local(pd.to_datetime(text, format="ISO8601", errors="coerce"), self.timezone)
        retry = parsed.isna() & text.notna()
        if retry.any():
            again = _to_local(pd.to_datetime(text[retry], format="mixed", errors="coerce"), self.timezone)
            parsed = parsed.astype("datetime64[ns]")
            parsed[retry] = again
        return parsed


def _to_local(stamps: pd.Series, timezone: str) -> pd.Series:
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        return stamps.dt.tz_convert(timezone).dt.tz_localize(None)
    if stamps.dtype == object:  # some with a zone, some without: each on its own
        return pd.Series([_one_local(v, timezone) for v in stamps], index=stamps.index, dtype="datetime64[ns]")
    return stamps


def _one_local(value: object, timezone: str):
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return pd.NaT
    stamp = pd.Timestamp(value)
    return stamp.tz_convert(timezone).tz_localize(None) if stamp.tzinfo is not None else stamp


class _RowChecks:
    """The bad rows of one chunk: a mask, and (line, code, params) of the first few of each kind."""

    def __init__(self, chunk: pd.DataFrame, lines: np.ndarray):
        self.chunk, self.lines = chunk, lines
        self.blank = np.all([(chunk[c].str.strip() == "").to_numpy() for c in chunk.columns], axis=0)
        self.bad = np.zeros(len(chunk), dtype=bool)
        self.problems: list[tuple[int, str, dict]] = []

    def flag(self, mask: np.ndarray, code: str, column: str | None = None, params=None) -> None:
        mask = mask & ~self.bad & ~self.blank
        for index in np.flatnonzero(mask)[:MAX_ROWS_LISTED]:
            found = {"line": int(self.lines[index])}
            if column is not None:
                found |= {"name": column, "value": str(self.chunk[column].iat[index])}
            if params is not None:
                found |= params(index)
            self.problems.append((int(self.lines[index]), code, found))
        self.bad[mask] = True

    def numbers(self, column: str) -> np.ndarray:
        text = self.chunk[column].str.strip()
        empty = (text == "").to_numpy()
        value = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
        if column not in ("weight", "beat_m"):  # the optional ones may be empty
            self.flag(empty, "row_empty", column)
        self.flag(np.isnan(value) & ~empty, "row_not_number", column)
        self.flag(np.isinf(value), "row_not_finite", column)
        if column in ("weight", "headcount", "beat_m"):
            self.flag(value < 0, "row_negative", column)
        return value

    def degrees(self, lon: np.ndarray, lat: np.ndarray) -> None:
        wrong = ~((np.abs(lon) <= 180) & (np.abs(lat) <= 90)) & np.isfinite(lon) & np.isfinite(lat)
        swapped = wrong & (np.abs(lon) <= 90) & (np.abs(lat) <= 180)

        def where(index: int) -> dict:
            return {"lon": float(lon[index]), "lat": float(lat[index])}

        self.flag(swapped, "row_swapped", params=where)
        self.flag(wrong, "row_not_degrees", params=where)


def _chunk(chunk: pd.DataFrame, kind: str, first_line: int, crs: str, workers: dict[str, int], clock: _Clock):
    """Check one chunk: its good rows as arrays, its bad rows as (line, code, params), and how many rows it had."""
    lines = np.arange(first_line, first_line + len(chunk), dtype=np.int64)
    checks = _RowChecks(chunk, lines)
    numbers = {column: checks.numbers(column) for column in ("lon", "lat", "weight", "headcount", "beat_m")
               if column in chunk.columns}  # fmt: skip
    checks.degrees(numbers["lon"], numbers["lat"])
    part: dict[str, np.ndarray] = {}
    if "time" in chunk.columns:
        seconds, unreadable = clock.seconds(chunk["time"])
        if kind == "pings":
            checks.flag((chunk["time"].str.strip() == "").to_numpy(), "row_empty", "time")
        checks.flag(unreadable, "row_bad_time", "time")
        part["seconds"] = seconds
    if kind == "pings":
        ids = chunk["worker_id"].str.strip()
        checks.flag((ids == "").to_numpy(), "row_empty", "worker_id")
        codes, uniques = pd.factorize(ids)
        mapping = np.array([workers.setdefault(value, len(workers)) for value in uniques], dtype=np.int32)
        part["worker"] = mapping[codes] if len(mapping) else np.zeros(len(chunk), dtype=np.int32)
    keep = ~checks.bad & ~checks.blank
    x, y = coords.to_wgs84(numbers["lon"][keep], numbers["lat"][keep], crs)
    part = {key: value[keep] for key, value in part.items()}
    part |= {"lon": np.asarray(x, dtype=float), "lat": np.asarray(y, dtype=float), "line": lines[keep]}
    part |= {column: numbers[column][keep] for column in ("weight", "headcount", "beat_m") if column in numbers}
    part["bad_rows"] = int((checks.bad & ~checks.blank).sum())
    return part, sorted(checks.problems), int((~checks.blank).sum())


def _refuse(name: str, count: int, problems: list[tuple[int, str, dict]]) -> None:
    shown = sorted(problems)[:MAX_ROWS_LISTED]
    left = count - len(shown)
    raise i18n.input_error(
        "malformed_rows", name=name, count=count,
        listed="; ".join(i18n.text("error", code, "en", **params) for _, code, params in shown),
        listed_zh="；".join(i18n.text("error", code, "zh", **params).rstrip("。") for _, code, params in shown),
        more=f" (and {left} more)" if left > 0 else "", more_zh=f"（另有 {left} 行）" if left > 0 else "",
    )  # fmt: skip


# --- checking the whole file ------------------------------------------------------------------------------------------


def _finish(rows: dict[str, np.ndarray], kind: str, name: str, area: StudyArea, timed: bool) -> Observations:
    """Project, drop points outside the area, and for pings sort them and drop fixes written twice.

    Columns are replaced one at a time (``rows`` is consumed): ten million pings are never held twice.
    """
    to_area = pyproj.Transformer.from_crs("EPSG:4326", area.crs, always_xy=True)
    x, y = rows.pop("lon"), rows.pop("lat")
    to_area.transform(x, y, inplace=True)
    rows["x"], rows["y"] = x, y
    del x, y
    region = area.boundary.buffer(STREET_SAMPLE_M)
    shapely.prepare(region)
    inside = shapely.contains_xy(region, rows["x"], rows["y"])
    notes: list[tuple[str, dict]] = []
    if not inside.any():
        raise i18n.input_error("observations_outside_area", name=name, count=len(inside), area=area.spec.name,
                               line=int(rows["line"][0]))  # fmt: skip
    if not inside.all():
        first = int(rows["line"][~inside][0])
        notes.append(("observed_outside", {"count": int((~inside).sum()), "line": first}))
        _take(rows, inside)
    del inside
    if kind == "pings":
        return _pings(name, rows, notes)
    x, y, line = rows.pop("x"), rows.pop("y"), rows.pop("line")
    if kind == "orders":
        seconds = rows["seconds"] if timed else None
        weight = rows.get("weight", np.full(len(x), np.nan))
        weight = np.where(np.isnan(weight), 1.0, weight)
        return Observations(kind, name, x, y, line, seconds=seconds, weight=weight, notes=tuple(notes))
    return Observations(kind, name, x, y, line, weight=rows["headcount"],
                        beat_m=rows.get("beat_m", np.full(len(x), np.nan)), notes=tuple(notes))  # fmt: skip


def _take(rows: dict[str, np.ndarray], which: np.ndarray) -> None:
    """Replace every column of ``rows`` by ``column[which]``, one column at a time."""
    for key in list(rows):
        rows[key] = rows[key][which]


def _pings(name: str, rows: dict[str, np.ndarray], notes: list) -> Observations:
    _take(rows, np.lexsort((rows["line"], rows["seconds"], rows["worker"])))
    x, y, line, worker, seconds = (rows[key] for key in ("x", "y", "line", "worker", "seconds"))
    same_worker = np.diff(worker) == 0
    back = np.flatnonzero(same_worker & (np.diff(line) < 0))
    if len(back):  # a later line holds an earlier time of the same worker: the file went back in time
        notes.append(("observed_sorted", {"line": int(line[back[0]])}))
    same = np.flatnonzero(same_worker & (np.diff(seconds) == 0))
    del same_worker, back
    if len(same):
        apart = np.hypot(x[same + 1] - x[same], y[same + 1] - y[same]) > SAME_FIX_M
        if apart.any():
            first = same[apart][0]
            lines = sorted((int(line[first]), int(line[first + 1])))
            raise i18n.input_error("pings_two_places", name=name, line=lines[0], other=lines[1],
                                   metres=f"{float(np.hypot(x[first + 1] - x[first], y[first + 1] - y[first])):.0f}")
        keep = np.ones(len(x), dtype=bool)
        keep[same + 1] = False
        notes.append(("observed_duplicates", {"count": int((~keep).sum()), "line": int(line[same[0] + 1])}))
        del x, y, line, worker, seconds
        _take(rows, keep)
    # number workers 0..n-1 in order (they are sorted; their file ids are gone already)
    worker = rows.pop("worker")
    changes = np.ones(len(worker), dtype=bool)
    changes[1:] = worker[1:] != worker[:-1]
    worker = (np.cumsum(changes) - 1).astype(np.int32)
    return Observations("pings", name, rows["x"], rows["y"], rows["line"], worker=worker, seconds=rows["seconds"],
                        notes=tuple(notes))  # fmt: skip
