"""The layer comparison on the default area: a plan on the rule-of-thumb layers against one on observed couriers.

The observed layer is generated (seeded, tests/_observed_couriers.py): riders at two hotspots the rule of thumb
does not favour. The scores are checked against a recount made from scratch: the stations' WGS-84 coordinates, the
layer's CSV, and network distances from networkx on the area's streets (nearest segment, position along it and
lateral offset, as docs/demand.md defines coverage), not from geoplan.coverage.
"""

from __future__ import annotations

import math

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from _observed_couriers import CUTOFF_M, HOTSPOTS_LONLAT, PARAMS, observed_couriers, write_observed_couriers
from scipy.spatial import cKDTree

from geoplan import crs
from geoplan.errors import InputError
from geoplan.inputs.demand import build_demand, read_layer
from geoplan.planning.layer_compare import COMPARISON_COLUMNS, compare_layers
from geoplan.planning.parameters import PlanParameters


@pytest.fixture(scope="module")
def observed_csv(helsinki, tmp_path_factory):
    return write_observed_couriers(helsinki, tmp_path_factory.mktemp("observed") / "riders.csv")


@pytest.fixture(scope="module")
def comparison(helsinki, observed_csv):
    return compare_layers(helsinki, read_layer(observed_csv, "wgs84", "couriers"), "couriers", PARAMS)


# --- an independent recount ----------------------------------------------------------------------------------------


def network_distances(area, sources: np.ndarray, targets: np.ndarray, limit: float) -> np.ndarray:
    """(sources x targets) network distances (m) between points in the area's CRS, inf beyond ``limit``.

    Each point goes to its nearest street segment (largest connected part of the network); a distance is the
    lateral offsets plus the way along the streets, through either end of both segments or along a shared one.
    """
    edges = area.edges[area.edges["u"] != area.edges["v"]]
    graph = nx.Graph()
    for u, v, length in zip(edges["u"], edges["v"], edges["length"], strict=True):
        if not graph.has_edge(u, v) or graph[u][v]["length"] > length:
            graph.add_edge(u, v, length=float(length))
    main = max(nx.connected_components(graph), key=len)
    edges = edges[edges["u"].isin(main) & edges["v"].isin(main)]
    lines = edges.geometry.to_numpy()
    length = edges["length"].to_numpy(dtype=float)
    tree = shapely.STRtree(lines)

    def snap(xy):
        points = shapely.points(xy)
        found, segment = tree.query_nearest(points, all_matches=False)
        seg = np.empty(len(points), dtype=np.int64)
        seg[found] = segment
        along = shapely.line_locate_point(lines[seg], points, normalized=True) * length[seg]
        return seg, along, shapely.distance(points, lines[seg])

    # which end node each line starts at, from the nodes' coordinates
    start = shapely.get_point(lines, 0)
    nodes = area.nodes.geometry
    u_first = shapely.distance(start, nodes.loc[edges["u"]].to_numpy()) <= shapely.distance(
        start, nodes.loc[edges["v"]].to_numpy()
    )
    first = np.where(u_first, edges["u"], edges["v"])
    last = np.where(u_first, edges["v"], edges["u"])
    s_seg, s_along, s_lateral = snap(sources)
    t_seg, t_along, t_lateral = snap(targets)
    out = np.full((len(sources), len(targets)), np.inf)
    for i in range(len(sources)):
        reach: dict = {}
        for node, offset in ((first[s_seg[i]], s_along[i]), (last[s_seg[i]], length[s_seg[i]] - s_along[i])):
            for other, metres in nx.single_source_dijkstra_path_length(graph, node, cutoff=limit,
                                                                        weight="length").items():  # fmt: skip
                reach[other] = min(reach.get(other, math.inf), metres + offset)
        via_first = np.array([reach.get(n, math.inf) for n in first[t_seg]]) + t_along
        via_last = np.array([reach.get(n, math.inf) for n in last[t_seg]]) + (length[t_seg] - t_along)
        along = np.minimum(via_first, via_last)
        same = t_seg == s_seg[i]
        along[same] = np.minimum(along[same], np.abs(t_along[same] - s_along[i]))
        out[i] = along + s_lateral[i] + t_lateral
    return out


def recount(area, stations_lonlat: np.ndarray, layer: pd.DataFrame) -> np.ndarray:
    """Which rows of the layer CSV have a station within the riders' cutoff along the streets."""
    stations = crs.from_wgs84(area.crs, stations_lonlat)
    workers = crs.from_wgs84(area.crs, layer[["lon", "lat"]].to_numpy())
    return (network_distances(area, stations, workers, CUTOFF_M) <= CUTOFF_M).any(axis=0)


# --- the constructed case ------------------------------------------------------------------------------------------


def test_the_rule_of_thumb_puts_few_riders_at_the_hotspots(helsinki):
    demand, _ = build_demand(helsinki)
    couriers = demand[demand["group"] == "couriers"]
    weight = couriers["weight"].to_numpy()
    hotspots = crs.from_wgs84(helsinki.crs, HOTSPOTS_LONLAT)

    def near(points) -> np.ndarray:
        xy = shapely.get_coordinates(points.geometry.to_numpy())
        return cKDTree(hotspots).query(xy)[0] <= 300.0

    # within 300 m of the hotspots lie 35 % of the streets but under 10 % of the derived riders
    streets = near(helsinki.street_samples).mean()
    assert weight[near(couriers)].sum() / weight.sum() < 0.5 * streets


def test_the_observed_plan_covers_more_observed_riders(comparison):
    figures = comparison.figures
    rule, observed = figures["rule"], figures["observed"]
    assert observed["covered"] >= rule["covered"]
    assert observed["covered"] > rule["covered"] + 100  # strictly, and by far, in this constructed case
    assert figures["rule_cost_workers"] == pytest.approx(observed["covered"] - rule["covered"])
    assert figures["rule_cost_points"] == pytest.approx(100 * (observed["share"] - rule["share"]), abs=0.01)
    assert rule["stations"] == observed["stations"] == 3
    assert comparison.rule_plan.result.status == comparison.observed_plan.result.status == "optimal"


def test_the_observed_plan_has_a_station_near_each_hotspot(helsinki, comparison):
    stations = comparison.stations()
    mine = stations[stations["plan"] == "observed"][["lon", "lat"]].to_numpy()
    hotspots = crs.from_wgs84(helsinki.crs, HOTSPOTS_LONLAT)
    gap = cKDTree(crs.from_wgs84(helsinki.crs, mine)).query(hotspots)[0]
    assert (gap < CUTOFF_M).all()


def test_every_observed_rider_in_the_area_is_scored(helsinki, comparison, observed_csv):
    layer = pd.read_csv(observed_csv)
    figures = comparison.figures
    assert figures["layer"] == {"points_read": len(layer), "workers_read": float(layer["weight"].sum()),
                                "points": len(layer), "workers": float(layer["weight"].sum())}  # fmt: skip
    assert comparison.workers.crs == helsinki.crs
    assert len(comparison.workers) == len(layer)


def test_the_scores_equal_an_independent_recount(helsinki, comparison, observed_csv):
    layer = pd.read_csv(observed_csv)
    stations = comparison.stations()
    weight = layer["weight"].to_numpy(dtype=float)
    # the comparison's workers, matched to the CSV's rows by position (to 1 cm)
    workers_xy = shapely.get_coordinates(comparison.workers.geometry.to_numpy())
    gap, row = cKDTree(workers_xy).query(crs.from_wgs84(helsinki.crs, layer[["lon", "lat"]].to_numpy()))
    assert gap.max() < 0.01
    assert len(set(row)) == len(layer)
    for kind in ("rule", "observed"):
        lonlat = stations.loc[stations["plan"] == kind, ["lon", "lat"]].to_numpy()
        covered = recount(helsinki, lonlat, layer)
        assert comparison.figures[kind]["covered"] == pytest.approx(weight[covered].sum(), abs=1e-6)
        assert (comparison.workers[f"covered_{kind}"].to_numpy()[row] == covered).all()
    assert 0 < weight[recount(helsinki, stations.loc[stations["plan"] == "rule", ["lon", "lat"]].to_numpy(),
                              layer)].sum() < weight.sum()  # fmt: skip


def test_the_observed_plans_score_is_its_own_coverage_figure(comparison):
    own = comparison.observed_plan.summary()["by_group"]["couriers"]
    figures = comparison.figures
    assert own["workers"] == figures["layer"]["workers"]
    assert own["covered"] == figures["observed"]["covered"]
    assert own["share"] == figures["observed"]["share"]
    assert figures["observed"]["objective"] == pytest.approx(comparison.observed_plan.result.objective, abs=1e-4)
    assert figures["rule"]["own_workers"] == comparison.rule_plan.summary()["workers"]


def test_district_rows_add_up_to_the_area(helsinki, comparison):
    table = comparison.table()
    assert tuple(table.columns) == COMPARISON_COLUMNS
    assert table["scope"].tolist() == ["area"] + ["district"] * len(helsinki.districts)
    assert table["district"].tolist()[1:] == helsinki.districts["district"].tolist()
    area, districts = table.iloc[0], table.iloc[1:]
    for column in ("observed_workers", "rule_plan_covered", "observed_plan_covered", "rule_cost_workers"):
        assert districts[column].sum() == pytest.approx(area[column], abs=0.01 * len(districts))
    for column in ("rule_plan_stations", "observed_plan_stations"):
        assert districts[column].sum() == area[column] == 3
    assert area["rule_plan_objective"] == comparison.figures["rule"]["objective"]
    assert districts["rule_plan_objective"].isna().all()


# --- refusals ------------------------------------------------------------------------------------------------------


def test_a_layer_outside_the_area_is_refused(helsinki):
    frame = observed_couriers(helsinki)
    far = gpd.GeoDataFrame({"weight": frame["weight"]}, crs="EPSG:4326",
                           geometry=gpd.points_from_xy(frame["lon"] + 0.5, frame["lat"]))  # fmt: skip
    far.attrs["source"] = "riders.csv"
    with pytest.raises(InputError, match=r"riders\.csv.*coordinate system") as caught:
        compare_layers(helsinki, far, "couriers", PARAMS)
    assert caught.value.code == "layer_outside_area"


def test_an_unknown_group_is_refused(helsinki, observed_csv):
    layer = read_layer(observed_csv, "wgs84", "pilots")
    with pytest.raises(InputError, match=r"'pilots'.*rule of thumb has no layer.*couriers") as caught:
        compare_layers(helsinki, layer, "pilots", PARAMS)
    assert caught.value.code == "compare_unknown_group"


def test_a_group_given_no_workers_is_refused(helsinki, observed_csv):
    params = PlanParameters(stations=3, headcounts={"couriers": 0})
    with pytest.raises(InputError, match="0 workers") as caught:
        compare_layers(helsinki, read_layer(observed_csv, "wgs84", "couriers"), "couriers", params)
    assert caught.value.code == "compare_group_no_workers"


def test_an_empty_layer_is_refused(helsinki, observed_csv):
    empty = read_layer(observed_csv, "wgs84", "couriers").iloc[:0]
    with pytest.raises(InputError, match="no points") as caught:
        compare_layers(helsinki, empty, "couriers", PARAMS)
    assert caught.value.code == "compare_empty_layer"
