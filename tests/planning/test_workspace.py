"""The review map's workspace on the default area (central Helsinki): propose, evaluate, place, re-optimise."""

from __future__ import annotations

import json
import math
import time

import geopandas as gpd
import numpy as np
import pytest
import shapely
from scipy.spatial import cKDTree

from geoplan import crs
from geoplan.errors import InfeasibleError, InputError, PlacementError
from geoplan.inputs.demand import WORKER_GROUPS
from geoplan.outputs import layers
from geoplan.planning.parameters import PlanParameters
from geoplan.planning.plan import make_plan
from geoplan.planning.prepare import prepare
from geoplan.planning.workspace import Workspace
from geoplan.vocabulary import PLACEABLE_SOURCES

SITE_KEYS = {"status", "candidate_id", "lon", "lat", "city_level", "name", "district", "covered_workers"}

#: Short cutoffs so that five stations leave workers uncovered (with the defaults they cover all of them).
TIGHT = PlanParameters(cutoff_m=dict.fromkeys(WORKER_GROUPS, 300.0), time_limit_s=2.0)


def from_wgs84(area, lonlat):
    return crs.from_wgs84(area.crs, lonlat)


def to_wgs84(area, xy):
    return crs.to_wgs84(area.crs, xy)


@pytest.fixture(scope="module")
def ws(helsinki):
    return Workspace(prepare(helsinki, TIGHT), TIGHT)


@pytest.fixture(scope="module")
def default_ws(default_workspace):
    return default_workspace


@pytest.fixture(scope="module")
def proposal(ws):
    sites, result, _ = ws.propose()
    return sites, result


def lonlat_of(area, xy) -> tuple[float, float]:
    lon, lat = to_wgs84(area, [xy])[0]
    return float(lon), float(lat)


def accepted(site: dict) -> dict:
    return dict(site, status="accepted")


def existing_at(lon: float, lat: float) -> dict:
    return {"status": "existing", "candidate_id": None, "lon": lon, "lat": lat, "city_level": False, "name": "old"}


def counted(sites: list[dict]) -> list[dict]:
    return [site for site in sites if site["status"] != "rejected"]


# --- propose / evaluate ------------------------------------------------------------------------------------------


def test_propose_gives_the_station_count_inside_the_area(ws, proposal, helsinki):
    sites, result = proposal
    assert len(sites) == ws.stations == 5
    assert all(site["status"] == "proposed" for site in sites)
    assert all(set(site) == SITE_KEYS for site in sites)
    assert len({site["candidate_id"] for site in sites}) == len(sites)
    xy = from_wgs84(helsinki, [[site["lon"], site["lat"]] for site in sites])
    districts = helsinki.districts.union_all().buffer(1.0)
    assert shapely.contains_xy(districts, xy[:, 0], xy[:, 1]).all()
    assert {site["district"] for site in sites} == set(helsinki.planned_districts)  # one per district at least
    assert sum(site["city_level"] for site in sites) == TIGHT.city_level_min
    assert set(result) == {"objective", "bound", "gap", "status", "method", "seconds"}
    assert 0 < result["objective"] <= result["bound"] + 1e-6
    assert len(ws.propose(stations=7)[0]) == 7


def test_evaluate_of_the_proposal_matches_make_plan(default_ws, helsinki):
    sites, result, _ = default_ws.propose()
    plan = make_plan(helsinki)
    summary = plan.summary()
    figures = default_ws.evaluate(sites)
    assert {site["candidate_id"] for site in sites} == set(plan.proposals["id"])
    assert figures["workers"] == summary["workers"]
    assert figures["by_group"] == summary["by_group"]
    assert figures["by_district"] == summary["by_district"]
    assert figures["stations"] == plan.stations
    assert figures["workers"]["covered"] == pytest.approx(result["objective"], abs=0.01)


def test_evaluate_with_partial_coverage_matches_the_objective(ws, proposal):
    sites, result = proposal
    figures = ws.evaluate(sites)
    assert figures["workers"]["covered"] == pytest.approx(result["objective"], abs=0.01)
    assert 0 < figures["workers"]["share"] < 1
    assert sum(d["stations"] for d in figures["by_district"].values()) == figures["stations"] == len(sites)
    by_group = sum(group["covered"] for group in figures["by_group"].values())
    assert by_group == pytest.approx(figures["workers"]["covered"], abs=0.1)
    # Rejected sites are no stations; one station alone covers what propose said it covers.
    rejected = [dict(site, status="rejected") for site in sites]
    assert ws.evaluate(rejected)["workers"]["covered"] == 0.0
    assert ws.evaluate(rejected)["stations"] == 0
    assert ws.evaluate(sites[:1])["workers"]["covered"] == pytest.approx(sites[0]["covered_workers"], abs=0.01)
    assert ws.evaluate(sites[:2])["workers"]["covered"] < figures["workers"]["covered"]


def test_an_existing_station_covers_nearby_workers(ws, proposal, helsinki):
    sites, _ = proposal
    # An existing station exactly at a candidate covers what the candidate covers.
    alone = ws.evaluate([existing_at(sites[0]["lon"], sites[0]["lat"])])
    assert alone["workers"]["covered"] == pytest.approx(sites[0]["covered_workers"], abs=0.01)
    assert alone["stations"] == 1
    assert alone["by_district"][sites[0]["district"]]["stations"] == 1
    # One on the street junction nearest to a worker nobody covers raises coverage.
    uncovered = [f for f in layers.demand_geojson(ws, sites)["features"] if not f["properties"]["covered"]]
    worker = from_wgs84(helsinki, [uncovered[0]["geometry"]["coordinates"]])[0]
    junction = ws.prepared.graph.node_xy[np.argmin(np.linalg.norm(ws.prepared.graph.node_xy - worker, axis=1))]
    station = existing_at(*lonlat_of(helsinki, junction))
    before = ws.evaluate(sites)["workers"]["covered"]
    after = ws.evaluate([*sites, station])
    assert after["workers"]["covered"] > before
    assert after["stations"] == len(sites) + 1
    assert ws.evaluate([*sites, station]) == after  # the same answer again


# --- re-optimise ---------------------------------------------------------------------------------------------------


def test_rejected_sites_are_never_proposed_again_and_accepted_ones_stay(ws, proposal):
    sites, _ = proposal
    current = [accepted(sites[0]), accepted(dict(sites[1], city_level=False)), dict(sites[2], status="rejected")]
    current += sites[3:]
    rejected = {sites[2]["candidate_id"]}
    for _ in range(2):
        out, result, _ = ws.reoptimise(current, time_limit=1.0)
        kept = [site for site in current if site["status"] != "proposed"]
        assert out[: len(kept)] == kept
        proposals = out[len(kept) :]
        assert all(site["status"] == "proposed" for site in proposals)
        assert not {site["candidate_id"] for site in proposals} & rejected
        assert len(counted(out)) == ws.stations
        assert len({site["candidate_id"] for site in counted(out)}) == ws.stations
        assert sum(site["city_level"] for site in counted(out)) >= TIGHT.city_level_min
        assert ws.evaluate(out)["workers"]["covered"] == pytest.approx(result["objective"], abs=0.01)
        # Next round: the planner rejects one of the new proposals too.
        rejected.add(proposals[0]["candidate_id"])
        current = [*kept, dict(proposals[0], status="rejected"), *proposals[1:]]


def test_accepting_everything_returns_the_plan_unchanged(ws, proposal):
    sites, _ = proposal
    everything = [accepted(site) for site in sites]
    out, result, _ = ws.reoptimise(everything, time_limit=1.0)
    assert out == everything
    assert result["objective"] == pytest.approx(ws.evaluate(sites)["workers"]["covered"], abs=0.01)


def test_more_kept_stations_than_the_target_is_infeasible(ws, proposal):
    sites, _ = proposal
    with pytest.raises(InfeasibleError, match="kept"):
        ws.reoptimise([accepted(site) for site in sites], stations=len(sites) - 1)
    with pytest.raises(InfeasibleError, match="existing"):
        ws.reoptimise([existing_at(s["lon"], s["lat"]) for s in sites], stations=len(sites) - 1)


def test_existing_stations_count_as_fixed_coverage_when_reoptimising(ws, proposal, helsinki):
    sites, _ = proposal
    station = existing_at(sites[0]["lon"], sites[0]["lat"])
    out, result, _ = ws.reoptimise([station, *sites[1:]], time_limit=1.0)
    assert out[0] == station
    proposals = out[1:]
    assert len(proposals) == ws.stations - 1
    assert sites[0]["candidate_id"] not in {site["candidate_id"] for site in proposals}  # the spot is taken
    xy = from_wgs84(helsinki, [[s["lon"], s["lat"]] for s in proposals])
    here = from_wgs84(helsinki, [[station["lon"], station["lat"]]])[0]
    assert np.linalg.norm(xy - here, axis=1).min() >= TIGHT.min_spacing_m - 1e-6
    assert result["objective"] == pytest.approx(ws.evaluate(out)["workers"]["covered"], abs=0.01)
    assert result["objective"] >= ws.evaluate([station])["workers"]["covered"]


def test_reoptimise_keeps_to_its_time_limit(ws, proposal):
    sites, _ = proposal
    started = time.perf_counter()
    ws.reoptimise([accepted(sites[0]), *sites[1:]], stations=8, time_limit=1.0)
    assert time.perf_counter() - started < 1.5


# --- place ---------------------------------------------------------------------------------------------------------


def test_place_next_to_a_candidate_returns_it(ws, helsinki):
    sites = ws.candidates.sites
    rows = np.flatnonzero(sites["source"].isin(PLACEABLE_SOURCES).to_numpy() & sites["footprint"].notna().to_numpy())
    xy = shapely.get_coordinates(sites.geometry.to_numpy())
    gaps, _ = cKDTree(xy).query(xy[rows], k=2)
    row = rows[np.argmax(gaps[:, 1])]  # the most isolated roadside site: nothing else within a few metres
    lon, lat = lonlat_of(helsinki, xy[row] + np.array([3.0, 0.0]))
    placed = ws.place(lon, lat)
    assert placed["candidate_id"] == sites["id"].iloc[row]
    assert placed["distance_m"] == pytest.approx(3.0, abs=0.1)
    assert placed["district"] == sites["district"].iloc[row]
    ring = np.array(placed["footprint"]["coordinates"][0])
    assert placed["footprint"]["type"] == "Polygon"
    assert np.allclose(ring.mean(axis=0), [placed["lon"], placed["lat"]], atol=1e-4)


def test_place_far_from_streets_says_so(ws, helsinki):
    corners = np.array(helsinki.boundary.exterior.coords)
    east = corners[np.argmax(corners[:, 0])]
    with pytest.raises(PlacementError, match="no street within 150 m") as caught:
        ws.place(*lonlat_of(helsinki, east + np.array([400.0, 0.0])))
    assert isinstance(caught.value, InputError)


def test_place_near_a_refused_spot_reports_its_reason(ws, helsinki):
    refused = ws.candidates.refused
    roadside = refused[refused["source"].eq("roadside").to_numpy()]
    spots = shapely.get_coordinates(roadside.geometry.to_numpy())
    candidates = shapely.get_coordinates(ws.candidates.sites.geometry.to_numpy())
    to_candidate, _ = cKDTree(candidates).query(spots)
    k = int(np.argmax(to_candidate))
    assert to_candidate[k] > 10.0
    reason = roadside["reason"].iloc[k]
    with pytest.raises(PlacementError) as caught:
        ws.place(*lonlat_of(helsinki, spots[k]), max_move_m=to_candidate[k] / 2)
    message = str(caught.value)
    assert "no room for a 9 m² footprint here" in message
    for part in reason.split(" / "):
        assert part.removeprefix("overlaps ") in message  # "a building", "the carriageway", ...


@pytest.mark.parametrize(
    ("lon", "lat"),
    [(math.nan, 60.17), (24.95, math.inf), ("24.95", 60.17), (None, 60.17), (True, 60.17), (60.17, 24.95), (0, 0)],
)
def test_bad_lon_lat_is_refused(ws, lon, lat):
    with pytest.raises(InputError):
        ws.place(lon, lat)
    with pytest.raises(InputError):
        ws.evaluate([existing_at(lon, lat)])


def test_malformed_sites_and_arguments_are_refused(ws, proposal):
    sites, _ = proposal
    for bad in (
        [dict(sites[0], status="maybe")],
        [dict(sites[0], candidate_id="R99999")],
        [dict(sites[0], candidate_id=None)],
        [sites[0], dict(sites[0], status="rejected")],
        ["not a dict"],
        {"status": "proposed"},
    ):
        with pytest.raises(InputError):
            ws.evaluate(bad)
    with pytest.raises(InputError):
        ws.place(sites[0]["lon"], sites[0]["lat"], max_move_m=0)
    with pytest.raises(InputError):
        ws.reoptimise(sites, stations=0)
    with pytest.raises(InputError):
        ws.reoptimise(sites, time_limit=-1)


# --- GeoJSON -------------------------------------------------------------------------------------------------------


def assert_helsinki_lonlat(coordinates) -> None:
    lonlat = np.asarray(coordinates, dtype=float).reshape(-1, 2)
    assert ((lonlat[:, 0] > 24.8) & (lonlat[:, 0] < 25.1)).all()  # lon first
    assert ((lonlat[:, 1] > 60.1) & (lonlat[:, 1] < 60.3)).all()


def test_geojson_outputs_are_serialisable_wgs84(ws, proposal):
    sites, _ = proposal
    candidates = json.loads(json.dumps(layers.candidates_geojson(ws.prepared)))
    assert len(candidates["features"]) == len(ws.candidates.sites)
    assert set(candidates["features"][0]["properties"]) == {"id", "district", "source", "kind", "name"}
    assert_helsinki_lonlat([f["geometry"]["coordinates"] for f in candidates["features"]])
    districts = json.loads(json.dumps(layers.districts_geojson(ws.prepared)))
    assert {f["properties"]["district"] for f in districts["features"]} == set(ws.area.districts["district"])
    assert all(isinstance(f["properties"]["has_network"], bool) for f in districts["features"])
    boundary = gpd.GeoSeries([ws.area.boundary], crs=ws.area.crs).to_crs(4326).iloc[0]
    for feature in districts["features"]:
        polygon = shapely.geometry.shape(feature["geometry"])
        assert_helsinki_lonlat(shapely.get_coordinates(polygon))
        # the label stands in the district, in the part the study area covers when there is one
        label = shapely.Point(feature["properties"]["label"])
        assert polygon.buffer(1e-6).contains(label)
        if polygon.intersects(boundary):
            assert boundary.buffer(1e-6).contains(label)
    demand = json.loads(json.dumps(layers.demand_geojson(ws, sites)))
    features = demand["features"]
    assert len(features) <= len(ws.prepared.demand)
    assert_helsinki_lonlat([f["geometry"]["coordinates"] for f in features])
    figures = ws.evaluate(sites)
    weight = np.array([f["properties"]["weight"] for f in features])
    covered = np.array([f["properties"]["covered"] for f in features])
    assert weight.sum() == pytest.approx(figures["workers"]["total"], abs=0.5)
    assert weight[covered].sum() == pytest.approx(figures["workers"]["covered"], abs=0.5)
    assert not layers.demand_geojson(ws, [])["features"][0]["properties"]["covered"]


def test_requests_are_interactive(ws, proposal):
    sites, _ = proposal
    for call in (
        lambda: ws.evaluate(sites),
        lambda: layers.demand_geojson(ws, sites),
        lambda: layers.candidates_geojson(ws.prepared),
        lambda: ws.place(sites[0]["lon"], sites[0]["lat"]),
    ):
        started = time.perf_counter()
        call()
        assert time.perf_counter() - started < 1.0
