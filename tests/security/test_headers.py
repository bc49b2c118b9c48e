"""Security headers on every kind of answer (pages, API, static files, errors) of the live server, no inline script
or event handler in any page, and the deployment switches: an online tile layer's host in ``img-src``, ``Secure``
cookies with ``GEOPLAN_HTTPS=1``.
"""

from __future__ import annotations

import json
import re

import pytest
from _security_helpers import HTTP_TIMEOUT
from _web_helpers import PASSWORD, csrf_token, make_app

#: Headers every answer carries, whatever it is.
FIXED = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"}

#: Directives the policy must hold exactly (sources in any order).
DIRECTIVES = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "connect-src": {"'self'"},
    "font-src": {"'self'"},
    "object-src": {"'none'"},
    "base-uri": {"'self'"},
    "form-action": {"'self'"},
    "frame-ancestors": {"'none'"},
}

#: A ``<script>`` without ``src=`` that is not a JSON data block, and an inline event handler attribute.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
CONFIG_BLOCK = re.compile(r'<script type="application/json" id="geoplan-config">(.*?)</script>', re.DOTALL)


def policy(answer) -> dict[str, set[str]]:
    """The answer's Content-Security-Policy as {directive: sources}."""
    text = answer.headers.get("Content-Security-Policy", "")
    assert text, f"{answer.url if hasattr(answer, 'url') else answer}: no Content-Security-Policy"
    directives = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        name, *sources = part.split()
        directives[name] = set(sources)
    return directives


def check_headers(answer, where: str) -> None:
    for name, value in FIXED.items():
        assert answer.headers.get(name) == value, (where, name, answer.headers.get(name))
    found = policy(answer)
    for name, sources in DIRECTIVES.items():
        assert found.get(name) == sources, (where, name, found.get(name))
    assert {"'self'", "data:", "blob:"} <= found["img-src"], (where, found["img-src"])


@pytest.fixture(scope="module")
def planner(live):
    return live.login()


def test_pages_api_answers_static_files_and_errors_carry_the_headers(live, planner):
    anonymous = live.session()
    answers = {
        "login page": anonymous.get(f"{live.url}/login", timeout=HTTP_TIMEOUT),
        "near page": anonymous.get(f"{live.url}/near", timeout=HTTP_TIMEOUT),
        "bulk page": anonymous.get(f"{live.url}/bulk", timeout=HTTP_TIMEOUT),
        "public API": anonymous.get(f"{live.url}/api/v1/stations", timeout=HTTP_TIMEOUT),
        "static script": anonymous.get(f"{live.url}/static/map.js", timeout=HTTP_TIMEOUT),
        "vendored style": anonymous.get(f"{live.url}/static/vendor/leaflet/leaflet.css", timeout=HTTP_TIMEOUT),
        "basemap": anonymous.get(f"{live.url}/basemap/helsinki/bounds.json", timeout=HTTP_TIMEOUT),
        "review map": planner.get(f"{live.url}/scenarios/{live.scenario_id}", timeout=HTTP_TIMEOUT),
        "planner API": planner.get(f"{live.url}/api/planner/scenarios", timeout=HTTP_TIMEOUT),
    }
    for where, answer in answers.items():
        assert answer.status_code == 200, (where, answer.status_code)
        check_headers(answer, where)
    refusals = {
        "missing page": anonymous.get(f"{live.url}/no-such-page", timeout=HTTP_TIMEOUT),
        "login redirect": anonymous.get(f"{live.url}/audit", timeout=HTTP_TIMEOUT, allow_redirects=False),
        "API error": anonymous.get(f"{live.url}/api/v1/stations/nearby?lat=x", timeout=HTTP_TIMEOUT),
        "missing CSRF token": live.session().post(f"{live.url}/api/planner/scenarios", json={}, timeout=HTTP_TIMEOUT),
    }
    for where, answer in refusals.items():
        assert answer.status_code >= 300, (where, answer.status_code)
        check_headers(answer, where)


def test_no_page_has_inline_script_or_event_handlers(live, planner):
    pages = [live.session().get(f"{live.url}{path}", timeout=HTTP_TIMEOUT) for path in ("/login", "/near", "/bulk")]
    paths = ("/", f"/scenarios/{live.scenario_id}", f"/compare?a={live.scenario_id}&b={live.scenario_id}", "/audit")
    pages += [planner.get(f"{live.url}{path}", timeout=HTTP_TIMEOUT) for path in paths]
    for page in pages:
        assert page.status_code == 200, (page.url, page.status_code)
        assert INLINE_SCRIPT.findall(page.text) == [], page.url
        assert INLINE_HANDLER.findall(page.text) == [], page.url
        [block] = CONFIG_BLOCK.findall(page.text)
        config = json.loads(block)
        assert config["i18n"]["app_title"], page.url
        assert config["tile_url"] == "", page.url


# --- deployment switches (the app in-process) ----------------------------------------------------------------------


@pytest.fixture
def clean_environment(monkeypatch):
    for name in ("DATABASE_URL", "GEOPLAN_SECRET_KEY", "GEOPLAN_AREA", "GEOPLAN_TILE_URL", "GEOPLAN_HTTPS"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_an_online_tile_layer_is_allowed_as_image_source_only(tmp_path, clean_environment, model_cache):
    app = make_app(tmp_path, MODELS=model_cache, TILE_URL="https://{s}.tile.example.org:8443/{z}/{x}/{y}{r}.png")
    answer = app.test_client().get("/login")
    found = policy(answer)
    assert found["img-src"] == {"'self'", "data:", "blob:", "https://*.tile.example.org:8443"}
    assert found["connect-src"] == {"'self'"}
    [block] = CONFIG_BLOCK.findall(answer.text)
    assert json.loads(block)["tile_url"] == "https://{s}.tile.example.org:8443/{z}/{x}/{y}{r}.png"
    app.extensions["geoplan_store"].engine.dispose()

    plain = make_app(tmp_path / "plain", MODELS=model_cache, TILE_URL="http://tiles.example.org/{z}/{x}/{y}.png")
    assert policy(plain.test_client().get("/login"))["img-src"] == {"'self'", "data:", "blob:",
                                                                    "http://tiles.example.org"}  # fmt: skip
    plain.extensions["geoplan_store"].engine.dispose()


def test_cookies_are_secure_and_https_is_strict_only_when_served_over_https(tmp_path, clean_environment,
                                                                            model_cache):  # fmt: skip
    plain = make_app(tmp_path / "plain", MODELS=model_cache)
    answer = plain.test_client().get("/login")
    assert "Secure" not in answer.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in answer.headers
    assert not plain.config["SESSION_COOKIE_SECURE"]
    plain.extensions["geoplan_store"].engine.dispose()

    clean_environment.setenv("GEOPLAN_HTTPS", "1")
    app = make_app(tmp_path / "https", MODELS=model_cache)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    store = app.extensions["geoplan_store"]
    store.add_user("plan", PASSWORD, "planner")
    client, https = app.test_client(), "https://localhost"
    answer = client.get("/login", base_url=https)
    assert "; Secure" in answer.headers["Set-Cookie"]
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=")
    form = {"username": "plan", "password": PASSWORD, "csrf_token": csrf_token(answer.data)}
    logged_in = client.post("/login", data=form, base_url=https, headers={"Referer": f"{https}/login"})
    assert logged_in.status_code == 302, logged_in.text[:500]
    assert all("; Secure" in cookie for cookie in logged_in.headers.getlist("Set-Cookie") if "session=" in cookie)
    store.engine.dispose()
