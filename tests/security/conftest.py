"""The security suite: probes against a live ``geoplan serve`` on loopback (HTTP through requests, pages in Chromium).

``live`` is one server per module on a fresh SQLite database with planner ``alice``, viewer ``bob`` and one
published scenario of the default area whose first station carries the name ``live.hostile``; ``login`` gives a
requests session logged in through the form, carrying the CSRF token as the pages' scripts do.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))

from _security_helpers import HOSTILE_NAME, HTTP_TIMEOUT
from _web_helpers import PASSWORD, Server, add_user, csrf_token

requests = pytest.importorskip("requests")



class Live:
    """A database, an instance folder, users made with the CLI, a published scenario, and the server on them."""

    def __init__(self, folder: Path, workspace):
        from geoplan.store import Store

        self.folder = folder
        self.database = f"sqlite:///{folder / 'db.sqlite'}"
        add_user(self.database, folder, "alice", "planner")
        add_user(self.database, folder, "bob", "viewer")
        store = Store(self.database)
        store.upgrade()
        sites, result, _ = workspace.propose()
        scenario = store.create_scenario(
            "公开方案", workspace.area.spec.name, "plan", params=workspace.params.to_json(),
            stations=workspace.stations, sites=sites, result=result, source="plan",
        )  # fmt: skip
        version = scenario["version"]
        site = scenario["sites"][0]
        accepted = store.update_site(scenario["id"], site["id"], version, "alice", "accept", status="accepted")
        version = accepted["version"]
        details = {"name": HOSTILE_NAME, "address": HOSTILE_NAME, "hours": "24h", "services": ["drinking_water"],
                   "station_status": "open"}  # publishing refuses a public station without its details
        version = store.update_details(scenario["id"], site["id"], version, "alice", details)["version"]
        store.publish(scenario["id"], version, "alice", True)
        self.scenario_id, self.site_id = scenario["id"], site["id"]
        store.engine.dispose()
        self.server = Server(self.database, folder, folder / "server.log").wait()

    @property
    def url(self) -> str:
        """Base URL of the running server."""
        return self.server.url

    def session(self) -> requests.Session:
        """A fresh, anonymous HTTP session."""
        return requests.Session()

    def login(self, username: str = "alice", password: str = PASSWORD) -> requests.Session:
        """A session logged in through the form; its ``X-CSRFToken`` header is set from the index page."""
        http = self.session()
        page = http.get(f"{self.url}/login", timeout=HTTP_TIMEOUT)
        answer = http.post(f"{self.url}/login", data={"username": username, "password": password,
                                                      "csrf_token": csrf_token(page.text)},
                           timeout=HTTP_TIMEOUT, allow_redirects=False)  # fmt: skip
        assert answer.status_code == 302, (answer.status_code, answer.text[:500])
        index = http.get(f"{self.url}/", timeout=HTTP_TIMEOUT)
        http.headers["X-CSRFToken"] = csrf_token(index.text)
        return http


@pytest.fixture(scope="module")
def live(tmp_path_factory, default_workspace):
    """The running server (one per test module)."""
    deployment = Live(tmp_path_factory.mktemp("live"), default_workspace)
    yield deployment
    deployment.server.stop()


def form_token(text: str) -> str:
    """The CSRF token of a page."""
    return csrf_token(text)


__all__ = ["PASSWORD", "Live", "form_token"]
