"""``geoplan layer compare`` on the default area: what it prints (Chinese by default, English on request), what it
writes, and how it refuses bad input."""

from __future__ import annotations

import contextlib
import io
import re

import pandas as pd
import pytest
from _observed_couriers import observed_couriers, write_observed_couriers

from geoplan.cli import main
from geoplan.outputs.layer_compare import COMPARISON_FILES

OPTIONS = ["--area", "helsinki", "--stations", "3", "--district-min", "0", "--city-level", "0",
           "--cutoff", "couriers=400", "--quiet"]  # fmt: skip


@pytest.fixture(scope="module")
def riders(helsinki, tmp_path_factory):
    return write_observed_couriers(helsinki, tmp_path_factory.mktemp("observed") / "riders.csv")


@pytest.fixture(scope="module")
def run(riders, tmp_path_factory):
    """One comparison through the command line, in Chinese (the default): status, printed text, folder."""
    out = tmp_path_factory.mktemp("compare")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = main(["layer", "compare", "--observed", f"{riders}:couriers", *OPTIONS, "--out", str(out)])
    return status, printed.getvalue(), out


def test_the_command_writes_the_comparison(run):
    status, _, out = run
    assert status == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(COMPARISON_FILES)


def test_it_says_in_chinese_what_the_rule_of_thumb_costs(run):
    _, printed, out = run
    area = pd.read_csv(out / "comparison.csv", encoding="utf-8-sig").iloc[0]
    found = re.search(r"规则估算的图层少覆盖了 (\d+) 名观测到的快递员与外卖骑手（(-\d+\.\d) 个百分点）", printed)
    assert found, printed
    assert int(found.group(1)) == round(area["rule_cost_workers"]) > 0
    assert float(found.group(2)) == pytest.approx(-area["rule_cost_points"], abs=0.05)
    assert f"按观测图层规划：3 个驿站，覆盖观测到的 {round(area['observed_plan_covered'])} / 507 名劳动者" in printed
    assert str(out / "comparison_zh.png") in printed


def test_english_on_request(riders, tmp_path, capsys):
    status = main(["layer", "compare", "--observed", f"{riders}:couriers", *OPTIONS, "--out", str(tmp_path),
                   "--lang", "en", "--time-limit", "5"])  # fmt: skip
    printed = capsys.readouterr().out
    assert status == 0
    assert re.search(r"The rule-of-thumb layers cover \d+ fewer observed couriers and delivery riders "
                     r"\(-\d+\.\d percentage points\)", printed), printed  # fmt: skip
    assert "Plan on the rule of thumb: 3 stations" in printed


def test_the_group_must_be_named(riders, tmp_path, capsys):
    assert main(["layer", "compare", "--observed", str(riders), *OPTIONS, "--out", str(tmp_path)]) == 2
    assert "--observed 图层.csv:群体" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_group_is_refused(riders, tmp_path, capsys):
    status = main(["layer", "compare", "--observed", f"{riders}:pilots", *OPTIONS, "--out", str(tmp_path),
                   "--lang", "en"])  # fmt: skip
    assert status == 2
    assert "'pilots': the rule of thumb has no layer for it" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_layer_outside_the_area_writes_nothing(helsinki, tmp_path, capsys):
    layer = observed_couriers(helsinki)
    layer["lon"] += 0.5  # half a degree east: another part of Finland
    path = tmp_path / "riders.csv"
    layer.to_csv(path, index=False)
    out = tmp_path / "out"
    assert main(["layer", "compare", "--observed", f"{path}:couriers", *OPTIONS, "--out", str(out)]) == 2
    assert "坐标系" in capsys.readouterr().err
    assert not out.exists() or list(out.iterdir()) == []
