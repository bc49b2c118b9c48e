"""Run a batch of areas on Dask distributed: an embedded ``LocalCluster`` by default, or an existing cluster.

Each area is one task (:func:`geoplan.batch.tasks.run_area`); results are taken as they finish
(:func:`distributed.as_completed`), and for each the machine running the batch writes the area's files into
``OUT/areas/NAME/``, its result into ``OUT/results/NAME.json`` and, given a store, its scenario; the summary files
come last (:func:`geoplan.outputs.batch_report.write_summary`). A rerun into the same folder skips the areas whose
stored result has the same task key (same data, parameters and code) and was not a failure. A worker that dies in
the middle of a task does not lose it: the scheduler runs it again on another worker (Dask's own rescheduling); an
area whose task kept killing workers is reported as failed and the others go on.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from geoplan import i18n
from geoplan.batch.tasks import FAILED, AreaResult, AreaTask, run_area
from geoplan.errors import GeoplanError, NotFoundError
from geoplan.files import ensure_folder, write_all, write_atomic
from geoplan.outputs.batch_report import write_summary
from geoplan.planning.prepare import code_fingerprint

__all__ = ["BatchOutcome", "BatchProgress", "area_folder", "dask_client", "run_batch"]

log = logging.getLogger(__name__)

#: Seconds to wait for an existing scheduler to answer before saying it cannot be reached.
CONNECT_TIMEOUT_S = 30


@dataclass(frozen=True)
class BatchProgress:
    """One area finished (or was taken from an earlier run), as the batch reports it.

    Attributes
    ----------
    done, total : int
        Areas finished so far, and in the batch.
    result : AreaResult
    resumed : bool
        The result is an earlier run's (same inputs and code), not computed again.
    workers_lost : int
        Workers that left the cluster since the previous report (died, or cut off): their tasks run again elsewhere.
    """

    done: int
    total: int
    result: AreaResult
    resumed: bool = False
    workers_lost: int = 0


@dataclass
class BatchOutcome:
    """What a batch produced.

    Attributes
    ----------
    results : list of AreaResult
        One per area, in the batch's order.
    files : list of pathlib.Path
        The summary files.
    resumed : list of str
        Areas taken from an earlier run.
    seconds : float
        Wall time of the batch.
    workers : int
        Workers the cluster had when the batch started.
    """

    results: list[AreaResult]
    files: list[Path] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)
    seconds: float = 0.0
    workers: int = 0

    @property
    def failed(self) -> list[AreaResult]:
        """The areas that could not be planned."""
        return [r for r in self.results if r.failed]


def run_batch(
    tasks: Sequence[AreaTask],
    out: Path,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    store=None,
    scenario_prefix: str = "",
    user: str = "geoplan batch",
    resume: bool = True,
    progress: Callable[[BatchProgress], None] | None = None,
    notes: Sequence[dict] = (),
) -> BatchOutcome:
    """Plan every area of ``tasks`` on a Dask cluster and write the batch's files into ``out``.

    Parameters
    ----------
    tasks : sequence of AreaTask
        One per area; area names must differ.
    out : pathlib.Path
        Output folder (created): ``summary.*``, ``areas/NAME/`` (each area's plan files), ``results/NAME.json``.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``); None starts a ``LocalCluster`` for the batch.
    workers : int, optional
        Worker processes of the ``LocalCluster`` (default: one per core, at most one per area to compute).
    store : geoplan.store.Store, optional
        Where each area's plan is saved as a scenario named ``scenario_prefix + area``.
    scenario_prefix : str
        Start of the scenarios' names.
    user : str
        Who the scenarios are saved as.
    resume : bool
        Skip areas whose result in ``out`` has the same task key and did not fail.
    progress : callable, optional
        Called with a :class:`BatchProgress` as each area finishes.
    notes : sequence of dict
        Remarks on the whole batch for the summary report (``{"zh": ..., "en": ...}``).

    Returns
    -------
    BatchOutcome

    Raises
    ------
    InputError
        Two areas have the same name, ``out`` cannot be written, or the scheduler cannot be reached.
    """
    started = time.perf_counter()
    names = [task.spec.name for task in tasks]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise i18n.input_error("batch_duplicate_area", names="、".join(repeated[:10]))
    out = ensure_folder(out)
    folders = _folders(names)
    keys = [task.key for task in tasks]
    results: dict[str, AreaResult] = {}
    resumed: list[str] = []
    pending = []
    for task, key in zip(tasks, keys, strict=True):
        earlier = _earlier_result(out, folders[task.spec.name], key) if resume else None
        if earlier is None:
            pending.append((task, key))
        else:
            results[task.spec.name] = earlier
            resumed.append(task.spec.name)
    total, done = len(tasks), 0
    for name in resumed:
        results[name] = _stored(results[name], store, scenario_prefix, user, out, folders[name])
        done += 1
        if progress:
            progress(BatchProgress(done, total, results[name], resumed=True))
    cluster_workers = 0
    if pending:
        with dask_client(scheduler, workers or max(1, min(os.cpu_count() or 1, len(pending)))) as client:
            cluster_workers = known = _worker_count(client)
            for task, computed, files in _compute(client, pending):
                folder = folders[task.spec.name]
                saved = _save(computed, files, out, folder)
                results[task.spec.name] = _stored(saved, store, scenario_prefix, user, out, folder)
                done += 1
                now = _worker_count(client)
                lost, known = max(known - now, 0), now
                if progress:
                    progress(BatchProgress(done, total, results[task.spec.name], workers_lost=lost))
    ordered = [results[name] for name in names]
    images = {r.area: _images(out / "areas" / folders[r.area]) for r in ordered if r.planned}
    files = write_summary([r.to_json() for r in ordered], out, images=images, notes=notes)
    return BatchOutcome(ordered, files, resumed, round(time.perf_counter() - started, 2), cluster_workers)


def area_folder(name: str) -> str:
    """Return a safe folder name for an area (its name, without path separators, control or reserved characters).

    Parameters
    ----------
    name : str
        The area's name (from a registry or a boundary file: anything).

    Returns
    -------
    str
        A non-empty name of at most 80 characters, no leading dot.
    """
    cleaned = re.sub(r'[\\/:*?"<>|\x00-\x1f\x7f]', "_", str(name)).strip().lstrip(".").strip()
    return cleaned[:80] or "area"


def _folders(names: Sequence[str]) -> dict[str, str]:
    taken: set[str] = set()
    folders = {}
    for name in names:
        base = folder = area_folder(name)
        number = 1
        while folder.casefold() in taken:
            number += 1
            folder = f"{base}-{number}"
        taken.add(folder.casefold())
        folders[name] = folder
    return folders


@contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None) -> Iterator:
    """Yield a Dask client: of the scheduler at ``scheduler``, else of a ``LocalCluster`` that lives as long as it.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``).
    workers : int, optional
        Worker processes of the ``LocalCluster`` (default: one per core), one thread each.

    Yields
    ------
    distributed.Client

    Raises
    ------
    InputError
        The scheduler cannot be reached.
    """
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError) as exc:
            raise i18n.input_error("batch_scheduler_unreachable", address=scheduler, reason=str(exc)) from exc
        try:
            yield client
        finally:
            client.close()
        return
    count = workers or os.cpu_count() or 1
    # One thread per worker process: the pipeline is CPU-bound numpy/shapely/HiGHS work, and each area's peak memory
    # is its own process's. The scheduler's HTTP server (health, metrics; the dashboard needs bokeh) listens on a free
    # port: the default 8787 may be taken by another batch or cluster on this machine.
    with LocalCluster(n_workers=count, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0",
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:  # fmt: skip
        yield client


def _worker_count(client) -> int:
    try:
        return len(client.scheduler_info(n_workers=-1)["workers"])
    except (OSError, TimeoutError):  # the scheduler is gone: the tasks will say so
        return 0


def _compute(client, pending: Sequence[tuple[AreaTask, str]]) -> Iterator[tuple[AreaTask, AreaResult, dict]]:
    """Submit every task; yield each (task, result, files) as it finishes, a lost task as a failed result."""
    from distributed import as_completed

    code = code_fingerprint()
    futures = {}
    for task, key in pending:
        future = client.submit(run_area, task, key, code, key=f"geoplan-area-{uuid.uuid4().hex}", pure=False)
        futures[future] = (task, key)
    for future in as_completed(list(futures)):
        task, key = futures[future]
        try:
            result, files = future.result()
        except Exception as exc:  # a task that killed its workers (KilledWorker), a lost connection...
            log.error("area %s was lost: %r", task.spec.name, exc)
            shown = f"{type(exc).__name__}: {exc}"
            result, files = AreaResult(
                area=task.spec.name, title=task.spec.title_in("en"), title_zh=task.spec.title_in("zh"), key=key,
                status=FAILED, error=i18n.text("error", "batch_task_lost", "en", reason=shown),
                error_zh=i18n.text("error", "batch_task_lost", "zh", reason=shown),
            ), {}  # fmt: skip
        finally:
            future.release()
        yield task, result, files


def _save(result: AreaResult, files: dict[str, bytes], out: Path, folder: str) -> AreaResult:
    """Write an area's files (all or none) and its result; a failed area keeps the files of an earlier success."""
    if files:
        area_dir = ensure_folder(out / "areas" / folder)
        write_all(area_dir, {name: (lambda tmp, data=data: tmp.write_bytes(data)) for name, data in files.items()})
    _write_result(out, folder, result)
    return result


def _stored(result: AreaResult, store, prefix: str, user: str, out: Path, folder: str) -> AreaResult:
    """Save the area's scenario once (a resumed area keeps its scenario when the store still has it)."""
    if store is None or not result.planned or not result.scenario:
        return result
    name = f"{prefix}{result.area}"
    if result.scenario_id is not None:
        try:
            kept = store.scenario(result.scenario_id)
        except NotFoundError:
            kept = None
        if kept is not None and kept["name"] == name and kept["area"] == result.area:
            return result
    payload = result.scenario
    try:
        scenario = store.create_scenario(
            name, result.area, user, params=payload["params"], stations=payload["stations"], sites=payload["sites"],
            result=payload["result"], source="geoplan batch", user_data=payload["user_data"],
            data_summary=payload["data_summary"], warm_start=payload["warm_start"],
        )  # fmt: skip
    except GeoplanError as exc:
        failed = replace(result, error=i18n.error_text(exc, "en"), error_zh=i18n.error_text(exc, "zh"))
        log.error("area %s: scenario not saved: %s", result.area, failed.error)
        return failed
    result = replace(result, scenario_id=int(scenario["id"]))
    _write_result(out, folder, result)
    return result


def _earlier_result(out: Path, folder: str, key: str) -> AreaResult | None:
    path = out / "results" / f"{folder}.json"
    try:
        result = AreaResult.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    if result.key != key or result.failed:
        return None
    area_dir = out / "areas" / folder
    if not all((area_dir / name).is_file() for name in result.files):
        return None
    return result


def _write_result(out: Path, folder: str, result: AreaResult) -> None:
    text = json.dumps(result.to_json(), ensure_ascii=False, indent=1)
    write_atomic(ensure_folder(out / "results") / f"{folder}.json", lambda tmp: tmp.write_text(text, "utf-8"))


def _images(folder: Path) -> dict[str, bytes]:
    images = {}
    for lang in ("zh", "en"):
        path = folder / f"map_{lang}.png"
        if path.is_file():
            images[lang] = path.read_bytes()
    return images
