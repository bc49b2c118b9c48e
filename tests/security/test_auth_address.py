"""Failed logins from one address lock that address, whoever they name (a live server of its own, small limits).

Separate from test_auth.py: using up the loopback address's limit would refuse that module's other logins, in
whatever order they run.
"""

from __future__ import annotations

import pytest
from _security_helpers import HTTP_TIMEOUT
from _web_helpers import PASSWORD, csrf_token

ACCOUNT_LIMIT = 3
ADDRESS_LIMIT = 5


@pytest.fixture(scope="module", autouse=True)
def _small_login_limits():
    """Start this module's server (``live``, made after autouse fixtures of its scope) with small login limits."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GEOPLAN_LOGIN_ACCOUNT_LIMIT", f"{ACCOUNT_LIMIT} per 15 minutes")
        patch.setenv("GEOPLAN_LOGIN_ADDRESS_LIMIT", f"{ADDRESS_LIMIT} per 15 minutes")
        yield


def _login(live, username: str, password: str) -> int:
    http = live.session()
    page = http.get(f"{live.url}/login", timeout=HTTP_TIMEOUT)
    form = {"username": username, "password": password, "csrf_token": csrf_token(page.text)}
    return http.post(f"{live.url}/login", data=form, timeout=HTTP_TIMEOUT, allow_redirects=False).status_code


def test_failures_from_one_address_lock_that_address(live):
    # Each guess names another account, so no account limit is reached: only the address's.
    answers = [_login(live, f"guess{number}", "wrong password") for number in range(ADDRESS_LIMIT)]
    assert answers == [401] * ADDRESS_LIMIT
    assert _login(live, "alice", PASSWORD) == 429
