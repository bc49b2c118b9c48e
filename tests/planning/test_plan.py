"""End-to-end plan runs on real areas, checked from the written files independently of the optimiser.

The coverage check rebuilds the street graph with networkx, snaps stations and demand points itself (nearest
street segment, position along it, lateral offset) and recomputes which workers lie within their group's cutoff.
"""

from __future__ import annotations

import itertools
import json
import math

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from geoplan.cli import main
from geoplan.errors import InfeasibleError, InputError
from geoplan.inputs.candidates import build_candidates, read_sites
from geoplan.inputs.demand import build_demand
from geoplan.planning.parameters import PlanParameters
from geoplan.planning.plan import make_plan

NANCHANG_STREET_DISTRICTS = {"东湖区", "西湖区", "青云谱区", "青山湖区", "新建区", "红谷滩区", "南昌县"}
PROPOSAL_FIELDS = {"id", "district", "level", "covered_workers", "footprint_m2", "source"}


# --- independent checks --------------------------------------------------------------------------------------------


class Streets:
    """The street network as a networkx graph plus one line per street segment, for snapping."""

    def __init__(self, area):
        edges = area.edges[area.edges["u"] != area.edges["v"]]
        graph = nx.Graph()
        for u, v, length in zip(edges["u"], edges["v"], edges["length"], strict=True):
            if not graph.has_edge(u, v) or graph[u][v]["length"] > length:
                graph.add_edge(u, v, length=float(length))
        main_part = max(nx.connected_components(graph), key=len)
        self.graph = graph.subgraph(main_part).copy()
        segments = edges[edges["u"].isin(main_part) & edges["v"].isin(main_part)]
        # a two-way street is stored once per direction: keep one row per (node pair, length)
        key = pd.DataFrame(
            {
                "a": np.minimum(segments["u"], segments["v"]),
                "b": np.maximum(segments["u"], segments["v"]),
                "length": segments["length"].round(1).to_numpy(),
            }
        )
        segments = segments[~key.duplicated().to_numpy()]
        self.lines = segments.geometry.to_numpy()
        self.length = segments["length"].to_numpy(dtype=float)
        # which end node each line starts at, from the node coordinates
        start = shapely.get_point(self.lines, 0)
        node_geometry = area.nodes.geometry
        u_first = shapely.distance(start, node_geometry.loc[segments["u"]].to_numpy()) <= shapely.distance(
            start, node_geometry.loc[segments["v"]].to_numpy()
        )
        self.first = np.where(u_first, segments["u"], segments["v"])
        self.last = np.where(u_first, segments["v"], segments["u"])
        self.tree = shapely.STRtree(self.lines)

    def snap(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(segment, network metres from the segment's first node, lateral offset) of each point."""
        point_index, line_index = self.tree.query_nearest(points, all_matches=False)
        segment = np.empty(len(points), dtype=np.int64)
        segment[point_index] = line_index
        lines = self.lines[segment]
        fraction = shapely.line_locate_point(lines, points, normalized=True)
        return segment, fraction * self.length[segment], shapely.distance(points, lines)

    def distances(self, stations: np.ndarray, demand: np.ndarray, limit: float) -> np.ndarray:
        """(stations x demand) network distances, lateral offsets included; inf beyond ``limit``."""
        s_seg, s_along, s_lateral = self.snap(stations)
        d_seg, d_along, d_lateral = self.snap(demand)
        out = np.full((len(stations), len(demand)), np.inf)
        for i in range(len(stations)):
            reach: dict[int, float] = {}
            ends = ((self.first[s_seg[i]], s_along[i]), (self.last[s_seg[i]], self.length[s_seg[i]] - s_along[i]))
            for node, offset in ends:
                found = nx.single_source_dijkstra_path_length(self.graph, node, cutoff=limit, weight="length")
                for other, metres in found.items():
                    reach[other] = min(reach.get(other, math.inf), metres + offset)
            via_first = np.array([reach.get(n, math.inf) for n in self.first[d_seg]]) + d_along
            via_last = np.array([reach.get(n, math.inf) for n in self.last[d_seg]]) + (self.length[d_seg] - d_along)
            network = np.minimum(via_first, via_last)
            same = d_seg == s_seg[i]
            network[same] = np.minimum(network[same], np.abs(d_along[same] - s_along[i]))
            out[i] = network + s_lateral[i] + d_lateral
        return out


def recomputed_coverage(area, proposals: gpd.GeoDataFrame) -> tuple[float, np.ndarray, float]:
    """(covered workers, workers within reach of each station, all workers) recomputed from scratch."""
    demand, _ = build_demand(area)
    cutoff = demand["group"].map(PlanParameters().cutoff_for).to_numpy(dtype=float)
    stations = proposals.to_crs(area.crs).geometry.to_numpy()
    distance = Streets(area).distances(stations, demand.geometry.to_numpy(), float(cutoff.max()))
    within = distance <= cutoff
    weight = demand["weight"].to_numpy()
    return float(weight[within.any(axis=0)].sum()), within.astype(float) @ weight, float(weight.sum())


def district_of(area, proposals: gpd.GeoDataFrame) -> list[str]:
    """District of each station by point-in-polygon (1 m of slack on the district borders)."""
    points = proposals.to_crs(area.crs).geometry
    names = []
    for point in points:
        inside = area.districts[area.districts.geometry.distance(point) <= 1.0]
        assert len(inside) >= 1, f"station {point} lies in no district"
        names.append(inside.iloc[0]["district"])
    return names


def districts_with_streets(area) -> set[str]:
    nodes = area.nodes.geometry
    return {row.district for row in area.districts.itertuples() if nodes.within(row.geometry).any()}


def pairwise_min_distance(area, proposals: gpd.GeoDataFrame) -> float:
    xy = shapely.get_coordinates(proposals.to_crs(area.crs).geometry.to_numpy())
    return min(math.dist(a, b) for a, b in itertools.combinations(xy, 2))


def read_outputs(folder) -> tuple[gpd.GeoDataFrame, dict]:
    proposals = gpd.read_file(folder / "proposals.geojson")
    coverage = json.loads((folder / "coverage.json").read_text(encoding="utf-8"))
    return proposals, coverage


def check_tables_add_up(coverage: dict) -> None:
    total, covered = coverage["workers"]["total"], coverage["workers"]["covered"]
    for table in ("by_group", "by_district"):
        rows = coverage[table].values()
        assert sum(row["workers"] for row in rows) == pytest.approx(total, abs=0.01 * len(rows))
        assert sum(row["covered"] for row in rows) == pytest.approx(covered, abs=0.01 * len(rows))
        for row in rows:
            assert 0 <= row["covered"] <= row["workers"] + 1e-9
            assert 0 <= row["share"] <= 1


def check_proposal_file(area, proposals: gpd.GeoDataFrame, coverage: dict) -> None:
    assert proposals.crs.to_epsg() == 4326
    assert set(proposals.geom_type) == {"Point"}
    assert set(proposals.columns) >= PROPOSAL_FIELDS
    assert proposals["id"].is_unique
    assert set(proposals["level"]) <= {"city", "district"}
    assert set(proposals["source"]) <= {"roadside", "host", "user", "fixed"}
    assert (pd.to_numeric(proposals["footprint_m2"]) >= 9.0).all()
    assert (proposals["covered_workers"] >= 0).all()
    assert len(proposals) == coverage["parameters"]["stations"]
    # every station lies in the study area
    assert proposals.to_crs(area.crs).within(area.boundary.buffer(100.0)).all()


# --- Helsinki, end to end through the CLI --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def helsinki_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("helsinki_plan")
    status = main(["plan", "--area", "helsinki", "--out", str(out), "--quiet"])
    return status, out


@pytest.mark.slow
def test_helsinki_cli_run_writes_every_file(helsinki_run):
    status, out = helsinki_run
    assert status == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "coverage.json",
        "footprints.geojson",
        "map.html",
        "proposals.geojson",
        "refused_sites.geojson",
    ]


@pytest.mark.slow
def test_helsinki_proposals_file(helsinki, helsinki_run):
    _, out = helsinki_run
    proposals, coverage = read_outputs(out)
    check_proposal_file(helsinki, proposals, coverage)
    assert coverage["area"]["name"] == "helsinki"
    # no --stations: 1 per km² of a 1.65 km² extent would be 2; the 5 district minimums raise it to 5
    assert len(proposals) == 5


@pytest.mark.slow
def test_helsinki_every_district_with_a_street_has_a_station(helsinki, helsinki_run):
    proposals, _ = read_outputs(helsinki_run[1])
    found = district_of(helsinki, proposals)
    assert districts_with_streets(helsinki) == set(helsinki.districts["district"])  # all 5 hold streets
    assert set(found) == set(helsinki.districts["district"])
    assert proposals["district"].tolist() == found


@pytest.mark.slow
def test_helsinki_city_level_and_spacing(helsinki, helsinki_run):
    proposals, _ = read_outputs(helsinki_run[1])
    assert (proposals["level"] == "city").sum() >= 3
    assert pairwise_min_distance(helsinki, proposals) >= 300.0


@pytest.mark.slow
def test_helsinki_footprints_miss_every_building(helsinki, helsinki_run):
    proposals, _ = read_outputs(helsinki_run[1])
    footprints = gpd.read_file(helsinki_run[1] / "footprints.geojson").to_crs(helsinki.crs)
    roadside = proposals.loc[proposals["source"] == "roadside", "id"]
    assert sorted(footprints["id"]) == sorted(roadside)
    # the file keeps 8 decimals of a degree (about 1 mm): areas survive to 0.01 m²
    np.testing.assert_allclose(footprints.area.to_numpy(), footprints["footprint_m2"].to_numpy(), atol=0.01)
    # shrink by 1 cm so the 1e-8 degree rounding of the file cannot create a touch
    shrunk = footprints.geometry.buffer(-0.01).to_numpy()
    hits, _ = helsinki.buildings.sindex.query(shrunk, predicate="intersects")
    assert footprints["id"].to_numpy()[hits].tolist() == []


@pytest.mark.slow
def test_helsinki_coverage_recomputed_with_networkx(helsinki, helsinki_run):
    proposals, coverage = read_outputs(helsinki_run[1])
    covered, per_station, total = recomputed_coverage(helsinki, proposals)
    assert coverage["workers"]["total"] == pytest.approx(total, abs=0.01)
    assert coverage["workers"]["covered"] == pytest.approx(covered, rel=0.005)
    np.testing.assert_allclose(proposals["covered_workers"].to_numpy(), per_station, rtol=0.005, atol=0.05)


@pytest.mark.slow
def test_helsinki_coverage_tables_add_up(helsinki_run):
    _, coverage = read_outputs(helsinki_run[1])
    check_tables_add_up(coverage)
    assert sum(row["stations"] for row in coverage["by_district"].values()) == coverage["parameters"]["stations"]


# --- Nanchang, end to end through the CLI --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nanchang_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("nanchang_plan")
    status = main(["plan", "--area", "nanchang", "--stations", "35", "--time-limit", "5", "--out", str(out), "--quiet"])
    return status, out


@pytest.mark.slow
def test_nanchang_run_plans_35_stations(nanchang, nanchang_run):
    status, out = nanchang_run
    assert status == 0
    proposals, coverage = read_outputs(out)
    check_proposal_file(nanchang, proposals, coverage)
    assert len(proposals) == 35
    assert coverage["parameters"]["stations"] == 35
    assert (proposals["level"] == "city").sum() >= 3
    assert pairwise_min_distance(nanchang, proposals) >= 300.0


@pytest.mark.slow
@pytest.mark.parametrize("run", ["helsinki_run", "nanchang_run"])
def test_numeric_properties_are_written_as_numbers(run, request):
    """GIS tools read the GeoJSON property types: floor area and covered workers must be numbers, not text."""
    proposals, _ = read_outputs(request.getfixturevalue(run)[1])
    for column in ("footprint_m2", "covered_workers"):
        assert pd.api.types.is_float_dtype(proposals[column]), f"{column} is {proposals[column].dtype}"


@pytest.mark.slow
def test_nanchang_every_district_with_a_street_has_a_station(nanchang, nanchang_run):
    proposals, coverage = read_outputs(nanchang_run[1])
    assert districts_with_streets(nanchang) == NANCHANG_STREET_DISTRICTS
    found = district_of(nanchang, proposals)
    assert set(found) == NANCHANG_STREET_DISTRICTS
    assert proposals["district"].tolist() == found
    assert coverage["by_district"]["安义县"]["stations"] == 0
    assert coverage["by_district"]["进贤县"]["stations"] == 0


@pytest.mark.slow
def test_nanchang_report_states_what_it_cannot_check(nanchang_run):
    _, coverage = read_outputs(nanchang_run[1])
    notes = coverage["area"]["unsupported_checks"]
    assert notes
    assert any("building" in note.lower() for note in notes)
    assert any("安义县" in note and "进贤县" in note for note in notes)


@pytest.mark.slow
def test_nanchang_optimality_figures(nanchang_run):
    _, coverage = read_outputs(nanchang_run[1])
    opt = coverage["optimality"]
    assert isinstance(opt["gap"], float)
    assert 0.0 <= opt["gap"] <= 1.0
    assert opt["bound"] >= opt["objective"]
    assert opt["objective"] == pytest.approx(coverage["workers"]["covered"], abs=0.01)
    if opt["bound"] > 0:
        assert opt["gap"] == pytest.approx((opt["bound"] - opt["objective"]) / opt["bound"], abs=1e-4)


@pytest.mark.slow
def test_nanchang_coverage_recomputed_with_networkx(nanchang, nanchang_run):
    proposals, coverage = read_outputs(nanchang_run[1])
    check_tables_add_up(coverage)
    covered, _, total = recomputed_coverage(nanchang, proposals)
    assert coverage["workers"]["total"] == pytest.approx(total, abs=0.01)
    assert coverage["workers"]["covered"] == pytest.approx(covered, rel=0.005)


@pytest.mark.slow
def test_nanchang_coverage_json_keeps_chinese(nanchang_run):
    raw = (nanchang_run[1] / "coverage.json").read_bytes()
    text = raw.decode("utf-8")
    assert "东湖区".encode() in raw
    assert "\\u" not in text


# --- infeasible and invalid requests -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def helsinki_sites(helsinki):
    return build_candidates(helsinki).sites


def test_too_few_stations_for_the_district_minimums(helsinki):
    """5 districts with streets need 5 stations: 2 cannot be enough, and the message must say why."""
    with pytest.raises(InfeasibleError, match=r"District minimums add up to 5 stations but the plan has only 2"):
        make_plan(helsinki, PlanParameters(stations=2))


def test_four_stations_below_five_district_minimums(helsinki):
    with pytest.raises(InfeasibleError, match=r"District minimums add up to 5 stations but the plan has only 4"):
        make_plan(helsinki, PlanParameters(stations=4))


def test_excluding_a_whole_district(helsinki, helsinki_sites):
    excluded = tuple(helsinki_sites.loc[helsinki_sites["district"] == "Hakaniemi", "id"])
    assert excluded
    with pytest.raises(InfeasibleError, match=r"District Hakaniemi needs at least 1 station\(s\) but has no feasible"):
        make_plan(helsinki, PlanParameters(stations=6, excluded_ids=excluded))


def test_unknown_excluded_id(helsinki):
    with pytest.raises(InputError, match=r"Excluded site id\(s\) not found among the candidates: R99999"):
        make_plan(helsinki, PlanParameters(stations=6, excluded_ids=("R99999",)))


def test_more_stations_than_candidates(helsinki, helsinki_sites):
    n = len(helsinki_sites)
    with pytest.raises(InfeasibleError, match=rf"asks for {n + 1} stations but only {n} candidate sites"):
        make_plan(helsinki, PlanParameters(stations=n + 1))


def test_existing_stations_are_part_of_the_plan(helsinki, tmp_path):
    polygon = helsinki.districts.set_index("district").geometry["Kluuvi"].buffer(-50.0)
    node = helsinki.nodes[helsinki.nodes.within(polygon)].sort_index().geometry.iloc[:1]
    lonlat = node.to_crs("EPSG:4326").iloc[0]
    path = tmp_path / "existing.csv"
    path.write_text(f"lon,lat,footprint_m2,name\n{lonlat.x},{lonlat.y},6,old station\n", encoding="utf-8")
    fixed = read_sites(path, default_footprint_m2=9.0)
    plan = make_plan(helsinki, PlanParameters(stations=6), fixed_sites=fixed)
    kept = plan.proposals[plan.proposals["source"] == "fixed"]
    assert len(kept) == 1
    assert kept["name"].tolist() == ["old station"]
    assert kept["footprint_m2"].tolist() == [6.0]
    assert kept["district"].tolist() == ["Kluuvi"]
    assert kept.geometry.iloc[0].distance(node.iloc[0]) < 0.01
    assert len(plan.proposals) == 6
    assert set(plan.proposals["district"]) == set(helsinki.districts["district"])
