"""Log in and out; who may read and who may change scenarios (planners change, viewers read)."""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import Blueprint, Flask, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from geoplan_web.i18n import t

blueprint = Blueprint("auth", __name__)
_login = LoginManager()


class User(UserMixin):
    """The logged-in person, from the store's user row."""

    def __init__(self, row: dict):
        self.id = row["id"]
        self.username = row["username"]
        self.role = row["role"]

    @property
    def is_planner(self) -> bool:
        """Tell whether this user may change scenarios."""
        return self.role == "planner"


def init_app(app: Flask) -> None:
    """Attach the login manager: pages redirect to the login form, the API answers 401 as JSON."""
    _login.init_app(app)
    _login.login_view = "auth.login"

    @_login.user_loader
    def _load(user_id: str):
        row = app.extensions["geoplan_store"].user(int(user_id))
        return None if row is None else User(row)

    @_login.unauthorized_handler
    def _unauthorized():
        if request.path.startswith("/api/"):
            return jsonify(error="Log in first.", kind="Unauthorized"), 401
        return redirect(url_for("auth.login", next=request.full_path))


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


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form, or log in."""
    if request.method == "POST":
        row = current_app.extensions["geoplan_store"].authenticate(
            request.form.get("username", ""), request.form.get("password", "")
        )
        if row is None:
            flash(t("login_failed"), "error")
            return render_template("login.html"), 401
        login_user(User(row))
        target = request.args.get("next") or ""
        return redirect(target if target.startswith("/") and not target.startswith("//") else url_for("pages.index"))
    return render_template("login.html")


@blueprint.route("/logout", methods=["POST"])
def logout():
    """Log out."""
    logout_user()
    return redirect(url_for("auth.login"))
