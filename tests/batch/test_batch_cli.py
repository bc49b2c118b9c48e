"""``geoplan batch`` refuses what it cannot do before any work, in one line, with exit status 2."""

from __future__ import annotations

import pytest

from geoplan.batch import runner
from geoplan.cli import main

ERROR_PREFIX = "error: "


@pytest.fixture(autouse=True)
def _english_locale(monkeypatch):
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")


def _error(capsys) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(ERROR_PREFIX)
    return lines[0].removeprefix(ERROR_PREFIX)


def test_unknown_registered_areas_are_named(capsys, tmp_path):
    assert main(["batch", "--areas", "helsinki,atlantis，lemuria", "--out", str(tmp_path / "out")]) == 2
    message = _error(capsys)
    assert "atlantis" in message
    assert "lemuria" in message
    assert "helsinki" in message.split("Registered")[1]
    assert not (tmp_path / "out").exists()


def test_split_with_a_list_of_areas_is_refused(capsys, tmp_path):
    assert main(["batch", "--areas", "helsinki", "--split", str(tmp_path / "x.geojson")]) == 2
    assert "--split" in _error(capsys)




def test_stations_table_naming_another_area_is_refused_before_work(capsys, tmp_path):
    table = tmp_path / "quota.csv"
    table.write_text("area,stations\n东湖区,3\n火星,2\n", encoding="utf-8")
    argv = ["batch", "--area", "nanchang", "--stations-table", str(table), "--out", str(tmp_path / "out")]
    assert main(argv) == 2
    message = _error(capsys)
    assert "line 3" in message
    assert "火星" in message


def test_unreachable_scheduler_is_said_plainly(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "CONNECT_TIMEOUT_S", 3)
    argv = ["batch", "--area", "nanchang", "--scheduler", "tcp://127.0.0.1:9", "--no-scenarios", "--quiet", "--out",
            str(tmp_path / "out")]  # fmt: skip
    assert main(argv) == 2
    message = _error(capsys)
    assert "Cannot reach the Dask scheduler at tcp://127.0.0.1:9" in message
    assert not (tmp_path / "out" / "summary.csv").exists()


def test_the_same_error_in_chinese(capsys, tmp_path):
    assert main(["batch", "--areas", "atlantis", "--lang", "zh"]) == 2
    assert "这些区域没有登记：atlantis" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "folder"),
    [("东湖区", "东湖区"), ("../../etc/passwd", "_.._etc_passwd"), ("a:b*c?", "a_b_c_"), ("...", "area"),
     ("x" * 200, "x" * 80), ("名\n称", "名_称")],
)  # fmt: skip
def test_area_folders_stay_inside_the_output(name, folder):
    assert runner.area_folder(name) == folder


def test_area_folders_differ_when_names_clean_to_the_same():
    assert runner._folders(["a/b", "a_b", "A_B"]) == {"a/b": "a_b", "a_b": "a_b-2", "A_B": "A_B-3"}


def test_plan_with_its_coverage_on_dask_workers_is_the_same_plan(tmp_path):
    import json

    base = ["plan", "--area", "helsinki", "--stations", "8", "--quiet", "--time-limit", "30"]
    assert main([*base, "--out", str(tmp_path / "serial")]) == 0
    assert main([*base, "--workers", "2", "--out", str(tmp_path / "dask")]) == 0
    serial, spread = (json.loads((tmp_path / name / "coverage.json").read_text("utf-8")) for name in ("serial", "dask"))
    assert spread["workers"] == serial["workers"]
    assert spread["optimality"]["objective"] == serial["optimality"]["objective"]
