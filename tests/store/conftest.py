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
#: Under pytest-xdist each worker gets a database of its own (``geoplan_test_gw0`` …), created on first use from
#: the test database's server (the role has CREATEDB), so that parallel workers never drop each other's tables.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


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


@functools.cache
def _worker_url() -> str:
    """The PostgreSQL URL this test process uses: the test database itself, or one of its own under xdist."""
    if not _WORKER:
        return POSTGRES_URL
    url = sa.engine.make_url(POSTGRES_URL)
    name = f"{url.database}_{_WORKER}"
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name})
            if exists.first() is None:
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


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
        url = _worker_url()
        _drop_everything(url)
    store = Store(url)
    store.upgrade()
    yield store
    store.engine.dispose()
    if request.param == "postgresql":
        _drop_everything(url)
