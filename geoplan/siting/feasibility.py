"""Feasibility first: find a plan that meets every rule, or prove that none exists and name the rules that bind.

Heuristics can paint themselves into a corner (greedy under a minimum spacing, say, when coverage saturates before
``p`` stations are placed), so a failed heuristic proves nothing. This module decides the question exactly with a
small MILP over the site variables alone — the station count, spacing pairs, district and other quota rows, fixed
and excluded sites and the maximum-gap rows — which HiGHS answers in well under a second for city instances,
because no demand column enters it.

When the rules cannot all be met, a deletion filter over the rule groups finds an irreducible set of them that is
already infeasible together with the station count, and the count range that set allows (largest and smallest
number of stations) says what to change: "at most 20 stations fit the minimum spacing and the district minimums".
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from geoplan.errors import InfeasibleError, SolverError
from geoplan.siting import milp
from geoplan.siting.model import Constraints, Quota

__all__ = ["RULE_NAMES", "find_plan", "station_range"]

#: Names of the rule groups in messages, English and Chinese; quotas other than districts are named by their label.
RULE_NAMES = {
    "spacing": ("the minimum spacing", "最小间距"),
    "district_min": ("the district minimums", "各区县最少站点数"),
    "district_max": ("the district maximums", "各区县最多站点数"),
    "fixed": ("the kept stations", "已保留的站点"),
    "excluded": ("the excluded sites", "已排除的候选点"),
    "max_gap": ("the maximum gap", "最大服务空白距离"),
    "hours_max": ("the limit on 24-hour stations", "24 小时站点数上限"),
    "hours_min": ("the minimum of stations per opening-hours option", "各营业时段最少站点数"),
}


@dataclass(frozen=True)
class _Groups:
    """The rule groups of a request, each a switch of the site model."""

    names: tuple[str, ...]

    def without(self, name: str) -> _Groups:
        return _Groups(tuple(g for g in self.names if g != name))


def find_plan(
    n: int, constraints: Constraints, must_cover: sp.csr_array | None = None, time_limit: float = 10.0
) -> np.ndarray:
    """Return ``constraints.p`` sites meeting every rule (coverage ignored).

    Parameters
    ----------
    n : int
        Number of candidate sites.
    constraints : Constraints
        Validated constraints.
    must_cover : scipy.sparse.csr_array, optional
        Candidates x points that must each be within reach of a chosen site (maximum gap).
    time_limit : float
        Seconds for the search and, when no plan exists, for naming the rules that bind.

    Returns
    -------
    numpy.ndarray
        Chosen candidate indices, ascending.

    Raises
    ------
    InfeasibleError
        No plan meets the rules: the message names an irreducible set of rules and the station counts it allows.
    SolverError
        Neither a plan nor a proof that none exists was found within ``time_limit``.
    """
    deadline = time.perf_counter() + max(time_limit, 0.0)
    groups = _groups(constraints, must_cover)
    outcome = _solve(n, constraints, must_cover, groups, "feasible", deadline)
    if outcome is None:
        raise _undecided(constraints.p, time_limit)
    if outcome is not False:
        return outcome
    raise _explain(n, constraints, must_cover, groups, deadline, time_limit)


def station_range(
    n: int, constraints: Constraints, must_cover: sp.csr_array | None = None, time_limit: float = 10.0
) -> tuple[int, int] | None:
    """Smallest and largest station counts for which the rules (all but the count) can be met.

    Returns None when no count works or the question is not settled within ``time_limit``.
    """
    deadline = time.perf_counter() + max(time_limit, 0.05)
    groups = _groups(constraints, must_cover)
    least = _solve(n, constraints, must_cover, groups, "least", deadline)
    most = _solve(n, constraints, must_cover, groups, "most", deadline)
    if least is None or most is None or least is False or most is False:
        return None
    return len(least), len(most)


def _groups(c: Constraints, must: sp.csr_array | None) -> _Groups:
    names = []
    if len(c.conflicts):
        names.append("spacing")
    for quota in c.all_quotas():
        if quota.minimum:
            names.append(f"{quota.name}_min")
        if quota.maximum:
            names.append(f"{quota.name}_max")
    if len(c.fixed):
        names.append("fixed")
    if len(c.excluded):
        names.append("excluded")
    if must is not None and must.shape[1]:
        names.append("max_gap")
    return _Groups(tuple(names))


def _solve(n, c: Constraints, must, groups: _Groups, goal: str, deadline: float):
    """Site model under the chosen groups: a plan (sites), False (proven infeasible) or None (time ran out).

    ``goal`` is ``feasible`` (exactly p sites, any plan), ``most`` or ``least`` (no count row: as many / as few
    sites as the rules allow).
    """
    left = deadline - time.perf_counter()
    if left <= 0.01:
        return None
    on = set(groups.names)
    matrix, row_low, row_high = _rows(n, c, must, on, count=goal == "feasible")
    col_low, col_high = np.zeros(n), np.ones(n)
    if "fixed" in on:
        col_low[c.fixed] = 1.0
    if "excluded" in on:
        col_high[c.excluded] = 0.0
    cost = {"feasible": np.zeros(n), "most": np.ones(n), "least": -np.ones(n)}[goal]
    try:
        values, _, label = milp.run(
            cost=cost, maximise=True, matrix=matrix, row_low=row_low, row_high=row_high, col_low=col_low,
            col_high=col_high, integer=n, start=None, time_limit=left, target_gap=0.0,
        )  # fmt: skip
    except InfeasibleError:
        return False
    if values is None or (goal != "feasible" and label != "optimal"):
        return None  # no answer, or a count reached at a time limit (not known to be the extreme one)
    return np.flatnonzero(values > 0.5)


def _rows(n, c: Constraints, must, on: set[str], count: bool) -> tuple[sp.csc_array, np.ndarray, np.ndarray]:
    """Rows of the site model (:func:`milp.site_rows` of the switched-on rules) and the maximum-gap rows.

    The first row counts the stations: exactly p, or (for the count range) at least one.
    """
    quotas = tuple(
        Quota(q.name, q.labels, q.minimum if f"{q.name}_min" in on else {}, q.maximum if f"{q.name}_max" in on else {})
        for q in c.quotas
    )
    switched = Constraints(
        p=c.p, district=c.district, district_min=c.district_min if "district_min" in on else None,
        district_max=c.district_max if "district_max" in on else None,
        conflicts=c.conflicts if "spacing" in on else np.zeros((0, 2), dtype=np.int64), quotas=quotas,
    )  # fmt: skip
    matrix, low, high = milp.site_rows(switched, n)
    if not count:
        low[0], high[0] = 1.0, highspy.kHighsInf
    if "max_gap" in on:
        k = must.shape[1]
        matrix = sp.vstack([matrix, sp.csr_array(must.T)], format="csr")
        low, high = np.r_[low, np.ones(k)], np.r_[high, np.full(k, highspy.kHighsInf)]
    return sp.csc_array(matrix), low, high


def _explain(n, c, must, groups: _Groups, deadline: float, time_limit: float) -> Exception:
    """Find an irreducible set of rule groups by a deletion filter (drop each one not needed), then describe it."""
    core = groups
    for name in groups.names:
        trial = core.without(name)
        outcome = _solve(n, c, must, trial, "feasible", deadline)
        if outcome is None:
            break  # out of time: describe the set reached so far (still infeasible)
        if outcome is False:
            core = trial
    english, chinese = _names(core)
    least = _solve(n, c, must, core, "least", deadline)
    most = _solve(n, c, must, core, "most", deadline)
    p = c.p
    if least is False or most is False:
        return InfeasibleError(
            f"No plan can meet {english} together, whatever the number of stations: relax one of them.",
            code="rules_conflict", rules=english, rules_zh=chinese, p=p,
        )  # fmt: skip
    if most is not None and len(most) < p:
        return InfeasibleError(
            f"At most {len(most)} stations fit {english}; the plan asks for {p}: lower the station count to "
            f"{len(most)} or relax {english}.",
            code="too_many_stations", rules=english, rules_zh=chinese, p=p, most=len(most),
        )  # fmt: skip
    if least is not None and len(least) > p:
        return InfeasibleError(
            f"At least {len(least)} stations are needed to meet {english}; the plan has {p}: raise the station "
            f"count to {len(least)} or relax {english}.",
            code="too_few_stations", rules=english, rules_zh=chinese, p=p, least=len(least),
        )  # fmt: skip
    return InfeasibleError(
        f"No plan of exactly {p} stations meets {english}: change the station count or relax {english}.",
        code="no_plan_of_count", rules=english, rules_zh=chinese, p=p,
    )  # fmt: skip


def _names(groups: _Groups) -> tuple[str, str]:
    english, chinese = [], []
    for name in groups.names or ("count",):
        en, zh = RULE_NAMES.get(name, (f"the {name.replace('_', ' ')} rule", name.replace("_", " ")))
        english.append(en)
        chinese.append(zh)
    en_text = ", ".join(english[:-1]) + " and " + english[-1] if len(english) > 1 else english[0]
    return en_text, "、".join(chinese)


def _undecided(p: int, time_limit: float) -> SolverError:
    return SolverError(
        f"Within {time_limit:.0f} s neither a plan of {p} stations meeting every rule was found nor proven "
        "impossible: allow more time, or relax the minimum spacing or the maximum gap.",
        code="no_plan_in_time",
        p=p,
        seconds=f"{time_limit:.0f}",
    )
