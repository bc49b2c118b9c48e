"""Plain, documented configuration values, set once at start-up.

Folders default to the platform's places for an application's data and caches (platformdirs: on Linux
``~/.local/share/geoplan`` and ``~/.cache/geoplan``), never to the installed package or a source checkout, so a
wheel install works from any folder; each has an environment variable to put it elsewhere. The CLI and the web app
may change these before any work starts (for example to switch progress bars on); nothing changes them per
request. Values that differ per plan (stations, cutoffs, spacing, ...) are not here: they are the fields of
:class:`geoplan.planning.parameters.PlanParameters`.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

_DIRS = platformdirs.PlatformDirs("geoplan", appauthor=False)

#: The source checkout geoplan runs from, when it does (a folder holding ``pyproject.toml`` beside the package);
#: None for an installed wheel. Only used to find ``../shared/data`` beside a checkout; nothing is written here.
SOURCE_CHECKOUT: Path | None = Path(__file__).resolve().parents[1]
if not (SOURCE_CHECKOUT / "pyproject.toml").is_file():
    SOURCE_CHECKOUT = None


def _folder(variable: str, default: Path) -> Path:
    value = os.environ.get(variable)
    return Path(value).expanduser() if value else default


#: osmnx's HTTP cache folder (``GEOPLAN_OSM_CACHE``): every successful Overpass/Nominatim answer is stored here and
#: reused offline.
OSM_CACHE_FOLDER: Path = _folder("GEOPLAN_OSM_CACHE", _DIRS.user_cache_path / "osm")

#: Prepared planning models kept on disk (``GEOPLAN_MODEL_CACHE``), so the first opening of a scenario after a
#: restart does not redo the routing.
MODEL_CACHE_FOLDER: Path = _folder("GEOPLAN_MODEL_CACHE", _DIRS.user_cache_path / "models")

#: The web app's instance folder (``GEOPLAN_INSTANCE``): the default SQLite database and the session key.
INSTANCE_FOLDER: Path = _folder("GEOPLAN_INSTANCE", _DIRS.user_data_path / "instance")

#: Folder of shared real data (``GEOPLAN_SHARED_DATA``); ``${shared}`` in the area registry. Defaults to
#: ``../shared/data`` beside a source checkout, else to a ``shared-data`` folder in the user's data folder.
SHARED_DATA: Path = _folder(
    "GEOPLAN_SHARED_DATA",
    SOURCE_CHECKOUT.parent / "shared" / "data" if SOURCE_CHECKOUT else _DIRS.user_data_path / "shared-data",
)

#: Area registry file (TOML, ``GEOPLAN_AREAS``). A new area, such as a full Nanchang extract, is a new entry here.
AREA_REGISTRY: Path = _folder("GEOPLAN_AREAS", Path(__file__).with_name("data") / "areas.toml")

#: The area used when none is named (``GEOPLAN_DEFAULT_AREA``, a registered name); unset, the registry's own
#: ``default`` (Shanghai's Bund and Lujiazui). A provincial or city union sets its own city here.
DEFAULT_AREA: str | None = os.environ.get("GEOPLAN_DEFAULT_AREA") or None

#: Geographic CRS used at the edges (input and output files).
WGS84: str = "EPSG:4326"

#: Show progress bars on long steps. Off in the library; the CLI switches it on for people at a terminal.
show_progress: bool = False
