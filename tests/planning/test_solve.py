"""planning.solve on the default area: a plan for every station count the rules allow, a proof beyond it.

The default area (central Helsinki, 320 candidate sites, 300 m spacing, one station per district) saturates early:
seven stations already cover all 236 workers, and at most 20 fit the spacing. Every count from the district
minimums' sum to that largest one must give a plan that keeps every rule; fewer, or one more, must be refused with
the binding rule named.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp

from geoplan import i18n
from geoplan.errors import InfeasibleError
from geoplan.planning.parameters import PlanParameters
from geoplan.planning.solve import solve


def _largest_count(model) -> int:
    """Most stations the model's spacing and district minimums allow, by scipy's MILP (an independent oracle)."""
    n = model.matrix.shape[0]
    rules = model.rules
    rows, low, high = [], [], []
    for a, b in np.asarray(rules["conflicts"]).reshape(-1, 2):
        row = np.zeros(n)
        row[[a, b]] = 1
        rows.append(row)
        low.append(-np.inf)
        high.append(1)
    district = np.asarray(rules["district"], dtype=object)
    for label, minimum in (rules.get("district_min") or {}).items():
        rows.append((district == label).astype(float))
        low.append(minimum)
        high.append(np.inf)
    answer = milp(-np.ones(n), integrality=np.ones(n), bounds=Bounds(0, 1),
                  constraints=[LinearConstraint(np.array(rows), low, high)])  # fmt: skip
    assert answer.status == 0
    return round(-answer.fun)


def test_every_station_count_up_to_the_largest_gets_a_plan(default_workspace):
    prepared = default_workspace.prepared
    model = prepared.model
    largest = _largest_count(model)
    assert largest >= 8  # the count the issue found failing
    params = PlanParameters()
    conflicts = {tuple(sorted(pair)) for pair in np.asarray(model.rules["conflicts"]).reshape(-1, 2).tolist()}
    district = np.asarray(model.rules["district"], dtype=object)
    total = float(np.sum(model.weights))
    needed = max(1, sum((model.rules.get("district_min") or {}).values()))
    for stations in range(1, needed):  # fewer stations than districts needing one: refused, the rule named
        with pytest.raises(InfeasibleError, match="minimums"):
            solve(prepared, params, stations)
    previous = 0.0
    for stations in range(needed, largest + 1):
        solution = solve(prepared, params, stations)
        chosen = solution.result.selected.tolist()
        assert len(chosen) == stations
        assert not {(a, b) for a in chosen for b in chosen if a < b} & conflicts
        assert set(district[chosen]) >= set(model.rules.get("district_min") or {})
        assert solution.result.status in {"optimal", "time_limit"}
        assert solution.result.objective >= previous - 1e-9 or solution.result.status == "time_limit"
        previous = max(previous, solution.result.objective)
        assert solution.result.objective <= total + 1e-9
    with pytest.raises(InfeasibleError) as raised:
        solve(prepared, params, largest + 1)
    assert raised.value.code == "too_many_stations"
    assert raised.value.params["most"] == largest
    assert f"最多只能布设 {largest} 个站点" in i18n.error_text(raised.value, "zh")
