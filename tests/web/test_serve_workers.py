"""``geoplan serve --workers N``: gunicorn worker processes that share one database, one secret key, one login.

The real server runs as a subprocess. Which worker answers is made certain, not left to the kernel: the other
worker is paused (SIGSTOP), so only one process can accept a new connection. A login made through one worker is
then used through the other; SIGTERM stops the master and every worker.
"""

from __future__ import annotations

import http.cookiejar
import os
import platform
import select
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from _web_helpers import GEOPLAN, PASSWORD, add_user, csrf_token, free_port, make_app, server_environment
from geoplan_web import server

#: Seconds to wait for anything the server does: it runs on a busy machine, and each worker imports the whole app.
PATIENCE_S = 120.0

pytestmark = pytest.mark.skipif(os.name != "posix", reason="gunicorn runs on POSIX systems only")


def _children(pid: int) -> list[int]:
    """Return the live child processes of ``pid`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return sorted(found)


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _poll(condition, what: str, process: subprocess.Popen, timeout: float = PATIENCE_S):
    """Return ``condition()`` once it is true; fail saying ``what`` was awaited, or at once if ``process`` ends.

    Between polls the test blocks on the server process itself (``wait`` with a short timeout), so its end is seen
    the moment it happens.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        try:
            code = process.wait(timeout=0.1)
        except subprocess.TimeoutExpired:
            continue
        raise AssertionError(f"the server ended (exit code {code}) while waiting for {what}")
    raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")


def _wait_ended(pids: list[int], what: str, timeout: float = PATIENCE_S) -> None:
    """Block until every process of ``pids`` has ended (each watched through a pidfd); fail after ``timeout``."""
    fds = []
    for pid in pids:
        try:
            fds.append(os.pidfd_open(pid))
        except ProcessLookupError:  # already gone
            continue
    try:
        deadline = time.monotonic() + timeout
        waiting = list(fds)
        while waiting:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")
            ended, _, _ = select.select(waiting, [], [], left)
            waiting = [fd for fd in waiting if fd not in ended]
    finally:
        for fd in fds:
            os.close(fd)


@contextmanager
def _paused(pid: int):
    """Pause a process (SIGSTOP) for the block, so that it accepts no connection."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _start(folder: Path, *options: str) -> tuple[subprocess.Popen, int, Path, str, Path]:
    """Start ``geoplan serve OPTIONS`` on a database nobody migrated yet; return (process, port, log, url, instance)."""
    instance = folder / "instance"
    instance.mkdir()
    database = f"sqlite:///{folder / 'fresh.sqlite'}"
    port = free_port()
    log = folder / "server.log"
    with log.open("ab") as output:
        process = subprocess.Popen(
            [str(GEOPLAN), "serve", *options, "--port", str(port), "--database", database],
            stdout=output, stderr=subprocess.STDOUT, env=server_environment(instance), cwd=instance,
        )  # fmt: skip
    return process, port, log, database, instance


def _listening(process: subprocess.Popen, port: int, log: Path) -> bool:
    assert process.poll() is None, f"geoplan serve exited with {process.returncode}:\n{log.read_text()[-4000:]}"
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def workers(tmp_path):
    """``geoplan serve --workers 2 --threads 2``: (process, port, log, database url, instance folder)."""
    started = _start(tmp_path, "--workers", "2", "--threads", "2")
    yield started
    if started[0].poll() is None:
        started[0].kill()
        started[0].wait(timeout=30)


def _get(opener, url: str, **kwargs):
    try:
        with opener.open(url, timeout=PATIENCE_S, **kwargs) as answer:
            return answer.status, answer.read().decode(), answer.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), error.headers


def test_two_workers_share_the_schema_the_secret_key_and_the_login(workers):
    process, port, log, database, instance = workers
    base = f"http://127.0.0.1:{port}"

    _poll(lambda: _listening(process, port, log) and len(_children(process.pid)) == 2, "two workers", process)
    first, second = _children(process.pid)
    assert (instance / "secret_key").exists(), "the master made no secret key before forking"
    add_user(database, instance, "wang", "planner")  # the master migrated the new database before forking

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    with _paused(second):  # only the first worker can answer
        status, page, _ = _get(opener, base + "/login")
        assert status == 200
        form = urllib.parse.urlencode({"username": "wang", "password": PASSWORD, "csrf_token": csrf_token(page)})
        status, _, headers = _get(opener, base + "/login", data=form.encode())
        assert status == 302, "the login was refused"
        assert not headers["Location"].endswith("/login")
        status, page, _ = _get(opener, base + "/")
        assert status == 200
        token = csrf_token(page)
    with _paused(first):  # only the second worker can answer: it honours the first one's session and CSRF token
        status, _, _ = _get(opener, base + "/")
        assert status == 200, "the second worker did not take the first one's login"
        logout = urllib.request.Request(base + "/logout", data=b"", headers={"X-CSRFToken": token}, method="POST")
        status, _, headers = _get(opener, logout)
        assert status == 302
        assert headers["Location"].endswith("/login")
        status, _, _ = _get(opener, base + "/")
        assert status == 302, "still logged in after logging out"
    assert sorted(_children(process.pid)) == [first, second], "a worker was replaced while it was paused"

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=PATIENCE_S) == 0
    _wait_ended([first, second], "both workers to end after SIGTERM")
    assert not _alive(first)
    assert not _alive(second)
    output = log.read_text()
    assert "Handling signal: term" in output
    assert "Traceback" not in output


def test_one_worker_is_waitress(tmp_path):
    """``--workers 1`` (the default) keeps the single waitress process: no child processes."""
    process, port, log, _, _ = _start(tmp_path)
    try:
        _poll(lambda: _listening(process, port, log), "waitress to listen", process)
        status, _, _ = _get(urllib.request.build_opener(), f"http://127.0.0.1:{port}/login")
        assert status == 200
        assert _children(process.pid) == []
        assert "waitress" in log.read_text()
    finally:
        process.terminate()
        process.wait(timeout=PATIENCE_S)


def test_behind_a_proxy_the_limits_count_the_clients_address(tmp_path):
    """With ``proxies=1`` the public rate limit counts X-Forwarded-For's client, not the proxy's address."""
    app = server.behind_proxies(make_app(tmp_path, RATE_LIMIT="2 per minute"), proxies=1)
    client = app.test_client()
    proxy = {"REMOTE_ADDR": "10.0.0.1"}

    def services(client_address: str) -> int:
        return client.get(
            "/api/v1/services", headers={"X-Forwarded-For": client_address}, environ_base=proxy
        ).status_code

    assert [services("203.0.113.7") for _ in range(3)] == [200, 200, 429]
    assert services("198.51.100.2") == 200  # another client behind the same proxy has its own count


def test_without_a_trusted_proxy_forwarded_headers_count_for_nothing(tmp_path):
    app = server.behind_proxies(make_app(tmp_path, RATE_LIMIT="2 per minute"), proxies=0)
    client = app.test_client()
    codes = [client.get("/api/v1/services", headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code
             for n in range(3)]  # fmt: skip
    assert codes == [200, 200, 429]


def test_gunicorn_settings():
    """gthread workers, each building its own app (no preload), no forwarded headers, no shared control socket."""
    cfg = server._gunicorn(lambda: None, server._gunicorn_options("::1", 8000, threads=4, workers=3)).cfg
    assert (cfg.workers, cfg.threads, cfg.worker_class_str, cfg.preload_app) == (3, 4, "gthread", False)
    assert cfg.bind == ["[::1]:8000"]
    assert cfg.graceful_timeout == server.GRACEFUL_TIMEOUT_S
    assert (cfg.secure_scheme_headers, cfg.forwarder_headers) == ({}, [])
    if "control_socket_disable" in cfg.settings:  # gunicorn >= 25.1
        assert cfg.control_socket_disable


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc on Linux only")
def test_mmap_threshold_is_fixed_unless_the_environment_says(monkeypatch):
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    assert server.fixed_mmap_threshold() == (platform.libc_ver()[0] == "glibc")
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "65536")
    assert not server.fixed_mmap_threshold()
