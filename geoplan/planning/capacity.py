"""Station capacity and load by time of day: what a capacitated plan (``geoplan plan --capacitated``) is solved on.

A station seats ``floor(floor area x people_per_m2)`` people at once (at least one); ``60 x`` that is its capacity in
person-minutes per hour. A site whose floor area is declared larger than the minimum (a planner's site with its own
``footprint_m2``) is offered in two sizes, the minimum floor area and the full declared area, so the plan says which
sites to enlarge. An existing station (or a planner's site) may give its own capacity (people at once, the
``capacity`` column of its file) instead: it is then offered in that one size. Stations that are no row of the
siting model (a planner's kept stations off the candidate set) get one size too (:func:`extra_capacity`).

Workers load stations by the time of day: each group's workers on shift make :data:`VISITS` visits per shift (a meal
break, a water stop, a toilet visit) of a given length, spread evenly over the shift. The day is cut into the
elementary intervals of every group's shift windows (:func:`time_windows`), and the load of a demand column in a
window is its workers on shift then x visits per hour x visit minutes (:func:`load_matrix`), in person-minutes per
hour, the unit of capacity. Formulas and defaults: ``docs/siting.md`` ("Station capacity").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geoplan import i18n
from geoplan.inputs.demand import WORKER_GROUPS
from geoplan.siting.hours import MINUTES_PER_DAY, parse_hours

if TYPE_CHECKING:
    from geoplan.planning.parameters import PlanParameters
    from geoplan.planning.prepare import PreparedModel

__all__ = [
    "DEFAULT_PEOPLE_PER_M2",
    "DEFAULT_VISIT",
    "VISITS",
    "CapacityInputs",
    "CapacityOptions",
    "StationCapacity",
    "Visit",
    "capacity_inputs",
    "extra_capacity",
    "group_shifts",
    "load_matrix",
    "people_at_once",
    "served_workers",
    "site_capacity",
    "station_capacity",
    "station_figures",
    "time_windows",
    "window_masks",
]

#: People at once per m² of floor area: a 9 m² station seats 4 (two benches, a table, a microwave and a water
#: dispenser take the rest; about 2 m² per seated person, as in a staff room).
DEFAULT_PEOPLE_PER_M2 = 0.5

#: Minutes per hour: capacity in person-minutes per hour is people at once x 60.
_MINUTES_PER_HOUR = 60.0


@dataclass(frozen=True)
class Visit:
    """How a worker uses a station during a shift.

    Attributes
    ----------
    per_shift : float
        Visits per worker per shift.
    minutes : float
        Minutes per visit.
    why : str
        What the visits are for (documentation).
    """

    per_shift: float
    minutes: float
    why: str


#: Visits per worker per shift and their length, per worker group (reasoning in ``docs/siting.md``).
VISITS: dict[str, Visit] = {
    "sanitation": Visit(2.0, 20.0, "a breakfast and rest break after the dawn sweep, a water and toilet stop"),
    "traffic_police": Visit(2.0, 15.0, "water and toilet stops between duty posts"),
    "bus_drivers": Visit(1.0, 10.0, "a toilet and water stop at a layover (terminals have their own rooms)"),
    "taxi_drivers": Visit(1.0, 20.0, "a meal or toilet break"),
    "couriers": Visit(1.0, 20.0, "a meal break and phone charge around each meal peak"),
    "urban_management": Visit(2.0, 15.0, "water and toilet stops on patrol"),
    "repair_crews": Visit(1.0, 20.0, "a meal or rest break"),
}

#: Visits of a group geoplan has no table for (a user layer's new group name).
DEFAULT_VISIT = Visit(1.0, 15.0, "a water and toilet stop")

#: Shift of groups geoplan has no shift table for (the same as :data:`geoplan.planning.model.DEFAULT_SHIFT`).
_DEFAULT_SHIFT = (("08:00-18:00", 1.0),)


def people_at_once(floor_area_m2: np.ndarray, people_per_m2: float) -> np.ndarray:
    """People a station of this floor area seats at once: ``floor(area x density)``, at least 1.

    Parameters
    ----------
    floor_area_m2 : numpy.ndarray
        Floor areas, m² (NaN stays NaN: no such option).
    people_per_m2 : float
        People at once per m².

    Returns
    -------
    numpy.ndarray
        Whole people (float, NaN where the area is NaN).
    """
    area = np.asarray(floor_area_m2, dtype=float)
    people = np.maximum(np.floor(area * people_per_m2 + 1e-9), 1.0)
    return np.where(np.isfinite(area), people, np.nan)


@dataclass(frozen=True)
class CapacityOptions:
    """The size options of every candidate site.

    Attributes
    ----------
    floor_m2 : numpy.ndarray
        (n_sites, S) floor area of each size option, m² (NaN: not offered; option 0 is the site's minimum size).
    people : numpy.ndarray
        (n_sites, S) people at once.
    per_hour : numpy.ndarray
        (n_sites, S) capacity in person-minutes per hour (``people x 60``; NaN: not offered).
    """

    floor_m2: np.ndarray
    people: np.ndarray
    per_hour: np.ndarray

    @property
    def n_sizes(self) -> int:
        """Size options per site (1, or 2 where some site may be enlarged)."""
        return int(self.per_hour.shape[1])

    def take(self, index: np.ndarray) -> CapacityOptions:
        """Return the options of the sites ``index`` (rows in that order, e.g. each model row's site)."""
        index = np.asarray(index, dtype=np.int64)
        return CapacityOptions(floor_m2=self.floor_m2[index], people=self.people[index], per_hour=self.per_hour[index])

    def with_declared(self, given_people: np.ndarray | None) -> CapacityOptions:
        """Return these options with the capacities stations declare: such a row has one size, that many people.

        Parameters
        ----------
        given_people : numpy.ndarray or None
            People at once each row's station declares (a site dict's ``capacity``), NaN where none (None: none).

        Returns
        -------
        CapacityOptions
            A copy; a row with a declared capacity keeps its option 0 floor area and has no option beyond it.
        """
        if given_people is None:
            return self
        given = np.asarray(given_people, dtype=float)
        has = np.isfinite(given) & (given > 0)
        if not has.any():
            return self
        floor, people = self.floor_m2.copy(), self.people.copy()
        floor[has, 1:] = np.nan
        people[has, 1:] = np.nan
        people[has, 0] = given[has]
        return CapacityOptions(floor_m2=floor, people=people, per_hour=people * _MINUTES_PER_HOUR)

    def stack(self, below: CapacityOptions) -> CapacityOptions:
        """Return these rows with ``below``'s under them (same number of size options)."""
        return CapacityOptions(floor_m2=np.vstack([self.floor_m2, below.floor_m2]),
                               people=np.vstack([self.people, below.people]),
                               per_hour=np.vstack([self.per_hour, below.per_hour]))  # fmt: skip


def site_capacity(
    sites: pd.DataFrame,
    min_area_m2: float,
    people_per_m2: float = DEFAULT_PEOPLE_PER_M2,
    given_people: np.ndarray | None = None,
) -> CapacityOptions:
    """Capacity of every candidate site, in one or two size options.

    Parameters
    ----------
    sites : pandas.DataFrame
        Candidate sites (:attr:`geoplan.inputs.candidates.CandidateSet.sites`): ``source``, ``footprint_m2``.
    min_area_m2 : float
        Minimum station floor area, m² (:attr:`~geoplan.inputs.candidates.CandidateRules.min_area_m2`).
    people_per_m2 : float
        People at once per m².
    given_people : numpy.ndarray, optional
        People at once a site declares itself (the ``capacity`` of an existing station or a planner's site), NaN
        where none.

    Returns
    -------
    CapacityOptions
        Roadside sites: their footprint. Host premises found in OSM: the minimum floor area (OSM gives no floor
        area). Planner's sites and existing stations: their ``footprint_m2``; a planner's site larger than the
        minimum gets a second option, the minimum (option 0) and its full area (option 1). A site with a given
        capacity has one option, that many people at once (its floor area as declared: its ``footprint_m2``, the
        minimum for a host).
    """
    source = sites["source"].to_numpy(dtype=object)
    declared = sites["footprint_m2"].to_numpy(dtype=float)
    minimum = np.where(source == "host", min_area_m2, declared)
    larger = (source == "user") & (declared > min_area_m2 + 1e-9)
    given = np.full(len(sites), np.nan) if given_people is None else np.asarray(given_people, dtype=float)
    has = np.isfinite(given) & (given > 0)
    larger &= ~has  # a given capacity is the station's one size: nothing to enlarge
    minimum = np.where(larger, min_area_m2, minimum)
    floor = minimum[:, None].copy()
    if larger.any():
        floor = np.column_stack([minimum, np.where(larger, declared, np.nan)])
    people = people_at_once(floor, people_per_m2)
    return CapacityOptions(floor_m2=floor, people=people, per_hour=people * _MINUTES_PER_HOUR).with_declared(given)


def extra_capacity(
    options: CapacityOptions,
    site: np.ndarray | None,
    n_extra: int,
    min_area_m2: float,
    people_per_m2: float = DEFAULT_PEOPLE_PER_M2,
    given_people: np.ndarray | None = None,
) -> CapacityOptions:
    """Capacity of the stations that are no row of the siting model (the extra rows of a planner's decisions).

    Each has one size, as its columns in a capacitated solve: on a candidate site (a kept station whose opening
    hours are none of the model's options), that site's first option, so an existing station keeps the capacity
    it declares (else its ``footprint_m2``); off the candidate set (an existing station placed anywhere), the
    minimum floor area. A station whose site dict declares its capacity (``given_people``) has that capacity
    wherever it stands.

    Parameters
    ----------
    options : CapacityOptions
        The candidate sites' options (:func:`site_capacity`).
    site : numpy.ndarray or None
        Candidate site of each extra station, -1 off the candidate set (None: all off it).
    n_extra : int
        Extra stations.
    min_area_m2 : float
        Minimum station floor area, m².
    people_per_m2 : float
        People at once per m².
    given_people : numpy.ndarray, optional
        People at once each extra station declares, NaN where none.

    Returns
    -------
    CapacityOptions
        ``(n_extra, options.n_sizes)`` arrays, NaN beyond option 0; rows to stack under ``options``.
    """
    site = np.full(n_extra, -1, dtype=np.int64) if site is None else np.asarray(site, dtype=np.int64)
    if len(site) != n_extra:
        raise ValueError(f"{len(site)} candidate sites given for {n_extra} extra stations")
    floor = np.full((n_extra, options.n_sizes), np.nan)
    floor[:, 0] = min_area_m2
    people = np.full_like(floor, np.nan)
    people[:, 0] = people_at_once(np.array([min_area_m2]), people_per_m2)[0]
    on = site >= 0
    floor[on, 0] = options.floor_m2[site[on], 0]
    people[on, 0] = options.people[site[on], 0]
    extra = CapacityOptions(floor_m2=floor, people=people, per_hour=people * _MINUTES_PER_HOUR)
    return extra.with_declared(given_people)


def group_shifts(
    group: str, shift_shares: Mapping[str, Mapping[str, float]] | None = None
) -> tuple[tuple[str, float], ...]:
    """Return a group's shift windows and the share of its workers on each (shares add up to 1).

    The group's default shifts (:data:`geoplan.inputs.demand.WORKER_GROUPS`), replaced by ``shift_shares[group]``
    when given (normalised), as the time-of-day model reads them.
    """
    if shift_shares and group in shift_shares:
        total = sum(shift_shares[group].values())
        return tuple((text, share / total) for text, share in shift_shares[group].items() if share > 0)
    known = WORKER_GROUPS.get(group)
    return known.shifts if known else _DEFAULT_SHIFT


def _window_spans(shift_texts: list[str], cut_texts: Sequence[str] = ()) -> list[tuple[int, int, np.ndarray]]:
    """(start minute, end minute, shifts on) of each elementary window some shift covers, in the order of the day."""
    masks = np.array([parse_hours(text).minutes for text in shift_texts], dtype=bool).reshape(-1, MINUTES_PER_DAY)
    cutting = np.array([parse_hours(text).minutes for text in cut_texts], dtype=bool).reshape(-1, MINUTES_PER_DAY)
    every = np.vstack([masks, cutting])
    change = every != np.roll(every, 1, axis=1)
    cuts = np.flatnonzero(change.any(axis=0))
    if len(cuts) == 0:
        cuts = np.array([0])
    ends = np.append(cuts[1:], cuts[0] + MINUTES_PER_DAY)
    spans = []
    for start, end in zip(cuts, ends, strict=True):
        on = masks[:, start % MINUTES_PER_DAY]
        if on.any():
            spans.append((int(start), int(end), on))
    return spans


def window_masks(shift_texts: list[str], cut_texts: Sequence[str] = ()) -> np.ndarray:
    """Return the minutes of the day of each window of :func:`time_windows` (same arguments), (T, 1440) boolean."""
    spans = _window_spans(shift_texts, cut_texts)
    masks = np.zeros((len(spans), MINUTES_PER_DAY), dtype=bool)
    for t, (start, end, _) in enumerate(spans):
        masks[t, np.arange(start, end) % MINUTES_PER_DAY] = True
    return masks


def time_windows(shift_texts: list[str], cut_texts: Sequence[str] = ()) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Cut the day into the elementary time windows of a set of shift windows.

    The day is cut at every start and end of every shift (and of every ``cut_texts`` window: stations' opening
    hours, so that a station is open throughout a window or not at all); the pieces no shift covers are left out.

    Parameters
    ----------
    shift_texts : list of str
        Shift windows (``"03:30-11:30"``, ``"21:00-01:00"``, several windows separated by commas).
    cut_texts : sequence of str
        Further windows whose starts and ends also cut the day (opening hours).

    Returns
    -------
    labels : list of str
        ``"HH:MM-HH:MM"`` of each window, in the order of the day from the first cut.
    hours : numpy.ndarray
        (T,) length of each window, hours.
    covers : numpy.ndarray
        (len(shift_texts), T) True where the shift covers the window.
    """
    labels, hours, covers = [], [], []
    for start, end, on in _window_spans(shift_texts, cut_texts):
        labels.append(f"{_clock(start)}-{_clock(end)}")
        hours.append((end - start) / _MINUTES_PER_HOUR)
        covers.append(on)
    return labels, np.array(hours, dtype=float), np.array(covers, dtype=bool).T.reshape(len(shift_texts), -1)


def load_matrix(
    pieces: pd.DataFrame,
    n_columns: int,
    visit_minutes: Mapping[str, float] | None = None,
    shift_shares: Mapping[str, Mapping[str, float]] | None = None,
    cut_texts: Sequence[str] = (),
) -> tuple[np.ndarray, list[str], np.ndarray, dict[str, np.ndarray]]:
    """Load of every demand column in every time window, person-minutes per hour.

    For a group with shifts ``s`` (share ``σ_s`` of its workers, ``H_s`` hours long), ``v`` visits per worker per
    shift of ``m`` minutes, the load of ``w`` workers in window ``t`` is ``w x Σ_{s covers t} σ_s x v / H_s x m``.
    Pieces already split by shift (a ``shift`` column, weights times the shift's share, as a model with opening
    hours has them) load only the windows of their shift: ``w x v / H_s x m``.

    Parameters
    ----------
    pieces : pandas.DataFrame
        Demand pieces: ``group``, ``weight`` (workers), ``column`` (demand column), optionally ``shift``.
    n_columns : int
        Demand columns.
    visit_minutes : mapping of str to float, optional
        Minutes per visit per group, replacing :data:`VISITS`.
    shift_shares : mapping, optional
        Shift windows and shares per group replacing the defaults (:func:`group_shifts`).
    cut_texts : sequence of str
        Opening hours that also cut the day into windows (:func:`time_windows`).

    Returns
    -------
    load : numpy.ndarray
        (n_columns, T) person-minutes per hour.
    labels : list of str
        The windows (:func:`time_windows`).
    hours : numpy.ndarray
        (T,) hours per window.
    rates : dict of str to numpy.ndarray
        Per group, (T,) person-minutes per hour per worker of the group.
    """
    groups = list(dict.fromkeys(pieces["group"].astype(str)))
    texts = _shift_texts(groups, shift_shares)
    labels, hours, covers = time_windows(texts, cut_texts) if texts else ([], np.zeros(0), np.zeros((0, 0), dtype=bool))
    rates = {group: sum(_shift_rates(group, texts, covers, visit_minutes, shift_shares).values(), np.zeros(len(labels)))
             for group in groups}  # fmt: skip
    if "shift" in pieces.columns:  # split by shift: each piece's own shift, its weight already times the share
        by_shift = {group: _shift_rates(group, texts, covers, visit_minutes, shift_shares, shares=False)
                    for group in groups}  # fmt: skip
        keys = list(dict.fromkeys(zip(pieces["group"].astype(str), pieces["shift"].astype(str), strict=True)))
        table = np.array([by_shift[g][text] for g, text in keys]).reshape(len(keys), len(labels))
        code = pd.MultiIndex.from_arrays([pieces["group"].astype(str), pieces["shift"].astype(str)])
        code = pd.Index(keys).get_indexer(code) if keys else np.zeros(0, dtype=np.int64)
    else:
        table = np.array([rates[group] for group in groups]).reshape(len(groups), len(labels))
        code = pd.Categorical(pieces["group"].astype(str), categories=groups).codes
    kinds = len(table)
    flat = pieces["column"].to_numpy(dtype=np.int64) * kinds + code
    per_kind = np.bincount(flat, weights=pieces["weight"].to_numpy(dtype=float), minlength=n_columns * kinds)
    return per_kind.reshape(n_columns, kinds) @ table, labels, hours, rates


def _shift_texts(groups: list[str], shift_shares: Mapping[str, Mapping[str, float]] | None) -> list[str]:
    """Every shift window of the groups, in order of first use."""
    return list(dict.fromkeys(text for group in groups for text, _ in group_shifts(group, shift_shares)))


def _shift_rates(group: str, texts: list[str], covers: np.ndarray, visit_minutes: Mapping[str, float] | None,
                 shift_shares: Mapping[str, Mapping[str, float]] | None, *,
                 shares: bool = True) -> dict[str, np.ndarray]:  # fmt: skip
    """Person-minutes per hour per worker of a group in each window, per shift (times its share with ``shares``)."""
    visit = VISITS.get(group, DEFAULT_VISIT)
    minutes = float((visit_minutes or {}).get(group, visit.minutes))
    out = {}
    for text, share in group_shifts(group, shift_shares):
        shift_hours = parse_hours(text).minutes.sum() / _MINUTES_PER_HOUR
        out[text] = covers[texts.index(text)] * (share if shares else 1.0) * visit.per_shift / shift_hours * minutes
    return out


def _clock(minute: int) -> str:
    minute = int(minute)
    if minute > MINUTES_PER_DAY:
        minute -= MINUTES_PER_DAY
    return f"{minute // 60:02d}:{minute % 60:02d}"


@dataclass(frozen=True, eq=False)
class CapacityInputs:
    """What a capacitated solve needs beyond the coverage matrix.

    Attributes
    ----------
    options : CapacityOptions
        Size options and capacity of every candidate site.
    load : numpy.ndarray
        (columns, T) person-minutes per hour of each demand column in each window.
    windows : list of str
        The time windows (``"HH:MM-HH:MM"``).
    window_hours : numpy.ndarray
        (T,) hours per window.
    rates : dict of str to numpy.ndarray
        Per group, (T,) person-minutes per hour per worker.
    visits : dict of str to Visit
        The visits each group of the demand makes (visit minutes as asked).
    people_per_m2 : float
        People at once per m².
    masks : numpy.ndarray
        (T, 1440) minutes of the day of each window (:func:`window_masks`).
    shift_rates : dict of (str, str) to numpy.ndarray
        With opening hours (demand split by shift): per (group, shift), (T,) person-minutes per hour per worker on
        that shift; empty otherwise.
    """

    options: CapacityOptions
    load: np.ndarray
    windows: list[str]
    window_hours: np.ndarray
    rates: dict[str, np.ndarray]
    visits: dict[str, Visit]
    people_per_m2: float
    masks: np.ndarray = field(default_factory=lambda: np.zeros((0, MINUTES_PER_DAY), dtype=bool))
    shift_rates: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)

    def window_figures(self) -> list[dict]:
        """Each window's label, hours and total load (person-minutes per hour), as the capacity figures list them."""
        return [{"window": label, "hours": float(hours), "load": round(float(self.load[:, t].sum()), 2)}
                for t, (label, hours) in enumerate(zip(self.windows, self.window_hours, strict=True))]  # fmt: skip

    def open_share(self, hours: Sequence[str | None]) -> np.ndarray:
        """Share of each window that stations with these opening hours are open, (len(hours), T) in [0, 1].

        Parameters
        ----------
        hours : sequence of str or None
            Opening hours (:func:`geoplan.siting.hours.parse_hours`); None: open throughout.
        """
        length = self.masks.sum(axis=1)
        out = np.ones((len(hours), len(length)))
        for k, text in enumerate(hours):
            if text is not None:
                out[k] = (self.masks & parse_hours(text).minutes).sum(axis=1) / np.maximum(length, 1)
        return out


def capacity_inputs(
    sites: pd.DataFrame,
    pieces: pd.DataFrame,
    n_columns: int,
    min_area_m2: float,
    people_per_m2: float = DEFAULT_PEOPLE_PER_M2,
    visit_minutes: Mapping[str, float] | None = None,
    shift_shares: Mapping[str, Mapping[str, float]] | None = None,
    hours_options: Sequence[str] = (),
) -> CapacityInputs:
    """Capacity of the candidate sites and load of the demand columns, for a capacitated solve.

    Parameters
    ----------
    sites : pandas.DataFrame
        Candidate sites (``source``, ``footprint_m2``, and ``capacity`` = people at once where given).
    pieces : pandas.DataFrame
        Demand pieces (``group``, ``weight``, ``column``).
    n_columns : int
        Demand columns.
    min_area_m2 : float
        Minimum station floor area, m².
    people_per_m2 : float
        People at once per m².
    visit_minutes : mapping of str to float, optional
        Minutes per visit per group, replacing :data:`VISITS`.
    shift_shares : mapping, optional
        Shift windows and shares per group replacing the defaults.
    hours_options : sequence of str
        Opening-hours options of a model with opening hours (its pieces then carry their ``shift``): the windows
        are cut at their starts and ends too, so each option is open throughout a window or not at all
        (:meth:`CapacityInputs.open_share`).

    Returns
    -------
    CapacityInputs

    Raises
    ------
    InputError
        ``visit_minutes`` names a group the demand does not have.
    """
    groups = list(dict.fromkeys(pieces["group"].astype(str)))
    unknown = sorted(set(visit_minutes or {}) - set(groups))
    if unknown:
        raise i18n.input_error("visit_minutes_unknown_group", group=unknown[0], groups=", ".join(groups))
    given = sites["capacity"].to_numpy(dtype=float) if "capacity" in sites.columns else None
    options = site_capacity(sites, min_area_m2, people_per_m2, given)
    load, windows, hours, rates = load_matrix(pieces, n_columns, visit_minutes, shift_shares, hours_options)
    visits = {}
    for group in groups:
        visit = VISITS.get(group, DEFAULT_VISIT)
        visits[group] = Visit(visit.per_shift, float((visit_minutes or {}).get(group, visit.minutes)), visit.why)
    texts = _shift_texts(groups, shift_shares)
    masks = window_masks(texts, hours_options) if texts else np.zeros((0, MINUTES_PER_DAY), dtype=bool)
    shift_rates = {}
    if "shift" in pieces.columns and texts:
        _, _, covers = time_windows(texts, hours_options)
        for group in groups:
            for text, rate in _shift_rates(group, texts, covers, visit_minutes, shift_shares, shares=False).items():
                shift_rates[(group, text)] = rate
    return CapacityInputs(options, load, windows, hours, rates, visits, float(people_per_m2), masks, shift_rates)


@dataclass(frozen=True, eq=False)
class StationCapacity:
    """What a capacitated solve over a set of stations takes: loads, each station's size options and open shares.

    Attributes
    ----------
    inputs : CapacityInputs
        The candidate sites' options and the demand's load by window.
    options : CapacityOptions
        One row per station: the model rows asked for, then the extra rows.
    open_share : numpy.ndarray
        (stations, T) share of each window each station is open (:meth:`CapacityInputs.open_share`).
    """

    inputs: CapacityInputs
    options: CapacityOptions
    open_share: np.ndarray


def station_capacity(
    prepared: PreparedModel,
    params: PlanParameters,
    rows: np.ndarray,
    *,
    row_people: Mapping[int, float] | None = None,
    extra_site: np.ndarray | None = None,
    extra_people: np.ndarray | None = None,
    extra_hours: Sequence[str | None] | None = None,
    n_extra: int = 0,
) -> StationCapacity:
    """Capacity inputs of a prepared plan and the size options and opening of a set of stations.

    The one place the plan's solve (:func:`geoplan.planning.solve.solve`) and the review map's station figures
    (:func:`geoplan.planning.station_loads.with_capacity`) turn stations into capacities: model rows take their
    site's options (a kept station's declared capacity in ``row_people`` replacing them), extra rows those of
    :func:`extra_capacity`; with opening hours a station without hours of its own is open as the first option
    (as it covers).

    Parameters
    ----------
    prepared : geoplan.planning.prepare.PreparedModel
    params : PlanParameters
        Density, visit minutes, shift shares, opening-hours options, minimum floor area.
    rows : numpy.ndarray
        Model rows of the stations.
    row_people : mapping of int to float, optional
        People at once declared by kept stations, by model row.
    extra_site, extra_people, extra_hours : optional
        Per extra row: candidate site (-1 off the candidate set), declared people at once (NaN: none), opening
        hours (None: none).
    n_extra : int
        Extra rows.

    Returns
    -------
    StationCapacity
    """
    model = prepared.model
    min_area = params.candidate_rules.min_area_m2
    inputs = capacity_inputs(prepared.candidates.sites, model.pieces, model.matrix.shape[1], min_area,
                             params.people_per_m2, params.visit_minutes, params.shift_shares,
                             params.hours_options)  # fmt: skip
    rows = np.asarray(rows, dtype=np.int64)
    declared = np.array([(row_people or {}).get(int(row), np.nan) for row in rows], dtype=float)
    options = inputs.options.take(model.row_site[rows]).with_declared(declared)
    if n_extra:
        options = options.stack(extra_capacity(inputs.options, extra_site, n_extra, min_area, params.people_per_m2,
                                               extra_people))  # fmt: skip
    hours = [*(model.row_hours(rows) or [None] * len(rows)), *(extra_hours or [None] * n_extra)]
    if model.has_hours:
        hours = [model.options[0].label if text is None else text for text in hours]
    return StationCapacity(inputs, options, inputs.open_share(hours))


def station_figures(floor_m2: np.ndarray, size: np.ndarray, per_hour: np.ndarray, load: np.ndarray,
                    open_share: np.ndarray, windows: list[str]) -> pd.DataFrame:  # fmt: skip
    """Each station's size, capacity and busiest window, as the outputs and the review map report them.

    Parameters
    ----------
    floor_m2 : numpy.ndarray
        (n, S) floor area of each station's size options, m².
    size : numpy.ndarray
        (n,) the size option chosen.
    per_hour : numpy.ndarray
        (n,) capacity at that size, person-minutes per hour.
    load : numpy.ndarray
        (n, T) load each station takes per window.
    open_share : numpy.ndarray
        (n, T) share of each window each station is open.
    windows : list of str
        The windows' labels.

    Returns
    -------
    pandas.DataFrame
        One row per station: ``size_m2``, ``enlarged``, ``capacity`` (people at once), ``capacity_per_hour``,
        ``peak_load`` (person-minutes per hour), ``peak_window`` and ``utilisation``. The busiest window is where
        the station is fullest while open (load / (capacity x open share): a station open half a window has half
        its capacity there).
    """
    n = len(size)
    index = np.arange(n)
    per_hour = np.asarray(per_hour, dtype=float)
    load = np.asarray(load, dtype=float).reshape(n, -1)
    if load.shape[1] == 0:
        load, open_share = np.zeros((n, 1)), np.ones((n, 1))
    room = per_hour[:, None] * open_share
    fill = np.divide(load, room, out=np.zeros_like(load), where=room > 0)
    peak = np.where(fill.any(axis=1), fill.argmax(axis=1), load.argmax(axis=1)) if n else np.zeros(0, dtype=int)
    return pd.DataFrame({
        "size_m2": np.asarray(floor_m2, dtype=float).reshape(n, -1)[index, size] if n else np.zeros(0),
        "enlarged": np.asarray(size) > 0,
        "capacity": np.round(per_hour / _MINUTES_PER_HOUR).astype(int),
        "capacity_per_hour": np.round(per_hour, 2),
        "peak_load": np.round(load[index, peak], 2),
        "peak_window": [windows[t] if windows else "" for t in peak],
        "utilisation": np.round(fill[index, peak], 4),
    })  # fmt: skip


def served_workers(pieces: pd.DataFrame, inputs: CapacityInputs, served: np.ndarray) -> np.ndarray:
    """Workers served of each demand piece: its workers x the share of its day's visits the stations can take.

    A column's served share in a window (served / load) applies alike to every group at the column; a piece's
    share of the day weighs the windows by its group's visit-minutes in them (rate x hours).

    Parameters
    ----------
    pieces : pandas.DataFrame
        Demand pieces (``group``, ``weight``, ``column``).
    inputs : CapacityInputs
    served : numpy.ndarray
        (columns, T) person-minutes per hour served.

    Returns
    -------
    numpy.ndarray
        Workers served per piece (0 to the piece's weight).
    """
    load = inputs.load
    share = np.divide(served, load, out=np.zeros_like(load, dtype=float), where=load > 0)
    share = np.clip(share, 0.0, 1.0)
    out = np.zeros(len(pieces))
    groups = pieces["group"].astype(str).to_numpy()
    columns = pieces["column"].to_numpy(dtype=np.int64)
    weight = pieces["weight"].to_numpy(dtype=float)
    if inputs.shift_rates and "shift" in pieces.columns:  # split by shift: a piece's day is its own shift
        kinds = {key: np.flatnonzero((groups == key[0]) & (pieces["shift"].astype(str).to_numpy() == key[1]))
                 for key in inputs.shift_rates}  # fmt: skip
        rates = inputs.shift_rates
    else:
        kinds = {group: np.flatnonzero(groups == group) for group in inputs.rates}
        rates = inputs.rates
    for kind, rate in rates.items():
        rows = kinds[kind]
        day = rate * inputs.window_hours
        if not len(rows) or day.sum() <= 0:
            continue
        out[rows] = weight[rows] * (share[columns[rows]] @ day) / day.sum()
    return out
