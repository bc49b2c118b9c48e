"""What the rule of thumb costs: plans on the derived and on an observed layer, both scored on observed workers.

:func:`compare_layers` plans an area twice with the same parameters: once on the rule-of-thumb layers of
:mod:`geoplan.inputs.demand` (the *rule plan*, what ``geoplan plan`` does without ``--layer``) and once with the
observed layer replacing its group's derived layer (the *observed plan*, ``geoplan plan --layer FILE:GROUP``). Both
plans' stations are then scored on the observed workers with the observed plan's prepared model: its columns hold
the observed points and its matrix is the network coverage the pipeline computed (:func:`geoplan.coverage.network.
coverage`, each worker within the group's cutoff along the streets), and the stations are read as the review map
reads a scenario's (:meth:`geoplan.planning.workspace.Workspace.covered_columns`). The observed plan's score is
therefore its own ``by_group`` figure in ``coverage.json``, and the rule plan's is what the same arithmetic gives
for its stations. Both plans choose among the same candidate sites (candidates do not depend on demand).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan import crs, i18n
from geoplan.data.areas import StudyArea
from geoplan.inputs.demand import WORKER_GROUPS
from geoplan.inputs.user_data import UserData
from geoplan.planning.figures import share
from geoplan.planning.parameters import PlanParameters
from geoplan.planning.plan import Plan, plan_prepared
from geoplan.planning.prepare import prepare
from geoplan.planning.scenarios import plan_sites
from geoplan.planning.workspace import Workspace

__all__ = ["COMPARISON_COLUMNS", "PLAN_KINDS", "LayerComparison", "compare_layers"]

#: The two plans compared: on the rule-of-thumb layers, and on the observed layer.
PLAN_KINDS = ("rule", "observed")

#: Columns of :meth:`LayerComparison.table` (``comparison.csv``), in order.
COMPARISON_COLUMNS = (
    "scope",
    "district",
    "observed_workers",
    "rule_plan_stations",
    "rule_plan_covered",
    "rule_plan_share",
    "observed_plan_stations",
    "observed_plan_covered",
    "observed_plan_share",
    "rule_cost_workers",
    "rule_cost_points",
    "rule_plan_objective",
    "observed_plan_objective",
)


@dataclass(frozen=True, eq=False)
class LayerComparison:
    """Two plans of one area, one on the rule-of-thumb layers and one on an observed layer, scored on the latter.

    Attributes
    ----------
    group : str
        The worker group the observed layer stands for.
    params : PlanParameters
        The parameters both plans were made with.
    rule_plan : Plan
        The plan on the derived (rule-of-thumb) layers.
    observed_plan : Plan
        The plan with the observed layer in place of the group's derived layer.
    workers : geopandas.GeoDataFrame
        The observed workers inside the area (area CRS): ``weight`` (workers), ``district``, ``covered_rule`` and
        ``covered_observed`` (True where a station of that plan lies within the group's cutoff along the street
        network), point geometry. One row per observed point (per point and shift when opening hours are modelled).
    points_read : int
        Points of the observed layer as read.
    workers_read : float
        Workers of the observed layer as read; those outside the area are not scored (see ``workers``).
    """

    group: str
    params: PlanParameters
    rule_plan: Plan
    observed_plan: Plan
    workers: gpd.GeoDataFrame
    points_read: int
    workers_read: float

    @property
    def area(self) -> StudyArea:
        """The study area."""
        return self.observed_plan.area

    def plan(self, kind: str) -> Plan:
        """Return the ``"rule"`` or the ``"observed"`` plan."""
        return {"rule": self.rule_plan, "observed": self.observed_plan}[kind]

    @functools.cached_property
    def figures(self) -> dict:
        """The comparison as plain JSON-ready values.

        Returns
        -------
        dict
            ``group``; ``layer`` (``points_read``, ``workers_read``, ``points``, ``workers``: what the observed
            layer held as read and what of it lies inside the area); per plan kind (``rule``, ``observed``):
            ``stations``, ``covered``, ``share`` (of the observed workers), ``objective`` (the plan's own objective
            on its own layers), ``own_workers`` (its own ``coverage.json`` totals: ``total``, ``covered``,
            ``share``) and ``by_district`` (``stations``, ``workers``, ``covered``, ``share``);
            ``rule_cost_workers`` (observed workers the observed plan covers more than the rule plan) and
            ``rule_cost_points`` (the same in percentage points of the observed workers).
        """
        weight = self.workers["weight"].to_numpy(dtype=float)
        total = float(weight.sum())
        out: dict = {
            "group": self.group,
            "layer": {
                "points_read": self.points_read,
                "workers_read": round(self.workers_read, 2),
                "points": len(self.workers),
                "workers": round(total, 2),
            },
        }
        districts = self._districts()
        for kind in PLAN_KINDS:
            plan = self.plan(kind)
            covered = self.workers[f"covered_{kind}"].to_numpy(dtype=bool)
            overall = share(total, float(weight[covered].sum()))
            stations = plan.proposals["district"].astype(str).value_counts()
            by_district = {}
            for name in districts:
                here = self.workers["district"].astype(str).to_numpy() == name
                entry = share(float(weight[here].sum()), float(weight[here & covered].sum()))
                by_district[name] = {"stations": int(stations.get(name, 0)), **entry}
            summary = plan.summary()
            out[kind] = {
                "stations": int(plan.stations),
                "covered": overall["covered"],
                "share": overall["share"],
                "objective": round(float(plan.result.objective), 4),
                "own_workers": summary["workers"],
                "by_district": by_district,
            }
        out["rule_cost_workers"] = round(out["observed"]["covered"] - out["rule"]["covered"], 2)
        out["rule_cost_points"] = round(100 * (out["observed"]["share"] - out["rule"]["share"]), 2)
        return out

    def table(self) -> pd.DataFrame:
        """Return the comparison as a table (``comparison.csv``): the whole area, then each district.

        Returns
        -------
        pandas.DataFrame
            :data:`COMPARISON_COLUMNS`: ``scope`` (``area`` or ``district``), ``district`` (empty for the area),
            ``observed_workers``; per plan (``rule_plan_*``, ``observed_plan_*``) its ``stations`` and the observed
            workers it ``covered`` and their ``share`` (0-1); ``rule_cost_workers`` = observed plan's covered minus
            the rule plan's (what the rule of thumb costs; negative if the rule plan covers more) and
            ``rule_cost_points`` (the same in percentage points); ``rule_plan_objective`` and
            ``observed_plan_objective``, each plan's own objective on its own layers (area row only).
        """
        figures = self.figures
        rule, observed = figures["rule"], figures["observed"]
        rows = [
            _row("area", "", figures["layer"]["workers"], rule, observed)
            | {"rule_plan_objective": rule["objective"], "observed_plan_objective": observed["objective"]}
        ]
        for name, entry in rule["by_district"].items():
            rows.append(_row("district", name, entry["workers"], entry, observed["by_district"][name]))
        frame = pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))
        for column in ("rule_plan_stations", "observed_plan_stations"):
            frame[column] = frame[column].astype("Int64")
        return frame

    def stations(self) -> pd.DataFrame:
        """Return both plans' stations, each plan in its own order.

        Returns
        -------
        pandas.DataFrame
            ``plan`` (``rule`` or ``observed``), ``id``, ``district``, ``level``, ``lon``, ``lat`` (WGS-84, 7
            decimals).
        """
        frames = []
        for kind in PLAN_KINDS:
            proposals = self.plan(kind).proposals
            lonlat = np.round(crs.to_wgs84(self.area.crs, _xy(proposals)), 7).reshape(-1, 2)
            frames.append(pd.DataFrame({
                "plan": kind, "id": proposals["id"].astype(str).to_numpy(),
                "district": proposals["district"].astype(str).to_numpy(), "level": proposals["level"].to_numpy(),
                "lon": lonlat[:, 0], "lat": lonlat[:, 1],
            }))  # fmt: skip
        return pd.concat(frames, ignore_index=True)

    def _districts(self) -> list[str]:
        names = self.area.districts["district"].astype(str).tolist()
        return names + sorted(set(self.workers["district"].astype(str)) - set(names))


def compare_layers(
    area: StudyArea,
    observed: gpd.GeoDataFrame,
    group: str,
    params: PlanParameters | None = None,
    *,
    progress: Callable[[str], None] | None = None,
) -> LayerComparison:
    """Plan an area on the rule-of-thumb layers and on an observed layer; score both on the observed workers.

    Parameters
    ----------
    area : StudyArea
    observed : geopandas.GeoDataFrame
        The observed layer of ``group`` (from :func:`geoplan.inputs.demand.read_layer`): ``weight`` (workers) and
        point geometry; any ``group`` column is replaced by ``group``.
    group : str
        One of :data:`geoplan.inputs.demand.WORKER_GROUPS` (the rule of thumb must have a layer for it).
    params : PlanParameters, optional
        Parameters of both plans (station count, district minimum, spacing, cutoffs, time limit...).
    progress : callable, optional
        Called with ``"observed"``, ``"rule"`` and ``"score"`` as each stage starts (the command line says so).

    Returns
    -------
    LayerComparison

    Raises
    ------
    InputError
        An unknown group, an empty layer, a layer with no point in the area, a group the parameters give no
        workers to; and whatever planning refuses (no candidate site...).
    InfeasibleError
        Quotas the area cannot meet.
    """
    params = params or PlanParameters()
    if group not in WORKER_GROUPS:
        raise i18n.input_error("compare_unknown_group", group=group, groups=", ".join(WORKER_GROUPS))
    if params.headcounts.get(group) == 0:
        raise i18n.input_error("compare_group_no_workers", group=group, group_zh=i18n.group_name(group, "zh"))
    if len(observed) == 0:
        raise i18n.input_error("compare_empty_layer", layer=observed.attrs.get("source", "?"))
    layer = observed.assign(group=group)[["group", "weight", "geometry"]]
    layer.attrs.update(observed.attrs)
    say = progress or (lambda stage: None)
    say("observed")  # first: a layer outside the area is refused before the other plan is made
    observed_plan = plan_prepared(prepare(area, params, UserData.from_frames([layer])), params)
    say("rule")
    rule_plan = plan_prepared(prepare(area, params, UserData()), params)
    say("score")
    workspace = Workspace(observed_plan.prepared, params)
    pieces = observed_plan.prepared.model.pieces
    mine = pieces[pieces["group"].to_numpy() == group]
    columns = mine["column"].to_numpy()
    workers = gpd.GeoDataFrame(
        {"weight": mine["weight"].to_numpy(dtype=float), "district": mine["district"].astype(str).to_numpy()},
        geometry=mine.geometry.to_numpy(), crs=area.crs,
    )  # fmt: skip
    for kind, plan in (("rule", rule_plan), ("observed", observed_plan)):
        workers[f"covered_{kind}"] = workspace.covered_columns(plan_sites(plan))[columns]
    return LayerComparison(
        group=group, params=params, rule_plan=rule_plan, observed_plan=observed_plan, workers=workers,
        points_read=len(observed), workers_read=float(observed["weight"].sum()),
    )  # fmt: skip


def _row(scope: str, district: str, workers: float, rule: dict, observed: dict) -> dict:
    return {
        "scope": scope,
        "district": district,
        "observed_workers": workers,
        "rule_plan_stations": rule["stations"],
        "rule_plan_covered": rule["covered"],
        "rule_plan_share": rule["share"],
        "observed_plan_stations": observed["stations"],
        "observed_plan_covered": observed["covered"],
        "observed_plan_share": observed["share"],
        "rule_cost_workers": round(observed["covered"] - rule["covered"], 2),
        "rule_cost_points": round(100 * (observed["share"] - rule["share"]), 2),
        "rule_plan_objective": None,
        "observed_plan_objective": None,
    }


def _xy(frame: gpd.GeoDataFrame) -> np.ndarray:
    return shapely.get_coordinates(frame.geometry.to_numpy())
