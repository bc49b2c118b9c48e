"""The review map's API for a capacitated scenario (issue 16, part 4): every station carries its capacity, busiest
window load and utilisation; figures give served versus covered; re-optimising after a reject keeps capacity."""

from __future__ import annotations

import math

import pytest
from _web_helpers import API
from _web_helpers import CAPACITATED_PARAMS as PARAMS


@pytest.fixture
def capacitated(planner) -> dict:
    answer = planner.change(f"{API}/scenarios", json={"name": "容量方案", "stations": 5, "params": PARAMS})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def _check_stations(scenario: dict) -> list[dict]:
    """Check each active station's capacity figures from the answer alone; return the active stations."""
    active = [site for site in scenario["sites"] if site["status"] != "rejected"]
    assert active
    for site in active:
        assert site["capacity"] == max(1, math.floor(site["size_m2"] * 0.5 + 1e-9))
        assert site["capacity_per_hour"] == pytest.approx(site["capacity"] * 60)
        assert 0 <= site["peak_load"] <= site["capacity_per_hour"] + 1e-6
        assert site["utilisation"] == pytest.approx(site["peak_load"] / site["capacity_per_hour"], abs=1e-4)
        assert site["peak_window"]
    for site in scenario["sites"]:
        if site["status"] == "rejected":  # no figures: its "capacity" is only what a planner declared (none here)
            assert "utilisation" not in site
            assert site["capacity"] is None
    return active


def _check_served(figures: dict) -> None:
    workers = figures["workers"]
    assert 0 < workers["served"] <= workers["covered"] + 1e-6
    for part in ("by_district", "by_group"):
        for entry in figures[part].values():
            assert 0 <= entry["served"] <= entry["covered"] + 1e-6
    served = sum(entry["served"] for entry in figures["by_group"].values())
    assert served == pytest.approx(workers["served"], abs=0.05)


def test_capacitated_scenario_stations_carry_capacity_and_load(capacitated, viewer):
    assert capacitated["params"]["capacitated"] is True
    stations = _check_stations(capacitated)
    assert len(stations) == 5
    figures = capacitated["figures"]
    _check_served(figures)
    assert "stations" not in figures["capacity"]  # each station's entry is on its site
    assert figures["capacity"]["max_utilisation"] == pytest.approx(max(s["utilisation"] for s in stations))
    # Long visits: some station is full in its busiest window, and fewer workers are served than covered.
    assert figures["capacity"]["full"] >= 1
    assert figures["workers"]["served"] < figures["workers"]["covered"]
    # A viewer reads the same figures.
    again = viewer.get(f"{API}/scenarios/{capacitated['id']}").get_json()
    assert [s.get("utilisation") for s in again["sites"]] == [s.get("utilisation") for s in capacitated["sites"]]


def test_reoptimising_after_a_reject_keeps_loads_within_capacity(planner, capacitated):
    sid, busiest = capacitated["id"], max(capacitated["sites"], key=lambda s: s["utilisation"])
    rejected = planner.change(f"{API}/scenarios/{sid}/sites/{busiest['id']}",
                              json={"action": "reject", "version": capacitated["version"]})  # fmt: skip
    assert rejected.status_code == 200, rejected.get_json()
    after_reject = rejected.get_json()
    assert len(_check_stations(after_reject)) == 4  # the four left share the load out again, within capacity
    answer = planner.change(f"{API}/scenarios/{sid}/reoptimise",
                            json={"version": after_reject["version"], "time_limit": 3})  # fmt: skip
    assert answer.status_code == 200, answer.get_json()
    replanned = answer.get_json()
    stations = _check_stations(replanned)
    assert len(stations) == 5
    assert busiest["candidate_id"] not in {s["candidate_id"] for s in stations}
    assert replanned["params"]["capacitated"] is True
    _check_served(replanned["figures"])
    assert replanned["figures"]["workers"]["served"] >= after_reject["figures"]["workers"]["served"] - 1e-6


def test_compare_gives_the_capacitated_side_served_workers_and_peak_utilisation(planner, capacitated, plan_scenario):
    answer = planner.get(f"{API}/compare?a={plan_scenario['id']}&b={capacitated['id']}")
    assert answer.status_code == 200, answer.get_json()
    data = answer.get_json()
    assert "capacity" not in data["a"]["figures"]
    assert "served" not in data["workers"]["a"]
    assert data["b"]["figures"]["capacity"]["max_utilisation"] == capacitated["figures"]["capacity"]["max_utilisation"]
    assert data["workers"]["b"] == capacitated["figures"]["workers"]
    _check_served(data["b"]["figures"])
    for part in ("by_district", "by_group"):
        for row in data["rows"][part]:
            assert row["b"]["served"] == capacitated["figures"][part][row["name"]]["served"]
            assert row["a"] is None or "served" not in row["a"]
    # the page holds the key figures' table (filled and shown by compare.js when a side is capacitated)
    page = planner.get(f"/compare?a={plan_scenario['id']}&b={capacitated['id']}").text
    assert '<table class="grid compare-table" id="compare-capacity" hidden>' in page
    for label in ("覆盖与站点容量", "已覆盖劳动者（覆盖率）", "按容量可服务劳动者（比例）",
                  "站点最高利用率（最忙时段）"):  # fmt: skip
        assert label in page


def test_plain_scenario_has_no_capacity(plan_scenario, viewer):
    answer = viewer.get(f"{API}/scenarios/{plan_scenario['id']}").get_json()
    assert "capacity" not in answer["figures"]
    assert "served" not in answer["figures"]["workers"]
    assert all("utilisation" not in site for site in answer["sites"])


def test_capacitated_scenario_with_opening_hours_and_phases(planner):
    """Capacity with opening hours and phases in the review map: stations carry their hours and phase, and a
    station's busiest window is one it is open in; re-optimising keeps all of it."""
    params = dict(PARAMS, hours_options=["08:30-17:00", "24h"], max_24h=1, phases=True, district_min=0)
    answer = planner.change(f"{API}/scenarios", json={"name": "容量分时分期", "stations": 5, "params": params})
    assert answer.status_code == 201, answer.get_json()
    scenario = answer.get_json()
    stations = _check_stations(scenario)
    assert len(stations) == 5
    assert sum(s.get("hours") == "24h" for s in stations) <= 1
    assert {s.get("phase") for s in stations} == {1, 2}
    for site in stations:
        if site.get("hours") == "08:30-17:00" and site["peak_load"] > 0:
            start = int(site["peak_window"][:2]) * 60 + int(site["peak_window"][3:5])
            assert 8 * 60 + 30 <= start < 17 * 60
    _check_served(scenario["figures"])
    again = planner.change(f"{API}/scenarios/{scenario['id']}/reoptimise",
                           json={"version": scenario["version"], "time_limit": 3})  # fmt: skip
    assert again.status_code == 200, again.get_json()
    replanned = again.get_json()
    assert len(_check_stations(replanned)) == 5
    assert replanned["params"]["hours_options"] == ["08:30-17:00", "24h"]
