"""The web app's link to the planning library: study areas and review workspaces, built once per process."""

from __future__ import annotations

import functools

from geoplan import areas as registry
from geoplan.areas import StudyArea, load_area
from geoplan.errors import InputError
from geoplan.plan import default_stations
from geoplan.workspace import Workspace, workspace_for


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


@functools.lru_cache(maxsize=4)
def study_area(name: str) -> StudyArea:
    """Load a study area once per process."""
    return load_area(registry.resolve(area_name(name)))


def workspace(scenario: dict) -> Workspace:
    """Return the review workspace of a scenario's area and parameters (built once per process)."""
    ws = workspace_for(area_name(scenario["area"]), scenario.get("params") or {})
    return ws


def stations_for(ws: Workspace) -> int:
    """Return the station count a new scenario plans for by default."""
    return ws.params.stations or default_stations(ws.area, ws.params)


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
