"""A generated observed layer of couriers on the default area (Helsinki) for the layer comparison's tests.

Most riders wait at two hotspots the rule of thumb does not favour: a park edge in Kaisaniemi and a quiet corner
of Kaartinkaupunki, where the derived couriers layer (eateries, shops, homes) holds almost nobody. A few more are
spread over the streets. The parameters give riders a short cutoff (400 m) so that where a station stands matters
within this 1 x 1.7 km area.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from geoplan import crs
from geoplan.planning.parameters import PlanParameters

#: The two hotspots, WGS-84 lon/lat.
HOTSPOTS_LONLAT = np.array([[24.94434, 60.17521], [24.95048, 60.16562]])

#: Riders at each hotspot, and riders spread over the streets.
AT_HOTSPOTS, SPREAD = (180, 120), 40

#: Spread of the riders around a hotspot (standard deviation, m).
HOTSPOT_SD_M = 60.0

#: Riders' cutoff in the comparison (m).
CUTOFF_M = 400.0

#: Parameters of both plans: three stations anywhere, riders within 400 m.
PARAMS = PlanParameters(stations=3, district_min=0, city_level_min=0, cutoff_m={"couriers": CUTOFF_M},
                        time_limit_s=10.0)  # fmt: skip


def observed_couriers(area, seed: int = 15) -> pd.DataFrame:
    """Return the generated layer: ``lon``, ``lat`` (WGS-84) and ``weight`` (1 or 2 riders per point)."""
    rng = np.random.default_rng(seed)
    hotspots = crs.from_wgs84(area.crs, HOTSPOTS_LONLAT)
    parts = [hotspot + rng.normal(0.0, HOTSPOT_SD_M, (n, 2)) for hotspot, n in zip(hotspots, AT_HOTSPOTS, strict=True)]
    samples = shapely.get_coordinates(area.street_samples.geometry.to_numpy())
    parts.append(samples[rng.choice(len(samples), SPREAD, replace=False)])
    xy = np.vstack(parts)
    lonlat = crs.to_wgs84(area.crs, xy)
    return pd.DataFrame({"lon": lonlat[:, 0], "lat": lonlat[:, 1], "weight": rng.integers(1, 3, len(xy))})


def write_observed_couriers(area, path: Path, seed: int = 15) -> Path:
    """Write the generated layer as a CSV that ``read_layer`` and ``--observed`` read; return its path."""
    observed_couriers(area, seed).to_csv(path, index=False)
    return path
