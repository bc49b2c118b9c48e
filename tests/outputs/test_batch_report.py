"""The batch summary files, from results as the batch keeps them (no cluster needed)."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess

import geopandas as gpd
import pytest
from PIL import Image

from geoplan.outputs.batch_report import SUMMARY_COLUMNS, SUMMARY_FILES, summary_frame, write_summary

HOSTILE = "=HYPERLINK(\"http://evil.example\")<script>x</script>"


def _record(area, **values):
    record = {
        "area": area, "title": area, "title_zh": area, "status": "optimal", "stations": 2, "covered_workers": 90.0,
        "workers": 100.0, "share": 0.9, "gap": 0.0, "seconds": 3.5, "error": "", "error_zh": "",
        "outline": "POLYGON ((115.8 28.6, 115.82 28.6, 115.82 28.62, 115.8 28.62, 115.8 28.6))",
        "sites": [{"lon": 115.81, "lat": 28.61, "district": area, "status": "proposed", "city_level": False,
                   "covered_workers": 45.0}, {"lon": 115.815, "lat": 28.615, "district": area, "status": "existing",
                                              "city_level": True, "covered_workers": 45.0}],
        "by_district": {area: {"workers": 100.0, "covered": 90.0, "share": 0.9, "stations": 2}},
    }  # fmt: skip
    record.update(values)
    return record


@pytest.fixture
def records():
    second = _record("西湖区", outline="POLYGON ((115.82 28.6, 115.84 28.6, 115.84 28.62, 115.82 28.62, 115.82 28.6))",
                     share=0.5, covered_workers=50.0, status="time_limit", gap=0.0123)  # fmt: skip
    failed = _record(HOSTILE, status="failed", error="No street lies inside.", error_zh="边界内没有任何街道。",
                     outline="", sites=[], by_district={})  # fmt: skip
    return [_record("东湖区"), second, failed]


def test_summary_csv_has_the_columns_and_a_row_per_area(records, tmp_path):
    written = write_summary(records, tmp_path)
    assert sorted(p.name for p in written) == sorted(SUMMARY_FILES)
    with (tmp_path / "summary.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == SUMMARY_COLUMNS
    assert [r["status"] for r in rows] == ["optimal", "time_limit", "failed"]
    assert rows[1]["covered_workers"] == "50.0"
    assert rows[1]["share"] == "0.5"
    assert rows[1]["gap"] == "0.0123"
    assert rows[2]["stations"] == ""
    assert rows[2]["error"] == "No street lies inside."
    assert not rows[2]["area"].startswith("=")  # a name from a boundary file is never a formula in Excel


def test_chinese_table_translates_headings_statuses_and_errors(records):
    frame = summary_frame(records, "zh")
    assert list(frame.columns[:3]) == ["区域", "站点数", "覆盖劳动者"]
    assert frame["状态"].tolist()[2] == "失败"
    assert frame["错误"].tolist()[2] == "边界内没有任何街道。"


def test_geopackage_layers_read_back(records, tmp_path):
    write_summary(records, tmp_path)
    areas = gpd.read_file(tmp_path / "summary.gpkg", layer="areas")
    stations = gpd.read_file(tmp_path / "summary.gpkg", layer="stations")
    assert areas["area"].tolist()[:2] == ["东湖区", "西湖区"]
    assert areas.geometry.iloc[2] is None
    assert areas["status_zh"].iloc[2] == "失败"
    assert len(stations) == 4
    assert stations.crs.to_epsg() == 4326
    assert stations["city_level"].sum() == 2


def test_maps_and_reports_are_drawn(records, tmp_path):
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), "#2471a3").save(buffer, format="PNG")
    write_summary(records, tmp_path, images={"东湖区": {"zh": buffer.getvalue(), "en": buffer.getvalue()}})
    for lang in ("zh", "en"):
        with Image.open(tmp_path / f"summary_map_{lang}.png") as image:
            assert image.width > 1000
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils not installed")
    text = subprocess.run(["pdftotext", str(tmp_path / "summary_zh.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout  # fmt: skip
    assert "批量规划汇总报告" in text
    assert "东湖区" in text
    assert "边界内没有任何街道" in text
    english = subprocess.run(["pdftotext", str(tmp_path / "summary_en.pdf"), "-"], capture_output=True, text=True,
                             check=True).stdout  # fmt: skip
    assert "Batch planning summary" in english
    assert "No street lies inside" in english
    pages = subprocess.run(["pdfinfo", str(tmp_path / "summary_zh.pdf")], capture_output=True, text=True,
                           check=True).stdout  # fmt: skip
    assert int(next(line.split()[-1] for line in pages.splitlines() if line.startswith("Pages"))) >= 1 + len(records)


def test_a_failed_write_leaves_no_summary_file(records, tmp_path):
    records[0]["outline"] = "NOT WKT"
    with pytest.raises(Exception):  # noqa: B017, PT011 - whichever writer fails first, nothing is left behind
        write_summary(records, tmp_path)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("summary")]


def test_an_area_without_streets_is_shown_as_skipped(records):
    skipped = _record("安义县", status="no_streets", error="No street of the data lies inside.", outline="", sites=[])
    frame = summary_frame([*records, skipped], "zh")
    assert frame["状态"].tolist()[-1] == "跳过：无街道"
    assert frame["站点数"].isna().tolist()[-1]
    assert summary_frame([skipped])["status"].tolist() == ["no_streets"]
