"""The interface's language and clocks: Chinese by default, English on request, from :mod:`geoplan.i18n`'s catalogs.

Planners switch language with one click (kept in a cookie); templates call ``t(key)`` and the JavaScript gets the
whole table (``i18n_table()``), worker groups, services, hosts and station statuses included.

Flask-Babel runs with two selectors: the locale is the language chosen here (``zh`` -> ``zh_CN``, ``en``), and the
time zone is the area's (:attr:`geoplan.data.areas.AreaSpec.timezone`) when the request is about one area or
scenario (``<area>`` or ``<scenario_id>`` in the URL, or :func:`use_area`), else the default area's. Templates get
Flask-Babel's ``format_datetime`` and ``format_decimal`` and geoplan's ``format_time`` (the zone shown) and
``format_count`` for the request's language and zone.
"""

from __future__ import annotations

import datetime as dt
import functools

from flask import Flask, current_app, g, request
from flask_babel import Babel, format_datetime, format_decimal

from geoplan import i18n
from geoplan.data.areas import load_registry
from geoplan.errors import GeoplanError
from geoplan.vocabulary import LANGUAGES

__all__ = ["LANGUAGES", "babel", "format_count", "format_time", "init_app", "language", "locale", "t", "table",
           "timezone", "use_area"]  # fmt: skip

#: The app's Flask-Babel extension (selectors below).
babel = Babel()

#: The zone of a page about no area in particular when the registry's default area cannot be read.
_FALLBACK_ZONE = "Asia/Shanghai"

#: Catalog sections the web interface shows, and the prefix their keys take in the table (``group_couriers``).
_PREFIXED = {"group": "group_", "service": "service_", "host": "details_host_", "station_status": "details_status_",
             "solve_status": "solve_status_", "solve_status_note": "solve_status_note_",
             "webmap": "webmap_"}  # fmt: skip


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


def locale() -> str:
    """Return the request's Babel locale (Flask-Babel's locale selector): ``zh_CN`` by default, ``en``."""
    return i18n.LOCALES[language()]


def use_area(area: str | None) -> None:
    """Say which area the request is about, so times are shown on its clocks (call before rendering)."""
    g.geoplan_area = area


@functools.cache
def _zones() -> tuple[dict[str, str], str]:
    areas, default = load_registry()
    return {name: spec.timezone for name, spec in areas.items()}, default


def _area_zone(area: str | None) -> str:
    try:
        zones, default = _zones()
    except GeoplanError:
        return _FALLBACK_ZONE
    return zones.get(area or default) or zones.get(default) or _FALLBACK_ZONE


def _request_area() -> str | None:
    """Return the area the request is about: :func:`use_area`, the URL's ``<area>``, its scenario's, or None."""
    if g.get("geoplan_area"):
        return g.geoplan_area
    args = request.view_args or {}
    if args.get("area"):
        return str(args["area"])
    scenario_id = args.get("scenario_id") or request.args.get("scenario", type=int)
    store = current_app.extensions.get("geoplan_store")
    if scenario_id is None or store is None:
        return None
    found = next((row for row in store.scenarios() if row["id"] == scenario_id), None)
    return found["area"] if found else None


def timezone() -> str:
    """Return the request's time zone (Flask-Babel's time zone selector): the zone of the area it is about."""
    zone = g.get("geoplan_timezone")
    if zone is None:
        zone = g.geoplan_timezone = _area_zone(_request_area())
    return zone


def format_time(value: dt.datetime | str | None) -> str:
    """Return a time in the request's language on the clocks of the request's area, the zone shown."""
    return "" if value is None else i18n.format_time(value, language(), timezone())


def format_count(value: float | None) -> str:
    """Return a count (workers, stations) as a whole number for the request's language."""
    return i18n.format_count(value, language())


def init_app(app: Flask) -> None:
    """Set up Flask-Babel; make ``t``, ``lang``, the text table and the formatters available to templates.

    A ``?lang=`` choice is kept in a cookie.
    """
    babel.init_app(app, locale_selector=locale, timezone_selector=timezone, default_locale="zh_CN",
                   default_timezone=_FALLBACK_ZONE)  # fmt: skip
    app.jinja_env.globals.update(t=t, i18n_table=table, language=language, format_time=format_time,
                                 format_count=format_count, format_datetime=format_datetime,
                                 format_decimal=format_decimal)  # fmt: skip

    @app.after_request
    def _remember(response):
        chosen = request.args.get("lang")
        # An export's ?lang= picks the language of the file, not of the interface.
        if chosen in LANGUAGES and request.blueprint != "exports":
            response.set_cookie("lang", chosen, max_age=365 * 24 * 3600, samesite="Lax")
        return response
