"""``geoplan layer build`` on 10 million GPS pings: time and peak memory, per stage, with a peer beside it.

    .venv/bin/python bench/observed.py                      # 10,000,000 pings on helsinki, table in docs/benchmarks.md
    .venv/bin/python bench/observed.py --pings 1000000 --no-report --json out.json   # a smaller run, raw figures only

The pings (``worker_id,time,lon,lat``, a fix every 10 s, about 2,000 riders between street points and a few
hotspots where they wait 8-25 minutes) come from the tests' seeded generator (``tests/_traces.py``), written once in
batches of riders to ``--cache`` (``~/.cache/geoplan-bench``) and reused while the file is there. Every step runs
in a fresh process (``--case``) so that this driver stays small (a child's peak RSS counts the memory of the process
it was forked from):

- *generate*: the pings CSV, and a small JSON beside it with the pings of each rider;
- *build*: ``geoplan layer build FILE --area AREA --group couriers --kind pings --out LAYER.csv`` through
  ``geoplan.cli.main``, each stage wrapped from the outside (the package is not changed for the benchmark) and the
  resident memory sampled every 20 ms by ``bench/scaling.py``'s ``_Sampler``; the process's exact peak RSS is its
  ``ru_maxrss`` as ``os.wait4`` reports it when it ends;
- *peer*: on the first riders' pings (``--peer-pings``), geoplan's stay points (Li et al.'s rule: the pings stay
  within R of the stay's first) against movingpandas' ``TrajectoryStopDetector.get_stop_points`` (the pings fit in
  a rectangle whose diagonal is under a maximum diameter), each timed, their stops counted and matched.

The section goes between ``<!-- observed begin -->`` and ``<!-- observed end -->`` in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

BEGIN, END = "<!-- observed begin -->", "<!-- observed end -->"
#: The issue's target: 10 million pings to a layer within 2 GB (10^9 bytes each; 1.86 GiB).
TARGET_BYTES = 2 * 10**9
INTERVAL_S = 10.0
HOTSPOTS = 8
#: Riders generated per call of the generator (about 500,000 pings at the default size).
BATCH_WORKERS = 100
SEED = 20261207
#: Part of the cached file's name: change it when the way the file is generated changes.
GENERATOR = "g2"
GROUP = "couriers"
#: The stay rule's defaults (ObservedOptions): radius R (m) and duration T (s); movingpandas gets a diameter of 2R.
STAY_RADIUS_M = 100.0
STAY_S = 300.0
#: Stages in the order they run: (label, module, attribute) of the function wrapped in the build's process.
STAGES = [
    ("load area", "geoplan.data.areas", "load_area"),
    ("read (chunked CSV)", "geoplan.planning.observed_layers", "read_observations"),
    ("checking the chunks", "geoplan.inputs.observations", "_chunk"),
    ("merging, projecting, sorting", "geoplan.inputs.observations", "_finish"),
    ("sorting by rider and time", "geoplan.inputs.observations", "_pings"),
    ("tracks", "geoplan.planning.observed_layers", "tracks"),
    ("stay points", "geoplan.planning.observed_layers", "stay_points"),
    ("clusters (DBSCAN)", "geoplan.planning.observed_layers", "cluster_stays"),
    ("kernel density", "geoplan.planning.observed_layers", "kernel_density"),
    ("bandwidth selection", "geoplan.inputs.observed", "_held_out_likelihood"),
    ("privacy cells", "geoplan.planning.observed_layers", "distinct_per_cell"),
    ("headcount", "geoplan.planning.observed_layers", "busiest_count"),
    ("write", "geoplan.planning.observed_layers", "write_layer"),
]
#: Stages that run inside another one (their seconds are part of it).
INNER = {
    "bandwidth selection": "kernel density",
    "checking the chunks": "read (chunked CSV)",
    "merging, projecting, sorting": "read (chunked CSV)",
    "sorting by rider and time": "merging, projecting, sorting",
}


# ---------------------------------------------------------------------------------------------- the children


def _area(name: str):
    from geoplan.data import areas
    from geoplan.planning.cache import ModelCache

    return ModelCache(None).area(areas.resolve(name))


def _generate(csv: str, area_name: str, pings: int, workers: int) -> None:
    """Write about ``workers`` riders' pings, exactly ``pings`` rows, in batches of riders (each sorted by time)."""
    import numpy as np
    from _traces import hotspot_points, traces

    started = time.perf_counter()
    area = _area(area_name)
    hotspots = hotspot_points(area, HOTSPOTS)
    pilot = traces(area, hotspots, workers=100, legs=20, interval_s=INTERVAL_S, seed=SEED)
    # 2% more legs than the pilot's pings per leg ask for: the last batch is usually cut rather than one added
    legs = max(2, math.ceil(1.02 * pings / workers / (len(pilot) / (100 * 20))))
    batch_workers = min(BATCH_WORKERS, workers)
    path, tmp = Path(csv), Path(csv + ".part")
    written, batch, offset, cut = 0, 0, 0, None
    per_worker: list[int] = []
    batch_rows: list[int] = []
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        while written < pings:
            frame = traces(area, hotspots, workers=batch_workers, legs=legs, interval_s=INTERVAL_S,
                           seed=SEED + 1 + batch)  # fmt: skip
            if len(frame) > pings - written:  # the last batch ends early (the frame is in time order)
                frame, cut = frame.iloc[: pings - written], batch
            number = frame["worker_id"].str.slice(6).astype(int).to_numpy() + offset
            frame["worker_id"] = _rider_ids(number)
            per_worker.extend(np.bincount(number - offset, minlength=batch_workers).tolist())
            frame.to_csv(handle, header=batch == 0, index=False)
            written += len(frame)
            batch_rows.append(len(frame))
            batch += 1
            offset += batch_workers
    tmp.replace(path)
    meta = {"pings": written, "workers": sum(1 for n in per_worker if n), "legs": legs, "hotspots": HOTSPOTS,
            "interval_s": INTERVAL_S, "batch_workers": batch_workers, "batch_rows": batch_rows, "cut_batch": cut,
            "per_worker": per_worker, "bytes": path.stat().st_size,
            "seconds": round(time.perf_counter() - started, 1)}  # fmt: skip
    Path(csv).with_suffix(".json").write_text(json.dumps(meta), encoding="utf-8")
    print(json.dumps({k: v for k, v in meta.items() if k not in ("per_worker", "batch_rows")}))


def _rider_ids(number) -> object:
    """Riders' numbers as ids like the generator's, five digits (up to 99,999 riders)."""
    import pandas as pd

    return ("rider-" + pd.Series(number).astype(str).str.zfill(5)).to_numpy(dtype=object)


def _subset(csv: str, out: str, peer_pings: int) -> None:
    """Write the pings of the first riders (whole tracks) until at least ``peer_pings`` rows."""
    import pandas as pd

    meta = json.loads(Path(csv).with_suffix(".json").read_text(encoding="utf-8"))
    chosen, rows = [], 0
    for number, count in enumerate(meta["per_worker"]):
        if rows >= peer_pings:
            break
        if count:
            chosen.append(f"rider-{number:05d}")
            rows += count
    last_batch = int(chosen[-1][6:]) // meta["batch_workers"]
    read = sum(meta["batch_rows"][: last_batch + 1])  # the riders' batches are the file's first rows
    frame = pd.read_csv(csv, nrows=read, dtype=str)
    frame = frame[frame["worker_id"].isin(set(chosen))]
    frame.to_csv(out + ".part", index=False)
    Path(out + ".part").replace(out)
    whole = meta["cut_batch"] is None or last_batch < meta["cut_batch"]  # no chosen rider's track was cut
    waits = len(chosen) * math.ceil(meta["legs"] / 2) if whole else None  # every other leg ends in a wait
    Path(out).with_suffix(".json").write_text(json.dumps({"generated_waits": waits}), encoding="utf-8")
    print(json.dumps({"pings": len(frame), "workers": len(chosen), "generated_waits": waits}))


def _build(csv: str, area_name: str, out: str) -> None:
    started = time.perf_counter()
    from scaling import _Sampler

    sampler = _Sampler()
    sampler.thread.start()
    import importlib

    from geoplan import cli  # imported here so that import time counts

    for label, module_name, attribute in STAGES:
        module = importlib.import_module(module_name)
        setattr(module, attribute, sampler.wrap(label, getattr(module, attribute)))
    code = cli.main(["layer", "build", csv, "--area", area_name, "--group", GROUP, "--kind", "pings",
                     "--out", out, "--lang", "en"])  # fmt: skip
    wall = time.perf_counter() - started
    sampler.stop.set()
    report = {"exit": code, "wall_s": round(wall, 2)}
    if code == 0:
        from geoplan.inputs import observed

        layer = json.loads(Path(out).with_suffix(".json").read_text(encoding="utf-8"))
        report |= {
            "pings": layer["input"]["rows"], "workers": layer["input"]["workers"], "stays": layer["stays"],
            "clusters": layer["clusters"], "bandwidth_m": layer.get("bandwidth_m"), "points": layer["points"],
            "headcount": layer["headcount"], "stay_share": layer["stay_share"],
            "suppressed_share": layer["privacy"]["suppressed_share"], "notes": layer["input"]["notes"],
            "bandwidths_m": sorted(float(b) for b in layer.get("bandwidth_scores", {})),
            "cv_points": observed.CV_POINTS, "cv_folds": observed.CV_FOLDS,
        }  # fmt: skip
    report["stage_s"] = {k: round(v, 2) for k, v in sampler.seconds.items()}
    report["stage_peak_mb"] = {k: round(v / 2**20) for k, v in sampler.peak.items()}
    report["stage_start_mb"] = {k: round(v / 2**20) for k, v in sampler.start_rss.items()}
    report["self_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(report, ensure_ascii=False))


def _peer(csv: str, area_name: str) -> None:
    """Stay points of the same pings by geoplan and by movingpandas, timed, counted and matched."""
    import warnings

    import numpy as np

    from geoplan.inputs.observations import read_observations
    from geoplan.inputs.observed import stay_points, tracks
    from geoplan.planning.observed_layers import ObservedOptions

    area = _area(area_name)
    gap_s = ObservedOptions().max_gap_minutes * 60.0
    started = time.perf_counter()
    pings = read_observations(csv, "pings", area)
    read_s = time.perf_counter() - started
    started = time.perf_counter()
    track = tracks(pings.worker, pings.seconds, gap_s)
    stays = stay_points(pings.x, pings.y, pings.seconds, track, pings.worker, STAY_RADIUS_M, STAY_S)
    ours_s = time.perf_counter() - started
    ours = [(int(w), int(pings.seconds[s]), int(pings.seconds[e - 1]), float(x), float(y)) for w, s, e, x, y in
            zip(stays.worker, stays.start, stays.end, stays.x, stays.y, strict=True)]  # fmt: skip
    waits = json.loads(Path(csv).with_suffix(".json").read_text(encoding="utf-8"))["generated_waits"]
    report = {"pings": len(pings), "workers": pings.workers, "read_s": round(read_s, 2), "generated_waits": waits,
              "geoplan": {"seconds": round(ours_s, 3), "stops": len(stays), "back_to_back": _back_to_back(ours),
                          "dwell_h": round(float(stays.dwell_s.sum()) / 3600, 1)}}  # fmt: skip
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # its optional smoother's dependency is missing: not used here
            import movingpandas as mpd
    except ImportError as exc:
        report["movingpandas"] = {"failed": f"not installed ({exc})"}
        print(json.dumps(report))
        return
    import geopandas as gpd
    import pandas as pd
    import shapely

    started = time.perf_counter()
    frame = gpd.GeoDataFrame(
        {"worker": pings.worker, "t": pd.to_datetime(pings.seconds, unit="s")},
        geometry=shapely.points(pings.x, pings.y), crs=area.crs,
    )  # fmt: skip
    collection = mpd.TrajectoryCollection(frame, "worker", t="t")
    build_s = time.perf_counter() - started
    started = time.perf_counter()
    found = mpd.TrajectoryStopDetector(collection).get_stop_points(
        max_diameter=2 * STAY_RADIUS_M, min_duration=dt.timedelta(seconds=STAY_S)
    )
    theirs_s = time.perf_counter() - started
    epoch = np.datetime64("1970-01-01T00:00:00")
    theirs = [(int(w), int((np.datetime64(a) - epoch) // np.timedelta64(1, "s")),
               int((np.datetime64(b) - epoch) // np.timedelta64(1, "s")), float(point.x), float(point.y))
              for w, a, b, point in zip(found["traj_id"], found["start_time"], found["end_time"], found.geometry,
                                        strict=True)]  # fmt: skip
    report["movingpandas"] = {
        "version": mpd.__version__, "trajectories_s": round(build_s, 2), "seconds": round(theirs_s, 2),
        "stops": len(found), "back_to_back": _back_to_back(theirs),
        "dwell_h": round(sum(stop[2] - stop[1] for stop in theirs) / 3600, 1),
    }  # fmt: skip
    report["geoplan"]["matched"] = _matched(ours, theirs)
    report["movingpandas"]["matched"] = _matched(theirs, ours)
    print(json.dumps(report))


def _matched(these: list[tuple], others: list[tuple]) -> int:
    """How many of ``these`` stops (worker, first s, last s, x, y) overlap in time a stop of the same worker in
    ``others``."""
    by_worker: dict[int, list[tuple[int, int]]] = {}
    for worker, first, last, *_ in others:
        by_worker.setdefault(worker, []).append((first, last))
    return sum(any(a <= last and first <= b for a, b in by_worker.get(worker, ())) for worker, first, last, *_ in these)


def _back_to_back(stops: list[tuple]) -> int:
    """Stops that begin within two ping intervals of the same worker's previous stop, less than R from it: one wait
    counted twice."""
    ordered = sorted(stops)
    return sum(
        a[0] == b[0] and b[1] - a[2] <= 2 * INTERVAL_S and math.hypot(b[3] - a[3], b[4] - a[4]) < STAY_RADIUS_M
        for a, b in itertools.pairwise(ordered)
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------- the driver


class _Load:
    """The machine's 1-minute load average, sampled every 5 s while a child runs."""

    def __init__(self) -> None:
        self.seen: list[float] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while True:
            self.seen.append(os.getloadavg()[0])
            if self.stop.wait(5.0):
                return


def run_child(name: str, args: list[str], timeout_s: float | None = None) -> dict:
    """Run ``--case`` ARGS in a fresh process; its last line of output (JSON), wall time, exact peak RSS, load."""
    load = _Load()
    load.thread.start()
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--case", *args],
                                stdout=out, stderr=err, cwd=ROOT, text=True)  # fmt: skip
        timer = threading.Timer(timeout_s, proc.kill) if timeout_s else None
        if timer:
            timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if timer:
            timer.cancel()
        total = time.perf_counter() - started
        load.stop.set()
        load.thread.join()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    figures = {"process_s": round(total, 2), "peak_rss_bytes": usage.ru_maxrss * 1024,
               "load": [round(load.seen[0], 2), round(max(load.seen), 2), round(os.getloadavg()[0], 2)]}  # fmt: skip
    if proc.returncode != 0 or not stdout.strip():
        print(f"{name}: failed (exit {proc.returncode})\n{stderr[-3000:]}", flush=True)
        return figures | {"failed": (stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]}
    figures |= json.loads(stdout.strip().splitlines()[-1])
    print(f"{name}: {figures['process_s']} s, peak {figures['peak_rss_bytes'] / 2**20:.0f} MiB", flush=True)
    return figures


def run_all(options: argparse.Namespace) -> dict:
    cache = options.cache.expanduser()
    cache.mkdir(parents=True, exist_ok=True)
    csv = cache / f"pings-{options.area}-{options.pings}-w{options.workers}-s{SEED}-{GENERATOR}.csv"
    results: dict = {"area": options.area, "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
                     "machine": machine(), "command": command(options)}  # fmt: skip
    if not (csv.exists() and csv.with_suffix(".json").exists()):
        print(f"generating {csv} ...", flush=True)
        results["generate"] = run_child("generate", ["generate", str(csv), options.area, str(options.pings),
                                                     str(options.workers)])  # fmt: skip
        if "failed" in results["generate"]:
            raise SystemExit("generating the pings failed")
    meta = json.loads(csv.with_suffix(".json").read_text(encoding="utf-8"))
    results["input"] = {k: v for k, v in meta.items() if k not in ("per_worker", "batch_rows")}
    with tempfile.TemporaryDirectory() as folder:
        results["build"] = run_child("build", ["build", str(csv), options.area, str(Path(folder) / "layer.csv")],
                                     options.timeout)  # fmt: skip
    if options.peer_pings > 0:
        subset = cache / f"{csv.stem}-first{options.peer_pings}.csv"
        if not (subset.exists() and subset.with_suffix(".json").exists()):
            run_child("subset", ["subset", str(csv), str(subset), str(options.peer_pings)])
        results["peer"] = run_child("peer", ["peer", str(subset), options.area], options.timeout)
    return results


def machine() -> dict:
    """``nproc``, ``free -g`` and the CPU model, as the docs quote them."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "unknown CPU")  # fmt: skip
    nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    free = subprocess.run(["free", "-g"], capture_output=True, text=True, check=False).stdout.splitlines()
    mem = next((line.split() for line in free if line.startswith("Mem:")), [])
    columns = ("total", "used", "free", "shared", "cache", "available")
    return {"cpu": cpu, "nproc": nproc, "python": sys.version.split()[0],
            "free_g": dict(zip(columns, mem[1:], strict=False))}  # fmt: skip


def command(options: argparse.Namespace) -> str:
    words = [".venv/bin/python bench/observed.py"]
    if options.pings != 10_000_000:
        words.append(f"--pings {options.pings}")
    if options.area != "helsinki":
        words.append(f"--area {options.area}")
    if options.workers != 2000:
        words.append(f"--workers {options.workers}")
    if options.peer_pings != 200_000:
        words.append(f"--peer-pings {options.peer_pings}")
    return " ".join(words)


# ---------------------------------------------------------------------------------------------- the docs


def _gb(n_bytes: float) -> str:
    return f"{n_bytes / 2**30:.2f} GiB ({n_bytes / 1e6:,.0f} MB)"


def section(results: dict, note: str) -> list[str]:
    build, peer, mach = results["build"], results.get("peer"), results["machine"]
    n = results["input"]["pings"]
    heading = "## Observed layers: 10 million pings" if n == 10_000_000 else f"## Observed layers: {n:,} pings"
    free = mach["free_g"]
    loads = [results[k]["load"] for k in ("generate", "build", "peer") if k in results and "load" in results[k]]
    busy = max((max(load) for load in loads), default=0.0)
    lines = [
        BEGIN, heading, "",
        f"Reproduce with one command: `{results['command']}` (`--pings N` for a smaller run, `--json FILE` keeps the "
        "raw figures, `--no-report` leaves this file alone). What it runs: `geoplan layer build PINGS.csv --area "
        f"{results['area']} --group {GROUP} --kind pings --out LAYER.csv` in a fresh process, default options "
        "(stays: 100 m, 5 min; privacy cells 250 m, k = 5).", "",
        f"- Date: {results['date']}",
        f"- Machine: {mach['cpu']}; `nproc` {mach['nproc']}; `free -g` at the start: {free.get('total', '?')} GiB "
        f"total, {free.get('used', '?')} used, {free.get('available', '?')} available; Python {mach['python']}",
        "- Load average (1 min) while each step ran, start / highest / end: "
        + "; ".join(f"{k} {' / '.join(str(v) for v in results[k]['load'])}"
                    for k in ("generate", "build", "peer") if k in results and "load" in results[k])
        + (". The machine was shared with other jobs (load above 1.5 on 2 cores): wall times are upper bounds; "
           "memory is not affected." if busy > 1.5 else "."),
        f"- Input: {n:,} pings of {results['input']['workers']:,} riders (`tests/_traces.py`, seeded: "
        f"{results['input']['hotspots']} hotspots, {results['input']['legs']} legs each, a fix every "
        f"{results['input']['interval_s']:.0f} s, waits of 8-25 min at hotspots; a "
        f"{results['input']['bytes'] / 1e6:,.0f} MB CSV, in time order within each batch of "
        f"{results['input']['batch_workers']} riders)", "",
    ]  # fmt: skip
    return lines + _build_lines(build) + _peer_lines(peer) + [*([note, ""] if note else []), END]


def _build_lines(build: dict) -> list[str]:
    lines: list[str] = []
    if "failed" in build:
        lines += [f"The build failed: {build['failed']} (after {build['process_s']:.0f} s, peak "
                  f"{_gb(build['peak_rss_bytes'])}).", ""]  # fmt: skip
    else:
        peak = build["peak_rss_bytes"]
        bandwidth = build["stage_s"].get("bandwidth selection")
        lines += [
            "| pings | riders | stays | clusters | bandwidth chosen | points in the layer | wall | peak RSS "
            "| within 2 GB |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---|",
            f"| {build['pings']:,} | {build['workers']:,} | {build['stays']:,} | {build['clusters']:,} | "
            f"{_metres([build['bandwidth_m'] or 0])} m | {build['points']:,} | {build['process_s']:.0f} s | "
            f"{_gb(peak)} | "
            f"{'yes' if peak <= TARGET_BYTES else 'no'} |", "",
            f"**2 GB target**: {_target(peak)} The peak is the build process's own `ru_maxrss` (from `os.wait4` "
            "when it ended: exact, not sampled); the wall time runs from interpreter start to exit. "
            + _where_sentence(build) + _bandwidth_sentence(build, bandwidth), "",
            "Stages (wrapped from outside; resident memory sampled every 20 ms, or the kernel's high-water mark when "
            "it rose during the stage). A stage's start can include memory an earlier stage freed that the allocator "
            "had not yet given back. \"Other\" is everything between them: imports, the command line, sorting out "
            "moving pings, the layer's arrays.", "",
            "| stage | seconds | RSS at its start (MiB) | peak while it ran (MiB) |", "|---|---:|---:|---:|",
        ]  # fmt: skip
        for label, _, _ in STAGES:
            if label not in build["stage_s"]:
                continue
            shown = f"{'… ' * _depth(label)}of which {label}" if label in INNER else label
            lines.append(f"| {shown} | {build['stage_s'][label]:.2f} | {build['stage_start_mb'].get(label, 0):,} | "
                         f"{build['stage_peak_mb'].get(label, 0):,} |")  # fmt: skip
        outer = sum(v for k, v in build["stage_s"].items() if k not in INNER)
        lines += [f"| other | {build['wall_s'] - outer:.2f} | | |",
                  f"| whole process | {build['process_s']:.2f} | | {peak / 2**20:,.0f} |", ""]  # fmt: skip
        lines += [f"Layer: headcount {build['headcount']:,.0f} (busiest quarter hour), {100 * build['stay_share']:.0f}%"
                  f" of the observed time in stays, {100 * build['suppressed_share']:.1f}% of the workers cut by the "
                  f"privacy rule; reading notes: {_notes(build['notes'])}.", ""]  # fmt: skip
    return lines


def _depth(label: str) -> int:
    return 1 + _depth(INNER[label]) if label in INNER else 0


def _where_sentence(build: dict) -> str:
    """Which stage reaches the peak, from what, and the next highest stage."""
    peaks = {k: v for k, v in build["stage_peak_mb"].items() if k != "other" and k not in INNER}
    ranked = sorted(peaks, key=lambda k: peaks[k] - build["stage_start_mb"].get(k, 0), reverse=True)
    if not ranked:
        return ""
    top = ranked[0]
    start = build["stage_start_mb"].get(top, 0)
    text = (f"Most memory is taken in *{top}*: {start:,} MiB at its start, {peaks[top]:,} MiB while it ran "
            f"(+{peaks[top] - start:,} MiB).")  # fmt: skip
    if len(ranked) > 1:
        second = ranked[1]
        start = build["stage_start_mb"].get(second, 0)
        text += (f" Next: *{second}*, {start:,} → {peaks[second]:,} MiB "
                 f"(+{peaks[second] - start:,} MiB).")  # fmt: skip
    return text


def _bandwidth_sentence(build: dict, seconds: float | None) -> str:
    if seconds is None:
        return " No bandwidth was selected (no moving pings)."
    return (f" Bandwidth selection (`_held_out_likelihood`: {build['cv_folds']}-fold held-out likelihood of "
            f"{len(build['bandwidths_m'])} bandwidths, {_metres(build['bandwidths_m'])} m, on a seeded sample of "
            f"{build['cv_points']:,} moving pings) took {seconds:.2f} s.")  # fmt: skip


def _target(peak: float) -> str:
    gap = TARGET_BYTES - peak
    if gap >= 0:
        return (f"met: the peak is {_gb(peak)}, {gap / 1e6:,.0f} MB under 2 GB ({100 * gap / TARGET_BYTES:.0f}% to "
                "spare; 2 GB = 2·10⁹ bytes = 1.86 GiB).")  # fmt: skip
    return f"not met: the peak is {_gb(peak)}, {-gap / 1e6:,.0f} MB over 2 GB (2·10⁹ bytes = 1.86 GiB)."


def _metres(values: list[float]) -> str:
    return ", ".join(f"{v:.0f}" for v in values)


def _notes(notes: list) -> str:
    return ", ".join(f"{code} {params}" for code, params in notes) or "none"


def _peer_lines(peer: dict | None) -> list[str]:
    if not peer:
        return []
    head = [f"### Peer: stay points on the first {peer.get('pings', 0):,} pings (movingpandas)", ""]
    if "failed" in peer:
        return [*head, f"The peer step failed: {peer['failed']}.", ""]
    mp = peer["movingpandas"]
    if "failed" in mp:
        return [*head, f"movingpandas could not be used ({mp['failed']}); no peer this run.", ""]
    ours = peer["geoplan"]
    return [
        *head,
        f"The same pings ({peer['workers']} riders' whole tracks, read and projected by geoplan's reader in "
        f"{peer['read_s']:.1f} s), the same rule's sizes, one process, one core each. geoplan: "
        "`geoplan.inputs.observed.stay_points` (Li et al. 2008: a stay's pings all lie within R = 100 m of its "
        f"first ping, for at least 5 min). movingpandas {mp['version']}: `TrajectoryStopDetector(collection)"
        ".get_stop_points(max_diameter=200, min_duration=5 min)` (the pings fit in a rotated rectangle whose diagonal "
        "is under 200 m = 2R), on a `TrajectoryCollection` in the same metric CRS (building it is timed apart). The "
        "rules differ (anchor radius against diameter), so the counts may differ somewhat; *matched* counts the stops "
        "that overlap in time a stop of the same rider found by the other tool. The generator made "
        "8-25-minute waits only, so every wait should be found once"
        + (f": {peer['generated_waits']:,} waits in these tracks." if peer.get("generated_waits") else "."), "",
        "| tool | rule | seconds | stops found | of which back to back at one place | matched by the other "
        "| time in stops (h) |",
        "|---|---|---:|---:|---:|---:|---:|",
        f"| geoplan | anchor radius 100 m, 5 min | {ours['seconds']:.2f} | {ours['stops']:,} | "
        f"{ours['back_to_back']:,} | {ours['matched']:,} | {ours['dwell_h']:,} |",
        f"| movingpandas | diameter 200 m, 5 min | {mp['seconds']:.1f} (+ {mp['trajectories_s']:.1f} to build the "
        f"trajectories) | {mp['stops']:,} | {mp['back_to_back']:,} | {mp['matched']:,} | {mp['dwell_h']:,} |", "",
        "*Back to back*: a stop that begins within two fixes (20 s) of the same rider's previous one, less than "
        "100 m from it, i.e. one wait counted twice. Under geoplan's anchor rule this happens when a stay's first "
        "ping is an approaching fix near the edge of the radius and GPS noise later carries a fix just past it: the "
        "stay ends and the next begins one fix later. The time in stops is not lost, and DBSCAN groups both halves "
        "into one place, so the layer is not affected.", "",
        f"geoplan's step is {mp['seconds'] / max(ours['seconds'], 1e-9):,.0f}x faster on these pings.", "",
    ]  # fmt: skip


def write_report(path: Path, results: dict, note: str) -> None:
    from scaling import replace_section

    replace_section(path, BEGIN, END, "\n".join(section(results, note)))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--case":
        case, args = sys.argv[2], sys.argv[3:]
        if case == "generate":
            _generate(args[0], args[1], int(args[2]), int(args[3]))
        elif case == "subset":
            _subset(args[0], args[1], int(args[2]))
        elif case == "build":
            _build(*args)
        else:
            _peer(*args)
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pings", type=int, default=10_000_000, help="pings in the file (10,000,000)")
    parser.add_argument("--workers", type=int, default=2000, help="riders (about; 2,000)")
    parser.add_argument("--area", default="helsinki", help="registered area (helsinki)")
    parser.add_argument("--peer-pings", type=int, default=200_000, help="pings for the peer comparison (0: none)")
    parser.add_argument("--cache", type=Path, default=Path("~/.cache/geoplan-bench"), help="where the pings are kept")
    parser.add_argument("--timeout", type=float, default=None, help="stop the build or the peer after this many s")
    parser.add_argument("--json", type=Path, help="also write the raw figures to this file")
    parser.add_argument("--from-json", type=Path, help="write the section from the raw figures of a run (no new run)")
    parser.add_argument("--note", default="", help="a paragraph written under the tables")
    parser.add_argument("--no-report", action="store_true", help="do not write docs/benchmarks.md")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    options = parser.parse_args()
    results = json.loads(options.from_json.read_text(encoding="utf-8")) if options.from_json else run_all(options)
    if options.json:
        options.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    if not options.no_report:
        write_report(options.output, results, options.note)


if __name__ == "__main__":
    main()
