"""Plan stations for a study area end to end: :func:`make_plan` is :func:`~geoplan.planning.prepare.prepare` + solve.

:func:`make_plan` returns a :class:`Plan` (the chosen sites, the demand marked covered or not, the solver's answer
and the figures); :mod:`geoplan.outputs.plan_files` writes it to files.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan.data.areas import StudyArea
from geoplan.inputs.candidates import CandidateSet, refusal_reasons
from geoplan.inputs.user_data import UserData
from geoplan.memory import release_memory
from geoplan.planning.capacity import CapacityInputs, served_workers, station_figures
from geoplan.planning.figures import coverage_figures
from geoplan.planning.parameters import PlanParameters
from geoplan.planning.prepare import PreparedModel, prepare
from geoplan.planning.solve import Solution, solve
from geoplan.planning.station_loads import served_figures
from geoplan.siting import SitingResult

__all__ = ["Plan", "make_plan", "plan_prepared", "refusals_table"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class Plan:
    """A finished plan.

    Attributes
    ----------
    prepared : PreparedModel
        What the plan was solved on.
    params : PlanParameters
        The parameters it was asked with.
    stations : int
        Station count actually planned.
    proposals : geopandas.GeoDataFrame
        Chosen sites: ``id``, ``district``, ``level`` (city|district), ``covered_workers``, ``footprint_m2``,
        ``source``, ``kind``, ``name``, [``hours``], [``phase``], ``footprint``, point geometry (area CRS).
    demand : geopandas.GeoDataFrame
        Demand pieces (split by shift with opening hours) with ``group``, ``weight``, ``district``, ``covered``.
        In a capacitated plan also ``served`` (workers served within capacity, :func:`~geoplan.planning.capacity.
        served_workers`).
    result : SitingResult
    timings_s : dict of str to float
        Seconds per stage.
    capacity : CapacityInputs or None
        In a capacitated plan, the size options, loads and time windows it was solved with; the proposals then also
        carry ``size_m2``, ``enlarged``, ``capacity`` (people at once), ``capacity_per_hour`` (person-minutes per
        hour), ``peak_load`` (person-minutes per hour in the station's busiest window), ``peak_window`` and
        ``utilisation`` (peak load / capacity).
    """

    prepared: PreparedModel
    params: PlanParameters
    stations: int
    proposals: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    result: SitingResult
    timings_s: dict[str, float]
    capacity: CapacityInputs | None = None

    @property
    def area(self) -> StudyArea:
        """The study area."""
        return self.prepared.area

    @property
    def candidates(self) -> CandidateSet:
        """The candidate sites and the refused spots."""
        return self.prepared.candidates

    @property
    def layer_rules(self) -> dict[str, str]:
        """How each group's demand layer was made."""
        return self.prepared.layer_rules

    def summary(self) -> dict:
        """Coverage figures, optimality and parameters, as plain JSON-ready values."""
        covered = np.zeros(self.prepared.model.matrix.shape[1], dtype=bool)
        covered[self.demand.loc[self.demand["covered"], "column"].to_numpy()] = True
        figures = coverage_figures(self.prepared, covered, self.proposals["district"].astype(str).tolist())
        capacity = self._capacity_figures(figures) if self.capacity is not None else None
        params = self.params.to_json()
        params["stations"] = self.stations
        params["cutoff_m"] = {g: self.params.cutoff_for(g) for g in sorted(self.demand["group"].unique())}
        area = self.area
        return {
            "area": {
                "name": area.spec.name,
                "title": area.spec.title,
                "title_zh": area.spec.title_zh,
                "source": area.spec.source,
                "crs": str(area.crs),
                "extent_km2": round(area.area_km2, 3),
                "districts": area.districts["district"].tolist(),
                "district_source": area.district_source,
                "unsupported_checks": list(area.notes),
            },
            "workers": figures["workers"],
            "by_group": figures["by_group"],
            "by_district": figures["by_district"],
            **({"capacity": capacity} if capacity is not None else {}),
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
            "user_data": self.prepared.user_data.summary(),
            "parameters": params,
            "timings_s": {k: round(v, 3) for k, v in self.timings_s.items()},
        }

    def _capacity_figures(self, figures: dict) -> dict:
        """Add served workers to ``figures`` (by district and group) and return the capacity block of the summary."""
        demand, inputs, proposals = self.demand, self.capacity, self.proposals
        figures.update(served_figures(demand, demand["served"].to_numpy(dtype=float), figures))
        visits = {group: {"per_shift": visit.per_shift, "minutes": visit.minutes, "why": visit.why}
                  for group, visit in inputs.visits.items()}  # fmt: skip
        workers = {key: figures["workers"][key] for key in ("total", "covered", "served", "served_share")}
        return {
            "people_per_m2": inputs.people_per_m2,
            "visits": visits,
            "units": "capacity and loads in person-minutes per hour (people at once x 60)",
            "windows": inputs.window_figures(),
            "workers": workers,
            "stations": {
                "capacity_people": int(proposals["capacity"].sum()),
                "enlarged": proposals.loc[proposals["enlarged"], "id"].tolist(),
                "max_utilisation": round(float(proposals["utilisation"].to_numpy().max(initial=0.0)), 4),
                "mean_utilisation": round(float(proposals["utilisation"].mean()), 4) if len(proposals) else 0.0,
            },
            "served_visit_minutes_per_day": round(float(self.result.objective), 2),
        }


def make_plan(
    area: StudyArea,
    params: PlanParameters | None = None,
    user_data: UserData | None = None,
    *,
    layers: Sequence[gpd.GeoDataFrame] = (),
    user_sites: gpd.GeoDataFrame | None = None,
    fixed_sites: gpd.GeoDataFrame | None = None,
) -> Plan:
    """Plan stations for a study area: prepare, then solve.

    Parameters
    ----------
    area : StudyArea
    params : PlanParameters, optional
    user_data : UserData, optional
        The planner's demand layers, candidate sites and existing stations.
    layers, user_sites, fixed_sites : optional
        The same as frames (from :func:`geoplan.inputs.demand.read_layer` and
        :func:`geoplan.inputs.candidates.read_sites`), when ``user_data`` is not given.

    Returns
    -------
    Plan

    Raises
    ------
    InfeasibleError
        Quotas above the station count, a district without a feasible site, more stations than sites...
    """
    params = params or PlanParameters()
    if user_data is None:
        user_data = UserData.from_frames(layers, user_sites, fixed_sites)
    return plan_prepared(prepare(area, params, user_data), params)


def plan_prepared(prepared: PreparedModel, params: PlanParameters) -> Plan:
    """Solve a prepared model as ``params`` ask and return the plan (the second half of :func:`make_plan`)."""
    started = time.perf_counter()
    stations = prepared.default_stations(params)
    log.debug("planning %d stations over %d candidate sites and %d demand points", stations,
             len(prepared.candidates.sites), len(prepared.demand))  # fmt: skip
    solution = solve(prepared, params, stations)
    release_memory()  # the solver's working copies: the files written next should not sit on top of them
    timings = dict(prepared.timings_s, siting=time.perf_counter() - started)
    proposals, demand = _proposals(prepared, solution)
    if solution.capacitated is not None:
        proposals, demand = _with_capacity(prepared, solution, proposals, demand)
    return Plan(prepared, params, solution.stations, proposals, demand, solution.result, timings, solution.capacity)


def _proposals(prepared: PreparedModel, solution: Solution) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    model, result = prepared.model, solution.result
    rows = result.selected
    sites = prepared.candidates.sites
    proposals = sites.iloc[model.row_site[rows]].copy()
    proposals["covered_workers"] = np.round(model.matrix[rows] @ model.weights, 2)
    proposals["level"] = np.where(np.isin(rows, result.city_level), "city", "district")
    ordered = ["id", "district", "level", "covered_workers", "footprint_m2", "source", "kind", "name"]
    if model.has_hours:
        proposals["hours"] = model.row_hours(rows)
        ordered.append("hours")
    if solution.phase is not None:
        proposals["phase"] = [solution.phase[int(row)] for row in rows]
        ordered.append("phase")
    proposals = proposals[[*ordered, "footprint", "geometry"]].sort_values(
        ["level", "covered_workers"], ascending=[True, False]
    )
    covered = model.covered_columns(rows)
    demand = model.pieces.assign(covered=covered[model.pieces["column"].to_numpy()])
    proposals = gpd.GeoDataFrame(proposals.reset_index(drop=True), geometry="geometry", crs=sites.crs)
    return proposals, demand


def _with_capacity(
    prepared: PreparedModel, solution: Solution, proposals: gpd.GeoDataFrame, demand: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Add each station's size, capacity and busiest window to the proposals, and served workers to the demand."""
    answer, inputs, model = solution.capacitated, solution.capacity, prepared.model
    rows = np.asarray(answer.selected, dtype=np.int64)
    sites = model.row_site[rows]
    station = station_figures(inputs.options.floor_m2[sites], np.asarray(answer.size, dtype=np.int64),
                              answer.capacity, answer.load, answer.open_share, inputs.windows)  # fmt: skip
    station.insert(0, "id", prepared.candidates.sites["id"].to_numpy()[sites])
    geometry = proposals.columns.get_loc("footprint")
    merged = proposals.merge(station, on="id", how="left", validate="one_to_one")
    ordered = [*proposals.columns[:geometry], *station.columns[1:], "footprint", "geometry"]
    proposals = gpd.GeoDataFrame(merged[ordered], geometry="geometry", crs=proposals.crs)
    served = served_workers(demand, inputs, np.asarray(answer.served, dtype=float))
    return proposals, demand.assign(served=served)


def refusals_table(candidates: CandidateSet, lang: str = "zh") -> pd.DataFrame:
    """Refusal counts per source and reason, most first, for ``geoplan candidates``.

    Parameters
    ----------
    candidates : CandidateSet
    lang : str
        Language of the ``reason`` column (``zh`` or ``en``).

    Returns
    -------
    pandas.DataFrame
        ``source``, ``reason_code``, ``reason`` (in ``lang``) and ``count``.
    """
    refused = candidates.refused.assign(reason=refusal_reasons(candidates.refused, lang))
    counts = refused.groupby(["source", "reason_code", "reason"]).size().rename("count").reset_index()
    return counts.sort_values("count", ascending=False, kind="stable")
