"""Plan-level siting variants on the real Helsinki extract: opening hours, phases, coverage targets, cross coverage,
the maximum-gap rule. Each result is checked from the plan's own tables, not from the solver's claims."""

from __future__ import annotations

import numpy as np
import pytest

from geoplan.errors import InfeasibleError, InputError
from geoplan.planning.parameters import PlanParameters
from geoplan.planning.plan import make_plan
from geoplan.siting.hours import parse_hours

#: Short cutoffs make the small extract a real choice (at 1 km everything covers everything).
WALKERS = ("sanitation", "traffic_police", "bus_drivers", "taxi_drivers", "urban_management", "repair_crews")
SHORT = {
    "cutoff_m": dict.fromkeys(WALKERS, 400.0) | {"couriers": 600.0},
    "min_spacing_m": 150.0,
    "time_limit_s": 5.0,
}


def covered_share(plan) -> float:
    demand = plan.demand
    return float(demand.loc[demand["covered"], "weight"].sum() / demand["weight"].sum())


def test_opening_hours_choose_at_most_the_allowed_24h_stations(helsinki):
    plan = make_plan(helsinki, PlanParameters(stations=8, hours_options=("08:30-17:00", "24h"), max_24h=2, **SHORT))
    hours = plan.proposals["hours"]
    assert set(hours) <= {"08:30-17:00", "24h"}
    assert (hours == "24h").sum() <= 2
    assert plan.proposals["id"].is_unique  # one option per site
    # Demand is split by shift; a piece is covered only if a station open during its shift reaches it.
    assert {"shift", "covered"} <= set(plan.demand.columns)
    standard = parse_hours("08:30-17:00")
    night = plan.demand[plan.demand["shift"].map(lambda s: parse_hours(s).overlap(standard) < 60)]
    if (hours == "24h").sum() == 0:
        assert not night["covered"].any()
    # The shift split keeps every group's total.
    assert plan.demand["weight"].sum() == pytest.approx(236.0, abs=1.0)


def test_without_24h_stations_night_shifts_are_never_covered(helsinki):
    plan = make_plan(helsinki, PlanParameters(stations=6, hours_options=("08:30-17:00",), **SHORT))
    standard = parse_hours("08:30-17:00")
    night = plan.demand["shift"].map(lambda s: parse_hours(s).overlap(standard) < 60)
    assert night.any()
    assert not plan.demand.loc[night, "covered"].any()


def test_phases_put_the_quota_stations_first(helsinki):
    plan = make_plan(helsinki, PlanParameters(stations=10, phases=True, **SHORT))
    proposals = plan.proposals
    first = proposals[proposals["phase"] == 1]
    assert len(first) == 3 + len(helsinki.planned_districts)  # city-level + one per district
    assert set(first["district"]) == set(helsinki.planned_districts)
    assert len(proposals) == 10
    assert set(proposals.loc[proposals["level"] == "city", "phase"]) == {1}


def test_coverage_target_finds_the_fewest_stations(helsinki):
    plan = make_plan(helsinki, PlanParameters(stations=20, target_coverage=0.9, **SHORT))
    assert covered_share(plan) >= 0.9
    if plan.stations - 1 >= len(helsinki.planned_districts):  # fewer would break the district minimums
        fewer = make_plan(helsinki, PlanParameters(stations=plan.stations - 1, target_gap=0.0, **SHORT))
        assert covered_share(fewer) < 0.9


def test_cross_coverage_counts_workers_within_reach_of_two_stations(helsinki):
    plain = make_plan(helsinki, PlanParameters(stations=8, **SHORT))
    backup = make_plan(helsinki, PlanParameters(stations=8, backup_weight=0.5, **SHORT))
    details = backup.result.details
    assert backup.result.objective == pytest.approx(details["covered"] + 0.5 * details["covered_twice"], rel=1e-9)
    assert details["covered_twice"] >= plain.result.details["covered_twice"] - 1e-9
    assert details["covered"] <= plain.result.details["covered"] + 1e-9


def test_maximum_gap_rule_covers_every_location_or_says_why(helsinki):
    plan = make_plan(helsinki, PlanParameters(stations=12, max_gap_m=900.0, **SHORT))
    assert len(plan.proposals) == 12
    with pytest.raises(InfeasibleError, match=r"maximum.gap"):
        make_plan(helsinki, PlanParameters(stations=5, max_gap_m=150.0, **SHORT))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("backup_weight", -1.0, "cross-coverage weight"),
        ("max_gap_m", 0.0, "maximum gap"),
        ("target_coverage", 1.5, "coverage target"),
        ("max_24h", -1, "max-24h"),
    ],
)
def test_bad_model_parameters_are_refused(field, value, message):
    with pytest.raises(InputError, match=message):
        PlanParameters(**{field: value})


def test_bad_opening_hours_are_refused(helsinki):
    with pytest.raises(InputError, match="HH:MM-HH:MM"):
        make_plan(helsinki, PlanParameters(stations=5, hours_options=("9am-5pm",), **SHORT))
    assert np.isfinite(1.0)


def test_observed_shift_shares_replace_a_groups_default_shifts(helsinki):
    observed = {"couriers": {"11:00-14:00": 0.6, "17:00-20:00": 0.2}}  # shares of an orders layer (need not add to 1)
    plan = make_plan(helsinki, PlanParameters(stations=6, hours_options=("08:30-17:00", "24h"), max_24h=1,
                                              shift_shares=observed, **SHORT))  # fmt: skip
    couriers = plan.demand[plan.demand["group"] == "couriers"]
    by_shift = couriers.groupby("shift")["weight"].sum()
    assert set(by_shift.index) == {"11:00-14:00", "17:00-20:00"}
    assert by_shift["11:00-14:00"] / by_shift.sum() == pytest.approx(0.75)
    others = plan.demand[plan.demand["group"] == "sanitation"]
    assert set(others["shift"]) == {"03:30-11:30", "13:00-19:00"}  # the defaults of groups not given
    back = PlanParameters.from_json(PlanParameters(shift_shares=observed).to_json())
    assert back.shift_shares == observed


@pytest.mark.parametrize("shares", [{"couriers": {"noon": 1.0}}, {"couriers": {"11:00-14:00": -1.0}},
                                    {"couriers": {}}, {"couriers": {"11:00-14:00": 0.0}}])  # fmt: skip
def test_bad_shift_shares_are_refused(shares):
    with pytest.raises(InputError):
        PlanParameters(shift_shares=shares)
