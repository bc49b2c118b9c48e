"""Bookkeeping of the site rules shared by every heuristic: spacing, districts, fixed and excluded sites."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from geoplan.siting.model import Constraints


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
        labels = c.district if c.district is not None else np.zeros(n, dtype=object)
        self.label_of, codes = pd.factorize(np.asarray(labels, dtype=object))
        lookup = {label: i for i, label in enumerate(codes)}
        self.low = np.zeros(len(codes), dtype=np.int64)
        self.high = np.full(len(codes), np.iinfo(np.int64).max)
        for label, value in c.minimums().items():
            if label in lookup:
                self.low[lookup[label]] = value
        for label, value in c.maximums().items():
            if label in lookup:
                self.high[lookup[label]] = value
        self.in_district = np.zeros(len(codes), dtype=np.int64)

    def open(self, j: int) -> None:
        """Open site ``j``."""
        self.chosen[j] = True
        self.blocked[self.neighbours.indices[self.neighbours.indptr[j] : self.neighbours.indptr[j + 1]]] += 1
        self.in_district[self.label_of[j]] += 1

    def close(self, j: int) -> None:
        """Close site ``j``."""
        self.chosen[j] = False
        self.blocked[self.neighbours.indices[self.neighbours.indptr[j] : self.neighbours.indptr[j + 1]]] -= 1
        self.in_district[self.label_of[j]] -= 1

    def allowed(self, slots_left: int) -> np.ndarray:
        """Candidates that may be opened now without making the district minimums unreachable."""
        ok = ~self.chosen & ~self.excluded & (self.blocked == 0)
        ok &= self.in_district[self.label_of] < self.high[self.label_of]
        deficit = np.maximum(self.low - self.in_district, 0)
        if deficit.sum() >= slots_left:
            ok &= deficit[self.label_of] > 0
        return ok

    def swaps(self, outgoing: np.ndarray) -> np.ndarray:
        """Feasibility of every swap: (candidates x outgoing) mask of "open a, close r" that keeps every rule."""
        outgoing = np.asarray(outgoing, dtype=np.int64)
        ok = (~self.chosen & ~self.excluded)[:, None] & ~self.fixed[outgoing][None, :]
        # Spacing: a may conflict with r itself (r closes), with no other open site.
        with_r = self.neighbours[:, outgoing].toarray() > 0 if len(outgoing) else np.zeros((len(ok), 0), bool)
        ok &= (self.blocked[:, None] - with_r) == 0
        label_in, label_out = self.label_of[:, None], self.label_of[outgoing][None, :]
        same = label_in == label_out
        leaves_ok = self.in_district[label_out] - 1 >= self.low[label_out]
        enters_ok = self.in_district[label_in] + 1 <= self.high[label_in]
        ok &= same | (leaves_ok & enters_ok)
        return ok
