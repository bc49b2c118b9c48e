"""Fixtures of the store tests: an upgraded, empty store on SQLite and, when a server answers at
:data:`POSTGRES_URL` (``scripts/system-deps.sh`` sets one up), on PostgreSQL too."""

from __future__ import annotations

import functools
import os

import pytest
import sqlalchemy as sa

from geoplan.store import Store

#: The PostgreSQL test database (override with GEOPLAN_TEST_POSTGRES); its tables are dropped before each test.
POSTGRES_URL = os.environ.get(
    "GEOPLAN_TEST_POSTGRES", "postgresql+psycopg://geoplan:geoplan@127.0.0.1:5432/geoplan_test"
)


@functools.cache
def _postgres_unavailable() -> str | None:
    """Say why the PostgreSQL tests cannot run, or None when they can."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed: pip install -e '.[postgres]'"
    engine = sa.create_engine(POSTGRES_URL)
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0]
        return f"no PostgreSQL server at {POSTGRES_URL.split('@')[-1]} ({reason}); run scripts/system-deps.sh as root"
    finally:
        engine.dispose()
    return None


def _drop_everything(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        tables = sa.MetaData()
        tables.reflect(engine)
        tables.drop_all(engine)
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    """An upgraded, empty store on SQLite (a temporary file) or on the PostgreSQL test database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    else:
        reason = _postgres_unavailable()
        if reason:
            pytest.skip(reason)
        url = POSTGRES_URL
        _drop_everything(url)
    store = Store(url)
    store.upgrade()
    yield store
    store.engine.dispose()
    if request.param == "postgresql":
        _drop_everything(url)
