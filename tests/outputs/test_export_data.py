"""Tests of a scenario's exports (geoplan.outputs) and ``geoplan export``: every format read back with a real reader.

The scenario is a real plan on the default area (five proposed stations from the review workspace), plus a rejected
candidate and an existing station off the candidate set with its details, stored in a temporary SQLite database.
"""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import pytest
import shapely

from geoplan import coords, crs
from geoplan.cli import main
from geoplan.errors import InputError
from geoplan.outputs import tables
from geoplan.outputs.export_data import ExportData, build_export_data
from geoplan.outputs.exporters import FORMATS, GEOJSON_FILES, export_scenario, planned_files, write_export
from geoplan.planning.scenarios import scenario_workspace
from geoplan.store import Store

KML = "{http://www.opengis.net/kml/2.2}"
EXISTING_NAME = "中心驿站（已建）"
SCENARIO_NAME = "赫尔辛基 试点方案"


def from_wgs84(area, lonlat):
    return crs.from_wgs84(area.crs, lonlat)


def to_wgs84(area, xy):
    return crs.to_wgs84(area.crs, xy)


@pytest.fixture(scope="module")
def workspace_of(model_cache):
    """The workspace of a stored scenario, from the session's model cache."""
    return lambda scenario: scenario_workspace(model_cache, scenario)


@pytest.fixture(scope="module")
def export(workspace_of):
    """export_scenario with the scenario's workspace."""
    return lambda scenario, fmt, out, **options: export_scenario(
        scenario, fmt, out, workspace=workspace_of(scenario), **options
    )


def files_in(folder: Path) -> list[str]:
    """Every entry of a folder, hidden ones included."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'geoplan.sqlite'}"
    store = Store(url)
    store.upgrade()
    yield store
    store.engine.dispose()


@pytest.fixture(scope="module")
def scenario(database, default_workspace):
    """A real plan: 5 proposed stations, 1 rejected candidate, 1 existing station with details."""
    ws = default_workspace
    proposed, result, _ = ws.propose(5)
    for number, site in enumerate(proposed, start=1):
        site["name"] = f"驿站{number}号"
    taken = {site["candidate_id"] for site in proposed}
    spare = next(row for row, ident in enumerate(ws.candidates.sites["id"].astype(str)) if ident not in taken)
    lon, lat = to_wgs84(ws.area, shapely.get_coordinates(ws.candidates.sites.geometry.iloc[spare]))[0]
    rejected = {"status": "rejected", "candidate_id": str(ws.candidates.sites["id"].iloc[spare]), "lon": lon,
                "lat": lat, "name": "被拒绝的站点"}  # fmt: skip
    centre = np.asarray(ws.area.boundary.centroid.coords[0]) + np.array([37.0, -21.0])
    e_lon, e_lat = to_wgs84(ws.area, centre)[0]
    existing = {"status": "existing", "lon": e_lon, "lat": e_lat, "name": EXISTING_NAME, "city_level": True}
    created = database.create_scenario(
        SCENARIO_NAME, "helsinki", "tester", params={"stations": 6}, stations=6,
        sites=[*proposed, rejected, existing], result=result, source="test",
    )  # fmt: skip
    site = next(s for s in created["sites"] if s["status"] == "existing")
    database.update_details(
        created["id"], site["id"], created["version"], "tester",
        {"address": "Mannerheimintie 1, 赫尔辛基", "phone": "0571-12345678", "hours": "08:00-20:00",
         "services": ["drinking_water", "toilet", "phone_charging"]},
    )  # fmt: skip
    return database.scenario(created["id"])


@pytest.fixture(scope="module")
def data(scenario, workspace_of) -> ExportData:
    return build_export_data(scenario, workspace_of(scenario))


def active(scenario) -> list[dict]:
    return [s for s in scenario["sites"] if s["status"] != "rejected"]


def assert_same_places(scenario, lon, lat, *, tolerance_m: float = 1.0) -> None:
    """The read-back positions are the stored ones (same order), within ``tolerance_m`` metres."""
    stored = np.array([[s["lon"], s["lat"]] for s in active(scenario)])
    _, _, moved = pyproj.Geod(ellps="WGS84").inv(np.asarray(lon, float), np.asarray(lat, float), stored[:, 0],
                                                 stored[:, 1])  # fmt: skip
    assert np.max(moved) < tolerance_m


# --- the gathered data -------------------------------------------------------------------------------------------


def test_export_data(scenario, data, workspace_of):
    assert data.name == SCENARIO_NAME
    assert data.scenario_id == scenario["id"]
    assert len(data.stations) == 6
    assert data.stations.crs.to_epsg() == 4326
    assert "被拒绝的站点" not in set(data.stations["name"])
    assert data.stations["status"].tolist() == ["proposed"] * 5 + ["existing"]
    existing = data.stations.iloc[-1]
    assert existing["level"] == "city"
    assert existing["services"] == "drinking_water;toilet;phone_charging"
    assert existing["address"] == "Mannerheimintie 1, 赫尔辛基"
    assert len(data.service_areas) == 12
    assert set(data.service_areas["station"]) == set(data.stations["id"])
    assert data.service_areas.crs.to_epsg() == 4326
    walk = data.service_areas[data.service_areas["mode"] == "walk"]
    ride = data.service_areas[data.service_areas["mode"] == "ride"]
    assert (walk["area_km2"].to_numpy() < ride["area_km2"].to_numpy()).all()
    for point, polygon in zip(data.stations.geometry, walk.geometry, strict=True):
        assert polygon.contains(point)
    figures = workspace_of(scenario).evaluate(scenario["sites"])
    assert data.workers == figures["workers"]
    assert data.by_district["covered"].sum() == pytest.approx(figures["workers"]["covered"], abs=0.1)
    assert data.by_group["workers"].sum() == pytest.approx(figures["workers"]["total"], abs=0.1)
    assert data.districts["stations"].sum() == 6
    assert data.demand["covered"].dtype == bool
    assert data.demand["weight"].sum() == pytest.approx(figures["workers"]["total"], abs=1.0)  # weights of 0.01
    assert data.result["gap"] == scenario["result"]["gap"]


# --- each format, read back --------------------------------------------------------------------------------------


def test_geojson_folder(scenario, data, tmp_path):
    out = tmp_path / "geojson"
    written = write_export(data, "geojson", out)
    assert [p.name for p in written] == list(GEOJSON_FILES)
    assert files_in(out) == sorted(GEOJSON_FILES)
    stations = gpd.read_file(out / "stations.geojson", engine="pyogrio")
    assert len(stations) == 6
    assert stations["name"].tolist() == [s["name"] for s in active(scenario)]
    assert EXISTING_NAME in stations["name"].tolist()
    assert "被拒绝的站点" not in stations["name"].tolist()
    assert_same_places(scenario, stations.geometry.x, stations.geometry.y)
    assert_same_places(scenario, stations["lon"], stations["lat"])
    areas = gpd.read_file(out / "service_areas.geojson", engine="pyogrio")
    assert sorted(areas["mode"]) == ["ride"] * 6 + ["walk"] * 6
    assert areas.geometry.is_valid.all()
    districts = gpd.read_file(out / "districts.geojson", engine="pyogrio")
    assert {"district", "workers", "covered", "share", "stations"} <= set(districts.columns)
    assert districts["stations"].sum() == 6
    demand = gpd.read_file(out / "demand.geojson", engine="pyogrio")
    assert len(demand) == len(data.demand)
    assert demand["covered"].sum() == data.demand["covered"].sum()


def test_geojson_file_holds_the_stations(scenario, data, tmp_path):
    out = tmp_path / "plan.geojson"
    assert write_export(data, "geojson", out) == [out]
    assert files_in(tmp_path) == ["plan.geojson"]
    stations = gpd.read_file(out, engine="pyogrio")
    assert_same_places(scenario, stations.geometry.x, stations.geometry.y)


def test_gpkg(scenario, data, tmp_path):
    (written,) = write_export(data, "gpkg", tmp_path)
    assert written == tmp_path / "赫尔辛基_试点方案.gpkg"
    layers = dict(pyogrio.list_layers(written).tolist())
    assert layers == {"stations": "Point", "service_areas": "Polygon", "districts": "Polygon", "demand": "Point",
                      "coverage_by_group": None, "scenario": None}  # fmt: skip
    stations = gpd.read_file(written, layer="stations", engine="pyogrio")
    assert stations["name"].tolist() == [s["name"] for s in active(scenario)]
    assert_same_places(scenario, stations.geometry.x, stations.geometry.y)
    assert stations.crs.to_epsg() == 4326
    groups = pyogrio.read_dataframe(written, layer="coverage_by_group")
    assert groups["workers"].sum() == pytest.approx(data.workers["total"], abs=0.1)
    assert set(groups["group"]) == set(data.by_group.index)
    summary = pyogrio.read_dataframe(written, layer="scenario").set_index("key")["value"]
    assert summary["name"] == SCENARIO_NAME
    assert summary["stations"] == "6"
    areas = gpd.read_file(written, layer="service_areas", engine="pyogrio")
    assert len(areas) == 12


def test_kml(scenario, data, tmp_path):
    (written,) = write_export(data, "kml", tmp_path / "plan.kml", lang="zh")
    root = ET.parse(written).getroot()
    assert root.tag == f"{KML}kml"
    folders = root.find(f"{KML}Document").findall(f"{KML}Folder")
    assert len(folders) == 4  # stations, walk, ride, districts
    placemarks = folders[0].findall(f"{KML}Placemark")
    assert len(placemarks) == 6
    names = [p.findtext(f"{KML}name") for p in placemarks]
    assert names == [s["name"] for s in active(scenario)]
    lonlat = np.array([[float(v) for v in p.findtext(f"{KML}Point/{KML}coordinates").split(",")] for p in placemarks])
    assert_same_places(scenario, lonlat[:, 0], lonlat[:, 1])
    description = placemarks[-1].findtext(f"{KML}description")
    assert "Mannerheimintie 1, 赫尔辛基" in description
    assert "饮水、如厕、手机充电" in description
    assert "市级" in description
    for folder in folders[1:3]:
        polygons = folder.findall(f"{KML}Placemark")
        assert len(polygons) == 6
        for placemark in polygons:
            ring = placemark.find(f".//{KML}outerBoundaryIs/{KML}LinearRing/{KML}coordinates").text.split()
            points = np.array([[float(v) for v in pair.split(",")] for pair in ring])
            assert len(points) >= 4
            assert (points[0] == points[-1]).all()
    assert "utf-8" in written.read_bytes()[:60].decode("ascii").lower()
    english = write_export(data, "kml", tmp_path / "plan_en.kml", lang="en")[0].read_text("utf-8")
    assert "Drinking water" in english
    assert EXISTING_NAME in english


def test_csv(scenario, data, tmp_path):
    (written,) = write_export(data, "csv", tmp_path / "stations.csv")
    raw = written.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with written.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["id", "name", "status", "level", "district", "address", "phone", "hours", "services",
                             "covered_workers", "lon", "lat", "lon_gcj02", "lat_gcj02", "walk_area_km2",
                             "ride_area_km2", "status_code", "level_code", "services_code"]  # fmt: skip
    assert [r["name"] for r in rows] == [s["name"] for s in active(scenario)]
    # Values are for people, in Chinese by default; the codes stay in their own columns for programs.
    sites = active(scenario)
    assert [r["status_code"] for r in rows] == [s["status"] for s in sites]
    names = {"proposed": "建议", "accepted": "已采纳", "existing": "已建成"}
    assert [r["status"] for r in rows] == [names[s["status"]] for s in sites]
    assert {r["level"] for r in rows} <= {"市级", "区县级"}
    assert {r["level_code"] for r in rows} <= {"city", "district"}
    with_services = [r for r in rows if r["services_code"]]
    assert with_services, "the fixture has a station with services"
    for row in with_services:
        assert not any(code in row["services"] for code in row["services_code"].split(";"))
    assert any("饮水" in r["services"] for r in with_services)
    counts = [r["covered_workers"] for r in rows if r["covered_workers"]]
    assert all(c.isdigit() for c in counts), counts  # whole numbers
    english = write_export(data, "csv", tmp_path / "stations_en.csv", lang="en")[0]
    with english.open(encoding="utf-8-sig", newline="") as handle:
        en_rows = list(csv.DictReader(handle))
    assert {r["status"] for r in en_rows} <= {"Proposed", "Accepted", "Existing"}
    assert any("Drinking water" in r["services"] for r in en_rows)
    lon = np.array([float(r["lon"]) for r in rows])
    lat = np.array([float(r["lat"]) for r in rows])
    assert_same_places(scenario, lon, lat)
    # Helsinki lies outside China: GCJ-02 is WGS-84 there.
    assert_same_places(scenario, [float(r["lon_gcj02"]) for r in rows], [float(r["lat_gcj02"]) for r in rows])
    assert all(float(r["walk_area_km2"]) > 0 for r in rows)


@pytest.mark.slow
def test_csv_gcj02_columns_in_nanchang(database, tmp_path, workspace_of, export):
    """A plan in central Nanchang: the GCJ-02 columns are shifted by hundreds of metres and convert back within 1 m."""
    ws = workspace_of({"area": "nanchang"})
    sites = ws.candidates.sites.drop_duplicates("district").iloc[:4]  # one candidate in each of four districts
    lonlat = to_wgs84(ws.area, shapely.get_coordinates(sites.geometry.to_numpy()))
    rows = zip(sites["id"], sites["district"], lonlat, strict=True)
    proposed = [
        {"status": "accepted", "candidate_id": str(ident), "lon": lon, "lat": lat, "name": f"南昌驿站{number}号",
         "district": district}
        for number, (ident, district, (lon, lat)) in enumerate(rows, start=1)
    ]  # fmt: skip
    scenario = database.create_scenario("南昌 试点", "nanchang", "tester", sites=proposed, source="test")
    (written,) = export(database.scenario(scenario["id"]), "csv", tmp_path / "nanchang.csv")
    table = pd.read_csv(written, encoding="utf-8-sig")
    assert table["name"].tolist() == [s["name"] for s in proposed]
    assert table["district"].str.endswith(("区", "县")).all()
    assert np.allclose(table[["lon", "lat"]].to_numpy(), [[s["lon"], s["lat"]] for s in proposed], atol=1e-7)
    back_lon, back_lat = coords.gcj02_to_wgs84(table["lon_gcj02"].to_numpy(), table["lat_gcj02"].to_numpy())
    stored = from_wgs84(ws.area, table[["lon", "lat"]].to_numpy())
    shift = np.hypot(*(from_wgs84(ws.area, table[["lon_gcj02", "lat_gcj02"]].to_numpy()) - stored).T)
    assert (shift > 100).all()  # a real GCJ-02 offset, not a copy of WGS-84
    error = np.hypot(*(from_wgs84(ws.area, np.column_stack([back_lon, back_lat])) - stored).T)
    assert error.max() < 1.0


def test_html(data, tmp_path):
    (written,) = write_export(data, "html", tmp_path / "map.html")
    page = written.read_text("utf-8")
    assert page.lstrip().lower().startswith("<!doctype html>")
    for name in data.stations["name"]:
        assert name in page
    assert "服务范围" in page  # layer names, in the JSON of the page's data block
    assert "饮水、如厕、手机充电" in page  # the existing station's popup
    english = write_export(data, "html", tmp_path / "map_en.html", lang="en")[0].read_text("utf-8")
    assert "Service areas" in english


@pytest.mark.parametrize(("fmt", "magic"), [("png", b"\x89PNG\r\n\x1a\n"), ("pdf", b"%PDF")])
def test_png_and_pdf(data, tmp_path, fmt, magic):
    (written,) = write_export(data, fmt, tmp_path)
    assert written.read_bytes().startswith(magic)
    assert files_in(tmp_path) == [written.name]


def test_export_scenario_end_to_end(scenario, tmp_path, export):
    written = export(scenario, "kml", tmp_path / "out" / "plan.kml", lang="en", minutes=10)
    assert written == [tmp_path / "out" / "plan.kml"]
    root = ET.parse(written[0]).getroot()
    assert "10 minutes" in ET.tostring(root, encoding="unicode")


# --- refusals and failures ---------------------------------------------------------------------------------------


def test_unknown_format_and_language(scenario, data, tmp_path, export):
    with pytest.raises(InputError, match=r"shp.*geojson, gpkg, kml, csv, html, png, pdf"):
        export(scenario, "shp", tmp_path)
    with pytest.raises(InputError, match="'fr'"):
        export(scenario, "csv", tmp_path, lang="fr")
    with pytest.raises(InputError, match="'fr'"):
        write_export(data, "csv", tmp_path, lang="fr")
    with pytest.raises(InputError, match="minutes"):
        export(scenario, "csv", tmp_path, minutes=0)
    assert files_in(tmp_path) == []
    assert set(FORMATS) == {"geojson", "gpkg", "kml", "csv", "html", "png", "pdf"}


def test_empty_plan(scenario, tmp_path, export):
    only_rejected = {**scenario, "sites": [{**s, "status": "rejected"} for s in scenario["sites"][:1]]}
    with pytest.raises(InputError, match="nothing to export"):
        export(only_rejected, "geojson", tmp_path)
    with pytest.raises(InputError, match="nothing to export"):
        export({**scenario, "sites": []}, "csv", tmp_path / "x.csv")
    assert files_in(tmp_path) == []


def test_unwritable_path(scenario, data, tmp_path, export):
    blocker = tmp_path / "a_file.txt"
    blocker.write_text("not a folder")
    for out in (blocker / "plan.gpkg", blocker / "sub" / "folder"):
        with pytest.raises(InputError, match=r"a_file\.txt"):
            export(scenario, "gpkg", out)
        with pytest.raises(InputError, match=r"a_file\.txt"):
            write_export(data, "geojson", out)
        with pytest.raises(InputError, match=r"a_file\.txt"):
            planned_files(scenario, "csv", out)
    assert files_in(tmp_path) == ["a_file.txt"]
    assert blocker.read_text() == "not a folder"


def test_failed_export_leaves_the_old_file(data, tmp_path, monkeypatch):
    (gpkg,) = write_export(data, "gpkg", tmp_path / "plan.gpkg")
    before = gpkg.read_bytes()

    real = pyogrio.write_dataframe

    def fails_at_districts(frame, path, layer, **options):
        if layer == "districts":  # after two layers were written into the temporary file
            raise RuntimeError("disk on fire")
        real(frame, path, layer=layer, **options)

    monkeypatch.setattr(pyogrio, "write_dataframe", fails_at_districts)
    with pytest.raises(RuntimeError, match="disk on fire"):
        write_export(data, "gpkg", tmp_path / "plan.gpkg")
    assert gpkg.read_bytes() == before
    assert files_in(tmp_path) == ["plan.gpkg"]


def test_failed_geojson_set_changes_none_of_its_files(data, tmp_path, monkeypatch):
    folder = tmp_path / "set"
    write_export(data, "geojson", folder)
    before = {name: (folder / name).read_bytes() for name in GEOJSON_FILES}
    real = tables.write_geojson

    def third_fails(frame, path, layer):
        if layer == "districts":
            raise OSError(28, "No space left on device")
        real(frame, path, layer)

    monkeypatch.setattr(tables, "write_geojson", third_fails)
    smaller = ExportData(**{**data.__dict__, "stations": data.stations.iloc[:2]})
    with pytest.raises(InputError, match="No space left"):
        write_export(smaller, "geojson", folder)
    assert {name: (folder / name).read_bytes() for name in GEOJSON_FILES} == before
    assert files_in(folder) == sorted(GEOJSON_FILES)


# --- command line ------------------------------------------------------------------------------------------------


def test_cli_export(scenario, database, tmp_path, capsys):
    out = tmp_path / "exports"
    status = main(["export", str(scenario["id"]), "--format", "geojson", "--format", "csv", "--format", "kml",
                   "--out", str(out), "--database", database.url])  # fmt: skip
    assert status == 0
    printed = capsys.readouterr().out
    expected = [*GEOJSON_FILES, "赫尔辛基_试点方案.csv", "赫尔辛基_试点方案.kml"]
    assert files_in(out) == sorted(expected)
    for name in expected:
        assert str(out / name) in printed
    status = main(["export", SCENARIO_NAME, "--format", "gpkg", "--format", "html", "--out", str(tmp_path / "p.gpkg"),
                   "--lang", "en", "--database", database.url])  # fmt: skip
    assert status == 0
    assert (tmp_path / "p.gpkg").is_file()
    assert (tmp_path / "p.html").is_file()


def test_cli_refusals(scenario, database, tmp_path, capsys):
    status = main(["export", "no such plan", "--format", "csv", "--out", str(tmp_path), "--database", database.url])
    assert status == 2
    err = capsys.readouterr().err
    assert "no such plan" in err
    assert SCENARIO_NAME in err  # the known scenarios are listed
    status = main(["export", "999999", "--format", "csv", "--out", str(tmp_path), "--database", database.url])
    assert status == 2
    status = main(["export", str(scenario["id"]), "--format", "shp", "--out", str(tmp_path), "--database",
                   database.url])  # fmt: skip
    assert status == 2
    assert "geojson, gpkg" in capsys.readouterr().err
    copy = database.duplicate_scenario(scenario["id"], "重名方案", "tester")
    twin = database.duplicate_scenario(scenario["id"], "重名方案", "tester")
    status = main(["export", "重名方案", "--format", "csv", "--out", str(tmp_path), "--database", database.url])
    assert status == 2
    err = capsys.readouterr().err
    assert f"#{copy['id']}" in err
    assert f"#{twin['id']}" in err
    assert files_in(tmp_path) == []
