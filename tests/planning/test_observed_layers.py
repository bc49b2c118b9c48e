"""Observed layers end to end on generated traces with known hotspots: where the weight goes, the privacy cut, files."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyproj
import pytest
from _traces import hotspot_points, traces

from geoplan import i18n
from geoplan.errors import InputError
from geoplan.planning.observed_layers import ObservedOptions, build_layer, shift_shares, write_layer


@pytest.fixture(scope="module")
def hotspots(helsinki):
    return hotspot_points(helsinki, 3)


@pytest.fixture(scope="module")
def lonely(helsinki, hotspots):
    """A fourth place only three riders wait at (fewer than k = 5)."""
    return hotspot_points(helsinki, 4, seed=11)[-1:]


@pytest.fixture(scope="module")
def pings_file(tmp_path_factory, helsinki, hotspots, lonely):
    crowd = traces(helsinki, hotspots, workers=30)
    few = traces(helsinki, lonely, workers=3, seed=99)
    few["worker_id"] = few["worker_id"].str.replace("rider", "solo")
    path = tmp_path_factory.mktemp("pings") / "骑手定位.csv"
    pd.concat([crowd, few]).sort_values("time", kind="stable").to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def layer(pings_file, helsinki):
    return build_layer(pings_file, helsinki, "couriers", "pings")


def _near(layer, area, places, metres=300.0) -> float:
    points = layer.points.to_crs(area.crs)
    xy = np.column_stack([points.geometry.x, points.geometry.y])
    distance = np.min(np.linalg.norm(xy[:, None, :] - np.asarray(places)[None], axis=2), axis=1)
    weight = points["weight"].to_numpy()
    return float(weight[distance <= metres].sum() / weight.sum())


def test_a_pings_layer_puts_most_weight_near_the_hotspots(layer, helsinki, hotspots):
    assert _near(layer, helsinki, hotspots) > 0.6
    assert layer.report["stays"] >= 30 * 6 * 0.8  # each rider waits at a hotspot on 6 of 12 legs
    assert layer.report["clusters"] <= 10
    assert 0.5 < layer.report["stay_share"] < 0.95
    assert layer.report["bandwidth_m"] > 0
    assert list(layer.points.columns) == ["group", "weight", "geometry"]
    assert set(layer.points["group"]) == {"couriers"}


def test_the_headcount_is_the_most_riders_seen_at_once_and_weights_add_up_to_it(layer):
    assert layer.report["headcount_source"] == "busiest"
    assert 25 <= layer.report["headcount"] <= 33
    privacy = layer.report["privacy"]
    total = layer.points["weight"].sum()
    assert total + privacy["suppressed_workers"] == pytest.approx(layer.report["headcount"], rel=1e-3)


def test_a_place_fewer_than_k_riders_wait_at_is_cut_and_the_report_says_so(layer, pings_file, helsinki, lonely):
    uncut = build_layer(pings_file, helsinki, "couriers", "pings", options=ObservedOptions(k=1))
    assert _near(uncut, helsinki, lonely, 150.0) > 0.03  # the three riders' waiting there
    assert _near(layer, helsinki, lonely, 150.0) < 0.005  # only the crowd riding past is left
    assert uncut.report["privacy"]["suppressed_workers"] < 0.5 * layer.report["privacy"]["suppressed_workers"]
    privacy = layer.report["privacy"]
    assert privacy["suppressed_points"] > 0
    assert privacy["suppressed_cells"] > 0
    assert privacy["suppressed_workers"] > 0
    lines = layer.report_lines("zh")
    assert any("隐私保护" in line and "5" in line for line in lines)
    assert any("Privacy" in line for line in layer.report_lines("en"))


def test_the_written_layer_holds_only_lon_lat_weight_and_the_report_no_id_or_time(layer, tmp_path, helsinki):
    files = write_layer(layer, tmp_path / "couriers_layer.csv")
    text = files["layer"].read_text("utf-8-sig")
    assert text.splitlines()[0] == "lon,lat,weight"
    report = files["report"].read_text("utf-8")
    for secret in ("rider-", "solo-", "2026-05-01", "10:0"):
        assert secret not in text
        assert secret not in report
    assert json.loads(report)["format"] == "geoplan-observed-layer"
    from geoplan.inputs.demand import read_layer

    back = read_layer(files["layer"], group="couriers")
    assert len(back) == len(layer.points)
    assert back["weight"].sum() == pytest.approx(layer.points["weight"].sum(), rel=1e-3)


def test_a_single_worker_and_options_out_of_range_are_refused(tmp_path, helsinki, hotspots):
    one = traces(helsinki, hotspots, workers=1)
    path = tmp_path / "one.csv"
    one.to_csv(path, index=False)
    with pytest.raises(InputError) as caught:
        build_layer(path, helsinki, "couriers", "pings")
    assert caught.value.code == "observed_too_few_workers"
    assert "只有 1 名" in i18n.error_text(caught.value, "zh")
    for bad in ({"k": 0}, {"cell_m": -1.0}, {"stay_minutes": float("nan")}, {"headcount": 0.0}):
        with pytest.raises(InputError):
            ObservedOptions(**bad)
    with pytest.raises(InputError):
        build_layer(path, helsinki, "  ", "pings")


def test_orders_spread_by_density_and_share_out_by_the_groups_shift_windows(tmp_path, helsinki, hotspots):
    rng = np.random.default_rng(4)
    to_wgs = pyproj.Transformer.from_crs(helsinki.crs, "EPSG:4326", always_xy=True)
    xy = np.vstack([hot + rng.normal(0, 60, (120, 2)) for hot in hotspots])
    lon, lat = to_wgs.transform(xy[:, 0], xy[:, 1])
    hours = np.where(rng.random(len(xy)) < 0.75, rng.uniform(11, 13, len(xy)), rng.uniform(17, 19, len(xy)))
    times = pd.Timestamp("2026-05-01") + pd.to_timedelta(hours, unit="h")
    path = tmp_path / "orders.csv"
    pd.DataFrame({"time": times.strftime("%Y-%m-%d %H:%M:%S"), "lon": lon, "lat": lat}).to_csv(path, index=False)
    layer = build_layer(path, helsinki, "couriers", "orders", options=ObservedOptions(headcount=40))
    assert _near(layer, helsinki, hotspots) > 0.7
    assert layer.report["headcount"] == 40
    shares = layer.report["shift_shares"]
    assert shares["10:30-13:30"] == pytest.approx(0.75, abs=0.08)
    assert shares["16:30-19:30"] == pytest.approx(0.25, abs=0.08)
    assert shares["21:00-01:00"] == 0.0
    assert sum(layer.report["hourly_share"]) == pytest.approx(1.0)
    assert any("10:30-13:30" in line for line in layer.report_lines("zh"))


def test_shift_shares_count_windows_past_midnight():
    seconds = np.array([23, 0, 12]) * 3600 + 60
    assert shift_shares(seconds, np.ones(3), ("22:00-06:00", "08:00-18:00")) == {
        "22:00-06:00": pytest.approx(2 / 3), "08:00-18:00": pytest.approx(1 / 3)}  # fmt: skip


def test_depots_spread_their_crews_along_the_streets_within_their_beat(tmp_path, helsinki, hotspots):
    to_wgs = pyproj.Transformer.from_crs(helsinki.crs, "EPSG:4326", always_xy=True)
    lon, lat = to_wgs.transform(hotspots[:, 0], hotspots[:, 1])
    path = tmp_path / "depots.csv"
    path.write_text("lon,lat,headcount,beat_m\n" + f"{lon[0]},{lat[0]},12,600\n{lon[1]},{lat[1]},8,\n"
                    f"{lon[2]},{lat[2]},3,600\n", encoding="utf-8")  # fmt: skip
    layer = build_layer(path, helsinki, "sanitation", "depots", options=ObservedOptions(beat_m=400.0))
    points = layer.points.to_crs(helsinki.crs)
    xy = np.column_stack([points.geometry.x, points.geometry.y])
    to_first = np.linalg.norm(xy - hotspots[0], axis=1)
    to_second = np.linalg.norm(xy - hotspots[1], axis=1)
    assert np.all((to_first <= 600 + 150) | (to_second <= 400 + 150))  # within the beat (plus the snap)
    weight = points["weight"].to_numpy()
    assert weight[to_first <= 750].sum() == pytest.approx(12.0, rel=0.02)
    assert weight[to_second <= 550].sum() == pytest.approx(8.0, rel=0.02)
    assert layer.report["small_depots"] == 1  # the crew of 3 is cut out whole
    assert layer.report["privacy"]["suppressed_workers"] == pytest.approx(3.0, rel=1e-6)
    assert weight.sum() == pytest.approx(20.0, rel=1e-3)


def test_orders_with_some_times_missing_share_out_only_the_timed_ones(tmp_path, helsinki, hotspots):
    to_wgs = pyproj.Transformer.from_crs(helsinki.crs, "EPSG:4326", always_xy=True)
    rng = np.random.default_rng(8)
    xy = np.vstack([hot + rng.normal(0, 60, (40, 2)) for hot in hotspots])
    lon, lat = to_wgs.transform(xy[:, 0], xy[:, 1])
    times = np.where(np.arange(len(xy)) % 2 == 0, "2026-05-01 12:00:00", "")
    path = tmp_path / "orders.csv"
    pd.DataFrame({"time": times, "lon": lon, "lat": lat}).to_csv(path, index=False)
    layer = build_layer(path, helsinki, "couriers", "orders", options=ObservedOptions(headcount=10))
    orders, timed = layer.report["orders"], layer.report["timed_orders"]  # a few may fall outside the area
    assert len(xy) // 2 - 5 <= timed <= len(xy) // 2
    assert len(xy) // 2 - 5 <= orders - timed <= len(xy) // 2
    assert layer.report["shift_shares"]["10:30-13:30"] == pytest.approx(1.0)
