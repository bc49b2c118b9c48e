"""A station's declared capacity (people at once): the optional ``capacity`` column of the existing-stations and
candidate-sites files, checked row by row, and kept in the planner's stored data (old 4-value rows still read)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from geoplan import i18n
from geoplan.errors import InputError
from geoplan.inputs.candidates import build_candidates, read_sites
from geoplan.inputs.user_data import PointSet, UserData

#: Two points in central Helsinki (WGS-84), inside the default test area.
HERE = (24.9428, 60.1676)
THERE = (24.9480, 60.1690)


def _csv(tmp_path, lines: list[str], name: str = "stations.csv") -> str:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


# --- the reader -------------------------------------------------------------------------------------------------------


def test_capacity_column_is_read_as_people_at_once_and_empty_cells_give_none(tmp_path):
    path = _csv(tmp_path, [
        "lon,lat,footprint_m2,capacity,name",
        f"{HERE[0]},{HERE[1]},12,8,八一广场环卫驿站",
        f"{THERE[0]},{THERE[1]},9,,老福山工会驿站",
        f"{THERE[0]},{HERE[1]},9, 3.0 ,kiosk",
    ])  # fmt: skip
    sites = read_sites(path, default_footprint_m2=9.0)
    assert sites["capacity"].tolist()[0] == 8.0
    assert math.isnan(sites["capacity"].tolist()[1])
    assert sites["capacity"].tolist()[2] == 3.0  # a whole number written with a decimal point
    assert sites["name"].tolist() == ["八一广场环卫驿站", "老福山工会驿站", "kiosk"]


def test_a_file_without_the_column_declares_no_capacity(tmp_path):
    path = _csv(tmp_path, ["lon,lat,footprint_m2", f"{HERE[0]},{HERE[1]},12"])
    sites = read_sites(path)
    assert "capacity" in sites.columns
    assert np.isnan(sites["capacity"].to_numpy()).all()


@pytest.mark.parametrize("value", ["abc", "inf", "-inf", "nan", "0", "-2", "2.5", "1e400", "3人"])
def test_a_capacity_that_is_no_positive_whole_number_names_the_file_line_and_value(tmp_path, value):
    path = _csv(tmp_path, [
        "lon,lat,footprint_m2,capacity",
        f"{HERE[0]},{HERE[1]},12,4",
        f"{THERE[0]},{THERE[1]},12,{value}",
    ])  # fmt: skip
    with pytest.raises(InputError) as caught:
        read_sites(path, shown="stations.csv")
    error = caught.value
    assert error.code == "capacity_not_whole"
    assert error.params["line"] == 3
    assert error.params["value"] == value
    assert str(error) == (
        f"stations.csv, line 3: capacity (the people a station seats at once) must be a positive whole number, "
        f"got {value!r}."
    )
    zh = f"stations.csv 第 3 行：capacity（站点可同时容纳的人数）应为正整数，收到的是 {value!r}。"
    assert i18n.error_text(error, "zh") == zh


def test_several_bad_capacities_name_the_first_and_list_the_other_lines(tmp_path):
    rows = [f"{HERE[0]},{HERE[1]},12,{value}" for value in ("2", "x", "3", "0", "-1")]
    path = _csv(tmp_path, ["lon,lat,footprint_m2,capacity", *rows], name="驿站.csv")
    with pytest.raises(InputError) as caught:
        read_sites(path)
    error = caught.value
    assert (error.params["line"], error.params["value"]) == (3, "x")
    assert str(error).startswith(f"{path}, line 3: capacity")
    assert str(error).endswith("got 'x' (also line(s) 5, 6).")
    assert i18n.error_text(error, "zh").endswith("收到的是 'x'（另有第 5、6 行）。")


def test_the_candidate_sites_file_takes_the_column_too_and_candidates_carry_it(helsinki, tmp_path):
    existing = read_sites(_csv(tmp_path, ["lon,lat,capacity,name", f"{HERE[0]},{HERE[1]},2,old kiosk"], "e.csv"),
                          default_footprint_m2=9.0)  # fmt: skip
    hall = read_sites(_csv(tmp_path, ["lon,lat,footprint_m2,capacity,name", f"{THERE[0]},{THERE[1]},40,25,hall",
                                      f"{THERE[0]},{HERE[1]},12,,shop"], "s.csv"))  # fmt: skip
    sites = build_candidates(helsinki, user_sites=hall, fixed_sites=existing).sites
    assert "capacity" in sites.columns
    by_id = sites.set_index("id")
    assert by_id.loc["F00001", "capacity"] == 2.0
    assert by_id.loc["U00001", "capacity"] == 25.0
    assert math.isnan(by_id.loc["U00002", "capacity"])
    assert sites.loc[~sites["source"].isin(["user", "fixed"]), "capacity"].isna().all()


# --- the stored data --------------------------------------------------------------------------------------------------


def test_point_sets_keep_a_declared_capacity_as_a_fifth_value_and_round_trip_through_json(tmp_path):
    path = _csv(tmp_path, [
        "lon,lat,footprint_m2,capacity,name",
        f"{HERE[0]},{HERE[1]},12,8,有容量",
        f"{THERE[0]},{THERE[1]},9,,无容量",
    ])  # fmt: skip
    existing = PointSet.from_frame("existing", read_sites(path))
    assert [len(row) for row in existing.rows] == [5, 4]
    assert existing.rows[0][4] == 8
    assert isinstance(existing.rows[0][4], int)
    stored = json.loads(json.dumps(existing.to_json()))  # what the database keeps
    assert stored["rows"][0][4] == 8
    assert len(stored["rows"][1]) == 4
    again = PointSet.from_json(stored)
    assert again.rows == existing.rows
    frame = again.frame()
    assert frame["capacity"].tolist()[0] == 8.0
    assert math.isnan(frame["capacity"].tolist()[1])
    data = UserData(existing=existing, sites=PointSet.from_frame("sites", read_sites(path)))
    back = UserData.from_json(json.loads(json.dumps(data.to_json())))
    assert back.digest == data.digest
    assert back.existing_frame(9.0)["capacity"].tolist()[0] == 8.0
    assert back.site_frame()["capacity"].tolist()[0] == 8.0


def test_data_stored_before_capacities_still_loads_and_keeps_its_digest():
    stored = {
        "layers": [{"kind": "layer", "source": "riders.csv", "rows": [[24.94, 60.17, 3.0, "couriers"]]}],
        "sites": {"kind": "sites", "source": "s.csv", "rows": [[24.93, 60.16, 12.0, "银行网点"]]},
        "existing": {"kind": "existing", "source": "e.csv", "rows": [[24.92, 60.16, None, None],
                                                                     [24.95, 60.17, 20.0, "old"]]},
    }  # fmt: skip
    data = UserData.from_json(stored)
    assert data.to_json() == stored  # written back exactly as it was: same digest, same cache keys
    frame = data.existing_frame(9.0)
    assert frame["footprint_m2"].tolist() == [9.0, 20.0]
    assert np.isnan(frame["capacity"].to_numpy()).all()
    assert np.isnan(data.site_frame()["capacity"].to_numpy()).all()
    with_capacity = UserData.from_json({**stored, "existing": {**stored["existing"], "rows": [
        [24.92, 60.16, None, None, 6], [24.95, 60.17, 20.0, "old"]]}})  # fmt: skip
    assert with_capacity.digest != data.digest
    assert with_capacity.existing_frame(9.0)["capacity"].tolist()[0] == 6.0


@pytest.mark.parametrize(
    ("kind", "row", "code"),
    [
        ("layer", (24.9, 60.1, 3.0, "couriers", 4), "point_values_count"),  # layers have no capacity
        ("existing", (24.9, 60.1, 9.0, "a", 4, 5), "point_values_count"),
        ("existing", (24.9, 60.1), "point_values_count"),
        ("existing", (24.9, 60.1, 9.0, "a", 0), "point_capacity_not_whole"),
        ("existing", (24.9, 60.1, 9.0, "a", -3), "point_capacity_not_whole"),
        ("existing", (24.9, 60.1, 9.0, "a", 2.5), "point_capacity_not_whole"),
        ("existing", (24.9, 60.1, 9.0, "a", math.inf), "point_capacity_not_whole"),
        ("sites", (24.9, 60.1, 9.0, "a", "4"), "point_capacity_not_whole"),
        ("sites", (24.9, 60.1, 9.0, "a", True), "point_capacity_not_whole"),
        ("sites", (24.9, 60.1, 9.0, "a", None), "point_capacity_not_whole"),
    ],
)
def test_malformed_stored_rows_are_refused_with_codes(kind, row, code):
    with pytest.raises(InputError) as caught:
        PointSet(kind, "e.csv", ((24.95, 60.17, 9.0, "fine"), row))
    assert caught.value.code == code
    assert caught.value.params["number"] == 2
    assert i18n.error_text(caught.value, "zh").startswith("e.csv：第 2 个点")
    with pytest.raises(InputError):  # the same from stored JSON
        PointSet.from_json({"kind": kind, "source": "e.csv", "rows": [list(row)]})


def test_a_whole_float_capacity_is_accepted_and_the_row_count_message_says_what_is_expected():
    assert PointSet("existing", "e.csv", ((24.9, 60.1, 9.0, None, 3.0),)).frame()["capacity"].tolist() == [3.0]
    with pytest.raises(InputError) as caught:
        PointSet("existing", "e.csv", ((24.9, 60.1, 9.0),))
    assert str(caught.value) == "e.csv: point 1 has 3 values, expected 4 or 5."
    assert i18n.error_text(caught.value, "zh") == "e.csv：第 1 个点有 3 个值，应为 4 或 5 个。"
    with pytest.raises(InputError, match=r"expected 4\.$"):
        PointSet("layer", "l.csv", ((24.9, 60.1, 1.0),))
