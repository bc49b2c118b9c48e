"""The station details editor of the review map (web/static/details.js) in a real browser, against ``geoplan serve``.

A planner opens a site's details from the site list and from its map popup, fills them in, publishes the scenario,
and the station appears with its name in the public API; a stale save is refused and the page reloads.
"""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest
from _browser import WAIT_MS, browser_test
from _web_helpers import PASSWORD, planner_server
from _web_helpers import page_api as _api

from geoplan.vocabulary import HOSTS, SERVICES, STATION_STATUSES

DETAILS_JS = Path(__file__).resolve().parents[2] / "web" / "static" / "details.js"

PLAN_MS = 120_000


def _js_list(name: str) -> list[str]:
    text = DETAILS_JS.read_text()
    found = re.search(rf"const {name} = \[(.*?)\];", text, re.DOTALL)
    assert found, f"details.js has no {name} list"
    return re.findall(r'"(\w+)"', found.group(1))


def test_editor_choices_match_the_store():
    assert _js_list("HOSTS") == list(HOSTS)
    assert _js_list("SERVICES") == list(SERVICES)
    assert _js_list("STATUSES") == list(STATION_STATUSES)


# --- the browser -----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with planner_server(tmp_path_factory.mktemp("details")) as running:
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


def _public_stations(server) -> list[dict]:
    """GET /api/v1/stations without any cookie, as the public would."""
    with urllib.request.urlopen(f"{server.url}/api/v1/stations", timeout=30) as response:
        return json.loads(response.read())["stations"]


def _wait_for_map(page, count: int) -> None:
    from playwright.sync_api import expect  # the module's first test runs without Playwright
    expect(page.locator(".site-marker")).to_have_count(count, timeout=PLAN_MS)
    page.wait_for_load_state("networkidle")
    expect(page.locator("#covered-total")).not_to_have_text("–")


@browser_test
def test_planner_edits_details_publishes_and_the_public_sees_the_station(server, page):
    from playwright.sync_api import expect  # the module's first test runs without Playwright

    page.goto(f"{server.url}/login")
    page.fill("#username", "alice")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"{server.url}/")
    status, scenario = _api(page, "POST", "/api/planner/scenarios", {"name": "详情方案", "mode": "plan"})
    assert status == 201, scenario
    sid = scenario["id"]
    site, other = scenario["sites"][0], scenario["sites"][1]
    status, scenario = _api(page, "POST", f"/api/planner/scenarios/{sid}/sites/{site['id']}",
                            {"action": "accept", "version": scenario["version"]})  # fmt: skip
    assert status == 200, scenario
    assert _public_stations(server) == []

    page.goto(f"{server.url}/scenarios/{sid}")
    _wait_for_map(page, len(scenario["sites"]))
    expect(page.locator("#publish")).to_have_text("未发布")
    expect(page.locator("#details-panel")).to_contain_text("点击站点列表")

    # from a marker's popup
    page.locator(f'.site-marker[data-site-id="{other["id"]}"]').click()
    page.locator(f'.site-popup[data-site-id="{other["id"]}"] button[data-action="details"]').click()
    expect(page.locator("#details-form")).to_have_attribute("data-site-id", str(other["id"]))

    # from the site list
    page.locator(f'#site-list tbody tr[data-site-id="{site["id"]}"]').click()
    form = page.locator("#details-form")
    expect(form).to_have_attribute("data-site-id", str(site["id"]))
    expect(form).to_have_attribute("data-version", "2")
    expect(page.locator("#details-services")).to_contain_text("如厕")
    assert page.locator("#details-host option").evaluate_all("o => o.map(x => x.value)") == ["", *HOSTS]
    assert page.locator("#details-station_status option").evaluate_all("o => o.map(x => x.value)") == [
        "", *STATION_STATUSES,
    ]  # fmt: skip
    assert page.locator("#details-services input").evaluate_all("o => o.map(x => x.value)") == list(SERVICES)
    expect(page.locator("#details-host")).to_contain_text("银行网点")

    # a bad field is refused with the reason, nothing saved
    page.fill("#details-name", "江边爱心驿站")
    page.fill("#details-hours", "早上八点到晚上")
    page.click("#details-save")
    expect(page.locator("#details-error")).to_contain_text("开放时间")
    expect(page.locator("#scenario-version")).to_have_text("2")

    page.fill("#details-address", "滨江路 8 号")
    page.fill("#details-phone", "0791-86000000")
    page.fill("#details-manager", "张站长")
    page.select_option("#details-host", "bank")
    page.fill("#details-hours", "08:30-17:00")
    page.check('#details-services input[value="toilet"]')
    page.check('#details-services input[value="drinking_water"]')
    page.fill("#details-photos", "https://example.org/1.jpg\n\n  https://example.org/2.jpg  \n")
    page.select_option("#details-station_status", "open")
    page.click("#details-save")
    expect(page.locator("#message")).to_have_text("已保存")  # saved in place, no page reload
    expect(page.locator("#scenario-version")).to_have_text("3")
    _, saved = _api(page, "GET", f"/api/planner/scenarios/{sid}")
    mine = next(s for s in saved["sites"] if s["id"] == site["id"])
    assert {k: mine[k] for k in ("name", "address", "phone", "manager", "host", "hours", "services", "photos",
                                 "station_status")} == {
        "name": "江边爱心驿站", "address": "滨江路 8 号", "phone": "0791-86000000", "manager": "张站长",
        "host": "bank", "hours": "08:30-17:00", "services": ["drinking_water", "toilet"],
        "photos": ["https://example.org/1.jpg", "https://example.org/2.jpg"], "station_status": "open",
    }  # fmt: skip

    # the saved details come back into the form
    page.locator(f'#site-list tbody tr[data-site-id="{site["id"]}"]').click()
    expect(page.locator("#details-name")).to_have_value("江边爱心驿站")
    expect(page.locator('#details-services input[value="toilet"]')).to_be_checked()
    expect(page.locator('#details-services input[value="wifi"]')).not_to_be_checked()
    expect(page.locator("#details-host")).to_have_value("bank")

    # publish: the station is public with its name
    page.click("#publish")
    expect(page.locator("#publish")).to_have_text("已发布")
    expect(page.locator("#scenario-version")).to_have_text("4")
    public = _public_stations(server)
    assert [s["name"] for s in public] == ["江边爱心驿站"]
    assert public[0]["services"] == ["drinking_water", "toilet"]

    # someone else changes the scenario while the form is open: the save is refused and the data reloaded
    page.locator(f'#site-list tbody tr[data-site-id="{site["id"]}"]').click()
    expect(page.locator("#details-form")).to_have_attribute("data-version", "4")
    status, _ = _api(page, "POST", f"/api/planner/scenarios/{sid}/rename", {"name": "详情方案 改", "version": 4})
    assert status == 200
    page.fill("#details-name", "不该保存")
    page.click("#details-save")
    expect(page.locator("#message")).to_contain_text("重新加载")
    expect(page.locator("#message")).to_have_class(re.compile(r"\berror\b"))
    expect(page.locator("#scenario-version")).to_have_text("5")
    assert [s["name"] for s in _public_stations(server)] == ["江边爱心驿站"]

    # withdraw it again
    page.click("#publish")
    expect(page.locator("#publish")).to_have_text("未发布")
    assert _public_stations(server) == []
