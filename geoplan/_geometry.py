"""Vectorised geometry helpers shared by the demand and candidate stages."""

from __future__ import annotations

import numpy as np
import shapely


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
