"""Plain, documented configuration values, set once at start-up.

The CLI and the web app may change these before any work starts (for example to switch progress bars on); nothing
changes them per request. Values that differ per plan (stations, cutoffs, spacing, ...) are not here: they are the
fields of :class:`geoplan.plan.PlanParameters`.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Root of a source checkout (the folder holding ``pyproject.toml``).
PROJECT_ROOT: Path = Path(__file__).resolve().parents[1]

#: osmnx's HTTP cache folder: every successful Overpass/Nominatim answer is stored here and reused offline.
OSM_CACHE_FOLDER: Path = Path(os.environ.get("GEOPLAN_OSM_CACHE", PROJECT_ROOT / "data" / "osm_cache"))

#: Folder of shared real data (``../shared/data`` beside the checkout); ``${shared}`` in the area registry.
SHARED_DATA: Path = Path(os.environ.get("GEOPLAN_SHARED_DATA", PROJECT_ROOT.parent / "shared" / "data"))

#: Area registry file (TOML). A new area, such as a full Nanchang extract, is a new entry here.
AREA_REGISTRY: Path = Path(os.environ.get("GEOPLAN_AREAS", Path(__file__).with_name("areas.toml")))

#: Geographic CRS used at the edges (input and output files).
WGS84: str = "EPSG:4326"

#: Show progress bars on long steps. Off in the library; the CLI switches it on for people at a terminal.
show_progress: bool = False
