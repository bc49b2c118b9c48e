"""Siting inputs and results: the constraints every model shares, their validation, and the result object.

This package works on matrices and plain arrays only; it never imports geopandas. Turning geodata into matrices
is the job of :mod:`geoplan.coverage` and :mod:`geoplan.inputs`, and of :mod:`geoplan.planning`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from geoplan import i18n
from geoplan.errors import InfeasibleError


@dataclass(frozen=True)
class Quota:
    """Minimum / maximum numbers of chosen sites per label of one labelling of the candidates.

    Attributes
    ----------
    name : str
        What the labels are ("district", "hours", ...), used in messages.
    labels : numpy.ndarray
        One label per candidate.
    minimum, maximum : mapping of label to int
        Bounds on the number of chosen sites carrying each label.
    """

    name: str
    labels: np.ndarray
    minimum: Mapping[object, int] = field(default_factory=dict)
    maximum: Mapping[object, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Constraints:
    """Constraints on a choice of ``p`` sites among ``n`` candidates.

    Attributes
    ----------
    p : int
        Total number of stations, fixed ones included.
    district : numpy.ndarray or None
        District label of each candidate (any hashable values), or None for no district rules.
    district_min, district_max : mapping, optional
        Minimum / maximum stations per district label. ``district_min`` may also be a single int applied to every
        district present among the candidates' labels.
    conflicts : numpy.ndarray
        (k, 2) candidate index pairs that may not both be chosen (closer than the minimum spacing).
    fixed : numpy.ndarray
        Candidates that must be chosen (existing or accepted stations).
    excluded : numpy.ndarray
        Candidates that may never be chosen.
    city_level_min : int
        How many chosen stations are designated city-level (built by the city union).
    city_level_fixed : numpy.ndarray
        Candidates already designated city-level (must also be fixed).
    quotas : tuple of Quota
        Further labellings with per-label minimums/maximums (e.g. at most 5 stations open 24 hours).
    """

    p: int
    district: np.ndarray | None = None
    district_min: Mapping[object, int] | int | None = None
    district_max: Mapping[object, int] | None = None
    conflicts: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), dtype=np.int64))
    fixed: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    excluded: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    city_level_min: int = 0
    city_level_fixed: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    quotas: tuple[Quota, ...] = ()

    def all_quotas(self) -> list[Quota]:
        """Return the district rules as a :class:`Quota`, followed by the other quotas."""
        district = []
        if self.district is not None and (self.minimums() or self.maximums()):
            district = [Quota("district", np.asarray(self.district, dtype=object), self.minimums(), self.maximums())]
        return district + list(self.quotas)

    def minimums(self) -> dict[object, int]:
        """District minimums as a dict (an int minimum expanded over the districts present)."""
        if self.district is None or self.district_min is None:
            return {}
        if isinstance(self.district_min, int | np.integer):
            return {label: int(self.district_min) for label in _labels(self.district)}
        return {label: int(value) for label, value in self.district_min.items()}

    def maximums(self) -> dict[object, int]:
        """District maximums as a dict."""
        if self.district is None or self.district_max is None:
            return {}
        return {label: int(value) for label, value in self.district_max.items()}


@dataclass(frozen=True)
class SitingResult:
    """The answer of a siting model.

    Attributes
    ----------
    selected : numpy.ndarray
        Chosen candidate indices, ascending.
    objective : float
        Value of the chosen sites (covered weight for MCLP).
    bound : float
        Proven upper bound on the best possible objective.
    gap : float
        ``(bound - objective) / bound``: 0 means proven optimal.
    status : str
        One of :data:`STATUSES` (see :func:`solve_status`).
    method : str
        What produced the answer (``greedy+swap``, ``highs``...).
    seconds : float
        Wall time spent.
    city_level : numpy.ndarray
        The chosen sites designated city-level.
    details : mapping of str to float
        Model-specific figures (covered and twice-covered weight for MCLP).
    multipliers : numpy.ndarray or None
        Lagrangian multipliers per demand column, to warm-start the bound of a later re-optimisation.
    """

    selected: np.ndarray
    objective: float
    bound: float
    gap: float
    status: str
    method: str
    seconds: float
    city_level: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    details: Mapping[str, float] = field(default_factory=dict)
    multipliers: np.ndarray | None = None


def spacing_conflicts(xy: np.ndarray, min_spacing_m: float) -> np.ndarray:
    """Pairs of candidates closer than ``min_spacing_m`` (straight-line, metres), as a (k, 2) index array."""
    if min_spacing_m <= 0 or len(xy) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    return cKDTree(np.asarray(xy, dtype=float)).query_pairs(min_spacing_m * (1 - 1e-12), output_type="ndarray")


def gap(objective: float, bound: float) -> float:
    """Relative optimality gap ``(bound - objective) / bound``, 0 when both are 0."""
    if bound <= 0:
        return 0.0
    return max(0.0, (bound - objective) / bound)


#: Relative gap at or below which a plan is reported proven optimal (floating-point noise, not a tolerance).
OPTIMAL_GAP = 1e-9

#: What a result's ``status`` can say; the edges explain each from :data:`geoplan.i18n.CATALOG` (``solve_status``).
STATUSES = ("optimal", "within_target", "time_limit", "heuristic")

#: What a quota's labels are, in messages (English, Chinese): districts, the 24-hour hours quota, one option a site.
_QUOTA_NAMES = {"district": ("District", "区县"), "hours": ("Hours", "开放时间"), "site": ("Site", "候选点")}


def solve_status(relative_gap: float, target_gap: float, exact: bool = True) -> str:
    """Name how sure a solve is of its plan.

    Parameters
    ----------
    relative_gap : float
        The certified gap between the plan and the proven bound.
    target_gap : float
        The gap the caller allowed the solve to stop at.
    exact : bool
        Whether a bound was computed at all.

    Returns
    -------
    str
        ``optimal`` (gap <= :data:`OPTIMAL_GAP`: proven best), ``within_target`` (the requested gap was reached,
        the plan may still be below the best), ``time_limit`` (stopped by time, the gap says how far it may be)
        or ``heuristic`` (no bound was asked for).
    """
    if relative_gap <= OPTIMAL_GAP:
        return "optimal"
    if not exact:
        return "heuristic"
    if target_gap > 0 and relative_gap <= target_gap + 1e-12:
        return "within_target"
    return "time_limit"


def whole_numbers(values: np.ndarray) -> bool:
    """Tell whether every value is a whole number exactly representable in float64 (weights in workers, say).

    Objectives built from such values are whole numbers too, so a proven bound may be rounded to one.
    """
    values = np.asarray(values)
    return bool(np.all(values == np.round(values))) and float(np.abs(values).sum(initial=0.0)) < 2**52


def validate(n_candidates: int, constraints: Constraints) -> Constraints:
    """Check a request before solving; raise :class:`InfeasibleError` naming the cause.

    Returns the constraints with index arrays normalised (unique, int64) and conflicts among fixed sites dropped.
    """
    c = constraints
    p = int(c.p)
    fixed = _indices(c.fixed, n_candidates, "fixed")
    excluded = _indices(c.excluded, n_candidates, "excluded")
    city_fixed = _indices(c.city_level_fixed, n_candidates, "city_level_fixed")
    conflicts = np.asarray(c.conflicts, dtype=np.int64).reshape(-1, 2)
    if p < 1:
        raise i18n.input_error("station_count_below_one", p=p)
    both = np.intersect1d(fixed, excluded)
    if len(both):
        raise i18n.coded_error(InfeasibleError, "sites_fixed_and_excluded", sites=str(both.tolist()[:5]))
    if len(fixed) > p:
        raise i18n.coded_error(InfeasibleError, "too_many_fixed", fixed=len(fixed), p=p)
    available = n_candidates - len(excluded)
    if p > available:
        raise i18n.coded_error(InfeasibleError, "too_few_candidates", p=p, available=available, found=n_candidates,
                               excluded=len(excluded))  # fmt: skip
    if not np.isin(city_fixed, fixed).all():
        raise i18n.input_error("city_level_not_fixed")
    if c.district is not None and len(c.district) != n_candidates:
        raise i18n.input_error("labels_count", name="district", given=len(c.district), n=n_candidates)
    for quota in c.quotas:
        if len(quota.labels) != n_candidates:
            raise i18n.input_error("labels_count", name=quota.name, given=len(quota.labels), n=n_candidates)
    _check_quotas(c, p, fixed, excluded)
    if c.city_level_min > p:
        raise i18n.coded_error(InfeasibleError, "city_level_above_total", required=c.city_level_min, p=p)
    if len(conflicts):
        if conflicts.min() < 0 or conflicts.max() >= n_candidates:
            raise i18n.input_error("conflicts_unknown_candidates")
        fixed_mask = np.zeros(n_candidates, dtype=bool)
        fixed_mask[fixed] = True
        conflicts = conflicts[~(fixed_mask[conflicts[:, 0]] & fixed_mask[conflicts[:, 1]])]
    return Constraints(
        p=p,
        district=None if c.district is None else np.asarray(c.district, dtype=object),
        district_min=c.minimums() or None,
        district_max=c.maximums() or None,
        conflicts=conflicts,
        fixed=fixed,
        excluded=excluded,
        city_level_min=int(c.city_level_min),
        city_level_fixed=city_fixed,
        quotas=tuple(
            Quota(q.name, np.asarray(q.labels, dtype=object), dict(q.minimum), dict(q.maximum)) for q in c.quotas
        ),
    )


def restrict(constraints: Constraints, keep: np.ndarray) -> Constraints:
    """Restrict the constraints to the candidate subset ``keep`` (ascending indices), renumbered 0..len(keep)-1."""
    n = int(keep.max(initial=-1)) + 1
    position = np.full(max(n, 1), -1, dtype=np.int64)
    position[keep] = np.arange(len(keep))

    def mapped(values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=np.int64)
        values = values[values < n]
        out = position[values]
        return out[out >= 0]

    conflicts = np.asarray(constraints.conflicts, dtype=np.int64).reshape(-1, 2)
    conflicts = conflicts[(conflicts < n).all(axis=1)]
    conflicts = position[conflicts]
    return Constraints(
        p=constraints.p,
        district=None if constraints.district is None else np.asarray(constraints.district, dtype=object)[keep],
        district_min=constraints.district_min,
        district_max=constraints.district_max,
        conflicts=conflicts[(conflicts >= 0).all(axis=1)],
        fixed=mapped(constraints.fixed),
        excluded=mapped(constraints.excluded),
        city_level_min=constraints.city_level_min,
        city_level_fixed=mapped(constraints.city_level_fixed),
        quotas=tuple(
            Quota(q.name, np.asarray(q.labels, dtype=object)[keep], q.minimum, q.maximum) for q in constraints.quotas
        ),
    )


def designate_city_level(selected: np.ndarray, station_value: np.ndarray, constraints: Constraints) -> np.ndarray:
    """Choose the city-level stations: those already designated, then the chosen sites of highest value."""
    chosen = list(constraints.city_level_fixed)
    for index in selected[np.argsort(-station_value[selected], kind="stable")]:
        if len(chosen) >= constraints.city_level_min:
            break
        if index not in chosen:
            chosen.append(int(index))
    return np.sort(np.asarray(chosen, dtype=np.int64))


def _check_quotas(c: Constraints, p: int, fixed: np.ndarray, excluded: np.ndarray) -> None:
    for quota in c.all_quotas():
        _check_quota(quota, p, fixed, excluded)


def _check_quota(quota: Quota, p: int, fixed: np.ndarray, excluded: np.ndarray) -> None:
    english, chinese = _QUOTA_NAMES.get(quota.name, (quota.name.capitalize(), quota.name))
    names = {"what": english, "what_zh": chinese, "quota": quota.name, "quota_zh": chinese}
    minimums, maximums = dict(quota.minimum), dict(quota.maximum)
    labels = pd.Series(np.asarray(quota.labels, dtype=object))
    usable = np.ones(len(labels), dtype=bool)
    usable[excluded] = False
    available = labels[usable].value_counts()
    fixed_count = labels.iloc[fixed].value_counts()
    if sum(minimums.values()) > p:
        raise i18n.coded_error(InfeasibleError, "quota_minimums_above_total", total=sum(minimums.values()), p=p,
                               **names)  # fmt: skip
    needed = len(fixed) + sum(max(0, low - int(fixed_count.get(label, 0))) for label, low in minimums.items())
    if needed > p:
        raise i18n.coded_error(InfeasibleError, "quota_needs_above_total", fixed=len(fixed), needed=needed, p=p,
                               **names)  # fmt: skip
    for label, low in minimums.items():
        have = int(available.get(label, 0))
        if have < low:
            found = "no feasible candidate site" if have == 0 else f"only {have} candidate site(s)"
            found_zh = "没有可用的候选点" if have == 0 else f"只有 {have} 个候选点"
            raise i18n.coded_error(InfeasibleError, "quota_label_short", label=label, low=low, found=found,
                                   found_zh=found_zh, **names)  # fmt: skip
        if label in maximums and maximums[label] < low:
            raise i18n.coded_error(InfeasibleError, "quota_max_below_min", label=label, maximum=maximums[label],
                                   low=low, **names)  # fmt: skip
    for label, have in fixed_count.items():
        if label in maximums and have > maximums[label]:
            raise i18n.coded_error(InfeasibleError, "quota_fixed_above_max", label=label, have=have,
                                   maximum=maximums[label], **names)  # fmt: skip


def _indices(values: Sequence[int] | np.ndarray, n: int, name: str) -> np.ndarray:
    array = np.unique(np.asarray(values, dtype=np.int64).ravel())
    if len(array) and (array[0] < 0 or array[-1] >= n):
        raise i18n.input_error("candidate_index_range", name=name, last=n - 1)
    return array


def _labels(district: np.ndarray) -> list[object]:
    return list(dict.fromkeys(np.asarray(district, dtype=object).tolist()))


def check_weights(weights: Sequence[float] | np.ndarray, shape: tuple[int, ...], name: str) -> np.ndarray:
    """Return demand weights as floats, refusing a count other than the matrix's columns or negative values.

    Parameters
    ----------
    weights : array-like
        One weight per demand column.
    shape : tuple of int
        Shape of the candidates x demand matrix.
    name : str
        The matrix's name in messages.

    Returns
    -------
    numpy.ndarray
    """
    w = np.asarray(weights, dtype=float)
    if len(shape) != 2 or shape[1] != len(w):
        raise i18n.input_error("weights_count", name=name, columns=shape[1], weights=len(w))
    if len(w) and (not np.all(np.isfinite(w)) or w.min() < 0):
        raise i18n.input_error("weights_negative")
    return w


def constraints_from(
    p: int,
    district: Sequence[object] | np.ndarray | None,
    district_min: Mapping[object, int] | int | None,
    district_max: Mapping[object, int] | None,
    conflicts: np.ndarray | None,
    fixed: Sequence[int],
    excluded: Sequence[int],
    city_level_min: int,
    city_level_fixed: Sequence[int],
    quotas: Sequence[Quota] = (),
) -> Constraints:
    """Build :class:`Constraints` from the solvers' rule keywords (see :func:`geoplan.siting.solve_mclp`)."""
    return Constraints(
        p=int(p),
        district=None if district is None else np.asarray(district, dtype=object),
        district_min=district_min,
        district_max=district_max,
        conflicts=np.zeros((0, 2), dtype=np.int64) if conflicts is None else np.asarray(conflicts),
        fixed=np.asarray(fixed, dtype=np.int64),
        excluded=np.asarray(excluded, dtype=np.int64),
        city_level_min=int(city_level_min),
        city_level_fixed=np.asarray(city_level_fixed, dtype=np.int64),
        quotas=tuple(quotas),
    )


def minimum_stations(n_candidates: int, **rules) -> int:
    """Smallest station count the rules allow at all (fixed sites, district and other quota minimums, city level).

    Parameters
    ----------
    n_candidates : int
        Number of candidate sites.
    **rules
        The solvers' rule keywords (district, district_min, district_max, conflicts, fixed, excluded,
        city_level_min, city_level_fixed, quotas); others are ignored.

    Returns
    -------
    int
    """
    names = ("district", "district_min", "district_max", "conflicts", "fixed", "excluded", "city_level_min",
             "city_level_fixed", "quotas")  # fmt: skip
    given = {name: rules[name] for name in names if name in rules}
    for count in range(1, n_candidates + 1):
        try:
            validate(n_candidates, constraints_from(count, **_rule_defaults(given)))
        except InfeasibleError:
            continue
        return count
    raise i18n.coded_error(InfeasibleError, "no_station_count")


def _rule_defaults(given: dict) -> dict:
    defaults = {"district": None, "district_min": None, "district_max": None, "conflicts": None, "fixed": (),
                "excluded": (), "city_level_min": 0, "city_level_fixed": (), "quotas": ()}  # fmt: skip
    return defaults | given
