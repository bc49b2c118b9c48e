"""``geoplan plan --capacitated`` end to end on the Helsinki fixture (issue 16): capacity, loads and served workers
read back from the files a planner gets."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

from geoplan.cli import main

#: A dense cluster of riders at one spot in Helsinki (WGS-84).
CLUSTER = (24.9428, 60.1676)


@pytest.fixture(autouse=True)
def _english_locale(monkeypatch):
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")


def _plan(out, *args: str) -> int:
    return main(["plan", "--area", "helsinki", "--time-limit", "5", "--out", str(out), "--quiet", *args])


def _stations(out) -> list[dict]:
    features = json.loads((out / "proposals.geojson").read_text("utf-8"))["features"]
    return [dict(f["properties"], lonlat=f["geometry"]["coordinates"]) for f in features]


def _metres(a, b) -> float:
    """Straight-line distance between two WGS-84 points, metres (equirectangular; fine within a city)."""
    dx = (a[0] - b[0]) * 111_320 * math.cos(math.radians((a[1] + b[1]) / 2))
    return math.hypot(dx, (a[1] - b[1]) * 110_540)


def test_capacitated_plan_writes_capacity_and_loads_never_above_it(tmp_path, capsys):
    out = tmp_path / "capacitated"
    assert _plan(out, "--capacitated", "--lang", "zh") == 0
    printed = capsys.readouterr().out
    assert "按容量可服务劳动者" in printed
    assert "目标值（每日可服务的人次·分钟）" in printed  # the objective is served visit-minutes, not workers
    assert "按人群（可服务 / 覆盖范围内）" in printed
    stations = _stations(out)
    assert len(stations) == 5
    for station in stations:
        # Checked from the file alone: people at once from the floor area (0.5 per m²), x 60 per hour.
        assert station["capacity"] == max(1, math.floor(station["size_m2"] * 0.5 + 1e-9))
        assert station["capacity_per_hour"] == pytest.approx(station["capacity"] * 60)
        assert 0 <= station["peak_load"] <= station["capacity_per_hour"] + 1e-6
        assert station["utilisation"] == pytest.approx(station["peak_load"] / station["capacity_per_hour"], abs=1e-4)
        assert re.fullmatch(r"\d\d:\d\d-\d\d:\d\d", station["peak_window"])
    coverage = json.loads((out / "coverage.json").read_text("utf-8"))
    capacity = coverage["capacity"]
    assert capacity["people_per_m2"] == 0.5
    assert capacity["visits"]["couriers"] == {
        "per_shift": 1.0,
        "minutes": 20.0,
        "why": capacity["visits"]["couriers"]["why"],
    }
    assert sum(window["hours"] for window in capacity["windows"]) <= 24
    assert capacity["stations"]["capacity_people"] == sum(s["capacity"] for s in stations)
    for table in ("by_group", "by_district"):
        for row in coverage[table].values():
            assert 0 <= row["served"] <= row["covered"] + 1e-6
    served = sum(row["served"] for row in coverage["by_group"].values())
    assert served == pytest.approx(coverage["workers"]["served"], abs=0.05)
    assert coverage["parameters"]["capacitated"] is True


def test_a_capacity_too_large_to_bind_gives_the_plain_coverage(tmp_path):
    plain, roomy = tmp_path / "plain", tmp_path / "roomy"
    assert _plan(plain) == 0
    assert _plan(roomy, "--capacitated", "--people-per-m2", "1000") == 0
    plain_cov = json.loads((plain / "coverage.json").read_text("utf-8"))
    roomy_cov = json.loads((roomy / "coverage.json").read_text("utf-8"))
    assert roomy_cov["workers"]["covered"] == pytest.approx(plain_cov["workers"]["covered"])
    assert roomy_cov["workers"]["served"] == pytest.approx(roomy_cov["workers"]["covered"])
    for group, row in roomy_cov["by_group"].items():
        assert row["served"] == pytest.approx(row["covered"], abs=0.01)
        assert row["covered"] == pytest.approx(plain_cov["by_group"][group]["covered"])
    assert max(s["utilisation"] for s in _stations(roomy)) < 0.01


def test_a_dense_cluster_gets_more_stations_near_it_when_capacity_binds(tmp_path, capsys):
    layer = tmp_path / "riders.csv"
    layer.write_text(f"lon,lat,weight\n{CLUSTER[0]},{CLUSTER[1]},400\n", "utf-8")
    args = ("--layer", f"{layer}:couriers", "--cutoff", "couriers=600")
    plain, capped = tmp_path / "plain", tmp_path / "capped"
    assert _plan(plain, *args) == 0
    assert _plan(capped, *args, "--capacitated", "--lang", "en") == 0
    assert "Workers served within capacity" in capsys.readouterr().out

    def near(out) -> int:
        return sum(_metres(s["lonlat"], CLUSTER) <= 600 for s in _stations(out))

    # 400 riders load 400 x 0.35 / 3 h x 20 min = 933 person-minutes per hour at a meal peak; a 9 m² station takes
    # 240: one station in reach covers them all but serves a quarter.
    assert near(capped) > near(plain)
    coverage = json.loads((capped / "coverage.json").read_text("utf-8"))
    couriers = coverage["by_group"]["couriers"]
    assert couriers["served"] < couriers["covered"]
    busy = [s for s in _stations(capped) if _metres(s["lonlat"], CLUSTER) <= 600]
    assert all(s["peak_load"] <= s["capacity_per_hour"] + 1e-6 for s in busy)
    assert np.mean([s["utilisation"] for s in busy]) > 0.5


@pytest.mark.parametrize(
    ("args", "code_text_zh", "code_text_en"),
    [
        (("--people-per-m2", "2"), "只用于按容量规划", "applies to capacitated plans only"),
        (("--capacitated", "--people-per-m2", "0"), "每平方米同时容纳人数须为正数", "must be a positive number"),
        (("--capacitated", "--visit-minutes", "couriers=-5"), "每次到站分钟数", "Minutes per station visit"),
        (("--capacitated", "--visit-minutes", "couriers"), "--visit-minutes", "--visit-minutes"),
        (("--capacitated", "--max-gap", "800"), "暂不能与 --max-gap 同时使用", "cannot yet be combined with --max-gap"),
    ],
)
def test_bad_capacity_options_are_refused_in_both_languages(tmp_path, capsys, args, code_text_zh, code_text_en):
    for lang, expected in (("zh", code_text_zh), ("en", code_text_en)):
        assert _plan(tmp_path / "out", *args, "--lang", lang) == 2
        assert expected in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_visit_minutes_of_a_group_without_demand_are_refused(tmp_path, capsys):
    assert _plan(tmp_path / "out", "--capacitated", "--visit-minutes", "sweepers=10", "--lang", "zh") == 2
    assert "不在本方案的需求图层中" in capsys.readouterr().err


def test_a_host_offering_more_space_near_the_cluster_is_enlarged(tmp_path, capsys):
    layer, sites = tmp_path / "riders.csv", tmp_path / "hall.csv"
    layer.write_text(f"lon,lat,weight\n{CLUSTER[0]},{CLUSTER[1]},400\n", "utf-8")
    sites.write_text("lon,lat,footprint_m2,name\n24.9430,60.1678,40,Community hall\n", "utf-8")
    out = tmp_path / "out"
    args = ("--layer", f"{layer}:couriers", "--cutoff", "couriers=600", "--sites", str(sites), "--capacitated")
    assert _plan(out, *args, "--lang", "zh") == 0
    assert "按申报面积扩建的站点：1 个（U00001）" in capsys.readouterr().out
    hall = next(s for s in _stations(out) if s["id"] == "U00001")
    # 40 m² x 0.5 = 20 people at once instead of the minimum 9 m²'s 4.
    assert (hall["size_m2"], hall["enlarged"], hall["capacity"]) == (40.0, True, 20)
    assert hall["peak_load"] <= hall["capacity_per_hour"] + 1e-6
    coverage = json.loads((out / "coverage.json").read_text("utf-8"))
    assert coverage["capacity"]["stations"]["enlarged"] == ["U00001"]


def test_capacitated_plan_with_opening_hours_serves_only_while_open(tmp_path):
    """Opening hours with capacity: a station serves nothing in windows it is closed, and the 24-hour quota holds."""
    out = tmp_path / "hours"
    assert _plan(out, "--capacitated", "--hours", "08:30-17:00,24h", "--max-24h", "1") == 0
    stations = _stations(out)
    assert len(stations) == 5
    assert sum(s["hours"] == "24h" for s in stations) <= 1
    coverage = json.loads((out / "coverage.json").read_text("utf-8"))
    windows = [w["window"] for w in coverage["capacity"]["windows"]]
    # The windows are cut at 08:30 and 17:00, so a station is open throughout a window or not at all.
    assert any(w.startswith("08:30") for w in windows)
    assert any(w.startswith("17:00") for w in windows)
    for station in stations:
        assert 0 <= station["peak_load"] <= station["capacity_per_hour"] + 1e-6
        if station["hours"] == "08:30-17:00" and station["peak_load"] > 0:
            start = int(station["peak_window"][:2]) * 60 + int(station["peak_window"][3:5])
            assert 8 * 60 + 30 <= start < 17 * 60  # its busiest window is one it is open in
    for row in coverage["by_group"].values():
        assert 0 <= row["served"] <= row["covered"] + 1e-6


def test_capacitated_plan_in_phases_keeps_phase_one(tmp_path):
    """Phases with capacity: phase 1 places the quota stations, phase 2 adds the rest, both within capacity."""
    out = tmp_path / "phases"
    assert _plan(out, "--capacitated", "--phases", "--stations", "6", "--district-min", "0") == 0  # phase 1: 3
    stations = _stations(out)
    assert len(stations) == 6
    phases = [s["phase"] for s in stations]
    assert set(phases) == {1, 2}
    assert phases.count(1) == 3
    assert all(s["level"] == "city" for s in stations if s["phase"] == 1)
    assert all(0 <= s["peak_load"] <= s["capacity_per_hour"] + 1e-6 for s in stations)
