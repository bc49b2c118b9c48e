"""Nearest stations along the street network, fast enough to answer every worker's "near me" query.

Building the index runs Dijkstra once from each end of each station's street segment; a query then snaps one point
to the network and reads the distance to every station off those arrays (no graph search per query), and a route
is read back from the stored predecessors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyproj
from scipy.sparse import csgraph

from geoplan import i18n
from geoplan.coverage.network import Snapped, StreetGraph, snap
from geoplan.crs import from_wgs84, to_wgs84

#: Walking speed: the national "15-minute service circle" is 1 km on foot in 15 minutes.
WALK_M_PER_MIN = 1000.0 / 15.0

#: Riding speed of an e-bike rider in town (15 km/h).
RIDE_M_PER_MIN = 250.0

#: Travel modes and their speeds (metres per minute).
SPEEDS = {"walk": WALK_M_PER_MIN, "ride": RIDE_M_PER_MIN}

#: A query farther than this from every street is refused (it is not in the area).
MAX_SNAP_M = 2000.0


@dataclass(frozen=True)
class StationIndex:
    """Network distances from every station to every junction, and the trees to route along.

    Attributes
    ----------
    graph : StreetGraph
    crs : pyproj.CRS
        The graph's projected CRS.
    stations : Snapped
        Each station's spot on the network.
    to_u, to_v : numpy.ndarray
        (stations, junctions) network metres from the station to each junction, leaving through the ``u`` / ``v``
        end of its own segment (``inf`` when unreachable).
    pred_u, pred_v : numpy.ndarray
        Matching shortest-path predecessors (-9999 at the root and where unreachable).
    station_xy : numpy.ndarray
        (stations, 2) the stations' own positions in the graph's CRS.
    """

    graph: StreetGraph
    crs: pyproj.CRS
    stations: Snapped
    to_u: np.ndarray
    to_v: np.ndarray
    pred_u: np.ndarray
    pred_v: np.ndarray
    station_xy: np.ndarray

    def __len__(self) -> int:
        return len(self.stations)


@dataclass(frozen=True)
class Nearby:
    """Stations ordered by network distance from a query point.

    Attributes
    ----------
    order : numpy.ndarray
        Station indices, nearest first (unreachable ones left out).
    distance_m : numpy.ndarray
        Network metres to each, including the walk to and from the street.
    query_xy : numpy.ndarray
        The query point in the area's CRS.
    """

    order: np.ndarray
    distance_m: np.ndarray
    query_xy: np.ndarray


def build_index(graph: StreetGraph, crs: pyproj.CRS, lonlat: np.ndarray) -> StationIndex:
    """Index stations given in WGS-84 on an area's street graph.

    Parameters
    ----------
    graph : StreetGraph
    crs : pyproj.CRS
        The graph's CRS.
    lonlat : numpy.ndarray
        (k, 2) station positions, WGS-84.

    Returns
    -------
    StationIndex
    """
    xy = project(crs, np.asarray(lonlat, dtype=float).reshape(-1, 2))
    stations = snap(graph, xy)
    ends = np.concatenate([graph.u[stations.edge], graph.v[stations.edge]])
    if len(ends):
        dist, pred = csgraph.dijkstra(graph.graph, directed=False, indices=ends, return_predecessors=True)
    else:
        dist, pred = np.zeros((0, graph.size)), np.zeros((0, graph.size), dtype=np.int32)
    k = len(stations)
    to_u = (dist[:k] + stations.along_m[:, None]).astype(np.float32)
    to_v = (dist[k:] + (graph.length_m[stations.edge] - stations.along_m)[:, None]).astype(np.float32)
    return StationIndex(
        graph, crs, stations, to_u, to_v, pred[:k].astype(np.int32), pred[k:].astype(np.int32), xy.reshape(-1, 2)
    )


def nearest(index: StationIndex, lon: float, lat: float, limit: int = 10, max_m: float = np.inf) -> Nearby:
    """Stations nearest to a WGS-84 point along the network.

    Parameters
    ----------
    index : StationIndex
    lon, lat : float
        The query point (WGS-84).
    limit : int
        At most this many stations.
    max_m : float
        Leave out stations farther than this (network metres).

    Returns
    -------
    Nearby

    Raises
    ------
    InputError
        The point lies more than :data:`MAX_SNAP_M` from every street of the area.
    """
    xy, here = _locate(index, lon, lat)
    distance = _distances(index, here)
    reachable = np.flatnonzero(np.isfinite(distance) & (distance <= max_m))
    order = reachable[np.argsort(distance[reachable], kind="stable")][: max(int(limit), 0)]
    return Nearby(order, distance[order], xy[0])


def distances(index: StationIndex, lon: float, lat: float) -> np.ndarray:
    """Network metres from a WGS-84 point to every station (``inf`` where unreachable)."""
    return _distances(index, _locate(index, lon, lat)[1])


def _locate(index: StationIndex, lon: float, lat: float) -> tuple[np.ndarray, Snapped]:
    """Project and snap a query point, refusing one far from every street."""
    xy = project(index.crs, np.array([[lon, lat]], dtype=float))
    here = snap(index.graph, xy)
    if here.lateral_m[0] > MAX_SNAP_M:
        raise i18n.input_error("point_far_from_streets", lon=f"{lon:.6f}", lat=f"{lat:.6f}",
                               km=f"{here.lateral_m[0] / 1000:.1f}")  # fmt: skip
    return xy, here


def route(index: StationIndex, station: int, lon: float, lat: float) -> list[list[float]]:
    """Shortest route from a WGS-84 point to a station, as WGS-84 ``[lon, lat]`` vertices.

    The route runs from the point to its spot on the street, along the network, to the station's spot and on to the
    station; street geometry between junctions is drawn straight (junction to junction).
    """
    xy, here = _locate(index, lon, lat)
    spot, target = here.xy[0], index.stations.xy[station]
    metres, node, through_u = _via_junctions(index, here, station)
    same_street = int(here.edge[0]) == int(index.stations.edge[station])
    if same_street and _same_segment_distance(index, here, station) <= metres:
        points = [xy[0], spot, target, index.station_xy[station]]
    else:
        pred = index.pred_u[station] if through_u else index.pred_v[station]
        path = [node]
        while pred[path[-1]] >= 0:  # back along the tree to the station's own junction
            path.append(int(pred[path[-1]]))
        points = [xy[0], spot, *index.graph.node_xy[path], target, index.station_xy[station]]
    return to_wgs84(index.crs, np.asarray(points)).round(6).tolist()


def minutes(distance_m: np.ndarray | float, mode: str) -> np.ndarray | float:
    """Travel minutes for network metres in a mode (``walk`` or ``ride``)."""
    if mode not in SPEEDS:
        raise i18n.input_error("mode_unknown", modes=", ".join(SPEEDS))
    return np.asarray(distance_m) / SPEEDS[mode]


def _distances(index: StationIndex, here: Snapped) -> np.ndarray:
    """Network metres from the snapped query to every station, lateral walks included."""
    g = index.graph
    e = int(here.edge[0])
    along = float(here.along_m[0])
    rest = float(g.length_m[e]) - along
    u, v = int(g.u[e]), int(g.v[e])
    through = np.minimum.reduce(
        [
            along + index.to_u[:, u],
            along + index.to_v[:, u],
            rest + index.to_u[:, v],
            rest + index.to_v[:, v],
        ]
    ).astype(float)
    same = index.stations.edge == e
    through[same] = np.minimum(through[same], np.abs(index.stations.along_m[same] - along))
    return through + float(here.lateral_m[0]) + index.stations.lateral_m


def _same_segment_distance(index: StationIndex, here: Snapped, station: int) -> float:
    return abs(float(index.stations.along_m[station]) - float(here.along_m[0]))


def _via_junctions(index: StationIndex, here: Snapped, station: int) -> tuple[float, int, bool]:
    """Shortest way through a junction: (metres, junction the query leaves by, whether via the station's u end)."""
    g = index.graph
    e = int(here.edge[0])
    along = float(here.along_m[0])
    rest = float(g.length_m[e]) - along
    u, v = int(g.u[e]), int(g.v[e])
    options = [
        (along + float(index.to_u[station, u]), u, True),
        (along + float(index.to_v[station, u]), u, False),
        (rest + float(index.to_u[station, v]), v, True),
        (rest + float(index.to_v[station, v]), v, False),
    ]
    return min(options, key=lambda option: option[0])


def project(crs: pyproj.CRS, lonlat: np.ndarray) -> np.ndarray:
    """Project (n, 2) WGS-84 lon/lat to ``crs``, refusing values that are not degrees."""
    lonlat = np.asarray(lonlat, dtype=float).reshape(-1, 2)
    if lonlat.size and not (np.isfinite(lonlat).all() and np.all(np.abs(lonlat[:, 0]) <= 180)
                            and np.all(np.abs(lonlat[:, 1]) <= 90)):  # fmt: skip
        raise i18n.input_error("lonlat_not_degrees")
    return from_wgs84(crs, lonlat)


__all__ = ["SPEEDS", "Nearby", "StationIndex", "build_index", "distances", "minutes", "nearest", "project", "route"]
