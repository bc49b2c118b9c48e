"""Vectorised line and point helpers shared by the area, demand, candidate and network stages."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely


def one_per_segment(edges: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Keep one row per street segment, without self-loops.

    Directed networks (GraphML, osmnx) hold a two-way street once per direction; walking ignores direction, and
    sampling both copies would count the street twice. Two rows are the same segment when they join the same two
    nodes with the same length (to 0.1 m) through the same midpoint (to 0.1 m): two halves of a roundabout stay.
    """
    pair = pd.DataFrame({"a": np.minimum(edges["u"], edges["v"]), "b": np.maximum(edges["u"], edges["v"])})
    pair["length"] = edges["length"].round(1).to_numpy()
    middle = shapely.get_coordinates(shapely.line_interpolate_point(edges.geometry.to_numpy(), 0.5, normalized=True))
    pair["mx"], pair["my"] = np.round(middle[:, 0], 1), np.round(middle[:, 1], 1)
    keep = ~pair.duplicated().to_numpy() & (edges["u"] != edges["v"]).to_numpy()
    return edges[keep]


def thin_points(xy: np.ndarray, spacing_m: float) -> np.ndarray:
    """Return the index of the first point in each ``spacing_m`` grid cell (at most one per cell), ascending."""
    cells = np.floor(np.asarray(xy, dtype=float) / spacing_m).astype(np.int64)
    _, first = np.unique(cells, axis=0, return_index=True)
    return np.sort(first)


def merge_lines(lines: np.ndarray) -> np.ndarray:
    """Merge street segments into chains that run from junction to junction.

    OSM networks split streets at every node; sampling each tiny segment separately would miss short segments and
    crowd long ones. Returns the merged lines as an array.
    """
    if len(lines) == 0:
        return np.asarray([], dtype=object)
    merged = shapely.line_merge(shapely.MultiLineString(list(shapely.get_parts(lines))))
    return np.asarray(shapely.get_parts(merged), dtype=object)


def sample_lines(lines: np.ndarray, spacing_m: float, min_length_m: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Evenly spaced positions along lines, centred on each line.

    Parameters
    ----------
    lines : numpy.ndarray
        Line geometries in a metric CRS.
    spacing_m : float
        Distance between samples in metres; a line shorter than the spacing gets one sample at its middle.
    min_length_m : float
        Lines shorter than this get no sample.

    Returns
    -------
    line_index : numpy.ndarray
        Index of the line of each sample.
    along_m : numpy.ndarray
        Distance of each sample from the line's start, in metres.
    """
    lengths = shapely.length(lines)
    count = np.where(lengths >= min_length_m, np.maximum(1, np.floor(lengths / spacing_m)), 0).astype(int)
    line_index = np.repeat(np.arange(len(lines)), count)
    rank = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    step = lengths[line_index] / count[line_index]
    return line_index, (rank + 0.5) * step
