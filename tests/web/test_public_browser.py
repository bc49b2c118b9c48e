"""The public pages on a phone: "stations near me" and the bulk lookup, in Debian's Chromium against ``geoplan serve``.

A planner's scenario of the default area is published with four accepted stations (one suspended), one proposed and
one rejected site; the worker's phone (390x844, touch, zh-CN) stands about 80 m from the first station.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import numpy as np
import pytest
from _browser import BROWSER_MARKS, WAIT_MS
from _web_helpers import Server

from geoplan import crs
from geoplan.outputs import layers
from geoplan.store import Store

pytestmark = BROWSER_MARKS

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install -e '.[test]'")
expect = sync_api.expect


#: Set to a file name to save a phone screenshot of the near-me page with its results and a route.
SCREENSHOT = os.environ.get("GEOPLAN_NEAR_SCREENSHOT")

#: The published stations' details, in the order their sites are picked (the first is next to the phone).
DETAILS = [
    {"name": "环卫驿站甲 Alpha", "address": "测试路1号", "hours": "24h", "phone": "010-12345678 转 8、12345",
     "services": ["drinking_water", "toilet", "rest", "phone_charging"], "station_status": "open"},
    {"name": "快递驿站乙 Bravo", "address": "测试路2号", "hours": "00:00-24:00", "phone": "010-22223333",
     "services": ["drinking_water", "heating_food", "ebike_charging"], "station_status": "open"},
    {"name": "交警驿站丙 Charlie", "address": "测试路3号", "hours": "24h", "station_status": "open",
     "services": ["rest", "toilet"]},
    {"name": "社区驿站丁 Delta", "address": "测试路4号", "hours": "24h", "station_status": "suspended",
     "services": ["drinking_water", "wifi", "ebike_charging"]},
]  # fmt: skip
HIDDEN = {"proposed": "未公开建议点 HIDDEN-PROPOSED", "rejected": "已否决点 HIDDEN-REJECTED"}


def metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    dx = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return 6_371_000 * math.hypot(dx, math.radians(lat2 - lat1))


def pick_sites(features: list[dict]) -> list[dict]:
    """Four candidate spots 200-1,500 m apart near the middle of the area, then two more near the first."""
    spots = [(f["geometry"]["coordinates"], f["properties"]) for f in features
             if f["properties"]["source"] in {"roadside", "host"}]  # fmt: skip
    mid_lon = sorted(c[0] for c, _ in spots)[len(spots) // 2]
    mid_lat = sorted(c[1] for c, _ in spots)[len(spots) // 2]
    first = min(spots, key=lambda s: metres(*s[0], mid_lon, mid_lat))
    chosen = [first]
    for spot in sorted(spots, key=lambda s: metres(*s[0], *first[0])):
        far_enough = all(metres(*spot[0], *c[0]) > 200 for c in chosen)
        if len(chosen) < 4 and far_enough and metres(*spot[0], *first[0]) < 1500:
            chosen.append(spot)
    hidden = [s for s in sorted(spots, key=lambda s: metres(*s[0], *first[0]))
              if all(metres(*s[0], *c[0]) > 60 for c in chosen)][:2]  # fmt: skip
    assert len(chosen) == 4, "the default area should have four candidate spots near its middle"
    assert len(hidden) == 2
    sites = [{"status": "accepted", "lon": c[0], "lat": c[1], "candidate_id": p["id"], "district": p["district"]}
             for c, p in chosen]  # fmt: skip
    for status, (c, p) in zip(HIDDEN, hidden, strict=True):
        sites.append({"status": status, "lon": c[0], "lat": c[1], "candidate_id": p["id"], "name": HIDDEN[status],
                      "district": p["district"]})  # fmt: skip
    return sites


class Published:
    """A database with one published scenario, and the server on it."""

    def __init__(self, folder: Path, workspace):
        database = f"sqlite:///{folder / 'db.sqlite'}"
        store = Store(database)
        store.upgrade()
        sites = pick_sites(layers.candidates_geojson(workspace.prepared)["features"])
        scenario = store.create_scenario("公开方案", workspace.area.spec.name, "plan", sites=sites, stations=4)
        version = scenario["version"]
        by_status = {}
        for site in scenario["sites"]:
            by_status.setdefault(site["status"], []).append(site)
        for site, details in zip(by_status["accepted"], DETAILS, strict=True):
            version = store.update_details(scenario["id"], site["id"], version, "plan", details)["version"]
        for status, name in HIDDEN.items():
            site = by_status[status][0]
            details = {"name": name, "address": f"{name} 地址", "hours": "24h",
                       "services": ["drinking_water", "heating_food", "ebike_charging", "toilet"]}  # fmt: skip
            version = store.update_details(scenario["id"], site["id"], version, "plan", details)["version"]
        store.publish(scenario["id"], version, "plan", True)
        store.engine.dispose()
        self.stations = [{**site, **details} for site, details in zip(by_status["accepted"], DETAILS, strict=True)]
        self.database, self.scenario_id = database, scenario["id"]
        self.server = Server(database, folder, folder / "server.log").wait()

    @property
    def url(self) -> str:
        """Base URL of the running server."""
        return self.server.url

    def station(self, name_start: str) -> dict:
        """Return the published station whose name starts with ``name_start``."""
        return next(s for s in self.stations if s["name"].startswith(name_start))


@pytest.fixture(scope="module")
def published(tmp_path_factory, default_workspace):
    """The running server with the published scenario."""
    published = Published(tmp_path_factory.mktemp("public"), default_workspace)
    yield published
    published.server.stop()


@pytest.fixture
def phone(browser, published):
    """Open public pages on a phone (fresh context each); fail the test on any script or console error.

    ``phone.allow(text)`` tolerates console errors containing ``text`` (a refusal the test asks for).
    """
    contexts, errors, allowed = [], [], []
    alpha = published.station("环卫")
    here = {"latitude": alpha["lat"] + 0.0007, "longitude": alpha["lon"], "accuracy": 10}

    def open_page(path: str, *, located: bool = True):
        options = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
                   "has_touch": True, "locale": "zh-CN"}  # fmt: skip
        if located:
            options.update(geolocation=here, permissions=["geolocation"])
        context = browser.new_context(**options)
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
        page.on("console", lambda message: errors.append(f"{page.url}: console: {message.text}")
                if message.type == "error" else None)  # fmt: skip
        page.goto(f"{published.url}{path}")
        return page

    open_page.here = here
    open_page.allow = allowed.append
    yield open_page
    for context in contexts:
        context.close()
    unexpected = [e for e in errors if not any(text in e for text in allowed)]
    assert unexpected == [], f"JavaScript errors: {unexpected}"


def wait_for_map(page) -> None:
    expect(page.locator("#near-map")).to_have_attribute("data-ready", "1")
    expect(page.locator("#near-map")).to_have_attribute("data-center", re.compile(r"\d"))


def expect_no_hidden_sites(page) -> None:
    text = page.content()
    for name in HIDDEN.values():
        assert name not in text


def result_ids(page) -> list[int]:
    return page.locator("#results li.station").evaluate_all("els => els.map(e => Number(e.dataset.stationId))")


def shown_metres(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)\s*(米|公里|m|km)", text.strip()).groups()
    return float(number) * (1000 if unit in ("公里", "km") else 1)


# --- near me -----------------------------------------------------------------------------------------------------


def test_near_me_lists_stations_by_distance_and_draws_a_route(published, phone):
    page = phone("/near")
    wait_for_map(page)
    expect(page.locator("#locate")).to_contain_text("使用我的位置")
    expect(page.locator("input.service-filter")).to_have_count(12)
    expect(page.locator("header nav, #current-user, #logout")).to_have_count(0)  # no planner navigation

    page.locator("#locate").tap()
    items = page.locator("#results li.station")
    expect(items).to_have_count(len(published.stations))
    here = phone.here
    query = {"lat": f"{here['latitude']:.7f}", "lon": f"{here['longitude']:.7f}"}
    answer = page.request.get(f"{published.url}/api/v1/stations/nearby", params=query).json()
    assert result_ids(page) == [s["id"] for s in answer["stations"]]
    assert result_ids(page)[0] == published.station("环卫")["id"]
    shown = [shown_metres(t) for t in items.locator(".distance").all_text_contents()]
    assert shown == sorted(shown)
    for text, station in zip(shown, answer["stations"], strict=True):
        assert text == pytest.approx(station["distance_m"], rel=0.06, abs=1)
    assert all("分钟" in t for t in items.locator(".minutes").all_text_contents())
    delta = page.locator(f'#results li.station[data-station-id="{published.station("社区")["id"]}"]')
    expect(delta.locator(".open-badge")).to_have_text("暂停开放")  # its own status, never "open"
    expect(items.first.locator(".open-badge")).to_have_text("开放中")
    expect(items.first.locator("a.phone")).to_have_attribute("href", "tel:01012345678")  # first number, no 转 8
    expect(items.first.locator(".svc")).to_have_count(4)
    expect(items.first).to_contain_text("饮水")
    expect_no_hidden_sites(page)

    # tapping a station draws its route along the streets
    second = items.nth(1)
    second.locator(".st-name").tap()
    expect(page.locator("path.route-line")).to_have_count(1)
    expect(second).to_have_class(re.compile(r"\bselected\b"))
    expect(page.locator("#message")).to_contain_text("前往")
    if SCREENSHOT:
        page.wait_for_load_state("networkidle")
        # the map's fades and pans end before the picture is taken (only when a docs screenshot is asked for)
        page.wait_for_function("() => document.getAnimations().every((a) => a.playState !== 'running')")
        page.screenshot(path=SCREENSHOT)

    # riding: same stations, fewer minutes
    page.locator("#mode-ride").tap()
    expect(items.first.locator(".minutes")).to_contain_text("骑行")
    expect(page.locator("#mode-ride")).to_have_attribute("aria-checked", "true")

    # filters: one service, two services (both needed), open now
    def with_service(*codes: str) -> list[int]:
        return [s["id"] for s in answer["stations"] if all(c in s["services"] for c in codes)]

    page.locator("input.service-filter[value=heating_food]").check()
    expect(items).to_have_count(len(with_service("heating_food")))
    assert result_ids(page) == with_service("heating_food") == [published.station("快递")["id"]]
    page.locator("input.service-filter[value=heating_food]").uncheck()
    page.locator("input.service-filter[value=ebike_charging]").check()
    expect(items).to_have_count(2)
    assert result_ids(page) == with_service("ebike_charging")
    page.locator("#open-now").check()
    expect(items).to_have_count(1)
    assert result_ids(page) == [published.station("快递")["id"]]
    page.locator("input.service-filter[value=toilet]").check()
    expect(items).to_have_count(0)
    expect(page.locator("#message")).to_have_class(re.compile(r"\berror\b"))
    expect_no_hidden_sites(page)


def test_near_me_in_english_by_tap_and_by_typed_name(published, phone):
    page = phone("/near?lang=en")
    wait_for_map(page)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#locate")).to_contain_text("Use my location")
    expect(page.locator("#mode-ride")).to_have_text("Ride")
    expect(page.locator("label.chip", has=page.locator("input[value=drinking_water]"))).to_contain_text(
        "Drinking water"
    )

    # a typed station name centres the map on it and lists it first
    charlie = published.station("交警")
    page.locator("#place-input").fill("交警驿站丙")
    page.locator("#place-go").tap()
    items = page.locator("#results li.station")
    expect(items.first).to_have_attribute("data-station-id", str(charlie["id"]))
    page.wait_for_function(
        """([lat, lon]) => {
            const centre = document.getElementById("near-map").dataset.center;
            const [y, x] = (centre || "0,0").split(",").map(Number);
            return Math.abs(y - lat) < 3e-5 && Math.abs(x - lon) < 6e-5;
        }""",
        arg=[charlie["lat"], charlie["lon"]],
    )
    expect(items.first.locator(".minutes")).to_contain_text("min")
    expect(page.locator("#results .open-badge").first).to_have_text("Open")
    expect(items.first.locator(".svc")).to_have_text(["Rest", "Toilet"])

    # an unknown place says so
    page.locator("#place-input").fill("不存在的地方 nowhere")
    page.locator("#place-go").tap()
    expect(page.locator("#message")).to_have_class(re.compile(r"\berror\b"))
    expect(page.locator("#message")).to_contain_text("No station")

    # a tap on the map sets the point and lists the stations from there
    box = page.locator("#near-map").bounding_box()
    x, y = box["x"] + box["width"] / 2 + 60, box["y"] + box["height"] / 2 - 40
    page.touchscreen.tap(x, y)
    page.wait_for_function(
        """([x, y]) => {
            const marker = document.querySelector(".here-marker");
            if (!marker) return false;
            const r = marker.getBoundingClientRect();
            return Math.hypot(r.x + r.width / 2 - x, r.y + r.height / 2 - y) < 3;
        }""",
        arg=[x, y],
    )
    expect(items).to_have_count(len(published.stations))
    expect(page.locator("#message")).to_have_class(re.compile(r"\bok\b"))
    expect_no_hidden_sites(page)

    # a phone far from the area (Beijing) is told so
    phone.allow("the server responded with a status of 400")
    page.context.set_geolocation({"latitude": 39.9087, "longitude": 116.3975})
    page.locator("#locate").tap()
    expect(page.locator("#message")).to_contain_text("outside the stations' area")
    expect(items).to_have_count(0)


def test_refused_location_says_what_to_do(phone):
    page = phone("/near", located=False)
    wait_for_map(page)
    page.context.clear_permissions()  # nothing granted: the browser refuses the position
    page.locator("#locate").tap()
    expect(page.locator("#message")).to_have_class(re.compile(r"\berror\b"))
    expect(page.locator("#message")).to_contain_text("拒绝")
    expect(page.locator("#results li.station")).to_have_count(0)


# --- bulk lookup -------------------------------------------------------------------------------------------------


def test_bulk_lookup_answers_good_rows_and_reports_bad_ones(published, phone):
    page = phone("/bulk")
    expect(page.locator("#bulk-submit")).to_have_text("查询")
    alpha, bravo, charlie = (published.station(n) for n in ("环卫", "快递", "交警"))
    rows = [
        "name,lon,lat",
        f"一号仓库,{alpha['lon'] + 0.0005:.7f},{alpha['lat']:.7f}",
        f"坏行,东经,{alpha['lat']:.7f}",
        f"二号仓库,{bravo['lon']:.7f},{bravo['lat'] + 0.0004:.7f}",
        f"三号仓库,{charlie['lon']:.7f},{charlie['lat'] - 0.0004:.7f}",
    ]
    page.locator("#bulk-file").set_input_files(
        files=[{"name": "depots.csv", "mimeType": "text/csv", "buffer": "\n".join(rows).encode()}]
    )
    page.locator("#bulk-coords").select_option("wgs84")
    page.locator("#bulk-limit").select_option("2")
    page.locator("#bulk-submit").tap()

    table = page.locator("#bulk-table tbody tr")
    expect(table).to_have_count(3)
    assert table.evaluate_all("els => els.map(e => Number(e.dataset.line))") == [2, 4, 5]
    for row in table.all():
        expect(row.locator("li[data-station-id]")).to_have_count(2)
    firsts = table.locator("li[data-station-id]:first-child")
    nearest = firsts.evaluate_all("els => els.map(e => Number(e.dataset.stationId))")
    assert nearest == [alpha["id"], bravo["id"], charlie["id"]]
    errors = page.locator("#bulk-errors li")
    expect(errors).to_have_count(1)
    expect(errors).to_have_attribute("data-line", "3")
    expect(errors).to_contain_text("第 3 行")
    expect(page.locator("#bulk-map .depot-marker")).to_have_count(3)
    expect(page.locator("#bulk-map .bulk-station-marker")).to_have_count(6)

    with page.expect_download() as download:
        page.locator("#bulk-download").tap()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("line,name,lon_wgs84,lat_wgs84,within_15_min,note,rank,station_id")
    # every depot is a few dozen metres from a station: within the 15-minute circle, said in the table
    assert table.evaluate_all("els => els.map(e => e.dataset.within)") == ["1", "1", "1"]
    expect(table.first.locator("td.circle")).to_have_text("是")
    expect(table.first.locator(".circle-text")).to_contain_text("15 分钟内有驿站")
    assert len(lines) == 1 + 3 * 2 + 1
    assert "环卫驿站甲 Alpha" in text
    expect_no_hidden_sites(page)


# --- nothing published -------------------------------------------------------------------------------------------


def test_near_me_with_nothing_published_says_so(published, phone):
    store = Store(published.database)

    def publish(published_now: bool) -> None:
        scenario = store.scenario(published.scenario_id)
        store.publish(scenario["id"], scenario["version"], "plan", published_now)

    publish(False)
    try:
        page = phone("/near")
        expect(page.locator("#message")).to_contain_text("暂无")
        expect(page.locator("#message")).to_have_class(re.compile(r"\berror\b"))
        with page.expect_response(lambda response: "/api/v1/stations/nearby" in response.url):
            page.locator("#locate").tap()
        expect(page.locator("#message")).to_contain_text("暂无")
        expect(page.locator("#results li.station")).to_have_count(0)
    finally:
        publish(True)
        store.engine.dispose()


# --- the truth about stations, the 15-minute circle, places (issue 13) ------------------------------------------


def _far_junction(workspace, station: dict) -> dict:
    """A junction of the area about 2.5 km in a straight line from a station: far beyond a 15-minute walk."""
    area = workspace.area
    lonlat = crs.to_wgs84(area.crs, np.column_stack([area.nodes.geometry.x, area.nodes.geometry.y]))
    far = [abs(metres(lon, lat, station["lon"], station["lat"]) - 2500.0) for lon, lat in lonlat]
    lon, lat = lonlat[int(np.argmin(far))]
    return {"latitude": float(lat), "longitude": float(lon), "accuracy": 10}


TRUTH = {
    "zh": {"planned": "规划中", "no_hours": "未注明开放时间", "open": "开放中",
           "none_near": "15 分钟内（步行约 1.0 公里）没有驿站。以下是最近的驿站", "outside": "超出 15 分钟"},
    "en": {"planned": "Planned", "no_hours": "Hours not given", "open": "Open",
           "none_near": "No station within 15 minutes (walking, about 1.0 km). The nearest ones",
           "outside": "over 15 min"},
}  # fmt: skip


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_station_without_status_or_hours_is_never_shown_open(published, phone, lang):
    """A second scenario's station, named but with no status and no hours, published as it is (acknowledged)."""
    said = TRUTH[lang]
    store = Store(published.database)
    alpha = published.station("环卫")
    site = {"status": "accepted", "lon": alpha["lon"] + 0.0004, "lat": alpha["lat"] + 0.0004, "name": "无状态驿站 Echo"}
    scenario = store.create_scenario("未填写方案", "helsinki", "plan", sites=[site])
    echo = scenario["sites"][0]["id"]
    store.publish(scenario["id"], scenario["version"], "plan", True, force=[echo])
    try:
        page = phone(f"/near?lang={lang}")
        wait_for_map(page)
        page.locator("#locate").tap()
        item = page.locator(f'#results li.station[data-station-id="{echo}"]')
        expect(item).to_have_attribute("data-open", "0")
        expect(item.locator(".open-badge")).to_have_text(said["planned"])
        expect(item.locator(".open-badge")).to_have_attribute("data-status", "planned")
        expect(item.locator(".hours")).to_have_text(said["no_hours"])
        alpha_badge = page.locator(f'#results li.station[data-station-id="{alpha["id"]}"] .open-badge')
        expect(alpha_badge).to_have_text(said["open"])
        assert said["open"] not in item.locator(".open-badge").inner_text()
        # "open now" leaves it out
        page.locator("label.open-chip").tap()
        expect(page.locator("#results li.station").first).to_be_visible()
        expect(item).to_have_count(0)
    finally:
        scenario = store.scenario(scenario["id"])
        store.publish(scenario["id"], scenario["version"], "plan", False)
        store.engine.dispose()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_station_within_15_minutes_is_said_plainly(published, phone, default_workspace, lang):
    said = TRUTH[lang]
    page = phone(f"/near?lang={lang}")
    wait_for_map(page)
    page.context.set_geolocation(_far_junction(default_workspace, published.station("环卫")))
    page.locator("#locate").tap()
    items = page.locator("#results li.station")
    expect(items).to_have_count(len(published.stations))
    note = page.locator("#circle-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text(said["none_near"])
    expect(items.first.locator(".outside-circle")).to_have_text(said["outside"])
    assert all(float(m) > 1000 for m in items.evaluate_all("els => els.map(e => e.dataset.distanceM)"))
    # at a station (its name typed) the note goes away
    page.locator("#place-input").fill("环卫驿站甲 Alpha")
    page.locator("#place-go").tap()
    expect(note).to_be_hidden()
    expect(items.first).to_have_attribute("data-within", "1")


def test_a_typed_place_offers_streets_and_searches_near_the_one_picked(published, phone):
    page = phone("/near")
    wait_for_map(page)
    expect(page.locator("#place-input")).to_have_attribute("placeholder", re.compile("地铁站"))
    page.locator("#place-input").fill("mannerheim")
    page.locator("#place-go").tap()
    picks = page.locator("#place-results button.pick-button")
    expect(picks.first).to_be_visible()
    street = page.locator('#place-results button[data-kind="street"]', has_text="Mannerheimintie")
    expect(street).to_contain_text("街道")
    answer = page.request.get(f"{published.url}/api/v1/places", params={"q": "Mannerheimintie"}).json()
    place = next(p for p in answer["places"] if p["kind"] == "street" and p["name"] == "Mannerheimintie")
    street.tap()
    expect(page.locator("#place-results")).to_be_hidden()
    expect(page.locator("#message")).to_contain_text("Mannerheimintie 附近的驿站")
    query = {"lat": f"{place['lat']:.7f}", "lon": f"{place['lon']:.7f}"}
    nearby = page.request.get(f"{published.url}/api/v1/stations/nearby", params=query).json()
    expect(page.locator("#results li.station")).to_have_count(len(nearby["stations"]))
    assert result_ids(page) == [s["id"] for s in nearby["stations"]]


def test_hostile_place_text_is_refused_and_shown_as_text(published, phone):
    page = phone("/near")
    wait_for_map(page)
    phone.allow("the server responded with a status of 400")
    page.locator("#place-input").fill('<img src=x onerror="document.title=1">')
    page.locator("#place-go").tap()
    expect(page.locator("#message")).to_contain_text("不能含有")
    expect(page.locator("#message")).to_have_class(re.compile(r"\berror\b"))
    expect(page.locator("#message img, #place-results img")).to_have_count(0)
    assert page.title() != "1"
