"""A planner previews a worker layer built from riders' GPS pings on the review map, then uses it in the scenario
(issue 15), in Chromium against ``geoplan serve``: the preview's circles and report appear and nothing is saved; the
layer used joins the scenario's workers, and a re-optimisation plans on it.
"""

from __future__ import annotations

import re

import pytest
from _browser import BROWSER_MARKS, WAIT_MS
from _traces import hotspot_points, traces
from _web_helpers import PASSWORD, page_api, planner_server

pytestmark = BROWSER_MARKS

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install -e '.[test]'")
expect = sync_api.expect

#: A re-optimisation on the new data prepares the model first (seconds on a busy machine).
PLAN_MS = 120_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with planner_server(tmp_path_factory.mktemp("observed")) as running:
        yield running


@pytest.fixture(scope="module")
def pings_file(helsinki, tmp_path_factory):
    """30 riders' pings at three hotspots of Helsinki (the server's default area), as a CSV file."""
    path = tmp_path_factory.mktemp("pings") / "骑手定位.csv"
    traces(helsinki, hotspot_points(helsinki, 3), workers=30).to_csv(path, index=False)
    return path


def _answered(path: str):
    return lambda r: r.request.method == "POST" and r.url.split("?")[0].endswith(path)


def _demand(sid: int):
    return lambda r: r.request.method == "GET" and r.url.split("?")[0].endswith(f"/scenarios/{sid}/demand")


def test_a_planner_previews_a_pings_layer_then_uses_it_in_the_scenario(server, browser, pings_file):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server.url}/login?lang=zh")
    page.fill("#username", "alice")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"{server.url}/")
    status, scenario = page_api(page, "POST", "/api/planner/scenarios", {"name": "观测图层", "mode": "empty"})
    assert status == 201, scenario
    sid = scenario["id"]
    page.goto(f"{server.url}/scenarios/{sid}")
    expect(page.locator("#covered-total")).not_to_have_text("–")
    couriers = page.locator('#by-group tbody tr[data-group="couriers"] td').nth(1)
    derived = couriers.inner_text()

    # the observed kinds show their own fields and buttons
    expect(page.locator("#observed-preview")).to_be_hidden()
    page.select_option("#data-kind", "pings")
    expect(page.locator("#observed-preview")).to_have_text("预览")
    expect(page.locator("#data-submit")).to_have_text("用于方案")
    expect(page.locator("#observed-hint")).to_contain_text("geoplan layer build")
    page.fill("#data-group", "couriers")
    page.set_input_files("#data-file", str(pings_file))

    # preview: the layer drawn as circles, the report shown, nothing saved
    with page.expect_response(_answered(f"/scenarios/{sid}/observed-preview")) as answered:
        page.click("#observed-preview")
    assert answered.value.ok, answered.value.text()
    layer = answered.value.json()
    points = len(layer["features"])
    assert points > 100
    expect(page.locator("path.observed-point")).to_have_count(points)
    expect(page.locator("#observed-report")).to_have_attribute("data-state", "preview")
    expect(page.locator("#observed-report .observed-legend")).to_have_text("预览图层（圆圈大小表示人数）")
    report = page.locator("#observed-report-lines li")
    expect(report.first).to_contain_text("骑手定位.csv：")
    expect(report.first).to_contain_text("30 名劳动者")
    expect(report.last).to_contain_text("隐私保护：不同劳动者少于 5 人的 250 米网格不公开")
    expect(page.locator("#message")).to_contain_text(f"预览：{points:,} 个点，约 30 人")
    assert page_api(page, "GET", f"/api/planner/scenarios/{sid}")[1]["version"] == scenario["version"]

    # use it: the scenario's couriers are now the observed riders, the preview gives way to the stored layer
    with page.expect_response(_answered(f"/scenarios/{sid}/data")) as answered, \
            page.expect_response(_demand(sid)) as demand:  # fmt: skip
        page.click("#data-submit")
    assert answered.value.ok, answered.value.text()
    assert not any(f["properties"]["covered"] for f in demand.value.json()["features"])  # no station yet
    expect(page.locator("#message")).to_have_text("已保存")
    expect(page.locator("path.observed-point")).to_have_count(0)
    expect(page.locator("#observed-report")).to_have_attribute("data-state", "used")
    expect(page.locator("#observed-report .observed-legend")).to_be_hidden()
    expect(page.locator("#observed-report-lines li").last).to_contain_text("隐私保护")
    expect(page.locator('#data-files li[data-observed="pings"]')).to_contain_text(
        re.compile(r"骑手定位\.csv \(\d+ 个点\) · 由骑手定位点生成，隐私删减 \d+\.\d%")
    )
    expect(couriers).to_have_text("30")
    assert derived != "30"

    # re-optimised, the plan's workers layer is the observed one
    with page.expect_response(_answered(f"/scenarios/{sid}/reoptimise"), timeout=PLAN_MS) as answered, \
            page.expect_response(_demand(sid), timeout=PLAN_MS) as demand:  # fmt: skip
        page.click("#reoptimise")
    assert answered.value.ok, answered.value.text()
    features = [f for f in demand.value.json()["features"] if f["properties"]["group"] == "couriers"]
    # the map's weights are rounded to 0.01 worker: the layer's thousands of street points each lose up to 0.005
    assert sum(f["properties"]["weight"] for f in features) == pytest.approx(30, abs=0.5 + 0.005 * len(features))
    assert any(f["properties"]["covered"] for f in features)
    expect(page.locator(".site-marker[data-site-id]").first).to_be_visible()
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"
