"""Every CSV the app sends neutralises spreadsheet formulas: the public feed, the bulk answer, the planner export."""

from __future__ import annotations

import csv
import io

import pytest
from _web_helpers import API

from geoplan.csvfile import FORMULA_PREFIXES

ATTACKS = ['=HYPERLINK("http://evil.example","点我")', "=cmd|' /C calc'!A0", "@SUM(1+1)", "+1 =1+1", "-1+cmd|x"]


@pytest.fixture
def hostile(store, plan_scenario) -> dict:
    """The default plan, its first sites accepted with formula names and addresses, published."""
    scenario_id, version = plan_scenario["id"], plan_scenario["version"]
    for site, attack in zip(plan_scenario["sites"], ATTACKS, strict=False):
        version = store.update_site(scenario_id, site["id"], version, "plan", "accept", status="accepted")["version"]
        details = {"name": attack, "address": attack, "hours": "24h", "services": ["drinking_water"],
                   "station_status": "open"}
        version = store.update_details(scenario_id, site["id"], version, "plan", details)["version"]
    store.publish(scenario_id, version, "plan", True)
    return store.scenario(scenario_id)


def _rows(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def _assert_safe(rows: list[dict], columns: tuple[str, ...]) -> None:
    shown = {row[c] for row in rows for c in columns}
    assert {"'" + a for a in ATTACKS} <= shown, shown
    assert not [v for v in shown if v.startswith(FORMULA_PREFIXES)]


def test_public_feed_csv(app, hostile):
    rows = _rows(app.test_client().get("/api/v1/stations.csv"))
    _assert_safe(rows, ("name", "address"))
    assert any(float(r["lon_wgs84"]) for r in rows), "coordinates stay numbers"


def test_bulk_answer_csv_with_hostile_uploaded_names(app, hostile):
    site = hostile["sites"][0]
    text = "name,lon,lat\n" + "".join(f'"{a.replace(chr(34), 2 * chr(34))}",{site["lon"]},{site["lat"]}\n'
                                      for a in ATTACKS)  # fmt: skip
    data = {"file": (io.BytesIO(text.encode()), "firm.csv"), "format": "csv", "limit": "1"}
    response = app.test_client().post("/api/v1/nearest", data=data, content_type="multipart/form-data")
    rows = _rows(response)
    _assert_safe(rows, ("name",))
    assert {r["station_name"] for r in rows} <= {"'" + a for a in ATTACKS}


def test_planner_csv_export(planner, hostile):
    rows = _rows(planner.get(f"{API}/scenarios/{hostile['id']}/export?format=csv"))
    _assert_safe(rows, ("name", "address"))
