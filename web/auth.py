"""Log in and out; who may read and who may change scenarios (planners change, viewers read).

Failed logins are throttled per account and per client address (:func:`throttle`); a login session remembers the
user's session version, and a logout or a password change raises it, which ends every session of that user; after
logging in, ``next`` leads only to a page of this site.
"""

from __future__ import annotations

import functools
import math
import re
import time
import urllib.parse
from collections.abc import Callable

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from geoplan_web.i18n import language, t

from geoplan import i18n

blueprint = Blueprint("auth", __name__)
_login = LoginManager()

#: Failed logins allowed per account and per client address within the window (flask-limiter syntax); the app
#: config's ``LOGIN_ACCOUNT_LIMIT`` and ``LOGIN_ADDRESS_LIMIT`` (env ``GEOPLAN_LOGIN_ACCOUNT_LIMIT``,
#: ``GEOPLAN_LOGIN_ADDRESS_LIMIT``) override them. The window is short: a planner whose account someone tried to
#: guess waits at most 15 minutes after the tries stop.
LOGIN_ACCOUNT_LIMIT = "10 per 15 minutes"
LOGIN_ADDRESS_LIMIT = "30 per 15 minutes"

#: What a login session stores as its user: ``ID:VERSION`` (a bare ``ID``, from before session versions, is 0).
_SESSION_ID = re.compile(r"(\d{1,18})(?::(\d{1,18}))?", re.ASCII)


class User(UserMixin):
    """The logged-in person, from the store's user row, and the session version their login began under."""

    def __init__(self, row: dict, session_version: int):
        self.id = row["id"]
        self.username = row["username"]
        self.role = row["role"]
        self.session_version = session_version

    def get_id(self) -> str:
        """Return what the session stores: the user's id and session version (``ID:VERSION``)."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_planner(self) -> bool:
        """Tell whether this user may change scenarios."""
        return self.role == "planner"


def init_app(app: Flask) -> None:
    """Attach the login manager: pages redirect to the login form, the API answers 401 as JSON."""
    _login.init_app(app)
    _login.login_view = "auth.login"

    @_login.user_loader
    def _load(session_id: str):
        found = _SESSION_ID.fullmatch(session_id or "")
        if found is None:
            return None
        user_id, version = int(found[1]), int(found[2] or 0)
        row = app.extensions["geoplan_store"].session_user(user_id, version)
        return None if row is None else User(row, version)

    @_login.unauthorized_handler
    def _unauthorized():
        if request.path.startswith("/api/"):
            return jsonify(error="Log in first.", kind="Unauthorized"), 401
        return redirect(url_for("auth.login", next=request.full_path))


def throttle(app: Flask, limiter: Limiter) -> None:
    """Limit failed logins per account and per client address (``LOGIN_ACCOUNT_LIMIT``, ``LOGIN_ADDRESS_LIMIT``).

    Only failed tries count, and once a limit is reached even the right password is refused until its window has
    passed: the login form comes back with HTTP 429 and says how long to wait. Unknown user names count like real
    ones, so the limit tells nothing about which accounts exist. The limits are read from the app config on every
    request.
    """
    endpoint = "auth.login"
    view = app.view_functions[endpoint]
    for setting, key in (("LOGIN_ACCOUNT_LIMIT", _account_key), ("LOGIN_ADDRESS_LIMIT", _address_key)):
        limit = functools.partial(_setting, setting)
        view = limiter.limit(limit, key_func=key, methods=["POST"], deduct_when=_failed, on_breach=_throttled)(view)
    # The registered view is wrapped: decorating the function after the blueprint registered it would limit nothing.
    app.view_functions[endpoint] = view


def _setting(name: str) -> str:
    return current_app.config[name]


def _account_key() -> str:
    return "account:" + request.form.get("username", "").strip()[:81]


def _address_key() -> str:
    return "address:" + (get_remote_address() or "")


def _failed(response: Response) -> bool:
    return response.status_code == 401


def _throttled(limit: RequestLimit) -> Response:
    """Show the login form again, with HTTP 429 and how many minutes are left of the limit's window."""
    reset_at = limit.window[0]  # when the window ends, seconds since the epoch (RequestLimit.reset_at adds 1 s)
    minutes = max(1, math.ceil((reset_at - time.time()) / 60))
    message = i18n.text("ui", "login_throttled", language(), minutes=minutes)
    return make_response(render_template("login.html", error=message), 429)


def planner_required(view: Callable) -> Callable:
    """Let only logged-in planners through (viewers get 403)."""

    @functools.wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_planner:
            if request.path.startswith("/api/"):
                return jsonify(error="Only planners may change scenarios; your role is viewer.", kind="Forbidden"), 403
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def safe_next(target: str | None) -> str:
    """Return where a login goes next: ``target`` when it is a path of this site, else the index page.

    Refused: control and other unprintable characters (browsers drop tabs and newlines, so ``/<tab>/evil`` would be
    ``//evil``), backslashes (read as slashes), anything with a scheme or a host, and anything not starting with
    exactly one ``/``.
    """
    index = url_for("pages.index")
    if not target or not target.isprintable() or "\\" in target:
        return index
    if not target.startswith("/") or target.startswith("//"):
        return index
    try:
        parts = urllib.parse.urlsplit(target)
    except ValueError:
        return index
    return index if parts.scheme or parts.netloc else target


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form, or log in."""
    if request.method == "POST":
        store = current_app.extensions["geoplan_store"]
        row = store.authenticate(request.form.get("username", ""), request.form.get("password", ""))
        if row is None:
            return render_template("login.html", error=t("login_failed")), 401
        login_user(User(row, store.session_version(row["id"])))
        return redirect(safe_next(request.args.get("next")))
    return render_template("login.html")


@blueprint.route("/logout", methods=["POST"])
def logout():
    """Log out, which ends every session of the user (on every browser and device)."""
    if current_user.is_authenticated:
        current_app.extensions["geoplan_store"].end_sessions(current_user.id)
    logout_user()
    return redirect(url_for("auth.login"))
