"""The audit log, the scenario comparison and the login page in Debian's Chromium against ``geoplan serve``, in
Chinese and in English.

The database holds a Shanghai scenario with a few decisions (the audit log needs no map data, only the area's
clocks) and two Helsinki scenarios (the default area's data) that differ by one station, for the comparison.
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from pathlib import Path

import pytest
import sqlalchemy as sa
from _browser import BROWSER_MARKS, WAIT_MS
from _web_helpers import PASSWORD, Server, add_user

from geoplan.outputs import layers
from geoplan.store import Store
from geoplan.store.models import AuditEntry

pytestmark = BROWSER_MARKS

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install -e '.[test]'")
expect = sync_api.expect

#: The console's note of an answer a test asks for: a refused login (401), a refused filter (400).
_REFUSED = re.compile(r"the server responded with a status of 40[01]")

#: When the seeded decisions were made (UTC): 18:05 in Beijing.
DECIDED_AT = dt.datetime(2026, 12, 2, 10, 5)


class Deployment:
    """The seeded database, planner alice (made with the CLI), and the server on them."""

    def __init__(self, folder: Path, workspace):
        self.database = f"sqlite:///{folder / 'db.sqlite'}"
        add_user(self.database, folder, "alice", "planner")
        store = Store(self.database)
        store.upgrade()
        self.shanghai = self._shanghai(store)
        self.first, self.second = self._pair(store, workspace)
        store.engine.dispose()
        self.server = Server(self.database, folder, folder / "server.log").wait()

    @staticmethod
    def _shanghai(store: Store) -> dict:
        sites = [{"status": "proposed", "lon": 121.5, "lat": 31.2, "candidate_id": "c1", "name": "浦东一号"},
                 {"status": "proposed", "lon": 121.51, "lat": 31.21, "candidate_id": "c2"}]  # fmt: skip
        scenario = store.create_scenario("浦东方案", "shanghai", "alice", sites=sites)
        site = scenario["sites"][0]["id"]
        scenario = store.update_site(scenario["id"], site, scenario["version"], "alice", "accept", status="accepted")
        scenario = store.update_details(scenario["id"], site, scenario["version"], "alice",
                                        {"host": "bank", "services": ["toilet", "drinking_water"]})  # fmt: skip
        with store.engine.begin() as connection:
            connection.execute(sa.update(AuditEntry).values(at=DECIDED_AT))
        return scenario

    @staticmethod
    def _pair(store: Store, workspace) -> tuple[dict, dict]:
        """Scenario A with two accepted stations at candidate spots; B its copy with a third one."""
        spots = [f for f in layers.candidates_geojson(workspace.prepared)["features"]
                 if f["properties"]["source"] in {"roadside", "host"}]  # fmt: skip
        step = max(1, len(spots) // 3)
        picked = [spots[0], spots[step], spots[2 * step]]
        sites = [{"status": "accepted", "lon": f["geometry"]["coordinates"][0], "lat": f["geometry"]["coordinates"][1],
                  "candidate_id": f["properties"]["id"], "district": f["properties"]["district"]}
                 for f in picked]  # fmt: skip
        area = workspace.area.spec.name
        first = store.create_scenario("对比甲", area, "alice", sites=sites[:2])
        second = store.duplicate_scenario(first["id"], "对比乙", "alice")
        second = store.add_sites(second["id"], second["version"], "alice", sites[2:], "import")
        return first, second

    @property
    def url(self) -> str:
        """Base URL of the running server."""
        return self.server.url


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, default_workspace):
    """The running server on the seeded database."""
    deployment = Deployment(tmp_path_factory.mktemp("review-pages"), default_workspace)
    yield deployment
    deployment.server.stop()


@pytest.fixture
def new_page(browser):
    """Open pages in fresh zh-CN contexts; fail the test on any JavaScript or console error."""
    contexts, errors = [], []

    def open_page():
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
        page.on("console", lambda message: errors.append(f"{page.url}: console: {message.text}")
                if message.type == "error" and not _REFUSED.search(message.text) else None)  # fmt: skip
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert errors == [], errors


def log_in(page, base: str, lang: str) -> None:
    page.goto(f"{base}/login?lang={lang}")
    page.fill("#username", "alice")
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    expect(page.locator("#current-user")).to_contain_text("alice")


@pytest.mark.parametrize(("lang", "message"), [("zh", "用户名或密码错误"), ("en", "Wrong user name or password")])
def test_a_failed_login_says_so_inside_the_login_card(deployment, new_page, lang, message):
    page = new_page()
    page.goto(f"{deployment.url}/login?lang={lang}")
    expect(page.locator("#login-error")).to_have_count(0)
    page.fill("#username", "alice")
    page.fill("#password", "not the password")
    page.click("#login-submit")
    alert = page.locator("#login-form").get_by_role("alert")
    expect(alert).to_have_text(message)
    expect(page.locator(".flash")).to_have_count(0)  # no second copy outside the card
    expect(page.locator("#username")).to_have_value("alice")
    expect(page.locator("#password")).to_have_attribute("aria-describedby", "login-error")


def test_the_audit_log_reads_in_chinese_and_filters(deployment, new_page):
    page = new_page()
    log_in(page, deployment.url, "zh")
    page.goto(f"{deployment.url}/audit?scenario={deployment.shanghai['id']}")
    rows = page.locator("#audit-table tbody tr")
    expect(rows).to_have_count(3)
    edit = page.locator('#audit-table tbody tr[data-action="edit details"]')
    expect(edit.locator(".audit-when")).to_have_text("2026-12-02 18:05（北京时间）")
    expect(edit.locator(".audit-action")).to_have_text("编辑详情")
    expect(edit.locator(".audit-changes li")).to_have_text(["建设单位：银行网点", "服务项目：如厕、饮水"])
    accept = page.locator('#audit-table tbody tr[data-action="accept"]')
    expect(accept.locator(".audit-changes li")).to_have_text("规划状态：建议 → 已采纳")
    expect(accept.locator(".audit-raw")).not_to_have_attribute("open", "")
    expect(page.locator("#audit-shown")).to_have_text("显示第 1–3 条记录（最新的在前，每页最多 100 条）")
    expect(page.locator("#audit-zone")).to_have_text("日期按北京时间计")

    page.select_option("#audit-action", label="采纳")
    page.click("#audit-submit")
    expect(rows).to_have_count(1)
    expect(rows.locator(".audit-action")).to_have_text("采纳")
    page.fill("#audit-from", "2026-12-03")
    page.click("#audit-submit")
    expect(rows).to_have_text(["没有符合条件的记录"])
    page.fill("#audit-from", "2026-12-02")
    page.fill("#audit-to", "2026-12-01")
    page.click("#audit-submit")
    expect(page.get_by_role("alert")).to_contain_text("起始日期 2026-12-02 晚于截止日期 2026-12-01")
    page.click("#audit-clear")
    expect(rows).to_have_count(3)


def test_the_audit_log_reads_in_english(deployment, new_page):
    page = new_page()
    log_in(page, deployment.url, "en")
    page.goto(f"{deployment.url}/audit?scenario={deployment.shanghai['id']}")
    edit = page.locator('#audit-table tbody tr[data-action="edit details"]')
    expect(edit.locator(".audit-when")).to_have_text("2026-12-02 18:05 (Asia/Shanghai)")
    expect(edit.locator(".audit-changes li")).to_have_text(["Host: Bank branch", "Services: Toilet, Drinking water"])
    create = page.locator('#audit-table tbody tr[data-action="create"]')
    expect(create.locator(".audit-action")).to_have_text("create scenario")
    expect(create.locator(".audit-changes li").first).to_have_text("Name: 浦东方案")
    page.fill("#audit-user", "nobody")
    page.click("#audit-submit")
    expect(page.locator("#audit-table tbody tr")).to_have_text(["No entry matches"])
    expect(page.locator("#audit-shown")).to_have_text("No entry matches")


def _signed(value: float, shown) -> str:
    text = shown(abs(value))
    if text == shown(0):
        return text
    return f"+{text}" if value > 0 else f"−{text}"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_comparison_labels_every_count_and_shows_b_minus_a(deployment, new_page, lang):
    page = new_page()
    log_in(page, deployment.url, lang)
    first, second = deployment.first["id"], deployment.second["id"]
    data = page.request.get(f"{deployment.url}/api/planner/compare?a={first}&b={second}").json()
    page.goto(f"{deployment.url}/compare?a={first}&b={second}")
    sites = {"zh": "新增: 1 · 移除: 0 · 两个方案共有: 2", "en": "Added: 1 · Removed: 0 · In both: 2"}
    expect(page.locator("#compare-sites")).to_have_text(sites[lang])
    share = {side: f"{100 * data['workers'][side]['share']:.1f}%" for side in "ab"}
    title = {"zh": f"A: 对比甲（覆盖率 {share['a']}） · B: 对比乙（覆盖率 {share['b']}）",
             "en": f"A: 对比甲 (share covered {share['a']}) · B: 对比乙 (share covered {share['b']})"}  # fmt: skip
    expect(page.locator("#compare-title")).to_have_text(title[lang])
    heads = {"zh": ["区县", "A 已覆盖劳动者", "A 覆盖率", "B 已覆盖劳动者", "B 覆盖率", "B−A 已覆盖劳动者",
                    "B−A 覆盖率（百分点）"],
             "en": ["District", "A workers covered", "A share covered", "B workers covered", "B share covered",
                    "B−A workers covered", "B−A share (points)"]}  # fmt: skip
    expect(page.locator("#compare-district thead th")).to_have_text(heads[lang])
    legend = page.locator("#compare-legend")
    expect(legend.locator("h2")).to_have_text({"zh": "图例", "en": "Legend"}[lang])
    expect(legend.locator("li")).to_have_count(5)
    expect(legend).to_contain_text({"zh": "B−A 为 B 减 A", "en": "B−A is B minus A"}[lang])
    # the station B adds is ringed on B's map only
    expect(page.locator("#map-b .site-marker.added")).to_have_count(1)
    expect(page.locator("#map-a .site-marker.added")).to_have_count(0)
    expect(page.locator("#map-a .site-marker")).to_have_count(2)

    total = page.locator("#compare-district tfoot tr")
    wa, wb = data["workers"]["a"], data["workers"]["b"]
    expect(total.locator("td").first).to_have_text({"zh": "合计", "en": "Total"}[lang])
    expect(total.locator("td").nth(5)).to_have_text(_signed(wb["covered"] - wa["covered"], lambda x: f"{round(x):,}"))
    expect(total.locator("td").nth(6)).to_have_text(_signed(100 * (wb["share"] - wa["share"]), lambda x: f"{x:.1f}"))
    assert wb["covered"] > wa["covered"], "the third station should cover more workers"
    for row in data["rows"]["by_district"]:
        a, b = row["a"] or {}, row["b"] or {}
        if "covered" not in a or "covered" not in b:
            continue
        cells = page.locator(f'#compare-district tbody tr[data-name="{row["name"]}"] td')
        expect(cells.nth(5)).to_have_text(_signed(b["covered"] - a["covered"], lambda x: f"{round(x):,}"))
    groups = page.locator("#compare-group tbody tr")
    expect(groups).to_have_count(len(data["rows"]["by_group"]))
    expect(page.locator("#compare-group tfoot tr td").first).to_have_text({"zh": "合计", "en": "Total"}[lang])


def test_the_audit_page_keeps_names_of_hostile_users_as_text(deployment, new_page):
    """A user name is shown as text (the hostile station names are checked in tests/security/test_xss.py)."""
    page = new_page()
    log_in(page, deployment.url, "zh")
    page.goto(f"{deployment.url}/audit?user={urllib.parse.quote('<b>x</b>')}")
    expect(page.locator("#audit-user")).to_have_value("<b>x</b>")
    expect(page.locator("#audit-filters b")).to_have_count(0)
