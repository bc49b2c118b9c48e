"""Problem reductions applied before solving: fewer demand columns, same optimum."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def merge_demand(coverage: sp.csr_array, weights: np.ndarray, usable: np.ndarray) -> tuple[sp.csr_array, np.ndarray]:
    """Merge demand points covered by exactly the same usable candidates; drop uncoverable or weightless ones.

    Parameters
    ----------
    coverage : scipy.sparse.csr_array
        Candidates x demand 0/1 matrix.
    weights : numpy.ndarray
        Demand weights.
    usable : numpy.ndarray
        Boolean mask of candidates that may be chosen (not excluded).

    Returns
    -------
    coverage : scipy.sparse.csr_array
        Candidates x merged-demand 0/1 matrix.
    weights : numpy.ndarray
        Summed weight of each merged column.
    """
    merged, merged_weights, _ = demand_groups(coverage, weights, usable)
    return merged, merged_weights


def demand_groups(
    coverage: sp.csr_array, weights: np.ndarray, usable: np.ndarray
) -> tuple[sp.csr_array, np.ndarray, np.ndarray]:
    """Like :func:`merge_demand`, also returning the merged column of each original column (-1 when dropped).

    Works on the row-major matrix as given (the caller's is never changed, nor copied unless rows must be zeroed):
    for a whole city the matrix is the largest object of a plan, and every copy of it counts.
    """
    rows = sp.csr_array(coverage)
    if not usable.all():
        # Zero the rows of unusable sites in place, in a copy (cheaper than a product with a diagonal matrix).
        rows = sp.csr_array(rows, copy=True)
        starts, ends = rows.indptr[:-1][~usable], rows.indptr[1:][~usable]
        lengths = ends - starts
        rows.data[np.repeat(starts, lengths) + (np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths,
                                                                                      lengths))] = 0  # fmt: skip
    if not rows.data.all():
        rows = sp.csr_array(rows, copy=True)
        rows.eliminate_zeros()
    if not rows.has_sorted_indices:
        rows = sp.csr_array(rows, copy=True)
        rows.sort_indices()
    n_columns = rows.shape[1]
    keep = (np.bincount(rows.indices, minlength=n_columns) > 0) & (weights > 0)
    kept = np.flatnonzero(keep)
    kept_weights = weights[keep]
    column_of = np.full(len(weights), -1, dtype=np.int64)
    if len(kept) == 0:
        return sp.csr_array((rows.shape[0], 0)), kept_weights, column_of
    # Two random projections of each column's 0/1 pattern identify it; ties are then checked exactly.
    rng = np.random.default_rng(0)
    keys = (rows.T @ rng.random((rows.shape[0], 2)))[kept].round(9)
    nnz = np.bincount(rows.indices, minlength=n_columns)[kept]
    _, first, group = np.unique(np.column_stack([keys, nnz]), axis=0, return_index=True, return_inverse=True)
    group = group.ravel()
    if not _same_pattern(rows, kept, group):  # a hash collision (never seen): skip merging
        column_of[kept] = np.arange(len(kept))
        return _columns(rows, kept), kept_weights, column_of
    column_of[kept] = group
    merged_weights = np.bincount(group, weights=kept_weights, minlength=len(first))
    return _columns(rows, kept[first]), merged_weights, column_of


def _columns(rows: sp.csr_array, columns: np.ndarray) -> sp.csr_array:
    """``rows[:, columns]`` with sorted indices."""
    out = sp.csr_array(rows[:, columns])
    out.sort_indices()
    return out


def _same_pattern(rows: sp.csr_array, kept: np.ndarray, group: np.ndarray) -> bool:
    """Tell whether the kept columns of each group cover exactly the same rows.

    Every row covers either all or none of a group's columns: counted per (row, group) in one sparse sum, without
    a column-major copy of the matrix.
    """
    group_of = np.full(rows.shape[1], -1, dtype=np.int64)
    group_of[kept] = group
    size = np.bincount(group)
    entry_group = group_of[rows.indices]
    valid = entry_group >= 0
    indptr = np.concatenate([[0], np.cumsum(valid)])[rows.indptr]
    counts = sp.csr_array((np.ones(int(valid.sum())), entry_group[valid], indptr), shape=(rows.shape[0], len(size)))
    del entry_group, valid
    counts.sum_duplicates()
    return bool(np.all(counts.data == size[counts.indices]))


def dominated_sites(coverage: sp.csr_array, usable: np.ndarray, keep: np.ndarray, chunk: int = 50_000) -> np.ndarray:
    """Sites whose covered demand is contained in another usable site's (ties: the higher index goes).

    For plain maximal covering (no spacing, quotas, maximum gap or cross coverage) such a site is never needed:
    swapping it for its dominator, or for any unused site when both are chosen, loses nothing. Callers apply it
    only then.

    Parameters
    ----------
    coverage : scipy.sparse.csr_array
        Candidates x demand 0/1 matrix.
    usable : numpy.ndarray
        Sites that may be chosen (a dominator must be usable).
    keep : numpy.ndarray
        Sites never to report (fixed ones).
    chunk : int
        Candidate pairs checked per batch (bounds memory).

    Returns
    -------
    numpy.ndarray
        Boolean mask of dominated sites.
    """
    rows = sp.csr_array(coverage)
    size = np.diff(rows.indptr)
    column_count = np.bincount(rows.indices, minlength=rows.shape[1])
    columns = rows.tocsc()
    dominated = (size == 0) & ~keep
    # Any dominator of j covers j's rarest demand point: only those sites are compared with j.
    candidates = np.flatnonzero((size > 0) & ~keep)
    rarest = np.empty(len(candidates), dtype=np.int64)
    for i, j in enumerate(candidates):
        own = rows.indices[rows.indptr[j] : rows.indptr[j + 1]]
        rarest[i] = own[np.argmin(column_count[own])]
    counts = columns.indptr[rarest + 1] - columns.indptr[rarest]
    site = np.repeat(candidates, counts)
    position = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    other = columns.indices[np.repeat(columns.indptr[rarest], counts) + position]
    fit = (
        (other != site) & usable[other] & ((size[other] > size[site]) | ((size[other] == size[site]) & (other < site)))
    )
    site, other = site[fit], other[fit]
    for start in range(0, len(site), chunk):
        a, b = site[start : start + chunk], other[start : start + chunk]
        shared = np.asarray(rows[a].multiply(rows[b]).sum(axis=1)).ravel()
        dominated[a[shared >= size[a]]] = True
    return dominated
