"""The one preparation step every entry point shares: area + parameters + the planner's data -> a prepared model.

:func:`prepare` builds the demand layers, the candidate sites, the routable street graph, the sites x demand
coverage matrices, the site rules and the siting model; :class:`PreparedModel` holds them, frozen. ``geoplan
plan`` solves it once (:func:`geoplan.planning.plan.make_plan`), the review map evaluates and re-plans around a
planner's decisions on it (:class:`geoplan.planning.workspace.Workspace`), exports and the public side read it.
No other code repeats these steps.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import time
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import scipy.sparse as sp
import shapely

from geoplan import i18n
from geoplan.coverage import network
from geoplan.data.areas import AreaSpec, StudyArea, fingerprint
from geoplan.inputs.candidates import CandidateSet, build_candidates
from geoplan.inputs.demand import build_demand
from geoplan.inputs.user_data import UserData
from geoplan.memory import release_memory
from geoplan.planning.model import SitingModel, build_model
from geoplan.planning.parameters import PlanParameters, default_stations
from geoplan.planning.sites import SiteIndex, build_index
from geoplan.siting import spacing_conflicts

__all__ = ["PreparedModel", "code_fingerprint", "preparation_key", "prepare"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class PreparedModel:
    """Everything a plan needs before the solve, frozen: share it between requests and users, never change it.

    Attributes
    ----------
    area : StudyArea
    params : PlanParameters
        The preparation part of the parameters (:meth:`PlanParameters.for_preparation`); solve with the caller's
        own parameters.
    user_data : UserData
        The planner's demand layers, candidate sites and existing stations.
    demand : geopandas.GeoDataFrame
        Demand rows: ``group``, ``weight`` (workers), ``district``, point geometry in the area's CRS.
    layer_rules : dict of str to str
        How each group's demand layer was made.
    candidates : CandidateSet
        Candidate sites (``id``, ``source``, ``district``, ``footprint``, point geometry) and the refused spots.
    graph : geoplan.coverage.network.StreetGraph
    site_spots : geoplan.coverage.network.Snapped
        Candidate sites snapped to the street graph.
    points : numpy.ndarray
        (L, 3) distinct demand locations: x, y, service cutoff (m).
    point_of : numpy.ndarray
        Location of each demand row.
    demand_spots : geoplan.coverage.network.Snapped
        Demand locations snapped to the street graph.
    reach : scipy.sparse.csr_array
        Candidate sites x locations, 1.0 where the site is within the location's cutoff on the street network. The
        metres themselves are not kept: nothing reads them, and for a whole city they would be the plan's largest
        array. Without opening hours this is the model's matrix itself.
    gap_spots : geoplan.coverage.network.Snapped or None
        Distinct positions of the maximum-gap rule, snapped.
    must_cover : scipy.sparse.csr_array or None
        Candidate sites x ``gap_spots``, 1.0 within the maximum gap.
    model : SitingModel
        The matrices and rules the solver works on.
    timings_s : dict of str to float
        Seconds per stage (demand, candidates, coverage, model).
    key : str
        The preparation key (:func:`preparation_key`): equal keys, equal models.
    """

    area: StudyArea
    params: PlanParameters
    user_data: UserData
    demand: gpd.GeoDataFrame
    layer_rules: dict[str, str]
    candidates: CandidateSet
    graph: network.StreetGraph
    site_spots: network.Snapped
    points: np.ndarray
    point_of: np.ndarray
    demand_spots: network.Snapped
    reach: sp.csr_array
    gap_spots: network.Snapped | None
    must_cover: sp.csr_array | None
    model: SitingModel
    timings_s: dict[str, float]
    key: str

    def __repr__(self) -> str:
        return (
            f"PreparedModel(area={self.area.spec.name!r}, candidates={len(self.candidates.sites)}, "
            f"locations={len(self.points)}, key={self.key[:12]!r})"
        )

    def __getstate__(self) -> dict:
        # Derived indexes (cached properties) are rebuilt after loading rather than stored.
        return {name: value for name, value in self.__dict__.items() if name in _FIELDS}

    def default_stations(self, params: PlanParameters | None = None) -> int:
        """Station count of a plan without an explicit count (the parameters' own count when they give one)."""
        params = params or self.params
        return params.stations or default_stations(self.area, params)

    @functools.cached_property
    def index(self) -> SiteIndex:
        """Look-ups over the candidate sites (ids, positions, search trees), built on first use."""
        return build_index(self.area, self.candidates)


_FIELDS = frozenset(PreparedModel.__dataclass_fields__)


def prepare(
    area: StudyArea,
    params: PlanParameters | None = None,
    user_data: UserData | None = None,
    *,
    executor: Executor | None = None,
) -> PreparedModel:
    """Prepare a plan: demand, candidates, street graph, coverage matrices, site rules and the siting model.

    Parameters
    ----------
    area : StudyArea
    params : PlanParameters, optional
        Only the preparation part matters (:meth:`PlanParameters.for_preparation`).
    user_data : UserData, optional
        The planner's demand layers, candidate sites and existing stations.
    executor : concurrent.futures.Executor, optional
        Computes the coverage chunks (:func:`geoplan.coverage.network.coverage`); the model is the same with or
        without it.

    Returns
    -------
    PreparedModel

    Raises
    ------
    InputError
        No candidate site passed the checks, unknown excluded ids, a layer outside the area, bad hours options.
    """
    params = (params or PlanParameters()).for_preparation()
    user_data = user_data or UserData()
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = now - clock
        clock = now

    demand, layer_rules = build_demand(area, params.headcounts, user_data.layer_frames())
    lap("demand")
    existing = user_data.existing_frame(params.candidate_rules.min_area_m2)
    candidates = build_candidates(area, params.candidate_rules, user_data.site_frame(), existing)
    sites = candidates.sites
    if len(sites) == 0:
        raise i18n.input_error("no_candidate_sites", area=area.spec.name)
    unknown = sorted(set(params.excluded_ids) - set(sites["id"]))
    if unknown:
        raise i18n.input_error("excluded_unknown", ids=", ".join(unknown[:10]))
    lap("candidates")
    release_memory()
    graph = network.street_graph(area.edges)
    xy = shapely.get_coordinates(sites.geometry.to_numpy())
    site_spots = network.snap(graph, xy)
    points, point_of = _demand_points(demand, params)
    demand_spots = network.snap(graph, points[:, :2])
    reach = network.coverage(graph, site_spots, demand_spots, points[:, 2], executor=executor, metres=False)
    gap_spots = must_cover = None
    if params.max_gap_m is not None:
        gap_spots = network.snap(graph, np.unique(points[:, :2], axis=0))
        must_cover = network.coverage(graph, site_spots, gap_spots, params.max_gap_m, executor=executor,
                                      metres=False)  # fmt: skip
    lap("coverage")
    release_memory()
    planned = area.planned_districts
    site_rules = {
        "district": sites["district"].to_numpy(),
        "district_min": dict.fromkeys(planned, params.district_min) if params.district_min else None,
        "conflicts": spacing_conflicts(xy, params.min_spacing_m),
        "fixed": np.flatnonzero(sites["source"].eq("fixed").to_numpy()),
        "excluded": np.flatnonzero(sites["id"].isin(params.excluded_ids).to_numpy()),
        "city_level_min": params.city_level_min,
    }
    model = build_model(demand, point_of, reach, must_cover, site_rules, params.hours_options,
                        params.min_overlap_min, params.shift_shares)  # fmt: skip
    lap("model")
    release_memory()
    log.debug("prepared %d candidate sites and %d demand locations", len(sites), len(points))
    return freeze(PreparedModel(
        area=area, params=params, user_data=user_data, demand=demand, layer_rules=layer_rules, candidates=candidates,
        graph=graph, site_spots=site_spots, points=points, point_of=point_of, demand_spots=demand_spots,
        reach=reach, gap_spots=gap_spots, must_cover=must_cover, model=model, timings_s=timings,
        key=preparation_key(area.spec, params, user_data.digest),
    ))  # fmt: skip


def freeze(prepared: PreparedModel) -> PreparedModel:
    """Make the model's arrays read-only, so that no request can change what every request shares; return it."""
    model = prepared.model
    arrays = [prepared.points, prepared.point_of, model.weights, model.row_site, model.column_location,
              model.column_shift]  # fmt: skip
    for matrix in (prepared.reach, prepared.must_cover, model.matrix, model.must):
        if matrix is not None:
            arrays += [matrix.data, matrix.indices, matrix.indptr]
    for array in arrays:
        if array is not None:
            array.flags.writeable = False
    return prepared


def preparation_key(spec: AreaSpec, params: PlanParameters, user_data_digest: str | None = None) -> str:
    """Key of a prepared model: the area's data, the preparation parameters, the planner's data and the code.

    Computed without loading anything (the area's files are identified by their size and modification time), so a
    cache can be asked before any work.

    Parameters
    ----------
    spec : AreaSpec
    params : PlanParameters
    user_data_digest : str, optional
        :attr:`UserData.digest` of the planner's data (None: no data).

    Returns
    -------
    str
        A SHA-256 hex digest.
    """
    parts = {
        "area": fingerprint(spec),
        "params": params.for_preparation().to_json(),
        "user_data": user_data_digest or UserData().digest,
        "code": code_fingerprint(),
    }
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@functools.cache
def code_fingerprint() -> str:
    """SHA-256 of geoplan's own source files: a prepared model made by other code is never reused."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.suffix in {".py", ".toml"} and "__pycache__" not in path.parts:
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _demand_points(demand: gpd.GeoDataFrame, params: PlanParameters) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (x, y, cutoff) demand locations and, for each demand row, the index of its location.

    Groups spread along streets share their sample points; a location needs one coverage column per cutoff, not
    one per group, so coverage is computed once per distinct location and cutoff (to 0.1 m).
    """
    xy = np.round(shapely.get_coordinates(demand.geometry.values), 1)
    cutoff = demand["group"].map(params.cutoff_for).to_numpy(dtype=float)
    points, point_of = np.unique(np.column_stack([xy, cutoff]), axis=0, return_inverse=True)
    return points, point_of.ravel()
