"""The SQLite database (password hashes) and its -wal/-shm files are readable by their owner only."""

from __future__ import annotations

import pytest

from geoplan.store import Store

pytestmark = pytest.mark.usefixtures("open_umask")


def test_new_database_and_its_wal_files_are_owner_only(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'geoplan.sqlite'}")
    store.upgrade()
    store.add_user("plan", "secret-pass-1", "planner")
    created = sorted(tmp_path.glob("geoplan.sqlite*"))
    assert {p.name for p in created} >= {"geoplan.sqlite", "geoplan.sqlite-wal"}
    assert {p.name: p.stat().st_mode & 0o777 for p in created} == {p.name: 0o600 for p in created}
    store.engine.dispose()


def test_an_existing_readable_database_is_tightened(tmp_path):
    path = tmp_path / "old.sqlite"
    Store(f"sqlite:///{path}").upgrade()
    path.chmod(0o644)
    store = Store(f"sqlite:///{path}")
    assert path.stat().st_mode & 0o777 == 0o600
    assert store.users() == []
    store.engine.dispose()
