"""Tests of geoplan.export: the five output files, their coordinates, and atomic writes."""

from __future__ import annotations

import json
import types

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from pyproj import Geod

from geoplan import coords
from geoplan.errors import InputError
from geoplan.outputs import plan_files as export
from geoplan.outputs.plan_files import write_plan
from geoplan.outputs.tables import proposals_wgs84
from geoplan.planning.parameters import PlanParameters
from geoplan.planning.plan import make_plan

GEOD = Geod(ellps="WGS84")
FILES = ["coverage.json", "footprints.geojson", "map.html", "proposals.geojson", "refused_sites.geojson"]


@pytest.fixture(scope="module")
def plan(helsinki):
    return make_plan(helsinki, PlanParameters(stations=6))


@pytest.fixture(scope="module")
def written(plan, tmp_path_factory):
    folder = tmp_path_factory.mktemp("export") / "new" / "folder"  # created by write_plan
    return write_plan(plan, folder), folder


def names(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_write_plan_writes_the_five_files(written):
    files, folder = written
    assert sorted(files) == ["coverage", "footprints", "map", "proposals", "refused"]
    assert sorted(p.name for p in files.values()) == FILES
    assert names(folder) == FILES  # nothing else: no temporary files left
    assert all(p.parent == folder and p.stat().st_size > 0 for p in files.values())


def test_proposals_coordinates_round_trip(plan, written):
    files, _ = written
    back = gpd.read_file(files["proposals"], engine="pyogrio")
    assert back.crs.to_epsg() == 4326
    assert sorted(back["id"]) == sorted(plan.proposals["id"])
    back = back.set_index("id").loc[plan.proposals["id"]]
    in_utm = back.geometry.to_crs(plan.area.crs)
    gap = shapely.distance(in_utm.to_numpy(), plan.proposals.geometry.to_numpy())
    assert gap.max() < 0.01
    np.testing.assert_allclose(back["lon"], back.geometry.x, atol=1e-7)
    np.testing.assert_allclose(back["lat"], back.geometry.y, atol=1e-7)
    for column in ("district", "level", "source"):
        assert back[column].tolist() == plan.proposals[column].tolist()
    np.testing.assert_allclose(back["covered_workers"], plan.proposals["covered_workers"])
    np.testing.assert_allclose(back["footprint_m2"], plan.proposals["footprint_m2"])
    assert "footprint" not in back.columns


def test_gcj02_columns_convert_back(written):
    back = gpd.read_file(written[0]["proposals"], engine="pyogrio")
    lon, lat = coords.gcj02_to_wgs84(back["lon_gcj02"].to_numpy(), back["lat_gcj02"].to_numpy())
    _, _, error = GEOD.inv(lon, lat, back["lon"].to_numpy(), back["lat"].to_numpy())
    assert error.max() < 1.0


def test_gcj02_columns_in_china(nanchang):
    """In China GCJ-02 is offset by hundreds of metres; the columns must still convert back to within 1 m."""
    nodes = nanchang.nodes.sort_index().iloc[::200]
    fake = types.SimpleNamespace(
        proposals=gpd.GeoDataFrame(
            {"id": [f"N{i}" for i in range(len(nodes))], "footprint": None}, geometry=nodes.geometry.values
        )
    )
    frame = proposals_wgs84(fake)
    _, _, shift = GEOD.inv(frame["lon"], frame["lat"], frame["lon_gcj02"], frame["lat_gcj02"])
    assert shift.min() > 100.0
    lon, lat = coords.gcj02_to_wgs84(frame["lon_gcj02"].to_numpy(), frame["lat_gcj02"].to_numpy())
    _, _, error = GEOD.inv(lon, lat, frame["lon"].to_numpy(), frame["lat"].to_numpy())
    assert error.max() < 1.0
    expected = nodes.to_crs("EPSG:4326")
    np.testing.assert_allclose(frame["lon"], expected.geometry.x, atol=1e-7)
    np.testing.assert_allclose(frame["lat"], expected.geometry.y, atol=1e-7)


def test_geojson_layer_names_are_not_temporary(written):
    for key in ("proposals", "footprints", "refused"):
        layers = pyogrio.list_layers(written[0][key])
        assert len(layers) == 1
        assert not str(layers[0][0]).startswith("."), f"{key}: layer named {layers[0][0]!r}"


def test_footprints_file(plan, written):
    footprints = gpd.read_file(written[0]["footprints"]).to_crs(plan.area.crs)
    roadside = plan.proposals[plan.proposals["footprint"].notna()].set_index("id")
    assert sorted(footprints["id"]) == sorted(roadside.index)
    for row in footprints.itertuples():
        original = roadside.loc[row.id, "footprint"]
        assert shapely.hausdorff_distance(row.geometry, original) < 0.01


def test_refused_sites_file(plan, written):
    """Each refused site with its stable ``reason_code`` and its reason in the plan's language (Chinese by default)."""
    refused = gpd.read_file(written[0]["refused"])
    assert refused.crs.to_epsg() == 4326
    assert len(refused) == len(plan.candidates.refused)
    assert list(refused.columns) == ["source", "reason_code", "reason", "geometry"]
    assert sorted(refused["reason_code"]) == sorted(plan.candidates.refused["reason_code"])
    assert sorted(refused["reason"]) == sorted(plan.candidates.refused["reason_zh"])
    assert "与建筑物重叠" in set(refused["reason"])


def test_refused_sites_file_in_english(plan, tmp_path):
    files = write_plan(plan, tmp_path / "en", lang="en")
    refused = gpd.read_file(files["refused"])
    assert sorted(refused["reason"]) == sorted(plan.candidates.refused["reason"])
    assert "overlaps a building" in set(refused["reason"])


def test_coverage_json(plan, written):
    raw = written[0]["coverage"].read_bytes()
    text = raw.decode("utf-8")
    coverage = json.loads(text)
    assert coverage == json.loads(json.dumps(plan.summary()))
    assert coverage["parameters"]["stations"] == 6
    # Chinese text is kept as UTF-8, not \\u escapes (ensure_ascii=False)
    assert plan.area.spec.title_zh.encode() in raw
    assert "\\u" not in text


def test_map_contains_every_proposal(plan, written):
    html = written[0]["map"].read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html>")
    for station_id in plan.proposals["id"]:
        assert f"<b>{station_id}</b>" in html


# --- atomic writes -------------------------------------------------------------------------------------------------


def test_failing_map_leaves_no_map_and_no_temporary_file(plan, tmp_path, monkeypatch):
    def broken(_plan, _lang="zh"):
        raise RuntimeError("map renderer crashed")

    monkeypatch.setattr(export, "plan_map", broken)
    with pytest.raises(RuntimeError, match="map renderer crashed"):
        write_plan(plan, tmp_path)
    left = names(tmp_path)
    assert "map.html" not in left
    assert [name for name in left if name.startswith(".")] == []


def test_failing_writer_keeps_the_previous_file_whole(plan, written, tmp_path, monkeypatch):
    """A writer that dies half-way must neither truncate the old file nor leave its half-written temporary file."""
    folder = tmp_path / "again"
    folder.mkdir()
    old = written[0]["proposals"].read_bytes()
    (folder / "proposals.geojson").write_bytes(old)

    def half_written(frame, path, layer):
        path.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export, "_write_geojson", half_written)
    with pytest.raises(InputError, match="No space left on device"):
        write_plan(plan, folder)
    assert names(folder) == ["proposals.geojson"]
    assert (folder / "proposals.geojson").read_bytes() == old
