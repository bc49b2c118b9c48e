"""Failed logins from one address lock that address, whoever they name (a live server of its own, small limits).

Separate from test_auth.py: using up the loopback address's limit would refuse that module's other logins, in
whatever order they run.
"""

from __future__ import annotations

import pytest
from _security_helpers import login, login_limits
from _web_helpers import PASSWORD

ACCOUNT_LIMIT = 3
ADDRESS_LIMIT = 5


@pytest.fixture(scope="module", autouse=True)
def _small_login_limits():
    """Start this module's server (``live``, made after autouse fixtures of its scope) with small login limits."""
    with login_limits(ACCOUNT_LIMIT, ADDRESS_LIMIT):
        yield


def _login(live, username: str, password: str) -> int:
    return login(live, username, password)[1].status_code


def test_failures_from_one_address_lock_that_address(live):
    # Each guess names another account, so no account limit is reached: only the address's.
    answers = [_login(live, f"guess{number}", "wrong password") for number in range(ADDRESS_LIMIT)]
    assert answers == [401] * ADDRESS_LIMIT
    assert _login(live, "alice", PASSWORD) == 429
