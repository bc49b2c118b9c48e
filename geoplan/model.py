"""Turn a plan's sites, demand and network distances into a siting model, solve it, and map the answer back.

The siting package works on matrices; this module builds them from the plan's parameters: plain maximal covering,
cross coverage, the maximum-gap rule, opening hours (one row per site and hours option, demand split by shift),
phases, or the fewest stations for a coverage target.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from geoplan.demand import WORKER_GROUPS
from geoplan.errors import InputError
from geoplan.siting import Quota, SitingResult, solve_mclp
from geoplan.siting.hours import parse_hours
from geoplan.siting.phases import solve_phased, stations_for_coverage

#: Shift of groups geoplan has no shift table for (user layers with new group names).
DEFAULT_SHIFT = (("08:00-18:00", 1.0),)


@dataclass(frozen=True)
class Solved:
    """The answer mapped back to sites.

    Attributes
    ----------
    result : SitingResult
        The solver's answer (over model rows).
    site : numpy.ndarray
        Site index of each chosen row (same order as ``result.selected``).
    hours : list of str or None
        Opening hours of each chosen site, when hours are modelled.
    phase : numpy.ndarray or None
        Phase (1 or 2) of each chosen site in a phased plan.
    stations : int
        Stations planned.
    reach : scipy.sparse.csr_array
        Chosen rows x demand-piece columns: which chosen station covers which piece.
    pieces : geopandas.GeoDataFrame
        The demand rows the columns refer to (split by shift when hours are modelled), with ``column``.
    """

    result: SitingResult
    site: np.ndarray
    hours: list[str] | None
    phase: np.ndarray | None
    stations: int
    reach: sp.csr_array
    pieces: gpd.GeoDataFrame


def solve(
    params,
    sites: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    point_of: np.ndarray,
    distances: sp.csr_array,
    must_cover: sp.csr_array | None,
    stations: int,
    rules: dict,
) -> Solved:
    """Build and solve the siting model the parameters ask for.

    Parameters
    ----------
    params : geoplan.plan.PlanParameters
    sites : geopandas.GeoDataFrame
        Candidate sites.
    demand : geopandas.GeoDataFrame
        Demand rows (``group``, ``weight``).
    point_of : numpy.ndarray
        Column of ``distances`` (demand location) of each demand row.
    distances : scipy.sparse.csr_array
        Sites x locations, stored where within the location's cutoff.
    must_cover : scipy.sparse.csr_array or None
        Sites x locations within the maximum gap.
    stations : int
        Stations to plan (the maximum with a coverage target).
    rules : dict
        Site rules for the solver: district, district_min, conflicts, fixed, excluded, city_level_min.

    Returns
    -------
    Solved
    """
    n = len(sites)
    if params.hours_options:
        matrix, weights, pieces, rows_site, rows_hours, rules = _with_hours(params, demand, point_of, distances, rules)
        must = None if must_cover is None else sp.csr_array(sp.vstack([must_cover] * len(params.hours_options)))
    else:
        pieces = demand.assign(column=point_of)
        weights = np.bincount(point_of, weights=demand["weight"].to_numpy(), minlength=distances.shape[1])
        matrix, rows_site, rows_hours, must = distances, np.arange(n), None, must_cover
    solver_args = dict(
        rules,
        backup_weight=params.backup_weight,
        must_cover=must,
        time_limit=params.time_limit_s,
        target_gap=params.target_gap,
    )
    phase = None
    if params.target_coverage is not None:
        found = stations_for_coverage(solve_mclp, matrix, weights, params.target_coverage, stations, **solver_args)
        result, stations = found.plan, found.stations
    elif params.phases:
        phase1 = max(1, params.city_level_min + params.district_min * len(set(rules.get("district_min") or {})))
        phased = solve_phased(solve_mclp, matrix, weights, min(phase1, stations), stations, **solver_args)
        result = phased.phase2
        labels = phased.phase_of()
        phase = np.array([labels[int(j)] for j in result.selected])
    else:
        result = solve_mclp(matrix, weights, stations, **solver_args)
    chosen = result.selected
    reach = sp.csr_array(sp.csr_array(matrix)[chosen] != 0, dtype=float)
    hours = None if rows_hours is None else [rows_hours[j] for j in chosen]
    return Solved(result, rows_site[chosen], hours, phase, stations, reach, pieces)


def _with_hours(params, demand, point_of, distances, rules):
    """Demand split by shift; one row per (site, hours option); rules carried over to the rows."""
    options = [parse_hours(text) for text in params.hours_options]
    labels = [option.label for option in options]
    if len(set(labels)) != len(labels):
        raise InputError(f"Opening-hours options repeat: {', '.join(params.hours_options)}.")
    shift_texts, pieces = [], []
    for group, rows in demand.groupby("group", sort=False):
        known = WORKER_GROUPS.get(group)
        for text, share in known.shifts if known else DEFAULT_SHIFT:
            if text not in shift_texts:
                shift_texts.append(text)
            pieces.append(rows.assign(weight=rows["weight"] * share, shift=text, location=point_of[rows.index]))
    pieces = gpd.GeoDataFrame(pd.concat(pieces), crs=demand.crs)
    shifts = [parse_hours(text) for text in shift_texts]
    keys = pieces[["location", "shift"]].astype(str).agg("|".join, axis=1)
    column, unique_keys = pd.factorize(keys)
    pieces["column"] = column
    first = pd.Series(np.arange(len(pieces))).groupby(column).first().to_numpy()
    column_location = pieces["location"].to_numpy()[first]
    column_shift = np.array([shift_texts.index(s) for s in pieces["shift"].to_numpy()[first]])
    weights = np.bincount(column, weights=pieces["weight"].to_numpy(), minlength=len(unique_keys))
    cover = sp.csr_array(distances)[:, column_location]
    cover = sp.csr_array((cover != 0).astype(float))
    from geoplan.siting.hours import option_model  # local: only this path needs it

    n = distances.shape[0]
    fixed = np.asarray(rules.get("fixed", ()), dtype=np.int64)
    om = option_model(cover, column_shift, shifts, options, fixed_sites=fixed, min_overlap_min=params.min_overlap_min)
    k = len(options)
    new_rules = dict(rules)
    new_rules["fixed"] = ()
    new_rules["excluded"] = om.rows_of(rules.get("excluded", ()))
    new_rules["conflicts"] = om.expand_conflicts(rules.get("conflicts", np.zeros((0, 2), dtype=np.int64)))
    if rules.get("district") is not None:
        new_rules["district"] = np.tile(np.asarray(rules["district"], dtype=object), k)
    quotas = [om.one_per_site]
    if params.max_24h is not None:
        quotas.append(
            Quota("hours", np.array([labels[o] for o in om.option], dtype=object), {}, {"24h": params.max_24h})
        )
    new_rules["quotas"] = quotas
    rows_hours = [labels[o] for o in om.option]
    return om.coverage, weights, pieces.reset_index(drop=True), np.tile(np.arange(n), k), rows_hours, new_rules
