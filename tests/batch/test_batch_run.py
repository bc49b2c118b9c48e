"""``geoplan batch`` on an embedded Dask LocalCluster: the registered Chinese areas split into their districts.

Shanghai's three districts and Nanchang's nine county-level units are planned in one batch (two worker processes).
Two of Nanchang's units have no road in its arterial network: they are reported as skipped, with the reason. The
stations table asks 虹口区 for more stations than it has candidate sites: that area fails with a
clear error and the others go on. The summary is read back against each area's own files and each stored
scenario; a second run resumes.
"""

from __future__ import annotations

import csv
import dataclasses
import json

import geopandas as gpd
import pytest

from geoplan import settings
from geoplan.cli import main
from geoplan.data.areas import load_registry
from geoplan.data.split import split_areas, write_registry
from geoplan.store import Store

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ARGS = ["--workers", "2", "--time-limit", "3", "--candidate-spacing", "100", "--lang", "en"]


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """One batch run through the command line, with its own registry (the split areas) and database."""
    folder = tmp_path_factory.mktemp("batch")
    specs, _ = load_registry()
    parts = []
    for name in ("shanghai", "nanchang"):
        spec = specs[name]
        split = split_areas(spec.source, spec.districts, spec.districts_crs, spec.districts_name_field,
                            spec.network_type)  # fmt: skip
        parts += [dataclasses.replace(p, ignore_edge_tags=spec.ignore_edge_tags, points=spec.points) for p in split]
    registry = write_registry(parts, folder / "areas.toml")
    (folder / "areas.txt").write_text("\n".join(p.name for p in parts), encoding="utf-8")
    (folder / "quota.csv").write_text("区域,站点数\n虹口区,60\n黄浦区,4\n", encoding="utf-8")
    database = f"sqlite:///{folder / 'batch.db'}"
    argv = ["batch", "--areas-file", str(folder / "areas.txt"), "--out", str(folder / "out"), "--database", database,
            "--scenario-prefix", "省级 ", "--stations-table", str(folder / "quota.csv"), *ARGS]  # fmt: skip
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(settings, "AREA_REGISTRY", registry)
        patch.setattr(settings, "DEFAULT_AREA", None)
        first = main(argv)
        results_before = {p.name: p.stat().st_mtime_ns for p in (folder / "out" / "results").iterdir()}
        scenarios_before = Store(database).scenarios()
        second = main(argv)
    return {
        "folder": folder, "out": folder / "out", "parts": parts, "registry": registry, "database": database,
        "status": (first, second), "results_before": results_before, "scenarios_before": scenarios_before,
    }  # fmt: skip


def _summary(out):
    with (out / "summary.csv").open(encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def test_every_area_has_a_row_and_failures_say_why(batch):
    rows = _summary(batch["out"])
    assert [r["area"] for r in rows] == [p.name for p in batch["parts"]]
    skipped = [r for r in rows if r["status"] == "no_streets"]
    assert {r["area"] for r in skipped} == {"安义县", "进贤县"}  # no road of the arterial network lies in them
    assert all("no street" in r["error"] and r["stations"] == "" for r in skipped)
    (failed,) = [r for r in rows if r["status"] == "failed"]
    assert failed["area"] == "虹口区"
    assert "60 stations" in failed["error"]  # more than its candidate sites: said plainly
    planned = [r for r in rows if r not in skipped and r is not failed]
    assert all(r["status"] in {"optimal", "within_target", "time_limit"} for r in planned)
    assert next(r for r in rows if r["area"] == "黄浦区")["stations"] == "4"  # from the stations table
    assert batch["status"] == (1, 1)  # an area failed: the command says so with its exit status


def test_summary_figures_are_each_areas_own(batch):
    for row in _summary(batch["out"]):
        if row["status"] in {"failed", "no_streets"}:
            continue
        coverage = json.loads((batch["out"] / "areas" / row["area"] / "coverage.json").read_text("utf-8"))
        proposals = gpd.read_file(batch["out"] / "areas" / row["area"] / "proposals.geojson")
        assert float(row["covered_workers"]) == pytest.approx(coverage["workers"]["covered"], abs=0.01)
        assert float(row["workers"]) == pytest.approx(coverage["workers"]["total"], abs=0.01)
        assert int(row["stations"]) == len(proposals) > 0
        assert float(row["gap"]) == pytest.approx(coverage["optimality"]["gap"], abs=1e-6)


def test_one_scenario_per_planned_area(batch):
    rows = {r["area"]: r for r in _summary(batch["out"]) if r["status"] not in {"failed", "no_streets"}}
    scenarios = Store(batch["database"]).scenarios()
    assert sorted(s["name"] for s in scenarios) == sorted(f"省级 {name}" for name in rows)
    store = Store(batch["database"])
    for listed in scenarios:
        scenario = store.scenario(listed["id"])
        assert len(scenario["sites"]) == int(rows[scenario["area"]]["stations"])
        assert scenario["source"] == "geoplan batch"


def test_a_scenario_reopens_with_the_batchs_figures(batch, monkeypatch):
    from geoplan.outputs.export_data import build_export_data
    from geoplan.planning.cache import ModelCache
    from geoplan.planning.scenarios import scenario_workspace

    monkeypatch.setattr(settings, "AREA_REGISTRY", batch["registry"])
    monkeypatch.setattr(settings, "DEFAULT_AREA", None)
    row = next(r for r in _summary(batch["out"]) if r["area"] == "黄浦区")
    store = Store(batch["database"])
    listed = next(s for s in store.scenarios() if s["area"] == "黄浦区")
    scenario = store.scenario(listed["id"])
    cache = ModelCache(batch["folder"] / "models")
    workspace = scenario_workspace(cache, scenario, lambda: store.user_data(listed["id"]))
    data = build_export_data(scenario, workspace)
    assert data.workers["covered"] == pytest.approx(float(row["covered_workers"]), abs=0.01)
    assert data.workers["total"] == pytest.approx(float(row["workers"]), abs=0.01)


def test_rerun_resumes_the_areas_done(batch):
    results = batch["out"] / "results"
    after = {p.name: p.stat().st_mtime_ns for p in results.iterdir()}
    rows = {r["area"]: r for r in _summary(batch["out"])}
    for name, stamp in after.items():
        area = json.loads((results / name).read_text("utf-8"))["area"]
        if rows[area]["status"] == "failed":
            assert stamp != batch["results_before"][name]  # tried again
        else:
            assert stamp == batch["results_before"][name]  # kept
    assert [s["id"] for s in Store(batch["database"]).scenarios()] == [s["id"] for s in batch["scenarios_before"]]


def test_summary_geopackage_and_reports(batch):
    rows = _summary(batch["out"])
    areas = gpd.read_file(batch["out"] / "summary.gpkg", layer="areas")
    stations = gpd.read_file(batch["out"] / "summary.gpkg", layer="stations")
    assert len(areas) == len(rows)
    assert len(stations) == sum(int(r["stations"] or 0) for r in rows)
    for name in ("summary_zh.pdf", "summary_en.pdf", "summary_map_zh.png", "summary_map_en.png", "summary_zh.csv"):
        assert (batch["out"] / name).stat().st_size > 0
