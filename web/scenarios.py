"""The web app's link to the planning library: scenario workspaces, study areas, checks, comparisons.

Workspaces and areas come from the app's model cache (:class:`geoplan.planning.cache.ModelCache`).
"""

from __future__ import annotations

from flask import current_app

from geoplan import i18n
from geoplan.data.areas import AreaSpec, StudyArea, load_registry
from geoplan.inputs.user_data import UserData
from geoplan.planning.cache import ModelCache
from geoplan.planning.scenarios import area_spec, scenario_workspace
from geoplan.planning.workspace import Workspace
from geoplan.vocabulary import ACTIVE_STATUSES


def models() -> ModelCache:
    """Return the app's cache of study areas and prepared models."""
    return current_app.extensions["geoplan_models"]


def area_name(name: str | None) -> str:
    """Return the registry name of an area (the default when empty); unknown names raise InputError."""
    return area_spec(name).name


def area_names() -> tuple[list[str], str]:
    """Return the registry's area names and the default one."""
    specs, default = load_registry()
    return sorted(specs), default


def spec(name: str | None) -> AreaSpec:
    """Return the registered area of a name (the default when empty)."""
    return area_spec(name)


def study_area(name: str) -> StudyArea:
    """Return a study area, loaded once for the app (memory, then the disk cache, then the OSM data)."""
    return models().area(area_spec(name))


def workspace(scenario: dict, user_data: UserData | None = None) -> Workspace:
    """Return the workspace a scenario was planned on: its area, parameters and the planner's data.

    The planner's data is read from the database only when its prepared model is not cached yet; ``user_data``
    replaces it (new data, before it is saved).
    """
    if user_data is not None:
        return scenario_workspace(models(), scenario, user_data=user_data)
    if scenario.get("id") is None:
        return scenario_workspace(models(), scenario)
    store = current_app.extensions["geoplan_store"]
    return scenario_workspace(models(), scenario, lambda: store.user_data(scenario["id"]))


def check_sites(ws: Workspace, sites: list[dict]) -> dict:
    """Evaluate a scenario's sites before they are saved: raises the planner's error if they cannot stand.

    Two sites on one candidate spot are refused here (a moved site dropped onto a spot another site holds).
    """
    held: dict[str, dict] = {}
    for site in sites:
        spot = site.get("candidate_id")
        if spot and spot in held:
            other = held[spot]
            number = other.get("number") or other.get("id", "?")  # the number planners call it by
            status = other.get("status")
            status_zh = i18n.text("label", f"status_{status}", "zh") if status in ACTIVE_STATUSES else status
            raise i18n.input_error("spot_already_held", spot=spot, number=number, status=status, status_zh=status_zh)
        if spot:
            held[spot] = site
    return ws.evaluate(sites)


def _key(site: dict) -> str:
    if site.get("candidate_id"):
        return f"c:{site['candidate_id']}"
    return f"p:{site['lon']:.5f},{site['lat']:.5f}"


def comparison(first: dict, second: dict) -> dict:
    """Compare two scenarios (each with ``figures``): coverage side by side, sites added and removed."""
    a = {_key(s): s for s in first["sites"] if s["status"] in ACTIVE_STATUSES}
    b = {_key(s): s for s in second["sites"] if s["status"] in ACTIVE_STATUSES}
    rows = {}
    for part in ("by_district", "by_group"):
        names = sorted(set(first["figures"][part]) | set(second["figures"][part]))
        rows[part] = [
            {"name": name, "a": first["figures"][part].get(name), "b": second["figures"][part].get(name)}
            for name in names
        ]
    return {
        "a": {k: first[k] for k in ("id", "name", "area", "version", "figures", "sites")},
        "b": {k: second[k] for k in ("id", "name", "area", "version", "figures", "sites")},
        "workers": {"a": first["figures"]["workers"], "b": second["figures"]["workers"]},
        "rows": rows,
        "added": [b[k] for k in sorted(set(b) - set(a))],
        "removed": [a[k] for k in sorted(set(a) - set(b))],
        "kept": len(set(a) & set(b)),
    }
