"""Everything a person reads, in Chinese (the default) and English: gettext catalogs and the functions that render them.

The texts live in two gettext catalogs kept under version control, ``geoplan/locale/zh_CN/LC_MESSAGES/geoplan.po``
(Chinese, the default) and ``geoplan/locale/en/LC_MESSAGES/geoplan.po``, read with Babel (:func:`babel.messages.
pofile.read_po`) at first use; nothing is compiled or written at run time, so an installed package stays as it was
installed. Both catalogs use one layout: **msgctxt = section, msgid = key** (``msgctxt "error"`` / ``msgid
"stale_scenario"``). Keys, not English sentences, identify a text because:

* the code already names every text by section and key (``text("error", code)``, templates ``t(key)``, the
  JavaScript ``T(key)``, error codes carried by :class:`geoplan.errors.GeoplanError`): the catalogs answer exactly
  the questions the code asks, with no second mapping from keys to English sentences;
* Chinese is the language written first and English is a translation, so neither language's sentence is a fair
  "source"; with key ids, correcting an English sentence does not orphan its Chinese text (as it would when the
  English text were the msgid) and both languages are complete catalogs checked the same way (tests/test_i18n.py);
* the same key may mean different things in two sections (``ui.accepted`` and ``station_status.accepted``): the
  section as msgctxt keeps them apart.

Each entry carries the other language's text as a comment (``#.``) so a translator sees both, and the flag
``python-brace-format``: placeholders are ``{name}`` fields filled by :func:`text` with :meth:`str.format`.

Sections: ``ui`` (the web interface), ``label`` (exported files), ``group``, ``service``, ``host``,
``station_status`` (the codes of :mod:`geoplan.vocabulary`), ``png`` and ``pdf`` (the map and the report),
``param`` (plan parameters), ``solve_status`` and ``solve_status_note`` and ``error`` (messages of coded errors,
see :class:`geoplan.errors.GeoplanError`).

:data:`CATALOG` is the Python dict the texts used to live in. It is still read, after the .po catalogs, so that a
new text can be added there while work goes on; ``scripts/catalog_to_po.py`` moves its entries into the .po files
(re-runnable: it empties the dict of what it moved), and a test keeps it empty on the main branch.

Times and numbers a person reads are formatted here too, with Babel: :func:`format_time` (in the area's time zone,
the zone shown) and :func:`format_count` (whole numbers, grouped for the locale).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from babel.dates import format_datetime as _babel_datetime
from babel.dates import get_timezone, get_timezone_location
from babel.messages.pofile import read_po
from babel.numbers import format_decimal as _babel_decimal

from geoplan.errors import GeoplanError, InputError
from geoplan.vocabulary import LANGUAGES

__all__ = [
    "CATALOG",
    "DOMAIN",
    "LOCALES",
    "LOCALE_FOLDER",
    "catalog",
    "check_lang",
    "entries",
    "environment_lang",
    "error_text",
    "format_count",
    "format_number",
    "format_time",
    "group_name",
    "input_error",
    "po_path",
    "services_text",
    "shown",
    "status_text",
    "text",
]

#: Characters of a value quoted back in a message.
_SHOWN_CHARS = 40

#: The gettext domain (the catalogs' file name).
DOMAIN = "geoplan"

#: The folder of the gettext catalogs (package data, read only).
LOCALE_FOLDER = Path(__file__).with_name("locale")

#: The gettext/Babel locale of each language of :data:`geoplan.vocabulary.LANGUAGES`.
LOCALES: dict[str, str] = {"zh": "zh_CN", "en": "en"}

#: Time zones whose clocks Chinese readers call 北京时间 (China has one civil time).
_BEIJING_TIME = frozenset({"Asia/Shanghai", "Asia/Chongqing", "Asia/Chungking", "Asia/Harbin", "PRC"})

#: The time format of every stamp a person reads (ISO-like date, 24-hour clock: unambiguous in both languages).
_TIME_PATTERN = "yyyy-MM-dd HH:mm"

#: zh/en texts not yet moved into the .po catalogs (read after them), by section and key.
CATALOG: dict[str, dict[str, dict[str, str]]] = {
    # The web interface: templates call t(key), the JavaScript T(key).
    "ui": {
        "app_title": {"zh": "户外劳动者服务站点规划", "en": "Outdoor workers' station planning"},
        "login": {"zh": "登录", "en": "Log in"},
        "logout": {"zh": "退出", "en": "Log out"},
        "username": {"zh": "用户名", "en": "User name"},
        "password": {"zh": "密码", "en": "Password"},
        "login_failed": {"zh": "用户名或密码错误", "en": "Wrong user name or password"},
        "login_throttled": {"zh": "登录失败次数过多，请 {minutes} 分钟后再试。",
                            "en": "Too many failed logins; try again in {minutes} minutes."},
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
        "advanced_params": {"zh": "规划参数（可选）", "en": "Plan parameters (optional)"},
        "param_hours_options": {"zh": "营业时间方案（逗号分隔）", "en": "Opening-hours options (comma separated)"},
        "param_hours_hint": {
            "zh": "如 08:30-17:00,24h；留空则不考虑时段",
            "en": "e.g. 08:30-17:00,24h; empty: no time of day",
        },
        "param_max_24h": {"zh": "24小时站点最多", "en": "At most 24-hour stations"},
        "param_phases": {"zh": "分两期建设", "en": "Plan in two phases"},
        "param_target_coverage": {"zh": "覆盖率目标（%，求最少站点）", "en": "Coverage target (%, fewest stations)"},
        "param_backup_weight": {"zh": "交叉覆盖权重", "en": "Cross-coverage weight"},
        "param_max_gap": {"zh": "最大服务空白距离（米）", "en": "Maximum gap (m)"},
        "param_min_spacing": {"zh": "站点最小间距（米）", "en": "Minimum spacing (m)"},
        "param_district_min": {"zh": "每区县最少站点", "en": "Minimum per district"},
        "param_city_level_min": {"zh": "市级站点数", "en": "City-level stations"},
        "data_title": {"zh": "规划数据", "en": "Planning data"},
        "data_upload": {"zh": "导入劳动者分布或候选点", "en": "Add a worker layer or candidate sites"},
        "data_kind_layer": {"zh": "劳动者分布（lon,lat,weight）", "en": "Worker layer (lon,lat,weight)"},
        "data_kind_sites": {"zh": "候选点（lon,lat,footprint_m2）", "en": "Candidate sites (lon,lat,footprint_m2)"},
        "data_group": {"zh": "人群（文件无 group 列时填写）", "en": "Worker group (if the file has no group column)"},
        "data_none": {"zh": "仅使用区域自带数据", "en": "The area's own data only"},
        "data_layer": {"zh": "劳动者分布", "en": "Worker layer"},
        "data_sites": {"zh": "候选点", "en": "Candidate sites"},
        "data_existing": {"zh": "现有站点", "en": "Existing stations"},
        "data_points": {"zh": "{n} 个点", "en": "{n} points"},
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
        # The public side's truth and place search (web/static/near.js, bulk.js, publish.js; issue 13).
        "badge_outside_hours": {"zh": "当前不在开放时间", "en": "Closed at this hour"},
        "circle_none": {
            "zh": "{minutes} 分钟内（{mode}约 {metres}）没有驿站。以下是最近的驿站：",
            "en": "No station within {minutes} minutes ({mode}, about {metres}). The nearest ones:",
        },
        "circle_some": {
            "zh": "{count} 个驿站在 {minutes} 分钟{mode}范围内",
            "en": "{count} within {minutes} minutes ({mode})",
        },
        "circle_outside": {"zh": "超出 {minutes} 分钟", "en": "over {minutes} min"},
        "place_placeholder_any": {
            "zh": "输入地名：地铁站、街道、银行、区县或驿站名称",
            "en": "A place: metro station, street, bank, district or station name",
        },
        "places_pick": {"zh": "选择地点，查找附近的驿站：", "en": "Pick a place to find stations near it:"},
        "near_place": {"zh": "{name} 附近的驿站", "en": "Stations near {name}"},
        "place_kind_metro": {"zh": "地铁站", "en": "Metro station"},
        "place_kind_rail": {"zh": "火车站", "en": "Railway station"},
        "place_kind_district": {"zh": "区县", "en": "District"},
        "place_kind_street": {"zh": "街道", "en": "Street"},
        "place_kind_stop": {"zh": "公交站", "en": "Bus or tram stop"},
        "place_kind_bank": {"zh": "银行", "en": "Bank"},
        "place_kind_shop": {"zh": "商店", "en": "Shop"},
        "place_kind_poi": {"zh": "地点", "en": "Place"},
        "place_kind_station": {"zh": "驿站", "en": "Rest station"},
        "bulk_within_circle": {
            "zh": "{minutes} 分钟内有驿站（{mode} {time} 分钟）",
            "en": "A station within {minutes} minutes ({mode}, {time} min)",
        },
        "bulk_outside_circle": {
            "zh": "{minutes} 分钟内没有驿站：最近的驿站{mode}需 {time} 分钟",
            "en": "No station within {minutes} minutes: the nearest is {time} min away ({mode})",
        },
        "bulk_circle": {"zh": "15 分钟内有驿站", "en": "Station within 15 min"},
        "bulk_status": {"zh": "状态", "en": "Status"},
        "yes": {"zh": "是", "en": "yes"},
        "no": {"zh": "否", "en": "no"},
        "publish_check_title": {
            "zh": "以下站点发布后会公开，但信息不完整",
            "en": "These stations would become public with details missing",
        },
        "publish_check_intro": {
            "zh": "请先补全名称、地址、开放时间和站点状态；或对每个站点选择“不公开”或“照常公开”"
            "（公众页面会如实显示“未注明”，不会显示为开放中）。",
            "en": "Fill in name, address, hours and status first; or choose for each station \"leave out\" or "
            "\"publish as it is\" (the public pages then say what is not stated and never show it as open).",
        },
        "publish_missing": {"zh": "缺少：{fields}", "en": "Missing: {fields}"},
        "publish_field_name": {"zh": "名称", "en": "name"},
        "publish_field_address": {"zh": "地址", "en": "address"},
        "publish_field_hours": {"zh": "开放时间", "en": "hours"},
        "publish_field_station_status": {"zh": "站点状态", "en": "status"},
        "publish_exclude": {"zh": "不公开", "en": "Leave out"},
        "publish_force": {"zh": "照常公开", "en": "Publish as it is"},
        "publish_confirm": {"zh": "按所选发布", "en": "Publish as chosen"},
        "publish_cancel": {"zh": "返回补全", "en": "Go back and fill in"},
        "publish_choose_all": {"zh": "请为每个站点选择一项", "en": "Choose for every station"},
        "publish_done": {
            "zh": "已发布：{excluded} 个站点未公开，{forced} 个站点照常公开",
            "en": "Published: {excluded} left out, {forced} published as they are",
        },
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
        "details_published": {"zh": "已发布", "en": "Published"},
        "details_unpublished": {"zh": "未发布", "en": "Not published"},
        "details_publish_hint": {
            "zh": "点击切换：发布后，已采纳和现有站点对公众可见",
            "en": "Click to switch: once published, accepted and existing stations are public",
        },
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
        # The review map's legend, search, undo, progress and re-optimisation summary (web/static/planner.js).
        "legend": {"zh": "图例", "en": "Legend"},
        "legend_city": {"zh": "市级站点（金色边框）", "en": "City-level station (gold ring)"},
        "legend_district_level": {"zh": "区县级站点", "en": "District-level station"},
        "legend_covered": {"zh": "劳动者：已覆盖", "en": "Workers: covered"},
        "legend_uncovered": {"zh": "劳动者：未覆盖", "en": "Workers: not covered"},
        "legend_candidate": {"zh": "候选点", "en": "Candidate site"},
        "legend_shading": {"zh": "区县底色：劳动者覆盖率", "en": "District shading: workers covered"},
        "legend_added": {"zh": "本次新增", "en": "New in this run"},
        "legend_removed": {"zh": "本次移除", "en": "Removed in this run"},
        "district_label": {"zh": "{name} {share}", "en": "{name} {share}"},
        "search_placeholder": {"zh": "搜索站点编号、名称或街道", "en": "Search site number, name or street"},
        "search_label": {"zh": "搜索", "en": "Search"},
        "search_none": {"zh": "没有匹配的站点或街道", "en": "No site or street matches"},
        "search_street": {"zh": "街道", "en": "Street"},
        "search_site": {"zh": "站点", "en": "Site"},
        "undo_last": {"zh": "撤销上一步", "en": "Undo last change"},
        "undo_done": {"zh": "已撤销：{action}", "en": "Undone: {action}"},
        "action_accept": {"zh": "采纳", "en": "accept"},
        "action_reject": {"zh": "否决", "en": "reject"},
        "action_propose": {"zh": "恢复为建议", "en": "back to proposal"},
        "action_city_level": {"zh": "市级/区县级设置", "en": "city-level setting"},
        "action_move": {"zh": "移动站点", "en": "move"},
        "action_edit_details": {"zh": "编辑详情", "en": "details edit"},
        "action_reoptimise": {"zh": "重新优化", "en": "re-optimisation"},
        "action_rename": {"zh": "重命名", "en": "rename"},
        "progress_elapsed": {"zh": "{what}… 已用 {s} 秒", "en": "{what}… {s} s elapsed"},
        "progress_opening": {"zh": "正在加载方案", "en": "Loading the plan"},
        "progress_creating": {"zh": "正在计算新方案", "en": "Computing the new plan"},
        "progress_reoptimising": {"zh": "正在重新优化", "en": "Re-optimising"},
        "progress_exporting": {"zh": "正在生成文件", "en": "Preparing the file"},
        "progress_done": {"zh": "{what}：用时 {s} 秒", "en": "{what}: took {s} s"},
        "message_close": {"zh": "关闭提示", "en": "Dismiss"},
        "panel_toggle": {"zh": "收起/展开侧栏", "en": "Hide/show the side panel"},
        "reopt_summary": {
            "zh": "重新优化：保留 {kept} 个，新增 {added} 个，移除 {removed} 个站点",
            "en": "Re-optimised: {kept} kept, {added} added, {removed} removed",
        },
        "reopt_numbers_added": {"zh": "新增：{list}", "en": "Added: {list}"},
        "reopt_numbers_removed": {"zh": "移除：{list}", "en": "Removed: {list}"},
        "why_title": {"zh": "为什么是这个差距", "en": "Why this gap"},
        "why_gap_change": {
            "zh": "最优性差距由 {before} 变为 {after}（{status}）。",
            "en": "The optimality gap went from {before} to {after} ({status}).",
        },
        "why_time_limit": {
            "zh": "本次求解限时 {limit} 秒，用了 {seconds} 秒后停止，尚未证明最优；延长时限可缩小差距。",
            "en": "This solve had {limit} s and stopped after {seconds} s before proving optimality; more time "
            "narrows the gap.",
        },
        "why_shorter": {
            "zh": "首次规划限时 {first} 秒，重新优化默认只有 {limit} 秒，因此差距可能比首次大。",
            "en": "The first plan had {first} s; a re-optimisation has {limit} s by default, so its gap may be wider.",
        },
        "why_fixed": {
            "zh": "{n} 个已采纳或现有站点固定不动，{r} 个被否决的候选点不再考虑：可选范围变小，覆盖可能下降。",
            "en": "{n} accepted or existing stations stay fixed and {r} rejected spots are excluded: fewer choices, "
            "so coverage may drop.",
        },
        "why_rules": {"zh": "规划规则：{rules}。", "en": "Rules: {rules}."},
        "why_rule_district_min": {"zh": "每区县至少 {n} 个站点", "en": "at least {n} per district"},
        "why_rule_spacing": {"zh": "站点间距至少 {n} 米", "en": "stations at least {n} m apart"},
        "why_rule_city": {"zh": "至少 {n} 个市级站点", "en": "at least {n} city-level stations"},
        "why_rule_max_gap": {"zh": "服务空白距离不超过 {n} 米", "en": "no gap longer than {n} m"},
        "why_rule_target": {"zh": "覆盖率目标 {n}", "en": "coverage target {n}"},
        "why_rule_24h": {"zh": "24小时站点最多 {n} 个", "en": "at most {n} 24-hour stations"},
    },
    # Exported files: KML, HTML map, GeoPackage tables.
    "label": {
        "stations": {"zh": "驿站", "en": "Stations"},
        "service_areas": {"zh": "服务范围", "en": "Service areas"},
        "districts": {"zh": "区县覆盖", "en": "Coverage by district"},
        "workers": {"zh": "外勤人员", "en": "Outdoor workers"},
        "covered_workers": {"zh": "覆盖外勤人员", "en": "Workers covered"},
        "uncovered": {"zh": "未覆盖", "en": "not covered"},
        "share": {"zh": "覆盖率", "en": "Share covered"},
        "district": {"zh": "区县", "en": "District"},
        "level": {"zh": "级别", "en": "Level"},
        "status": {"zh": "状态", "en": "Status"},
        "address": {"zh": "地址", "en": "Address"},
        "phone": {"zh": "电话", "en": "Phone"},
        "hours": {"zh": "开放时间", "en": "Opening hours"},
        "services": {"zh": "服务", "en": "Services"},
        "area_km2": {"zh": "面积 (km²)", "en": "Area (km²)"},
        "level_city": {"zh": "市级", "en": "City-level"},
        "level_district": {"zh": "区县级", "en": "District-level"},
        "status_proposed": {"zh": "建议", "en": "Proposed"},
        "status_accepted": {"zh": "已采纳", "en": "Accepted"},
        "status_existing": {"zh": "已建成", "en": "Existing"},
        "mode_walk": {"zh": "步行", "en": "Walking"},
        "mode_ride": {"zh": "骑行", "en": "Riding"},
        "minutes": {"zh": "分钟", "en": "minutes"},
    },
    # Outdoor-worker groups (geoplan.vocabulary.WORKER_GROUP_KEYS).
    "group": {
        "sanitation": {"zh": "环卫工人", "en": "sanitation workers"},
        "traffic_police": {"zh": "交通警察", "en": "traffic police"},
        "bus_drivers": {"zh": "公交司机", "en": "bus drivers"},
        "taxi_drivers": {"zh": "出租车司机", "en": "taxi drivers"},
        "couriers": {"zh": "快递员与外卖骑手", "en": "couriers and delivery riders"},
        "urban_management": {"zh": "城管执法人员", "en": "urban-management staff"},
        "repair_crews": {"zh": "市政维修人员", "en": "municipal repair crews"},
    },
    # Station services (geoplan.vocabulary.SERVICES).
    "service": {
        "drinking_water": {"zh": "饮水", "en": "Drinking water"},
        "heating_food": {"zh": "热饭", "en": "Heat food"},
        "toilet": {"zh": "如厕", "en": "Toilet"},
        "rest": {"zh": "休息", "en": "Rest"},
        "phone_charging": {"zh": "手机充电", "en": "Phone charging"},
        "ebike_charging": {"zh": "电动车充电", "en": "E-bike charging"},
        "air_conditioning": {"zh": "空调", "en": "Air conditioning"},
        "first_aid": {"zh": "急救药箱", "en": "First aid kit"},
        "wifi": {"zh": "无线网络", "en": "Wi-Fi"},
        "repair_kit": {"zh": "维修工具", "en": "Repair tools"},
        "umbrella": {"zh": "借伞", "en": "Umbrella loan"},
        "reading": {"zh": "阅读", "en": "Reading"},
    },
    # Station hosts (geoplan.vocabulary.HOSTS).
    "host": {
        "union": {"zh": "工会", "en": "Trade union"},
        "bank": {"zh": "银行网点", "en": "Bank branch"},
        "post_office": {"zh": "邮政网点", "en": "Post office"},
        "fuel_station": {"zh": "加油站", "en": "Fuel station"},
        "shop": {"zh": "商铺", "en": "Shop"},
        "government": {"zh": "政府机关", "en": "Government office"},
        "sanitation_depot": {"zh": "环卫站所", "en": "Sanitation depot"},
        "other": {"zh": "其他", "en": "Other"},
    },
    # Where a station stands in its life (geoplan.vocabulary.STATION_STATUSES).
    "station_status": {
        "planned": {"zh": "规划中", "en": "Planned"},
        "building": {"zh": "建设中", "en": "Being built"},
        "open": {"zh": "开放", "en": "Open"},
        "suspended": {"zh": "暂停开放", "en": "Suspended"},
        "closed": {"zh": "已关闭", "en": "Closed"},
    },
    # The PNG coverage map.
    "png": {
        "stations": {"zh": "{n} 个站点", "en": "{n} stations"},
        "share": {
            "zh": "外勤人员覆盖率 {share}（{covered} / {total} 人）",
            "en": "Outdoor workers covered: {share} ({covered} of {total})",
        },
        "legend": {"zh": "图例", "en": "Legend"},
        "city": {"zh": "市级站点", "en": "City-level station"},
        "district": {"zh": "区县级站点", "en": "District-level station"},
        "proposed": {"zh": "建议站点", "en": "Proposed station"},
        "accepted": {"zh": "已采纳站点", "en": "Accepted station"},
        "existing": {"zh": "已建成站点", "en": "Existing station"},
        "service": {"zh": "步行 {minutes:g} 分钟服务范围", "en": "{minutes:g}-minute walk service area"},
        "covered": {"zh": "已覆盖的外勤人员", "en": "Workers covered"},
        "uncovered": {"zh": "未覆盖的外勤人员", "en": "Workers not covered"},
        "streets": {"zh": "街道", "en": "Streets"},
        "boundary": {"zh": "区县界", "en": "District boundary"},
        "water": {"zh": "水体", "en": "Water"},
        "buildings": {"zh": "建筑", "en": "Buildings"},
        "green": {"zh": "绿地", "en": "Green space"},
        "landuse": {"zh": "其他用地", "en": "Other land use"},
        "footer": {
            "zh": "底图：OpenStreetMap 贡献者（ODbL），{crs} 投影，北箭头为 UTM 坐标北 · geoplan · {date}",
            "en": "Base map: OpenStreetMap contributors (ODbL), {crs}, north arrow = UTM grid north · geoplan · {date}",
        },
    },
    # The HTML maps (map.html of a plan run, a scenario's HTML export): layer names, legend, popups.
    "webmap": {
        "legend": {"zh": "图例", "en": "Legend"},
        "plan_title": {"zh": "{area}：{n} 个建议站点", "en": "{area}: {n} proposed stations"},
        "streets": {"zh": "街道", "en": "Streets"},
        "water": {"zh": "水体", "en": "Water"},
        "buildings": {"zh": "建筑", "en": "Buildings"},
        "landuse": {"zh": "用地", "en": "Land use"},
        "districts": {"zh": "区县", "en": "Districts"},
        "boundary": {"zh": "区县界", "en": "District boundary"},
        "workers_layer": {"zh": "外勤人员（红色：多数未覆盖）", "en": "Outdoor workers (red: mostly not covered)"},
        "mostly_covered": {"zh": "外勤人员多数已覆盖", "en": "Workers mostly covered"},
        "mostly_uncovered": {"zh": "外勤人员多数未覆盖", "en": "Workers mostly not covered"},
        "candidates": {"zh": "候选点（{n}）", "en": "Candidate sites ({n})"},
        "candidate": {"zh": "候选点", "en": "Candidate site"},
        "proposals": {"zh": "建议站点（{n}）", "en": "Proposed stations ({n})"},
        "stations": {"zh": "驿站（{n}）", "en": "Stations ({n})"},
        "city_station": {"zh": "市级站点", "en": "City-level station"},
        "district_station": {"zh": "区县级站点", "en": "District-level station"},
        "service_area": {"zh": "{mode} {minutes:g} 分钟服务范围", "en": "{mode} service area, {minutes:g} min"},
        "tiles": {"zh": "在线瓦片底图（需联网）", "en": "Online map tiles (needs internet)"},
        "osm_attribution": {"zh": "底图数据 © OpenStreetMap 贡献者（ODbL）",
                            "en": "Map data © OpenStreetMap contributors (ODbL)"},
        "id": {"zh": "编号", "en": "Id"},
        "type": {"zh": "类型", "en": "Type"},
        "name": {"zh": "名称", "en": "Name"},
        "floor_area": {"zh": "面积", "en": "Floor area"},
    },
    # The PDF report.
    "pdf": {
        "report": {"zh": "爱心驿站布局方案报告", "en": "Rest-station plan report"},
        "area": {"zh": "研究区域", "en": "Study area"},
        "scenario_id": {"zh": "方案编号", "en": "Scenario id"},
        "date": {"zh": "导出时间", "en": "Exported"},
        "summary": {"zh": "方案概要", "en": "Summary"},
        "stations": {"zh": "站点数", "en": "Stations"},
        "stations_value": {
            "zh": "{n} 个（市级 {city} 个，区县级 {district} 个）",
            "en": "{n} ({city} city-level, {district} district-level)",
        },
        "workers": {"zh": "外勤人员（估计）", "en": "Outdoor workers (estimated)"},
        "covered": {"zh": "服务范围内的外勤人员", "en": "Workers within a station's service area"},
        "share": {"zh": "覆盖率", "en": "Share covered"},
        "service": {"zh": "服务范围", "en": "Service area"},
        "service_value": {
            "zh": "步行 {minutes:g} 分钟（沿街道网络）",
            "en": "{minutes:g} minutes on foot along the street network",
        },
        "map": {"zh": "覆盖地图", "en": "Coverage map"},
        "by_district": {"zh": "各区县覆盖情况", "en": "Coverage by district"},
        "by_group": {"zh": "各工种覆盖情况", "en": "Coverage by worker group"},
        "district": {"zh": "区县", "en": "District"},
        "group": {"zh": "工种", "en": "Worker group"},
        "col_workers": {"zh": "外勤人员", "en": "Workers"},
        "col_covered": {"zh": "已覆盖", "en": "Covered"},
        "station_count": {"zh": "站点", "en": "Stations"},
        "station_list": {"zh": "站点清单", "en": "Stations"},
        "id": {"zh": "编号", "en": "Id"},
        "name": {"zh": "名称", "en": "Name"},
        "level": {"zh": "级别", "en": "Level"},
        "status": {"zh": "状态", "en": "Status"},
        "address": {"zh": "地址", "en": "Address"},
        "hours": {"zh": "开放时间", "en": "Opening hours"},
        "covered_workers": {"zh": "覆盖人数", "en": "Workers covered"},
        "city": {"zh": "市级", "en": "City-level"},
        "district_level": {"zh": "区县级", "en": "District-level"},
        "params": {"zh": "规划参数", "en": "Plan parameters"},
        "param": {"zh": "参数", "en": "Parameter"},
        "value": {"zh": "取值", "en": "Value"},
        "result": {"zh": "求解结果与最优性", "en": "Optimiser result and optimality"},
        "objective": {"zh": "目标值（覆盖的外勤人员）", "en": "Objective (workers covered)"},
        "bound": {"zh": "上界", "en": "Upper bound"},
        "gap": {"zh": "最优性差距", "en": "Optimality gap"},
        "solver_status": {"zh": "求解状态", "en": "Status"},
        "method": {"zh": "求解方法", "en": "Method"},
        "seconds": {"zh": "求解用时（秒）", "en": "Solve time (s)"},
        "no_result": {
            "zh": "本方案未经优化求解（手工编排或导入），无最优性差距。",
            "en": "This scenario was not optimised (edited by hand or imported): it has no optimality gap.",
        },
        "gap_note": {
            "zh": "最优性差距 = (上界 − 目标值) / 上界：任何方案的覆盖人数都不会超过上界。",
            "en": "Optimality gap = (bound - objective) / bound: no plan covers more workers than the bound.",
        },
        "notes": {"zh": "数据说明", "en": "About the data"},
        "district_source": {"zh": "区县划分来源：{source}。", "en": "Districts: {source}."},
        "demand_note": {
            "zh": "外勤人员分布由 OpenStreetMap 要素按工种规则估算（见 docs/demand.md），数值为估计值。",
            "en": "Outdoor workers are estimated from OpenStreetMap features by one rule per group (see "
            "docs/demand.md); figures are estimates.",
        },
        "page": {"zh": "第 {page} 页 / 共 {nb} 页", "en": "Page {page} of {nb}"},
        "unnamed": {"zh": "（未命名）", "en": "(unnamed)"},
        "none": {"zh": "—", "en": "-"},
        "total": {"zh": "合计", "en": "Total"},
    },
    # Plan parameters as the PDF report lists them (others are shown by their key).
    "param": {
        "stations": {"zh": "站点总数", "en": "Stations"},
        "district_min": {"zh": "每区县最少站点数", "en": "Minimum stations per district"},
        "city_level_min": {"zh": "市级站点最少数", "en": "Minimum city-level stations"},
        "min_spacing_m": {"zh": "站点最小间距（米）", "en": "Minimum spacing between stations (m)"},
        "time_limit_s": {"zh": "求解时限（秒）", "en": "Optimiser time limit (s)"},
        "target_gap": {"zh": "目标最优性差距", "en": "Target optimality gap"},
        "backup_weight": {"zh": "交叉覆盖权重", "en": "Backup coverage weight"},
        "max_gap_m": {"zh": "最大服务空白距离（米）", "en": "Maximum gap distance (m)"},
    },
    # How sure a solve is of its plan (geoplan.siting.model.solve_status), a short label each ...
    "solve_status": {
        "optimal": {"zh": "已证明最优", "en": "Proven optimal"},
        "within_target": {"zh": "达到目标差距", "en": "Within the target gap"},
        "time_limit": {"zh": "到达时间上限", "en": "Time limit reached"},
        "heuristic": {"zh": "启发式（无界）", "en": "Heuristic (no bound)"},
        "infeasible": {"zh": "无可行方案", "en": "No feasible plan"},
    },
    # ... and what it means for the planner ({gap}: the certified gap, as a percentage).
    "solve_status_note": {
        "optimal": {
            "zh": "没有任何满足全部规则的方案能覆盖更多劳动者：本方案已被证明是最优的。",
            "en": "No plan meeting every rule covers more workers: this plan is proven optimal.",
        },
        "within_target": {
            "zh": "求解在达到所要求的目标差距后提前停止：最优方案至多比本方案好 {gap}。",
            "en": "The solve stopped early at the requested target gap: the best plan is at most {gap} better.",
        },
        "time_limit": {
            "zh": "求解时间用完，尚未证明最优：最优方案至多比本方案好 {gap}。延长求解时间可缩小差距。",
            "en": "The time limit ran out before optimality was proven: the best plan is at most {gap} better. "
            "More time narrows the gap.",
        },
        "heuristic": {
            "zh": "本方案由启发式算法给出，未计算上界，无法说明与最优方案的差距。",
            "en": "This plan comes from a heuristic without a bound: how far it is from the best is unknown.",
        },
        "infeasible": {
            "zh": "已证明没有任何方案能同时满足这些规则。",
            "en": "It is proven that no plan meets these rules together.",
        },
    },
    # Messages of coded errors (geoplan.errors.GeoplanError(message, code=..., **params)).
    "error": {
        # Positions, sites and opening hours a planner sends (geoplan.planning.sites, geoplan.siting.hours).
        "sites_not_list": {
            "zh": "站点应以列表发送（每个站点一个对象），收到的是 {got}。",
            "en": "sites must be a list of site dicts, got {got}.",
        },
        "position_not_number": {
            "zh": "{what}：{name}应为有限的度数，收到的是 {value}。",
            "en": "{what}: {name} must be a finite number of degrees, got {value}.",
        },
        "position_not_lonlat": {
            "zh": "{what}：({lon}, {lat}) 不是 WGS-84 经纬度（应经度在前、纬度在后）。",
            "en": "{what}: ({lon}, {lat}) is not a WGS-84 longitude/latitude pair (longitude first).",
        },
        "position_lonlat_swapped": {
            "zh": "{what}：({lon}, {lat}) 不是有效的经纬度，经纬度可能写反了：请经度在前、纬度在后。",
            "en": "{what}: ({lon}, {lat}) is not a longitude/latitude pair; lon and lat look swapped: give the "
            "longitude first.",
        },
        "position_outside_area": {
            "zh": "{what}：({lon}, {lat}) 位于研究区域“{area}”之外 {km} 公里；"
            "请确认坐标为 WGS-84 经纬度，且经度在前、纬度在后。",
            "en": "{what}: ({lon}, {lat}) lies {km} km outside study area {area!r}; check that it is WGS-84 "
            "longitude, latitude (in that order).",
        },
        "position_outside_area_swapped": {
            "zh": "{what}：({lon}, {lat}) 位于研究区域“{area}”之外 {km} 公里，"
            "而 ({lat}, {lon}) 在区域内：经纬度可能写反了，请经度在前、纬度在后。",
            "en": "{what}: ({lon}, {lat}) lies {km} km outside study area {area!r}, but ({lat}, {lon}) lies inside: "
            "lon and lat look swapped; give the longitude first.",
        },
        "sites_rejected_and_kept": {
            "zh": "候选点 {ids} 既被否决又被保留或建议：一个站点只能有一种状态。",
            "en": "Candidate site(s) {ids} are both rejected and kept or proposed: a site can have only one status.",
        },
        "site_not_object": {
            "zh": "第 {number} 个站点：应为对象，收到的是 {got}。",
            "en": "Site {number}: expected a dict, got {got}.",
        },
        "site_bad_status": {
            "zh": "第 {number} 个站点：状态应为 {statuses} 之一，收到的是 {status!r}。",
            "en": "Site {number}: status must be one of {statuses}; got {status!r}.",
        },
        "site_needs_candidate": {
            "zh": "第 {number} 个站点：“{status}”站点需要本区域某个候选点的 candidate_id；只有现有站点可以没有。",
            "en": "Site {number}: a {status} site needs the candidate_id of one of the area's candidate sites; only "
            "existing stations may have none.",
        },
        "site_unknown_candidate": {
            "zh": "第 {number} 个站点：{ident!r} 不是区域“{area}”的候选点（是否用其他候选点规则或其他数据规划过？）。",
            "en": "Site {number}: {ident!r} is not a candidate site of area {area!r} (was it planned with other "
            "candidate rules or other data?).",
        },
        "site_hours_not_text": {
            "zh": "第 {number} 个站点：营业时间应为文本，如 08:30-17:00 或 24h，收到的是 {got}。",
            "en": "Site {number}: hours must be a text such as 08:30-17:00 or 24h, got {got}.",
        },
        "hours_bad_form": {
            "zh": "营业时间 {hours!r}：请写成 HH:MM-HH:MM（如 08:30-17:00，跨夜如 22:00-06:00），"
            "多个时段用逗号分隔，或写 24h。",
            "en": "Hours {hours!r}: write HH:MM-HH:MM (e.g. 08:30-17:00, 22:00-06:00 overnight), several separated by "
            "commas, or 24h.",
        },
        "hours_not_time": {
            "zh": "营业时间 {hours!r}：{part} 不是有效的时刻。",
            "en": "Hours {hours!r}: {part} is not a time of day.",
        },
        "hours_empty": {
            "zh": "营业时间 {hours!r}：{part} 的时长为零。",
            "en": "Hours {hours!r}: {part} is empty.",
        },
        "hours_no_option": {"zh": "请至少给出一种营业时间方案。", "en": "Give at least one opening-hours option."},
        # Saving changes (geoplan.store: the stale-edit refusal, missing scenarios, sites and users).
        "stale_scenario": {
            "zh": "方案“{name}”在您打开之后已被{who}修改（当前版本 {version}，您的版本 {yours}）；您的更改未保存。"
            "请重新加载查看当前方案，再做决定。",
            "en": "Scenario {name!r} was changed{who} after you loaded it (version {version}, yours {yours}); your "
            "change was not saved. Reload to see the current plan, then decide again.",
        },
        "stale_by": {"zh": "{user} 于 {at} ", "en": " by {user} at {at}"},
        "scenario_not_found": {"zh": "方案 {id} 不存在。", "en": "Scenario {id} does not exist."},
        "site_not_in_scenario": {
            "zh": "站点 {site} 不属于方案 {scenario}。",
            "en": "Site {site} is not part of scenario {scenario}.",
        },
        "no_sites_to_add": {"zh": "没有要添加的站点。", "en": "No sites to add."},
        "unknown_site_fields": {
            "zh": "无法识别的站点字段：{fields}。",
            "en": "Unknown site field(s): {fields}.",
        },
        "user_name_length": {"zh": "用户名：请填写 1 到 80 个字符。", "en": "User name: give 1 to 80 characters."},
        "unknown_role": {
            "zh": "角色 {role!r} 无法识别：请使用 {roles} 之一。",
            "en": "Role {role!r} is unknown: use one of {roles}.",
        },
        "user_exists": {"zh": "用户 {username!r} 已存在。", "en": "User {username!r} already exists."},
        "no_such_user": {"zh": "没有名为 {username!r} 的用户。", "en": "No user named {username!r}."},
        # Sites and scenarios as a client sends them (geoplan.store.checks).
        "scenario_name_length": {
            "zh": "方案名称：请填写 1 到 200 个字符。",
            "en": "Scenario name: give 1 to 200 characters.",
        },
        "version_not_whole": {
            "zh": "version：请给出修改所基于的方案版本（整数）。",
            "en": "version: give the scenario version the change was made on (a whole number).",
        },
        "site_send_object": {
            "zh": "第 {number} 个站点：请发送包含 status、lon 和 lat 的对象。",
            "en": "site {number}: send an object with status, lon and lat.",
        },
        "site_unknown_status": {
            "zh": "第 {number} 个站点：状态 {status!r} 无法识别；请使用 {statuses} 之一。",
            "en": "site {number}: status {status!r} is unknown; use one of {statuses}.",
        },
        "site_degrees_not_number": {
            "zh": "第 {number} 个站点：{name}应为度数。",
            "en": "site {number}: {name} must be a number of degrees.",
        },
        "site_degrees_out_of_range": {
            "zh": "第 {number} 个站点：{name} {value} 超出 {low}..{high} 的范围。",
            "en": "site {number}: {name} {value} is outside {low}..{high}.",
        },
        "site_degrees_swapped": {
            "zh": "第 {number} 个站点：{name} {value} 超出 {low}..{high} 的范围；"
            "经纬度可能写反了（应经度在前、纬度在后）。",
            "en": "site {number}: {name} {value} is outside {low}..{high}; lon and lat look swapped (longitude first).",
        },
        "site_workers_not_number": {
            "zh": "第 {number} 个站点：covered_workers（覆盖劳动者数）应为有限的数字。",
            "en": "site {number}: covered_workers must be a finite number.",
        },
        "site_bad_phase": {
            "zh": "第 {number} 个站点：期数应为 1 或 2，收到的是 {got}。",
            "en": "site {number}: phase must be 1 or 2, got {got}.",
        },
        # Rows of an uploaded CSV of points (geoplan.data.readers.scan_points_csv; the bulk lookup reports them).
        "row_extra_fields": {
            "zh": "第 {line} 行：字段比表头多。",
            "en": "line {line}: more fields than the header",
        },
        "row_empty": {"zh": "第 {line} 行：{name} 为空。", "en": "line {line}: {name} is empty"},
        "row_not_number": {
            "zh": "第 {line} 行：{name} {value!r} 不是数字。",
            "en": "line {line}: {name} {value!r} is not a number",
        },
        "row_not_finite": {
            "zh": "第 {line} 行：{name} {value!r} 不是有限的数字。",
            "en": "line {line}: {name} {value!r} is not a finite number",
        },
        "row_not_degrees": {
            "zh": "第 {line} 行：({lon}, {lat}) 不是以度为单位的经纬度；不接受投影坐标。",
            "en": "line {line}: ({lon}, {lat}) is not a longitude/latitude in degrees; projected coordinates are not "
            "accepted",
        },
        "row_swapped": {
            "zh": "第 {line} 行：({lon}, {lat}) 经纬度可能写反了：lon 列应为经度，lat 列应为纬度。",
            "en": "line {line}: ({lon}, {lat}): lon and lat look swapped; the lon column takes the longitude, the "
            "lat column the latitude",
        },
        "row_negative": {
            "zh": "第 {line} 行：{name} {value} 为负数。",
            "en": "line {line}: {name} {value} is negative",
        },
        # The password policy (geoplan.store.passwords).
        "password_too_short": {
            "zh": "密码太短：至少需要 {min_length} 个字符（现在是 {length} 个）。可以用几个词组成一句好记的话。",
            "en": "Password too short: give at least {min_length} characters ({length} given); a phrase of a few "
            "words is easy to remember.",
        },
        "password_is_username": {
            "zh": "密码不能与用户名相同。",
            "en": "Password: do not use the user name as the password.",
        },
        "password_simple": {
            "zh": "密码太简单：{reason}，很容易被猜中。请换一个别人想不到的密码，例如几个不相关的词组成的一句话。",
            "en": "Password too simple: {reason}, which is guessed at once. Choose one nobody would guess, e.g. a "
            "phrase of a few unrelated words.",
        },
        "password_common": {
            "zh": "这是最常见的密码之一（或只是在它前后加了数字、符号），很容易被猜中。请换一个别人想不到的密码，"
            "例如几个不相关的词组成的一句话。",
            "en": "Password: this is one of the most common passwords (or one with digits or symbols added), which "
            "is guessed at once. Choose one nobody would guess, e.g. a phrase of a few unrelated words.",
        },
        "rules_conflict": {
            "zh": "无论建多少个站点，都没有方案能同时满足{rules}：请放宽其中一项。",
            "en": "No plan can meet {rules} together, whatever the number of stations: relax one of them.",
        },
        "too_many_stations": {
            "zh": "在{rules}的限制下最多只能布设 {most} 个站点，而方案要求 {p} 个：请把站点数降到 {most}，"
            "或放宽{rules}。",
            "en": "At most {most} stations fit {rules}; the plan asks for {p}: lower the station count to {most} or "
            "relax {rules}.",
        },
        "too_few_stations": {
            "zh": "满足{rules}至少需要 {least} 个站点，而方案只有 {p} 个：请把站点数提高到 {least}，或放宽{rules}。",
            "en": "At least {least} stations are needed to meet {rules}; the plan has {p}: raise the station count "
            "to {least} or relax {rules}.",
        },
        "no_plan_of_count": {
            "zh": "没有恰好 {p} 个站点且满足{rules}的方案：请调整站点数或放宽{rules}。",
            "en": "No plan of exactly {p} stations meets {rules}: change the station count or relax {rules}.",
        },
        "no_plan_in_time": {
            "zh": "在 {seconds} 秒内既没有找到满足全部规则的 {p} 站方案，也没能证明它不存在：请延长求解时间，"
            "或放宽最小间距、最大服务空白距离。",
            "en": "Within {seconds} s neither a plan of {p} stations meeting every rule was found nor proven "
            "impossible: allow more time, or relax the minimum spacing or the maximum gap.",
        },
        "scenario_needs_registered_area": {
            "zh": "--scenario 需要已登记的研究区域（见 geoplan areas）；{area!r} 不在其中。"
            "请先在区域登记表（GEOPLAN_AREAS）中登记，再按名称规划。",
            "en": "--scenario needs a registered area (see 'geoplan areas'); {area!r} is not one.",
        },
        "scenario_with_districts": {
            "zh": "--scenario 不能与 --districts 同时使用：审核地图按登记的区县重新打开区域。请用这些区县登记该区域。",
            "en": "--scenario cannot be combined with --districts: register the area with these districts instead.",
        },
        "no_usable_sites": {
            "zh": "{file}：文件中没有一个点位能建驿站：{reasons}。",
            "en": "{file}: none of its sites can hold a station: {reasons}.",
        },
        "unknown_data_kind": {
            "zh": "kind：请使用 {kinds} 之一（劳动者分布或候选点）。",
            "en": "kind: use one of {kinds} (a demand layer or candidate sites).",
        },
        "user_data_changed": {
            "zh": "规划数据在读取时被修改了，请重新加载后再试。",
            "en": "The planner's data changed while it was being read; reload and try again.",
        },
        "unknown_language": {
            "zh": "语言 {lang!r} 无法识别；请使用 {languages}。",
            "en": "Unknown language {lang!r}; use one of {languages}.",
        },
        # What the web app reads (geoplan_web.validation): request bodies, fields, uploaded files.
        "body_not_json_type": {
            "zh": "请求内容须为 JSON 对象（Content-Type: application/json），收到的是 {content_type}。",
            "en": "Send the request body as a JSON object (Content-Type: application/json), not {content_type}.",
        },
        "body_not_json": {
            "zh": "请求内容不是有效的 JSON（第 {line} 行第 {column} 列附近有误）。",
            "en": "The request body is not valid JSON (error near line {line}, column {column}).",
        },
        "body_bad_number": {
            "zh": "请求内容中的数值 {number} 无法读取：请给出有限的数字，整数最多 {digits} 位。",
            "en": "The request body holds the number {number}, which is not read: give finite numbers, whole "
            "numbers of at most {digits} digits.",
        },
        "body_too_large": {
            "zh": "请求内容过大：最多 {kb} KB。",
            "en": "The request body is too large: at most {kb} KB.",
        },
        "body_too_deep": {
            "zh": "请求内容嵌套过深：最多 {depth} 层。",
            "en": "The request body is nested too deeply: at most {depth} levels.",
        },
        "body_not_object": {
            "zh": "请求内容须为 JSON 对象（JSON object，形如 {{\"name\": ...}}），收到的是 {got}。",
            "en": "Send a JSON object (like {{\"name\": ...}}) as the request body, not {got}.",
        },
        "field_duplicate": {
            "zh": "{field}: 在请求内容中出现了不止一次。",
            "en": "{field}: given more than once in the request body.",
        },
        "field_unknown": {
            "zh": "{field}: 未知字段；可用的字段为 {known}。",
            "en": "{field}: unknown field; the fields here are {known}.",
        },
        "field_too_deep": {
            "zh": "{field}: 嵌套过深：请求内容最多 {depth} 层。",
            "en": "{field}: nested too deeply; the request body has at most {depth} levels.",
        },
        "field_required": {
            "zh": "{field}: 必填。",
            "en": "{field}: required.",
        },
        "field_not_text": {
            "zh": "{field}: 应为文本，收到的是 {got}。",
            "en": "{field}: give a text, not {got}.",
        },
        "field_too_long": {
            "zh": "{field}: 最多 {max_len} 个字符（收到 {length} 个）。",
            "en": "{field}: at most {max_len} characters ({length} given).",
        },
        "field_not_integer": {
            "zh": "{field}: 应为整数，收到的是 {got}。",
            "en": "{field}: give a whole number, not {got}.",
        },
        "field_not_number": {
            "zh": "{field}: 应为数字，收到的是 {got}。",
            "en": "{field}: give a number, not {got}.",
        },
        "field_out_of_range": {
            "zh": "{field}: 应在 {low} 到 {high} 之间，收到的是 {got}。",
            "en": "{field}: give {low} to {high}, not {got}.",
        },
        "field_not_boolean": {
            "zh": "{field}: 应为 true 或 false，收到的是 {got}。",
            "en": "{field}: give true or false, not {got}.",
        },
        "field_required_choice": {
            "zh": "{field}: 必填；请使用 {choices} 之一。",
            "en": "{field}: required; use one of {choices}.",
        },
        "field_bbox": {
            "zh": "{field}: 请写成 minlon,minlat,maxlon,maxlat（WGS-84 度数，min 小于 max，每边最多 {most} 度）。",
            "en": "{field}: write minlon,minlat,maxlon,maxlat in WGS-84 degrees, min below max, at most {most} "
            "degrees a side.",
        },
        "field_not_choice": {
            "zh": "{field}: 无法识别 {got}；请使用 {choices} 之一。",
            "en": "{field}: {got} is unknown; use one of {choices}.",
        },
        "field_not_object": {
            "zh": "{field}: 应为 JSON 对象，收到的是 {got}。",
            "en": "{field}: give a JSON object, not {got}.",
        },
        "file_required": {
            "zh": "{field}: 请选择要上传的文件。",
            "en": "{field}: choose a file to upload.",
        },
        "file_suffix": {
            "zh": "{file}: 请上传 {suffixes} 文件。",
            "en": "{file}: use a {suffixes} file.",
        },
        "file_too_large": {
            "zh": "{file}: 文件过大：此处最多 {mb} MB。",
            "en": "{file}: the file is too large: at most {mb} MB here.",
        },
        "file_too_many_rows": {
            "zh": "{file}: 一次最多上传 {cap} 行（文件有 {rows} 行）；请分成几个文件上传。",
            "en": "{file}: at most {cap} rows per upload ({rows} given); split the file.",
        },
        "file_not_text": {
            "zh": "{file}: 不是可识别编码的文本文件（支持 {encodings}）；请另存为这些编码之一的文本文件。",
            "en": "{file}: the file is neither UTF-8 nor GBK text, nor UTF-16 with its byte-order mark "
            "(encodings read: {encodings}); save it as text in one of them.",
        },
        "file_not_csv": {
            "zh": "{file} 第 {line} 行：无法按 CSV 读取（{reason}）。",
            "en": "{file} line {line}: not readable as CSV ({reason}).",
        },
        # Station details (geoplan.store.checks).
        "details_empty": {
            "zh": "请填写要修改的站点详情（站点名称、地址、联系电话、服务项目等），收到的是 {got}。",
            "en": "Send the station details to change (name, address, phone, services...), not {got}.",
        },
        "phone_invalid": {
            "zh": "{field}: {got} 不是电话号码；请写成 0791-86281234、138 0000 0000 或 12345 这样的号码，"
            "多个号码用“、”隔开，分机写在“转”之后。",
            "en": "{field}: {got} is not a phone number; write numbers like 0791-86281234, 138 0000 0000 or 12345, "
            "several separated by 、 or commas, an extension after 转 or ext.",
        },
        "url_invalid": {
            "zh": "{field}: {got} 不是可公开打开的链接；请填写以 http:// 或 https:// 开头的完整网址"
            "（不含空格、用户名或密码，最多 {most} 个字符）。",
            "en": "{field}: {got} is not a link the public can open; give a whole address starting with http:// "
            "or https:// (no blanks, user name or password; at most {most} characters).",
        },
        "field_not_text_list": {
            "zh": "{field}: 应为文本列表，收到的是 {got}。",
            "en": "{field}: give a list of texts, not {got}.",
        },
        "field_list_too_long": {
            "zh": "{field}: 最多 {most} 项，每项最多 {max_len} 个字符。",
            "en": "{field}: at most {most} entries of up to {max_len} characters each.",
        },
        # The area registry (geoplan.data.areas).
        "unknown_default_area": {
            "zh": "环境变量 GEOPLAN_DEFAULT_AREA 的值 {name!r} 不是已登记的研究区域；请使用 {known} 之一。",
            "en": "GEOPLAN_DEFAULT_AREA={name!r} is not a registered area; use one of {known}.",
        },
        "station_outside_area": {
            "zh": "{file} {where}: ({lon}, {lat}) 位于研究区域 {area!r} 之外 {km} 公里；"
            "请确认坐标是经度在前、纬度在后，并选择了正确的坐标系。",
            "en": "{file} {where}: ({lon}, {lat}) lies {km} km outside study area {area!r}; check that it is "
            "longitude, latitude (in that order) and that the coordinate system is right.",
        },
        # Undo of the last change (geoplan.store.Store.undo).
        "undo_nothing": {"zh": "没有可以撤销的更改。", "en": "There is no change to undo."},
        "undo_not_yours": {
            "zh": "无法撤销：最近一次更改是 {user} 于 {at} 做的，不是您的更改。请先查看当前方案，再决定是否修改。",
            "en": "Cannot undo: the last change was made by {user} at {at}, not by you. Look at the current plan "
            "first, then change it if needed.",
        },
        "undo_twice": {
            "zh": "上一次更改已经是撤销操作，不能再撤销。如需恢复，请重新操作一次。",
            "en": "The last change was already an undo; it cannot be undone. Make the change again instead.",
        },
        "undo_cannot": {
            "zh": "上一次更改（{action}）无法撤销：操作记录中没有足以恢复的原始数据。",
            "en": "The last change ({action}) cannot be undone: the audit log does not keep enough to restore it.",
        },
        "undo_site_gone": {
            "zh": "无法撤销：该站点已不在方案中。",
            "en": "Cannot undo: the site is no longer part of the scenario.",
        },
        # Publishing's checklist and the place search (issue 13).
        "publish_incomplete": {
            "zh": "有 {count} 个将公开的站点信息不完整（{sites}）：请补全名称、地址、开放时间和站点状态，"
            "或在发布时逐个选择不公开（exclude）或照常公开（force）。",
            "en": "{count} stations that would become public lack details ({sites}): fill in name, address, hours "
            "and status, or list each under exclude (left out) or force (published as it is).",
        },
        "publish_site_ids": {
            "zh": "{field}: 应为站点编号（整数）的列表，收到的是 {got}。",
            "en": "{field}: give a list of site ids (whole numbers), not {got}.",
        },
        "publish_not_public_site": {
            "zh": "{field}: 站点 {site} 不是本方案中已采纳或现有的站点。",
            "en": "{field}: site {site} is not an accepted or existing site of this scenario.",
        },
        "publish_force_complete": {
            "zh": "force: 站点 {site} 的信息已完整，无需照常公开；请从列表中去掉它。",
            "en": "force: site {site} lacks nothing; take it off the list.",
        },
        "place_query_empty": {
            "zh": "q: 请输入要查找的地点名称（如地铁站、街道或区县）。",
            "en": "q: type the name of a place (a metro station, a street, a district).",
        },
        "place_query_too_long": {
            "zh": "q: 地点名称最多 {max_len} 个字（收到 {length} 个）。",
            "en": "q: a place name has at most {max_len} characters ({length} given).",
        },
        "place_query_chars": {
            "zh": "q: 地点名称中不能含有控制字符或 {chars} 等符号。",
            "en": "q: a place name cannot hold control characters or symbols such as {chars}.",
        },
    },
}


def po_path(lang: str) -> Path:
    """Return the path of the gettext catalog of ``lang`` (``zh`` or ``en``)."""
    return LOCALE_FOLDER / LOCALES[lang] / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def _po(lang: str) -> dict[str, dict[str, str]]:
    """Return the translated messages of ``lang``'s .po catalog by section (msgctxt) and key (msgid)."""
    with po_path(lang).open("rb") as handle:
        read = read_po(handle, locale=LOCALES[lang], domain=DOMAIN)
    messages: dict[str, dict[str, str]] = {}
    for message in read:
        if message.id and message.context and message.string and not message.fuzzy:
            messages.setdefault(message.context, {})[str(message.id)] = str(message.string)
    return messages


def _template(section: str, key: str, lang: str) -> str | None:
    """Return the text of ``key`` in ``lang``: the .po catalog, else the :data:`CATALOG` fallback, else None."""
    found = _po(lang).get(section, {}).get(key)
    if found is None:
        found = CATALOG.get(section, {}).get(key, {}).get(lang)
    return found


def _keys(section: str) -> list[str]:
    """Return every key of a section, in either language or the fallback dict, in catalog order."""
    keys = {key: None for lang in LANGUAGES for key in _po(lang).get(section, {})}
    keys.update(dict.fromkeys(CATALOG.get(section, {})))
    return list(keys)


def catalog() -> dict[str, dict[str, dict[str, str]]]:
    """Return every text, .po catalogs and fallback dict merged, as ``{section: {key: {lang: text}}}``.

    A language that lacks a text is absent from its entry (the completeness test looks for such gaps).
    """
    sections = {section: None for lang in LANGUAGES for section in _po(lang)}
    sections.update(dict.fromkeys(CATALOG))
    merged: dict[str, dict[str, dict[str, str]]] = {}
    for section in sections:
        merged[section] = {}
        for key in _keys(section):
            found = {lang: _template(section, key, lang) for lang in LANGUAGES}
            merged[section][key] = {lang: value for lang, value in found.items() if value is not None}
    return merged


def check_lang(lang: object) -> str:
    """Return ``lang`` if it is one of :data:`geoplan.vocabulary.LANGUAGES`, else raise InputError naming them."""
    if lang not in LANGUAGES:
        raise InputError(f"Unknown language {lang!r}; use one of {', '.join(LANGUAGES)}.", code="unknown_language",
                         lang=lang, languages=", ".join(LANGUAGES))  # fmt: skip
    return str(lang)


def environment_lang(environ: Mapping[str, str] | None = None) -> str:
    """Return the language of the user's locale settings, for the command line's default ``--lang``.

    The first set of ``LC_ALL``, ``LC_MESSAGES`` and ``LANG`` (POSIX order) decides: ``en_*`` gives English;
    ``zh_*``, unset, ``C`` or ``POSIX`` give Chinese, and so does any other locale (Chinese comes first).

    Parameters
    ----------
    environ : mapping, optional
        The environment (default :data:`os.environ`).

    Returns
    -------
    str
        ``zh`` or ``en``.
    """
    environ = os.environ if environ is None else environ
    value = next((environ[name] for name in ("LC_ALL", "LC_MESSAGES", "LANG") if environ.get(name)), "")
    return "en" if value.lower().startswith("en") else "zh"


def text(section: str, key: str, lang: str = "zh", **params: object) -> str:
    """Return the text of ``key`` in ``section`` and ``lang``, placeholders filled from ``params``.

    Parameters
    ----------
    section : str
        A section of the catalogs (``ui``, ``label``, ``group``...).
    key : str
        The entry; an unknown key gives the key itself back (a user-defined worker group, say).
    lang : str
        ``zh`` or ``en``; a text missing in that language is given in English.
    **params
        Values of the text's ``{name}`` placeholders.

    Returns
    -------
    str
    """
    template = _template(section, key, lang) if lang in LOCALES else None
    if template is None:
        template = _template(section, key, "en")
    if template is None:
        return key
    return template.format(**params) if params else template


def entries(section: str, lang: str = "zh") -> dict[str, str]:
    """Return every text of a section in one language, by key (English where ``lang`` lacks one)."""
    return {key: text(section, key, lang) for key in _keys(section)}


def group_name(group: str, lang: str = "zh") -> str:
    """Return the display name of a worker group (the key itself for a group the planner named)."""
    return text("group", group, lang)


def services_text(services: str | Iterable[str], lang: str = "zh") -> str:
    """Return the display text of a list of service codes (or of a ";"-joined string of them)."""
    codes = services.split(";") if isinstance(services, str) else list(services)
    separator = "、" if lang == "zh" else ", "
    return separator.join(text("service", code, lang) for code in codes if code)


def status_text(status: object, lang: str = "zh", gap: float | None = None) -> tuple[str, str]:
    """Return the label and the explanation of a solve status (``optimal``, ``within_target``...) in ``lang``.

    Parameters
    ----------
    status : str
        A :data:`geoplan.siting.model.STATUSES` value or ``infeasible``; another value is shown as it is.
    lang : str
        ``zh`` or ``en``.
    gap : float, optional
        The certified relative gap, quoted in the explanation (as a percentage with two decimals).

    Returns
    -------
    tuple of str
        (label, explanation); the explanation is empty for an unknown status.
    """
    key = str(status)
    if _template("solve_status", key, "en") is None:
        return key, ""
    shown = "—" if gap is None or not math.isfinite(float(gap)) else f"{100 * float(gap):.2f}%"
    return text("solve_status", key, lang), text("solve_status_note", key, lang, gap=shown)


def input_error(code: str, **params: object) -> InputError:
    """Return the coded :class:`~geoplan.errors.InputError` of ``code``, its message the catalog's English text.

    Parameters
    ----------
    code : str
        Key in the catalog's ``error`` section.
    **params
        The text's placeholders (``name_zh`` for the Chinese value of ``name``).
    """
    return InputError(text("error", code, "en", **params), code=code, **params)


def shown(value: object) -> dict[str, str]:
    """Describe a value a client sent, for the ``got`` placeholder of a message, in English and Chinese.

    Objects and lists are named by their JSON type, texts and numbers quoted (cut at 40 characters).

    Returns
    -------
    dict
        ``got`` and ``got_zh``.
    """
    if isinstance(value, Mapping):
        return {"got": "an object", "got_zh": "对象"}
    if isinstance(value, list | tuple):
        return {"got": "a list", "got_zh": "数组"}
    if value is None:
        return {"got": "null", "got_zh": "null"}
    if isinstance(value, bool):
        return {"got": str(value).lower(), "got_zh": str(value).lower()}
    if isinstance(value, str):
        short = value if len(value) <= _SHOWN_CHARS else value[:_SHOWN_CHARS] + "…"
        return {"got": f"the text {short!r}", "got_zh": f"文本 {short!r}"}
    quoted = repr(value)
    short = quoted if len(quoted) <= _SHOWN_CHARS else quoted[:_SHOWN_CHARS] + "…"
    return {"got": short, "got_zh": short}


def error_text(error: BaseException, lang: str = "zh") -> str:
    """Return what a person reads for an error: its catalog text in ``lang`` when it carries a code, else its message.

    Parameters
    ----------
    error : BaseException
        Usually a :class:`~geoplan.errors.GeoplanError`; its ``code`` and ``params`` pick and fill the text.
    lang : str
        ``zh`` or ``en``.

    Returns
    -------
    str
    """
    code = getattr(error, "code", None) if isinstance(error, GeoplanError) else None
    template = (_template("error", code, lang) or _template("error", code, "en")) if code else None
    if template is None:
        return str(error)
    # A parameter may come in several languages: ``rules`` (English) and ``rules_zh`` (used for zh).
    suffix = f"_{lang}"
    params = dict(error.params)
    params.update({key[: -len(suffix)]: value for key, value in error.params.items() if key.endswith(suffix)})
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return str(error)


def _aware(value: dt.datetime | str) -> dt.datetime:
    """Return ``value`` as an aware datetime (ISO text parsed; naive values are UTC, as the store keeps them)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if not isinstance(value, dt.datetime):
        raise TypeError(f"format_time needs a datetime or an ISO 8601 text, not {type(value).__name__}")
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def format_time(value: dt.datetime | str, lang: str = "zh", tz: str = "Asia/Shanghai") -> str:
    """Return a time as a person reads it: on the clocks of ``tz``, minutes, the zone shown.

    Parameters
    ----------
    value : datetime or str
        The moment; an ISO 8601 text is parsed, a naive datetime is taken as UTC.
    lang : str
        ``zh`` or ``en``.
    tz : str
        IANA time zone of the area (:attr:`geoplan.data.areas.AreaSpec.timezone`).

    Returns
    -------
    str
        ``2026-12-02 18:05（北京时间）`` in Chinese for China's zone, ``2026-12-02 18:05（芬兰时间 Europe/Helsinki）``
        for another; ``2026-12-02 18:05 (Asia/Shanghai)`` in English.

    Examples
    --------
    >>> format_time("2026-12-02T10:05:00+00:00", "zh", "Asia/Shanghai")
    '2026-12-02 18:05（北京时间）'
    >>> format_time("2026-12-02T10:05:00+00:00", "en", "Asia/Shanghai")
    '2026-12-02 18:05 (Asia/Shanghai)'
    """
    zone = get_timezone(tz)
    local = _babel_datetime(_aware(value), _TIME_PATTERN, tzinfo=zone, locale=LOCALES.get(lang, "en"))
    if lang != "zh":
        return f"{local} ({tz})"
    if tz in _BEIJING_TIME:
        return f"{local}（北京时间）"
    return f"{local}（{get_timezone_location(zone, locale=LOCALES['zh'])} {tz}）"


def format_count(value: float | None, lang: str = "zh") -> str:
    """Return a count of people or things as a whole number, grouped for the locale (``2,091``).

    Worker counts are estimates with fractions (a district's share of a headcount); people are counted whole, so
    the value is rounded half to even. A missing or non-finite value gives ``—``.

    Parameters
    ----------
    value : float or None
    lang : str
        ``zh`` or ``en``.

    Returns
    -------
    str

    Examples
    --------
    >>> format_count(2091.16, "zh")
    '2,091'
    """
    if value is None or not math.isfinite(float(value)):
        return "—"
    return _babel_decimal(round(float(value)), format="#,##0", locale=LOCALES.get(lang, "en"))


def format_number(value: float | None, lang: str = "zh", decimals: int = 1) -> str:
    """Return a measured number (km, m², seconds) for the locale, with at most ``decimals`` decimals.

    Parameters
    ----------
    value : float or None
        A missing or non-finite value gives ``—``.
    lang : str
        ``zh`` or ``en``.
    decimals : int
        Decimals kept at most (trailing zeros dropped).

    Returns
    -------
    str
    """
    if value is None or not math.isfinite(float(value)):
        return "—"
    pattern = "#,##0." + "#" * decimals if decimals > 0 else "#,##0"
    return _babel_decimal(float(value), format=pattern, locale=LOCALES.get(lang, "en"))
