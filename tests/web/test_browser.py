"""The review map in a real browser: Debian's Chromium, driven by Playwright, against ``geoplan serve``.

One planner works through a plan of the default area (accept, reject, drag, re-optimise, duplicate, compare, audit),
the server is stopped and started again, and the decisions are still there. A viewer can look but not change.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from _browser import BROWSER_MARKS, WAIT_MS
from _web_helpers import PASSWORD, Server, add_user
from _web_helpers import page_api as api

from geoplan import i18n

pytestmark = BROWSER_MARKS

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install -e '.[test]'")
expect = sync_api.expect

PLAN_MS = 120_000


class Deployment:
    """A database, an instance folder, users made with the CLI, and the server on them (restartable)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.database = f"sqlite:///{folder / 'db.sqlite'}"
        add_user(self.database, folder, "alice", "planner")
        add_user(self.database, folder, "bob", "viewer")
        self.server = Server(self.database, folder, folder / "server.log").wait()

    @property
    def url(self) -> str:
        """Base URL of the running server."""
        return self.server.url

    def restart(self) -> None:
        """Stop the server process and start a new one on the same database and instance folder."""
        self.server.stop()
        assert self.server.process.returncode is not None
        self.server = Server(self.database, self.folder, self.folder / "server.log").wait()


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    """The running server (``geoplan serve``) on a temporary SQLite database, with planner alice and viewer bob."""
    deployment = Deployment(tmp_path_factory.mktemp("server"))
    yield deployment
    deployment.server.stop()


#: Script errors of a known bug (web/static/compare.js syncs the two maps before both have a view), tolerated in the
#: other tests and pinned by test_compare_page_has_no_script_errors.
KNOWN_ERRORS = {("/compare", "Set map center and zoom first.")}


@pytest.fixture
def new_page(browser):
    """Open pages in fresh browser contexts (no cookies); fail the test on any JavaScript error."""
    contexts, errors = [], []

    def open_page():
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append((page.url, str(error), error.stack)))
        return page

    open_page.errors = errors
    yield open_page
    for context in contexts:
        context.close()
    unexpected = [e for e in errors if not any(where in e[0] and what == e[1] for where, what in KNOWN_ERRORS)]
    assert unexpected == [], f"JavaScript errors (page, message, stack): {unexpected}"


# --- helpers -------------------------------------------------------------------------------------------------------


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"{base}/")
    expect(page.locator("#current-user")).to_contain_text(username)


def scenario_json(page, scenario_id: int) -> dict:
    status, body = api(page, "GET", f"/api/planner/scenarios/{scenario_id}")
    assert status == 200, body
    return body


def marker(page, site_id: int):
    return page.locator(f'.site-marker[data-site-id="{site_id}"]')


def centre(locator) -> tuple[float, float]:
    box = locator.bounding_box()
    assert box is not None, "the marker is not on screen"
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def wait_for_map(page, sites: list[dict]) -> None:
    """Wait until every site has its marker and the map stopped loading layers (so it no longer moves)."""
    expect(page.locator(".site-marker")).to_have_count(len(sites), timeout=PLAN_MS)
    page.wait_for_load_state("networkidle")
    expect(page.locator("#covered-total")).not_to_have_text("–")


def decide(page, site_id: int, action: str) -> None:
    """Open a site's popup on the map and press one of its buttons."""
    marker(page, site_id).click()
    page.locator(f'.site-popup[data-site-id="{site_id}"] button[data-action="{action}"]').click()


def expect_saved(page, version: int) -> None:
    expect(page.locator("#scenario-version")).to_have_text(str(version))
    expect(page.locator("#message")).to_have_class(re.compile(r"\bok\b"))


def _mercator(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def screen_position(page, sites: list[dict]):
    """Return a function from lon/lat to page pixels, fitted on the markers' positions (Web Mercator)."""
    placed = [(s, centre(marker(page, s["id"]))) for s in sites]
    (a, (ax, ay)), (b, (bx, by)) = max(
        ((p, q) for p in placed for q in placed),
        key=lambda pair: math.hypot(pair[0][1][0] - pair[1][1][0], pair[0][1][1] - pair[1][1][1]),
    )
    scale = math.hypot(bx - ax, by - ay) / math.hypot(
        math.radians(b["lon"] - a["lon"]), _mercator(b["lat"]) - _mercator(a["lat"])
    )

    def to_screen(lon: float, lat: float) -> tuple[float, float]:
        return ax + scale * math.radians(lon - a["lon"]), ay - scale * (_mercator(lat) - _mercator(a["lat"]))

    return to_screen


def metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    dx = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return 6_371_000 * math.hypot(dx, math.radians(lat2 - lat1))


def free_spot(page, scenario: dict, site: dict, to_screen) -> dict:
    """A candidate spot where a station fits, 40-120 m from ``site``, unused, and on the visible map."""
    status, candidates = api(page, "GET", f"/api/planner/scenarios/{scenario['id']}/candidates")
    assert status == 200
    used = {s["candidate_id"] for s in scenario["sites"]}
    box = page.locator("#map").bounding_box()
    spots = []
    for feature in candidates["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        ident = feature["properties"]["id"]
        distance = metres(site["lon"], site["lat"], lon, lat)
        x, y = to_screen(lon, lat)
        visible = box["x"] + 60 < x < box["x"] + box["width"] - 60 and box["y"] + 60 < y < box["y"] + box["height"] - 60
        if feature["properties"]["source"] in {"roadside", "host"} and ident not in used and visible:
            spots.append((abs(distance - 70), ident, lon, lat))
    assert spots, "no free candidate spot near the site"
    _, ident, lon, lat = min(spots)
    return {"id": ident, "lon": lon, "lat": lat}


# --- tests ---------------------------------------------------------------------------------------------------------


def test_planner_reviews_a_plan_and_it_survives_a_restart(deployment, new_page):
    page = new_page()
    log_in(page, deployment.url, "alice")
    expect(page.locator("#current-user")).to_have_attribute("data-role", "planner")

    # create a scenario from an optimised plan of the default area
    page.fill("#new-name", "浏览器方案")
    page.check("input[name=mode][value=plan]")
    page.click("#create-scenario")
    page.wait_for_url(re.compile(r"/scenarios/\d+$"), timeout=PLAN_MS)
    scenario_id = int(page.get_attribute("#review", "data-scenario-id"))
    scenario = scenario_json(page, scenario_id)
    sites = scenario["sites"]
    assert len(sites) >= 4
    assert {s["status"] for s in sites} == {"proposed"}
    wait_for_map(page, sites)
    expect(page.locator("#scenario-name")).to_have_text("浏览器方案")
    expect(page.locator("#scenario-version")).to_have_text("1")
    # how sure the optimiser is, in Chinese, with what it means as the hint
    status = scenario["result"]["status"]
    expect(page.locator("#scenario-status")).to_have_attribute("data-status", status)
    label, note = i18n.status_text(status, "zh", scenario["result"]["gap"])
    expect(page.locator("#scenario-status")).to_have_text(label)
    expect(page.locator("#scenario-status")).to_have_attribute("title", re.compile(re.escape(note[:12])))
    expect(page.locator("#by-district tbody tr[data-district]")).to_have_count(len(scenario["figures"]["by_district"]))
    expect(page.locator("#by-group tbody tr[data-group]")).to_have_count(len(scenario["figures"]["by_group"]))
    expect(page.locator("#site-list tbody tr[data-status=proposed]")).to_have_count(len(sites))
    accepted, rejected, moved = sites[0], sites[1], sites[2]

    # accept one site and reject another through their popups
    decide(page, accepted["id"], "accept")
    expect_saved(page, 2)
    expect(marker(page, accepted["id"])).to_have_attribute("data-status", "accepted")
    expect(page.locator(f'#site-list tr[data-site-id="{accepted["id"]}"]')).to_have_attribute("data-status", "accepted")
    stations = page.locator(f'#by-district tr[data-district="{rejected["district"]}"] td:nth-child(2)')
    count = int(stations.text_content())
    decide(page, rejected["id"], "reject")
    expect_saved(page, 3)
    expect(marker(page, rejected["id"])).to_have_attribute("data-status", "rejected")
    expect(stations).to_have_text(str(count - 1))  # the figures follow the decision

    # drag a third station onto a free candidate spot ~70 m away: it snaps there and counts as accepted
    page.wait_for_load_state("networkidle")
    to_screen = screen_position(page, sites)
    target = free_spot(page, scenario_json(page, scenario_id), moved, to_screen)
    start_x, start_y = centre(marker(page, moved["id"]))
    end_x, end_y = to_screen(target["lon"], target["lat"])
    page.mouse.move(start_x, start_y)
    page.mouse.down()
    page.mouse.move(end_x, end_y, steps=15)
    page.mouse.up()
    expect_saved(page, 4)
    expect(page.locator("#message")).to_have_text("已移动到可容纳站点的位置")
    now = {s["id"]: s for s in scenario_json(page, scenario_id)["sites"]}
    assert now[moved["id"]]["candidate_id"] == target["id"], (now[moved["id"]], target)
    assert now[moved["id"]]["status"] == "accepted"
    expect(marker(page, moved["id"])).to_have_attribute("data-status", "accepted")
    page.wait_for_load_state("networkidle")
    new_x, new_y = centre(marker(page, moved["id"]))
    assert math.hypot(new_x - end_x, new_y - end_y) < 8, "the marker should sit on the spot it snapped to"
    assert math.hypot(new_x - start_x, new_y - start_y) > 10

    # re-optimise: the version goes up, decisions stay, the rejected site is not proposed again
    page.click("#reoptimise")
    expect_saved(page, 5)
    after = scenario_json(page, scenario_id)
    by_id = {s["id"]: s for s in after["sites"]}
    assert by_id[accepted["id"]]["status"] == "accepted"
    assert by_id[rejected["id"]]["status"] == "rejected"
    assert by_id[moved["id"]]["candidate_id"] == target["id"]
    counted = [s["candidate_id"] for s in after["sites"] if s["status"] != "rejected"]
    assert rejected["candidate_id"] not in counted
    assert len(counted) == scenario["stations"]
    wait_for_map(page, after["sites"])
    expect(page.locator(".site-marker[data-status=rejected]")).to_have_count(1)
    expect(page.locator(f'#site-list tr[data-site-id="{rejected["id"]}"]')).to_have_attribute("data-status", "rejected")

    # duplicate it from the scenario list, then compare the two
    page.goto(f"{deployment.url}/")
    page.once("dialog", lambda dialog: dialog.accept("浏览器方案 副本"))
    page.locator(f'#scenario-table tr[data-scenario-id="{scenario_id}"] .duplicate').click()
    page.wait_for_url(re.compile(r"/scenarios/\d+$"))
    copy_id = int(page.get_attribute("#review", "data-scenario-id"))
    assert copy_id != scenario_id
    expect(page.locator("#scenario-name")).to_have_text("浏览器方案 副本")
    page.goto(f"{deployment.url}/")
    page.locator(f'#scenario-table tr[data-scenario-id="{scenario_id}"] .pick').check()
    page.locator(f'#scenario-table tr[data-scenario-id="{copy_id}"] .pick').check()
    page.click("#compare-picked")
    page.wait_for_url(re.compile(r"/compare\?a=\d+&b=\d+$"))
    expect(page.locator("#compare-title")).to_contain_text("浏览器方案")
    expect(page.locator("#compare-title")).to_contain_text("浏览器方案 副本")
    expect(page.locator("#compare-sites")).to_contain_text("新增: 0 · 移除: 0")
    expect(page.locator("#compare-district tbody tr")).to_have_count(len(scenario["figures"]["by_district"]))

    # the audit log lists every decision
    page.goto(f"{deployment.url}/audit?scenario={scenario_id}")
    for action in ("create", "accept", "reject", "move", "reoptimise"):
        expect(page.locator(f'#audit-table tbody tr[data-action="{action}"]')).to_have_count(1)
    expect(page.locator('#audit-table tbody tr[data-action="reject"]')).to_contain_text("alice")

    # stop the server, start it again on the same database: the decisions are still there
    deployment.restart()
    page = new_page()
    log_in(page, deployment.url, "alice")
    page.goto(f"{deployment.url}/scenarios/{scenario_id}")
    wait_for_map(page, after["sites"])
    expect(page.locator("#scenario-version")).to_have_text("5")
    expect(marker(page, accepted["id"])).to_have_attribute("data-status", "accepted")
    expect(marker(page, rejected["id"])).to_have_attribute("data-status", "rejected")
    expect(marker(page, moved["id"])).to_have_attribute("data-status", "accepted")
    assert scenario_json(page, scenario_id)["sites"] == after["sites"]


def test_viewer_can_look_but_not_change(deployment, new_page):
    planner = new_page()
    log_in(planner, deployment.url, "alice")
    status, created = api(planner, "POST", "/api/planner/scenarios", {"name": "只读检查", "mode": "plan"})
    assert status == 201, created

    page = new_page()
    log_in(page, deployment.url, "bob")
    expect(page.locator("#current-user")).to_have_attribute("data-role", "viewer")
    expect(page.locator("#create-scenario")).to_have_count(0)
    page.goto(f"{deployment.url}/scenarios/{created['id']}")
    wait_for_map(page, created["sites"])
    expect(page.locator("#reoptimise")).to_have_count(0)
    expect(page.locator("#import-file")).to_have_count(0)
    expect(page.locator(".leaflet-marker-draggable")).to_have_count(0)

    # the popup shows the site but offers no decision
    site = created["sites"][0]
    marker(page, site["id"]).click()
    expect(page.locator(f'.site-popup[data-site-id="{site["id"]}"]')).to_be_visible()
    expect(page.locator(".site-popup button")).to_have_count(0)

    # dragging a marker sends nothing and changes nothing
    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    x, y = centre(marker(page, created["sites"][1]["id"]))
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 60, y + 40, steps=10)
    page.mouse.up()
    page.wait_for_load_state("networkidle")  # a drop would have sent its request by now
    assert posts == []
    expect(page.locator("#scenario-version")).to_have_text("1")
    assert scenario_json(page, created["id"])["sites"] == created["sites"]

    # and the API refuses a viewer's change
    status, body = api(page, "POST", f"/api/planner/scenarios/{created['id']}/reoptimise", {"version": 1})
    assert status == 403
    assert body["kind"] == "Forbidden"


def test_compare_page_has_no_script_errors(deployment, new_page):
    page = new_page()
    log_in(page, deployment.url, "alice")
    status, first = api(page, "POST", "/api/planner/scenarios", {"name": "对比 A", "mode": "empty"})
    assert status == 201, first
    status, second = api(page, "POST", f"/api/planner/scenarios/{first['id']}/duplicate", {"name": "对比 B"})
    assert status == 201, second
    page.goto(f"{deployment.url}/compare?a={first['id']}&b={second['id']}")
    expect(page.locator("#compare-title")).to_contain_text("对比 B")
    page.wait_for_load_state("networkidle")
    assert new_page.errors == []


def test_planner_plans_with_opening_hours_and_adds_a_worker_layer(deployment, new_page, tmp_path):
    page = new_page()
    log_in(page, deployment.url, "alice")
    page.fill("#new-name", "营业时间方案")
    page.fill("#new-stations", "6")
    page.click("#new-params summary")
    page.fill("#new-hours", "08:30-17:00，24h")
    page.fill("#new-max-24h", "1")
    page.click("#create-scenario")
    page.wait_for_url(re.compile(r"/scenarios/\d+$"), timeout=PLAN_MS)
    scenario = scenario_json(page, int(page.get_attribute("#review", "data-scenario-id")))
    assert scenario["params"]["hours_options"] == ["08:30-17:00", "24h"]
    assert [s["hours"] for s in scenario["sites"]].count("24h") <= 1
    wait_for_map(page, scenario["sites"])
    expect(page.locator("#data-files li")).to_have_text([re.compile("仅使用区域自带数据")])

    # add a worker layer of a group the area's own data does not have
    lon, lat = scenario["sites"][0]["lon"], scenario["sites"][0]["lat"]
    layer = tmp_path / "骑手分布.csv"
    layer.write_text(f"lon,lat,weight\n{lon},{lat},25\n{lon + 0.001},{lat},15\n", encoding="utf-8")
    page.select_option("#data-kind", "layer")
    page.set_input_files("#data-file", str(layer))
    page.fill("#data-group", "night_riders")
    page.click("#data-submit")
    expect_saved(page, 2)
    expect(page.locator("#data-files li")).to_have_text([re.compile("骑手分布.csv.*2")])
    expect(page.locator('#by-group tr[data-group="night_riders"] td:nth-child(2)')).to_have_text("40")
