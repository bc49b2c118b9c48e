"""The pieces of observed layers: stay points against hand-worked tracks, clusters, densities and the privacy cells."""

from __future__ import annotations

import numpy as np
import pytest

from geoplan.inputs.observed import (
    BANDWIDTHS_M,
    busiest_count,
    cell_keys,
    cluster_stays,
    count_at,
    distinct_per_cell,
    kernel_density,
    stay_points,
    tracks,
)


def _stays(x, y, t, worker=None, radius=100.0, minutes=5.0, gap_minutes=20.0):
    x, y, t = (np.asarray(v, dtype=float) for v in (x, y, t))
    worker = np.zeros(len(x), dtype=np.int32) if worker is None else np.asarray(worker, dtype=np.int32)
    seconds = t.astype(np.int64)
    track = tracks(worker, seconds, gap_minutes * 60)
    return stay_points(x, y, seconds, track, worker, radius, minutes * 60)


def test_a_worker_waiting_then_riding_off_has_one_stay_from_the_first_to_the_last_ping_within_the_radius():
    # pings a minute apart: 8 minutes around (0, 0) within 30 m, then away at 300 m a minute
    x = [0, 10, 20, 30, 20, 10, 0, 5, 5, 300, 600, 900]
    y = [0, 0, 5, 0, -5, 0, 5, 0, 0, 0, 0, 0]
    t = [60 * i for i in range(12)]
    stays = _stays(x, y, t)
    assert len(stays) == 1
    assert (stays.start[0], stays.end[0]) == (0, 9)  # pings 0..8
    assert stays.dwell_s[0] == 480
    assert stays.x[0] == pytest.approx(np.mean(x[:9]))
    assert stays.y[0] == pytest.approx(np.mean(y[:9]))


def test_a_short_wait_is_not_a_stay_and_a_slow_drift_ends_the_stay_where_it_leaves_the_radius():
    # 4 minutes at one spot (< 5): no stay
    assert len(_stays([0, 0, 0, 0, 0, 500], [0] * 6, [0, 60, 120, 180, 240, 300])) == 0
    # drifting 40 m a minute: from ping 0 the radius is left at ping 3 (120 m) after 3 minutes: no stay from 0;
    # from ping 1 likewise; nothing stays 5 minutes within 100 m
    assert len(_stays([40 * i for i in range(10)], [0] * 10, [60 * i for i in range(10)])) == 0
    # 6 minutes within 100 m of the first ping, then a point 101 m away: the stay ends before it
    x = [0, 20, 40, 60, 80, 100, 100, 101, 400]
    stays = _stays(x, [0] * 9, [60 * i for i in range(9)])
    assert (stays.start.tolist(), stays.end.tolist(), stays.dwell_s.tolist()) == ([0], [7], [360.0])


def test_stays_after_a_stay_and_per_worker_and_never_across_a_silence():
    # worker 0: stay, ride, second stay; worker 1 (same places, same times): its own two stays
    one = ([0] * 7 + [1000] * 7, [0] * 14, [60 * i for i in range(7)] + [60 * i for i in range(10, 17)])
    x = one[0] + one[0]
    t = one[2] + one[2]
    worker = [0] * 14 + [1] * 14
    stays = _stays(x, [0] * 28, t, worker)
    assert stays.worker.tolist() == [0, 0, 1, 1]
    assert stays.start.tolist() == [0, 7, 14, 21]
    assert stays.dwell_s.tolist() == [360.0] * 4
    # the same place before and after a 2-hour silence: two tracks, neither long enough alone
    silent = _stays([0, 0, 0, 0, 0, 0], [0] * 6, [0, 60, 120, 7320, 7380, 7440])
    assert len(silent) == 0
    assert len(_stays([0, 0, 0, 0, 0, 0], [0] * 6, [0, 60, 120, 7320, 7380, 7440], gap_minutes=180)) == 1


def test_the_stay_scan_agrees_with_the_plain_loop_of_the_rule_on_random_tracks():
    rng = np.random.default_rng(3)
    for _ in range(20):
        n = 400
        steps = rng.choice([0.0, 5.0, 60.0], size=n, p=[0.5, 0.3, 0.2])
        angle = rng.uniform(0, 2 * np.pi, n)
        x, y = np.cumsum(steps * np.cos(angle)), np.cumsum(steps * np.sin(angle))
        t = np.cumsum(rng.integers(10, 90, n))
        worker = np.repeat([0, 1], n // 2)
        t[n // 2 :] -= t[n // 2] - t[0]
        stays = _stays(x, y, t, worker, radius=50.0, minutes=4.0, gap_minutes=600)
        assert list(zip(stays.start.tolist(), stays.end.tolist(), strict=True)) == _plain(x, y, t, worker, 50.0, 240)


def _plain(x, y, t, worker, radius, min_s):
    """The stay-point rule as a plain loop (Li et al. 2008), for comparison."""
    found, i, n = [], 0, len(x)
    while i < n:
        j = i + 1
        while j < n and worker[j] == worker[i] and np.hypot(x[j] - x[i], y[j] - y[i]) <= radius:
            j += 1
        if t[j - 1] - t[i] >= min_s:
            found.append((i, j))
            i = j
        else:
            i += 1
    return found


def test_stays_at_one_place_cluster_together_and_stays_apart_do_not():
    x = np.array([0.0, 30.0, 60.0, 5000.0, 5040.0, 9000.0])
    y = np.zeros(6)
    from geoplan.inputs.observed import Stays

    stays = Stays(x, y, np.arange(6, dtype=np.int32), np.arange(6), np.arange(6) + 1, np.full(6, 600.0))
    label = cluster_stays(stays, eps_m=50.0)
    assert label[0] == label[1] == label[2]
    assert label[3] == label[4] != label[0]
    assert len(set(label.tolist())) == 3


def test_the_density_chooses_a_bandwidth_near_the_spread_of_the_points_and_honours_weights():
    rng = np.random.default_rng(5)
    tight = rng.normal(0, 60, (1500, 2))
    wide = rng.normal(0, 600, (1500, 2))
    at = np.array([[0.0, 0.0], [3000.0, 0.0]])
    small = kernel_density(tight, at)
    large = kernel_density(wide, at)
    assert small.bandwidth_m < large.bandwidth_m
    assert small.bandwidth_m in BANDWIDTHS_M
    assert large.scores[large.bandwidth_m] == max(large.scores.values())
    assert small.values[0] > large.values[0] > 0
    # two clumps; weighting one ten times moves the density there
    left, right = rng.normal((-2000, 0), 50, (300, 2)), rng.normal((2000, 0), 50, (300, 2))
    both = np.vstack([left, right])
    weights = np.r_[np.full(300, 10.0), np.ones(300)]
    places = np.array([[-2000.0, 0.0], [2000.0, 0.0]])
    plain = kernel_density(both, places).values
    weighted = kernel_density(both, places, weights=weights).values
    assert plain[0] == pytest.approx(plain[1], rel=0.3)
    assert weighted[0] > 5 * weighted[1]


def test_privacy_cells_count_distinct_workers_not_pings():
    x = np.array([10.0, 20.0, 30.0, 40.0, 260.0, 270.0])
    y = np.zeros(6)
    who = np.array([1, 1, 1, 2, 3, 4])
    cells, counts = distinct_per_cell(cell_keys(x, y, 250.0), who)
    looked = count_at(cell_keys(np.array([0.0, 255.0, 900.0]), np.zeros(3), 250.0), cells, counts)
    assert looked.tolist() == [2, 2, 0]
    nothing = distinct_per_cell(np.zeros(0, np.int64), np.zeros(0))
    assert count_at(cell_keys(np.array([1.0]), np.zeros(1), 250.0), *nothing).tolist() == [0]


def test_the_default_headcount_is_the_most_workers_seen_within_a_quarter_hour():
    worker = np.array([0, 0, 1, 2, 2, 3])
    seconds = np.array([0, 100, 200, 950, 960, 1000])  # window 0: workers 0, 1; window 1: 2, 3
    assert busiest_count(worker, seconds) == 2
    assert busiest_count(worker, seconds, window_s=3600) == 4
    assert busiest_count(np.zeros(0, np.int32), np.zeros(0, np.int64)) == 0
