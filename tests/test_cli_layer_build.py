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
