"""The sites' declared capacity in the planner database: migration 0006, storing, checking and auditing it."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

import geoplan.store
from geoplan import i18n
from geoplan.errors import InputError

SITE = {"status": "existing", "candidate_id": None, "name": "环卫站", "lon": 24.94, "lat": 60.17}


def _alembic(store, command_name: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(geoplan.store.__file__).with_name("migrations")))
    config.set_main_option("sqlalchemy.url", store.url.replace("%", "%%"))
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, command_name)(config, revision)


def test_upgrade_from_0005_adds_capacity_and_keeps_the_sites(store):
    created = store.create_scenario("one", "helsinki", "alice", sites=[SITE, {**SITE, "name": "第二站"}])
    _alembic(store, "downgrade", "0005")
    assert "capacity" not in {c["name"] for c in sa.inspect(store.engine).get_columns("sites")}
    store.upgrade()
    sites = store.scenario(created["id"])["sites"]
    assert [(s["name"], s["number"], s["capacity"]) for s in sites] == [("环卫站", 1, None), ("第二站", 2, None)]
    with store.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() == "0006"


def test_sites_keep_their_declared_capacity_and_copies_too(store):
    created = store.create_scenario("one", "helsinki", "alice", sites=[{**SITE, "capacity": 12}, SITE])
    assert [s["capacity"] for s in created["sites"]] == [12, None]
    copy = store.duplicate_scenario(created["id"], "copy", "alice")
    assert [s["capacity"] for s in copy["sites"]] == [12, None]


def test_details_edit_capacity_audited_and_refused_when_no_whole_number(store):
    created = store.create_scenario("one", "helsinki", "alice", sites=[SITE])
    site = created["sites"][0]["id"]
    edited = store.update_details(created["id"], site, created["version"], "alice", {"capacity": "8"})
    assert edited["sites"][0]["capacity"] == 8
    entry = store.audit()[0]
    assert (entry["action"], entry["before"], entry["after"]) == ("edit details", {"capacity": None}, {"capacity": 8})
    for bad in (0, -3, 2.5, "两个", True, [3]):
        with pytest.raises(InputError) as caught:
            store.update_details(created["id"], site, edited["version"], "alice", {"capacity": bad})
        assert caught.value.code == "details_capacity_not_whole"
        assert "正整数" in i18n.error_text(caught.value, "zh")
        assert "positive whole number" in i18n.error_text(caught.value, "en")
    assert store.scenario(created["id"])["sites"][0]["capacity"] == 8
    cleared = store.update_details(created["id"], site, edited["version"], "alice", {"capacity": None})
    assert cleared["sites"][0]["capacity"] is None
