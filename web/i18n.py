"""Chinese (default) and English interface text.

A small table rather than gettext catalogues: the interface has a few dozen strings, planners switch language
with one click (kept in a cookie), and the JavaScript gets the same table.
"""

from __future__ import annotations

from flask import Flask, g, request

from geoplan.demand import WORKER_GROUPS

LANGUAGES = ("zh", "en")

TEXT: dict[str, dict[str, str]] = {
    "app_title": {"zh": "户外劳动者服务站点规划", "en": "Outdoor workers' station planning"},
    "login": {"zh": "登录", "en": "Log in"},
    "logout": {"zh": "退出", "en": "Log out"},
    "username": {"zh": "用户名", "en": "User name"},
    "password": {"zh": "密码", "en": "Password"},
    "login_failed": {"zh": "用户名或密码错误", "en": "Wrong user name or password"},
    "scenarios": {"zh": "方案", "en": "Scenarios"},
    "new_scenario": {"zh": "新建方案", "en": "New scenario"},
    "name": {"zh": "名称", "en": "Name"},
    "area": {"zh": "区域", "en": "Area"},
    "stations": {"zh": "站点数", "en": "Stations"},
    "from_plan": {"zh": "由优化结果生成", "en": "From an optimised plan"},
    "from_scratch": {"zh": "空白方案", "en": "From scratch"},
    "create": {"zh": "创建", "en": "Create"},
    "open": {"zh": "打开", "en": "Open"},
    "rename": {"zh": "重命名", "en": "Rename"},
    "duplicate": {"zh": "复制", "en": "Duplicate"},
    "compare": {"zh": "对比", "en": "Compare"},
    "audit": {"zh": "操作记录", "en": "Audit log"},
    "version": {"zh": "版本", "en": "Version"},
    "updated": {"zh": "更新时间", "en": "Updated"},
    "source": {"zh": "来源", "en": "Source"},
    "accept": {"zh": "采纳", "en": "Accept"},
    "reject": {"zh": "否决", "en": "Reject"},
    "undo": {"zh": "恢复为建议", "en": "Back to proposal"},
    "city_level": {"zh": "市级站点", "en": "City-level"},
    "district_level": {"zh": "区县级站点", "en": "District-level"},
    "set_city_level": {"zh": "设为市级", "en": "Make city-level"},
    "unset_city_level": {"zh": "设为区县级", "en": "Make district-level"},
    "reoptimise": {"zh": "重新优化", "en": "Re-optimise"},
    "import_stations": {"zh": "导入现有站点", "en": "Import existing stations"},
    "coordinates": {"zh": "坐标系", "en": "Coordinates"},
    "upload": {"zh": "上传", "en": "Upload"},
    "proposed": {"zh": "建议", "en": "Proposed"},
    "accepted": {"zh": "已采纳", "en": "Accepted"},
    "rejected": {"zh": "已否决", "en": "Rejected"},
    "existing": {"zh": "现有站点", "en": "Existing"},
    "covered": {"zh": "已覆盖", "en": "Covered"},
    "uncovered": {"zh": "未覆盖", "en": "Not covered"},
    "workers": {"zh": "劳动者", "en": "Workers"},
    "share": {"zh": "覆盖率", "en": "Share"},
    "district": {"zh": "区县", "en": "District"},
    "group": {"zh": "群体", "en": "Group"},
    "total": {"zh": "合计", "en": "Total"},
    "gap": {"zh": "最优性差距", "en": "Optimality gap"},
    "candidates": {"zh": "候选点", "en": "Candidates"},
    "districts": {"zh": "区县边界", "en": "Districts"},
    "demand": {"zh": "劳动者分布", "en": "Worker density"},
    "sites": {"zh": "站点", "en": "Sites"},
    "added": {"zh": "新增", "en": "Added"},
    "removed": {"zh": "移除", "en": "Removed"},
    "when": {"zh": "时间", "en": "When"},
    "who": {"zh": "操作人", "en": "Who"},
    "action": {"zh": "操作", "en": "Action"},
    "before": {"zh": "之前", "en": "Before"},
    "after": {"zh": "之后", "en": "After"},
    "viewer_note": {"zh": "只读账户：可查看，不能修改", "en": "Viewer account: you can look, not change"},
    "working": {"zh": "处理中…", "en": "Working…"},
    "saved": {"zh": "已保存", "en": "Saved"},
    "moved": {"zh": "已移动到可容纳站点的位置", "en": "Moved to the nearest spot where the station fits"},
    "back": {"zh": "返回", "en": "Back"},
    "language": {"zh": "English", "en": "中文"},
    "none": {"zh": "无", "en": "none"},
}

# Worker groups by their display names ("group_couriers" -> 快递外卖骑手 / couriers and delivery riders).
TEXT.update({f"group_{key}": {"zh": group.name_zh, "en": group.name_en} for key, group in WORKER_GROUPS.items()})


def language() -> str:
    """Return the request's language: ``?lang=``, else the ``lang`` cookie, else Chinese."""
    chosen = getattr(g, "lang", None)
    if chosen is None:
        chosen = request.args.get("lang") or request.cookies.get("lang") or "zh"
        chosen = chosen if chosen in LANGUAGES else "zh"
        g.lang = chosen
    return chosen


def t(key: str) -> str:
    """Return the interface text for ``key`` in the request's language (the key itself when unknown)."""
    entry = TEXT.get(key)
    return key if entry is None else entry[language()]


def table() -> dict[str, str]:
    """Return every text in the request's language (handed to the JavaScript)."""
    lang = language()
    return {key: entry[lang] for key, entry in TEXT.items()}


def init_app(app: Flask) -> None:
    """Make ``t``, ``lang`` and the text table available to templates; keep a ``?lang=`` choice in a cookie."""
    app.jinja_env.globals.update(t=t, i18n_table=table, language=language)

    @app.after_request
    def _remember(response):
        chosen = request.args.get("lang")
        if chosen in LANGUAGES:
            response.set_cookie("lang", chosen, max_age=365 * 24 * 3600, samesite="Lax")
        return response
