"""Generated GPS traces with known hotspots (seeded), for the observed-layer tests and bench/observed.py.

Each worker rides between random street points and a few hotspots (where riders wait for orders): straight legs at
riding speed with a ping every ``interval_s`` seconds and a few metres of GPS noise, and a wait of 8-25 minutes at
each hotspot visit, pinging on the spot. Coordinates come out in WGS-84 (or GCJ-02), times as ISO text.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyproj

from geoplan import coords

SPEED_M_S = 4.0  # about 15 km/h on an e-bike


def hotspot_points(area, count: int, seed: int = 1) -> np.ndarray:
    """``count`` street samples of the area, far apart (m, area CRS)."""
    rng = np.random.default_rng(seed)
    xy = np.column_stack([area.street_samples.geometry.x, area.street_samples.geometry.y])
    chosen = [xy[rng.integers(len(xy))]]
    for _ in range(count - 1):
        far = np.min(np.linalg.norm(xy[:, None, :] - np.array(chosen)[None], axis=2), axis=1)
        chosen.append(xy[int(np.argmax(far * rng.uniform(0.8, 1.0, len(far))))])
    return np.array(chosen)


def traces(
    area,
    hotspots: np.ndarray,
    workers: int = 30,
    legs: int = 12,
    interval_s: float = 15.0,
    seed: int = 7,
    crs: str = "wgs84",
    start: str = "2026-05-01 10:00:00",
) -> pd.DataFrame:
    """Pings ``worker_id,time,lon,lat`` of ``workers`` riders, each visiting hotspots ``legs`` times.

    Returns
    -------
    pandas.DataFrame
        Sorted by time (workers interleaved, as a platform exports them).
    """
    rng = np.random.default_rng(seed)
    samples = np.column_stack([area.street_samples.geometry.x, area.street_samples.geometry.y])
    to_wgs = pyproj.Transformer.from_crs(area.crs, "EPSG:4326", always_xy=True)
    frames = []
    t0 = pd.Timestamp(start).value // 10**9
    for worker in range(workers):
        here = samples[rng.integers(len(samples))]
        t = float(t0 + rng.uniform(0, 600))
        xs, ys, ts = [], [], []
        for leg in range(legs):
            target = hotspots[rng.integers(len(hotspots))] if leg % 2 == 0 else samples[rng.integers(len(samples))]
            distance = float(np.hypot(*(target - here)))
            steps = max(1, int(distance / SPEED_M_S / interval_s))
            f = np.arange(1, steps + 1) / steps
            xs.append(here[0] + f * (target[0] - here[0]))
            ys.append(here[1] + f * (target[1] - here[1]))
            ts.append(t + np.arange(1, steps + 1) * interval_s)
            t = ts[-1][-1]
            here = target
            if leg % 2 == 0:  # wait at the hotspot
                wait = int(rng.uniform(8, 25) * 60 / interval_s)
                xs.append(np.full(wait, here[0]))
                ys.append(np.full(wait, here[1]))
                ts.append(t + np.arange(1, wait + 1) * interval_s)
                t = ts[-1][-1]
        x = np.concatenate(xs) + rng.normal(0, 4.0, sum(map(len, xs)))
        y = np.concatenate(ys) + rng.normal(0, 4.0, sum(map(len, ys)))
        lon, lat = to_wgs.transform(x, y)
        if crs != "wgs84":
            lon, lat = coords.from_wgs84(lon, lat, crs)
        frames.append(pd.DataFrame({"worker_id": f"rider-{worker:04d}", "t": np.concatenate(ts),
                                    "lon": np.round(lon, 7), "lat": np.round(lat, 7)}))  # fmt: skip
    pings = pd.concat(frames, ignore_index=True).sort_values(["t", "worker_id"], kind="stable")
    pings["time"] = pd.to_datetime(pings.pop("t").round(), unit="s").dt.strftime("%Y-%m-%d %H:%M:%S")
    return pings[["worker_id", "time", "lon", "lat"]].reset_index(drop=True)
