"""A planner's daily work on the review map in Chromium (issue 13): the fixed message bar, details saved in place,
stable site numbers and what a re-optimisation changed and why, undo, legend and district labels, progress on slow
steps, search, and the phone-width layout; in Chinese, and the texts in English too.
"""

from __future__ import annotations

import re

import pytest
from _browser import BROWSER_MARKS, WAIT_MS
from _web_helpers import PASSWORD, planner_server
from _web_helpers import page_api as api

pytestmark = BROWSER_MARKS

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install -e '.[test]'")
expect = sync_api.expect

PLAN_MS = 120_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with planner_server(tmp_path_factory.mktemp("review")) as running:
        yield running


@pytest.fixture
def open_page(server, browser):
    """Open a page in a fresh context (viewport, locale); fail the test on any JavaScript error."""
    contexts, errors = [], []

    def opener(width: int = 1280, height: int = 800, locale: str = "zh-CN"):
        context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    yield opener
    for context in contexts:
        context.close()
    assert errors == [], f"JavaScript errors: {errors}"


def log_in(page, base: str, lang: str = "zh") -> None:
    page.goto(f"{base}/login?lang={lang}")
    page.fill("#username", "alice")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"{base}/")


def scenario_json(page, sid: int) -> dict:
    status, body = api(page, "GET", f"/api/planner/scenarios/{sid}")
    assert status == 200, body
    return body


def wait_for_map(page, count: int) -> None:
    expect(page.locator(".site-marker[data-site-id]")).to_have_count(count, timeout=PLAN_MS)
    page.wait_for_load_state("networkidle")
    expect(page.locator("#covered-total")).not_to_have_text("–")


def expect_message(page, text: str | re.Pattern, kind: str = "ok") -> None:
    """The one message bar says ``text``, of ``kind``, and is on screen, fixed to the window."""
    box = page.locator("#message")
    expect(box).to_have_text(text)
    expect(box).to_have_class(re.compile(rf"\b{kind}\b"))
    expect(box).to_be_in_viewport()
    assert box.evaluate("b => getComputedStyle(b).position") == "fixed"


def decide(page, site: dict, action: str) -> None:
    """Find a site by its number in the search box (the map pans to it and opens it), press an action."""
    page.fill("#site-search", str(site["number"]))
    page.locator(f'#search-results button[data-site-id="{site["id"]}"]').click()
    # the decision's own request answered (not a message that an earlier decision may still show); a click that
    # did not reach the button, or a refused request, fails here and says which
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith(f"/sites/{site['id']}")
    ) as answer:
        page.locator(f'.site-popup[data-site-id="{site["id"]}"] button[data-action="{action}"]').click()
    assert answer.value.ok, (answer.value.status, answer.value.text())


def row(page, site: dict):
    return page.locator(f'#site-list tbody tr[data-site-id="{site["id"]}"]')


@pytest.fixture(scope="module")
def made(server, browser):
    """The planner's scenario, made through the new-scenario form; the progress it showed meanwhile."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    log_in(page, server.url)
    page.fill("#new-name", "复核方案")
    page.click("#create-scenario")
    # the plan takes seconds: a visible progress with the seconds elapsed, the form's button disabled
    expect(page.locator("#message")).to_have_class(re.compile(r"\bbusy\b"))
    expect(page.locator("#message")).to_contain_text(re.compile(r"正在计算新方案… 已用 \d+ 秒"))
    expect(page.locator("#create-scenario")).to_be_disabled()
    page.wait_for_url(re.compile(r"/scenarios/\d+$"), timeout=PLAN_MS)
    sid = int(page.get_attribute("#review", "data-scenario-id"))
    context.close()
    return sid


def test_planner_reviews_with_legend_search_details_undo_and_reoptimise(server, open_page, made):
    page = open_page()
    log_in(page, server.url)
    page.goto(f"{server.url}/scenarios/{made}")
    scenario = scenario_json(page, made)
    sites = scenario["sites"]
    wait_for_map(page, len(sites))
    assert [s["number"] for s in sites] == list(range(1, len(sites) + 1))
    page.evaluate("window.notReloaded = true")  # gone if the page reloads

    # the legend and the district labels with the share of their workers covered
    legend = page.locator("#legend")
    expect(legend).to_contain_text("图例")
    for text in ("建议", "已采纳", "已否决", "现有站点", "市级站点", "劳动者：已覆盖", "劳动者：未覆盖", "候选点",
                 "区县底色：劳动者覆盖率"):  # fmt: skip
        expect(legend).to_contain_text(text)
    districts = scenario["figures"]["by_district"]
    labels = page.locator(".district-label-text")
    expect(labels).to_have_count(len(districts))
    name, figures = next(iter(districts.items()))
    expect(page.locator(f'.district-label-text[data-district="{name}"]')).to_have_text(
        f"{name} {100 * figures['share']:.1f}%"
    )

    # the site numbers are shown in the list and on the markers
    first = sites[0]
    expect(row(page, first).locator("td").first).to_have_text(f"#{first['number']}")
    first_marker = page.locator(f'.site-marker[data-site-id="{first["id"]}"]')
    expect(first_marker).to_have_attribute("title", f"#{first['number']}")

    # search by number: picking the result opens the site's popup
    target = sites[1]
    page.fill("#site-search", str(target["number"]))
    page.locator(f'#search-results button[data-site-id="{target["id"]}"]').click()
    expect(page.locator(f'.site-popup[data-site-id="{target["id"]}"]')).to_be_visible()
    # by street name, from the area's own streets
    streets = page.evaluate(f"fetch('/basemap/{scenario['area']}/streets.geojson').then(r => r.json())")
    named = sorted({f["properties"]["name"] for f in streets["features"] if f["properties"].get("name")})
    assert named, "the area has named streets"
    page.fill("#site-search", named[0])
    expect(page.locator('#search-results button[data-kind="street"]').first).to_contain_text(f"街道: {named[0]}")
    page.fill("#site-search", "没有这个地方zz")
    expect(page.locator("#search-results")).to_have_text("没有匹配的站点或街道")
    page.fill("#site-search", "")

    # details saved in place: no reload, the site list shows the new name, the message bar in view
    row(page, first).click()
    expect(page.locator("#details-form")).to_have_attribute("data-site-id", str(first["id"]))
    expect(page.locator("#details-form h2")).to_have_text(f"站点详情 #{first['number']}")
    page.fill("#details-name", "江边爱心驿站")
    page.click("#details-save")
    expect_message(page, "已保存")
    expect(page.locator("#scenario-version")).to_have_text("2")
    expect(row(page, first)).to_contain_text("江边爱心驿站")
    expect(page.locator("#details-form")).to_have_attribute("data-version", "2")
    assert page.evaluate("window.notReloaded") is True

    # a stale save: the message, and only the data reloaded
    status, _ = api(page, "POST", f"/api/planner/scenarios/{made}/rename", {"name": "复核方案 改", "version": 2})
    assert status == 200
    page.fill("#details-name", "不该保存")
    page.click("#details-save")
    expect_message(page, re.compile("重新加载"), "error")
    expect(page.locator("#scenario-version")).to_have_text("3")
    expect(page.locator("#scenario-name")).to_have_text("复核方案 改")
    expect(page.locator("#details-name")).to_have_value("江边爱心驿站")
    assert page.evaluate("window.notReloaded") is True

    # accept, then undo it
    decide(page, target, "accept")
    expect_message(page, "已保存")
    expect(row(page, target)).to_have_attribute("data-status", "accepted")
    page.click("#undo")
    expect_message(page, "已撤销：采纳")
    expect(row(page, target)).to_have_attribute("data-status", "proposed")
    expect(page.locator("#scenario-version")).to_have_text("5")
    page.click("#undo")
    expect_message(page, re.compile("不能再撤销"), "error")
    expect(page.locator("#message")).to_have_attribute("role", "alert")

    # re-optimise around an accepted and a rejected site: progress meanwhile; kept sites keep their numbers;
    # what changed is marked and the gap explained
    accepted, rejected = sites[0], sites[2]
    for site, action in ((accepted, "accept"), (rejected, "reject")):
        version = int(page.locator("#scenario-version").inner_text())
        decide(page, site, action)
        # the saved version, not the message: "已保存" may still be on screen from the decision before
        expect(page.locator("#scenario-version")).to_have_text(str(version + 1))
        expect_message(page, "已保存")
        expect(row(page, site)).to_have_attribute("data-status", {"accept": "accepted", "reject": "rejected"}[action])
    before = scenario_json(page, made)
    page.click("#reoptimise")
    expect(page.locator("#message")).to_contain_text(re.compile(r"正在重新优化… 已用 \d+ 秒"))
    expect(page.locator("#reoptimise")).to_be_disabled()
    expect_message(page, re.compile(r"已保存 · 最优性差距 .* 重新优化：用时 [\d.]+ 秒"))
    expect(page.locator("#reoptimise")).to_be_enabled()
    after = scenario_json(page, made)
    kept = {s["number"] for s in before["sites"]} & {s["number"] for s in after["sites"]}
    assert accepted["number"] in kept
    assert rejected["number"] in kept
    summary = page.locator("#reopt-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text(re.compile(r"重新优化：保留 \d+ 个，新增 \d+ 个，移除 \d+ 个站点"))
    expect(summary.locator('li[data-why="gap_change"]')).to_contain_text("最优性差距由")
    expect(summary.locator('li[data-why="fixed"]')).to_contain_text("1 个已采纳或现有站点固定不动，1 个被否决")
    expect(summary.locator('li[data-why="rules"]')).to_contain_text("每区县至少 1 个站点")
    added = {s["number"] for s in after["sites"]} - {s["number"] for s in before["sites"]}
    removed = {s["number"] for s in before["sites"]} - {s["number"] for s in after["sites"]}
    expect(page.locator(".site-marker[data-change=added]")).to_have_count(len(added))
    expect(page.locator(".removed-marker[data-number]")).to_have_count(len(removed))
    if added:
        assert min(added) > max(s["number"] for s in before["sites"])
        expect(summary.locator(".reopt-added")).to_contain_text(" ".join(f"#{n}" for n in sorted(added)))

    # undo the re-optimisation: the proposals come back with their numbers, the marks go
    page.click("#undo")
    expect_message(page, "已撤销：重新优化")
    expect(summary).to_be_hidden()
    restored = scenario_json(page, made)
    assert sorted(s["number"] for s in restored["sites"]) == sorted(s["number"] for s in before["sites"])
    assert page.evaluate("window.notReloaded") is True

    # the PDF report: seconds elapsed while it is made, then where it went
    page.select_option("#export-format", "pdf")
    with page.expect_download(timeout=PLAN_MS):
        page.click("#export-download")
        expect(page.locator("#message")).to_contain_text(re.compile(r"正在生成文件… 已用 \d+ 秒"))
    expect_message(page, re.compile(r"已下载: .*\.pdf · 正在生成文件：用时 [\d.]+ 秒"))


def test_the_review_map_in_english(server, open_page, made):
    page = open_page(locale="en-GB")
    log_in(page, server.url, "en")
    page.goto(f"{server.url}/scenarios/{made}?lang=en")
    scenario = scenario_json(page, made)
    wait_for_map(page, len(scenario["sites"]))
    legend = page.locator("#legend")
    for text in ("Legend", "Proposed", "City-level station (gold ring)", "Workers: covered", "Candidate site",
                 "District shading: workers covered"):  # fmt: skip
        expect(legend).to_contain_text(text)
    expect(page.locator("#site-search")).to_have_attribute("placeholder", "Search site number, name or street")
    page.fill("#site-search", "no such place zz")
    expect(page.locator("#search-results")).to_have_text("No site or street matches")
    expect(page.locator("#undo")).to_have_text("Undo last change")
    page.click("#undo")  # the last change was an undo: refused, in English
    expect_message(page, re.compile("already an undo"), "error")
    page.click("#reoptimise")
    expect(page.locator("#message")).to_contain_text(re.compile(r"Re-optimising… \d+ s elapsed"))
    summary = page.locator("#reopt-summary")
    expect(summary).to_contain_text(re.compile(r"Re-optimised: \d+ kept, \d+ added, \d+ removed"))
    expect(summary.locator('li[data-why="gap_change"]')).to_contain_text("The optimality gap went from")
    expect(summary).to_contain_text("Why this gap")


def test_phone_width_layout(server, open_page, made):
    page = open_page(width=390, height=844)
    log_in(page, server.url)
    page.goto(f"{server.url}/scenarios/{made}")
    scenario = scenario_json(page, made)
    wait_for_map(page, len(scenario["sites"]))
    # the header wraps by item, never one character per line
    for selector in (".brand", "#lang-switch", "#current-user", "#logout"):
        box = page.locator(selector).bounding_box()
        assert box["height"] < 45, (selector, box)
        assert box["width"] > 30, (selector, box)
    map_box = page.locator("#map").bounding_box()
    assert map_box["width"] >= 370, map_box
    assert map_box["height"] >= 300, map_box
    # the panels start folded, the legend too; the side panel folds away entirely and comes back
    expect(page.locator("details.panel[open]")).to_have_count(0)
    expect(page.locator("#legend")).not_to_have_attribute("open", "")
    toggle = page.locator("#panel-toggle")
    expect(toggle).to_be_visible()
    toggle.click()
    expect(page.locator("#side-panel")).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(page.locator("#side-panel")).to_be_visible()
    # a message stays in view at the bottom of the window while the page scrolls
    page.locator("#by-district").scroll_into_view_if_needed()
    page.evaluate("GeoMap.message('测试提示', 'ok')")
    expect_message(page, "测试提示")
    box = page.locator("#message").bounding_box()
    assert box["y"] + box["height"] <= 844
    assert box["width"] <= 390
