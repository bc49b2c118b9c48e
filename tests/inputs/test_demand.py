"""Tests of geoplan.demand: derived worker layers, headcounts, and user layers (CSV and GeoJSON)."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod

from geoplan import settings
from geoplan.coords import wgs84_to_gcj02
from geoplan.data.areas import assign_district
from geoplan.data.readers import read_points_csv
from geoplan.errors import GeoplanError, InputError
from geoplan.inputs.demand import (
    LINE_SAMPLE_M,
    MAJOR_ROADS,
    RIDE_CUTOFF_M,
    WALK_CUTOFF_M,
    WORKER_GROUPS,
    build_demand,
    default_headcounts,
    read_layer,
)

GEOD = Geod(ellps="WGS84")

GROUPS = {
    "sanitation",
    "traffic_police",
    "bus_drivers",
    "taxi_drivers",
    "couriers",
    "urban_management",
    "repair_crews",
}


def write_csv(tmp_path, text: str, name: str = "layer.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def lonlat(area, positions) -> np.ndarray:
    """WGS-84 (lon, lat) of some of an area's street nodes."""
    return shapely.get_coordinates(area.nodes.geometry.iloc[positions].to_crs(settings.WGS84).values)


def csv_rows(points, weights, groups) -> str:
    lines = ["lon,lat,weight,group"]
    lines += [f"{float(x)!r},{float(y)!r},{w},{g}" for (x, y), w, g in zip(points, weights, groups, strict=True)]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def helsinki_demand(helsinki):
    return build_demand(helsinki)


# ---------------------------------------------------------------------------------------------------------
# Groups and headcounts
# ---------------------------------------------------------------------------------------------------------


def test_worker_groups():
    assert set(WORKER_GROUPS) == GROUPS
    assert len(WORKER_GROUPS) == 7
    for key, group in WORKER_GROUPS.items():
        assert group.key == key
        assert group.name_zh
        assert group.name_en
        assert group.rule
        assert group.density_per_km2 > 0
        assert group.cutoff_m == (RIDE_CUTOFF_M if group.mode == "ride" else WALK_CUTOFF_M)
    assert WORKER_GROUPS["couriers"].mode == "ride"
    assert {g.mode for k, g in WORKER_GROUPS.items() if k != "couriers"} == {"walk"}
    assert WORKER_GROUPS["sanitation"].name_zh == "环卫工人"


def test_default_headcounts(helsinki):
    counts = default_headcounts(helsinki)
    km2 = helsinki.boundary.area / 1e6
    assert counts == {k: max(1.0, round(g.density_per_km2 * km2)) for k, g in WORKER_GROUPS.items()}
    assert counts["sanitation"] == 66  # 40 per km² x 1.65 km²


def test_build_demand_sums_equal_headcounts(helsinki, helsinki_demand):
    demand, rules = helsinki_demand
    counts = default_headcounts(helsinki)
    sums = demand.groupby("group")["weight"].sum().to_dict()
    assert set(sums) == GROUPS
    for key, count in counts.items():
        assert sums[key] == pytest.approx(count, abs=1e-6), key
    assert set(rules) == GROUPS
    assert list(demand.columns) == ["group", "weight", "geometry", "district"]
    assert demand.crs == helsinki.crs
    assert (demand["weight"] > 0).all()


def test_build_demand_points_in_area_with_district(helsinki, helsinki_demand):
    demand, _ = helsinki_demand
    assert demand.geom_type.eq("Point").all()
    assert demand.within(helsinki.boundary.buffer(LINE_SAMPLE_M)).all()
    assert demand["district"].notna().all()
    assert set(demand["district"]) <= set(helsinki.districts["district"])
    # Inside a district, the district is the one that contains the point.
    joined = gpd.sjoin(demand[["geometry"]], helsinki.districts[["district", "geometry"]], predicate="within")
    assert len(joined) > 0.95 * len(demand)
    assert (joined["district"] == demand.loc[joined.index, "district"]).all()


def test_helsinki_rules(helsinki, helsinki_demand):
    demand, rules = helsinki_demand
    assert rules["traffic_police"] == "signalised junctions, weight 2 on major roads, 1 elsewhere"
    assert rules["bus_drivers"] == "bus terminals (weight 15) and stops (weight 1)"
    assert rules["sanitation"] == WORKER_GROUPS["sanitation"].rule
    police = demand[demand["group"] == "traffic_police"]
    signals = helsinki.pois[helsinki.pois["highway"] == "traffic_signals"]
    assert len(police) == len(signals)


def test_headcounts_override(helsinki):
    demand, rules = build_demand(helsinki, {"couriers": 1200, "taxi_drivers": 0, "sanitation": 12.5})
    sums = demand.groupby("group")["weight"].sum()
    assert sums["couriers"] == pytest.approx(1200.0, abs=1e-6)
    assert sums["sanitation"] == pytest.approx(12.5, abs=1e-6)
    assert "taxi_drivers" not in sums.index
    assert "taxi_drivers" not in rules
    assert sums["bus_drivers"] == pytest.approx(default_headcounts(helsinki)["bus_drivers"], abs=1e-6)


def test_headcounts_unknown_group(helsinki):
    with pytest.raises(InputError, match=r"Unknown worker group 'pilots'"):
        build_demand(helsinki, {"pilots": 3})


@pytest.mark.parametrize("value", [-5, float("nan"), float("inf"), "12"])
def test_headcounts_invalid_count(helsinki, value):
    with pytest.raises(InputError, match=r"Headcount for 'couriers' must be a number >= 0, got"):
        build_demand(helsinki, {"couriers": value})


def test_all_headcounts_zero_is_not_a_crash(helsinki):
    # No demand at all: either an empty demand table or a planner-facing error, never a bare pandas ValueError.
    try:
        demand, _ = build_demand(helsinki, dict.fromkeys(WORKER_GROUPS, 0))
    except GeoplanError:
        return
    assert len(demand) == 0


# ---------------------------------------------------------------------------------------------------------
# User layers
# ---------------------------------------------------------------------------------------------------------


def test_user_csv_replaces_and_adds_groups(helsinki, tmp_path):
    points = lonlat(helsinki, [0, 500, 1000, 1500, 2000])
    path = write_csv(
        tmp_path,
        csv_rows(points, [10, 20, 30, 4, 5], ["couriers", "couriers", "couriers", "snow_clearers", " snow_clearers "]),
    )
    layer = read_layer(path)
    assert layer.crs == settings.WGS84
    assert layer.attrs["source"] == "layer.csv"
    assert layer["group"].tolist() == ["couriers"] * 3 + ["snow_clearers"] * 2
    demand, rules = build_demand(helsinki, layers=[layer])
    sums = demand.groupby("group")["weight"].sum()
    assert sums["couriers"] == 60.0
    assert sums["snow_clearers"] == 9.0
    assert sums["sanitation"] == pytest.approx(default_headcounts(helsinki)["sanitation"], abs=1e-6)
    assert set(sums.index) == GROUPS | {"snow_clearers"}
    assert rules["couriers"] == "user layer layer.csv"
    assert rules["snow_clearers"] == "user layer layer.csv"
    couriers = demand[demand["group"] == "couriers"]
    assert couriers["weight"].tolist() == [10.0, 20.0, 30.0]
    expected = helsinki.nodes.geometry.iloc[[0, 500, 1000]].to_numpy()
    assert np.all(shapely.distance(couriers.geometry.to_numpy(), expected) < 1e-3)
    assert couriers["district"].notna().all()


def test_user_csv_group_for_whole_file(helsinki, tmp_path):
    points = lonlat(helsinki, [10, 20])
    path = write_csv(tmp_path, "lon,lat,weight\n" + "".join(f"{float(x)!r},{float(y)!r},7\n" for x, y in points))
    layer = read_layer(path, group="street_vendors")
    assert layer["group"].tolist() == ["street_vendors", "street_vendors"]
    with pytest.raises(InputError, match="every row needs a worker group"):
        read_layer(path)


def test_user_csv_empty_group_cell(helsinki, tmp_path):
    points = lonlat(helsinki, [10, 20])
    path = write_csv(tmp_path, csv_rows(points, [1, 2], ["couriers", ""]))
    with pytest.raises(InputError, match="every row needs a worker group"):
        read_layer(path)


def test_user_csv_header_with_spaces_and_bom(helsinki, tmp_path):
    ((x, y),) = lonlat(helsinki, [30])
    path = write_csv(
        tmp_path, f" lon , lat , weight , group \n{float(x)!r},{float(y)!r},3,couriers\n", encoding="utf-8-sig"
    )
    layer = read_layer(path)
    assert layer["weight"].tolist() == [3.0]
    assert layer.geometry.iloc[0].coords[0] == pytest.approx((x, y), abs=1e-12)


@pytest.fixture(scope="module")
def nanchang_with_gcj_layer(nanchang, tmp_path_factory):
    """Demand on Nanchang with a user layer given in GCJ-02, and the WGS-84 points the layer stands for."""
    wgs = lonlat(nanchang, list(range(0, 2000, 100)))
    gx, gy = wgs84_to_gcj02(wgs[:, 0], wgs[:, 1])
    path = tmp_path_factory.mktemp("gcj") / "vendors_gcj02.csv"
    path.write_text(csv_rows(np.column_stack([gx, gy]), [1] * len(wgs), ["street_vendors"] * len(wgs)), "utf-8")
    layer = read_layer(path, crs="gcj02")
    demand, rules = build_demand(nanchang, layers=[layer])
    return wgs, np.column_stack([gx, gy]), layer, demand, rules


def test_gcj02_layer_lands_on_wgs84_points(nanchang, nanchang_with_gcj_layer):
    wgs, gcj, layer, demand, _ = nanchang_with_gcj_layer
    got = shapely.get_coordinates(layer.geometry.values)
    _, _, error = GEOD.inv(got[:, 0], got[:, 1], wgs[:, 0], wgs[:, 1])
    assert np.all(error < 1.0)
    _, _, offset = GEOD.inv(gcj[:, 0], gcj[:, 1], wgs[:, 0], wgs[:, 1])
    assert np.all(offset > 100)  # read as WGS-84 the file would be hundreds of metres off
    vendors = demand[demand["group"] == "street_vendors"]
    assert len(vendors) == len(wgs)
    nodes = nanchang.nodes.geometry.iloc[list(range(0, 2000, 100))].to_numpy()
    assert np.all(shapely.distance(vendors.geometry.to_numpy(), nodes) < 1.0)


def test_malformed_rows_listed_with_line_numbers(tmp_path):
    path = write_csv(
        tmp_path,
        "lon,lat,weight,group\n"
        "abc,60.17,1,x\n"  # 2
        "24.94,60.17,,x\n"  # 3
        "24.94,60.17,-2,x\n"  # 4
        "24.94,60.17,1,x,surplus\n"  # 5
        "24.94,95,1,x\n"  # 6
        "385000,6672000,1,x\n"  # 7
        "24.94,60.17,1,x\n"  # 8: fine
        "24.94,nan,1,x\n",  # 9
    )
    with pytest.raises(InputError) as info:
        read_points_csv(path)
    message = str(info.value)
    assert message.startswith(f"{path}: 7 malformed row(s): ")
    for part in (
        "line 2: lon 'abc' is not a number",
        "line 3: weight is empty",
        "line 4: weight -2.0 is negative",
        "line 5: more fields than the header",
        "line 6: (24.94, 95.0) is not a longitude/latitude in degrees",
        "line 7: (385000.0, 6672000.0) is not a longitude/latitude in degrees; projected coordinates are not accepted",
        "line 9: lat 'nan' is not a finite number",
    ):
        assert part in message
    assert "line 8" not in message


def test_malformed_rows_beyond_ten_are_counted(tmp_path):
    path = write_csv(tmp_path, "lon,lat,weight\n" + "x,60,1\n" * 13)
    with pytest.raises(InputError, match=r"13 malformed row\(s\): .*line 11: .*\(and 3 more\)") as info:
        read_points_csv(path)
    assert "line 12" not in str(info.value)


def test_malformed_row_line_number_after_blank_line(tmp_path):
    path = write_csv(tmp_path, "lon,lat,weight\n24.94,60.17,1\n\n24.94,60.17,-1\n")
    with pytest.raises(InputError, match=r"line 4: weight -1.0 is negative"):
        read_points_csv(path)


@pytest.mark.parametrize(
    ("header", "missing"),
    [("lon,lat,group", "weight"), ("x,y,weight", "lon, lat"), ("lng,lat,weight", "lon")],
)
def test_missing_column(tmp_path, header, missing):
    path = write_csv(tmp_path, f"{header}\n1,2,3\n")
    with pytest.raises(InputError, match=rf"missing column\(s\) {missing};.*found: {header.replace(',', ', ')}"):
        read_points_csv(path)


def test_gbk_csv_with_chinese_groups(nanchang, tmp_path):
    points = lonlat(nanchang, [0, 1])
    path = write_csv(tmp_path, csv_rows(points, [3, 4], ["环卫工人", "外卖骑手"]), encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    layer = read_layer(path)
    assert layer["group"].tolist() == ["环卫工人", "外卖骑手"]
    assert layer["weight"].tolist() == [3.0, 4.0]


def test_empty_csv(tmp_path):
    path = write_csv(tmp_path, "")
    with pytest.raises(InputError, match=r"missing column\(s\) lon, lat, weight;.*found: nothing"):
        read_points_csv(path)


def test_header_only_csv(tmp_path):
    path = write_csv(tmp_path, "lon,lat,weight,group\n")
    with pytest.raises(InputError, match=rf"{re.escape(str(path))}: the file has a header but no rows"):
        read_layer(path)


def test_missing_csv(tmp_path):
    with pytest.raises(InputError, match="File not found"):
        read_layer(tmp_path / "nowhere.csv")


def test_csv_neither_utf8_nor_gbk(tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes(b"lon,lat,weight\n\xff\xff\xff\n")
    with pytest.raises(InputError, match="neither UTF-8 nor GBK"):
        read_points_csv(path)


# ---------------------------------------------------------------------------------------------------------
# GeoJSON layers
# ---------------------------------------------------------------------------------------------------------


def write_geojson(tmp_path, features) -> object:
    path = tmp_path / "layer.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def feature(geometry, **properties):
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def test_geojson_layer(helsinki, tmp_path):
    (x1, y1), (x2, y2) = lonlat(helsinki, [0, 1])
    path = write_geojson(
        tmp_path,
        [
            feature({"type": "Point", "coordinates": [x1, y1]}, weight=2, group="couriers"),
            feature({"type": "Point", "coordinates": [x2, y2]}, weight=3.5, group="couriers"),
        ],
    )
    layer = read_layer(path)
    assert layer["weight"].tolist() == [2.0, 3.5]
    assert layer.geometry.iloc[1].coords[0] == pytest.approx((x2, y2))
    assert layer.attrs["source"] == "layer.geojson"


def test_geojson_non_point_feature(tmp_path):
    path = write_geojson(
        tmp_path,
        [
            feature({"type": "Point", "coordinates": [24.94, 60.17]}, weight=1, group="couriers"),
            feature({"type": "LineString", "coordinates": [[24.94, 60.17], [24.95, 60.17]]}, weight=1, group="x"),
        ],
    )
    with pytest.raises(InputError, match=r"feature\(s\) 2 are not points"):
        read_layer(path)


def test_geojson_missing_weight(tmp_path):
    path = write_geojson(tmp_path, [feature({"type": "Point", "coordinates": [24.94, 60.17]}, group="couriers")])
    with pytest.raises(InputError, match="features need a numeric 'weight' property"):
        read_layer(path)


def test_geojson_invalid_weight(tmp_path):
    path = write_geojson(
        tmp_path,
        [
            feature({"type": "Point", "coordinates": [24.94, 60.17]}, weight=1, group="couriers"),
            feature({"type": "Point", "coordinates": [24.95, 60.17]}, weight=None, group="couriers"),
            feature({"type": "Point", "coordinates": [24.96, 60.17]}, weight=-1, group="couriers"),
        ],
    )
    with pytest.raises(InputError, match=r"feature\(s\) 2, 3 have no valid weight"):
        read_layer(path)


def test_layer_outside_study_area_mentions_coordinate_system(helsinki, tmp_path):
    # Latitude and longitude swapped: valid degrees, but in the Arabian Sea.
    points = lonlat(helsinki, [0, 1, 2])[:, ::-1]
    path = write_csv(tmp_path, csv_rows(points, [1, 1, 1], ["couriers"] * 3))
    layer = read_layer(path)
    with pytest.raises(InputError, match=r"None of the 3 points of layer.csv .*coordinate system"):
        build_demand(helsinki, layers=[layer])


# ---------------------------------------------------------------------------------------------------------
# Nanchang: what the arterial network carries
# ---------------------------------------------------------------------------------------------------------


def test_nanchang_traffic_police_at_signalised_junctions(nanchang, nanchang_with_gcj_layer):
    *_, demand, rules = nanchang_with_gcj_layer
    assert rules["traffic_police"] == "signalised junctions, weight 2 on major roads, 1 elsewhere"
    police = demand[demand["group"] == "traffic_police"]
    signals = nanchang.nodes[nanchang.nodes["signalized"].astype(str) == "1"]
    assert len(signals) == 1004
    assert len(police) == 1004
    got = {tuple(np.round(c, 6)) for c in shapely.get_coordinates(police.geometry.values)}
    assert got == {tuple(np.round(c, 6)) for c in shapely.get_coordinates(signals.geometry.values)}
    assert police["weight"].sum() == pytest.approx(default_headcounts(nanchang)["traffic_police"], abs=1e-6)
    major = nanchang.edges[nanchang.edges["highway"].isin(MAJOR_ROADS)].geometry.union_all()
    near_major = shapely.dwithin(police.geometry.values, major, 20.0)
    low, high = police["weight"].min(), police["weight"].max()
    assert high == pytest.approx(2 * low)
    np.testing.assert_allclose(police["weight"].to_numpy(), np.where(near_major, high, low))


def test_nanchang_bus_drivers_at_metro_stations(nanchang, nanchang_with_gcj_layer):
    *_, demand, rules = nanchang_with_gcj_layer
    assert rules["bus_drivers"] == "rail and metro stations as interchange hubs (no bus stops mapped)"
    assert "highway" not in nanchang.pois.columns or not nanchang.pois["highway"].eq("bus_stop").any()
    drivers = demand[demand["group"] == "bus_drivers"]
    stations = nanchang.pois[nanchang.pois["railway"] == "station"]
    inside = stations[stations.within(nanchang.boundary.buffer(LINE_SAMPLE_M))]
    assert len(drivers) == len(inside) == 74
    assert np.all(shapely.distance(drivers.geometry.to_numpy(), inside.geometry.to_numpy()) < 1e-6)
    assert drivers["weight"].to_numpy() == pytest.approx(default_headcounts(nanchang)["bus_drivers"] / 74)
    assert set(drivers["district"]) <= set(nanchang.planned_districts)


def test_nanchang_demand_totals(nanchang, nanchang_with_gcj_layer):
    *_, demand, rules = nanchang_with_gcj_layer
    sums = demand.groupby("group")["weight"].sum()
    for key, count in default_headcounts(nanchang).items():
        assert sums[key] == pytest.approx(count, abs=1e-6), key
    assert sums["street_vendors"] == 20.0
    assert rules["street_vendors"] == "user layer vendors_gcj02.csv"
    assert demand["district"].notna().all()


def test_assign_district_nearest_for_points_outside(helsinki):
    cells = helsinki.districts.set_index("district").geometry
    inside = cells["Kluuvi"].representative_point()
    far = shapely.Point(helsinki.boundary.bounds[0] - 500, cells["Kluuvi"].centroid.y)
    points = gpd.GeoDataFrame(geometry=[inside, far], crs=helsinki.crs, index=[7, 3])
    districts = assign_district(points, helsinki.districts)
    assert districts.index.tolist() == [7, 3]
    assert districts[7] == "Kluuvi"
    nearest = min(cells.index, key=lambda name: cells[name].distance(far))
    assert districts[3] == nearest
