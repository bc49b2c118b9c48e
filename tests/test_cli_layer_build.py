"""``geoplan layer build`` then ``geoplan plan --layer``: riders' pings become a layer, and the plan serves the
places the riders wait at; a bad file gives the one-line message and writes nothing."""

from __future__ import annotations

import json

import numpy as np
import pytest
from _traces import hotspot_points, traces

from geoplan.cli import main

OTHERS = ["sanitation", "traffic_police", "bus_drivers", "taxi_drivers", "urban_management", "repair_crews"]


@pytest.fixture(scope="module")
def hotspots(helsinki):
    return hotspot_points(helsinki, 3)


@pytest.fixture(scope="module")
def pings(helsinki, hotspots, tmp_path_factory):
    path = tmp_path_factory.mktemp("firm") / "pings.csv"
    traces(helsinki, hotspots, workers=25, crs="gcj02").to_csv(path, index=False)
    return path


def test_a_layer_built_from_pings_makes_the_plan_serve_the_hotspots(pings, hotspots, helsinki, tmp_path, capsys):
    layer = tmp_path / "couriers.csv"
    status = main(["layer", "build", str(pings), "--area", "helsinki", "--group", "couriers", "--kind", "pings",
                   "--crs", "gcj02", "--out", str(layer), "--quiet"])  # fmt: skip
    printed = capsys.readouterr().out
    assert status == 0
    assert "停留点" in printed
    assert "隐私保护" in printed
    assert str(layer) in printed
    assert json.loads(layer.with_suffix(".json").read_text("utf-8"))["crs"] == "gcj02"
    out = tmp_path / "plan"
    status = main(["plan", "--area", "helsinki", "--layer", f"{layer}:couriers", "--stations", "3",
                   "--district-min", "0", "--city-level", "0", "--cutoff", "couriers=300", "--out", str(out),
                   "--quiet", *[f"--headcount={group}=0" for group in OTHERS]])  # fmt: skip
    assert status == 0
    stations = json.loads((out / "proposals.geojson").read_text("utf-8"))["features"]
    import pyproj

    to_area = pyproj.Transformer.from_crs("EPSG:4326", helsinki.crs, always_xy=True)
    xy = np.array([to_area.transform(*f["geometry"]["coordinates"]) for f in stations])
    nearest = np.min(np.linalg.norm(hotspots[:, None, :] - xy[None], axis=2), axis=1)
    assert np.all(nearest <= 300), nearest


def test_a_bad_file_gives_the_one_line_message_in_english_and_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("worker_id,time,lon,lat\na,noon,24.94,60.17\n", encoding="utf-8")
    out = tmp_path / "layer.csv"
    status = main(["layer", "build", str(bad), "--area", "helsinki", "--group", "couriers", "--kind", "pings",
                   "--out", str(out), "--quiet", "--lang", "en"])  # fmt: skip
    assert status == 2
    error = capsys.readouterr().err
    assert "line 2: time 'noon'" in error
    assert len(error.strip().splitlines()) == 1
    assert not out.exists()
    assert not out.with_suffix(".json").exists()


def test_order_times_feed_the_shift_windows_of_a_plan(helsinki, hotspots, tmp_path, capsys):
    import pandas as pd
    import pyproj

    rng = np.random.default_rng(2)
    to_wgs = pyproj.Transformer.from_crs(helsinki.crs, "EPSG:4326", always_xy=True)
    xy = np.vstack([hot + rng.normal(0, 50, (80, 2)) for hot in hotspots])
    lon, lat = to_wgs.transform(xy[:, 0], xy[:, 1])
    hours = np.where(np.arange(len(xy)) % 5 == 0, 18.0, 12.0) + rng.uniform(0, 0.5, len(xy))
    times = (pd.Timestamp("2026-05-01") + pd.to_timedelta(hours, unit="h")).strftime("%Y-%m-%d %H:%M:%S")
    orders = tmp_path / "orders.csv"
    pd.DataFrame({"time": times, "lon": lon, "lat": lat}).to_csv(orders, index=False)
    layer = tmp_path / "orders_layer.csv"
    assert main(["layer", "build", str(orders), "--area", "helsinki", "--group", "couriers", "--kind", "orders",
                 "--headcount", "50", "--out", str(layer), "--quiet"]) == 0  # fmt: skip
    report = json.loads(layer.with_suffix(".json").read_text("utf-8"))
    assert report["shift_shares"]["10:30-13:30"] == pytest.approx(0.8, abs=0.01)
    out = tmp_path / "plan"
    status = main(["plan", "--area", "helsinki", "--layer", f"{layer}:couriers", "--shifts-from",
                   str(layer.with_suffix(".json")), "--hours", "08:30-17:00,24h", "--max-24h", "1", "--stations", "8",
                   "--out", str(out), "--time-limit", "5", "--lang", "en"])  # fmt: skip
    assert status == 0
    assert "Shift shares of couriers and delivery riders from" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something else"}', encoding="utf-8")
    status = main(["plan", "--area", "helsinki", "--shifts-from", str(bad), "--out", str(out), "--quiet",
                   "--lang", "en"])  # fmt: skip
    assert status == 2
    assert "not a layer report of geoplan layer build" in capsys.readouterr().err
