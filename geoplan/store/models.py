"""The planner database's tables (SQLAlchemy declarative models) and their plain-dict forms.

The schema is created and upgraded by the Alembic migrations in ``migrations/``, never by ``create_all``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["AuditEntry", "Base", "Scenario", "ScenarioData", "Site", "User"]


def now() -> dt.datetime:
    """Return the current time in UTC, naive (as stored)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    """Declarative base of the planner tables."""


class User(Base):
    """A person who can log in."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    role: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    #: Raised by a logout or a password change: a login session remembers the version it began under and ends when
    #: the user's version moved on.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")


class Scenario(Base):
    """A named set of sites for one study area, with the parameters it was planned with."""

    __tablename__ = "scenarios"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    area: Mapped[str] = mapped_column(sa.String(80))
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    stations: Mapped[int] = mapped_column(default=0)
    result: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    source: Mapped[str] = mapped_column(sa.String(40))
    version: Mapped[int] = mapped_column(default=1)
    published: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[str] = mapped_column(sa.String(80))
    created_at: Mapped[dt.datetime] = mapped_column(default=now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=now)


class ScenarioData(Base):
    """What a scenario was planned from besides its area and parameters, and its solver's warm start.

    ``user_data`` holds the planner's demand layers, candidate sites and existing stations themselves (JSON of
    :class:`geoplan.inputs.user_data.UserData`), ``summary`` what they are (file names and point counts), and
    ``warm_start`` the Lagrangian multipliers of the scenario's last solve (opaque text).
    """

    __tablename__ = "scenario_data"
    scenario_id: Mapped[int] = mapped_column(sa.ForeignKey("scenarios.id", ondelete="CASCADE"), primary_key=True)
    user_data: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    summary: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    warm_start: Mapped[str | None] = mapped_column(sa.Text)


class Site(Base):
    """A proposed, accepted, rejected or existing station position in a scenario (WGS-84)."""

    __tablename__ = "sites"
    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(sa.ForeignKey("scenarios.id", ondelete="CASCADE"), index=True)
    #: The site's number in its scenario (#1, #2 ...): kept while the site stays, never given to another site of the
    #: scenario while it does; new sites get the next numbers.
    number: Mapped[int | None]
    status: Mapped[str] = mapped_column(sa.String(16))
    candidate_id: Mapped[str | None] = mapped_column(sa.String(80))
    name: Mapped[str | None] = mapped_column(sa.String(200))
    district: Mapped[str | None] = mapped_column(sa.String(120))
    lon: Mapped[float]
    lat: Mapped[float]
    city_level: Mapped[bool] = mapped_column(default=False)
    covered_workers: Mapped[float | None]
    phase: Mapped[int | None]
    address: Mapped[str | None] = mapped_column(sa.String(300))
    phone: Mapped[str | None] = mapped_column(sa.String(60))
    manager: Mapped[str | None] = mapped_column(sa.String(120))
    host: Mapped[str | None] = mapped_column(sa.String(40))
    hours: Mapped[str | None] = mapped_column(sa.String(120))
    services: Mapped[list | None] = mapped_column(sa.JSON)
    photos: Mapped[list | None] = mapped_column(sa.JSON)
    station_status: Mapped[str | None] = mapped_column(sa.String(20))
    #: People the station seats at once, as a planner declares it (a positive whole number; None: not declared):
    #: a capacitated scenario gives an accepted or existing station exactly this capacity.
    capacity: Mapped[int | None]


class AuditEntry(Base):
    """One decision: who, when, what, and the values before and after."""

    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=now, index=True)
    username: Mapped[str] = mapped_column(sa.String(80))
    scenario_id: Mapped[int | None] = mapped_column(index=True)
    site_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(sa.String(40))
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)


# --- plain-dict forms -------------------------------------------------------------------------------------------------


def user_dict(user: User) -> dict:
    """Return a user as the store gives it out (never the password hash)."""
    return {"id": user.id, "username": user.username, "role": user.role}


def site_dict(site: Site) -> dict:
    """Return a site with every field, as the planner side sees it."""
    return {"id": site.id, "number": site.number, "status": site.status, "candidate_id": site.candidate_id,
            "name": site.name, "district": site.district, "lon": site.lon, "lat": site.lat,
            "city_level": bool(site.city_level), "covered_workers": site.covered_workers, "phase": site.phase,
            "address": site.address,
            "phone": site.phone, "manager": site.manager, "host": site.host, "hours": site.hours,
            "services": site.services or [], "photos": site.photos or [],
            "station_status": site.station_status, "capacity": site.capacity}  # fmt: skip


def public_dict(site: Site, area: str) -> dict:
    """Return the fields the public may see: no candidate ids, planner statuses or coverage figures.

    ``status`` is the station's own (``station_status``); a station whose status the planner never set is public as
    ``planned`` (规划中): nobody said it is open, so it is never shown or counted as open.
    """
    return {"id": site.id, "area": area, "name": site.name, "district": site.district, "lon": site.lon,
            "lat": site.lat, "address": site.address, "phone": site.phone, "manager": site.manager,
            "host": site.host, "hours": site.hours, "services": list(site.services or []),
            "photos": list(site.photos or []), "status": site.station_status or "planned",
            "level": "city" if site.city_level else "district"}  # fmt: skip


def scenario_dict(scenario: Scenario, sites: Sequence[Site] | None = None, data_summary: dict | None = None) -> dict:
    """Return a scenario (with its sites when given, and the summary of what it was planned from)."""
    data = {
        "id": scenario.id,
        "name": scenario.name,
        "area": scenario.area,
        "params": scenario.params or {},
        "stations": scenario.stations,
        "result": scenario.result or {},
        "source": scenario.source,
        "version": scenario.version,
        "published": bool(scenario.published),
        "created_by": scenario.created_by,
        "created_at": scenario.created_at.isoformat(timespec="seconds"),
        "updated_at": scenario.updated_at.isoformat(timespec="seconds"),
    }
    if sites is not None:
        data["sites"] = [site_dict(s) for s in sites]
        data["user_data"] = data_summary or {"layers": [], "sites": None, "existing": None}
    return data


def audit_dict(entry: AuditEntry) -> dict:
    """Return an audit entry."""
    return {"id": entry.id, "at": entry.at.isoformat(timespec="seconds"), "user": entry.username,
            "scenario_id": entry.scenario_id, "site_id": entry.site_id, "action": entry.action,
            "before": entry.before, "after": entry.after}  # fmt: skip
