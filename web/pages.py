"""HTML pages of the planners' review map, and the offline basemap layers they draw."""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import zoneinfo

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_login import login_required
from geoplan_web import audit_text, i18n, responses, scenarios, validation
from geoplan_web.validation import MAX_ID, Fields

from geoplan import i18n as geoplan_i18n
from geoplan.data.areas import load_registry
from geoplan.errors import InputError
from geoplan.outputs import basemap
from geoplan.planning.cache import area_key
from geoplan.vocabulary import WORKER_GROUP_KEYS

blueprint = Blueprint("pages", __name__)


@blueprint.get("/")
@login_required
def index():
    """List scenarios; create, rename, duplicate and compare them."""
    names, default = scenarios.area_names()
    return render_template("index.html", scenarios=current_app.extensions["geoplan_store"].scenarios(),
                           areas=names, default_area=default)  # fmt: skip


@blueprint.get("/scenarios/<int:scenario_id>")
@login_required
def scenario(scenario_id: int):
    """Show the review map of one scenario."""
    found = current_app.extensions["geoplan_store"].scenario(scenario_id)
    observed_mb = f"{validation.OBSERVED_FILE.max_bytes / 1024 / 1024:g}"  # larger: geoplan layer build
    return render_template("scenario.html", scenario=found, layers=_layer_zooms(), group_keys=WORKER_GROUP_KEYS,
                           observed_mb=observed_mb)  # fmt: skip


@blueprint.get("/compare")
@login_required
def compare():
    """Show two scenarios side by side: ``?a=ID&b=ID``; coverage of each, and B minus A, by district and group."""
    store = current_app.extensions["geoplan_store"]
    scenarios = store.scenarios()
    lang = i18n.language()
    heads = [geoplan_i18n.text("ui", key, lang, side=side) for side in "AB"
             for key in ("compare_covered_of", "compare_share_of")]  # fmt: skip
    heads += [geoplan_i18n.text("ui", key, lang) for key in ("compare_diff_covered", "compare_diff_share")]
    return render_template("compare.html", scenarios=scenarios, a=request.args.get("a", type=int),
                           b=request.args.get("b", type=int), layers=_layer_zooms(), heads=heads)  # fmt: skip


@blueprint.get("/audit")
@login_required
def audit():
    """Show the decisions log, newest first, readable: ``?scenario=ID&user=NAME&action=CODE&from=DATE&to=DATE&page=N``.

    Dates are days on the clocks of the page's area (the scenario's, else the default area's), ``to`` included;
    each entry's time is shown on the clocks of its scenario's area, the zone named.
    """
    store = current_app.extensions["geoplan_store"]
    lang, zone = i18n.language(), i18n.timezone()
    try:
        filters = _audit_filters(validation.query(), zone)
        error, status = None, 200
    except InputError as refused:
        filters = {"scenario": request.args.get("scenario", type=int), "user": None, "action": None, "from": None,
                   "to": None, "page": 1}  # the page stays about its scenario, the list empty
        error, status = geoplan_i18n.error_text(refused, lang), 400
    scenario_id = filters["scenario"]
    found = [] if error else store.audit(
        scenario_id, AUDIT_PAGE + 1, user=filters["user"],
        actions=None if filters["action"] is None else [filters["action"]],
        since=filters["since"], until=filters["until"], offset=(filters["page"] - 1) * AUDIT_PAGE,
    )  # fmt: skip
    zones = _scenario_zones(store.scenarios(), zone)
    entries = [_audit_row(entry, lang, zones.get(entry["scenario_id"], zone)) for entry in found[:AUDIT_PAGE]]
    first = (filters["page"] - 1) * AUDIT_PAGE + 1
    shown = geoplan_i18n.text("ui", "audit_shown", lang, first=first, last=first + len(entries) - 1,
                              per_page=AUDIT_PAGE) if entries else geoplan_i18n.text("ui", "audit_shown_none", lang)
    kept = {key: value for key, value in request.args.items() if key in _AUDIT_ARGS and key != "page"}
    pages = {"newer": url_for("pages.audit", **kept, page=filters["page"] - 1) if filters["page"] > 1 else None,
             "older": url_for("pages.audit", **kept, page=filters["page"] + 1) if len(found) > AUDIT_PAGE else None}
    actions = [(code, audit_text.action_name(code, lang)) for code in audit_text.ACTIONS]
    note = geoplan_i18n.text("ui", "audit_dates_zone", lang, zone=_zone_name(zone, lang))
    return render_template("audit.html", entries=entries, scenario_id=scenario_id, filters=filters, error=error,
                           shown=shown, pages=pages, actions=actions, zone_note=note,
                           usernames=[u["username"] for u in store.users()]), status  # fmt: skip


@blueprint.get("/basemap/<area>/bounds.json")
def basemap_bounds(area: str):
    """Return the bounds of an area's basemap ([[south, west], [north, east]])."""
    return Response(json.dumps(basemap.basemap_bounds(scenarios.study_area(area))), mimetype="application/json")


@blueprint.get("/basemap/<area>/<layer>.geojson")
def basemap_layer(area: str, layer: str):
    """Return one basemap layer (streets, water, buildings, landuse) drawn from the area's own OSM data."""
    if layer not in basemap.LAYERS:
        raise geoplan_i18n.input_error("basemap_layer_not_one", layer=layer, layers=", ".join(basemap.LAYERS))
    spec = scenarios.spec(area)
    study = scenarios.models().area(spec)
    response = responses.cached_json(
        ("basemap", area_key(spec), layer),
        lambda: json.dumps(basemap.basemap_layer(study, layer), ensure_ascii=False, separators=(",", ":")),
        mimetype="application/geo+json",
    )  # one JSON text and one gzip per area and layer, kept by the app
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response


def _layer_zooms() -> dict[str, int]:
    return dict(basemap.MIN_ZOOM)


#: Entries of one page of the audit log.
AUDIT_PAGE = 100

#: The audit page's query parameters.
_AUDIT_ARGS = ("scenario", "user", "action", "from", "to", "page")

#: A day as a date input sends it.
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)

#: Most pages of the audit log one may ask for (far past any log's length).
_AUDIT_PAGES = 100_000


def _audit_filters(fields: Fields, zone: str) -> dict:
    """Read the audit page's filters; the dates become the UTC moments the day range starts and ends."""
    fields.only(*_AUDIT_ARGS, "lang")  # ``lang`` switches the interface's language (geoplan_web.i18n)
    filters = {
        "scenario": fields.integer("scenario", 1, MAX_ID, default=None),
        "user": fields.text("user", 80, default=None),
        "action": fields.choice("action", audit_text.ACTIONS, default=None),
        "from": _date(fields, "from"),
        "to": _date(fields, "to"),
        "page": fields.integer("page", 1, _AUDIT_PAGES, default=1),
    }
    if filters["from"] and filters["to"] and filters["from"] > filters["to"]:
        raise geoplan_i18n.input_error("audit_dates_order", since=filters["from"].isoformat(),
                                       until=filters["to"].isoformat())  # fmt: skip
    clocks = zoneinfo.ZoneInfo(zone)
    start = filters["from"]
    end = None if filters["to"] is None else filters["to"] + dt.timedelta(days=1)
    filters["since"] = None if start is None else dt.datetime.combine(start, dt.time(), tzinfo=clocks)
    filters["until"] = None if end is None else dt.datetime.combine(end, dt.time(), tzinfo=clocks)
    return filters


def _date(fields: Fields, field: str) -> dt.date | None:
    """Return a day given as ``YYYY-MM-DD`` (what a date input sends), or None when not given."""
    value = fields.text(field, 10, default=None)
    if value is None:
        return None
    try:
        if _DAY.fullmatch(value):
            return dt.date.fromisoformat(value)
    except ValueError:
        pass  # 2026-02-30
    raise geoplan_i18n.input_error("field_not_date", field=field, **geoplan_i18n.shown(value))


def _scenario_zones(rows: list[dict], default: str) -> dict[int, str]:
    """Return the time zone of each scenario's area (a deleted scenario's entries use the page's zone)."""
    zones, _ = _registry_zones()
    return {row["id"]: zones.get(row["area"], default) for row in rows}


@functools.cache
def _registry_zones() -> tuple[dict[str, str], str]:
    areas, default = load_registry()
    return {name: spec.timezone for name, spec in areas.items()}, default


def _zone_name(zone: str, lang: str) -> str:
    """Return how the page names a time zone: the zone part of a formatted time (``北京时间``, ``Asia/Shanghai``)."""
    stamp = geoplan_i18n.format_time(dt.datetime(2000, 1, 1), lang, zone)
    return stamp[len("2000-01-01 08:00"):].strip(" ()（）")


def _audit_row(entry: dict, lang: str, zone: str) -> dict:
    """Return one audit entry as the page shows it: its time on its area's clocks, the action's name, the changes."""
    return {**entry, "when": geoplan_i18n.format_time(entry["at"], lang, zone), "at_utc": entry["at"] + "Z",
            "action_name": audit_text.action_name(entry["action"], lang),
            "changes": audit_text.changes(entry, lang),
            "site_text": geoplan_i18n.text("ui", "audit_site_id", lang, id=entry["site_id"])}  # fmt: skip
