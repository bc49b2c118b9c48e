"""Problem reductions applied before solving: fewer demand columns, same optimum."""

from __future__ import annotations

import itertools

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
    """Like :func:`merge_demand`, also returning the merged column of each original column (-1 when dropped)."""
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
    # The caller's matrix is never changed: the only copy is the column-major one (and the columns kept).
    matrix = rows.tocsc()
    del rows
    keep = (np.diff(matrix.indptr) > 0) & (weights > 0)
    kept = np.flatnonzero(keep)
    if len(kept) < matrix.shape[1]:
        matrix = matrix[:, kept]
    kept_weights = weights[keep]
    column_of = np.full(len(weights), -1, dtype=np.int64)
    if matrix.shape[1] == 0:
        return sp.csr_array(matrix), kept_weights, column_of
    # Two random projections of each column's 0/1 pattern identify it; ties are then checked exactly.
    rng = np.random.default_rng(0)
    keys = (matrix.T @ rng.random((matrix.shape[0], 2))).round(9)
    nnz = np.diff(matrix.indptr)
    _, first, group = np.unique(np.column_stack([keys, nnz]), axis=0, return_index=True, return_inverse=True)
    group = group.ravel()
    representative = matrix[:, first]
    if not _same_pattern(matrix, representative, group):  # a hash collision (never seen): skip merging
        column_of[kept] = np.arange(len(kept))
        return sp.csr_array(matrix), kept_weights, column_of
    column_of[kept] = group
    merged_weights = np.bincount(group, weights=kept_weights, minlength=len(first))
    return sp.csr_array(representative), merged_weights, column_of


def _same_pattern(a: sp.csc_array, b: sp.csc_array, group: np.ndarray, chunk: int = 1 << 22) -> bool:
    """Tell whether every column ``j`` of ``a`` equals column ``group[j]`` of ``b`` (same rows, same values).

    Compared through the column-major arrays, a block of columns at a time, without forming ``b[:, group]``.
    """
    a, b = sp.csc_array(a), sp.csc_array(b)
    for m in (a, b):
        if not m.has_sorted_indices:
            m.sort_indices()
    counts = np.diff(a.indptr)
    if not np.array_equal(counts, np.diff(b.indptr)[group]):
        return False
    cuts = np.clip(np.searchsorted(a.indptr, np.arange(chunk, a.nnz, chunk)), 0, len(counts))
    bounds = np.unique(np.concatenate([[0], cuts, [len(counts)]]))
    for lo, hi in itertools.pairwise(bounds.tolist()):
        n = counts[lo:hi]
        start_a, end_a = a.indptr[lo], a.indptr[hi]
        position = np.repeat(b.indptr[group[lo:hi]] - (a.indptr[lo:hi] - start_a), n) + np.arange(end_a - start_a)
        if not (
            np.array_equal(a.indices[start_a:end_a], b.indices[position])
            and np.array_equal(a.data[start_a:end_a], b.data[position])
        ):
            return False
    return True


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
