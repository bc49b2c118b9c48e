"""Calibrated demand rules: the OSM rule of thumb's weights fitted to where a group's workers were observed.

A worker group's derived layer (:mod:`geoplan.inputs.demand`) spreads its headcount over OSM features by weights
somebody wrote down. Where a firm's observed layer exists (``lon,lat,weight`` of workers, as
:func:`geoplan.inputs.demand.read_layer` reads it), this module fits those weights instead:

* every street sample (:attr:`geoplan.data.areas.StudyArea.street_samples`, a point every 100 m of street) gets the
  features of :data:`FEATURES`: the class of its street, how many eateries, shops, bus stops, taxi ranks and
  markets lie within :data:`POI_RADIUS_M`, the distance to the nearest rail or metro station and how many
  signalised junctions lie within :data:`SIGNAL_RADIUS_M`;
* the observed workers are summed onto their nearest street sample (points farther than :data:`SNAP_MAX_M` from any
  street are dropped and counted);
* a Poisson regression (scikit-learn's :class:`~sklearn.linear_model.PoissonRegressor`) of the workers per
  :data:`EXPOSURE_M` of street on the standardised features, with the street length each sample stands for as the
  exposure (the target is workers per 100 m, each sample weighted by its length in 100 m: the same likelihood as a
  log-length offset); its penalty ``alpha`` is picked from :data:`ALPHAS` by cross-validation over spatial blocks;
* the fit is reported as D² (the share of Poisson deviance explained, against workers spread evenly along the
  streets) per fold and on average, next to the D² of the group's rule of thumb on the same folds.

The fitted rule is a small JSON file (:class:`DemandModel`, ``docs/demand.md``, "Calibrated rules"), read back with
every field checked (never a pickle), and :func:`calibrated_layer` spreads a headcount over any other area's
streets by it: a layer shaped like a user layer, so the planning pipeline takes it as one.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import PoissonRegressor
from sklearn.metrics import d2_tweedie_score
from sklearn.model_selection import GroupKFold

from geoplan import __version__, i18n, settings
from geoplan.data.areas import StudyArea
from geoplan.files import write_atomic
from geoplan.inputs.demand import WORKER_GROUPS, build_demand

__all__ = [
    "ALPHAS",
    "BLOCK_M",
    "EXPOSURE_M",
    "FEATURES",
    "FOLDS",
    "MODEL_FORMAT",
    "MODEL_VERSION",
    "NO_STATION_M",
    "POI_RADIUS_M",
    "ROAD_CLASSES",
    "RULE_FLOOR_SHARE",
    "SIGNAL_RADIUS_M",
    "SNAP_MAX_M",
    "Calibration",
    "DemandModel",
    "ObservedCounts",
    "StreetFeatures",
    "calibrate",
    "calibrated_layer",
    "coefficient_table",
    "fit_counts",
    "model_from_json",
    "observed_counts",
    "read_model",
    "rule_counts",
    "spatial_blocks",
    "street_features",
    "write_model",
]

log = logging.getLogger(__name__)

#: ``format`` of a model file.
MODEL_FORMAT = "geoplan-demand-model"

#: ``version`` of the model files this code writes and reads.
MODEL_VERSION = 1

#: Road classes with an indicator feature (OSM ``highway`` values); any other class is the base (all indicators 0).
ROAD_CLASSES: dict[str, frozenset[str]] = {
    "road_major": frozenset({"trunk", "trunk_link", "primary", "primary_link", "secondary", "secondary_link"}),
    "road_tertiary": frozenset({"tertiary", "tertiary_link"}),
    "road_minor": frozenset({"residential", "unclassified", "living_street"}),
    "road_service": frozenset({"service"}),
    "road_footway": frozenset({"pedestrian", "footway", "path", "cycleway", "steps"}),
}

#: Radius (m) of the POI counts.
POI_RADIUS_M = 300.0

#: Radius (m) of the count of signalised junctions.
SIGNAL_RADIUS_M = 200.0

#: Observed points farther than this (m) from every street are dropped (counted in the report).
SNAP_MAX_M = 150.0

#: Distance (m) to the nearest station used for every sample of an area with no rail or metro station mapped.
NO_STATION_M = 5000.0

#: Street length (m) of one unit of exposure: the model's rate is workers per 100 m of street.
EXPOSURE_M = 100.0

#: Side (m) of the spatial cross-validation blocks; halved (down to :data:`MIN_BLOCK_M`) while an area has fewer
#: than :data:`FOLDS` blocks with streets.
BLOCK_M = 1000.0

#: Smallest block side (m).
MIN_BLOCK_M = 250.0

#: Cross-validation folds (fewer when there are fewer blocks).
FOLDS = 5

#: Penalties (``alpha`` of PoissonRegressor, on standardised features) tried by cross-validation.
ALPHAS: tuple[float, ...] = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)

#: The rule of thumb puts nobody on many samples; its prediction there is this share of its mean per sample, so
#: that one observed worker on such a sample does not make its deviance infinite.
RULE_FLOOR_SHARE = 0.01

#: POI counts within :data:`POI_RADIUS_M`: feature name, OSM key and values (None: any value of the key).
_POI_FEATURES: tuple[tuple[str, str, tuple[str, ...] | None], ...] = (
    ("eateries_300m", "amenity", ("restaurant", "fast_food", "cafe", "food_court")),
    ("shops_300m", "shop", None),
    ("bus_stops_300m", "highway", ("bus_stop",)),
    ("taxi_ranks_300m", "amenity", ("taxi",)),
    ("markets_300m", "amenity", ("marketplace",)),
)

#: Every feature a model may use, in the order :func:`street_features` computes them: the road-class indicators
#: (0/1), ``log1p`` of the POI counts, ``log(100 + metres)`` to the nearest rail/metro station and ``log1p`` of the
#: signalised junctions within 200 m.
FEATURES: tuple[str, ...] = (
    *ROAD_CLASSES, *(name for name, _, _ in _POI_FEATURES), "station_distance_log_m", "signals_200m",
)  # fmt: skip

#: The largest linear predictor taken to ``exp`` (a model from elsewhere on an odd street must not overflow).
_MAX_ETA = 50.0


@dataclass(frozen=True, eq=False)
class StreetFeatures:
    """The features of an area's street samples.

    Attributes
    ----------
    samples : geopandas.GeoDataFrame
        The area's street samples (``length_m``, ``highway``, point geometry in the area's CRS).
    values : numpy.ndarray
        One row per sample, one column per name of :data:`FEATURES`.
    exposure : numpy.ndarray
        Street length each sample stands for, in units of :data:`EXPOSURE_M`.
    no_stations : bool
        The area has no rail or metro station: ``station_distance_log_m`` is the constant of :data:`NO_STATION_M`.
    """

    samples: gpd.GeoDataFrame
    values: np.ndarray
    exposure: np.ndarray
    no_stations: bool

    def columns(self, names: Sequence[str]) -> np.ndarray:
        """Return the columns of ``names`` (features of :data:`FEATURES`), in that order."""
        return self.values[:, [FEATURES.index(name) for name in names]]


@dataclass(frozen=True)
class ObservedCounts:
    """An observed layer summed onto the street samples.

    Attributes
    ----------
    counts : numpy.ndarray
        Workers per street sample.
    observed_workers : float
        Workers kept (the sum of ``counts``).
    dropped_points, dropped_workers : int, float
        Points farther than :data:`SNAP_MAX_M` from every street, and their workers.
    """

    counts: np.ndarray
    observed_workers: float
    dropped_points: int
    dropped_workers: float


@dataclass(frozen=True, eq=False)
class DemandModel:
    """A calibrated rule: a Poisson regression of a group's workers per 100 m of street on standardised features.

    The expected workers on a street sample are ``exposure * exp(intercept + sum(coef * (x - mean) / scale))``
    with ``x`` its :data:`FEATURES` values named in ``features`` and ``exposure`` its street length in 100 m.

    Attributes
    ----------
    group : str
        Worker group (a key of :data:`geoplan.inputs.demand.WORKER_GROUPS`).
    features : tuple of str
        Names from :data:`FEATURES`.
    mean, scale, coef : numpy.ndarray
        Per feature: mean and scale of standardisation, coefficient on the standardised feature.
    intercept : float
        Log workers per 100 m of street at the mean features.
    alpha : float
        The L2 penalty chosen by cross-validation.
    cv : dict
        The cross-validation report (see :func:`fit_counts`).
    trained_on : dict
        ``area`` (name), ``samples`` (street samples), ``observed_workers``, ``dropped_points``.
    geoplan_version : str
        Version of geoplan that fitted the model.
    source : str
        The file the model was read from (not written into the file).
    """

    group: str
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    alpha: float
    cv: dict = field(default_factory=dict)
    trained_on: dict = field(default_factory=dict)
    geoplan_version: str = __version__
    source: str = ""

    def expected(self, features: StreetFeatures) -> np.ndarray:
        """Return the expected workers on each street sample of ``features`` (before any headcount scaling)."""
        z = (features.columns(self.features) - self.mean) / self.scale
        eta = np.minimum(self.intercept + z @ self.coef, _MAX_ETA)
        return features.exposure * np.exp(eta)

    def to_json(self) -> dict:
        """Return the model as the JSON object of its file (``docs/demand.md``, "Calibrated rules")."""
        return {
            "format": MODEL_FORMAT,
            "version": MODEL_VERSION,
            "group": self.group,
            "features": list(self.features),
            "mean": [float(v) for v in self.mean],
            "scale": [float(v) for v in self.scale],
            "coef": [float(v) for v in self.coef],
            "intercept": float(self.intercept),
            "alpha": float(self.alpha),
            "cv": self.cv,
            "trained_on": self.trained_on,
            "geoplan_version": self.geoplan_version,
        }


@dataclass(frozen=True, eq=False)
class Calibration:
    """What :func:`calibrate` found: the model and what the observed layer held.

    Attributes
    ----------
    model : DemandModel
    observed : ObservedCounts
    rule : str
        The group's rule of thumb the model is compared with.
    """

    model: DemandModel
    observed: ObservedCounts
    rule: str


# --- features ----------------------------------------------------------------------------------------------------


def street_features(area: StudyArea) -> StreetFeatures:
    """Compute the :data:`FEATURES` of every street sample of an area.

    Counts use spatial indexes (one STRtree query for all samples per feature), distances the area's metric CRS.

    Parameters
    ----------
    area : StudyArea

    Returns
    -------
    StreetFeatures
    """
    samples = area.street_samples
    points = samples.geometry.to_numpy()
    highway = samples["highway"].astype(object).to_numpy()
    columns = [np.isin(highway, sorted(values)).astype(float) for values in ROAD_CLASSES.values()]
    for _, key, values in _POI_FEATURES:
        columns.append(np.log1p(_count_within(points, _poi_geometry(area, key, values), POI_RADIUS_M)))
    stations = _station_geometry(area)
    if len(stations):
        _, distance = shapely.STRtree(stations).query_nearest(points, return_distance=True, all_matches=False)
    else:
        distance = np.full(len(points), NO_STATION_M)
    columns.append(np.log(EXPOSURE_M + distance))
    columns.append(np.log1p(_count_within(points, _signal_geometry(area), SIGNAL_RADIUS_M)))
    values = np.column_stack(columns) if len(points) else np.zeros((0, len(FEATURES)))
    exposure = samples["length_m"].to_numpy(dtype=float) / EXPOSURE_M
    return StreetFeatures(samples, values, exposure, no_stations=not len(stations))


def _count_within(points: np.ndarray, targets: np.ndarray, radius_m: float) -> np.ndarray:
    """Return how many of ``targets`` lie within ``radius_m`` of each point (one STRtree query)."""
    if len(targets) == 0 or len(points) == 0:
        return np.zeros(len(points))
    pairs = shapely.STRtree(targets).query(points, predicate="dwithin", distance=radius_m)
    return np.bincount(pairs[0], minlength=len(points)).astype(float)


def _poi_geometry(area: StudyArea, key: str, values: tuple[str, ...] | None) -> np.ndarray:
    pois = area.pois
    if key not in pois.columns:
        return np.empty(0, dtype=object)
    column = pois[key]
    mask = column.notna() if values is None else column.isin(values)
    return pois.geometry.to_numpy()[mask.fillna(False).to_numpy(dtype=bool)]


def _station_geometry(area: StudyArea) -> np.ndarray:
    """Rail and metro stations (``railway=station|halt``, ``public_transport=station``), each place once."""
    both = np.concatenate([_poi_geometry(area, "railway", ("station", "halt")),
                           _poi_geometry(area, "public_transport", ("station",))])  # fmt: skip
    if len(both) == 0:
        return both
    return both[np.unique(shapely.to_wkb(both), return_index=True)[1]]


def _signal_geometry(area: StudyArea) -> np.ndarray:
    """Signalised junctions as the traffic-police rule finds them: a ``signalized`` node flag, else OSM POIs."""
    nodes = area.nodes
    if "signalized" in nodes.columns:
        flagged = nodes["signalized"].astype(str).isin(["1", "True", "true"]).to_numpy()
        if flagged.any():
            return nodes.geometry.to_numpy()[flagged]
    return _poi_geometry(area, "highway", ("traffic_signals",))


# --- observations ------------------------------------------------------------------------------------------------


def observed_counts(area: StudyArea, layer: gpd.GeoDataFrame) -> ObservedCounts:
    """Sum an observed layer's workers onto the area's street samples (each point onto its nearest sample).

    Parameters
    ----------
    area : StudyArea
    layer : geopandas.GeoDataFrame
        ``weight`` and point geometry (any CRS), as :func:`geoplan.inputs.demand.read_layer` returns it.

    Returns
    -------
    ObservedCounts

    Raises
    ------
    InputError
        No observed worker lies within :data:`SNAP_MAX_M` of a street of the area.
    """
    samples = area.street_samples
    points = layer.to_crs(area.crs).geometry.to_numpy()
    weights = layer["weight"].to_numpy(dtype=float)
    near = shapely.STRtree(area.edges.geometry.to_numpy()).query_nearest(
        points, max_distance=SNAP_MAX_M, all_matches=False
    )
    kept = np.zeros(len(points), dtype=bool)
    kept[near[0]] = True
    counts = np.zeros(len(samples))
    if kept.any():
        nearest = shapely.STRtree(samples.geometry.to_numpy()).query_nearest(points[kept], all_matches=False)
        counts = np.bincount(nearest[1], weights=weights[kept][nearest[0]], minlength=len(samples))
    observed = ObservedCounts(counts, float(counts.sum()), int((~kept).sum()), float(weights[~kept].sum()))
    if observed.observed_workers <= 0:
        source = layer.attrs.get("source") or "the observed layer"
        raise i18n.input_error("calibration_no_workers", layer=source, metres=f"{SNAP_MAX_M:g}",
                               area=area.spec.name, points=len(points))  # fmt: skip
    return observed


def rule_counts(area: StudyArea, group: str) -> tuple[np.ndarray, str]:
    """Return the group's rule-of-thumb layer summed onto the street samples (one worker in all), and the rule.

    Parameters
    ----------
    area : StudyArea
    group : str
        A key of :data:`geoplan.inputs.demand.WORKER_GROUPS`.

    Returns
    -------
    counts : numpy.ndarray
        The rule's share of the group on each street sample (sums to 1).
    rule : str
        The rule that made the layer (as ``coverage.json`` names it).
    """
    headcounts = {key: (1.0 if key == group else 0.0) for key in WORKER_GROUPS}
    demand, rules = build_demand(area, headcounts)
    points = demand.geometry.to_numpy()
    samples = area.street_samples.geometry.to_numpy()
    nearest = shapely.STRtree(samples).query_nearest(points, all_matches=False)
    weights = demand["weight"].to_numpy(dtype=float)[nearest[0]]
    return np.bincount(nearest[1], weights=weights, minlength=len(samples)), rules[group]


def spatial_blocks(samples: gpd.GeoDataFrame, block_m: float = BLOCK_M, folds: int = FOLDS) -> tuple[np.ndarray, float]:
    """Label each street sample with its square block of side ``block_m`` (for spatial cross-validation).

    Neighbouring samples share their streets' workers, so a fold must hold whole neighbourhoods: samples are
    grouped by the grid cell they fall in. An area with fewer than ``folds`` non-empty cells gets cells of half the
    side, down to :data:`MIN_BLOCK_M`.

    Parameters
    ----------
    samples : geopandas.GeoDataFrame
        Points in a metric CRS.
    block_m : float
        Side of the blocks, in metres.
    folds : int
        Blocks wanted at least.

    Returns
    -------
    blocks : numpy.ndarray
        Block number (0, 1, ...) of each sample.
    side_m : float
        The side used.
    """
    xy = shapely.get_coordinates(samples.geometry.to_numpy())
    side = float(block_m)
    while True:
        cells = np.floor(xy / side).astype(np.int64)
        _, blocks = np.unique(cells, axis=0, return_inverse=True)
        blocks = blocks.reshape(-1)
        if (blocks.max(initial=-1) + 1 >= folds) or side / 2 < MIN_BLOCK_M:
            return blocks, side
        side /= 2


# --- fitting -----------------------------------------------------------------------------------------------------


def fit_counts(
    features: StreetFeatures,
    counts: np.ndarray,
    group: str,
    *,
    area_name: str = "",
    baseline: np.ndarray | None = None,
    rule: str = "",
    alphas: Sequence[float] = ALPHAS,
    block_m: float = BLOCK_M,
    folds: int = FOLDS,
) -> DemandModel:
    """Fit a calibrated rule to workers counted on street samples, with spatial cross-validation.

    Parameters
    ----------
    features : StreetFeatures
        The samples' features (:func:`street_features`).
    counts : numpy.ndarray
        Observed workers on each sample (:func:`observed_counts`).
    group : str
        Worker group of the counts.
    area_name : str
        Name of the area, for ``trained_on``.
    baseline : numpy.ndarray, optional
        The rule of thumb on each sample (:func:`rule_counts`); its D² on the same folds is reported, its scale fitted
        on each fold's training samples (Poisson maximum likelihood: observed total / rule total).
    rule : str
        Name of that rule.
    alphas : sequence of float
        Penalties to try; the one with the highest mean D² over the folds is kept.
    block_m : float
        Side of the cross-validation blocks (see :func:`spatial_blocks`).
    folds : int
        Number of folds (GroupKFold over the blocks; fewer if there are fewer blocks).

    Returns
    -------
    DemandModel
        Fitted on all samples with the chosen ``alpha``; ``cv`` holds ``block_m``, ``blocks``, ``folds``,
        ``alphas`` and ``d2_by_alpha`` (mean D² of each), ``d2`` (per fold, None for a fold without workers) and
        ``d2_mean`` of the chosen alpha, ``rule``, ``rule_d2`` and ``rule_d2_mean`` for the rule of thumb, and
        ``constant_features`` (features with one value in the training area: their coefficient is 0).

    Raises
    ------
    InputError
        Fewer than 2 blocks hold streets, or the observed workers sit in a single block.
    """
    counts = np.asarray(counts, dtype=float)
    names = FEATURES
    x = features.columns(names)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    constant = scale < 1e-9
    scale = np.where(constant, 1.0, scale)
    z = (x - mean) / scale
    rate, weight = counts / features.exposure, features.exposure
    blocks, side = spatial_blocks(features.samples, block_m, folds)
    n_blocks = int(blocks.max(initial=-1)) + 1
    splits = list(GroupKFold(n_splits=min(folds, n_blocks)).split(z, groups=blocks)) if n_blocks >= 2 else []
    if len(splits) < 2 or any(counts[train].sum() <= 0 for train, _ in splits):
        raise i18n.input_error("calibration_too_small", area=area_name, blocks=n_blocks, side=f"{side:g}")
    by_alpha = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a penalty too weak for the data: it scores low
        for alpha in alphas:
            fold_d2 = []
            for train, test in splits:
                model = _poisson(alpha).fit(z[train], rate[train], sample_weight=weight[train])
                fold_d2.append(_d2(counts[test], model.predict(z[test]) * weight[test], weight[test]))
            by_alpha.append(fold_d2)
        means = [_mean(fold_d2) for fold_d2 in by_alpha]
        best = max(range(len(alphas)), key=lambda i: -math.inf if means[i] is None else means[i])
        final = _poisson(alphas[best]).fit(z, rate, sample_weight=weight)
    cv = {
        "method": "GroupKFold over square blocks; D2 = share of Poisson deviance explained",
        "block_m": side, "blocks": n_blocks, "folds": len(splits),
        "alphas": [float(a) for a in alphas], "d2_by_alpha": means,
        "d2": by_alpha[best], "d2_mean": means[best],
        "constant_features": [name for name, flat in zip(names, constant, strict=True) if flat],
    }  # fmt: skip
    if baseline is not None:
        floored = np.asarray(baseline, dtype=float) + RULE_FLOOR_SHARE * float(np.mean(baseline))
        rule_d2 = []
        for train, test in splits:
            factor = counts[train].sum() / floored[train].sum()
            rule_d2.append(_d2(counts[test], factor * floored[test], weight[test]))
        cv.update({"rule": rule, "rule_d2": rule_d2, "rule_d2_mean": _mean(rule_d2)})
    coef = np.where(constant, 0.0, final.coef_)
    trained_on = {"area": area_name, "samples": len(counts), "observed_workers": float(counts.sum())}
    return DemandModel(group, names, mean, scale, coef, float(final.intercept_), float(alphas[best]), cv, trained_on)


def _poisson(alpha: float) -> PoissonRegressor:
    return PoissonRegressor(alpha=float(alpha), solver="newton-cholesky", max_iter=500)


def _d2(observed: np.ndarray, expected: np.ndarray, exposure: np.ndarray) -> float | None:
    """D² of expected counts against observed ones, as rates per exposure weighted by it (None: nobody observed)."""
    if observed.sum() <= 0:
        return None
    return float(d2_tweedie_score(observed / exposure, expected / exposure, sample_weight=exposure, power=1))


def _mean(values: Sequence[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return float(np.mean(kept)) if kept else None


def calibrate(area: StudyArea, layer: gpd.GeoDataFrame, group: str | None = None) -> Calibration:
    """Fit a group's rule to an observed layer on one area and cross-validate it against the rule of thumb.

    Parameters
    ----------
    area : StudyArea
    layer : geopandas.GeoDataFrame
        The observed layer (:func:`geoplan.inputs.demand.read_layer`: ``group``, ``weight``, points).
    group : str, optional
        The group to fit (default: the layer's one group).

    Returns
    -------
    Calibration

    Raises
    ------
    InputError
        The layer holds several groups and none was named, the group has no rule of thumb, no observed worker is
        near a street, or the area is too small to cross-validate.
    """
    groups = sorted(layer["group"].astype(str).unique())
    if group is None:
        if len(groups) != 1:
            raise i18n.input_error("calibration_one_group", layer=layer.attrs.get("source", ""),
                                   groups=", ".join(groups))  # fmt: skip
        group = groups[0]
    _check_group(group)
    chosen = layer[layer["group"].astype(str) == group]
    chosen.attrs.update(layer.attrs)
    observed = observed_counts(area, chosen)
    features = street_features(area)
    baseline, rule = rule_counts(area, group)
    model = fit_counts(features, observed.counts, group, area_name=area.spec.name, baseline=baseline, rule=rule)
    trained_on = {**model.trained_on, "dropped_points": observed.dropped_points}
    return Calibration(dataclasses.replace(model, trained_on=trained_on), observed, rule)


def _check_group(group: str) -> None:
    if group not in WORKER_GROUPS:
        raise i18n.input_error("calibration_unknown_group", group=group, groups=", ".join(WORKER_GROUPS))


# --- prediction --------------------------------------------------------------------------------------------------


def calibrated_layer(area: StudyArea, model: DemandModel, headcount: float) -> gpd.GeoDataFrame:
    """Spread a group's headcount over an area's street samples by a calibrated rule.

    Parameters
    ----------
    area : StudyArea
    model : DemandModel
    headcount : float
        Workers of the group in the area (positive).

    Returns
    -------
    geopandas.GeoDataFrame
        ``group``, ``weight`` (workers, summing to ``headcount``) and point geometry in WGS-84, one row per street
        sample, as :func:`geoplan.inputs.demand.read_layer` returns a user layer; ``attrs["source"]`` names the
        model file.

    Raises
    ------
    InputError
        The headcount is not a positive number.
    """
    if not (isinstance(headcount, int | float) and math.isfinite(headcount) and headcount > 0):
        raise i18n.input_error("calibrated_headcount", group=model.group, value=headcount,
                               group_zh=i18n.group_name(model.group, "zh"))  # fmt: skip
    features = street_features(area)
    if features.no_stations and "station_distance_log_m" in model.features:
        log.warning("%s: no rail or metro station mapped; the calibrated rule of %s puts every street %g m from one",
                    area.spec.name, model.group, NO_STATION_M)  # fmt: skip
    expected = model.expected(features)
    weight = expected * (float(headcount) / expected.sum())
    frame = gpd.GeoDataFrame(
        {"group": model.group, "weight": weight}, geometry=features.samples.geometry.to_numpy(), crs=area.crs
    ).to_crs(settings.WGS84)
    frame.attrs["source"] = f"{model.source or 'model'} (calibrated)"
    return frame


# --- the model file ----------------------------------------------------------------------------------------------


def write_model(model: DemandModel, out: Path | str) -> Path:
    """Write a model file atomically (UTF-8 JSON; see ``docs/demand.md``).

    Parameters
    ----------
    model : DemandModel
    out : pathlib.Path or str

    Returns
    -------
    pathlib.Path
    """
    text = json.dumps(model.to_json(), ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    return write_atomic(out, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def read_model(path: Path | str) -> DemandModel:
    """Read and check a model file written by :func:`write_model`.

    Parameters
    ----------
    path : pathlib.Path or str

    Returns
    -------
    DemandModel
        ``source`` is the file's name.

    Raises
    ------
    InputError
        Missing file, not JSON, or any field wrong (see :func:`model_from_json`).
    """
    path = Path(path)
    if not path.is_file():
        raise i18n.input_error("file_not_found", name=str(path))

    def refuse_constant(token: str) -> float:
        raise ValueError(f"{token} is not a number JSON allows")

    try:
        data = json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise i18n.input_error("model_not_json", file=path.name, reason=str(exc)) from None
    return model_from_json(data, source=path.name)


def model_from_json(data: object, source: str = "model") -> DemandModel:
    """Check a model file's JSON object and return the model.

    Parameters
    ----------
    data : object
        The parsed JSON.
    source : str
        The file's name, in messages and as the model's ``source``.

    Returns
    -------
    DemandModel

    Raises
    ------
    InputError
        Not a geoplan model (``format``), another ``version``, a missing or ill-typed field, lists whose lengths
        differ from ``features``, a feature name outside :data:`FEATURES`, a number that is not finite, a scale
        that is not positive, or a group without a rule.
    """
    if not isinstance(data, Mapping) or data.get("format") != MODEL_FORMAT:
        got = data.get("format") if isinstance(data, Mapping) else data
        raise i18n.input_error("model_wrong_format", file=source, format=MODEL_FORMAT, **_got(got))
    if data.get("version") != MODEL_VERSION:
        raise i18n.input_error("model_wrong_version", file=source, supported=MODEL_VERSION, **_got(data.get("version")))
    for name in ("group", "features", "mean", "scale", "coef", "intercept", "alpha", "cv", "trained_on"):
        if name not in data:
            raise i18n.input_error("model_field_missing", file=source, field=name)
    group = data["group"]
    if not isinstance(group, str):
        raise _invalid(source, "group", "a text", "文本")
    _check_group(group)
    features = _feature_names(data["features"], source)
    arrays = {name: _numbers(data, name, len(features), source) for name in ("mean", "scale", "coef")}
    if not (arrays["scale"] > 0).all():
        raise _invalid(source, "scale", "positive numbers", "正数")
    intercept, alpha = (_number(data, name, source) for name in ("intercept", "alpha"))
    if alpha < 0:
        raise _invalid(source, "alpha", "a number of at least 0", "不小于 0 的数字")
    for name in ("cv", "trained_on"):
        if not isinstance(data[name], Mapping):
            raise _invalid(source, name, "an object", "对象")
    return DemandModel(
        group=group, features=features, mean=arrays["mean"], scale=arrays["scale"], coef=arrays["coef"],
        intercept=intercept, alpha=alpha, cv=dict(data["cv"]), trained_on=dict(data["trained_on"]),
        geoplan_version=str(data.get("geoplan_version", "")), source=source,
    )  # fmt: skip


def _feature_names(features: object, source: str) -> tuple[str, ...]:
    if not isinstance(features, list) or not features or not all(isinstance(f, str) for f in features):
        raise _invalid(source, "features", "a non-empty list of feature names", "特征名称的非空列表")
    unknown = [f for f in features if f not in FEATURES]
    if unknown:
        raise i18n.input_error("model_unknown_features", file=source, names=", ".join(unknown),
                               known=", ".join(FEATURES))  # fmt: skip
    if len(set(features)) != len(features):
        raise _invalid(source, "features", "each feature once", "每个特征只出现一次")
    return tuple(features)


def _numbers(data: Mapping, name: str, length: int, source: str) -> np.ndarray:
    values = data[name]
    if not isinstance(values, list) or not all(_is_number(v) for v in values):
        raise _invalid(source, name, "a list of numbers", "数字列表")
    if len(values) != length:
        raise i18n.input_error("model_lengths", file=source, field=name, length=len(values), n=length)
    array = np.asarray(values, dtype=float)
    if not np.isfinite(array).all():
        raise i18n.input_error("model_not_finite", file=source, field=name)
    return array


def _number(data: Mapping, name: str, source: str) -> float:
    if not _is_number(data[name]):
        raise _invalid(source, name, "a number", "数字")
    if not math.isfinite(data[name]):
        raise i18n.input_error("model_not_finite", file=source, field=name)
    return float(data[name])


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _got(value: object) -> dict[str, str]:
    return i18n.shown(value) if value is not None else {"got": "nothing", "got_zh": "无"}


def _invalid(source: str, name: str, expected: str, expected_zh: str):
    return i18n.input_error("model_field_invalid", file=source, field=name, expected=expected, expected_zh=expected_zh)


def coefficient_table(model: DemandModel) -> pd.DataFrame:
    """Return the model's coefficients as a table: ``feature``, ``coef``, ``mean``, ``scale``, ``rate_ratio``.

    ``rate_ratio`` is ``exp(coef)``: how many times the workers per 100 m grow with one standard deviation of the
    feature (for a road-class indicator, roughly the class against the base classes).
    """
    return pd.DataFrame({"feature": list(model.features), "coef": model.coef, "mean": model.mean,
                         "scale": model.scale, "rate_ratio": np.exp(model.coef)})  # fmt: skip
