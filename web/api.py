"""JSON API of the planners' review map: scenarios, decisions, re-optimisation, comparison, audit log.

Reads need a logged-in user; changes need a planner and the CSRF token (header ``X-CSRFToken``). Every change
names the scenario version it was made on; a stale one is refused with 409 and nothing is saved, whatever else is
wrong with it (a decision on a proposal a re-optimisation has replaced is stale, not unknown). Every body, field
and file is read through :mod:`geoplan_web.validation`: a malformed one is refused with 400 naming the field.
"""

from __future__ import annotations

import json
import math
import tempfile

import shapely
from flask import Blueprint, Response, current_app, jsonify, request
from flask_login import current_user, login_required
from geoplan_web import responses, scenarios, validation
from geoplan_web.auth import planner_required
from geoplan_web.i18n import language
from geoplan_web.validation import MAX_ID, Fields

from geoplan import coords, i18n
from geoplan.errors import InputError, NotFoundError
from geoplan.inputs.candidates import read_sites, read_stations, refusal_text
from geoplan.inputs.demand import read_layer
from geoplan.inputs.user_data import UserData
from geoplan.outputs import layers
from geoplan.planning.observed_layers import ObservedLayer, ObservedOptions, build_layer
from geoplan.planning.parameters import PlanParameters
from geoplan.planning.scenarios import decode_multipliers, encode_multipliers
from geoplan.planning.sites import check_stations_in_area
from geoplan.store import Store
from geoplan.vocabulary import COORDINATE_SYSTEMS

blueprint = Blueprint("api", __name__, url_prefix="/api/planner")

#: What a planner can do to one site, and the status it leads to (None: status unchanged).
SITE_ACTIONS = {"accept": "accepted", "reject": "rejected", "propose": "proposed", "city_level": None, "move": None}

#: Re-optimisation time limit bounds (seconds).
REOPTIMISE_SECONDS = (0.5, 30.0)

#: A firm's observations a planner may upload: the scenario keeps only the demand layer built from them.
OBSERVED_KINDS = ("pings", "orders", "depots")

#: What a planner may upload into a scenario's data: a demand layer, extra candidate sites, or observations.
DATA_KINDS = ("layer", "sites", *OBSERVED_KINDS)

#: Privacy threshold ``k`` an observed layer may be built with (distinct workers per cell): the review map may make
#: the cut stricter than the default, never weaker (``geoplan layer build --k`` is the deliberate way to).
PRIVACY_K = (ObservedOptions.k, 1000)

#: Headcount an observed layer may be scaled to.
HEADCOUNT = (1.0, 10_000_000.0)

#: Longest scenario name, area name and worker group read (the store and the registry check what they mean).
NAME_CHARS, AREA_CHARS, GROUP_CHARS = 200, 200, 80

#: Station counts a scenario may plan for.
STATION_COUNTS = (1, 500)

#: Most audit entries one request lists.
AUDIT_LIMIT = 5000


def _store() -> Store:
    return current_app.extensions["geoplan_store"]


def _version(fields: Fields) -> int:
    """Return the scenario version a change was made on (required, a whole number)."""
    return fields.integer("version", 1, MAX_ID)


def _scenario_at(scenario_id: int, version: int) -> dict:
    """Return a scenario as the planner saw it, or refuse a change made on an older version (409).

    The scenario is read once, with its sites and its version together: when the version is the planner's, the
    sites are the ones they saw, so a site missing from them is unknown (404); when it is not, the change is stale,
    even if the site it names is gone (a re-optimisation replaced the proposals).
    """
    store = _store()
    scenario = store.scenario(scenario_id)
    if scenario["version"] != version:
        store.check_version(scenario_id, version)  # raises StaleError, saying who changed it and when
    return scenario


def _with_figures(scenario: dict) -> dict:
    """Add the scenario's coverage figures; in a capacitated scenario each station's capacity and load too.

    The stations' capacity, peak load, busiest window and utilisation (computed for the sites as they are now, see
    :func:`geoplan.planning.station_loads.with_capacity`) go onto the site dicts of the answer, not into the store.
    Their ``capacity`` is then the station's capacity in the figures, so every site of the answer also has
    ``declared_capacity``: the capacity (people at once) its planner declared, as stored, or None.
    """
    workspace = scenarios.workspace(scenario)
    figures = workspace.evaluate(scenario["sites"])
    for site in scenario["sites"]:
        site["declared_capacity"] = site.get("capacity")
    capacity = figures.get("capacity")
    if capacity is not None:
        for site, station in zip(scenario["sites"], capacity.pop("stations"), strict=True):
            if station is not None:
                site.update(station)
    scenario["figures"] = figures
    return scenario


@blueprint.get("/scenarios")
@login_required
def list_scenarios():
    """List scenarios, newest first."""
    return jsonify(scenarios=_store().scenarios())


@blueprint.post("/scenarios")
@planner_required
def create_scenario():
    """Create a scenario: ``{"name", "area"?, "mode": "plan"|"empty", "stations"?, "params"?}``.

    ``params`` holds any plan parameters (opening hours and the 24-hour quota, phases, a coverage target, cross
    coverage, the maximum gap, spacing, minimums, cutoffs...), as ``geoplan plan`` takes them.
    """
    fields = validation.body().only("name", "area", "mode", "stations", "params")
    name = fields.text("name", NAME_CHARS, default="")
    area = scenarios.area_name(fields.text("area", AREA_CHARS, default=None))
    mode = fields.choice("mode", ("plan", "empty"), default="plan")
    stations = fields.integer("stations", *STATION_COUNTS, default=None)
    params = PlanParameters.from_json(fields.object("params", default={}))
    if stations is not None:
        params = PlanParameters.from_json({**params.to_json(), "stations": stations})
    workspace = scenarios.workspace({"area": area, "params": params.to_json()})
    sites, result, multipliers = ([], {}, None) if mode == "empty" else workspace.propose(stations)
    scenario = _store().create_scenario(
        name, area, current_user.username, params=params.to_json(),
        stations=stations or workspace.stations, sites=sites, result=result,
        source="plan" if mode == "plan" else "scratch", data_summary=UserData().summary(),
        warm_start=encode_multipliers(multipliers),
    )  # fmt: skip
    return jsonify(_with_figures(scenario)), 201


@blueprint.get("/scenarios/<int:scenario_id>")
@login_required
def get_scenario(scenario_id: int):
    """Return a scenario with its sites and coverage figures."""
    return jsonify(_with_figures(_store().scenario(scenario_id)))


@blueprint.post("/scenarios/<int:scenario_id>/rename")
@planner_required
def rename(scenario_id: int):
    """Rename: ``{"name", "version"}``."""
    fields = validation.body().only("name", "version")
    name, version = fields.text("name", NAME_CHARS, default=""), _version(fields)
    return jsonify(_store().rename_scenario(scenario_id, name, version, current_user.username))


@blueprint.post("/scenarios/<int:scenario_id>/duplicate")
@planner_required
def duplicate(scenario_id: int):
    """Copy a scenario: ``{"name"}``."""
    name = validation.body().only("name").text("name", NAME_CHARS, default="")
    return jsonify(_store().duplicate_scenario(scenario_id, name, current_user.username)), 201


@blueprint.post("/scenarios/<int:scenario_id>/sites/<int:site_id>")
@planner_required
def decide(scenario_id: int, site_id: int):
    """Decide on one site: ``{"action": accept|reject|propose|city_level|move, "version", ...}``.

    ``city_level`` takes ``{"city_level": true|false}``; ``move`` takes ``{"lon", "lat", "coords"?}`` and snaps to
    the nearest spot where the station's footprint fits (a moved proposal counts as accepted).
    """
    fields = validation.body().only("action", "version", "city_level", "lon", "lat", "coords")
    action = fields.choice("action", tuple(SITE_ACTIONS))
    version = _version(fields)
    changes: dict = {}
    if SITE_ACTIONS[action] is not None:
        changes["status"] = SITE_ACTIONS[action]
    if action == "city_level":
        changes["city_level"] = fields.boolean("city_level")
    if action == "move":
        lon, lat = _lonlat(fields)
    store = _store()
    scenario = _scenario_at(scenario_id, version)  # stale before unknown: the site may be gone from a newer version
    site = next((s for s in scenario["sites"] if s["id"] == site_id), None)
    if site is None:
        raise i18n.coded_error(NotFoundError, "site_not_in_scenario", site=site_id, scenario=scenario_id)
    if action == "move":
        if site["status"] == "existing":
            raise i18n.input_error("existing_station_fixed")
        spot = scenarios.workspace(scenario).place(lon, lat)
        changes.update(candidate_id=spot["candidate_id"], lon=spot["lon"], lat=spot["lat"],
                       district=spot.get("district"))  # fmt: skip
        if site["status"] == "proposed":
            changes["status"] = "accepted"
    after = [dict(s, **changes) if s["id"] == site_id else s for s in scenario["sites"]]
    scenarios.check_sites(scenarios.workspace(scenario), after)  # refuse before saving what could not be shown
    updated = store.update_site(scenario_id, site_id, version, current_user.username, action, **changes)
    return jsonify(_with_figures(updated))


@blueprint.post("/scenarios/<int:scenario_id>/sites/<int:site_id>/details")
@planner_required
def edit_details(scenario_id: int, site_id: int):
    """Edit a station's public details.

    Body: ``{"version", "details": {...}}`` with any of name, address, phone, manager, host, hours, services,
    photos, station_status, capacity (people at once, a positive whole number or null; not public).
    """
    fields = validation.body().only("version", "details")
    details, version = fields.object("details"), _version(fields)  # what each detail may be: store.checks
    return jsonify(_with_figures(_store().update_details(scenario_id, site_id, version, current_user.username,
                                                         details)))  # fmt: skip


@blueprint.post("/scenarios/<int:scenario_id>/publish")
@planner_required
def publish(scenario_id: int):
    """Publish the scenario's accepted and existing stations: ``{"version", "published", "exclude"?, "force"?}``.

    Publishing is refused with 409 while a station that would become public lacks its name, address, hours or
    status: the answer's ``missing`` lists them (``id``, ``number``, ``name``, ``missing`` fields) and ``error``
    says so in the user's language. ``exclude`` (site ids left off the public side) and ``force`` (incomplete site
    ids published as they are) settle them one by one (see :meth:`geoplan.store.Store.publish`; both are audited).
    """
    fields = validation.body().only("version", "published", "exclude", "force")
    published, version = fields.boolean("published"), _version(fields)
    sent = request.get_json(silent=True) or {}  # already read strictly by validation.body(); the id lists as sent
    try:
        scenario = _store().publish(scenario_id, version, current_user.username, published,
                                    exclude=sent.get("exclude"), force=sent.get("force"))  # fmt: skip
    except InputError as error:
        if error.code != "publish_incomplete":
            raise
        return jsonify(error=i18n.error_text(error, language()), kind="PublishChecklist", code=error.code,
                       missing=error.params["missing"]), 409  # fmt: skip
    return jsonify(_with_figures(scenario))


@blueprint.post("/scenarios/<int:scenario_id>/reoptimise")
@planner_required
def reoptimise(scenario_id: int):
    """Re-optimise around the decisions: ``{"version", "time_limit"?}``."""
    fields = validation.body().only("version", "time_limit")
    version = _version(fields)
    seconds = fields.number("time_limit", *REOPTIMISE_SECONDS, default=5.0)
    store = _store()
    scenario = _scenario_at(scenario_id, version)  # refuse before spending seconds on a stale plan
    workspace = scenarios.workspace(scenario)
    # The warm start is this scenario's own, from its last solve: no other planner's work leaks in.
    sites, result, multipliers = workspace.reoptimise(
        scenario["sites"],
        scenario["stations"] or None,
        time_limit=seconds,
        multipliers=decode_multipliers(store.warm_start(scenario_id)),
    )
    proposals = [s for s in sites if s.get("status") == "proposed"]
    updated = store.replace_proposals(scenario_id, version, current_user.username, proposals, result, "reoptimise",
                                      warm_start=encode_multipliers(multipliers))  # fmt: skip
    updated["reoptimised"] = {**updated.pop("changes"), "why": _why(scenario, result, seconds)}
    return jsonify(_with_figures(updated))


@blueprint.post("/scenarios/<int:scenario_id>/undo")
@planner_required
def undo(scenario_id: int):
    """Take back the planner's own last change: ``{"version"}`` (see :meth:`geoplan.store.Store.undo`)."""
    version = _version(validation.body().only("version"))
    return jsonify(_with_figures(_store().undo(scenario_id, version, current_user.username)))


@blueprint.post("/scenarios/<int:scenario_id>/stations")
@planner_required
def import_stations(scenario_id: int):
    """Import existing stations: multipart ``file`` (CSV ``lon,lat[,capacity][,name]``, GeoJSON), coords, version.

    At most :data:`geoplan_web.validation.STATIONS_FILE` rows; a station outside the area is refused as
    ``geoplan plan --existing`` refuses it (:func:`geoplan.planning.sites.check_stations_in_area`). A station's
    ``capacity`` (people at once, a positive whole number or empty) is read as ``geoplan plan --existing`` reads it
    and stored with it.
    """
    fields = validation.form()
    version = _version(fields)
    system = _system(fields)
    upload = validation.upload("file", validation.STATIONS_FILE)
    store = _store()
    scenario = _scenario_at(scenario_id, version)  # refuse before reading and routing
    with tempfile.TemporaryDirectory() as folder:
        frame = read_stations(upload.save(folder, "stations"), crs=system, shown=upload.name)
    workspace = scenarios.workspace(scenario)
    check_stations_in_area(workspace.area, frame, upload.name)
    stations = [
        {"status": "existing", "lon": point.x, "lat": point.y, "name": name, "candidate_id": None,
         "capacity": None if math.isnan(people) else int(people)}
        for name, people, point in zip(frame["name"], frame["capacity"], frame.geometry, strict=True)
    ]  # fmt: skip
    scenarios.check_sites(workspace, scenario["sites"] + stations)  # refuse before saving
    updated = store.add_sites(scenario_id, version, current_user.username, stations, "import")
    return jsonify(_with_figures(updated))


@blueprint.post("/scenarios/<int:scenario_id>/data")
@planner_required
def upload_data(scenario_id: int):
    """Add to the data a scenario is planned from: a demand layer, candidate sites, or a firm's observations.

    Multipart ``file``, ``kind`` (layer|sites|pings|orders|depots), ``group`` (a layer's worker group, unless the
    file has a group column; required for observations), ``coords``, ``version``; for observations also ``k`` and
    ``headcount`` (optional, see :class:`~geoplan.planning.observed_layers.ObservedOptions`). A demand layer (CSV
    ``lon,lat,weight[,group]`` or GeoJSON points) adds workers, replacing the derived layer of the same groups;
    candidate sites (CSV ``lon,lat,footprint_m2[,name]``) add places a station could stand. Observations (CSV pings
    ``worker_id,time,lon,lat``, orders ``time,lon,lat[,weight]`` or depots ``lon,lat,headcount[,beat_m]``) become
    the group's demand layer as ``geoplan layer build`` makes it, added like an uploaded layer: the file is read
    from a private temporary folder deleted whatever happens, and only the aggregated layer and the build's counts
    are kept (no worker id, time or track); the answer's ``observed`` holds the build's report and its lines in the
    user's language. The scenario's sites are kept and its figures recomputed on the new model; re-optimise to plan
    with the new data.
    """
    fields = validation.form()
    kind = fields.choice("kind", DATA_KINDS, default="layer")
    version = _version(fields)
    system = _system(fields)
    group = fields.text("group", GROUP_CHARS, default=None)
    options = _observed_options(fields) if kind in OBSERVED_KINDS else None
    upload = _data_upload(kind)
    store = _store()
    scenario = _scenario_at(scenario_id, version)  # refuse before reading and routing
    current = UserData.from_json(store.user_data(scenario_id))
    observed = None
    with tempfile.TemporaryDirectory() as folder:
        path = upload.save(folder, "upload")
        if kind in OBSERVED_KINDS:
            observed = _build_observed(path, scenario, kind, group, system, options, upload.name)
            added = current.with_layer(observed.points)
        elif kind == "layer":
            added = current.with_layer(read_layer(path, crs=system, group=group, shown=upload.name))
        else:
            added = current.with_sites(read_sites(path, crs=system, shown=upload.name))
    # Prepare the model on the new data and evaluate the scenario's sites on it before anything is saved.
    workspace = scenarios.workspace(scenario, added)
    if kind == "sites":
        _check_new_sites(scenarios.workspace(scenario), workspace, upload.name)
    scenarios.check_sites(workspace, scenario["sites"])
    summary = _data_summary(added, scenario.get("user_data") or {}, observed)
    updated = store.set_user_data(scenario_id, version, current_user.username, added.to_json(), summary,
                                  f"upload {kind}")  # fmt: skip
    answer = _with_figures(updated)
    if observed is not None:
        answer["observed"] = {"report": observed.report, "report_lines": observed.report_lines(language())}
    return jsonify(answer)


@blueprint.post("/scenarios/<int:scenario_id>/observed-preview")
@planner_required
def observed_preview(scenario_id: int):
    """Build a demand layer from a firm's observations and show it, storing nothing.

    The multipart form of :func:`upload_data` with ``kind`` pings|orders|depots (``version`` is not needed: nothing
    changes). The answer is a GeoJSON FeatureCollection of the layer's points (``weight``: workers) with the build's
    ``report`` and its ``report_lines`` in the user's language; a file the build refuses is answered with 400 as
    the upload would be.
    """
    fields = validation.form()
    kind = fields.choice("kind", OBSERVED_KINDS)
    system = _system(fields)
    group = fields.text("group", GROUP_CHARS, default=None)
    options = _observed_options(fields)
    upload = _data_upload(kind)
    scenario = _store().scenario(scenario_id)
    with tempfile.TemporaryDirectory() as folder:
        layer = _build_observed(upload.save(folder, "upload"), scenario, kind, group, system, options, upload.name)
    xy = shapely.get_coordinates(layer.points.geometry.to_numpy())
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]},
         "properties": {"weight": round(float(weight), 4)}}
        for (lon, lat), weight in zip(xy, layer.points["weight"], strict=True)
    ]  # fmt: skip
    return jsonify(type="FeatureCollection", features=features, group=layer.group, report=layer.report,
                   report_lines=layer.report_lines(language()))  # fmt: skip


@blueprint.get("/scenarios/<int:scenario_id>/demand")
@login_required
def demand(scenario_id: int):
    """Worker locations as GeoJSON, each marked covered or not under the scenario's stations."""
    scenario = _store().scenario(scenario_id)
    workspace = scenarios.workspace(scenario)
    features = scenarios.models().derived(("demand features", workspace.prepared.key),
                                          lambda: layers.demand_features(workspace.prepared))  # fmt: skip
    return Response(layers.demand_geojson_text(workspace, scenario["sites"], features), mimetype="application/json")


@blueprint.get("/scenarios/<int:scenario_id>/candidates")
@login_required
def candidates(scenario_id: int):
    """Every candidate site of the scenario's model, as GeoJSON (rendered once per model)."""
    prepared = scenarios.workspace(_store().scenario(scenario_id)).prepared
    return responses.cached_json(
        ("candidates", prepared.key), lambda: json.dumps(layers.candidates_geojson(prepared), ensure_ascii=False)
    )


@blueprint.get("/scenarios/<int:scenario_id>/districts")
@login_required
def districts(scenario_id: int):
    """District polygons of the scenario's area, as GeoJSON (rendered once per model)."""
    prepared = scenarios.workspace(_store().scenario(scenario_id)).prepared
    return responses.cached_json(
        ("districts", prepared.key), lambda: json.dumps(layers.districts_geojson(prepared), ensure_ascii=False)
    )


@blueprint.get("/compare")
@login_required
def compare():
    """Compare two scenarios: ``?a=ID&b=ID``; coverage of each and the sites added and removed from a to b."""
    fields = validation.query()
    ids = [fields.integer(key, 1, MAX_ID) for key in ("a", "b")]
    first, second = (_store().scenario(scenario_id) for scenario_id in ids)
    return jsonify(scenarios.comparison(_with_figures(first), _with_figures(second)))


@blueprint.get("/audit")
@login_required
def audit():
    """Decisions, newest first: ``?scenario=ID&limit=N``."""
    fields = validation.query()
    scenario_id = fields.integer("scenario", 1, MAX_ID, default=None)
    return jsonify(entries=_store().audit(scenario_id, fields.integer("limit", 1, AUDIT_LIMIT, default=500)))


def _why(scenario: dict, result: dict, seconds: float) -> list[dict]:
    """Say why a re-optimisation's gap is what it is: codes and parameters the page renders (``why_*`` texts).

    The status and the gap against the previous solve's; the time limit when it ran out (and the first plan's
    longer one); the kept and excluded sites; the rules that bind the plan.
    """
    params = PlanParameters.from_json(scenario.get("params") or {})
    previous = scenario.get("result") or {}
    why = [{"code": "gap_change", "before": previous.get("gap"), "after": result.get("gap"),
            "status": result.get("status")}]  # fmt: skip
    if result.get("status") == "time_limit":
        why.append({"code": "time_limit", "limit": seconds, "seconds": result.get("seconds")})
        if params.time_limit_s > seconds:
            why.append({"code": "shorter", "first": params.time_limit_s, "limit": seconds})
    statuses = [s["status"] for s in scenario["sites"]]
    fixed = sum(status in ("accepted", "existing") for status in statuses)
    rejected = statuses.count("rejected")
    if fixed or rejected:
        why.append({"code": "fixed", "n": fixed, "r": rejected})
    rules = [("district_min", params.district_min), ("spacing", params.min_spacing_m),
             ("city", params.city_level_min), ("max_gap", params.max_gap_m),
             ("target", params.target_coverage), ("24h", params.max_24h)]  # fmt: skip
    bound = [{"rule": rule, "n": value} for rule, value in rules if value]
    if bound:
        why.append({"code": "rules", "rules": bound})
    return why


def _check_new_sites(before, after, filename: str) -> None:
    """Refuse a file of candidate sites none of which can hold a station, saying why."""
    kept = [int(ws.candidates.sites["source"].eq("user").sum()) for ws in (before, after)]
    if kept[1] > kept[0]:
        return
    refused = after.candidates.refused
    reasons = refused[refused["source"].eq("user")].groupby(["reason", "reason_zh"], sort=False).size()
    reasons = reasons.sort_values(ascending=False, kind="stable")
    listed = "; ".join(f"{en} ({count})" for (en, _), count in reasons.items())
    listed_zh = "；".join(f"{zh}（{count}）" for (_, zh), count in reasons.items())
    raise i18n.input_error("no_usable_sites", file=filename, reasons=listed or refusal_text("outside_districts", "en"),
                           reasons_zh=listed_zh or refusal_text("outside_districts", "zh"))  # fmt: skip


def _data_upload(kind: str) -> validation.Upload:
    """Read the uploaded file of a data upload within its kind's caps (observations: the CLI for larger files)."""
    if kind not in OBSERVED_KINDS:
        return validation.upload("file", validation.LAYER_FILE if kind == "layer" else validation.SITES_FILE)
    try:
        return validation.upload("file", validation.OBSERVED_FILE)
    except InputError as error:
        if error.code != "file_too_large":
            raise
        raise i18n.input_error("observed_file_too_large", file=error.params["file"], mb=error.params["mb"],
                               kind=kind) from None  # fmt: skip


def _observed_options(fields: Fields) -> ObservedOptions:
    """Return how an observed layer is built: the form's ``k`` and ``headcount``, the documented defaults else."""
    k = fields.integer("k", *PRIVACY_K, default=ObservedOptions.k)
    return ObservedOptions(k=k, headcount=fields.number("headcount", *HEADCOUNT, default=None))


def _build_observed(path, scenario: dict, kind: str, group: str | None, system: str, options: ObservedOptions,
                    shown: str) -> ObservedLayer:  # fmt: skip
    """Build a group's demand layer from an observation file on the scenario's area (the file stays the caller's)."""
    area = scenarios.study_area(scenario["area"])
    return build_layer(path, area, group or "", kind, crs=system, options=options, shown=shown)


def _observed_counts(layer: ObservedLayer) -> dict:
    """Return what a scenario keeps of an observed layer's build: its kind, group and counts, and the privacy cut."""
    report, privacy = layer.report, layer.report["privacy"]
    counts = {"kind": report["kind"], "group": report["group"], "rows": report["input"]["rows"],
              "workers": report["input"].get("workers", 0), "points": report["points"],
              "headcount": round(report["headcount"], 2), "headcount_source": report["headcount_source"]}  # fmt: skip
    counts |= {f"privacy_{key}": privacy[key] for key in ("k", "cell_m", "suppressed_cells", "suppressed_points")}
    counts |= {f"privacy_{key}": round(privacy[key], 4) for key in ("suppressed_workers", "suppressed_share")}
    return counts


def _data_summary(data: UserData, before: dict, observed: ObservedLayer | None) -> dict:
    """Return the summary a scenario keeps of its data: :meth:`UserData.summary`, observed layers' counts kept.

    Layers are only ever added, after the ones before: the layers already there keep their build counts, and an
    ``observed`` layer (the last) gets its own.
    """
    summary = data.summary()
    for entry, old in zip(summary["layers"], before.get("layers") or [], strict=False):
        if isinstance(old, dict) and old.get("source") == entry["source"] and "observed" in old:
            entry["observed"] = old["observed"]
    if observed is not None:
        summary["layers"][-1]["observed"] = _observed_counts(observed)
    return summary


def _system(fields: Fields) -> str:
    """Return the coordinate system a request's positions are in (default WGS-84)."""
    return fields.choice("coords", COORDINATE_SYSTEMS, default="wgs84", fold=True)


def _lonlat(fields: Fields) -> tuple[float, float]:
    """Return the WGS-84 position a station is moved to (``lon``, ``lat`` in ``coords``)."""
    lon, lat = fields.number("lon", -180.0, 180.0), fields.number("lat", -90.0, 90.0)
    return coords.to_wgs84(lon, lat, _system(fields))
