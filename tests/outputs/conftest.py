"""Fixtures of the export tests: a capacitated scenario of the default area, gathered for export."""

from __future__ import annotations

import pytest

from geoplan.data.areas import resolve
from geoplan.outputs.export_data import ExportData, build_export_data
from geoplan.planning.parameters import PlanParameters
from geoplan.planning.workspace import Workspace

#: Long visits, so that capacity binds on Helsinki's few workers.
CAPACITATED_PARAMS = {"capacitated": True, "visit_minutes": {"couriers": 60.0, "sanitation": 40.0}, "time_limit_s": 3.0}


@pytest.fixture(scope="module")
def capacitated_workspace(model_cache) -> Workspace:
    """The default area's workspace planned for capacity."""
    return Workspace(model_cache.prepared(resolve("helsinki")), PlanParameters.from_json(CAPACITATED_PARAMS))


@pytest.fixture(scope="module")
def capacitated_data(capacitated_workspace) -> ExportData:
    """Five capacitated stations, the busiest rejected, plus an existing station off the candidate set beside it."""
    sites, result, _ = capacitated_workspace.propose(5)
    existing = {"status": "existing", "candidate_id": None, "name": "已建驿站", "lon": sites[1]["lon"] + 0.0004,
                "lat": sites[1]["lat"]}  # fmt: skip
    sites[0]["status"] = "rejected"
    scenario = {"id": 16, "name": "容量方案", "area": "helsinki", "params": capacitated_workspace.params.to_json(),
                "sites": [*sites, existing], "result": result}  # fmt: skip
    return build_export_data(scenario, capacitated_workspace)
