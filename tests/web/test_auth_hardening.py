"""Logging in, hardened (issue 12): safe redirects, login throttling, sessions that end on logout and password change.

The app's limits come from its config (``LOGIN_ACCOUNT_LIMIT``, ``LOGIN_ADDRESS_LIMIT``, read on every request), so
the tests set small ones instead of waiting for a window to pass.
"""

from __future__ import annotations

import pytest
from _web_helpers import API, PASSWORD, Client, make_app

NEW_PASSWORD = "a fresh secret 2"


def _post_login(client: Client, username: str, password: str, *, query: str = "", address: str = "127.0.0.1"):
    """POST the login form (with the CSRF token) as if from ``address``."""
    token = client.csrf_token or client.fetch_token("/login")
    return client.post(f"/login{query}", data={"username": username, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": address})  # fmt: skip


# --- where a login goes next ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "/%09/evil.example/",  # a tab: browsers drop it and read //evil.example/
        "/%0A/evil.example/",  # a newline: was a 500 (a header may not hold one)
        "/%0D%0ASet-Cookie:%20x=1",
        "/%00/evil.example/",
        "//evil.example/",
        "///evil.example/",
        "/%5Cevil.example/",  # /\evil.example/: browsers read a backslash as a slash
        "/%5C/evil.example/",
        "%5C%5Cevil.example/",
        "https://evil.example/",
        "http:/evil.example/",
        "javascript:alert(1)",
        "%20//evil.example/",
        "evil.example/x",
        "/%E2%80%A8/evil.example/",  # a line separator
    ],
)
def test_login_never_redirects_off_site(anonymous, target):
    response = _post_login(anonymous, "look", PASSWORD, query=f"?next={target}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["/audit", "/scenarios/1?tab=sites", "/compare?a=1&b=2", "/audit#top"])
def test_login_goes_on_to_a_page_of_the_site(anonymous, target):
    response = _post_login(anonymous, "look", PASSWORD, query=f"?next={target.replace('&', '%26').replace('#', '%23')}")
    assert response.status_code == 302
    assert response.headers["Location"] == target


# --- throttling ----------------------------------------------------------------------------------------------------


@pytest.fixture
def small_limits(app):
    """Three failed logins per account, five per address, within 15 minutes."""
    app.config.update(LOGIN_ACCOUNT_LIMIT="3 per 15 minutes", LOGIN_ADDRESS_LIMIT="5 per 15 minutes")
    return app


def test_limits_default_to_a_modest_window(app):
    assert app.config["LOGIN_ACCOUNT_LIMIT"] == "10 per 15 minutes"
    assert app.config["LOGIN_ADDRESS_LIMIT"] == "30 per 15 minutes"
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_limits_and_storage_come_from_the_environment(tmp_path, monkeypatch, model_cache):
    monkeypatch.setenv("GEOPLAN_LOGIN_ACCOUNT_LIMIT", "2 per 5 minutes")
    monkeypatch.setenv("GEOPLAN_LOGIN_ADDRESS_LIMIT", "4 per 5 minutes")
    monkeypatch.setenv("GEOPLAN_RATELIMIT_STORAGE", "memory://?shared=1")
    app = make_app(tmp_path, MODELS=model_cache)
    try:
        assert app.config["LOGIN_ACCOUNT_LIMIT"] == "2 per 5 minutes"
        assert app.config["LOGIN_ADDRESS_LIMIT"] == "4 per 5 minutes"
        assert app.config["RATELIMIT_STORAGE_URI"] == "memory://?shared=1"
    finally:
        app.extensions["geoplan_store"].engine.dispose()


def test_the_app_has_one_limiter(app):
    assert len(app.extensions["limiter"]) == 1


def test_wrong_passwords_lock_the_account_even_for_the_right_one(small_limits, anonymous):
    for _ in range(3):
        assert _post_login(anonymous, "plan", "wrong password").status_code == 401
    response = _post_login(anonymous, "plan", PASSWORD)
    assert response.status_code == 429
    assert response.mimetype == "text/html"
    assert "登录失败次数过多" in response.text
    assert "请 15 分钟后再试" in response.text
    assert 'id="login-form"' in response.text
    assert int(response.headers["Retry-After"]) > 0
    assert anonymous.get(f"{API}/scenarios").status_code == 401
    # Another account from the same address is not locked.
    assert _post_login(anonymous, "look", PASSWORD).status_code == 302


def test_the_throttle_message_is_in_the_users_language(small_limits, anonymous):
    for _ in range(3):
        _post_login(anonymous, "plan", "wrong password", query="?lang=en")
    response = _post_login(anonymous, "plan", PASSWORD, query="?lang=en")
    assert response.status_code == 429
    assert "Too many failed logins" in response.text
    assert "15 minutes" in response.text


def test_unknown_accounts_are_throttled_like_known_ones(small_limits, anonymous):
    statuses = [_post_login(anonymous, "nobody", "wrong password").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]


def test_right_passwords_do_not_use_up_the_limit(small_limits, app):
    for _ in range(5):
        client = app.test_client()
        assert _post_login(client, "plan", PASSWORD).status_code == 302


def test_many_accounts_from_one_address_are_throttled(small_limits, anonymous):
    for number in range(5):
        assert _post_login(anonymous, f"guess{number}", "wrong password", address="10.0.0.1").status_code == 401
    assert _post_login(anonymous, "plan", PASSWORD, address="10.0.0.1").status_code == 429
    assert _post_login(anonymous, "plan", PASSWORD, address="10.0.0.2").status_code == 302


def test_the_login_page_itself_is_not_throttled(small_limits, anonymous):
    for _ in range(3):
        _post_login(anonymous, "plan", "wrong password")
    assert anonymous.get("/login").status_code == 200


# --- sessions end on logout and on a password change ---------------------------------------------------------------


def _logged_in_through_the_form(app) -> Client:
    client = app.test_client()
    assert _post_login(client, "plan", PASSWORD).status_code == 302
    client.fetch_token("/")
    return client


def _replay(app, cookie: str) -> Client:
    """A new client holding a copied session cookie."""
    client = app.test_client()
    client.set_cookie("session", cookie)
    return client


def test_a_session_cookie_copied_before_logout_is_refused_after(app):
    client = _logged_in_through_the_form(app)
    copied = client.get_cookie("session").value
    assert _replay(app, copied).get(f"{API}/scenarios").status_code == 200
    assert client.post("/logout", data={"csrf_token": client.csrf_token}).status_code == 302
    replayed = _replay(app, copied)
    assert replayed.get(f"{API}/scenarios").status_code == 401
    assert replayed.get("/").status_code == 302


def test_logout_ends_every_session_of_the_user(app):
    first, second = _logged_in_through_the_form(app), _logged_in_through_the_form(app)
    other = app.test_client()
    assert _post_login(other, "look", PASSWORD).status_code == 302
    first.post("/logout", data={"csrf_token": first.csrf_token})
    assert second.get(f"{API}/scenarios").status_code == 401
    assert other.get(f"{API}/scenarios").status_code == 200
    assert _logged_in_through_the_form(app).get(f"{API}/scenarios").status_code == 200


def test_a_password_change_ends_the_users_sessions(app, store):
    client = _logged_in_through_the_form(app)
    store.set_password("plan", NEW_PASSWORD)
    assert client.get(f"{API}/scenarios").status_code == 401
    fresh = app.test_client()
    assert _post_login(fresh, "plan", PASSWORD).status_code == 401
    assert _post_login(fresh, "plan", NEW_PASSWORD).status_code == 302
    assert fresh.get(f"{API}/scenarios").status_code == 200


@pytest.mark.parametrize("user_id", ["abc", "1:x", "1:2:3", "", "99999", "1:-1"])
def test_a_malformed_or_unknown_session_user_is_anonymous(app, user_id):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user_id
    assert client.get(f"{API}/scenarios").status_code == 401
    assert client.get("/").status_code == 302
