"""Checks of everything written to the planner database: site dicts, station details, names, versions.

Every check runs before the transaction that would write, and its message names the site's position and field, so
a refused change leaves the database as it was and tells the planner what to fix.
"""

from __future__ import annotations

import math
import re
import unicodedata
from urllib.parse import urlsplit

from geoplan import i18n
from geoplan.inputs.candidates import capacity_value
from geoplan.siting.hours import parse_hours
from geoplan.vocabulary import HOSTS, SERVICES, SITE_STATUSES, STATION_STATUSES

__all__ = ["DETAIL_FIELDS", "SITE_FIELDS", "as_version", "check_capacity", "check_details", "check_phone", "check_site",
           "check_url", "clean_name"]

#: Site fields a planner's change (or a plan) may set.
SITE_FIELDS = ("status", "city_level", "candidate_id", "lon", "lat", "name", "district", "covered_workers", "hours",
               "phase")  # fmt: skip

#: Station details a planner edits, with their maximum lengths (lists: services, photos; capacity: people at once).
DETAIL_FIELDS = {"name": 200, "address": 300, "phone": 60, "manager": 120, "host": 40, "hours": 120,
                 "services": None, "photos": None, "station_status": 20, "capacity": None}  # fmt: skip

#: What separates several numbers in one phone field: 、 , ; / (half- or full-width), or 或.
_PHONE_SEPARATORS = re.compile(r"\s*(?:[、,;/]|或)\s*")
#: One number as Chinese planners write it: 0791-86281234, (0791) 8628 1234, 138 0000 0000, +86 138-0000-0000,
#: 12345, 400-800-1234, optionally an extension (转 123, ext. 12, x12, #12).
_PHONE = re.compile(r"\+?\(?\d[\d ()\-]*?(?:\s*(?:转|ext\.?|x|#)\s*\d{1,6})?", re.IGNORECASE)
_PHONE_DIGITS = (3, 20)
_URL_SCHEMES = ("http", "https")
_URL_LENGTH = 500
_LIST_ENTRIES = 20


def clean_name(name: str) -> str:
    """Return a scenario name without surrounding blanks, refusing an empty or over-long one."""
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name or len(name) > 200:
        raise i18n.input_error("scenario_name_length")
    return name


def as_version(version: object) -> int:
    """Return a scenario version as sent by a client: a whole number, nothing else."""
    if isinstance(version, bool):
        version = None
    if isinstance(version, float) and version.is_integer():
        version = int(version)
    if isinstance(version, str) and version.strip().isdigit():
        version = int(version.strip())
    if not isinstance(version, int):
        raise i18n.input_error("version_not_whole")
    return version


def check_site(site: dict, index: int) -> dict:
    """Return the validated column values of a site dict; errors name the site's position and field.

    Parameters
    ----------
    site : dict
        ``status``, ``lon``, ``lat`` and optionally ``candidate_id``, ``name``, ``district``, ``city_level``,
        ``covered_workers``, ``hours``, ``phase``, ``capacity`` (people at once, see :func:`check_capacity`).
    index : int
        Position of the site in what was sent (0 is "site 1").

    Returns
    -------
    dict
        Column values of :data:`SITE_FIELDS`, and ``capacity`` when the dict has one.

    Raises
    ------
    InputError
        Unknown status, coordinates that are not degrees, unreadable hours, a phase other than 1 or 2, a capacity
        that is no positive whole number.
    """
    number = index + 1
    where = f"site {number}"
    if not isinstance(site, dict):
        raise i18n.input_error("site_send_object", number=number)
    status = site.get("status", "proposed")
    if status not in SITE_STATUSES:
        statuses_zh = "、".join(f"{i18n.text('ui', s, 'zh')}（{s}）" for s in SITE_STATUSES)
        raise i18n.input_error("site_unknown_status", number=number, status=status,
                               statuses=", ".join(SITE_STATUSES), statuses_zh=statuses_zh)  # fmt: skip
    values = {"status": status, "city_level": bool(site.get("city_level", False))}
    for key, low, high in (("lon", -180.0, 180.0), ("lat", -90.0, 90.0)):
        names = {"name": key, "name_zh": _DEGREE_NAMES[key]}
        try:
            degrees = float(site[key])
        except (KeyError, TypeError, ValueError):
            raise i18n.input_error("site_degrees_not_number", number=number, **names) from None
        if not (low <= degrees <= high):
            code = "site_degrees_swapped" if key == "lat" and _swapped(site) else "site_degrees_out_of_range"
            raise i18n.input_error(code, number=number, **names, value=degrees, low=f"{low:g}", high=f"{high:g}")
        values[key] = degrees
    for key, size in (("candidate_id", 80), ("name", 200), ("district", 120)):
        value = site.get(key)
        values[key] = None if value is None else str(value)[:size]
    covered = site.get("covered_workers")
    try:
        values["covered_workers"] = None if covered is None else float(covered)
    except (TypeError, ValueError):
        raise i18n.input_error("site_workers_not_number", number=number) from None
    if values["covered_workers"] is not None and not math.isfinite(values["covered_workers"]):
        raise i18n.input_error("site_workers_not_number", number=number)
    values.update(_hours_and_phase(site, where))
    if "capacity" in site:
        values["capacity"] = check_capacity(site["capacity"], number)
    return values


def check_capacity(value: object, number: int | None = None) -> int | None:
    """Return a station's declared capacity (people at once), as ``--existing`` files give it, or refuse it.

    Parameters
    ----------
    value : object
        A positive whole number (or its text); None or blank text: not declared.
    number : int, optional
        The site's number in what was sent, for the message (None: a station's details).

    Returns
    -------
    int or None

    Raises
    ------
    InputError
        Code ``site_capacity_not_whole`` (with ``number``) or ``details_capacity_not_whole``.
    """
    try:
        return capacity_value(value)
    except ValueError:
        if number is None:
            raise i18n.input_error("details_capacity_not_whole", **i18n.shown(value)) from None
        raise i18n.input_error("site_capacity_not_whole", number=number, **i18n.shown(value)) from None


#: Names of the coordinates in Chinese messages.
_DEGREE_NAMES = {"lon": "经度 lon", "lat": "纬度 lat"}


def _swapped(site: dict) -> bool:
    """Whether a site's lon would be a latitude and its lat a longitude (the pair written the wrong way round)."""
    try:
        lon, lat = float(site["lon"]), float(site["lat"])
    except (KeyError, TypeError, ValueError):
        return False
    return -90.0 <= lon <= 90.0 and -180.0 <= lat <= 180.0


def _hours_and_phase(site: dict, where: str) -> dict:
    """Return the opening hours (checked, as written) and phase (1 or 2) a site dict names."""
    values = {}
    hours = site.get("hours")
    if hours is not None and str(hours).strip():
        parse_hours(str(hours))  # raises InputError naming what it could not read
        values["hours"] = str(hours).strip()[:120]
    elif "hours" in site:
        values["hours"] = None
    phase = site.get("phase")
    if phase is not None and (isinstance(phase, bool) or phase not in (1, 2)):
        raise i18n.input_error("site_bad_phase", number=where.removeprefix("site "), **i18n.shown(phase))
    if "phase" in site:
        values["phase"] = phase
    return values


def check_details(details: dict) -> dict:
    """Return validated station details; errors name the field, in Chinese and English.

    Texts must be texts (an object or a number sent as a name is refused, not stored as its printout), the phone
    field one or more phone numbers, photos links over http or https only (no ``javascript:`` or ``data:`` link can
    reach a worker's browser).

    Raises
    ------
    InputError
        Unknown field, a value that is not a text, unknown service/host/status, text too long, unreadable opening
        hours, phone number or link, a ``capacity`` (people at once) that is no positive whole number.
    """
    if not isinstance(details, dict) or not details:
        raise i18n.input_error("details_empty", **i18n.shown(details))
    unknown = sorted(set(details) - set(DETAIL_FIELDS))
    if unknown:
        raise i18n.input_error("field_unknown", field=", ".join(map(str, unknown)), known=", ".join(DETAIL_FIELDS))
    values: dict = {}
    for key, value in details.items():
        if key == "capacity":
            values[key] = check_capacity(value)
            continue
        if key in ("services", "photos"):
            values[key] = _string_list(key, value)
            continue
        values[key] = _detail_text(key, value)
    for key, allowed in (("host", HOSTS), ("station_status", STATION_STATUSES)):
        if values.get(key) is not None:
            values[key] = _code(key, key, values[key], allowed)
    if values.get("services"):
        values["services"] = list(dict.fromkeys(_code("services", "service", v, SERVICES) for v in values["services"]))
    if values.get("phone"):
        values["phone"] = check_phone(values["phone"])
    if values.get("photos"):
        values["photos"] = [check_url(link, "photos") for link in values["photos"]]
    if values.get("hours"):
        parse_hours(values["hours"])  # raises InputError naming what it could not read
    return values


def check_phone(text: str, field: str = "phone") -> str:
    """Return one or more phone numbers as written, in half-width characters, or refuse what is not one.

    Parameters
    ----------
    text : str
        Numbers separated by 、 , ; / or 或: landlines with area code (``0791-86281234``), mobiles
        (``138 0000 0000``, ``+86 13800000000``), service numbers (``12345``, ``400-800-1234``), each with an
        optional extension (``转 123``, ``ext. 12``).
    field : str
        The field's name in messages.

    Returns
    -------
    str
        The text with full-width digits and signs made half-width and blanks collapsed.

    Raises
    ------
    InputError
        A part holds letters or signs a phone number has not, or fewer than 3 or more than 20 digits.
    """
    text = " ".join(unicodedata.normalize("NFKC", text).split())
    numbers = [part for part in _PHONE_SEPARATORS.split(text) if part]
    if not numbers:
        raise i18n.input_error("phone_invalid", **_field(field), **i18n.shown(text))
    for number in numbers:
        main = re.split(r"(?i)\s*(?:转|ext\.?|x|#)", number)[0]
        digits = sum(ch.isdigit() for ch in main)
        if not _PHONE.fullmatch(number) or not (_PHONE_DIGITS[0] <= digits <= _PHONE_DIGITS[1]):
            raise i18n.input_error("phone_invalid", **_field(field), **i18n.shown(number))
    return "、".join(numbers) if len(numbers) > 1 else numbers[0]


def check_url(link: str, field: str = "url") -> str:
    """Return a link a browser may open from the public side: absolute, http or https, with a host.

    Parameters
    ----------
    link : str
        The link as sent.
    field : str
        The field's name in messages.

    Returns
    -------
    str
        The link without surrounding blanks.

    Raises
    ------
    InputError
        Another scheme (``javascript:``, ``data:``, ``file:``, none), no host, a user name or password in the link,
        blanks or control characters inside it, or more than 500 characters.
    """
    link = link.strip()
    try:
        parts = urlsplit(link)
        host = parts.hostname
    except ValueError:
        parts, host = None, None
    if (
        parts is None
        or parts.scheme.lower() not in _URL_SCHEMES
        or not host
        or parts.username is not None
        or len(link) > _URL_LENGTH
        or any(ch.isspace() or unicodedata.category(ch)[0] == "C" or ch == "\\" for ch in link)
    ):
        raise i18n.input_error("url_invalid", **_field(field), **i18n.shown(link), most=_URL_LENGTH)
    return link


def _detail_text(key: str, value: object) -> str | None:
    """Return a text detail with blanks collapsed (None to clear it), refusing a non-text or an over-long one."""
    if value is not None and not isinstance(value, str):
        raise i18n.input_error("field_not_text", **_field(key), **i18n.shown(value))
    text = None if value is None else " ".join(value.split()) or None
    if text is not None and len(text) > DETAIL_FIELDS[key]:
        raise i18n.input_error("field_too_long", **_field(key), max_len=DETAIL_FIELDS[key], length=len(text))
    return text


def _code(key: str, section: str, value: str, allowed: tuple[str, ...]) -> str:
    """Return the code a planner means: the code itself or its Chinese or English name (``银行`` is ``bank``)."""
    if value in allowed:
        return value
    for code in allowed:
        if value.casefold() in (i18n.text(section, code, "zh").casefold(), i18n.text(section, code, "en").casefold()):
            return code
    raise i18n.input_error("field_not_choice", **_field(key), **i18n.shown(value), choices=", ".join(allowed),
                           choices_zh="、".join(i18n.text(section, code, "zh") for code in allowed))  # fmt: skip


def _field(key: str) -> dict[str, str]:
    """Name the field in messages: its form label in Chinese, its key in English."""
    label = i18n.text("ui", f"details_{key}", "zh")
    return {"field": key, "field_zh": key if label == f"details_{key}" else label}


def _string_list(key: str, value) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [part.strip() for part in value.replace("，", ",").split(",")]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise i18n.input_error("field_not_text_list", **_field(key), **i18n.shown(value))
    cleaned = [v.strip() for v in value if v.strip()]
    if len(cleaned) > _LIST_ENTRIES or any(len(v) > _URL_LENGTH for v in cleaned):
        raise i18n.input_error("field_list_too_long", **_field(key), most=_LIST_ENTRIES, max_len=_URL_LENGTH)
    return list(dict.fromkeys(cleaned))
