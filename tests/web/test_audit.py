"""The audit page as a planner reads it: action names, what changed in words, times on the area's clocks, filters.

Entries are written through the store's own methods (as the API writes them); the page is read through the app with
a logged-in client. Every action code the store or the API can write must have a name in both languages.
"""

from __future__ import annotations

import ast
import datetime as dt
import html
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from geoplan_web import api, audit_text, pages

from geoplan import i18n
from geoplan.store.models import AuditEntry

ROOT = Path(__file__).resolve().parents[2]

#: Store methods that take the action code from their caller (the API), and the position of ``action``.
_ACTION_ARGUMENT = {"update_site": 4, "add_sites": 4, "set_user_data": 5, "replace_proposals": 5}


def _constants(node: ast.AST) -> set[str]:
    """Return the texts an expression can be: string constants, both branches of ``a if c else b``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _constants(node.body) | _constants(node.orelse)
    return set()


def _written_actions() -> set[str]:
    """Every action code the code can write: literal ``_log`` actions of the store, the API's literal actions,
    its site actions and its ``upload <kind>`` data kinds."""
    found: set[str] = set()
    variable = []
    for path in (ROOT / "geoplan" / "store" / "service.py", ROOT / "web" / "api.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            position = 4 if name == "_log" else _ACTION_ARGUMENT.get(name)
            if position is None or len(node.args) <= position:
                continue
            argument = node.args[position]
            texts = _constants(argument)
            found |= texts
            if not texts:
                variable.append(ast.unparse(argument))
    # The actions that are not literals where they are written: the store's ``action`` parameters (the API's
    # literals above), the API's site actions and its data uploads. A new kind of expression fails here.
    assert set(variable) == {"action", "f'upload {kind}'"}, variable
    return found | set(api.SITE_ACTIONS) | {f"upload {kind}" for kind in api.DATA_KINDS}


def test_every_action_code_the_store_writes_has_a_name_in_both_languages():
    written = _written_actions()
    assert {"create", "edit details", "undo", "publish", "unpublish", "reoptimise", "import"} <= written
    assert written <= set(audit_text.ACTIONS), sorted(written - set(audit_text.ACTIONS))
    texts = i18n.catalog()["ui"]
    for code in audit_text.ACTIONS:
        entry = texts.get(audit_text.action_key(code), {})
        assert set(entry) == {"zh", "en"}, code
        assert audit_text.action_name(code, "zh") != audit_text.action_name(code, "en")


def test_an_unknown_action_is_shown_plainly():
    assert audit_text.action_name("merge scenarios", "zh") == "其他操作：merge scenarios"
    assert audit_text.action_name("merge scenarios", "en") == "other action: merge scenarios"
    assert audit_text.action_name("accept", "zh") == "采纳"


def _text(changes) -> list[str]:
    return [f"{c.label}: {c.before} -> {c.after}" for c in changes]


def test_a_details_edit_reads_as_its_changed_fields_by_name():
    entry = {
        "action": "edit details",
        "before": {"name": "旧名", "host": None, "services": ["toilet"], "hours": "24h", "station_status": "planned"},
        "after": {"name": "新名", "host": "bank", "services": ["drinking_water", "toilet"], "hours": "24h",
                  "station_status": "open"},
    }  # fmt: skip
    assert _text(audit_text.changes(entry, "zh")) == [
        "站点名称: 旧名 -> 新名",
        "建设单位: None -> 银行网点",
        "服务项目: 如厕 -> 饮水、如厕",
        "站点状态: 规划中 -> 开放",
    ]
    english = _text(audit_text.changes(entry, "en"))
    assert english[1:] == ["Host: None -> Bank branch", "Services: Toilet -> Drinking water, Toilet",
                           "Station status: Planned -> Open"]  # fmt: skip


def test_decisions_moves_and_publication_read_as_words():
    accept = {"action": "accept", "before": {"status": "proposed"}, "after": {"status": "accepted"}}
    assert _text(audit_text.changes(accept, "zh")) == ["规划状态: 建议 -> 已采纳"]
    city = {"action": "city_level", "before": {"city_level": False}, "after": {"city_level": True}}
    assert _text(audit_text.changes(city, "en")) == ["Level: District-level -> City-level"]
    move = {"action": "move", "before": {"lon": 24.9, "lat": 60.1, "candidate_id": "r1", "district": "A"},
            "after": {"lon": 24.95, "lat": 60.1, "candidate_id": "r2", "district": "A"}}  # fmt: skip
    assert _text(audit_text.changes(move, "zh")) == ["位置（经度, 纬度）: 24.900000, 60.100000 -> 24.950000, 60.100000",
                                                    "候选点: r1 -> r2"]  # fmt: skip
    publish = {"action": "publish", "before": {"published": False},
               "after": {"published": True, "excluded": [7], "forced": []}}  # fmt: skip
    assert _text(audit_text.changes(publish, "zh")) == [
        "公开状态: 未发布 -> 已发布",
        "本次不公开的站点: None -> 站点 ID 7",
    ]
    reopt = {"action": "reoptimise", "before": {"proposals": ["a", "b"], "result": {"objective": 1000.4}},
             "after": {"proposals": ["a", "c", "d"], "result": {"objective": 1234.6},
                       "numbers": {"added": [3, 4], "removed": [2], "kept": [1, 5]}}}  # fmt: skip
    assert _text(audit_text.changes(reopt, "zh")) == [
        "建议: 2 个 -> 3 个", "覆盖劳动者（优化目标）: 1,000 -> 1,235", "新增: None -> #3、#4", "移除: None -> #2",
        "保留的站点: None -> 2 个",
    ]  # fmt: skip
    undo = {"action": "undo", "before": {"status": "accepted"},
            "after": {"status": "proposed", "undone": {"audit": 5, "action": "accept"}}}  # fmt: skip
    assert _text(audit_text.changes(undo, "zh")) == ["撤销的操作: None -> 采纳", "规划状态: 已采纳 -> 建议"]


def test_scenario_actions_read_as_words():
    create = {"action": "create", "before": None,
              "after": {"name": "方案一", "area": "shanghai", "source": "plan", "sites": 12}}  # fmt: skip
    assert _text(audit_text.changes(create, "zh")) == [
        "名称: None -> 方案一",
        "区域: None -> shanghai",
        "来源: None -> 由优化结果生成",
        "站点数: None -> 12 个",
    ]
    delete = {"action": "delete", "before": {"name": "方案一"}, "after": None}
    assert _text(audit_text.changes(delete, "en")) == ["Name: None -> 方案一"]
    upload = {"action": "upload layer", "before": {"layers": [], "sites": None},
              "after": {"layers": [{"source": "workers.csv", "points": 25}], "sites": None}}  # fmt: skip
    assert _text(audit_text.changes(upload, "zh")) == ["劳动者图层: None -> workers.csv（25 个点）"]


# --- the page ------------------------------------------------------------------------------------------------------


def _rows(page: str) -> list[str]:
    """The audit table's rows as text (tags dropped, blanks folded, the raw record left out)."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = []
    for row in body.split("</tr>")[:-1]:
        shown = re.sub(r'<details class="audit-raw">.*?</details>', "", row, flags=re.S)
        rows.append(" ".join(html.unescape(re.sub(r"<[^>]+>", " ", shown)).split()))
    return rows


def _set_time(store, at: dt.datetime) -> None:
    """Put every audit entry at ``at`` (UTC, naive, as stored)."""
    with store.engine.begin() as connection:
        connection.execute(sa.update(AuditEntry).values(at=at))


@pytest.fixture
def shanghai(store) -> dict:
    """A scenario of Shanghai (no data needed: the log only needs its area's clocks) with a few decisions."""
    scenario = store.create_scenario("浦东方案", "shanghai", "plan", sites=[
        {"status": "proposed", "lon": 121.5, "lat": 31.2, "candidate_id": "c1", "name": "甲"},
        {"status": "proposed", "lon": 121.51, "lat": 31.21, "candidate_id": "c2"},
    ])  # fmt: skip
    site = scenario["sites"][0]
    scenario = store.update_site(scenario["id"], site["id"], scenario["version"], "plan", "accept", status="accepted")
    scenario = store.update_details(scenario["id"], site["id"], scenario["version"], "plan",
                                    {"host": "bank", "services": ["toilet", "drinking_water"]})  # fmt: skip
    return scenario


def test_the_page_names_actions_and_changes_and_shows_beijing_time(planner, store, shanghai):
    _set_time(store, dt.datetime(2026, 12, 2, 10, 5))
    page = planner.get(f"/audit?scenario={shanghai['id']}&lang=zh")
    assert page.status_code == 200
    rows = _rows(page.text)
    assert len(rows) == 3
    assert rows[0].startswith("2026-12-02 18:05（北京时间） plan")
    assert rows[0].endswith("#1 / 站点 ID 1 编辑详情 建设单位 ： 银行网点 服务项目 ： 如厕、饮水")
    assert "采纳" in rows[1]
    assert "规划状态 ： 建议 → 已采纳" in rows[1]
    assert "新建方案" in rows[2]
    assert "名称 ： 浦东方案" in rows[2]
    assert "日期按北京时间计" in page.text
    assert "显示第 1–3 条记录" in page.text
    english = _rows(planner.get(f"/audit?scenario={shanghai['id']}&lang=en").text)
    assert english[0].startswith("2026-12-02 18:05 (Asia/Shanghai) plan")
    assert english[0].endswith("#1 / site id 1 details edit Host : Bank branch Services : Toilet, Drinking water")
    assert "accept" in english[1]
    assert "Planning status : Proposed → Accepted" in english[1]


def test_the_filters_pick_person_action_and_days(planner, viewer, store, shanghai):
    store.add_user("wang", "a-long-enough-passphrase-1", "planner")
    store.rename_scenario(shanghai["id"], "浦东方案二", shanghai["version"], "wang")
    # 2026-12-02 23:30 UTC is 12-03 07:30 in Beijing: the day filters count days on the area's clocks.
    _set_time(store, dt.datetime(2026, 12, 2, 23, 30))
    base = f"/audit?scenario={shanghai['id']}&lang=zh"
    assert len(_rows(planner.get(base).text)) == 4
    by_wang = _rows(viewer.get(f"{base}&user=wang").text)
    assert len(by_wang) == 1
    assert "重命名" in by_wang[0]
    assert "浦东方案 → 浦东方案二" in by_wang[0]
    accepted = _rows(planner.get(f"{base}&action=accept").text)
    assert len(accepted) == 1
    assert " 采纳 规划状态" in accepted[0]
    assert len(_rows(planner.get(f"{base}&from=2026-12-03&to=2026-12-03").text)) == 4
    assert _rows(planner.get(f"{base}&to=2026-12-02").text) == ["没有符合条件的记录"]
    assert _rows(planner.get(f"{base}&from=2026-12-04").text) == ["没有符合条件的记录"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-13-01", "from 应为日期（年-月-日，例如 2026-12-02），收到的是 文本 '2026-13-01'。"),
        ("to=yesterday", "to 应为日期"),
        ("from=2026-12-05&to=2026-12-01", "起始日期 2026-12-05 晚于截止日期 2026-12-01"),
        ("action=frobnicate", "action"),
        ("page=0", "page"),
        ("colour=red", "colour"),
    ],
)
def test_bad_filters_are_refused_on_the_page_with_the_reason(planner, shanghai, query, message):
    page = planner.get(f"/audit?{query}")
    assert page.status_code == 400
    alert = re.search(r'<p class="audit-error" role="alert" id="audit-error">(.*?)</p>', page.text)
    assert alert
    assert message in html.unescape(alert.group(1))
    assert "没有符合条件的记录" in page.text


def test_the_page_says_how_many_it_shows_and_pages_on(planner, store, shanghai, monkeypatch):
    monkeypatch.setattr(pages, "AUDIT_PAGE", 2)
    first = planner.get(f"/audit?scenario={shanghai['id']}&lang=en")
    assert "Showing entries 1–2, newest first (2 a page at most)" in first.text
    assert len(_rows(first.text)) == 2
    older = re.search(r'<a href="([^"]+)" id="audit-older">', first.text)
    assert older
    assert 'id="audit-newer"' not in first.text
    second = planner.get(html.unescape(older.group(1)))
    assert "Showing entries 3–3" in second.text
    assert " create scenario Name : 浦东方案 " in _rows(second.text)[0]  # the oldest entry
    assert 'id="audit-older"' not in second.text
    assert 'id="audit-newer"' in second.text
