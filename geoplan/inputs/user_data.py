"""The planner's own data: demand layers, candidate sites and existing stations, as values a scenario keeps.

A plan is computed from the area, its parameters and this data. :class:`UserData` holds the data itself (WGS-84
points with their weights, floor areas, capacities and names), not paths to files that may move, so a scenario stored
in the database can be planned again, re-optimised and exported with exactly what it was planned from. It is immutable,
turns into JSON and back (:meth:`UserData.to_json`, :meth:`UserData.from_json`) and has a digest that keys caches.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from geoplan import i18n, settings

__all__ = ["PointSet", "UserData"]

#: Columns of each kind of point set, after lon and lat.
_COLUMNS = {"layer": ("weight", "group"), "sites": ("footprint_m2", "name"), "existing": ("footprint_m2", "name")}

#: Kinds whose points may carry a fifth value, the people a station seats at once (``capacity``).
_WITH_CAPACITY = frozenset({"sites", "existing"})


@dataclass(frozen=True, eq=False)
class PointSet:
    """Points of one file, in WGS-84.

    Attributes
    ----------
    kind : {"layer", "sites", "existing"}
        A demand layer (``weight`` workers and ``group`` per point), candidate sites or existing stations
        (``footprint_m2`` and ``name`` per point).
    source : str
        The file's name, as reports quote it.
    rows : tuple of tuple
        ``(lon, lat, value, label)`` per point: weight and group for a layer, floor area (m², may be None for
        existing stations) and name (may be None) for sites. A site or existing station that declares how many
        people it seats at once has a fifth value, that ``capacity`` (a positive whole number); the others keep
        four values, so data stored before capacities existed reads as it was and keeps its digest.
    """

    kind: str
    source: str
    rows: tuple[tuple, ...]

    def __post_init__(self) -> None:
        if self.kind not in _COLUMNS:
            raise i18n.input_error("point_set_kind", kind=self.kind, kinds=", ".join(_COLUMNS))
        counts = (4, 5) if self.kind in _WITH_CAPACITY else (4,)
        expected = {"expected": " or ".join(map(str, counts)), "expected_zh": " 或 ".join(map(str, counts))}
        for number, row in enumerate(self.rows, start=1):
            if len(row) not in counts:
                raise i18n.input_error("point_values_count", source=self.source, number=number, count=len(row),
                                       **expected)  # fmt: skip
            lon, lat = row[0], row[1]
            if not all(isinstance(v, int | float) and math.isfinite(v) for v in (lon, lat)) or not (
                -180 <= lon <= 180 and -90 <= lat <= 90
            ):
                raise i18n.input_error("point_not_lonlat", source=self.source, number=number, lon=lon, lat=lat)
            if len(row) == 5 and not _whole(row[4]):
                raise i18n.input_error("point_capacity_not_whole", source=self.source, number=number,
                                       value=row[4])  # fmt: skip

    def __len__(self) -> int:
        return len(self.rows)

    @classmethod
    def from_frame(cls, kind: str, frame: gpd.GeoDataFrame, source: str | None = None) -> PointSet:
        """Take the points of a frame in WGS-84 (as the readers of :mod:`geoplan.inputs` return them).

        Parameters
        ----------
        kind : {"layer", "sites", "existing"}
        frame : geopandas.GeoDataFrame
            A layer (``weight``, ``group``) or sites (``footprint_m2`` optional for existing stations, ``name``,
            ``capacity`` optional: people at once, NaN where none).
        source : str, optional
            The file's name (default: ``frame.attrs["source"]``).

        Returns
        -------
        PointSet
        """
        frame = frame.to_crs(settings.WGS84)
        xy = shapely.get_coordinates(frame.geometry.to_numpy())
        value_column, label_column = _COLUMNS[kind]
        values = frame[value_column].to_numpy() if value_column in frame.columns else [None] * len(frame)
        labels = frame[label_column].to_numpy() if label_column in frame.columns else [None] * len(frame)
        given = [None] * len(frame)
        if kind in _WITH_CAPACITY and "capacity" in frame.columns:
            given = [_number(value) for value in frame["capacity"].to_numpy()]
        rows = tuple(
            (float(x), float(y), _number(value), _label(label), *(() if people is None else (_people(people),)))
            for (x, y), value, label, people in zip(xy, values, labels, given, strict=True)
        )
        return cls(kind, str(source or frame.attrs.get("source") or kind), rows)

    def frame(self) -> gpd.GeoDataFrame:
        """Return the points as a WGS-84 frame with the columns the planning stages read.

        Sites and existing stations also get ``capacity``: people at once, NaN where a point declares none.
        """
        value_column, label_column = _COLUMNS[self.kind]
        lon = np.array([row[0] for row in self.rows], dtype=float)
        lat = np.array([row[1] for row in self.rows], dtype=float)
        values = [row[2] for row in self.rows]
        columns = {
            value_column: np.array([np.nan if v is None else v for v in values], dtype=float),
            label_column: np.array([row[3] for row in self.rows], dtype=object),
        }
        if self.kind in _WITH_CAPACITY:
            columns["capacity"] = np.array([row[4] if len(row) == 5 else np.nan for row in self.rows], dtype=float)
        frame = gpd.GeoDataFrame(columns, geometry=shapely.points(lon, lat), crs=settings.WGS84)
        frame.attrs["source"] = self.source
        return frame

    def to_json(self) -> dict:
        """Return the point set as plain JSON values (a row is a list of its 4 or 5 values)."""
        return {"kind": self.kind, "source": self.source, "rows": [list(row) for row in self.rows]}

    @classmethod
    def from_json(cls, data: Mapping) -> PointSet:
        """Read a point set written by :meth:`to_json` (rows of 4 values, as stored before capacities, included)."""
        try:
            return cls(str(data["kind"]), str(data["source"]), tuple(tuple(row) for row in data["rows"]))
        except (KeyError, TypeError) as exc:
            raise i18n.input_error("point_set_malformed", reason=str(exc)) from None


@dataclass(frozen=True, eq=False)
class UserData:
    """Everything a planner supplied besides the area and the parameters.

    Attributes
    ----------
    layers : tuple of PointSet
        Demand layers; a layer's groups replace the derived layers of the same name.
    sites : PointSet or None
        Extra candidate sites.
    existing : PointSet or None
        Existing stations, always part of the plan.
    """

    layers: tuple[PointSet, ...] = ()
    sites: PointSet | None = None
    existing: PointSet | None = None

    @classmethod
    def from_frames(
        cls,
        layers: Sequence[gpd.GeoDataFrame] = (),
        sites: gpd.GeoDataFrame | None = None,
        existing: gpd.GeoDataFrame | None = None,
    ) -> UserData:
        """Take the frames read from the planner's files.

        Parameters
        ----------
        layers : sequence of geopandas.GeoDataFrame
            From :func:`geoplan.inputs.demand.read_layer`.
        sites, existing : geopandas.GeoDataFrame, optional
            From :func:`geoplan.inputs.candidates.read_sites` (``name``, ``footprint_m2``, ``capacity``).

        Returns
        -------
        UserData
        """
        return cls(
            layers=tuple(PointSet.from_frame("layer", layer) for layer in layers),
            sites=None if sites is None else PointSet.from_frame("sites", sites),
            existing=None if existing is None else PointSet.from_frame("existing", existing),
        )

    @property
    def is_empty(self) -> bool:
        """True when the planner supplied nothing."""
        return not self.layers and self.sites is None and self.existing is None

    def layer_frames(self) -> list[gpd.GeoDataFrame]:
        """Return the demand layers as WGS-84 frames (``group``, ``weight``)."""
        return [layer.frame()[["group", "weight", "geometry"]] for layer in self.layers]

    def site_frame(self) -> gpd.GeoDataFrame | None:
        """Return the extra candidate sites as a WGS-84 frame (``name``, ``footprint_m2``, ``capacity``), or None."""
        return None if self.sites is None else self.sites.frame()[["name", "footprint_m2", "capacity", "geometry"]]

    def existing_frame(self, default_footprint_m2: float) -> gpd.GeoDataFrame | None:
        """Return the existing stations as a WGS-84 frame, floor areas not given set to ``default_footprint_m2``.

        Columns ``name``, ``footprint_m2`` and ``capacity`` (people at once, NaN where not given).
        """
        if self.existing is None:
            return None
        frame = self.existing.frame()
        frame["footprint_m2"] = frame["footprint_m2"].fillna(float(default_footprint_m2))
        return frame[["name", "footprint_m2", "capacity", "geometry"]]

    def with_layer(self, layer: gpd.GeoDataFrame) -> UserData:
        """Return a copy with one more demand layer."""
        return UserData((*self.layers, PointSet.from_frame("layer", layer)), self.sites, self.existing)

    def with_sites(self, sites: gpd.GeoDataFrame) -> UserData:
        """Return a copy with more candidate sites (after the ones already given, so their ids stay)."""
        added = PointSet.from_frame("sites", sites)
        if self.sites is not None:
            added = PointSet("sites", f"{self.sites.source}, {added.source}", self.sites.rows + added.rows)
        return UserData(self.layers, added, self.existing)

    def to_json(self) -> dict:
        """Return the data as plain JSON values (what a scenario stores)."""
        return {
            "layers": [layer.to_json() for layer in self.layers],
            "sites": None if self.sites is None else self.sites.to_json(),
            "existing": None if self.existing is None else self.existing.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping | None) -> UserData:
        """Read data written by :meth:`to_json` (None or ``{}``: no data)."""
        if not data:
            return cls()
        if not isinstance(data, Mapping):
            raise i18n.input_error("user_data_malformed")
        layers = tuple(PointSet.from_json(layer) for layer in data.get("layers") or ())
        sites = PointSet.from_json(data["sites"]) if data.get("sites") else None
        existing = PointSet.from_json(data["existing"]) if data.get("existing") else None
        return cls(layers, sites, existing)

    @functools.cached_property
    def digest(self) -> str:
        """SHA-256 of the data (equal data, equal digest), for cache keys."""
        text = json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def summary(self) -> dict:
        """Return what the data holds, by file, and its :attr:`digest`: for reports, the review map and caches."""
        return {
            "digest": self.digest,
            "layers": [{"source": layer.source, "points": len(layer)} for layer in self.layers],
            "sites": None if self.sites is None else {"source": self.sites.source, "points": len(self.sites)},
            "existing": None if self.existing is None else {"source": self.existing.source,
                                                            "points": len(self.existing)},
        }  # fmt: skip


def _number(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _whole(value: object) -> bool:
    """Whether a stored capacity is a positive whole number (an int, or a float such as 3.0)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value) and value > 0 and float(value).is_integer()


def _people(value: float) -> int | float:
    """Return a capacity as stored: an int when whole (JSON ``3``, not ``3.0``), else as given (refused later)."""
    return int(value) if math.isfinite(value) and float(value).is_integer() else value


def _label(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None
