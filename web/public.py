"""The public, read-only side: station list, nearby search, route, feeds and bulk lookup (``/api/v1``).

No login. Only published stations' public fields are ever returned (see :mod:`geoplan_web.stations`). Every parameter is
read through :mod:`geoplan_web.validation`, checked and capped; errors are JSON ``{"error": ...}`` with status 400
(bad input, naming the parameter), 404 (unknown station), 413 (request too large) or 429 (rate limit).
"""

from __future__ import annotations

import tempfile
import unicodedata
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, request
from geoplan_web import scenarios, validation
from geoplan_web import stations as data
from geoplan_web.i18n import language
from geoplan_web.openapi import OPENAPI
from geoplan_web.validation import Fields

from geoplan import csvfile, i18n
from geoplan.coverage import nearby
from geoplan.data import gazetteer
from geoplan.data.readers import scan_points_csv
from geoplan.errors import InputError, NotFoundError
from geoplan.vocabulary import SERVICES

blueprint = Blueprint("public_api", __name__, url_prefix="/api/v1")

#: Bulk lookup: most rows (:data:`geoplan_web.validation.BULK_FILE`) and stations per row.
MAX_BULK_ROWS = validation.BULK_FILE.max_rows
MAX_BULK_LIMIT = 5

#: Longest place query (characters) and most places answered (``/places``).
MAX_PLACE_CHARS = 40
MAX_PLACES = 20

#: Characters no place name holds: a query with one is refused (markup and template symbols).
_REFUSED_PLACE_CHARS = "<>{}[]`\\|$^\""

#: Answer formats of the bulk lookup.
BULK_FORMATS = ("json", "csv")

#: Feed columns (CSV), in order.
FEED_COLUMNS = ("id", "name", "district", "address", "phone", "hours", "services", "host", "status", "level", "lon",
                "lat")  # fmt: skip


def _store():
    return current_app.extensions["geoplan_store"]


def _position(fields: Fields, system: str) -> tuple[float, float]:
    """Return the WGS-84 position of ``lon``/``lat`` given in ``system``."""
    return data.coords.to_wgs84(fields.number("lon", -180, 180), fields.number("lat", -90, 90), system)


def _mode(fields: Fields) -> str:
    return fields.choice("mode", tuple(nearby.SPEEDS), default="walk")


def _service(fields: Fields) -> str | None:
    return fields.choice("service", SERVICES, default=None)


def _shown(station: dict, system: str, **extra) -> dict:
    lon, lat = data.in_system(station["lon"], station["lat"], system)
    out = {k: v for k, v in station.items() if k not in ("lon", "lat")}
    out.update(lon=lon, lat=lat, coords=system, open_now=data.is_open(station), **extra)
    return out


@blueprint.get("/stations")
def list_stations():
    """List public stations: filters ``district``, ``service``, ``bbox`` (WGS-84), ``open_now``; output ``coords``."""
    fields = validation.query()
    system = data.system(request.args.get("coords"))
    chosen = data.filtered(data.public(_store()), fields.text("district", data.DISTRICT_CHARS, default=None),
                           _service(fields), fields.bbox("bbox", data.MAX_BBOX_DEG),
                           fields.boolean("open_now", default=False))  # fmt: skip
    return jsonify(count=len(chosen), stations=[_shown(s, system) for s in chosen])


@blueprint.get("/stations/nearby")
def stations_nearby():
    """List stations by network distance from ``lat``/``lon`` (in ``coords``), ``mode`` walk|ride, ``limit``."""
    fields = validation.query()
    system = data.system(request.args.get("coords"))
    lon, lat = _position(fields, system)
    mode, limit = _mode(fields), fields.integer("limit", 1, data.MAX_LIMIT, default=10)
    service, open_now = _service(fields), fields.boolean("open_now", default=False)
    everything = data.public(_store())
    if not everything:
        return jsonify(query=_query(lon, lat, system, mode), stations=[], circle=data.circle(mode),
                       within_15_min=False)  # fmt: skip
    # The area is the one the worker stands in, whatever the filters leave; the index covers all its stations.
    area = data.area_of(everything, lon, lat)
    index, mine = data.index_for(area, everything)
    wanted = {s["id"] for s in data.filtered(mine, service=service, open_now=open_now)}
    found = nearby.nearest(index, lon, lat, limit=len(mine))
    rows = [
        _shown(mine[i], system, distance_m=round(float(d), 1), minutes=round(float(nearby.minutes(d, mode)), 1),
               within_15_min=data.within_circle(float(nearby.minutes(d, mode))))
        for i, d in zip(found.order, found.distance_m, strict=True)
        if mine[i]["id"] in wanted
    ][:limit]  # fmt: skip
    return jsonify(query=_query(lon, lat, system, mode), area=area, stations=rows, circle=data.circle(mode),
                   within_15_min=any(r["within_15_min"] for r in rows))  # fmt: skip


def _query(lon: float, lat: float, system: str, mode: str) -> dict:
    shown = data.in_system(lon, lat, system)
    return {"lon": shown[0], "lat": shown[1], "coords": system, "mode": mode}


@blueprint.get("/stations/<int:station_id>/route")
def station_route(station_id: int):
    """Return the route along the network from ``lat``/``lon`` to a station, as a GeoJSON Feature in ``coords``."""
    fields = validation.query()
    system = data.system(request.args.get("coords"))
    lon, lat = _position(fields, system)
    mode = _mode(fields)
    everything = data.public(_store())
    station = next((s for s in everything if s["id"] == station_id), None)
    if station is None:
        raise i18n.coded_error(NotFoundError, "no_public_station", station=station_id)
    index, mine = data.index_for(station["area"], everything)
    position = next(i for i, s in enumerate(mine) if s["id"] == station_id)
    line = nearby.route(index, position, lon, lat)
    distance = float(nearby.distances(index, lon, lat)[position])
    shown = [list(data.in_system(x, y, system)) for x, y in line]
    return jsonify(type="Feature", geometry={"type": "LineString", "coordinates": shown},
                   properties={"station": station_id, "distance_m": round(distance, 1), "coords": system,
                               "minutes": round(float(nearby.minutes(distance, mode)), 1), "mode": mode})  # fmt: skip


@blueprint.get("/stations.geojson")
def feed_geojson():
    """Return every public station as GeoJSON points (``coords`` wgs84 or gcj02; RFC 7946 readers expect wgs84)."""
    system = data.system(request.args.get("coords"))
    features = []
    for s in data.public(_store()):
        shown = _shown(s, system)
        lon, lat = shown.pop("lon"), shown.pop("lat")
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                         "properties": shown})  # fmt: skip
    body = {"type": "FeatureCollection", "coords": system, "features": features}
    response = jsonify(body)
    response.mimetype = "application/geo+json"
    return response


@blueprint.get("/stations.csv")
def feed_csv():
    """Return every public station as CSV (UTF-8 with BOM, so spreadsheet programs show Chinese), ``coords`` chosen."""
    system = data.system(request.args.get("coords"))
    rows = []
    for s in data.public(_store()):
        shown = _shown(s, system)
        shown["services"] = ";".join(shown["services"])
        rows.append([shown.get(c) for c in FEED_COLUMNS])
    text = csvfile.csv_text([*FEED_COLUMNS[:-2], f"lon_{system}", f"lat_{system}"], rows)
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=stations_{system}.csv"})  # fmt: skip


@blueprint.post("/nearest")
def bulk_nearest():
    """Answer the nearest stations for each row of an uploaded CSV ``name,lon,lat``.

    Form fields ``coords``, ``mode``, ``limit``, ``format`` (json|csv). Malformed rows are reported by line number;
    the others are answered. The file is text in UTF-8, GBK or UTF-16 with any line ends, within
    :data:`geoplan_web.validation.BULK_FILE` (bytes and rows).
    """
    fields = validation.form()
    system = data.system(request.form.get("coords"))
    mode = _mode(fields)
    limit = fields.integer("limit", 1, MAX_BULK_LIMIT, default=1)
    answer_format = fields.choice("format", BULK_FORMATS, default="json")
    rows, errors = _bulk_rows(system)
    everything = data.public(_store())
    answers = []
    for row in rows:
        try:
            area = data.area_of(everything, row["lon"], row["lat"])
            index, mine = data.index_for(area, everything)
            found = nearby.nearest(index, row["lon"], row["lat"], limit=limit)
        except InputError as error:
            errors.append({"line": row["line"], "error": str(error)})
            continue
        nearest = [
            {"id": mine[i]["id"], "name": mine[i]["name"], "address": mine[i]["address"],
             "status": mine[i]["status"], "hours": mine[i]["hours"], "open_now": data.is_open(mine[i]),
             "distance_m": round(float(d), 1), "minutes": round(float(nearby.minutes(d, mode)), 1),
             "within_15_min": data.within_circle(float(nearby.minutes(d, mode))),
             **dict(zip(("lon", "lat"), data.in_system(mine[i]["lon"], mine[i]["lat"], system), strict=True))}
            for i, d in zip(found.order, found.distance_m, strict=True)
        ]  # fmt: skip
        within = bool(nearest) and nearest[0]["within_15_min"]
        answers.append({**row, "within_15_min": within, "note": _circle_note(nearest, mode), "nearest": nearest})
    for answer in answers:
        answer["lon"], answer["lat"] = data.in_system(answer["lon"], answer["lat"], system)
    errors.sort(key=lambda e: e["line"])
    if answer_format == "csv":
        return _bulk_csv(answers, errors, system)
    return jsonify(coords=system, mode=mode, circle=data.circle(mode), rows=answers, errors=errors)


def _circle_note(nearest: list[dict], mode: str) -> str:
    """Say (in the request's language) whether a station is within the service circle, and the nearest one's time."""
    lang = language()
    if not nearest:
        return i18n.text("ui", "no_results", lang)
    key = "bulk_within_circle" if nearest[0]["within_15_min"] else "bulk_outside_circle"
    return i18n.text("ui", key, lang, minutes=f"{data.CIRCLE_MINUTES:g}", mode=i18n.text("ui", f"mode_{mode}", lang),
                     time=f"{nearest[0]['minutes']:g}")  # fmt: skip


def _bulk_rows(system: str) -> tuple[list[dict], list[dict]]:
    upload = validation.upload("file", validation.BULK_FILE)
    with tempfile.TemporaryDirectory() as folder:
        frame, errors = _read_lenient(upload.save(folder, "rows"), system, upload.name)
    rows = [{"line": int(line), "name": None if name is None else str(name), "lon": p.x, "lat": p.y}
            for line, name, p in zip(frame["csv_line"], frame["name"], frame.geometry, strict=True)]  # fmt: skip
    return rows, errors


def _read_lenient(path: Path, system: str, shown: str):
    """Read the CSV row by row: malformed rows become errors with their line numbers, the rest are kept."""
    frame, problems = scan_points_csv(path, crs=system, weight=None, shown=shown)
    if "name" not in frame.columns:
        frame["name"] = None
    errors = [{"line": problem.line, "error": problem.message} for problem in problems]
    return frame, errors


def _bulk_csv(answers: list[dict], errors: list[dict], system: str) -> Response:
    header = ["line", "name", f"lon_{system}", f"lat_{system}", "within_15_min", "note", "rank", "station_id",
              "station_name", "station_address", "station_status", "open_now", "distance_m", "minutes",
              "error"]  # fmt: skip
    rows = [[a["line"], a["name"], a["lon"], a["lat"], a["within_15_min"], a["note"], rank, n["id"], n["name"],
             n["address"], n["status"], n["open_now"], n["distance_m"], n["minutes"], None]
            for a in answers for rank, n in enumerate(a["nearest"], start=1)]  # fmt: skip
    rows += [[a["line"], a["name"], a["lon"], a["lat"], False, a["note"], *([None] * 9)]
             for a in answers if not a["nearest"]]  # fmt: skip
    rows += [[e["line"], *([None] * 13), e["error"]] for e in errors]
    rows.sort(key=lambda r: r[0])
    return Response(csvfile.csv_text(header, rows), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=nearest_stations.csv"})  # fmt: skip


@blueprint.get("/places")
def places():
    """Find places by part of their name in an area's own gazetteer (streets, POIs, metro stations, districts).

    ``q`` (1 to :data:`MAX_PLACE_CHARS` characters, no control characters or markup symbols), ``area`` (a registered
    area; default: the areas with public stations, else the default area), ``limit`` (1 to :data:`MAX_PLACES`),
    ``coords`` of the answer.
    """
    fields = validation.query()
    system = data.system(request.args.get("coords"))
    query = _place_query(request.args.get("q"))
    limit = fields.integer("limit", 1, MAX_PLACES, default=10)
    names, default = scenarios.area_names()
    asked = fields.choice("area", tuple(names), default=None)
    areas = [asked] if asked else sorted({s["area"] for s in data.public(_store())}) or [default]
    found = []
    for area in areas:
        found += [(area, place) for place in gazetteer.search(data.places_of(area), query, limit)]
    found.sort(key=lambda item: (gazetteer.MATCHES.index(item[1].match), gazetteer.KINDS.index(item[1].kind)))
    shown = []
    for area, place in found[:limit]:
        lon, lat = data.in_system(place.lon, place.lat, system)
        shown.append({"name": place.name, "other_name": place.other_name, "kind": place.kind, "area": area,
                      "district": place.district, "match": place.match, "lon": lon, "lat": lat,
                      "coords": system})  # fmt: skip
    return jsonify(query=query, coords=system, count=len(shown), places=shown)


def _place_query(value: str | None) -> str:
    """Read a place query: required, at most :data:`MAX_PLACE_CHARS`, no control characters or markup symbols."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    if not text:
        raise i18n.input_error("place_query_empty")
    if len(text) > MAX_PLACE_CHARS:
        raise i18n.input_error("place_query_too_long", max_len=MAX_PLACE_CHARS, length=len(text))
    if any(unicodedata.category(c) in ("Cc", "Cf", "Co", "Cs") or c in _REFUSED_PLACE_CHARS for c in text):
        raise i18n.input_error("place_query_chars", chars=" ".join(_REFUSED_PLACE_CHARS))
    return text


@blueprint.get("/openapi.json")
def openapi():
    """Return the OpenAPI 3.1 description of this API."""
    return jsonify(OPENAPI)


@blueprint.get("/services")
def services():
    """Return the service codes stations can list."""
    return jsonify(services=list(SERVICES))
