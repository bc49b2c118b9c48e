"""Generated street networks for benchmarks: a perturbed city grid written as an osmnx GraphML file.

The grid sits over central Nanchang (WGS-84) so that the UTM zone and the GCJ-02 handling are those of a real
user. Every k-th row and column is an arterial (primary), the rest residential; a share of residential blocks is
removed so the grid is irregular, and node positions are jittered. Districts are the four quadrants.
"""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import numpy as np
import osmnx as ox
from pyproj import Transformer

ORIGIN_LONLAT = (115.80, 28.60)
UTM = "EPSG:32650"


def grid_area(folder: Path, side: int, spacing_m: float = 120.0, drop: float = 0.25, seed: int = 0) -> dict:
    """Write ``network.graphml``, ``districts.geojson`` and ``areas.toml`` for a side x side grid into ``folder``.

    Returns a description (nodes, edges, km of street) for the benchmark report.
    """
    rng = np.random.default_rng(seed)
    to_utm = Transformer.from_crs("EPSG:4326", UTM, always_xy=True)
    to_wgs = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
    x0, y0 = to_utm.transform(*ORIGIN_LONLAT)
    ii, jj = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    x = x0 + jj * spacing_m + rng.normal(0, spacing_m * 0.08, ii.shape)
    y = y0 + ii * spacing_m + rng.normal(0, spacing_m * 0.08, ii.shape)
    lon, lat = to_wgs.transform(x, y)
    graph = nx.MultiDiGraph(crs="epsg:4326")
    node_id = ii * side + jj + 1
    for a, b, c, d in zip(node_id.ravel(), lon.ravel(), lat.ravel(), ii.ravel(), strict=True):
        graph.add_node(int(a), x=float(b), y=float(c), signalized="1" if d % 10 == 0 else "0")
    arterial = 10
    edge_count = 0
    for axis in (0, 1):
        for i in range(side - (axis == 0)):
            for j in range(side - (axis == 1)):
                a = (i, j)
                b = (i + 1, j) if axis == 0 else (i, j + 1)
                line = i if axis == 1 else j
                highway = "primary" if line % arterial == 0 else "residential"
                if highway == "residential" and rng.random() < drop:
                    continue
                u, v = int(node_id[a]), int(node_id[b])
                length = float(np.hypot(x[a] - x[b], y[a] - y[b]))
                for s, t in ((u, v), (v, u)):
                    graph.add_edge(s, t, osmid=edge_count, length=length, highway=highway, oneway=False)
                edge_count += 1
    folder.mkdir(parents=True, exist_ok=True)
    ox.save_graphml(graph, folder / "network.graphml")
    half = side // 2
    quads = []
    names = ["西南区", "东南区", "西北区", "东北区"]
    pad = spacing_m
    for k, (ri, rj) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        xa, xb = x0 - pad + rj * half * spacing_m, x0 + (half + rj * half) * spacing_m + pad * rj
        ya, yb = y0 - pad + ri * half * spacing_m, y0 + (half + ri * half) * spacing_m + pad * ri
        ring_x, ring_y = to_wgs.transform([xa, xb, xb, xa, xa], [ya, ya, yb, yb, ya])
        quads.append(
            {
                "type": "Feature",
                "properties": {"name": names[k]},
                "geometry": {"type": "Polygon", "coordinates": [list(map(list, zip(ring_x, ring_y, strict=True)))]},
            }
        )
    (folder / "districts.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": quads}, ensure_ascii=False), encoding="utf-8"
    )
    (folder / "areas.toml").write_text(
        f"""default = "grid"

[areas.grid]
title = "Generated {side}x{side} grid ({spacing_m:g} m blocks)"
source = "{folder / "network.graphml"}"
network_type = "drive"
districts = "{folder / "districts.geojson"}"
districts_crs = "wgs84"
""",
        encoding="utf-8",
    )
    return {"nodes": graph.number_of_nodes(), "edges": edge_count, "km": None}
