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
``station_status`` and ``site_source`` (the codes of :mod:`geoplan.vocabulary`), ``png`` and ``pdf`` (the map and
the report), ``param`` (plan parameters), ``solve_status`` and ``solve_status_note``, ``refusal`` and ``overlap``
(why a candidate site was refused, :mod:`geoplan.inputs.candidates`) and ``error`` (messages of coded errors, see
:class:`geoplan.errors.GeoplanError`; every error geoplan raises carries a code, which tests/test_i18n.py checks).

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
    "coded_error",
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

#: Texts not yet moved into the gettext catalogs (read after them): add a new text here, in its section,
#: zh and en both; scripts/catalog_to_po.py moves it into geoplan/locale/*/LC_MESSAGES/geoplan.po.
CATALOG: dict[str, dict[str, dict[str, str]]] = {
    "ui": {
        "data_kind_pings": {
            "zh": "骑手定位点（worker_id,time,lon,lat）",
            "en": "Rider GPS pings (worker_id,time,lon,lat)",
        },
        "data_kind_orders": {
            "zh": "订单（time,lon,lat[,weight]）",
            "en": "Orders (time,lon,lat[,weight])",
        },
        "data_kind_depots": {
            "zh": "驻地班组（lon,lat,headcount[,beat_m]）",
            "en": "Depots and crews (lon,lat,headcount[,beat_m])",
        },
        "observed_k": {
            "zh": "隐私阈值 k（每格至少几名劳动者，不少于 5）",
            "en": "Privacy k (fewest distinct workers per cell, 5 or more)",
        },
        "observed_headcount": {
            "zh": "人数（可选，默认按数据估计）",
            "en": "Headcount (optional; estimated from the data)",
        },
        "observed_hint": {
            "zh": "定位点、订单和驻地文件只用于生成汇总图层：劳动者编号、时间和轨迹都不保存。网页上传最多 {mb} MB；更大的文件请在命令行用 geoplan layer build 生成图层，再作为“劳动者分布”上传。",
            "en": "Pings, orders and depots are used only to build the aggregated layer: no worker id, time or track is kept. The review map takes files up to {mb} MB; for a larger file build the layer on the command line (geoplan layer build) and upload it as a worker layer.",
        },
        "observed_preview": {
            "zh": "预览",
            "en": "Preview",
        },
        "observed_use": {
            "zh": "用于方案",
            "en": "Use in the scenario",
        },
        "progress_observed_preview": {
            "zh": "正在生成图层预览…",
            "en": "Building the layer preview…",
        },
        "progress_observed_use": {
            "zh": "正在生成图层并加入方案…",
            "en": "Building the layer and adding it to the scenario…",
        },
        "observed_preview_done": {
            "zh": "预览：{points} 个点，约 {workers} 人（尚未保存，按“用于方案”加入方案）",
            "en": "Preview: {points} points, about {workers} workers (not saved: press “Use in the scenario” to add it)",
        },
        "observed_report_title": {
            "zh": "生成的图层",
            "en": "The layer built",
        },
        "observed_legend": {
            "zh": "预览图层（圆圈大小表示人数）",
            "en": "Preview layer (circle size: workers)",
        },
        "observed_kind_pings": {
            "zh": "骑手定位点",
            "en": "rider GPS pings",
        },
        "observed_kind_orders": {
            "zh": "订单",
            "en": "orders",
        },
        "observed_kind_depots": {
            "zh": "驻地班组",
            "en": "depots and crews",
        },
        "data_observed": {
            "zh": "由{kind}生成，隐私删减 {share}",
            "en": "built from {kind}, privacy cut {share}",
        },
        "action_upload_pings": {
            "zh": "由骑手定位点生成劳动者图层",
            "en": "build a worker layer from GPS pings",
        },
        "action_upload_orders": {
            "zh": "由订单生成劳动者图层",
            "en": "build a worker layer from orders",
        },
        "action_upload_depots": {
            "zh": "由驻地班组生成劳动者图层",
            "en": "build a worker layer from depots",
        },
        "audit_field_observed": {
            "zh": "观测数据生成的图层",
            "en": "Layer built from observations",
        },
        "audit_observed": {
            "zh": "{kind}，{group}：{points} 个点，约 {headcount} 人；隐私删减（k = {k}，{cell} 米网格）：{cells} 格、{removed} 个点、约 {workers} 人（{share}）",
            "en": "{kind}, {group}: {points} points, about {headcount} workers; privacy cut (k = {k}, {cell} m cells): {cells} cell(s), {removed} point(s), about {workers} workers ({share})",
        },
    },
    "label": {
        "compare_scope": {
            "zh": "范围",
            "en": "Scope",
        },
        "compare_scope_area": {
            "zh": "全区域",
            "en": "whole area",
        },
        "compare_scope_district": {
            "zh": "区县",
            "en": "district",
        },
        "compare_district": {
            "zh": "区县",
            "en": "District",
        },
        "compare_observed_workers": {
            "zh": "观测到的劳动者",
            "en": "Observed workers",
        },
        "compare_rule_plan_stations": {
            "zh": "经验规则方案驿站数",
            "en": "Rule-of-thumb plan: stations",
        },
        "compare_rule_plan_covered": {
            "zh": "经验规则方案覆盖的观测劳动者",
            "en": "Rule-of-thumb plan: observed workers covered",
        },
        "compare_rule_plan_share": {
            "zh": "经验规则方案覆盖率",
            "en": "Rule-of-thumb plan: share covered",
        },
        "compare_observed_plan_stations": {
            "zh": "观测图层方案驿站数",
            "en": "Observed-layer plan: stations",
        },
        "compare_observed_plan_covered": {
            "zh": "观测图层方案覆盖的观测劳动者",
            "en": "Observed-layer plan: observed workers covered",
        },
        "compare_observed_plan_share": {
            "zh": "观测图层方案覆盖率",
            "en": "Observed-layer plan: share covered",
        },
        "compare_rule_cost_workers": {
            "zh": "经验规则少覆盖的劳动者",
            "en": "Workers the rule of thumb costs",
        },
        "compare_rule_cost_points": {
            "zh": "经验规则少覆盖的百分点",
            "en": "Percentage points the rule of thumb costs",
        },
        "compare_rule_plan_objective": {
            "zh": "经验规则方案自身目标值",
            "en": "Rule-of-thumb plan: own objective",
        },
        "compare_observed_plan_objective": {
            "zh": "观测图层方案自身目标值",
            "en": "Observed-layer plan: own objective",
        },
    },
    "group": {},
    "service": {},
    "host": {},
    "station_status": {},
    "png": {
        "compare_title": {
            "zh": "经验规则与观测对比：观测到的{group}",
            "en": "Rule of thumb against observations: observed {group}",
        },
        "compare_subtitle": {
            "zh": (
                "观测到的 {workers} 名劳动者中，经验规则方案（{rule_stations} 个驿站）覆盖 {rule}，"
                "观测图层方案（{observed_stations} 个驿站）覆盖 {observed}"
            ),
            "en": (
                "Of {workers} observed workers, the rule-of-thumb plan ({rule_stations} stations) covers {rule}, "
                "the observed-layer plan ({observed_stations} stations) {observed}"
            ),
        },
        "compare_legend": {
            "zh": "观测到的劳动者",
            "en": "Observed workers",
        },
        "compare_both": {
            "zh": "两个方案都覆盖",
            "en": "Covered by both plans",
        },
        "compare_only_observed": {
            "zh": "仅观测图层方案覆盖",
            "en": "Only by the observed-layer plan",
        },
        "compare_only_rule": {
            "zh": "仅经验规则方案覆盖",
            "en": "Only by the rule-of-thumb plan",
        },
        "compare_neither": {
            "zh": "两个方案都未覆盖",
            "en": "Covered by neither",
        },
        "compare_rule_station": {
            "zh": "驿站（经验规则方案）",
            "en": "Station, rule-of-thumb plan",
        },
        "compare_observed_station": {
            "zh": "驿站（观测图层方案）",
            "en": "Station, observed-layer plan",
        },
        "compare_footer": {
            "zh": "点的大小表示人数；覆盖 = {cutoff} 米沿路网距离内有驿站",
            "en": "Dot size shows headcount; covered = a station within {cutoff} m along the streets",
        },
    },
    "webmap": {},
    "pdf": {},
    "param": {},
    "solve_status": {},
    "solve_status_note": {},
    "cli": {
        "shifts_from": {
            "zh": "{group} 的班次比例取自 {file}：{shares}",
            "en": "Shift shares of {group} from {file}: {shares}",
        },
        "observed_outside": {
            "zh": "  研究区域外的 {count} 个点已舍去（例如第 {line} 行）",
            "en": "  {count} point(s) outside the study area dropped (line {line}, for one)",
        },
        "observed_sorted": {
            "zh": "  定位点未按时间排列，已按劳动者和时间排序（例如第 {line} 行）",
            "en": "  pings were not in time order; sorted by worker and time (line {line}, for one)",
        },
        "observed_duplicates": {
            "zh": "  重复记录的 {count} 个定位点已舍去（例如第 {line} 行）",
            "en": "  {count} ping(s) written twice dropped (line {line}, for one)",
        },
        "layer_written": {
            "zh": "图层已写入：{layer}（说明：{report}）",
            "en": "Layer written: {layer} (report: {report})",
        },
        "observed_read_pings": {
            "zh": "{source}：{rows} 个定位点，{workers} 名劳动者（编号和时间只用于计算，不写入任何文件）",
            "en": "{source}: {rows} pings of {workers} workers (ids and times are used to compute, never written)",
        },
        "observed_read_orders": {
            "zh": "{source}：{rows} 个订单",
            "en": "{source}: {rows} orders",
        },
        "observed_read_depots": {
            "zh": "{source}：{rows} 个站点/车队驻地",
            "en": "{source}: {rows} depots",
        },
        "observed_stays": {
            "zh": "停留点 {stays} 个，聚为 {clusters} 处；停留时间占观测时间的 {share}%",
            "en": "{stays} stay points in {clusters} places; staying is {share}% of the observed time",
        },
        "observed_bandwidth": {
            "zh": "核密度带宽（交叉验证选定）：{metres} 米",
            "en": "Kernel density bandwidth (chosen by cross-validation): {metres} m",
        },
        "observed_shifts": {
            "zh": "订单按时段：{shares}",
            "en": "Orders by shift window: {shares}",
        },
        "observed_headcount_busiest": {
            "zh": "人数：{headcount}（同一刻钟内同时见到的最多劳动者数）",
            "en": "Headcount: {headcount} (the most distinct workers seen within one quarter hour)",
        },
        "observed_headcount_given": {
            "zh": "人数：{headcount}（--headcount）",
            "en": "Headcount: {headcount} (--headcount)",
        },
        "observed_headcount_group_default": {
            "zh": "人数：{headcount}（该群体在本区域的默认人数；可用 --headcount 修改）",
            "en": "Headcount: {headcount} (the group's default for the area; change it with --headcount)",
        },
        "observed_headcount_depots": {
            "zh": "人数：{headcount}（各驻地人数之和）",
            "en": "Headcount: {headcount} (the depots' headcounts added up)",
        },
        "observed_privacy": {
            "zh": "隐私保护：不同劳动者少于 {k} 人的 {cell} 米网格不公开——删去 {cells} 格、{points} 个点、约 {workers} 人（{share}%）；图层保留 {kept} 个点。文件只含 lon,lat,weight。",
            "en": "Privacy: {cell} m cells with fewer than {k} distinct workers are suppressed: {cells} cell(s), {points} point(s), about {workers} workers ({share}%) taken out; the layer keeps {kept} points. The file holds only lon,lat,weight.",
        },
        "calibrate_observed": {
            "zh": "观测图层 {layer}：{group} {workers} 人，汇总到 {samples} 个街道采样点。",
            "en": "Observed layer {layer}: {workers} {group} summed onto {samples} street samples.",
        },
        "calibrate_dropped": {
            "zh": "另有 {points} 个观测点（{workers} 人）距任何街道超过 {metres} 米，已舍去。",
            "en": (
                "{points} observed point(s) ({workers} workers) farther than {metres} m from every street were dropped."
            ),
        },
        "calibrate_rule": {
            "zh": "对照的经验规则：{rule}",
            "en": "Rule of thumb compared: {rule}",
        },
        "calibrate_cv": {
            "zh": "空间交叉验证：{folds} 折，按 {blocks} 个边长 {side} 米的方格划分；选定惩罚系数 alpha = {alpha}",
            "en": "Spatial cross-validation: {folds} folds over {blocks} blocks of {side} m; penalty alpha = {alpha}",
        },
        "calibrate_fold": {
            "zh": "  第 {fold} 折：D² 校准规则 {d2}，经验规则 {rule}",
            "en": "  fold {fold}: D² calibrated {d2}, rule of thumb {rule}",
        },
        "calibrate_mean": {
            "zh": (
                "平均 D²（泊松偏差被解释的比例，1 为完美，0 为沿街均匀分布）：校准规则 {d2}，经验规则 {rule}——{verdict}"
            ),
            "en": (
                "Mean D² (share of Poisson deviance explained; 1 perfect, 0 workers spread evenly along streets): "
                "calibrated {d2}, rule of thumb {rule}: {verdict}"
            ),
        },
        "calibrate_better": {
            "zh": "校准规则优于经验规则",
            "en": "the calibrated rule beats the rule of thumb",
        },
        "calibrate_not_better": {
            "zh": "校准规则并不优于经验规则，请谨慎使用",
            "en": "the calibrated rule does not beat the rule of thumb; use it with care",
        },
        "calibrate_coefficients": {
            "zh": "系数（特征每增加一个标准差；倍数 = 每百米街道劳动者人数的倍数；截距 {intercept}）：",
            "en": (
                "Coefficients (per standard deviation of each feature; x = times the workers per 100 m of street; "
                "intercept {intercept}):"
            ),
        },
        "calibrate_coefficient": {
            "zh": "  {feature}：{coef}（×{ratio}）",
            "en": "  {feature}: {coef} (x{ratio})",
        },
        "calibrate_constant": {
            "zh": "本区域内取值不变、未能学习的特征（系数为 0）：{names}",
            "en": "Features with a single value in this area, not learned (coefficient 0): {names}",
        },
        "calibrate_written": {
            "zh": "模型已写入：{path}",
            "en": "Model written: {path}",
        },
        "visits_scale": {
            "zh": "拟合比例：每名预测劳动者每天到访 {scale} 次（台账中 {stations} 个驿站，共 {days} 个驿站日）",
            "en": (
                "Fitted rate: {scale} visits per day per predicted worker ({stations} stations in the ledger, {days} "
                "station-days)"
            ),
        },
        "visits_row": {
            "zh": "  {station}：实际每天 {observed} 次，预期 {expected} 次，比值 {ratio}，皮尔逊残差 {residual}{flag}",
            "en": (
                "  {station}: observed {observed} per day, expected {expected}, ratio {ratio}, Pearson residual "
                "{residual}{flag}"
            ),
        },
        "visits_row_missing": {
            "zh": "  {station}：{flag}",
            "en": "  {station}: {flag}",
        },
        "visits_flag_under": {
            "zh": "模型低估（到访多于预期）",
            "en": "the model underestimates (more visits than expected)",
        },
        "visits_flag_over": {
            "zh": "模型高估（到访少于预期）",
            "en": "the model overestimates (fewer visits than expected)",
        },
        "visits_flag_no_ledger": {
            "zh": "台账中没有记录，未参与拟合",
            "en": "not in the ledger, left out of the fit",
        },
        "visits_summary": {
            "zh": (
                "{under} 个驿站到访多于预期，{over} 个少于预期（标记条件：实际/预期 ≥ {ratio} 或 ≤ 1/{ratio}，"
                "且皮尔逊残差绝对值 ≥ {residual}）。"
            ),
            "en": (
                "{under} station(s) busier than predicted, {over} quieter (flagged where observed/expected is at least "
                "{ratio} or at most 1/{ratio} and the Pearson residual at least {residual} in size)."
            ),
        },
        "visits_written": {
            "zh": "报告已写入：{path}",
            "en": "Report written: {path}",
        },
        "feature_road_major": {
            "zh": "主干道（干线、主干路、次干路）",
            "en": "major road (trunk, primary, secondary)",
        },
        "feature_road_tertiary": {
            "zh": "支路（tertiary）",
            "en": "tertiary road",
        },
        "feature_road_minor": {
            "zh": "居住区与小路",
            "en": "residential or minor street",
        },
        "feature_road_service": {
            "zh": "服务道路",
            "en": "service road",
        },
        "feature_road_footway": {
            "zh": "步行街、人行道、小径、自行车道、台阶",
            "en": "pedestrian street, footway, path, cycleway or steps",
        },
        "feature_eateries_300m": {
            "zh": "300 米内餐饮店数（对数）",
            "en": "eateries within 300 m (log)",
        },
        "feature_shops_300m": {
            "zh": "300 米内商店数（对数）",
            "en": "shops within 300 m (log)",
        },
        "feature_bus_stops_300m": {
            "zh": "300 米内公交站数（对数）",
            "en": "bus stops within 300 m (log)",
        },
        "feature_taxi_ranks_300m": {
            "zh": "300 米内出租车停靠点数（对数）",
            "en": "taxi ranks within 300 m (log)",
        },
        "feature_markets_300m": {
            "zh": "300 米内市场数（对数）",
            "en": "markets within 300 m (log)",
        },
        "feature_station_distance_log_m": {
            "zh": "到最近轨道交通站的距离（对数）",
            "en": "distance to the nearest rail or metro station (log)",
        },
        "feature_signals_200m": {
            "zh": "200 米内信号灯路口数（对数）",
            "en": "signalised junctions within 200 m (log)",
        },
        "compare_observed_stage": {
            "zh": "按观测图层规划（{file}，{group}）……",
            "en": "Planning on the observed layer ({file}, {group})...",
        },
        "compare_rule_stage": {
            "zh": "按经验规则图层规划……",
            "en": "Planning on the rule-of-thumb layers...",
        },
        "compare_score_stage": {
            "zh": "用观测到的劳动者为两个方案计分……",
            "en": "Scoring both plans on the observed workers...",
        },
        "compare_plan_row": {
            "zh": (
                "{plan}：{stations} 个驿站，覆盖观测到的 {covered} / {workers} 名劳动者（{share}）；"
                "自身图层上的目标值 {objective}"
            ),
            "en": (
                "{plan}: {stations} stations, covering {covered} of {workers} observed workers ({share}); objective "
                "on its own layers {objective}"
            ),
        },
        "compare_rule_plan": {
            "zh": "按经验规则规划",
            "en": "Plan on the rule of thumb",
        },
        "compare_observed_plan": {
            "zh": "按观测图层规划",
            "en": "Plan on the observed layer",
        },
        "compare_costs": {
            "zh": "规则估算的图层少覆盖了 {workers} 名观测到的{group}（{points} 个百分点）",
            "en": "The rule-of-thumb layers cover {workers} fewer observed {group} ({points} percentage points)",
        },
        "compare_gains": {
            "zh": (
                "规则估算的图层反而多覆盖了 {workers} 名观测到的{group}（+{points} 个百分点；"
                "观测图层方案的求解未达最优时可能出现）"
            ),
            "en": (
                "The rule-of-thumb layers cover {workers} more observed {group} (+{points} percentage points; "
                "possible when the observed-layer plan's solve stopped short of the optimum)"
            ),
        },
        "compare_same": {
            "zh": "两个方案覆盖的观测到的{group}一样多",
            "en": "Both plans cover as many observed {group}",
        },
        "compare_outside": {
            "zh": "观测图层的 {n} 个点（{workers} 名劳动者）位于研究区域之外，未计入",
            "en": "{n} points of the observed layer ({workers} workers) lie outside the area and are not scored",
        },
    },
    "solve_method": {},
    "district_source": {},
    "error": {
        "shift_shares_bad": {
            "zh": "劳动者群体“{group}”的班次比例 {shares} 无效：须为“HH:MM-HH:MM”时段及非负数比例，且总和大于 0。",
            "en": "Shift shares of worker group {group!r} are not valid: {shares}; each needs a window HH:MM-HH:MM and a non-negative share, adding up to more than 0.",
        },
        "shifts_report_unusable": {
            "zh": "{file}：不是 geoplan layer build 写出的含订单时段比例的图层说明（需要带时间的订单图层的 .json 文件）。",
            "en": "{file}: not a layer report of geoplan layer build with shift shares (it takes the .json of an orders layer with times).",
        },
        "observed_file_too_large": {
            "zh": "{file}：文件过大，网页上传最多 {mb} MB。更大的文件请在命令行生成图层：geoplan layer build {file} --area 区域 --group 人群 --kind {kind} --out 图层.csv，再把生成的图层作为“劳动者分布”上传。",
            "en": "{file}: the file is too large: the review map takes at most {mb} MB. Build a larger file's layer on the command line: geoplan layer build {file} --area AREA --group GROUP --kind {kind} --out LAYER.csv, then upload that layer as a worker layer.",
        },
        "observation_kind": {
            "zh": "不认识的观测数据类型“{kind}”；可用：{kinds}。",
            "en": "Unknown kind of observations {kind!r}; use one of {kinds}.",
        },
        "row_bad_time": {
            "zh": "第 {line} 行：时间“{value}”无法识别（可用 2026-05-01 12:00:05、2026/5/1 12:00、带时区的 ISO 8601 或 Unix 秒）",
            "en": "line {line}: time {value!r} is not a time geoplan can read (2026-05-01 12:00:05, 2026/5/1 12:00, ISO 8601 with a zone, or Unix seconds)",
        },
        "observations_outside_area": {
            "zh": "{name}：全部 {count} 个点都在研究区域“{area}”之外（例如第 {line} 行）。多半是坐标系不对：请用 --crs 指明 wgs84、gcj02 或 bd09，或检查所选区域。",
            "en": "{name}: all {count} points lie outside the study area {area!r} (line {line}, for one). The coordinate system is probably wrong: give --crs wgs84, gcj02 or bd09, or check the area.",
        },
        "pings_two_places": {
            "zh": "{name}：同一劳动者在同一秒出现在相距 {metres} 米的两处（第 {line} 行和第 {other} 行）。请检查劳动者编号和时间列。",
            "en": "{name}: one worker is at two places {metres} m apart at the same second (lines {line} and {other}). Check the worker_id and time columns.",
        },
        "observed_option": {
            "zh": "参数 {option} 的值 {value} 无效：须为正数。",
            "en": "Option {option} = {value} is not valid: it must be a positive number.",
        },
        "observed_all_suppressed": {
            "zh": "{name}：隐私保护后图层为空——每个 {cell} 米网格中见到的不同劳动者都少于 {k} 人。请用更多劳动者的数据，或增大 --cell。",
            "en": "{name}: nothing is left after the privacy cut: every {cell} m cell saw fewer than {k} distinct workers. Use data of more workers, or a larger --cell.",
        },
        "observed_too_few_workers": {
            "zh": "{name}：只有 {workers} 名不同的劳动者；为保护个人隐私，至少需要 {k} 名（--k）。",
            "en": "{name}: only {workers} distinct worker(s); at least {k} are needed to protect each worker's privacy (--k).",
        },
        "observed_too_few_orders": {
            "zh": "{name}：只有 {orders} 个订单；至少需要 {k} 个（--k）才能估计密度并保护隐私。",
            "en": "{name}: only {orders} order(s); at least {k} are needed (--k) to estimate a density and protect privacy.",
        },
        "observed_needs_headcount": {
            "zh": "{name}：“{group}”不是内置的劳动者群体，没有默认人数；请用 --headcount 给出人数。",
            "en": "{name}: {group!r} is not a built-in worker group and has no default headcount; give one with --headcount.",
        },
        "calibration_no_workers": {
            "zh": (
                "{layer}：{points} 个观测点中没有一个距 {area} 的街道在 {metres} 米以内，无法校准（多半是坐标系填错了："
                "请检查 --layer-crs）。"
            ),
            "en": (
                "{layer}: none of its {points} observed points lies within {metres} m of a street of {area}, so "
                "nothing can be calibrated (usually a coordinate-system mistake: check --layer-crs)."
            ),
        },
        "calibration_one_group": {
            "zh": "{layer} 含有多个劳动者群体（{groups}）；请用 --layer 文件:群体 指定要校准的一个。",
            "en": "{layer} holds several worker groups ({groups}); name the one to calibrate with --layer FILE:GROUP.",
        },
        "calibration_unknown_group": {
            "zh": "群体“{group}”没有经验规则可供校准；可校准的群体：{groups}。",
            "en": "Group '{group}' has no rule of thumb to calibrate; groups are {groups}.",
        },
        "calibration_too_small": {
            "zh": (
                "{area} 太小，无法做空间交叉验证：街道只落在 {blocks} 个 {side} 米方格内，"
                "或观测到的劳动者都在同一个方格里；请用更大的区域校准。"
            ),
            "en": (
                "{area} is too small to cross-validate over space: its streets fall in {blocks} block(s) of {side} m, "
                "or all observed workers sit in one block; calibrate on a larger area."
            ),
        },
        "calibrated_headcount": {
            "zh": "{group}的人数须为正数才能按校准规则分布，现为 {value}；请用 --headcount {group}=人数 给出。",
            "en": (
                "The headcount of {group} must be a positive number to spread it by a calibrated rule, got {value}; "
                "give it with --headcount {group}=N."
            ),
        },
        "calibrated_group_twice": {
            "zh": "{group}的图层给了两次（{first} 和 {second}）；每个群体只能有一个校准模型或用户图层。",
            "en": "Two layers for {group} ({first} and {second}); give one calibrated model or user layer per group.",
        },
        "model_not_json": {
            "zh": "{file} 不是可读的 JSON 模型文件：{reason}。",
            "en": "{file} is not a readable JSON model file: {reason}.",
        },
        "model_wrong_format": {
            "zh": "{file} 不是 geoplan 需求模型（format 应为 {format}，实为 {got}）。",
            "en": "{file} is not a geoplan demand model (format should be {format}, got {got}).",
        },
        "model_wrong_version": {
            "zh": (
                "{file} 的模型版本为 {got}，本版 geoplan 只读第 {supported} 版；请用本版 geoplan layer calibrate "
                "重新生成。"
            ),
            "en": (
                "{file} is a model of version {got}; this geoplan reads version {supported}. Fit it again with this "
                "geoplan's `layer calibrate`."
            ),
        },
        "model_field_missing": {
            "zh": "{file} 缺少字段“{field}”。",
            "en": "{file} has no field '{field}'.",
        },
        "model_field_invalid": {
            "zh": "{file} 的字段“{field}”应为{expected}。",
            "en": "{file}: field '{field}' should be {expected}.",
        },
        "model_unknown_features": {
            "zh": "{file} 含有未知特征：{names}；已知特征：{known}。",
            "en": "{file} names unknown features: {names}; known features are {known}.",
        },
        "model_lengths": {
            "zh": "{file} 的字段“{field}”有 {length} 个数，而特征有 {n} 个；两者须一一对应。",
            "en": "{file}: field '{field}' holds {length} numbers for {n} features; they must match one for one.",
        },
        "model_not_finite": {
            "zh": "{file} 的字段“{field}”含有非有限数值（NaN 或无穷大）。",
            "en": "{file}: field '{field}' holds a number that is not finite (NaN or infinity).",
        },
        "ledger_unknown_station": {
            "zh": "第 {line} 行：驿站编号“{station}”既不是驿站文件中的名称，也不是其中的行号",
            "en": "line {line}: station_id '{station}' is neither a name nor a row number of the stations file",
        },
        "ledger_bad_date": {
            "zh": "第 {line} 行：日期“{value}”无法识别（请写成 2026-03-01 或 2026/3/1）",
            "en": "line {line}: date '{value}' is not a date (write 2026-03-01 or 2026/3/1)",
        },
        "visits_no_demand": {
            "zh": "台账中的 {stations} 个驿站周围都没有预测到劳动者，无法拟合到访比例；请检查驿站坐标与区域。",
            "en": (
                "No worker is predicted around any of the {stations} station(s) in the ledger, so no visit rate can be "
                "fitted; check the stations' coordinates and the area."
            ),
        },
        "compare_unknown_group": {
            "zh": "无法比较劳动者群体“{group}”的图层：经验规则没有这个群体的图层。请使用以下群体之一：{groups}。",
            "en": (
                "Cannot compare layers of the worker group {group!r}: the rule of thumb has no layer for it. Use one "
                "of: {groups}."
            ),
        },
        "compare_group_no_workers": {
            "zh": "无法比较{group}的图层：--headcount 把这个群体设为 0 人，经验规则因此没有它的图层。",
            "en": (
                "Cannot compare layers of {group}: --headcount gives the group 0 workers, so the rule of thumb has "
                "no layer for it."
            ),
        },
        "compare_empty_layer": {
            "zh": "观测图层 {layer} 没有任何点，无从比较。",
            "en": "The observed layer {layer} has no points: there is nothing to compare.",
        },
        "compare_observed_needs_group": {
            "zh": (
                "--observed 需要在文件名后写明劳动者群体：--observed 图层.csv:群体"
                "（例如 couriers；可用群体：{groups}）。"
            ),
            "en": (
                "--observed needs the worker group after the file: --observed LAYER.csv:GROUP (e.g. couriers; "
                "groups: {groups})."
            ),
        },
    },
    "refusal": {},
    "overlap": {},
    "site_source": {},
    "batch": {},
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


def coded_error(kind: type[GeoplanError], code: str, **params: object) -> GeoplanError:
    """Return an error of class ``kind`` coded ``code``, its message the catalog's English text.

    :func:`input_error` for the other classes of :mod:`geoplan.errors` (``NotFoundError``, ``StaleError``...).

    Parameters
    ----------
    kind : type
        A :class:`~geoplan.errors.GeoplanError` class.
    code : str
        Key in the catalog's ``error`` section.
    **params
        The text's placeholders (``name_zh`` for the Chinese value of ``name``).
    """
    return kind(text("error", code, "en", **params), code=code, **params)


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
