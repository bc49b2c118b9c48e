"""Exports of a scenario whose names are attacks: shown as text everywhere, never run (HTML map, KML, CSV, GPKG).

The HTML map puts names into a JSON block its script reads and shows them with textContent (folium, used before,
wrote them inside JavaScript template literals and filled tooltips by innerHTML): a station named ``${...}`` or
``<img onerror=...>`` must stay text when a planner opens the exported map.
"""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET

import pyogrio
import pytest

from geoplan.outputs.export_data import build_export_data
from geoplan.outputs.exporters import write_export
from geoplan.planning.scenarios import scenario_workspace
from geoplan.store import Store

HOSTILE = '<img src=x onerror="window.__xss=1">${window.__xss=3}`\\</script><script>window.__xss=2</script>'
FORMULA = '=HYPERLINK("http://evil.example","点我")'
KML = "{http://www.opengis.net/kml/2.2}"


@pytest.fixture(scope="module")
def data(tmp_path_factory, default_workspace, model_cache):
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('db') / 'geoplan.sqlite'}")
    store.upgrade()
    proposed, result, _ = default_workspace.propose(5)
    proposed[0]["name"], proposed[1]["name"] = HOSTILE, FORMULA
    created = store.create_scenario(HOSTILE, "helsinki", "tester", params={"stations": 5}, stations=5,
                                    sites=proposed, result=result, source="test")  # fmt: skip
    site = created["sites"][0]
    store.update_details(created["id"], site["id"], created["version"], "tester",
                         {"address": HOSTILE, "hours": "24h", "services": ["toilet"]})  # fmt: skip
    scenario = store.scenario(created["id"])
    store.engine.dispose()
    return build_export_data(scenario, scenario_workspace(model_cache, scenario))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_html_map_shows_names_as_text(data, tmp_path, lang):
    (written,) = write_export(data, "html", tmp_path / "map.html", lang=lang)
    page = written.read_text("utf-8")
    for raw in ("<img src=x", "<script>window.__xss", "${window", "`\\<"):
        assert raw not in page, raw
    assert "&lt;img src=x onerror=" in page, "the name is shown, as text"


def test_kml_and_gpkg_keep_the_name_literally(data, tmp_path):
    (kml,) = write_export(data, "kml", tmp_path / "map.kml")
    names = {e.text for e in ET.parse(kml).getroot().iter(f"{KML}name")}
    assert HOSTILE in names
    (gpkg,) = write_export(data, "gpkg", tmp_path / "map.gpkg")
    stations = pyogrio.read_dataframe(gpkg, layer="stations")
    assert {HOSTILE, FORMULA} <= set(stations["name"])


def test_csv_neutralises_formulas(data, tmp_path):
    (table,) = write_export(data, "csv", tmp_path / "stations.csv")
    rows = list(csv.DictReader(table.read_text("utf-8-sig").splitlines()))
    assert {"'" + FORMULA, HOSTILE} <= {r["name"] for r in rows}
