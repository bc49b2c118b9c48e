"""The interface's language: Chinese by default, English on request, from the one catalog of :mod:`geoplan.i18n`.

Planners switch language with one click (kept in a cookie); templates call ``t(key)`` and the JavaScript gets the
whole table (``i18n_table()``), worker groups, services, hosts and station statuses included.
"""

from __future__ import annotations

from flask import Flask, g, request

from geoplan import i18n
from geoplan.vocabulary import LANGUAGES

__all__ = ["LANGUAGES", "init_app", "language", "t", "table"]

#: Catalog sections the web interface shows, and the prefix their keys take in the table (``group_couriers``).
_PREFIXED = {"group": "group_", "service": "service_", "host": "details_host_", "station_status": "details_status_",
             "solve_status": "solve_status_", "solve_status_note": "solve_status_note_"}  # fmt: skip


def language() -> str:
    """Return the request's language: ``?lang=``, else the ``lang`` cookie, else Chinese."""
    chosen = getattr(g, "lang", None)
    if chosen is None:
        chosen = request.args.get("lang") or request.cookies.get("lang") or "zh"
        chosen = chosen if chosen in LANGUAGES else "zh"
        g.lang = chosen
    return chosen


def _table(lang: str) -> dict[str, str]:
    texts = i18n.entries("ui", lang)
    for section, prefix in _PREFIXED.items():
        texts.update({f"{prefix}{key}": value for key, value in i18n.entries(section, lang).items()})
    return texts


_TABLES = {lang: _table(lang) for lang in LANGUAGES}


def t(key: str) -> str:
    """Return the interface text for ``key`` in the request's language (the key itself when unknown)."""
    return _TABLES[language()].get(key, key)


def table() -> dict[str, str]:
    """Return every text in the request's language (handed to the JavaScript)."""
    return dict(_TABLES[language()])


def init_app(app: Flask) -> None:
    """Make ``t``, ``lang`` and the text table available to templates; keep a ``?lang=`` choice in a cookie."""
    app.jinja_env.globals.update(t=t, i18n_table=table, language=language)

    @app.after_request
    def _remember(response):
        chosen = request.args.get("lang")
        # An export's ?lang= picks the language of the file, not of the interface.
        if chosen in LANGUAGES and request.blueprint != "exports":
            response.set_cookie("lang", chosen, max_age=365 * 24 * 3600, samesite="Lax")
        return response
