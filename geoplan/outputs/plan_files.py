"""Write a plan run's files: proposals (GeoJSON), coverage figures (JSON) and an interactive map (HTML).

Every file is first written into a hidden staging folder and moved into place only when all were written
(:func:`geoplan.files.write_all`), so a failed export never leaves a half-written file or a half-updated set.
Coordinates are WGS-84, with GCJ-02 columns added for Chinese map tools.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd

from geoplan import settings
from geoplan.files import ensure_folder, write_all
from geoplan.inputs.candidates import refusal_reasons
from geoplan.outputs.tables import proposals_wgs84
from geoplan.outputs.webmap import plan_map
from geoplan.planning.plan import Plan

__all__ = ["write_plan"]


def write_plan(plan: Plan, out_dir: Path, lang: str = "zh") -> dict[str, Path]:
    """Write a plan's files into ``out_dir``.

    The files are ``proposals.geojson``, ``footprints.geojson``, ``refused_sites.geojson``, ``coverage.json`` and
    ``map.html``.

    Parameters
    ----------
    plan : Plan
    out_dir : pathlib.Path
        Created if missing.
    lang : str
        Language of what a person reads in the files (``zh`` or ``en``): the map, and the refused sites' ``reason``
        (their ``reason_code`` is the same in both).

    Returns
    -------
    dict of str to pathlib.Path
        The files written, by name.

    Raises
    ------
    InputError
        The folder cannot be created or written to.
    """
    out_dir = ensure_folder(out_dir)
    summary = plan.summary()
    refused = _refused(plan, lang)
    files = {
        "proposals": ("proposals.geojson", lambda tmp: _write_geojson(proposals_wgs84(plan), tmp, "proposals")),
        "footprints": ("footprints.geojson", lambda tmp: _write_geojson(_footprints(plan), tmp, "footprints")),
        "refused": ("refused_sites.geojson", lambda tmp: _write_geojson(refused, tmp, "refused_sites")),
        "coverage": (
            "coverage.json",
            lambda tmp: tmp.write_text(json.dumps(summary, ensure_ascii=False, indent=2), "utf-8"),
        ),
        "map": ("map.html", lambda tmp: plan_map(plan, lang).save(str(tmp))),
    }
    write_all(out_dir, dict(files.values()))
    return {key: out_dir / name for key, (name, _) in files.items()}


def _refused(plan: Plan, lang: str) -> gpd.GeoDataFrame:
    """Return the refused sites in WGS-84: ``source``, ``reason_code`` and ``reason`` in ``lang``."""
    refused = plan.candidates.refused
    frame = refused[["source", "reason_code", "geometry"]].assign(reason=refusal_reasons(refused, lang))
    frame = gpd.GeoDataFrame(frame[["source", "reason_code", "reason", "geometry"]], geometry="geometry",
                             crs=refused.crs)  # fmt: skip
    return frame.to_crs(settings.WGS84)


def _footprints(plan: Plan) -> gpd.GeoDataFrame:
    frame = plan.proposals[plan.proposals["footprint"].notna()][["id", "footprint_m2", "footprint"]]
    frame = gpd.GeoDataFrame(frame.rename(columns={"footprint": "geometry"}), geometry="geometry", crs=plan.area.crs)
    return frame.to_crs(settings.WGS84)


def _write_geojson(frame: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    frame.to_file(path, driver="GeoJSON", engine="pyogrio", layer=layer, layer_options={"COORDINATE_PRECISION": 8})
