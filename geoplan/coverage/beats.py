"""Crews' beats: the workers of a depot spread along the streets they walk or sweep from it.

A sanitation company knows its depots and how many workers each sends out, a courier firm its stations and their
riders; each crew works the streets within its beat of the depot, measured along the street network. The depot's
headcount is shared among the street samples within the beat in proportion to the street length each stands for.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from geoplan.coverage.network import StreetGraph, coverage, snap

__all__ = ["spread_along_beats"]


def spread_along_beats(
    graph: StreetGraph,
    depots_xy: np.ndarray,
    headcount: np.ndarray,
    beat_m: np.ndarray,
    samples_xy: np.ndarray,
    samples_length_m: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Share each depot's headcount among the street samples within its beat along the network.

    Parameters
    ----------
    graph : StreetGraph
        The area's street graph (metric CRS).
    depots_xy : numpy.ndarray
        (d, 2) depot coordinates.
    headcount : numpy.ndarray
        Workers per depot.
    beat_m : numpy.ndarray
        Beat (m along the streets) per depot.
    samples_xy : numpy.ndarray
        (s, 2) street samples (:attr:`geoplan.data.areas.StudyArea.street_samples`).
    samples_length_m : numpy.ndarray
        Street length each sample stands for.

    Returns
    -------
    weights : numpy.ndarray
        Workers per street sample (sums to the headcount of the depots that reach a sample).
    reached : numpy.ndarray
        Per depot, whether any street sample lies within its beat (a depot that reaches none keeps its workers
        out of the layer; the caller reports it).
    """
    depots_xy = np.asarray(depots_xy, dtype=float).reshape(-1, 2)
    weights = np.zeros(len(samples_xy))
    reached = np.zeros(len(depots_xy), dtype=bool)
    if not len(depots_xy) or not len(samples_xy):
        return weights, reached
    targets = snap(graph, samples_xy)
    length = np.asarray(samples_length_m, dtype=float)
    for beat in np.unique(beat_m):
        which = np.flatnonzero(beat_m == beat)
        within = sp.csr_array(coverage(graph, snap(graph, depots_xy[which]), targets, float(beat), metres=False))
        # each depot's row: the street length of the samples it reaches
        share = sp.csr_array(within.multiply(length[np.newaxis, :]))
        total = np.asarray(share.sum(axis=1)).ravel()
        ok = total > 0
        reached[which[ok]] = True
        scale = np.divide(headcount[which], total, out=np.zeros(len(which)), where=ok)
        weights += np.asarray((sp.diags_array(scale) @ share).sum(axis=0)).ravel()
    return weights, reached
