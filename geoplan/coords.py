"""Conversions between WGS-84, GCJ-02 and BD-09 longitude/latitude.

Chinese users and web maps send coordinates in three systems:

* **WGS-84** (``"wgs84"``, also ``"epsg:4326"``): GPS, OpenStreetMap and everything outside China.
* **GCJ-02** (``"gcj02"``): the obfuscated "Mars" datum mandated for maps published in mainland China and
  used by Amap (高德) and Tencent (腾讯) maps.
* **BD-09** (``"bd09"``): Baidu's further offset of GCJ-02 (百度经纬度, "bd09ll").

Every function takes longitude first, then latitude, both in degrees. Inputs may be scalars or array-likes
(broadcast against each other); scalars give back Python floats, anything else gives back float64 numpy arrays
of the broadcast shape. NaN in either coordinate of a point yields NaN for both output coordinates of that
point.

The GCJ-02 transforms follow the published algorithm (Krasovsky ellipsoid, the usual ``transformLat`` /
``transformLon`` polynomials) and, like every public implementation, leave points outside a rough bounding
box of mainland China (longitude 72.004..137.8347, latitude 0.8293..55.8271) unchanged. The box is coarse:
it also covers Taiwan, Hong Kong, Macau and parts of neighbouring countries, which are therefore offset too.
The BD-09 step (GCJ-02 <-> BD-09) is applied everywhere, as Baidu does.

The inverse transforms (GCJ-02 -> WGS-84 and BD-09 -> GCJ-02) have no closed form; they are solved by
fixed-point iteration and recover the forward input to far better than a centimetre inside China.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

from geoplan import i18n
from geoplan.vocabulary import COORDINATE_SYSTEMS

__all__ = [
    "COORDINATE_SYSTEMS",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "from_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

_ALIASES = {"wgs84": "wgs84", "epsg:4326": "wgs84", "gcj02": "gcj02", "bd09": "bd09"}

# Krasovsky 1940 ellipsoid, as used by the published GCJ-02 algorithm.
_A = 6378245.0
_EE = 0.00669342162296594323

# Rough bounding box of mainland China used by every public GCJ-02 implementation.
_LON_MIN, _LON_MAX = 72.004, 137.8347
_LAT_MIN, _LAT_MAX = 0.8293, 55.8271

# Baidu's BD-09 constants.
_X_PI = math.pi * 3000.0 / 180.0
_BD_DLON = 0.0065
_BD_DLAT = 0.006

# Inverse iterations stop once no point moves by more than this many degrees (about 0.1 mm) ...
_TOLERANCE_DEG = 1e-9
# ... or after this many rounds (inside China the GCJ-02 inverse needs about 5, the BD-09 one about 3).
_MAX_ITERATIONS = 30

FloatOrArray: TypeAlias = float | NDArray[np.float64]
_Arr: TypeAlias = NDArray[np.float64]
_Pair: TypeAlias = tuple[_Arr, _Arr]
_Kernel: TypeAlias = Callable[[_Arr, _Arr], _Pair]


# ----------------------------------------------------------------------------------------------------------
# Input / output helpers
# ----------------------------------------------------------------------------------------------------------


def _as_lonlat(lon: ArrayLike, lat: ArrayLike) -> tuple[_Arr, _Arr, bool]:
    """Return lon and lat as broadcast float64 arrays (copies) and whether both inputs were scalars."""
    try:
        lon_arr = np.array(lon, dtype=np.float64)
        lat_arr = np.array(lat, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise i18n.input_error("coordinates_not_numeric", lon=lon, lat=lat) from exc
    scalar = lon_arr.ndim == 0 and lat_arr.ndim == 0
    try:
        lon_b, lat_b = np.broadcast_arrays(lon_arr, lat_arr)
    except ValueError as exc:
        raise i18n.input_error("coordinates_shapes", lon=str(lon_arr.shape), lat=str(lat_arr.shape)) from exc
    # broadcast_arrays returns read-only views; copy so callers may mutate the result freely.
    return np.array(lon_b, dtype=np.float64), np.array(lat_b, dtype=np.float64), scalar


def _pack(lon: _Arr, lat: _Arr, scalar: bool) -> tuple[FloatOrArray, FloatOrArray]:
    """Return floats for scalar input, arrays otherwise."""
    if scalar:
        return float(lon), float(lat)
    return lon, lat


# ----------------------------------------------------------------------------------------------------------
# Array kernels (float64 arrays in, new float64 arrays out)
# ----------------------------------------------------------------------------------------------------------


def _outside_china(lon: _Arr, lat: _Arr) -> NDArray[np.bool_]:
    """Return True where a point lies outside the rough mainland-China box (NaN counts as inside)."""
    return (lon < _LON_MIN) | (lon > _LON_MAX) | (lat < _LAT_MIN) | (lat > _LAT_MAX)


def _transform_lat(x: _Arr, y: _Arr) -> _Arr:
    """Return the published GCJ-02 latitude polynomial of x = lon - 105, y = lat - 35."""
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: _Arr, y: _Arr) -> _Arr:
    """Return the published GCJ-02 longitude polynomial of x = lon - 105, y = lat - 35."""
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def _gcj_offset(lon: _Arr, lat: _Arr) -> _Pair:
    """Return the GCJ-02 offset (dlon, dlat) in degrees at WGS-84 points; zero outside China."""
    dlon = np.zeros_like(lon)
    dlat = np.zeros_like(lat)
    inside = ~_outside_china(lon, lat)
    if not inside.any():
        return dlon, dlat
    x = lon[inside] - 105.0
    y = lat[inside] - 35.0
    rad_lat = np.radians(lat[inside])
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat[inside] = (_transform_lat(x, y) * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon[inside] = (_transform_lon(x, y) * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return dlon, dlat


def _wgs_to_gcj(lon: _Arr, lat: _Arr) -> _Pair:
    """Apply the forward GCJ-02 transform to arrays."""
    dlon, dlat = _gcj_offset(lon, lat)
    return lon + dlon, lat + dlat


def _gcj_to_bd(lon: _Arr, lat: _Arr) -> _Pair:
    """Apply Baidu's forward GCJ-02 -> BD-09 transform to arrays."""
    with np.errstate(invalid="ignore", over="ignore"):
        z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _X_PI)
        theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
        return z * np.cos(theta) + _BD_DLON, z * np.sin(theta) + _BD_DLAT


def _bd_to_gcj_closed_form(lon: _Arr, lat: _Arr) -> _Pair:
    """Apply the usual closed-form approximation of BD-09 -> GCJ-02 (errors up to about a metre)."""
    with np.errstate(invalid="ignore", over="ignore"):
        x = lon - _BD_DLON
        y = lat - _BD_DLAT
        z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
        theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
        return z * np.cos(theta), z * np.sin(theta)


def _max_abs_finite(*arrays: _Arr) -> float:
    """Return the largest finite absolute value over the arrays (0 if there is none)."""
    return max(
        (float(np.max(np.abs(a), initial=0.0, where=np.isfinite(a))) for a in arrays),
        default=0.0,
    )


def _invert(
    forward: _Kernel,
    target_lon: _Arr,
    target_lat: _Arr,
    lon: _Arr,
    lat: _Arr,
) -> _Pair:
    """Solve forward(lon, lat) = target by fixed-point iteration from the given start."""
    for _ in range(_MAX_ITERATIONS):
        f_lon, f_lat = forward(lon, lat)
        d_lon = f_lon - target_lon
        d_lat = f_lat - target_lat
        lon = lon - d_lon
        lat = lat - d_lat
        if _max_abs_finite(d_lon, d_lat) < _TOLERANCE_DEG:
            break
    return lon, lat


def _gcj_to_wgs(lon: _Arr, lat: _Arr) -> _Pair:
    """Invert the GCJ-02 transform on arrays."""
    return _invert(_wgs_to_gcj, lon, lat, lon.copy(), lat.copy())


def _bd_to_gcj(lon: _Arr, lat: _Arr) -> _Pair:
    """Invert Baidu's GCJ-02 -> BD-09 transform on arrays."""
    start_lon, start_lat = _bd_to_gcj_closed_form(lon, lat)
    return _invert(_gcj_to_bd, lon, lat, start_lon, start_lat)


# ----------------------------------------------------------------------------------------------------------
# Public API
# ----------------------------------------------------------------------------------------------------------


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatOrArray, FloatOrArray]:
    """Convert WGS-84 coordinates to GCJ-02 (Amap / Tencent).

    Uses the published GCJ-02 algorithm. Points outside the rough mainland-China box (longitude
    72.004..137.8347, latitude 0.8293..55.8271) are returned unchanged.

    Parameters
    ----------
    lon : float or array_like
        WGS-84 longitude in degrees.
    lat : float or array_like
        WGS-84 latitude in degrees, broadcastable against `lon`.

    Returns
    -------
    lon : float or numpy.ndarray
        GCJ-02 longitude in degrees; a float for scalar input, else a float64 array of the broadcast shape.
    lat : float or numpy.ndarray
        GCJ-02 latitude in degrees, same type and shape as `lon`.

    Raises
    ------
    InputError
        If the inputs are not numeric or their shapes do not broadcast.
    """
    lon_a, lat_a, scalar = _as_lonlat(lon, lat)
    return _pack(*_wgs_to_gcj(lon_a, lat_a), scalar)


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatOrArray, FloatOrArray]:
    """Convert GCJ-02 (Amap / Tencent) coordinates to WGS-84.

    Inverts :func:`wgs84_to_gcj02` by fixed-point iteration (until no point moves by more than 1e-9 degrees,
    at most 30 rounds), which is accurate to well under a millimetre inside China. Points outside the rough
    mainland-China box (longitude 72.004..137.8347, latitude 0.8293..55.8271) are returned unchanged.

    Parameters
    ----------
    lon : float or array_like
        GCJ-02 longitude in degrees.
    lat : float or array_like
        GCJ-02 latitude in degrees, broadcastable against `lon`.

    Returns
    -------
    lon : float or numpy.ndarray
        WGS-84 longitude in degrees; a float for scalar input, else a float64 array of the broadcast shape.
    lat : float or numpy.ndarray
        WGS-84 latitude in degrees, same type and shape as `lon`.

    Raises
    ------
    InputError
        If the inputs are not numeric or their shapes do not broadcast.
    """
    lon_a, lat_a, scalar = _as_lonlat(lon, lat)
    return _pack(*_gcj_to_wgs(lon_a, lat_a), scalar)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatOrArray, FloatOrArray]:
    """Convert GCJ-02 coordinates to BD-09 (Baidu).

    Uses Baidu's published formula; it is applied everywhere, with no bounding-box test.

    Parameters
    ----------
    lon : float or array_like
        GCJ-02 longitude in degrees.
    lat : float or array_like
        GCJ-02 latitude in degrees, broadcastable against `lon`.

    Returns
    -------
    lon : float or numpy.ndarray
        BD-09 longitude in degrees; a float for scalar input, else a float64 array of the broadcast shape.
    lat : float or numpy.ndarray
        BD-09 latitude in degrees, same type and shape as `lon`.

    Raises
    ------
    InputError
        If the inputs are not numeric or their shapes do not broadcast.
    """
    lon_a, lat_a, scalar = _as_lonlat(lon, lat)
    return _pack(*_gcj_to_bd(lon_a, lat_a), scalar)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatOrArray, FloatOrArray]:
    """Convert BD-09 (Baidu) coordinates to GCJ-02.

    Starts from the usual closed-form inverse (off by up to about a metre) and refines it by fixed-point
    iteration against :func:`gcj02_to_bd09`, which makes it accurate to well under a millimetre.

    Parameters
    ----------
    lon : float or array_like
        BD-09 longitude in degrees.
    lat : float or array_like
        BD-09 latitude in degrees, broadcastable against `lon`.

    Returns
    -------
    lon : float or numpy.ndarray
        GCJ-02 longitude in degrees; a float for scalar input, else a float64 array of the broadcast shape.
    lat : float or numpy.ndarray
        GCJ-02 latitude in degrees, same type and shape as `lon`.

    Raises
    ------
    InputError
        If the inputs are not numeric or their shapes do not broadcast.
    """
    lon_a, lat_a, scalar = _as_lonlat(lon, lat)
    return _pack(*_bd_to_gcj(lon_a, lat_a), scalar)


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatOrArray, FloatOrArray]:
    """Convert WGS-84 coordinates to BD-09 (Baidu), through GCJ-02.

    The GCJ-02 step leaves points outside the rough mainland-China box (longitude 72.004..137.8347, latitude
    0.8293..55.8271) unchanged; the BD-09 step is applied everywhere.

    Parameters
    ----------
    lon : float or array_like
        WGS-84 longitude in degrees.
    lat : float or array_like
        WGS-84 latitude in degrees, broadcastable against `lon`.

    Returns
    -------
    lon : float or numpy.ndarray
        BD-09 longitude in degrees; a float for scalar input, else a float64 array of the broadcast shape.
    lat : float or numpy.ndarray
        BD-09 latitude in degrees, same type and shape as `lon`.

    Raises
    ------
    InputError
        If the inputs are not numeric or their shapes do not broadcast.
    """
    lon_a, lat_a, scalar = _as_lonlat(lon, lat)
    return _pack(*_gcj_to_bd(*_wgs_to_gcj(lon_a, lat_a)), scalar)


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatOrArray, FloatOrArray]:
    """Convert BD-09 (Baidu) coordinates to WGS-84, through GCJ-02.

    Both steps are the iterative inverses of :func:`bd09_to_gcj02` and :func:`gcj02_to_wgs84`. The GCJ-02 step
    leaves points outside the rough mainland-China box (longitude 72.004..137.8347, latitude 0.8293..55.8271)
    unchanged.

    Parameters
    ----------
    lon : float or array_like
        BD-09 longitude in degrees.
    lat : float or array_like
        BD-09 latitude in degrees, broadcastable against `lon`.

    Returns
    -------
    lon : float or numpy.ndarray
        WGS-84 longitude in degrees; a float for scalar input, else a float64 array of the broadcast shape.
    lat : float or numpy.ndarray
        WGS-84 latitude in degrees, same type and shape as `lon`.

    Raises
    ------
    InputError
        If the inputs are not numeric or their shapes do not broadcast.
    """
    lon_a, lat_a, scalar = _as_lonlat(lon, lat)
    return _pack(*_gcj_to_wgs(*_bd_to_gcj(lon_a, lat_a)), scalar)


def _canonical_crs(crs: str) -> str:
    """Return the canonical name of a coordinate system, or raise InputError naming the bad value."""
    key = crs.strip().lower() if isinstance(crs, str) else None
    if key not in _ALIASES:
        accepted = ", ".join(repr(name) for name in (*COORDINATE_SYSTEMS, "epsg:4326"))
        raise i18n.input_error("unknown_crs", crs=crs, accepted=accepted)
    return _ALIASES[key]


def to_wgs84(lon: ArrayLike, lat: ArrayLike, crs: str) -> tuple[FloatOrArray, FloatOrArray]:
    """Convert coordinates in a named coordinate system to WGS-84.

    Parameters
    ----------
    lon : float or array_like
        Longitude in degrees, in the system named by `crs`.
    lat : float or array_like
        Latitude in degrees, in the system named by `crs`, broadcastable against `lon`.
    crs : str
        One of ``"wgs84"``, ``"gcj02"``, ``"bd09"`` (case-insensitive); ``"epsg:4326"`` means ``"wgs84"``.

    Returns
    -------
    lon : float or numpy.ndarray
        WGS-84 longitude in degrees; a float for scalar input, else a float64 array of the broadcast shape.
    lat : float or numpy.ndarray
        WGS-84 latitude in degrees, same type and shape as `lon`.

    Raises
    ------
    InputError
        If `crs` is not a known coordinate system, or the coordinates are not numeric or do not broadcast.
    """
    name = _canonical_crs(crs)
    if name == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if name == "bd09":
        return bd09_to_wgs84(lon, lat)
    return _pack(*_as_lonlat(lon, lat))


def from_wgs84(lon: ArrayLike, lat: ArrayLike, crs: str) -> tuple[FloatOrArray, FloatOrArray]:
    """Convert WGS-84 coordinates to a named coordinate system.

    Parameters
    ----------
    lon : float or array_like
        WGS-84 longitude in degrees.
    lat : float or array_like
        WGS-84 latitude in degrees, broadcastable against `lon`.
    crs : str
        Target system: one of ``"wgs84"``, ``"gcj02"``, ``"bd09"`` (case-insensitive); ``"epsg:4326"`` means
        ``"wgs84"``.

    Returns
    -------
    lon : float or numpy.ndarray
        Longitude in degrees in the system named by `crs`; a float for scalar input, else a float64 array of
        the broadcast shape.
    lat : float or numpy.ndarray
        Latitude in degrees in the system named by `crs`, same type and shape as `lon`.

    Raises
    ------
    InputError
        If `crs` is not a known coordinate system, or the coordinates are not numeric or do not broadcast.
    """
    name = _canonical_crs(crs)
    if name == "gcj02":
        return wgs84_to_gcj02(lon, lat)
    if name == "bd09":
        return wgs84_to_bd09(lon, lat)
    return _pack(*_as_lonlat(lon, lat))
