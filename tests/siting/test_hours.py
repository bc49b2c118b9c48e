"""Opening hours and shifts (geoplan.siting.hours): parsing, overlaps and the (site, option) covering model.

Expected minute counts and overlaps are computed here from (start, end) minute intervals, not with geoplan code;
the option model's optimum is checked against a brute force over one opening-hours option per chosen site.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from geoplan.errors import InputError
from geoplan.siting import Quota, solve_mclp
from geoplan.siting.hours import MINUTES_PER_DAY, Hours, option_model, parse_hours

# ---------------------------------------------------------------------------------------------------------------
# reference: minute sets of (start, end) windows in minutes, overnight when start > end


def minute_set(*windows: tuple[int, int]) -> set[int]:
    minutes: set[int] = set()
    for start, end in windows:
        if start < end:
            minutes |= set(range(start, end))
        else:
            minutes |= set(range(start, MINUTES_PER_DAY)) | set(range(end))
    return minutes


def hm(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


# ---------------------------------------------------------------------------------------------------------------
# parse_hours


@pytest.mark.parametrize(
    ("text", "label", "windows"),
    [
        ("08:30-17:00", "08:30-17:00", [("08:30", "17:00")]),
        ("22:00-06:00", "22:00-06:00", [("22:00", "06:00")]),
        ("08:00-12:00,14:00-18:00", "08:00-12:00,14:00-18:00", [("08:00", "12:00"), ("14:00", "18:00")]),
        ("8:30-17:00", "08:30-17:00", [("08:30", "17:00")]),
        (" 08:30 - 17:00 ", "08:30-17:00", [("08:30", "17:00")]),
        ("08:30~17:00", "08:30-17:00", [("08:30", "17:00")]),
        ("08:30–17:00", "08:30-17:00", [("08:30", "17:00")]),
        ("08:30至17:00", "08:30-17:00", [("08:30", "17:00")]),
        ("08：30-17：00", "08:30-17:00", [("08:30", "17:00")]),
        ("08:00-12:00，14:00-18:00", "08:00-12:00,14:00-18:00", [("08:00", "12:00"), ("14:00", "18:00")]),
        ("08:00-12:00；14:00-18:00", "08:00-12:00,14:00-18:00", [("08:00", "12:00"), ("14:00", "18:00")]),
        ("08:00-12:00;14:00-18:00", "08:00-12:00,14:00-18:00", [("08:00", "12:00"), ("14:00", "18:00")]),
        ("08:00-12:00,10:00-14:00", "08:00-12:00,10:00-14:00", [("08:00", "12:00"), ("10:00", "14:00")]),
        ("06:00-24:00", "06:00-24:00", [("06:00", "24:00")]),
        ("23:30-00:30", "23:30-00:30", [("23:30", "00:30")]),
        ("03:00-05:30", "03:00-05:30", [("03:00", "05:30")]),
    ],
)
def test_parse_windows(text, label, windows):
    hours = parse_hours(text)
    assert isinstance(hours, Hours)
    assert hours.label == label
    assert hours.minutes.dtype == bool
    assert hours.minutes.shape == (MINUTES_PER_DAY,)
    expected = minute_set(*((hm(a), hm(b)) for a, b in windows))
    assert set(np.flatnonzero(hours.minutes).tolist()) == expected


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("08:30-17:00", 510),
        ("22:00-06:00", 480),
        ("08:00-12:00,14:00-18:00", 480),
        ("08:00-12:00,10:00-14:00", 360),
        ("23:30-00:30", 60),
        ("06:00-24:00", 1080),
    ],
)
def test_parse_minute_counts(text, minutes):
    assert int(parse_hours(text).minutes.sum()) == minutes


@pytest.mark.parametrize(
    "text", ["24h", "24H", "24 h", "24/7", "24小时", "全天", " 全天 ", "00:00-24:00", "0:00-24:00"]
)
def test_parse_all_day(text):
    hours = parse_hours(text)
    assert hours.label == "24h"
    assert int(hours.minutes.sum()) == 1440


def test_parse_all_day_written_as_span_with_spaces():
    hours = parse_hours("00:00 - 24:00")
    assert int(hours.minutes.sum()) == 1440


@pytest.mark.parametrize(
    "text",
    [
        "25:00-26:00",
        "08:00-25:00",
        "08:60-17:00",
        "24:30-06:00",
        "8-17",
        "",
        "   ",
        "08:00-08:00",
        "24:00-24:00",
        "08:30：17:00",  # a full-width colon is accepted between hours and minutes, not between two times
        "08:30",
        "08:30-17:00,",
        "0830-1700",
        "08:30-17:00-18:00",
        "open all day",
    ],
)
def test_parse_errors(text):
    with pytest.raises(InputError, match="Hours"):
        parse_hours(text)


def test_parse_error_messages():
    with pytest.raises(InputError, match="not a time of day"):
        parse_hours("25:00-26:00")
    with pytest.raises(InputError, match="is empty"):
        parse_hours("08:00-08:00")
    with pytest.raises(InputError, match="HH:MM-HH:MM"):
        parse_hours("8-17")
    with pytest.raises(InputError, match="HH:MM-HH:MM"):
        parse_hours("")


def test_parse_midnight_to_midnight_is_not_silently_empty():
    # "24:00-00:00" starts and ends at the same instant (midnight), like "08:00-08:00", which is refused as empty.
    # Here the overnight branch fills minutes 1440.. and ..0, i.e. nothing: an empty opening-hours mask.
    try:
        hours = parse_hours("24:00-00:00")
    except InputError:
        return
    assert hours.minutes.any(), "24:00-00:00 parsed to an empty set of minutes without an error"


# ---------------------------------------------------------------------------------------------------------------
# Hours.overlap


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("08:30-17:00", "24h", 510),
        ("08:30-17:00", "03:00-05:30", 0),
        ("08:30-17:00", "11:00-13:00", 120),
        ("08:30-17:00", "16:00-20:00", 60),
        ("08:30-17:00", "16:30-20:00", 30),
        ("08:30-17:00", "22:00-06:00", 0),
        ("22:00-06:00", "05:00-09:00", 60),
        ("22:00-06:00", "23:00-01:00", 120),
        ("08:00-12:00,14:00-18:00", "11:00-15:00", 120),
        ("24h", "全天", 1440),
    ],
)
def test_overlap(a, b, expected):
    ha, hb = parse_hours(a), parse_hours(b)
    assert ha.overlap(hb) == expected
    assert hb.overlap(ha) == expected
    assert ha.overlap(ha) == int(ha.minutes.sum())


# ---------------------------------------------------------------------------------------------------------------
# option_model

#: Shifts as (text, minute windows) and opening-hours options; expected overlaps follow from the windows.
SHIFTS = [
    ("03:00-05:30", [(180, 330)]),  # sanitation, before standard hours
    ("08:30-17:00", [(510, 1020)]),  # office hours
    ("11:00-13:00", [(660, 780)]),  # lunch peak of riders
    ("16:00-20:00", [(960, 1200)]),  # exactly 60 minutes inside standard hours
    ("16:30-20:00", [(990, 1200)]),  # 30 minutes inside standard hours
    ("21:00-02:00", [(1260, 120)]),  # late riders, overnight
]
OPTIONS = [("08:30-17:00", [(510, 1020)]), ("24h", [(0, 1440)])]


def expected_open(min_overlap: int) -> np.ndarray:
    """options x shifts: whether the option is open at least ``min_overlap`` minutes of the shift."""
    return np.array(
        [[len(minute_set(*o) & minute_set(*s)) >= min_overlap for _, s in SHIFTS] for _, o in OPTIONS], dtype=bool
    )


def small_model(seed: int, n_sites: int = 5, n_locations: int = 6):
    """Sites x (location, shift) columns; column weights; the column's shift index."""
    rng = np.random.default_rng(seed)
    reach = rng.random((n_sites, n_locations)) < 0.35
    reach[rng.integers(0, n_sites, n_locations), np.arange(n_locations)] = True
    column_shift = np.tile(np.arange(len(SHIFTS)), n_locations)
    location = np.repeat(np.arange(n_locations), len(SHIFTS))
    coverage = reach[:, location]
    weights = rng.integers(1, 10, size=coverage.shape[1]).astype(float)
    return coverage, weights, column_shift


def test_expected_open_table():
    # Standard hours: no for sanitation, yes office, yes lunch, yes at exactly 60, no at 30, no overnight.
    assert expected_open(60)[0].tolist() == [False, True, True, True, False, False]
    assert expected_open(60)[1].all()
    assert expected_open(30)[0].tolist() == [False, True, True, True, True, False]


@pytest.mark.parametrize("min_overlap", [60, 30, 121])
def test_option_rows(min_overlap):
    coverage, _, column_shift = small_model(1)
    n = coverage.shape[0]
    shifts = [parse_hours(text) for text, _ in SHIFTS]
    options = [parse_hours(text) for text, _ in OPTIONS]
    kwargs = {} if min_overlap == 60 else {"min_overlap_min": min_overlap}
    om = option_model(sp.csr_array(coverage.astype(float)), column_shift, shifts, options, **kwargs)
    table = expected_open(min_overlap)
    assert om.coverage.shape == (n * len(OPTIONS), coverage.shape[1])
    dense = om.coverage.toarray() != 0
    for o in range(len(OPTIONS)):
        for j in range(n):
            row = o * n + j
            assert om.site[row] == j
            assert om.option[row] == o
            assert dense[row].tolist() == (coverage[j] & table[o][column_shift]).tolist(), (o, j)
    assert om.rows_of([2]).tolist() == [2, n + 2]
    assert om.rows_of([0, 3]).tolist() == [0, 3, n, n + 3]


def test_option_model_accepts_dense_coverage():
    coverage, _, column_shift = small_model(2)
    shifts = [parse_hours(text) for text, _ in SHIFTS]
    options = [parse_hours(text) for text, _ in OPTIONS]
    dense = option_model(coverage.astype(float), column_shift, shifts, options)
    sparse = option_model(sp.csr_array(coverage.astype(float)), column_shift, shifts, options)
    assert (dense.coverage != sparse.coverage).nnz == 0


def test_option_model_needs_an_option():
    coverage, _, column_shift = small_model(3)
    with pytest.raises(InputError):
        option_model(sp.csr_array(coverage.astype(float)), column_shift, [parse_hours("24h")] * len(SHIFTS), [])


def test_one_per_site_quota():
    coverage, _, column_shift = small_model(4)
    n = coverage.shape[0]
    shifts = [parse_hours(text) for text, _ in SHIFTS]
    options = [parse_hours(text) for text, _ in OPTIONS]
    om = option_model(sp.csr_array(coverage.astype(float)), column_shift, shifts, options, fixed_sites=[1, 3])
    quota = om.one_per_site
    assert len(quota.labels) == n * len(OPTIONS)
    assert [quota.labels[o * n + j] for o in range(2) for j in range(n)] == [j for _ in range(2) for j in range(n)]
    assert dict(quota.maximum) == dict.fromkeys(range(n), 1)
    assert dict(quota.minimum) == {1: 1, 3: 1}


def test_expand_conflicts():
    coverage, _, column_shift = small_model(5)
    n = coverage.shape[0]
    shifts = [parse_hours(text) for text, _ in SHIFTS]
    options = [parse_hours(text) for text, _ in [*OPTIONS, ("18:00-23:00", [])]]
    om = option_model(sp.csr_array(coverage.astype(float)), column_shift, shifts, options)
    k = len(options)
    pairs = om.expand_conflicts(np.array([[0, 2], [1, 4]]))
    assert pairs.shape == (2 * k * k, 2)
    got = {tuple(sorted(pair)) for pair in pairs.tolist()}
    expected = {
        tuple(sorted((o1 * n + a, o2 * n + b))) for a, b in [(0, 2), (1, 4)] for o1 in range(k) for o2 in range(k)
    }
    assert got == expected
    assert om.expand_conflicts(np.zeros((0, 2), dtype=np.int64)).shape == (0, 2)


def brute_options(
    coverage: np.ndarray,
    weights: np.ndarray,
    column_shift: np.ndarray,
    p: int,
    max_24h: int,
    conflicts=(),
    fixed_sites=(),
    min_overlap: int = 60,
) -> float:
    """Best covered weight over p distinct sites, one option each, at most ``max_24h`` 24-hour stations."""
    n = coverage.shape[0]
    table = expected_open(min_overlap)
    best = -np.inf
    for sites in itertools.combinations(range(n), p):
        if any(a in sites and b in sites for a, b in conflicts) or not set(fixed_sites) <= set(sites):
            continue
        for choice in itertools.product(range(len(OPTIONS)), repeat=p):
            if sum(OPTIONS[o][0] == "24h" for o in choice) > max_24h:
                continue
            hit = np.zeros(coverage.shape[1], dtype=bool)
            for j, o in zip(sites, choice, strict=True):
                hit |= coverage[j] & table[o][column_shift]
            best = max(best, float(weights[hit].sum()))
    return best


@pytest.mark.parametrize(
    ("seed", "p", "max_24h"),
    [(10, 2, 0), (11, 2, 1), (12, 3, 1), (13, 3, 2), (14, 4, 1), (15, 3, 3)],
)
def test_option_model_optimum(seed, p, max_24h):
    coverage, weights, column_shift = small_model(seed)
    n = coverage.shape[0]
    shifts = [parse_hours(text) for text, _ in SHIFTS]
    options = [parse_hours(text) for text, _ in OPTIONS]
    om = option_model(sp.csr_array(coverage.astype(float)), column_shift, shifts, options)
    conflicts = [(0, 1)]
    hours = Quota("hours", np.asarray([OPTIONS[o][0] for o in om.option], dtype=object), {}, {"24h": max_24h})
    result = solve_mclp(
        om.coverage,
        weights,
        p,
        quotas=[om.one_per_site, hours],
        conflicts=om.expand_conflicts(np.array(conflicts)),
        target_gap=0,
    )
    rows = result.selected
    sites = om.site[rows].tolist()
    assert len(set(sites)) == p, "one option per site"
    assert sum(om.option[r] == 1 for r in rows) <= max_24h
    assert not (0 in sites and 1 in sites)
    assert result.status == "optimal"
    optimum = brute_options(coverage, weights, column_shift, p, max_24h, conflicts)
    assert result.objective == optimum
    # The objective is what the chosen (site, option) pairs cover, recomputed from the expected table.
    table = expected_open(60)
    hit = np.zeros(coverage.shape[1], dtype=bool)
    for r in rows:
        hit |= coverage[om.site[r]] & table[om.option[r]][column_shift]
    assert result.objective == float(weights[hit].sum())
    assert n * len(OPTIONS) == om.coverage.shape[0]


def test_option_model_fixed_site():
    coverage, weights, column_shift = small_model(20)
    shifts = [parse_hours(text) for text, _ in SHIFTS]
    options = [parse_hours(text) for text, _ in OPTIONS]
    # Site 4 must be open with some option.
    om = option_model(sp.csr_array(coverage.astype(float)), column_shift, shifts, options, fixed_sites=[4])
    hours = Quota("hours", np.asarray([OPTIONS[o][0] for o in om.option], dtype=object), {}, {"24h": 1})
    result = solve_mclp(om.coverage, weights, 2, quotas=[om.one_per_site, hours], target_gap=0)
    sites = om.site[result.selected].tolist()
    assert 4 in sites
    assert len(set(sites)) == 2
    assert result.objective == brute_options(coverage, weights, column_shift, 2, 1, fixed_sites=[4])
