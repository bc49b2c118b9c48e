"""The batch's own input files: the area list and the per-area stations table, as people make them."""

from __future__ import annotations

import pytest

from geoplan.batch.inputs import AreaQuota, read_area_list, read_stations_table
from geoplan.errors import InputError


def test_area_list_skips_blanks_comments_and_repeats(tmp_path):
    path = tmp_path / "areas.txt"
    path.write_text("# 江西省\n东湖区\n\n西湖区  # 老城\n东湖区\n", encoding="utf-8")
    assert read_area_list(path) == ["东湖区", "西湖区"]


def test_area_list_in_gbk_with_windows_line_ends(tmp_path):
    path = tmp_path / "areas.txt"
    path.write_bytes("青山湖区\r\n新建区\r\n".encode("gbk"))
    assert read_area_list(path) == ["青山湖区", "新建区"]


@pytest.mark.parametrize("content", [b"", b"# only a comment\n\n", b"  \n"])
def test_empty_area_list_is_refused(tmp_path, content):
    path = tmp_path / "areas.txt"
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        read_area_list(path)
    assert caught.value.code == "batch_area_list_empty"


def test_binary_or_missing_area_list_is_refused(tmp_path):
    binary = tmp_path / "areas.txt"
    binary.write_bytes(b"\x00\x01\x02PK\x03\x04")
    with pytest.raises(InputError) as caught:
        read_area_list(binary)
    assert caught.value.code == "file_not_text"
    with pytest.raises(InputError) as caught:
        read_area_list(tmp_path / "missing.txt")
    assert caught.value.code == "batch_file_unreadable"


def test_stations_table_with_chinese_headings(tmp_path):
    path = tmp_path / "quota.csv"
    path.write_text("区域,站点数,每区最少,市级站点\n东湖区,5,1,0\n西湖区,3,,\n", encoding="utf-8-sig")
    quotas = read_stations_table(path, ["东湖区", "西湖区", "新建区"])
    assert quotas == {"东湖区": AreaQuota(5, 1, 0), "西湖区": AreaQuota(3, None, None)}


@pytest.mark.parametrize(
    ("content", "code", "line"),
    [
        ("name_of_area,count\nA,3\n", "batch_table_columns", None),
        ("area,stations\nA,3\nZ,2\n", "batch_table_unknown_area", 3),
        ("area,stations\nA,3\nA,4\n", "batch_table_repeated_area", 3),
        ("area,stations\nA,0\n", "batch_table_value", 2),
        ("area,stations\nA,2.5\n", "batch_table_value", 2),
        ("area,stations\nA,many\n", "batch_table_value", 2),
        ("area,stations\nA,\n", "batch_table_value", 2),
        ("area,stations,district_min\nA,3,-1\n", "batch_table_value", 2),
        ("area,stations\nA,1e9\n", "batch_table_value", 2),
    ],
)
def test_stations_table_errors_name_the_line(tmp_path, content, code, line):
    path = tmp_path / "quota.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_stations_table(path, ["A", "B"])
    assert caught.value.code == code
    if line is not None:
        assert caught.value.params["line"] == line


def test_oversized_table_is_refused_before_parsing(tmp_path):
    path = tmp_path / "quota.csv"
    path.write_bytes(b"area,stations\n" + b"A,1\n" * 600_000)
    with pytest.raises(InputError) as caught:
        read_stations_table(path, ["A"])
    assert caught.value.code == "batch_file_too_large"
