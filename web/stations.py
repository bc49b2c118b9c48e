"""The public station data behind the map page and the v1 API: published stations, their network index, filters.

Public stations are the accepted and existing sites of published scenarios (:meth:`geoplan.store.Store.
public_stations`); proposals, rejected sites and the audit log never reach this module. The network index of an
area's stations is built once per set of station positions and reused by every query.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from flask import g, has_request_context
from geoplan_web import scenarios
from geoplan_web.validation import Fields

from geoplan import coords, i18n
from geoplan.coverage import nearby
from geoplan.coverage.network import street_graph
from geoplan.data import gazetteer
from geoplan.errors import InputError
from geoplan.siting.hours import parse_hours
from geoplan.store import Store
from geoplan.vocabulary import COORDINATE_SYSTEMS

#: Largest bbox side accepted by the station list (degrees).
MAX_BBOX_DEG = 2.0

#: Most stations one nearby query returns.
MAX_LIMIT = 50

#: Longest district name a filter reads.
DISTRICT_CHARS = 120

#: The national "15-minute service circle": a station within this many minutes of travel (walking: 1 km, at
#: :data:`geoplan.coverage.nearby.WALK_M_PER_MIN`; riding: at its own speed, 3.75 km) is "within 15 minutes". The
#: nearby search and the bulk lookup flag every answer against it (``within_15_min``); the pages say plainly when no
#: station is inside it.
CIRCLE_MINUTES = 15.0

#: Coordinate systems a client may speak.
SYSTEMS = COORDINATE_SYSTEMS


def public(store: Store) -> list[dict]:
    """Return every public station."""
    return store.public_stations()


def filtered(stations: list[dict], district: str | None = None, service: str | None = None,
             box: tuple[float, float, float, float] | None = None, open_now: bool = False) -> list[dict]:  # fmt: skip
    """Return the stations in a district, offering a service, in a WGS-84 box (west, south, east, north), open now.

    The filters are read and checked by :mod:`geoplan_web.validation` (a service code, a box of at most
    :data:`MAX_BBOX_DEG` a side); None leaves a filter out.
    """
    out = []
    for s in stations:
        if district and s["district"] != district:
            continue
        if service and service not in s["services"]:
            continue
        if box and not (box[0] <= s["lon"] <= box[2] and box[1] <= s["lat"] <= box[3]):
            continue
        if open_now and not is_open(s):
            continue
        out.append(s)
    return out


def is_open(station: dict, at: dt.datetime | None = None) -> bool:
    """Tell whether a station is open at a moment (default: now, in its area's time zone).

    Open means: its status is ``open`` (no status is no promise: :func:`geoplan.store.models.public_dict` gives it
    ``planned``) and its opening hours are stated and cover the moment. A station without hours is never "open
    now", whatever its status: the page says 未注明开放时间 (hours not stated) instead.
    """
    if station.get("status") != "open":
        return False
    hours = station.get("hours")
    if not hours:
        return False
    try:
        mask = parse_hours(hours).minutes
    except InputError:
        return False
    local = (at or dt.datetime.now(dt.UTC)).astimezone(ZoneInfo(_timezone(station["area"])))
    return bool(mask[local.hour * 60 + local.minute])


def within_circle(minutes: float) -> bool:
    """Tell whether a station that many travel minutes away is inside the :data:`CIRCLE_MINUTES` service circle."""
    return float(minutes) <= CIRCLE_MINUTES


def circle(mode: str) -> dict:
    """Describe the service circle of a travel mode: its minutes and the network metres they reach."""
    return {"minutes": CIRCLE_MINUTES, "metres": round(CIRCLE_MINUTES * nearby.SPEEDS[mode], 1), "mode": mode}


def _timezone(area: str) -> str:
    """Return the time zone of an area, looked up once per request (a list asks for every station)."""
    if not has_request_context():
        return scenarios.spec(area).timezone
    zones = g.setdefault("area_timezones", {})
    if area not in zones:
        zones[area] = scenarios.spec(area).timezone
    return zones[area]


def in_system(lon: float, lat: float, system: str) -> tuple[float, float]:
    """Convert a WGS-84 position to a client's system, rounded to 7 decimals."""
    x, y = coords.from_wgs84(lon, lat, system)
    return round(float(x), 7), round(float(y), 7)


def system(value: str | None) -> str:
    """Return the coordinate system a request's ``coords`` names (default wgs84), or refuse it naming the systems."""
    return Fields({"coords": value or ""}, typed=False).choice("coords", SYSTEMS, default="wgs84", fold=True)


def area_of(stations: list[dict], lon: float, lat: float) -> str:
    """Return the area (among those with public stations) whose street network is nearest to a WGS-84 point."""
    names = sorted({s["area"] for s in stations})
    if not names:
        raise i18n.input_error("no_published_stations")
    if len(names) == 1:
        return names[0]
    best = min(names, key=lambda name: _distance_to_area(name, lon, lat))
    return best


def _distance_to_area(name: str, lon: float, lat: float) -> float:
    area = scenarios.study_area(name)
    xy = nearby.project(area.crs, np.array([[lon, lat]]))
    return float(shapely.distance(area.boundary, shapely.points(xy[0])))


def index_for(area: str, stations: list[dict]) -> tuple[nearby.StationIndex, list[dict]]:
    """Return the network index of an area's public stations (built once per set of positions, kept by the app)."""
    mine = [s for s in stations if s["area"] == area]
    positions = tuple((s["id"], round(s["lon"], 7), round(s["lat"], 7)) for s in mine)
    version, study = scenarios.models().keyed_area(scenarios.spec(area))
    graph = scenarios.models().derived(("street graph", version), lambda: street_graph(study.edges))

    def build() -> nearby.StationIndex:
        lonlat = np.array([[lon, lat] for _, lon, lat in positions], dtype=float).reshape(-1, 2)
        return nearby.build_index(graph, study.crs, lonlat)

    return scenarios.models().derived(("station index", version, positions), build), mine


def places_of(area: str) -> gazetteer.Gazetteer:
    """Return the gazetteer of an area (built once per loaded area, kept by the app's model cache)."""
    version, study = scenarios.models().keyed_area(scenarios.spec(area))
    return scenarios.models().derived(("gazetteer", version), lambda: gazetteer.build(study))
