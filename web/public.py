"""The public, read-only side: station list, nearby search, route, feeds and bulk lookup (``/api/v1``).

No login. Only published stations' public fields are ever returned (see :mod:`geoplan_web.stations`). Every parameter is
checked and capped; errors are JSON ``{"error": ...}`` with status 400 (bad input), 404 (unknown station) or 429
(rate limit).
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import numpy as np
from flask import Blueprint, Response, current_app, jsonify, request
from geoplan_web import stations as data
from geoplan_web.openapi import OPENAPI

from geoplan.coverage import nearby
from geoplan.data.readers import scan_points_csv
from geoplan.errors import InputError, NotFoundError
from geoplan.vocabulary import SERVICES

blueprint = Blueprint("public_api", __name__, url_prefix="/api/v1")

#: Bulk lookup: most rows and stations per row.
MAX_BULK_ROWS = 2000
MAX_BULK_LIMIT = 5

#: Feed columns (CSV), in order.
FEED_COLUMNS = ("id", "name", "district", "address", "phone", "hours", "services", "host", "status", "level", "lon",
                "lat")  # fmt: skip


def _store():
    return current_app.extensions["geoplan_store"]


def _number(name: str, low: float, high: float) -> float:
    value = request.args.get(name)
    if value in (None, ""):
        raise InputError(f"{name}: required.")
    try:
        number = float(value)
    except ValueError:
        raise InputError(f"{name}: {value!r} is not a number.") from None
    if not (low <= number <= high) or not np.isfinite(number):
        raise InputError(f"{name}: {number:g} is outside {low:g}..{high:g}.")
    return number


def _int(name: str, default: int, low: int, high: int) -> int:
    value = request.args.get(name)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        raise InputError(f"{name}: {value!r} is not a whole number.") from None
    if not low <= number <= high:
        raise InputError(f"{name}: give {low} to {high}.")
    return number


def _flag(name: str) -> bool:
    value = (request.args.get(name) or "").lower()
    if value in ("", "0", "false", "no"):
        return False
    if value in ("1", "true", "yes"):
        return True
    raise InputError(f"{name}: use 1 or 0.")


def _mode() -> str:
    mode = request.args.get("mode", "walk")
    if mode not in nearby.SPEEDS:
        raise InputError(f"mode: use one of {', '.join(nearby.SPEEDS)}.")
    return mode


def _shown(station: dict, system: str, **extra) -> dict:
    lon, lat = data.in_system(station["lon"], station["lat"], system)
    out = {k: v for k, v in station.items() if k not in ("lon", "lat")}
    out.update(lon=lon, lat=lat, coords=system, open_now=data.is_open(station), **extra)
    return out


@blueprint.get("/stations")
def list_stations():
    """List public stations: filters ``district``, ``service``, ``bbox`` (WGS-84), ``open_now``; output ``coords``."""
    system = data.system(request.args.get("coords"))
    chosen = data.filtered(data.public(_store()), request.args.get("district") or None,
                           request.args.get("service") or None, request.args.get("bbox") or None,
                           _flag("open_now"))  # fmt: skip
    return jsonify(count=len(chosen), stations=[_shown(s, system) for s in chosen])


@blueprint.get("/stations/nearby")
def stations_nearby():
    """List stations by network distance from ``lat``/``lon`` (in ``coords``), ``mode`` walk|ride, ``limit``."""
    system = data.system(request.args.get("coords"))
    lon, lat = data.coords.to_wgs84(_number("lon", -180, 180), _number("lat", -90, 90), system)
    mode, limit = _mode(), _int("limit", 10, 1, data.MAX_LIMIT)
    everything = data.public(_store())
    if not everything:
        return jsonify(query=_query(lon, lat, system, mode), stations=[])
    # The area is the one the worker stands in, whatever the filters leave; the index covers all its stations.
    area = data.area_of(everything, lon, lat)
    index, mine = data.index_for(area, everything)
    wanted = {s["id"] for s in data.filtered(mine, service=request.args.get("service") or None,
                                             open_now=_flag("open_now"))}  # fmt: skip
    found = nearby.nearest(index, lon, lat, limit=len(mine))
    rows = [
        _shown(mine[i], system, distance_m=round(float(d), 1), minutes=round(float(nearby.minutes(d, mode)), 1))
        for i, d in zip(found.order, found.distance_m, strict=True)
        if mine[i]["id"] in wanted
    ][:limit]
    return jsonify(query=_query(lon, lat, system, mode), area=area, stations=rows)


def _query(lon: float, lat: float, system: str, mode: str) -> dict:
    shown = data.in_system(lon, lat, system)
    return {"lon": shown[0], "lat": shown[1], "coords": system, "mode": mode}


@blueprint.get("/stations/<int:station_id>/route")
def station_route(station_id: int):
    """Return the route along the network from ``lat``/``lon`` to a station, as a GeoJSON Feature in ``coords``."""
    system = data.system(request.args.get("coords"))
    lon, lat = data.coords.to_wgs84(_number("lon", -180, 180), _number("lat", -90, 90), system)
    everything = data.public(_store())
    station = next((s for s in everything if s["id"] == station_id), None)
    if station is None:
        raise NotFoundError(f"No public station {station_id}.")
    index, mine = data.index_for(station["area"], everything)
    position = next(i for i, s in enumerate(mine) if s["id"] == station_id)
    line = nearby.route(index, position, lon, lat)
    distance = float(nearby.distances(index, lon, lat)[position])
    shown = [list(data.in_system(x, y, system)) for x, y in line]
    mode = _mode()
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
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*FEED_COLUMNS[:-2], f"lon_{system}", f"lat_{system}"])
    for s in data.public(_store()):
        shown = _shown(s, system)
        shown["services"] = ";".join(shown["services"])
        writer.writerow([shown.get(c) if shown.get(c) is not None else "" for c in FEED_COLUMNS])
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=stations_{system}.csv"})  # fmt: skip


@blueprint.post("/nearest")
def bulk_nearest():
    """Answer the nearest stations for each row of an uploaded CSV ``name,lon,lat``.

    Form fields ``coords``, ``mode``, ``limit``, ``format`` (json|csv). Malformed rows are reported by line number;
    the others are answered.
    """
    system = data.system(request.form.get("coords"))
    mode = request.form.get("mode", "walk")
    if mode not in nearby.SPEEDS:
        raise InputError(f"mode: use one of {', '.join(nearby.SPEEDS)}.")
    try:
        limit = int(request.form.get("limit", 1))
    except ValueError:
        raise InputError("limit: a whole number.") from None
    if not 1 <= limit <= MAX_BULK_LIMIT:
        raise InputError(f"limit: give 1 to {MAX_BULK_LIMIT}.")
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
        answers.append({**row, "nearest": [
            {"id": mine[i]["id"], "name": mine[i]["name"], "address": mine[i]["address"],
             "distance_m": round(float(d), 1), "minutes": round(float(nearby.minutes(d, mode)), 1),
             **dict(zip(("lon", "lat"), data.in_system(mine[i]["lon"], mine[i]["lat"], system), strict=True))}
            for i, d in zip(found.order, found.distance_m, strict=True)
        ]})  # fmt: skip
    for answer in answers:
        answer["lon"], answer["lat"] = data.in_system(answer["lon"], answer["lat"], system)
    errors.sort(key=lambda e: e["line"])
    if request.form.get("format") == "csv":
        return _bulk_csv(answers, errors, system)
    return jsonify(coords=system, mode=mode, rows=answers, errors=errors)


def _bulk_rows(system: str) -> tuple[list[dict], list[dict]]:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InputError("file: upload a CSV with columns name,lon,lat.")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rows.csv"
        upload.save(path)
        text = path.read_bytes()
        lines = text.count(b"\n")
        if lines > MAX_BULK_ROWS + 1:
            raise InputError(f"{upload.filename}: at most {MAX_BULK_ROWS} rows per upload ({lines} given).")
        frame, errors = _read_lenient(path, system, upload.filename)
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
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["line", "name", f"lon_{system}", f"lat_{system}", "rank", "station_id", "station_name",
                     "station_address", "distance_m", "minutes", "error"])  # fmt: skip
    for a in answers:
        for rank, n in enumerate(a["nearest"], start=1):
            writer.writerow([a["line"], a["name"] or "", a["lon"], a["lat"], rank, n["id"], n["name"] or "",
                             n["address"] or "", n["distance_m"], n["minutes"], ""])  # fmt: skip
    for e in errors:
        writer.writerow([e["line"], "", "", "", "", "", "", "", "", "", e["error"]])
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=nearest_stations.csv"})  # fmt: skip


@blueprint.get("/openapi.json")
def openapi():
    """Return the OpenAPI 3.1 description of this API."""
    return jsonify(OPENAPI)


@blueprint.get("/services")
def services():
    """Return the service codes stations can list."""
    return jsonify(services=list(SERVICES))
