"""The words geoplan's data is written in: site statuses, levels, sources, worker groups, services, hosts, roles.

Every stage and every edge (store, exports, web pages, API) takes these codes from here; what a person reads for
each code is in :mod:`geoplan.i18n`. Codes are stable: they are stored in databases and exported files.
"""

from __future__ import annotations

#: What a site can be in a scenario. Rejected sites stay stored, count as no station and are never proposed again.
SITE_STATUSES: tuple[str, ...] = ("proposed", "accepted", "rejected", "existing")

#: Site statuses that count as a station (in coverage figures, exports and comparisons).
ACTIVE_STATUSES: tuple[str, ...] = ("proposed", "accepted", "existing")

#: Site statuses a planner has decided to keep (re-optimisation never moves them).
KEPT_STATUSES: tuple[str, ...] = ("accepted", "existing")

#: Site statuses shown on the public side (of published scenarios only).
PUBLIC_STATUSES: tuple[str, ...] = ("accepted", "existing")

#: Who builds a station: the city union (city-level) or a county/district union.
LEVELS: tuple[str, ...] = ("city", "district")

#: Where a candidate site comes from: the street side, a host's premises (bank, fuel station, shop...), a site the
#: planner supplied, or an existing station.
SITE_SOURCES: tuple[str, ...] = ("roadside", "host", "user", "fixed")

#: Candidate sources a dragged station may land on: spots where a station's footprint is known to fit.
PLACEABLE_SOURCES: frozenset[str] = frozenset({"roadside", "host", "user"})

#: Outdoor-worker groups, in display order (their defaults are in :data:`geoplan.inputs.demand.WORKER_GROUPS`).
WORKER_GROUP_KEYS: tuple[str, ...] = (
    "sanitation",
    "traffic_police",
    "bus_drivers",
    "taxi_drivers",
    "couriers",
    "urban_management",
    "repair_crews",
)

#: Services a station can offer (the fields provincial station databases list), in display order.
SERVICES: tuple[str, ...] = (
    "drinking_water", "heating_food", "toilet", "rest", "phone_charging", "ebike_charging", "air_conditioning",
    "first_aid", "wifi", "repair_kit", "umbrella", "reading",
)  # fmt: skip

#: Who hosts a station.
HOSTS: tuple[str, ...] = ("union", "bank", "post_office", "fuel_station", "shop", "government", "sanitation_depot",
                          "other")  # fmt: skip

#: Where a station stands in its life.
STATION_STATUSES: tuple[str, ...] = ("planned", "building", "open", "suspended", "closed")

#: Roles of the people who log in: planners change scenarios, viewers only read.
ROLES: tuple[str, ...] = ("planner", "viewer")

#: Travel modes to a station.
MODES: tuple[str, ...] = ("walk", "ride")

#: Coordinate systems users speak: GPS and OSM (WGS-84), Amap and Tencent (GCJ-02), Baidu (BD-09).
COORDINATE_SYSTEMS: tuple[str, ...] = ("wgs84", "gcj02", "bd09")

#: Languages of everything a person reads.
LANGUAGES: tuple[str, ...] = ("zh", "en")
