"""The one preparation step: a frozen model that requests share and no solve can change."""

from __future__ import annotations

import pytest


def test_a_prepared_model_is_read_only_and_solving_leaves_it_as_it_was(default_workspace):
    prepared = default_workspace.prepared
    matrix, reach = prepared.model.matrix.copy(), prepared.reach.copy()
    for array in (prepared.model.weights, prepared.reach.data, prepared.model.matrix.indices, prepared.points):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = array[0]
    sites, _, _ = default_workspace.propose()
    default_workspace.reoptimise([dict(sites[0], status="rejected"), *sites[1:]], time_limit=1.0)
    assert (prepared.model.matrix != matrix).nnz == 0
    assert (prepared.reach != reach).nnz == 0


def test_the_model_matrix_is_the_reach_pattern_itself(default_workspace):
    """One matrix, not two: the reach is kept as 0/1 and is the model's matrix (no opening hours)."""
    import numpy as np

    prepared = default_workspace.prepared
    assert prepared.model.matrix is prepared.reach
    assert prepared.reach.nnz > 0
    assert np.all(prepared.reach.data == 1.0)
    assert prepared.reach.has_canonical_format


def test_the_reach_is_the_network_coverage_pattern(helsinki):
    """The 0/1 reach equals the pattern of the network metres, computed again from the prepared graph and spots."""
    import numpy as np

    from geoplan.coverage import network
    from geoplan.planning.parameters import PlanParameters
    from geoplan.planning.prepare import prepare

    prepared = prepare(helsinki, PlanParameters(stations=5, max_gap_m=900.0))
    metres = network.coverage(prepared.graph, prepared.site_spots, prepared.demand_spots, prepared.points[:, 2])
    assert metres.data.min() > 0
    assert np.array_equal(metres.indptr, prepared.reach.indptr)
    assert np.array_equal(metres.indices, prepared.reach.indices)
    gap = network.coverage(prepared.graph, prepared.site_spots, prepared.gap_spots, 900.0)
    assert (sp_pattern(gap) != prepared.must_cover).nnz == 0
    assert np.all(prepared.must_cover.data == 1.0)


def sp_pattern(matrix):
    import scipy.sparse as sp

    return sp.csr_array(sp.csr_array(matrix) != 0, dtype=float)


def test_preparing_with_an_executor_gives_the_same_model_and_plan(helsinki):
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    from geoplan.planning.parameters import PlanParameters
    from geoplan.planning.plan import plan_prepared
    from geoplan.planning.prepare import prepare

    params = PlanParameters(stations=8, time_limit_s=5.0)
    serial = prepare(helsinki, params)
    with ThreadPoolExecutor(2) as pool:
        pooled = prepare(helsinki, params, executor=pool)
    for a, b in ((serial.reach, pooled.reach), (serial.model.matrix, pooled.model.matrix)):
        assert np.array_equal(a.indptr, b.indptr)
        assert np.array_equal(a.indices, b.indices)
        assert np.array_equal(a.data, b.data)
    assert serial.key == pooled.key
    one, two = plan_prepared(serial, params), plan_prepared(pooled, params)
    assert one.result.objective == two.result.objective
