"""The calibration commands: ``geoplan layer calibrate``, ``geoplan plan --calibrated-from`` and
``geoplan layer check-visits``, end to end on Helsinki with workers drawn from a known model (seeded)."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import shapely

from geoplan import settings
from geoplan.cli import main
from geoplan.data.areas import assign_district
from geoplan.inputs.calibration import FEATURES, calibrate, calibrated_layer, read_model, street_features, write_model
from geoplan.inputs.demand import WORKER_GROUPS, build_demand, default_headcounts, read_layer
from geoplan.inputs.visits import demand_around

#: Every group but the couriers: their headcount is set to 0 in the plan test, so its figures are the couriers'.
OTHER_GROUPS = [group for group in WORKER_GROUPS if group != "couriers"]


def error_line(capsys) -> str:
    """The single stderr line of a failed run (Chinese: the tests run without an English locale)."""
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{err}"
    assert lines[0].startswith("错误："), lines[0]
    return lines[0].removeprefix("错误：")


@pytest.fixture(scope="module")
def observed(helsinki, tmp_path_factory):
    """Couriers drawn on the street samples: many near eateries, few on footways (seeded); one point far away."""
    features = street_features(helsinki)
    x = features.values
    z = (x - x.mean(axis=0)) / np.where(x.std(axis=0) > 0, x.std(axis=0), 1.0)
    coef = np.zeros(len(FEATURES))
    coef[[FEATURES.index("eateries_300m"), FEATURES.index("road_footway")]] = 0.9, -0.7
    counts = np.random.default_rng(42).poisson(features.exposure * 5.0 * np.exp(z @ coef))
    lonlat = shapely.get_coordinates(features.samples.to_crs(settings.WGS84).geometry.to_numpy())
    path = tmp_path_factory.mktemp("observed") / "riders.csv"
    rows = [f"{lon:.7f},{lat:.7f},{n}" for (lon, lat), n in zip(lonlat, counts, strict=True) if n > 0]
    path.write_text("lon,lat,weight\n" + "\n".join(rows) + "\n24.99,60.17,4\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def model_file(helsinki, observed, tmp_path_factory):
    """The couriers' model fitted by the library (the command's own output is tested separately)."""
    result = calibrate(helsinki, read_layer(observed, group="couriers"))
    return write_model(result.model, tmp_path_factory.mktemp("model") / "couriers.json")


def test_layer_calibrate_writes_the_model_and_prints_the_fit(observed, tmp_path, capsys):
    out = tmp_path / "couriers.json"
    assert main(["layer", "calibrate", "--area", "helsinki", "--layer", f"{observed}:couriers", "--out", str(out),
                 "--quiet"]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    model = read_model(out)
    assert model.group == "couriers"
    assert model.trained_on["area"] == "helsinki"
    assert model.trained_on["dropped_points"] == 1
    cv = model.cv
    assert cv["d2_mean"] > 0.5 > cv["rule_d2_mean"]
    assert f"观测图层 riders.csv：快递员与外卖骑手 {model.trained_on['observed_workers']:,.0f} 人" in printed
    assert "另有 1 个观测点（4 人）距任何街道超过 150 米，已舍去。" in printed
    assert printed.count("折：D² 校准规则") == cv["folds"]
    assert f"平均 D²（泊松偏差被解释的比例，1 为完美，0 为沿街均匀分布）：校准规则 {cv['d2_mean']:.3f}" in printed
    assert "校准规则优于经验规则" in printed
    eateries = model.coef[FEATURES.index("eateries_300m")]
    assert f"300 米内餐饮店数（对数）：{eateries:+.3f}" in printed
    assert eateries == pytest.approx(0.9, abs=0.2)
    assert f"模型已写入：{out}" in printed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["couriers.json"]


def test_layer_calibrate_refuses_an_unwritable_model_before_the_slow_part(observed, tmp_path, capsys):
    out = tmp_path / "missing" / "m.json"
    args = ["layer", "calibrate", "--area", "helsinki", "--layer", f"{observed}:couriers", "--out", str(out)]
    assert main([*args, "--lang", "en"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines  # refused before the area was read (its loading line)
    assert lines[0] == f"error: Cannot write {out}: folder {out.parent} does not exist."
    assert not (tmp_path / "missing").exists()


def test_plan_calibrated_from_spreads_the_group_by_the_model(helsinki, model_file, tmp_path, capsys):
    out = tmp_path / "plan"
    zero = [arg for group in OTHER_GROUPS for arg in ("--headcount", f"{group}=0")]
    assert main(["plan", "--area", "helsinki", "--calibrated-from", str(model_file), "--headcount", "couriers=600",
                 *zero, "--time-limit", "2", "--out", str(out), "--quiet"]) == 0  # fmt: skip
    capsys.readouterr()
    summary = json.loads((out / "coverage.json").read_text(encoding="utf-8"))
    assert summary["demand_layers"] == {"couriers": "user layer couriers.json (calibrated)"}
    assert summary["by_group"]["couriers"]["workers"] == pytest.approx(600.0)
    assert summary["user_data"]["layers"][0]["source"] == "couriers.json (calibrated)"
    # the districts' workers are the model's prediction, not the couriers' rule of thumb
    layer = calibrated_layer(helsinki, read_model(model_file), 600.0).to_crs(helsinki.crs)
    predicted = layer.groupby(assign_district(layer, helsinki.districts))["weight"].sum()
    planned = {name: row["workers"] for name, row in summary["by_district"].items()}
    assert planned == pytest.approx(predicted.to_dict(), abs=0.01)
    rule, _ = build_demand(helsinki, dict.fromkeys(OTHER_GROUPS, 0.0) | {"couriers": 600.0})
    by_rule = rule.groupby("district")["weight"].sum()
    assert max(abs(by_rule[name] - planned[name]) for name in planned) > 20  # the test can tell them apart


def test_plan_refuses_a_model_of_another_version(model_file, tmp_path, capsys):
    data = json.loads(model_file.read_text(encoding="utf-8"))
    data["version"] = 2
    bad = tmp_path / "old.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "plan"
    assert main(["plan", "--area", "helsinki", "--calibrated-from", str(bad), "--out", str(out), "--quiet"]) == 2
    assert error_line(capsys) == (
        "old.json 的模型版本为 2，本版 geoplan 只读第 1 版；请用本版 geoplan layer calibrate 重新生成。"
    )
    assert not out.exists()


def test_plan_refuses_a_model_and_a_layer_for_one_group(model_file, observed, tmp_path, capsys):
    out = tmp_path / "plan"
    assert main(["plan", "--area", "helsinki", "--layer", f"{observed}:couriers", "--calibrated-from",
                 str(model_file), "--out", str(out), "--quiet", "--lang", "en"]) == 2  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert err == "error: Two layers for couriers (riders.csv and couriers.json); give one calibrated model or user " \
                  "layer per group."  # fmt: skip
    assert not out.exists()


# --- check-visits --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stations_file(helsinki, tmp_path_factory):
    """Eight existing stations on street samples spread over the area; the third has no name (its id is 3)."""
    samples = helsinki.street_samples.to_crs(settings.WGS84)
    rows = np.linspace(0, len(samples) - 1, 8).astype(int)
    lonlat = shapely.get_coordinates(samples.geometry.to_numpy()[rows])
    names = [f"站{i}" if i != 3 else "" for i in range(1, 9)]
    path = tmp_path_factory.mktemp("stations") / "stations.csv"
    lines = [f"{lon:.7f},{lat:.7f},{name}" for (lon, lat), name in zip(lonlat, names, strict=True)]
    path.write_text("lon,lat,name\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def ledger_ids() -> list[str]:
    return [f"站{i}" if i != 3 else "3" for i in range(1, 9)]


def test_check_visits_flags_a_station_three_times_busier_than_predicted(helsinki, model_file, stations_file,
                                                                        tmp_path, capsys):  # fmt: skip
    from geoplan.inputs.candidates import read_sites

    stations = read_sites(stations_file, default_footprint_m2=9.0)
    model = read_model(model_file)
    layer = calibrated_layer(helsinki, model, default_headcounts(helsinki)["couriers"])
    demand, rules = build_demand(helsinki, layers=[layer])
    predicted = demand_around(demand, stations, {group: WORKER_GROUPS[group].cutoff_m for group in rules})
    per_day = np.round(predicted * 0.1)
    busier = int(np.argmin(predicted))
    per_day[busier] *= 3
    ledger = tmp_path / "ledger.csv"
    rows = [f"{sid},2026-03-{day:02d},{int(v)}" for day in range(1, 15)
            for sid, v in zip(ledger_ids(), per_day, strict=True)]  # fmt: skip
    ledger.write_text("station_id,date,visits\n" + "\n".join(rows) + "\n", encoding="utf-8")
    report = tmp_path / "report.csv"
    assert main(["layer", "check-visits", "--area", "helsinki", "--existing", str(stations_file), "--visits",
                 str(ledger), "--model", str(model_file), "--out", str(report), "--quiet"]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    with report.open(encoding="utf-8-sig") as handle:
        table = list(csv.DictReader(handle))
    assert [row["station_id"] for row in table] == ledger_ids()
    assert [row["flag"] for row in table] == ["under" if i == busier else "" for i in range(8)]
    assert float(table[busier]["ratio"]) > 2.0
    assert [float(row["predicted_workers"]) for row in table] == pytest.approx(predicted, abs=0.01)
    assert f"  {ledger_ids()[busier]}：实际每天 {per_day[busier]:.0f} 次" in printed
    assert printed.count("模型低估（到访多于预期）") == 1
    assert "1 个驿站到访多于预期，0 个少于预期" in printed
    assert f"报告已写入：{report}" in printed


def test_check_visits_refuses_bad_ledger_rows_with_their_line_numbers(stations_file, tmp_path, capsys):
    ledger = tmp_path / "ledger.csv"
    ledger.write_text("station_id,date,visits\n站1,2026-03-01,5\n站1,3月1日,5\n站2,2026-03-01,-1\n站9,2026-03-01,2\n"
                      "站4,,2\n", encoding="utf-8")  # fmt: skip
    report = tmp_path / "report.csv"
    assert main(["layer", "check-visits", "--area", "helsinki", "--existing", str(stations_file), "--visits",
                 str(ledger), "--out", str(report), "--quiet"]) == 2  # fmt: skip
    assert error_line(capsys) == (
        f"{ledger}：有 4 行格式有误：第 3 行：日期“3月1日”无法识别（请写成 2026-03-01 或 2026/3/1）；"
        "第 4 行：visits -1.0 为负数；第 5 行：驿站编号“站9”既不是驿站文件中的名称，也不是其中的行号；"
        "第 6 行：date 为空。"
    )
    assert not report.exists()
