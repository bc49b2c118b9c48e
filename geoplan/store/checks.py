"""Checks of everything written to the planner database: site dicts, station details, names, versions.

Every check runs before the transaction that would write, and its message names the site's position and field, so
a refused change leaves the database as it was and tells the planner what to fix.
"""

from __future__ import annotations

import math

from geoplan.errors import InputError
from geoplan.siting.hours import parse_hours
from geoplan.vocabulary import HOSTS, SERVICES, SITE_STATUSES, STATION_STATUSES

__all__ = ["DETAIL_FIELDS", "SITE_FIELDS", "as_version", "check_details", "check_site", "clean_name"]

#: Site fields a planner's change (or a plan) may set.
SITE_FIELDS = ("status", "city_level", "candidate_id", "lon", "lat", "name", "district", "covered_workers", "hours",
               "phase")  # fmt: skip

#: Station details a planner edits, with their maximum lengths (lists: services, photos).
DETAIL_FIELDS = {"name": 200, "address": 300, "phone": 60, "manager": 120, "host": 40, "hours": 120,
                 "services": None, "photos": None, "station_status": 20}  # fmt: skip


def clean_name(name: str) -> str:
    """Return a scenario name without surrounding blanks, refusing an empty or over-long one."""
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name or len(name) > 200:
        raise InputError("Scenario name: give 1 to 200 characters.")
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
        raise InputError("version: give the scenario version the change was made on (a whole number).")
    return version


def check_site(site: dict, index: int) -> dict:
    """Return the validated column values of a site dict; errors name the site's position and field.

    Parameters
    ----------
    site : dict
        ``status``, ``lon``, ``lat`` and optionally ``candidate_id``, ``name``, ``district``, ``city_level``,
        ``covered_workers``, ``hours``, ``phase``.
    index : int
        Position of the site in what was sent (0 is "site 1").

    Returns
    -------
    dict
        Column values of :data:`SITE_FIELDS`.

    Raises
    ------
    InputError
        Unknown status, coordinates that are not degrees, unreadable hours, a phase other than 1 or 2.
    """
    where = f"site {index + 1}"
    if not isinstance(site, dict):
        raise InputError(f"{where}: send an object with status, lon and lat.")
    status = site.get("status", "proposed")
    if status not in SITE_STATUSES:
        raise InputError(f"{where}: status {status!r} is unknown; use one of {', '.join(SITE_STATUSES)}.")
    values = {"status": status, "city_level": bool(site.get("city_level", False))}
    for key, low, high in (("lon", -180.0, 180.0), ("lat", -90.0, 90.0)):
        try:
            number = float(site[key])
        except (KeyError, TypeError, ValueError):
            raise InputError(f"{where}: {key} must be a number of degrees.") from None
        if not (low <= number <= high):
            raise InputError(f"{where}: {key} {number} is outside {low:g}..{high:g}.")
        values[key] = number
    for key, size in (("candidate_id", 80), ("name", 200), ("district", 120)):
        value = site.get(key)
        values[key] = None if value is None else str(value)[:size]
    covered = site.get("covered_workers")
    try:
        values["covered_workers"] = None if covered is None else float(covered)
    except (TypeError, ValueError):
        raise InputError(f"{where}: covered_workers must be a number.") from None
    if values["covered_workers"] is not None and not math.isfinite(values["covered_workers"]):
        raise InputError(f"{where}: covered_workers must be a finite number.")
    values.update(_hours_and_phase(site, where))
    return values


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
        raise InputError(f"{where}: phase must be 1 or 2, got {phase!r}.")
    if "phase" in site:
        values["phase"] = phase
    return values


def check_details(details: dict) -> dict:
    """Return validated station details; errors name the field.

    Raises
    ------
    InputError
        Unknown field, unknown service/host/status, text too long, unreadable opening hours.
    """
    if not isinstance(details, dict) or not details:
        raise InputError("Send the station details to change (name, address, phone, services...).")
    unknown = sorted(set(details) - set(DETAIL_FIELDS))
    if unknown:
        raise InputError(f"Unknown station field(s): {', '.join(unknown)}; use {', '.join(DETAIL_FIELDS)}.")
    values: dict = {}
    for key, value in details.items():
        if key in ("services", "photos"):
            values[key] = _string_list(key, value)
            continue
        text = None if value is None else str(value).strip() or None
        if text is not None and len(text) > DETAIL_FIELDS[key]:
            raise InputError(f"{key}: at most {DETAIL_FIELDS[key]} characters.")
        values[key] = text
    for key, allowed in (("host", HOSTS), ("station_status", STATION_STATUSES)):
        if values.get(key) is not None and values[key] not in allowed:
            raise InputError(f"{key}: {values[key]!r} is unknown; use one of {', '.join(allowed)}.")
    unknown_services = sorted(set(values.get("services") or ()) - set(SERVICES))
    if unknown_services:
        raise InputError(f"services: {', '.join(unknown_services)} unknown; use {', '.join(SERVICES)}.")
    if values.get("hours"):
        parse_hours(values["hours"])  # raises InputError naming what it could not read
    return values


def _string_list(key: str, value) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [part.strip() for part in value.replace("，", ",").split(",")]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{key}: send a list of texts.")
    cleaned = [v.strip() for v in value if v.strip()]
    if len(cleaned) > 20 or any(len(v) > 500 for v in cleaned):
        raise InputError(f"{key}: at most 20 entries of up to 500 characters.")
    return list(dict.fromkeys(cleaned))
