"""The live server the security suite probes answers, and a planner can log in to it."""

from __future__ import annotations

from _security_helpers import HOSTILE_NAME, HTTP_TIMEOUT


def test_live_server_serves_the_published_station_and_a_planner_logs_in(live):
    stations = live.session().get(f"{live.url}/api/v1/stations.geojson", timeout=HTTP_TIMEOUT)
    assert stations.status_code == 200
    assert HOSTILE_NAME in {f["properties"].get("name") for f in stations.json()["features"]}
    planner = live.login()
    assert planner.get(f"{live.url}/api/planner/scenarios", timeout=HTTP_TIMEOUT).status_code == 200
