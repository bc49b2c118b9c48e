"""Chinese (default) and English interface text.

A small table rather than gettext catalogues: the interface has a few dozen strings, planners switch language
with one click (kept in a cookie), and the JavaScript gets the same table.
"""

from __future__ import annotations

from flask import Flask, g, request

from geoplan.demand import WORKER_GROUPS
from geoplan.scenario_export import LABELS

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

# Station services by their display names, as the exports label them ("service_toilet" -> 如厕 / Toilet).
TEXT.update({key: names for key, names in LABELS.items() if key.startswith("service_")})

# --- Public pages (/near, /bulk): page text ------------------------------------------------------------------------
TEXT.update(
    {
        "near_title": {"zh": "附近的爱心驿站", "en": "Rest stations near me"},
        "near_link": {"zh": "附近驿站", "en": "Near me"},
        "bulk_title": {"zh": "批量查询最近驿站", "en": "Nearest stations for a list of places"},
        "bulk_link": {"zh": "批量查询", "en": "Bulk lookup"},
        "locate": {"zh": "使用我的位置", "en": "Use my location"},
        "place_placeholder": {"zh": "输入驿站名称、地址或区县", "en": "Station name, address or district"},
        "place_go": {"zh": "查找", "en": "Find"},
        "mode_walk": {"zh": "步行", "en": "Walk"},
        "mode_ride": {"zh": "骑行", "en": "Ride"},
        "travel_mode": {"zh": "出行方式", "en": "Travel mode"},
        "services_filter": {"zh": "所需服务", "en": "Services"},
        "open_now": {"zh": "正在开放", "en": "Open now"},
        "badge_open": {"zh": "开放中", "en": "Open"},
        "badge_closed": {"zh": "已关闭", "en": "Closed"},
        "hours_unknown": {"zh": "未注明开放时间", "en": "Hours not given"},
        "hours_24h": {"zh": "24小时", "en": "24 hours"},
        "unit_minutes": {"zh": "分钟", "en": "min"},
        "unit_m": {"zh": "米", "en": "m"},
        "unit_km": {"zh": "公里", "en": "km"},
        "your_position": {"zh": "我的位置", "en": "Your position"},
        "near_hint": {
            "zh": "点击“使用我的位置”、在地图上点选位置，或输入地点。",
            "en": "Use your location, tap the map, or type a place.",
        },
        "locating": {"zh": "正在定位…", "en": "Finding your position…"},
        "geo_denied": {
            "zh": "无法定位：您拒绝了位置权限。请在地图上点选位置或输入地点。",
            "en": "Location permission was refused. Tap the map or type a place instead.",
        },
        "geo_unavailable": {
            "zh": "暂时无法获取您的位置。请在地图上点选位置或输入地点。",
            "en": "Your position is not available right now. Tap the map or type a place instead.",
        },
        "geo_unsupported": {
            "zh": "此浏览器无法定位（需要 HTTPS）。请在地图上点选位置或输入地点。",
            "en": "This browser cannot give your position here (it needs HTTPS). Tap the map or type a place instead.",
        },
        "place_not_found": {"zh": "没有找到匹配的驿站、地址或区县", "en": "No station, address or district matches"},
        "no_stations": {"zh": "暂无已开放的驿站", "en": "No stations are published yet"},
        "no_results": {"zh": "附近没有符合条件的驿站", "en": "No station nearby matches these filters"},
        "results_from": {"zh": "离您最近的驿站", "en": "Nearest stations"},
        "route_to": {"zh": "前往", "en": "Route to"},
        "call": {"zh": "拨打电话", "en": "Call"},
        "unnamed_station": {"zh": "爱心驿站", "en": "Rest station"},
        "show_more": {"zh": "展开列表", "en": "Show list"},
        "show_less": {"zh": "收起列表", "en": "Show map"},
        "load_failed": {"zh": "加载失败", "en": "Could not load"},
        "outside_area": {"zh": "这个位置不在驿站服务的区域内", "en": "This position is outside the stations' area"},
        "bulk_intro": {
            "zh": "上传 CSV 文件（列：name,lon,lat），为每一行查找沿道路最近的驿站。",
            "en": "Upload a CSV file (columns name,lon,lat) to find the nearest stations along the streets "
            "for each row.",
        },
        "bulk_file": {"zh": "CSV 文件", "en": "CSV file"},
        "bulk_limit": {"zh": "每行驿站数", "en": "Stations per row"},
        "bulk_submit": {"zh": "查询", "en": "Look up"},
        "bulk_download": {"zh": "下载 CSV", "en": "Download CSV"},
        "bulk_line": {"zh": "行号", "en": "Line"},
        "bulk_place": {"zh": "地点", "en": "Place"},
        "bulk_nearest": {"zh": "最近驿站", "en": "Nearest stations"},
        "bulk_errors": {"zh": "无法读取的行", "en": "Rows that could not be read"},
        "bulk_line_n": {"zh": "第 {n} 行", "en": "Line {n}"},
        "bulk_answered": {"zh": "已查询 {n} 行，{e} 行有误", "en": "{n} rows answered, {e} with errors"},
        "bulk_pick_file": {"zh": "请选择一个 CSV 文件", "en": "Choose a CSV file first"},
        "coords_wgs84": {"zh": "WGS-84（GPS）", "en": "WGS-84 (GPS)"},
        "coords_gcj02": {"zh": "GCJ-02（高德/腾讯）", "en": "GCJ-02 (Amap/Tencent)"},
        "coords_bd09": {"zh": "BD-09（百度）", "en": "BD-09 (Baidu)"},
    }
)

# --- Station details editor of the review map (web/static/details.js): fields, hosts, statuses, publishing -----------
TEXT.update(
    {
        "details_title": {"zh": "站点详情", "en": "Station details"},
        "details_hint": {"zh": "点击站点列表或地图上的站点以编辑详情", "en": "Click a site in the list or on the map"},
        "details_edit": {"zh": "编辑详情", "en": "Edit details"},
        "details_name": {"zh": "站点名称", "en": "Name"},
        "details_address": {"zh": "地址", "en": "Address"},
        "details_phone": {"zh": "联系电话", "en": "Phone"},
        "details_manager": {"zh": "负责人", "en": "Manager"},
        "details_host": {"zh": "建设单位", "en": "Host"},
        "details_hours": {"zh": "开放时间", "en": "Opening hours"},
        "details_hours_hint": {"zh": "如 08:30-17:00、24h、08:00-12:00,14:00-18:00", "en": "e.g. 08:30-17:00, 24h"},
        "details_services": {"zh": "服务项目", "en": "Services"},
        "details_photos": {"zh": "照片链接（每行一个）", "en": "Photo URLs (one per line)"},
        "details_station_status": {"zh": "站点状态", "en": "Station status"},
        "details_unset": {"zh": "（未填写）", "en": "(not set)"},
        "details_save": {"zh": "保存详情", "en": "Save details"},
        "details_reloading": {"zh": "方案已被他人修改，正在重新加载…", "en": "The plan changed; reloading…"},
        "details_host_union": {"zh": "工会", "en": "Trade union"},
        "details_host_bank": {"zh": "银行网点", "en": "Bank branch"},
        "details_host_post_office": {"zh": "邮政网点", "en": "Post office"},
        "details_host_fuel_station": {"zh": "加油站", "en": "Fuel station"},
        "details_host_shop": {"zh": "商铺", "en": "Shop"},
        "details_host_government": {"zh": "政府机关", "en": "Government office"},
        "details_host_sanitation_depot": {"zh": "环卫站所", "en": "Sanitation depot"},
        "details_host_other": {"zh": "其他", "en": "Other"},
        "details_status_planned": {"zh": "规划中", "en": "Planned"},
        "details_status_building": {"zh": "建设中", "en": "Being built"},
        "details_status_open": {"zh": "开放", "en": "Open"},
        "details_status_suspended": {"zh": "暂停开放", "en": "Suspended"},
        "details_status_closed": {"zh": "已关闭", "en": "Closed"},
        "details_published": {"zh": "已发布", "en": "Published"},
        "details_unpublished": {"zh": "未发布", "en": "Not published"},
        "details_publish_hint": {
            "zh": "点击切换：发布后，已采纳和现有站点对公众可见",
            "en": "Click to switch: once published, accepted and existing stations are public",
        },
    }
)


# --- Downloads of the review map (web/exports.py): formats, labels --------------------------------------------------
TEXT.update(
    {
        "export_title": {"zh": "导出方案", "en": "Export the plan"},
        "export_format": {"zh": "格式", "en": "Format"},
        "export_lang": {"zh": "标注语言", "en": "Labels in"},
        "export_download": {"zh": "下载", "en": "Download"},
        "export_working": {"zh": "正在生成文件…", "en": "Preparing the file…"},
        "export_done": {"zh": "已下载", "en": "Downloaded"},
        "export_format_geojson": {"zh": "GeoJSON 图层（压缩包）", "en": "GeoJSON layers (zip)"},
        "export_format_gpkg": {"zh": "GeoPackage（GIS 软件）", "en": "GeoPackage (GIS)"},
        "export_format_kml": {"zh": "KML（奥维地图、Google 地球）", "en": "KML (Google Earth)"},
        "export_format_csv": {"zh": "CSV 站点表（Excel）", "en": "CSV table of stations (Excel)"},
        "export_format_html": {"zh": "交互式网页地图（HTML）", "en": "Interactive web map (HTML)"},
        "export_format_png": {"zh": "覆盖范围图（PNG）", "en": "Coverage map (PNG)"},
        "export_format_pdf": {"zh": "规划报告（PDF）", "en": "Planning report (PDF)"},
    }
)


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
        # An export's ?lang= picks the language of the file, not of the interface.
        if chosen in LANGUAGES and request.blueprint != "exports":
            response.set_cookie("lang", chosen, max_age=365 * 24 * 3600, samesite="Lax")
        return response
