"""A stored scenario as planning sees it: its parameters, its planner's data, its workspace, its warm start.

The store keeps scenarios as plain values (:mod:`geoplan.store`); these functions turn them back into what the plan
was computed from, so that the review map, re-optimisation, exports and the public side compute the same model as
the plan did — and turn a plan into the values a scenario stores.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping

import numpy as np

from geoplan import i18n
from geoplan.data.areas import AreaSpec, load_registry
from geoplan.inputs.user_data import UserData
from geoplan.planning.cache import ModelCache
from geoplan.planning.parameters import PlanParameters
from geoplan.planning.plan import Plan
from geoplan.planning.sites import json_scalar
from geoplan.planning.workspace import Workspace

__all__ = [
    "area_spec",
    "decode_multipliers",
    "encode_multipliers",
    "plan_sites",
    "scenario_parameters",
    "scenario_workspace",
]


def area_spec(name: str | None) -> AreaSpec:
    """Return the registered area of a scenario (the registry's default when empty).

    Raises
    ------
    InputError
        The name is not a registered area.
    """
    specs, default = load_registry()
    name = (name or "").strip() or default
    if name not in specs:
        raise i18n.input_error("unknown_area", name=name, known=", ".join(sorted(specs)))
    return specs[name]


def scenario_parameters(scenario: Mapping) -> PlanParameters:
    """Return the plan parameters a scenario stores (every field checked), with the scenario's station count."""
    params = dict(scenario.get("params") or {})
    stations = scenario.get("stations")
    if stations:
        params["stations"] = stations
    return PlanParameters.from_json(params)


def scenario_workspace(
    cache: ModelCache,
    scenario: Mapping,
    load_user_data: Callable[[], Mapping | None] | None = None,
    *,
    user_data: UserData | None = None,
) -> Workspace:
    """Return the workspace a scenario was planned on: its area, parameters and planner's data.

    Parameters
    ----------
    cache : ModelCache
        Where prepared models are kept.
    scenario : mapping
        A scenario as the store returns it (``area``, ``params``, ``stations``, and ``user_data``: the summary of
        the planner's data with its ``digest``).
    load_user_data : callable, optional
        Returns the scenario's planner's data (JSON of :class:`UserData`); called only when the prepared model is
        not in the cache yet.
    user_data : UserData, optional
        Data to plan with instead of the scenario's own (new data, before it is saved).

    Returns
    -------
    Workspace
    """
    params = scenario_parameters(scenario)
    spec = area_spec(scenario.get("area"))
    if user_data is not None:
        return Workspace(cache.prepared(spec, params, user_data), params)
    digest = (scenario.get("user_data") or {}).get("digest")
    if digest and load_user_data is not None:
        load = lambda: UserData.from_json(load_user_data())  # noqa: E731 - read only on a cache miss
    else:
        digest, load = UserData().digest, UserData
    prepared = cache.prepared(spec, params, digest=digest, load=load)
    return Workspace(prepared, params)


def plan_sites(plan: Plan) -> list[dict]:
    """Return the site dicts a scenario stores for a plan run, in the plan's order (existing ones included)."""
    index = plan.prepared.index
    sites = []
    for row in plan.proposals.drop(columns="footprint").itertuples():
        site = int(index.row_of[row.id])
        entry = {
            "status": "existing" if row.source == "fixed" else "proposed",
            "candidate_id": row.id,
            "name": json_scalar(row.name),
            "district": row.district,
            "lon": float(index.lonlat[site, 0]),
            "lat": float(index.lonlat[site, 1]),
            "city_level": row.level == "city",
            "covered_workers": float(row.covered_workers),
        }
        if "hours" in plan.proposals.columns:
            entry["hours"] = row.hours
        if "phase" in plan.proposals.columns:
            entry["phase"] = int(row.phase)
        sites.append(entry)
    return sites


def encode_multipliers(multipliers: np.ndarray | None) -> str | None:
    """Warm-start multipliers as compact text (float32, base64) for the store."""
    if multipliers is None:
        return None
    return base64.b64encode(np.asarray(multipliers, dtype="<f4").tobytes()).decode("ascii")


def decode_multipliers(text: str | None) -> np.ndarray | None:
    """Multipliers from :func:`encode_multipliers` (None for none or unreadable text: the bound starts afresh)."""
    if not text:
        return None
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        return None
    if len(raw) % 4:
        return None
    return np.frombuffer(raw, dtype="<f4").astype(float)
