"""One pipeline: a plan made by ``geoplan plan`` with the planner's own data is what the review map, re-optimisation,
exports and the public side show.

The plan uses a couriers layer of the planner's own, extra candidate sites, an existing station and opening hours
(with a 24-hour quota); it is saved as a scenario, then opened through the web app's API.
"""

from __future__ import annotations

import csv
import io
import json
import re

import numpy as np
import pytest

from geoplan.cli import main
from geoplan.inputs.demand import WORKER_GROUPS

API = "/api/planner"
LAYER_WORKERS = 180.0


@pytest.fixture(scope="module")
def files(tmp_path_factory, helsinki):
    """The planner's files: 36 courier positions (weights 1-9), three extra candidate sites, one existing station."""
    folder = tmp_path_factory.mktemp("planner-files")
    nodes = helsinki.nodes.to_crs("EPSG:4326")
    rng = np.random.default_rng(20261202)
    picked = nodes.iloc[rng.choice(len(nodes), size=40, replace=False)]
    lon, lat = picked.geometry.x.to_numpy(), picked.geometry.y.to_numpy()
    weights = np.resize(np.arange(1.0, 10.0), 36)
    weights *= LAYER_WORKERS / weights.sum()
    layer = folder / "couriers.csv"
    layer.write_text("lon,lat,weight\n" + "".join(f"{x},{y},{w}\n" for x, y, w in zip(lon, lat, weights, strict=False)),
                     encoding="utf-8")  # fmt: skip
    sites = folder / "sites.csv"
    sites.write_text("lon,lat,footprint_m2,name\n" + "".join(
        f"{x + 0.0001},{y},12,银行网点{n}\n" for n, (x, y) in enumerate(zip(lon[36:39], lat[36:39], strict=True))
    ), encoding="utf-8")  # fmt: skip
    existing = folder / "existing.csv"
    existing.write_text(f"lon,lat,name\n{lon[39]},{lat[39]},老站\n", encoding="utf-8")
    return {"layer": layer, "sites": sites, "existing": existing}


@pytest.fixture
def planned(app, files, tmp_path, capsys):
    """``geoplan plan`` with the planner's data and opening hours, saved as a scenario in the app's database."""
    out = tmp_path / "plan"
    short = [f"--cutoff={group}=400" for group in WORKER_GROUPS if group != "couriers"] + ["--cutoff=couriers=600"]
    status = main([
        "plan", "--stations", "6", "--layer", f"{files['layer']}:couriers", "--sites", str(files["sites"]),
        "--existing", str(files["existing"]), "--hours", "08:30-17:00,24h", "--max-24h", "2", *short,
        "--spacing", "100", "--time-limit", "10", "--out", str(out), "--scenario", "一期方案 parity",
        "--database", app.config["DATABASE_URL"], "--quiet",
    ])  # fmt: skip
    printed = capsys.readouterr()
    assert status == 0, printed.err
    printed = printed.out
    scenario_id = int(re.search(r"方案 #(\d+)", printed).group(1))
    return scenario_id, json.loads((out / "coverage.json").read_text(encoding="utf-8"))


def test_the_review_map_shows_what_the_plan_computed(planner, planned):
    scenario_id, coverage = planned
    response = planner.get(f"{API}/scenarios/{scenario_id}")
    assert response.status_code == 200, response.get_json()
    scenario = response.get_json()
    figures = scenario["figures"]
    assert figures["workers"] == coverage["workers"]
    assert figures["by_group"] == coverage["by_group"]
    assert figures["by_district"] == coverage["by_district"]
    assert 0.5 < figures["workers"]["share"] < 1  # short cutoffs: a real choice, not everyone covered
    # The couriers are the planner's own layer, not the OSM-derived rule.
    assert figures["by_group"]["couriers"]["workers"] == pytest.approx(LAYER_WORKERS, abs=0.05)
    assert scenario["user_data"]["layers"] == [{"source": "couriers.csv", "points": 36}]
    assert scenario["user_data"]["sites"]["points"] == 3
    # The existing station is a site of the scenario, on its candidate; every station carries its opening hours.
    existing = [s for s in scenario["sites"] if s["status"] == "existing"]
    assert [s["name"] for s in existing] == ["老站"]
    assert existing[0]["candidate_id"].startswith("F")
    assert {s["hours"] for s in scenario["sites"]} <= {"08:30-17:00", "24h"}
    assert sum(s["hours"] == "24h" for s in scenario["sites"]) <= 2
    params = scenario["params"]
    assert (params["hours_options"], params["max_24h"]) == (["08:30-17:00", "24h"], 2)


def test_reoptimising_keeps_the_planners_data(planner, planned):
    scenario_id, coverage = planned
    scenario = planner.get(f"{API}/scenarios/{scenario_id}").get_json()
    proposal = next(s for s in scenario["sites"] if s["status"] == "proposed")
    rejected = planner.change(f"{API}/scenarios/{scenario_id}/sites/{proposal['id']}",
                              {"action": "reject", "version": scenario["version"]}).get_json()  # fmt: skip
    response = planner.change(f"{API}/scenarios/{scenario_id}/reoptimise",
                              {"version": rejected["version"], "time_limit": 3})  # fmt: skip
    assert response.status_code == 200, response.get_json()
    after = response.get_json()
    assert after["figures"]["workers"]["total"] == coverage["workers"]["total"]  # same demand, layer included
    assert after["figures"]["by_group"]["couriers"]["workers"] == pytest.approx(LAYER_WORKERS, abs=0.05)
    assert [s["name"] for s in after["sites"] if s["status"] == "existing"] == ["老站"]
    active = [s for s in after["sites"] if s["status"] != "rejected"]
    assert len(active) == 6
    assert proposal["candidate_id"] not in {s["candidate_id"] for s in active}
    assert sum(s["hours"] == "24h" for s in active) <= 2
    assert after["figures"]["workers"]["covered"] == pytest.approx(after["result"]["objective"], abs=0.01)


def test_exports_and_the_public_side_show_the_same_stations(planner, anonymous, planned):
    scenario_id, _ = planned
    scenario = planner.get(f"{API}/scenarios/{scenario_id}").get_json()
    accepted = next(s for s in scenario["sites"] if s["status"] == "proposed")
    scenario = planner.change(f"{API}/scenarios/{scenario_id}/sites/{accepted['id']}",
                              {"action": "accept", "version": scenario["version"]}).get_json()  # fmt: skip
    response = planner.get(f"{API}/scenarios/{scenario_id}/export?format=csv&lang=zh")
    assert response.status_code == 200
    table = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    active = [s for s in scenario["sites"] if s["status"] != "rejected"]
    assert [int(row["id"]) for row in table] == [s["id"] for s in active]
    assert [row["hours"] for row in table] == [s["hours"] or "" for s in active]
    url = f"{API}/scenarios/{scenario_id}/publish"
    checklist = planner.change(url, {"version": scenario["version"], "published": True})
    assert checklist.status_code == 409, "the plan's stations have no address, hours or status yet"
    incomplete = [m["id"] for m in checklist.get_json()["missing"]]
    published = planner.change(url, {"version": scenario["version"], "published": True, "force": incomplete})
    assert published.status_code == 200, published.get_json()
    public = anonymous.get("/api/v1/stations").get_json()["stations"]
    kept = [s for s in scenario["sites"] if s["status"] in ("accepted", "existing")]
    assert sorted(s["id"] for s in public) == sorted(s["id"] for s in kept)
