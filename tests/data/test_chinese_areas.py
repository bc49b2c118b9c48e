"""The Chinese cities of the shared data as registered areas: Shanghai's Bund and Lujiazui (the default demo) and
Shenzhen's Futian and Nanshan, loaded from their real OSM files with their GCJ-02 district boundaries."""

from __future__ import annotations

import shapely

from geoplan.data.areas import resolve


def test_shanghai_is_the_registry_default_and_carries_buildings_pois_and_districts(model_cache):
    area = model_cache.area(resolve("shanghai"))
    assert sorted(area.planned_districts) == ["浦东新区", "虹口区", "黄浦区"]
    assert len(area.buildings) > 1_000
    assert len(area.pois) > 300
    assert 8.0 < area.area_km2 < 11.0  # about 9.5 km², the README's extent
    named = area.edges["name"].dropna().astype(str) if "name" in area.edges.columns else []
    assert any("路" in name for name in named), "Chinese street names are kept"
    assert area.spec.timezone == "Asia/Shanghai"


def test_shanghai_reports_its_missing_tile_in_both_languages(model_cache):
    area = model_cache.area(resolve("shanghai"))
    assert any("东方明珠" in note and "520" in note for note in area.notes_in("zh"))
    assert any("Oriental Pearl" in note for note in area.notes_in("en"))
    # the hole is real: no street node lies inside it (the note would be wrong otherwise)
    hole = shapely.box(121.4985, 31.2370, 121.5026, 31.2403)
    nodes = area.nodes.to_crs("EPSG:4326")
    assert not nodes.geometry.within(hole).any()


def test_shenzhen_roads_only(model_cache):
    area = model_cache.area(resolve("shenzhen"))
    assert sorted(area.planned_districts) == ["南山区", "福田区", "罗湖区"]
    assert len(area.buildings) < 10  # drive queries: a stray building way or two
    assert len(area.edges) > 5_000
    assert any("没有人行道" in note for note in area.notes_in("zh"))
