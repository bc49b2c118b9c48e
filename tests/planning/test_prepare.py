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
