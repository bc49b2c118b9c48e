"""The review map rings stations in the same utilisation bands and colours as the exported maps (issue 16)."""

from __future__ import annotations

import re
from pathlib import Path

from geoplan.outputs.utilisation import UTILISATION_COLOURS, UTILISATION_HIGH

STATIC = Path(__file__).resolve().parents[2] / "web" / "static"


def test_review_map_ring_colours_are_the_exports():
    css = (STATIC / "app.css").read_text("utf-8")
    for band, colour in UTILISATION_COLOURS.items():
        found = re.search(rf"\.site-marker\.util-{band}[^{{]*\{{[^}}]*outline:\s*3px solid (#[0-9a-fA-F]{{6}})", css)
        assert found, f"no ring rule for the {band} band in app.css"
        assert found.group(1).lower() == colour.lower()


def test_review_map_bands_split_where_the_exports_do():
    script = (STATIC / "map.js").read_text("utf-8")
    body = script[script.index("function utilisationLevel") :]
    body = body[: body.index("}") + 1]
    assert f">= {UTILISATION_HIGH}" in body
