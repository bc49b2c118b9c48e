"""Observation files (pings, orders, depots): streamed, checked row by row, and refused with line numbers."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest

from geoplan import coords, i18n
from geoplan.errors import InputError
from geoplan.inputs import observations
from geoplan.inputs.observations import read_observations


@pytest.fixture(scope="module")
def spots(helsinki):
    """Three WGS-84 points on Helsinki's streets."""
    samples = helsinki.street_samples.to_crs("EPSG:4326")
    xy = np.column_stack([samples.geometry.x, samples.geometry.y])
    return xy[[10, len(xy) // 2, len(xy) - 10]]


def _write(tmp_path, text: str, name: str = "pings.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _pings(spots, rows):
    return "worker_id,time,lon,lat\n" + "".join(
        f"{w},{t},{spots[i][0]:.7f},{spots[i][1]:.7f}\n" for w, t, i in rows
    )


def _error(call) -> tuple[str, str, InputError]:
    with pytest.raises(InputError) as caught:
        call()
    return i18n.error_text(caught.value, "zh"), i18n.error_text(caught.value, "en"), caught.value


def test_pings_are_read_projected_sorted_per_worker_and_ids_become_numbers(tmp_path, helsinki, spots):
    rows = [("骑手B", "2026-05-01 10:00:30", 1), ("骑手A", "2026-05-01 10:00:00", 0),
            ("骑手A", "2026-05-01 10:01:00", 0), ("骑手B", "2026-05-01 10:01:30", 2)]  # fmt: skip
    found = read_observations(_write(tmp_path, _pings(spots, rows)), "pings", helsinki)
    assert len(found) == 4
    assert found.workers == 2
    assert found.worker.dtype == np.int32
    assert found.worker.tolist() == [0, 0, 1, 1]
    assert found.line.tolist() == [2, 5, 3, 4]  # worker by worker (in order of first appearance), in time
    assert np.all(np.diff(found.seconds[:2]) == 60)
    to_area = pyproj.Transformer.from_crs("EPSG:4326", helsinki.crs, always_xy=True)
    x, y = to_area.transform(spots[1][0], spots[1][1])  # the first ping of 骑手B, line 2
    assert (found.x[0], found.y[0]) == pytest.approx((x, y), abs=0.05)
    assert found.notes == ()  # workers interleaved in time order is the usual export: nothing to say


def test_times_in_every_usual_form_are_read_on_the_areas_clock(tmp_path, helsinki, spots):
    local = np.datetime64("2026-05-01T10:00:00").astype("datetime64[s]").astype(np.int64)
    forms = ["2026-05-01 10:00:00", "2026-05-01T10:00:00", "2026/5/1 10:00", "2026-05-01T10:00:00+03:00"]
    for form in forms:
        found = read_observations(_write(tmp_path, _pings(spots, [("a", form, 0)] * 1)), "pings", helsinki)
        assert found.seconds.tolist() == [local], form
    unix = int(np.datetime64("2026-05-01T07:00:00").astype("datetime64[s]").astype(np.int64))  # 10:00 in Helsinki
    for value in (str(unix), str(unix * 1000)):
        found = read_observations(_write(tmp_path, _pings(spots, [("a", value, 0)])), "pings", helsinki)
        assert found.seconds.tolist() == [local], value


def test_gcj02_and_gbk_files_and_blank_lines_keep_their_line_numbers(tmp_path, helsinki, spots):
    lon, lat = coords.from_wgs84(spots[:, 0], spots[:, 1], "gcj02")
    text = "worker_id,time,lon,lat\n\n" + f"甲,2026-05-01 10:00:00,{lon[0]:.7f},{lat[0]:.7f}\n,,,\n" + (
        f"乙,2026-05-01 10:00:00,{lon[1]:.7f},{lat[1]:.7f}\n"
    )
    found = read_observations(_write(tmp_path, text, encoding="gbk"), "pings", helsinki, crs="gcj02")
    assert sorted(found.line.tolist()) == [3, 5]
    plain = read_observations(_write(tmp_path, _pings(spots, [("x", "2026-05-01 10:00:00", 0)]), "w.csv"), "pings",
                              helsinki)  # fmt: skip
    assert found.x[found.line == 3][0] == pytest.approx(plain.x[0], abs=1.0)  # GCJ-02 undone to within a metre


def test_reading_in_chunks_gives_the_same_points_and_line_numbers(tmp_path, helsinki, spots, monkeypatch):
    rows = [(f"w{i % 7}", f"2026-05-01 10:{i // 60:02d}:{i % 60:02d}", i % 3) for i in range(300)]
    path = _write(tmp_path, _pings(spots, rows))
    whole = read_observations(path, "pings", helsinki)
    monkeypatch.setattr(observations, "CHUNK_ROWS", 37)
    chunked = read_observations(path, "pings", helsinki)
    for name in ("x", "y", "line", "worker", "seconds"):
        assert np.array_equal(getattr(whole, name), getattr(chunked, name)), name


def test_malformed_rows_are_refused_with_their_line_numbers_in_both_languages(tmp_path, helsinki, spots, monkeypatch):
    monkeypatch.setattr(observations, "CHUNK_ROWS", 2)  # problems found in different chunks are listed together
    text = _pings(spots, [("a", "2026-05-01 10:00:00", 0)]) + "b,昨天中午,24.94,60.17\n" + (
        "c,2026-05-01 10:00:00,abc,60.17\n,2026-05-01 10:00:00,24.94,60.17\nd,2026-05-01 10:00:00,39.9,116.4\n"
    )
    zh, en, error = _error(lambda: read_observations(_write(tmp_path, text), "pings", helsinki))
    assert error.code == "malformed_rows"
    assert "4 malformed row(s)" in en
    assert "line 3: time '昨天中午'" in en
    assert "line 4: lon 'abc' is not a number" in en
    assert "line 5: worker_id is empty" in en
    assert "line 6" in en
    assert "swapped" in en
    assert "第 3 行" in zh
    assert "昨天中午" in zh


def test_missing_columns_empty_files_and_unknown_kinds_are_refused(tmp_path, helsinki):
    zh, en, error = _error(lambda: read_observations(_write(tmp_path, "rider,time,lon,lat\nx,1,2,3\n"), "pings",
                                                      helsinki))  # fmt: skip
    assert error.code == "missing_columns"
    assert "worker_id" in en
    assert "worker_id" in zh
    for text in ("", "worker_id,time,lon,lat\n", "\n\n"):
        _, _, error = _error(lambda text=text: read_observations(_write(tmp_path, text), "pings", helsinki))
        assert error.code in ("file_no_rows", "missing_columns")
    _, _, error = _error(lambda: read_observations(tmp_path / "none.csv", "pings", helsinki))
    assert error.code == "file_not_found"
    _, _, error = _error(lambda: read_observations(_write(tmp_path, "a\n1\n"), "tracks", helsinki))
    assert error.code == "observation_kind"
    _, _, error = _error(lambda: read_observations(_write(tmp_path, "a\n1\n"), "pings", helsinki, crs="utm"))
    assert error.code


def test_points_outside_the_area_are_dropped_and_all_outside_means_the_wrong_coordinate_system(tmp_path, helsinki,
                                                                                             spots):  # fmt: skip
    inside = _pings(spots, [("a", "2026-05-01 10:00:00", 0)])
    text = inside + "a,2026-05-01 10:01:00,116.40,39.90\n"  # Beijing
    found = read_observations(_write(tmp_path, text), "pings", helsinki)
    assert len(found) == 1
    assert found.notes == (("observed_outside", {"count": 1, "line": 3}),)
    beijing = "worker_id,time,lon,lat\n" + "a,2026-05-01 10:00:00,116.40,39.90\n" * 3
    zh, en, error = _error(lambda: read_observations(_write(tmp_path, beijing), "pings", helsinki))
    assert error.code == "observations_outside_area"
    assert "--crs" in en
    assert "坐标系" in zh


def test_pings_written_twice_are_dropped_and_one_worker_in_two_places_at_once_is_refused(tmp_path, helsinki, spots):
    rows = [("a", "2026-05-01 10:00:00", 0), ("a", "2026-05-01 10:00:00", 0), ("a", "2026-05-01 10:00:30", 0)]
    found = read_observations(_write(tmp_path, _pings(spots, rows)), "pings", helsinki)
    assert len(found) == 2
    assert found.notes == (("observed_duplicates", {"count": 1, "line": 3}),)
    rows = [("a", "2026-05-01 10:00:00", 0), ("a", "2026-05-01 10:00:00", 1)]
    zh, en, error = _error(lambda: read_observations(_write(tmp_path, _pings(spots, rows)), "pings", helsinki))
    assert error.code == "pings_two_places"
    assert "lines 2 and 3" in en
    assert "第 2 行和第 3 行" in zh


def test_a_workers_pings_going_back_in_time_are_sorted_and_said(tmp_path, helsinki, spots):
    rows = [("a", "2026-05-01 10:05:00", 0), ("a", "2026-05-01 10:00:00", 1), ("b", "2026-05-01 10:00:00", 2)]
    found = read_observations(_write(tmp_path, _pings(spots, rows)), "pings", helsinki)
    assert found.line.tolist() == [3, 2, 4]
    assert found.notes == (("observed_sorted", {"line": 3}),)


def test_orders_and_depots_take_their_optional_columns(tmp_path, helsinki, spots):
    weights = ["2", "", "1.5"]
    orders = "time,lon,lat,weight\n" + "".join(
        f"2026-05-01 12:0{i}:00,{x:.7f},{y:.7f},{weights[i]}\n" for i, (x, y) in enumerate(spots)
    )
    found = read_observations(_write(tmp_path, orders, "orders.csv"), "orders", helsinki)
    assert found.weight.tolist() == [2.0, 1.0, 1.5]
    assert found.seconds is not None
    untimed = "time,lon,lat\n" + "".join(f",{x:.7f},{y:.7f}\n" for x, y in spots)
    assert read_observations(_write(tmp_path, untimed, "o2.csv"), "orders", helsinki).seconds is None
    depots = "lon,lat,headcount,beat_m\n" + f"{spots[0][0]},{spots[0][1]},12,800\n{spots[1][0]},{spots[1][1]},6,\n"
    found = read_observations(_write(tmp_path, depots, "depots.csv"), "depots", helsinki)
    assert found.weight.tolist() == [12.0, 6.0]
    assert found.beat_m[0] == 800.0
    assert np.isnan(found.beat_m[1])
    negative = "lon,lat,headcount\n" + f"{spots[0][0]},{spots[0][1]},-3\n"
    _, en, _ = _error(lambda: read_observations(_write(tmp_path, negative, "d2.csv"), "depots", helsinki))
    assert "line 2: headcount -3 is negative" in en
