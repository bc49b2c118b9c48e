"""The HTML maps geoplan writes draw with no network: a plan run's map.html and a scenario's HTML export, zh and en.

The files are opened in Chromium with every request that is not ``file://`` aborted (and the context offline); the
map must draw (Leaflet's panes, the streets canvas with pixels on it, one marker per station, the legend in the
map's language) with no failed request and no console error. Without a browser: the page names no ``http(s)`` URL
that a browser would load except the online tile layer's template, which is off by default.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from geoplan.outputs import webmap
from geoplan.outputs.basemap import basemap_layer
from geoplan.outputs.export_data import build_export_data
from geoplan.outputs.exporters import write_export
from geoplan.outputs.plan_files import write_plan
from geoplan.planning.parameters import PlanParameters
from geoplan.planning.plan import make_plan
from geoplan.planning.scenarios import scenario_workspace
from geoplan.store import Store
from tests._browser import browser_test

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ROOT / "geoplan" / "outputs" / "assets"
HOSTILE = '<img src=x onerror="window.__xss=1">${window.__xss=3}`\\</script><script>window.__xss=2</script>'
TEXTS = {
    "zh": {"legend": "图例", "streets": "街道", "city": "市级站点"},
    "en": {"legend": "Legend", "streets": "Streets", "city": "City-level station"},
}
# What a browser would fetch: a src, a <link href>, a CSS url() or @import naming an http(s) address.
LOADED_URL = re.compile(
    r"""(?:\bsrc\s*=\s*["']?|<link\b[^>]*\bhref\s*=\s*["']?|url\(\s*["']?|@import\s+["']?)https?://""",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def plan(helsinki):
    return make_plan(helsinki, PlanParameters(stations=6))


@pytest.fixture(scope="module")
def plan_pages(plan, tmp_path_factory) -> dict[str, Path]:
    """The plan run's map.html as `geoplan plan` writes it (Chinese), and the same map in English."""
    folder = tmp_path_factory.mktemp("plan")
    pages = {"zh": write_plan(plan, folder / "run")["map"], "en": folder / "map_en.html"}
    webmap.plan_map(plan, "en").save(pages["en"])
    return pages


@pytest.fixture(scope="module")
def scenario_data(tmp_path_factory, default_workspace, model_cache):
    """Export data of a stored scenario whose first station is named like an attack."""
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('db') / 'geoplan.sqlite'}")
    store.upgrade()
    proposed, result, _ = default_workspace.propose(5)
    proposed[0]["name"] = HOSTILE
    created = store.create_scenario("方案 A", "helsinki", "tester", params={"stations": 5}, stations=5,
                                    sites=proposed, result=result, source="test")  # fmt: skip
    scenario = store.scenario(created["id"])
    store.engine.dispose()
    return build_export_data(scenario, scenario_workspace(model_cache, scenario))


@pytest.fixture(scope="module")
def scenario_pages(scenario_data, tmp_path_factory) -> dict[str, Path]:
    """The scenario's HTML export (``--format html``) in Chinese and in English."""
    folder = tmp_path_factory.mktemp("scenario")
    return {lang: write_export(scenario_data, "html", folder / f"map_{lang}.html", lang=lang)[0] for lang in TEXTS}


def data_block(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="geoplan-map-data">(.*?)</script>', page, re.DOTALL)
    assert match, "the page carries its data"
    return json.loads(match.group(1))


# --- without a browser ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["plan", "scenario"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_loads_nothing_from_the_internet_but_the_optional_tiles(kind, lang, plan_pages, scenario_pages):
    page = (plan_pages if kind == "plan" else scenario_pages)[lang].read_text("utf-8")
    assert page.count(webmap.TILE_URL) == 1
    data = data_block(page)
    assert data["tiles"]["url"] == webmap.TILE_URL
    assert LOADED_URL.findall(page.replace(webmap.TILE_URL, "")) == []
    assert not re.search(r"<script\b[^>]*\bsrc\s*=", page, re.IGNORECASE), "every script is inline"
    assert not re.search(r"<link\b[^>]*stylesheet", page, re.IGNORECASE), "every style sheet is inline"
    assert "sourceMappingURL" not in page
    assert re.findall(r"url\(\s*[\"']?(?!data:|#)", page) == [], "CSS images are data: URLs"
    assert f'<html lang="{"zh-CN" if lang == "zh" else "en"}">' in page


def test_the_check_for_loaded_urls_finds_them():
    page = '<script src="https://cdn.example/l.js"></script><link rel="stylesheet" href="http://x/y.css">'
    page += "<style>.a{background:url('https://x/i.png')}@import 'https://x/z.css';</style><img src=https://x/p>"
    assert len(LOADED_URL.findall(page)) == 5
    assert LOADED_URL.findall('<a href="https://leafletjs.com">Leaflet</a>') == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_layers_legend_and_popups_are_in_the_maps_language(lang, plan, plan_pages, scenario_pages):
    texts = TEXTS[lang]
    for pages in (plan_pages, scenario_pages):
        data = data_block(pages[lang].read_text("utf-8"))
        assert data["legend"]["title"] == texts["legend"]
        assert texts["city"] in [item["text"] for item in data["legend"]["items"]]
        names = {layer["id"]: layer["name"] for layer in data["basemap"]}
        assert names["streets"] == texts["streets"]
        streets = data["basemap"][-1]["data"]["features"]
        assert sum(len(f["geometry"]["coordinates"]) for f in streets) > 1000, "the area's streets are in the file"
        assert len({f["properties"]["highway"] for f in streets}) == len(streets), "one feature per street class"
    plan_data = data_block(plan_pages[lang].read_text("utf-8"))
    stations = next(layer for layer in plan_data["overlays"] if layer["id"] == "stations")
    assert len(stations["data"]["features"]) == len(plan.proposals)
    popup = stations["data"]["features"][0]["properties"]["popup"]
    assert ("覆盖外勤人员" if lang == "zh" else "Workers covered") in popup
    assert ("区县" if lang == "zh" else "District") in popup


def test_the_basemap_has_the_areas_water_and_buildings_and_keeps_the_map_small(plan_pages, helsinki):
    data = data_block(plan_pages["zh"].read_text("utf-8"))
    assert [layer["id"] for layer in data["basemap"]] == ["landuse", "water", "buildings", "streets"]
    buildings = basemap_layer(helsinki, "buildings", webmap.BASEMAP_TOLERANCE_M)["features"]
    assert len(data["basemap"][2]["data"]["features"]) == len(buildings) > 400
    assert plan_pages["zh"].stat().st_size < 2_000_000  # 1.38 MB for the default area (folium's map: 1.68 MB)


def test_raw_json_is_written_as_it_is_and_still_cannot_end_the_data_block():
    from geoplan.outputs.basemap import RawJSON

    payload = {"a": [RawJSON('{"type":"Point","coordinates":[1,2]}'), RawJSON('"</script>"')], "b": "x"}
    text = webmap._script_json(payload)
    assert re.search(r"<(/?script|!--)", text, re.IGNORECASE) is None
    assert json.loads(text) == {"a": [{"type": "Point", "coordinates": [1, 2]}, "</script>"], "b": "x"}
    with pytest.raises(TypeError):
        webmap._script_json({"a": object()})


def test_a_layer_of_many_features_is_written_in_pieces_that_read_back_as_the_layer(monkeypatch):
    from geoplan.outputs.basemap import RawJSON

    monkeypatch.setattr(webmap, "_FEATURES_PER_PART", 3)
    features = [{"type": "Feature", "geometry": RawJSON(f'{{"type":"Point","coordinates":[{i},1]}}'),
                 "properties": {"tip": f"</script>{i}"}} for i in range(8)]  # fmt: skip
    layer = {"id": "workers", "name": "外勤人员", "data": {"type": "FeatureCollection", "features": features}}
    parts = webmap._layer_json(layer)
    assert len(parts) == 1 + 3 + 2 + 1  # fields, three slices and the commas between them, the end
    text = "".join(parts)
    assert re.search(r"<(/?script|!--)", text, re.IGNORECASE) is None
    back = json.loads(text)
    assert (back["id"], back["name"]) == ("workers", "外勤人员")
    assert [f["geometry"]["coordinates"] for f in back["data"]["features"]] == [[i, 1] for i in range(8)]
    assert [f["properties"]["tip"] for f in back["data"]["features"]] == [f"</script>{i}" for i in range(8)]
    assert webmap._layer_json({"id": "x", "data": {"type": "FeatureCollection", "features": []}}) != []
    assert json.loads("".join(webmap._layer_json({"id": "x", "data": {"features": []}}))) == {
        "id": "x", "data": {"features": []}}  # fmt: skip


def test_text_cannot_end_the_data_block():
    text = webmap._script_json({"name": "</SCRIPT ><!-- <script>", "fine": "a<b"})
    assert re.search(r"<(/?script|!--)", text, re.IGNORECASE) is None
    assert json.loads(text) == {"name": "</SCRIPT ><!-- <script>", "fine": "a<b"}


def test_inlined_assets_cannot_end_their_script_element():
    for name in ("leaflet/leaflet.js", "webmap.js"):
        assert re.search(r"<(/?script|!--)", (ASSETS / name).read_text("utf-8"), re.IGNORECASE) is None, name


def test_one_copy_of_leaflet_shared_with_the_web_app_and_packaged():
    vendor = ROOT / "web" / "static" / "vendor" / "leaflet"
    package = ASSETS / "leaflet"
    files = sorted(p.relative_to(package) for p in package.rglob("*") if p.is_file())
    assert Path("leaflet.js") in files
    assert Path("images/layers.png") in files
    for name in files:
        assert (vendor / name).resolve() == (package / name).resolve(), f"{name} is a link to the package's copy"
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]["package-data"]
    packaged = {p for pattern in patterns["geoplan"] for p in (ROOT / "geoplan").glob(pattern) if p.is_file()}
    assets = {p for p in ASSETS.rglob("*") if p.is_file()}
    assert assets <= packaged, sorted(str(p) for p in assets - packaged)


# --- in Chromium, offline --------------------------------------------------------------------------------------------


def open_offline(browser, path: Path):
    """Open ``path`` in an offline context that aborts every request that is not file://; return page and logs."""
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
    log = {"blocked": [], "failed": [], "errors": []}

    def guard(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            log["blocked"].append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.on("requestfailed", lambda request: log["failed"].append(request.url))
    page.on("console", lambda message: message.type == "error" and log["errors"].append(message.text))
    page.on("pageerror", lambda error: log["errors"].append(str(error)))
    page.goto(path.as_uri())
    return page, log


def check_map_draws(page, lang: str, stations: int) -> None:
    from playwright.sync_api import expect

    expect(page.locator("html")).to_have_attribute("data-geoplan-map", "ready")
    for pane in ("map", "tile", "overlay", "marker", "tooltip", "popup", "geoplan-streets"):
        expect(page.locator(f"#map .leaflet-{pane}-pane")).to_have_count(1)
    expect(page.locator("path.geoplan-station")).to_have_count(stations)
    expect(page.locator(".geoplan-legend")).to_contain_text(TEXTS[lang]["legend"])
    expect(page.locator(".geoplan-legend")).to_contain_text(TEXTS[lang]["city"])
    expect(page.locator(".leaflet-control-layers")).to_contain_text(TEXTS[lang]["streets"])
    painted = page.evaluate(
        """() => {
            const canvas = document.querySelector(".leaflet-geoplan-streets-pane canvas");
            const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
            let n = 0;
            for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) n += 1;
            return n;
        }"""
    )
    assert painted > 10_000, "the streets are drawn on their canvas"
    assert page.evaluate("() => geoplanMap.map.hasLayer(geoplanMap.layers.streets)")
    assert not page.evaluate("() => geoplanMap.map.hasLayer(geoplanMap.layers.tiles)"), "online tiles are off"
    expect(page.locator(".leaflet-tile")).to_have_count(0)


def check_clean(log: dict) -> None:
    assert log == {"blocked": [], "failed": [], "errors": []}


@browser_test
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_plan_map_draws_offline(browser, plan, plan_pages, lang):
    page, log = open_offline(browser, plan_pages[lang])
    try:
        check_map_draws(page, lang, len(plan.proposals))
        ident = plan.proposals["id"].iloc[0]
        open_popup(page, lambda tip: tip.startswith(f"{ident} · "))
        from playwright.sync_api import expect

        expect(page.locator(".leaflet-popup-content")).to_contain_text("GCJ-02")
        expect(page.locator(".leaflet-popup-content b").first).to_have_text(str(ident))
        check_clean(log)
    finally:
        page.context.close()


@browser_test
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_scenario_export_draws_offline_and_shows_names_as_text(browser, scenario_data, scenario_pages, lang):
    from playwright.sync_api import expect

    page, log = open_offline(browser, scenario_pages[lang])
    try:
        check_map_draws(page, lang, len(scenario_data.stations))
        expect(page.locator(".geoplan-title")).to_contain_text("方案 A")
        open_popup(page, lambda tip: "&lt;img" in tip)
        expect(page.locator(".leaflet-popup-content b").first).to_have_text(HOSTILE)
        expect(page.locator(".leaflet-popup-content")).to_contain_text("GCJ-02")
        assert page.evaluate("() => window.__xss") is None, "the name stays text"
        check_clean(log)
    finally:
        page.context.close()


def open_popup(page, wanted) -> None:
    """Centre the map on the station whose tooltip HTML satisfies ``wanted`` and click it as a planner would."""
    tips = page.evaluate(
        "() => { const out = []; geoplanMap.layers.stations.eachLayer((l) => out.push(l.feature.properties.tip));"
        " return out; }"
    )
    index = next(i for i, tip in enumerate(tips) if wanted(tip))
    page.evaluate(
        """(index) => new Promise((done) => {
            const station = geoplanMap.layers.stations.getLayers()[index];
            geoplanMap.map.once("moveend", () => done());
            geoplanMap.map.setView(station.getLatLng(), 18, { animate: false });
        })""",
        index,
    )
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    from playwright.sync_api import expect

    expect(page.locator(".leaflet-popup-content")).to_be_visible()


@browser_test
def test_on_a_phone_the_layer_control_folds_and_still_loads_nothing(browser, plan_pages):
    from playwright.sync_api import expect

    context = browser.new_context(offline=True, viewport={"width": 390, "height": 844}, device_scale_factor=2)
    blocked, failed = [], []
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file://")
                  else (blocked.append(route.request.url), route.abort()))  # fmt: skip
    page = context.new_page()
    page.on("requestfailed", lambda request: failed.append(request.url))
    try:
        page.goto(plan_pages["zh"].as_uri())
        expect(page.locator("html")).to_have_attribute("data-geoplan-map", "ready")
        toggle = page.locator(".leaflet-control-layers-toggle")
        expect(toggle).to_be_visible()
        assert page.evaluate("() => getComputedStyle(document.querySelector('.leaflet-control-layers-toggle'))"
                             ".backgroundImage").startswith('url("data:image/png')  # fmt: skip
        page.locator(".leaflet-control-layers").hover()  # the toggle itself hides as the control unfolds
        expect(page.locator(".leaflet-control-layers-expanded")).to_contain_text("街道")
        assert (blocked, failed) == ([], [])
    finally:
        context.close()
