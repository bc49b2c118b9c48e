"""JSON answers made fast for big areas: static layers rendered and gzipped once, kept by the app's model cache.

The review map's candidate sites, districts and basemap layers of a prepared model never change; they run to
megabytes for a city (Nanchang: 19,700 candidate sites). They are rendered to JSON and compressed once, and every
later request is answered with those bytes.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import dataclass

from flask import Response, request
from geoplan_web import scenarios

#: gzip level of the answers (3: a third of level 6's time on 8 MB of GeoJSON, 25% larger).
GZIP_LEVEL = 3

#: Answers at least this large are gzipped for clients that accept it (map layers run to megabytes).
GZIP_MIN_BYTES = 2048


@dataclass(frozen=True)
class Encoded:
    """A JSON body and its gzipped form."""

    raw: bytes
    gzipped: bytes


def encode(text: str) -> Encoded:
    """Encode JSON text as UTF-8 and gzip it."""
    raw = text.encode("utf-8")
    return Encoded(raw, gzip.compress(raw, compresslevel=GZIP_LEVEL))


def cached_json(key: tuple, build: Callable[[], str], mimetype: str = "application/json") -> Response:
    """Answer with JSON text made once for ``key`` (everything the text is computed from) and kept by the app."""
    return send(scenarios.models().derived(("encoded json", *key), lambda: encode(build())), mimetype)


def send(body: Encoded, mimetype: str = "application/json") -> Response:
    """Answer with an encoded body, gzipped for clients that accept it."""
    zipped = "gzip" in request.headers.get("Accept-Encoding", "") and len(body.raw) >= GZIP_MIN_BYTES
    response = Response(body.gzipped if zipped else body.raw, mimetype=mimetype)
    if zipped:
        response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    return response
