"""Store.audit's filters (person, action, time range, paging) on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from geoplan.store.models import AuditEntry

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def _log_some(store) -> dict:
    """Five entries by two planners, placed at known moments (UTC), oldest first."""
    scenario = store.create_scenario("甲", "shanghai", "li", sites=[{"status": "proposed", "lon": 121.5, "lat": 31.2}])
    site = scenario["sites"][0]["id"]
    scenario = store.update_site(scenario["id"], site, scenario["version"], "wang", "accept", status="accepted")
    scenario = store.rename_scenario(scenario["id"], "乙", scenario["version"], "li")
    scenario = store.update_site(scenario["id"], site, scenario["version"], "wang", "reject", status="rejected")
    other = store.create_scenario("丙", "shanghai", "wang", sites=[])
    moments = [dt.datetime(2026, 12, day, 12, 0) for day in (1, 2, 3, 4, 5)]
    with store.engine.begin() as connection:
        ids = connection.execute(sa.select(AuditEntry.id).order_by(AuditEntry.id)).scalars().all()
        for entry_id, at in zip(ids, moments, strict=True):
            connection.execute(sa.update(AuditEntry).where(AuditEntry.id == entry_id).values(at=at))
    return {"scenario": scenario["id"], "other": other["id"]}


def _actions(entries: list[dict]) -> list[str]:
    return [e["action"] for e in entries]


def test_audit_filters_by_person_action_and_scenario(store):
    made = _log_some(store)
    assert _actions(store.audit()) == ["create", "reject", "rename", "accept", "create"]
    assert _actions(store.audit(user="wang")) == ["create", "reject", "accept"]
    assert _actions(store.audit(user="WANG")) == []  # user names are exact
    assert _actions(store.audit(actions=["accept", "reject"])) == ["reject", "accept"]
    assert _actions(store.audit(made["scenario"], user="li")) == ["rename", "create"]
    assert _actions(store.audit(made["other"], actions=["create"])) == ["create"]
    assert store.audit(actions=[]) == []


def test_audit_filters_by_time_range_naive_utc_or_aware(store):
    _log_some(store)
    since, until = dt.datetime(2026, 12, 2, 12, 0), dt.datetime(2026, 12, 4, 12, 0)
    assert _actions(store.audit(since=since, until=until)) == ["rename", "accept"]  # since included, until not
    # The same moments on Beijing clocks (20:00 local is 12:00 UTC).
    local = {"since": dt.datetime(2026, 12, 2, 20, 0, tzinfo=SHANGHAI),
             "until": dt.datetime(2026, 12, 4, 20, 0, tzinfo=SHANGHAI)}  # fmt: skip
    assert _actions(store.audit(**local)) == ["rename", "accept"]
    assert _actions(store.audit(since=dt.datetime(2026, 12, 5, 12, 0, 1))) == []
    assert [e["at"] for e in store.audit(until=dt.datetime(2026, 12, 2))] == ["2026-12-01T12:00:00"]


def test_audit_pages_with_limit_and_offset(store):
    _log_some(store)
    assert _actions(store.audit(limit=2)) == ["create", "reject"]
    assert _actions(store.audit(limit=2, offset=2)) == ["rename", "accept"]
    assert _actions(store.audit(limit=2, offset=4)) == ["create"]
    assert _actions(store.audit(limit=2, offset=6)) == []
    assert _actions(store.audit(user="wang", limit=1, offset=1)) == ["reject"]
