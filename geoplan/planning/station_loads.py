"""Capacity, busiest-window load and utilisation of a scenario's stations, and the workers they serve within capacity.

The review map and a scenario's exports show these for the stations a planner has now (proposed, accepted and
existing), whatever decisions came since the last solve: every station is kept as it is and only the sharing-out is
computed, with :func:`geoplan.siting.solve_capacitated` on the stations alone (all fixed; each at the size that serves
the most, the smallest such). Loads come from the same exact LP the plan's solve ends with, so no station's load is
ever above its capacity. An existing station seats what its file declares (``capacity``), and an accepted or
existing station whose site dict declares a ``capacity`` seats exactly that, in one size; else what its floor area
seats; stations that are no model row seat what their candidate site seats, and off the candidate set (existing
stations anywhere) what the minimum floor area seats, as in the capacitated solve (:mod:`geoplan.planning.solve`,
:func:`geoplan.planning.capacity.extra_capacity`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from geoplan.planning.capacity import served_workers, station_capacity, station_figures
from geoplan.planning.figures import share
from geoplan.planning.parameters import PlanParameters
from geoplan.planning.sites import Reading
from geoplan.siting import solve_capacitated

__all__ = ["FULL", "STATION_FIELDS", "is_full", "served_figures", "with_capacity"]

#: What each station gets in a capacitated scenario (as the proposals of ``geoplan plan --capacitated``).
STATION_FIELDS = ("size_m2", "enlarged", "capacity", "capacity_per_hour", "peak_load", "peak_window", "utilisation")

#: Utilisation from which a station counts as full in its busiest window (the review map colours it red).
FULL = 1.0

#: Utilisations are rounded to 4 decimals: a station this close below :data:`FULL` is full.
_ROUNDING = 1e-4

#: Seconds the sharing-out of one set of stations may take (it is an LP; the limit only guards a huge area).
_SECONDS = 5.0


def is_full(utilisation: float | np.ndarray) -> bool | np.ndarray:
    """Tell whether a station is full in its busiest window (at :data:`FULL`, up to the rounding of utilisations).

    Parameters
    ----------
    utilisation : float or numpy.ndarray
        Utilisation (peak load / capacity) of a station, or of each of several.

    Returns
    -------
    bool or numpy.ndarray of bool
        One answer per value (False for NaN).
    """
    full = np.asarray(utilisation, dtype=float) >= FULL - _ROUNDING
    return bool(full) if full.ndim == 0 else full


def with_capacity(prepared, params: PlanParameters, sites: Sequence[Mapping], reading: Reading,
                  figures: dict) -> dict:  # fmt: skip
    """Add served workers and each station's capacity and load to a scenario's coverage figures.

    Parameters
    ----------
    prepared : geoplan.planning.prepare.PreparedModel
    params : PlanParameters
        The scenario's parameters (density, visit minutes, shift shares, minimum floor area).
    sites : sequence of dict
        The scenario's site dicts, as read into ``reading``.
    reading : Reading
        ``sites`` read against ``prepared`` (:func:`geoplan.planning.sites.read_sites`).
    figures : dict
        Their coverage figures (:func:`geoplan.planning.figures.coverage_figures`).

    Returns
    -------
    dict
        A copy of ``figures`` whose ``workers``, ``by_district`` and ``by_group`` entries also hold ``served``
        (workers served within capacity) and ``served_share``, as in ``coverage.json``, plus ``capacity``:
        ``people_per_m2``, ``units``, ``windows`` (``window``, ``hours``, ``load``), ``stations`` (one entry per
        site dict, in order: None for a rejected site, else :data:`STATION_FIELDS` with capacity in people at once,
        ``capacity_per_hour`` and ``peak_load`` in person-minutes per hour, ``utilisation`` = peak load /
        capacity), ``capacity_people``, ``max_utilisation``, ``mean_utilisation`` and ``full`` (stations at
        capacity in their busiest window).
    """
    model = prepared.model
    rows = np.asarray(reading.rows, dtype=np.int64)
    n_extra = int(reading.extra.shape[0])
    coverage = sp.csr_array(sp.vstack([model.matrix[rows], reading.extra], format="csr"))
    stations_of = station_capacity(prepared, params, rows, row_people=reading.row_people,
                                   extra_site=reading.extra_site, extra_people=reading.extra_people,
                                   extra_hours=reading.extra_hours, n_extra=n_extra)  # fmt: skip
    inputs, open_share = stations_of.inputs, stations_of.open_share
    floor, per_hour = stations_of.options.floor_m2, stations_of.options.per_hour
    n = len(rows) + n_extra
    if n:
        answer = solve_capacitated(coverage, inputs.load, per_hour, n, window_hours=inputs.window_hours,
                                   open_share=open_share, fixed=np.arange(n), time_limit=_SECONDS)  # fmt: skip
        size, capacity, load, served = answer.size, answer.capacity, answer.load, answer.served
    else:
        size, capacity = np.zeros(0, dtype=np.int64), np.zeros(0)
        load, served = np.zeros((0, len(inputs.windows))), np.zeros_like(inputs.load)
    stations = station_figures(floor, size, capacity, load, open_share, inputs.windows).round({"size_m2": 2})
    stations = stations.to_dict("records")
    out = {key: value for key, value in figures.items() if key not in ("workers", "by_district", "by_group")}
    out.update(served_figures(model.pieces, served_workers(model.pieces, inputs, served), figures))
    out["capacity"] = {
        "people_per_m2": inputs.people_per_m2,
        "units": "capacity and loads in person-minutes per hour (people at once x 60)",
        "windows": inputs.window_figures(),
        "stations": _per_site(prepared, sites, rows, n_extra, stations),
        **_totals(stations),
    }  # fmt: skip
    return out


def _per_site(prepared, sites: Sequence[Mapping], rows: np.ndarray, n_extra: int,
              stations: list[dict]) -> list[dict | None]:  # fmt: skip
    """Each site dict's station entry (None for rejected sites): by its model row, else the next extra row.

    A site's model row is its candidate site with its opening hours (the first option without them); stations off
    the candidate set are the extra rows, in the order of the site dicts (as
    :func:`geoplan.planning.sites.read_sites` reads them).
    """
    position = {int(row): j for j, row in enumerate(rows.tolist())}
    extra = iter(range(len(rows), len(rows) + n_extra))
    out: list[dict | None] = []
    for site in sites:
        if site.get("status") == "rejected":
            out.append(None)
            continue
        site_index = prepared.index.row_of.get(str(site.get("candidate_id")))
        row = None if site_index is None else _row_of(prepared.model, site_index, site.get("hours"))
        j = None if row is None else position.get(row)
        if j is None:
            j = next(extra, None)
        out.append(None if j is None else dict(stations[j]))
    return out


def _row_of(model, site_index: int, hours) -> int | None:
    """Model row of a site with these hours (already read by ``read_sites``), None when they are no option."""
    return model.row_of(site_index, hours if isinstance(hours, str) and hours.strip() else None)


def _totals(stations: list[dict]) -> dict:
    utilisation = np.array([station["utilisation"] for station in stations], dtype=float)
    return {
        "capacity_people": int(sum(station["capacity"] for station in stations)),
        "max_utilisation": round(float(utilisation.max(initial=0.0)), 4),
        "mean_utilisation": round(float(utilisation.mean()), 4) if len(utilisation) else 0.0,
        "full": int(is_full(utilisation).sum()),
    }


def served_figures(pieces: pd.DataFrame, workers: np.ndarray, figures: dict) -> dict:
    """Return ``workers``, ``by_district`` and ``by_group`` of ``figures`` with ``served`` and ``served_share`` added.

    Parameters
    ----------
    pieces : pandas.DataFrame
        Demand pieces (``district``, ``group``).
    workers : numpy.ndarray
        Workers served of each piece (:func:`geoplan.planning.capacity.served_workers`).
    figures : dict
        Coverage figures (:func:`geoplan.planning.figures.coverage_figures`), not changed.

    Returns
    -------
    dict
        Copies of the three entries, rounded as every figure is (:func:`geoplan.planning.figures.share`).
    """
    workers = np.asarray(workers, dtype=float)
    out = {}
    for key, column in (("by_district", "district"), ("by_group", "group")):
        totals = pd.Series(workers).groupby(pieces[column].astype(str).to_numpy()).sum()
        out[key] = {name: _with_served(entry, float(totals.get(name, 0.0)), entry["workers"])
                    for name, entry in figures[key].items()}  # fmt: skip
    out["workers"] = _with_served(figures["workers"], float(workers.sum()), figures["workers"]["total"])
    return out


def _with_served(entry: Mapping, served: float, total: float) -> dict:
    numbers = share(total, served)
    return {**entry, "served": numbers["covered"], "served_share": numbers["share"]}
