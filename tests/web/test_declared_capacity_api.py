"""Existing stations' declared capacity in the review map: imported with the stations, stored, given to the station
in a capacitated scenario's figures and re-optimisation, refused in both languages when no whole number."""

from __future__ import annotations

import io

import pytest
from _web_helpers import API

from geoplan.errors import InputError
from geoplan.inputs.candidates import read_stations
from geoplan.planning.sites import read_sites
from geoplan.planning.solve import solve

PARAMS = {"capacitated": True, "visit_minutes": {"couriers": 60.0, "sanitation": 40.0}, "time_limit_s": 3.0}


@pytest.fixture
def capacitated(planner) -> dict:
    answer = planner.change(f"{API}/scenarios", json={"name": "申报容量", "stations": 5, "params": PARAMS})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def _import(planner, scenario: dict, text: str, query: str = ""):
    data = {"file": (io.BytesIO(text.encode()), "stations.csv"), "coords": "wgs84",
            "version": str(scenario["version"])}  # fmt: skip
    return planner.change(f"{API}/scenarios/{scenario['id']}/stations{query}", data=data,
                          content_type="multipart/form-data")  # fmt: skip


def _existing(scenario: dict) -> dict:
    (site,) = [s for s in scenario["sites"] if s["status"] == "existing"]
    return site


def test_imported_capacity_is_stored_and_is_the_station_s_capacity(planner, store, capacitated):
    near = capacitated["sites"][0]
    answer = _import(planner, capacitated, f"lon,lat,capacity,name\n{near['lon'] + 0.002},{near['lat']},3,岗亭\n")
    assert answer.status_code == 200, answer.get_json()
    station = _existing(answer.get_json())
    assert (station["declared_capacity"], station["capacity"], station["capacity_per_hour"]) == (3, 3, 180.0)
    assert station["peak_load"] <= 180.0 + 1e-6
    assert _existing(store.scenario(capacitated["id"]))["capacity"] == 3
    assert store.audit()[0]["after"]["sites"][0]["capacity"] == 3


def test_re_optimising_keeps_the_declared_capacity(planner, capacitated):
    near = capacitated["sites"][0]
    imported = _import(planner, capacitated, f"lon,lat,capacity\n{near['lon'] + 0.002},{near['lat']},500\n")
    assert imported.status_code == 200, imported.get_json()
    scenario = imported.get_json()
    assert _existing(scenario)["capacity"] == 500
    answer = planner.change(f"{API}/scenarios/{scenario['id']}/reoptimise",
                            json={"version": scenario["version"], "time_limit": 3})  # fmt: skip
    assert answer.status_code == 200, answer.get_json()
    station = _existing(answer.get_json())
    assert (station["declared_capacity"], station["capacity"], station["capacity_per_hour"]) == (500, 500, 30000.0)


def test_the_capacitated_solve_gives_a_kept_station_its_declared_capacity(default_workspace):
    """The re-optimisation's solve itself: the declared seats are the extra row's capacity, on a site or off it."""
    from geoplan.planning.parameters import PlanParameters
    from geoplan.planning.workspace import Workspace

    params = PlanParameters.from_json({**default_workspace.params.to_json(), **PARAMS})
    workspace = Workspace(default_workspace.prepared, params)
    index = workspace.prepared.index
    lon, lat = (float(v) for v in index.lonlat[0])
    sites = [{"status": "existing", "candidate_id": None, "lon": lon + 0.002, "lat": lat, "capacity": 2},
             {"status": "accepted", "candidate_id": str(index.ids[0]), "lon": lon, "lat": lat, "capacity": 7}]
    reading = read_sites(workspace.prepared, sites)
    solution = solve(workspace.prepared, params, 6, workspace._decisions(reading), time_limit_s=3.0)
    answer = solution.capacitated
    position = {int(row): k for k, row in enumerate(answer.selected)}
    n_rows = workspace.prepared.model.matrix.shape[0]
    assert answer.capacity[position[n_rows]] == 120.0  # off the candidate set: its 2 seats, not the minimum area
    assert answer.capacity[position[int(reading.fixed_rows[0])]] == 420.0  # on its candidate site: its 7 seats
    stations = workspace.evaluate(sites)["capacity"]["stations"]
    assert [(s["capacity"], s["enlarged"]) for s in stations] == [(2, False), (7, False)]


@pytest.mark.parametrize("bad", ["2.5", "0", "-4", "many"])
def test_a_bad_capacity_is_refused_in_both_languages_and_nothing_is_stored(planner, store, capacitated, bad):
    before = (store.scenario(capacitated["id"]), store.audit())
    text = f"lon,lat,capacity\n{capacitated['sites'][0]['lon'] + 0.002},{capacitated['sites'][0]['lat']},{bad}\n"
    chinese = _import(planner, capacitated, text)
    assert chinese.status_code == 400
    zh = f"stations.csv 第 2 行：capacity（站点可同时容纳的人数）应为正整数，收到的是 '{bad}'"
    assert zh in chinese.get_json()["error"]
    english = _import(planner, capacitated, text, "?lang=en")
    assert english.status_code == 400
    en = ("stations.csv, line 2: capacity (the people a station seats at once) must be a positive whole number, "
          f"got '{bad}'")
    assert en in english.get_json()["error"]
    assert (store.scenario(capacitated["id"]), store.audit()) == before


def test_geojson_stations_may_declare_capacity_and_bad_ones_are_named_by_feature(tmp_path):
    path = tmp_path / "stations.geojson"
    feature = ('{{"type":"Feature","properties":{{"capacity":{}}},'
               '"geometry":{{"type":"Point","coordinates":[24.94,60.17]}}}}')
    path.write_text('{"type":"FeatureCollection","features":[' + feature.format(6) + "]}")
    assert read_stations(path)["capacity"].tolist() == [6.0]
    path.write_text('{"type":"FeatureCollection","features":[' + feature.format(6) + "," + feature.format(1.5) + "]}")
    with pytest.raises(InputError) as caught:
        read_stations(path)
    assert caught.value.code == "feature_capacity_not_whole"
    assert "feature 2" in str(caught.value)
