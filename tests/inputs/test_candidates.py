"""Tests of geoplan.candidates on real data: roadside footprints, host premises, user sites and existing stations.

Geometry is checked independently of the candidate code: the carriageway is rebuilt here from the edges with the
documented width rule (OSM ``width``, else ``lanes`` x 3.5 m, else the class default), as a plain buffer of each
carriageway edge by half its width (a continuous strip, bends and junctions included).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from geoplan import coords
from geoplan.errors import InputError
from geoplan.inputs.candidates import (
    CARRIAGEWAY_CLASSES,
    DEFAULT_ROAD_WIDTH_M,
    FRONTAGE_CLASSES,
    CandidateRules,
    build_candidates,
    read_sites,
)

GEOD = Geod(ellps="WGS84")

#: Tolerance (m) for distances recomputed here from the same geometry.
TOL_M = 1e-6


# --- helpers -----------------------------------------------------------------------------------------------------


def documented_width(edges: gpd.GeoDataFrame) -> np.ndarray:
    """Carriageway width per edge by the documented rule, written out row by row."""
    out = []
    for osm_width, osm_lanes, highway in zip(edges["width"], edges["lanes"], edges["highway"], strict=True):
        width = pd.to_numeric(osm_width, errors="coerce")
        lanes = pd.to_numeric(osm_lanes, errors="coerce")
        if pd.notna(width) and width > 0:
            out.append(float(width))
        elif pd.notna(lanes) and lanes > 0:
            out.append(float(lanes) * 3.5)
        else:
            out.append(DEFAULT_ROAD_WIDTH_M[highway])
    return np.asarray(out, dtype=float)


def carriageway_overlaps(area, sites: gpd.GeoDataFrame) -> list[tuple[str, str, float]]:
    """(site id, road class, overlap m²) for every roadside footprint touching a carriageway strip."""
    roads = area.edges[area.edges["highway"].isin(CARRIAGEWAY_CLASSES)]
    strips = shapely.buffer(roads.geometry.to_numpy(), documented_width(roads) / 2.0)
    footprints = sites["footprint"].to_numpy()
    hit_site, hit_road = shapely.STRtree(strips).query(footprints, predicate="intersects")
    overlap = shapely.area(shapely.intersection(footprints[hit_site], strips[hit_road]))
    highway = roads["highway"].to_numpy()
    ids = sites["id"].to_numpy()
    # a two-way street of a directed network is stored twice: list each (site, class, overlap) once
    return sorted(
        {
            (str(ids[s]), str(highway[r]), round(float(a), 3))
            for s, r, a in zip(hit_site, hit_road, overlap, strict=True)
        }
    )


def write_csv(path, rows: list[str], header: str = "lon,lat,footprint_m2,name") -> str:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return str(path)


def to_wgs84(area, geometry) -> tuple[np.ndarray, np.ndarray]:
    points = gpd.GeoSeries(geometry, crs=area.crs).to_crs("EPSG:4326")
    return points.x.to_numpy(), points.y.to_numpy()


def inner_points(area, district: str, count: int) -> list[tuple[float, float]]:
    """WGS-84 (lon, lat) of ``count`` street nodes well inside a district (>= 50 m from its border)."""
    polygon = area.districts.set_index("district").geometry[district]
    nodes = area.nodes[area.nodes.within(polygon.buffer(-50.0))].sort_index()
    assert len(nodes) >= count
    lon, lat = to_wgs84(area, nodes.geometry.iloc[:count].to_numpy())
    return list(zip(lon.tolist(), lat.tolist(), strict=True))


# --- fixtures ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def helsinki_candidates(helsinki):
    return build_candidates(helsinki)


@pytest.fixture(scope="module")
def roadside_sites(helsinki_candidates):
    sites = helsinki_candidates.sites
    return sites[sites["source"] == "roadside"]


@pytest.fixture(scope="module")
def nanchang_candidates(nanchang):
    return build_candidates(nanchang)


# --- roadside sites on Helsinki ----------------------------------------------------------------------------------


def test_helsinki_has_both_kinds_of_site(helsinki_candidates):
    counts = helsinki_candidates.sites["source"].value_counts()
    assert counts.get("roadside", 0) > 100
    assert counts.get("host", 0) > 10
    assert set(counts.index) == {"roadside", "host"}


def test_roadside_footprint_area_is_width_times_depth(roadside_sites):
    footprints = roadside_sites["footprint"].to_numpy()
    assert all(isinstance(fp, shapely.Polygon) for fp in footprints)
    np.testing.assert_allclose(shapely.area(footprints), 3.0 * 3.0, atol=1e-6)
    np.testing.assert_array_equal(roadside_sites["footprint_m2"].to_numpy(), 9.0)
    # the station point is the footprint's centre
    centres = shapely.centroid(footprints)
    assert shapely.distance(centres, roadside_sites.geometry.to_numpy()).max() < 1e-6


def test_non_roadside_sites_have_no_footprint(helsinki_candidates):
    sites = helsinki_candidates.sites
    assert sites.loc[sites["source"] != "roadside", "footprint"].isna().all()
    assert (sites.loc[sites["source"] == "host", "footprint_m2"] == 9.0).all()


def test_roadside_footprints_touch_no_building_or_water(helsinki, roadside_sites):
    assert len(helsinki.buildings) > 400  # the check below is not vacuous
    assert len(helsinki.water) > 0
    footprints = roadside_sites["footprint"].to_numpy()
    for layer in (helsinki.buildings, helsinki.water):
        tree = shapely.STRtree(layer.geometry.to_numpy())
        hits, _ = tree.query(footprints, predicate="intersects")
        assert roadside_sites["id"].to_numpy()[np.unique(hits)].tolist() == []


def test_roadside_footprints_touch_no_carriageway_helsinki(helsinki, roadside_sites):
    assert carriageway_overlaps(helsinki, roadside_sites) == []


def test_roadside_footprints_touch_no_carriageway_nanchang(nanchang, nanchang_candidates):
    sites = nanchang_candidates.sites
    assert carriageway_overlaps(nanchang, sites[sites["source"] == "roadside"]) == []


def test_roadside_sites_sit_beside_a_frontage_street(helsinki, roadside_sites):
    rules = CandidateRules()
    streets = helsinki.edges[helsinki.edges["highway"].isin(FRONTAGE_CLASSES)]
    lines = streets.geometry.to_numpy()
    reach = documented_width(streets) / 2.0 + rules.setback_m + rules.footprint_depth_m
    points = roadside_sites.geometry.to_numpy()
    # for every site: is there a frontage street within half its width + setback + depth?
    site_index, street_index = shapely.STRtree(lines).query(points, predicate="dwithin", distance=reach.max() + 0.01)
    gaps = shapely.distance(points[site_index], lines[street_index])
    close = gaps <= reach[street_index] + 0.01
    near = np.zeros(len(points), dtype=bool)
    near[site_index[close]] = True
    assert roadside_sites["id"].to_numpy()[~near].tolist() == []


def test_host_sites_are_street_side(helsinki, helsinki_candidates):
    sites = helsinki_candidates.sites
    hosts = sites[sites["source"] == "host"]
    streets = helsinki.edges[helsinki.edges["highway"].isin(set(DEFAULT_ROAD_WIDTH_M))]
    tree = shapely.STRtree(streets.geometry.to_numpy())
    _, distance = tree.query_nearest(hosts.geometry.to_numpy(), return_distance=True, all_matches=False)
    assert len(hosts) > 10
    assert distance.max() <= CandidateRules().host_max_street_m + TOL_M


def test_refusals_have_reasons_and_counts_add_up(helsinki_candidates):
    refused = helsinki_candidates.refused
    assert len(refused) > 0
    assert refused["reason"].map(lambda r: isinstance(r, str) and r.strip() != "").all()
    assert set(refused["source"]) <= {"roadside", "host", "user", "fixed"}
    counts = helsinki_candidates.refusal_counts()
    assert sum(counts.values()) == len(refused)
    assert counts == refused["reason"].value_counts().to_dict()
    assert list(counts.values()) == sorted(counts.values(), reverse=True)
    assert counts["overlaps a building"] >= 1
    assert counts["overlaps the carriageway"] >= 1


# --- rules ---------------------------------------------------------------------------------------------------------


def test_minimum_area_above_footprint_is_refused():
    with pytest.raises(InputError, match=r"3\.0 m x 3\.0 m footprint is 9 m², below the 12 m² minimum"):
        CandidateRules(min_area_m2=12.0)


def test_larger_footprint_meets_larger_minimum(helsinki):
    candidates = build_candidates(helsinki, CandidateRules(min_area_m2=12.0, footprint_width_m=4.0))
    sites = candidates.sites
    roadside = sites[sites["source"] == "roadside"]
    assert len(roadside) > 100
    np.testing.assert_allclose(shapely.area(roadside["footprint"].to_numpy()), 12.0, atol=1e-6)
    assert (roadside["footprint_m2"] == 12.0).all()
    assert (sites.loc[sites["source"] == "host", "footprint_m2"] == 12.0).all()
    # rectangles 4 m along the street by 3 m across it
    for footprint in roadside["footprint"]:
        corners = np.asarray(footprint.exterior.coords)
        sides = np.hypot(*np.diff(corners, axis=0).T)
        np.testing.assert_allclose(sides, [4.0, 3.0, 4.0, 3.0], atol=1e-6)


def test_smaller_minimum_with_smaller_footprint(helsinki):
    rules = CandidateRules(min_area_m2=5.0, footprint_width_m=2.5, footprint_depth_m=2.0)
    roadside = build_candidates(helsinki, rules).sites.query("source == 'roadside'")
    assert len(roadside) > 100
    np.testing.assert_allclose(shapely.area(roadside["footprint"].to_numpy()), 5.0, atol=1e-6)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("min_area_m2", 0.0, "min_area_m2 must be a positive number"),
        ("spacing_m", float("nan"), "spacing_m must be a positive number"),
        ("setback_m", -1.0, "setback_m must be >= 0"),
    ],
)
def test_invalid_rules(field, value, message):
    with pytest.raises(InputError, match=message):
        CandidateRules(**{field: value})


# --- user sites and existing stations ------------------------------------------------------------------------------


def test_user_sites_below_minimum_are_refused(helsinki, tmp_path):
    (lon_a, lat_a), (lon_b, lat_b) = inner_points(helsinki, "Kluuvi", 2)
    path = write_csv(tmp_path / "sites.csv", [f"{lon_a},{lat_a},6,kiosk", f"{lon_b},{lat_b},10,shed"])
    user = read_sites(path)
    assert user["footprint_m2"].tolist() == [6.0, 10.0]
    assert user.crs == "EPSG:4326"

    candidates = build_candidates(helsinki, user_sites=user)
    kept = candidates.sites[candidates.sites["source"] == "user"]
    assert len(kept) == 1
    row = kept.iloc[0]
    assert row["footprint_m2"] == 10.0
    assert row["name"] == "shed"
    assert row["district"] == "Kluuvi"
    assert row["id"].startswith("U")
    expected = gpd.GeoSeries(gpd.points_from_xy([lon_b], [lat_b]), crs="EPSG:4326").to_crs(helsinki.crs).iloc[0]
    assert row.geometry.distance(expected) < 0.01

    refused = candidates.refused[candidates.refused["source"] == "user"]
    assert refused["reason"].tolist() == ["floor area 6 m² below the 9 m² minimum"]
    expected = gpd.GeoSeries(gpd.points_from_xy([lon_a], [lat_a]), crs="EPSG:4326").to_crs(helsinki.crs).iloc[0]
    assert refused.geometry.iloc[0].distance(expected) < 0.01


def test_gcj02_sites_land_on_their_wgs84_position(nanchang, tmp_path):
    wgs = inner_points(nanchang, "东湖区", 3)
    lon, lat = np.array(wgs).T
    gcj_lon, gcj_lat = coords.wgs84_to_gcj02(lon, lat)
    _, _, shift = GEOD.inv(lon, lat, gcj_lon, gcj_lat)
    assert shift.min() > 100.0  # GCJ-02 is offset by hundreds of metres in Nanchang: the test is not vacuous
    path = write_csv(
        tmp_path / "gcj.csv",
        [f"{x:.9f},{y:.9f},10,s{i}" for i, (x, y) in enumerate(zip(gcj_lon, gcj_lat, strict=True))],
    )
    sites = read_sites(path, crs="gcj02")
    _, _, error = GEOD.inv(sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy(), lon, lat)
    assert error.max() < 1.0

    candidates = build_candidates(nanchang, user_sites=sites)
    user = candidates.sites[candidates.sites["source"] == "user"].sort_values("name")
    expected = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs="EPSG:4326").to_crs(nanchang.crs)
    assert user["name"].tolist() == ["s0", "s1", "s2"]
    assert user.geometry.distance(expected, align=False).max() < 1.0
    assert set(user["district"]) == {"东湖区"}


def test_malformed_footprint_names_its_line(tmp_path):
    path = write_csv(tmp_path / "bad.csv", ["24.94,60.17,10,a", "24.95,60.17,abc,b"])
    with pytest.raises(InputError, match=r"footprint_m2 must be a positive number.*line\(s\) 3\b"):
        read_sites(path)


def test_missing_longitude_names_its_line(tmp_path):
    path = write_csv(tmp_path / "bad.csv", [",60.17,10,a", "24.95,60.17,10,b"])
    with pytest.raises(InputError, match=r"1 malformed row\(s\): line 2: lon is empty"):
        read_sites(path)


def test_line_numbers_count_blank_lines(tmp_path):
    """Line numbers are the file's own: a blank line before the bad row still counts (line 4 here)."""
    path = tmp_path / "blank.csv"
    path.write_text("lon,lat,footprint_m2\n24.94,60.17,10\n\n24.95,60.17,abc\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"line\(s\) 4\b"):
        read_sites(path)


def test_footprint_column_required_without_default(tmp_path):
    path = write_csv(tmp_path / "nofp.csv", ["24.94,60.17"], header="lon,lat")
    with pytest.raises(InputError, match=r"a footprint_m2 column \(station floor area in m²\) is required"):
        read_sites(path)
    assert read_sites(path, default_footprint_m2=9.0)["footprint_m2"].tolist() == [9.0]


def test_existing_stations_are_kept_even_when_small(helsinki, tmp_path):
    ((lon, lat),) = inner_points(helsinki, "Kaisaniemi", 1)
    path = write_csv(tmp_path / "existing.csv", [f"{lon},{lat},4,old kiosk"])
    small = read_sites(path, default_footprint_m2=9.0)
    candidates = build_candidates(helsinki, user_sites=small, fixed_sites=small)
    fixed = candidates.sites[candidates.sites["source"] == "fixed"]
    assert len(fixed) == 1
    assert fixed["footprint_m2"].tolist() == [4.0]
    assert fixed["name"].tolist() == ["old kiosk"]
    assert fixed["id"].iloc[0].startswith("F")
    assert fixed["district"].tolist() == ["Kaisaniemi"]
    # the same 4 m² site offered as a new candidate is refused
    assert (candidates.sites["source"] != "user").all()
    assert candidates.refused.loc[candidates.refused["source"] == "user", "reason"].tolist() == [
        "floor area 4 m² below the 9 m² minimum"
    ]
    assert not (candidates.refused["source"] == "fixed").any()


def test_site_ids_are_unique_and_prefixed(helsinki_candidates):
    sites = helsinki_candidates.sites
    assert sites["id"].is_unique
    prefix = sites["source"].map({"roadside": "R", "host": "H", "user": "U", "fixed": "F"})
    assert (sites["id"].str[0] == prefix).all()


# --- Nanchang: no buildings, no POIs -----------------------------------------------------------------------------


def test_nanchang_roadside_refusals_are_carriageway_only(nanchang, nanchang_candidates):
    assert len(nanchang.buildings) == 0
    assert len(nanchang.water) == 0
    refused = nanchang_candidates.refused
    assert len(refused) > 0
    assert set(refused["source"]) == {"roadside"}
    assert set(refused["reason"]) == {"overlaps the carriageway"}


def test_nanchang_has_no_host_sites(nanchang_candidates):
    sources = set(nanchang_candidates.sites["source"])
    assert sources == {"roadside"}


@pytest.mark.parametrize("candidates", ["helsinki_candidates", "nanchang_candidates"])
def test_footprint_area_column_is_numeric(candidates, request):
    """Floor areas are numbers whatever sources an area has (Nanchang has no host sites)."""
    sites = request.getfixturevalue(candidates).sites
    assert pd.api.types.is_float_dtype(sites["footprint_m2"]), sites["footprint_m2"].dtype
    assert (sites["footprint_m2"] >= 9.0).all()


def test_nanchang_sites_are_in_districts_with_streets(nanchang, nanchang_candidates):
    planned = set(nanchang.planned_districts)
    assert planned == {"东湖区", "西湖区", "青云谱区", "青山湖区", "新建区", "红谷滩区", "南昌县"}
    assert set(nanchang_candidates.sites["district"]) == planned


def test_the_planners_own_sites_leave_every_other_id_as_it_was(helsinki, helsinki_candidates, tmp_path):
    points = inner_points(helsinki, "Kluuvi", 3)
    path = write_csv(tmp_path / "own.csv", [f"{lon},{lat},12,own {n}" for n, (lon, lat) in enumerate(points)])
    own = read_sites(path)
    with_own = build_candidates(helsinki, user_sites=own, fixed_sites=own.iloc[:1]).sites
    with_more = build_candidates(helsinki, user_sites=pd.concat([own, own.iloc[:1]]), fixed_sites=own).sites
    area_ids = helsinki_candidates.sites["id"].tolist()
    for sites in (with_own, with_more):
        assert sites.loc[sites["source"].isin(["roadside", "host"]), "id"].tolist() == area_ids
    assert with_own.loc[with_own["source"] == "user", "id"].tolist() == ["U00001", "U00002", "U00003"]
    assert with_own.loc[with_own["source"] == "fixed", "id"].tolist() == ["F00001"]
    assert with_more.loc[with_more["source"] == "fixed", "id"].tolist() == ["F00001", "F00002", "F00003"]
