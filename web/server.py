"""Serving the web app: one waitress process, or a gunicorn master with several worker processes.

``geoplan serve`` runs :func:`serve`. One process (waitress) answers Python code under one interpreter lock, so it
saturates one core whatever its thread count; ``--workers N`` starts a gunicorn master that forks N worker processes
of the ``gthread`` class, each with ``--threads`` threads and its own app built by :func:`~geoplan_web.create_app`,
so throughput grows with cores. The workers share what must be shared through the outside world: the database, the
secret key (``GEOPLAN_SECRET_KEY``, else the instance folder's key file), the on-disk model cache
(``GEOPLAN_MODEL_CACHE``, written atomically) and, if configured, the rate-limit storage; each keeps its own
in-memory caches.

Before any worker starts, the master builds the app once (``geoplan serve`` does): that runs the Alembic migrations
and makes the instance folder's secret key while only one process exists, so workers starting together find the
schema at its newest revision (their own upgrade is then a read of the version table) and all read the same key.
The app is not preloaded: each worker builds its own after the fork (no database connection crosses a fork).
On Linux the server fixes glibc's mmap threshold first (:func:`fixed_mmap_threshold`), so that memory freed after
large answers goes back to the system instead of growing each process by its peaks.
SIGTERM stops gracefully: the master stops accepting, lets each worker finish its requests (up to
:data:`GRACEFUL_TIMEOUT_S`), then exits.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable

from flask import Flask
from geoplan_web import create_app
from werkzeug.middleware.proxy_fix import ProxyFix

__all__ = ["GRACEFUL_TIMEOUT_S", "MMAP_THRESHOLD_BYTES", "behind_proxies", "fixed_mmap_threshold", "serve"]

#: Seconds a worker may take to finish its requests after SIGTERM (a re-optimisation takes up to 30 s).
GRACEFUL_TIMEOUT_S = 35

#: Seconds a worker may go silent before the master replaces it (gthread workers report from their main thread,
#: so a long request in another thread does not count).
WORKER_TIMEOUT_S = 120


#: Blocks from this size up get a memory map of their own from glibc's malloc, given back to the system when freed.
MMAP_THRESHOLD_BYTES = 128 * 1024

#: mallopt's parameter number of the mmap threshold (glibc's malloc.h).
_M_MMAP_THRESHOLD = -3


def fixed_mmap_threshold(size: int = MMAP_THRESHOLD_BYTES) -> bool:
    """Make glibc's malloc give freed large blocks back to the system: fix its mmap threshold at ``size`` bytes.

    By default glibc raises the threshold each time a mapped block is freed (up to 32 MiB), so that blocks of that
    size then come from the heap and stay there once freed. A server whose requests build and drop large JSON
    answers (the review map's layers, a re-optimisation's figures) then grows by each new peak: 2 workers under the
    soak's planner mix went from 834 to 1,375 MiB in 5 minutes, and stayed flat at about 810 MiB with the threshold
    fixed (docs/benchmarks.md). Call it before the workers fork; they inherit it.

    Returns
    -------
    bool
        Whether the threshold was set: False off Linux, off glibc, or when the environment already sets
        ``MALLOC_MMAP_THRESHOLD_`` (the operator's choice stands).
    """
    if not sys.platform.startswith("linux") or os.environ.get("MALLOC_MMAP_THRESHOLD_"):
        return False
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    return bool(mallopt and mallopt(_M_MMAP_THRESHOLD, size))


def behind_proxies(app: Flask, proxies: int) -> Flask:
    """Trust the ``X-Forwarded-For``, ``-Proto``, ``-Host`` and ``-Port`` headers of ``proxies`` reverse proxies.

    Behind one nginx this is 1: the rate limits then count each client's own address, not the proxy's, and the app
    sees the scheme (https) the client used. With 0 the app is returned as it is (the client is the peer).
    """
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies)
    return app


def serve(app: Flask, config: dict, host: str, port: int, threads: int, workers: int = 1, proxies: int = 0) -> None:
    """Serve until stopped: ``app`` itself under waitress for one worker, else gunicorn with ``workers`` processes.

    Parameters
    ----------
    app : flask.Flask
        The app built from ``config`` in this process (which migrated the database and made the secret key).
        Waitress serves it; gunicorn's workers each build their own after the fork, and this one only proved,
        before any worker started, that the database and the settings work.
    config : dict
        What each gunicorn worker passes to :func:`~geoplan_web.create_app`.
    host, port : str, int
        Address to listen on.
    threads : int
        Threads per worker process.
    workers : int
        Worker processes (1: one waitress process).
    proxies : int
        Trusted reverse proxies in front (see :func:`behind_proxies`).
    """
    fixed_mmap_threshold()
    if workers == 1:
        import waitress

        waitress.serve(behind_proxies(app, proxies), host=host, port=port, threads=threads, ident="geoplan")
        return
    app.extensions["geoplan_store"].engine.dispose()  # no database connection crosses the fork
    options = _gunicorn_options(host, port, threads, workers)
    _gunicorn(lambda: behind_proxies(create_app(config), proxies), options).run()


def _gunicorn_options(host: str, port: int, threads: int, workers: int) -> dict:
    """Return gunicorn's settings for ``workers`` gthread processes of ``threads`` threads on ``host:port``."""
    return {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "preload_app": False,
        "timeout": WORKER_TIMEOUT_S,
        "graceful_timeout": GRACEFUL_TIMEOUT_S,
        "keepalive": 5,
        "proc_name": "geoplan",
        "errorlog": "-",
        "loglevel": "info",
        # Forwarded headers count only through ProxyFix (``proxies``), in waitress and gunicorn alike.
        "secure_scheme_headers": {},
        "forwarder_headers": "",
        # gunicorn >= 25.1 opens a control socket in ~/.gunicorn by default: two servers of one user would share it.
        "control_socket_disable": True,
    }


def _gunicorn(load: Callable[[], Callable], options: dict):
    """Return a gunicorn application: its settings from ``options``, the app built by ``load`` in each worker."""
    from gunicorn.app.base import BaseApplication  # gunicorn is installed on POSIX systems only

    class Gunicorn(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                if key in self.cfg.settings:  # older releases lack the control socket
                    self.cfg.set(key, value)

        def load(self) -> Callable:
            return load()

    return Gunicorn(prog="geoplan serve")
