"""Probes of logging in against a live ``geoplan serve`` (issue 12): open redirects, throttling, cookie replay.

The server of this module is started with small login limits (``GEOPLAN_LOGIN_ACCOUNT_LIMIT``,
``GEOPLAN_LOGIN_ADDRESS_LIMIT`` in its environment), so throttling shows after a few tries instead of ten. The
limit per address counts every failed login from loopback: the probe that uses it up has a server of its own
(test_auth_address.py), so that these probes hold in any order.
"""

from __future__ import annotations

import pytest
from _security_helpers import HTTP_TIMEOUT, login, login_limits
from _web_helpers import PASSWORD, csrf_token

ACCOUNT_LIMIT = 3
ADDRESS_LIMIT = 8

@pytest.fixture(scope="module", autouse=True)
def _small_login_limits():
    """Start this module's server (``live``, made after autouse fixtures of its scope) with small login limits."""
    with login_limits(ACCOUNT_LIMIT, ADDRESS_LIMIT):
        yield


@pytest.mark.parametrize(
    "target",
    [
        "/%09/evil.example/",
        "/%0A/evil.example/",
        "/%0D%0A/evil.example/",
        "//evil.example/",
        "/%5C/evil.example/",
        "/%5Cevil.example/",
        "https://evil.example/",
        "javascript:alert(document.domain)",
    ],
)
def test_login_does_not_redirect_off_site(live, target):
    _, answer = login(live, "alice", PASSWORD, f"?next={target}")
    assert answer.status_code == 302, (answer.status_code, answer.text[:300])
    assert answer.headers["Location"] in ("/", f"{live.url}/")


def test_login_goes_back_to_a_page_of_the_site(live):
    _, answer = login(live, "alice", PASSWORD, "?next=/audit")
    assert answer.status_code == 302
    assert answer.headers["Location"] in ("/audit", f"{live.url}/audit")


def test_a_cookie_copied_before_logout_is_refused_after(live):
    planner = live.login()
    copied = planner.cookies.get("session")
    assert copied
    assert planner.get(f"{live.url}/api/planner/scenarios", timeout=HTTP_TIMEOUT).status_code == 200
    token = csrf_token(planner.get(f"{live.url}/", timeout=HTTP_TIMEOUT).text)
    logout = planner.post(f"{live.url}/logout", data={"csrf_token": token}, timeout=HTTP_TIMEOUT,
                          allow_redirects=False)  # fmt: skip
    assert logout.status_code == 302
    replay = live.session()
    replay.cookies.set("session", copied)
    assert replay.get(f"{live.url}/api/planner/scenarios", timeout=HTTP_TIMEOUT).status_code == 401


def test_wrong_passwords_lock_the_account_even_for_the_right_one(live):
    for _ in range(ACCOUNT_LIMIT):
        assert login(live, "bob", "wrong password")[1].status_code == 401
    http, answer = login(live, "bob", PASSWORD)
    assert answer.status_code == 429
    assert "登录失败次数过多" in answer.text
    assert int(answer.headers["Retry-After"]) > 0
    assert http.get(f"{live.url}/api/planner/scenarios", timeout=HTTP_TIMEOUT).status_code == 401
    # alice is not locked out by bob's failures
    assert login(live, "alice", PASSWORD)[1].status_code == 302
