"""Where outdoor workers are: one demand layer per worker group, derived from OSM or uploaded by users.

Each group's layer is a set of points with ``weight`` = workers. Derived layers spread a group's headcount over
OSM features by a documented rule (see :data:`WORKER_GROUPS` and ``docs/demand.md``); the headcount defaults to a
density per km² of the study area, and a user can give their own (``--headcount couriers=1200``). A user file
(CSV ``lon,lat,weight[,group]`` or GeoJSON) adds a group or replaces a derived one; its weights are taken as
headcounts as they are.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan import i18n
from geoplan.data.areas import STREET_SAMPLE_M, StudyArea, assign_district
from geoplan.data.geometry import one_per_segment
from geoplan.data.readers import read_points

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerGroup:
    """An outdoor-worker group and its defaults.

    Attributes
    ----------
    key : str
        Identifier used in files and on the command line (one of :data:`geoplan.vocabulary.WORKER_GROUP_KEYS`);
        its display names are in :mod:`geoplan.i18n` (:attr:`name_zh`, :attr:`name_en`).
    density_per_km2 : float
        Default workers on duty per km² of study area (reasoning in ``docs/demand.md``).
    mode : {"walk", "ride"}
        How the group reaches a station.
    cutoff_m : float
        Default service cutoff along the network, in metres.
    rule : str
        How the layer is derived from OSM.
    shifts : tuple of (str, float)
        Daily shift windows and the share of the group working each (used when opening hours are modelled).
    """

    key: str
    density_per_km2: float
    mode: str
    cutoff_m: float
    rule: str
    shifts: tuple[tuple[str, float], ...] = (("08:00-18:00", 1.0),)

    @property
    def name_zh(self) -> str:
        """Chinese display name."""
        return i18n.group_name(self.key, "zh")

    @property
    def name_en(self) -> str:
        """English display name."""
        return i18n.group_name(self.key, "en")


#: The 15-minute service circle of the national union federation: a station within 1 km on foot.
WALK_CUTOFF_M = 1000.0

#: Riders on e-bikes: about 8 minutes at 15 km/h.
RIDE_CUTOFF_M = 2000.0

WORKER_GROUPS: dict[str, WorkerGroup] = {
    group.key: group
    for group in (
        WorkerGroup(
            "sanitation",
            40.0,
            "walk",
            WALK_CUTOFF_M,
            "street length weighted by road class (primary 3, secondary 2.5, tertiary 2, residential 1, "
            "pedestrian 1.5, service 0.5, footway/path 0.3), sampled every 100 m",
            (("03:30-11:30", 0.7), ("13:00-19:00", 0.3)),
        ),
        WorkerGroup(
            "traffic_police",
            5.0,
            "walk",
            WALK_CUTOFF_M,
            "signalised junctions (OSM highway=traffic_signals or a signalized node flag), weight 2 on major "
            "roads and 1 elsewhere; else junctions of three or more major roads",
            (("07:00-19:00", 0.8), ("19:00-07:00", 0.2)),
        ),
        WorkerGroup(
            "bus_drivers",
            10.0,
            "walk",
            WALK_CUTOFF_M,
            "bus terminals (amenity=bus_station, weight 15) and stops (highway=bus_stop, weight 1); else rail and "
            "metro stations (weight 5) as interchange hubs; else major-road length",
            (("05:30-14:00", 0.5), ("13:30-22:30", 0.5)),
        ),
        WorkerGroup(
            "taxi_drivers",
            15.0,
            "walk",
            WALK_CUTOFF_M,
            "taxi ranks (amenity=taxi, weight 5) and rail/metro stations (weight 3); else major-road length",
            (("06:00-18:00", 0.5), ("18:00-06:00", 0.5)),
        ),
        WorkerGroup(
            "couriers",
            60.0,
            "ride",
            RIDE_CUTOFF_M,
            "restaurants, fast food and cafés (weight 3), shops (1), residential buildings (1 per 500 m² of "
            "footprint) and residential land use (1 per 2,000 m²); else road length",
            (("10:30-13:30", 0.35), ("16:30-19:30", 0.35), ("21:00-01:00", 0.3)),
        ),
        WorkerGroup(
            "urban_management",
            8.0,
            "walk",
            WALK_CUTOFF_M,
            "markets (weight 5), squares (3), stations (2), shops (0.3) and pedestrian streets (1 per 100 m); "
            "else road length",
            (("08:00-17:30", 1.0),),
        ),
        WorkerGroup(
            "repair_crews",
            5.0,
            "walk",
            WALK_CUTOFF_M,
            "length of primary, secondary and tertiary roads (1 per 100 m) and signalised junctions (0.5); else "
            "all road length",
            (("08:00-17:00", 0.7), ("22:00-06:00", 0.3)),
        ),
    )
}

#: Sanitation's weight per metre of street by OSM highway class.
SWEEPING_WEIGHT = {
    "trunk": 3.0, "primary": 3.0, "secondary": 2.5, "tertiary": 2.0, "unclassified": 1.0, "residential": 1.0,
    "living_street": 1.0, "pedestrian": 1.5, "service": 0.5, "footway": 0.3, "path": 0.3, "cycleway": 0.3,
}  # fmt: skip

MAJOR_ROADS = frozenset({"trunk", "primary", "secondary", "tertiary"})

#: Spacing (metres) of points that stand for demand spread along streets (see StudyArea.street_samples).
LINE_SAMPLE_M = STREET_SAMPLE_M


def default_headcounts(area: StudyArea) -> dict[str, float]:
    """Headcount per worker group for an area: density per km² times the area's extent.

    Parameters
    ----------
    area : StudyArea

    Returns
    -------
    dict of str to float
        Workers on duty per group, rounded to whole workers (at least 1).
    """
    return {key: max(1.0, round(group.density_per_km2 * area.area_km2)) for key, group in WORKER_GROUPS.items()}


def build_demand(
    area: StudyArea,
    headcounts: Mapping[str, float] | None = None,
    layers: list[gpd.GeoDataFrame] | None = None,
) -> tuple[gpd.GeoDataFrame, dict[str, str]]:
    """Build all demand layers of an area.

    Parameters
    ----------
    area : StudyArea
    headcounts : mapping of str to float, optional
        Workers per group, overriding :func:`default_headcounts`; unknown group keys are refused.
    layers : list of geopandas.GeoDataFrame, optional
        User layers from :func:`read_layer`; a layer's groups replace the derived ones of the same name.

    Returns
    -------
    demand : geopandas.GeoDataFrame
        ``group``, ``weight`` (workers), ``district`` and point geometry in the area's CRS.
    rules : dict of str to str
        For every group, the rule or file its layer came from.
    """
    counts = default_headcounts(area)
    for key, value in (headcounts or {}).items():
        if key not in WORKER_GROUPS:
            raise i18n.input_error("unknown_headcount_group", group=key, groups=", ".join(WORKER_GROUPS))
        if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
            raise i18n.input_error("headcount_negative", group=key, group_zh=i18n.group_name(key, "zh"), value=value)
        counts[key] = float(value)
    user = [layer.to_crs(area.crs) for layer in layers or []]
    replaced = {group for layer in user for group in layer["group"].unique()}
    frames, rules = [], {}
    for key in WORKER_GROUPS:
        if key in replaced or counts[key] == 0:
            continue
        points, rule = _derive(area, key)
        points["weight"] = points["raw"] * (counts[key] / points["raw"].sum())
        points["group"] = key
        frames.append(points[["group", "weight", "geometry"]])
        rules[key] = rule
    for layer in user:
        inside = layer.within(area.boundary.buffer(LINE_SAMPLE_M))
        if not inside.any():
            source = layer.attrs.get("source")
            raise i18n.input_error("layer_outside_area", count=len(layer), layer=source or "the uploaded layer",
                                   layer_zh=source or "上传的图层", area=area.spec.name)  # fmt: skip
        frames.append(layer.loc[inside, ["group", "weight", "geometry"]])
        for group in layer["group"].unique():
            rules[group] = f"user layer {layer.attrs.get('source', '')}".strip()
    if not frames:
        raise i18n.input_error("no_workers")
    demand = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=area.crs)
    demand = demand[demand["weight"] > 0].reset_index(drop=True)
    demand["district"] = assign_district(demand, area.districts)
    return demand, rules


def read_layer(
    path: Path | str, crs: str = "wgs84", group: str | None = None, *, shown: str | None = None
) -> gpd.GeoDataFrame:
    """Read a user demand layer (CSV or GeoJSON) into WGS-84.

    Parameters
    ----------
    path : pathlib.Path
        CSV with header ``lon,lat,weight[,group]`` or GeoJSON points with ``weight`` (and optional ``group``)
        properties.
    crs : {"wgs84", "gcj02", "bd09"}
        Coordinate system of the file.
    group : str, optional
        Group of every row; required when the file has no ``group`` column.
    shown : str, optional
        Name of the file in messages and in ``attrs["source"]`` (an upload's own name).

    Returns
    -------
    geopandas.GeoDataFrame
        ``group``, ``weight`` and point geometry in WGS-84; ``attrs["source"]`` names the file.

    Raises
    ------
    InputError
        Missing file, missing columns, or malformed rows (each listed with its line number).
    """
    path = Path(path)
    frame = read_points(path, crs, shown=shown)
    if group is not None:
        frame["group"] = group
    if (
        "group" not in frame.columns
        or frame["group"].isna().any()
        or frame["group"].astype(str).str.strip().eq("").any()
    ):
        raise i18n.input_error("layer_needs_group", file=str(shown or path), groups=", ".join(WORKER_GROUPS))
    frame["group"] = frame["group"].astype(str).str.strip()
    frame.attrs["source"] = shown or path.name
    return frame[["group", "weight", "geometry"]]


# --- derivation rules -------------------------------------------------------------------------------------------


def _derive(area: StudyArea, key: str) -> tuple[gpd.GeoDataFrame, str]:
    """Raw-weighted points of one group, and the rule that made them (the first rule with any feature)."""
    for rule, build in _RULES[key]:
        points = build(area)
        if len(points) and points["raw"].sum() > 0:
            return points, rule
    raise i18n.input_error("no_street_for_group", area=area.spec.name, group=key,  # pragma: no cover
                           group_zh=i18n.group_name(key, "zh"))


def _frame(area: StudyArea, geometry, raw) -> gpd.GeoDataFrame:
    geometry = np.asarray(geometry, dtype=object)
    raw = np.broadcast_to(np.asarray(raw, dtype=float), (len(geometry),))
    frame = gpd.GeoDataFrame({"raw": raw}, geometry=shapely.centroid(geometry), crs=area.crs)
    return frame[frame.within(area.boundary.buffer(LINE_SAMPLE_M))]


def _concat(area: StudyArea, *frames: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return _frame(area, [], [])
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=area.crs)


def _along_streets(area: StudyArea, weights: Mapping[str, float], default: float = 0.0) -> gpd.GeoDataFrame:
    """Weight the area's street samples: raw weight = represented length (m) x the class weight of their street."""
    samples = area.street_samples
    per_metre = samples["highway"].map(weights).fillna(default).to_numpy(dtype=float)
    keep = per_metre > 0
    return _frame(area, samples.geometry.to_numpy()[keep], samples["length_m"].to_numpy()[keep] * per_metre[keep])


def _pois(area: StudyArea, key: str, values: Callable[[pd.Series], pd.Series] | None = None) -> gpd.GeoDataFrame:
    if key not in area.pois.columns:
        return area.pois.iloc[:0]
    column = area.pois[key]
    mask = column.notna() if values is None else values(column)
    return area.pois[mask.fillna(False).astype(bool)]


def _is(*names: str) -> Callable[[pd.Series], pd.Series]:
    return lambda column: column.isin(names)


def _signals(area: StudyArea) -> gpd.GeoDataFrame:
    nodes = area.nodes
    flagged = nodes[nodes["signalized"].astype(str).isin(["1", "True", "true"])] if "signalized" in nodes else None
    geometry = flagged.geometry.values if flagged is not None and len(flagged) else None
    if geometry is None:
        geometry = _pois(area, "highway", _is("traffic_signals")).geometry.values
    if len(geometry) == 0:
        return _frame(area, [], [])
    major = one_per_segment(area.edges)
    major = major[major["highway"].isin(MAJOR_ROADS)]
    on_major = np.zeros(len(geometry), dtype=bool)
    if len(major):
        hits = major.sindex.query(geometry, predicate="dwithin", distance=20.0)
        on_major[np.unique(hits[0])] = True
    return _frame(area, geometry, np.where(on_major, 2.0, 1.0))


def _major_junctions(area: StudyArea) -> gpd.GeoDataFrame:
    major = one_per_segment(area.edges)
    major = major[major["highway"].isin(MAJOR_ROADS)]
    degree = pd.concat([major["u"], major["v"]]).value_counts()
    junctions = degree.index[degree >= 3]
    return _frame(area, area.nodes.loc[area.nodes.index.intersection(junctions)].geometry.values, 1.0)


def _stations(area: StudyArea, weight: float) -> gpd.GeoDataFrame:
    rail = _pois(area, "railway", _is("station", "halt"))
    transit = _pois(area, "public_transport", _is("station"))
    both = pd.concat([rail.geometry, transit.geometry]).drop_duplicates()
    return _frame(area, both.values, weight)


def _buildings(area: StudyArea, per_m2: float) -> gpd.GeoDataFrame:
    b = area.buildings
    if len(b) == 0 or "building" not in b.columns:
        return _frame(area, [], [])
    homes = b[b["building"].isin(["residential", "apartments", "house", "dormitory", "terrace"])]
    return _frame(area, homes.geometry.values, homes.area.to_numpy() * per_m2)


def _residential_landuse(area: StudyArea) -> gpd.GeoDataFrame:
    lu = area.landuse
    if len(lu) == 0 or "landuse" not in lu.columns:
        return _frame(area, [], [])
    homes = lu[lu["landuse"] == "residential"]
    return _frame(area, homes.geometry.values, homes.area.to_numpy() / 2000.0)


def _pedestrian_streets(area: StudyArea) -> gpd.GeoDataFrame:
    return _along_streets(area, {"pedestrian": 1.0 / LINE_SAMPLE_M})


_EATERIES = ("restaurant", "fast_food", "cafe", "food_court")
_ALL_ROADS = dict.fromkeys(SWEEPING_WEIGHT, 1.0)
_MAJOR_LENGTH = dict.fromkeys(MAJOR_ROADS, 1.0 / LINE_SAMPLE_M)

_RULES: dict[str, list[tuple[str, Callable[[StudyArea], gpd.GeoDataFrame]]]] = {
    "sanitation": [
        (WORKER_GROUPS["sanitation"].rule, lambda a: _along_streets(a, SWEEPING_WEIGHT, default=1.0)),
    ],
    "traffic_police": [
        ("signalised junctions, weight 2 on major roads, 1 elsewhere", _signals),
        ("junctions of three or more major roads (no signals mapped)", _major_junctions),
        ("major-road length (no junction data)", lambda a: _along_streets(a, _MAJOR_LENGTH)),
        ("road length (no road classes)", lambda a: _along_streets(a, _ALL_ROADS, default=1.0)),
    ],
    "bus_drivers": [
        (
            "bus terminals (weight 15) and stops (weight 1)",
            lambda a: _concat(
                a,
                _frame(a, _pois(a, "amenity", _is("bus_station")).geometry.values, 15.0),
                _frame(a, _pois(a, "highway", _is("bus_stop")).geometry.values, 1.0),
            ),
        ),
        ("rail and metro stations as interchange hubs (no bus stops mapped)", lambda a: _stations(a, 5.0)),
        ("major-road length (no bus or rail data)", lambda a: _along_streets(a, _MAJOR_LENGTH)),
        ("road length (no road classes)", lambda a: _along_streets(a, _ALL_ROADS, default=1.0)),
    ],
    "taxi_drivers": [
        (
            "taxi ranks (weight 5) and rail/metro stations (weight 3)",
            lambda a: _concat(a, _frame(a, _pois(a, "amenity", _is("taxi")).geometry.values, 5.0), _stations(a, 3.0)),
        ),
        ("major-road length (no taxi ranks or stations)", lambda a: _along_streets(a, _MAJOR_LENGTH)),
        ("road length (no road classes)", lambda a: _along_streets(a, _ALL_ROADS, default=1.0)),
    ],
    "couriers": [
        (
            "eateries (weight 3), shops (1), residential buildings (1 per 500 m²) and land use (1 per 2,000 m²)",
            lambda a: _concat(
                a,
                _frame(a, _pois(a, "amenity", _is(*_EATERIES)).geometry.values, 3.0),
                _frame(a, _pois(a, "shop").geometry.values, 1.0),
                _buildings(a, 1.0 / 500.0),
                _residential_landuse(a),
            ),
        ),
        ("road length (no shops, eateries or housing mapped)", lambda a: _along_streets(a, _ALL_ROADS, 1.0)),
    ],
    "urban_management": [
        (
            "markets (5), squares (3), stations (2), shops (0.3), pedestrian streets (1 per 100 m)",
            lambda a: _concat(
                a,
                _frame(a, _pois(a, "amenity", _is("marketplace")).geometry.values, 5.0),
                _frame(a, a.places[a.places["place"] == "square"].geometry.values, 3.0)
                if len(a.places)
                else _frame(a, [], []),
                _stations(a, 2.0),
                _frame(a, _pois(a, "shop").geometry.values, 0.3),
                _pedestrian_streets(a),
            ),
        ),
        ("road length (no markets, squares or shops mapped)", lambda a: _along_streets(a, _ALL_ROADS, 1.0)),
    ],
    "repair_crews": [
        (
            "major-road length (1 per 100 m) and signalised junctions (0.5)",
            lambda a: _concat(a, _along_streets(a, _MAJOR_LENGTH), _scaled(_signals(a), 0.25)),
        ),
        ("road length (no road classes)", lambda a: _along_streets(a, _ALL_ROADS, default=1.0)),
    ],
}


def _scaled(frame: gpd.GeoDataFrame, factor: float) -> gpd.GeoDataFrame:
    frame = frame.copy()
    frame["raw"] = frame["raw"] * factor
    return frame
