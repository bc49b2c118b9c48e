"""HTML pages of the planners' review map, and the offline basemap layers they draw."""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, render_template, request
from flask_login import login_required
from geoplan_web import responses, scenarios

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
    return render_template("scenario.html", scenario=found, layers=_layer_zooms(), group_keys=WORKER_GROUP_KEYS)


@blueprint.get("/compare")
@login_required
def compare():
    """Show two scenarios side by side: ``?a=ID&b=ID``."""
    store = current_app.extensions["geoplan_store"]
    scenarios = store.scenarios()
    return render_template("compare.html", scenarios=scenarios, a=request.args.get("a", type=int),
                           b=request.args.get("b", type=int), layers=_layer_zooms())  # fmt: skip


@blueprint.get("/audit")
@login_required
def audit():
    """Show the decisions log, newest first (``?scenario=ID`` for one scenario)."""
    scenario_id = request.args.get("scenario", type=int)
    entries = current_app.extensions["geoplan_store"].audit(scenario_id)
    return render_template("audit.html", entries=entries, scenario_id=scenario_id)


@blueprint.get("/basemap/<area>/bounds.json")
def basemap_bounds(area: str):
    """Return the bounds of an area's basemap ([[south, west], [north, east]])."""
    return Response(json.dumps(basemap.basemap_bounds(scenarios.study_area(area))), mimetype="application/json")


@blueprint.get("/basemap/<area>/<layer>.geojson")
def basemap_layer(area: str, layer: str):
    """Return one basemap layer (streets, water, buildings, landuse) drawn from the area's own OSM data."""
    if layer not in basemap.LAYERS:
        raise InputError(f"Basemap layer {layer!r} is unknown; use one of {', '.join(basemap.LAYERS)}.")
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
