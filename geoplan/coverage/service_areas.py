"""Service areas (isochrones): the streets a worker reaches from a station within so many minutes, as polygons.

For each station and travel mode the reach is the distance covered in ``minutes`` at the mode's speed
(:data:`geoplan.nearby.SPEEDS`: walking 1 km in 15 minutes, riding 250 m a minute). The station is snapped to its
nearest street segment, exactly as :func:`geoplan.network.snap` snaps candidate sites for the coverage matrix, and
the straight distance from the station to that spot uses up as much of the reach (as it counts in
:func:`geoplan.network.coverage`). Bounded Dijkstra searches (:func:`scipy.sparse.csgraph.dijkstra` with
``limit``) from both ends of the station's segment give the distance to every junction within reach. A segment
whose two ends together leave at least its length is reached whole; otherwise the piece from each reached end
as far as the metres left at that end is kept (cut with :func:`shapely.ops.substring`), and on the station's own
segment the piece within reach along it either way. The reached street pieces, with the short link from the
station to its street, are buffered by a small width (a worker's location counts as reached when it lies
that close to a reached street) and merged into one polygon per station and mode.

The polygons follow the streets, not circles: a station on a long straight street reaches 1 km along it on foot
but nothing 1 km away across a block without a path. Like the coverage matrix, the graph holds only the
network's largest connected component, so a station by a street cut off from it is linked to the nearest street
of the main network.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Real

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from scipy.sparse import csgraph
from shapely import ops

from geoplan import i18n
from geoplan.coverage.nearby import SPEEDS
from geoplan.coverage.network import StreetGraph, snap

__all__ = ["DEFAULT_WIDTH_M", "service_areas"]

#: Half-width of the band kept around reached streets, metres.
DEFAULT_WIDTH_M = 25.0

#: Segments of a quarter circle in the buffers (4 keeps the polygons light; the band is an approximation anyway).
_QUAD_SEGS = 4

#: Pieces shorter than this (m) are dropped: a reached junction is covered by its neighbours' pieces already.
_MIN_PIECE_M = 0.01


def service_areas(
    graph: StreetGraph,
    crs: pyproj.CRS | str,
    stations_xy: np.ndarray | Sequence,
    minutes: float = 15,
    modes: Sequence[str] = ("walk", "ride"),
    width_m: float = DEFAULT_WIDTH_M,
) -> gpd.GeoDataFrame:
    """Compute each station's service area: the streets reachable within ``minutes``, buffered into a polygon.

    Parameters
    ----------
    graph : StreetGraph
        The area's street graph (see :func:`geoplan.network.street_graph`).
    crs : pyproj.CRS or str
        The graph's projected (metric) CRS; the result is in it.
    stations_xy : array-like
        (n, 2) station coordinates in ``crs``.
    minutes : float
        Travel time, minutes (default 15: the "15-minute service circle").
    modes : sequence of str
        Travel modes, keys of :data:`geoplan.nearby.SPEEDS` (``walk``: 1000 m in 15 minutes; ``ride``: 250 m a
        minute).
    width_m : float
        Half-width of the band around reached streets, metres (default :data:`DEFAULT_WIDTH_M`).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per station and mode, stations in input order and modes in the given order within a station.
        Columns: ``station`` (row of ``stations_xy``), ``mode``, ``minutes``, ``reach_m`` (metres along the
        network), ``area_km2`` (of the polygon) and polygon geometry in ``crs``.

    Raises
    ------
    InputError
        An unknown mode, a non-positive or non-finite ``minutes`` or ``width_m``, malformed coordinates.

    Notes
    -----
    A point of a street is inside its station's polygon when the network distance from the station to it
    (straight link to the station's street included) is at most ``reach_m``; a point of a street farther than
    ``reach_m`` plus ``width_m`` from every reached piece is outside. A station farther from every street than
    ``reach_m`` gets only a disc of radius ``width_m`` around itself.
    """
    modes = tuple(modes)
    unknown = [mode for mode in modes if mode not in SPEEDS]
    if unknown:
        raise i18n.input_error("unknown_modes", unknown=", ".join(map(repr, unknown)), modes=", ".join(SPEEDS))
    for label, value in (("minutes", minutes), ("width_m", width_m)):
        if isinstance(value, bool) or not isinstance(value, Real) or not 0 < value < np.inf:
            raise i18n.input_error("positive_number", name=label, value=value)
    try:
        xy = np.asarray(stations_xy, dtype=float).reshape(-1, 2)
    except (TypeError, ValueError):
        raise i18n.input_error("station_xy_shape") from None
    if not np.isfinite(xy).all():
        raise i18n.input_error("station_xy_not_finite")
    reaches = {mode: float(minutes) * SPEEDS[mode] for mode in modes}
    rows: list[dict] = []
    if len(xy) and modes:
        spots = snap(graph, xy)
        for station in range(len(xy)):
            edge = int(spots.edge[station])
            ends = [int(graph.u[edge]), int(graph.v[edge])]
            along, length = float(spots.along_m[station]), float(graph.length_m[edge])
            # Distance from the station's spot to every junction: leave through the u end or the v end.
            from_u, from_v = csgraph.dijkstra(graph.graph, directed=False, indices=ends, limit=max(reaches.values()))
            to_node = np.minimum(along + from_u, (length - along) + from_v)
            link = shapely.LineString([xy[station], spots.xy[station]])
            for mode in modes:
                reach = reaches[mode]
                budget = reach - float(spots.lateral_m[station])
                pieces = _reached_pieces(graph, to_node, budget, edge, along) if budget > 0 else []
                polygon = _polygon(xy[station], link if budget > 0 else None, pieces, width_m)
                rows.append({"station": station, "mode": mode, "minutes": float(minutes), "reach_m": reach,
                             "area_km2": round(float(polygon.area) / 1e6, 6), "geometry": polygon})  # fmt: skip
    columns = ["station", "mode", "minutes", "reach_m", "area_km2", "geometry"]
    frame = gpd.GeoDataFrame(rows, columns=columns, geometry="geometry", crs=crs)
    return frame.astype({"station": "int64", "minutes": float, "reach_m": float, "area_km2": float})


def _reached_pieces(
    graph: StreetGraph, to_node: np.ndarray, budget: float, own_edge: int, along: float
) -> list[shapely.Geometry]:
    """Return the street pieces within ``budget`` metres of a station whose junction distances are ``to_node``."""
    left = budget - to_node  # metres left at each junction (negative or -inf: not reached)
    left_u, left_v = left[graph.u], left[graph.v]
    length = graph.length_m
    touched = (left_u > 0) | (left_v > 0)
    whole = touched & (np.maximum(left_u, 0) + np.maximum(left_v, 0) >= length)
    pieces = list(graph.lines[whole])
    for edge in np.flatnonzero(touched & ~whole).tolist():
        line, total = graph.lines[edge], float(length[edge])
        if left_u[edge] > _MIN_PIECE_M:
            pieces.append(ops.substring(line, 0.0, float(left_u[edge]) / total, normalized=True))
        if left_v[edge] > _MIN_PIECE_M:
            pieces.append(ops.substring(line, 1.0 - float(left_v[edge]) / total, 1.0, normalized=True))
    total = float(length[own_edge])
    if total > 0:
        start, end = max(0.0, along - budget) / total, min(total, along + budget) / total
        pieces.append(ops.substring(graph.lines[own_edge], start, end, normalized=True))
    return pieces


def _polygon(
    station: np.ndarray, link: shapely.LineString | None, pieces: list[shapely.Geometry], width_m: float
) -> shapely.Geometry:
    """Buffer the reached pieces (and the station's link to its street) into one polygon; at least the station."""
    parts = [shapely.Point(station)]
    if link is not None and link.length > 0:
        parts.append(link)
    parts.extend(piece for piece in pieces if not piece.is_empty)
    # Buffering each piece and merging the bands (cascaded union) is far faster than buffering the collection.
    merged = shapely.union_all(shapely.buffer(np.asarray(parts, dtype=object), width_m, quad_segs=_QUAD_SEGS))
    return merged if merged.is_valid else shapely.make_valid(merged)
