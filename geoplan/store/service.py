"""Planners' scenarios, their decisions and the audit trail, in a real database (SQLAlchemy).

SQLite in the instance folder by default; PostgreSQL by URL (``postgresql+psycopg://...``). The schema is created
and upgraded by Alembic migrations (:meth:`Store.upgrade`), never by ``create_all``.

Every change to a scenario is one transaction that also writes an audit row (who, when, what, before and after),
so a failed change leaves nothing behind. Scenarios carry a version number: a change names the version it was
made on, and a change made on a stale version is refused with :class:`~geoplan.errors.StaleError` instead of
silently overwriting another planner's work. A scenario keeps what it was planned from: its parameters, and the
planner's own data (demand layers, candidate sites, existing stations) as data, not as paths.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.security import check_password_hash, generate_password_hash

from geoplan import files, i18n
from geoplan.errors import InputError, NotFoundError, StaleError
from geoplan.store.checks import DETAIL_FIELDS, SITE_FIELDS, as_version, check_details, check_site, clean_name
from geoplan.store.models import (
    AuditEntry,
    Scenario,
    ScenarioData,
    Site,
    User,
    audit_dict,
    now,
    public_dict,
    scenario_dict,
    site_dict,
    user_dict,
)
from geoplan.store.passwords import check_password
from geoplan.vocabulary import PUBLIC_STATUSES, ROLES

__all__ = ["Store", "default_url"]

_MIGRATIONS = Path(__file__).with_name("migrations")

#: Site columns copied when a scenario is duplicated or a site is changed.
_SITE_VALUES = ("status", "candidate_id", "name", "district", "lon", "lat", "city_level", "covered_workers", "hours",
                "phase")  # fmt: skip

#: Site columns a re-optimisation sets on a proposal it keeps (the planner's details of it stay).
_PROPOSAL_VALUES = ("status", "lon", "lat", "district", "city_level", "covered_workers", "phase")

#: Logged changes :meth:`Store.undo` can take back, from the before-values their audit entries keep.
UNDOABLE = ("accept", "reject", "propose", "city_level", "move", "edit details", "reoptimise", "rename")


def default_url(instance: Path) -> str:
    """SQLite database URL of the default file in an instance folder (created if missing)."""
    instance.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(instance / 'geoplan.sqlite').resolve()}"


@functools.cache
def _dummy_hash() -> str:
    """Return a hash of a random password, made like users' hashes: checked instead when the name is unknown."""
    return generate_password_hash(secrets.token_urlsafe(16))


def _private_sqlite(url: str) -> None:
    """Create a SQLite database file readable by its owner only (it holds password hashes) before SQLite does."""
    location = sa.engine.make_url(url)
    if location.get_backend_name() == "sqlite" and location.database not in (None, "", ":memory:"):
        path = Path(location.database)
        if path.parent.is_dir():
            files.private_file(path)


class Store:
    """The planner database.

    Parameters
    ----------
    url : str
        SQLAlchemy URL: ``sqlite:///path`` or ``postgresql+psycopg://user:pass@host/db``.
    """

    def __init__(self, url: str):
        self.url = url
        _private_sqlite(url)
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

    # --- users -------------------------------------------------------------------------------------------------------

    def add_user(self, username: str, password: str, role: str = "planner") -> dict:
        """Add a user with a hashed password.

        Raises
        ------
        InputError
            Empty or taken user name, a password the policy refuses (:func:`~geoplan.store.passwords.check_password`:
            shorter than 10 characters, simple or common), unknown role.
        """
        username = (username or "").strip()
        if not username or len(username) > 80:
            raise i18n.input_error("user_name_length")
        check_password(password, username)
        if role not in ROLES:
            raise i18n.input_error("unknown_role", role=role, roles=", ".join(ROLES))
        with self._session() as session:
            if session.scalar(sa.select(User).where(User.username == username)) is not None:
                raise i18n.input_error("user_exists", username=username)
            user = User(username=username, password_hash=generate_password_hash(password), role=role)
            session.add(user)
            session.flush()
            return user_dict(user)

    def set_password(self, username: str, password: str) -> dict:
        """Give a user a new password (checked by the policy) and end every login session they have.

        Raises
        ------
        InputError
            A password the policy refuses.
        NotFoundError
            No user of that name.
        """
        username = (username or "").strip()
        check_password(password, username)
        with self._session() as session:
            user = session.scalar(sa.select(User).where(User.username == username))
            if user is None:
                raise i18n.coded_error(NotFoundError, "no_such_user", username=username)
            user.password_hash = generate_password_hash(password)
            user.session_version += 1
            return user_dict(user)

    def remove_user(self, username: str) -> None:
        """Remove a user (their past decisions stay in the audit log under their name)."""
        with self._session() as session:
            user = session.scalar(sa.select(User).where(User.username == username))
            if user is None:
                raise i18n.coded_error(NotFoundError, "no_such_user", username=username)
            session.delete(user)

    def authenticate(self, username: str, password: str) -> dict | None:
        """Return the user when the password is right, else None.

        An unknown user name costs one hash check too (against a dummy hash made the same way), so how long the
        answer takes does not tell whether the account exists.
        """
        with self._session() as session:
            user = session.scalar(sa.select(User).where(User.username == (username or "").strip()))
            stored = _dummy_hash() if user is None else user.password_hash
            if not check_password_hash(stored, password or "") or user is None:
                return None
            return user_dict(user)

    def session_version(self, user_id: int) -> int | None:
        """Return the user's session version (what a login session remembers), or None for no such user."""
        with self._session() as session:
            return session.scalar(sa.select(User.session_version).where(User.id == user_id))

    def session_user(self, user_id: int, version: int) -> dict | None:
        """Return the user of a login session begun under ``version``.

        None when the user is gone or the session was ended since (a logout, a password change).
        """
        with self._session() as session:
            user = session.get(User, user_id)
            return None if user is None or user.session_version != version else user_dict(user)

    def end_sessions(self, user_id: int) -> None:
        """End every login session of a user (raise their session version); nothing for an unknown user."""
        with self._session() as session:
            session.execute(sa.update(User).where(User.id == user_id).values(session_version=User.session_version + 1))

    def user(self, user_id: int) -> dict | None:
        """Return a user by id, or None."""
        with self._session() as session:
            user = session.get(User, user_id)
            return None if user is None else user_dict(user)

    def users(self) -> list[dict]:
        """Return every user, by name."""
        with self._session() as session:
            return [user_dict(u) for u in session.scalars(sa.select(User).order_by(User.username))]

    # --- scenarios ---------------------------------------------------------------------------------------------------

    def scenarios(self) -> list[dict]:
        """Return every scenario (without its sites), newest first."""
        with self._session() as session:
            rows = session.scalars(sa.select(Scenario).order_by(Scenario.updated_at.desc(), Scenario.id.desc()))
            return [scenario_dict(s) for s in rows]

    def scenario(self, scenario_id: int) -> dict:
        """Return a scenario with its sites and the summary of the planner's data it was planned from.

        Raises
        ------
        NotFoundError
        """
        with self._session() as session:
            return _full(session, _get_scenario(session, scenario_id))

    def user_data(self, scenario_id: int) -> dict:
        """Return the planner's data a scenario was planned from (JSON of ``UserData``; ``{}`` when none)."""
        with self._session() as session:
            _get_scenario(session, scenario_id)
            data = session.get(ScenarioData, scenario_id)
            return dict(data.user_data or {}) if data is not None else {}

    def warm_start(self, scenario_id: int) -> str | None:
        """Return the warm start the scenario's last solve left (opaque text), or None."""
        with self._session() as session:
            data = session.get(ScenarioData, scenario_id)
            return None if data is None else data.warm_start

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
        user_data: dict | None = None,
        data_summary: dict | None = None,
        warm_start: str | None = None,
    ) -> dict:
        """Create a scenario, optionally with sites (from a plan run) and the planner's data, and log it.

        Parameters
        ----------
        name, area, user : str
            Scenario name, registered area, who creates it.
        params : dict, optional
            The plan parameters (JSON of ``PlanParameters``).
        stations : int
            Station count the scenario plans for.
        sites : sequence of dict
            Site dicts (see :func:`geoplan.store.checks.check_site`).
        result : dict, optional
            The optimiser's answer.
        source : str
            Where the scenario came from (``geoplan plan``, ``plan``, ``scratch``...).
        user_data, data_summary : dict, optional
            The planner's data (JSON of ``UserData``) and its summary.
        warm_start : str, optional
            The solver's warm start, opaque.

        Returns
        -------
        dict
            The scenario with its sites.
        """
        name = clean_name(name)
        checked = [check_site(s, i) for i, s in enumerate(sites)]
        with self._session() as session:
            scenario = Scenario(name=name, area=area, params=params or {}, stations=int(stations),
                                result=result or {}, source=source, created_by=user)  # fmt: skip
            session.add(scenario)
            session.flush()
            session.add_all(Site(scenario_id=scenario.id, number=i + 1, **s) for i, s in enumerate(checked))
            session.add(ScenarioData(scenario_id=scenario.id, user_data=user_data or {},
                                     summary=data_summary or {}, warm_start=warm_start))  # fmt: skip
            after = {"name": name, "area": area, "source": source, "sites": len(checked)}
            summary = data_summary or {}
            if summary.get("layers") or summary.get("sites") or summary.get("existing"):
                after["user_data"] = summary  # what the planner's own files held
            _log(session, user, scenario.id, None, "create", None, after)
            session.flush()
            return _full(session, scenario)

    def rename_scenario(self, scenario_id: int, name: str, version: int, user: str) -> dict:
        """Rename a scenario."""
        name = clean_name(name)
        with self._session() as session:
            scenario = _claim(session, scenario_id, version)
            before = scenario.name
            scenario.name = name
            _log(session, user, scenario_id, None, "rename", {"name": before}, {"name": name})
            return _full(session, scenario)

    def duplicate_scenario(self, scenario_id: int, name: str, user: str) -> dict:
        """Copy a scenario with all its sites and the planner's data under a new name."""
        name = clean_name(name)
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
                values = {**{k: getattr(site, k) for k in _SITE_VALUES}, **details}
                session.add(Site(scenario_id=copy.id, number=site.number, **values))  # a copy keeps the numbers
            data = session.get(ScenarioData, scenario_id)
            if data is not None:
                session.add(ScenarioData(scenario_id=copy.id, user_data=dict(data.user_data or {}),
                                         summary=dict(data.summary or {}), warm_start=data.warm_start))  # fmt: skip
            _log(session, user, copy.id, None, "duplicate", {"scenario": scenario_id}, {"name": name})
            session.flush()
            return _full(session, copy)

    def delete_scenario(self, scenario_id: int, version: int, user: str) -> None:
        """Delete a scenario and its sites (the audit log keeps the record)."""
        with self._session() as session:
            scenario = _claim(session, scenario_id, version)
            _log(session, user, scenario_id, None, "delete", {"name": scenario.name}, None)
            session.execute(sa.delete(Site).where(Site.scenario_id == scenario_id))
            session.execute(sa.delete(ScenarioData).where(ScenarioData.scenario_id == scenario_id))
            session.delete(scenario)

    def set_user_data(
        self, scenario_id: int, version: int, user: str, user_data: dict, data_summary: dict, action: str
    ) -> dict:
        """Replace the planner's data of a scenario (a demand layer or candidate sites uploaded), logged.

        The warm start is dropped: it belongs to the model planned from the old data.
        """
        with self._session() as session:
            scenario = _claim(session, scenario_id, version)
            data = session.get(ScenarioData, scenario_id)
            before = {} if data is None else dict(data.summary or {})
            if data is None:
                session.add(ScenarioData(scenario_id=scenario_id, user_data=user_data, summary=data_summary))
            else:
                data.user_data, data.summary, data.warm_start = user_data, data_summary, None
            _log(session, user, scenario_id, None, action, before, data_summary)
            session.flush()
            return _full(session, scenario)

    # --- decisions ---------------------------------------------------------------------------------------------------

    def update_site(self, scenario_id: int, site_id: int, version: int, user: str, action: str, **changes) -> dict:
        """Change one site (accept, reject, city-level, move...) and log the decision.

        Parameters
        ----------
        scenario_id, site_id : int
        version : int
            The scenario version the planner saw; a different current version raises StaleError.
        user : str
        action : str
            What the planner did, for the audit log (``accept``, ``reject``, ``move``...).
        **changes
            New values of :data:`~geoplan.store.checks.SITE_FIELDS`.

        Returns
        -------
        dict
            The scenario with its sites, at its new version.
        """
        unknown = sorted(set(changes) - set(SITE_FIELDS))
        if unknown:
            raise i18n.input_error("unknown_site_fields", fields=", ".join(unknown))
        with self._session() as session:
            scenario = _claim(session, scenario_id, version)
            site = session.get(Site, site_id)
            if site is None or site.scenario_id != scenario_id:
                raise i18n.coded_error(NotFoundError, "site_not_in_scenario", site=site_id, scenario=scenario_id)
            before = site_dict(site)
            merged = check_site({**{k: before[k] for k in _SITE_VALUES}, **changes}, 0)
            for key, value in merged.items():
                setattr(site, key, value)
            session.flush()
            after = site_dict(site)
            _log(session, user, scenario_id, site_id, action, {k: before.get(k) for k in changes},
                 {k: after.get(k) for k in changes})  # fmt: skip
            return _full(session, scenario)

    def add_sites(self, scenario_id: int, version: int, user: str, sites: Sequence[dict], action: str) -> dict:
        """Add sites (imported existing stations, a planner's own site) in one logged change."""
        checked = [check_site(s, i) for i, s in enumerate(sites)]
        if not checked:
            raise i18n.input_error("no_sites_to_add")
        with self._session() as session:
            scenario = _claim(session, scenario_id, version)
            first = _next_number(_sites(session, scenario_id))
            session.add_all(Site(scenario_id=scenario_id, number=first + i, **s) for i, s in enumerate(checked))
            _log(session, user, scenario_id, None, action, None, {"sites": checked})
            session.flush()
            return _full(session, scenario)

    def replace_proposals(
        self,
        scenario_id: int,
        version: int,
        user: str,
        proposals: Sequence[dict],
        result: dict,
        action: str,
        warm_start: str | None = None,
    ) -> dict:
        """Swap the scenario's proposed sites for new ones (re-optimisation); decided sites are untouched.

        A new proposal on the candidate spot of a current one keeps that site (its id, number and details); the
        other new proposals get the scenario's next free numbers. The audit entry keeps the replaced proposals
        whole (``before["sites"]``), so that :meth:`undo` can bring them back.

        Returns
        -------
        dict
            The scenario with its sites, and ``changes``: the numbers of the sites ``added``, ``removed`` and
            ``kept`` (every site that stayed, decided or proposed).
        """
        checked = [check_site({**s, "status": "proposed"}, i) for i, s in enumerate(proposals)]
        with self._session() as session:
            scenario = _claim(session, scenario_id, version)
            current = _sites(session, scenario_id)
            old = [s for s in current if s.status == "proposed"]
            before = {"proposals": [s.candidate_id for s in old], "result": scenario.result,
                      "sites": [_saved(s) for s in old]}  # fmt: skip
            number = _next_number(current)
            reusable = {s.candidate_id: s for s in old if s.candidate_id}
            added = []
            for values in checked:
                site = reusable.pop(values["candidate_id"], None) if values["candidate_id"] else None
                if site is None:
                    session.add(Site(scenario_id=scenario_id, number=number, **values))
                    added.append(number)
                    number += 1
                    continue
                for key in _PROPOSAL_VALUES:
                    setattr(site, key, values.get(key))
                for key in ("name", "hours"):  # the planner's own name and hours stay
                    if getattr(site, key) is None:
                        setattr(site, key, values.get(key))
            for site in reusable.values():
                session.delete(site)
            scenario.result = dict(result)
            data = session.get(ScenarioData, scenario_id)
            if data is None:
                session.add(ScenarioData(scenario_id=scenario_id, user_data={}, summary={}, warm_start=warm_start))
            else:
                data.warm_start = warm_start
            removed = {s.number for s in reusable.values()}
            changes = {"added": added, "removed": sorted(n for n in removed if n is not None),
                       "kept": sorted(s.number for s in current if s.number not in removed and s.number is not None)}
            _log(session, user, scenario_id, None, action, before,
                 {"proposals": [s["candidate_id"] for s in checked], "result": result,
                  "numbers": changes})  # fmt: skip
            session.flush()
            return {**_full(session, scenario), "changes": changes}

    def undo(self, scenario_id: int, version: int, user: str) -> dict:
        """Take back the scenario's last change, as a new logged change (action ``undo``).

        Only the planner's own last change can be undone, and only one of :data:`UNDOABLE`: a decision on a site
        (its fields come back from the audit entry's before-values), a details edit, a re-optimisation (the
        replaced proposals and result come back, the re-optimisation's new proposals go) or a rename.

        Parameters
        ----------
        scenario_id : int
        version : int
            The scenario version the planner saw; a different current version raises StaleError.
        user : str
            Who undoes; the last change must be theirs.

        Returns
        -------
        dict
            The scenario with its sites at its new version, and ``undone``: the action taken back.

        Raises
        ------
        StaleError
            The version is stale, or the last change is another planner's (coded ``undo_not_yours``).
        InputError
            Nothing to undo, the last change was an undo, or it cannot be undone (coded ``undo_*``).
        """
        with self._session() as session:
            scenario = _claim(session, scenario_id, version)
            last = session.scalar(sa.select(AuditEntry).where(AuditEntry.scenario_id == scenario_id)
                                  .order_by(AuditEntry.id.desc()).limit(1))  # fmt: skip
            if last is None or last.action in ("create", "duplicate"):
                raise i18n.input_error("undo_nothing")
            if last.username != user:
                at = f"{last.at:%Y-%m-%d %H:%M:%S} UTC"
                raise StaleError(i18n.text("error", "undo_not_yours", "en", user=last.username, at=at),
                                 code="undo_not_yours", user=last.username, at=at)  # fmt: skip
            if last.action == "undo":
                raise i18n.input_error("undo_twice")
            if last.action not in UNDOABLE or not isinstance(last.before, dict):
                raise i18n.input_error("undo_cannot", **_action_names(last.action))
            before, after = _take_back(session, scenario, last)
            _log(session, user, scenario_id, last.site_id, "undo", before,
                 {**after, "undone": {"audit": last.id, "action": last.action}})  # fmt: skip
            session.flush()
            return {**_full(session, scenario), "undone": last.action}

    def check_version(self, scenario_id: int, version: int) -> None:
        """Raise StaleError unless the scenario is still at ``version`` (before long work on it)."""
        with self._session() as session:
            scenario = _get_scenario(session, scenario_id)
            if scenario.version != as_version(version):
                raise _stale(session, scenario, version)

    def update_details(self, scenario_id: int, site_id: int, version: int, user: str, details: dict) -> dict:
        """Edit a station's details (name, address, phone, manager, host, hours, services, photos, status, capacity).

        All but ``capacity`` (the people it seats at once, which a capacitated scenario gives an accepted or existing
        station) are public.

        Raises
        ------
        InputError
            Unknown field, unknown service/host/status, text too long, unreadable opening hours, a capacity that is
            no positive whole number.
        """
        values = check_details(details)
        with self._session() as session:
            scenario = _claim(session, scenario_id, version)
            site = session.get(Site, site_id)
            if site is None or site.scenario_id != scenario_id:
                raise i18n.coded_error(NotFoundError, "site_not_in_scenario", site=site_id, scenario=scenario_id)
            before = {k: getattr(site, k) for k in values}
            for key, value in values.items():
                setattr(site, key, value)
            _log(session, user, scenario_id, site_id, "edit details", before, values)
            session.flush()
            return _full(session, scenario)

    def publish(
        self,
        scenario_id: int,
        version: int,
        user: str,
        published: bool,
        *,
        exclude: object = (),
        force: object = (),
    ) -> dict:
        """Publish a scenario (its accepted and existing stations become public) or withdraw it.

        Publishing is refused while a station that would become public lacks its name, address, opening hours or
        status (:data:`PUBLIC_REQUIRED`): the refusal (code ``publish_incomplete``) lists them (``missing``: id,
        number, name and the fields missing). The planner fills them in, or says what to do with each:

        - ``exclude``: ids of sites left off the public side for this publication (kept in the scenario; the next
          publication checks them again);
        - ``force``: ids of incomplete sites published as they are, the list acknowledged site by site. The public
          side tells the truth about them: no status is shown as 规划中 (planned), no hours as 未注明开放时间, and
          neither is ever "open now".

        Both lists go into the ``publish`` audit entry (``after``: ``published``, ``excluded``, ``forced``); the
        public side reads the exclusions from the scenario's newest ``publish`` entry (:meth:`public_stations`).

        Parameters
        ----------
        scenario_id, version : int
        user : str
        published : bool
            True publishes, False withdraws (no checks).
        exclude, force : sequence of int
            Site ids of this scenario's public sites (accepted or existing); ``force`` only incomplete ones.

        Returns
        -------
        dict
            The scenario.

        Raises
        ------
        InputError
            ``publish_incomplete`` (incomplete sites neither excluded nor forced; ``missing`` lists them),
            ``publish_site_ids`` (a list that is not site ids), ``publish_not_public_site`` (an id that is not one
            of the scenario's public sites), ``publish_force_complete`` (a forced site lacks nothing).
        """
        excluded, forced = _site_ids("exclude", exclude), _site_ids("force", force)
        with self._session() as session:
            scenario = _claim(session, scenario_id, version)
            before = scenario.published
            after: dict = {"published": bool(published)}
            if published:
                sites = [s for s in _sites(session, scenario_id) if s.status in PUBLIC_STATUSES]
                after.update(_publication(sites, excluded, forced))
            scenario.published = bool(published)
            _log(session, user, scenario_id, None, "publish" if published else "unpublish", {"published": before},
                 after)  # fmt: skip
            return _full(session, scenario)

    def public_stations(self) -> list[dict]:
        """Return the public stations: accepted and existing sites of published scenarios, public fields only.

        Sites the planner excluded when publishing (the ``excluded`` list of the scenario's newest ``publish``
        audit entry, see :meth:`publish`) are left out.
        """
        with self._session() as session:
            newest = (
                sa.select(sa.func.max(AuditEntry.id))
                .join(Scenario, AuditEntry.scenario_id == Scenario.id)
                .where(AuditEntry.action == "publish", Scenario.published.is_(True))
                .group_by(AuditEntry.scenario_id)
            )
            excluded = {
                int(site_id)
                for after in session.scalars(sa.select(AuditEntry.after).where(AuditEntry.id.in_(newest)))
                for site_id in (after or {}).get("excluded", [])
            }
            rows = session.execute(
                sa.select(Site, Scenario.area)
                .join(Scenario, Site.scenario_id == Scenario.id)
                .where(Scenario.published.is_(True), Site.status.in_(PUBLIC_STATUSES))
                .order_by(Site.id)
            )
            return [public_dict(site, area) for site, area in rows if site.id not in excluded]

    def audit(
        self,
        scenario_id: int | None = None,
        limit: int = 500,
        *,
        user: str | None = None,
        actions: Sequence[str] | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        offset: int = 0,
    ) -> list[dict]:
        """Return the newest decisions first, for one scenario or all, filtered.

        Parameters
        ----------
        scenario_id : int, optional
            Only this scenario's entries.
        limit : int
            Most entries returned (1 to 5000).
        user : str, optional
            Only the entries of this user name (exact).
        actions : sequence of str, optional
            Only entries of these action codes (``accept``, ``edit details``...).
        since, until : datetime, optional
            Only entries at or after ``since`` and before ``until``; a naive datetime is UTC (as stored).
        offset : int
            Entries skipped first (the newer pages), 0 or more.

        Returns
        -------
        list of dict
        """
        query = sa.select(AuditEntry).order_by(AuditEntry.id.desc())
        if scenario_id is not None:
            query = query.where(AuditEntry.scenario_id == scenario_id)
        if user is not None:
            query = query.where(AuditEntry.username == user)
        if actions is not None:
            query = query.where(AuditEntry.action.in_(list(actions)))
        if since is not None:
            query = query.where(AuditEntry.at >= _stored_time(since))
        if until is not None:
            query = query.where(AuditEntry.at < _stored_time(until))
        query = query.offset(max(0, int(offset))).limit(max(1, min(int(limit), 5000)))
        with self._session() as session:
            return [audit_dict(a) for a in session.scalars(query)]


# --- helpers -------------------------------------------------------------------------------------------------------


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _get_scenario(session: Session, scenario_id: int) -> Scenario:
    scenario = session.get(Scenario, scenario_id)
    if scenario is None:
        raise i18n.coded_error(NotFoundError, "scenario_not_found", id=scenario_id)
    return scenario


def _full(session: Session, scenario: Scenario) -> dict:
    """Return the scenario with its sites and the summary of its planner's data."""
    summary = session.scalar(sa.select(ScenarioData.summary).where(ScenarioData.scenario_id == scenario.id))
    return scenario_dict(scenario, _sites(session, scenario.id), summary or None)


def _claim(session: Session, scenario_id: int, version: int) -> Scenario:
    """Move the scenario from ``version`` to the next in one conditional UPDATE, or refuse a stale change."""
    scenario = _get_scenario(session, scenario_id)
    version = as_version(version)
    claimed = session.execute(
        sa.update(Scenario)
        .where(Scenario.id == scenario_id, Scenario.version == version)
        .values(version=Scenario.version + 1, updated_at=now())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        session.refresh(scenario)
        raise _stale(session, scenario, version)
    session.refresh(scenario)
    return scenario


def _stale(session: Session, scenario: Scenario, version: int) -> StaleError:
    """Return the refusal of a change made on an out-of-date copy: who changed it when, on the area's clocks."""
    from geoplan.data.areas import load_registry  # the registry is read only when a change is refused

    last = session.scalar(
        sa.select(AuditEntry).where(AuditEntry.scenario_id == scenario.id).order_by(AuditEntry.id.desc()).limit(1)
    )
    who = {"who": "", "who_zh": "他人"}
    if last is not None:
        try:
            spec = load_registry()[0].get(scenario.area)
        except InputError:
            spec = None
        zone = spec.timezone if spec is not None else "Asia/Shanghai"
        who = {lang_key: i18n.text("error", "stale_by", lang, user=last.username,
                                   at=i18n.format_time(last.at, lang, zone)).strip()
               for lang_key, lang in (("who", "en"), ("who_zh", "zh"))}  # fmt: skip
        who["who"] = " " + who["who"]
    return i18n.coded_error(StaleError, "stale_scenario", name=scenario.name, version=scenario.version,
                            yours=version, **who)  # fmt: skip


def _next_number(sites: Sequence[Site]) -> int:
    """Return the first number after every number the sites hold (1 when none has one)."""
    return max((s.number for s in sites if s.number is not None), default=0) + 1


def _action_names(action: str) -> dict[str, str]:
    """Name a logged action in English and Chinese (``action``, ``action_zh``) for a message."""
    return {"action": action, "action_zh": i18n.text("ui", f"action_{action.replace(' ', '_')}", "zh")}


def _saved(site: Site) -> dict:
    """Return what it takes to bring a removed site back: its number, values and details."""
    return {"number": site.number, **{k: getattr(site, k) for k in (*_SITE_VALUES, *DETAIL_FIELDS)}}


def _take_back(session: Session, scenario: Scenario, entry: AuditEntry) -> tuple[dict, dict]:
    """Restore what an audit entry's before-values say; return the values replaced and restored."""
    saved = entry.before
    if entry.action == "rename":
        before, scenario.name = {"name": scenario.name}, clean_name(saved.get("name"))
        return before, {"name": scenario.name}
    if entry.action == "reoptimise":
        if "sites" not in saved:
            raise i18n.input_error("undo_cannot", **_action_names(entry.action))  # logged before whole proposals were
        current = [s for s in _sites(session, scenario.id) if s.status == "proposed"]
        before = {"result": scenario.result, "numbers": [s.number for s in current]}
        for site in current:
            session.delete(site)
        session.flush()
        for values in saved["sites"]:
            checked = check_site({k: values.get(k) for k in _SITE_VALUES}, 0)
            details = {k: values.get(k) for k in DETAIL_FIELDS if k not in checked}
            session.add(Site(scenario_id=scenario.id, number=values.get("number"), **checked, **details))
        scenario.result = dict(saved.get("result") or {})
        return before, {"result": scenario.result, "numbers": [v.get("number") for v in saved["sites"]]}
    site = session.get(Site, entry.site_id) if entry.site_id is not None else None
    if site is None or site.scenario_id != scenario.id:
        raise i18n.input_error("undo_site_gone")
    values = {k: v for k, v in saved.items() if k in (*SITE_FIELDS, *DETAIL_FIELDS)}
    before = {k: site_dict(site).get(k) for k in values}
    merged = check_site({**{k: getattr(site, k) for k in _SITE_VALUES}, **values}, 0)
    for key, value in {**values, **merged}.items():
        setattr(site, key, value)
    return before, values


#: What a station must state before it is published (:meth:`Store.publish`): its name, address, hours and status.
PUBLIC_REQUIRED = ("name", "address", "hours", "station_status")


def _missing(site: Site) -> list[str]:
    """Return the :data:`PUBLIC_REQUIRED` fields a site leaves empty."""
    return [field for field in PUBLIC_REQUIRED if not (getattr(site, field) or "").strip()]


def _site_ids(field: str, value: object) -> list[int]:
    """Return a list of site ids as a client sent it (JSON integers), or refuse it naming the field."""
    if value is None:
        return []
    if not isinstance(value, list | tuple) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise i18n.input_error("publish_site_ids", field=field, **i18n.shown(value))
    return sorted(set(value))


def _publication(sites: Sequence[Site], excluded: list[int], forced: list[int]) -> dict:
    """Check a publication against the scenario's public sites: the audit's record of it, or the coded refusal."""
    by_id = {site.id: site for site in sites}
    for field, ids in (("exclude", excluded), ("force", forced)):
        unknown = [i for i in ids if i not in by_id]
        if unknown:
            raise i18n.input_error("publish_not_public_site", field=field, site=unknown[0])
    complete = [i for i in forced if not _missing(by_id[i])]
    if complete:
        raise i18n.input_error("publish_force_complete", site=complete[0])
    missing = [
        {"id": site.id, "number": site.number, "name": site.name, "missing": _missing(site)}
        for site in sites
        if _missing(site) and site.id not in excluded and site.id not in forced
    ]
    if missing:
        shown = "、".join(f"#{m['number'] or m['id']}" for m in missing[:10]) + ("…" if len(missing) > 10 else "")
        raise i18n.input_error("publish_incomplete", count=len(missing), sites=shown, missing=missing)
    return {"excluded": excluded, "forced": forced}


def _sites(session: Session, scenario_id: int) -> list[Site]:
    return list(session.scalars(sa.select(Site).where(Site.scenario_id == scenario_id).order_by(Site.id)))


def _log(session: Session, user: str, scenario_id, site_id, action: str, before, after) -> None:
    session.add(AuditEntry(username=user, scenario_id=scenario_id, site_id=site_id, action=action, before=before,
                           after=after))  # fmt: skip


def _stored_time(value: dt.datetime) -> dt.datetime:
    """Return a moment as the audit table stores it: UTC, naive (a naive ``value`` is taken as UTC already)."""
    return value if value.tzinfo is None else value.astimezone(dt.UTC).replace(tzinfo=None)
