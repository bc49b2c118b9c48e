"""Demand layers from what firms observe (``geoplan layer build``): the one pipeline the CLI and the web app share.

- **pings** (riders' GPS): stay points (:func:`geoplan.inputs.observed.stay_points`) grouped with DBSCAN, each
  group weighted by the time workers spent there; the time spent moving spread over the area's street samples by a
  kernel density of the moving pings. Both are shares of the observed worker time, scaled to the headcount
  (default: the most distinct workers seen within one quarter hour).
- **orders** (pick-up points): a kernel density of the orders at the street samples, scaled to the headcount
  (default: the group's usual headcount for the area); with times, the share of orders in each hour and in each of
  the group's shift windows is reported (the windows the time-of-day model plans for).
- **depots** (crews): each depot's headcount spread along the streets within its beat (network distance).

Privacy by default: the layer written holds only ``lon,lat,weight``; no worker id, time or track is stored or
exported. Every point in a cell (side ``cell_m``) where fewer than ``k`` distinct workers were seen (orders: fewer
than ``k`` orders) is suppressed, as is a stay cluster of fewer than ``k`` workers and a depot of fewer than ``k``
workers; the report says how many workers that took out of the layer.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan import __version__, i18n, settings
from geoplan.coverage.beats import spread_along_beats
from geoplan.coverage.network import street_graph
from geoplan.csvfile import write_frame
from geoplan.data.areas import StudyArea
from geoplan.files import write_all
from geoplan.inputs.demand import WORKER_GROUPS, default_headcounts
from geoplan.inputs.observations import NO_TIME, Observations, read_observations
from geoplan.inputs.observed import (
    busiest_count,
    cell_keys,
    cluster_stays,
    count_at,
    distinct_per_cell,
    kernel_density,
    stay_points,
    tracks,
)

__all__ = ["LAYER_FORMAT", "ObservedLayer", "ObservedOptions", "build_layer", "shift_shares", "write_layer"]

#: ``format`` of the report written beside a layer.
LAYER_FORMAT = "geoplan-observed-layer"

#: Street samples holding less than this share of the layer's workers are left out of the file.
MIN_SHARE = 1e-6

#: Decimals of the written coordinates (about 0.1 m).
COORDINATE_DECIMALS = 6


@dataclass(frozen=True)
class ObservedOptions:
    """How an observed layer is built; the defaults are documented in docs/demand.md.

    Attributes
    ----------
    k : int
        Privacy: points in cells with fewer than ``k`` distinct workers (orders: ``k`` orders) are suppressed.
    cell_m : float
        Side of the privacy cells (m).
    stay_radius_m : float
        A stay's pings remain within this distance of its first (m); also DBSCAN's ``eps`` for grouping stays.
    stay_minutes : float
        A stay lasts at least this long.
    max_gap_minutes : float
        A longer silence between two pings of a worker ends a track.
    beat_m : float
        Depots: the beat (m along the streets) of a depot whose row gives none.
    headcount : float or None
        Scale the layer to this many workers (None: see the module's defaults).
    """

    k: int = 5
    cell_m: float = 250.0
    stay_radius_m: float = 100.0
    stay_minutes: float = 5.0
    max_gap_minutes: float = 20.0
    beat_m: float = 1500.0
    headcount: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.k, int | np.integer) or isinstance(self.k, bool) or self.k < 1:
            raise i18n.input_error("observed_option", option="k", value=self.k)
        for name in ("cell_m", "stay_radius_m", "stay_minutes", "max_gap_minutes", "beat_m"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise i18n.input_error("observed_option", option=name, value=value)
        if self.headcount is not None and not (
            isinstance(self.headcount, int | float) and math.isfinite(self.headcount) and self.headcount > 0
        ):
            raise i18n.input_error("observed_option", option="headcount", value=self.headcount)


@dataclass(frozen=True)
class ObservedLayer:
    """A demand layer built from observations, and what was done to build it.

    Attributes
    ----------
    group : str
        The worker group of every point.
    points : geopandas.GeoDataFrame
        ``group``, ``weight`` (workers) and point geometry in WGS-84: what ``read_layer`` returns for a layer file,
        so the plan takes it as a user layer.
    report : dict
        Plain JSON values: the parameters, counts, chosen bandwidth, headcount and the privacy cut. No worker id,
        time or track.
    """

    group: str
    points: gpd.GeoDataFrame
    report: dict = field(default_factory=dict)

    def report_lines(self, lang: str = "zh") -> list[str]:
        """Say what the layer holds and what was cut, in ``lang`` (for the command line and the web app)."""
        r = self.report
        lines = [i18n.text("cli", f"observed_read_{r['kind']}", lang, source=r["source"], rows=r["input"]["rows"],
                           workers=r["input"].get("workers", 0))]  # fmt: skip
        for code, params in r["input"]["notes"]:
            lines.append(i18n.text("cli", code, lang, **params))
        if r["kind"] == "pings":
            lines.append(i18n.text("cli", "observed_stays", lang, stays=r["stays"], clusters=r["clusters"],
                                   share=f"{100 * r['stay_share']:.0f}"))  # fmt: skip
        if r.get("bandwidth_m"):
            lines.append(i18n.text("cli", "observed_bandwidth", lang, metres=f"{r['bandwidth_m']:.0f}"))
        if r.get("shift_shares"):
            shares = ", ".join(f"{window} {100 * share:.0f}%" for window, share in r["shift_shares"].items())
            lines.append(i18n.text("cli", "observed_shifts", lang, shares=shares))
        p = r["privacy"]
        lines.append(i18n.text("cli", f"observed_headcount_{r['headcount_source']}", lang,
                               headcount=f"{r['headcount']:.0f}"))  # fmt: skip
        lines.append(i18n.text(
            "cli", "observed_privacy", lang, k=p["k"], cell=f"{p['cell_m']:.0f}", cells=p["suppressed_cells"],
            points=p["suppressed_points"], workers=f"{p['suppressed_workers']:.1f}",
            share=f"{100 * p['suppressed_share']:.1f}", kept=len(self.points),
        ))  # fmt: skip
        return lines


def build_layer(
    path: Path | str,
    area: StudyArea,
    group: str,
    kind: str,
    *,
    crs: str = "wgs84",
    options: ObservedOptions | None = None,
    shown: str | None = None,
) -> ObservedLayer:
    """Build a worker group's demand layer from a firm's observations.

    Parameters
    ----------
    path : pathlib.Path or str
        The observation file (see :mod:`geoplan.inputs.observations` for its columns).
    area : StudyArea
    group : str
        The worker group the layer stands for (a key of :data:`geoplan.inputs.demand.WORKER_GROUPS`, or a new
        group's name).
    kind : {"pings", "orders", "depots"}
    crs : {"wgs84", "gcj02", "bd09"}
        Coordinates of the file.
    options : ObservedOptions, optional
    shown : str, optional
        The file's name in messages and in the report (an upload's own name).

    Returns
    -------
    ObservedLayer

    Raises
    ------
    InputError
        Anything wrong with the file (line numbers given), fewer than ``k`` workers, a group without a default
        headcount and no ``headcount``, or nothing left after the privacy cut.
    """
    options = options or ObservedOptions()
    group = str(group or "").strip()
    if not group:
        raise i18n.input_error("layer_needs_group", file=str(shown or path), groups=", ".join(WORKER_GROUPS))
    observed = read_observations(path, kind, area, crs, shown=shown)
    build = {"pings": _from_pings, "orders": _from_orders, "depots": _from_depots}[kind]
    x, y, weight, kept, extra = build(observed, area, group, options)
    total = float(weight.sum())
    if total <= 0 or not kept.any():
        raise i18n.input_error("observed_all_suppressed", name=observed.source, k=options.k,
                               cell=f"{options.cell_m:.0f}")  # fmt: skip
    headcount, source = extra.pop("headcount")
    scaled = weight * (headcount / total)
    keep = kept & (scaled >= MIN_SHARE * headcount)
    dropped = ~kept & (weight > 0)
    lon, lat = gpd.GeoSeries(shapely.points(x[keep], y[keep]), crs=area.crs).to_crs(settings.WGS84).pipe(
        lambda s: (s.x.to_numpy(), s.y.to_numpy()))  # fmt: skip
    points = gpd.GeoDataFrame(
        {"group": group, "weight": scaled[keep]},
        geometry=shapely.points(lon.round(COORDINATE_DECIMALS), lat.round(COORDINATE_DECIMALS)),
        crs=settings.WGS84,
    )
    points.attrs["source"] = observed.source
    suppressed_cells = len(np.unique(cell_keys(x[dropped], y[dropped], options.cell_m)))
    report = {
        "format": LAYER_FORMAT, "version": 1, "geoplan_version": __version__, "group": group, "kind": kind,
        "area": area.spec.name, "source": observed.source, "crs": crs, "parameters": asdict(options),
        "input": {"rows": len(observed), "workers": observed.workers, "notes": [list(n) for n in observed.notes]},
        "headcount": float(headcount), "headcount_source": source,
        "privacy": {
            "k": options.k, "cell_m": options.cell_m, "suppressed_points": int(dropped.sum()),
            "suppressed_cells": suppressed_cells, "suppressed_workers": float(scaled[dropped].sum()),
            "suppressed_share": float(scaled[dropped].sum() / headcount), "kept_workers": float(scaled[keep].sum()),
        },
        "points": int(keep.sum()), **extra,
    }  # fmt: skip
    return ObservedLayer(group, points, report)


def write_layer(layer: ObservedLayer, out: Path | str) -> dict[str, Path]:
    """Write the layer CSV (``lon,lat,weight``) and its report (``<name>.json``) beside it, both or neither.

    Returns
    -------
    dict of str to pathlib.Path
        ``layer`` and ``report``.
    """
    out = Path(out)
    if out.suffix.lower() != ".csv":
        out = out.with_suffix(".csv")
    report = out.with_suffix(".json")
    xy = shapely.get_coordinates(layer.points.geometry.to_numpy())
    frame = pd.DataFrame({"lon": xy[:, 0], "lat": xy[:, 1], "weight": layer.points["weight"].round(4)})
    text = json.dumps(layer.report, ensure_ascii=False, indent=2)
    write_all(out.parent, {out.name: lambda tmp: write_frame(frame, tmp),
                           report.name: lambda tmp: tmp.write_text(text, encoding="utf-8")})  # fmt: skip
    return {"layer": out, "report": report}


def shift_shares(seconds: np.ndarray, weight: np.ndarray, windows: tuple[str, ...]) -> dict[str, float]:
    """Share of the weight whose local time of day falls in each ``HH:MM-HH:MM`` window (past midnight allowed).

    Parameters
    ----------
    seconds : numpy.ndarray
        Local-clock seconds (:class:`~geoplan.inputs.observations.Observations` ``seconds``).
    weight : numpy.ndarray
    windows : tuple of str

    Returns
    -------
    dict of str to float
    """
    minute = (np.asarray(seconds) % 86400) // 60
    total = float(np.sum(weight)) or 1.0
    shares = {}
    for window in windows:
        start, end = (_minutes(part) for part in window.split("-"))
        inside = (minute >= start) & (minute < end) if start < end else (minute >= start) | (minute < end)
        shares[window] = float(np.sum(weight[inside]) / total)
    return shares


def _minutes(text: str) -> int:
    hours, minutes = text.strip().split(":")
    return int(hours) * 60 + int(minutes)


# --- the three kinds ----------------------------------------------------------------------------------------------


def _samples(area: StudyArea) -> tuple[np.ndarray, np.ndarray]:
    samples = area.street_samples
    return shapely.get_coordinates(samples.geometry.to_numpy()), samples["length_m"].to_numpy(dtype=float)


def _too_few_workers(observed: Observations, options: ObservedOptions, count: int) -> None:
    if count < options.k:
        raise i18n.input_error("observed_too_few_workers", name=observed.source, workers=count, k=options.k)


def _from_pings(observed: Observations, area: StudyArea, group: str, options: ObservedOptions):
    _too_few_workers(observed, options, observed.workers)
    x, y, seconds, worker = observed.x, observed.y, observed.seconds, observed.worker
    track = tracks(worker, seconds, options.max_gap_minutes * 60.0)
    stays = stay_points(x, y, seconds, track, worker, options.stay_radius_m, options.stay_minutes * 60.0)
    same = track[1:] == track[:-1]
    observed_s = float(np.diff(seconds)[same].sum())
    dwell_s = float(stays.dwell_s.sum())
    moving_s = max(observed_s - dwell_s, 0.0)
    in_stay = np.cumsum(np.bincount(stays.start, minlength=len(x) + 1) - np.bincount(stays.end, minlength=len(x) + 1))
    moving = in_stay[: len(x)] == 0
    # stays grouped by place: one point per group, weighted by the time spent there
    label = cluster_stays(stays, options.stay_radius_m)
    groups = int(label.max()) + 1 if len(label) else 0
    dwell = np.bincount(label, weights=stays.dwell_s, minlength=groups)
    mass = np.bincount(label, weights=stays.dwell_s + 1.0, minlength=groups)  # +1 s: a zero-length stay counts
    cx = np.bincount(label, weights=stays.x * (stays.dwell_s + 1.0), minlength=groups) / np.maximum(mass, 1e-12)
    cy = np.bincount(label, weights=stays.y * (stays.dwell_s + 1.0), minlength=groups) / np.maximum(mass, 1e-12)
    _, cluster_workers = distinct_per_cell(label.astype(np.int64), stays.worker) if groups else (None, np.zeros(0))
    # moving time along the streets
    samples_xy, length = _samples(area)
    extra: dict = {"stays": len(stays), "clusters": groups, "observed_hours": observed_s / 3600.0,
                   "stay_share": dwell_s / observed_s if observed_s else 0.0}  # fmt: skip
    street = np.zeros(len(samples_xy))
    if moving.sum() >= 2 and moving_s > 0:
        density = kernel_density(np.column_stack([x[moving], y[moving]]), samples_xy)
        along = density.values * length
        if along.sum() > 0:
            street = along * (moving_s / along.sum())
        extra |= {"bandwidth_m": density.bandwidth_m, "bandwidth_scores": density.scores}
    cells, counts = distinct_per_cell(cell_keys(x, y, options.cell_m), worker)
    px, py = np.concatenate([cx, samples_xy[:, 0]]), np.concatenate([cy, samples_xy[:, 1]])
    weight = np.concatenate([dwell, street])
    kept = count_at(cell_keys(px, py, options.cell_m), cells, counts) >= options.k
    kept[:groups] &= cluster_workers >= options.k
    headcount = options.headcount or busiest_count(worker, seconds)
    extra["headcount"] = (float(headcount), "given" if options.headcount else "busiest")
    return px, py, weight, kept, extra


def _from_orders(observed: Observations, area: StudyArea, group: str, options: ObservedOptions):
    if len(observed) < max(2, options.k):
        raise i18n.input_error("observed_too_few_orders", name=observed.source, orders=len(observed), k=options.k)
    samples_xy, length = _samples(area)
    xy = np.column_stack([observed.x, observed.y])
    density = kernel_density(xy, samples_xy, weights=observed.weight)
    weight = density.values * length
    cells, counts = distinct_per_cell(cell_keys(observed.x, observed.y, options.cell_m), np.arange(len(xy)))
    kept = count_at(cell_keys(samples_xy[:, 0], samples_xy[:, 1], options.cell_m), cells, counts) >= options.k
    extra: dict = {"orders": len(observed), "bandwidth_m": density.bandwidth_m, "bandwidth_scores": density.scores}
    timed = None if observed.seconds is None else observed.seconds != NO_TIME
    if timed is not None and timed.any():  # the orders whose time is given
        seconds, per_order = observed.seconds[timed], observed.weight[timed]
        profile = np.bincount((seconds % 86400) // 3600, weights=per_order, minlength=24)
        extra["hourly_share"] = [float(v) for v in profile / max(profile.sum(), 1e-12)]
        known = WORKER_GROUPS.get(group)
        windows = tuple(window for window, _ in known.shifts) if known else ("08:00-18:00",)
        extra["shift_shares"] = shift_shares(seconds, per_order, windows)
        extra["timed_orders"] = int(timed.sum())
    extra["headcount"] = _default_headcount(observed, area, group, options)
    return samples_xy[:, 0], samples_xy[:, 1], weight, kept, extra


def _from_depots(observed: Observations, area: StudyArea, group: str, options: ObservedOptions):
    samples_xy, length = _samples(area)
    crews = observed.weight >= options.k
    beat = np.where(np.isnan(observed.beat_m), options.beat_m, observed.beat_m)
    graph = street_graph(area.edges)
    weight, reached = spread_along_beats(graph, np.column_stack([observed.x, observed.y])[crews],
                                         observed.weight[crews], beat[crews], samples_xy, length)  # fmt: skip
    given = float(observed.weight.sum())
    extra: dict = {
        "depots": len(observed), "small_depots": int((~crews).sum()), "unreached_depots": int((~reached).sum()),
        "headcount": (options.headcount or given, "given" if options.headcount else "depots"),
    }  # fmt: skip
    # small crews are cut out whole (their workers are the suppressed ones): add them back as suppressed mass
    small = float(observed.weight[~crews].sum())
    kept = weight > 0
    if small > 0:
        xs, ys = observed.x[~crews], observed.y[~crews]
        return (np.concatenate([samples_xy[:, 0], xs]), np.concatenate([samples_xy[:, 1], ys]),
                np.concatenate([weight, observed.weight[~crews]]), np.concatenate([kept, np.zeros(len(xs), bool)]),
                extra)  # fmt: skip
    return samples_xy[:, 0], samples_xy[:, 1], weight, kept, extra


def _default_headcount(observed: Observations, area: StudyArea, group: str, options: ObservedOptions):
    if options.headcount:
        return float(options.headcount), "given"
    if group in WORKER_GROUPS:
        return float(default_headcounts(area)[group]), "group_default"
    raise i18n.input_error("observed_needs_headcount", name=observed.source, group=group)
