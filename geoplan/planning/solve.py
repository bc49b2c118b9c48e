"""Solve a prepared model as the parameters ask: a fixed count, phases, or the fewest stations for a coverage target.

With ``params.capacitated`` the plan is solved for station capacity (:func:`geoplan.siting.solve_capacitated`): the
load of each demand column in each time window and the size options of every site come from
:func:`geoplan.planning.capacity.capacity_inputs`.

One function for every caller: ``geoplan plan`` solves with no decisions; the review map proposes the same way and
re-plans with the planner's decisions (:class:`Decisions`: kept stations fixed, rejected sites excluded, stations
off the candidate set added as extra fixed rows, the current plan as a start and the scenario's own multipliers as
a warm start).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from geoplan.planning.capacity import CapacityInputs, station_capacity
from geoplan.planning.parameters import PlanParameters
from geoplan.planning.prepare import PreparedModel
from geoplan.siting import CapacitatedResult, Quota, SitingResult, solve_capacitated, solve_mclp
from geoplan.siting.phases import solve_phased, stations_for_coverage

__all__ = ["Decisions", "Solution", "phase1_stations", "solve"]

_NO_PAIRS = np.zeros((0, 2), dtype=np.int64)
_NO_ROWS = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True, eq=False)
class Decisions:
    """A planner's decisions, as rows of a prepared model's siting model.

    Attributes
    ----------
    fixed_rows : numpy.ndarray
        Model rows that stay (accepted and existing stations on candidate sites).
    phase2_rows : numpy.ndarray
        Those of ``fixed_rows`` kept for phase 2 of a phased plan (the others count for phase 1).
    city_rows : numpy.ndarray
        Those of ``fixed_rows`` designated city-level.
    excluded_sites : numpy.ndarray
        Candidate sites never to choose again (rejected, or kept through an extra row).
    start_rows : numpy.ndarray
        The current proposals, to start from.
    extra : scipy.sparse.csr_array
        Extra station rows x columns: kept stations that are no model row (existing stations anywhere, kept
        stations with opening hours outside the options).
    extra_must : scipy.sparse.csr_array or None
        The extra rows of the maximum-gap matrix.
    extra_district : numpy.ndarray
        District of each extra row.
    extra_hours : list of str or None
        Opening hours of each extra row (labels of the 24-hour quota).
    extra_city, extra_phase2 : numpy.ndarray
        Which extra rows are city-level, and which are kept for phase 2.
    extra_site : numpy.ndarray or None
        Candidate site of each extra row, -1 off the candidate set (None: all off it); a capacitated solve gives an
        extra row on a site that site's capacity (:func:`geoplan.planning.capacity.extra_capacity`).
    extra_people : numpy.ndarray or None
        People at once each extra row's station declares, NaN where none (None: none).
    row_people : dict of int to int
        People at once declared by kept stations that are model rows, by model row. A capacitated solve gives such
        a row (and an extra row with ``extra_people``) exactly that capacity, in one size.
    conflicts : numpy.ndarray
        (k, 2) pairs (model row, extra row index) closer than the minimum spacing.
    """

    fixed_rows: np.ndarray = field(default_factory=lambda: _NO_ROWS)
    phase2_rows: np.ndarray = field(default_factory=lambda: _NO_ROWS)
    city_rows: np.ndarray = field(default_factory=lambda: _NO_ROWS)
    excluded_sites: np.ndarray = field(default_factory=lambda: _NO_ROWS)
    start_rows: np.ndarray | None = None
    extra: sp.csr_array | None = None
    extra_must: sp.csr_array | None = None
    extra_district: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    extra_hours: list[str | None] | None = None
    extra_city: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    extra_phase2: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    extra_site: np.ndarray | None = None
    extra_people: np.ndarray | None = None
    row_people: Mapping[int, int] = field(default_factory=dict)
    conflicts: np.ndarray = field(default_factory=lambda: _NO_PAIRS)

    @property
    def n_extra(self) -> int:
        """Number of extra rows."""
        return 0 if self.extra is None else int(self.extra.shape[0])


@dataclass(frozen=True, eq=False)
class Solution:
    """A solved plan, over the rows of the matrix it was solved on (the model's rows, then any extra rows).

    Attributes
    ----------
    result : SitingResult
    stations : int
        Stations planned (the count found, with a coverage target).
    n_model_rows : int
        Rows of the siting model; rows from here on are the decisions' extra rows.
    phase : dict of int to int or None
        Phase (1 or 2) of each selected row, in a phased plan.
    capacitated : geoplan.siting.CapacitatedResult or None
        The capacitated solve's own answer (sizes, capacities, served and station loads), in a capacitated plan;
        ``result`` then carries its selection, objective and bound.
    capacity : CapacityInputs or None
        What the capacitated solve was given (size options, load, time windows), in a capacitated plan.
    """

    result: SitingResult
    stations: int
    n_model_rows: int
    phase: dict[int, int] | None = None
    capacitated: CapacitatedResult | None = None
    capacity: CapacityInputs | None = None

    @property
    def model_rows(self) -> np.ndarray:
        """The selected rows that are rows of the siting model (ascending)."""
        return self.result.selected[self.result.selected < self.n_model_rows]


def phase1_stations(prepared: PreparedModel, params: PlanParameters) -> int:
    """Stations of phase 1 of a phased plan: the city-level ones plus every planned district's minimum."""
    districts = prepared.model.rules.get("district_min") or {}
    return max(1, params.city_level_min + params.district_min * len(districts))


def solve(
    prepared: PreparedModel,
    params: PlanParameters,
    stations: int,
    decisions: Decisions | None = None,
    *,
    multipliers: np.ndarray | None = None,
    time_limit_s: float | None = None,
) -> Solution:
    """Solve the siting model of a prepared plan as ``params`` ask.

    Parameters
    ----------
    prepared : PreparedModel
    params : PlanParameters
        The caller's parameters (their solve part: cross coverage, 24-hour quota, phases, coverage target, gap).
    stations : int
        Stations to plan (the maximum with a coverage target), kept ones included.
    decisions : Decisions, optional
        A planner's decisions to plan around.
    multipliers : numpy.ndarray, optional
        Lagrangian multipliers of an earlier solve of the same model (one per column), to warm-start the bound.
    time_limit_s : float, optional
        Seconds for the solve (default: ``params.time_limit_s``).

    Returns
    -------
    Solution

    Raises
    ------
    InfeasibleError
        Quotas above the station count, more kept stations than the count, a district without a site, ...
    """
    model = prepared.model
    decisions = decisions or Decisions()
    matrix, must, rules = _with_decisions(model, decisions)
    quotas = list(rules.pop("quotas", ()))
    if params.max_24h is not None:
        quotas.append(Quota("hours", np.array(_row_hours(model, decisions), dtype=object), {}, {"24h": params.max_24h}))
    if params.capacitated:
        return _solve_capacitated(prepared, params, stations, decisions, matrix, dict(rules, quotas=quotas),
                                  time_limit_s)  # fmt: skip
    if multipliers is not None and len(multipliers) != matrix.shape[1]:
        multipliers = None  # made on another model: start the bound from scratch
    solver_args = dict(
        rules, quotas=quotas, backup_weight=params.backup_weight, must_cover=must,
        time_limit=float(time_limit_s or params.time_limit_s), target_gap=params.target_gap,
        start=decisions.start_rows, multipliers=multipliers,
    )  # fmt: skip
    n_rows = model.matrix.shape[0]
    if params.target_coverage is not None:
        found = stations_for_coverage(solve_mclp, matrix, model.weights, params.target_coverage, stations,
                                      **solver_args)  # fmt: skip
        return Solution(found.plan, found.stations, n_rows)
    if params.phases:
        first, phase2 = _phase_split(prepared, params, stations, decisions, solver_args)
        solver_args.pop("start")
        phased = solve_phased(solve_mclp, matrix, model.weights, first, stations, phase2_fixed=phase2, **solver_args)
        return Solution(phased.phase2, stations, n_rows, phased.phase_of())
    return Solution(solve_mclp(matrix, model.weights, stations, **solver_args), stations, n_rows)


def _row_hours(model, decisions: Decisions) -> list[str | None]:
    """Return the opening hours of every row of the model and of the extra rows (None without hours)."""
    labels = model.row_hours(np.arange(model.matrix.shape[0])) or [None] * model.matrix.shape[0]
    return [*labels, *(decisions.extra_hours or [None] * decisions.n_extra)]


def _phase_split(prepared: PreparedModel, params: PlanParameters, stations: int, decisions: Decisions,
                 solver_args: dict) -> tuple[int, np.ndarray]:  # fmt: skip
    """Stations of phase 1 and the rows kept for phase 2; moves those rows out of ``solver_args``' fixed rows."""
    n_rows = prepared.model.matrix.shape[0]
    extra_rows = n_rows + np.arange(decisions.n_extra)
    phase2 = np.union1d(decisions.phase2_rows, extra_rows[decisions.extra_phase2])
    solver_args["fixed"] = np.setdiff1d(solver_args["fixed"], phase2)
    # City-level stations are phase-1 stations: a kept phase-2 site keeps its flag but does not count here.
    solver_args["city_level_fixed"] = np.setdiff1d(solver_args["city_level_fixed"], phase2)
    first = min(max(phase1_stations(prepared, params), len(solver_args["fixed"])), stations)
    return first, phase2


def _solve_capacitated(
    prepared: PreparedModel,
    params: PlanParameters,
    stations: int,
    decisions: Decisions,
    matrix: sp.csr_array,
    rules: dict,
    time_limit_s: float | None,
) -> Solution:
    """Solve for station capacity: the model's rows (and any extra rows) with their sizes.

    With opening hours a row is a (site, option) pair: it takes its site's sizes, and its capacity counts only in
    the windows its option is open (:meth:`~geoplan.planning.capacity.CapacityInputs.open_share`). With phases,
    phase 1 and then phase 2 are solved as :func:`geoplan.siting.phases.solve_phased` does for plain coverage.
    """
    model = prepared.model
    stations_of = station_capacity(prepared, params, np.arange(model.matrix.shape[0]),
                                   row_people=decisions.row_people, extra_site=decisions.extra_site,
                                   extra_people=decisions.extra_people, extra_hours=decisions.extra_hours,
                                   n_extra=decisions.n_extra)  # fmt: skip
    inputs, capacity, open_share = stations_of.inputs, stations_of.options.per_hour, stations_of.open_share
    solver_args = dict(rules, time_limit=float(time_limit_s or params.time_limit_s), target_gap=params.target_gap)

    def solver(coverage, load, p, **arguments):
        return solve_capacitated(coverage, load, capacity, p, window_hours=inputs.window_hours,
                                 open_share=open_share, **arguments)  # fmt: skip

    phase = None
    if params.phases:
        first, phase2 = _phase_split(prepared, params, stations, decisions, solver_args)
        phased = solve_phased(solver, matrix, inputs.load, first, stations, phase2_fixed=phase2, **solver_args)
        answer, phase = phased.phase2, phased.phase_of()
    else:
        answer = solver(matrix, inputs.load, stations, **solver_args)
    result = SitingResult(
        selected=answer.selected, objective=answer.objective, bound=answer.bound, gap=answer.gap,
        status=answer.status, method=answer.method, seconds=answer.seconds, city_level=answer.city_level,
        details={"served_visit_minutes": float(answer.objective)},
    )  # fmt: skip
    return Solution(result, stations, model.matrix.shape[0], phase, capacitated=answer, capacity=inputs)


def _with_decisions(model, decisions: Decisions) -> tuple[sp.csr_array, sp.csr_array | None, dict]:
    """Append the decisions' extra rows to the model's matrices, and fix or exclude rows in its rules."""
    rules = dict(model.rules)
    n_rows = model.matrix.shape[0]
    k = decisions.n_extra
    matrix, must = model.matrix, model.must
    extra_rows = n_rows + np.arange(k)
    if k:
        matrix = sp.csr_array(sp.vstack([matrix, decisions.extra], format="csr"))
        if must is not None:
            must = sp.csr_array(sp.vstack([must, decisions.extra_must], format="csr"))
        if rules.get("district") is not None:
            rules["district"] = np.concatenate([np.asarray(rules["district"], dtype=object), decisions.extra_district])
        rules["quotas"] = [
            Quota(q.name, np.concatenate([np.asarray(q.labels, dtype=object), np.full(k, None, dtype=object)]),
                  q.minimum, q.maximum)
            for q in rules.get("quotas", ())
        ]  # fmt: skip
    pairs = np.asarray(decisions.conflicts, dtype=np.int64).reshape(-1, 2)
    if len(pairs):
        pairs = np.column_stack([pairs[:, 0], n_rows + pairs[:, 1]])
    rules["conflicts"] = np.vstack([np.asarray(rules.get("conflicts", _NO_PAIRS)).reshape(-1, 2), pairs])
    fixed = np.union1d(np.union1d(np.asarray(rules.get("fixed", ()), dtype=np.int64), decisions.fixed_rows),
                       extra_rows)  # fmt: skip
    excluded = np.union1d(np.asarray(rules.get("excluded", ()), dtype=np.int64),
                          model.rows_of(decisions.excluded_sites))  # fmt: skip
    # A planner's acceptance overrides the plan's excluded ids.
    rules["fixed"], rules["excluded"] = fixed, np.setdiff1d(excluded, fixed)
    rules["city_level_fixed"] = np.union1d(decisions.city_rows, extra_rows[decisions.extra_city])
    return matrix, must, rules
