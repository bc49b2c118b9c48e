"""Bookkeeping of the site rules shared by every heuristic: spacing, districts, fixed and excluded sites."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from geoplan.siting.model import Constraints, Quota


class SiteRules:
    """Which sites are open, and which candidates may still be opened or swapped in.

    Attributes
    ----------
    chosen : numpy.ndarray
        Boolean mask of open sites.
    blocked : numpy.ndarray
        For each candidate, how many open sites it conflicts with (closer than the minimum spacing).
    """

    def __init__(self, n: int, c: Constraints):
        self.c = c
        self.chosen = np.zeros(n, dtype=bool)
        self.blocked = np.zeros(n, dtype=np.int32)
        self.excluded = np.zeros(n, dtype=bool)
        self.excluded[c.excluded] = True
        self.fixed = np.zeros(n, dtype=bool)
        self.fixed[c.fixed] = True
        conflicts = np.asarray(c.conflicts, dtype=np.int64).reshape(-1, 2)
        self.neighbours = sp.csr_array(
            (
                np.ones(2 * len(conflicts)),
                (np.r_[conflicts[:, 0], conflicts[:, 1]], np.r_[conflicts[:, 1], conflicts[:, 0]]),
            ),
            shape=(n, n),
        )
        self.quotas = [_QuotaCount(quota) for quota in c.all_quotas()]

    def open(self, j: int) -> None:
        """Open site ``j``."""
        self.chosen[j] = True
        self.blocked[self.neighbours.indices[self.neighbours.indptr[j] : self.neighbours.indptr[j + 1]]] += 1
        for quota in self.quotas:
            quota.count[quota.label_of[j]] += 1

    def close(self, j: int) -> None:
        """Close site ``j``."""
        self.chosen[j] = False
        self.blocked[self.neighbours.indices[self.neighbours.indptr[j] : self.neighbours.indptr[j + 1]]] -= 1
        for quota in self.quotas:
            quota.count[quota.label_of[j]] -= 1

    def allowed(self, slots_left: int) -> np.ndarray:
        """Candidates that may be opened now without making any quota's minimums unreachable."""
        ok = ~self.chosen & ~self.excluded & (self.blocked == 0)
        for quota in self.quotas:
            ok &= quota.count[quota.label_of] < quota.high[quota.label_of]
            deficit = np.maximum(quota.low - quota.count, 0)
            if deficit.sum() >= slots_left:
                ok &= deficit[quota.label_of] > 0
        return ok

    def swaps(self, outgoing: np.ndarray) -> np.ndarray:
        """Feasibility of every swap: (candidates x outgoing) mask of "open a, close r" that keeps every rule."""
        outgoing = np.asarray(outgoing, dtype=np.int64)
        ok = (~self.chosen & ~self.excluded)[:, None] & ~self.fixed[outgoing][None, :]
        # Spacing: a may conflict with r itself (r closes), with no other open site.
        with_r = self.neighbours[:, outgoing].toarray() > 0 if len(outgoing) else np.zeros((len(ok), 0), bool)
        ok &= (self.blocked[:, None] - with_r) == 0
        for quota in self.quotas:
            label_in, label_out = quota.label_of[:, None], quota.label_of[outgoing][None, :]
            leaves_ok = quota.count[label_out] - 1 >= quota.low[label_out]
            enters_ok = quota.count[label_in] + 1 <= quota.high[label_in]
            ok &= (label_in == label_out) | (leaves_ok & enters_ok)
        return ok


class _QuotaCount:
    """One quota's labels as codes, its bounds per code, and the number of open sites per code."""

    def __init__(self, quota: Quota):
        self.label_of, codes = pd.factorize(np.asarray(quota.labels, dtype=object))
        lookup = {label: i for i, label in enumerate(codes)}
        self.low = np.zeros(len(codes), dtype=np.int64)
        self.high = np.full(len(codes), np.iinfo(np.int64).max)
        for label, value in quota.minimum.items():
            if label in lookup:
                self.low[lookup[label]] = value
        for label, value in quota.maximum.items():
            if label in lookup:
                self.high[lookup[label]] = value
        self.count = np.zeros(len(codes), dtype=np.int64)
