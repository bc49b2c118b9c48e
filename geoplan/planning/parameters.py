"""What a plan can be asked for: :class:`PlanParameters`, their checks, their JSON form, and the default count.

Parameters fall in two kinds: those that shape the prepared model (demand, candidates, network coverage, site rules,
opening-hours options) and those that only steer a solve (station count, time limit, gap, phases, coverage target,
cross coverage, the 24-hour quota). Scenarios that differ only in the second kind share one prepared model.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from numbers import Real

from geoplan import i18n
from geoplan.data.areas import StudyArea
from geoplan.inputs.candidates import CandidateRules
from geoplan.inputs.demand import WORKER_GROUPS
from geoplan.planning.capacity import DEFAULT_PEOPLE_PER_M2
from geoplan.siting.hours import parse_hours

__all__ = ["CITY_TARGET_STATIONS", "SOLVE_FIELDS", "STATIONS_PER_KM2", "PlanParameters", "default_stations"]

#: Nanchang's second-phase target: at least 35 stations citywide. Also the cap of the scaled default.
CITY_TARGET_STATIONS = 35

#: Scaled default: one station per km² of the network's extent (a 1 km walking circle covers ~1 km² of streets
#: once detours are counted, and the national 15-minute circle asks for overlapping coverage).
STATIONS_PER_KM2 = 1.0

#: Parameters that only steer a solve; every other field shapes the prepared model.
SOLVE_FIELDS = frozenset(
    {"stations", "time_limit_s", "target_gap", "backup_weight", "max_24h", "phases", "target_coverage",
     "capacitated", "people_per_m2", "visit_minutes"}
)  # fmt: skip


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
        Relative optimality gap at which the optimiser may stop early (0, the default: only at a proven optimum
        or at the time limit; the certified gap is reported either way).
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
    shift_shares : mapping of str to mapping of str to float
        Per worker group, its shift windows and the share of its workers on each (e.g. from the order times of an
        observed layer, ``geoplan plan --shifts-from LAYER.json``), replacing the group's default shifts; shares
        are normalised to add up to 1. Used when opening hours are modelled.
    phases : bool
        Plan in two phases: phase 1 the quota stations (city-level + per-district minimum), phase 2 the rest.
    target_coverage : float or None
        Instead of a fixed count, the fewest stations (up to ``stations``) covering this share of workers.
    capacitated : bool
        Plan for station capacity: a worker's visits count only up to what the stations within reach seat in each
        time window (:mod:`geoplan.planning.capacity`). Not with opening hours, phases, a coverage target, cross
        coverage or the maximum-gap rule.
    people_per_m2 : float
        People a station seats at once per m² of floor area (capacitated plans).
    visit_minutes : mapping of str to float
        Minutes per station visit per worker group, replacing the defaults (capacitated plans).
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
    target_gap: float = 0.0
    backup_weight: float = 0.0
    max_gap_m: float | None = None
    hours_options: tuple[str, ...] = ()
    max_24h: int | None = None
    min_overlap_min: int = 60
    shift_shares: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    phases: bool = False
    target_coverage: float | None = None
    capacitated: bool = False
    people_per_m2: float = DEFAULT_PEOPLE_PER_M2
    visit_minutes: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.stations is not None and self.stations < 1:
            raise i18n.input_error("stations_below_one", stations=self.stations)
        if self.district_min < 0 or self.city_level_min < 0:
            raise i18n.input_error("minimums_negative")
        if not (math.isfinite(self.min_spacing_m) and self.min_spacing_m >= 0):
            raise i18n.input_error("spacing_negative", value=self.min_spacing_m)
        for group, cutoff in self.cutoff_m.items():
            if not (isinstance(cutoff, int | float) and math.isfinite(cutoff) and cutoff > 0):
                raise i18n.input_error("cutoff_not_positive", group=group, group_zh=i18n.group_name(group, "zh"),
                                        cutoff=cutoff)  # fmt: skip
        if not (math.isfinite(self.time_limit_s) and self.time_limit_s > 0) or not 0 <= self.target_gap < 1:
            raise i18n.input_error("time_limit_or_gap")
        if not (math.isfinite(self.backup_weight) and self.backup_weight >= 0):
            raise i18n.input_error("backup_weight_negative", value=self.backup_weight)
        if self.max_gap_m is not None and not (math.isfinite(self.max_gap_m) and self.max_gap_m > 0):
            raise i18n.input_error("max_gap_not_positive", value=self.max_gap_m)
        if self.target_coverage is not None and not 0 < self.target_coverage <= 1:
            raise i18n.input_error("coverage_target_range", value=self.target_coverage)
        self._check_time_of_day()
        self._check_capacity()

    def _check_capacity(self) -> None:
        if not (isinstance(self.people_per_m2, int | float) and math.isfinite(self.people_per_m2)
                and self.people_per_m2 > 0):  # fmt: skip
            raise i18n.input_error("people_per_m2_not_positive", value=self.people_per_m2)
        for group, minutes in self.visit_minutes.items():
            if not (isinstance(minutes, int | float) and math.isfinite(minutes) and 0 < minutes <= 24 * 60):
                raise i18n.input_error("visit_minutes_bad", group=group, group_zh=i18n.group_name(group, "zh"),
                                       value=minutes)  # fmt: skip
        if not self.capacitated:
            return
        # Opening hours and phases are modelled with capacity; these three are not (yet).
        others = {"--target-coverage": self.target_coverage is not None, "--backup-weight": self.backup_weight > 0,
                  "--max-gap": self.max_gap_m is not None}  # fmt: skip
        used = [option for option, on in others.items() if on]
        if used:
            raise i18n.input_error("capacitated_conflict", options=", ".join(used), options_zh="、".join(used))

    def _check_time_of_day(self) -> None:
        if self.max_24h is not None and self.max_24h < 0:
            raise i18n.input_error("max_24h_negative", value=self.max_24h)
        if self.min_overlap_min < 1:
            raise i18n.input_error("min_overlap_too_small", value=self.min_overlap_min)
        for group, shares in self.shift_shares.items():
            _check_shift_shares(group, shares)

    def cutoff_for(self, group: str) -> float:
        """Service cutoff (m) of a worker group: the parameter, else the group's default, else walking 1 km."""
        if group in self.cutoff_m:
            return float(self.cutoff_m[group])
        known = WORKER_GROUPS.get(group)
        return known.cutoff_m if known else 1000.0

    def for_preparation(self) -> PlanParameters:
        """Return these parameters with every solve-only field (:data:`SOLVE_FIELDS`) at its default.

        Two plans whose parameters have the same preparation part share one prepared model.
        """
        defaults = PlanParameters()
        return dataclasses.replace(self, **{name: getattr(defaults, name) for name in SOLVE_FIELDS})

    def to_json(self) -> dict:
        """Return the parameters as plain JSON values (what a scenario stores); :meth:`from_json` reads them."""
        data = dataclasses.asdict(self)
        data["cutoff_m"] = {str(k): float(v) for k, v in sorted(self.cutoff_m.items())}
        data["headcounts"] = {str(k): float(v) for k, v in sorted(self.headcounts.items())}
        data["excluded_ids"] = list(self.excluded_ids)
        data["hours_options"] = list(self.hours_options)
        data["visit_minutes"] = {str(k): float(v) for k, v in sorted(self.visit_minutes.items())}
        data["shift_shares"] = {str(group): {str(w): float(v) for w, v in sorted(shares.items())}
                                for group, shares in sorted(self.shift_shares.items())}  # fmt: skip
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, object] | None) -> PlanParameters:
        """Read parameters from JSON values, checking every name, type and range.

        Parameters
        ----------
        data : mapping or None
            Field names of :class:`PlanParameters` (``candidate_rules`` a mapping of
            :class:`~geoplan.inputs.candidates.CandidateRules` fields); missing fields take their defaults.

        Returns
        -------
        PlanParameters

        Raises
        ------
        InputError
            Unknown names (all of them are named), values of the wrong type or out of range.
        """
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise i18n.input_error("params_not_object", type=type(data).__name__)
        known = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(str(key) for key in data if key not in known)
        if unknown:
            raise i18n.input_error("unknown_params", names=", ".join(unknown), known=", ".join(known))
        values = {name: _FIELD_READERS[name](name, value) for name, value in data.items()}
        return cls(**values)


def _check_shift_shares(group: str, shares: Mapping[str, float]) -> None:
    values = list(shares.values())
    if not values or not all(isinstance(v, int | float) and math.isfinite(v) and v >= 0 for v in values) or (
        sum(values) <= 0
    ):
        raise i18n.input_error("shift_shares_bad", group=group, shares=dict(shares))
    for window in shares:
        parse_hours(window)


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


# --- reading JSON values ---------------------------------------------------------------------------------------------


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise i18n.input_error("param_not_number", name=name, value=value)
    return float(value)


def _whole(name: str, value: object) -> int:
    number = _number(name, value)
    if number != int(number):
        raise i18n.input_error("param_not_whole", name=name, value=value)
    return int(number)


def _optional(read):
    return lambda name, value: None if value is None else read(name, value)


def _flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise i18n.input_error("param_not_boolean", name=name, value=value)
    return value


def _texts(name: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise i18n.input_error("param_not_text_list", name=name, value=value)
    return tuple(v.strip() for v in value if v.strip())


def _per_group(name: str, value: object) -> dict[str, float]:
    if not isinstance(value, Mapping):
        raise i18n.input_error("param_not_group_numbers", name=name, value=value)
    return {str(group): _number(f"{name}.{group}", number) for group, number in value.items()}


def _shift_shares(name: str, value: object) -> dict[str, dict[str, float]]:
    if not isinstance(value, Mapping) or not all(isinstance(v, Mapping) for v in value.values()):
        raise i18n.input_error("param_not_group_numbers", name=name, value=value)
    return {str(group): _per_group(f"{name}.{group}", shares) for group, shares in value.items()}


def _rules(name: str, value: object) -> CandidateRules:
    if isinstance(value, CandidateRules):
        return value
    if not isinstance(value, Mapping):
        raise i18n.input_error("param_not_rules", name=name, value=value)
    known = {f.name for f in dataclasses.fields(CandidateRules)}
    unknown = sorted(str(key) for key in value if key not in known)
    if unknown:
        raise i18n.input_error("unknown_candidate_rules", rules=", ".join(unknown), known=", ".join(sorted(known)))
    return CandidateRules(**{key: _number(f"{name}.{key}", number) for key, number in value.items()})


_FIELD_READERS = {
    "stations": _optional(_whole),
    "district_min": _whole,
    "city_level_min": _whole,
    "min_spacing_m": _number,
    "cutoff_m": _per_group,
    "headcounts": _per_group,
    "candidate_rules": _rules,
    "excluded_ids": _texts,
    "time_limit_s": _number,
    "target_gap": _number,
    "backup_weight": _number,
    "max_gap_m": _optional(_number),
    "hours_options": _texts,
    "max_24h": _optional(_whole),
    "min_overlap_min": _whole,
    "shift_shares": _shift_shares,
    "phases": _flag,
    "target_coverage": _optional(_number),
    "capacitated": _flag,
    "people_per_m2": _number,
    "visit_minutes": _per_group,
}
