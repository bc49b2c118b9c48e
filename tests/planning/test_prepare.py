"""The one preparation step: a frozen model that requests share and no solve can change."""

from __future__ import annotations

import pytest


def test_a_prepared_model_is_read_only_and_solving_leaves_it_as_it_was(default_workspace):
    prepared = default_workspace.prepared
    matrix, distances = prepared.model.matrix.copy(), prepared.distances.copy()
    for array in (prepared.model.weights, prepared.distances.data, prepared.model.matrix.indices, prepared.points):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = array[0]
    sites, _, _ = default_workspace.propose()
    default_workspace.reoptimise([dict(sites[0], status="rejected"), *sites[1:]], time_limit=1.0)
    assert (prepared.model.matrix != matrix).nnz == 0
    assert (prepared.distances != distances).nnz == 0


def test_the_model_matrix_is_the_distances_pattern_sharing_its_index_arrays(default_workspace):
    import numpy as np
    import scipy.sparse as sp

    prepared = default_workspace.prepared
    matrix, distances = prepared.model.matrix, prepared.distances
    expected = sp.csr_array(sp.csr_array(distances) != 0, dtype=float)
    assert (matrix != expected).nnz == 0
    assert np.all(matrix.data == 1.0)
    assert np.shares_memory(matrix.indices, distances.indices)


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
    for a, b in ((serial.distances, pooled.distances), (serial.model.matrix, pooled.model.matrix)):
        assert np.array_equal(a.indptr, b.indptr)
        assert np.array_equal(a.indices, b.indices)
        assert np.array_equal(a.data, b.data)
    assert serial.key == pooled.key
    one, two = plan_prepared(serial, params), plan_prepared(pooled, params)
    assert one.result.objective == two.result.objective
