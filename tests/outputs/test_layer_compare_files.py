"""The files of a layer comparison read back: tables (English codes, Chinese headings), stations, JSON and maps."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from _observed_couriers import PARAMS, write_observed_couriers
from matplotlib.image import imread

from geoplan import i18n
from geoplan.errors import InputError
from geoplan.inputs.demand import read_layer
from geoplan.outputs import layer_compare as files
from geoplan.outputs.layer_compare import CATEGORY_COLOURS, COMPARISON_FILES, write_comparison
from geoplan.planning.layer_compare import COMPARISON_COLUMNS, compare_layers


@pytest.fixture(scope="module")
def comparison(helsinki, tmp_path_factory):
    path = write_observed_couriers(helsinki, tmp_path_factory.mktemp("observed") / "riders.csv")
    return compare_layers(helsinki, read_layer(path, "wgs84", "couriers"), "couriers", PARAMS)


@pytest.fixture(scope="module")
def written(comparison, tmp_path_factory):
    out = tmp_path_factory.mktemp("comparison")
    return out, write_comparison(comparison, out)


def read_csv(path) -> pd.DataFrame:
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads Chinese only with the byte-order mark
    return pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, na_values=[""])


def test_every_file_is_written_and_nothing_else(written):
    out, paths = written
    assert [p.name for p in paths] == list(COMPARISON_FILES)
    assert sorted(p.name for p in out.iterdir()) == sorted(COMPARISON_FILES)


def test_the_table_reads_back(helsinki, comparison, written):
    table = read_csv(written[0] / "comparison.csv")
    assert tuple(table.columns) == COMPARISON_COLUMNS
    assert len(table) == 1 + len(helsinki.districts)
    assert table["scope"].tolist() == ["area"] + ["district"] * len(helsinki.districts)
    assert table["district"].iloc[1:].tolist() == helsinki.districts["district"].tolist()
    figures = comparison.figures
    area = table.iloc[0]
    assert area["observed_workers"] == figures["layer"]["workers"] == 507
    assert area["rule_plan_covered"] == figures["rule"]["covered"]
    assert area["observed_plan_covered"] == figures["observed"]["covered"]
    assert area["observed_plan_share"] == figures["observed"]["share"]
    assert area["rule_cost_workers"] == figures["rule_cost_workers"] > 0
    assert area["rule_cost_points"] == figures["rule_cost_points"]
    assert area["rule_plan_stations"] == area["observed_plan_stations"] == 3
    assert table["rule_plan_objective"].iloc[1:].isna().all()


def test_the_chinese_table_has_chinese_headings_and_the_same_figures(written):
    english = read_csv(written[0] / "comparison.csv")
    chinese = read_csv(written[0] / "comparison_zh.csv")
    assert chinese.columns.tolist() == [i18n.text("label", f"compare_{c}", "zh") for c in COMPARISON_COLUMNS]
    assert "经验规则方案覆盖的观测劳动者" in chinese.columns
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in name) for name in chinese.columns)
    assert chinese.iloc[:, 0].tolist() == ["全区域"] + ["区县"] * (len(chinese) - 1)
    numbers = english.columns[2:]
    assert np.array_equal(chinese.iloc[:, 2:].to_numpy(dtype=float), english[numbers].to_numpy(dtype=float),
                          equal_nan=True)  # fmt: skip


def test_the_stations_file_lists_both_plans(comparison, written):
    stations = read_csv(written[0] / "comparison_stations.csv")
    assert stations.columns.tolist() == ["plan", "id", "district", "level", "lon", "lat"]
    assert stations["plan"].tolist() == ["rule"] * 3 + ["observed"] * 3
    observed = stations[stations["plan"] == "observed"]
    assert observed["id"].tolist() == comparison.observed_plan.proposals["id"].tolist()
    assert stations["lon"].between(24.9, 25.0).all()
    assert stations["lat"].between(60.1, 60.2).all()


def test_the_json_holds_the_figures(comparison, written):
    document = json.loads((written[0] / "comparison.json").read_text(encoding="utf-8"))
    assert document["area"]["name"] == "helsinki"
    assert document["group"] == "couriers"
    assert document["layer_source"] == "user layer riders.csv"
    assert document["parameters"]["cutoff_m"]["couriers"] == 400.0
    for key in ("layer", "rule", "observed", "rule_cost_workers", "rule_cost_points"):
        assert document[key] == comparison.figures[key]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_maps_show_riders_by_who_covers_them(written, lang):
    image = imread(io.BytesIO((written[0] / f"comparison_{lang}.png").read_bytes()), format="png")
    assert image.shape[:2] == (1040, 1430)
    pixels = image[..., :3].reshape(-1, 3)

    def seen(colour: str) -> int:
        rgb = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255
        return int((np.abs(pixels - rgb).max(axis=1) < 0.02).sum())

    # the riders only the observed-layer plan covers (most of them) fill far more of the map than the legend's dot
    assert seen(CATEGORY_COLOURS["only_observed"]) > 20 * seen(CATEGORY_COLOURS["both"]) > 0


def test_the_two_languages_differ(written):
    assert (written[0] / "comparison_zh.png").read_bytes() != (written[0] / "comparison_en.png").read_bytes()


def test_a_failed_map_writes_no_file(comparison, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise InputError("no map today", code="test_failure")

    monkeypatch.setattr(files, "comparison_png", broken)
    with pytest.raises(InputError, match="no map today"):
        write_comparison(comparison, tmp_path)
    assert list(tmp_path.iterdir()) == []
