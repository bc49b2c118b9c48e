"""An existing station's declared capacity in a capacitated plan: ``geoplan plan --capacitated --existing FILE`` with a
``capacity`` column, the review map's figures (station loads) and the solve's extra rows, on the default test area."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.sparse as sp

from geoplan.cli import main
from geoplan.inputs.candidates import read_sites
from geoplan.inputs.demand import read_layer
from geoplan.inputs.user_data import UserData
from geoplan.planning.capacity import CapacityOptions, extra_capacity, site_capacity
from geoplan.planning.parameters import PlanParameters
from geoplan.planning.prepare import prepare
from geoplan.planning.solve import Decisions, solve
from geoplan.planning.workspace import Workspace

#: A dense cluster of riders at one spot in Helsinki (WGS-84), as in tests/test_cli_capacitated.py.
CLUSTER = (24.9428, 60.1676)
#: Another spot of the area, a few hundred metres away.
ELSEWHERE = (24.9480, 60.1690)

#: 400 riders at the cluster load about 933 person-minutes per hour at a meal peak: far more than one seat.
RIDERS = f"lon,lat,weight\n{CLUSTER[0]},{CLUSTER[1]},400\n"


@pytest.fixture(autouse=True)
def _english_locale(monkeypatch):
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")


# --- the capacity of each row -----------------------------------------------------------------------------------------


def test_a_declared_capacity_is_the_one_size_of_a_site_whatever_its_floor_area():
    sites_source = np.array(["fixed", "fixed", "user", "user", "roadside"], dtype=object)
    import pandas as pd

    sites = pd.DataFrame({"source": sites_source, "footprint_m2": [40.0, 20.0, 40.0, 40.0, 9.0]})
    options = site_capacity(sites, 9.0, 0.5, given_people=np.array([1.0, np.nan, 30.0, np.nan, np.nan]))
    np.testing.assert_array_equal(options.people[:, 0], [1.0, 10.0, 30.0, 4.0, 4.0])
    np.testing.assert_array_equal(options.per_hour[:, 0], [60.0, 600.0, 1800.0, 240.0, 240.0])
    # The planner's 40 m² site that declares 30 seats is not offered a larger size; the one that declares none is.
    assert np.isnan(options.per_hour[[0, 1, 2, 4], 1]).all()
    assert options.per_hour[3, 1] == 1200.0
    np.testing.assert_array_equal(options.floor_m2[:, 0], [40.0, 20.0, 40.0, 9.0, 9.0])


def test_extra_rows_take_their_site_s_capacity_and_off_the_candidate_set_the_minimum_area():
    people = np.array([[1.0, np.nan], [4.0, 20.0], [500.0, np.nan]])
    options = CapacityOptions(floor_m2=np.array([[40.0, np.nan], [9.0, 40.0], [9.0, np.nan]]), people=people,
                              per_hour=people * 60.0)  # fmt: skip
    extra = extra_capacity(options, np.array([0, -1, 2, 1]), 4, 9.0, 0.5)
    np.testing.assert_array_equal(extra.per_hour[:, 0], [60.0, 240.0, 30000.0, 240.0])
    np.testing.assert_array_equal(extra.floor_m2[:, 0], [40.0, 9.0, 9.0, 9.0])
    assert np.isnan(extra.per_hour[:, 1]).all()  # one size each: an extra row is never enlarged
    np.testing.assert_array_equal(extra_capacity(options, None, 2, 12.0, 0.5).per_hour[:, 0], [360.0, 360.0])
    with pytest.raises(ValueError, match="2 candidate sites given for 3"):
        extra_capacity(options, np.array([0, 1]), 3, 9.0, 0.5)


# --- geoplan plan --capacitated --existing ----------------------------------------------------------------------------


def _plan(tmp_path, name: str, existing_rows: list[str]) -> tuple[list[dict], dict]:
    layer, existing = tmp_path / "riders.csv", tmp_path / f"{name}.csv"
    layer.write_text(RIDERS, "utf-8")
    existing.write_text("\n".join(["lon,lat,footprint_m2,capacity,name", *existing_rows]) + "\n", "utf-8")
    out = tmp_path / name
    code = main(["plan", "--area", "helsinki", "--time-limit", "5", "--out", str(out), "--quiet", "--capacitated",
                 "--layer", f"{layer}:couriers", "--cutoff", "couriers=600", "--existing", str(existing)])  # fmt: skip
    assert code == 0
    features = json.loads((out / "proposals.geojson").read_text("utf-8"))["features"]
    return [f["properties"] for f in features], json.loads((out / "coverage.json").read_text("utf-8"))


def test_an_existing_station_declaring_one_seat_has_capacity_one_and_never_takes_more(tmp_path):
    # 40 m² would seat 20: the declared 1 wins, and the station stands where 400 riders want it.
    rows = [f"{CLUSTER[0]},{CLUSTER[1]},40,1,small kiosk", f"{ELSEWHERE[0]},{ELSEWHERE[1]},12,,no capacity given"]
    stations, coverage = _plan(tmp_path, "one_seat", rows)
    by_id = {station["id"]: station for station in stations}
    kiosk, other = by_id["F00001"], by_id["F00002"]
    assert (kiosk["source"], kiosk["name"]) == ("fixed", "small kiosk")
    assert (kiosk["capacity"], kiosk["capacity_per_hour"], kiosk["enlarged"]) == (1, 60.0, False)
    assert kiosk["size_m2"] == 40.0
    assert 0 < kiosk["peak_load"] <= 60.0 + 1e-6
    assert kiosk["utilisation"] == pytest.approx(kiosk["peak_load"] / 60.0, abs=1e-4)
    assert kiosk["utilisation"] == pytest.approx(1.0)  # full: the riders want far more than one seat
    # Without a capacity, the floor area as before: 12 m² x 0.5 = 6 people.
    assert (other["capacity"], other["capacity_per_hour"]) == (6, 360.0)
    for station in stations:
        assert station["peak_load"] <= station["capacity_per_hour"] + 1e-6
    assert coverage["capacity"]["stations"]["capacity_people"] == sum(s["capacity"] for s in stations)


def test_an_existing_station_declaring_many_seats_takes_the_whole_cluster(tmp_path):
    stations, coverage = _plan(tmp_path, "hall", [f"{CLUSTER[0]},{CLUSTER[1]},9,500,big hall"])
    hall = next(station for station in stations if station["id"] == "F00001")
    # 9 m² would seat 4 (240 person-minutes per hour); the declared 500 seat 30,000.
    assert (hall["capacity"], hall["capacity_per_hour"], hall["size_m2"]) == (500, 30000.0, 9.0)
    assert 240.0 < hall["peak_load"] <= 30000.0
    assert hall["utilisation"] == pytest.approx(hall["peak_load"] / 30000.0, abs=1e-4)
    couriers = coverage["by_group"]["couriers"]
    assert couriers["served"] == pytest.approx(couriers["covered"], abs=0.01)
    assert coverage["capacity"]["stations"]["capacity_people"] == sum(s["capacity"] for s in stations)


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", "bad.csv, line 3: capacity (the people a station seats at once) must be a positive whole number, got '0'"),
    ("zh", "bad.csv 第 3 行：capacity（站点可同时容纳的人数）应为正整数，收到的是 '0'"),
])  # fmt: skip
def test_plan_refuses_a_bad_capacity_naming_the_row(tmp_path, capsys, lang, expected):
    existing = tmp_path / "bad.csv"
    existing.write_text(f"lon,lat,capacity\n{CLUSTER[0]},{CLUSTER[1]},3\n{ELSEWHERE[0]},{ELSEWHERE[1]},0\n", "utf-8")
    code = main(["plan", "--area", "helsinki", "--out", str(tmp_path / "out"), "--quiet", "--capacitated",
                 "--existing", str(existing), "--lang", lang])  # fmt: skip
    assert code == 2
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# --- the review map's figures and the solve's extra rows --------------------------------------------------------------

PARAMS = PlanParameters(capacitated=True, cutoff_m={"couriers": 600.0}, time_limit_s=3.0)


@pytest.fixture(scope="module")
def prepared(helsinki, tmp_path_factory):
    folder = tmp_path_factory.mktemp("declared")
    (folder / "riders.csv").write_text(RIDERS, "utf-8")
    (folder / "existing.csv").write_text(f"lon,lat,footprint_m2,capacity\n{CLUSTER[0]},{CLUSTER[1]},40,1\n", "utf-8")
    (folder / "sites.csv").write_text(f"lon,lat,footprint_m2,capacity\n{ELSEWHERE[0]},{ELSEWHERE[1]},9,7\n", "utf-8")
    data = UserData.from_frames(
        [read_layer(folder / "riders.csv", group="couriers")],
        read_sites(folder / "sites.csv"),
        read_sites(folder / "existing.csv", default_footprint_m2=9.0),
    )
    # The stored form of the data, read back: what a scenario in the database is planned from.
    return prepare(helsinki, PARAMS, UserData.from_json(json.loads(json.dumps(data.to_json()))))


def _site(prepared, ident: str, status: str) -> dict:
    index = prepared.index
    row = index.row_of[ident]
    lon, lat = index.lonlat[row]
    return {"status": status, "candidate_id": ident, "lon": float(lon), "lat": float(lat)}


def test_the_review_map_figures_give_an_existing_station_its_declared_capacity(prepared):
    workspace = Workspace(prepared, PARAMS)
    sites = [_site(prepared, "F00001", "existing"), _site(prepared, "U00001", "proposed"),
             {"status": "existing", "candidate_id": None, "lon": ELSEWHERE[0], "lat": ELSEWHERE[1] + 0.001}]
    stations = workspace.evaluate(sites)["capacity"]["stations"]
    kiosk, hall, anywhere = stations
    assert (kiosk["capacity"], kiosk["capacity_per_hour"]) == (1, 60.0)
    assert (kiosk["size_m2"], kiosk["enlarged"]) == (40.0, False)
    assert 0 < kiosk["peak_load"] <= 60.0 + 1e-6
    assert (hall["capacity"], hall["capacity_per_hour"]) == (7, 420.0)  # a planner's site that declares 7 seats
    assert (anywhere["capacity"], anywhere["size_m2"]) == (4, 9.0)  # off the candidate set: the minimum area
    for station in stations:
        assert station["peak_load"] <= station["capacity_per_hour"] + 1e-6


def test_the_capacitated_solve_gives_extra_rows_their_site_s_declared_capacity(prepared):
    model = prepared.model
    index = prepared.index
    hall = index.row_of["U00001"]
    extra = sp.csr_array(sp.vstack([model.matrix[[model.row_of(hall, None)]], model.matrix[[0]]], format="csr"))
    district = np.array([index.district[hall], index.district[model.row_site[0]]], dtype=object)
    decisions = Decisions(excluded_sites=np.array([hall]), extra=extra, extra_district=district,
                          extra_city=np.zeros(2, dtype=bool), extra_phase2=np.zeros(2, dtype=bool),
                          extra_site=np.array([hall, -1]))  # fmt: skip
    solution = solve(prepared, PARAMS, 8, decisions, time_limit_s=3.0)
    answer = solution.capacitated
    n_rows = model.matrix.shape[0]
    position = {int(row): k for k, row in enumerate(answer.selected)}
    assert answer.capacity[position[n_rows]] == 420.0  # on the planner's site: its declared 7 seats
    assert answer.capacity[position[n_rows + 1]] == 240.0  # off the candidate set: the 9 m² minimum
    kiosk = model.row_of(index.row_of["F00001"], None)
    assert answer.capacity[position[kiosk]] == 60.0  # the existing station, a fixed model row: its declared seat
    assert (answer.load.max(axis=1) <= answer.capacity + 1e-6).all()
