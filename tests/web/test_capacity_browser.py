"""A capacitated scenario on the review map in Chromium (issue 16, part 4): made through the new-scenario form's
capacity fields, its stations ringed by utilisation with a legend entry, a station's popup with its capacity, peak
load and utilisation, and served versus covered workers in the figures; in Chinese, then in English. Compared with a
plain scenario, it shows its served workers and its stations' highest utilisation, the plain one "—"."""

from __future__ import annotations

import re

import pytest
from _browser import BROWSER_MARKS, WAIT_MS
from _web_helpers import CAPACITATED_PARAMS, PASSWORD, page_api, planner_server

pytestmark = BROWSER_MARKS

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install -e '.[test]'")
expect = sync_api.expect

PLAN_MS = 120_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with planner_server(tmp_path_factory.mktemp("capacity")) as running:
        yield running


@pytest.fixture
def page(server, browser):
    """A logged-in page in a fresh context; the test fails on any JavaScript error."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    context.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    opened = context.new_page()
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.goto(f"{server.url}/login?lang=zh")
    opened.fill("#username", "alice")
    opened.fill("#password", PASSWORD)
    opened.click("#login-submit")
    opened.wait_for_url(f"{server.url}/")
    yield opened
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"


def test_capacitated_scenario_shows_capacity_utilisation_and_legend(server, page):
    # the new-scenario form's capacity fields: long visits, so that some station is full at its busiest window
    page.fill("#new-name", "容量方案")
    page.fill("#new-stations", "5")
    page.click("#new-params summary")
    page.check("#new-capacitated")
    page.fill("#new-visit-minutes", "couriers=60，sanitation：40")
    page.click("#create-scenario")
    page.wait_for_url(re.compile(r"/scenarios/\d+$"), timeout=PLAN_MS)
    sid = int(page.get_attribute("#review", "data-scenario-id"))
    status, scenario = page_api(page, "GET", f"/api/planner/scenarios/{sid}")
    assert status == 200, scenario
    assert scenario["params"]["capacitated"] is True
    assert scenario["params"]["visit_minutes"] == {"couriers": 60.0, "sanitation": 40.0}

    # every station drawn with its utilisation ring; the legend explains the rings
    expect(page.locator(".site-marker[data-utilisation]")).to_have_count(5)
    legend = page.locator("#legend")
    for key, text in (("utilisation", "站点利用率（最忙时段）"), ("util_low", "低于 70%"), ("util_high", "70%–100%"),
                      ("util_full", "满员（达到容量）")):  # fmt: skip
        expect(legend.locator(f'.legend-row[data-key="{key}"]')).to_be_visible()
        expect(legend.locator(f'.legend-row[data-key="{key}"]')).to_contain_text(text)
    busiest = max(scenario["sites"], key=lambda site: site["utilisation"])
    level = "full" if busiest["utilisation"] >= 0.9999 else "high" if busiest["utilisation"] >= 0.7 else "low"
    marker = page.locator(f'.site-marker[data-site-id="{busiest["id"]}"]')
    expect(marker).to_have_class(re.compile(rf"\butil-{level}\b"))

    # its popup: capacity, peak load in its busiest window, utilisation
    marker.click()
    popup = page.locator(f'.site-popup[data-site-id="{busiest["id"]}"] .site-capacity')
    expect(popup).to_be_visible()
    expect(popup.locator('[data-field="capacity"]')).to_contain_text(f"容量: {busiest['capacity']} 人同时")
    expect(popup.locator('[data-field="peak_load"]')).to_contain_text(busiest["peak_window"])
    expect(popup.locator('[data-field="utilisation"]')).to_have_text(f"利用率: {100 * busiest['utilisation']:.1f}%")

    # the figures: served within capacity next to covered, per district and per group
    expect(page.locator("#covered-total")).to_contain_text("按容量可服务")
    expect(page.locator("#by-group th.served-col")).to_be_visible()
    expect(page.locator("#by-district th.served-col")).to_have_text("可服务")
    groups = scenario["figures"]["by_group"]
    expect(page.locator("#by-group tbody td.served-col")).to_have_count(len(groups))

    # the same in English
    page.goto(f"{server.url}/scenarios/{sid}?lang=en")
    expect(page.locator(".site-marker[data-utilisation]")).to_have_count(5)
    expect(page.locator('#legend .legend-row[data-key="util_full"]')).to_contain_text("full (at capacity)")
    page.locator(f'.site-marker[data-site-id="{busiest["id"]}"]').click()
    expect(page.locator(f'.site-popup[data-site-id="{busiest["id"]}"] [data-field="capacity"]')).to_contain_text(
        f"Capacity: {busiest['capacity']} people at once"
    )


def test_plain_scenario_hides_the_capacity_legend(server, page):
    status, made = page_api(page, "POST", "/api/planner/scenarios", {"name": "普通方案", "mode": "empty"})
    assert status == 201, made
    page.goto(f"{server.url}/scenarios/{made['id']}")
    expect(page.locator("#covered-total")).not_to_have_text("–")  # the scenario was shown
    expect(page.locator('#legend .legend-row[data-key="shading"]')).to_be_visible()
    expect(page.locator('#legend .legend-row[data-key="util_full"]')).to_be_hidden()
    expect(page.locator("#by-group th.served-col")).to_be_hidden()


def _count(value: float) -> str:
    return f"{round(value):,}"


def _served(figures: dict) -> str:
    return f"{_count(figures['served'])} ({100 * figures['served_share']:.1f}%)"


def test_compare_page_shows_served_workers_and_peak_utilisation(server, page):
    status, capacitated = page_api(page, "POST", "/api/planner/scenarios",
                                   {"name": "容量对比", "stations": 5, "params": CAPACITATED_PARAMS})  # fmt: skip
    assert status == 201, capacitated
    status, plain = page_api(page, "POST", "/api/planner/scenarios",
                             {"name": "普通对比", "stations": 5, "params": {"time_limit_s": 3.0}})  # fmt: skip
    assert status == 201, plain
    assert "capacity" not in plain["figures"]
    figures, capacity = capacitated["figures"], capacitated["figures"]["capacity"]
    page.goto(f"{server.url}/compare?a={plain['id']}&b={capacitated['id']}")

    # served within capacity after each side's share covered; the plain scenario (A) has none: "—"
    heads = ["区县", "A 已覆盖劳动者", "A 覆盖率", "A 按容量可服务", "B 已覆盖劳动者", "B 覆盖率", "B 按容量可服务",
             "B−A 已覆盖劳动者", "B−A 覆盖率（百分点）"]  # fmt: skip
    expect(page.locator("#compare-district thead th")).to_have_text(heads)
    total = page.locator("#compare-district tfoot tr td")
    expect(total.nth(3)).to_have_text("—")
    expect(total.nth(3)).to_have_attribute("title", "该方案未按容量规划")
    expect(total.nth(4)).to_have_text(_count(figures["workers"]["covered"]))
    expect(total.nth(6)).to_have_text(_served(figures["workers"]))
    for name, entry in figures["by_group"].items():
        cells = page.locator(f'#compare-group tbody tr[data-name="{name}"] td')
        expect(cells.nth(3)).to_have_text("—")
        expect(cells.nth(6)).to_have_text(_served(entry))

    # the key figures: covered and served next to each other, and the stations' highest utilisation
    table = page.locator("#compare-capacity")
    expect(table).to_be_visible()
    expect(table.locator('tr[data-key="served"] td[data-side="a"]')).to_have_text("—")
    expect(table.locator('tr[data-key="served"] td[data-side="b"]')).to_have_text(_served(figures["workers"]))
    expect(table.locator('tr[data-key="peak"] td[data-side="a"]')).to_have_text("—")
    peak = f"{100 * capacity['max_utilisation']:.1f}%"
    full = capacity["full"]
    expect(table.locator('tr[data-key="peak"] td[data-side="b"]')).to_have_text(f"{peak}（满员站点 {full} 个）")
    # B's stations are ringed by utilisation on its map, and the legend says what the rings mean
    expect(page.locator("#map-b .site-marker[data-utilisation]")).to_have_count(5)
    expect(page.locator("#map-a .site-marker[data-utilisation]")).to_have_count(0)
    expect(page.locator('#compare-legend li[data-key="util_full"]')).to_contain_text("满员（达到容量）")

    # the same in English
    page.goto(f"{server.url}/compare?a={plain['id']}&b={capacitated['id']}&lang=en")
    expect(page.locator("#compare-group thead th").nth(6)).to_have_text("B served within capacity")
    expect(page.locator('#compare-capacity tr[data-key="peak"] td[data-side="b"]')).to_have_text(
        f"{peak} (stations full: {full})"
    )
    expect(page.locator('#compare-capacity tr[data-key="served"] th')).to_have_text(
        "Workers served within capacity (share)"
    )


def test_compare_page_of_two_plain_scenarios_has_no_capacity_figures(server, page):
    made = []
    for name in ("普通甲", "普通乙"):
        status, scenario = page_api(page, "POST", "/api/planner/scenarios", {"name": name, "mode": "empty"})
        assert status == 201, scenario
        made.append(scenario["id"])
    page.goto(f"{server.url}/compare?a={made[0]}&b={made[1]}")
    expect(page.locator("#compare-district tfoot tr td")).to_have_count(7)
    expect(page.locator("#compare-district thead th")).to_have_count(7)
    expect(page.locator("#compare-capacity")).to_be_hidden()
    expect(page.locator('#compare-legend li[data-key="util_full"]')).to_have_count(0)
