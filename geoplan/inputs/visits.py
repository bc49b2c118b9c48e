"""Stations' visit ledgers as observations: visits per day against the demand predicted around each station.

The unions keep a ledger of visits per station and day (``station_id,date,visits``). Each station's predicted
demand is the workers of every group's layer within that group's cutoff of it, **as the crow flies** (Euclidean
distance in the area's metric CRS: a ledger check needs no network routing, and the straight line overstates
what the street network reaches by about the same factor at every station, which the fitted scale absorbs). A
single scale ``s`` (visits per day per predicted worker) is fitted by Poisson maximum likelihood: a station's
visits over its ``days`` in the ledger are taken as Poisson with mean ``s x predicted x days``, which gives
``s = total visits / sum(predicted x days)``. Each station is then reported with its observed and expected visits
per day, their ratio and its Pearson residual ``(observed - expected) / sqrt(expected)`` on the totals, and
flagged where the demand model under- or over-estimates it (:data:`FLAG_RATIO`, :data:`FLAG_RESIDUAL`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan import i18n, settings
from geoplan.data.readers import MAX_ROWS_LISTED, decode_text
from geoplan.errors import InputError

__all__ = [
    "FLAG_RATIO",
    "FLAG_RESIDUAL",
    "LEDGER_COLUMNS",
    "VisitCheck",
    "check_visits",
    "demand_around",
    "read_ledger",
    "station_ids",
]

#: Columns of a ledger file.
LEDGER_COLUMNS = ("station_id", "date", "visits")

#: Date formats of a ledger (ISO and the slashed form Chinese spreadsheets write; months and days may be unpadded).
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d")

#: A station is flagged when its observed visits are at least this many times the expected ones ("under": the
#: model underestimates its demand) or at most its inverse ("over")...
FLAG_RATIO = 1.5

#: ...and its Pearson residual is at least this large (positive for "under", negative for "over"): a ratio alone
#: flags noise at quiet stations, a residual alone flags small differences at busy ones.
FLAG_RESIDUAL = 2.0


@dataclass(frozen=True, eq=False)
class VisitCheck:
    """The ledger against the predicted demand.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per station: ``station_id``, ``name``, ``lon``, ``lat``, ``days`` (dates in the ledger),
        ``visits`` (total), ``observed_per_day``, ``predicted_workers`` (within the cutoffs),
        ``expected_per_day`` (``scale x predicted_workers``), ``ratio`` (observed / expected),
        ``pearson_residual`` and ``flag``: ``under`` (more visits than the model expects), ``over`` (fewer), empty,
        or ``no_ledger`` (a station the ledger does not mention: not part of the fit).
    scale : float
        Visits per day per predicted worker (Poisson maximum likelihood over the stations in the ledger).
    """

    table: pd.DataFrame
    scale: float


def station_ids(stations: gpd.GeoDataFrame) -> list[str]:
    """Return each station's id as ledgers name it: its ``name``, else its 1-based row number in the file."""
    names = stations["name"].to_numpy(dtype=object) if "name" in stations.columns else [None] * len(stations)
    return [str(name).strip() if _given(name) else str(number) for number, name in enumerate(names, start=1)]


def read_ledger(path: Path | str, stations: gpd.GeoDataFrame, *, shown: str | None = None) -> pd.DataFrame:
    """Read a visit ledger, refusing the whole file if any row is malformed.

    Parameters
    ----------
    path : pathlib.Path or str
        CSV with header ``station_id,date,visits`` (UTF-8, GBK or UTF-16 with its BOM). ``station_id`` is a
        station's ``name`` in the stations file, else its 1-based row number there; ``date`` is ``YYYY-MM-DD`` or
        ``YYYY/MM/DD``; ``visits`` a number of at least 0. Several rows of one station and day add up.
    stations : geopandas.GeoDataFrame
        The existing stations (:func:`geoplan.inputs.candidates.read_sites`: ``name`` may be None).
    shown : str, optional
        Name of the file in messages.

    Returns
    -------
    pandas.DataFrame
        ``station`` (0-based row of ``stations``), ``date`` (datetime.date), ``visits`` (float), ``line``.

    Raises
    ------
    InputError
        Missing file, missing columns, no rows, or malformed rows (missing fields, unparsable dates, negative or
        non-numeric visits, unknown station ids), listed with their line numbers.
    """
    path = Path(path)
    name = shown or str(path)
    if not path.is_file():
        raise i18n.input_error("file_not_found", name=name)
    reader = csv.DictReader(io.StringIO(decode_text(path.read_bytes(), name), newline=""))
    try:
        header = [str(column).strip().lower() for column in reader.fieldnames or []]
        reader.fieldnames = header
        missing = [column for column in LEDGER_COLUMNS if column not in header]
        if missing:
            raise i18n.input_error(
                "missing_columns", name=name, missing=", ".join(missing), required=", ".join(LEDGER_COLUMNS),
                found=", ".join(header) or "nothing: the file is empty", found_zh="、".join(header) or "无，文件是空的",
            )  # fmt: skip
        index = _station_index(station_ids(stations), stations)
        rows, problems = [], []
        for row in reader:
            if None not in row and not any((value or "").strip() for value in row.values()):
                continue  # a line of empty fields
            parsed = _ledger_row(row, index, reader.line_num)
            if isinstance(parsed, InputError):
                problems.append(parsed)
            else:
                rows.append(parsed)
    except csv.Error as exc:
        raise i18n.input_error("file_not_csv", file=name, line=reader.line_num + 1, reason=str(exc)) from None
    if problems:
        listed, left = problems[:MAX_ROWS_LISTED], len(problems) - MAX_ROWS_LISTED
        raise i18n.input_error(
            "malformed_rows", name=name, count=len(problems), listed="; ".join(str(p) for p in listed),
            listed_zh="；".join(i18n.error_text(p, "zh").rstrip("。") for p in listed),
            more=f" (and {left} more)" if left > 0 else "", more_zh=f"（另有 {left} 行）" if left > 0 else "",
        )  # fmt: skip
    if not rows:
        raise i18n.input_error("file_no_rows", name=name)
    return pd.DataFrame(rows, columns=["station", "date", "visits", "line"])


def _given(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value)) and bool(str(value).strip())


def _station_index(ids: Sequence[str], stations: gpd.GeoDataFrame) -> dict[str, int]:
    """Map every id a ledger may use to a station's row: row numbers first, then names (a name wins a tie)."""
    index = {str(number): number - 1 for number in range(1, len(stations) + 1)}
    index.update({station_id: row for row, station_id in enumerate(ids)})
    return index


def _ledger_row(row: Mapping[str, str | None], index: Mapping[str, int], line: int) -> tuple | InputError:
    """Return ``(station, date, visits, line)`` of a good row, or the coded error of what is wrong with it."""
    if None in row:
        return i18n.input_error("row_extra_fields", line=line)
    values = {column: (row.get(column) or "").strip() for column in LEDGER_COLUMNS}
    for column, value in values.items():
        if not value:
            return i18n.input_error("row_empty", line=line, name=column)
    if values["station_id"] not in index:
        return i18n.input_error("ledger_unknown_station", line=line, station=values["station_id"])
    date = _date(values["date"])
    if date is None:
        return i18n.input_error("ledger_bad_date", line=line, value=values["date"])
    visits = _visits(values["visits"], line)
    if isinstance(visits, InputError):
        return visits
    return index[values["station_id"]], date, visits, line


def _visits(text: str, line: int) -> float | InputError:
    try:
        visits = float(text)
    except ValueError:
        return i18n.input_error("row_not_number", line=line, name="visits", value=text)
    if not math.isfinite(visits):
        return i18n.input_error("row_not_finite", line=line, name="visits", value=text)
    if visits < 0:
        return i18n.input_error("row_negative", line=line, name="visits", value=visits)
    return visits


def _date(text: str) -> dt.date | None:
    for pattern in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def demand_around(demand: gpd.GeoDataFrame, stations: gpd.GeoDataFrame, cutoffs_m: Mapping[str, float]) -> np.ndarray:
    """Return the workers within each group's cutoff of each station, as the crow flies.

    Parameters
    ----------
    demand : geopandas.GeoDataFrame
        ``group``, ``weight`` and points in a metric CRS (:func:`geoplan.inputs.demand.build_demand`).
    stations : geopandas.GeoDataFrame
        Points (any CRS; taken to ``demand``'s).
    cutoffs_m : mapping of str to float
        Service cutoff of each group in metres (Euclidean distance here).

    Returns
    -------
    numpy.ndarray
        Predicted workers around each station (all groups together).
    """
    points = stations.to_crs(demand.crs).geometry.to_numpy()
    total = np.zeros(len(points))
    for group, layer in demand.groupby("group", sort=True):
        pairs = shapely.STRtree(layer.geometry.to_numpy()).query(points, predicate="dwithin",
                                                                 distance=float(cutoffs_m[group]))  # fmt: skip
        total += np.bincount(pairs[0], weights=layer["weight"].to_numpy(dtype=float)[pairs[1]], minlength=len(points))
    return total


def check_visits(stations: gpd.GeoDataFrame, ledger: pd.DataFrame, predicted: np.ndarray) -> VisitCheck:
    """Fit the visits-per-worker scale and compare each station's ledger with its predicted demand.

    Parameters
    ----------
    stations : geopandas.GeoDataFrame
        Existing stations (``name``, points in any CRS; reported in WGS-84 longitude and latitude).
    ledger : pandas.DataFrame
        From :func:`read_ledger`.
    predicted : numpy.ndarray
        Predicted workers around each station (:func:`demand_around`).

    Returns
    -------
    VisitCheck

    Raises
    ------
    InputError
        No predicted worker near any station in the ledger (nothing to scale).
    """
    n = len(stations)
    predicted = np.asarray(predicted, dtype=float)
    visits = np.bincount(ledger["station"], weights=ledger["visits"], minlength=n)
    days = ledger.drop_duplicates(["station", "date"])["station"].value_counts().reindex(range(n), fill_value=0)
    days = days.to_numpy(dtype=float)
    in_ledger = days > 0
    exposure = (predicted * days)[in_ledger].sum()
    if exposure <= 0:
        raise i18n.input_error("visits_no_demand", stations=int(in_ledger.sum()))
    scale = float(visits[in_ledger].sum() / exposure)
    expected = scale * predicted * days
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(expected > 0, visits / expected, np.nan)
        residual = np.where(expected > 0, (visits - expected) / np.sqrt(expected), np.nan)
        observed_per_day = np.where(in_ledger, visits / days, np.nan)
    under = ((ratio >= FLAG_RATIO) & (residual >= FLAG_RESIDUAL)) | ((expected == 0) & (visits > 0))
    over = (ratio <= 1 / FLAG_RATIO) & (residual <= -FLAG_RESIDUAL)
    flag = np.select([~in_ledger, under, over], ["no_ledger", "under", "over"], default="")
    lonlat = shapely.get_coordinates(stations.to_crs(settings.WGS84).geometry.to_numpy())
    table = pd.DataFrame({
        "station_id": station_ids(stations),
        "name": [name if _given(name) else "" for name in stations.get("name", pd.Series([None] * n))],
        "lon": lonlat[:, 0].round(6), "lat": lonlat[:, 1].round(6), "days": days.astype(int),
        "visits": np.where(in_ledger, visits, np.nan), "observed_per_day": observed_per_day,
        "predicted_workers": predicted, "expected_per_day": np.where(in_ledger, scale * predicted, np.nan),
        "ratio": ratio, "pearson_residual": np.where(in_ledger, residual, np.nan), "flag": flag,
    })  # fmt: skip
    return VisitCheck(table, scale)
