"""Hostile names on every page that shows one, in Debian's Chromium against ``geoplan serve``.

The live server has one published station whose name and address are :data:`HOSTILE_NAME` (markup that sets
``window.__xss`` wherever it is put into a page as HTML); a copy of its scenario is named the same and has a worker
layer whose group is hostile too. Each test opens the places such names are shown (review map with its popup,
details panel, layers control and download, scenario list, compare, audit, near me, bulk lookup with a hostile
uploaded row) and checks that no script ran, that no element of the name was made, that the name is shown as text,
that the page came with a Content-Security-Policy, and that the page logged no CSP violation and no console error.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile

import pytest
from _browser import BROWSER_MARKS, WAIT_MS
from _security_helpers import HOSTILE_NAME, HTTP_TIMEOUT
from _web_helpers import PASSWORD

pytestmark = BROWSER_MARKS

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install -e '.[test]'")
expect = sync_api.expect


#: Run before the page's own scripts: keep every CSP violation the page reports.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
    (event) => window.__violations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}`));
"""

#: Elements the hostile name would make if it were put into a page as HTML (the page's own scripts all have src=,
#: its configuration block is JSON).
INJECTED = "img[src='x'], [onerror], script:not([src]):not([type='application/json'])"

#: A worker group named to run script (groups take at most 80 characters).
HOSTILE_GROUP = '<img src=x onerror="window.__xss=5"><script>window.__xss=6</script>'

#: The hostile name as the audit page shows it: inside the JSON of the decision's values.
HOSTILE_JSON = json.dumps(HOSTILE_NAME, ensure_ascii=False)[1:-1]


@pytest.fixture(scope="module")
def station(live) -> dict:
    """The published hostile station as the public API gives it (WGS-84)."""
    answer = live.session().get(f"{live.url}/api/v1/stations", timeout=HTTP_TIMEOUT)
    assert answer.status_code == 200, answer.text[:500]
    return next(s for s in answer.json()["stations"] if s["name"] == HOSTILE_NAME)


@pytest.fixture(scope="module")
def copy(live, station) -> dict:
    """A copy of the published scenario named :data:`HOSTILE_NAME` (its stations keep their hostile details), with a
    worker layer of its own whose group is :data:`HOSTILE_GROUP`."""
    planner = live.login()
    made = planner.post(f"{live.url}/api/planner/scenarios/{live.scenario_id}/duplicate", json={"name": HOSTILE_NAME},
                        timeout=HTTP_TIMEOUT)  # fmt: skip
    assert made.status_code == 201, made.text[:500]
    made = made.json()
    layer = f"lon,lat,weight\n{station['lon']},{station['lat']},25\n{station['lon'] + 0.001},{station['lat']},15\n"
    form = {"kind": "layer", "group": HOSTILE_GROUP, "coords": "wgs84", "version": made["version"]}
    files = {"file": ("workers.csv", layer.encode(), "text/csv")}
    answer = planner.post(f"{live.url}/api/planner/scenarios/{made['id']}/data", data=form, files=files,
                          timeout=HTTP_TIMEOUT)  # fmt: skip
    assert answer.status_code == 200, answer.text[:500]
    assert HOSTILE_GROUP in answer.json()["figures"]["by_group"]
    return answer.json()


def hostile_site(scenario: dict) -> dict:
    """The site of a scenario that carries the hostile name."""
    return next(s for s in scenario["sites"] if s.get("name") == HOSTILE_NAME)


@pytest.fixture
def open_page(browser, live):
    """Open a page in a fresh context (logged in as ``user`` if given); fail the test on script or console errors.

    Returns the page; ``page.document`` is the answer to its navigation (for its headers).
    """
    contexts, errors, allowed = [], [], []

    def open_page(path: str, *, user: str | None = None, geolocation: dict | None = None):
        options = {"viewport": {"width": 1280, "height": 800}, "locale": "zh-CN"}
        if geolocation:
            options.update(geolocation=geolocation, permissions=["geolocation"])
        context = browser.new_context(**options)
        context.set_default_timeout(WAIT_MS)
        context.add_init_script(RECORD_VIOLATIONS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
        page.on("console", lambda message: errors.append(f"{page.url}: console: {message.text}")
                if message.type == "error" else None)  # fmt: skip
        if user:
            log_in(page, live.url, user)
        page.document = page.goto(f"{live.url}{path}")
        assert page.document.ok, (path, page.document.status)
        return page

    open_page.allow = allowed.append  # a console text the test expects (a refused request, say)
    yield open_page
    for context in contexts:
        context.close()
    errors = [e for e in errors if not any(text in e for text in allowed)]
    assert errors == [], f"JavaScript or console errors: {errors}"


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"{base}/")
    expect(page.locator("#current-user")).to_contain_text(username)


def hover(page, selector: str) -> None:
    """Move the pointer onto a map marker as Leaflet sees it (markers may overlap, so the event is sent to it)."""
    page.locator(selector).dispatch_event("mouseover")


def leave(page, selector: str) -> None:
    page.locator(selector).dispatch_event("mouseout")


def expect_safe(page) -> None:
    """No script of the name ran, none of its elements exist, the page has a CSP and reported no violation."""
    page.wait_for_load_state("networkidle")  # a hostile <img> would have failed to load by now
    assert page.evaluate("() => window.__xss") is None
    made = page.locator(INJECTED).evaluate_all("els => els.map((e) => e.outerHTML.slice(0, 200))")
    assert made == [], f"elements the page should not have: {made}"
    policy = page.document.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy, policy
    assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0], policy
    assert page.evaluate("() => window.__violations") == []


# --- the planners' pages -------------------------------------------------------------------------------------------


def test_review_map_and_scenario_list_show_hostile_names_as_text(open_page, copy):
    site = hostile_site(copy)
    page = open_page(f"/scenarios/{copy['id']}", user="alice")
    expect(page.locator(".site-marker")).to_have_count(len(copy["sites"]))
    expect(page.locator("#scenario-name")).to_have_text(HOSTILE_NAME)
    assert HOSTILE_NAME in page.title()
    row = page.locator(f'#site-list tbody tr[data-site-id="{site["id"]}"]')
    expect(row).to_contain_text(HOSTILE_NAME)
    # the worker group's name: in the layers control of the map, and in the coverage table
    expect(page.locator(".leaflet-control-layers-overlays label", has_text=HOSTILE_GROUP)).to_have_count(1)
    expect(page.locator("#by-group tbody tr td:first-child", has_text=HOSTILE_GROUP)).to_have_count(1)

    # a click on the row opens the station's popup on the map and its details in the side panel
    row.click()
    expect(page.locator(f'#map .site-popup[data-site-id="{site["id"]}"] b')).to_contain_text(HOSTILE_NAME)
    expect(page.locator("#details-form")).to_have_attribute("data-site-id", str(site["id"]))
    expect(page.locator("#details-name")).to_have_value(HOSTILE_NAME)
    expect(page.locator("#details-address")).to_have_value(HOSTILE_NAME)

    # the download block fetches the export and hands it over through a blob: URL, which the policy allows
    page.locator("#export-format").select_option("geojson")
    with page.expect_download() as download:
        page.locator("#export-download").click()
    assert download.value.suggested_filename.endswith(".zip")
    with zipfile.ZipFile(download.value.path()) as archive:
        layers = [json.loads(archive.read(name)) for name in archive.namelist() if name.endswith(".geojson")]
    assert HOSTILE_NAME in [value for layer in layers for f in layer["features"] for value in f["properties"].values()]
    expect(page.locator("#message")).to_have_class(re.compile(r"\bok\b"))
    expect_safe(page)

    page.document = page.goto(page.url.split("/scenarios/", 1)[0] + "/")
    expect(page.locator(f'#scenario-table tr[data-scenario-id="{copy["id"]}"] a.open')).to_have_text(HOSTILE_NAME)
    expect_safe(page)


def test_compare_shows_hostile_names_as_text(live, open_page, copy):
    page = open_page(f"/compare?a={live.scenario_id}&b={copy['id']}", user="alice")
    expect(page.locator("#compare-title")).to_contain_text(f"B: {HOSTILE_NAME}")
    expect(page.locator("#compare-b option:checked")).to_have_text(HOSTILE_NAME)
    original = live.login().get(f"{live.url}/api/planner/scenarios/{live.scenario_id}", timeout=HTTP_TIMEOUT).json()
    for side, scenario in (("a", original), ("b", copy)):
        marker = f'#map-{side} .site-marker[data-site-id="{hostile_site(scenario)["id"]}"]'
        expect(page.locator(marker)).to_have_count(1)
        hover(page, marker)
        expect(page.locator(f"#map-{side} .leaflet-tooltip")).to_contain_text(HOSTILE_NAME)
    expect_safe(page)


def test_audit_page_shows_hostile_details_as_text(live, open_page):
    page = open_page(f"/audit?scenario={live.scenario_id}", user="bob")
    entry = page.locator('#audit-table tbody tr[data-action="edit details"]')
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text(HOSTILE_JSON)
    expect_safe(page)


# --- the public pages ----------------------------------------------------------------------------------------------


def test_near_me_shows_a_hostile_station_as_text(open_page, station):
    here = {"latitude": station["lat"] + 0.0005, "longitude": station["lon"], "accuracy": 10}
    page = open_page("/near", geolocation=here)
    expect(page.locator("#near-map")).to_have_attribute("data-ready", "1")
    places = page.locator("#place-options option").evaluate_all("els => els.map((e) => e.value)")
    assert HOSTILE_NAME in places

    page.locator("#locate").click()
    item = page.locator(f'#results li.station[data-station-id="{station["id"]}"]')
    expect(item.locator(".st-name")).to_have_text(HOSTILE_NAME)
    expect(item.locator(".st-address")).to_contain_text(HOSTILE_NAME)
    icon = page.locator(".leaflet-marker-icon", has=page.locator(f'.station-marker[data-station-id="{station["id"]}"]'))
    expect(icon).to_have_attribute("title", HOSTILE_NAME)

    # choosing it draws the route and names it in the message
    item.click()
    expect(page.locator("path.route-line")).to_have_count(1)
    expect(page.locator("#message")).to_contain_text(HOSTILE_NAME)

    # a typed place that matches nothing: the place search refuses markup, the refusal is shown as text
    open_page.allow("the server responded with a status of 400")
    page.locator("#place-input").fill('<img src=x onerror="window.__xss=3">')
    page.locator("#place-go").click()
    expect(page.locator("#message")).to_contain_text("不能含有")
    expect(page.locator("#message img, #place-results img")).to_have_count(0)
    # part of the station's name: the place search refuses it too, the station is still found, named as text
    page.locator("#place-input").fill(HOSTILE_NAME[:24])
    page.locator("#place-go").click()
    expect(page.locator("#message")).not_to_contain_text("不能含有")
    expect(page.locator("#results li.station .st-name").first).to_have_text(HOSTILE_NAME)
    expect(page.locator("#message img, #place-results img")).to_have_count(0)
    expect_safe(page)


def test_bulk_lookup_shows_hostile_station_and_uploaded_names_as_text(open_page, station):
    page = open_page("/bulk")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows([["name", "lon", "lat"], [HOSTILE_NAME, f"{station['lon']:.7f}", f"{station['lat'] + 0.001:.7f}"]])
    page.locator("#bulk-file").set_input_files(
        files=[{"name": "depots.csv", "mimeType": "text/csv", "buffer": out.getvalue().encode()}]
    )
    page.locator("#bulk-limit").select_option("1")
    page.locator("#bulk-submit").click()

    row = page.locator('#bulk-table tbody tr[data-line="2"]')
    expect(row.locator("td.place")).to_contain_text(HOSTILE_NAME)
    answer = row.locator(f'li[data-station-id="{station["id"]}"]')
    expect(answer.locator("b")).to_have_text(HOSTILE_NAME)
    expect(answer.locator(".note")).to_have_text(HOSTILE_NAME)

    # the map's tooltips: the uploaded row's own name, and the station's
    tooltip = page.locator("#bulk-map .leaflet-tooltip")
    expect(page.locator("#bulk-map .depot-marker")).to_have_count(1)
    hover(page, "#bulk-map .depot-marker")
    expect(tooltip).to_contain_text(HOSTILE_NAME)
    expect(tooltip).to_contain_text("第 2 行")
    leave(page, "#bulk-map .depot-marker")
    expect(tooltip).to_have_count(0)
    hover(page, "#bulk-map .bulk-station-marker")
    expect(tooltip).to_contain_text(HOSTILE_NAME)
    expect(tooltip).to_contain_text(re.compile(r" · [\d.]+ (米|公里)$"))
    expect_safe(page)
