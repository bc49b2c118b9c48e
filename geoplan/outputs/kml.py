"""KML 2.2 export of a scenario: station placemarks, walking and riding service areas, district coverage."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path

import shapely

from geoplan import i18n
from geoplan.outputs.descriptions import district_text, overview, station_text
from geoplan.outputs.export_data import ExportData
from geoplan.outputs.tables import STATION_COLUMNS
from geoplan.vocabulary import MODES

__all__ = ["KML_NAMESPACE", "write_kml"]

_COORD_DIGITS = 7  # ~1 cm

KML_NAMESPACE = "http://www.opengis.net/kml/2.2"

#: KML colours (aabbggrr) of the station icons and service-area fills.
_KML_COLOURS = {
    "city": "ff2b39c0",
    "district": "ffa37124",
    "walk": "5560ae27",
    "ride": "33db9834",
    "district_outline": "ff555555",
}


def _kml(tag: str) -> str:
    return f"{{{KML_NAMESPACE}}}{tag}"


def _sub(parent: ET.Element, tag: str, text: object = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, _kml(tag), attributes)
    if text is not None:
        element.text = str(text)
    return element


def write_kml(data: ExportData, path: Path, *, lang: str) -> None:
    """KML 2.2 (UTF-8): station placemarks, one folder of service-area polygons per mode, district coverage."""
    ET.register_namespace("", KML_NAMESPACE)
    root = ET.Element(_kml("kml"))
    document = _sub(root, "Document")
    _sub(document, "name", data.name)
    _sub(document, "description", overview(data, lang))
    _kml_styles(document)
    folder = _sub(document, "Folder")
    _sub(folder, "name", f"{_label('stations', lang)} ({len(data.stations)})")
    for row in data.stations.itertuples(index=False):
        placemark = _sub(folder, "Placemark", id=f"station-{row.id}")
        _sub(placemark, "name", row.name or f"#{row.id}")
        _sub(placemark, "description", station_text(row, lang, "\n"))
        _sub(placemark, "styleUrl", f"#station-{row.level}")
        extended = _sub(placemark, "ExtendedData")
        for column in STATION_COLUMNS:
            value = getattr(row, column)
            entry = _sub(extended, "Data", name=column)
            _sub(entry, "value", "" if isinstance(value, float) and math.isnan(value) else value)
        point = _sub(placemark, "Point")
        _sub(point, "coordinates", _kml_coordinates([(row.lon, row.lat)]))
    for mode in MODES:
        rows = data.service_areas[data.service_areas["mode"] == mode]
        folder = _sub(document, "Folder")
        _sub(folder, "name", f"{_label('service_areas', lang)}: {_label(f'mode_{mode}', lang)} "
                             f"{data.minutes:g} {_label('minutes', lang)}")  # fmt: skip
        for row in rows.itertuples(index=False):
            placemark = _sub(folder, "Placemark")
            _sub(placemark, "name", f"{row.name or f'#{row.station}'} · {_label(f'mode_{mode}', lang)}")
            _sub(placemark, "description", f"{_label('area_km2', lang)}: {row.area_km2:.3f}; {row.reach_m:.0f} m")
            _sub(placemark, "styleUrl", f"#area-{mode}")
            _kml_polygons(placemark, row.geometry)
    folder = _sub(document, "Folder")
    _sub(folder, "name", _label("districts", lang))
    _sub(folder, "visibility", 0)
    for row in data.districts.itertuples(index=False):
        placemark = _sub(folder, "Placemark")
        _sub(placemark, "name", row.district)
        _sub(placemark, "visibility", 0)
        _sub(placemark, "description", district_text(row, lang, "\n"))
        _sub(placemark, "styleUrl", "#district")
        _kml_polygons(placemark, row.geometry)
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def _kml_styles(document: ET.Element) -> None:
    for level in ("city", "district"):
        style = _sub(document, "Style", id=f"station-{level}")
        icon_style = _sub(style, "IconStyle")
        _sub(icon_style, "color", _KML_COLOURS[level])
        _sub(icon_style, "scale", 1.2 if level == "city" else 1.0)
        icon = _sub(icon_style, "Icon")
        _sub(icon, "href", "http://maps.google.com/mapfiles/kml/shapes/placemark_circle.png")
    for mode in MODES:
        style = _sub(document, "Style", id=f"area-{mode}")
        line = _sub(style, "LineStyle")
        _sub(line, "color", "ff" + _KML_COLOURS[mode][2:])
        _sub(line, "width", 1)
        poly = _sub(style, "PolyStyle")
        _sub(poly, "color", _KML_COLOURS[mode])
    style = _sub(document, "Style", id="district")
    line = _sub(style, "LineStyle")
    _sub(line, "color", _KML_COLOURS["district_outline"])
    _sub(line, "width", 2)
    poly = _sub(style, "PolyStyle")
    _sub(poly, "fill", 0)


def _kml_coordinates(lonlat) -> str:
    return " ".join(f"{lon:.{_COORD_DIGITS}f},{lat:.{_COORD_DIGITS}f}" for lon, lat in lonlat)


def _kml_polygons(placemark: ET.Element, geometry: shapely.Geometry) -> None:
    polygons = [part for part in shapely.get_parts(geometry) if part.geom_type == "Polygon" and not part.is_empty]
    parent = _sub(placemark, "MultiGeometry") if len(polygons) != 1 else placemark
    for polygon in polygons:
        element = _sub(parent, "Polygon")
        boundary = _sub(element, "outerBoundaryIs")
        _sub(_sub(boundary, "LinearRing"), "coordinates", _kml_coordinates(polygon.exterior.coords))
        for ring in polygon.interiors:
            boundary = _sub(element, "innerBoundaryIs")
            _sub(_sub(boundary, "LinearRing"), "coordinates", _kml_coordinates(ring.coords))


def _label(key: str, lang: str) -> str:
    return i18n.text("label", key, lang)
