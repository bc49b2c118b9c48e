"""Fixtures of the web app tests: an app on a temporary SQLite file, logged-in clients, a planned scenario.

CSRF protection stays on: clients send the token from the page's ``<meta name="csrf-token">`` like the browser does.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from _web_helpers import PASSWORD, Client, make_app

from geoplan.store import Store

_ENVIRONMENT = ("DATABASE_URL", "GEOPLAN_SECRET_KEY", "GEOPLAN_AREA", "GEOPLAN_TILE_URL")


@pytest.fixture(scope="session")
def _template_database(tmp_path_factory) -> Path:
    """A migrated SQLite file with users ``plan`` (planner) and ``look`` (viewer), made once and copied per test.

    Hashing passwords is slow on purpose (scrypt, ~0.1 s each); copying a file is not.
    """
    folder = tmp_path_factory.mktemp("template")
    store = Store(f"sqlite:///{folder / 'geoplan.sqlite'}")
    store.upgrade()
    store.add_user("plan", PASSWORD, "planner")
    store.add_user("look", PASSWORD, "viewer")
    with store.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.engine.dispose()
    return folder / "geoplan.sqlite"


@pytest.fixture
def app(tmp_path, monkeypatch, _template_database, model_cache):
    """The web app on a temporary SQLite database, with users ``plan`` (planner) and ``look`` (viewer).

    Apps share the session's model cache, so an area is prepared once for all tests.
    """
    for name in _ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    shutil.copyfile(_template_database, tmp_path / "geoplan.sqlite")
    app = make_app(tmp_path, MODELS=model_cache)
    yield app
    app.extensions["geoplan_store"].engine.dispose()


@pytest.fixture
def store(app):
    """The app's store."""
    return app.extensions["geoplan_store"]


@pytest.fixture
def anonymous(app) -> Client:
    """A client that has not logged in (it holds a CSRF token from the login page)."""
    client = app.test_client()
    client.fetch_token()
    return client


def _logged_in(app, username: str) -> Client:
    """A client whose session says ``username`` is logged in (the login form itself is tested in test_api.py)."""
    user = next(u for u in app.extensions["geoplan_store"].users() if u["username"] == username)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user["id"])
        session["_fresh"] = True
    client.fetch_token("/")
    return client


@pytest.fixture
def planner(app) -> Client:
    """A client logged in as planner ``plan``."""
    return _logged_in(app, "plan")


@pytest.fixture
def viewer(app) -> Client:
    """A client logged in as viewer ``look``."""
    return _logged_in(app, "look")


@pytest.fixture(scope="session")
def default_plan(default_workspace) -> tuple[list[dict], dict]:
    """The default area's optimised proposals and solver result (as ``POST /scenarios`` with mode plan makes)."""
    sites, result, _ = default_workspace.propose()
    return sites, result


@pytest.fixture
def plan_scenario(store, default_workspace, default_plan) -> dict:
    """A scenario of the default area's optimised plan, created by planner ``plan``, with its figures.

    Stored as ``POST /scenarios`` with mode plan stores it, without solving again for every test
    (``test_create_from_plan`` checks the endpoint itself).
    """
    sites, result = default_plan
    scenario = store.create_scenario(
        "方案一 plan",
        default_workspace.area.spec.name,
        "plan",
        params=default_workspace.params.to_json(),
        stations=default_workspace.stations,
        sites=sites,
        result=result,
        source="plan",
    )
    scenario["figures"] = default_workspace.evaluate(scenario["sites"])
    assert len(scenario["sites"]) >= 4, "the default area's plan should propose several stations"
    return scenario
