"""Station capacity from floor area, and the load of demand by time of day (issue 16, parts 1 and 2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geoplan import i18n
from geoplan.errors import InputError
from geoplan.planning.capacity import (
    capacity_inputs,
    load_matrix,
    people_at_once,
    served_workers,
    site_capacity,
    time_windows,
)
from geoplan.planning.parameters import PlanParameters


def test_people_at_once_is_floor_area_times_density_rounded_down_at_least_one():
    people = people_at_once(np.array([9.0, 12.0, 1.0, np.nan]), 0.5)
    np.testing.assert_array_equal(people[:3], [4.0, 6.0, 1.0])
    assert np.isnan(people[3])


def test_site_capacity_one_option_per_site_and_two_where_a_site_declares_more_space():
    sites = pd.DataFrame(
        {"source": ["roadside", "host", "user", "user", "fixed"], "footprint_m2": [9.0, 9.0, 30.0, 9.0, 20.0]}
    )
    options = site_capacity(sites, min_area_m2=9.0, people_per_m2=0.5)
    assert options.n_sizes == 2
    np.testing.assert_array_equal(options.floor_m2[:, 0], [9.0, 9.0, 9.0, 9.0, 20.0])
    np.testing.assert_array_equal(options.people[:, 0], [4.0, 4.0, 4.0, 4.0, 10.0])
    # Only the planner's site of 30 m² may be enlarged: 15 people, 900 person-minutes per hour.
    assert options.floor_m2[2, 1] == 30.0
    assert options.per_hour[2, 1] == 900.0
    assert np.isnan(options.per_hour[[0, 1, 3, 4], 1]).all()
    np.testing.assert_array_equal(options.per_hour[:, 0], [240.0, 240.0, 240.0, 240.0, 600.0])


def test_site_capacity_single_option_and_an_existing_station_s_own_capacity():
    sites = pd.DataFrame({"source": ["roadside", "fixed"], "footprint_m2": [9.0, 9.0]})
    options = site_capacity(sites, 9.0, 0.5, given_people=np.array([np.nan, 12.0]))
    assert options.n_sizes == 1
    np.testing.assert_array_equal(options.per_hour[:, 0], [240.0, 720.0])


def test_time_windows_are_the_elementary_intervals_of_the_shifts():
    labels, hours, covers = time_windows(["06:00-14:00", "12:00-20:00"])
    assert labels == ["06:00-12:00", "12:00-14:00", "14:00-20:00"]
    np.testing.assert_array_equal(hours, [6.0, 2.0, 6.0])
    np.testing.assert_array_equal(covers, [[True, True, False], [False, True, True]])
    labels, hours, _ = time_windows(["22:00-06:00"])
    assert labels == ["22:00-06:00"]
    np.testing.assert_array_equal(hours, [8.0])


def test_load_matrix_two_groups_with_overlapping_shifts_worked_by_hand():
    # sanitation: 70% on 03:30-11:30 (8 h), 30% on 13:00-19:00 (6 h); 2 visits of 20 min per shift.
    # couriers: 35% on 10:30-13:30 (3 h), 35% on 16:30-19:30 (3 h), 30% on 21:00-01:00 (4 h); 1 visit of 20 min,
    # here set to 30 min.
    pieces = pd.DataFrame({"group": ["sanitation", "couriers", "couriers"], "weight": [10.0, 6.0, 3.0],
                           "column": [0, 0, 1]})  # fmt: skip
    load, labels, hours, rates = load_matrix(pieces, 2, visit_minutes={"couriers": 30.0})
    assert labels == ["03:30-10:30", "10:30-11:30", "11:30-13:00", "13:00-13:30", "13:30-16:30", "16:30-19:00",
                      "19:00-19:30", "21:00-01:00"]  # fmt: skip
    sanitation_dawn = 0.7 * 2 / 8 * 20  # 3.5 person-min/h per sweeper
    sanitation_day = 0.3 * 2 / 6 * 20  # 2.0
    courier_peak = 0.35 * 1 / 3 * 30  # 3.5
    courier_night = 0.3 * 1 / 4 * 30  # 2.25
    np.testing.assert_allclose(rates["sanitation"], [sanitation_dawn, sanitation_dawn, 0, sanitation_day,
                                                     sanitation_day, sanitation_day, 0, 0])  # fmt: skip
    np.testing.assert_allclose(rates["couriers"], [0, courier_peak, courier_peak, courier_peak, 0, courier_peak,
                                                   courier_peak, courier_night])  # fmt: skip
    # The overlap 10:30-11:30: 10 sweepers x 3.5 + 6 riders x 3.5 = 56 person-minutes per hour at column 0.
    assert load[0, 1] == pytest.approx(56.0)
    assert load[0, 0] == pytest.approx(35.0)
    assert load[0, 3] == pytest.approx(10 * 2.0 + 6 * 3.5)
    np.testing.assert_allclose(load[1], 3 * rates["couriers"])
    np.testing.assert_array_equal(hours, [7.0, 1.0, 1.5, 0.5, 3.0, 2.5, 0.5, 4.0])
    # Each group's daily visit-minutes add up: workers x visits per shift x minutes.
    assert (rates["sanitation"] * hours).sum() == pytest.approx(2 * 20)
    assert (rates["couriers"] * hours).sum() == pytest.approx(1 * 30)


def test_load_matrix_takes_shift_shares_from_the_parameters():
    pieces = pd.DataFrame({"group": ["couriers"], "weight": [8.0], "column": [0]})
    load, labels, _, _ = load_matrix(pieces, 1, shift_shares={"couriers": {"11:00-13:00": 3, "17:00-19:00": 1}})
    assert labels == ["11:00-13:00", "17:00-19:00"]
    np.testing.assert_allclose(load[0], [8 * 0.75 / 2 * 20, 8 * 0.25 / 2 * 20])


def test_served_workers_share_a_column_s_served_visits_among_its_groups():
    sites = pd.DataFrame({"source": ["roadside"], "footprint_m2": [9.0]})
    pieces = pd.DataFrame({"group": ["sanitation", "couriers"], "weight": [10.0, 6.0], "column": [0, 0]})
    inputs = capacity_inputs(sites, pieces, 1, 9.0)
    np.testing.assert_allclose(served_workers(pieces, inputs, inputs.load), [10.0, 6.0])
    np.testing.assert_allclose(served_workers(pieces, inputs, inputs.load / 2), [5.0, 3.0])
    np.testing.assert_allclose(served_workers(pieces, inputs, np.zeros_like(inputs.load)), [0.0, 0.0])


def test_visit_minutes_of_a_group_without_demand_are_refused():
    sites = pd.DataFrame({"source": ["roadside"], "footprint_m2": [9.0]})
    pieces = pd.DataFrame({"group": ["couriers"], "weight": [1.0], "column": [0]})
    with pytest.raises(InputError, match="sweepers") as caught:
        capacity_inputs(sites, pieces, 1, 9.0, visit_minutes={"sweepers": 10.0})
    assert caught.value.code == "visit_minutes_unknown_group"


@pytest.mark.parametrize(
    ("params", "code", "zh", "en"),
    [
        ({"people_per_m2": 0.0}, "people_per_m2_not_positive", "每平方米同时容纳人数", "People at once per m²"),
        ({"people_per_m2": float("nan")}, "people_per_m2_not_positive", "须为正数", "positive"),
        ({"visit_minutes": {"couriers": 0}}, "visit_minutes_bad", "快递员与外卖骑手", "'couriers'"),
        ({"capacitated": True, "target_coverage": 0.9}, "capacitated_conflict", "--target-coverage", "--target"),
        ({"capacitated": True, "max_gap_m": 800.0}, "capacitated_conflict", "按容量规划", "capacitated"),
    ],
)
def test_bad_capacity_parameters_are_refused_with_codes(params, code, zh, en):
    with pytest.raises(InputError) as caught:
        PlanParameters(**params)
    assert caught.value.code == code
    assert zh in i18n.error_text(caught.value, "zh")
    assert en in i18n.error_text(caught.value, "en")


def test_capacity_parameters_are_stored_and_read_back():
    params = PlanParameters(capacitated=True, people_per_m2=0.25, visit_minutes={"couriers": 30.0})
    data = params.to_json()
    assert data["capacitated"] is True
    assert data["visit_minutes"] == {"couriers": 30.0}
    assert PlanParameters.from_json(data) == params
    with pytest.raises(InputError) as caught:
        PlanParameters.from_json({"capacitated": "yes"})
    assert caught.value.code == "param_not_boolean"
    # Capacity only steers the solve: plans with and without it share one prepared model.
    assert params.for_preparation() == PlanParameters()
