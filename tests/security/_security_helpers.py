"""Constants of the security suite (a module of its own: ``conftest`` names clash between test folders)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from _web_helpers import csrf_token

#: A name that runs script wherever it is put into a page as HTML; the probes look for its side effect.
HOSTILE_NAME = '<img src=x onerror="window.__xss=1">"\'><script>window.__xss=2</script>=HYPERLINK("http://x")'

#: Seconds an HTTP probe may take before the test fails (generous: CI machines are busy).
HTTP_TIMEOUT = 120


@contextlib.contextmanager
def login_limits(account: int, address: int) -> Iterator[None]:
    """Set small login limits in the environment while a module's server (``live``) starts inside this block."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GEOPLAN_LOGIN_ACCOUNT_LIMIT", f"{account} per 15 minutes")
        patch.setenv("GEOPLAN_LOGIN_ADDRESS_LIMIT", f"{address} per 15 minutes")
        yield


def login(live, username: str, password: str, query: str = ""):
    """POST the login form from a fresh session; return the session and the answer (redirects not followed)."""
    http = live.session()
    page = http.get(f"{live.url}/login", timeout=HTTP_TIMEOUT)
    form = {"username": username, "password": password, "csrf_token": csrf_token(page.text)}
    answer = http.post(f"{live.url}/login{query}", data=form, timeout=HTTP_TIMEOUT, allow_redirects=False)
    return http, answer
