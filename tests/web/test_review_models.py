"""The review map plans with every model ``geoplan plan`` has, takes the planner's own files into a scenario, and
keeps planners' work apart when they re-optimise at the same time."""

from __future__ import annotations

import io
import threading

import numpy as np
import pytest

from geoplan.inputs.demand import WORKER_GROUPS

API = "/api/planner"

#: Short cutoffs, so that a few stations leave workers uncovered on the small default area.
SHORT = {"cutoff_m": dict.fromkeys(WORKER_GROUPS, 400.0), "min_spacing_m": 150.0, "time_limit_s": 3.0}


def _create(planner, name: str, params: dict, stations: int = 8) -> dict:
    response = planner.change(f"{API}/scenarios", {"name": name, "mode": "plan", "stations": stations,
                                                   "params": params})  # fmt: skip
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _reoptimise(client, scenario: dict, seconds: float = 3.0) -> dict:
    response = client.change(f"{API}/scenarios/{scenario['id']}/reoptimise",
                             {"version": scenario["version"], "time_limit": seconds})  # fmt: skip
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _decide(client, scenario: dict, site: dict, action: str) -> dict:
    response = client.change(f"{API}/scenarios/{scenario['id']}/sites/{site['id']}",
                             {"action": action, "version": scenario["version"]})  # fmt: skip
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_opening_hours_with_a_24_hour_quota(planner):
    scenario = _create(planner, "营业时间", {**SHORT, "hours_options": ["08:30-17:00", "24h"], "max_24h": 1})
    hours = [s["hours"] for s in scenario["sites"]]
    assert set(hours) <= {"08:30-17:00", "24h"}
    assert hours.count("24h") <= 1
    accepted = _decide(planner, scenario, scenario["sites"][-1], "accept")
    after = _reoptimise(planner, accepted)
    kept = next(s for s in after["sites"] if s["id"] == scenario["sites"][-1]["id"])
    assert (kept["status"], kept["hours"]) == ("accepted", scenario["sites"][-1]["hours"])
    assert [s["hours"] for s in after["sites"]].count("24h") <= 1
    assert after["figures"]["workers"]["covered"] == pytest.approx(after["result"]["objective"], abs=0.01)


def test_phases(planner, default_workspace):
    scenario = _create(planner, "分期", {**SHORT, "phases": True}, stations=10)
    phases = [s["phase"] for s in scenario["sites"]]
    first = 3 + len(default_workspace.area.planned_districts)  # city-level + one per district
    assert phases.count(1) == first
    assert phases.count(2) == 10 - first
    assert all(s["phase"] == 1 for s in scenario["sites"] if s["city_level"])
    keep = next(s for s in scenario["sites"] if s["phase"] == 2)
    after = _reoptimise(planner, _decide(planner, scenario, keep, "accept"))
    assert next(s for s in after["sites"] if s["id"] == keep["id"])["phase"] == 2
    assert [s["phase"] for s in after["sites"]].count(1) == first
    assert len(after["sites"]) == 10


def test_a_coverage_target_plans_the_fewest_stations(planner):
    scenario = _create(planner, "覆盖目标", {**SHORT, "target_coverage": 0.6}, stations=20)
    assert len(scenario["sites"]) < 20
    assert scenario["figures"]["workers"]["share"] >= 0.6


def test_cross_coverage_and_the_maximum_gap(planner):
    backup = _create(planner, "交叉覆盖", {**SHORT, "backup_weight": 0.5})
    assert backup["result"]["objective"] > backup["figures"]["workers"]["covered"]  # twice-covered workers count
    gap = _create(planner, "最大间隙", {**SHORT, "max_gap_m": 1500.0}, stations=12)
    assert gap["figures"]["stations"] == 12
    assert _reoptimise(planner, gap)["figures"]["stations"] == 12


def test_bad_parameters_are_refused_and_nothing_is_saved(planner, store):
    for params, field in (({"hours_options": "24h"}, "hours_options"), ({"bogus": 1}, "bogus"),
                          ({"phases": "yes"}, "phases"), ({"target_coverage": 2}, "覆盖目标"),
                          ({"hours_options": ["9am-5pm"]}, "9am-5pm")):  # fmt: skip
        response = planner.change(f"{API}/scenarios", {"name": "x", "mode": "plan", "params": params})
        assert response.status_code == 400, params
        assert field in response.get_json()["error"]
    assert store.scenarios() == []


# --- the planner's own files --------------------------------------------------------------------------------------


def _upload(client, scenario: dict, text: str, kind: str, name: str = "layer.csv", **fields):
    data = {"file": (io.BytesIO(text.encode("utf-8")), name), "kind": kind, "coords": "wgs84",
            "version": str(scenario["version"]), **fields}  # fmt: skip
    return client.change(f"{API}/scenarios/{scenario['id']}/data", data=data, content_type="multipart/form-data")


def _points(default_workspace, count: int, seed: int) -> np.ndarray:
    nodes = default_workspace.area.nodes.to_crs("EPSG:4326")
    rng = np.random.default_rng(seed)
    picked = nodes.iloc[rng.choice(len(nodes), size=count, replace=False)]
    return np.column_stack([picked.geometry.x, picked.geometry.y])


def test_a_demand_layer_joins_the_scenario(planner, store, plan_scenario, default_workspace):
    points = _points(default_workspace, 12, 7)
    text = "lon,lat,weight\n" + "".join(f"{x},{y},5\n" for x, y in points)
    response = _upload(planner, plan_scenario, text, "layer", group="express_riders")
    assert response.status_code == 200, response.get_json()
    scenario = response.get_json()
    assert scenario["version"] == plan_scenario["version"] + 1
    assert scenario["figures"]["by_group"]["express_riders"]["workers"] == pytest.approx(60.0)
    assert scenario["figures"]["workers"]["total"] == pytest.approx(
        plan_scenario["figures"]["workers"]["total"] + 60.0, abs=0.05
    )
    assert scenario["user_data"]["layers"] == [{"source": "layer.csv", "points": 12}]
    assert [s["candidate_id"] for s in scenario["sites"]] == [s["candidate_id"] for s in plan_scenario["sites"]]
    entry = store.audit(scenario["id"])[0]
    assert entry["action"] == "upload layer"
    # The layer stays the scenario's: reopened and re-optimised, it is still counted.
    again = planner.get(f"{API}/scenarios/{scenario['id']}").get_json()
    assert again["figures"] == scenario["figures"]
    assert _reoptimise(planner, again)["figures"]["by_group"]["express_riders"]["workers"] == pytest.approx(60.0)


def test_candidate_sites_join_the_scenario(planner, plan_scenario, default_workspace):
    points = _points(default_workspace, 3, 8)
    text = "lon,lat,footprint_m2,name\n" + "".join(f"{x},{y},15,网点{n}\n" for n, (x, y) in enumerate(points))
    response = _upload(planner, plan_scenario, text, "sites", name="sites.csv")
    assert response.status_code == 200, response.get_json()
    scenario = response.get_json()
    assert scenario["user_data"]["sites"] == {"source": "sites.csv", "points": 3}
    candidates = planner.get(f"{API}/scenarios/{scenario['id']}/candidates").get_json()["features"]
    users = [f for f in candidates if f["properties"]["source"] == "user"]
    assert sorted(f["properties"]["name"] for f in users) == ["网点0", "网点1", "网点2"]
    assert len(candidates) == len(default_workspace.candidates.sites) + 3


@pytest.mark.parametrize(
    ("text", "kind", "name", "fields", "status", "message"),
    [
        ("lon,lat,weight\n24.94,60.17,x\n", "layer", "l.csv", {"group": "couriers"}, 400, "第 2 行"),
        ("lon,lat,weight\n24.94,60.17,3\n", "layer", "l.csv", {}, 400, "group"),
        ("lon,lat,weight\n124.94,30.17,3\n", "layer", "l.csv", {"group": "couriers"}, 400, "坐标系"),
        ("lon,lat,footprint_m2\n24.94,60.17,4\n", "sites", "s.csv", {}, 400, "低于 9 平方米的最低要求"),
        ("lon,lat\n24.94,60.17\n", "sites", "s.csv", {}, 400, "footprint_m2"),
        ("lon,lat\n24.94,60.17\n", "roads", "s.csv", {}, 400, "kind"),
        ("lon,lat\n24.94,60.17\n", "sites", "s.txt", {}, 400, "s.txt"),
        ("\x00\xff\xfe garbage", "layer", "l.csv", {"group": "couriers"}, 400, "l.csv"),
    ],
)
def test_bad_uploads_change_nothing(planner, store, plan_scenario, text, kind, name, fields, status, message):
    before = store.scenario(plan_scenario["id"]), store.user_data(plan_scenario["id"]), store.audit()
    response = _upload(planner, plan_scenario, text, kind, name=name, **fields)
    assert response.status_code == status, response.get_json()
    assert message in response.get_json()["error"]
    assert "/tmp" not in response.get_json()["error"]
    assert (store.scenario(plan_scenario["id"]), store.user_data(plan_scenario["id"]), store.audit()) == before


def test_an_upload_on_a_stale_version_is_refused(planner, viewer, store, plan_scenario):
    stale = dict(plan_scenario, version=plan_scenario["version"] - 1 or 99)
    response = _upload(planner, stale, "lon,lat,weight\n24.94,60.17,3\n", "layer", group="couriers")
    assert response.status_code == 409
    response = _upload(viewer, plan_scenario, "lon,lat,weight\n24.94,60.17,3\n", "layer", group="couriers")
    assert response.status_code == 403
    assert store.user_data(plan_scenario["id"]) == {}


# --- planners side by side ----------------------------------------------------------------------------------------


def _two_scenarios(planner) -> list[dict]:
    """Two scenarios of the same area and model with different counts and decisions, ready to re-optimise."""
    first = _create(planner, "甲", SHORT, stations=7)
    second = _create(planner, "乙", SHORT, stations=9)
    first = _decide(planner, first, first["sites"][0], "reject")
    second = _decide(planner, second, second["sites"][1], "accept")
    return [first, second]


def _check_own_answer(before: dict, after: dict) -> None:
    """The answer is this scenario's: its count, its decisions kept, its figures those of its own sites."""
    active = [s for s in after["sites"] if s["status"] != "rejected"]
    assert len(active) == before["stations"]
    decided = {s["id"]: s["status"] for s in before["sites"] if s["status"] != "proposed"}
    assert {s["id"]: s["status"] for s in after["sites"] if s["id"] in decided} == decided
    rejected = {s["candidate_id"] for s in before["sites"] if s["status"] == "rejected"}
    assert not rejected & {s["candidate_id"] for s in active}
    assert after["figures"]["workers"]["covered"] == pytest.approx(after["result"]["objective"], abs=0.01)


def test_two_planners_reoptimising_at_once_get_their_own_answers(app, planner):
    scenarios = _two_scenarios(planner)
    alone = [_reoptimise(planner, scenario, seconds=5) for scenario in scenarios]
    # The same two re-optimisations again, from the same starting points, now at the same time in two threads.
    restarted = _two_scenarios(planner)
    clients = [app.test_client(), app.test_client()]
    for client in clients:
        with client.session_transaction() as session:
            session["_user_id"] = str(next(u["id"] for u in app.extensions["geoplan_store"].users()
                                           if u["username"] == "plan"))  # fmt: skip
        client.fetch_token("/")
    answers, errors, start = [None, None], [], threading.Barrier(2)

    def run(number: int) -> None:
        try:
            start.wait()
            answers[number] = _reoptimise(clients[number], restarted[number], seconds=5)
        except Exception as error:  # reported below, with the thread's number
            errors.append((number, error))

    threads = [threading.Thread(target=run, args=(number,)) for number in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for first, again, by_itself, side_by_side in zip(scenarios, restarted, alone, answers, strict=True):
        _check_own_answer(first, by_itself)
        _check_own_answer(again, side_by_side)
        # Solved alone or beside another planner, it is the same problem: each proven bound holds for the other's
        # plan (a bound or a plan of the other scenario, with its other count and decisions, would not).
        assert side_by_side["result"]["objective"] <= by_itself["result"]["bound"] + 1e-6
        assert by_itself["result"]["objective"] <= side_by_side["result"]["bound"] + 1e-6
        gap = max(by_itself["result"]["gap"], side_by_side["result"]["gap"])
        assert side_by_side["result"]["objective"] == pytest.approx(by_itself["result"]["objective"],
                                                                    rel=gap + 1e-9)  # fmt: skip
    # The two scenarios are different problems: the check above can tell them apart.
    assert answers[0]["result"]["bound"] < answers[1]["result"]["objective"]
