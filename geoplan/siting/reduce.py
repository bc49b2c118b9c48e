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
    matrix = sp.csc_array(coverage)
    matrix = sp.csc_array(sp.diags_array(usable.astype(float)) @ matrix)
    matrix.eliminate_zeros()
    keep = (np.diff(matrix.indptr) > 0) & (weights > 0)
    matrix = matrix[:, np.flatnonzero(keep)]
    kept_weights = weights[keep]
    if matrix.shape[1] == 0:
        return sp.csr_array(matrix), kept_weights
    # Two random projections of each column's 0/1 pattern identify it; ties are then checked exactly.
    rng = np.random.default_rng(0)
    keys = (matrix.T @ rng.random((matrix.shape[0], 2))).round(9)
    nnz = np.diff(matrix.indptr)
    _, first, group = np.unique(np.column_stack([keys, nnz]), axis=0, return_index=True, return_inverse=True)
    group = group.ravel()
    representative = matrix[:, first]
    if not _same_pattern(matrix, representative[:, group]):
        return sp.csr_array(matrix), kept_weights  # a hash collision (never seen): skip merging
    merged_weights = np.bincount(group, weights=kept_weights, minlength=len(first))
    return sp.csr_array(representative), merged_weights


def _same_pattern(a: sp.csc_array, b: sp.csc_array) -> bool:
    return (a != b).nnz == 0
