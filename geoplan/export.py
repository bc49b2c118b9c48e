"""Write a plan to files: proposals (GeoJSON), coverage figures (JSON) and an interactive map (HTML).

Every file is first written into a hidden staging folder and moved into place only when all were written, so a
failed export never leaves a half-written file or a half-updated set. Coordinates are WGS-84, with GCJ-02 columns
added for Chinese map tools.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import shapely

from geoplan import coords, settings
from geoplan.errors import InputError
from geoplan.plan import Plan

#: Side of the grid cells (m) that aggregate demand points on the map.
MAP_CELL_M = 150.0

LEVEL_COLOURS = {"city": "#c0392b", "district": "#2471a3"}


def write_plan(plan: Plan, out_dir: Path) -> dict[str, Path]:
    """Write a plan's files into ``out_dir``.

    The files are ``proposals.geojson``, ``footprints.geojson``, ``refused_sites.geojson``, ``coverage.json`` and
    ``map.html``.

    Parameters
    ----------
    plan : Plan
    out_dir : pathlib.Path
        Created if missing.

    Returns
    -------
    dict of str to pathlib.Path
        The files written, by name.

    Raises
    ------
    InputError
        The folder cannot be created or written to.
    """
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"Cannot create output folder {out_dir}: {exc.strerror}.") from exc
    if not os.access(out_dir, os.W_OK):
        raise InputError(f"Output folder {out_dir} is not writable.")
    summary = plan.summary()
    refused = plan.candidates.refused.to_crs(settings.WGS84)
    files = {
        "proposals": ("proposals.geojson", lambda tmp: _write_geojson(proposals_wgs84(plan), tmp, "proposals")),
        "footprints": ("footprints.geojson", lambda tmp: _write_geojson(_footprints(plan), tmp, "footprints")),
        "refused": ("refused_sites.geojson", lambda tmp: _write_geojson(refused, tmp, "refused_sites")),
        "coverage": (
            "coverage.json",
            lambda tmp: tmp.write_text(json.dumps(summary, ensure_ascii=False, indent=2), "utf-8"),
        ),
        "map": ("map.html", lambda tmp: plan_map(plan).save(str(tmp))),
    }
    _write_all(out_dir, dict(files.values()))
    return {key: out_dir / name for key, (name, _) in files.items()}


def proposals_wgs84(plan: Plan) -> gpd.GeoDataFrame:
    """Return the proposals in WGS-84 with lon/lat and GCJ-02 lon/lat columns, footprint dropped."""
    frame = plan.proposals.drop(columns="footprint").to_crs(settings.WGS84)
    lon, lat = frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()
    frame["lon"], frame["lat"] = np.round(lon, 7), np.round(lat, 7)
    gcj_lon, gcj_lat = coords.wgs84_to_gcj02(lon, lat)
    frame["lon_gcj02"], frame["lat_gcj02"] = np.round(gcj_lon, 7), np.round(gcj_lat, 7)
    return frame


def plan_map(plan: Plan) -> folium.Map:
    """Draw an interactive map of districts, streets, demand (covered or not), candidates and proposals."""
    area = plan.area
    centre = gpd.GeoSeries([area.boundary.centroid], crs=area.crs).to_crs(settings.WGS84).iloc[0]
    fmap = folium.Map(location=[centre.y, centre.x], zoom_start=14, tiles=None, control_scale=True)
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap tiles (online)", show=True).add_to(fmap)
    districts = area.districts.to_crs(settings.WGS84)
    folium.GeoJson(
        districts[["district", "has_network", "geometry"]],
        name="区县 districts",
        style_function=lambda _: {"color": "#555", "weight": 2, "fillOpacity": 0.03, "dashArray": "6 4"},
        tooltip=folium.GeoJsonTooltip(fields=["district"], aliases=["区县"]),
    ).add_to(fmap)
    streets = area.edges[["geometry"]].copy()
    streets["geometry"] = shapely.simplify(streets.geometry.values, 2.0)
    folium.GeoJson(
        streets.to_crs(settings.WGS84),
        name="街道 streets (from the area's OSM data)",
        style_function=lambda _: {"color": "#888", "weight": 1, "opacity": 0.7},
    ).add_to(fmap)
    _demand_layer(plan).add_to(fmap)
    sites = plan.candidates.sites.drop(columns="footprint").to_crs(settings.WGS84)
    folium.GeoJson(
        sites[["id", "kind", "district", "geometry"]],
        name=f"候选点 candidate sites ({len(sites)})",
        show=False,
        marker=folium.CircleMarker(radius=2, weight=1, color="#7f8c8d", fill=True),
        tooltip=folium.GeoJsonTooltip(fields=["id", "kind", "district"]),
    ).add_to(fmap)
    stations = folium.FeatureGroup(name=f"建议站点 proposed stations ({len(plan.proposals)})")
    for row in proposals_wgs84(plan).itertuples():
        colour = LEVEL_COLOURS.get(row.level, "#2471a3")
        folium.CircleMarker(
            [row.lat, row.lon], radius=9, color="white", weight=2, fill=True, fill_color=colour, fill_opacity=0.95,
            popup=folium.Popup(_popup(row), max_width=320), tooltip=f"{row.id} · {row.district}",
        ).add_to(stations)  # fmt: skip
    stations.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    west, south, east, north = districts[districts["has_network"]].total_bounds
    fmap.fit_bounds([[south, west], [north, east]])
    return fmap


def _demand_layer(plan: Plan) -> folium.GeoJson:
    demand = plan.demand if plan.demand.crs is not None else plan.demand.set_crs(plan.area.crs)
    return demand_grid_layer(demand, "外勤人员 workers (red: mostly not covered)")


def demand_grid_layer(demand: gpd.GeoDataFrame, name: str, labels: tuple[str, str] = ("workers", "% covered")):
    """Return a map layer of demand aggregated on a :data:`MAP_CELL_M` grid, coloured by the share covered.

    Parameters
    ----------
    demand : geopandas.GeoDataFrame
        Points with ``weight`` (workers) and ``covered`` (bool), in a metric CRS.
    name : str
        Layer name in the layer control.
    labels : tuple of str
        Tooltip labels of the workers and the percentage covered.

    Returns
    -------
    folium.GeoJson
        One circle per grid cell (size by workers; green when at least half are covered, else red).
    """
    xy = shapely.get_coordinates(demand.geometry.values)
    cell = np.floor(xy / MAP_CELL_M).astype(np.int64)
    frame = demand[["weight", "covered"]].copy()
    frame["cx"], frame["cy"] = cell[:, 0], cell[:, 1]
    frame["covered_weight"] = frame["weight"] * frame["covered"]
    cells = frame.groupby(["cx", "cy"]).agg(weight=("weight", "sum"), covered=("covered_weight", "sum")).reset_index()
    centres = gpd.GeoSeries(
        shapely.points((cells["cx"] + 0.5) * MAP_CELL_M, (cells["cy"] + 0.5) * MAP_CELL_M), crs=demand.crs
    ).to_crs(settings.WGS84)
    top = max(float(cells["weight"].max()), 1e-9) if len(cells) else 1.0
    share = np.where(cells["weight"] > 0, cells["covered"] / cells["weight"].where(cells["weight"] > 0, 1.0), 0.0)
    frame = gpd.GeoDataFrame(
        {
            "workers": cells["weight"].round(1),
            "covered": np.round(share * 100).astype(int),
            "radius": 3 + 9 * np.sqrt(cells["weight"] / top),
            "colour": np.where(share >= 0.5, "#27ae60", "#e74c3c"),
        },
        geometry=centres.values,
        crs=settings.WGS84,
    )
    return folium.GeoJson(
        frame,
        name=name,
        marker=folium.CircleMarker(stroke=False, fill=True, fill_opacity=0.45),
        style_function=lambda feature: {
            "radius": feature["properties"]["radius"],
            "fillColor": feature["properties"]["colour"],
            "stroke": False,
            "fillOpacity": 0.45,
        },
        tooltip=folium.GeoJsonTooltip(fields=["workers", "covered"], aliases=list(labels)),
    )


def _popup(row) -> str:
    level = "市级 city-level" if row.level == "city" else "区县级 district-level"
    name = row.name if isinstance(row.name, str) and row.name else "—"
    return (
        f"<b>{row.id}</b> · {level}<br>区县 district: {row.district}<br>"
        f"覆盖外勤人员 covered workers: {row.covered_workers:.0f}<br>面积 floor area: {row.footprint_m2:g} m²<br>"
        f"类型 type: {row.kind} ({row.source})<br>名称 name: {name}<br>"
        f"WGS-84: {row.lon:.6f}, {row.lat:.6f}<br>GCJ-02: {row.lon_gcj02:.6f}, {row.lat_gcj02:.6f}"
    )


def _footprints(plan: Plan) -> gpd.GeoDataFrame:
    frame = plan.proposals[plan.proposals["footprint"].notna()][["id", "footprint_m2", "footprint"]]
    frame = gpd.GeoDataFrame(frame.rename(columns={"footprint": "geometry"}), geometry="geometry", crs=plan.area.crs)
    return frame.to_crs(settings.WGS84)


def _write_geojson(frame: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    frame.to_file(path, driver="GeoJSON", engine="pyogrio", layer=layer, layer_options={"COORDINATE_PRECISION": 8})


def _write_all(out_dir: Path, writers: dict[str, Callable[[Path], None]]) -> None:
    """Write every file into a hidden staging folder, then move them all into ``out_dir``.

    If any writer fails, the staging folder is removed and ``out_dir`` keeps exactly what it held before.
    """
    try:
        staging = Path(tempfile.mkdtemp(prefix=".geoplan-", dir=out_dir))
    except OSError as exc:
        raise InputError(f"Output folder {out_dir} is not writable: {exc.strerror}.") from exc
    try:
        for name, write in writers.items():
            write(staging / name)
        for name in writers:
            target = out_dir / name
            if target.is_dir():
                raise InputError(f"Cannot write {target}: a folder of that name is in the way.")
            os.replace(staging / name, target)
    except OSError as exc:
        raise InputError(f"Cannot write into {out_dir}: {exc}.") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
