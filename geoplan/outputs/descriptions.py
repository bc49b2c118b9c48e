"""Plain-text descriptions of stations, districts, the optimiser's method and a whole scenario, in either language.

Shared by the KML, HTML and PDF exports and the command line.
"""

from __future__ import annotations

import math
import re

from geoplan import i18n
from geoplan.outputs.export_data import ExportData

__all__ = ["district_source_text", "district_text", "method_text", "overview", "station_text"]

#: "Lagrangian elimination (12 of 340 sites)": a method step with numbers.
_ELIMINATION = re.compile(r"Lagrangian elimination \((\d+) of (\d+) sites\)")

#: The forms of :attr:`geoplan.data.areas.StudyArea.district_source`, and their catalog keys.
_SOURCES = (
    (re.compile(r"boundary (?P<name>.+) of (?P<file>.+) \((?P<crs>[^()]+)\)"), "clip"),
    (re.compile(r"file (?P<file>.+) \((?P<crs>[^()]+)\)"), "file"),
    (re.compile(r"OSM boundary=administrative admin_level=(?P<level>\S+)"), "osm_admin"),
    (re.compile(r"Voronoi cells of OSM place=(?P<types>\S+) nodes"), "voronoi"),
    (re.compile(r"whole study area.*"), "whole_area"),
)


def method_text(method: object, lang: str) -> str:
    """Return the optimiser's method (``greedy+swap, Lagrangian bound``) in ``lang``, step by step.

    A step the catalog does not know is shown as it is.
    """
    steps = []
    for step in str(method or "").split(", "):
        found = _ELIMINATION.fullmatch(step)
        if found:
            steps.append(i18n.text("solve_method", "Lagrangian elimination of", lang, kept=found[1], total=found[2]))
        elif step:
            steps.append(i18n.text("solve_method", step, lang))
    return ("，" if lang == "zh" else ", ").join(steps)


def district_source_text(source: str, lang: str) -> str:
    """Return where an area's districts come from (``StudyArea.district_source``) in ``lang``."""
    for pattern, key in _SOURCES:
        found = pattern.fullmatch(source)
        if found:
            return i18n.text("district_source", key, lang, **found.groupdict())
    return source


def station_text(row, lang: str, newline: str) -> str:
    """Plain-text description of a station (one line per field, empty fields left out)."""
    lines = [
        f"{_label('status', lang)}: {_label(f'status_{row.status}', lang)}",
        f"{_label('level', lang)}: {_label(f'level_{row.level}', lang)}",
        f"{_label('district', lang)}: {row.district}" if row.district else "",
        f"{_label('address', lang)}: {row.address}" if row.address else "",
        f"{_label('phone', lang)}: {row.phone}" if row.phone else "",
        f"{_label('hours', lang)}: {row.hours}" if row.hours else "",
        f"{_label('services', lang)}: {i18n.services_text(row.services, lang)}" if row.services else "",
        f"{_label('covered_workers', lang)}: {i18n.format_count(row.covered_workers, lang)}"
        if not math.isnan(row.covered_workers)
        else "",
        *_capacity_lines(row, lang),
        f"WGS-84: {row.lon:.6f}, {row.lat:.6f}",
        f"GCJ-02: {row.lon_gcj02:.6f}, {row.lat_gcj02:.6f}",
    ]
    return newline.join(line for line in lines if line)


def _capacity_lines(row, lang: str) -> list[str]:
    """Capacity, floor area, peak load, busiest window and utilisation of a station of a capacitated scenario."""
    capacity = getattr(row, "capacity", None)
    if capacity is None or math.isnan(capacity):
        return []
    return [
        f"{_label('capacity', lang)}: {i18n.format_count(capacity, lang)}",
        f"{_label('size_m2', lang)}: {row.size_m2:g}",
        f"{_label('peak_load', lang)}: {i18n.format_count(row.peak_load, lang)} / "
        f"{i18n.format_count(row.capacity_per_hour, lang)} ({row.peak_window})",
        f"{_label('utilisation', lang)}: {row.utilisation:.1%}",
    ]


def district_text(row, lang: str, newline: str) -> str:
    """Plain-text description of a district's coverage (workers, covered, share, stations)."""
    return newline.join(
        [
            f"{_label('workers', lang)}: {i18n.format_count(row.workers, lang)}",
            f"{_label('covered_workers', lang)}: {i18n.format_count(row.covered, lang)}",
            f"{_label('share', lang)}: {row.share:.1%}",
            f"{_label('stations', lang)}: {row.stations}",
        ]
    )


def overview(data: ExportData, lang: str) -> str:
    """One line on the whole scenario: stations, workers covered and the optimality gap when known."""
    workers = data.workers
    gap = data.result.get("gap")
    parts = [
        f"{_label('stations', lang)}: {len(data.stations)}",
        f"{_label('covered_workers', lang)}: {i18n.format_count(workers.get('covered', 0), lang)} / "
        f"{i18n.format_count(workers.get('total', 0), lang)} ({workers.get('share', 0):.1%})",
    ]
    if "served" in workers:
        parts.append(f"{_label('served_workers', lang)}: {i18n.format_count(workers['served'], lang)} "
                     f"({workers.get('served_share', 0):.1%})")  # fmt: skip
    if isinstance(gap, int | float) and math.isfinite(gap):
        parts.append(("最优性差距" if lang == "zh" else "optimality gap") + f": {gap:.2%}")
    return "; ".join(parts)


def _label(key: str, lang: str) -> str:
    return i18n.text("label", key, lang)
