"""The web app's link to the planning library: study areas and review workspaces, built once per process."""

from __future__ import annotations

from geoplan import areas as registry
from geoplan.areas import StudyArea
from geoplan.errors import InputError
from geoplan.plan import default_stations
from geoplan.workspace import Workspace, workspace_for
from geoplan.workspace import study_area as workspace_area


def area_name(name: str | None) -> str:
    """Return the registry name of an area (the default when empty); unknown names raise InputError."""
    specs, default = registry.load_registry()
    name = (name or "").strip() or default
    if name not in specs:
        raise InputError(f"Area {name!r} is unknown; choose one of: {', '.join(sorted(specs))}.")
    return name


def area_names() -> tuple[list[str], str]:
    """Return the registry's area names and the default one."""
    specs, default = registry.load_registry()
    return sorted(specs), default


def study_area(name: str) -> StudyArea:
    """Return a study area, loaded once per process (the same copy the workspaces use)."""
    return workspace_area(area_name(name))


def workspace(scenario: dict) -> Workspace:
    """Return the review workspace of a scenario's area and parameters (built once per process).

    The station count is not part of the workspace's key (it is the scenario's own ``stations``), so scenarios
    that differ only in their count share one workspace.
    """
    params = {k: v for k, v in (scenario.get("params") or {}).items() if k != "stations"}
    return workspace_for(area_name(scenario["area"]), params)


def stations_for(ws: Workspace) -> int:
    """Return the station count a new scenario plans for by default."""
    return default_stations(ws.area, ws.params)


def check_sites(ws: Workspace, sites: list[dict]) -> dict:
    """Evaluate a scenario's sites before they are saved: raises the planner's error if they cannot stand.

    Two sites on one candidate spot are refused here (a moved site dropped onto a spot another site holds).
    """
    held: dict[str, dict] = {}
    for site in sites:
        spot = site.get("candidate_id")
        if spot and spot in held:
            other = held[spot]
            raise InputError(
                f"Candidate spot {spot} is already held by site #{other.get('id', '?')} ({other.get('status')}); "
                "choose another spot, or change that site instead."
            )
        if spot:
            held[spot] = site
    return ws.evaluate(sites)


def _key(site: dict) -> str:
    if site.get("candidate_id"):
        return f"c:{site['candidate_id']}"
    return f"p:{site['lon']:.5f},{site['lat']:.5f}"


def comparison(first: dict, second: dict) -> dict:
    """Compare two scenarios (each with ``figures``): coverage side by side, sites added and removed."""
    active = ("proposed", "accepted", "existing")
    a = {_key(s): s for s in first["sites"] if s["status"] in active}
    b = {_key(s): s for s in second["sites"] if s["status"] in active}
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
