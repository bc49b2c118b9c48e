"""JSON API of the planners' review map: scenarios, decisions, re-optimisation, comparison, audit log.

Reads need a logged-in user; changes need a planner and the CSRF token (header ``X-CSRFToken``). Every change
names the scenario version it was made on; a stale one is refused with 409 and nothing is saved.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user, login_required

from geoplan import coords
from geoplan.candidates import read_stations
from geoplan.errors import InputError
from geoplan.store import NotFoundError, Store
from web import areas
from web.auth import planner_required

blueprint = Blueprint("api", __name__, url_prefix="/api/planner")

#: What a planner can do to one site, and the status it leads to (None: status unchanged).
SITE_ACTIONS = {"accept": "accepted", "reject": "rejected", "propose": "proposed", "city_level": None, "move": None}

#: Re-optimisation time limit bounds (seconds).
REOPTIMISE_SECONDS = (0.5, 30.0)

_UPLOAD_SUFFIXES = (".csv", ".geojson", ".json")


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
    workspace = areas.workspace(scenario)
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
    """Create a scenario: ``{"name", "area"?, "mode": "plan"|"empty", "stations"?}``."""
    data = _body()
    area = areas.area_name(data.get("area"))
    mode = data.get("mode", "plan")
    if mode not in ("plan", "empty"):
        raise InputError("mode: use 'plan' (run the optimiser) or 'empty' (start from scratch).")
    stations = _optional_int(data.get("stations"), "stations", 1, 500)
    params: dict = {}
    workspace = areas.workspace({"area": area, "params": params})
    sites, result = ([], {}) if mode == "empty" else workspace.propose(stations)
    scenario = _store().create_scenario(
        data.get("name", ""), area, current_user.username, params=params,
        stations=stations or areas.stations_for(workspace), sites=sites, result=result,
        source="plan" if mode == "plan" else "scratch",
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
        spot = areas.workspace(scenario).place(lon, lat)
        changes.update(candidate_id=spot["candidate_id"], lon=spot["lon"], lat=spot["lat"],
                       district=spot.get("district"))  # fmt: skip
        if site["status"] == "proposed":
            changes["status"] = "accepted"
    after = [dict(s, **changes) if s["id"] == site_id else s for s in scenario["sites"]]
    areas.check_sites(areas.workspace(scenario), after)  # refuse before saving what could not be shown
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
    workspace = areas.workspace(scenario)
    sites, result = workspace.reoptimise(scenario["sites"], scenario["stations"] or None, time_limit=seconds)
    proposals = [s for s in sites if s.get("status") == "proposed"]
    updated = store.replace_proposals(scenario_id, version, current_user.username, proposals, result, "reoptimise")
    return jsonify(_with_figures(updated))


@blueprint.post("/scenarios/<int:scenario_id>/stations")
@planner_required
def import_stations(scenario_id: int):
    """Import existing stations: multipart ``file`` (CSV ``lon,lat[,name]`` or GeoJSON), ``coords``, ``version``."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InputError("file: choose a CSV or GeoJSON file of stations.")
    suffix = Path(upload.filename).suffix.lower()
    if suffix not in _UPLOAD_SUFFIXES:
        raise InputError(f"{upload.filename}: use a .csv or .geojson file.")
    system = request.form.get("coords", "wgs84")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"stations{suffix}"
        upload.save(path)
        try:
            frame = read_stations(path, crs=system)
        except InputError as error:
            raise InputError(str(error).replace(str(path), upload.filename)) from None
    stations = [
        {"status": "existing", "lon": point.x, "lat": point.y, "name": name, "candidate_id": None}
        for name, point in zip(frame["name"], frame.geometry, strict=True)
    ]
    store = _store()
    scenario = store.scenario(scenario_id)
    areas.check_sites(areas.workspace(scenario), scenario["sites"] + stations)  # refuse before saving
    updated = store.add_sites(scenario_id, _version(request.form), current_user.username, stations, "import")
    return jsonify(_with_figures(updated))


@blueprint.get("/scenarios/<int:scenario_id>/demand")
@login_required
def demand(scenario_id: int):
    """Worker locations as GeoJSON, each marked covered or not under the scenario's stations."""
    scenario = _store().scenario(scenario_id)
    return jsonify(areas.workspace(scenario).demand_geojson(scenario["sites"]))


@blueprint.get("/scenarios/<int:scenario_id>/candidates")
@login_required
def candidates(scenario_id: int):
    """Every candidate site of the scenario's area, as GeoJSON."""
    return jsonify(areas.workspace(_store().scenario(scenario_id)).candidates_geojson())


@blueprint.get("/scenarios/<int:scenario_id>/districts")
@login_required
def districts(scenario_id: int):
    """District polygons of the scenario's area, as GeoJSON."""
    return jsonify(areas.workspace(_store().scenario(scenario_id)).districts_geojson())


@blueprint.get("/compare")
@login_required
def compare():
    """Compare two scenarios: ``?a=ID&b=ID``; coverage of each and the sites added and removed from a to b."""
    store = _store()
    try:
        first, second = (store.scenario(int(request.args[key])) for key in ("a", "b"))
    except (KeyError, ValueError):
        raise InputError("Give two scenario ids: ?a=1&b=2.") from None
    return jsonify(areas.comparison(_with_figures(first), _with_figures(second)))


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


def _lonlat(data: dict) -> tuple[float, float]:
    try:
        lon, lat = float(data["lon"]), float(data["lat"])
    except (KeyError, TypeError, ValueError):
        raise InputError("lon and lat: send the new position in degrees.") from None
    return coords.to_wgs84(lon, lat, data.get("coords", "wgs84"))
