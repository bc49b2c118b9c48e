"""The review map's computations on a prepared model: propose, evaluate, place, re-plan around decisions.

A :class:`Workspace` is a prepared model seen with one scenario's parameters. It holds nothing that changes: every
request passes in what it needs (the scenario's sites, its warm-start multipliers) and gets its answer back, so two
planners working on scenarios of the same area at the same time never see each other's state. Sites travel as
plain dicts (see :mod:`geoplan.planning.sites`); coordinates are WGS-84 at the edges.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from numbers import Real
from typing import NamedTuple

import numpy as np

from geoplan import i18n
from geoplan.data.areas import StudyArea
from geoplan.errors import InfeasibleError
from geoplan.inputs.candidates import CandidateSet
from geoplan.planning import placement
from geoplan.planning.figures import coverage_figures
from geoplan.planning.parameters import PlanParameters
from geoplan.planning.prepare import PreparedModel
from geoplan.planning.sites import Reading, json_scalar, read_sites
from geoplan.planning.solve import Decisions, Solution, solve
from geoplan.planning.station_loads import with_capacity
from geoplan.siting import SitingResult

__all__ = ["Replanned", "Workspace", "result_dict"]


class Replanned(NamedTuple):
    """The answer of :meth:`Workspace.propose` and :meth:`Workspace.reoptimise`.

    Attributes
    ----------
    sites : list of dict
        The kept site dicts as sent (copies, same order), then the new proposals.
    result : dict
        ``objective``, ``bound``, ``gap``, ``status``, ``method``, ``seconds``.
    multipliers : numpy.ndarray or None
        Lagrangian multipliers reached, to store with the scenario and pass to its next re-optimisation.
    """

    sites: list[dict]
    result: dict
    multipliers: np.ndarray | None


class Workspace:
    """A prepared model seen with one scenario's parameters.

    Parameters
    ----------
    prepared : PreparedModel
        Shared, never changed.
    params : PlanParameters, optional
        The scenario's parameters; their preparation part must be the prepared model's.

    Raises
    ------
    InputError
        The parameters ask for another preparation (other cutoffs, candidate rules, opening hours...).
    """

    def __init__(self, prepared: PreparedModel, params: PlanParameters | None = None):
        params = params or prepared.params
        if params.for_preparation().to_json() != prepared.params.to_json():
            raise i18n.input_error("params_need_other_model")
        self.prepared = prepared
        self.params = params

    def __repr__(self) -> str:
        return f"Workspace({self.prepared!r}, stations={self.stations})"

    @property
    def area(self) -> StudyArea:
        """The study area."""
        return self.prepared.area

    @property
    def candidates(self) -> CandidateSet:
        """Candidate sites and refused spots."""
        return self.prepared.candidates

    @property
    def stations(self) -> int:
        """Default station count (the parameters' count, else the area's scaled default)."""
        return self.prepared.default_stations(self.params)

    def propose(self, stations: int | None = None) -> Replanned:
        """Choose the initial plan, exactly as :func:`geoplan.planning.plan.make_plan` would.

        Parameters
        ----------
        stations : int, optional
            Station count; defaults to :attr:`stations`.

        Returns
        -------
        Replanned
            Site dicts with status ``"proposed"``, plus ``district`` and ``covered_workers`` (workers within reach
            of the station alone), ``hours`` and ``phase`` when modelled; city-level stations first, then by
            workers covered.

        Raises
        ------
        InfeasibleError
            Quotas above the station count, more stations than candidate sites, ...
        """
        solution = solve(self.prepared, self.params, self._station_count(stations))
        rows = solution.model_rows
        city = set(np.intersect1d(solution.result.city_level, rows).tolist())
        return Replanned(self._proposal_dicts(rows, city, solution), result_dict(solution.result),
                         solution.result.multipliers)  # fmt: skip

    def evaluate(self, sites: Sequence[Mapping]) -> dict:
        """Compute the coverage of a set of stations (proposed, accepted and existing; rejected sites are ignored).

        Parameters
        ----------
        sites : sequence of dict
            Site dicts.

        Returns
        -------
        dict
            As :func:`geoplan.planning.figures.coverage_figures`: ``workers``, ``by_district``, ``by_group``,
            ``stations``, rounded as in ``coverage.json``; with ``params.capacitated`` also workers served within
            capacity and each station's capacity and busiest-window load
            (:func:`geoplan.planning.station_loads.with_capacity`).

        Raises
        ------
        InputError
            A malformed site, an unknown candidate id, an existing station outside the area.
        """
        reading = read_sites(self.prepared, sites)
        figures = coverage_figures(self.prepared, self._covered(reading), reading.station_districts)
        if self.params.capacitated:
            figures = with_capacity(self.prepared, self.params, sites, reading, figures)
        return figures

    def covered_columns(self, sites: Sequence[Mapping]) -> np.ndarray:
        """Boolean mask of the siting model's columns the stations among ``sites`` cover."""
        return self._covered(read_sites(self.prepared, sites))

    def place(self, lon: float, lat: float, max_move_m: float = 150.0) -> dict:
        """Find the candidate spot nearest to where a planner dragged a station (see :func:`placement.place`)."""
        return placement.place(self.prepared, lon, lat, max_move_m)

    def reoptimise(
        self,
        sites: Sequence[Mapping],
        stations: int | None = None,
        time_limit: float = 5.0,
        multipliers: np.ndarray | None = None,
    ) -> Replanned:
        """Re-plan around a planner's decisions.

        Accepted and existing stations stay (existing stations off the candidate set count as fixed coverage),
        rejected sites are never proposed again, and the plan is filled up to ``stations`` with new proposals,
        starting from the current ones. City-level flags, phases and opening hours of kept sites are kept; new
        proposals are designated city-level as far as ``params.city_level_min`` still asks for more.

        Parameters
        ----------
        sites : sequence of dict
            The current site dicts.
        stations : int, optional
            Total station count, kept ones included; defaults to :attr:`stations`.
        time_limit : float
            Seconds for the optimiser.
        multipliers : numpy.ndarray, optional
            The scenario's multipliers from its last solve (any multipliers give a valid bound; good ones a
            tight bound sooner).

        Returns
        -------
        Replanned
            ``result["objective"]`` includes the workers existing stations cover.

        Raises
        ------
        InfeasibleError
            More kept stations than ``stations``, quotas that cannot be met, ...
        InputError
            Malformed sites, a bad station count or time limit.
        """
        count = self._station_count(stations)
        if isinstance(time_limit, bool) or not isinstance(time_limit, Real) or not 0 < time_limit < math.inf:
            raise i18n.input_error("time_limit_not_positive", value=time_limit)
        reading = read_sites(self.prepared, sites)
        elsewhere = int(reading.extra_kept.sum())
        kept = len(reading.fixed_rows) + elsewhere
        if kept > count:
            raise i18n.coded_error(InfeasibleError, "kept_above_count", kept=kept, on_sites=len(reading.fixed_rows),
                                   elsewhere=elsewhere, count=count)  # fmt: skip
        solution = solve(self.prepared, self.params, count, self._decisions(reading), multipliers=multipliers,
                         time_limit_s=float(time_limit))  # fmt: skip
        new = np.setdiff1d(solution.model_rows, reading.fixed_rows)
        city = self._new_city_level(solution.result, new, reading)
        sites_out = reading.kept + self._proposal_dicts(new, city, solution)
        return Replanned(sites_out, result_dict(solution.result), solution.result.multipliers)

    # --- helpers ---------------------------------------------------------------------------------------------------

    def _covered(self, reading: Reading) -> np.ndarray:
        return self.prepared.model.covered_columns(reading.rows, reading.extra)

    def _decisions(self, reading: Reading) -> Decisions:
        """Turn a reading into decisions: kept rows fixed, rejected sites excluded, other kept stations extra."""
        keep = reading.extra_kept
        extra_sites = reading.extra_site[keep]
        return Decisions(
            fixed_rows=reading.fixed_rows,
            phase2_rows=reading.phase2_rows,
            city_rows=reading.city_rows,
            excluded_sites=np.union1d(reading.rejected_sites, extra_sites[extra_sites >= 0]),
            start_rows=reading.proposed_rows,
            extra=reading.extra[np.flatnonzero(keep)],
            extra_must=None if reading.extra_must is None else reading.extra_must[np.flatnonzero(keep)],
            extra_district=reading.extra_district[keep],
            extra_hours=[hours for hours, kept in zip(reading.extra_hours, keep, strict=True) if kept],
            extra_city=reading.extra_city[keep],
            extra_phase2=reading.extra_phase2[keep],
            extra_site=extra_sites,
            extra_people=reading.extra_people[keep],
            row_people=reading.row_people,
            conflicts=self._conflicts_with(reading.extra_xy[keep]),
        )

    def _conflicts_with(self, xy: np.ndarray) -> np.ndarray:
        """(model row, extra row) pairs closer than the minimum spacing."""
        spacing = self.params.min_spacing_m
        tree = self.prepared.index.site_tree
        if not len(xy) or spacing <= 0 or tree is None:
            return np.zeros((0, 2), dtype=np.int64)
        model = self.prepared.model
        near = tree.query_ball_point(np.asarray(xy), spacing * (1 - 1e-12))
        pairs = [(int(row), j) for j, sites in enumerate(near) for row in model.rows_of(np.asarray(sites))]
        return np.asarray(pairs, dtype=np.int64).reshape(-1, 2)

    def _new_city_level(self, result: SitingResult, new: np.ndarray, reading: Reading) -> set[int]:
        """Pick the new proposals to designate city-level: the solver's choice, topped up if kept flags fall short."""
        wanted = self.params.city_level_min
        if not wanted or not len(new):
            return set()
        city = set(np.intersect1d(result.city_level, new).tolist())
        short = wanted - len(reading.city_rows) - int(reading.extra_city.sum()) - len(city)
        value = self._row_value(new)
        for row in new[np.argsort(-value, kind="stable")].tolist():
            if short <= 0:
                break
            if row not in city:
                city.add(row)
                short -= 1
        return city

    def _row_value(self, rows: np.ndarray) -> np.ndarray:
        """Workers each row covers alone."""
        model = self.prepared.model
        return np.asarray(model.matrix[np.asarray(rows, dtype=np.int64)] @ model.weights, dtype=float)

    def _proposal_dicts(self, rows: np.ndarray, city: set[int], solution: Solution) -> list[dict]:
        rows = np.asarray(rows, dtype=np.int64)
        model, index = self.prepared.model, self.prepared.index
        value = dict(zip(rows.tolist(), self._row_value(rows).tolist(), strict=True))
        ordered = sorted(rows.tolist(), key=lambda row: (row not in city, -value[row]))
        names = self.prepared.candidates.sites["name"].to_numpy()
        hours = dict(zip(ordered, model.row_hours(np.asarray(ordered)) or [None] * len(ordered), strict=True))
        out = []
        for row in ordered:
            site = int(model.row_site[row])
            entry = {
                "status": "proposed",
                "candidate_id": str(index.ids[site]),
                "lon": float(index.lonlat[site, 0]),
                "lat": float(index.lonlat[site, 1]),
                "city_level": row in city,
                "name": json_scalar(names[site]),
                "district": str(index.district[site]),
                "covered_workers": round(value[row], 2),
            }
            if model.has_hours:
                entry["hours"] = hours[row]
            if solution.phase is not None:
                entry["phase"] = int(solution.phase.get(row, 2))
            out.append(entry)
        return out

    def _station_count(self, stations: object) -> int:
        if stations is None:
            return self.stations
        if isinstance(stations, bool) or not isinstance(stations, Real) or not math.isfinite(stations):
            raise i18n.input_error("station_count_not_whole", value=stations)
        if stations != int(stations) or stations < 1:
            raise i18n.input_error("station_count_not_whole", value=stations)
        return int(stations)


def result_dict(result: SitingResult) -> dict:
    """Return the solver's answer as the review map stores and shows it."""
    return {
        "objective": round(float(result.objective), 4),
        "bound": round(float(result.bound), 4),
        "gap": float(result.gap),
        "status": str(result.status),
        "method": str(result.method),
        "seconds": round(float(result.seconds), 3),
    }
