"""The planner database: migrations, users, scenarios, optimistic locking and the audit trail.

Every test runs on SQLite and, when a server answers at :data:`POSTGRES_URL` (``scripts/system-deps.sh`` sets one
up), on PostgreSQL too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

import geoplan.store
from geoplan.errors import InputError, NotFoundError, StaleError
from geoplan.store import Store

PASSWORD = "long enough 1"


def _sites() -> list[dict]:
    return [
        {
            "status": "proposed",
            "candidate_id": "R1",
            "name": "八一广场站",
            "district": "东湖区",
            "lon": 115.9,
            "lat": 28.68,
            "covered_workers": 120.5,
        },
        {"status": "proposed", "candidate_id": "R2", "lon": 115.91, "lat": 28.69, "city_level": True},
        {"status": "accepted", "candidate_id": "R3", "lon": 115.92, "lat": 28.7},
        {"status": "rejected", "candidate_id": "R4", "lon": 115.93, "lat": 28.71},
        {"status": "existing", "candidate_id": None, "name": "工会驿站", "lon": 115.94, "lat": 28.72},
    ]


def _count(store: Store, table: str) -> int:
    with store.engine.connect() as connection:
        return connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()


def _audit_count(store: Store) -> int:
    return _count(store, "audit")


@pytest.fixture
def scenario(store) -> dict:
    """A scenario with one site of each status, created by ``alice``."""
    return store.create_scenario("Plan A", "nanchang", "alice", stations=4, sites=_sites(), source="plan")


# --- migrations --------------------------------------------------------------------------------------------------


def _head() -> str:
    """The newest migration in geoplan/migrations/versions (read from the files, not from the store)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(Path(geoplan.store.__file__).with_name("migrations"))).get_current_head()


def test_upgrade_twice_keeps_schema_and_data(store):
    store.add_user("alice", PASSWORD)
    created = store.create_scenario("kept", "helsinki", "alice", sites=_sites()[:1])
    store.upgrade()
    store.upgrade()
    names = set(sa.inspect(store.engine).get_table_names())
    assert {"users", "scenarios", "sites", "audit", "alembic_version"} <= names
    with store.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all() == [_head()]
    assert [u["username"] for u in store.users()] == ["alice"]
    assert store.scenario(created["id"])["sites"][0]["candidate_id"] == "R1"


def _alembic(store: Store, command_name: str, revision: str) -> None:
    """Run one Alembic command on the store's database, configured as Store.upgrade configures it."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(geoplan.store.__file__).with_name("migrations")))
    config.set_main_option("sqlalchemy.url", store.url.replace("%", "%%"))
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, command_name)(config, revision)


def test_upgrade_from_0004_numbers_the_sites_of_each_scenario(store):
    first = store.create_scenario("one", "helsinki", "alice", sites=_sites()[:3])
    second = store.create_scenario("two", "helsinki", "alice", sites=_sites()[3:])
    _alembic(store, "downgrade", "0004")
    assert "number" not in {c["name"] for c in sa.inspect(store.engine).get_columns("sites")}
    with store.engine.begin() as connection:  # a site added under 0004, after the others
        connection.execute(sa.text("INSERT INTO sites (scenario_id, status, lon, lat, city_level) "
                                   "VALUES (:s, 'accepted', 115.99, 28.7, false)"), {"s": first["id"]})  # fmt: skip
    store.upgrade()
    numbers = {s["candidate_id"]: s["number"] for s in store.scenario(first["id"])["sites"]}
    assert numbers == {"R1": 1, "R2": 2, "R3": 3, None: 4}
    assert [s["number"] for s in store.scenario(second["id"])["sites"]] == [1, 2]
    with store.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() == _head()


def test_a_second_store_on_the_same_database_sees_the_data(store):
    store.add_user("alice", PASSWORD)
    other = Store(store.url)
    try:
        other.upgrade()
        assert other.authenticate("alice", PASSWORD)["username"] == "alice"
    finally:
        other.engine.dispose()


# --- users -------------------------------------------------------------------------------------------------------


def test_passwords_are_hashed_and_checked(store):
    user = store.add_user("alice", PASSWORD, "viewer")
    assert user == {"id": user["id"], "username": "alice", "role": "viewer"}
    with store.engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT password_hash FROM users")).scalar_one()
    assert PASSWORD not in stored
    assert len(stored) > 40
    assert store.authenticate("alice", PASSWORD) == user
    assert store.authenticate(" alice ", PASSWORD) == user
    assert store.authenticate("alice", PASSWORD + "x") is None
    assert store.authenticate("alice", "") is None
    assert store.authenticate("bob", PASSWORD) is None
    assert store.user(user["id"]) == user
    assert store.user(user["id"] + 100) is None


def test_same_password_gives_different_hashes(store):
    store.add_user("alice", PASSWORD)
    store.add_user("bob", PASSWORD)
    with store.engine.connect() as connection:
        hashes = connection.execute(sa.text("SELECT password_hash FROM users")).scalars().all()
    assert len(set(hashes)) == 2


@pytest.mark.parametrize(
    ("username", "password", "role", "message"),
    [
        ("alice", "short", "planner", "at least 10"),
        ("alice", PASSWORD, "admin", "Role 'admin' is unknown"),
        ("", PASSWORD, "planner", "User name"),
        ("   ", PASSWORD, "planner", "User name"),
        ("x" * 81, PASSWORD, "planner", "User name"),
    ],
)
def test_bad_users_are_refused(store, username, password, role, message):
    with pytest.raises(InputError, match=message):
        store.add_user(username, password, role)
    assert store.users() == []


def test_duplicate_user_is_refused(store):
    store.add_user("alice", PASSWORD)
    with pytest.raises(InputError, match="already exists"):
        store.add_user("alice", "another password", "viewer")
    assert store.users() == [{"id": store.users()[0]["id"], "username": "alice", "role": "planner"}]
    assert store.authenticate("alice", "another password") is None


def test_remove_user_keeps_their_decisions(store, scenario):
    store.add_user("alice", PASSWORD)
    store.remove_user("alice")
    assert store.users() == []
    assert store.authenticate("alice", PASSWORD) is None
    assert [e["user"] for e in store.audit(scenario["id"])] == ["alice"]
    with pytest.raises(NotFoundError, match="alice"):
        store.remove_user("alice")


def test_chinese_user_name(store):
    store.add_user("规划员小王", PASSWORD)
    assert store.authenticate("规划员小王", PASSWORD)["username"] == "规划员小王"


# --- scenarios and the audit trail ----------------------------------------------------------------------------------


def test_create_scenario_stores_sites_and_logs_it(store, scenario):
    assert scenario["version"] == 1
    assert scenario["created_by"] == "alice"
    assert [s["status"] for s in scenario["sites"]] == ["proposed", "proposed", "accepted", "rejected", "existing"]
    assert scenario["sites"][1]["city_level"] is True
    assert scenario["sites"][0]["covered_workers"] == pytest.approx(120.5)
    loaded = store.scenario(scenario["id"])
    assert loaded["sites"] == scenario["sites"]
    [entry] = store.audit(scenario["id"])
    assert entry["user"] == "alice"
    assert entry["action"] == "create"
    assert entry["before"] is None
    assert entry["after"] == {"name": "Plan A", "area": "nanchang", "source": "plan", "sites": 5}
    assert [s["id"] for s in store.scenarios()] == [scenario["id"]]
    assert "sites" not in store.scenarios()[0]


def test_chinese_names_round_trip(store):
    created = store.create_scenario("东湖区 爱心驿站 方案（第二版）", "nanchang", "规划员", sites=_sites())
    loaded = store.scenario(created["id"])
    assert loaded["name"] == "东湖区 爱心驿站 方案（第二版）"
    assert loaded["sites"][0]["name"] == "八一广场站"
    assert loaded["sites"][0]["district"] == "东湖区"
    renamed = store.rename_scenario(created["id"], "西湖区方案", 1, "规划员")
    assert renamed["name"] == "西湖区方案"
    entry = store.audit(created["id"])[0]
    assert entry["user"] == "规划员"
    assert entry["before"] == {"name": "东湖区 爱心驿站 方案（第二版）"}
    assert entry["after"] == {"name": "西湖区方案"}


def test_rename_bumps_version_and_logs_before_after(store, scenario):
    renamed = store.rename_scenario(scenario["id"], "  Plan B  ", 1, "bob")
    assert renamed["name"] == "Plan B"
    assert renamed["version"] == 2
    assert store.scenario(scenario["id"])["name"] == "Plan B"
    entry = store.audit(scenario["id"])[0]
    assert (entry["user"], entry["action"], entry["before"], entry["after"]) == (
        "bob",
        "rename",
        {"name": "Plan A"},
        {"name": "Plan B"},
    )


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_bad_scenario_names_are_refused(store, scenario, name):
    with pytest.raises(InputError, match="Scenario name"):
        store.create_scenario(name, "nanchang", "alice")
    with pytest.raises(InputError, match="Scenario name"):
        store.rename_scenario(scenario["id"], name, 1, "alice")
    assert store.scenario(scenario["id"])["version"] == 1
    assert len(store.scenarios()) == 1
    assert _audit_count(store) == 1


def test_duplicate_copies_sites_and_logs_it(store, scenario):
    copy = store.duplicate_scenario(scenario["id"], "Plan A (2)", "bob")
    assert copy["id"] != scenario["id"]
    assert copy["name"] == "Plan A (2)"
    assert copy["version"] == 1
    assert copy["created_by"] == "bob"
    assert copy["stations"] == 4
    assert copy["source"] == f"copy of #{scenario['id']}"

    def strip(site):
        return {k: v for k, v in site.items() if k != "id"}

    assert [strip(s) for s in copy["sites"]] == [strip(s) for s in scenario["sites"]]
    assert not {s["id"] for s in copy["sites"]} & {s["id"] for s in scenario["sites"]}
    [entry] = store.audit(copy["id"])
    assert (entry["user"], entry["action"], entry["before"], entry["after"]) == (
        "bob",
        "duplicate",
        {"scenario": scenario["id"]},
        {"name": "Plan A (2)"},
    )
    # the copy is independent of the original
    store.update_site(copy["id"], copy["sites"][0]["id"], 1, "bob", "reject", status="rejected")
    assert store.scenario(scenario["id"])["sites"][0]["status"] == "proposed"


def test_unknown_scenario(store):
    with pytest.raises(NotFoundError, match="Scenario 99"):
        store.scenario(99)
    with pytest.raises(NotFoundError):
        store.rename_scenario(99, "x", 1, "alice")
    with pytest.raises(NotFoundError):
        store.duplicate_scenario(99, "x", "alice")
    assert _audit_count(store) == 0


# --- decisions and optimistic locking -------------------------------------------------------------------------------


def test_update_site_saves_and_logs_before_after(store, scenario):
    site = scenario["sites"][0]
    updated = store.update_site(scenario["id"], site["id"], 1, "bob", "accept", status="accepted")
    assert updated["version"] == 2
    assert updated["sites"][0]["status"] == "accepted"
    assert store.scenario(scenario["id"])["sites"][0]["status"] == "accepted"
    entry = store.audit(scenario["id"])[0]
    assert (entry["user"], entry["action"], entry["site_id"]) == ("bob", "accept", site["id"])
    assert entry["before"] == {"status": "proposed"}
    assert entry["after"] == {"status": "accepted"}


def test_move_logs_old_and_new_position(store, scenario):
    site = scenario["sites"][1]
    store.update_site(scenario["id"], site["id"], 1, "bob", "move", lon=115.95, lat=28.75, candidate_id="R9")
    entry = store.audit(scenario["id"])[0]
    assert entry["before"] == {"lon": 115.91, "lat": 28.69, "candidate_id": "R2"}
    assert entry["after"] == {"lon": 115.95, "lat": 28.75, "candidate_id": "R9"}


def test_stale_version_is_refused_and_nothing_is_saved(store, scenario):
    site = scenario["sites"][0]
    store.rename_scenario(scenario["id"], "Plan B", 1, "bob")  # version 2 now
    before = store.scenario(scenario["id"])
    audit_rows = _audit_count(store)
    with pytest.raises(StaleError, match=r"changed by bob .*version 2, yours 1.*not saved"):
        store.update_site(scenario["id"], site["id"], 1, "alice", "reject", status="rejected")
    with pytest.raises(StaleError):
        store.rename_scenario(scenario["id"], "Plan C", 1, "alice")
    with pytest.raises(StaleError):
        store.add_sites(scenario["id"], 1, "alice", [{"status": "existing", "lon": 1, "lat": 2}], "import")
    with pytest.raises(StaleError):
        store.replace_proposals(scenario["id"], 1, "alice", [], {"gap": 0}, "reoptimise")
    with pytest.raises(StaleError):
        store.check_version(scenario["id"], 1)
    with pytest.raises(StaleError):
        store.delete_scenario(scenario["id"], 3, "alice")
    assert store.scenario(scenario["id"]) == before
    assert _audit_count(store) == audit_rows
    store.check_version(scenario["id"], 2)  # the current version passes


def test_two_planners_on_one_version_only_the_first_wins(store, scenario):
    other = Store(store.url)
    try:
        first = store.update_site(scenario["id"], scenario["sites"][0]["id"], 1, "alice", "accept", status="accepted")
        with pytest.raises(StaleError):
            other.update_site(scenario["id"], scenario["sites"][0]["id"], 1, "bob", "reject", status="rejected")
    finally:
        other.engine.dispose()
    assert store.scenario(scenario["id"]) == first
    assert [e["user"] for e in store.audit(scenario["id"])] == ["alice", "alice"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"lon": 500.0}, "lon 500.0 is outside"),
        ({"lat": "north"}, "lat must be a number"),
        ({"status": "maybe"}, "status 'maybe' is unknown"),
        ({"colour": "red"}, "Unknown site field"),
    ],
)
def test_failed_update_leaves_data_unchanged(store, scenario, changes, message):
    before = store.scenario(scenario["id"])
    with pytest.raises(InputError, match=message):
        store.update_site(scenario["id"], scenario["sites"][0]["id"], 1, "alice", "move", **changes)
    assert store.scenario(scenario["id"]) == before
    assert before["version"] == 1
    assert _audit_count(store) == 1


def test_site_of_another_scenario_is_refused(store, scenario):
    other = store.create_scenario("other", "nanchang", "alice", sites=_sites()[:1])
    with pytest.raises(NotFoundError, match="not part of scenario"):
        store.update_site(scenario["id"], other["sites"][0]["id"], 1, "alice", "accept", status="accepted")
    assert store.scenario(scenario["id"])["version"] == 1
    assert store.scenario(other["id"])["sites"][0]["status"] == "proposed"


@pytest.mark.parametrize("version", [None, "two", [1]])
def test_version_must_be_a_number(store, scenario, version):
    with pytest.raises(InputError, match="version"):
        store.update_site(scenario["id"], scenario["sites"][0]["id"], version, "alice", "accept", status="accepted")
    assert store.scenario(scenario["id"])["version"] == 1


def test_add_sites_checks_every_site_first(store, scenario):
    bad = [{"status": "existing", "lon": 115.0, "lat": 28.0}, {"status": "existing", "lon": 115.0}]
    with pytest.raises(InputError, match="site 2: lat"):
        store.add_sites(scenario["id"], 1, "alice", bad, "import")
    with pytest.raises(InputError, match="No sites"):
        store.add_sites(scenario["id"], 1, "alice", [], "import")
    assert len(store.scenario(scenario["id"])["sites"]) == 5
    added = store.add_sites(scenario["id"], 1, "alice", bad[:1], "import")
    assert added["version"] == 2
    assert added["sites"][-1]["status"] == "existing"
    entry = store.audit(scenario["id"])[0]
    assert entry["action"] == "import"
    assert entry["after"]["sites"][0]["lon"] == 115.0


def test_replace_proposals_keeps_decided_sites(store, scenario):
    decided = {s["id"]: s for s in scenario["sites"] if s["status"] != "proposed"}
    new = [{"candidate_id": "R7", "lon": 115.97, "lat": 28.77, "status": "accepted"}]
    result = {"objective": 10.0, "gap": 0.0}
    replaced = store.replace_proposals(scenario["id"], 1, "bob", new, result, "reoptimise")
    assert replaced["version"] == 2
    assert replaced["result"] == result
    by_id = {s["id"]: s for s in replaced["sites"]}
    for site_id, site in decided.items():
        assert by_id[site_id] == site
    proposed = [s for s in replaced["sites"] if s["status"] == "proposed"]
    assert [s["candidate_id"] for s in proposed] == ["R7"]  # forced to proposed whatever was sent
    assert len(replaced["sites"]) == 4
    entry = store.audit(scenario["id"])[0]
    assert (entry["user"], entry["action"]) == ("bob", "reoptimise")
    assert entry["before"]["proposals"] == ["R1", "R2"]
    assert entry["after"] == {"proposals": ["R7"], "result": result,
                              "numbers": {"added": [6], "removed": [1, 2], "kept": [3, 4, 5]}}  # fmt: skip


def test_replace_proposals_with_a_bad_site_saves_nothing(store, scenario):
    before = store.scenario(scenario["id"])
    with pytest.raises(InputError, match="site 2: lon"):
        store.replace_proposals(scenario["id"], 1, "bob", [_sites()[0], {"lat": 1.0}], {}, "reoptimise")
    assert store.scenario(scenario["id"]) == before
    assert _audit_count(store) == 1


def test_audit_survives_scenario_deletion(store, scenario):
    store.rename_scenario(scenario["id"], "Plan B", 1, "bob")
    store.delete_scenario(scenario["id"], 2, "carol")
    with pytest.raises(NotFoundError):
        store.scenario(scenario["id"])
    assert _count(store, "sites") == 0
    entries = store.audit(scenario["id"])
    assert [(e["action"], e["user"]) for e in entries] == [("delete", "carol"), ("rename", "bob"), ("create", "alice")]
    assert entries[0]["before"] == {"name": "Plan B"}


def test_audit_lists_newest_first_and_limits(store, scenario):
    other = store.create_scenario("other", "nanchang", "bob")
    for version in range(1, 4):
        store.rename_scenario(scenario["id"], f"name {version}", version, "alice")
    everything = store.audit()
    assert [e["id"] for e in everything] == sorted((e["id"] for e in everything), reverse=True)
    assert len(everything) == 5
    assert {e["scenario_id"] for e in everything} == {scenario["id"], other["id"]}
    assert len(store.audit(scenario["id"], limit=2)) == 2
    assert store.audit(scenario["id"], limit=2)[0]["after"] == {"name": "name 3"}
    assert store.audit(other["id"])[0]["action"] == "create"


# --- site numbers and undo ------------------------------------------------------------------------------------------


def test_site_numbers_start_at_one_and_new_sites_take_the_next(store, scenario):
    assert [s["number"] for s in scenario["sites"]] == [1, 2, 3, 4, 5]
    added = store.add_sites(scenario["id"], 1, "alice", [{"status": "existing", "lon": 115.95, "lat": 28.7}], "import")
    assert [s["number"] for s in added["sites"]] == [1, 2, 3, 4, 5, 6]
    copy = store.duplicate_scenario(scenario["id"], "copy", "alice")
    assert [s["number"] for s in copy["sites"]] == [1, 2, 3, 4, 5, 6]


def test_reoptimise_keeps_numbers_and_a_proposal_on_the_same_spot(store, scenario):
    r1 = scenario["sites"][0]
    store.update_details(scenario["id"], r1["id"], 1, "alice", {"name": "江边驿站", "phone": "0791-86000000"})
    new = [{"candidate_id": "R1", "lon": 115.9, "lat": 28.68, "name": None, "covered_workers": 99.0},
           {"candidate_id": "R8", "lon": 115.98, "lat": 28.78}]  # fmt: skip
    replaced = store.replace_proposals(scenario["id"], 2, "alice", new, {"gap": 0.1}, "reoptimise")
    by_number = {s["number"]: s for s in replaced["sites"]}
    assert sorted(by_number) == [1, 3, 4, 5, 6]  # R2 (#2) went; R8 is #6, not a reused #2
    assert by_number[1]["id"] == r1["id"]
    kept = by_number[1]
    assert (kept["name"], kept["phone"], kept["covered_workers"]) == ("江边驿站", "0791-86000000", 99.0)
    assert by_number[6]["candidate_id"] == "R8"
    assert replaced["changes"] == {"added": [6], "removed": [2], "kept": [1, 3, 4, 5]}


def test_undo_takes_back_a_decision_as_a_new_logged_change(store, scenario):
    site = scenario["sites"][0]
    store.update_site(scenario["id"], site["id"], 1, "alice", "move", candidate_id="R9", lon=115.8, lat=28.6,
                      status="accepted")  # fmt: skip
    undone = store.undo(scenario["id"], 2, "alice")
    assert undone["version"] == 3
    assert undone["undone"] == "move"
    back = next(s for s in undone["sites"] if s["id"] == site["id"])
    assert {k: back[k] for k in ("candidate_id", "lon", "lat", "status")} == {
        "candidate_id": "R1", "lon": 115.9, "lat": 28.68, "status": "proposed"}  # fmt: skip
    entry = store.audit(scenario["id"])[0]
    assert (entry["action"], entry["user"], entry["site_id"]) == ("undo", "alice", site["id"])
    assert entry["before"]["candidate_id"] == "R9"
    assert entry["after"]["undone"]["action"] == "move"
    with pytest.raises(InputError, match="already an undo") as refused:
        store.undo(scenario["id"], 3, "alice")
    assert refused.value.code == "undo_twice"
    assert store.scenario(scenario["id"])["version"] == 3


def test_undo_of_details_and_of_a_reoptimisation(store, scenario):
    site = scenario["sites"][2]
    store.update_details(scenario["id"], site["id"], 1, "alice", {"name": "新名字", "services": ["toilet"]})
    undone = store.undo(scenario["id"], 2, "alice")
    back = next(s for s in undone["sites"] if s["id"] == site["id"])
    assert (back["name"], back["services"]) == (None, [])
    before = store.scenario(scenario["id"])
    store.replace_proposals(scenario["id"], 3, "alice", [{"candidate_id": "R8", "lon": 115.98, "lat": 28.78}],
                            {"gap": 0.2}, "reoptimise")  # fmt: skip
    undone = store.undo(scenario["id"], 4, "alice")
    assert undone["result"] == before["result"]
    keep = ("number", "candidate_id", "status", "name", "lon", "lat", "city_level", "covered_workers")
    shown = [sorted(({k: s[k] for k in keep} for s in d["sites"]), key=lambda s: s["number"]) for d in (undone, before)]
    assert shown[0] == shown[1]


def test_undo_refuses_another_planners_change_a_stale_version_and_nothing_to_undo(store, scenario):
    with pytest.raises(InputError, match="no change to undo"):
        store.undo(scenario["id"], 1, "alice")
    store.update_site(scenario["id"], scenario["sites"][0]["id"], 1, "bob", "accept", status="accepted")
    with pytest.raises(StaleError, match="made by bob") as refused:
        store.undo(scenario["id"], 2, "alice")
    assert refused.value.code == "undo_not_yours"
    with pytest.raises(StaleError):
        store.undo(scenario["id"], 1, "bob")
    store.add_sites(scenario["id"], 2, "bob", [{"status": "existing", "lon": 115.95, "lat": 28.7}], "import")
    with pytest.raises(InputError, match=r"\(import\) cannot be undone"):
        store.undo(scenario["id"], 3, "bob")
    assert store.scenario(scenario["id"])["version"] == 3
    assert store.audit(scenario["id"])[0]["action"] == "import"
