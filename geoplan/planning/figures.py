"""Coverage figures of a set of stations: workers in total and covered, per district and per worker group.

``coverage.json`` of ``geoplan plan``, the review map, exports and comparisons all take their figures from
:func:`coverage_figures`, over the siting model's demand pieces, so the same stations give the same numbers
everywhere.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["coverage_figures", "share"]


def share(total: float, covered: float) -> dict[str, float]:
    """Workers, covered workers and their share, rounded as every figure is (2 decimals, share 4)."""
    return {
        "workers": round(total, 2),
        "covered": round(covered, 2),
        "share": round(covered / total, 4) if total else 0.0,
    }


def coverage_figures(prepared, covered_columns: np.ndarray, station_districts: list[str]) -> dict:
    """Figures of the stations that cover ``covered_columns``.

    Parameters
    ----------
    prepared : geoplan.planning.prepare.PreparedModel
    covered_columns : numpy.ndarray
        Boolean mask over the siting model's columns.
    station_districts : list of str
        District of every station (for the station counts per district).

    Returns
    -------
    dict
        ``workers`` (``total``, ``covered``, ``share``), ``by_district`` (per district of the area: ``workers``,
        ``covered``, ``share``, ``stations``), ``by_group`` (per worker group: ``workers``, ``covered``, ``share``)
        and ``stations`` (count).
    """
    pieces = prepared.model.pieces
    weight = pieces["weight"].to_numpy(dtype=float)
    covered = np.asarray(covered_columns, dtype=bool)[pieces["column"].to_numpy()]
    by_district = _table(pieces["district"], weight, covered)
    for name in prepared.area.districts["district"].astype(str):
        by_district.setdefault(name, share(0.0, 0.0))
    counts = dict.fromkeys(by_district, 0)
    for name in station_districts:
        counts[name] = counts.get(name, 0) + 1
    for name, entry in by_district.items():
        entry["stations"] = counts[name]
    overall = share(float(weight.sum()), float(weight[covered].sum()))
    return {
        "workers": {"total": overall["workers"], "covered": overall["covered"], "share": overall["share"]},
        "by_district": by_district,
        "by_group": _table(pieces["group"], weight, covered),
        "stations": len(station_districts),
    }


def _table(labels: pd.Series, weight: np.ndarray, covered: np.ndarray) -> dict[str, dict[str, float]]:
    # Hashed, not sorted as Python objects: a whole city has millions of demand pieces.
    code, names = pd.factorize(labels.astype(str), sort=True)
    total = np.bincount(code, weights=weight, minlength=len(names))
    hit = np.bincount(code[covered], weights=weight[covered], minlength=len(names))
    return {str(name): share(float(total[i]), float(hit[i])) for i, name in enumerate(names)}
