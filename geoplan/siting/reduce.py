"""Problem reductions applied before solving: fewer demand columns, same optimum."""

from __future__ import annotations

import itertools

import numpy as np
import scipy.sparse as sp

from geoplan.memory import release_memory


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
    coverage: sp.csr_array, weights: np.ndarray, usable: np.ndarray, min_saving: float | None = None
) -> tuple[sp.csr_array, np.ndarray, np.ndarray]:
    """Like :func:`merge_demand`, also returning the merged column of each original column (-1 when dropped).

    Works on the row-major matrix as given (the caller's is never changed, nor copied unless rows must be zeroed):
    for a whole city the matrix is the largest object of a plan, and every copy of it counts.

    Parameters
    ----------
    coverage, weights, usable
        As for :func:`merge_demand`.
    min_saving : float, optional
        Copy the merged columns only when that removes at least this share of the stored entries; otherwise return
        the (row-zeroed) matrix itself, with each group's weight on one of its columns and 0 on the others and on
        the dropped ones: the same problem, without a second matrix of the same size. None: always copy.

    Returns
    -------
    coverage, weights
        As :func:`merge_demand` returns them (or folded, see ``min_saving``).
    column_of : numpy.ndarray
        Merged column of each original column, -1 when dropped.
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
    column_count = column_counts(rows)
    keep = (column_count > 0) & (weights > 0)
    kept = np.flatnonzero(keep)
    kept_weights = weights[keep]
    column_of = np.full(len(weights), -1, dtype=np.int64)
    if len(kept) == 0:
        return sp.csr_array((rows.shape[0], 0)), kept_weights, column_of
    # Two random projections of each column's 0/1 pattern identify it; ties are then checked exactly.
    rng = np.random.default_rng(0)
    keys = (rows.T @ rng.random((rows.shape[0], 2)))[kept].round(9)
    nnz = column_count[kept]
    _, first, group = np.unique(np.column_stack([keys, nnz]), axis=0, return_index=True, return_inverse=True)
    group = group.ravel()
    if len(first) < len(kept) and not _same_pattern(rows, kept, group):  # a hash collision (never seen)
        first, group = np.arange(len(kept)), np.arange(len(kept))
    del keys
    release_memory()  # the hashing's and sorting's temporaries would stay on the heap: a whole city's are GBs
    merged_weights = np.bincount(group, weights=kept_weights, minlength=len(first))
    representative = kept[first]
    if min_saving is not None and column_count[representative].sum() > (1.0 - min_saving) * rows.nnz:
        column_of[kept] = representative[group]
        folded = np.zeros(n_columns)
        folded[representative] = merged_weights
        return rows, folded, column_of
    column_of[kept] = group
    return _columns(rows, representative), merged_weights, column_of


def column_counts(matrix: sp.csr_array, block: int = 1 << 24) -> np.ndarray:
    """Return the number of stored entries in each column of a CSR matrix.

    Counted in blocks of ``block`` entries: ``np.bincount`` casts 32-bit indices to 64 bits first, which for a
    whole city's matrix (222 million entries) would be a 1.8 GB copy.
    """
    counts = np.zeros(matrix.shape[1], dtype=np.int64)
    for start in range(0, matrix.nnz, block):
        counts += np.bincount(matrix.indices[start : start + block], minlength=matrix.shape[1])
    return counts


def _columns(rows: sp.csr_array, columns: np.ndarray) -> sp.csr_array:
    """``rows[:, columns]`` with sorted indices."""
    out = sp.csr_array(rows[:, columns])
    out.sort_indices()
    return out


def _same_pattern(rows: sp.csr_array, kept: np.ndarray, group: np.ndarray, block: int = 1 << 22) -> bool:
    """Tell whether the kept columns of each group cover exactly the same rows.

    Every row covers either all or none of a group's columns: counted per (row, group) over the columns of groups
    with more than one member, in blocks of rows of about ``block`` stored entries (a row's count never spans two
    blocks), without a column-major copy of the matrix or an array as long as it.
    """
    size = np.bincount(group)
    group_of = np.full(rows.shape[1], -1, dtype=np.int32)
    shared = size[group] > 1
    group_of[kept[shared]] = group[shared]
    ends = np.searchsorted(rows.indptr, np.arange(block, rows.nnz + block, block), side="right") - 1
    bounds = np.unique(np.concatenate([[0], ends, [rows.shape[0]]]))
    for low, high in itertools.pairwise(bounds):
        start, stop = rows.indptr[low], rows.indptr[high]
        entry_group = group_of[rows.indices[start:stop]]
        valid = entry_group >= 0
        if not valid.any():
            continue
        row = np.repeat(np.arange(high - low, dtype=np.int64), np.diff(rows.indptr[low : high + 1]))[valid]
        pair, counts = np.unique(row * len(size) + entry_group[valid], return_counts=True)
        if not np.all(counts == size[pair % len(size)]):
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
    column_count = column_counts(rows)
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
