"""Tests of geoplan.coords: WGS-84 / GCJ-02 / BD-09 conversions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from geoplan.coords import (
    COORDINATE_SYSTEMS,
    bd09_to_gcj02,
    bd09_to_wgs84,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from geoplan.errors import InputError

GEOD = Geod(ellps="WGS84")
TOLERANCE_M = 1.0


def distance_m(a, b):
    """Geodesic distance in metres between (lon, lat) pairs a and b (scalars or arrays)."""
    lon1, lat1 = np.broadcast_arrays(*map(np.asarray, a))
    lon2, lat2 = np.broadcast_arrays(*map(np.asarray, b))
    _, _, dist = GEOD.inv(lon1, lat1, lon2, lat2)
    return np.asarray(dist, dtype=float)


# ---------------------------------------------------------------------------------------------------------
# Published reference pairs, all (lon, lat) in degrees.
# ---------------------------------------------------------------------------------------------------------

# WGS-84 -> GCJ-02.
WGS_GCJ_PAIRS = [
    # googollee/eviltransform, python/test.py (same fixture in its go/, c/, csharp/ and php/ test suites;
    # stored there as lat, lng): Shanghai, Shenzhen, Beijing.
    pytest.param((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597), id="evil-shanghai"),
    pytest.param((113.912316, 22.543847), (113.9171764808363, 22.540796131694766), id="evil-shenzhen"),
    pytest.param((116.377817, 39.911954), (116.38404722455657, 39.91334545536069), id="evil-beijing"),
    # wandergis/coordtransform, test/app.js: wgs84togcj02(116.404, 39.915).
    pytest.param((116.404, 39.915), (116.41024449916938, 39.91640428150164), id="coordtransform-beijing"),
    # hujiulong/gcoord, test/fixtures/china-cities.json (WGS84 and GCJ02 of the same place, 7 decimals).
    # These agree with the published algorithm to about 0.65-0.7 m, not to the centimetre.
    pytest.param((114.0164322, 33.0133556), (114.022306, 33.0115324), id="gcoord-zhumadian"),
    pytest.param((92.0499619, 31.4784436), (92.0512438, 31.4762063), id="gcoord-nagqu"),
    pytest.param((123.4253306, 41.8032629), (123.4314787, 41.8057023), id="gcoord-shenyang"),
]

# GCJ-02 -> BD-09.
GCJ_BD_PAIRS = [
    # wandergis/coordtransform, test/app.js: gcj02tobd09(116.404, 39.915).
    pytest.param((116.404, 39.915), (116.41036949371029, 39.92133699351021), id="coordtransform-beijing"),
    # hujiulong/gcoord, test/unit/crs/GCJ02.spec: GCJ02.to.BD09([123, 45]).
    pytest.param((123.0, 45.0), (123.00636499, 45.00636899), id="gcoord-123-45"),
    # hujiulong/gcoord, test/fixtures/china-cities.json (GCJ02 and BD09 of the same place).
    pytest.param((114.022306, 33.0115324), (114.0287781, 33.0176697), id="gcoord-zhumadian"),
    pytest.param((92.0512438, 31.4762063), (92.0576832, 31.4824421), id="gcoord-nagqu"),
    pytest.param((123.4314787, 41.8057023), (123.438095, 41.8114013), id="gcoord-shenyang"),
]

# BD-09 -> GCJ-02 outputs of other libraries' closed-form inverse (which is itself a few cm off).
BD_GCJ_PAIRS = [
    # wandergis/coordtransform, test/app.js: bd09togcj02(116.404, 39.915).
    pytest.param((116.404, 39.915), (116.39762729119315, 39.90865673957631), id="coordtransform-beijing"),
    # hujiulong/gcoord, test/unit/crs/BD09.spec: BD09.to.GCJ02([123, 45]).
    pytest.param((123.0, 45.0), (122.99363304, 44.99365430), id="gcoord-123-45"),
]

# BD-09 -> WGS-84.
BD_WGS_PAIRS = [
    # hujiulong/gcoord, test/unit/crs/BD09.spec: BD09.to.WGS84([123, 45]).
    pytest.param((123.0, 45.0), (122.98762210, 44.99171540), id="gcoord-123-45"),
    # hujiulong/gcoord, test/fixtures/china-cities.json (BD09 and WGS84 of the same place).
    pytest.param((114.0287781, 33.0176697), (114.0164322, 33.0133556), id="gcoord-zhumadian"),
    pytest.param((123.438095, 41.8114013), (123.4253306, 41.8032629), id="gcoord-shenyang"),
]


@pytest.mark.parametrize(("wgs", "gcj"), WGS_GCJ_PAIRS)
def test_wgs84_to_gcj02_matches_reference(wgs, gcj):
    assert distance_m(wgs84_to_gcj02(*wgs), gcj) < TOLERANCE_M


@pytest.mark.parametrize(("wgs", "gcj"), WGS_GCJ_PAIRS)
def test_gcj02_to_wgs84_matches_reference(wgs, gcj):
    assert distance_m(gcj02_to_wgs84(*gcj), wgs) < TOLERANCE_M


@pytest.mark.parametrize(
    ("wgs", "gcj"),
    [p for p in WGS_GCJ_PAIRS if p.id.startswith("evil-")],
)
def test_wgs84_to_gcj02_is_the_published_algorithm(wgs, gcj):
    # eviltransform's values come from the very same formula, so they agree to the last few digits.
    np.testing.assert_allclose(wgs84_to_gcj02(*wgs), gcj, rtol=0, atol=1e-9)


@pytest.mark.parametrize(("gcj", "bd"), GCJ_BD_PAIRS)
def test_gcj02_to_bd09_matches_reference(gcj, bd):
    assert distance_m(gcj02_to_bd09(*gcj), bd) < TOLERANCE_M


@pytest.mark.parametrize(("gcj", "bd"), GCJ_BD_PAIRS)
def test_bd09_to_gcj02_inverts_reference(gcj, bd):
    assert distance_m(bd09_to_gcj02(*bd), gcj) < TOLERANCE_M


@pytest.mark.parametrize(("bd", "gcj"), BD_GCJ_PAIRS)
def test_bd09_to_gcj02_matches_reference(bd, gcj):
    assert distance_m(bd09_to_gcj02(*bd), gcj) < TOLERANCE_M


@pytest.mark.parametrize(("bd", "wgs"), BD_WGS_PAIRS)
def test_bd09_to_wgs84_matches_reference(bd, wgs):
    assert distance_m(bd09_to_wgs84(*bd), wgs) < TOLERANCE_M


@pytest.mark.parametrize(("bd", "wgs"), BD_WGS_PAIRS)
def test_wgs84_to_bd09_matches_reference(bd, wgs):
    assert distance_m(wgs84_to_bd09(*wgs), bd) < TOLERANCE_M


# ---------------------------------------------------------------------------------------------------------
# Round trips
# ---------------------------------------------------------------------------------------------------------

china_lon = st.floats(min_value=73.0, max_value=135.0, allow_nan=False)
china_lat = st.floats(min_value=18.0, max_value=53.0, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(lon=china_lon, lat=china_lat)
def test_round_trip_wgs_gcj_wgs(lon, lat):
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert distance_m(back, (lon, lat)) < TOLERANCE_M


@settings(max_examples=300, deadline=None)
@given(lon=china_lon, lat=china_lat)
def test_round_trip_wgs_bd_wgs(lon, lat):
    back = bd09_to_wgs84(*wgs84_to_bd09(lon, lat))
    assert distance_m(back, (lon, lat)) < TOLERANCE_M


@settings(max_examples=300, deadline=None)
@given(lon=china_lon, lat=china_lat)
def test_round_trip_gcj_wgs_gcj(lon, lat):
    # The other way round: the inverse really solves forward(wgs) == gcj.
    again = wgs84_to_gcj02(*gcj02_to_wgs84(lon, lat))
    assert distance_m(again, (lon, lat)) < TOLERANCE_M


@settings(max_examples=300, deadline=None)
@given(lon=china_lon, lat=china_lat)
def test_round_trip_bd_gcj_bd(lon, lat):
    again = gcj02_to_bd09(*bd09_to_gcj02(lon, lat))
    assert distance_m(again, (lon, lat)) < TOLERANCE_M


def nanchang_grid():
    lon, lat = np.meshgrid(np.linspace(115.4, 116.6, 61), np.linspace(28.1, 29.2, 56))
    return lon, lat


def test_round_trips_over_nanchang_grid():
    lon, lat = nanchang_grid()
    assert distance_m(gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat)), (lon, lat)).max() < TOLERANCE_M
    assert distance_m(bd09_to_wgs84(*wgs84_to_bd09(lon, lat)), (lon, lat)).max() < TOLERANCE_M
    assert distance_m(bd09_to_gcj02(*gcj02_to_bd09(lon, lat)), (lon, lat)).max() < TOLERANCE_M


def test_round_trips_over_china_are_far_below_a_metre():
    # A dense vectorised sweep: the iterative inverses should be exact to well under a centimetre.
    rng = np.random.default_rng(20240601)
    lon = rng.uniform(73.0, 135.0, 20_000)
    lat = rng.uniform(18.0, 53.0, 20_000)
    assert distance_m(gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat)), (lon, lat)).max() < 0.01
    assert distance_m(bd09_to_wgs84(*wgs84_to_bd09(lon, lat)), (lon, lat)).max() < 0.01


def test_gcj_offset_in_nanchang_is_plausible():
    lon, lat = nanchang_grid()
    offset = distance_m(wgs84_to_gcj02(lon, lat), (lon, lat))
    assert offset.min() > 100.0
    assert offset.max() < 700.0


def test_bd_offset_is_larger_than_gcj_offset_in_nanchang():
    # BD-09 adds roughly another 0.0065/0.006 degrees (several hundred metres) on top of GCJ-02.
    lon, lat = nanchang_grid()
    gcj = wgs84_to_gcj02(lon, lat)
    step = distance_m(wgs84_to_bd09(lon, lat), gcj)
    assert step.min() > 500.0
    assert step.max() < 1200.0


# ---------------------------------------------------------------------------------------------------------
# Outside China, shapes, scalars, NaN
# ---------------------------------------------------------------------------------------------------------

OUTSIDE = [
    pytest.param(2.3522, 48.8566, id="paris"),
    pytest.param(-74.006, 40.7128, id="new-york"),
    pytest.param(139.6917, 35.6895, id="tokyo"),  # east of 137.8347
    pytest.param(116.4, 60.0, id="north-of-box"),
    pytest.param(100.0, 0.5, id="south-of-box"),
    pytest.param(71.9, 39.0, id="west-of-box"),
]


@pytest.mark.parametrize(("lon", "lat"), OUTSIDE)
def test_points_outside_china_unchanged_by_gcj_transforms(lon, lat):
    assert wgs84_to_gcj02(lon, lat) == (lon, lat)
    assert gcj02_to_wgs84(lon, lat) == (lon, lat)


def test_outside_points_unchanged_inside_an_array():
    lon = np.array([2.3522, 115.89, 139.6917])
    lat = np.array([48.8566, 28.68, 35.6895])
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    assert (g_lon[[0, 2]] == lon[[0, 2]]).all()
    assert (g_lat[[0, 2]] == lat[[0, 2]]).all()
    assert g_lon[1] != lon[1]
    assert g_lat[1] != lat[1]


def test_bd09_of_outside_point_is_only_the_baidu_step():
    # The GCJ step is the identity outside China, so WGS -> BD equals GCJ -> BD there.
    assert wgs84_to_bd09(2.3522, 48.8566) == gcj02_to_bd09(2.3522, 48.8566)
    assert distance_m(bd09_to_wgs84(*wgs84_to_bd09(2.3522, 48.8566)), (2.3522, 48.8566)) < TOLERANCE_M


ALL_FUNCTIONS = [wgs84_to_gcj02, gcj02_to_wgs84, gcj02_to_bd09, bd09_to_gcj02, wgs84_to_bd09, bd09_to_wgs84]


@pytest.mark.parametrize("func", ALL_FUNCTIONS)
def test_scalars_give_floats(func):
    lon, lat = func(115.89, 28.68)
    assert type(lon) is float
    assert type(lat) is float


@pytest.mark.parametrize("func", ALL_FUNCTIONS)
def test_arrays_keep_shape_and_match_scalars(func):
    lon, lat = nanchang_grid()
    lon, lat = lon[:4, :5], lat[:4, :5]
    out_lon, out_lat = func(lon, lat)
    for out in (out_lon, out_lat):
        assert isinstance(out, np.ndarray)
        assert out.dtype == np.float64
        assert out.shape == (4, 5)
    for idx in np.ndindex(lon.shape):
        s_lon, s_lat = func(float(lon[idx]), float(lat[idx]))
        assert out_lon[idx] == pytest.approx(s_lon, abs=1e-9)
        assert out_lat[idx] == pytest.approx(s_lat, abs=1e-9)


@pytest.mark.parametrize("func", ALL_FUNCTIONS)
def test_lists_and_broadcasting(func):
    out_lon, out_lat = func([115.8, 115.9, 116.0], 28.7)
    assert out_lon.shape == (3,)
    assert out_lat.shape == (3,)
    single = func([115.9], [28.7])
    assert single[0].shape == (1,)
    empty = func([], [])
    assert empty[0].shape == (0,)
    assert empty[1].shape == (0,)


@pytest.mark.parametrize("func", ALL_FUNCTIONS)
def test_0d_arrays_give_floats(func):
    lon, lat = func(np.float64(115.9), np.array(28.7))
    assert isinstance(lon, float)
    assert isinstance(lat, float)


@pytest.mark.parametrize("func", ALL_FUNCTIONS)
def test_inputs_are_not_modified(func):
    lon = np.array([115.8, 115.9])
    lat = np.array([28.6, 28.7])
    func(lon, lat)
    np.testing.assert_array_equal(lon, [115.8, 115.9])
    np.testing.assert_array_equal(lat, [28.6, 28.7])


@pytest.mark.parametrize("func", ALL_FUNCTIONS)
def test_nan_propagates(func):
    lon = np.array([np.nan, 115.9, 115.9])
    lat = np.array([28.7, np.nan, 28.7])
    out_lon, out_lat = func(lon, lat)
    assert np.isnan(out_lon[:2]).all()
    assert np.isnan(out_lat[:2]).all()
    assert np.isfinite(out_lon[2])
    assert np.isfinite(out_lat[2])
    s_lon, s_lat = func(float("nan"), float("nan"))
    assert np.isnan(s_lon)
    assert np.isnan(s_lat)


@pytest.mark.parametrize("func", ALL_FUNCTIONS)
def test_mismatched_shapes_raise_input_error(func):
    with pytest.raises(InputError, match="broadcast"):
        func([115.8, 115.9, 116.0], [28.6, 28.7])


@pytest.mark.parametrize("func", ALL_FUNCTIONS)
def test_non_numeric_raises_input_error(func):
    with pytest.raises(InputError, match="numeric"):
        func("east", 28.7)


# ---------------------------------------------------------------------------------------------------------
# to_wgs84 / from_wgs84
# ---------------------------------------------------------------------------------------------------------


def test_coordinate_systems_constant():
    assert COORDINATE_SYSTEMS == ("wgs84", "gcj02", "bd09")


@pytest.mark.parametrize(
    ("crs", "forward", "inverse"),
    [
        ("gcj02", wgs84_to_gcj02, gcj02_to_wgs84),
        ("GCJ02", wgs84_to_gcj02, gcj02_to_wgs84),
        ("bd09", wgs84_to_bd09, bd09_to_wgs84),
        (" BD09 ", wgs84_to_bd09, bd09_to_wgs84),
    ],
)
def test_named_conversions_dispatch(crs, forward, inverse):
    lon, lat = np.array([115.85, 116.0]), np.array([28.6, 28.75])
    np.testing.assert_array_equal(from_wgs84(lon, lat, crs), forward(lon, lat))
    np.testing.assert_array_equal(to_wgs84(lon, lat, crs), inverse(lon, lat))


@pytest.mark.parametrize("crs", ["wgs84", "WGS84", "epsg:4326", "EPSG:4326"])
def test_wgs84_names_are_identity(crs):
    assert to_wgs84(115.89, 28.68, crs) == (115.89, 28.68)
    assert from_wgs84(115.89, 28.68, crs) == (115.89, 28.68)
    lon, lat = to_wgs84([115.89, 116.0], [28.68, 28.7], crs)
    assert lon.dtype == np.float64
    np.testing.assert_array_equal(lon, [115.89, 116.0])
    np.testing.assert_array_equal(lat, [28.68, 28.7])


@pytest.mark.parametrize("crs", ["gcj02", "bd09"])
def test_named_round_trip(crs):
    lon, lat = nanchang_grid()
    back = to_wgs84(*from_wgs84(lon, lat, crs), crs)
    assert distance_m(back, (lon, lat)).max() < TOLERANCE_M


@pytest.mark.parametrize("func", [to_wgs84, from_wgs84])
@pytest.mark.parametrize("bad", ["mars", "gcj-2", "EPSG:3857", ""])
def test_unknown_crs_raises_input_error_naming_it(func, bad):
    with pytest.raises(InputError, match=f"'{bad}'") as info:
        func(115.89, 28.68, bad)
    for name in COORDINATE_SYSTEMS:
        assert name in str(info.value)


@pytest.mark.parametrize("func", [to_wgs84, from_wgs84])
def test_non_string_crs_raises_input_error(func):
    with pytest.raises(InputError, match="4326"):
        func(115.89, 28.68, 4326)
