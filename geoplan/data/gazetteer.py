"""Place names of a study area, searched offline: streets, POIs, metro stations and districts.

A worker looking for a rest station types a landmark ("南昌火车站", a metro station, a street) rather than a
station's own name. :func:`build` makes the area's gazetteer once from its own data: the street network's edge
``name`` (one point per street, on the street), the POI layer (banks, shops, bus stops..., and the extra point
layers of ``areas.toml``, such as Nanchang's metro stations), and the district names (a point on the network
inside each district). :func:`search` finds partial names: exact beats prefix beats substring beats "the typed
characters in order" (``南昌站`` finds ``南昌火车站`` and ``南昌西站``), then the kind of place (:data:`KINDS`), then
shorter names. Latin names and pinyin (``name:en``, ``pinyin`` where the data carries them) match case-insensitively.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan.crs import to_wgs84
from geoplan.data.areas import StudyArea, assign_district

__all__ = ["KINDS", "MATCHES", "Gazetteer", "Place", "build", "fold", "search"]

#: Kinds of place, in the order a search ranks them at equal match.
KINDS = ("metro", "rail", "district", "street", "stop", "bank", "shop", "poi")

#: How a name matched a query, best first.
MATCHES = ("exact", "prefix", "substring", "characters")

#: Columns of the POI layer read as other names of a place (Latin names, pinyin), when the data has them.
_OTHER_NAMES = ("name:en", "name:zh-Latn-pinyin", "pinyin", "name:zh", "alt_name", "official_name")

#: Suffixes a person adds to a station's name that the data may leave out ("八一广场站", "八一广场地铁站").
_STATION_SUFFIXES = ("地铁站", "站", "station")

_SEPARATORS = re.compile(r"[\s·・,，、()（）\-_/.。'’\"]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class Place:
    """A place a search found.

    Attributes
    ----------
    name : str
        Its name as the data gives it.
    kind : str
        One of :data:`KINDS`.
    lon, lat : float
        A point on or at the place, WGS-84 degrees.
    district : str or None
        The district it lies in.
    other_name : str or None
        Its Latin or pinyin name, when the data has one.
    match : str
        How the query matched (:data:`MATCHES`).
    """

    name: str
    kind: str
    lon: float
    lat: float
    district: str | None
    other_name: str | None
    match: str


@dataclass(frozen=True)
class Gazetteer:
    """An area's place names, ready to search (build with :func:`build`).

    Attributes
    ----------
    area : str
        The area's registry name.
    names : tuple of str
        Each place's name.
    other_names : tuple of (str or None)
        Each place's Latin or pinyin name.
    kinds : tuple of str
        Each place's kind (:data:`KINDS`).
    districts : tuple of (str or None)
        Each place's district.
    keys : tuple of tuple of str
        The folded forms (:func:`fold`) a query is matched against, per place.
    lonlat : numpy.ndarray
        (n, 2) WGS-84 positions.
    """

    area: str
    names: tuple[str, ...]
    other_names: tuple[str | None, ...]
    kinds: tuple[str, ...]
    districts: tuple[str | None, ...]
    keys: tuple[tuple[str, ...], ...]
    lonlat: np.ndarray

    def __len__(self) -> int:
        return len(self.names)

    def count(self, kind: str) -> int:
        """Return how many places of a kind the gazetteer holds."""
        return sum(k == kind for k in self.kinds)


def fold(text: object) -> str:
    """Return the form names are compared in: NFKC (full-width to half-width), case-folded, no blanks or dots."""
    if not isinstance(text, str):
        return ""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text).casefold())


def build(area: StudyArea) -> Gazetteer:
    """Build the gazetteer of a study area from its streets, POIs and districts.

    Parameters
    ----------
    area : StudyArea

    Returns
    -------
    Gazetteer
        One entry per distinct (name, kind); a street is one point on its most central segment.
    """
    frames = [_streets(area.edges), _pois(area.pois), _districts(area)]
    places = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) else None
    if places is None:
        return Gazetteer(area.spec.name, (), (), (), (), (), np.zeros((0, 2)))
    places["folded"] = places["name"].map(fold)
    places = places[places["folded"] != ""]
    places["rank"] = places["kind"].map(KINDS.index)
    places = places.sort_values(["rank", "folded"], kind="stable").drop_duplicates(["folded", "kind"])
    points = gpd.GeoDataFrame(places[["name"]], geometry=shapely.points(places[["x", "y"]].to_numpy()),
                              crs=area.crs)  # fmt: skip
    known = places["district"].notna()
    if (~known).any() and len(area.districts):
        places.loc[~known, "district"] = assign_district(points[~known.to_numpy()], area.districts)
    lonlat = to_wgs84(area.crs, places[["x", "y"]].to_numpy(dtype=float)).reshape(-1, 2)
    others = [o if isinstance(o, str) and o.strip() else None for o in places["other"]]
    keys = tuple(_keys(name, other, kind) for name, other, kind in zip(places["name"], others, places["kind"],
                                                                        strict=True))  # fmt: skip
    return Gazetteer(
        area.spec.name,
        tuple(str(n) for n in places["name"]),
        tuple(others),
        tuple(str(k) for k in places["kind"]),
        tuple(d if isinstance(d, str) else None for d in places["district"]),
        keys,
        lonlat,
    )


def search(gazetteer: Gazetteer, query: str, limit: int = 10) -> list[Place]:
    """Find the places whose names contain a query.

    Parameters
    ----------
    gazetteer : Gazetteer
    query : str
        Part of a name (Chinese, Latin or pinyin; case, width and blanks do not matter).
    limit : int
        At most this many places.

    Returns
    -------
    list of Place
        Best first: by :data:`MATCHES` (characters in order: fewest in between first), then :data:`KINDS`, then
        shorter names.
    """
    wanted = fold(query)
    if not wanted:
        return []
    trimmed = _without_suffix(wanted)
    in_order = _in_order_pattern(wanted)
    found = []
    for i, keys in enumerate(gazetteer.keys):
        match = _match(keys, wanted, trimmed, in_order)
        if match is not None:
            found.append(
                (match[0], match[1], KINDS.index(gazetteer.kinds[i]), len(gazetteer.names[i]), gazetteer.names[i], i)
            )
    found.sort()
    return [
        Place(gazetteer.names[i], gazetteer.kinds[i], float(gazetteer.lonlat[i, 0]), float(gazetteer.lonlat[i, 1]),
              gazetteer.districts[i], gazetteer.other_names[i], MATCHES[match])
        for match, _, _, _, _, i in found[: max(int(limit), 0)]
    ]  # fmt: skip


# --- helpers ---------------------------------------------------------------------------------------------------------


def _match(keys: tuple[str, ...], wanted: str, trimmed: str, in_order: re.Pattern | None) -> tuple[int, int] | None:
    """Return (match tier, characters between the typed ones) of a place's best key, or None."""
    best = None
    for key in keys:
        if key == wanted or (trimmed and key == trimmed):
            return (0, 0)
        if key.startswith(wanted):
            found = (1, 0)
        elif wanted in key:
            found = (2, 0)
        elif in_order is not None and (hit := in_order.search(key)):
            found = (3, hit.end() - hit.start() - len(wanted))
        else:
            continue
        best = found if best is None else min(best, found)
    return best


def _without_suffix(wanted: str) -> str:
    """Return the query without a station suffix ("八一广场站" -> "八一广场"), or "" when it has none.

    Only an exact match counts for the trimmed query: "南昌站" must not match everything that starts with "南昌".
    """
    for suffix in _STATION_SUFFIXES:
        if wanted.endswith(suffix) and len(wanted) > len(suffix) + 1:
            return wanted[: -len(suffix)]
    return ""


def _in_order_pattern(wanted: str) -> re.Pattern | None:
    """Return the "typed characters in order" pattern of a Chinese query of two characters or more."""
    if len(wanted) < 2 or not _CJK.search(wanted):
        return None
    return re.compile(".*?".join(re.escape(c) for c in wanted))


def _keys(name: str, other: str | None, kind: str) -> tuple[str, ...]:
    keys = [fold(name)]
    if other:
        keys.append(fold(other))
    if kind in ("metro", "rail"):  # "八一广场" is also typed "八一广场站"
        keys.append(fold(name) + "站")
    return tuple(dict.fromkeys(k for k in keys if k))


def _empty() -> pd.DataFrame:
    return pd.DataFrame({"name": [], "other": [], "kind": [], "district": [], "x": [], "y": []})


def _streets(edges: gpd.GeoDataFrame) -> pd.DataFrame:
    """One point per street name: the middle of the segment nearest the middle of all its segments."""
    if "name" not in edges.columns or not len(edges):
        return _empty()
    named = edges[["name", "geometry"]].explode("name", ignore_index=True)  # osmnx gives lists for merged ways
    named = named[named["name"].map(lambda n: isinstance(n, str) and bool(n.strip()))]
    if not len(named):
        return _empty()
    middles = shapely.line_interpolate_point(named.geometry.to_numpy(), 0.5, normalized=True)
    frame = pd.DataFrame({"name": named["name"].str.strip().to_numpy(), "x": shapely.get_x(middles),
                          "y": shapely.get_y(middles)})  # fmt: skip
    centre = frame.groupby("name")[["x", "y"]].transform("mean")
    frame["off"] = np.hypot(frame["x"] - centre["x"], frame["y"] - centre["y"])
    frame = frame.loc[frame.groupby("name")["off"].idxmin()]
    return frame.assign(other=None, kind="street", district=None)[["name", "other", "kind", "district", "x", "y"]]


def _pois(pois: gpd.GeoDataFrame) -> pd.DataFrame:
    if "name" not in pois.columns or not len(pois):
        return _empty()
    named = pois[pois["name"].map(lambda n: isinstance(n, str) and bool(n.strip()))]
    if not len(named):
        return _empty()
    points = named.geometry.representative_point()
    other = pd.Series([None] * len(named), index=named.index, dtype=object)
    for column in _OTHER_NAMES:
        if column in named.columns:
            other = other.where(other.notna(), named[column].where(named[column].map(lambda v: isinstance(v, str))))
    return pd.DataFrame({"name": named["name"].str.strip(), "other": other, "kind": _poi_kinds(named),
                         "district": None, "x": points.x, "y": points.y})  # fmt: skip


def _poi_kinds(pois: gpd.GeoDataFrame) -> np.ndarray:
    def column(name: str) -> pd.Series:
        values = pois[name] if name in pois.columns else pd.Series([None] * len(pois), index=pois.index)
        return values.astype(object).where(values.notna(), "").astype(str)

    railway, station, subway = column("railway"), column("station"), column("subway")
    transport, highway, amenity, shop = column("public_transport"), column("highway"), column("amenity"), column("shop")
    is_station = railway.isin(["station", "halt"]) | (transport == "station")
    metro = is_station & ((station == "subway") | (subway == "yes") | (railway == "subway_entrance"))
    stop = (highway == "bus_stop") | transport.isin(["platform", "stop_position"]) | (railway == "tram_stop")
    tests = [metro, is_station, stop, amenity == "bank", shop != ""]
    return np.select(tests, ["metro", "rail", "stop", "bank", "shop"], default="poi")


def _districts(area: StudyArea) -> pd.DataFrame:
    """Each district with streets: the network junction nearest a point inside it (a search starts on a street)."""
    districts = area.districts
    if not len(districts) or "district" not in districts.columns or not len(area.nodes):
        return _empty()
    if "has_network" in districts.columns:
        districts = districts[districts["has_network"].astype(bool)]
    inside = districts.geometry.representative_point().to_numpy()
    nodes = area.nodes.geometry.to_numpy()
    tree = shapely.STRtree(nodes)
    nearest = tree.query_nearest(inside, all_matches=False)[1]
    # the junction nearest the inner point, among those inside the district when it has any
    spots = []
    for polygon, fallback in zip(districts.geometry.to_numpy(), nearest, strict=True):
        within = tree.query(polygon, predicate="contains")
        if len(within):
            centre = shapely.centroid(polygon)
            within = within[np.argmin(shapely.distance(nodes[within], centre))]
            spots.append(nodes[within])
        else:
            spots.append(nodes[fallback])
    return pd.DataFrame({"name": districts["district"].astype(str).to_numpy(), "other": None, "kind": "district",
                         "district": districts["district"].astype(str).to_numpy(),
                         "x": shapely.get_x(spots), "y": shapely.get_y(spots)})  # fmt: skip
