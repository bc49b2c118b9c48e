"""Browser-side hardening: a Content-Security-Policy without inline script, security headers, ``Secure`` cookies.

Every answer carries the policy and the usual headers; cookies are ``Secure`` when the site is served over HTTPS;
templates show JSON as text (filter ``json_text``).

The pages' scripts are all files under ``/static`` and read their settings (the interface texts, the optional tile
layer) from a ``<script type="application/json" id="geoplan-config">`` block, which the browser never runs; they
build dynamic text with ``textContent``. The policy therefore allows scripts from the site itself only, so a name
that slipped into a page as HTML still could not run script. Styles may be inline (Leaflet positions its panes and
markers through ``style``), images may come from ``data:``/``blob:`` URLs and, when ``TILE_URL`` is set, from the
tile server's host.

Register with :func:`init_app`; set env ``GEOPLAN_HTTPS=1`` (or config ``GEOPLAN_HTTPS=True``) when the app is
served over HTTPS.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from flask import Flask, Response, current_app

__all__ = ["HEADERS", "HSTS", "content_security_policy", "init_app", "tile_source"]

#: Headers every answer carries besides the policy.
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}

#: Strict-Transport-Security sent when the app is served over HTTPS (one year).
HSTS = "max-age=31536000"

#: Values of env ``GEOPLAN_HTTPS`` that mean yes.
_YES = {"1", "true", "yes", "on"}


def tile_source(tile_url: str) -> str | None:
    """Return the CSP source that allows an online tile layer's images.

    Parameters
    ----------
    tile_url : str
        Leaflet tile URL template, e.g. ``https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png``.

    Returns
    -------
    str or None
        ``scheme://host[:port]``, a ``{s}``-style placeholder in the host turned into a ``*.`` wildcard (CSP allows
        one, leftmost); None for an empty or same-site (relative) URL, which ``'self'`` already covers.
    """
    parts = urlsplit(tile_url or "")
    if not parts.scheme or not parts.netloc:
        return None
    host, _, port = parts.netloc.rpartition("@")[2].partition(":")
    labels = host.split(".")
    templated = [i for i, label in enumerate(labels) if "{" in label]
    if templated:
        labels = ["*", *labels[templated[-1] + 1 :]]
    source = f"{parts.scheme}://{'.'.join(labels)}"
    return f"{source}:{port}" if port else source


def content_security_policy(tile_url: str = "") -> str:
    """Return the Content-Security-Policy of every answer.

    Parameters
    ----------
    tile_url : str, optional
        The app's ``TILE_URL``; its host is added to ``img-src``.

    Returns
    -------
    str
        The header's value.
    """
    images = ["'self'", "data:", "blob:"]
    tiles = tile_source(tile_url)
    if tiles:
        images.append(tiles)
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": images,
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def _served_over_https(app: Flask) -> bool:
    flag = app.config.get("GEOPLAN_HTTPS")
    if flag is None:
        flag = os.environ.get("GEOPLAN_HTTPS", "").strip().lower() in _YES
    return bool(flag)


def _json_text(value: object) -> str:
    """JSON of ``value`` as plain text: the template's autoescape escapes it once, so it reads as written."""
    return current_app.json.dumps(value)


def init_app(app: Flask) -> None:
    """Add the security headers to every answer and set the cookie flags; register the ``json_text`` filter.

    Parameters
    ----------
    app : flask.Flask
        The app, its configuration complete (``TILE_URL``, ``GEOPLAN_HTTPS``); the policy is made once, here.
    """
    https = _served_over_https(app)
    app.config["GEOPLAN_HTTPS"] = https
    if https:
        app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    headers = {"Content-Security-Policy": content_security_policy(app.config.get("TILE_URL", "")), **HEADERS}
    if https:
        headers["Strict-Transport-Security"] = HSTS
    app.add_template_filter(_json_text, "json_text")

    @app.after_request
    def _secure_headers(response: Response) -> Response:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response
