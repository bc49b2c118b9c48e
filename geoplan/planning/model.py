"""The matrices a plan is solved on, built once per prepared model: rows are sites, columns are demand.

Without opening hours a row is a candidate site and a column a distinct demand location (with its cutoff). With
opening hours (``PlanParameters.hours_options``) demand is split by the shifts of each worker group, a column is a
(location, shift) pair, and a row is a (site, hours option) pair that covers a column only when the site reaches
the location and is open long enough during the shift (:func:`geoplan.siting.hours.option_model`). The site rules
(districts, spacing, fixed and excluded sites) are carried over to the rows.

The model also turns any station (a candidate with given hours, or an existing station anywhere) into the columns it
covers (:meth:`SitingModel.station_rows`), which is how the review map evaluates and re-plans around a planner's
decisions with exactly the arithmetic of the plan.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from geoplan import i18n
from geoplan.inputs.demand import WORKER_GROUPS
from geoplan.siting.hours import Hours, option_model, parse_hours

__all__ = ["DEFAULT_SHIFT", "SitingModel", "build_model"]

#: Shift of groups geoplan has no shift table for (user layers with new group names).
DEFAULT_SHIFT = (("08:00-18:00", 1.0),)


@dataclass(frozen=True, eq=False)
class SitingModel:
    """Rows (sites, or site x opening-hours option) x demand columns, with the site rules carried to the rows.

    Attributes
    ----------
    matrix : scipy.sparse.csr_array
        Rows x columns, 1 where the row's station covers the column.
    weights : numpy.ndarray
        Workers per column.
    pieces : geopandas.GeoDataFrame
        The demand rows the columns are made of (split by shift with opening hours): ``group``, ``weight``,
        ``district``, ``location`` (index of the distinct location), ``column``; with hours also ``shift``.
    row_site : numpy.ndarray
        Candidate site of each row.
    n_sites : int
        Number of candidate sites.
    options : tuple of Hours
        Opening-hours options (empty: time of day not modelled); row ``o * n_sites + j`` is site ``j`` with option
        ``o``.
    shifts : tuple of Hours
        Shift windows of the columns (empty without hours).
    column_location : numpy.ndarray
        Location of each column.
    column_shift : numpy.ndarray or None
        Index into ``shifts`` of each column.
    min_overlap_min : int
        Minutes a station must be open during a shift to count for it.
    must : scipy.sparse.csr_array or None
        Rows x positions that must each be within reach of a station (the maximum-gap rule).
    rules : dict
        Rules of the rows for :func:`geoplan.siting.solve_mclp`: ``district``, ``district_min``, ``conflicts``,
        ``fixed``, ``excluded``, ``city_level_min`` and ``quotas`` (one option per site).
    """

    matrix: sp.csr_array
    weights: np.ndarray
    pieces: gpd.GeoDataFrame
    row_site: np.ndarray
    n_sites: int
    options: tuple[Hours, ...]
    shifts: tuple[Hours, ...]
    column_location: np.ndarray
    column_shift: np.ndarray | None
    min_overlap_min: int
    must: sp.csr_array | None
    rules: dict

    @property
    def has_hours(self) -> bool:
        """True when opening hours are modelled."""
        return bool(self.options)

    @property
    def option_labels(self) -> tuple[str, ...]:
        """The opening-hours options, normalised (``"08:30-17:00"``, ``"24h"``)."""
        return tuple(option.label for option in self.options)

    def row_hours(self, rows: np.ndarray) -> list[str] | None:
        """Return the opening hours of each row, or None without hours."""
        if not self.has_hours:
            return None
        labels = self.option_labels
        return [labels[int(row) // self.n_sites] for row in np.asarray(rows, dtype=np.int64)]

    def rows_of(self, sites: np.ndarray) -> np.ndarray:
        """Every row of these sites (one per option with hours), ascending."""
        sites = np.asarray(sites, dtype=np.int64).ravel()
        k = max(len(self.options), 1)
        return np.sort((np.arange(k)[:, None] * self.n_sites + sites[None, :]).ravel())

    def row_of(self, site: int, hours: str | None) -> int | None:
        """Return the row of a site open during ``hours`` (None: the first option), None if no option has them.

        Raises
        ------
        InputError
            ``hours`` cannot be read as opening hours.
        """
        if not self.has_hours:
            return int(site)
        if hours is None:
            return int(site)
        label = parse_hours(hours).label
        if label not in self.option_labels:
            return None
        return self.option_labels.index(label) * self.n_sites + int(site)

    @functools.cached_property
    def location_columns(self) -> sp.csr_array:
        """Locations x columns: 1 where the column is (a shift of) the location."""
        n_locations = int(self.column_location.max(initial=-1)) + 1
        columns = np.arange(len(self.column_location))
        return sp.csr_array(
            (np.ones(len(columns)), (self.column_location, columns)), shape=(n_locations, len(columns))
        )

    def station_rows(self, reach: sp.csr_array, hours: list[str | None] | None = None) -> sp.csr_array:
        """Return the columns stations cover, from the locations they reach and their opening hours.

        Parameters
        ----------
        reach : scipy.sparse.csr_array
            Stations x locations, nonzero where the station reaches the location within its cutoff.
        hours : list of str or None, optional
            Each station's opening hours (None: the first option; ignored without hours).

        Returns
        -------
        scipy.sparse.csr_array
            Stations x columns, 0/1.
        """
        reach = sp.csr_array(sp.csr_array(reach) != 0, dtype=float)
        covered = sp.csr_array(reach @ self.location_columns)
        if not self.has_hours or covered.nnz == 0:
            covered.data[:] = 1.0
            return covered
        texts = hours or [None] * reach.shape[0]
        windows = [self.options[0] if text is None else parse_hours(text) for text in texts]
        open_during = np.array(
            [[window.overlap(shift) >= self.min_overlap_min for shift in self.shifts] for window in windows], dtype=bool
        ).reshape(len(windows), len(self.shifts))
        coo = covered.tocoo()
        keep = open_during[coo.row, self.column_shift[coo.col]]
        return sp.csr_array((np.ones(int(keep.sum())), (coo.row[keep], coo.col[keep])), shape=covered.shape)

    def covered_columns(self, rows: np.ndarray, extra: sp.csr_array | None = None) -> np.ndarray:
        """Boolean mask of the columns some of ``rows`` (and of the ``extra`` station rows) cover."""
        covered = np.zeros(self.matrix.shape[1], dtype=bool)
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows):
            covered[self.matrix[rows].indices] = True
        if extra is not None and extra.nnz:
            covered[sp.csr_array(extra).indices] = True
        return covered


def build_model(
    demand: gpd.GeoDataFrame,
    point_of: np.ndarray,
    reach: sp.csr_array,
    must_cover: sp.csr_array | None,
    site_rules: dict,
    hours_options: tuple[str, ...] = (),
    min_overlap_min: int = 60,
    shift_shares: Mapping[str, Mapping[str, float]] | None = None,
) -> SitingModel:
    """Build the siting model of a prepared plan.

    Parameters
    ----------
    demand : geopandas.GeoDataFrame
        Demand rows (``group``, ``weight``, ``district``).
    point_of : numpy.ndarray
        Distinct location (column of ``reach``) of each demand row.
    reach : scipy.sparse.csr_array
        Sites x locations, nonzero where within the location's cutoff (metres or 1.0). A 0/1 matrix in canonical
        form is used as the model's matrix itself, not copied.
    must_cover : scipy.sparse.csr_array or None
        Sites x positions within the maximum gap.
    site_rules : dict
        Rules per site: ``district``, ``district_min``, ``conflicts``, ``fixed``, ``excluded``, ``city_level_min``.
    hours_options : tuple of str
        Opening-hours options (empty: time of day not modelled).
    min_overlap_min : int
        Minutes a station must be open during a shift to count for it.
    shift_shares : mapping, optional
        Per group, shift windows and shares replacing the group's defaults (see
        :attr:`~geoplan.planning.parameters.PlanParameters.shift_shares`).

    Returns
    -------
    SitingModel

    Raises
    ------
    InputError
        Repeated or unreadable opening-hours options.
    """
    n = reach.shape[0]
    if not hours_options:
        pieces = demand.assign(location=point_of, column=point_of)
        weights = np.bincount(point_of, weights=demand["weight"].to_numpy(), minlength=reach.shape[1])
        matrix = _pattern(reach)
        rules = dict(site_rules, quotas=[])
        return SitingModel(
            matrix=matrix, weights=weights, pieces=gpd.GeoDataFrame(pieces, crs=demand.crs), row_site=np.arange(n),
            n_sites=n, options=(), shifts=(), column_location=np.arange(reach.shape[1]), column_shift=None,
            min_overlap_min=min_overlap_min, must=must_cover, rules=rules,
        )  # fmt: skip
    options = tuple(parse_hours(text) for text in hours_options)
    labels = [option.label for option in options]
    if len(set(labels)) != len(labels):
        raise i18n.input_error("hours_options_repeat", options=", ".join(hours_options))
    pieces, shift_texts = _split_by_shift(demand, point_of, shift_shares)
    shifts = tuple(parse_hours(text) for text in shift_texts)
    keys = pieces["location"].astype(str) + "|" + pieces["shift"].astype(str)
    column, unique_keys = pd.factorize(keys)
    pieces["column"] = column
    first = pd.Series(np.arange(len(pieces))).groupby(column).first().to_numpy()
    column_location = pieces["location"].to_numpy()[first]
    column_shift = np.array([shift_texts.index(s) for s in pieces["shift"].to_numpy()[first]], dtype=np.int64)
    weights = np.bincount(column, weights=pieces["weight"].to_numpy(), minlength=len(unique_keys))
    cover = sp.csr_array(sp.csr_array(reach)[:, column_location] != 0, dtype=float)
    fixed = np.asarray(site_rules.get("fixed", ()), dtype=np.int64)
    expanded = option_model(cover, column_shift, shifts, options, fixed_sites=fixed, min_overlap_min=min_overlap_min)
    k = len(options)
    rules = dict(site_rules)
    rules["fixed"] = np.zeros(0, dtype=np.int64)  # the one-option-per-site quota keeps fixed sites open
    rules["excluded"] = expanded.rows_of(site_rules.get("excluded", ()))
    rules["conflicts"] = expanded.expand_conflicts(site_rules.get("conflicts", np.zeros((0, 2), dtype=np.int64)))
    if site_rules.get("district") is not None:
        rules["district"] = np.tile(np.asarray(site_rules["district"], dtype=object), k)
    rules["quotas"] = [expanded.one_per_site]
    must = None if must_cover is None else sp.csr_array(sp.vstack([must_cover] * k, format="csr"))
    return SitingModel(
        matrix=expanded.coverage, weights=weights, pieces=pieces.reset_index(drop=True),
        row_site=np.tile(np.arange(n), k),
        n_sites=n, options=options, shifts=shifts, column_location=column_location, column_shift=column_shift,
        min_overlap_min=min_overlap_min, must=must, rules=rules,
    )  # fmt: skip


def _pattern(reach: sp.csr_array) -> sp.csr_array:
    """Return the sites x locations 0/1 matrix of ``reach``'s stored entries.

    That is ``reach`` itself when it already is one (a prepared plan's is), else a matrix sharing its index arrays
    when it can.
    """
    if not isinstance(reach, sp.csr_array):
        reach = sp.csr_array(reach)
    if reach.has_canonical_format and reach.dtype == np.float64 and np.all(reach.data == 1.0):
        return reach
    if reach.has_canonical_format and reach.data.all():
        return sp.csr_array((np.ones(reach.nnz), reach.indices, reach.indptr), shape=reach.shape)
    return sp.csr_array(reach != 0, dtype=float)


def _split_by_shift(
    demand: gpd.GeoDataFrame, point_of: np.ndarray, shift_shares: Mapping[str, Mapping[str, float]] | None = None
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Demand rows split by their group's shifts (weight shared by the shift's share), and the shift texts.

    A group in ``shift_shares`` takes those windows and shares (normalised to add up to 1) instead of its defaults.
    """
    shift_texts, pieces = [], []
    for group, rows in demand.groupby("group", sort=False):
        known = WORKER_GROUPS.get(group)
        shifts = known.shifts if known else DEFAULT_SHIFT
        if shift_shares and group in shift_shares:
            total = sum(shift_shares[group].values())
            shifts = tuple((text, share / total) for text, share in shift_shares[group].items() if share > 0)
        for text, share in shifts:
            if text not in shift_texts:
                shift_texts.append(text)
            pieces.append(rows.assign(weight=rows["weight"] * share, shift=text, location=point_of[rows.index]))
    return gpd.GeoDataFrame(pd.concat(pieces), crs=demand.crs), shift_texts
