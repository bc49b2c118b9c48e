"""JSON API of the planners' review map: scenarios, decisions, re-optimisation, comparison, audit log.

Reads need a logged-in user; changes need a planner and the CSRF token (header ``X-CSRFToken``). Every change
names the scenario version it was made on; a stale one is refused with 409 and nothing is saved.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, request
from flask_login import current_user, login_required
from geoplan_web import responses, scenarios
from geoplan_web.auth import planner_required

from geoplan import coords
from geoplan.errors import InputError, NotFoundError
from geoplan.inputs.candidates import read_sites, read_stations
from geoplan.inputs.demand import read_layer
from geoplan.inputs.user_data import UserData
from geoplan.outputs import layers
from geoplan.planning.parameters import PlanParameters
from geoplan.planning.scenarios import decode_multipliers, encode_multipliers
from geoplan.store import Store
from geoplan.vocabulary import COORDINATE_SYSTEMS

blueprint = Blueprint("api", __name__, url_prefix="/api/planner")

#: What a planner can do to one site, and the status it leads to (None: status unchanged).
SITE_ACTIONS = {"accept": "accepted", "reject": "rejected", "propose": "proposed", "city_level": None, "move": None}

#: Re-optimisation time limit bounds (seconds).
REOPTIMISE_SECONDS = (0.5, 30.0)

_UPLOAD_SUFFIXES = (".csv", ".geojson", ".json")

#: What a planner may upload into a scenario's data: a demand layer or extra candidate sites.
DATA_KINDS = ("layer", "sites")


def _store() -> Store:
    return current_app.extensions["geoplan_store"]


def _body() -> dict:
    data = request.get_json(silent=True)
    if data is None:
        data = request.form.to_dict()
    if not isinstance(data, dict):
        raise InputError("Send a JSON object.")
    return data


def _version(data: dict) -> int:
    if "version" not in data:
        raise InputError("version: send the scenario version your change was made on.")
    return data["version"]


def _with_figures(scenario: dict) -> dict:
    workspace = scenarios.workspace(scenario)
    scenario["figures"] = workspace.evaluate(scenario["sites"])
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
    data = _body()
    area = scenarios.area_name(data.get("area"))
    mode = data.get("mode", "plan")
    if mode not in ("plan", "empty"):
        raise InputError("mode: use 'plan' (run the optimiser) or 'empty' (start from scratch).")
    stations = _optional_int(data.get("stations"), "stations", 1, 500)
    params = PlanParameters.from_json(data.get("params") or {})
    if stations is not None:
        params = PlanParameters.from_json({**params.to_json(), "stations": stations})
    workspace = scenarios.workspace({"area": area, "params": params.to_json()})
    sites, result, multipliers = ([], {}, None) if mode == "empty" else workspace.propose(stations)
    scenario = _store().create_scenario(
        data.get("name", ""), area, current_user.username, params=params.to_json(),
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
    data = _body()
    return jsonify(_store().rename_scenario(scenario_id, data.get("name", ""), _version(data), current_user.username))


@blueprint.post("/scenarios/<int:scenario_id>/duplicate")
@planner_required
def duplicate(scenario_id: int):
    """Copy a scenario: ``{"name"}``."""
    data = _body()
    return jsonify(_store().duplicate_scenario(scenario_id, data.get("name", ""), current_user.username)), 201


@blueprint.post("/scenarios/<int:scenario_id>/sites/<int:site_id>")
@planner_required
def decide(scenario_id: int, site_id: int):
    """Decide on one site: ``{"action": accept|reject|propose|city_level|move, "version", ...}``.

    ``city_level`` takes ``{"city_level": true|false}``; ``move`` takes ``{"lon", "lat", "coords"?}`` and snaps to
    the nearest spot where the station's footprint fits (a moved proposal counts as accepted).
    """
    data = _body()
    action = data.get("action")
    if action not in SITE_ACTIONS:
        raise InputError(f"action: use one of {', '.join(SITE_ACTIONS)}.")
    store = _store()
    scenario = store.scenario(scenario_id)
    site = next((s for s in scenario["sites"] if s["id"] == site_id), None)
    if site is None:
        raise NotFoundError(f"Site {site_id} is not part of scenario {scenario_id}.")
    changes: dict = {}
    if SITE_ACTIONS[action] is not None:
        changes["status"] = SITE_ACTIONS[action]
    if action == "city_level":
        changes["city_level"] = _flag(data.get("city_level"), "city_level")
    if action == "move":
        if site["status"] == "existing":
            raise InputError("Existing stations stay where they are built; import corrected coordinates instead.")
        lon, lat = _lonlat(data)
        spot = scenarios.workspace(scenario).place(lon, lat)
        changes.update(candidate_id=spot["candidate_id"], lon=spot["lon"], lat=spot["lat"],
                       district=spot.get("district"))  # fmt: skip
        if site["status"] == "proposed":
            changes["status"] = "accepted"
    after = [dict(s, **changes) if s["id"] == site_id else s for s in scenario["sites"]]
    scenarios.check_sites(scenarios.workspace(scenario), after)  # refuse before saving what could not be shown
    updated = store.update_site(scenario_id, site_id, _version(data), current_user.username, action, **changes)
    return jsonify(_with_figures(updated))


@blueprint.post("/scenarios/<int:scenario_id>/sites/<int:site_id>/details")
@planner_required
def edit_details(scenario_id: int, site_id: int):
    """Edit a station's public details.

    Body: ``{"version", "details": {...}}`` with any of name, address, phone, manager, host, hours, services,
    photos, station_status.
    """
    data = _body()
    details = data.get("details")
    if not isinstance(details, dict):
        raise InputError("details: send an object of station fields.")
    return jsonify(_with_figures(_store().update_details(scenario_id, site_id, _version(data), current_user.username,
                                                         details)))  # fmt: skip


@blueprint.post("/scenarios/<int:scenario_id>/publish")
@planner_required
def publish(scenario_id: int):
    """Publish the scenario's accepted and existing stations (``{"version", "published": true|false}``)."""
    data = _body()
    published = _flag(data.get("published"), "published")
    return jsonify(_with_figures(_store().publish(scenario_id, _version(data), current_user.username, published)))


@blueprint.post("/scenarios/<int:scenario_id>/reoptimise")
@planner_required
def reoptimise(scenario_id: int):
    """Re-optimise around the decisions: ``{"version", "time_limit"?}``."""
    data = _body()
    store = _store()
    scenario = store.scenario(scenario_id)
    version = _version(data)
    store.check_version(scenario_id, version)  # refuse before spending seconds on a stale plan
    seconds = data.get("time_limit", 5.0)
    try:
        seconds = min(max(float(seconds), REOPTIMISE_SECONDS[0]), REOPTIMISE_SECONDS[1])
    except (TypeError, ValueError):
        raise InputError("time_limit: give seconds as a number.") from None
    workspace = scenarios.workspace(scenario)
    # The warm start is this scenario's own, from its last solve: no other planner's work leaks in.
    sites, result, multipliers = workspace.reoptimise(scenario["sites"], scenario["stations"] or None,
                                                      time_limit=seconds,
                                                      multipliers=decode_multipliers(store.warm_start(scenario_id)))
    proposals = [s for s in sites if s.get("status") == "proposed"]
    updated = store.replace_proposals(scenario_id, version, current_user.username, proposals, result, "reoptimise",
                                      warm_start=encode_multipliers(multipliers))  # fmt: skip
    return jsonify(_with_figures(updated))


@blueprint.post("/scenarios/<int:scenario_id>/stations")
@planner_required
def import_stations(scenario_id: int):
    """Import existing stations: multipart ``file`` (CSV ``lon,lat[,name]`` or GeoJSON), ``coords``, ``version``."""
    upload = _upload(*_UPLOAD_SUFFIXES)
    suffix = Path(upload.filename).suffix.lower()
    system = _system(request.form.get("coords"))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"stations{suffix}"
        upload.save(path)
        frame = read_stations(path, crs=system, shown=upload.filename)
    stations = [
        {"status": "existing", "lon": point.x, "lat": point.y, "name": name, "candidate_id": None}
        for name, point in zip(frame["name"], frame.geometry, strict=True)
    ]
    store = _store()
    scenario = store.scenario(scenario_id)
    scenarios.check_sites(scenarios.workspace(scenario), scenario["sites"] + stations)  # refuse before saving
    updated = store.add_sites(scenario_id, _version(request.form), current_user.username, stations, "import")
    return jsonify(_with_figures(updated))


@blueprint.post("/scenarios/<int:scenario_id>/data")
@planner_required
def upload_data(scenario_id: int):
    """Add to the data a scenario is planned from: a demand layer or candidate sites.

    Multipart ``file``, ``kind`` (layer|sites), ``group`` (a layer's worker group, unless the file has a group
    column), ``coords``, ``version``. A demand layer (CSV ``lon,lat,weight[,group]`` or GeoJSON points) adds
    workers, replacing the derived layer of the same groups; candidate sites (CSV ``lon,lat,footprint_m2[,name]``)
    add places a station could stand. The scenario's sites are kept and its figures recomputed on the new model;
    re-optimise to plan with the new data.
    """
    kind = request.form.get("kind", "layer")
    if kind not in DATA_KINDS:
        raise InputError(f"kind: use one of {', '.join(DATA_KINDS)} (a demand layer or candidate sites).",
                         code="unknown_data_kind", kinds=", ".join(DATA_KINDS))  # fmt: skip
    upload = _upload(*_UPLOAD_SUFFIXES) if kind == "layer" else _upload(".csv")
    system = _system(request.form.get("coords"))
    group = (request.form.get("group") or "").strip() or None
    store = _store()
    scenario = store.scenario(scenario_id)
    store.check_version(scenario_id, _version(request.form))  # refuse before reading and routing
    current = UserData.from_json(store.user_data(scenario_id))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{Path(upload.filename).suffix.lower()}"
        upload.save(path)
        if kind == "layer":
            added = current.with_layer(read_layer(path, crs=system, group=group, shown=upload.filename))
        else:
            added = current.with_sites(read_sites(path, crs=system, shown=upload.filename))
    # Prepare the model on the new data and evaluate the scenario's sites on it before anything is saved.
    workspace = scenarios.workspace(scenario, added)
    if kind == "sites":
        _check_new_sites(scenarios.workspace(scenario), workspace, upload.filename)
    scenarios.check_sites(workspace, scenario["sites"])
    updated = store.set_user_data(scenario_id, _version(request.form), current_user.username, added.to_json(),
                                  added.summary(), f"upload {kind}")  # fmt: skip
    return jsonify(_with_figures(updated))


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
    store = _store()
    try:
        first, second = (store.scenario(int(request.args[key])) for key in ("a", "b"))
    except (KeyError, ValueError):
        raise InputError("Give two scenario ids: ?a=1&b=2.") from None
    return jsonify(scenarios.comparison(_with_figures(first), _with_figures(second)))


@blueprint.get("/audit")
@login_required
def audit():
    """Decisions, newest first: ``?scenario=ID&limit=N``."""
    scenario = request.args.get("scenario")
    try:
        scenario_id = None if scenario in (None, "") else int(scenario)
        limit = int(request.args.get("limit", 500))
    except ValueError:
        raise InputError("scenario and limit must be whole numbers.") from None
    return jsonify(entries=_store().audit(scenario_id, limit))


def _optional_int(value, name: str, low: int, high: int) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InputError(f"{name}: give a whole number.") from None
    if not low <= number <= high:
        raise InputError(f"{name}: give a number from {low} to {high}.")
    return number


def _flag(value, name: str) -> bool:
    if isinstance(value, bool):
        return value
    raise InputError(f"{name}: send true or false.")


def _check_new_sites(before, after, filename: str) -> None:
    """Refuse a file of candidate sites none of which can hold a station, saying why."""
    kept = [int(ws.candidates.sites["source"].eq("user").sum()) for ws in (before, after)]
    if kept[1] > kept[0]:
        return
    refused = after.candidates.refused
    reasons = refused[refused["source"].eq("user")]["reason"].value_counts()
    listed = "; ".join(f"{reason} ({count})" for reason, count in reasons.items()) or "outside every district"
    raise InputError(f"{filename}: none of its sites can hold a station: {listed}.", code="no_usable_sites",
                     file=filename, reasons=listed)  # fmt: skip


def _system(value: str | None) -> str:
    system = (value or "wgs84").strip().lower()
    if system not in COORDINATE_SYSTEMS:
        raise InputError(f"coords: {value!r} is unknown; use one of {', '.join(COORDINATE_SYSTEMS)}.")
    return system


def _upload(*suffixes: str):
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InputError("file: choose a file to upload.")
    if Path(upload.filename).suffix.lower() not in suffixes:
        raise InputError(f"{upload.filename}: use a {' or '.join(suffixes)} file.")
    return upload


def _lonlat(data: dict) -> tuple[float, float]:
    try:
        lon, lat = float(data["lon"]), float(data["lat"])
    except (KeyError, TypeError, ValueError):
        raise InputError("lon and lat: send the new position in degrees.") from None
    return coords.to_wgs84(lon, lat, data.get("coords", "wgs84"))
