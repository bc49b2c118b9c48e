"""Plan stations for a study area end to end: demand, candidates, network coverage, siting.

:func:`make_plan` runs every stage and returns a :class:`Plan`; :mod:`geoplan.export` writes it to files.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan import model, network
from geoplan.areas import StudyArea
from geoplan.candidates import CandidateRules, CandidateSet, build_candidates
from geoplan.demand import WORKER_GROUPS, build_demand
from geoplan.errors import InputError
from geoplan.siting import SitingResult, spacing_conflicts

log = logging.getLogger(__name__)

#: Nanchang's second-phase target: at least 35 stations citywide. Also the cap of the scaled default.
CITY_TARGET_STATIONS = 35

#: Scaled default: one station per km² of the network's extent (a 1 km walking circle covers ~1 km² of streets
#: once detours are counted, and the national 15-minute circle asks for overlapping coverage).
STATIONS_PER_KM2 = 1.0


@dataclass(frozen=True)
class PlanParameters:
    """Everything a plan run can be asked for; defaults follow Nanchang's plan and the national 15-minute circle.

    Attributes
    ----------
    stations : int or None
        Total stations (existing ones included); None scales the default to the area (see :func:`default_stations`).
    district_min : int
        Minimum stations per district (Nanchang: every county/district union builds at least 1).
    city_level_min : int
        Stations designated city-level (Nanchang: the city union builds at least 3).
    min_spacing_m : float
        Minimum straight-line distance between two stations, metres.
    cutoff_m : mapping of str to float
        Service cutoff along the network per worker group, metres (default: 1,000 m walking; riders 2,000 m).
    headcounts : mapping of str to float
        Workers per group, overriding the density defaults.
    candidate_rules : CandidateRules
        Footprint, spacing and street-side rules for candidate sites.
    excluded_ids : tuple of str
        Candidate ids never to choose.
    time_limit_s : float
        Seconds for the optimiser.
    target_gap : float
        Relative optimality gap at which the optimiser may stop.
    backup_weight : float
        Cross coverage (交叉覆盖): value of a second station within reach, as a share of the first (0 = off).
    max_gap_m : float or None
        Maximum-gap rule: every worker location within this network distance of a station (None = off).
    hours_options : tuple of str
        Opening-hours options offered for each site (e.g. ``("08:30-17:00", "24h")``); empty = time of day not
        modelled. With options, a worker counts as covered only by a station open during the worker's shift.
    max_24h : int or None
        At most this many stations open 24 hours.
    min_overlap_min : int
        Minutes a station must be open during a shift to count for it.
    phases : bool
        Plan in two phases: phase 1 the quota stations (city-level + per-district minimum), phase 2 the rest.
    target_coverage : float or None
        Instead of a fixed count, the fewest stations (up to ``stations``) covering this share of workers.
    """

    stations: int | None = None
    district_min: int = 1
    city_level_min: int = 3
    min_spacing_m: float = 300.0
    cutoff_m: Mapping[str, float] = field(default_factory=dict)
    headcounts: Mapping[str, float] = field(default_factory=dict)
    candidate_rules: CandidateRules = field(default_factory=CandidateRules)
    excluded_ids: tuple[str, ...] = ()
    time_limit_s: float = 10.0
    target_gap: float = 0.005
    backup_weight: float = 0.0
    max_gap_m: float | None = None
    hours_options: tuple[str, ...] = ()
    max_24h: int | None = None
    min_overlap_min: int = 60
    phases: bool = False
    target_coverage: float | None = None

    def __post_init__(self) -> None:
        if self.stations is not None and self.stations < 1:
            raise InputError(f"--stations must be at least 1, got {self.stations}.")
        if self.district_min < 0 or self.city_level_min < 0:
            raise InputError("District and city-level minimums must be >= 0.")
        if not (math.isfinite(self.min_spacing_m) and self.min_spacing_m >= 0):
            raise InputError(f"Minimum spacing must be >= 0 metres, got {self.min_spacing_m}.")
        for group, cutoff in self.cutoff_m.items():
            if not (isinstance(cutoff, int | float) and math.isfinite(cutoff) and cutoff > 0):
                raise InputError(f"Service cutoff for {group!r} must be a positive number of metres, got {cutoff!r}.")
        if self.time_limit_s <= 0 or not 0 <= self.target_gap < 1:
            raise InputError("time limit must be > 0 s and the target gap within [0, 1).")
        if not (math.isfinite(self.backup_weight) and self.backup_weight >= 0):
            raise InputError(f"The cross-coverage weight must be >= 0, got {self.backup_weight}.")
        if self.max_gap_m is not None and not (math.isfinite(self.max_gap_m) and self.max_gap_m > 0):
            raise InputError(f"The maximum gap must be a positive number of metres, got {self.max_gap_m}.")
        if self.target_coverage is not None and not 0 < self.target_coverage <= 1:
            raise InputError(f"The coverage target must be a share in (0, 1], got {self.target_coverage}.")
        if self.max_24h is not None and self.max_24h < 0:
            raise InputError(f"--max-24h must be >= 0, got {self.max_24h}.")
        if self.min_overlap_min < 1:
            raise InputError(f"The minimum overlap must be at least 1 minute, got {self.min_overlap_min}.")

    def cutoff_for(self, group: str) -> float:
        """Service cutoff (m) of a worker group: the parameter, else the group's default, else walking 1 km."""
        if group in self.cutoff_m:
            return float(self.cutoff_m[group])
        known = WORKER_GROUPS.get(group)
        return known.cutoff_m if known else 1000.0


@dataclass(frozen=True)
class Plan:
    """A finished plan.

    Attributes
    ----------
    area : StudyArea
    params : PlanParameters
    stations : int
        Station count actually planned.
    proposals : geopandas.GeoDataFrame
        Chosen sites: ``id``, ``district``, ``level`` (city|district), ``covered_workers``, ``footprint_m2``,
        ``source``, ``kind``, ``name``, ``footprint``, point geometry (area CRS).
    demand : geopandas.GeoDataFrame
        Demand points with ``group``, ``weight``, ``district``, ``covered`` (bool).
    candidates : CandidateSet
    result : SitingResult
    layer_rules : dict of str to str
        How each group's demand layer was made.
    timings_s : dict of str to float
        Seconds per stage.
    """

    area: StudyArea
    params: PlanParameters
    stations: int
    proposals: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    candidates: CandidateSet
    result: SitingResult
    layer_rules: dict[str, str]
    timings_s: dict[str, float]

    def summary(self) -> dict:
        """Coverage figures, optimality and parameters, as plain JSON-ready values."""
        demand = self.demand
        covered = demand[demand["covered"]]

        def table(key: str) -> dict[str, dict[str, float]]:
            total = demand.groupby(key)["weight"].sum()
            hit = covered.groupby(key)["weight"].sum().reindex(total.index, fill_value=0.0)
            return {
                str(k): {"workers": round(float(total[k]), 2), "covered": round(float(hit[k]), 2),
                         "share": round(float(hit[k] / total[k]), 4) if total[k] else 0.0}
                for k in total.index
            }  # fmt: skip

        total = float(demand["weight"].sum())
        stations_per_district = self.proposals.groupby("district").size()
        by_district = table("district")
        for name in self.area.districts["district"]:
            entry = by_district.setdefault(str(name), {"workers": 0.0, "covered": 0.0, "share": 0.0})
            entry["stations"] = int(stations_per_district.get(name, 0))
        params = asdict(self.params)
        params["stations"] = self.stations
        params["cutoff_m"] = {g: self.params.cutoff_for(g) for g in sorted(demand["group"].unique())}
        return {
            "area": {
                "name": self.area.spec.name,
                "title": self.area.spec.title,
                "title_zh": self.area.spec.title_zh,
                "source": self.area.spec.source,
                "crs": str(self.area.crs),
                "extent_km2": round(self.area.area_km2, 3),
                "districts": self.area.districts["district"].tolist(),
                "district_source": self.area.district_source,
                "unsupported_checks": list(self.area.notes),
            },
            "workers": {"total": round(total, 2), "covered": round(float(covered["weight"].sum()), 2),
                        "share": round(float(covered["weight"].sum() / total), 4) if total else 0.0},
            "by_group": table("group"),
            "by_district": by_district,
            "optimality": {
                "objective": round(self.result.objective, 4),
                "bound": round(self.result.bound, 4),
                "gap": self.result.gap,
                "status": self.result.status,
                "method": self.result.method,
                "solve_seconds": round(self.result.seconds, 3),
            },
            "candidates": {
                "kept": {str(k): int(v) for k, v in self.candidates.sites["source"].value_counts().items()},
                "refused": self.candidates.refusal_counts(),
            },
            "demand_layers": self.layer_rules,
            "parameters": params,
            "timings_s": {k: round(v, 3) for k, v in self.timings_s.items()},
        }  # fmt: skip


def default_stations(area: StudyArea, params: PlanParameters) -> int:
    """Station count for a run without ``--stations``.

    The registry's ``default_stations`` if set; else one station per km² of network extent, capped at Nanchang's
    35 and raised to what the quotas need (every planned district's minimum and the city-level stations).
    """
    needed = max(params.city_level_min, params.district_min * len(area.planned_districts), 1)
    if area.spec.default_stations:
        return max(int(area.spec.default_stations), needed)
    scaled = math.ceil(area.area_km2 * STATIONS_PER_KM2)
    return max(min(scaled, CITY_TARGET_STATIONS), needed)


def make_plan(
    area: StudyArea,
    params: PlanParameters | None = None,
    layers: list[gpd.GeoDataFrame] | None = None,
    user_sites: gpd.GeoDataFrame | None = None,
    fixed_sites: gpd.GeoDataFrame | None = None,
) -> Plan:
    """Plan stations for a study area.

    Parameters
    ----------
    area : StudyArea
    params : PlanParameters, optional
    layers : list of geopandas.GeoDataFrame, optional
        User demand layers (see :func:`geoplan.demand.read_layer`).
    user_sites : geopandas.GeoDataFrame, optional
        User candidate sites (see :func:`geoplan.candidates.read_sites`).
    fixed_sites : geopandas.GeoDataFrame, optional
        Existing stations, always part of the plan.

    Returns
    -------
    Plan

    Raises
    ------
    InfeasibleError
        Quotas above the station count, a district without a feasible site, more stations than sites...
    """
    params = params or PlanParameters()
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = now - clock
        clock = now

    demand, layer_rules = build_demand(area, params.headcounts, layers)
    lap("demand")
    candidates = build_candidates(area, params.candidate_rules, user_sites, fixed_sites)
    sites = candidates.sites
    if len(sites) == 0:
        raise InputError(f"Area {area.spec.name!r}: no candidate site passed the checks; see the refusal list.")
    lap("candidates")
    graph = network.street_graph(area.edges)
    site_spots = network.snap(graph, shapely.get_coordinates(sites.geometry.values))
    points, point_of = _demand_points(demand, params)
    demand_spots = network.snap(graph, points[:, :2])
    distances = network.coverage(graph, site_spots, demand_spots, points[:, 2])
    lap("coverage")

    stations = params.stations or default_stations(area, params)
    log.info("planning %d stations over %d candidate sites and %d demand points", stations, len(sites), len(demand))
    planned = area.planned_districts
    unknown = sorted(set(params.excluded_ids) - set(sites["id"]))
    if unknown:
        raise InputError(f"Excluded site id(s) not found among the candidates: {', '.join(unknown[:10])}.")
    must_cover = None
    if params.max_gap_m is not None:
        locations = network.snap(graph, np.unique(points[:, :2], axis=0))
        must_cover = network.coverage(graph, site_spots, locations, params.max_gap_m)
    rules = {
        "district": sites["district"].to_numpy(),
        "district_min": dict.fromkeys(planned, params.district_min) if params.district_min else None,
        "conflicts": spacing_conflicts(shapely.get_coordinates(sites.geometry.values), params.min_spacing_m),
        "fixed": np.flatnonzero(sites["source"].eq("fixed").to_numpy()),
        "excluded": np.flatnonzero(sites["id"].isin(params.excluded_ids).to_numpy()),
        "city_level_min": params.city_level_min,
    }
    solved = model.solve(params, sites, demand, point_of, distances, must_cover, stations, rules)
    lap("siting")
    proposals, demand = _proposals(sites, solved)
    return Plan(area, params, solved.stations, proposals, demand, candidates, solved.result, layer_rules, timings)


def _demand_points(demand: gpd.GeoDataFrame, params: PlanParameters) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (x, y, cutoff) demand locations and, for each demand row, the index of its location.

    Groups spread along streets share their sample points; a location needs one coverage column per cutoff, not
    one per group, so coverage is computed once per distinct location and cutoff (to 0.1 m).
    """
    xy = np.round(shapely.get_coordinates(demand.geometry.values), 1)
    cutoff = demand["group"].map(params.cutoff_for).to_numpy(dtype=float)
    points, point_of = np.unique(np.column_stack([xy, cutoff]), axis=0, return_inverse=True)
    return points, point_of.ravel()


def _proposals(sites: gpd.GeoDataFrame, solved: model.Solved) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    pieces = solved.pieces
    column_weight = np.bincount(pieces["column"], weights=pieces["weight"], minlength=solved.reach.shape[1])
    proposals = sites.iloc[solved.site].copy()
    proposals["covered_workers"] = np.round(solved.reach @ column_weight, 2)
    city = np.isin(solved.result.selected, solved.result.city_level)
    proposals["level"] = np.where(city, "city", "district")
    ordered = ["id", "district", "level", "covered_workers", "footprint_m2", "source", "kind", "name"]
    if solved.hours is not None:
        proposals["hours"] = solved.hours
        ordered.append("hours")
    if solved.phase is not None:
        proposals["phase"] = solved.phase
        ordered.append("phase")
    proposals = proposals[[*ordered, "footprint", "geometry"]].sort_values(
        ["level", "covered_workers"], ascending=[True, False]
    )
    covered_column = np.asarray(solved.reach.sum(axis=0)).ravel() > 0
    demand = pieces.assign(covered=covered_column[pieces["column"].to_numpy()])
    proposals = gpd.GeoDataFrame(proposals.reset_index(drop=True), geometry="geometry", crs=sites.crs)
    return proposals, demand


def refusals_table(candidates: CandidateSet) -> pd.DataFrame:
    """Refusal counts per source and reason, for ``geoplan candidates --refusals``."""
    refused = candidates.refused
    return (
        refused.groupby(["source", "reason"]).size().rename("count").reset_index().sort_values("count", ascending=False)
    )
