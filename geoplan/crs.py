"""Between an area's metric CRS (its UTM zone) and WGS-84 longitude/latitude, for arrays of points.

Every distance and area is computed in the study area's UTM zone; WGS-84 is used at the edges only (files, the web
map, the API). pyproj transformers are not safe to share between threads, so each thread keeps its own.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
import pyproj

from geoplan import settings

_LOCAL = threading.local()


def to_wgs84(crs: pyproj.CRS | str, xy: np.ndarray | Sequence) -> np.ndarray:
    """Convert (n, 2) coordinates in ``crs`` to WGS-84.

    Parameters
    ----------
    crs : pyproj.CRS or str
        The coordinates' CRS (an area's UTM zone).
    xy : array-like
        (n, 2) x, y in ``crs``.

    Returns
    -------
    numpy.ndarray
        (n, 2) longitude, latitude in degrees.
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    lon, lat = _transformer(crs, True).transform(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])


def from_wgs84(crs: pyproj.CRS | str, lonlat: np.ndarray | Sequence) -> np.ndarray:
    """Convert (n, 2) WGS-84 longitude/latitude to coordinates in ``crs``.

    Parameters
    ----------
    crs : pyproj.CRS or str
        The target CRS (an area's UTM zone).
    lonlat : array-like
        (n, 2) longitude, latitude in degrees.

    Returns
    -------
    numpy.ndarray
        (n, 2) x, y in ``crs`` (metres for a UTM zone).
    """
    lonlat = np.asarray(lonlat, dtype=float).reshape(-1, 2)
    x, y = _transformer(crs, False).transform(lonlat[:, 0], lonlat[:, 1])
    return np.column_stack([x, y])


def _transformer(crs: pyproj.CRS | str, to_wgs: bool) -> pyproj.Transformer:
    cache = getattr(_LOCAL, "transformers", None)
    if cache is None:
        cache = _LOCAL.transformers = {}
    # Keyed by the CRS object itself (hashing a CRS writes its WKT: slow on every request); the entry keeps the
    # object, so its id cannot be reused by another while the entry lives.
    key = (id(crs), to_wgs)
    entry = cache.get(key)
    if entry is None or entry[0] is not crs:
        user = pyproj.CRS.from_user_input(crs)
        source, target = (user, settings.WGS84) if to_wgs else (settings.WGS84, user)
        if len(cache) > 64:
            cache.clear()
        entry = cache[key] = (crs, pyproj.Transformer.from_crs(source, target, always_xy=True))
    return entry[1]
