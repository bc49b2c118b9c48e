"""One area of a batch: what a worker is given (:class:`AreaTask`) and what it sends back (:class:`AreaResult`).

:func:`run_area` is the task a Dask worker runs: it loads the area, prepares and solves it through the one pipeline
(:func:`geoplan.planning.prepare.prepare`, :func:`geoplan.planning.plan.plan_prepared`), writes the plan's files
(:func:`geoplan.outputs.plan_files.write_plan`) into a scratch folder and sends them back as bytes with the figures,
so the machine that runs the batch writes every file and stores every scenario itself: workers need only read the
area's inputs, not reach the output folder or the database. An area that fails comes back as a result too, with its
error in both languages; the others go on.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from geoplan import i18n
from geoplan.data.areas import AreaSpec, clip_polygon, load_area
from geoplan.errors import GeoplanError
from geoplan.inputs.user_data import UserData
from geoplan.outputs.batch_report import area_map_png
from geoplan.outputs.plan_files import write_plan
from geoplan.planning.parameters import PlanParameters
from geoplan.planning.plan import plan_prepared
from geoplan.planning.prepare import code_fingerprint, preparation_key, prepare
from geoplan.planning.scenarios import encode_multipliers, plan_sites

__all__ = ["FAILED", "NO_STREETS", "AreaResult", "AreaTask", "run_area"]

log = logging.getLogger(__name__)

#: Status of an area that could not be planned (the others are the solver's: optimal, within_target...).
FAILED = "failed"

#: Status of an area whose polygon holds no street of the data: nothing to plan there, reported but not an error
#: (a county the extract does not reach, a district of a network of arterial roads only).
NO_STREETS = "no_streets"


@dataclass(frozen=True)
class AreaTask:
    """What a worker needs to plan one area: everything by value or by a path the worker can read.

    Attributes
    ----------
    spec : AreaSpec
        The area (its files must be readable on the worker).
    params : PlanParameters
        Plan parameters; ``stations`` None means the usual rule scaled to the area.
    existing : geopandas.GeoDataFrame or None
        Existing stations of the whole batch (WGS-84, ``name``, ``footprint_m2``); each area keeps those inside
        it and plans them as fixed.
    lang : str
        Language of the area's files (``zh`` or ``en``).
    add : int or None
        Audit: the area's stations are its existing ones plus this many new ones (0: only measure the existing
        stations' coverage); None plans ``params.stations`` in all.
    """

    spec: AreaSpec
    params: PlanParameters
    existing: gpd.GeoDataFrame | None = None
    lang: str = "zh"
    add: int | None = None

    @property
    def key(self) -> str:
        """Identity of the task: the area's data, every parameter, the existing stations, the code.

        Equal keys, equal inputs: a rerun skips an area whose stored result has its task's key. (Equal inputs give
        equal plans when the solve ends at an optimum or at the target gap; one stopped by its wall-clock time limit
        may end elsewhere on another run, by how far the search got.)
        """
        existing = UserData.from_frames(existing=self.existing).digest if self.existing is not None else None
        parts = {
            "prepared": preparation_key(self.spec, self.params, existing),
            "params": self.params.to_json(),
            "lang": self.lang,
            "add": self.add,
            "code": code_fingerprint(),
        }
        text = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class AreaResult:
    """What came of one area: its figures, its stations and outline for the summary, its scenario, or its error.

    Attributes
    ----------
    area, title, title_zh : str
        Registry name and titles.
    key : str
        :attr:`AreaTask.key` of the task that made it.
    status : str
        The solver's status (``optimal``, ``within_target``, ``time_limit``, ``heuristic``), :data:`FAILED` or
        :data:`NO_STREETS`.
    stations : int
        Stations in the plan (existing ones included).
    covered_workers, workers, share : float
        Workers within reach of a station, all workers, and the covered share.
    gap : float or None
        Certified optimality gap.
    seconds : float
        Wall time of the task on its worker.
    error, error_zh : str
        Why the area failed, in English and Chinese (empty when it did not).
    outline : str
        The area's outline (WKT, WGS-84): the clip polygon, else the network's extent.
    sites : list of dict
        The stations as a scenario stores them (``lon``, ``lat``, ``district``, ``status``...).
    scenario : dict
        What :meth:`geoplan.store.Store.create_scenario` needs besides the name (empty when the area failed).
    by_district : dict
        Coverage per district.
    files : list of str
        Names of the area's plan files.
    scenario_id : int or None
        The stored scenario, once stored.
    """

    area: str
    title: str = ""
    title_zh: str = ""
    key: str = ""
    status: str = FAILED
    stations: int = 0
    covered_workers: float = 0.0
    workers: float = 0.0
    share: float = 0.0
    gap: float | None = None
    seconds: float = 0.0
    error: str = ""
    error_zh: str = ""
    outline: str = ""
    sites: list = field(default_factory=list)
    scenario: dict = field(default_factory=dict)
    by_district: dict = field(default_factory=dict)
    files: list = field(default_factory=list)
    scenario_id: int | None = None

    @property
    def failed(self) -> bool:
        """True when the area could not be planned because of an error."""
        return self.status == FAILED

    @property
    def planned(self) -> bool:
        """True when the area has a plan (it neither failed nor held no street)."""
        return self.status not in (FAILED, NO_STREETS)

    def title_in(self, lang: str) -> str:
        """Return what a reader of ``lang`` calls the area."""
        return (self.title_zh if lang == "zh" else self.title) or self.title or self.area

    def error_in(self, lang: str) -> str:
        """Return the error in ``lang`` (empty when the area did not fail)."""
        return (self.error_zh if lang == "zh" else self.error) or self.error

    def to_json(self) -> dict:
        """Plain JSON values (what the batch folder keeps per area)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> AreaResult:
        """Read :meth:`to_json`'s values (unknown keys ignored)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def run_area(task: AreaTask, key: str = "", code: str | None = None) -> tuple[AreaResult, dict[str, bytes]]:
    """Plan one area: load, prepare, solve, write its files; never raises for the area's own failure.

    Parameters
    ----------
    task : AreaTask
    key : str, optional
        The task's key as the machine running the batch computed it (default: computed here).
    code : str, optional
        :func:`~geoplan.planning.prepare.code_fingerprint` of the machine running the batch: a worker running other
        code refuses the task (its results would not be those the key promises).

    Returns
    -------
    result : AreaResult
        Figures and stations, or the error (status :data:`FAILED`).
    files : dict of str to bytes
        The plan's files by name (``proposals.geojson``, ``coverage.json``, ``map.html``, ``map_zh.png``,
        ``map_en.png``...); empty when the area failed.
    """
    started = time.perf_counter()
    spec = task.spec
    base = AreaResult(area=spec.name, title=spec.title_in("en"), title_zh=spec.title_in("zh"), key=key or task.key)
    try:
        if code is not None and code != code_fingerprint():
            raise i18n.input_error("batch_code_mismatch", area=spec.name)
        result, files = _plan_area(task, base)
    except GeoplanError as exc:
        status = NO_STREETS if exc.code == "clip_no_streets" else FAILED
        result = replace(base, status=status, error=i18n.error_text(exc, "en"), error_zh=i18n.error_text(exc, "zh"))
        files = {}
    except Exception as exc:  # an unforeseen failure of one area must not stop the batch
        log.error("area %s failed:\n%s", spec.name, traceback.format_exc())
        shown = f"{type(exc).__name__}: {exc}"
        result = replace(base, error=i18n.text("error", "batch_area_crashed", "en", reason=shown),
                         error_zh=i18n.text("error", "batch_area_crashed", "zh", reason=shown))  # fmt: skip
        files = {}
    result.seconds = round(time.perf_counter() - started, 2)
    return result, files


def _plan_area(task: AreaTask, base: AreaResult) -> tuple[AreaResult, dict[str, bytes]]:
    area = load_area(task.spec)
    existing = _existing_inside(task, area)
    user_data = UserData.from_frames(existing=existing) if existing is not None and len(existing) else UserData()
    params = task.params
    if task.add is not None:  # audit: the existing stations, and where to add
        kept = 0 if existing is None else len(existing)
        if kept + task.add < 1:
            raise i18n.input_error("batch_audit_nothing", area=task.spec.name)
        params = replace(params, stations=kept + task.add)
    prepared = prepare(area, params, user_data)
    plan = plan_prepared(prepared, params)
    summary = plan.summary()
    with tempfile.TemporaryDirectory(prefix="geoplan-batch-") as folder:
        written = write_plan(plan, Path(folder), task.lang)
        files = {path.name: path.read_bytes() for path in written.values()}
    files.update({f"map_{lang}.png": area_map_png(plan, lang) for lang in ("zh", "en")})
    workers = summary["workers"]
    optimality = summary["optimality"]
    sites = plan_sites(plan)
    scenario = {
        "params": plan.params.to_json(),
        "stations": plan.stations,
        "sites": sites,
        "result": {k: v for k, v in optimality.items() if k != "solve_seconds"},
        "user_data": user_data.to_json(),
        "data_summary": user_data.summary(),
        "warm_start": encode_multipliers(plan.result.multipliers),
    }
    return replace(
        base, status=str(optimality["status"]), stations=int(plan.stations), covered_workers=workers["covered"],
        workers=workers["total"], share=workers["share"], gap=_finite(optimality["gap"]), outline=_outline(task, area),
        sites=sites, scenario=scenario, by_district=summary["by_district"], files=sorted(files),
    ), files  # fmt: skip


def _existing_inside(task: AreaTask, area) -> gpd.GeoDataFrame | None:
    """Return the batch's existing stations inside this area: its clip polygon, else its network's extent."""
    if task.existing is None or len(task.existing) == 0:
        return None
    points = task.existing.geometry.to_numpy()
    if task.spec.clip is not None:
        inside = shapely.contains_xy(clip_polygon(task.spec), *shapely.get_coordinates(points).T)
    else:
        projected = task.existing.to_crs(area.crs).geometry.to_numpy()
        inside = shapely.intersects(area.boundary, projected)
    return task.existing[np.asarray(inside, dtype=bool)]


def _outline(task: AreaTask, area) -> str:
    """Return the area's outline in WGS-84 as WKT: its network's extent, inside its clip polygon; simplified.

    The extent, not the whole polygon: where the OSM data ends (an extract smaller than the county), nothing was
    planned and the summary map must not colour it.
    """
    shape = gpd.GeoSeries([area.boundary.buffer(50.0)], crs=area.crs).to_crs("EPSG:4326").iloc[0]
    if task.spec.clip is not None:
        shape = shapely.intersection(shape, clip_polygon(task.spec))
    return shapely.to_wkt(shapely.simplify(shape, 1e-4), rounding_precision=6)


def _finite(value: object) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None
