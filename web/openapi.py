"""OpenAPI 3.1 description of the public station API (served at ``/api/v1/openapi.json``)."""

from __future__ import annotations

from geoplan.vocabulary import SERVICES, STATION_STATUSES

_COORDS = {"name": "coords", "in": "query", "description": "Coordinate system of lon/lat in and out.",
           "schema": {"type": "string", "enum": ["wgs84", "gcj02", "bd09"], "default": "wgs84"}}  # fmt: skip
_LON = {"name": "lon", "in": "query", "required": True, "schema": {"type": "number", "minimum": -180, "maximum": 180}}
_LAT = {"name": "lat", "in": "query", "required": True, "schema": {"type": "number", "minimum": -90, "maximum": 90}}
_MODE = {"name": "mode", "in": "query", "schema": {"type": "string", "enum": ["walk", "ride"], "default": "walk"},
         "description": "walk: 1 km per 15 minutes (the national 15-minute circle); ride: 15 km/h."}  # fmt: skip
_SERVICE = {"name": "service", "in": "query", "schema": {"type": "string", "enum": list(SERVICES)}}
_OPEN = {"name": "open_now", "in": "query", "schema": {"type": "string", "enum": ["0", "1"]}}
_ERROR = {"description": "Bad input: the message says which parameter and why.",
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}  # fmt: skip
_LIMITED = {"description": "Too many requests from this address; retry after the Retry-After seconds."}

_STATION = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"}, "area": {"type": "string"}, "name": {"type": ["string", "null"]},
        "district": {"type": ["string", "null"]}, "address": {"type": ["string", "null"]},
        "phone": {"type": ["string", "null"]}, "manager": {"type": ["string", "null"]},
        "host": {"type": ["string", "null"]}, "hours": {"type": ["string", "null"],
                                                      "description": "e.g. 08:30-17:00, 24h, 08:00-12:00,14:00-18:00"},
        "services": {"type": "array", "items": {"type": "string", "enum": list(SERVICES)}},
        "photos": {"type": "array", "items": {"type": "string"}},
        "status": {"type": "string", "enum": list(STATION_STATUSES)},
        "level": {"type": "string", "enum": ["city", "district"]},
        "lon": {"type": "number"}, "lat": {"type": "number"}, "coords": {"type": "string"},
        "open_now": {"type": "boolean"},
        "distance_m": {"type": "number", "description": "Along the street network (nearby only)."},
        "minutes": {"type": "number", "description": "At the mode's speed (nearby only)."},
        "within_15_min": {"type": "boolean", "description": "Within the 15-minute service circle at the mode's "
                          "speed: 1 km walking, 3.75 km riding (nearby only)."},
    },
    "required": ["id", "name", "lon", "lat", "services", "status"],
}  # fmt: skip

OPENAPI = {
    "openapi": "3.1.0",
    "info": {
        "title": "geoplan stations API (户外劳动者服务站点)",
        "version": "1.0.0",
        "description": "Published rest stations for outdoor workers: list, nearest along the street network, routes, "
        "feeds for map apps and delivery platforms, and bulk lookup for depots and crews. Read-only, no login; "
        "rate-limited per client address.",
    },
    "servers": [{"url": "/api/v1"}],
    "paths": {
        "/stations": {"get": {
            "summary": "List public stations",
            "parameters": [{"name": "district", "in": "query", "schema": {"type": "string"}}, _SERVICE, _OPEN,
                           {"name": "bbox", "in": "query", "schema": {"type": "string"},
                            "description": "minlon,minlat,maxlon,maxlat in WGS-84, at most 2 degrees a side"},
                           _COORDS],
            "responses": {"200": {"description": "Stations", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"count": {"type": "integer"},
                                                 "stations": {"type": "array", "items": _STATION}}}}}},
                          "400": _ERROR, "429": _LIMITED},
        }},
        "/stations/nearby": {"get": {
            "summary": "Stations nearest along the street network",
            "parameters": [_LAT, _LON, _MODE, {"name": "limit", "in": "query",
                                               "schema": {"type": "integer", "minimum": 1, "maximum": 50,
                                                          "default": 10}},
                           _SERVICE, _OPEN, _COORDS],
            "responses": {"200": {"description": "Nearest first", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"query": {"type": "object"}, "area": {"type": "string"},
                                                 "stations": {"type": "array", "items": _STATION}}}}}},
                          "400": _ERROR, "429": _LIMITED},
        }},
        "/stations/{id}/route": {"get": {
            "summary": "Route from a point to a station (GeoJSON LineString Feature)",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
                           _LAT, _LON, _MODE, _COORDS],
            "responses": {"200": {"description": "The route", "content": {"application/json": {}}},
                          "400": _ERROR, "404": _ERROR, "429": _LIMITED},
        }},
        "/stations.geojson": {"get": {
            "summary": "Station feed as GeoJSON", "parameters": [_COORDS],
            "responses": {"200": {"description": "FeatureCollection", "content": {"application/geo+json": {}}}},
        }},
        "/stations.csv": {"get": {
            "summary": "Station feed as CSV (UTF-8 with BOM)", "parameters": [_COORDS],
            "responses": {"200": {"description": "CSV", "content": {"text/csv": {}}}},
        }},
        "/nearest": {"post": {
            "summary": "Nearest stations for each row of a CSV of depots or crews (name,lon,lat)",
            "requestBody": {"content": {"multipart/form-data": {"schema": {"type": "object", "properties": {
                "file": {"type": "string", "format": "binary"},
                "coords": {"type": "string", "enum": ["wgs84", "gcj02", "bd09"]},
                "mode": {"type": "string", "enum": ["walk", "ride"]},
                "limit": {"type": "integer", "minimum": 1, "maximum": 5},
                "format": {"type": "string", "enum": ["json", "csv"]}}, "required": ["file"]}}}},
            "responses": {"200": {"description": "Answers per row; malformed rows listed with their line numbers"},
                          "400": _ERROR, "413": {"description": "Upload too large"}, "429": _LIMITED},
        }},
        "/places": {"get": {
            "summary": "Find places by name (streets, metro stations, bus stops, banks, shops, districts)",
            "description": "Offline gazetteer of the area's own OpenStreetMap names and extra point layers (Nanchang's "
            "metro stations). Partial names match: exact, then prefix, then substring, then the typed Chinese "
            "characters in order (南昌站 finds 南昌西站 and 南昌火车站); Latin names and pinyin case-insensitively. "
            "Search the stations near a place with /stations/nearby at its lon/lat.",
            "parameters": [
                {"name": "q", "in": "query", "required": True,
                 "schema": {"type": "string", "minLength": 1, "maxLength": 40},
                 "description": "Part of a name; no control characters or < > { } [ ] ` \\ | $ ^ \"."},
                {"name": "area", "in": "query", "schema": {"type": "string"},
                 "description": "A registered area; default: the areas with public stations."},
                {"name": "limit", "in": "query",
                 "schema": {"type": "integer", "minimum": 1, "maximum": 20, "default": 10}},
                _COORDS],
            "responses": {"200": {"description": "Best first", "content": {"application/json": {"schema": {
                "type": "object", "properties": {
                    "query": {"type": "string"}, "coords": {"type": "string"}, "count": {"type": "integer"},
                    "places": {"type": "array", "items": {"type": "object", "properties": {
                        "name": {"type": "string"}, "other_name": {"type": ["string", "null"]},
                        "kind": {"type": "string", "enum": ["metro", "rail", "district", "street", "stop", "bank",
                                                            "shop", "poi"]},
                        "area": {"type": "string"}, "district": {"type": ["string", "null"]},
                        "match": {"type": "string", "enum": ["exact", "prefix", "substring", "characters"]},
                        "lon": {"type": "number"}, "lat": {"type": "number"}, "coords": {"type": "string"}},
                        "required": ["name", "kind", "area", "match", "lon", "lat"]}}}}}}},
                          "400": _ERROR, "429": _LIMITED},
        }},
        "/services": {"get": {"summary": "Service codes", "responses": {"200": {"description": "Codes"}}}},
    },
    "components": {"schemas": {
        "Error": {"type": "object", "properties": {"error": {"type": "string"}, "kind": {"type": "string"}},
                  "required": ["error"]},
        "Station": _STATION,
    }},
}  # fmt: skip
