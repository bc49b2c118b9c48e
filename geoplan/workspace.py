"""The computations behind a planner's review map: propose, evaluate, move and re-optimise stations interactively.

A :class:`Workspace` holds everything :func:`geoplan.plan.make_plan` computes before it solves (demand, candidate
sites, the street graph and the sites x worker-locations coverage matrix), so that each later request of the
review map (evaluate a set of stations, drag one to a new spot, re-optimise around the planner's choices) takes
milliseconds instead of the seconds the coverage matrix costs. :func:`workspace_for` keeps the last few workspaces
per process, so a web app builds each one once.

Sites travel as plain dicts, which is what the database stores and the UI sends::

    {"status": "proposed" | "accepted" | "rejected" | "existing", "candidate_id": str | None,
     "lon": float, "lat": float, "city_level": bool, "name": str | None}

Proposed and accepted sites (and rejected ones) refer to a candidate of the workspace by ``candidate_id``; existing
stations (imported) may have none and stand anywhere, and their coverage is computed on the fly. Rejected sites
count as no station and are never proposed again. Coordinates are WGS-84 lon/lat at the edges, the area's UTM CRS
inside.
"""

from __future__ import annotations

import copy
import functools
import json
import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Real

import geopandas as gpd
import numpy as np
import pyproj
import scipy.sparse as sp
import shapely
from scipy.spatial import cKDTree

from geoplan import model, network, settings
from geoplan.areas import StudyArea, load_area, load_registry, resolve
from geoplan.candidates import CandidateSet, build_candidates
from geoplan.demand import build_demand
from geoplan.errors import InfeasibleError, InputError
from geoplan.plan import PlanParameters, _demand_points, default_stations
from geoplan.siting import SitingResult, solve_mclp, spacing_conflicts

__all__ = [
    "EXTENT_MARGIN_M",
    "SITE_STATUSES",
    "WEB_PARAMETERS",
    "PlacementError",
    "Workspace",
    "build_workspace",
    "from_wgs84",
    "to_wgs84",
    "workspace_for",
]

#: Statuses of a site dict; "rejected" sites count as no station.
SITE_STATUSES = ("proposed", "accepted", "rejected", "existing")

#: Candidate sources a dragged station may land on: spots where a station's footprint is known to fit.
PLACEABLE_SOURCES = frozenset({"roadside", "host", "user"})

#: How far outside the area's street network (its convex hull) a lon/lat may lie and still be accepted, metres.
EXTENT_MARGIN_M = 1000.0

#: Plan parameters the review map may set through :func:`workspace_for`, with their types.
WEB_PARAMETERS: dict[str, type] = {
    "stations": int,
    "district_min": int,
    "city_level_min": int,
    "min_spacing_m": float,
    "time_limit_s": float,
    "target_gap": float,
}

#: Existing stations whose coverage is kept per workspace (cleared when full).
_EXISTING_CACHE_SIZE = 4096

_LONLAT_DIGITS = 7  # ~1 cm
_DEMAND_DIGITS = 6  # ~10 cm: demand points are street samples and POIs


class PlacementError(InputError):
    """No candidate site lies where a planner dragged a station; the message says why."""


@dataclass(frozen=True)
class _Existing:
    """An existing station off the candidate set: its position, district and the locations it reaches."""

    xy: np.ndarray
    district: str
    reach: np.ndarray
    must: np.ndarray | None


@dataclass
class _Chosen:
    """A list of site dicts read against a workspace (candidate rows, existing stations, dicts kept as sent)."""

    counted: np.ndarray
    fixed: np.ndarray
    city_fixed: np.ndarray
    proposed: np.ndarray
    rejected: np.ndarray
    existing: list[_Existing]
    existing_city: np.ndarray
    kept: list[dict]


@dataclass(eq=False, repr=False)
class Workspace:
    """Everything a plan needs before the solve, kept for interactive requests of the review map.

    Build it with :func:`build_workspace` (or :func:`workspace_for`, which caches). Methods take and return site
    dicts (see the module docstring) and WGS-84 lon/lat; every method but :meth:`propose` and :meth:`reoptimise`
    answers in milliseconds, and those two within their time limit.

    Attributes
    ----------
    area : StudyArea
    params : PlanParameters
    stations : int
        Default station count (``params.stations`` or the area's scaled default).
    candidates : CandidateSet
        Candidate sites (``id``, ``source``, ``district``, ``footprint``, point geometry in the area's CRS) and the
        refused spots with their ``reason``.
    demand : geopandas.GeoDataFrame
        Demand rows: ``group``, ``weight`` (workers), ``district``, point geometry.
    graph : geoplan.network.StreetGraph
    site_spots : geoplan.network.Snapped
        Candidate sites snapped to the street graph.
    points : numpy.ndarray
        (L, 3) distinct demand locations: x, y, service cutoff (m).
    point_of : numpy.ndarray
        Location of each demand row.
    demand_spots : geoplan.network.Snapped
        Demand locations snapped to the street graph.
    distances : scipy.sparse.csr_array
        Candidate sites x locations, network metres, stored where within the location's cutoff.
    must_cover : scipy.sparse.csr_array or None
        Candidate sites x distinct positions within the maximum gap (``params.max_gap_m``), else None.
    gap_spots : geoplan.network.Snapped or None
        The distinct positions of ``must_cover``, snapped.
    """

    area: StudyArea
    params: PlanParameters
    stations: int
    candidates: CandidateSet
    demand: gpd.GeoDataFrame
    graph: network.StreetGraph
    site_spots: network.Snapped
    points: np.ndarray
    point_of: np.ndarray
    demand_spots: network.Snapped
    distances: sp.csr_array
    must_cover: sp.csr_array | None = None
    gap_spots: network.Snapped | None = None
    _existing_cache: dict = field(default_factory=dict, init=False)
    _multipliers: np.ndarray | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self._index_sites()
        self._index_demand()
        self._index_places()

    def __repr__(self) -> str:
        return (
            f"Workspace(area={self.area.spec.name!r}, stations={self.stations}, "
            f"candidates={len(self._ids)}, locations={len(self.points)})"
        )

    # --- public API ------------------------------------------------------------------------------------------------

    def propose(self, stations: int | None = None) -> tuple[list[dict], dict]:
        """Choose the initial plan, as :func:`geoplan.plan.make_plan` would.

        Parameters
        ----------
        stations : int, optional
            Station count; defaults to :attr:`stations`.

        Returns
        -------
        sites : list of dict
            Site dicts with status ``"proposed"``, plus ``district`` and ``covered_workers`` (workers within reach
            of the station alone); city-level stations first, then by workers covered.
        result : dict
            ``objective``, ``bound``, ``gap``, ``status``, ``method``, ``seconds``.

        Raises
        ------
        InfeasibleError
            Quotas above the station count, more stations than candidate sites, ...
        """
        count = self._station_count(stations)
        solved = model.solve(
            self.params, self.candidates.sites, self.demand, self.point_of, self.distances, self.must_cover, count,
            self._rules,
        )  # fmt: skip
        self._remember(solved.result)
        city = set(solved.result.city_level.tolist())
        return self._proposal_dicts(solved.site, city), _result_dict(solved.result)

    def evaluate(self, sites: Sequence[Mapping]) -> dict:
        """Compute the coverage of a set of stations (proposed, accepted and existing; rejected sites are ignored).

        Parameters
        ----------
        sites : sequence of dict
            Site dicts.

        Returns
        -------
        dict
            ``workers`` (``total``, ``covered``, ``share``), ``by_district`` (per district: ``workers``,
            ``covered``, ``share``, ``stations``), ``by_group`` (per worker group: ``workers``, ``covered``,
            ``share``) and ``stations`` (count), rounded as in :meth:`geoplan.plan.Plan.summary`.

        Raises
        ------
        InputError
            A malformed site, an unknown candidate id, an existing station outside the area.
        """
        chosen = self._read(sites)
        covered = self._covered(chosen)[self.point_of]
        station_districts = [*self._district[chosen.counted].tolist(), *(e.district for e in chosen.existing)]
        by_district = self._table(self._district_code, self._district_names, covered)
        for name in self.area.districts["district"].astype(str):
            by_district.setdefault(name, {"workers": 0.0, "covered": 0.0, "share": 0.0})
        for name, entry in by_district.items():
            entry["stations"] = station_districts.count(name)
        total = float(self._row_weight.sum())
        overall = _figures(total, float(self._row_weight[covered].sum()))
        return {
            "workers": {"total": overall.pop("workers"), **overall},
            "by_district": by_district,
            "by_group": self._table(self._group_code, self._group_names, covered),
            "stations": len(station_districts),
        }

    def demand_geojson(self, sites: Sequence[Mapping]) -> dict:
        """Return the demand points as a GeoJSON FeatureCollection (WGS-84), marked covered or not by the sites.

        Demand rows at the same location and of the same group are merged (weights summed), so the collection
        holds one point per location and group.

        Parameters
        ----------
        sites : sequence of dict
            Site dicts; as for :meth:`evaluate`.

        Returns
        -------
        dict
            Point features with properties ``group``, ``weight`` (workers, 2 decimals), ``district`` and
            ``covered`` (bool).
        """
        covered = self._covered(self._read(sites))[self._feature_location].tolist()
        features = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {"group": group, "weight": weight, "district": district, "covered": hit},
            }
            for (lon, lat, group, weight, district), hit in zip(self._feature_static, covered, strict=True)
        ]
        return {"type": "FeatureCollection", "features": features}

    def candidates_geojson(self) -> dict:
        """Return every candidate site as a GeoJSON FeatureCollection (WGS-84).

        Returns
        -------
        dict
            Point features with properties ``id``, ``district``, ``source``, ``kind``, ``name``.
        """
        sites = self.candidates.sites
        columns = zip(self._ids, self._district, sites["source"], sites["kind"], sites["name"], strict=True)
        features = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]},
                "properties": {
                    "id": str(ident),
                    "district": _clean(district),
                    "source": str(source),
                    "kind": _clean(kind),
                    "name": _clean(name),
                },
            }
            for (lon, lat), (ident, district, source, kind, name) in zip(self._lonlat, columns, strict=True)
        ]
        return {"type": "FeatureCollection", "features": features}

    def districts_geojson(self) -> dict:
        """Return the district polygons as a GeoJSON FeatureCollection (WGS-84).

        Returns
        -------
        dict
            Polygon features with properties ``district`` (name) and ``has_network`` (bool: holds streets).
        """
        if self._districts_json is None:
            districts = self.area.districts
            self._districts_json = {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": self._geometry_json(geometry),
                        "properties": {"district": str(name), "has_network": bool(has_network)},
                    }
                    for name, has_network, geometry in zip(
                        districts["district"], districts["has_network"], districts.geometry.to_numpy(), strict=True
                    )
                ],
            }
        return copy.deepcopy(self._districts_json)

    def place(self, lon: float, lat: float, max_move_m: float = 150.0) -> dict:
        """Find the candidate spot nearest to where a planner dragged a station.

        Only spots where a station's footprint is known to fit count: candidates of source roadside, host or user.

        Parameters
        ----------
        lon, lat : float
            WGS-84 position the station was dragged to.
        max_move_m : float
            How far (straight line, metres) the station may be moved to a candidate spot.

        Returns
        -------
        dict
            ``candidate_id``, ``lon``, ``lat``, ``district``, ``distance_m`` (from the dragged position),
            ``footprint`` (GeoJSON polygon in WGS-84, roadside sites only, else None), ``source``, ``kind``,
            ``name``.

        Raises
        ------
        PlacementError
            No candidate spot within ``max_move_m``; the message says why (the reason the nearest refused spot
            was refused, or that no street lies within reach).
        InputError
            ``lon``/``lat`` not finite or outside the area (plus :data:`EXTENT_MARGIN_M`), or a bad ``max_move_m``.
        """
        if isinstance(max_move_m, bool) or not isinstance(max_move_m, Real) or not 0 < max_move_m < math.inf:
            raise InputError(f"max_move_m must be a positive number of metres, got {max_move_m!r}.")
        xy = self._to_xy(lon, lat, "place")
        if len(self._place_rows):
            distance, k = self._place_tree.query(xy, distance_upper_bound=float(max_move_m))
            if math.isfinite(distance):
                return self._placed(int(self._place_rows[k]), float(distance))
        raise PlacementError(self._why_not_here(xy, float(max_move_m)))

    def reoptimise(
        self, sites: Sequence[Mapping], stations: int | None = None, time_limit: float = 5.0
    ) -> tuple[list[dict], dict]:
        """Re-plan around a planner's decisions.

        Accepted and existing stations stay (existing stations off the candidate set count as fixed coverage),
        rejected sites are never proposed again, and the plan is filled up to ``stations`` with new proposals,
        starting from the current ones. City-level flags of kept sites are kept; new proposals are designated
        city-level as far as ``params.city_level_min`` still asks for more.

        Parameters
        ----------
        sites : sequence of dict
            The current site dicts.
        stations : int, optional
            Total station count, kept ones included; defaults to :attr:`stations`.
        time_limit : float
            Seconds for the optimiser.

        Returns
        -------
        sites : list of dict
            The accepted, existing and rejected dicts as sent (copies, same order), then the new proposals (as
            from :meth:`propose`).
        result : dict
            As from :meth:`propose`; ``objective`` includes the workers existing stations cover.

        Raises
        ------
        InfeasibleError
            More kept stations than ``stations``, quotas that cannot be met, ...
        InputError
            Malformed sites, a bad station count or time limit.
        """
        count = self._station_count(stations)
        if isinstance(time_limit, bool) or not isinstance(time_limit, Real) or not 0 < time_limit < math.inf:
            raise InputError(f"time_limit must be a positive number of seconds, got {time_limit!r}.")
        chosen = self._read(sites)
        kept = len(chosen.fixed) + len(chosen.existing)
        if kept > count:
            raise InfeasibleError(
                f"{kept} stations are kept ({len(chosen.fixed)} accepted on candidate sites, "
                f"{len(chosen.existing)} existing elsewhere) but the plan has only {count}: raise the station count "
                f"to at least {kept}, or un-accept some."
            )
        matrix, must = self._with_existing(chosen)
        result = solve_mclp(
            matrix, self._location_weight, count, **self._solver_rules(chosen), backup_weight=self.params.backup_weight,
            must_cover=must, start=chosen.proposed, multipliers=self._multipliers, time_limit=float(time_limit),
            target_gap=self.params.target_gap,
        )  # fmt: skip
        self._remember(result)
        selected = result.selected[result.selected < len(self._ids)]
        new = np.setdiff1d(selected, chosen.fixed)
        city = self._new_city_level(result, new, chosen)
        return chosen.kept + self._proposal_dicts(new, city), _result_dict(result)

    # --- indexes built once ----------------------------------------------------------------------------------------

    def _index_sites(self) -> None:
        sites = self.candidates.sites
        self._ids = sites["id"].astype(str).to_numpy(dtype=object)
        self._row_of = {ident: row for row, ident in enumerate(self._ids)}
        self._xy = shapely.get_coordinates(sites.geometry.to_numpy())
        self._lonlat = np.round(to_wgs84(self.area, self._xy), _LONLAT_DIGITS)
        self._district = sites["district"].astype(str).to_numpy(dtype=object)
        self._site_tree = cKDTree(self._xy) if len(self._xy) else None
        planned = self.area.planned_districts
        params = self.params
        self._rules = {
            "district": sites["district"].to_numpy(),
            "district_min": dict.fromkeys(planned, params.district_min) if params.district_min else None,
            "conflicts": spacing_conflicts(self._xy, params.min_spacing_m),
            "fixed": np.flatnonzero(sites["source"].eq("fixed").to_numpy()),
            "excluded": np.flatnonzero(sites["id"].isin(params.excluded_ids).to_numpy()),
            "city_level_min": params.city_level_min,
        }

    def _index_demand(self) -> None:
        """Location weights, per-row group/district codes and the static part of the demand features."""
        weight = self.demand["weight"].to_numpy(dtype=float)
        self._row_weight = weight
        self._location_weight = np.bincount(self.point_of, weights=weight, minlength=len(self.points))
        self._site_value = self.distances.astype(bool).astype(float) @ self._location_weight
        groups = self.demand["group"].astype(str).to_numpy()
        districts = self.demand["district"].astype(str).to_numpy()
        self._group_names, self._group_code = np.unique(groups, return_inverse=True)
        self._district_names, self._district_code = np.unique(districts, return_inverse=True)
        n_groups = len(self._group_names)
        key = self.point_of.astype(np.int64) * n_groups + self._group_code
        unique, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        merged = np.round(np.bincount(inverse.ravel(), weights=weight), 2).tolist()
        self._feature_location = unique // n_groups
        lonlat = np.round(to_wgs84(self.area, self.points[self._feature_location, :2]), _DEMAND_DIGITS).tolist()
        self._feature_static = [
            (lon, lat, str(group), w, str(district))
            for (lon, lat), group, w, district in zip(
                lonlat, self._group_names[unique % n_groups], merged, districts[first], strict=True
            )
        ]

    def _index_places(self) -> None:
        """Search trees for :meth:`place` and for existing stations (districts, spacing)."""
        placeable = self.candidates.sites["source"].isin(PLACEABLE_SOURCES).to_numpy()
        self._place_rows = np.flatnonzero(placeable)
        self._place_tree = cKDTree(self._xy[self._place_rows]) if len(self._place_rows) else None
        refused = self.candidates.refused
        self._refused_reason = refused["reason"].astype(str).to_numpy(dtype=object)
        refused_xy = shapely.get_coordinates(refused.geometry.to_numpy())
        self._refused_tree = cKDTree(refused_xy) if len(refused_xy) else None
        edges = self.area.edges
        self._street_tree = shapely.STRtree(edges.geometry.to_numpy())
        self._street_class = edges["highway"].astype(str).to_numpy(dtype=object)
        planned = self.area.districts[self.area.districts["has_network"]]
        if len(planned) == 0:
            planned = self.area.districts
        self._planned_names = planned["district"].astype(str).to_numpy(dtype=object)
        self._planned_tree = shapely.STRtree(planned.geometry.to_numpy())
        self._districts_json: dict | None = None

    # --- reading site dicts ----------------------------------------------------------------------------------------

    def _read(self, sites: Sequence[Mapping]) -> _Chosen:
        if isinstance(sites, Mapping | str | bytes) or not isinstance(sites, Sequence):
            raise InputError(f"sites must be a list of site dicts, got {type(sites).__name__}.")
        rows: dict[str, list[int]] = {status: [] for status in SITE_STATUSES}
        city, off_candidate, off_city, kept = [], [], [], []
        for number, site in enumerate(sites):
            status, row = self._site_row(number, site)
            if status != "proposed":
                kept.append(dict(site))
            if row is None:
                off_candidate.append((number, site))
                off_city.append(bool(site.get("city_level")))
                continue
            rows[status].append(row)
            if site.get("city_level") and status in {"accepted", "existing"}:
                city.append(row)
        fixed = np.unique(np.asarray(rows["accepted"] + rows["existing"], dtype=np.int64))
        proposed = np.setdiff1d(np.asarray(rows["proposed"], dtype=np.int64), fixed)
        rejected = np.unique(np.asarray(rows["rejected"], dtype=np.int64))
        both = np.intersect1d(rejected, np.union1d(fixed, proposed))
        if len(both):
            raise InputError(
                f"Candidate site(s) {', '.join(self._ids[both][:5])} are both rejected and kept or proposed: "
                "a site can have only one status."
            )
        return _Chosen(
            counted=np.union1d(fixed, proposed),
            fixed=fixed,
            city_fixed=np.unique(np.asarray(city, dtype=np.int64)),
            proposed=proposed,
            rejected=rejected,
            existing=self._existing(off_candidate),
            existing_city=np.asarray(off_city, dtype=bool),
            kept=kept,
        )

    def _site_row(self, number: int, site: Mapping) -> tuple[str, int | None]:
        """Status and candidate row of a site dict (row None: an existing station off the candidate set)."""
        if not isinstance(site, Mapping):
            raise InputError(f"Site {number}: expected a dict, got {type(site).__name__}.")
        status = site.get("status")
        if status not in SITE_STATUSES:
            raise InputError(f"Site {number}: status must be one of {', '.join(SITE_STATUSES)}; got {status!r}.")
        ident = site.get("candidate_id")
        if ident is None:
            if status != "existing":
                raise InputError(
                    f"Site {number}: a {status} site needs the candidate_id of one of the area's candidate sites; "
                    "only existing stations may have none."
                )
            return status, None
        row = self._row_of.get(str(ident))
        if row is None:
            raise InputError(
                f"Site {number}: {ident!r} is not a candidate site of area {self.area.spec.name!r} (was it planned "
                "with other candidate rules?)."
            )
        return status, row

    def _existing(self, items: list[tuple[int, Mapping]]) -> list[_Existing]:
        """Existing stations off the candidate set, with their coverage (computed once per position)."""
        keys, todo = [], {}
        for number, site in items:
            lon, lat = site.get("lon"), site.get("lat")
            xy = self._to_xy(lon, lat, f"Site {number} (existing station)")
            key = (round(float(lon), _LONLAT_DIGITS), round(float(lat), _LONLAT_DIGITS))
            keys.append(key)
            if key not in self._existing_cache:
                todo[key] = xy
        found = dict(zip(todo, self._measure(np.asarray(list(todo.values())).reshape(-1, 2)), strict=True))
        known = {key: self._existing_cache[key] for key in keys if key not in todo}
        if len(self._existing_cache) + len(found) > _EXISTING_CACHE_SIZE:
            self._existing_cache.clear()
        self._existing_cache.update(found)
        return [found.get(key) or known[key] for key in keys]

    def _measure(self, xy: np.ndarray) -> list[_Existing]:
        """Snap positions to the street graph and find the demand locations (and max-gap positions) they reach."""
        if not len(xy):
            return []
        spots = network.snap(self.graph, xy)
        reach = network.coverage(self.graph, spots, self.demand_spots, self.points[:, 2])
        must = None
        if self.gap_spots is not None:
            must = network.coverage(self.graph, spots, self.gap_spots, self.params.max_gap_m)
        _, nearest = self._planned_tree.query_nearest(shapely.points(xy), all_matches=False)
        return [
            _Existing(
                xy=xy[i],
                district=str(self._planned_names[nearest[i]]),
                reach=reach[[i]].indices.copy(),
                must=None if must is None else must[[i]].indices.copy(),
            )
            for i in range(len(xy))
        ]

    def _to_xy(self, lon: object, lat: object, what: str) -> np.ndarray:
        """Area-CRS position of a WGS-84 lon/lat, refusing non-numbers and positions outside the area."""
        for name, value in (("lon", lon), ("lat", lat)):
            if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
                raise InputError(f"{what}: {name} must be a finite number of degrees, got {value!r}.")
        if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
            raise InputError(f"{what}: ({lon}, {lat}) is not a WGS-84 longitude/latitude pair (longitude first).")
        xy = from_wgs84(self.area, [[float(lon), float(lat)]])[0]
        outside = float(shapely.distance(self.area.boundary, shapely.Point(xy)))
        if not outside <= EXTENT_MARGIN_M:
            raise InputError(
                f"{what}: ({float(lon):.6f}, {float(lat):.6f}) lies {outside / 1000:.1f} km outside study area "
                f"{self.area.spec.name!r}; check that it is WGS-84 longitude, latitude (in that order)."
            )
        return xy

    def _station_count(self, stations: object) -> int:
        if stations is None:
            return self.stations
        if isinstance(stations, bool) or not isinstance(stations, Real) or not math.isfinite(stations):
            raise InputError(f"The station count must be a whole number >= 1, got {stations!r}.")
        if stations != int(stations) or stations < 1:
            raise InputError(f"The station count must be a whole number >= 1, got {stations!r}.")
        return int(stations)

    # --- coverage and solving --------------------------------------------------------------------------------------

    def _covered(self, chosen: _Chosen) -> np.ndarray:
        """Which demand locations some counted station reaches."""
        covered = np.zeros(len(self.points), dtype=bool)
        if len(chosen.counted):
            covered[self.distances[chosen.counted].indices] = True
        for station in chosen.existing:
            covered[station.reach] = True
        return covered

    def _table(self, code: np.ndarray, names: np.ndarray, covered: np.ndarray) -> dict[str, dict[str, float]]:
        weight = self._row_weight
        total = np.bincount(code, weights=weight, minlength=len(names))
        hit = np.bincount(code[covered], weights=weight[covered], minlength=len(names))
        return {str(name): _figures(float(total[i]), float(hit[i])) for i, name in enumerate(names)}

    def _with_existing(self, chosen: _Chosen) -> tuple[sp.csr_array, sp.csr_array | None]:
        """Coverage (and must-cover) matrices with one extra row per existing station off the candidate set."""
        if not chosen.existing:
            return self.distances, self.must_cover
        extra = _rows([station.reach for station in chosen.existing], self.distances.shape[1])
        matrix = sp.csr_array(sp.vstack([self.distances, extra], format="csr"))
        must = self.must_cover
        if must is not None:
            must_extra = _rows([station.must for station in chosen.existing], must.shape[1])
            must = sp.csr_array(sp.vstack([must, must_extra], format="csr"))
        return matrix, must

    def _solver_rules(self, chosen: _Chosen) -> dict:
        """Combine the plan's site rules with the planner's decisions: kept sites fixed, rejected ones excluded."""
        n, k = len(self._ids), len(chosen.existing)
        extra = n + np.arange(k)
        fixed = np.union1d(np.union1d(self._rules["fixed"], chosen.fixed), extra)
        return {
            "district": np.concatenate([self._district, np.array([e.district for e in chosen.existing], dtype=object)]),
            "district_min": self._rules["district_min"],
            "conflicts": np.vstack([self._rules["conflicts"], self._conflicts_with(chosen.existing)]),
            "fixed": fixed,
            # A planner's acceptance overrides the plan's excluded ids.
            "excluded": np.setdiff1d(np.union1d(self._rules["excluded"], chosen.rejected), fixed),
            "city_level_min": self.params.city_level_min,
            "city_level_fixed": np.union1d(chosen.city_fixed, extra[chosen.existing_city]),
        }

    def _conflicts_with(self, existing: list[_Existing]) -> np.ndarray:
        """(candidate, extra row) pairs closer than the minimum spacing."""
        spacing = self.params.min_spacing_m
        if not existing or spacing <= 0 or self._site_tree is None:
            return np.zeros((0, 2), dtype=np.int64)
        near = self._site_tree.query_ball_point(np.array([e.xy for e in existing]), spacing * (1 - 1e-12))
        pairs = [(int(i), len(self._ids) + j) for j, rows in enumerate(near) for i in rows]
        return np.asarray(pairs, dtype=np.int64).reshape(-1, 2)

    def _new_city_level(self, result: SitingResult, new: np.ndarray, chosen: _Chosen) -> set[int]:
        """Pick the new proposals to designate city-level: the solver's choice, topped up if kept flags fall short."""
        wanted = self.params.city_level_min
        if not wanted or not len(new):
            return set()
        city = set(np.intersect1d(result.city_level, new).tolist())
        short = wanted - len(chosen.city_fixed) - int(chosen.existing_city.sum()) - len(city)
        for row in new[np.argsort(-self._site_value[new], kind="stable")].tolist():
            if short <= 0:
                break
            if row not in city:
                city.add(row)
                short -= 1
        return city

    def _remember(self, result: SitingResult) -> None:
        """Keep the solver's multipliers to warm-start the next bound (any multipliers give a valid bound)."""
        if result.multipliers is not None and len(result.multipliers) == len(self.points):
            self._multipliers = result.multipliers

    # --- output ----------------------------------------------------------------------------------------------------

    def _proposal_dicts(self, rows: np.ndarray, city: set[int]) -> list[dict]:
        rows = [int(row) for row in rows]
        rows.sort(key=lambda row: (row not in city, -self._site_value[row]))
        names = self.candidates.sites["name"].to_numpy()
        return [
            {
                "status": "proposed",
                "candidate_id": str(self._ids[row]),
                "lon": float(self._lonlat[row, 0]),
                "lat": float(self._lonlat[row, 1]),
                "city_level": row in city,
                "name": _clean(names[row]),
                "district": str(self._district[row]),
                "covered_workers": round(float(self._site_value[row]), 2),
            }
            for row in rows
        ]

    def _placed(self, row: int, distance: float) -> dict:
        sites = self.candidates.sites
        footprint = sites["footprint"].iloc[row]
        has_footprint = isinstance(footprint, shapely.Geometry) and not footprint.is_empty
        return {
            "candidate_id": str(self._ids[row]),
            "lon": float(self._lonlat[row, 0]),
            "lat": float(self._lonlat[row, 1]),
            "district": str(self._district[row]),
            "distance_m": round(distance, 1),
            "footprint": self._geometry_json(footprint) if has_footprint else None,
            "source": str(sites["source"].iloc[row]),
            "kind": _clean(sites["kind"].iloc[row]),
            "name": _clean(sites["name"].iloc[row]),
        }

    def _why_not_here(self, xy: np.ndarray, reach: float) -> str:
        """Planner-readable reason why no candidate spot lies within ``reach`` metres of ``xy``."""
        tail = ""
        if self._place_tree is not None:
            nearest = float(self._place_tree.query(xy)[0])
            tail = f" (the nearest candidate site is {nearest:.0f} m away)"
        if self._refused_tree is not None:
            distance, k = self._refused_tree.query(xy, distance_upper_bound=reach)
            if math.isfinite(distance):
                return _explain(str(self._refused_reason[k]), self.params.candidate_rules.min_area_m2) + tail
        street = int(self._street_tree.nearest(shapely.Point(xy)))
        gap = float(shapely.distance(self._street_tree.geometries[street], shapely.Point(xy)))
        if gap > reach:
            return f"no street within {reach:g} m{tail}"
        return (
            f"no candidate site within {reach:g} m: no spot along the nearest street ({self._street_class[street]}, "
            f"{gap:.0f} m away) was found with room for a station{tail}"
        )

    def _geometry_json(self, geometry: shapely.Geometry) -> dict:
        moved = shapely.transform(geometry, lambda xy: np.round(to_wgs84(self.area, xy), _LONLAT_DIGITS))
        return json.loads(shapely.to_geojson(moved))


def build_workspace(area: StudyArea, params: PlanParameters | None = None) -> Workspace:
    """Do what :func:`geoplan.plan.make_plan` does before the solve: demand, candidates, graph, coverage matrix.

    Parameters
    ----------
    area : StudyArea
    params : PlanParameters, optional
        Plan parameters; opening hours, phases and coverage targets are not supported by the review map.

    Returns
    -------
    Workspace

    Raises
    ------
    InputError
        Unsupported parameters, no candidate site, unknown excluded ids.
    """
    params = params or PlanParameters()
    unsupported = [
        name
        for name, asked in (
            ("hours_options", bool(params.hours_options)),
            ("phases", params.phases),
            ("target_coverage", params.target_coverage is not None),
        )
        if asked
    ]
    if unsupported:
        raise InputError(
            f"The review map plans a fixed number of stations without opening hours or phases; "
            f"unsupported parameter(s): {', '.join(unsupported)}."
        )
    demand, _ = build_demand(area, params.headcounts)
    candidates = build_candidates(area, params.candidate_rules)
    sites = candidates.sites
    if len(sites) == 0:
        raise InputError(f"Area {area.spec.name!r}: no candidate site passed the checks; see the refusal list.")
    unknown = sorted(set(params.excluded_ids) - set(sites["id"]))
    if unknown:
        raise InputError(f"Excluded site id(s) not found among the candidates: {', '.join(unknown[:10])}.")
    graph = network.street_graph(area.edges)
    site_spots = network.snap(graph, shapely.get_coordinates(sites.geometry.to_numpy()))
    points, point_of = _demand_points(demand, params)
    demand_spots = network.snap(graph, points[:, :2])
    distances = network.coverage(graph, site_spots, demand_spots, points[:, 2])
    must_cover = gap_spots = None
    if params.max_gap_m is not None:
        gap_spots = network.snap(graph, np.unique(points[:, :2], axis=0))
        must_cover = network.coverage(graph, site_spots, gap_spots, params.max_gap_m)
    return Workspace(
        area=area,
        params=params,
        stations=params.stations or default_stations(area, params),
        candidates=candidates,
        demand=demand,
        graph=graph,
        site_spots=site_spots,
        points=points,
        point_of=point_of,
        demand_spots=demand_spots,
        distances=distances,
        must_cover=must_cover,
        gap_spots=gap_spots,
    )


def workspace_for(area_name: str | None = None, params: Mapping[str, object] | None = None) -> Workspace:
    """Return the workspace of an area and parameters, built once per process (the last 4 are kept).

    Parameters
    ----------
    area_name : str or None
        A registered area name (None: the registry's default), as for :func:`geoplan.areas.resolve`.
    params : mapping, optional
        Plan parameters by :class:`~geoplan.plan.PlanParameters` field name; only those of
        :data:`WEB_PARAMETERS` are accepted. Equal values (``5`` and ``5.0``, a default given or left out) share
        one workspace.

    Returns
    -------
    Workspace
        The same object for the same area and parameters.

    Raises
    ------
    InputError
        Unknown parameter names (all of them are named), values of the wrong type or out of range.
    """
    canonical = json.dumps(_web_parameters(params), sort_keys=True)
    name = area_name if area_name is not None else load_registry()[1]
    with _BUILD_LOCK:
        return _cached_workspace(name, canonical)


def to_wgs84(area: StudyArea, xy: np.ndarray | Sequence) -> np.ndarray:
    """Convert (n, 2) coordinates in the area's CRS to WGS-84 lon/lat.

    Parameters
    ----------
    area : StudyArea
    xy : array-like
        (n, 2) x, y in ``area.crs``.

    Returns
    -------
    numpy.ndarray
        (n, 2) longitude, latitude in degrees.
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    lon, lat = _transformer(area.crs, True).transform(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])


def from_wgs84(area: StudyArea, lonlat: np.ndarray | Sequence) -> np.ndarray:
    """Convert (n, 2) WGS-84 lon/lat to coordinates in the area's CRS.

    Parameters
    ----------
    area : StudyArea
    lonlat : array-like
        (n, 2) longitude, latitude in degrees.

    Returns
    -------
    numpy.ndarray
        (n, 2) x, y in ``area.crs`` (metres).
    """
    lonlat = np.asarray(lonlat, dtype=float).reshape(-1, 2)
    x, y = _transformer(area.crs, False).transform(lonlat[:, 0], lonlat[:, 1])
    return np.column_stack([x, y])


_BUILD_LOCK = threading.Lock()


@functools.lru_cache(maxsize=4)
def _cached_workspace(area_name: str, params_json: str) -> Workspace:
    return build_workspace(study_area(area_name), PlanParameters(**json.loads(params_json)))


@functools.lru_cache(maxsize=2)
def study_area(area_name: str) -> StudyArea:
    """Load a registered study area once per process (shared by every workspace of that area)."""
    return load_area(resolve(area_name))


@functools.lru_cache(maxsize=8)
def _transformer(crs: pyproj.CRS, to_wgs: bool) -> pyproj.Transformer:
    source, target = (crs, settings.WGS84) if to_wgs else (settings.WGS84, crs)
    return pyproj.Transformer.from_crs(source, target, always_xy=True)


def _web_parameters(params: Mapping[str, object] | None) -> dict:
    """All of :data:`WEB_PARAMETERS` with defaults filled in, values checked and of their field's type."""
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        raise InputError(f"Plan parameters must be a mapping of names to values, got {type(params).__name__}.")
    unknown = sorted(str(key) for key in params if key not in WEB_PARAMETERS)
    if unknown:
        raise InputError(
            f"Unknown plan parameter(s): {', '.join(unknown)}; the review map accepts {', '.join(WEB_PARAMETERS)}."
        )
    defaults = PlanParameters()
    values = {name: getattr(defaults, name) for name in WEB_PARAMETERS}
    for key, value in params.items():
        values[key] = _coerce(key, value)
    PlanParameters(**values)  # range checks
    return values


def _coerce(key: str, value: object) -> int | float | None:
    if key == "stations" and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise InputError(f"Plan parameter {key!r} must be a number, got {value!r}.")
    if WEB_PARAMETERS[key] is int:
        if value != int(value):
            raise InputError(f"Plan parameter {key!r} must be a whole number, got {value!r}.")
        return int(value)
    return float(value)


def _rows(indices: list[np.ndarray], n_columns: int) -> sp.csr_array:
    """0/1 rows from the stored columns of each row."""
    counts = [len(row) for row in indices]
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    columns = np.concatenate(indices).astype(np.int64) if indices else np.zeros(0, dtype=np.int64)
    return sp.csr_array((np.ones(len(columns)), columns, indptr), shape=(len(indices), n_columns))


def _figures(total: float, covered: float) -> dict[str, float]:
    """Workers, covered workers and share, rounded as in :meth:`geoplan.plan.Plan.summary`."""
    return {
        "workers": round(total, 2),
        "covered": round(covered, 2),
        "share": round(covered / total, 4) if total else 0.0,
    }


def _result_dict(result: SitingResult) -> dict:
    return {
        "objective": round(float(result.objective), 4),
        "bound": round(float(result.bound), 4),
        "gap": float(result.gap),
        "status": str(result.status),
        "method": str(result.method),
        "seconds": round(float(result.seconds), 3),
    }


def _explain(reason: str, min_area_m2: float) -> str:
    """Planner-readable form of a refused spot's reason."""
    sides = list(dict.fromkeys(part.strip() for part in reason.split(" / ")))
    if all(side.startswith("overlaps ") for side in sides):
        things = [side.removeprefix("overlaps ") for side in sides]
        where = things[0] if len(things) == 1 else f"{things[0]} on one side of the street and {things[1]} on the other"
        return f"no room for a {min_area_m2:g} m² footprint here: the footprint would overlap {where}"
    return f"no station site here: {reason}"


def _clean(value: object) -> object:
    """JSON-ready scalar: None for missing values (None, NaN), Python types for numpy ones."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value
