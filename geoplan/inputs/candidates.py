"""Candidate station sites: on the street side (临街靠路), with room for the minimum floor area.

Three sources:

- **roadside**: points sampled along streets every ``spacing_m``, moved off the carriageway to the roadside; kept
  where a station footprint (default 3 m x 3 m = 9 m², aligned with the street) fits without touching a building,
  water or any carriageway, at most one per ``spacing_m`` grid cell. Road width comes from OSM ``width``, else
  ``lanes`` x 3.5 m, else :data:`DEFAULT_ROAD_WIDTH_M` for the road class.
- **host**: premises that commonly host stations (banks, fuel stations, post offices, convenience stores, public
  toilets, community centres, bus terminals, parks) within ``host_max_street_m`` of a street.
- **user**: a CSV of sites with their own floor area; sites below the minimum are refused.

Every refused site is kept with its reason, so planners can list refusals and their counts: ``reason_code`` (stable
codes of the catalog section ``refusal``, such as ``overlaps_building``; a roadside sample refused on both sides of
the street joins its two codes with ``/``), ``reason`` (English) and ``reason_zh`` (Chinese);
:func:`refusal_reasons` gives the one a person reads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan import i18n
from geoplan.data.areas import StudyArea, assign_district
from geoplan.data.geometry import merge_lines, one_per_segment, sample_lines, thin_points
from geoplan.data.readers import read_points, read_points_csv

#: Carriageway width (m) by OSM highway class when the way has neither ``width`` nor ``lanes``.
DEFAULT_ROAD_WIDTH_M: dict[str, float] = {
    "motorway": 25.0, "trunk": 20.0, "primary": 15.0, "secondary": 12.0, "tertiary": 9.0,
    "unclassified": 6.0, "residential": 6.0, "living_street": 5.0, "service": 4.0, "pedestrian": 4.0,
    "motorway_link": 7.0, "trunk_link": 7.0, "primary_link": 7.0, "secondary_link": 7.0, "tertiary_link": 7.0,
}  # fmt: skip

#: Road classes along which roadside sites are sampled (no motorways, ramps, alleys or paths).
FRONTAGE_CLASSES = frozenset(
    {
        "trunk",
        "primary",
        "secondary",
        "tertiary",
        "unclassified",
        "residential",
        "living_street",
        "pedestrian",
    }
)

#: Classes that carry vehicles: a footprint must not touch them.
CARRIAGEWAY_CLASSES = frozenset(DEFAULT_ROAD_WIDTH_M) - {"pedestrian"}

LANE_WIDTH_M = 3.5

#: Lines of further bad rows a message lists.
_MAX_LINES_LISTED = 10

#: Host premises by OSM tag (key -> values) and the Chinese/English kind shown to planners.
HOST_TAGS: dict[str, dict[str, str]] = {
    "amenity": {
        "bank": "银行网点 bank", "fuel": "加油站 fuel station", "post_office": "邮政网点 post office",
        "toilets": "公共厕所 public toilet", "community_centre": "社区服务中心 community centre",
        "bus_station": "公交场站 bus terminal", "townhall": "街道办事处 public office",
    },
    "shop": {"convenience": "便利店 convenience store", "supermarket": "超市 supermarket"},
    "leisure": {"park": "公园 park entrance"},
}  # fmt: skip

#: The column of a refused site's reason in each language (``reason_code`` is the same in both).
_REASONS = {"en": "reason", "zh": "reason_zh"}

#: Columns of :attr:`CandidateSet.refused`.
REFUSED_COLUMNS = ["source", "reason_code", "reason", "reason_zh", "geometry"]


@dataclass(frozen=True)
class CandidateRules:
    """Parameters of candidate generation.

    Attributes
    ----------
    min_area_m2 : float
        Minimum station floor area (Nanchang: 9 m²; other cities 5 or 12 m²).
    footprint_width_m, footprint_depth_m : float
        Footprint of a roadside station along / across the street; their product must reach ``min_area_m2``.
    spacing_m : float
        Distance between roadside samples along a street.
    setback_m : float
        Clear pavement kept between the kerb and the footprint.
    host_max_street_m : float
        A host premises counts as street-side within this distance of a street.
    """

    min_area_m2: float = 9.0
    footprint_width_m: float = 3.0
    footprint_depth_m: float = 3.0
    spacing_m: float = 50.0
    setback_m: float = 1.5
    host_max_street_m: float = 30.0

    def __post_init__(self) -> None:
        for name in (
            "min_area_m2",
            "footprint_width_m",
            "footprint_depth_m",
            "spacing_m",
            "host_max_street_m",
        ):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise i18n.input_error("rule_not_positive", name=name, value=value)
        if self.setback_m < 0:
            raise i18n.input_error("setback_negative", value=self.setback_m)
        if self.footprint_width_m * self.footprint_depth_m < self.min_area_m2 - 1e-9:
            raise i18n.input_error(
                "footprint_below_minimum", width=self.footprint_width_m, depth=self.footprint_depth_m,
                area=f"{self.footprint_width_m * self.footprint_depth_m:g}", min_area=f"{self.min_area_m2:g}",
            )  # fmt: skip


@dataclass(frozen=True)
class CandidateSet:
    """Accepted and refused candidate sites.

    Attributes
    ----------
    sites : geopandas.GeoDataFrame
        ``id``, ``source`` (roadside|host|user|fixed), ``kind``, ``name``, ``district``, ``footprint_m2``,
        ``capacity`` (people at once a planner's site or an existing station declares, else NaN), ``footprint``
        (polygon, roadside only) and point geometry, in the area's CRS.
    refused : geopandas.GeoDataFrame
        ``source``, ``reason_code``, ``reason`` (English), ``reason_zh`` (Chinese) and point geometry of every
        refused site.
    """

    sites: gpd.GeoDataFrame
    refused: gpd.GeoDataFrame

    def refusal_counts(self) -> dict[str, int]:
        """Count refused sites per reason, most frequent first."""
        return {str(k): int(v) for k, v in self.refused["reason"].value_counts().items()}


def build_candidates(
    area: StudyArea,
    rules: CandidateRules | None = None,
    user_sites: gpd.GeoDataFrame | None = None,
    fixed_sites: gpd.GeoDataFrame | None = None,
) -> CandidateSet:
    """Generate and check every candidate site of an area.

    Parameters
    ----------
    area : StudyArea
    rules : CandidateRules, optional
    user_sites : geopandas.GeoDataFrame, optional
        From :func:`read_sites` (``footprint_m2`` and ``name`` columns, ``capacity`` optional).
    fixed_sites : geopandas.GeoDataFrame, optional
        Existing stations (from :func:`read_sites`), always kept and always part of the plan.

    Returns
    -------
    CandidateSet
        Its sites' ``capacity`` is the people at once a planner's site or an existing station declares (NaN for
        every other site, and where none is given).
    """
    rules = rules or CandidateRules()
    parts = [roadside(area, rules), hosts(area, rules)]
    if user_sites is not None:
        parts.append(_user(area, rules, user_sites, "user"))
    if fixed_sites is not None:
        parts.append(_user(area, rules, fixed_sites, "fixed"))
    sites = pd.concat([p[0] for p in parts], ignore_index=True)
    refused = pd.concat([p[1] for p in parts], ignore_index=True)
    sites = gpd.GeoDataFrame(sites, geometry="geometry", crs=area.crs)
    sites["footprint_m2"] = sites["footprint_m2"].astype(float)  # empty parts concatenate as object
    sites["capacity"] = sites["capacity"].astype(float) if "capacity" in sites.columns else np.nan
    refused = gpd.GeoDataFrame(refused, geometry="geometry", crs=area.crs)
    if len(sites):
        sites["district"] = assign_district(sites, area.districts[area.districts["has_network"]])
        outside = ~sites.within(area.districts.union_all().buffer(1.0)) & sites["source"].ne("fixed")
        refused = pd.concat([refused, _refusals(sites[outside], "outside_districts")], ignore_index=True)
        sites = sites[~outside]
    prefix = {"roadside": "R", "host": "H", "user": "U", "fixed": "F"}
    sites = sites.reset_index(drop=True)
    # Roadside and host sites are numbered through (R00001.., then H00321..: what the area and the rules give,
    # as scenarios saved before stored them); the planner's own sites and existing stations are numbered per
    # source, so that adding either leaves every other id as it was.
    number = np.arange(1, len(sites) + 1)
    own = sites["source"].isin(["user", "fixed"]).to_numpy()
    number[own] = sites[own].groupby("source").cumcount().to_numpy() + 1
    sites["id"] = [f"{prefix[source]}{n:05d}" for source, n in zip(sites["source"], number, strict=True)]
    columns = ["id", "source", "kind", "name", "district", "footprint_m2", "capacity", "footprint", "geometry"]
    return CandidateSet(
        sites=gpd.GeoDataFrame(sites[columns], geometry="geometry", crs=area.crs),
        refused=gpd.GeoDataFrame(refused[REFUSED_COLUMNS], geometry="geometry", crs=area.crs),
    )


def road_width_m(edges: gpd.GeoDataFrame) -> np.ndarray:
    """Carriageway width (m) of each edge: OSM ``width``, else ``lanes`` x 3.5 m, else the class default."""
    default = edges["highway"].map(DEFAULT_ROAD_WIDTH_M).fillna(3.0).to_numpy(dtype=float)
    lanes = pd.to_numeric(edges["lanes"], errors="coerce").to_numpy(dtype=float) * LANE_WIDTH_M
    width = pd.to_numeric(edges["width"], errors="coerce").to_numpy(dtype=float)
    return np.where(np.isfinite(width) & (width > 0), width, np.where(np.isfinite(lanes) & (lanes > 0), lanes, default))


def roadside(area: StudyArea, rules: CandidateRules) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Roadside candidates of an area and the samples refused, with reasons."""
    edges = area.edges[area.edges["highway"].isin(FRONTAGE_CLASSES)]
    edges = one_per_segment(edges)
    if len(edges) == 0:
        return _empty(), _empty_refused()
    lines = merge_lines(edges.geometry.to_numpy())
    line_index, along = sample_lines(lines, rules.spacing_m, min_length_m=rules.footprint_width_m)
    lengths = shapely.length(lines)[line_index]
    centre = shapely.line_interpolate_point(lines[line_index], along)
    ahead = shapely.line_interpolate_point(lines[line_index], np.minimum(along + 1.0, lengths))
    behind = shapely.line_interpolate_point(lines[line_index], np.maximum(along - 1.0, 0.0))
    direction = shapely.get_coordinates(ahead) - shapely.get_coordinates(behind)
    direction /= np.maximum(np.linalg.norm(direction, axis=1, keepdims=True), 1e-9)
    normal = np.column_stack([-direction[:, 1], direction[:, 0]])
    # Merged chains lose the edges' attributes: take width and name from the edge under each sample.
    under = _nearest(edges.geometry.to_numpy(), centre)
    half_width = road_width_m(edges)[under] / 2.0
    names = edges["name"].to_numpy()[under]
    offset = half_width + rules.setback_m + rules.footprint_depth_m / 2.0
    obstacles = _obstacles(area)
    xy = shapely.get_coordinates(centre)
    best_xy = np.full_like(xy, np.nan)
    best_fp = np.full(len(xy), None, dtype=object)
    reasons = [np.full(len(xy), "", dtype=object) for _ in range(2)]
    for side_no, side in enumerate((1.0, -1.0)):
        site = xy + side * normal * offset[:, None]
        footprint = _rectangles(site, direction, rules.footprint_width_m, rules.footprint_depth_m)
        reason = _first_conflict(footprint, obstacles)
        reasons[side_no] = reason
        take = (reason == "") & np.isnan(best_xy[:, 0])
        best_xy[take] = site[take]
        best_fp[take] = footprint[take]
    ok = ~np.isnan(best_xy[:, 0])
    # Junction-to-junction chains shorter than the spacing each get a sample: in a dense grid that alone would
    # put samples closer than the spacing. Keep at most one accepted site per spacing x spacing cell.
    accepted = np.flatnonzero(ok)
    ok = np.zeros_like(ok)
    ok[accepted[thin_points(best_xy[accepted], rules.spacing_m)]] = True
    failed = np.isnan(best_xy[:, 0])
    sites = pd.DataFrame(
        {
            "source": "roadside",
            "kind": "路边驿站 roadside",
            "name": names[ok],
            "footprint_m2": rules.footprint_width_m * rules.footprint_depth_m,
            "footprint": best_fp[ok],
            "geometry": shapely.points(best_xy[ok]),
        }
    )
    why = np.where(reasons[0] == reasons[1], reasons[0], reasons[0] + "/" + reasons[1])
    refused = _refusals(gpd.GeoDataFrame(geometry=centre[failed]), why[failed], source="roadside")
    return sites, refused


def hosts(area: StudyArea, rules: CandidateRules) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Host-premises candidates (banks, fuel stations, shops, toilets, ...) and the ones refused."""
    pois = area.pois
    frames = []
    for key, kinds in HOST_TAGS.items():
        if key in pois.columns:
            match = pois[pois[key].isin(list(kinds))]
            frames.append(
                pd.DataFrame({"kind": match[key].map(kinds), "name": match.get("name"), "geometry": match.geometry})
            )
    candidates = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["kind", "name", "geometry"])
    streets = area.edges[area.edges["highway"].isin(FRONTAGE_CLASSES | CARRIAGEWAY_CLASSES)]
    if len(candidates) == 0 or len(streets) == 0:
        return _empty(), _empty_refused()
    geometry = candidates["geometry"].to_numpy()
    street_lines = streets.geometry.to_numpy()
    nearest = _nearest(street_lines, geometry)
    gap = shapely.distance(geometry, street_lines[nearest])
    # The station sits at the premises' point nearest the street (a park's gate, a building's front).
    location = shapely.get_point(shapely.shortest_line(geometry, street_lines[nearest]), 0)
    reason = np.where(gap > rules.host_max_street_m, "host_not_street_side", "")
    if len(area.buildings):
        is_point = shapely.get_type_id(geometry) == 0
        hit_point, hit_building = area.buildings.sindex.query(geometry, predicate="within")
        building_area = area.buildings.area.to_numpy()
        small = np.zeros(len(geometry), dtype=bool)
        small[hit_point] = building_area[hit_building] < rules.min_area_m2
        reason = np.where((reason == "") & small & is_point, "host_too_small", reason)
    ok = reason == ""
    sites = pd.DataFrame(
        {
            "source": "host",
            "kind": candidates["kind"].to_numpy()[ok],
            "name": candidates["name"].to_numpy()[ok],
            "footprint_m2": rules.min_area_m2,
            "footprint": None,
            "geometry": location[ok],
        }
    )
    refused = _refusals(gpd.GeoDataFrame(geometry=location[~ok]), reason[~ok], source="host",
                        max_m=f"{rules.host_max_street_m:g}", min_area=f"{rules.min_area_m2:g}")  # fmt: skip
    return sites, refused


def read_sites(
    path, crs: str = "wgs84", default_footprint_m2: float | None = None, *, shown: str | None = None
) -> gpd.GeoDataFrame:
    """Read a CSV of sites (candidates or existing stations): ``lon,lat[,footprint_m2][,capacity][,name]``.

    Parameters
    ----------
    path : path-like
        CSV file.
    crs : {"wgs84", "gcj02", "bd09"}
        Coordinate system of the file.
    default_footprint_m2 : float, optional
        Floor area of rows without ``footprint_m2``; without it the column is required.
    shown : str, optional
        Name of the file in messages.

    Returns
    -------
    geopandas.GeoDataFrame
        ``name``, ``footprint_m2``, ``capacity`` (people the station seats at once, as the file gives it: a positive
        whole number, NaN where the column or the cell is empty), ``csv_line`` (each row's line in the file) and
        point geometry in WGS-84.

    Raises
    ------
    InputError
        Malformed rows; ``footprint_m2`` missing (without a default) or not positive (``footprint_not_positive``);
        a ``capacity`` that is not a positive whole number (``capacity_not_whole``, naming the first such row's
        line and value).
    """
    frame = read_points_csv(path, crs=crs, weight=None, shown=shown)
    if "footprint_m2" not in frame.columns:
        if default_footprint_m2 is None:
            raise i18n.input_error("footprint_column_required", file=str(shown or path))
        frame["footprint_m2"] = default_footprint_m2
    area = pd.to_numeric(frame["footprint_m2"], errors="coerce")
    bad = np.flatnonzero(area.isna().to_numpy() | (area.to_numpy() <= 0))
    if len(bad):
        lines = ", ".join(str(line) for line in frame["csv_line"].to_numpy()[bad[:10]])
        raise i18n.input_error("footprint_not_positive", file=str(shown or path), lines=lines)
    frame["footprint_m2"] = area.astype(float)
    frame["capacity"] = _capacities(frame, str(shown or path))
    if "name" not in frame.columns:
        frame["name"] = None
    out = frame[["name", "footprint_m2", "capacity", "csv_line", "geometry"]]
    out.attrs["source"] = shown or Path(path).name
    return out


def capacity_value(value: object) -> int | None:
    """Read the people a station seats at once (its declared ``capacity``) from a file's cell or a site dict.

    The one rule for a declared capacity, wherever it comes from (``--existing``/``--sites`` files, the review map's
    imported stations, a station's details): a positive whole number, written as a number or as text.

    Parameters
    ----------
    value : object
        A number, a text, or an empty value (None, NaN, blank text).

    Returns
    -------
    int or None
        The capacity, None for an empty value.

    Raises
    ------
    ValueError
        Anything else (zero, negative, fractional, not a number, true/false); the caller names where it was.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool | np.bool_):
        raise ValueError(f"capacity {value!r} is no whole number")
    text = str(value).strip()
    if not text:
        return None
    number = float(text)  # raises ValueError for what is no number
    if not (math.isfinite(number) and number > 0 and number.is_integer()):
        raise ValueError(f"capacity {value!r} is no positive whole number")
    return int(number)


def _capacities(frame: pd.DataFrame, file: str) -> np.ndarray:
    """People at once in each row's optional ``capacity`` cell (NaN: none), refusing what is no whole number > 0.

    Rows are named by their ``csv_line`` (code ``capacity_not_whole``), features of a GeoJSON/GeoPackage (no
    ``csv_line``) by their position (code ``feature_capacity_not_whole``).
    """
    if "capacity" not in frame.columns:
        return np.full(len(frame), np.nan)
    out = np.full(len(frame), np.nan)
    lines = frame["csv_line"].to_numpy() if "csv_line" in frame.columns else np.arange(1, len(frame) + 1)
    bad = []
    for k, cell in enumerate(frame["capacity"].to_numpy(dtype=object)):
        try:
            people = capacity_value(cell)
        except ValueError:
            bad.append((int(lines[k]), str(cell).strip()))
            continue
        if people is not None:
            out[k] = people
    if bad:
        (line, value), rest = bad[0], [str(other) for other, _ in bad[1:_MAX_LINES_LISTED]]
        if "csv_line" not in frame.columns:
            more = f" (also feature(s) {', '.join(rest)})" if rest else ""
            more_zh = f"（另有第 {'、'.join(rest)} 个要素）" if rest else ""
            raise i18n.input_error("feature_capacity_not_whole", file=file, number=line, value=value, more=more,
                                   more_zh=more_zh)  # fmt: skip
        more = f" (also line(s) {', '.join(rest)})" if rest else ""
        more_zh = f"（另有第 {'、'.join(rest)} 行）" if rest else ""
        raise i18n.input_error("capacity_not_whole", file=file, line=line, value=value, more=more, more_zh=more_zh)
    return out


def read_stations(path, crs: str = "wgs84", *, shown: str | None = None) -> gpd.GeoDataFrame:
    """Read existing stations from a CSV (``lon,lat[,capacity][,name]``) or a GeoJSON/GeoPackage of points.

    Parameters
    ----------
    path : path-like
    crs : {"wgs84", "gcj02", "bd09"}
        Coordinate system of the file (Amap and Tencent use GCJ-02, Baidu BD-09).
    shown : str, optional
        Name of the file in messages.

    Returns
    -------
    geopandas.GeoDataFrame
        ``name`` (None where missing), ``capacity`` (people the station seats at once, as :func:`read_sites` reads
        it: a positive whole number, NaN where the column, property or cell is empty), ``csv_line`` (a CSV row's
        line in the file; GeoJSON has none) and point geometry in WGS-84.

    Raises
    ------
    InputError
        Malformed rows or features; a ``capacity`` that is not a positive whole number (``capacity_not_whole``
        naming the CSV line, ``feature_capacity_not_whole`` the feature).
    """
    frame = read_points(path, crs=crs, weight=None, shown=shown)
    if "name" not in frame.columns:
        frame["name"] = None
    names = frame["name"].astype(object)
    frame["name"] = names.where(names.notna() & names.astype(str).str.strip().ne(""), None)
    frame["capacity"] = _capacities(frame, str(shown or path))
    out = frame[["name", "capacity", *(["csv_line"] if "csv_line" in frame.columns else []), "geometry"]]
    out.attrs["source"] = shown or Path(path).name
    return out


def _user(area: StudyArea, rules: CandidateRules, sites: gpd.GeoDataFrame, source: str):
    sites = sites.to_crs(area.crs)
    small = sites["footprint_m2"].to_numpy() < rules.min_area_m2 - 1e-9
    if source == "fixed":
        small[:] = False  # existing stations are kept whatever their size
    kind = {"user": "用户提供 user site", "fixed": "现有驿站 existing station"}[source]
    kept = pd.DataFrame(
        {
            "source": source,
            "kind": kind,
            "name": sites["name"].to_numpy()[~small],
            "footprint_m2": sites["footprint_m2"].to_numpy()[~small],
            "capacity": _given_capacity(sites)[~small],
            "footprint": None,
            "geometry": sites.geometry.to_numpy()[~small],
        }
    )
    areas = [{"area": f"{a:g}", "min_area": f"{rules.min_area_m2:g}"} for a in sites["footprint_m2"][small]]
    texts = {lang: [i18n.text("refusal", "floor_area_too_small", lang, **one) for one in areas] for lang in _REASONS}
    return kept, _refusals(sites[small], "floor_area_too_small", source=source, texts=texts)


def _given_capacity(sites: pd.DataFrame) -> np.ndarray:
    """People at once each site declares (its ``capacity``), NaN where none."""
    if "capacity" not in sites.columns:
        return np.full(len(sites), np.nan)
    return pd.to_numeric(sites["capacity"], errors="coerce").to_numpy(dtype=float)


def _nearest(lines: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Index of the nearest line to each point."""
    index = shapely.STRtree(lines).query_nearest(points, all_matches=False)
    nearest = np.empty(len(points), dtype=np.int64)
    nearest[index[0]] = index[1]
    return nearest


def _obstacles(area: StudyArea) -> list[tuple[str, shapely.STRtree | None]]:
    roads = area.edges[area.edges["highway"].isin(CARRIAGEWAY_CLASSES)]
    # Round caps: OSM splits roads at every node, and flat caps would leave wedge-shaped gaps at every bend.
    carriageway = shapely.buffer(roads.geometry.to_numpy(), road_width_m(roads) / 2.0)
    layers = [
        ("overlaps_carriageway", carriageway),
        ("overlaps_building", area.buildings.geometry.to_numpy()),
        ("overlaps_water", area.water.geometry.to_numpy()),
    ]
    return [(reason, shapely.STRtree(geoms) if len(geoms) else None) for reason, geoms in layers]


def _first_conflict(footprints: np.ndarray, obstacles) -> np.ndarray:
    reason = np.full(len(footprints), "", dtype=object)
    for label, tree in obstacles:
        if tree is None:
            continue
        hits = np.unique(tree.query(footprints, predicate="intersects")[0])
        fresh = hits[reason[hits] == ""]
        reason[fresh] = label
    return reason


def _rectangles(centre: np.ndarray, direction: np.ndarray, width: float, depth: float) -> np.ndarray:
    """Rectangles centred on ``centre``, ``width`` along ``direction`` and ``depth`` across it."""
    along = direction * (width / 2.0)
    across = np.column_stack([-direction[:, 1], direction[:, 0]]) * (depth / 2.0)
    corners = np.stack(
        [centre - along - across, centre + along - across, centre + along + across, centre - along + across],
        axis=1,
    )
    return shapely.polygons(corners)


def refusal_reasons(refused: pd.DataFrame, lang: str = "zh") -> pd.Series:
    """Return why each refused site was refused, as a person reads it in ``lang`` (``zh`` or ``en``).

    Parameters
    ----------
    refused : pandas.DataFrame
        :attr:`CandidateSet.refused` (or rows of it).
    lang : str

    Returns
    -------
    pandas.Series
        ``reason_zh`` in Chinese, ``reason`` (English) otherwise.
    """
    return refused[_REASONS.get(lang, "reason")]


def refusal_text(code: str, lang: str = "zh", **params: object) -> str:
    """Return the text of a refusal code in ``lang``.

    Two codes joined by ``/`` (a roadside sample refused on both sides of the street) give both texts, joined by
    `` / ``.

    Parameters
    ----------
    code : str
        A ``reason_code`` (keys of the catalog section ``refusal``).
    lang : str
    **params
        Placeholders (``max_m``, ``min_area``, ``area``) of the texts that have them.
    """
    return " / ".join(i18n.text("refusal", part, lang, **params) for part in code.split("/"))


def _refusals(frame, code, source=None, texts=None, **params) -> pd.DataFrame:
    """Return the refused spots of ``frame``: ``source``, ``reason_code`` and the reason in each language.

    ``code`` is one code for every row or one per row; the reasons are ``texts`` (by language) when given, else
    rendered from the codes and ``params``.
    """
    out = pd.DataFrame({"geometry": np.asarray(frame.geometry.to_numpy(), dtype=object)})
    out["source"] = source if source is not None else frame["source"].to_numpy()
    codes = np.asarray(code, dtype=object)
    codes = np.full(len(out), code, dtype=object) if codes.ndim == 0 else codes
    out["reason_code"] = codes
    for lang, column in _REASONS.items():
        if texts is not None:
            out[column] = np.asarray(texts[lang], dtype=object)
        else:
            rendered = {one: refusal_text(one, lang, **params) for one in dict.fromkeys(codes.tolist())}
            out[column] = [rendered[one] for one in codes.tolist()]
    return out


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=["source", "kind", "name", "footprint_m2", "footprint", "geometry"])


def _empty_refused() -> pd.DataFrame:
    return pd.DataFrame(columns=REFUSED_COLUMNS)
