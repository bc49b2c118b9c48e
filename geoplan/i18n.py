"""Everything a person reads, in Chinese (the default) and English: gettext catalogs and the functions that render them.

The texts live in two gettext catalogs kept under version control, ``geoplan/locale/zh_CN/LC_MESSAGES/geoplan.po``
(Chinese, the default) and ``geoplan/locale/en/LC_MESSAGES/geoplan.po``, read with Babel (:func:`babel.messages.
pofile.read_po`) at first use; nothing is compiled or written at run time, so an installed package stays as it was
installed. Both catalogs use one layout: **msgctxt = section, msgid = key** (``msgctxt "error"`` / ``msgid
"stale_scenario"``). Keys, not English sentences, identify a text because:

* the code already names every text by section and key (``text("error", code)``, templates ``t(key)``, the
  JavaScript ``T(key)``, error codes carried by :class:`geoplan.errors.GeoplanError`): the catalogs answer exactly
  the questions the code asks, with no second mapping from keys to English sentences;
* Chinese is the language written first and English is a translation, so neither language's sentence is a fair
  "source"; with key ids, correcting an English sentence does not orphan its Chinese text (as it would when the
  English text were the msgid) and both languages are complete catalogs checked the same way (tests/test_i18n.py);
* the same key may mean different things in two sections (``ui.accepted`` and ``station_status.accepted``): the
  section as msgctxt keeps them apart.

Each entry carries the other language's text as a comment (``#.``) so a translator sees both, and the flag
``python-brace-format``: placeholders are ``{name}`` fields filled by :func:`text` with :meth:`str.format`.

Sections: ``ui`` (the web interface), ``label`` (exported files), ``group``, ``service``, ``host``,
``station_status`` and ``site_source`` (the codes of :mod:`geoplan.vocabulary`), ``png`` and ``pdf`` (the map and
the report), ``param`` (plan parameters), ``solve_status`` and ``solve_status_note``, ``refusal`` and ``overlap``
(why a candidate site was refused, :mod:`geoplan.inputs.candidates`) and ``error`` (messages of coded errors, see
:class:`geoplan.errors.GeoplanError`; every error geoplan raises carries a code, which tests/test_i18n.py checks).

:data:`CATALOG` is the Python dict the texts used to live in. It is still read, after the .po catalogs, so that a
new text can be added there while work goes on; ``scripts/catalog_to_po.py`` moves its entries into the .po files
(re-runnable: it empties the dict of what it moved), and a test keeps it empty on the main branch.

Times and numbers a person reads are formatted here too, with Babel: :func:`format_time` (in the area's time zone,
the zone shown) and :func:`format_count` (whole numbers, grouped for the locale).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from babel.dates import format_datetime as _babel_datetime
from babel.dates import get_timezone, get_timezone_location
from babel.messages.pofile import read_po
from babel.numbers import format_decimal as _babel_decimal

from geoplan.errors import GeoplanError, InputError
from geoplan.vocabulary import LANGUAGES

__all__ = [
    "CATALOG",
    "DOMAIN",
    "LOCALES",
    "LOCALE_FOLDER",
    "catalog",
    "check_lang",
    "coded_error",
    "entries",
    "environment_lang",
    "error_text",
    "format_count",
    "format_number",
    "format_time",
    "group_name",
    "input_error",
    "po_path",
    "services_text",
    "shown",
    "status_text",
    "text",
]

#: Characters of a value quoted back in a message.
_SHOWN_CHARS = 40

#: The gettext domain (the catalogs' file name).
DOMAIN = "geoplan"

#: The folder of the gettext catalogs (package data, read only).
LOCALE_FOLDER = Path(__file__).with_name("locale")

#: The gettext/Babel locale of each language of :data:`geoplan.vocabulary.LANGUAGES`.
LOCALES: dict[str, str] = {"zh": "zh_CN", "en": "en"}

#: Time zones whose clocks Chinese readers call 北京时间 (China has one civil time).
_BEIJING_TIME = frozenset({"Asia/Shanghai", "Asia/Chongqing", "Asia/Chungking", "Asia/Harbin", "PRC"})

#: The time format of every stamp a person reads (ISO-like date, 24-hour clock: unambiguous in both languages).
_TIME_PATTERN = "yyyy-MM-dd HH:mm"

#: Texts not yet moved into the gettext catalogs (read after them): add a new text here, in its section,
#: zh and en both; scripts/catalog_to_po.py moves it into geoplan/locale/*/LC_MESSAGES/geoplan.po.
CATALOG: dict[str, dict[str, dict[str, str]]] = {
    "ui": {},
    "label": {},
    "group": {},
    "service": {},
    "host": {},
    "station_status": {},
    "png": {},
    "webmap": {},
    "pdf": {},
    "param": {},
    "solve_status": {},
    "solve_status_note": {},
    "cli": {},
    "solve_method": {},
    "district_source": {},
    "error": {},
    "refusal": {},
    "overlap": {},
    "site_source": {},
    "batch": {},
}


def po_path(lang: str) -> Path:
    """Return the path of the gettext catalog of ``lang`` (``zh`` or ``en``)."""
    return LOCALE_FOLDER / LOCALES[lang] / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def _po(lang: str) -> dict[str, dict[str, str]]:
    """Return the translated messages of ``lang``'s .po catalog by section (msgctxt) and key (msgid)."""
    with po_path(lang).open("rb") as handle:
        read = read_po(handle, locale=LOCALES[lang], domain=DOMAIN)
    messages: dict[str, dict[str, str]] = {}
    for message in read:
        if message.id and message.context and message.string and not message.fuzzy:
            messages.setdefault(message.context, {})[str(message.id)] = str(message.string)
    return messages


def _template(section: str, key: str, lang: str) -> str | None:
    """Return the text of ``key`` in ``lang``: the .po catalog, else the :data:`CATALOG` fallback, else None."""
    found = _po(lang).get(section, {}).get(key)
    if found is None:
        found = CATALOG.get(section, {}).get(key, {}).get(lang)
    return found


def _keys(section: str) -> list[str]:
    """Return every key of a section, in either language or the fallback dict, in catalog order."""
    keys = {key: None for lang in LANGUAGES for key in _po(lang).get(section, {})}
    keys.update(dict.fromkeys(CATALOG.get(section, {})))
    return list(keys)


def catalog() -> dict[str, dict[str, dict[str, str]]]:
    """Return every text, .po catalogs and fallback dict merged, as ``{section: {key: {lang: text}}}``.

    A language that lacks a text is absent from its entry (the completeness test looks for such gaps).
    """
    sections = {section: None for lang in LANGUAGES for section in _po(lang)}
    sections.update(dict.fromkeys(CATALOG))
    merged: dict[str, dict[str, dict[str, str]]] = {}
    for section in sections:
        merged[section] = {}
        for key in _keys(section):
            found = {lang: _template(section, key, lang) for lang in LANGUAGES}
            merged[section][key] = {lang: value for lang, value in found.items() if value is not None}
    return merged


def check_lang(lang: object) -> str:
    """Return ``lang`` if it is one of :data:`geoplan.vocabulary.LANGUAGES`, else raise InputError naming them."""
    if lang not in LANGUAGES:
        raise InputError(f"Unknown language {lang!r}; use one of {', '.join(LANGUAGES)}.", code="unknown_language",
                         lang=lang, languages=", ".join(LANGUAGES))  # fmt: skip
    return str(lang)


def environment_lang(environ: Mapping[str, str] | None = None) -> str:
    """Return the language of the user's locale settings, for the command line's default ``--lang``.

    The first set of ``LC_ALL``, ``LC_MESSAGES`` and ``LANG`` (POSIX order) decides: ``en_*`` gives English;
    ``zh_*``, unset, ``C`` or ``POSIX`` give Chinese, and so does any other locale (Chinese comes first).

    Parameters
    ----------
    environ : mapping, optional
        The environment (default :data:`os.environ`).

    Returns
    -------
    str
        ``zh`` or ``en``.
    """
    environ = os.environ if environ is None else environ
    value = next((environ[name] for name in ("LC_ALL", "LC_MESSAGES", "LANG") if environ.get(name)), "")
    return "en" if value.lower().startswith("en") else "zh"


def text(section: str, key: str, lang: str = "zh", **params: object) -> str:
    """Return the text of ``key`` in ``section`` and ``lang``, placeholders filled from ``params``.

    Parameters
    ----------
    section : str
        A section of the catalogs (``ui``, ``label``, ``group``...).
    key : str
        The entry; an unknown key gives the key itself back (a user-defined worker group, say).
    lang : str
        ``zh`` or ``en``; a text missing in that language is given in English.
    **params
        Values of the text's ``{name}`` placeholders.

    Returns
    -------
    str
    """
    template = _template(section, key, lang) if lang in LOCALES else None
    if template is None:
        template = _template(section, key, "en")
    if template is None:
        return key
    return template.format(**params) if params else template


def entries(section: str, lang: str = "zh") -> dict[str, str]:
    """Return every text of a section in one language, by key (English where ``lang`` lacks one)."""
    return {key: text(section, key, lang) for key in _keys(section)}


def group_name(group: str, lang: str = "zh") -> str:
    """Return the display name of a worker group (the key itself for a group the planner named)."""
    return text("group", group, lang)


def services_text(services: str | Iterable[str], lang: str = "zh") -> str:
    """Return the display text of a list of service codes (or of a ";"-joined string of them)."""
    codes = services.split(";") if isinstance(services, str) else list(services)
    separator = "、" if lang == "zh" else ", "
    return separator.join(text("service", code, lang) for code in codes if code)


def status_text(status: object, lang: str = "zh", gap: float | None = None) -> tuple[str, str]:
    """Return the label and the explanation of a solve status (``optimal``, ``within_target``...) in ``lang``.

    Parameters
    ----------
    status : str
        A :data:`geoplan.siting.model.STATUSES` value or ``infeasible``; another value is shown as it is.
    lang : str
        ``zh`` or ``en``.
    gap : float, optional
        The certified relative gap, quoted in the explanation (as a percentage with two decimals).

    Returns
    -------
    tuple of str
        (label, explanation); the explanation is empty for an unknown status.
    """
    key = str(status)
    if _template("solve_status", key, "en") is None:
        return key, ""
    shown = "—" if gap is None or not math.isfinite(float(gap)) else f"{100 * float(gap):.2f}%"
    return text("solve_status", key, lang), text("solve_status_note", key, lang, gap=shown)


def input_error(code: str, **params: object) -> InputError:
    """Return the coded :class:`~geoplan.errors.InputError` of ``code``, its message the catalog's English text.

    Parameters
    ----------
    code : str
        Key in the catalog's ``error`` section.
    **params
        The text's placeholders (``name_zh`` for the Chinese value of ``name``).
    """
    return InputError(text("error", code, "en", **params), code=code, **params)


def coded_error(kind: type[GeoplanError], code: str, **params: object) -> GeoplanError:
    """Return an error of class ``kind`` coded ``code``, its message the catalog's English text.

    :func:`input_error` for the other classes of :mod:`geoplan.errors` (``NotFoundError``, ``StaleError``...).

    Parameters
    ----------
    kind : type
        A :class:`~geoplan.errors.GeoplanError` class.
    code : str
        Key in the catalog's ``error`` section.
    **params
        The text's placeholders (``name_zh`` for the Chinese value of ``name``).
    """
    return kind(text("error", code, "en", **params), code=code, **params)


def shown(value: object) -> dict[str, str]:
    """Describe a value a client sent, for the ``got`` placeholder of a message, in English and Chinese.

    Objects and lists are named by their JSON type, texts and numbers quoted (cut at 40 characters).

    Returns
    -------
    dict
        ``got`` and ``got_zh``.
    """
    if isinstance(value, Mapping):
        return {"got": "an object", "got_zh": "对象"}
    if isinstance(value, list | tuple):
        return {"got": "a list", "got_zh": "数组"}
    if value is None:
        return {"got": "null", "got_zh": "null"}
    if isinstance(value, bool):
        return {"got": str(value).lower(), "got_zh": str(value).lower()}
    if isinstance(value, str):
        short = value if len(value) <= _SHOWN_CHARS else value[:_SHOWN_CHARS] + "…"
        return {"got": f"the text {short!r}", "got_zh": f"文本 {short!r}"}
    quoted = repr(value)
    short = quoted if len(quoted) <= _SHOWN_CHARS else quoted[:_SHOWN_CHARS] + "…"
    return {"got": short, "got_zh": short}


def error_text(error: BaseException, lang: str = "zh") -> str:
    """Return what a person reads for an error: its catalog text in ``lang`` when it carries a code, else its message.

    Parameters
    ----------
    error : BaseException
        Usually a :class:`~geoplan.errors.GeoplanError`; its ``code`` and ``params`` pick and fill the text.
    lang : str
        ``zh`` or ``en``.

    Returns
    -------
    str
    """
    code = getattr(error, "code", None) if isinstance(error, GeoplanError) else None
    template = (_template("error", code, lang) or _template("error", code, "en")) if code else None
    if template is None:
        return str(error)
    # A parameter may come in several languages: ``rules`` (English) and ``rules_zh`` (used for zh).
    suffix = f"_{lang}"
    params = dict(error.params)
    params.update({key[: -len(suffix)]: value for key, value in error.params.items() if key.endswith(suffix)})
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return str(error)


def _aware(value: dt.datetime | str) -> dt.datetime:
    """Return ``value`` as an aware datetime (ISO text parsed; naive values are UTC, as the store keeps them)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if not isinstance(value, dt.datetime):
        raise TypeError(f"format_time needs a datetime or an ISO 8601 text, not {type(value).__name__}")
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def format_time(value: dt.datetime | str, lang: str = "zh", tz: str = "Asia/Shanghai") -> str:
    """Return a time as a person reads it: on the clocks of ``tz``, minutes, the zone shown.

    Parameters
    ----------
    value : datetime or str
        The moment; an ISO 8601 text is parsed, a naive datetime is taken as UTC.
    lang : str
        ``zh`` or ``en``.
    tz : str
        IANA time zone of the area (:attr:`geoplan.data.areas.AreaSpec.timezone`).

    Returns
    -------
    str
        ``2026-12-02 18:05（北京时间）`` in Chinese for China's zone, ``2026-12-02 18:05（芬兰时间 Europe/Helsinki）``
        for another; ``2026-12-02 18:05 (Asia/Shanghai)`` in English.

    Examples
    --------
    >>> format_time("2026-12-02T10:05:00+00:00", "zh", "Asia/Shanghai")
    '2026-12-02 18:05（北京时间）'
    >>> format_time("2026-12-02T10:05:00+00:00", "en", "Asia/Shanghai")
    '2026-12-02 18:05 (Asia/Shanghai)'
    """
    zone = get_timezone(tz)
    local = _babel_datetime(_aware(value), _TIME_PATTERN, tzinfo=zone, locale=LOCALES.get(lang, "en"))
    if lang != "zh":
        return f"{local} ({tz})"
    if tz in _BEIJING_TIME:
        return f"{local}（北京时间）"
    return f"{local}（{get_timezone_location(zone, locale=LOCALES['zh'])} {tz}）"


def format_count(value: float | None, lang: str = "zh") -> str:
    """Return a count of people or things as a whole number, grouped for the locale (``2,091``).

    Worker counts are estimates with fractions (a district's share of a headcount); people are counted whole, so
    the value is rounded half to even. A missing or non-finite value gives ``—``.

    Parameters
    ----------
    value : float or None
    lang : str
        ``zh`` or ``en``.

    Returns
    -------
    str

    Examples
    --------
    >>> format_count(2091.16, "zh")
    '2,091'
    """
    if value is None or not math.isfinite(float(value)):
        return "—"
    return _babel_decimal(round(float(value)), format="#,##0", locale=LOCALES.get(lang, "en"))


def format_number(value: float | None, lang: str = "zh", decimals: int = 1) -> str:
    """Return a measured number (km, m², seconds) for the locale, with at most ``decimals`` decimals.

    Parameters
    ----------
    value : float or None
        A missing or non-finite value gives ``—``.
    lang : str
        ``zh`` or ``en``.
    decimals : int
        Decimals kept at most (trailing zeros dropped).

    Returns
    -------
    str
    """
    if value is None or not math.isfinite(float(value)):
        return "—"
    pattern = "#,##0." + "#" * decimals if decimals > 0 else "#,##0"
    return _babel_decimal(float(value), format=pattern, locale=LOCALES.get(lang, "en"))
