"""Plain-text descriptions of stations, districts and a whole scenario, shared by the KML and HTML exports."""

from __future__ import annotations

import math

from geoplan import i18n
from geoplan.outputs.export_data import ExportData

__all__ = ["district_text", "overview", "station_text"]


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
        f"{_label('covered_workers', lang)}: {row.covered_workers:.0f}" if not math.isnan(row.covered_workers) else "",
        f"WGS-84: {row.lon:.6f}, {row.lat:.6f}",
        f"GCJ-02: {row.lon_gcj02:.6f}, {row.lat_gcj02:.6f}",
    ]
    return newline.join(line for line in lines if line)


def district_text(row, lang: str, newline: str) -> str:
    """Plain-text description of a district's coverage (workers, covered, share, stations)."""
    return newline.join(
        [
            f"{_label('workers', lang)}: {row.workers:.0f}",
            f"{_label('covered_workers', lang)}: {row.covered:.0f}",
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
        f"{_label('covered_workers', lang)}: {workers.get('covered', 0):.0f} / {workers.get('total', 0):.0f} "
        f"({workers.get('share', 0):.1%})",
    ]
    if isinstance(gap, int | float) and math.isfinite(gap):
        parts.append(("最优性差距" if lang == "zh" else "optimality gap") + f": {gap:.2%}")
    return "; ".join(parts)


def _label(key: str, lang: str) -> str:
    return i18n.text("label", key, lang)
