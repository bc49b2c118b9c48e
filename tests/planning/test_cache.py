"""The cache of study areas and prepared models: keys, memory, disk, threads, and what it refuses to reuse."""

from __future__ import annotations

import dataclasses
import logging
import os
import pickle
import threading

import pytest

from geoplan.data.areas import fingerprint, resolve
from geoplan.inputs.user_data import PointSet, UserData
from geoplan.planning.cache import ModelCache, area_key
from geoplan.planning.parameters import PlanParameters
from geoplan.planning.prepare import preparation_key
from geoplan.planning.workspace import Workspace

HELSINKI = resolve("helsinki")


@pytest.fixture(scope="module")
def disk(tmp_path_factory, helsinki, default_workspace):
    """A cache folder holding the default area and its default prepared model."""
    folder = tmp_path_factory.mktemp("models")
    ModelCache(folder).put(default_workspace.prepared)
    return folder


def test_the_key_follows_preparation_not_solving():
    base = preparation_key(HELSINKI, PlanParameters())
    for solve_only in (PlanParameters(stations=9), PlanParameters(time_limit_s=1.0), PlanParameters(phases=True),
                       PlanParameters(target_coverage=0.8), PlanParameters(backup_weight=0.5),
                       PlanParameters(max_24h=2)):  # fmt: skip
        assert preparation_key(HELSINKI, solve_only) == base
    for preparing in (PlanParameters(min_spacing_m=200.0), PlanParameters(cutoff_m={"couriers": 900.0}),
                      PlanParameters(hours_options=("24h",)), PlanParameters(max_gap_m=800.0),
                      PlanParameters(district_min=0)):  # fmt: skip
        assert preparation_key(HELSINKI, preparing) != base
    layer = UserData((PointSet("layer", "x.csv", ((24.94, 60.17, 3.0, "couriers"),)),))
    assert preparation_key(HELSINKI, PlanParameters(), layer.digest) != base
    assert preparation_key(resolve("nanchang"), PlanParameters()) != base


def test_user_data_round_trips_with_its_digest():
    data = UserData(
        layers=(PointSet("layer", "骑手.csv", ((24.94, 60.17, 3.0, "couriers"), (24.95, 60.18, 1.5, "couriers"))),),
        sites=PointSet("sites", "s.csv", ((24.93, 60.16, 12.0, "银行网点"),)),
        existing=PointSet("existing", "e.csv", ((24.92, 60.16, None, None),)),
    )
    back = UserData.from_json(data.to_json())
    assert back.to_json() == data.to_json()
    assert back.digest == data.digest
    assert UserData().digest != data.digest
    assert data.summary()["layers"] == [{"source": "骑手.csv", "points": 2}]


def test_memory_hits_are_the_same_object(helsinki, default_workspace):
    cache = ModelCache(None, capacity=2)
    cache.put_area(helsinki)
    first = cache.prepared(HELSINKI, PlanParameters(stations=5))
    assert cache.prepared(HELSINKI, PlanParameters(stations=12)) is first  # the count does not change the model
    assert cache.counts == {"memory": 2, "disk": 0, "built": 1}  # the area once, the model once
    assert first.key == default_workspace.prepared.key
    assert cache.area(HELSINKI) is first.area


def test_a_restart_reads_the_model_from_disk(disk, default_workspace):
    cache = ModelCache(disk)
    prepared = cache.prepared(HELSINKI)
    assert cache.counts["built"] == 0
    assert cache.counts["disk"] == 2  # the area, then the model (stored without its area)
    sites, _, _ = default_workspace.propose()
    assert Workspace(prepared).evaluate(sites) == default_workspace.evaluate(sites)


def test_the_planners_data_is_read_only_on_a_miss(disk):
    cache = ModelCache(disk)
    calls = []

    def load() -> UserData:
        calls.append(1)
        return UserData()

    cache.prepared(HELSINKI, digest=UserData().digest, load=load)
    assert calls == []  # on disk already: the data was not needed
    layer = UserData((PointSet("layer", "x.csv", ((24.94, 60.17, 3.0, "couriers"),)),))
    with pytest.raises(Exception, match="changed while it was being read"):
        cache.prepared(HELSINKI, digest=layer.digest, load=load)  # the loader returns other data than promised
    assert calls == [1]


def test_threads_asking_at_once_build_once(tmp_path, helsinki):
    fresh = ModelCache(tmp_path)
    fresh.put_area(helsinki)  # the area is known; the model is not
    results, start = [], threading.Barrier(4)

    def ask() -> None:
        start.wait()
        results.append(fresh.prepared(HELSINKI, PlanParameters(min_spacing_m=250.0)))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4
    assert all(result is results[0] for result in results)
    assert fresh.counts["built"] == 1


def test_least_recently_used_entries_go_first(helsinki):
    cache = ModelCache(None, capacity=1)
    cache.put_area(helsinki)
    first = cache.prepared(HELSINKI, PlanParameters(min_spacing_m=250.0))
    cache.prepared(HELSINKI, PlanParameters(min_spacing_m=260.0))
    assert cache.prepared(HELSINKI, PlanParameters(min_spacing_m=250.0)) is not first  # evicted, built again
    assert cache.counts["built"] == 3  # the area was given, not built


def test_an_unreadable_cache_file_is_rebuilt(disk, tmp_path, caplog):
    broken = tmp_path / "broken"
    for kind in ("areas", "prepared"):
        (broken / kind).mkdir(parents=True)
        for path in (disk / kind).iterdir():
            (broken / kind / path.name).write_bytes(path.read_bytes()[: 100])  # truncated
    cache = ModelCache(broken)
    with caplog.at_level(logging.WARNING, logger="geoplan.planning.cache"):
        prepared = cache.prepared(HELSINKI)
    assert "unreadable" in caplog.text
    assert cache.counts["built"] == 2
    with (broken / "prepared" / f"{prepared.key}.pickle").open("rb") as handle:
        assert pickle.load(handle).key == prepared.key  # and the good copy replaced the broken one


def test_a_changed_area_file_changes_the_key(tmp_path, shared_data):
    source = shared_data / "nanchang" / "arterial_network.graphml"
    copy = tmp_path / "network.graphml"
    copy.write_bytes(source.read_bytes())
    spec = dataclasses.replace(resolve("nanchang"), source=str(copy))
    before = (fingerprint(spec), area_key(spec))
    stat = copy.stat()
    os.utime(copy, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert fingerprint(spec) != before[0]
    assert area_key(spec) != before[1]
