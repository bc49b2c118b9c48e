"""Publishing's checklist on the review map (web/static/publish.js) in Chromium, against ``geoplan serve``.

A planner publishes a scenario with one complete station and one that states only its name: the server refuses, the
dialog lists the incomplete station and what it lacks, the planner leaves it out, and only the complete one is public;
the audit entry records the exclusion.
"""

from __future__ import annotations

import json
import urllib.request

import pytest
from _browser import BROWSER_MARKS, WAIT_MS
from _web_helpers import PASSWORD, planner_server
from _web_helpers import page_api as _api

pytestmark = BROWSER_MARKS

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install -e '.[test]'")
expect = sync_api.expect

PLAN_MS = 120_000
FULL = {"name": "完整驿站", "address": "滨江路 8 号", "hours": "08:30-17:00", "station_status": "open"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with planner_server(tmp_path_factory.mktemp("publish")) as running:
        yield running


@pytest.fixture
def page(server, browser):
    errors = []
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    context.set_default_timeout(WAIT_MS)
    opened = context.new_page()
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"


def _public_ids(server) -> list[int]:
    with urllib.request.urlopen(f"{server.url}/api/v1/stations", timeout=30) as response:
        return [s["id"] for s in json.loads(response.read())["stations"]]


def test_publish_shows_the_checklist_and_publishes_without_the_excluded_station(server, page):
    page.goto(f"{server.url}/login")
    page.fill("#username", "alice")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"{server.url}/")
    status, scenario = _api(page, "POST", "/api/planner/scenarios", {"name": "发布检查", "mode": "plan"})
    assert status == 201, scenario
    sid = scenario["id"]
    full, bare = scenario["sites"][0], scenario["sites"][1]
    for site in (full, bare):
        status, scenario = _api(page, "POST", f"/api/planner/scenarios/{sid}/sites/{site['id']}",
                                {"action": "accept", "version": scenario["version"]})  # fmt: skip
        assert status == 200, scenario
    for site, details in ((full, FULL), (bare, {"name": "只有名称"})):
        status, scenario = _api(page, "POST", f"/api/planner/scenarios/{sid}/sites/{site['id']}/details",
                                {"version": scenario["version"], "details": details})  # fmt: skip
        assert status == 200, scenario
    version = scenario["version"]

    page.goto(f"{server.url}/scenarios/{sid}")
    expect(page.locator(".site-marker")).to_have_count(len(scenario["sites"]), timeout=PLAN_MS)
    page.wait_for_load_state("networkidle")
    expect(page.locator("#publish")).to_have_text("未发布")
    page.click("#publish")
    dialog = page.locator("#publish-check")
    expect(dialog).to_be_visible()
    expect(dialog.locator("h2")).to_have_text("以下站点发布后会公开，但信息不完整")
    rows = dialog.locator("li.publish-check-site")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-site-id", str(bare["id"]))
    expect(rows.first).to_contain_text("只有名称")
    expect(rows.first.locator(".publish-missing")).to_have_text("缺少：地址、开放时间、站点状态")
    assert _public_ids(server) == [], "refused: nothing public yet"

    page.click("#publish-confirm")  # no choice made: the dialog says so, nothing is sent
    expect(dialog.locator(".publish-check-problem")).to_have_text("请为每个站点选择一项")
    rows.first.locator('input[data-choice="exclude"]').check()
    page.click("#publish-confirm")
    expect(dialog).to_have_count(0)
    expect(page.locator("#publish")).to_have_text("已发布")
    expect(page.locator("#message")).to_contain_text("1 个站点未公开")
    assert _public_ids(server) == [full["id"]]
    status, audit = _api(page, "GET", f"/api/planner/audit?scenario={sid}")
    assert status == 200, audit
    entry = next(e for e in audit["entries"] if e["action"] == "publish")
    assert entry["after"] == {"published": True, "excluded": [bare["id"]], "forced": []}
    _, now = _api(page, "GET", f"/api/planner/scenarios/{sid}")
    assert (now["published"], now["version"]) == (True, version + 1)
