"""The web app over HTTP (Flask test client): pages, the planner JSON API, who may do what, and what gets saved.

CSRF protection is on, as in production: changes send the page's token in header ``X-CSRFToken``.
"""

from __future__ import annotations

import html
import io
import json
import math
import os
import subprocess
import sys

import pytest
from _web_helpers import API, PASSWORD, csrf_token, make_app

from geoplan import coords
from geoplan.outputs import layers
from geoplan.planning.parameters import PlanParameters

# --- helpers -------------------------------------------------------------------------------------------------------


def _site_url(scenario: dict, site: dict | int) -> str:
    site_id = site if isinstance(site, int) else site["id"]
    return f"{API}/scenarios/{scenario['id']}/sites/{site_id}"


def _csv(text: str, name: str = "stations.csv") -> tuple[io.BytesIO, str]:
    return io.BytesIO(text.encode()), name


def _import(
    client,
    scenario: dict,
    text: str,
    *,
    coords_system: str = "wgs84",
    name: str = "stations.csv",
    version=None,
    token: bool = True,
):
    data = {
        "file": _csv(text, name),
        "coords": coords_system,
        "version": str(scenario["version"] if version is None else version),
    }
    return client.change(
        f"{API}/scenarios/{scenario['id']}/stations", data=data, token=token, content_type="multipart/form-data"
    )


def _metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Distance between two nearby WGS-84 points, metres (equirectangular; fine below a few km)."""
    dx = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    dy = math.radians(lat2 - lat1)
    return 6_371_000 * math.hypot(dx, dy)


def _snapshot(store) -> tuple:
    """Everything a refused change must leave alone: every scenario with its sites, and the audit log."""
    return [store.scenario(s["id"]) for s in store.scenarios()], store.audit()


def _by_id(scenario: dict) -> dict[int, dict]:
    return {s["id"]: s for s in scenario["sites"]}


def _mutations(scenario: dict) -> dict[str, tuple[str, dict]]:
    """Every changing endpoint with a valid request on ``scenario`` (name -> (url, keyword arguments of change))."""
    sid, version, site = scenario["id"], scenario["version"], scenario["sites"][0]
    return {
        "create": (f"{API}/scenarios", {"json": {"name": "new", "mode": "empty"}}),
        "rename": (f"{API}/scenarios/{sid}/rename", {"json": {"name": "renamed", "version": version}}),
        "duplicate": (f"{API}/scenarios/{sid}/duplicate", {"json": {"name": "copy"}}),
        "accept": (_site_url(scenario, site), {"json": {"action": "accept", "version": version}}),
        "reject": (_site_url(scenario, site), {"json": {"action": "reject", "version": version}}),
        "city_level": (
            _site_url(scenario, site),
            {"json": {"action": "city_level", "city_level": False, "version": version}},
        ),
        "move": (
            _site_url(scenario, site),
            {"json": {"action": "move", "lon": site["lon"] + 0.0003, "lat": site["lat"], "version": version}},
        ),
        "reoptimise": (f"{API}/scenarios/{sid}/reoptimise", {"json": {"version": version, "time_limit": 1}}),
        "import": (
            f"{API}/scenarios/{sid}/stations",
            {
                "data": {
                    "file": _csv(f"lon,lat,name\n{site['lon']},{site['lat']},x\n"),
                    "coords": "wgs84",
                    "version": str(version),
                },
                "content_type": "multipart/form-data",
            },
        ),
    }


MUTATIONS = ["create", "rename", "duplicate", "accept", "reject", "city_level", "move", "reoptimise", "import"]


# --- pages, logging in and out -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/scenarios/1", "/compare?a=1&b=1", "/audit", "/audit?scenario=1"])
def test_pages_send_anonymous_users_to_login(anonymous, path):
    response = anonymous.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_login_with_wrong_password_is_refused(anonymous):
    token = anonymous.csrf_token
    response = anonymous.post("/login", data={"username": "plan", "password": "wrong password", "csrf_token": token})
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text
    assert anonymous.get("/").status_code == 302
    assert anonymous.get(f"{API}/scenarios").status_code == 401


def test_login_needs_the_csrf_token(anonymous):
    response = anonymous.post("/login", data={"username": "plan", "password": PASSWORD})
    assert response.status_code == 400
    assert "安全令牌缺失或已过期" in response.text
    assert anonymous.get("/").status_code == 302


def test_login_goes_back_to_the_asked_page_but_never_off_site(app):
    client = app.test_client()
    token = client.fetch_token()
    response = client.post("/login?next=/audit", data={"username": "look", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/audit"
    client = app.test_client()
    token = client.fetch_token()
    response = client.post(
        "/login?next=//evil.example/x", data={"username": "look", "password": PASSWORD, "csrf_token": token}
    )
    assert response.headers["Location"] == "/"


def test_logout_needs_the_token_then_logs_out(planner):
    assert planner.post("/logout").status_code == 400
    assert planner.get("/").status_code == 200
    response = planner.post("/logout", data={"csrf_token": planner.csrf_token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert planner.get("/").status_code == 302
    assert planner.get(f"{API}/scenarios").status_code == 401


def test_index_page_for_planner_and_viewer(planner, viewer, plan_scenario):
    page = planner.get("/").text
    assert 'id="current-user" data-role="planner"' in page
    assert f'data-scenario-id="{plan_scenario["id"]}"' in page
    assert plan_scenario["name"] in page
    assert 'id="create-scenario"' in page
    assert 'class="rename"' in page
    page = viewer.get("/").text
    assert 'data-role="viewer"' in page
    assert f'data-scenario-id="{plan_scenario["id"]}"' in page
    assert 'id="create-scenario"' not in page
    assert 'class="rename"' not in page
    assert "只读账户" in page


def test_review_page_for_planner_and_viewer(planner, viewer, plan_scenario):
    page = planner.get(f"/scenarios/{plan_scenario['id']}").text
    assert f'data-scenario-id="{plan_scenario["id"]}"' in page
    assert 'data-planner="1"' in page
    assert 'id="reoptimise"' in page
    assert 'id="import-file"' in page
    page = viewer.get(f"/scenarios/{plan_scenario['id']}").text
    assert 'data-planner="0"' in page
    assert 'id="reoptimise"' not in page
    assert 'id="import-file"' not in page


def test_unknown_scenario_page_is_404(planner):
    response = planner.get("/scenarios/999")
    assert response.status_code == 404
    assert "999" in response.get_json()["error"]


def test_every_page_carries_the_csrf_token(planner, plan_scenario):
    sid = plan_scenario["id"]
    for path in ("/", f"/scenarios/{sid}", f"/compare?a={sid}&b={sid}", "/audit"):
        response = planner.get(path)
        assert response.status_code == 200, path
        assert len(csrf_token(response.text)) > 20


# --- i18n ----------------------------------------------------------------------------------------------------------


def test_chinese_by_default_english_on_request(anonymous):
    page = anonymous.get("/login").text
    assert '<html lang="zh-CN">' in page
    assert "登录" in page
    assert "户外劳动者服务站点规划" in page
    page = anonymous.get("/login?lang=en").text
    assert '<html lang="en">' in page
    assert "Log in" in page
    assert "Outdoor workers' station planning" in html.unescape(page)
    assert "登录" not in page
    assert "lang=en" in anonymous.get("/login?lang=en").headers["Set-Cookie"]
    assert "Log in" in anonymous.get("/login").text  # the choice is kept in a cookie
    assert "登录" in anonymous.get("/login?lang=zh").text
    assert "登录" in anonymous.get("/login").text


def test_unknown_language_falls_back_to_chinese(anonymous):
    page = anonymous.get("/login?lang=fr").text
    assert '<html lang="zh-CN">' in page
    assert "登录" in page


def test_english_review_page_and_script_texts(planner, plan_scenario):
    page = planner.get(f"/scenarios/{plan_scenario['id']}?lang=en").text
    assert "Re-optimise" in page
    assert "Import existing stations" in page
    table = json.loads(page.split('id="geoplan-config">', 1)[1].split("</script>", 1)[0])["i18n"]
    assert table["accept"] == "Accept"
    page = planner.get(f"/scenarios/{plan_scenario['id']}?lang=zh").text
    assert "重新优化" in page
    table = json.loads(page.split('id="geoplan-config">', 1)[1].split("</script>", 1)[0])["i18n"]
    assert table["accept"] == "采纳"


# --- public basemap ------------------------------------------------------------------------------------------------


def test_basemap_is_public_json(anonymous, default_workspace):
    bounds = anonymous.get("/basemap/helsinki/bounds.json")
    assert bounds.status_code == 200
    assert bounds.mimetype == "application/json"
    (south, west), (north, east) = bounds.get_json()
    assert 60.1 < south < north < 60.25
    assert 24.8 < west < east < 25.1
    streets = anonymous.get("/basemap/helsinki/streets.geojson")
    assert streets.status_code == 200
    assert streets.mimetype == "application/geo+json"
    assert "max-age=3600" in streets.headers["Cache-Control"]
    data = json.loads(streets.data)
    assert data["type"] == "FeatureCollection"
    assert len(data["features"]) > 100
    lon, lat = data["features"][0]["geometry"]["coordinates"][0]
    assert west - 0.01 < lon < east + 0.01
    assert south - 0.01 < lat < north + 0.01


def test_basemap_default_area_and_refusals(anonymous, default_workspace):
    assert anonymous.get("/basemap/helsinki/water.geojson").status_code == 200
    response = anonymous.get("/basemap/helsinki/cats.geojson")
    assert response.status_code == 400
    assert "cats" in response.get_json()["error"]
    response = anonymous.get("/basemap/atlantis/bounds.json")
    assert response.status_code == 400
    assert "atlantis" in response.get_json()["error"]


# --- who may do what -----------------------------------------------------------------------------------------------


def test_api_answers_401_to_anonymous(anonymous):
    for path in (
        f"{API}/scenarios",
        f"{API}/scenarios/1",
        f"{API}/scenarios/1/demand",
        f"{API}/compare?a=1&b=1",
        f"{API}/audit",
    ):
        response = anonymous.get(path)
        assert response.status_code == 401, path
        assert response.get_json() == {"error": "Log in first.", "kind": "Unauthorized"}
    response = anonymous.change(f"{API}/scenarios", {"name": "x", "mode": "empty"})
    assert response.status_code == 401


@pytest.mark.parametrize("name", MUTATIONS)
def test_viewer_may_not_change_anything(viewer, store, plan_scenario, name):
    before = _snapshot(store)
    url, kwargs = _mutations(plan_scenario)[name]
    response = viewer.change(url, **kwargs)
    assert response.status_code == 403
    assert response.get_json()["kind"] == "Forbidden"
    assert "viewer" in response.get_json()["error"]
    assert _snapshot(store) == before


@pytest.mark.parametrize("name", MUTATIONS)
def test_changes_need_the_csrf_token(planner, store, plan_scenario, name):
    before = _snapshot(store)
    url, kwargs = _mutations(plan_scenario)[name]
    response = planner.change(url, token=False, **kwargs)
    assert response.status_code == 400
    assert response.get_json()["kind"] == "CSRFError"
    url, kwargs = _mutations(plan_scenario)[name]
    response = planner.change(url, headers={"X-CSRFToken": "forged"}, token=False, **kwargs)
    assert response.status_code == 400
    assert response.get_json()["kind"] == "CSRFError"
    assert _snapshot(store) == before


@pytest.mark.parametrize("name", MUTATIONS)
def test_planner_may_change(planner, plan_scenario, name):
    url, kwargs = _mutations(plan_scenario)[name]
    response = planner.change(url, **kwargs)
    assert response.status_code in (200, 201), response.get_json()


def test_viewer_reads_everything(viewer, plan_scenario):
    sid = plan_scenario["id"]
    for path in (
        f"{API}/scenarios",
        f"{API}/scenarios/{sid}",
        f"{API}/scenarios/{sid}/demand",
        f"{API}/scenarios/{sid}/candidates",
        f"{API}/scenarios/{sid}/districts",
        f"{API}/compare?a={sid}&b={sid}",
        f"{API}/audit?scenario={sid}",
        "/",
        f"/scenarios/{sid}",
        f"/compare?a={sid}&b={sid}",
        f"/audit?scenario={sid}",
    ):
        assert viewer.get(path).status_code == 200, path


@pytest.mark.parametrize(
    "path", ["/scenarios/999", "/scenarios/999/demand", "/scenarios/999/candidates", "/scenarios/999/districts"]
)
def test_unknown_scenario_reads_are_404(viewer, path):
    response = viewer.get(f"{API}{path}")
    assert response.status_code == 404
    assert response.get_json()["kind"] == "NotFoundError"
    assert "999" in response.get_json()["error"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/scenarios/999/rename", {"name": "x", "version": 1}),
        ("/scenarios/999/duplicate", {"name": "x"}),
        ("/scenarios/999/sites/1", {"action": "accept", "version": 1}),
        ("/scenarios/999/reoptimise", {"version": 1}),
    ],
)
def test_unknown_scenario_changes_are_404(planner, store, path, body):
    response = planner.change(f"{API}{path}", body)
    assert response.status_code == 404
    assert "999" in response.get_json()["error"]
    assert store.audit() == []


# --- scenarios -----------------------------------------------------------------------------------------------------


def test_create_from_plan(planner, store, default_workspace, default_plan):
    response = planner.change(f"{API}/scenarios", {"name": "方案一 plan", "mode": "plan"})
    assert response.status_code == 201, response.get_json()
    scenario = response.get_json()
    assert [s["candidate_id"] for s in scenario["sites"]] == [s["candidate_id"] for s in default_plan[0]]
    assert scenario["name"] == "方案一 plan"
    assert scenario["area"] == "helsinki"
    assert scenario["source"] == "plan"
    assert scenario["created_by"] == "plan"
    assert scenario["version"] == 1
    assert scenario["stations"] == len(scenario["sites"])
    assert {s["status"] for s in scenario["sites"]} == {"proposed"}
    assert len({s["candidate_id"] for s in scenario["sites"]}) == len(scenario["sites"])
    assert scenario["result"]["status"] in {"optimal", "feasible", "time_limit"}
    figures = scenario["figures"]
    assert figures["stations"] == len(scenario["sites"])
    assert 0 < figures["workers"]["covered"] <= figures["workers"]["total"]
    assert sum(d["workers"] for d in figures["by_district"].values()) == pytest.approx(figures["workers"]["total"])
    assert sum(d["stations"] for d in figures["by_district"].values()) == len(scenario["sites"])
    assert sum(g["covered"] for g in figures["by_group"].values()) == pytest.approx(figures["workers"]["covered"])
    # The API also gives each site its stored capacity as ``declared_capacity`` (``capacity`` may be a figure there).
    answered = [{k: v for k, v in site.items() if k != "declared_capacity"} for site in scenario["sites"]]
    assert [site["declared_capacity"] for site in scenario["sites"]] == [site["capacity"] for site in answered]
    assert store.scenario(scenario["id"])["sites"] == answered
    [entry] = store.audit(scenario["id"])
    assert (entry["user"], entry["action"]) == ("plan", "create")
    listed = planner.get(f"{API}/scenarios").get_json()["scenarios"]
    assert [s["id"] for s in listed] == [scenario["id"]]


def test_create_empty(planner, default_workspace):
    response = planner.change(f"{API}/scenarios", {"name": "空白方案", "mode": "empty", "area": "helsinki"})
    assert response.status_code == 201
    scenario = response.get_json()
    assert scenario["sites"] == []
    assert scenario["source"] == "scratch"
    assert scenario["stations"] == default_workspace.stations
    assert scenario["figures"]["workers"]["covered"] == 0
    assert scenario["figures"]["workers"]["total"] > 0
    assert scenario["figures"]["stations"] == 0


def test_create_with_a_station_count(planner):
    response = planner.change(f"{API}/scenarios", {"name": "seven", "mode": "plan", "stations": 7})
    assert response.status_code == 201, response.get_json()
    scenario = response.get_json()
    assert scenario["stations"] == 7
    assert len(scenario["sites"]) == 7
    # The scenario keeps every parameter it was planned with; the count is its own.
    assert scenario["params"] == PlanParameters(stations=7).to_json()
    assert scenario["figures"]["stations"] == 7


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "mode": "empty"}, "方案名称"),
        ({"mode": "empty"}, "方案名称"),
        ({"name": "x", "mode": "guess"}, "mode"),
        ({"name": "x", "mode": "empty", "stations": 0}, "stations"),
        ({"name": "x", "mode": "empty", "stations": "many"}, "stations"),
        ({"name": "x", "mode": "empty", "stations": 501}, "stations"),
        ({"name": "x", "mode": "empty", "area": "atlantis"}, "atlantis"),
    ],
)
def test_create_refuses_bad_fields(planner, store, default_workspace, body, field):
    response = planner.change(f"{API}/scenarios", body)
    assert response.status_code == 400
    assert response.get_json()["kind"] == "InputError"
    assert field in response.get_json()["error"]
    assert store.scenarios() == []
    assert store.audit() == []


def test_body_must_be_a_json_object(planner, store, plan_scenario):
    response = planner.change(f"{API}/scenarios/{plan_scenario['id']}/rename", [1, 2])
    assert response.status_code == 400
    assert "JSON object" in response.get_json()["error"]
    assert store.scenario(plan_scenario["id"])["name"] == plan_scenario["name"]


def test_rename(planner, store, plan_scenario):
    sid = plan_scenario["id"]
    response = planner.change(f"{API}/scenarios/{sid}/rename", {"name": "东湖区方案", "version": 1})
    assert response.status_code == 200
    assert response.get_json()["name"] == "东湖区方案"
    assert response.get_json()["version"] == 2
    assert store.scenario(sid)["name"] == "东湖区方案"
    assert "东湖区方案" in planner.get("/").text
    entry = store.audit(sid)[0]
    assert (entry["user"], entry["action"], entry["before"], entry["after"]) == (
        "plan",
        "rename",
        {"name": plan_scenario["name"]},
        {"name": "东湖区方案"},
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x"}, "version"),
        ({"name": "", "version": 1}, "方案名称"),
        ({"name": "x", "version": "v1"}, "version"),
    ],
)
def test_rename_refuses_bad_fields(planner, store, plan_scenario, body, field):
    before = _snapshot(store)
    response = planner.change(f"{API}/scenarios/{plan_scenario['id']}/rename", body)
    assert response.status_code == 400
    assert field in response.get_json()["error"]
    assert _snapshot(store) == before


def test_duplicate(planner, store, plan_scenario):
    sid = plan_scenario["id"]
    response = planner.change(f"{API}/scenarios/{sid}/duplicate", {"name": "副本"})
    assert response.status_code == 201
    copy = response.get_json()
    assert copy["id"] != sid
    assert copy["name"] == "副本"
    assert [(s["candidate_id"], s["status"]) for s in copy["sites"]] == [
        (s["candidate_id"], s["status"]) for s in plan_scenario["sites"]
    ]
    assert len(store.scenarios()) == 2
    entry = store.audit(copy["id"])[0]
    assert (entry["user"], entry["action"], entry["before"]) == ("plan", "duplicate", {"scenario": sid})
    response = planner.change(f"{API}/scenarios/{sid}/duplicate", {"name": " "})
    assert response.status_code == 400
    assert "方案名称" in response.get_json()["error"]
    assert len(store.scenarios()) == 2


# --- decisions on sites --------------------------------------------------------------------------------------------


def test_accept_reject_propose_and_figures(planner, store, default_workspace, plan_scenario):
    scenario = plan_scenario
    first, second = scenario["sites"][0], scenario["sites"][1]
    covered = scenario["figures"]["workers"]["covered"]

    response = planner.change(_site_url(scenario, first), {"action": "accept", "version": 1})
    assert response.status_code == 200
    accepted = response.get_json()
    assert accepted["version"] == 2
    assert _by_id(accepted)[first["id"]]["status"] == "accepted"
    assert accepted["figures"] == scenario["figures"]  # same stations, same coverage

    response = planner.change(_site_url(scenario, second), {"action": "reject", "version": 2})
    assert response.status_code == 200
    rejected = response.get_json()
    assert rejected["version"] == 3
    assert _by_id(rejected)[second["id"]]["status"] == "rejected"
    figures = rejected["figures"]
    assert figures["stations"] == len(scenario["sites"]) - 1
    assert figures["workers"]["covered"] < covered
    assert figures["by_district"][second["district"]]["stations"] == (
        scenario["figures"]["by_district"][second["district"]]["stations"] - 1
    )
    assert figures == default_workspace.evaluate(store.scenario(scenario["id"])["sites"])
    assert planner.get(f"{API}/scenarios/{scenario['id']}").get_json()["figures"] == figures

    response = planner.change(_site_url(scenario, second), {"action": "propose", "version": 3})
    assert response.status_code == 200
    undone = response.get_json()
    assert _by_id(undone)[second["id"]]["status"] == "proposed"
    assert undone["figures"] == scenario["figures"]

    actions = [(e["action"], e["site_id"], e["before"], e["after"]) for e in store.audit(scenario["id"])[:3]]
    assert actions == [
        ("propose", second["id"], {"status": "rejected"}, {"status": "proposed"}),
        ("reject", second["id"], {"status": "proposed"}, {"status": "rejected"}),
        ("accept", first["id"], {"status": "proposed"}, {"status": "accepted"}),
    ]
    assert {e["user"] for e in store.audit(scenario["id"])} == {"plan"}


def test_city_level(planner, store, plan_scenario):
    site = next(s for s in plan_scenario["sites"] if s["city_level"])
    response = planner.change(
        _site_url(plan_scenario, site), {"action": "city_level", "city_level": False, "version": 1}
    )
    assert response.status_code == 200
    changed = _by_id(response.get_json())[site["id"]]
    assert changed["city_level"] is False
    assert changed["status"] == "proposed"
    assert response.get_json()["figures"]["workers"] == plan_scenario["figures"]["workers"]
    entry = store.audit(plan_scenario["id"])[0]
    assert (entry["action"], entry["before"], entry["after"]) == (
        "city_level",
        {"city_level": True},
        {"city_level": False},
    )
    response = planner.change(
        _site_url(plan_scenario, site), {"action": "city_level", "city_level": "yes", "version": 2}
    )
    assert response.status_code == 400
    assert "city_level" in response.get_json()["error"]
    assert store.scenario(plan_scenario["id"])["version"] == 2


def _free_spot_near(workspace, scenario: dict, site: dict) -> dict:
    """A candidate spot where a station fits, 30 to 140 m from ``site``, that no site of the scenario uses."""
    used = {s["candidate_id"] for s in scenario["sites"]}
    spots = [
        (f["geometry"]["coordinates"], f["properties"]["id"])
        for f in layers.candidates_geojson(workspace.prepared)["features"]
        if f["properties"]["source"] in {"roadside", "host"} and f["properties"]["id"] not in used
    ]
    near = sorted((_metres(site["lon"], site["lat"], *xy), ident, xy) for xy, ident in spots)
    distance, ident, (lon, lat) = next(item for item in near if item[0] > 30)
    assert distance < 140
    return {"candidate_id": ident, "lon": lon, "lat": lat}


def test_move_snaps_to_a_candidate_spot(planner, store, default_workspace, plan_scenario):
    site = plan_scenario["sites"][2]
    target = _free_spot_near(default_workspace, plan_scenario, site)
    lon, lat = target["lon"] + 0.00005, target["lat"] + 0.00002  # dropped a few metres off the spot
    response = planner.change(_site_url(plan_scenario, site), {"action": "move", "lon": lon, "lat": lat, "version": 1})
    assert response.status_code == 200, response.get_json()
    moved = _by_id(response.get_json())[site["id"]]
    assert moved["candidate_id"] == target["candidate_id"]
    assert (moved["lon"], moved["lat"]) == (target["lon"], target["lat"])
    assert moved["status"] == "accepted"  # a moved proposal counts as accepted
    assert moved["district"] == default_workspace.place(lon, lat)["district"]
    candidates = planner.get(f"{API}/scenarios/{plan_scenario['id']}/candidates").get_json()
    [feature] = [f for f in candidates["features"] if f["properties"]["id"] == moved["candidate_id"]]
    assert feature["properties"]["source"] in {"roadside", "host", "user"}
    assert feature["geometry"]["coordinates"] == [moved["lon"], moved["lat"]]
    assert response.get_json()["figures"] == default_workspace.evaluate(response.get_json()["sites"])
    entry = store.audit(plan_scenario["id"])[0]
    assert entry["action"] == "move"
    assert entry["before"]["lon"] == site["lon"]
    assert entry["after"]["lon"] == moved["lon"]
    assert entry["after"]["status"] == "accepted"


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ({"lon": 24.96, "lat": 60.16}, "150 米内没有街道"),  # in the harbour
        ({"lon": 25.5, "lat": 60.5}, "位于研究区域"),
        ({"lat": 60.17}, "lon"),
        ({"lon": "east", "lat": 60.17}, "lon"),
    ],
)
def test_move_refused_with_the_reason(planner, store, plan_scenario, where, message):
    before = _snapshot(store)
    site = plan_scenario["sites"][0]
    response = planner.change(_site_url(plan_scenario, site), {"action": "move", "version": 1, **where})
    assert response.status_code == 400
    assert message in response.get_json()["error"]
    assert _snapshot(store) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [({"action": "accept"}, "version"), ({"action": "like", "version": 1}, "action"), ({"version": 1}, "action")],
)
def test_decision_refuses_bad_fields(planner, store, plan_scenario, body, field):
    before = _snapshot(store)
    response = planner.change(_site_url(plan_scenario, plan_scenario["sites"][0]), body)
    assert response.status_code == 400
    assert field in response.get_json()["error"]
    assert _snapshot(store) == before


def test_decision_on_an_unknown_site(planner, store, plan_scenario):
    before = _snapshot(store)
    response = planner.change(_site_url(plan_scenario, 9999), {"action": "accept", "version": 1})
    assert response.status_code in (400, 404)
    assert "9999" in response.get_json()["error"]
    assert _snapshot(store) == before


def test_stale_version_is_refused_and_nothing_changes(planner, store, plan_scenario):
    sid = plan_scenario["id"]
    first, second = plan_scenario["sites"][:2]
    assert planner.change(_site_url(plan_scenario, first), {"action": "accept", "version": 1}).status_code == 200
    before = _snapshot(store)
    for url, body in (
        (_site_url(plan_scenario, second), {"action": "reject", "version": 1}),
        (
            _site_url(plan_scenario, second),
            {"action": "move", "lon": second["lon"], "lat": second["lat"], "version": 1},
        ),
        (f"{API}/scenarios/{sid}/rename", {"name": "late", "version": 1}),
        (f"{API}/scenarios/{sid}/reoptimise", {"version": 1}),
    ):
        response = planner.change(url, body)
        assert response.status_code == 409, url
        assert response.get_json()["kind"] == "StaleError"
        assert "已被plan" in response.get_json()["error"]
        assert "您的更改未保存" in response.get_json()["error"]
    response = _import(planner, plan_scenario, f"lon,lat\n{first['lon']},{first['lat']}\n", version=1)
    assert response.status_code == 409
    assert _snapshot(store) == before


def test_existing_stations_cannot_be_moved(planner, store, plan_scenario):
    site = plan_scenario["sites"][0]
    imported = _import(planner, plan_scenario, f"lon,lat,name\n{site['lon']},{site['lat']},工会驿站\n").get_json()
    existing = next(s for s in imported["sites"] if s["status"] == "existing")
    before = _snapshot(store)
    response = planner.change(
        _site_url(imported, existing),
        {"action": "move", "lon": site["lon"] + 0.0005, "lat": site["lat"], "version": imported["version"]},
    )
    assert response.status_code == 400
    assert "现有驿站已经建成，不能移动位置" in response.get_json()["error"]
    assert _snapshot(store) == before


def test_move_onto_a_rejected_spot_is_refused_before_saving(planner, store, plan_scenario):
    rejected, other = plan_scenario["sites"][0], plan_scenario["sites"][1]
    assert planner.change(_site_url(plan_scenario, rejected), {"action": "reject", "version": 1}).status_code == 200
    before = _snapshot(store)
    response = planner.change(
        _site_url(plan_scenario, other),
        {"action": "move", "lon": rejected["lon"], "lat": rejected["lat"], "version": 2},
    )
    assert response.status_code == 400
    assert _snapshot(store) == before  # the scenario must stay readable
    assert planner.get(f"{API}/scenarios/{plan_scenario['id']}").status_code == 200


# --- re-optimisation -----------------------------------------------------------------------------------------------


def test_reoptimise_keeps_decisions_and_never_reproposes_rejected(planner, store, plan_scenario):
    scenario = plan_scenario
    keep, drop = scenario["sites"][0], scenario["sites"][1]
    planner.change(_site_url(scenario, keep), {"action": "accept", "version": 1})
    rejected = planner.change(_site_url(scenario, drop), {"action": "reject", "version": 2}).get_json()
    response = planner.change(f"{API}/scenarios/{scenario['id']}/reoptimise", {"version": 3, "time_limit": 2})
    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    assert result["version"] == 4
    sites = _by_id(result)
    assert sites[keep["id"]]["status"] == "accepted"
    assert sites[keep["id"]]["candidate_id"] == keep["candidate_id"]
    assert sites[drop["id"]]["status"] == "rejected"
    proposed = [s for s in result["sites"] if s["status"] == "proposed"]
    assert drop["candidate_id"] not in {s["candidate_id"] for s in proposed}
    assert len(proposed) + 1 == scenario["stations"]  # filled up again around the accepted site
    counted = [s["candidate_id"] for s in result["sites"] if s["status"] != "rejected"]
    assert len(counted) == len(set(counted))
    # the figures follow: the reject lost coverage, re-optimising wins some back with a replacement station
    assert rejected["figures"]["stations"] == scenario["stations"] - 1
    assert result["figures"]["stations"] == scenario["stations"]
    assert rejected["figures"]["workers"]["covered"] < result["figures"]["workers"]["covered"]
    assert result["figures"] != rejected["figures"]
    assert result["result"]["status"] in {"optimal", "feasible", "time_limit"}
    entry = store.audit(scenario["id"])[0]
    assert (entry["user"], entry["action"]) == ("plan", "reoptimise")
    assert drop["candidate_id"] not in entry["after"]["proposals"]
    assert keep["candidate_id"] not in entry["after"]["proposals"]
    assert entry["before"]["proposals"] == [s["candidate_id"] for s in scenario["sites"][2:]]
    # again, from the new version: still never the rejected site
    again = planner.change(f"{API}/scenarios/{scenario['id']}/reoptimise", {"version": 4}).get_json()
    assert drop["candidate_id"] not in {s["candidate_id"] for s in again["sites"] if s["status"] != "rejected"}


def test_reoptimise_keeps_site_numbers_and_says_what_changed_and_why(planner, store, plan_scenario):
    scenario = plan_scenario
    keep, drop = scenario["sites"][0], scenario["sites"][1]
    assert [s["number"] for s in scenario["sites"]] == list(range(1, len(scenario["sites"]) + 1))
    planner.change(_site_url(scenario, keep), {"action": "accept", "version": 1})
    planner.change(_site_url(scenario, drop), {"action": "reject", "version": 2})
    before = store.scenario(scenario["id"])
    response = planner.change(f"{API}/scenarios/{scenario['id']}/reoptimise", {"version": 3, "time_limit": 1})
    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    done = result["reoptimised"]
    numbers = {s["number"]: s for s in result["sites"]}
    old = {s["number"]: s for s in before["sites"]}
    assert sorted(done["kept"] + done["added"]) == sorted(numbers)
    assert set(done["removed"]) == set(old) - set(numbers)
    assert min(done["added"], default=len(old) + 1) > len(old)  # new proposals never take a number in use
    for number in done["kept"]:  # a kept site keeps its number, id and spot
        now, then = numbers[number], old[number]
        assert (now["id"], now["candidate_id"]) == (then["id"], then["candidate_id"])
    assert numbers[keep["number"]]["status"] == "accepted"
    why = {reason["code"]: reason for reason in done["why"]}
    assert why["gap_change"]["after"] == result["result"]["gap"]
    assert why["gap_change"]["before"] == before["result"]["gap"]
    assert why["fixed"] == {"code": "fixed", "n": 1, "r": 1}
    assert {"rule": "district_min", "n": 1} in why["rules"]["rules"]
    if result["result"]["status"] == "time_limit":
        assert why["time_limit"]["limit"] == 1


def test_undo_takes_back_the_planners_last_decision(planner, store, plan_scenario):
    scenario = plan_scenario
    site = scenario["sites"][0]
    planner.change(_site_url(scenario, site), {"action": "reject", "version": 1})
    response = planner.change(f"{API}/scenarios/{scenario['id']}/undo", {"version": 2})
    assert response.status_code == 200, response.get_json()
    undone = response.get_json()
    assert (undone["version"], undone["undone"]) == (3, "reject")
    assert _by_id(undone)[site["id"]]["status"] == "proposed"
    assert undone["figures"]["stations"] == scenario["stations"]
    assert store.audit(scenario["id"])[0]["action"] == "undo"
    refused = planner.change(f"{API}/scenarios/{scenario['id']}/undo", {"version": 3})
    assert refused.status_code == 400
    assert "不能再撤销" in refused.get_json()["error"]
    stale = planner.change(f"{API}/scenarios/{scenario['id']}/undo", {"version": 2})
    assert stale.status_code == 409


def test_undo_refuses_another_planners_newer_change(planner, store, plan_scenario):
    scenario = plan_scenario
    store.update_site(scenario["id"], scenario["sites"][0]["id"], 1, "zhang", "accept", status="accepted")
    before = _snapshot(store)
    response = planner.change(f"{API}/scenarios/{scenario['id']}/undo", {"version": 2})
    assert response.status_code == 409
    assert "zhang" in response.get_json()["error"]
    assert "不是您的更改" in response.get_json()["error"]
    assert _snapshot(store) == before
    english = planner.change(f"{API}/scenarios/{scenario['id']}/undo?lang=en", {"version": 2})
    assert "not by you" in english.get_json()["error"]


def test_reoptimise_refuses_bad_time_limit(planner, store, plan_scenario):
    before = _snapshot(store)
    response = planner.change(f"{API}/scenarios/{plan_scenario['id']}/reoptimise", {"version": 1, "time_limit": "soon"})
    assert response.status_code == 400
    assert "time_limit" in response.get_json()["error"]
    response = planner.change(f"{API}/scenarios/{plan_scenario['id']}/reoptimise", {})
    assert response.status_code == 400
    assert "version" in response.get_json()["error"]
    assert _snapshot(store) == before


def test_reoptimise_with_more_kept_stations_than_planned_is_422(planner, store, plan_scenario):
    scenario = plan_scenario
    version = 1
    for site in scenario["sites"]:
        version = planner.change(_site_url(scenario, site), {"action": "accept", "version": version}).get_json()[
            "version"
        ]
    spot = scenario["sites"][0]
    current = store.scenario(scenario["id"])
    version = _import(planner, current, f"lon,lat\n{spot['lon'] + 0.001},{spot['lat']}\n").get_json()["version"]
    before = _snapshot(store)
    response = planner.change(f"{API}/scenarios/{scenario['id']}/reoptimise", {"version": version})
    assert response.status_code == 422
    assert response.get_json()["kind"] == "InfeasibleError"
    assert f"需要保留 {scenario['stations'] + 1} 个站点" in response.get_json()["error"]
    assert _snapshot(store) == before


# --- importing existing stations -----------------------------------------------------------------------------------


def test_import_csv_in_wgs84(planner, store, plan_scenario):
    site = plan_scenario["sites"][0]
    lon, lat = site["lon"] + 0.0004, site["lat"] - 0.0002
    response = _import(planner, plan_scenario, f"lon,lat,name\n{lon},{lat},八一驿站\n{lon + 0.002},{lat},\n")
    assert response.status_code == 200, response.get_json()
    scenario = response.get_json()
    existing = [s for s in scenario["sites"] if s["status"] == "existing"]
    assert [(s["lon"], s["lat"], s["name"]) for s in existing] == [
        (pytest.approx(lon, abs=1e-9), pytest.approx(lat, abs=1e-9), "八一驿站"),
        (pytest.approx(lon + 0.002, abs=1e-9), pytest.approx(lat, abs=1e-9), None),
    ]
    assert all(s["candidate_id"] is None for s in existing)
    assert scenario["version"] == 2
    assert scenario["figures"]["stations"] == len(plan_scenario["sites"]) + 2
    entry = store.audit(plan_scenario["id"])[0]
    assert (entry["user"], entry["action"]) == ("plan", "import")
    assert [s["name"] for s in entry["after"]["sites"]] == ["八一驿站", None]


def test_import_geojson(planner, plan_scenario):
    site = plan_scenario["sites"][1]
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "GeoJSON 驿站"},
                "geometry": {"type": "Point", "coordinates": [site["lon"] + 0.0003, site["lat"]]},
            }
        ],
    }
    response = _import(planner, plan_scenario, json.dumps(collection, ensure_ascii=False), name="s.geojson")
    assert response.status_code == 200, response.get_json()
    [existing] = [s for s in response.get_json()["sites"] if s["status"] == "existing"]
    assert existing["name"] == "GeoJSON 驿站"
    assert existing["lon"] == pytest.approx(site["lon"] + 0.0003, abs=1e-9)


@pytest.mark.parametrize(
    ("text", "name", "coords_system", "message"),
    [
        ("lon,lat,name\n24.94,60.17,a\n24.95,north,b\n", "s.csv", "wgs84", "第 3 行"),
        ("lon,lat,name\n24.94,60.17,a\n24.95,,b\n", "s.csv", "wgs84", "第 3 行：lat 为空"),
        ("lon,lat\n24.94,60.17\n", "s.txt", "wgs84", "s.txt"),
        ("lon,lat\n24.94,60.17\n", "s.csv", "mars", "mars"),
        ("{not json", "s.geojson", "wgs84", "s.geojson"),
    ],
)
def test_import_refuses_bad_files(planner, store, plan_scenario, text, name, coords_system, message):
    before = _snapshot(store)
    response = _import(planner, plan_scenario, text, name=name, coords_system=coords_system)
    assert response.status_code == 400
    assert message in response.get_json()["error"]
    assert "/tmp" not in response.get_json()["error"]  # the server's temporary path is not shown
    assert _snapshot(store) == before


def test_import_needs_a_file_and_a_version(planner, store, plan_scenario):
    before = _snapshot(store)
    url = f"{API}/scenarios/{plan_scenario['id']}/stations"
    response = planner.change(url, data={"coords": "wgs84", "version": "1"}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "file" in response.get_json()["error"]
    response = planner.change(url, data={"file": _csv("lon,lat\n24.94,60.17\n")}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "version" in response.get_json()["error"]
    assert _snapshot(store) == before


def test_import_outside_the_area_is_refused_before_saving(planner, store, plan_scenario):
    before = _snapshot(store)
    response = _import(planner, plan_scenario, "lon,lat,name\n116.4,39.9,Beijing\n")
    assert response.status_code == 400
    assert "研究区域 'helsinki' 之外 7333" in response.get_json()["error"]  # outside study area, 7,333 km
    assert _snapshot(store) == before  # the scenario must stay readable
    assert planner.get(f"{API}/scenarios/{plan_scenario['id']}").status_code == 200


@pytest.mark.slow
@pytest.mark.parametrize(("system", "convert"), [("gcj02", coords.wgs84_to_gcj02), ("bd09", coords.wgs84_to_bd09)])
def test_import_chinese_coordinates_land_on_the_street(planner, store, system, convert):
    """A station given in GCJ-02 (Amap, Tencent) or BD-09 (Baidu) is stored in WGS-84 within a metre."""
    created = planner.change(f"{API}/scenarios", {"name": "南昌", "area": "nanchang", "mode": "empty"})
    assert created.status_code == 201, created.get_json()
    scenario = created.get_json()
    street = planner.get(f"{API}/scenarios/{scenario['id']}/candidates").get_json()["features"][0]
    lon, lat = street["geometry"]["coordinates"]
    shifted = convert(lon, lat)
    assert _metres(lon, lat, *shifted) > 100  # in China the published coordinates are hundreds of metres off
    response = _import(
        planner, scenario, f"lon,lat,name\n{shifted[0]:.8f},{shifted[1]:.8f},工会驿站\n", coords_system=system
    )
    assert response.status_code == 200, response.get_json()
    [stored] = [s for s in store.scenario(scenario["id"])["sites"] if s["status"] == "existing"]
    assert _metres(lon, lat, stored["lon"], stored["lat"]) < 1.0
    assert stored["name"] == "工会驿站"
    assert response.get_json()["figures"]["stations"] == 1
    assert response.get_json()["figures"]["workers"]["covered"] > 0


# --- reading: GeoJSON layers, comparison, audit log ----------------------------------------------------------------


def test_demand_layer_matches_the_figures(viewer, plan_scenario):
    data = viewer.get(f"{API}/scenarios/{plan_scenario['id']}/demand").get_json()
    assert data["type"] == "FeatureCollection"
    features = data["features"]
    assert len(features) > 100
    assert {f["geometry"]["type"] for f in features} == {"Point"}
    workers = plan_scenario["figures"]["workers"]
    total = sum(f["properties"]["weight"] for f in features)
    covered = sum(f["properties"]["weight"] for f in features if f["properties"]["covered"])
    assert total == pytest.approx(workers["total"], abs=1.0)
    assert covered == pytest.approx(workers["covered"], abs=1.0)
    assert {f["properties"]["group"] for f in features} == set(plan_scenario["figures"]["by_group"])


def test_demand_layer_follows_decisions(planner, plan_scenario):
    url = f"{API}/scenarios/{plan_scenario['id']}/demand"
    covered_before = sum(f["properties"]["covered"] for f in planner.get(url).get_json()["features"])
    planner.change(_site_url(plan_scenario, plan_scenario["sites"][0]), {"action": "reject", "version": 1})
    covered_after = sum(f["properties"]["covered"] for f in planner.get(url).get_json()["features"])
    assert covered_after < covered_before


def test_candidates_and_districts_layers(viewer, plan_scenario, default_workspace):
    sid = plan_scenario["id"]
    candidates = viewer.get(f"{API}/scenarios/{sid}/candidates").get_json()
    assert len(candidates["features"]) == len(default_workspace.candidates.sites)
    ids = {f["properties"]["id"] for f in candidates["features"]}
    assert {s["candidate_id"] for s in plan_scenario["sites"]} <= ids
    districts = viewer.get(f"{API}/scenarios/{sid}/districts").get_json()
    names = {f["properties"]["district"] for f in districts["features"]}
    assert names == set(plan_scenario["figures"]["by_district"])
    assert {f["geometry"]["type"] for f in districts["features"]} <= {"Polygon", "MultiPolygon"}


def test_compare_lists_added_and_removed(planner, plan_scenario):
    sid = plan_scenario["id"]
    copy = planner.change(f"{API}/scenarios/{sid}/duplicate", {"name": "B 方案"}).get_json()
    dropped = copy["sites"][1]
    planner.change(_site_url(copy, dropped), {"action": "reject", "version": 1})
    changed = planner.change(f"{API}/scenarios/{copy['id']}/reoptimise", {"version": 2}).get_json()
    new = {s["candidate_id"] for s in changed["sites"] if s["status"] == "proposed"} - {
        s["candidate_id"] for s in plan_scenario["sites"]
    }
    assert new, "re-optimising after a reject should propose another site"

    response = planner.get(f"{API}/compare?a={sid}&b={copy['id']}")
    assert response.status_code == 200
    data = response.get_json()
    assert (data["a"]["name"], data["b"]["name"]) == (plan_scenario["name"], "B 方案")
    assert [s["candidate_id"] for s in data["removed"]] == [dropped["candidate_id"]]
    assert {s["candidate_id"] for s in data["added"]} == new
    assert data["kept"] == len(plan_scenario["sites"]) - 1
    assert data["workers"]["a"] == plan_scenario["figures"]["workers"]
    assert data["workers"]["b"] == changed["figures"]["workers"]
    districts = {row["name"]: row for row in data["rows"]["by_district"]}
    assert set(districts) == set(plan_scenario["figures"]["by_district"])
    assert all(row["a"] is not None and row["b"] is not None for row in districts.values())

    same = planner.get(f"{API}/compare?a={sid}&b={sid}").get_json()
    assert (same["added"], same["removed"], same["kept"]) == ([], [], len(plan_scenario["sites"]))


@pytest.mark.parametrize(("query", "status"), [("a=1", 400), ("a=1&b=x", 400), ("", 400), ("a=1&b=999", 404)])
def test_compare_refusals(planner, plan_scenario, query, status):
    response = planner.get(f"{API}/compare?{query}")
    assert response.status_code == status
    assert response.get_json()["error"]


def test_compare_page_names_both(planner, plan_scenario):
    copy = planner.change(f"{API}/scenarios/{plan_scenario['id']}/duplicate", {"name": "对比方案"}).get_json()
    page = planner.get(f"/compare?a={plan_scenario['id']}&b={copy['id']}").text
    assert f'data-a="{plan_scenario["id"]}" data-b="{copy["id"]}"' in page
    assert plan_scenario["name"] in page
    assert "对比方案" in page


def test_audit_lists_decisions_with_user_and_values(planner, viewer, store, plan_scenario):
    sid = plan_scenario["id"]
    site = plan_scenario["sites"][0]
    planner.change(_site_url(plan_scenario, site), {"action": "reject", "version": 1})
    planner.change(f"{API}/scenarios/{sid}/rename", {"name": "改名", "version": 2})
    other = planner.change(f"{API}/scenarios", {"name": "other", "mode": "empty"}).get_json()

    entries = viewer.get(f"{API}/audit?scenario={sid}").get_json()["entries"]
    assert [e["action"] for e in entries] == ["rename", "reject", "create"]
    assert {e["user"] for e in entries} == {"plan"}
    assert entries[1]["site_id"] == site["id"]
    assert (entries[1]["before"], entries[1]["after"]) == ({"status": "proposed"}, {"status": "rejected"})
    assert all(e["at"] for e in entries)
    everything = viewer.get(f"{API}/audit").get_json()["entries"]
    assert {e["scenario_id"] for e in everything} == {sid, other["id"]}
    assert len(viewer.get(f"{API}/audit?limit=1").get_json()["entries"]) == 1
    response = viewer.get(f"{API}/audit?limit=lots")
    assert response.status_code == 400
    assert "limit" in response.get_json()["error"]

    page = viewer.get(f"/audit?scenario={sid}").text
    assert page.count('<tr data-action="') == 3
    assert '<tr data-action="reject">' in page
    assert "&#34;rejected&#34;" in page or '"rejected"' in page
    assert "改名" in page


def test_session_survives_an_app_restart(tmp_path, monkeypatch):
    """The session key is kept in the instance folder: a restarted server still knows a logged-in planner."""
    monkeypatch.delenv("GEOPLAN_SECRET_KEY", raising=False)
    first = make_app(tmp_path)
    first.extensions["geoplan_store"].add_user("plan", PASSWORD)
    client = first.test_client()
    assert client.log_in("plan").status_code == 302
    second = make_app(tmp_path)
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o077 == 0
    restarted = second.test_client()
    cookie = client.get_cookie("session")
    restarted.set_cookie(cookie.key, cookie.value)
    assert restarted.get("/").status_code == 200
    for app in (first, second):
        app.extensions["geoplan_store"].engine.dispose()


def test_web_package_is_installed(tmp_path):
    """``geoplan serve`` imports the web app, installed as ``geoplan_web`` (from the ``web/`` folder): it must be
    importable from anywhere, with its templates, and no package called ``web`` is installed."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    check = (
        "import importlib.resources as r, importlib.util as u, geoplan_web; "
        "assert (r.files('geoplan_web') / 'templates' / 'scenario.html').is_file(); "
        "assert u.find_spec('web') is None"
    )
    done = subprocess.run(
        [sys.executable, "-c", check], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr.strip().splitlines()[-1]


def test_import_into_an_unknown_scenario_is_404(planner, store):
    response = _import(planner, {"id": 999, "version": 1}, "lon,lat\n24.94,60.17\n")
    assert response.status_code == 404
    assert "999" in response.get_json()["error"]
    assert store.audit() == []
