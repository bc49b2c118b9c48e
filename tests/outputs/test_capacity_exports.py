"""A capacitated scenario's exports (issue 16, part 4): the PDF, the standalone HTML map and the stations table show
each station's capacity, peak load and utilisation and served versus covered workers; plain scenarios are unchanged."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from geoplan.outputs import pdf as report
from geoplan.outputs import png as render
from geoplan.outputs import tables, webmap
from geoplan.outputs.export_data import CAPACITY_COLUMNS, build_export_data


@pytest.fixture(scope="module")
def plain(default_workspace):
    sites, result, _ = default_workspace.propose(5)
    scenario = {"id": 1, "name": "普通方案", "area": "helsinki", "params": {}, "sites": sites, "result": result}
    return build_export_data(scenario, default_workspace)


def test_export_data_has_capacity_per_station_and_served(capacitated_data):
    stations = capacitated_data.stations
    assert len(stations) == 5  # four proposals and the existing station; the rejected site is no station
    assert list(stations.columns[stations.columns.get_loc("covered_workers") + 1 :][: len(CAPACITY_COLUMNS)]) == list(
        CAPACITY_COLUMNS
    )
    assert (stations["peak_load"] <= stations["capacity_per_hour"] + 1e-6).all()
    assert stations["utilisation"].to_numpy() == pytest.approx(
        (stations["peak_load"] / stations["capacity_per_hour"]).to_numpy(), abs=1e-4
    )
    existing = stations[stations["status"] == "existing"].iloc[0]
    assert existing["size_m2"] == 9.0
    assert existing["capacity"] == 4
    assert 0 < capacitated_data.workers["served"] <= capacitated_data.workers["covered"]
    assert (capacitated_data.by_group["served"] <= capacitated_data.by_group["covered"] + 1e-6).all()
    assert capacitated_data.capacity["max_utilisation"] == pytest.approx(stations["utilisation"].max())


def test_stations_table_and_summary_carry_capacity(capacitated_data, plain):
    table = tables.stations_table(capacitated_data, "zh")
    for column in CAPACITY_COLUMNS:
        assert column in table.columns
    assert str(table["capacity"].dtype) == "Int64"
    summary = tables._summary_table(capacitated_data, "zh").set_index("key")
    assert summary.loc["workers_served", "label"] == "按容量可服务劳动者"
    plain_table = tables.stations_table(plain, "zh")
    assert not set(CAPACITY_COLUMNS) & set(plain_table.columns)
    assert "workers_served" not in set(tables._summary_table(plain, "zh")["key"])


def test_html_map_shows_utilisation(capacitated_data, plain):
    page = webmap.scenario_map(capacitated_data, "zh").html
    found = [float(value) for value in re.findall(r'"utilisation":\s*([0-9.]+)', page)]
    assert sorted(found) == pytest.approx(sorted(capacitated_data.stations["utilisation"].round(4)))
    assert "站点满员（达到容量）" in page  # the legend entry
    assert "利用率" in page
    assert "高峰负荷" in page
    assert json.dumps("站点满员（达到容量）", ensure_ascii=False) in page
    plain_page = webmap.scenario_map(plain, "zh").html
    assert '"utilisation"' not in plain_page
    assert "站点满员" not in plain_page


@pytest.fixture(scope="module")
def poppler() -> None:
    missing = [tool for tool in ("pdftotext",) if shutil.which(tool) is None]
    if missing or render.cjk_font() is None:
        pytest.skip("pdftotext or Noto Sans CJK missing: scripts/system-deps.sh installs them")


def _pdf_text(path) -> str:
    done = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, text=True)
    return "".join(done.stdout.split())


def test_pdf_lists_capacity_and_utilisation(poppler, capacitated_data, plain, tmp_path):
    text = _pdf_text(report.write_report(capacitated_data, tmp_path / "zh.pdf", "zh"))
    for needle in ("站点容量与利用率", "容量（人）", "利用率", "高峰负荷", "最忙时段", "按容量可服务", "可服务"):
        assert needle in text
    for station in capacitated_data.stations.itertuples():
        assert f"{station.utilisation:.1%}" in text
        assert f"{station.peak_window}" in text
    english = _pdf_text(report.write_report(capacitated_data, tmp_path / "en.pdf", "en"))
    assert "Stationcapacityandutilisation" in english
    assert "Utilisation" in english
    assert "站点容量与利用率" not in _pdf_text(report.write_report(plain, tmp_path / "plain.pdf", "zh"))
