"""One validation layer (geoplan_web.validation): every body, field and upload is refused with 400 naming the field.

The probes of issue 12 first (each answered 500, or was taken wrongly, before the layer), then a sweep that sends
every JSON endpoint's every field the wrong kinds of value and checks that the answer is 400, names the field and
leaves everything stored as it was.
"""

from __future__ import annotations

import codecs
import io

import numpy as np
import pytest
import shapely
from _web_helpers import API
from geoplan_web import validation
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from geoplan import crs
from geoplan.cli import main
from geoplan.data import areas
from geoplan.planning.sites import EXTENT_MARGIN_M

V1 = "/api/v1"

#: A station in Beijing: 7,333 km from the default area (central Helsinki).
FAR_CSV = "lon,lat,name\n116.4,39.9,Beijing\n"


# --- helpers -------------------------------------------------------------------------------------------------------


def _snapshot(store) -> tuple:
    """Everything a refused request must leave alone: scenarios with their sites and data, and the audit log."""
    scenarios = [store.scenario(s["id"]) for s in store.scenarios()]
    return scenarios, [store.user_data(s["id"]) for s in scenarios], store.audit()


def _site_url(scenario: dict, site: dict | int) -> str:
    site_id = site if isinstance(site, int) else site["id"]
    return f"{API}/scenarios/{scenario['id']}/sites/{site_id}"


def _refused(response, *names: str, status: int = 400) -> str:
    """The answer is a JSON error of ``status`` whose message names each of ``names``; return the message."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    body = response.get_json()
    assert body["kind"] == "InputError" or status != 400, body
    for name in names:
        assert name in body["error"], (name, body["error"][:300])
    return body["error"]


def _file(data: bytes | str, name: str) -> FileStorage:
    return FileStorage(io.BytesIO(data.encode() if isinstance(data, str) else data), name)


def _multipart(form: dict) -> dict:
    """A multipart body, encoded here: the test client's own encoding leaves a temporary file open for large ones."""
    boundary, data = encode_multipart(form)
    return {"data": data, "content_type": f"multipart/form-data; boundary={boundary}"}


def _import(client, scenario: dict, data: bytes | str, name: str = "stations.csv", query: str = "", **fields):
    form = {"file": _file(data, name), "coords": "wgs84", "version": str(scenario["version"]), **fields}
    return client.change(f"{API}/scenarios/{scenario['id']}/stations{query}", **_multipart(form))


def _bulk(client, data: bytes | str, name: str = "depots.csv", **fields):
    return client.post(f"{V1}/nearest", **_multipart({"file": _file(data, name), **fields}))


@pytest.fixture
def published(store, plan_scenario) -> dict:
    """``plan_scenario`` with its first two stations accepted and the scenario published (as they are: forced)."""
    version = plan_scenario["version"]
    accepted = plan_scenario["sites"][:2]
    for site in accepted:
        version = store.update_site(plan_scenario["id"], site["id"], version, "plan", "accept",
                                    status="accepted")["version"]  # fmt: skip
    return store.publish(plan_scenario["id"], version, "plan", True, force=[site["id"] for site in accepted])


def _nested(depth: int, leaf: object = 1) -> object:
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


# --- the probes of issue 12 ----------------------------------------------------------------------------------------


def test_renaming_to_an_object_is_400_naming_the_field(planner, store, plan_scenario):
    before = _snapshot(store)
    url = f"{API}/scenarios/{plan_scenario['id']}/rename"
    message = _refused(planner.change(url, {"name": {"a": 1}, "version": 1}), "name")
    assert message == "name: 应为文本，收到的是 对象。"
    english = _refused(planner.change(f"{url}?lang=en", {"name": {"a": 1}, "version": 1}), "name")
    assert english == "name: give a text, not an object."
    assert _snapshot(store) == before


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,  # 200 kB of nesting: deeper than the JSON parser's own recursion limit
        '{"name": ' + "[" * 50_000 + "]" * 50_000 + ', "version": 1}',
    ],
)
def test_a_deeply_nested_body_is_400(planner, store, plan_scenario, text):
    before = _snapshot(store)
    response = planner.change(f"{API}/scenarios/{plan_scenario['id']}/rename", data=text,
                              content_type="application/json")  # fmt: skip
    _refused(response, f"最多 {validation.MAX_DEPTH} 层")
    assert _snapshot(store) == before


def test_nesting_within_the_parser_limit_names_the_field(planner, store, plan_scenario):
    before = _snapshot(store)
    body = {"version": 1, "details": _nested(validation.MAX_DEPTH)}
    url = f"{API}/scenarios/{plan_scenario['id']}/sites/{plan_scenario['sites'][0]['id']}/details"
    _refused(planner.change(url, body), "details", "嵌套过深")
    assert _snapshot(store) == before


@pytest.mark.parametrize(("version", "shown"), [(7.9, "7.9"), (1.0, "1.0"), (True, "true"), ("1", "'1'")])
def test_versions_are_whole_json_numbers(planner, store, plan_scenario, version, shown):
    """7.9 was taken as 7; a version is an integer, never a float, a boolean or a text."""
    before = _snapshot(store)
    url = f"{API}/scenarios/{plan_scenario['id']}/rename"
    _refused(planner.change(url, {"name": "x", "version": version}), "version", "应为整数", shown)
    assert _snapshot(store) == before


def test_a_decision_on_a_proposal_a_reoptimisation_replaced_is_stale(planner, store, plan_scenario, default_plan):
    """Reject racing a re-optimise: the decision was made on the old version, so it is 409, not 404.

    A re-optimisation keeps a proposal that stays on its candidate spot and removes the others: both cases are
    made here, the removal through the store call the re-optimise route makes (a solver run that happens to keep
    every spot would otherwise leave the removed case untested).
    """
    sid = plan_scenario["id"]
    seen = plan_scenario["sites"][-1]
    assert seen["status"] == "proposed"
    sites, result = default_plan
    others = [s for s in sites if s.get("candidate_id") != seen["candidate_id"]]
    assert len(others) == len(sites) - 1
    replaced = store.replace_proposals(sid, 1, "plan", others, result, "reoptimise")
    assert seen["id"] not in {s["id"] for s in replaced["sites"]}, "the proposal was replaced"
    assert seen["number"] in replaced["changes"]["removed"]
    kept = replaced["sites"][0]
    before = _snapshot(store)
    for site in (seen, kept):
        for body in ({"action": "reject", "version": 1},
                     {"action": "move", "lon": site["lon"], "lat": site["lat"], "version": 1}):  # fmt: skip
            response = planner.change(_site_url(plan_scenario, site), body)
            assert response.status_code == 409, response.get_json()
            assert response.get_json()["kind"] == "StaleError"
            assert "未保存" in response.get_json()["error"]
    assert _snapshot(store) == before
    # On the current version the replaced proposal is unknown.
    response = planner.change(_site_url(plan_scenario, seen), {"action": "reject", "version": replaced["version"]})
    assert response.status_code == 404
    assert _snapshot(store) == before
    # The route itself: a re-optimisation from the current version makes the copy the planner saw stale.
    reoptimised = planner.change(f"{API}/scenarios/{sid}/reoptimise", {"version": replaced["version"],
                                                                       "time_limit": 1})  # fmt: skip
    assert reoptimised.status_code == 200, reoptimised.get_json()
    response = planner.change(_site_url(plan_scenario, kept), {"action": "reject", "version": replaced["version"]})
    assert response.status_code == 409, response.get_json()


def test_a_bulk_lookup_with_cr_only_line_ends_is_answered(anonymous, published):
    first, second = published["sites"][:2]
    text = f"name,lon,lat\r甲,{first['lon']},{first['lat']}\rbad,x,y\r乙,{second['lon']},{second['lat']}\r"
    response = _bulk(anonymous, text.encode("utf-8"))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [(row["line"], row["name"]) for row in body["rows"]] == [(2, "甲"), (4, "乙")]
    assert [error["line"] for error in body["errors"]] == [3]


def test_the_bulk_row_cap_holds_whatever_the_line_ends(anonymous, published):
    """The cap counted "\\n" bytes: 2,001 rows with CR line ends went through."""
    site = published["sites"][0]
    rows = "".join(f"d{n},{site['lon']},{site['lat']}\r" for n in range(2001))
    _refused(_bulk(anonymous, "name,lon,lat\r" + rows), "depots.csv", "2000", "2001")


@pytest.mark.parametrize(
    "data",
    [
        np.random.default_rng(12).bytes(4096),  # random bytes
        bytes(range(256)) * 16,
        b"name,lon,lat\n\x00\x01\x02,24.94,60.17\n",  # binary in a CSV's clothes
        "name,lon,lat\na,24.94,60.17\n".encode("utf-16-le"),  # UTF-16 without its byte-order mark: NULs
    ],
)
def test_bytes_that_are_not_text_are_400(anonymous, published, data):
    message = _refused(_bulk(anonymous, data), "depots.csv", "UTF-8", "GBK", "UTF-16")
    assert "不是可识别编码的文本文件" in message


def test_a_csv_field_past_the_csv_module_limit_is_400(anonymous, published):
    """A 200 kB field (GBK-readable bytes, no comma, no line end) raised csv.Error: 500."""
    _refused(_bulk(anonymous, b"name,lon,lat\n" + b"a" * 200_000 + b",24.94,60.17\n"), "depots.csv", "第 2 行")


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-8", b""),
        ("utf-8", codecs.BOM_UTF8),
        ("gbk", b""),
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
    ],
)
def test_known_encodings_and_line_ends_are_read(anonymous, published, encoding, bom):
    site = published["sites"][0]
    for end in ("\n", "\r\n", "\r"):
        text = end.join(["name,lon,lat", f"仓库,{site['lon']},{site['lat']}", ""])
        response = _bulk(anonymous, bom + text.encode(encoding))
        assert response.status_code == 200, (encoding, end, response.get_json())
        assert [row["name"] for row in response.get_json()["rows"]] == ["仓库"]


def test_an_import_of_100001_rows_is_refused_and_nothing_is_stored(planner, store, plan_scenario):
    """100,000 identical rows became 100,000 existing stations in 24.7 s."""
    site = plan_scenario["sites"][0]
    before = _snapshot(store)
    text = "lon,lat\n" + f"{site['lon']:.5f},{site['lat']:.5f}\n" * 100_001  # 1.8 MB: within the byte cap
    cap = validation.STATIONS_FILE.max_rows
    _refused(_import(planner, plan_scenario, text), "stations.csv", f"最多上传 {cap} 行", "100001")
    english = _refused(_import(planner, plan_scenario, text, query="?lang=en"), "stations.csv")
    assert f"at most {cap} rows per upload (100001 given)" in english
    assert _snapshot(store) == before


def test_an_import_larger_than_its_byte_cap_is_refused(planner, store, plan_scenario):
    before = _snapshot(store)
    megabytes = validation.STATIONS_FILE.max_bytes / 1024 / 1024
    padding = "lon,lat,name\n24.94,60.17," + "x" * validation.STATIONS_FILE.max_bytes + "\n"
    _refused(_import(planner, plan_scenario, padding), "stations.csv", f"最多 {megabytes:g} MB")
    assert _snapshot(store) == before


@pytest.mark.parametrize(
    ("kind", "limits", "name"), [("layer", "LAYER_FILE", "l.csv"), ("sites", "SITES_FILE", "s.csv")]
)
def test_data_uploads_have_their_caps(planner, store, plan_scenario, monkeypatch, kind, limits, name):
    site = plan_scenario["sites"][0]
    monkeypatch.setattr(validation, limits, validation.UploadLimits((".csv",), 200, 3))
    before = _snapshot(store)
    row = f"{site['lon']},{site['lat']},10\n"
    form = {"file": _file("lon,lat,weight\n" + row * 4, name), "kind": kind, "group": "couriers", "version": "1"}
    url = f"{API}/scenarios/{plan_scenario['id']}/data"
    _refused(planner.change(url, **_multipart(form)), name, "最多上传 3 行", "4")
    form["file"] = _file("lon,lat,weight\n" + row * 3 + "#" * 200, name)
    _refused(planner.change(url, **_multipart(form)), name, f"最多 {200 / 1024 / 1024:g} MB")
    assert _snapshot(store) == before


def test_the_cli_refuses_a_far_existing_station_with_the_web_import_message(
    planner, store, plan_scenario, helsinki, tmp_path, monkeypatch, capsys
):
    """``geoplan plan --existing`` kept a station 7,333 km away (taking a slot); the web import refused it."""
    chinese = _refused(_import(planner, plan_scenario, FAR_CSV, name="far.csv"), "far.csv", "第 2 行", "7333")
    english = _refused(_import(planner, plan_scenario, FAR_CSV, name="far.csv", query="?lang=en"), "far.csv")
    assert english.startswith("far.csv line 2: (116.4, 39.9) lies 7333")
    (tmp_path / "far.csv").write_text(FAR_CSV, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(areas, "load_area", lambda spec: helsinki)  # the session's area, not loaded again
    status = main(["plan", "--existing", "far.csv", "--out", str(tmp_path / "out"), "--quiet", "--lang", "zh"])
    assert status == 2
    assert f"错误：{chinese}" in capsys.readouterr().err  # the CLI speaks one language, the user's
    status = main(["plan", "--existing", "far.csv", "--out", str(tmp_path / "out"), "--quiet", "--lang", "en"])
    assert status == 2
    assert english in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_station_just_inside_the_margin_is_imported(planner, plan_scenario, helsinki):
    """The one check keeps what lies within EXTENT_MARGIN_M of the network (here: half of it outside)."""
    x, y = max(helsinki.boundary.exterior.coords)  # the network's easternmost corner
    near = shapely.Point(x + EXTENT_MARGIN_M / 2, y)
    assert 0 < helsinki.boundary.distance(near) <= EXTENT_MARGIN_M / 2 + 1e-6
    lon, lat = crs.to_wgs84(helsinki.crs, [[near.x, near.y]])[0]
    response = _import(planner, plan_scenario, f"lon,lat\n{lon},{lat}\n")
    assert response.status_code == 200, response.get_json()


# --- strict JSON ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "content_type", "names"),
    [
        ('{"name": "a", "name": "b", "version": 1}', "application/json", ["name", "不止一次"]),
        ('{"name": "a", "version": NaN}', "application/json", ["NaN"]),
        ('{"name": "a", "version": 1e999}', "application/json", ["1e999"]),
        ('{"name": "a", "version": ' + "9" * 5000 + "}", "application/json", ["18"]),
        ('{"name": "a", "version": 1', "application/json", ["第 1 行"]),
        ('{"name": "\xff"}'.encode("latin-1"), "application/json", ["第 1 行"]),
        ("name=a&version=1", "application/x-www-form-urlencoded", ["application/json"]),
        ("", "application/json", ["第 1 行"]),
        ("[1, 2]", "application/json", ["JSON object", "数组"]),
        ('"x"', "application/json", ["JSON object", "文本"]),
        ("null", "application/json", ["JSON object", "null"]),
        ('{"name": "a", "version": 1, "nmae": "b"}', "application/json", ["nmae", "未知字段", "name, version"]),
        ('{"name": "' + "x" * (validation.MAX_BODY_BYTES + 1) + '"}', "application/json", ["256 KB"]),
    ],
)
def test_bodies_are_strict_json_objects(planner, store, plan_scenario, data, content_type, names):
    before = _snapshot(store)
    url = f"{API}/scenarios/{plan_scenario['id']}/rename"
    _refused(planner.change(url, data=data, content_type=content_type), *names)
    assert _snapshot(store) == before


# --- the sweep: every JSON endpoint, every field, every wrong kind of value ----------------------------------------

#: Wrong values by kind: what a field of each type must refuse.
WRONG = {
    "object": {"a": 1},
    "list": [1, 2],
    "string": "seven",
    "float": 7.5,
    "bool": True,
    "null": None,
    "huge": "x" * 100_000,
    "deep": _nested(validation.MAX_DEPTH + 5),
}

#: Kinds of value each type of field takes (those are not sent: they may be right).
TAKES = {"text": {"string"}, "integer": set(), "number": {"float"}, "choice": set(), "boolean": {"bool"},
         "object": {"object"}}  # fmt: skip


def _endpoints(scenario: dict) -> dict[str, tuple[str, dict, dict[str, str]]]:
    """Each JSON endpoint: its URL, a valid body, and the type of each field."""
    sid, site = scenario["id"], scenario["sites"][0]
    return {
        "create": (f"{API}/scenarios", {"name": "n", "mode": "empty", "stations": 5, "area": "helsinki",
                                        "params": {}},
                   {"name": "text", "area": "text", "mode": "choice", "stations": "integer", "params": "object"}),
        "rename": (f"{API}/scenarios/{sid}/rename", {"name": "n", "version": 1},
                   {"name": "text", "version": "integer"}),
        "duplicate": (f"{API}/scenarios/{sid}/duplicate", {"name": "n"}, {"name": "text"}),
        "decide": (_site_url(scenario, site), {"action": "accept", "version": 1},
                   {"action": "choice", "version": "integer"}),
        "city_level": (_site_url(scenario, site), {"action": "city_level", "city_level": True, "version": 1},
                       {"city_level": "boolean"}),
        "move": (_site_url(scenario, site), {"action": "move", "lon": site["lon"], "lat": site["lat"],
                                             "coords": "wgs84", "version": 1},
                 {"lon": "number", "lat": "number", "coords": "choice"}),
        "details": (f"{_site_url(scenario, site)}/details",
                    {"version": 1, "details": {"name": "n", "address": "a", "hours": "24h", "station_status": "open"}},
                    {"version": "integer", "details": "object"}),
        "publish": (f"{API}/scenarios/{sid}/publish", {"version": 1, "published": True},
                    {"version": "integer", "published": "boolean"}),
        "reoptimise": (f"{API}/scenarios/{sid}/reoptimise", {"version": 1, "time_limit": 1},
                       {"version": "integer", "time_limit": "number"}),
    }  # fmt: skip


SWEEP = [
    ("create", "name"), ("create", "area"), ("create", "mode"), ("create", "stations"), ("create", "params"),
    ("rename", "name"), ("rename", "version"), ("duplicate", "name"), ("decide", "action"), ("decide", "version"),
    ("city_level", "city_level"), ("move", "lon"), ("move", "lat"), ("move", "coords"), ("details", "version"),
    ("details", "details"), ("publish", "version"), ("publish", "published"), ("reoptimise", "version"),
    ("reoptimise", "time_limit"),
]  # fmt: skip


@pytest.mark.parametrize(("endpoint", "field"), SWEEP)
def test_every_field_refuses_wrong_kinds_of_value(planner, store, plan_scenario, endpoint, field):
    url, valid, types = _endpoints(plan_scenario)[endpoint]
    before = _snapshot(store)
    for kind, value in WRONG.items():
        if kind in TAKES[types[field]]:
            continue
        response = planner.change(url, {**valid, field: value})
        assert response.status_code == 400, (kind, response.get_json())
        assert response.get_json()["error"].startswith(f"{field}: "), (kind, response.get_json())
    assert _snapshot(store) == before


@pytest.mark.parametrize(
    ("endpoint", "field", "value", "shown"),
    [
        ("create", "stations", 501, "1 到 500"),
        ("create", "stations", 0, "1 到 500"),
        ("rename", "version", 0, "1 到 2147483647"),
        ("rename", "version", 2**31, "1 到 2147483647"),
        ("move", "lon", 180.5, "-180 到 180"),
        ("move", "lat", -91, "-90 到 90"),
        ("reoptimise", "time_limit", 31, "0.5 到 30"),
        ("reoptimise", "time_limit", 0.1, "0.5 到 30"),
        ("decide", "action", "Accept", "accept, reject"),
        ("move", "coords", "utm", "wgs84, gcj02, bd09"),
        ("rename", "name", "名" * 201, "最多 200 个字符"),
        ("create", "area", "a" * 201, "最多 200 个字符"),
    ],
)
def test_values_out_of_range_are_refused(planner, store, plan_scenario, endpoint, field, value, shown):
    url, valid, _ = _endpoints(plan_scenario)[endpoint]
    before = _snapshot(store)
    message = _refused(planner.change(url, {**valid, field: value}), shown)
    assert message.startswith(f"{field}: ")
    assert _snapshot(store) == before


def test_the_sweep_bodies_are_valid(planner, store, plan_scenario):
    """The sweep's valid bodies are accepted, so each refusal above is the field's own (reoptimise last)."""
    for endpoint in ("rename", "duplicate", "create"):
        url, valid, _ = _endpoints(store.scenario(plan_scenario["id"]))[endpoint]
        valid = {**valid, "version": store.scenario(plan_scenario["id"])["version"]} if "version" in valid else valid
        response = planner.change(url, valid)
        assert response.status_code in (200, 201), (endpoint, response.get_json())
    for endpoint in ("decide", "city_level", "move", "details", "publish", "reoptimise"):
        scenario = store.scenario(plan_scenario["id"])
        url, valid, _ = _endpoints(scenario)[endpoint]
        response = planner.change(url, {**valid, "version": scenario["version"]})
        assert response.status_code == 200, (endpoint, response.get_json())


# --- form fields and query parameters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "names"),
    [
        ({"version": "7.9"}, ["version", "应为整数"]),
        ({"version": "true"}, ["version", "应为整数"]),
        ({"version": "１"}, ["version", "应为整数"]),  # a full-width digit is no ASCII digit
        ({"version": ""}, ["version", "必填"]),
        ({"coords": "mars"}, ["coords", "'mars'"]),
        ({"kind": "roads"}, ["kind", "layer, sites"]),
        ({"group": "g" * 81}, ["group", "最多 80 个字符"]),
    ],
)
def test_form_fields_are_checked(planner, store, plan_scenario, fields, names):
    before = _snapshot(store)
    form = {"file": _file("lon,lat,weight\n24.94,60.17,1\n", "l.csv"), "kind": "layer", "group": "couriers",
            "version": "1", **fields}  # fmt: skip
    response = planner.change(f"{API}/scenarios/{plan_scenario['id']}/data", **_multipart(form))
    _refused(response, *names)
    assert _snapshot(store) == before


def test_uploaded_file_names_are_shown_short_and_without_folders(planner, store, plan_scenario):
    name = "/home/wang/Documents/" + "站" * 300 + ".txt"
    message = _refused(_import(planner, plan_scenario, "lon,lat\n24.94,60.17\n", name=name), ".txt")
    assert "Documents" not in message
    assert "站" * 90 in message
    assert "站" * 120 not in message


@pytest.mark.parametrize(
    ("fields", "name"),
    [({"limit": "2.5"}, "limit"), ({"limit": "0"}, "limit"), ({"format": "xml"}, "format"), ({"mode": 7}, "mode")],
)
def test_bulk_form_fields_are_checked(anonymous, published, fields, name):
    _refused(_bulk(anonymous, "name,lon,lat\na,24.94,60.17\n", **{k: str(v) for k, v in fields.items()}), name)


@pytest.mark.parametrize(
    ("path", "names"),
    [
        ("/compare?a=1&b=1.5", ["b", "应为整数"]),
        ("/compare?a=-1&b=1", ["a", "1 到"]),
        ("/audit?limit=0", ["limit", "1 到 5000"]),
        ("/audit?scenario=x", ["scenario", "应为整数"]),
    ],
)
def test_query_parameters_are_checked(viewer, path, names):
    _refused(viewer.get(f"{API}{path}"), *names)


def test_public_queries_speak_the_asked_language(anonymous, published):
    english = _refused(anonymous.get(f"{V1}/stations/nearby?lon=24.94&lat=north&lang=en"), "lat")
    assert english == "lat: give a number, not the text 'north'."
    chinese = _refused(anonymous.get(f"{V1}/stations?bbox=1,2,3&lang=zh"), "bbox")
    assert chinese.startswith("bbox: 请写成 minlon,minlat,maxlon,maxlat")
