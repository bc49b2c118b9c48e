"""Time of day: opening hours, shift windows, and coverage that counts only stations open during a shift.

A worker counts as covered only by a station that is open for at least ``min_overlap_min`` minutes of the worker's
shift (long enough to rest, eat or charge a phone). Sanitation crews start between 3:00 and 5:30, riders peak at
meal times and late in the evening, while a typical station opens 8:30-17:00: the model can offer each site in
several opening-hours options (for example standard hours or 24 hours) and choose, under a quota on how many
24-hour stations the union can staff, where a 24-hour station pays off.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from geoplan import i18n
from geoplan.siting.model import Quota

MINUTES_PER_DAY = 24 * 60

_ALL_DAY = {"24h", "24 h", "24/7", "24小时", "全天", "00:00-24:00", "0:00-24:00"}
_SPAN = re.compile(r"^\s*(\d{1,2})[:：](\d{2})\s*[-–~至]\s*(\d{1,2})[:：](\d{2})\s*$")


@dataclass(frozen=True)
class Hours:
    """A set of daily time windows (opening hours or a shift), as a minute-of-day mask.

    Attributes
    ----------
    label : str
        The text it was parsed from, normalised (``"08:30-17:00"``, ``"24h"``, ``"08:00-12:00,14:00-18:00"``).
    minutes : numpy.ndarray
        Boolean mask of the 1,440 minutes of a day.
    """

    label: str
    minutes: np.ndarray

    def overlap(self, other: Hours) -> int:
        """Minutes of the day inside both."""
        return int(np.count_nonzero(self.minutes & other.minutes))


def parse_hours(text: str) -> Hours:
    """Parse opening hours or a shift.

    Accepted: ``"08:30-17:00"``, ``"22:00-06:00"`` (overnight), ``"24h"``, or several windows separated by commas
    (``"08:00-12:00,14:00-18:00"``).

    Raises
    ------
    InputError
        The text is not in one of these forms, or a time is out of range.
    """
    cleaned = str(text).strip().replace("，", ",").replace("；", ",").replace(";", ",")
    if cleaned.lower() in _ALL_DAY:
        return Hours("24h", np.ones(MINUTES_PER_DAY, dtype=bool))
    mask = np.zeros(MINUTES_PER_DAY, dtype=bool)
    labels = []
    for part in cleaned.split(","):
        match = _SPAN.match(part)
        if not match:
            raise i18n.input_error("hours_bad_form", hours=str(text))
        h1, m1, h2, m2 = (int(x) for x in match.groups())
        if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59 or (h1 == 24 and m1) or (h2 == 24 and m2):
            raise i18n.input_error("hours_not_time", hours=str(text), part=part.strip())
        start, end = (h1 * 60 + m1) % MINUTES_PER_DAY, h2 * 60 + m2  # 24:00 opens at 0:00, closes at day end
        if end == start or (end == MINUTES_PER_DAY and start == 0 and h1 == 24):
            raise i18n.input_error("hours_empty", hours=str(text), part=part.strip())
        if start < end:
            mask[start:end] = True
        else:  # overnight
            mask[start:] = True
            mask[:end] = True
        labels.append(f"{h1:02d}:{m1:02d}-{h2:02d}:{m2:02d}")
    return Hours(",".join(labels), mask)


@dataclass(frozen=True)
class OptionModel:
    """A covering model whose candidates are (site, opening-hours option) pairs.

    Attributes
    ----------
    coverage : scipy.sparse.csr_array
        (sites * options) x demand-shift columns: option row ``o * n_sites + j`` covers a column when site ``j``
        covers its location and option ``o`` is open at least ``min_overlap_min`` minutes of its shift.
    site : numpy.ndarray
        Site index of each option row.
    option : numpy.ndarray
        Option index of each option row.
    one_per_site : Quota
        At most one option per site (and at least one for fixed sites).
    """

    coverage: sp.csr_array
    site: np.ndarray
    option: np.ndarray
    one_per_site: Quota

    def rows_of(self, sites: Sequence[int] | np.ndarray) -> np.ndarray:
        """All option rows of these sites."""
        return np.flatnonzero(np.isin(self.site, np.asarray(sites, dtype=np.int64)))

    def expand_conflicts(self, conflicts: np.ndarray) -> np.ndarray:
        """Site conflict pairs as option-row pairs (every option of one site against every option of the other)."""
        conflicts = np.asarray(conflicts, dtype=np.int64).reshape(-1, 2)
        k = int(self.option.max(initial=-1)) + 1
        n = len(self.site) // max(k, 1)
        first, second = (grid.ravel() for grid in np.meshgrid(np.arange(k), np.arange(k), indexing="ij"))
        a = (first[None, :] * n + conflicts[:, :1]).ravel()
        b = (second[None, :] * n + conflicts[:, 1:]).ravel()
        return np.column_stack([a, b])


def option_model(
    coverage: sp.csr_array,
    column_shift: np.ndarray,
    shifts: Sequence[Hours],
    options: Sequence[Hours],
    fixed_sites: Sequence[int] = (),
    min_overlap_min: int = 60,
) -> OptionModel:
    """Expand a site x column coverage matrix into (site, opening-hours option) rows.

    Parameters
    ----------
    coverage : scipy.sparse.csr_array
        Sites x demand columns (0/1), one column per (location, shift) demand piece.
    column_shift : numpy.ndarray
        Index into ``shifts`` of each column.
    shifts : sequence of Hours
        The shift windows.
    options : sequence of Hours
        Opening-hours options offered for every site.
    fixed_sites : sequence of int
        Sites that must be open (with one of the options).
    min_overlap_min : int
        Minutes of overlap between a shift and the opening hours for the station to count.

    Returns
    -------
    OptionModel
    """
    if not options:
        raise i18n.input_error("hours_no_option")
    coverage = sp.csr_array(coverage)
    n = coverage.shape[0]
    open_during = np.array([[o.overlap(s) >= min_overlap_min for s in shifts] for o in options], dtype=float)
    blocks = [coverage @ sp.diags_array(open_during[o][np.asarray(column_shift)]) for o in range(len(options))]
    stacked = sp.csr_array(sp.vstack(blocks, format="csr"))
    stacked.eliminate_zeros()
    site = np.tile(np.arange(n), len(options))
    option = np.repeat(np.arange(len(options)), n)
    quota = Quota(
        "site",
        site.astype(object),
        minimum={int(j): 1 for j in fixed_sites},
        maximum=dict.fromkeys(range(n), 1),
    )
    return OptionModel(stacked, site, option, quota)
