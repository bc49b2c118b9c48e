"""geoplan's web app: the planners' review map (log in, decide, re-optimise, compare) and its JSON API.

Create it with :func:`create_app`; ``geoplan serve`` runs it under waitress.
"""

from __future__ import annotations

import gzip
import os
import secrets
from pathlib import Path

from flask import Flask, jsonify, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFError, CSRFProtect
from geoplan_web import api, auth, exports, i18n, pages, public, public_pages, responses, security
from werkzeug.exceptions import RequestEntityTooLarge

from geoplan import i18n as geoplan_i18n
from geoplan import settings
from geoplan.errors import GeoplanError, InfeasibleError, NotFoundError, StaleError
from geoplan.planning.cache import ModelCache
from geoplan.store import Store, default_url

csrf = CSRFProtect()

#: Per-client limits of the public API (flask-limiter syntax); ``GEOPLAN_RATE_LIMIT`` overrides the first.
PUBLIC_RATE_LIMIT = "600 per minute"
BULK_RATE_LIMIT = "10 per minute"


def create_app(config: dict | None = None) -> Flask:
    """Build the Flask app.

    Parameters
    ----------
    config : dict, optional
        Overrides: ``DATABASE_URL`` (default: env ``DATABASE_URL``, else ``geoplan.sqlite`` in the instance
        folder), ``SECRET_KEY`` (default: env ``GEOPLAN_SECRET_KEY``, else a key kept in the instance folder),
        ``GEOPLAN_AREA`` (default area for new scenarios), ``TILE_URL`` (optional online tile layer; the
        basemap is otherwise drawn from the area's own OSM data), ``INSTANCE_PATH`` (default
        :data:`geoplan.settings.INSTANCE_FOLDER`), ``MODEL_CACHE`` (folder of prepared models kept across
        restarts, default :data:`geoplan.settings.MODEL_CACHE_FOLDER`; None keeps them in memory only),
        ``MODEL_CACHE_SIZE`` (prepared models kept in memory, default 4), ``MODELS`` (a
        :class:`~geoplan.planning.cache.ModelCache` to use instead of making one: several apps of one process,
        tests, may share one), ``LOGIN_ACCOUNT_LIMIT`` and ``LOGIN_ADDRESS_LIMIT`` (failed logins per account and
        per client address, default env ``GEOPLAN_LOGIN_ACCOUNT_LIMIT``, ``GEOPLAN_LOGIN_ADDRESS_LIMIT``, else
        :data:`geoplan_web.auth.LOGIN_ACCOUNT_LIMIT`, :data:`~geoplan_web.auth.LOGIN_ADDRESS_LIMIT`),
        ``RATELIMIT_STORAGE_URI`` (where the rate limits count, default env ``GEOPLAN_RATELIMIT_STORAGE``, else
        ``memory://``: one process; ``redis://host:6379`` lets several worker processes share the counts).

    Returns
    -------
    flask.Flask
    """
    config = dict(config or {})
    instance = Path(config.pop("INSTANCE_PATH", settings.INSTANCE_FOLDER))
    app = Flask(__name__, instance_path=str(instance.resolve()), instance_relative_config=False)
    instance.mkdir(parents=True, exist_ok=True)
    app.config.update(
        DATABASE_URL=os.environ.get("DATABASE_URL") or default_url(instance),
        SECRET_KEY=os.environ.get("GEOPLAN_SECRET_KEY") or _secret_key(instance),
        GEOPLAN_AREA=os.environ.get("GEOPLAN_AREA"),
        TILE_URL=os.environ.get("GEOPLAN_TILE_URL", ""),
        MAX_CONTENT_LENGTH=5 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        JSON_AS_ASCII=False,
        RATE_LIMIT=os.environ.get("GEOPLAN_RATE_LIMIT", PUBLIC_RATE_LIMIT),
        LOGIN_ACCOUNT_LIMIT=os.environ.get("GEOPLAN_LOGIN_ACCOUNT_LIMIT", auth.LOGIN_ACCOUNT_LIMIT),
        LOGIN_ADDRESS_LIMIT=os.environ.get("GEOPLAN_LOGIN_ADDRESS_LIMIT", auth.LOGIN_ADDRESS_LIMIT),
        RATELIMIT_STORAGE_URI=os.environ.get("GEOPLAN_RATELIMIT_STORAGE", "memory://"),
        MODEL_CACHE=settings.MODEL_CACHE_FOLDER,
        MODEL_CACHE_SIZE=4,
    )
    app.config.update(config)
    app.json.ensure_ascii = False
    store = Store(app.config["DATABASE_URL"])
    store.upgrade()
    app.extensions["geoplan_store"] = store
    # Prepared models are shared by every request and every user, and never changed: the cache belongs to the app.
    models = config.get("MODELS") or ModelCache(app.config["MODEL_CACHE"], capacity=app.config["MODEL_CACHE_SIZE"])
    app.extensions["geoplan_models"] = models
    csrf.init_app(app)
    auth.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    app.register_blueprint(auth.blueprint)
    app.register_blueprint(pages.blueprint)
    app.register_blueprint(api.blueprint)
    app.register_blueprint(exports.blueprint)
    limiter = _limiter(app)
    _public(app, limiter)
    auth.throttle(app, limiter)
    _errors(app)
    app.after_request(_compress)
    return app


def _compress(response):
    """Gzip large JSON and GeoJSON answers (waitress does not compress)."""
    if (
        response.direct_passthrough
        or response.status_code != 200
        or "gzip" not in request.headers.get("Accept-Encoding", "")
        or "Content-Encoding" in response.headers
        or not response.mimetype.endswith("json")
    ):
        return response
    body = response.get_data()
    if len(body) < responses.GZIP_MIN_BYTES:
        return response
    response.set_data(gzip.compress(body, compresslevel=responses.GZIP_LEVEL))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    return response


def _limiter(app: Flask) -> Limiter:
    """Return the app's one rate limiter (public API, failed logins), counting in ``RATELIMIT_STORAGE_URI``."""
    return Limiter(get_remote_address, app=app, storage_uri=app.config["RATELIMIT_STORAGE_URI"], headers_enabled=True)


def _public(app: Flask, limiter: Limiter) -> None:
    """Register the public side: no login, no CSRF (nothing it does changes data), rate-limited per address."""
    limiter.limit(lambda: app.config["RATE_LIMIT"])(public.blueprint)
    csrf.exempt(public.blueprint)
    csrf.exempt(public_pages.blueprint)
    app.register_blueprint(public.blueprint)
    app.register_blueprint(public_pages.blueprint)
    # The bulk lookup's own, tighter limit wraps the registered view (decorating the function after the blueprint
    # registered it would limit nothing).
    endpoint = "public_api.bulk_nearest"
    app.view_functions[endpoint] = limiter.limit(BULK_RATE_LIMIT)(app.view_functions[endpoint])


def _secret_key(instance: Path) -> str:
    """Return the session key kept in the instance folder (made once), so logins survive a restart."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _errors(app: Flask) -> None:
    """Answer API errors as JSON with the right status; pages get the plain message."""
    statuses = ((StaleError, 409), (NotFoundError, 404), (InfeasibleError, 422), (GeoplanError, 400))

    @app.errorhandler(GeoplanError)
    def _geoplan_error(error: GeoplanError):
        status = next(code for kind, code in statuses if isinstance(error, kind))
        return jsonify(error=geoplan_i18n.error_text(error, i18n.language()), kind=type(error).__name__), status

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(error: RequestEntityTooLarge):
        megabytes = f'{app.config["MAX_CONTENT_LENGTH"] / 1024 / 1024:g}'
        message = geoplan_i18n.text("error", "upload_too_large", i18n.language(), megabytes=megabytes)
        return jsonify(error=message, kind="TooLarge"), 413

    @app.errorhandler(RateLimitExceeded)
    def _limited(error: RateLimitExceeded):
        if error.response is not None:  # a limit that answers itself: the login form, shown again (auth.throttle)
            return error.response
        message = geoplan_i18n.text("error", "too_many_requests", i18n.language(), limit=error.description)
        response = jsonify(error=message, kind="RateLimited")
        return response, 429

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):
        message = geoplan_i18n.text("error", "security_token", i18n.language(), reason=error.description)
        if request.path.startswith("/api/"):
            return jsonify(error=message, kind="CSRFError"), 400
        return message, 400
