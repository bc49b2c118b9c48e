"""Planners' scenarios, their decisions and the audit trail, in a real database (SQLAlchemy).

SQLite under ``instance/`` by default; PostgreSQL by URL (``postgresql+psycopg://...``). The schema is created and
upgraded by Alembic migrations (:meth:`Store.upgrade`), never by ``create_all``.

Every change to a scenario is one transaction that also writes an audit row (who, when, what, before and after),
so a failed change leaves nothing behind. Scenarios carry a version number: a change names the version it was
made on, and a change made on a stale version is refused with :class:`StaleError` instead of silently
overwriting another planner's work.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from werkzeug.security import check_password_hash, generate_password_hash

from geoplan.errors import GeoplanError, InputError

#: Roles: planners change scenarios, viewers only read.
ROLES = ("planner", "viewer")

#: What a site can be in a scenario. Rejected sites stay stored (and are never proposed again).
STATUSES = ("proposed", "accepted", "rejected", "existing")

#: Site fields a planner's change may set.
SITE_FIELDS = ("status", "city_level", "candidate_id", "lon", "lat", "name", "district", "covered_workers")

#: Services a station can offer (the fields provincial station databases list), in display order.
SERVICES = ("drinking_water", "heating_food", "toilet", "rest", "phone_charging", "ebike_charging", "air_conditioning",
            "first_aid", "wifi", "repair_kit", "umbrella", "reading")  # fmt: skip

#: Who hosts a station.
HOSTS = ("union", "bank", "post_office", "fuel_station", "shop", "government", "sanitation_depot", "other")

#: Where a station stands in its life.
STATION_STATUSES = ("planned", "building", "open", "suspended", "closed")

#: Station details a planner edits, with their maximum lengths (lists: services, photos).
DETAIL_FIELDS = {"name": 200, "address": 300, "phone": 60, "manager": 120, "host": 40, "hours": 120,
                 "services": None, "photos": None, "station_status": 20}  # fmt: skip

#: Site statuses shown on the public side (of published scenarios only).
PUBLIC_STATUSES = ("accepted", "existing")

_MIGRATIONS = Path(__file__).with_name("migrations")


class StaleError(GeoplanError):
    """A change was made on an out-of-date copy of a scenario."""


class NotFoundError(InputError):
    """A scenario, site or user does not exist."""


class Base(DeclarativeBase):
    """Declarative base of the planner tables."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class User(Base):
    """A person who can log in."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    role: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)


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
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=_now)


class Site(Base):
    """A proposed, accepted, rejected or existing station position in a scenario (WGS-84)."""

    __tablename__ = "sites"
    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(sa.ForeignKey("scenarios.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16))
    candidate_id: Mapped[str | None] = mapped_column(sa.String(80))
    name: Mapped[str | None] = mapped_column(sa.String(200))
    district: Mapped[str | None] = mapped_column(sa.String(120))
    lon: Mapped[float]
    lat: Mapped[float]
    city_level: Mapped[bool] = mapped_column(default=False)
    covered_workers: Mapped[float | None]
    address: Mapped[str | None] = mapped_column(sa.String(300))
    phone: Mapped[str | None] = mapped_column(sa.String(60))
    manager: Mapped[str | None] = mapped_column(sa.String(120))
    host: Mapped[str | None] = mapped_column(sa.String(40))
    hours: Mapped[str | None] = mapped_column(sa.String(120))
    services: Mapped[list | None] = mapped_column(sa.JSON)
    photos: Mapped[list | None] = mapped_column(sa.JSON)
    station_status: Mapped[str | None] = mapped_column(sa.String(20))


class AuditEntry(Base):
    """One decision: who, when, what, and the values before and after."""

    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=_now, index=True)
    username: Mapped[str] = mapped_column(sa.String(80))
    scenario_id: Mapped[int | None] = mapped_column(index=True)
    site_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(sa.String(40))
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)


def default_url(instance: Path) -> str:
    """SQLite database URL of the default file under an ``instance/`` folder (created if missing)."""
    instance.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(instance / 'geoplan.sqlite').resolve()}"


class Store:
    """The planner database.

    Parameters
    ----------
    url : str
        SQLAlchemy URL: ``sqlite:///path`` or ``postgresql+psycopg://user:pass@host/db``.
    """

    def __init__(self, url: str):
        self.url = url
        options = {"connect_args": {"timeout": 30}} if url.startswith("sqlite") else {"pool_pre_ping": True}
        self.engine = sa.create_engine(url, **options)
        if url.startswith("sqlite"):
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def upgrade(self) -> None:
        """Create or upgrade the schema to the newest migration (Alembic)."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    # ----------------------------------------------------------------------------------------------------------
    # Users
    # ----------------------------------------------------------------------------------------------------------

    def add_user(self, username: str, password: str, role: str = "planner") -> dict:
        """Add a user with a hashed password.

        Raises
        ------
        InputError
            Empty or taken user name, password shorter than 8 characters, unknown role.
        """
        username = (username or "").strip()
        if not username or len(username) > 80:
            raise InputError("User name: give 1 to 80 characters.")
        if len(password or "") < 8:
            raise InputError("Password: give at least 8 characters.")
        if role not in ROLES:
            raise InputError(f"Role {role!r} is unknown: use one of {', '.join(ROLES)}.")
        with self._session() as session:
            if session.scalar(sa.select(User).where(User.username == username)) is not None:
                raise InputError(f"User {username!r} already exists.")
            user = User(username=username, password_hash=generate_password_hash(password), role=role)
            session.add(user)
            session.flush()
            return _user_dict(user)

    def remove_user(self, username: str) -> None:
        """Remove a user (their past decisions stay in the audit log under their name)."""
        with self._session() as session:
            user = session.scalar(sa.select(User).where(User.username == username))
            if user is None:
                raise NotFoundError(f"No user named {username!r}.")
            session.delete(user)

    def authenticate(self, username: str, password: str) -> dict | None:
        """Return the user when the password is right, else None."""
        with self._session() as session:
            user = session.scalar(sa.select(User).where(User.username == (username or "").strip()))
            if user is None or not check_password_hash(user.password_hash, password or ""):
                return None
            return _user_dict(user)

    def user(self, user_id: int) -> dict | None:
        """Return a user by id, or None."""
        with self._session() as session:
            user = session.get(User, user_id)
            return None if user is None else _user_dict(user)

    def users(self) -> list[dict]:
        """Return every user, by name."""
        with self._session() as session:
            return [_user_dict(u) for u in session.scalars(sa.select(User).order_by(User.username))]

    # ----------------------------------------------------------------------------------------------------------
    # Scenarios
    # ----------------------------------------------------------------------------------------------------------

    def scenarios(self) -> list[dict]:
        """Return every scenario (without its sites), newest first."""
        with self._session() as session:
            rows = session.scalars(sa.select(Scenario).order_by(Scenario.updated_at.desc(), Scenario.id.desc()))
            return [_scenario_dict(s) for s in rows]

    def scenario(self, scenario_id: int) -> dict:
        """Return a scenario with its sites.

        Raises
        ------
        NotFoundError
        """
        with self._session() as session:
            scenario = _get_scenario(session, scenario_id)
            return _scenario_dict(scenario, _sites(session, scenario_id))

    def create_scenario(
        self,
        name: str,
        area: str,
        user: str,
        *,
        params: dict | None = None,
        stations: int = 0,
        sites: Sequence[dict] = (),
        result: dict | None = None,
        source: str = "scratch",
    ) -> dict:
        """Create a scenario, optionally with sites (from a plan run), and log it."""
        name = _clean_name(name)
        checked = [_check_site(s, i) for i, s in enumerate(sites)]
        with self._session() as session:
            scenario = Scenario(name=name, area=area, params=params or {}, stations=int(stations),
                                result=result or {}, source=source, created_by=user)  # fmt: skip
            session.add(scenario)
            session.flush()
            session.add_all(Site(scenario_id=scenario.id, **s) for s in checked)
            _log(session, user, scenario.id, None, "create", None, {"name": name, "area": area, "source": source,
                                                                    "sites": len(checked)})  # fmt: skip
            session.flush()
            return _scenario_dict(scenario, _sites(session, scenario.id))

    def rename_scenario(self, scenario_id: int, name: str, version: int, user: str) -> dict:
        """Rename a scenario."""
        name = _clean_name(name)
        with self._session() as session:
            scenario = _claim(session, scenario_id, version)
            before = scenario.name
            scenario.name = name
            _log(session, user, scenario_id, None, "rename", {"name": before}, {"name": name})
            return _scenario_dict(scenario, _sites(session, scenario_id))

    def duplicate_scenario(self, scenario_id: int, name: str, user: str) -> dict:
        """Copy a scenario with all its sites under a new name."""
        name = _clean_name(name)
        with self._session() as session:
            original = _get_scenario(session, scenario_id)
            copy = Scenario(
                name=name, area=original.area, params=dict(original.params), stations=original.stations,
                result=dict(original.result), source=f"copy of #{original.id}", created_by=user,
            )  # fmt: skip
            session.add(copy)
            session.flush()
            for site in _sites(session, scenario_id):
                details = {k: getattr(site, k) for k in DETAIL_FIELDS}  # a copy keeps the stations' details
                session.add(Site(scenario_id=copy.id, **{**_site_values(site), **details}))
            _log(session, user, copy.id, None, "duplicate", {"scenario": scenario_id}, {"name": name})
            session.flush()
            return _scenario_dict(copy, _sites(session, copy.id))

    def delete_scenario(self, scenario_id: int, version: int, user: str) -> None:
        """Delete a scenario and its sites (the audit log keeps the record)."""
        with self._session() as session:
            scenario = _claim(session, scenario_id, version)
            _log(session, user, scenario_id, None, "delete", {"name": scenario.name}, None)
            session.execute(sa.delete(Site).where(Site.scenario_id == scenario_id))
            session.delete(scenario)

    # ----------------------------------------------------------------------------------------------------------
    # Decisions
    # ----------------------------------------------------------------------------------------------------------

    def update_site(self, scenario_id: int, site_id: int, version: int, user: str, action: str, **changes) -> dict:
        """Change one site (accept, reject, city-level, move...) and log the decision.

        Parameters
        ----------
        scenario_id, site_id : int
        version : int
            The scenario version the planner saw; a different current version raises :class:`StaleError`.
        user : str
        action : str
            What the planner did, for the audit log (``accept``, ``reject``, ``move``...).
        **changes
            New values of :data:`SITE_FIELDS`.

        Returns
        -------
        dict
            The scenario with its sites, at its new version.
        """
        unknown = sorted(set(changes) - set(SITE_FIELDS))
        if unknown:
            raise InputError(f"Unknown site field(s): {', '.join(unknown)}.")
        with self._session() as session:
            scenario = _claim(session, scenario_id, version)
            site = session.get(Site, site_id)
            if site is None or site.scenario_id != scenario_id:
                raise NotFoundError(f"Site {site_id} is not part of scenario {scenario_id}.")
            before = _site_dict(site)
            merged = _check_site({**_site_values(before), **changes}, 0)
            for key, value in merged.items():
                setattr(site, key, value)
            session.flush()
            _log(session, user, scenario_id, site_id, action, _changed(before, changes), _changed(_site_dict(site),
                                                                                                  changes))  # fmt: skip
            return _scenario_dict(scenario, _sites(session, scenario_id))

    def add_sites(self, scenario_id: int, version: int, user: str, sites: Sequence[dict], action: str) -> dict:
        """Add sites (imported existing stations, a planner's own site) in one logged change."""
        checked = [_check_site(s, i) for i, s in enumerate(sites)]
        if not checked:
            raise InputError("No sites to add.")
        with self._session() as session:
            scenario = _claim(session, scenario_id, version)
            session.add_all(Site(scenario_id=scenario_id, **s) for s in checked)
            _log(session, user, scenario_id, None, action, None, {"sites": checked})
            session.flush()
            return _scenario_dict(scenario, _sites(session, scenario_id))

    def replace_proposals(
        self, scenario_id: int, version: int, user: str, proposals: Sequence[dict], result: dict, action: str
    ) -> dict:
        """Swap the scenario's proposed sites for new ones (re-optimisation); decided sites are untouched."""
        checked = [_check_site({**s, "status": "proposed"}, i) for i, s in enumerate(proposals)]
        with self._session() as session:
            scenario = _claim(session, scenario_id, version)
            old = [s for s in _sites(session, scenario_id) if s.status == "proposed"]
            before = {"proposals": [s.candidate_id for s in old], "result": scenario.result}
            for site in old:
                session.delete(site)
            session.add_all(Site(scenario_id=scenario_id, **s) for s in checked)
            scenario.result = dict(result)
            _log(session, user, scenario_id, None, action, before,
                 {"proposals": [s["candidate_id"] for s in checked], "result": result})  # fmt: skip
            session.flush()
            return _scenario_dict(scenario, _sites(session, scenario_id))

    def check_version(self, scenario_id: int, version: int) -> None:
        """Raise :class:`StaleError` unless the scenario is still at ``version`` (before long work on it)."""
        with self._session() as session:
            scenario = _get_scenario(session, scenario_id)
            if scenario.version != _as_version(version):
                raise _stale(session, scenario, version)

    def update_details(self, scenario_id: int, site_id: int, version: int, user: str, details: dict) -> dict:
        """Edit a station's public details (name, address, phone, manager, host, hours, services, photos, status).

        Raises
        ------
        InputError
            Unknown field, unknown service/host/status, text too long, unreadable opening hours.
        """
        values = check_details(details)
        with self._session() as session:
            scenario = _claim(session, scenario_id, version)
            site = session.get(Site, site_id)
            if site is None or site.scenario_id != scenario_id:
                raise NotFoundError(f"Site {site_id} is not part of scenario {scenario_id}.")
            before = {k: getattr(site, k) for k in values}
            for key, value in values.items():
                setattr(site, key, value)
            _log(session, user, scenario_id, site_id, "edit details", before, values)
            session.flush()
            return _scenario_dict(scenario, _sites(session, scenario_id))

    def publish(self, scenario_id: int, version: int, user: str, published: bool) -> dict:
        """Publish a scenario (its accepted and existing stations become public) or withdraw it."""
        with self._session() as session:
            scenario = _claim(session, scenario_id, version)
            before = scenario.published
            scenario.published = bool(published)
            _log(session, user, scenario_id, None, "publish" if published else "unpublish", {"published": before},
                 {"published": bool(published)})  # fmt: skip
            return _scenario_dict(scenario, _sites(session, scenario_id))

    def public_stations(self) -> list[dict]:
        """Return the public stations: accepted and existing sites of published scenarios, public fields only."""
        with self._session() as session:
            rows = session.execute(
                sa.select(Site, Scenario.area)
                .join(Scenario, Site.scenario_id == Scenario.id)
                .where(Scenario.published.is_(True), Site.status.in_(PUBLIC_STATUSES))
                .order_by(Site.id)
            )
            return [_public_dict(site, area) for site, area in rows]

    def audit(self, scenario_id: int | None = None, limit: int = 500) -> list[dict]:
        """Return the newest decisions first, for one scenario or all."""
        with self._session() as session:
            query = sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(max(1, min(int(limit), 5000)))
            if scenario_id is not None:
                query = query.where(AuditEntry.scenario_id == scenario_id)
            return [_audit_dict(a) for a in session.scalars(query)]


# --------------------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------------------


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _get_scenario(session: Session, scenario_id: int) -> Scenario:
    scenario = session.get(Scenario, scenario_id)
    if scenario is None:
        raise NotFoundError(f"Scenario {scenario_id} does not exist.")
    return scenario


def _claim(session: Session, scenario_id: int, version: int) -> Scenario:
    """Move the scenario from ``version`` to the next in one conditional UPDATE, or refuse a stale change."""
    scenario = _get_scenario(session, scenario_id)
    version = _as_version(version)
    claimed = session.execute(
        sa.update(Scenario)
        .where(Scenario.id == scenario_id, Scenario.version == version)
        .values(version=Scenario.version + 1, updated_at=_now())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        session.refresh(scenario)
        raise _stale(session, scenario, version)
    session.refresh(scenario)
    return scenario


def _stale(session: Session, scenario: Scenario, version: int) -> StaleError:
    last = session.scalar(
        sa.select(AuditEntry).where(AuditEntry.scenario_id == scenario.id).order_by(AuditEntry.id.desc()).limit(1)
    )
    who = f" by {last.username} at {last.at:%Y-%m-%d %H:%M:%S} UTC" if last is not None else ""
    return StaleError(
        f"Scenario {scenario.name!r} was changed{who} after you loaded it (version {scenario.version}, yours "
        f"{version}); your change was not saved. Reload to see the current plan, then decide again."
    )


def _as_version(version) -> int:
    try:
        return int(version)
    except (TypeError, ValueError):
        raise InputError("version: give the scenario version the change was made on (a whole number).") from None


def _sites(session: Session, scenario_id: int) -> list[Site]:
    return list(session.scalars(sa.select(Site).where(Site.scenario_id == scenario_id).order_by(Site.id)))


def _log(session: Session, user: str, scenario_id, site_id, action: str, before, after) -> None:
    session.add(AuditEntry(username=user, scenario_id=scenario_id, site_id=site_id, action=action, before=before,
                           after=after))  # fmt: skip


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise InputError("Scenario name: give 1 to 200 characters.")
    return name


def _check_site(site: dict, index: int) -> dict:
    """Return the validated column values of a site dict; errors name the site's position and field."""
    where = f"site {index + 1}"
    status = site.get("status", "proposed")
    if status not in STATUSES:
        raise InputError(f"{where}: status {status!r} is unknown; use one of {', '.join(STATUSES)}.")
    values = {"status": status, "city_level": bool(site.get("city_level", False))}
    for key, low, high in (("lon", -180.0, 180.0), ("lat", -90.0, 90.0)):
        try:
            number = float(site[key])
        except (KeyError, TypeError, ValueError):
            raise InputError(f"{where}: {key} must be a number of degrees.") from None
        if not (low <= number <= high):
            raise InputError(f"{where}: {key} {number} is outside {low:g}..{high:g}.")
        values[key] = number
    for key, size in (("candidate_id", 80), ("name", 200), ("district", 120)):
        value = site.get(key)
        values[key] = None if value is None else str(value)[:size]
    covered = site.get("covered_workers")
    values["covered_workers"] = None if covered is None else float(covered)
    return values


def _site_values(site) -> dict:
    data = site if isinstance(site, dict) else _site_dict(site)
    return {k: data.get(k) for k in ("status", "candidate_id", "name", "district", "lon", "lat", "city_level",
                                     "covered_workers")}  # fmt: skip


def _changed(site: dict, changes: dict) -> dict:
    return {k: site.get(k) for k in changes}


def check_details(details: dict) -> dict:
    """Return validated station details; errors name the field."""
    from geoplan.siting.hours import parse_hours

    if not isinstance(details, dict) or not details:
        raise InputError("Send the station details to change (name, address, phone, services...).")
    unknown = sorted(set(details) - set(DETAIL_FIELDS))
    if unknown:
        raise InputError(f"Unknown station field(s): {', '.join(unknown)}; use {', '.join(DETAIL_FIELDS)}.")
    values: dict = {}
    for key, value in details.items():
        if key in ("services", "photos"):
            values[key] = _string_list(key, value)
            continue
        text = None if value is None else str(value).strip() or None
        if text is not None and len(text) > DETAIL_FIELDS[key]:
            raise InputError(f"{key}: at most {DETAIL_FIELDS[key]} characters.")
        values[key] = text
    for key, allowed in (("host", HOSTS), ("station_status", STATION_STATUSES)):
        if values.get(key) is not None and values[key] not in allowed:
            raise InputError(f"{key}: {values[key]!r} is unknown; use one of {', '.join(allowed)}.")
    unknown_services = sorted(set(values.get("services") or ()) - set(SERVICES))
    if unknown_services:
        raise InputError(f"services: {', '.join(unknown_services)} unknown; use {', '.join(SERVICES)}.")
    if values.get("hours"):
        parse_hours(values["hours"])  # raises InputError naming what it could not read
    return values


def _string_list(key: str, value) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [part.strip() for part in value.replace("，", ",").split(",")]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{key}: send a list of texts.")
    cleaned = [v.strip() for v in value if v.strip()]
    if len(cleaned) > 20 or any(len(v) > 500 for v in cleaned):
        raise InputError(f"{key}: at most 20 entries of up to 500 characters.")
    return list(dict.fromkeys(cleaned))


def _public_dict(site: Site, area: str) -> dict:
    """Return the fields the public may see: no candidate ids, planner statuses or coverage figures."""
    return {"id": site.id, "area": area, "name": site.name, "district": site.district, "lon": site.lon,
            "lat": site.lat, "address": site.address, "phone": site.phone, "manager": site.manager,
            "host": site.host, "hours": site.hours, "services": list(site.services or []),
            "photos": list(site.photos or []), "status": site.station_status or "open",
            "level": "city" if site.city_level else "district"}  # fmt: skip


def _user_dict(user: User) -> dict:
    return {"id": user.id, "username": user.username, "role": user.role}


def _site_dict(site: Site) -> dict:
    return {"id": site.id, "status": site.status, "candidate_id": site.candidate_id, "name": site.name,
            "district": site.district, "lon": site.lon, "lat": site.lat, "city_level": bool(site.city_level),
            "covered_workers": site.covered_workers, "address": site.address, "phone": site.phone,
            "manager": site.manager, "host": site.host, "hours": site.hours, "services": site.services or [],
            "photos": site.photos or [], "station_status": site.station_status}  # fmt: skip


def _scenario_dict(scenario: Scenario, sites: Sequence[Site] | None = None) -> dict:
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
        data["sites"] = [_site_dict(s) for s in sites]
    return data


def _audit_dict(entry: AuditEntry) -> dict:
    return {"id": entry.id, "at": entry.at.isoformat(timespec="seconds"), "user": entry.username,
            "scenario_id": entry.scenario_id, "site_id": entry.site_id, "action": entry.action,
            "before": entry.before, "after": entry.after}  # fmt: skip
