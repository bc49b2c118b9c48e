"""Malformed input against the live server: 400 with the field and the reason, never 500; stale decisions are 409.

The probes that found the failures of issue 12 (a renamed-to-object scenario, a 200 kB nested body, CR-only and
random-byte bulk uploads, version 7.9, a 100,001-row import, a reject racing a re-optimise), sent over HTTP to a
running ``geoplan serve``.
"""

from __future__ import annotations

import numpy as np
from _security_helpers import HTTP_TIMEOUT

API = "/api/planner"


def _scenario(live, http) -> dict:
    answer = http.get(f"{live.url}{API}/scenarios/{live.scenario_id}", timeout=HTTP_TIMEOUT)
    assert answer.status_code == 200, answer.text[:300]
    return answer.json()


def _unchanged(scenario: dict) -> tuple:
    return scenario["version"], scenario["name"], [(s["id"], s["status"]) for s in scenario["sites"]]


def _refused(answer, *names: str, status: int = 400) -> str:
    assert answer.status_code == status, (answer.status_code, answer.text[:300])
    assert answer.headers["Content-Type"].startswith("application/json")
    message = answer.json()["error"]
    for name in names:
        assert name in message, (name, message[:300])
    return message


def test_malformed_json_bodies_are_400(live):
    http = live.login()
    before = _scenario(live, http)
    url = f"{live.url}{API}/scenarios/{live.scenario_id}/rename"
    version = before["version"]
    _refused(http.post(url, json={"name": {"a": 1}, "version": version}, timeout=HTTP_TIMEOUT), "name")
    _refused(http.post(url, json={"name": "x", "version": version + 0.9}, timeout=HTTP_TIMEOUT), "version")
    _refused(http.post(url, json={"name": "x", "version": True}, timeout=HTTP_TIMEOUT), "version")
    nested = "[" * 100_000 + "]" * 100_000
    _refused(http.post(url, data=nested, headers={"Content-Type": "application/json"}, timeout=HTTP_TIMEOUT),
             "最多 10 层")  # fmt: skip
    _refused(http.post(url, data='{"name": "x", "version": NaN}', headers={"Content-Type": "application/json"},
                       timeout=HTTP_TIMEOUT), "NaN")  # fmt: skip
    _refused(http.post(url, data={"name": "x", "version": str(version)}, timeout=HTTP_TIMEOUT), "application/json")
    english = _refused(http.post(f"{url}?lang=en", json={"name": ["x"], "version": version}, timeout=HTTP_TIMEOUT))
    assert english == "name: give a text, not a list."
    assert _unchanged(_scenario(live, http)) == _unchanged(before)


def test_bulk_uploads_of_odd_bytes(live):
    http = live.session()
    station = next(s for s in _scenario(live, live.login())["sites"] if s["status"] == "accepted")
    url = f"{live.url}/api/v1/nearest"
    text = f"name,lon,lat\r甲,{station['lon']},{station['lat']}\rbad,x,y\r"
    answer = http.post(url, files={"file": ("depots.csv", text.encode())}, timeout=HTTP_TIMEOUT)
    assert answer.status_code == 200, answer.text[:300]
    assert [row["line"] for row in answer.json()["rows"]] == [2]
    assert [error["line"] for error in answer.json()["errors"]] == [3]
    noise = np.random.default_rng(12).bytes(8192)
    _refused(http.post(url, files={"file": ("depots.csv", noise)}, timeout=HTTP_TIMEOUT), "depots.csv", "UTF-8")
    rows = "name,lon,lat\r" + f"d,{station['lon']},{station['lat']}\r" * 2001
    _refused(http.post(url, files={"file": ("depots.csv", rows.encode())}, timeout=HTTP_TIMEOUT), "2000", "2001")


def test_an_import_of_100001_rows_is_refused(live):
    http = live.login()
    before = _scenario(live, http)
    site = before["sites"][0]
    text = "lon,lat\n" + f"{site['lon']:.5f},{site['lat']:.5f}\n" * 100_001
    answer = http.post(f"{live.url}{API}/scenarios/{live.scenario_id}/stations",
                       data={"coords": "wgs84", "version": str(before["version"])},
                       files={"file": ("stations.csv", text.encode())}, timeout=HTTP_TIMEOUT)  # fmt: skip
    _refused(answer, "stations.csv", "10000", "100001")
    assert _unchanged(_scenario(live, http)) == _unchanged(before)


def test_a_reject_racing_a_reoptimise_is_409(live):
    http = live.login()
    before = _scenario(live, http)
    seen = next(s for s in before["sites"] if s["status"] == "proposed")
    answer = http.post(f"{live.url}{API}/scenarios/{live.scenario_id}/reoptimise",
                       json={"version": before["version"], "time_limit": 1}, timeout=HTTP_TIMEOUT)  # fmt: skip
    assert answer.status_code == 200, answer.text[:300]
    after = _scenario(live, http)
    # A re-optimisation keeps a proposal's row when it stays on its spot and removes the others: a site the planner
    # saw may be gone (the case that answered 404) or kept; either way the stale copy gets 409.
    gone = max(s["id"] for s in before["sites"] + after["sites"]) + 1000
    for site_id in (seen["id"], gone):
        answer = http.post(f"{live.url}{API}/scenarios/{live.scenario_id}/sites/{site_id}",
                           json={"action": "reject", "version": before["version"]}, timeout=HTTP_TIMEOUT)  # fmt: skip
        assert answer.status_code == 409, answer.text[:300]
        assert answer.json()["kind"] == "StaleError"
    assert _unchanged(_scenario(live, http)) == _unchanged(after)
