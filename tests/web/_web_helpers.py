"""Helpers of the web app tests: a CSRF-aware test client, and the real server run as ``geoplan serve``."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask.testing import FlaskClient
from geoplan_web import create_app

PASSWORD = "secret-pass-1"
API = "/api/planner"

#: Plan parameters of a capacitated scenario: long visits, so that capacity binds on Helsinki's few workers (a
#: rider's meal break of an hour).
CAPACITATED_PARAMS = {"capacitated": True, "visit_minutes": {"couriers": 60.0, "sanitation": 40.0}, "time_limit_s": 3.0}

GEOPLAN = Path(sys.executable).with_name("geoplan")

_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
_FORM = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(page: str | bytes) -> str:
    """Return the CSRF token of an HTML page (the ``<meta name="csrf-token">`` every page carries)."""
    text = page.decode() if isinstance(page, bytes) else page
    found = _META.search(text) or _FORM.search(text)
    assert found, "the page carries no CSRF token"
    return found.group(1)


class Client(FlaskClient):
    """A test client that remembers its CSRF token and sends it with changes, as planner.js does."""

    csrf_token: str | None = None

    def fetch_token(self, path: str = "/login") -> str:
        """Read the CSRF token from a page and keep it."""
        response = self.get(path)
        assert response.status_code == 200, response.status_code
        self.csrf_token = csrf_token(response.data)
        return self.csrf_token

    def change(self, url: str, json=None, *, data=None, token: bool = True, **kwargs):
        """POST a change: JSON (or form ``data``) with header ``X-CSRFToken`` unless ``token`` is False."""
        headers = dict(kwargs.pop("headers", {}))
        if token:
            headers["X-CSRFToken"] = self.csrf_token or self.fetch_token()
        return self.post(url, json=json, data=data, headers=headers, **kwargs)

    def log_in(self, username: str, password: str = PASSWORD):
        """Log in through the form (with its CSRF token); return the response."""
        token = self.fetch_token("/login")
        return self.post("/login", data={"username": username, "password": password, "csrf_token": token})


def make_app(folder: Path, **config):
    """Return the app on the SQLite file ``folder/geoplan.sqlite`` (instance folder ``folder/instance``).

    CSRF protection stays on; TESTING is on.
    """
    settings = {
        "INSTANCE_PATH": folder / "instance",
        "DATABASE_URL": f"sqlite:///{folder / 'geoplan.sqlite'}",
        "TESTING": True,
        **config,
    }
    app = create_app(settings)
    app.test_client_class = Client
    return app


# --- the real server -----------------------------------------------------------------------------------------------


def server_environment(instance: Path) -> dict[str, str]:
    """Environment of a ``geoplan`` subprocess: instance folder ``instance``, no inherited database settings."""
    dropped = {"DATABASE_URL", "GEOPLAN_SECRET_KEY", "GEOPLAN_AREA", "GEOPLAN_TILE_URL", "PYTHONPATH"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env["GEOPLAN_INSTANCE"] = str(instance)
    return env


def add_user(database: str, instance: Path, name: str, role: str, password: str = PASSWORD) -> None:
    """Add a user with ``geoplan user add NAME --role ROLE --password-stdin``."""
    done = subprocess.run(
        [str(GEOPLAN), "user", "add", name, "--role", role, "--password-stdin", "--database", database],
        input=password + "\n", capture_output=True, text=True, env=server_environment(instance), timeout=60,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"geoplan user add failed:\n{done.stdout}\n{done.stderr}"


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``geoplan serve`` on 127.0.0.1 as a subprocess; stop it with :meth:`stop`."""

    def __init__(self, database: str, instance: Path, log: Path):
        self.database, self.instance, self.log = database, instance, log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            [str(GEOPLAN), "serve", "--port", str(self.port), "--database", database],
            stdout=self._log, stderr=subprocess.STDOUT, env=server_environment(instance), cwd=instance,
        )  # fmt: skip

    def wait(self, timeout: float = 60.0) -> Server:
        """Wait until the server accepts connections; fail with its log if it dies or never listens."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"geoplan serve exited with {self.process.returncode}:\n{self.output()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                with contextlib.suppress(subprocess.TimeoutExpired):  # block on the server exiting, 0.1 s at most
                    self.process.wait(timeout=0.1)
        self.stop()
        raise AssertionError(f"geoplan serve did not listen on port {self.port} within {timeout} s:\n{self.output()}")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s) and close its log."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()

    def output(self) -> str:
        """Return what the server wrote so far."""
        self._log.flush()
        return self.log.read_text(errors="replace")[-4000:]


def page_api(page, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    """Call the JSON API from a browser page, as planner.js does (same session, CSRF header): (status, body)."""
    answer = page.evaluate(
        """async ([method, path, body]) => {
            const token = document.querySelector('meta[name="csrf-token"]').content;
            const options = { method, headers: { "X-CSRFToken": token, Accept: "application/json" } };
            if (body !== null) {
                options.headers["Content-Type"] = "application/json";
                options.body = JSON.stringify(body);
            }
            const response = await fetch(path, options);
            return { status: response.status, body: await response.json() };
        }""",
        [method, path, body],
    )
    return answer["status"], answer["body"]


@contextmanager
def planner_server(folder: Path) -> Iterator[Server]:
    """``geoplan serve`` on a new SQLite database in ``folder`` with one planner (alice), stopped on leaving."""
    database = f"sqlite:///{folder / 'db.sqlite'}"
    add_user(database, folder, "alice", "planner")
    running = Server(database, folder, folder / "server.log").wait()
    try:
        yield running
    finally:
        running.stop()
