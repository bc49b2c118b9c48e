"""Load and soak tests of the public "stations near me" API: one command each, results written to docs/benchmarks.md.

    .venv/bin/python bench/load.py                  # 200 requests/s for 30 s on one waitress process, then capacity
    .venv/bin/python bench/load.py --soak           # 200 requests/s for 5 min on 2 worker processes, planners at work
    .venv/bin/python bench/load.py --compare 1,2    # closed-loop capacity of 1 and 2 worker processes, alternately
    .venv/bin/python bench/load.py --rate 400 --duration 10 --workers 2 --no-write

What it does:

1. makes a temporary SQLite database with a published scenario of the default area (10 real roadside stations:
   the review workspace's optimised plan, or spread-out roadside candidate sites when the optimiser refuses that
   many under the default spacing rules), with opening hours and services; a planner (``bench``) with a planned
   scenario of the same area per planner thread; the area's prepared model in a fresh model cache folder
   (``GEOPLAN_MODEL_CACHE``) that every worker process reads;
2. starts the app as production does, ``geoplan serve --workers N --threads 8`` (N = 1: waitress; N > 1: gunicorn)
   on a free loopback port, with the public rate limit lifted (``GEOPLAN_RATE_LIMIT="1000000 per second"``);
3. warms every worker process in turn (the others paused with SIGSTOP, so that only it can accept): a few hundred
   untimed queries build its street graph and station index, and with ``--soak`` a planner opens a scenario once;
4. sends ``GET /api/v1/stations/nearby`` at random points inside the area's street network at a fixed arrival rate
   (open loop: request *i* is due at ``start + i / rate`` whatever happened before) over keep-alive connections;
5. ``--soak``: meanwhile planner threads log in and work as in the review map: open the scenario (the page, then its
   data, districts, candidates, workers and basemap layers, six at a time, as ``bench/review.py`` does), accept,
   reject and re-propose sites every few seconds, and re-optimise (one every ``--reoptimise-every`` s in all); the
   server's memory (RSS and PSS summed over the master and all workers, from /proc) is sampled every 10 s;
6. probes the capacity: connections sending back to back for ``--capacity`` s (closed loop); ``--compare 1,2``
   does only this, for each worker count in turn, ``--rounds`` times alternately.

Latency is measured from the moment a request was due, not from when it was sent, so a server that falls behind
is charged for the queue it builds (no coordinated omission); the pure service time is reported too. Plain ``wrk``
(the Debian package) cannot hold a fixed rate (wrk2 can, but is not packaged), hence this Python generator: a
scheduler thread releases each request at its due time to a pool of threads, each with its own connection. The
generator runs on the same machine as the server and competes with it for the CPU; its own CPU use is reported.
Before each measured run the machine must be quiet: while the 1-minute load average is above 1.5 the run waits
(polled every 30 s, 30 minutes at most in all for the command) and the load average at the start is reported either
way, with the CPU other processes used during the run.

The target is p99 <= 50 ms at 200 requests/s on loopback for the default area.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import http.client
import json
import os
import platform
import queue
import re
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
GEOPLAN = Path(sys.executable).with_name("geoplan")
HEADING = "## Public API load (bench/load.py)"
SUBHEADINGS = {
    "fixed": "### Fixed rate and capacity",
    "soak": "### Soak: public load and planners at work on several worker processes",
    "compare": "### Capacity: 1 vs 2 worker processes",
}
TARGET_P99_MS = 50.0
WARM_REQUESTS = 300
QUIET_LOAD = 1.5
PATIENCE_S = 1800.0
MEMORY_EVERY_S = 10.0


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if "MemTotal" in line)
    return f"{cpu}, {os.cpu_count()} cores, {mem_kb / 1024 / 1024:.0f} GiB RAM, Python {platform.python_version()}"


# --- setup -----------------------------------------------------------------------------------------------------------


def make_database(folder: Path, stations: int, planners: int) -> dict:
    """A migrated SQLite database with one published scenario of the default area and ``planners`` planned ones.

    Returns the database url, the public stations' lon/lat, the area, where the stations came from, the planners'
    scenario ids and the model cache folder (holding the area's prepared model).
    """
    from geoplan.data.areas import resolve
    from geoplan.errors import GeoplanError
    from geoplan.planning.cache import ModelCache
    from geoplan.planning.scenarios import encode_multipliers
    from geoplan.planning.workspace import Workspace
    from geoplan.store import Store

    models = folder / "models"
    workspace = Workspace(ModelCache(models).prepared(resolve(None)))
    try:
        sites, result, _ = workspace.propose(stations)
        origin = "the review workspace's optimised plan"
    except GeoplanError as error:  # a spacing rule the area cannot meet with this many: take spread-out candidates
        print(f"propose({stations}) refused ({error}); using spread-out roadside candidates", flush=True)
        sites, result = _spread_candidates(workspace, stations), {}
        origin = (
            f"spread-out roadside candidate sites (farthest-point sampling; the optimiser refused {stations} "
            "stations under the default spacing and district rules)"
        )
    for site in sites:
        site["status"] = "accepted"
    url = f"sqlite:///{folder / 'load.sqlite'}"
    store = Store(url)
    store.upgrade()
    scenario = store.create_scenario("load test", workspace.area.spec.name, "bench", stations=len(sites), sites=sites,
                                     result=result, source="plan")  # fmt: skip
    version = scenario["version"]
    for number, site in enumerate(scenario["sites"]):
        details = {"name": f"驿站 {number + 1}", "hours": "24h" if number % 2 else "07:00-22:00",
                   "services": ["drinking_water", "toilet"] if number % 3 else ["rest"]}  # fmt: skip
        version = store.update_details(scenario["id"], site["id"], version, "bench", details)["version"]
    store.publish(scenario["id"], version, "bench", True)
    planned = []
    if planners:
        from review import PASSWORD  # the planner-side benchmark's user and log-in

        store.add_user("bench", PASSWORD, "planner")
        proposals, plan_result, multipliers = workspace.propose()
        for number in range(planners):
            planned.append(store.create_scenario(
                f"planner {number + 1}", workspace.area.spec.name, "bench", params=workspace.params.to_json(),
                stations=workspace.stations, sites=proposals, result=plan_result, source="plan",
                data_summary=workspace.prepared.user_data.summary(), warm_start=encode_multipliers(multipliers),
            )["id"])  # fmt: skip
    store.engine.dispose()
    return {"url": url, "stations": [[s["lon"], s["lat"]] for s in scenario["sites"]], "area": workspace.area,
            "origin": origin, "planned": planned, "models": models}  # fmt: skip


def _spread_candidates(workspace, count: int) -> list[dict]:
    from geoplan.outputs import layers

    features = layers.candidates_geojson(workspace.prepared)["features"]
    features = [f for f in features if f["properties"]["source"] == "roadside"]
    xy = np.array([f["geometry"]["coordinates"] for f in features])
    chosen = [0]
    gap = np.linalg.norm(xy - xy[0], axis=1)
    while len(chosen) < min(count, len(features)):  # farthest-point sampling
        chosen.append(int(gap.argmax()))
        gap = np.minimum(gap, np.linalg.norm(xy - xy[chosen[-1]], axis=1))
    return [{"status": "accepted", "candidate_id": features[i]["properties"]["id"], "lon": xy[i, 0], "lat": xy[i, 1],
             "district": features[i]["properties"]["district"]} for i in chosen]  # fmt: skip


def random_points(area, count: int, seed: int = 2026) -> np.ndarray:
    """WGS-84 points uniformly inside the area's street network extent."""
    import shapely

    from geoplan import crs

    rng = np.random.default_rng(seed)
    west, south, east, north = area.boundary.bounds
    points: list[tuple[float, float]] = []
    while len(points) < count:
        x = rng.uniform(west, east, count)
        y = rng.uniform(south, north, count)
        inside = shapely.contains_xy(area.boundary, x, y)
        points.extend(zip(x[inside], y[inside], strict=True))
    return crs.to_wgs84(area.crs, np.array(points[:count]))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(setup: dict, folder: Path, port: int, threads: int, workers: int) -> subprocess.Popen:
    """Start ``geoplan serve`` and wait until it listens and all its worker processes are forked."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "GEOPLAN_SECRET_KEY", "PYTHONPATH"}}
    env.update(GEOPLAN_INSTANCE=str(folder), GEOPLAN_MODEL_CACHE=str(setup["models"]),
               GEOPLAN_RATE_LIMIT="1000000 per second")  # fmt: skip
    log = (folder / "server.log").open("ab")
    command = [str(GEOPLAN), "serve", "--port", str(port), "--threads", str(threads), "--workers", str(workers),
               "--database", setup["url"]]  # fmt: skip
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=folder)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"geoplan serve exited:\n{(folder / 'server.log').read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                if len(worker_pids(process.pid)) == workers:
                    return process
        except OSError:
            pass
        time.sleep(0.1)
    process.kill()
    raise SystemExit("geoplan serve did not start within 120 s")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def path_for(lon: float, lat: float) -> str:
    return "/api/v1/stations/nearby?" + urllib.parse.urlencode({"lon": f"{lon:.6f}", "lat": f"{lat:.6f}",
                                                                 "limit": 5})  # fmt: skip


def get(connection: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
    connection.request("GET", path, headers={"Accept": "application/json"})
    response = connection.getresponse()
    return response.status, response.read()


# --- the server's processes ------------------------------------------------------------------------------------------


def worker_pids(pid: int) -> list[int]:
    """The processes answering requests: the children of a gunicorn master, or the waitress process itself."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            children.append(int(stat.parent.name))
    return sorted(children) or [pid]


def server_pids(pid: int) -> list[int]:
    """The server's processes: the master (or waitress process) and its workers."""
    return sorted({pid, *worker_pids(pid)})


def process_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_by_process(pid: int) -> dict[int, float]:
    return {p: process_cpu_s(p) for p in server_pids(pid)}


def memory_mib(pid: int) -> dict:
    """Resident memory of the server's processes, summed: RSS (shared pages counted in each) and PSS (shared out)."""
    each = {}
    for p in server_pids(pid):
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines()[1:])
        each[p] = (int(fields["Rss"].split()[0]), int(fields["Pss"].split()[0]))
    return {"processes": len(each), "rss": round(sum(r for r, _ in each.values()) / 1024),
            "pss": round(sum(p for _, p in each.values()) / 1024),
            "rss_each": [round(r / 1024) for r, _ in each.values()], "load": round(os.getloadavg()[0], 2)}  # fmt: skip


def machine_busy_s() -> float:
    """CPU seconds the whole machine spent busy so far (all processes, from /proc/stat)."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = (
        int(v) for v in Path("/proc/stat").read_text().split()[1:9]
    )
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


@contextmanager
def only(worker: int, workers: list[int]):
    """Pause every other worker (SIGSTOP) for the block, so that only ``worker`` accepts new connections."""
    paused = [w for w in workers if w != worker]
    for w in paused:
        os.kill(w, signal.SIGSTOP)
    try:
        yield
    finally:
        for w in paused:
            os.kill(w, signal.SIGCONT)


def wait_for_quiet(limit: float, deadline: float, poll_s: float = 30.0) -> dict:
    """Wait while the 1-minute load average is above ``limit``, until ``deadline`` at most (``time.monotonic()``).

    The deadline is the command's: 30 minutes of waiting in all, however many runs it measures. Returns the load
    average at the start of the run and the seconds waited for it.
    """
    started = time.monotonic()
    while (load := os.getloadavg()[0]) > limit and time.monotonic() < deadline:
        print(f"load average {load:.2f} > {limit:g}: waiting {poll_s:g} s for a quieter machine...", flush=True)
        time.sleep(poll_s)
    return {
        "load": round(load, 2),
        "waited_s": round(time.monotonic() - started),
        "quiet": load <= limit,
        "limit": limit,
    }


# --- the public load -------------------------------------------------------------------------------------------------


def error_kind(error: BaseException) -> str:
    """Name a failed request's error: ``timeout``, or the exception's type (a URLError's by its reason)."""
    reason = getattr(error, "reason", None)
    error = reason if isinstance(reason, BaseException) else error
    return "timeout" if isinstance(error, TimeoutError) else type(error).__name__


def drive(port: int, paths: list[str], rate: float, connections: int, timeout_s: float) -> dict:
    """Send ``paths`` at ``rate`` per second (open loop); return per-request timings and errors by kind."""
    count = len(paths)
    due = np.empty(count)
    sent = np.full(count, np.nan)
    done = np.full(count, np.nan)
    status = np.zeros(count, dtype=int)
    kinds: collections.Counter = collections.Counter()
    samples: list[str] = []
    jobs: queue.Queue = queue.Queue()

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
        while (job := jobs.get()) is not None:
            sent[job] = time.perf_counter()
            try:
                status[job], body = get(connection, paths[job])
                if status[job] != 200:
                    kinds[f"HTTP {status[job]}"] += 1
                    samples.append(f"{status[job]}: {body[:200]!r}")
            except (OSError, http.client.HTTPException) as error:
                kinds[error_kind(error)] += 1
                samples.append(f"{type(error).__name__}: {error}")
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
            done[job] = time.perf_counter()
        connection.close()

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for thread in pool:
        thread.start()
    start = time.perf_counter() + 0.2
    due[:] = start + np.arange(count) / rate
    for job in range(count):  # the scheduler: release each request at its due time
        pause = due[job] - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        jobs.put(job)
    for _ in pool:
        jobs.put(None)
    for thread in pool:
        thread.join()
    return {"due": due, "sent": sent, "done": done, "status": status, "kinds": kinds, "errors": samples}


def capacity(port: int, paths: list[str], connections: int, seconds: float) -> dict:
    """Closed loop: ``connections`` send back to back for ``seconds``; return answers/s and the latencies."""
    deadline = time.perf_counter() + seconds
    latencies: list[list[float]] = [[] for _ in range(connections)]
    failed = [0] * connections

    def worker(number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        job = number
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            code, _ = get(connection, paths[job % len(paths)])
            if code == 200:
                latencies[number].append(time.perf_counter() - began)
            else:
                failed[number] += 1
            job += connections
        connection.close()

    pool = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(connections)]
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    wall = time.perf_counter() - started
    answered = np.concatenate([np.array(x) for x in latencies]) * 1000
    return {"rate": round(len(answered) / wall, 1), "latency_ms": _percentiles(answered), "errors": sum(failed),
            "connections": connections, "seconds": seconds}  # fmt: skip


def summarise(timing: dict, rate: float, duration: float) -> dict:
    ok = timing["status"] == 200
    latency = (timing["done"] - timing["due"]) * 1000
    service = (timing["done"] - timing["sent"]) * 1000
    late = (timing["sent"] - timing["due"]) * 1000
    span = np.nanmax(timing["done"]) - timing["due"][0]
    return {
        "requests": len(latency),
        "ok": int(ok.sum()),
        "errors": len(latency) - int(ok.sum()),
        "error_kinds": dict(timing["kinds"]),
        "error_samples": sorted(set(timing["errors"]))[:5],
        "target_rate": rate,
        "duration_s": duration,
        "achieved_rate": round(int(ok.sum()) / span, 1),
        "latency_ms": _percentiles(latency),
        "service_ms": _percentiles(service),
        "late_sends": int((late > 5).sum()),
        "max_send_delay_ms": round(float(late.max()), 2),
    }


def by_minute(timing: dict) -> list[dict]:
    """Latency and errors per minute of the run (by due time)."""
    latency = (timing["done"] - timing["due"]) * 1000
    minute = ((timing["due"] - timing["due"][0]) // 60).astype(int)
    rows = []
    for m in range(minute.max() + 1):
        chosen = minute == m
        errors = int((timing["status"][chosen] != 200).sum())
        rows.append({"minute": m + 1, "requests": int(chosen.sum()), "errors": errors, **_percentiles(latency[chosen])})
    return rows


def _percentiles(values: np.ndarray) -> dict[str, float]:
    if len(values) == 0:
        return dict.fromkeys(("p50", "p90", "p99", "p99.9", "max", "mean"), float("nan"))
    shown = {name: np.percentile(values, q) for name, q in (("p50", 50), ("p90", 90), ("p99", 99), ("p99.9", 99.9))}
    shown.update(max=values.max(), mean=values.mean())
    return {name: round(float(value), 2) for name, value in shown.items()}


# --- planners --------------------------------------------------------------------------------------------------------

_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


class Planner(threading.Thread):
    """A planner working in the review map: opens the scenario, decides on sites, re-optimises, at a steady pace.

    Actions are timed and their failures counted by kind (HTTP status, timeout, ...). ``reoptimise_at`` are the
    seconds (from ``start``) at which this planner re-optimises; the other actions fill the time between: an open of
    the whole scenario every ``open_every_s``, else a decision every ``think_s`` on average.
    """

    def __init__(self, number: int, port: int, area: str, scenario_id: int, until: float, reoptimise_at: list[float],
                 open_every_s: float = 60.0, think_s: float = 3.0):  # fmt: skip
        super().__init__(daemon=True, name=f"planner-{number}")
        self.port, self.area, self.scenario_id, self.until = port, area, scenario_id, until
        self.reoptimise_at, self.open_every_s, self.think_s = list(reoptimise_at), open_every_s, think_s
        self.rng = np.random.default_rng(100 + number)
        self.seconds: dict[str, list[float]] = collections.defaultdict(list)
        self.errors: collections.Counter = collections.Counter()
        self.base = f"http://127.0.0.1:{port}"

    def run(self) -> None:
        import review

        start = time.perf_counter()
        self.opener = review.log_in(self.port)
        page = self.opener.open(f"{self.base}/scenarios/{self.scenario_id}", timeout=120).read().decode()
        self.token = _META.search(page).group(1)
        self.scenario = self._post_or_get(f"/api/planner/scenarios/{self.scenario_id}")
        next_open = start + self.open_every_s * self.rng.uniform(0.2, 1.0)
        while (now := time.perf_counter()) < self.until:
            if self.reoptimise_at and now >= start + self.reoptimise_at[0]:
                self.reoptimise_at.pop(0)
                self._timed("re-optimise", self._reoptimise)
            elif now >= next_open:
                next_open = now + self.open_every_s
                self._timed("open scenario", lambda: review.open_scenario(self.opener, self.port, self.area,
                                                                          self.scenario_id))  # fmt: skip
            else:
                self._timed("accept/reject", self._decide)
            time.sleep(min(self.rng.exponential(self.think_s), max(0.0, self.until - time.perf_counter())))

    def _timed(self, action: str, call) -> None:
        began = time.perf_counter()
        try:
            call()
            self.seconds[action].append(time.perf_counter() - began)
        except urllib.error.HTTPError as error:
            self.errors[f"{action}: HTTP {error.code}"] += 1
            error.read()
            if error.code == 409:  # out of date (should not happen: each planner has a scenario of its own)
                self.scenario = self._post_or_get(f"/api/planner/scenarios/{self.scenario_id}")
        except (OSError, http.client.HTTPException) as error:
            self.errors[f"{action}: {error_kind(error)}"] += 1

    def _decide(self) -> None:
        sites = [s for s in self.scenario["sites"] if s["status"] in ("proposed", "accepted", "rejected")]
        site = sites[int(self.rng.integers(len(sites)))]
        action = ("accept", "reject")[int(self.rng.integers(2))] if site["status"] == "proposed" else "propose"
        self.scenario = self._post_or_get(f"/api/planner/scenarios/{self.scenario_id}/sites/{site['id']}",
                                          {"action": action, "version": self.scenario["version"]})  # fmt: skip

    def _reoptimise(self) -> None:
        self.scenario = self._post_or_get(f"/api/planner/scenarios/{self.scenario_id}/reoptimise",
                                          {"version": self.scenario["version"]})  # fmt: skip

    def _post_or_get(self, path: str, body: dict | None = None) -> dict:
        headers = {"Accept-Encoding": "identity"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers.update({"Content-Type": "application/json", "X-CSRFToken": self.token})
        request = urllib.request.Request(self.base + path, data=data, headers=headers)
        with self.opener.open(request, timeout=120) as answer:
            return json.loads(answer.read())


def warm(port: int, paths: list[str]) -> float:
    """Send untimed queries (the first loads the area and builds the index); return the first one's seconds."""
    started = time.perf_counter()
    first = None
    for path in paths:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)  # a new connection each time
        code, body = get(connection, path)
        connection.close()
        first = first or time.perf_counter() - started
        if code != 200 or not json.loads(body)["stations"]:
            raise SystemExit(f"warm-up query failed: {code} {body[:300]!r}")
    return first


def warm_workers(server: subprocess.Popen, port: int, paths: list[str], planner: tuple | None = None) -> dict:
    """Warm each worker in turn (the others paused); return its first query's and first scenario open's seconds."""
    workers = worker_pids(server.pid)
    share = max(20, len(paths) // len(workers))
    firsts, opens = [], []
    for number, worker in enumerate(workers):
        with only(worker, workers):
            firsts.append(warm(port, paths[number * share : (number + 1) * share] or paths[:share]))
            if planner is not None:
                import review

                area, scenario_id = planner
                opens.append(review.open_scenario(review.log_in(port), port, area, scenario_id))
    return {"first_query_s": firsts, "first_open_s": opens}


# --- the runs --------------------------------------------------------------------------------------------------------


def sample_memory(pid: int, every_s: float, stop: threading.Event, samples: list) -> None:
    started = time.perf_counter()
    while True:
        samples.append({"t": round(time.perf_counter() - started), **memory_mib(pid)})
        if stop.wait(every_s):
            samples.append({"t": round(time.perf_counter() - started), **memory_mib(pid)})
            return


def timed_run(server: subprocess.Popen, port: int, paths: list[str], args: argparse.Namespace,
              planners: list[Planner] = ()) -> dict:  # fmt: skip
    """The open-loop run, with planners and memory samples alongside; with the CPU both sides used."""
    server_cpu = cpu_by_process(server.pid)
    client_cpu = resource.getrusage(resource.RUSAGE_SELF)
    busy = machine_busy_s()
    stop, memory = threading.Event(), []
    sampler = threading.Thread(target=sample_memory, args=(server.pid, MEMORY_EVERY_S, stop, memory), daemon=True)
    sampler.start()
    for planner in planners:
        planner.start()
    began = time.perf_counter()
    timing = drive(port, paths, args.rate, args.connections, args.timeout)
    wall = time.perf_counter() - began
    for planner in planners:
        planner.join()
    stop.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_SELF)
    result = summarise(timing, args.rate, args.duration)
    result["minutes"] = by_minute(timing)
    result["memory"] = memory
    used = {p: cpu - server_cpu.get(p, 0.0) for p, cpu in cpu_by_process(server.pid).items()}
    result["server_cpu"] = sum(used.values()) / wall
    result["worker_cpu"] = [round(used[p] / wall, 2) for p in worker_pids(server.pid) if p in used]
    result["client_cpu"] = (after.ru_utime + after.ru_stime - client_cpu.ru_utime - client_cpu.ru_stime) / wall
    result["other_cpu"] = max(0.0, (machine_busy_s() - busy) / wall - result["server_cpu"] - result["client_cpu"])
    return result


def planner_summary(planners: list[Planner]) -> dict:
    seconds: dict[str, list[float]] = collections.defaultdict(list)
    errors: collections.Counter = collections.Counter()
    for planner in planners:
        for action, values in planner.seconds.items():
            seconds[action].extend(values)
        errors.update(planner.errors)
    actions = {a: {"count": len(v), **_percentiles(np.array(v))} for a, v in sorted(seconds.items())}
    return {"actions": actions, "errors": dict(errors)}


def run_fixed_or_soak(args: argparse.Namespace) -> tuple[dict, dict]:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        print("building the scenarios...", flush=True)
        setup = make_database(tmp, args.stations, args.planners if args.soak else 0)
        count = round(args.rate * args.duration)
        paths = [path_for(lon, lat) for lon, lat in random_points(setup["area"], count + WARM_REQUESTS)]
        area = setup["area"].spec.name
        port = free_port()
        server = start_server(setup, tmp, port, args.threads, args.workers)
        try:
            planner = (area, setup["planned"][0]) if setup["planned"] else None
            warmed = warm_workers(server, port, paths[:WARM_REQUESTS], planner)
            print(f"warm (first query per worker: {warmed['first_query_s']}); {count} requests at {args.rate:g}/s",
                  flush=True)  # fmt: skip
            quiet = wait_for_quiet(args.max_load, args.quiet_deadline)
            planners = []
            if args.soak:
                until = time.perf_counter() + 0.2 + args.duration
                every = args.reoptimise_every * args.planners  # each planner's period: one re-optimise per `every` s
                for number, scenario_id in enumerate(setup["planned"]):
                    first = args.reoptimise_every * (number + 0.5)
                    times = list(np.arange(first, args.duration - 5, every))
                    planners.append(Planner(number, port, area, scenario_id, until, times))
            result = timed_run(server, port, paths[WARM_REQUESTS:], args, planners)
            result["quiet"] = quiet
            result["warm"] = warmed
            if planners:
                result["planners"] = planner_summary(planners)
            if args.capacity > 0:
                print(f"closed-loop capacity probe, {args.capacity:g} s...", flush=True)
                result["capacity"] = capacity(port, paths, args.threads * args.workers, args.capacity)
        finally:
            stop_server(server)
    setup = {"area": area, "stations": len(setup["stations"]), "origin": setup["origin"]}
    return result, setup


def run_compare(args: argparse.Namespace) -> tuple[dict, dict]:
    """Closed-loop capacity for each worker count, alternately, each on a fresh server with warmed workers."""
    counts = [int(n) for n in args.compare.split(",")]
    connections = args.threads * max(counts)
    runs = []
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        print("building the scenario...", flush=True)
        setup = make_database(tmp, args.stations, 0)
        paths = [path_for(lon, lat) for lon, lat in random_points(setup["area"], 20000 + WARM_REQUESTS)]
        for round_number in range(args.rounds):
            for workers in counts:
                port = free_port()
                server = start_server(setup, tmp, port, args.threads, workers)
                try:
                    warmed = warm_workers(server, port, paths[:WARM_REQUESTS])
                    quiet = wait_for_quiet(args.max_load, args.quiet_deadline)
                    print(f"round {round_number + 1}, {workers} worker process(es): load {quiet['load']}; "
                          f"{args.capacity:g} s closed loop over {connections} connections...", flush=True)  # fmt: skip
                    before = cpu_by_process(server.pid)
                    client = resource.getrusage(resource.RUSAGE_SELF)
                    busy = machine_busy_s()
                    began = time.perf_counter()
                    probe = capacity(port, paths[WARM_REQUESTS:], connections, args.capacity)
                    wall = time.perf_counter() - began
                    after = resource.getrusage(resource.RUSAGE_SELF)
                    used = {p: cpu - before.get(p, 0.0) for p, cpu in cpu_by_process(server.pid).items()}
                    client_cpu = (after.ru_utime + after.ru_stime - client.ru_utime - client.ru_stime) / wall
                    other_cpu = (machine_busy_s() - busy) / wall - sum(used.values()) / wall - client_cpu
                    runs.append({"round": round_number + 1, "workers": workers, **probe, "quiet": quiet,
                                 "first_query_s": warmed["first_query_s"], "memory": memory_mib(server.pid),
                                 "server_cpu": sum(used.values()) / wall,
                                 "worker_cpu": [round(used[p] / wall, 2) for p in worker_pids(server.pid)],
                                 "client_cpu": client_cpu, "other_cpu": max(0.0, other_cpu)})  # fmt: skip
                    print(f"  {probe['rate']:.0f} answers/s, p99 {probe['latency_ms']['p99']} ms", flush=True)
                finally:
                    stop_server(server)
    return {"runs": runs, "connections": connections}, {"area": setup["area"].spec.name}


# --- report ----------------------------------------------------------------------------------------------------------


def _header(args: argparse.Namespace) -> list[str]:
    command = ".venv/bin/python bench/load.py" + ("" if args.command_line == "" else f" {args.command_line}")
    return [
        f"Reproduce with one command: `{command}`.",
        "",
        f"- Date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Machine: {machine()}; server and load generator share it (loopback)",
    ]


def _server_line(args: argparse.Namespace) -> str:
    kind = "waitress" if args.workers == 1 else f"gunicorn, gthread workers, each {args.threads} threads"
    return (f"- Server: `geoplan serve --workers {args.workers} --threads {args.threads}` ({kind}), SQLite, model "
            "cache folder shared by the workers, rate limit lifted with "
            '`GEOPLAN_RATE_LIMIT="1000000 per second"`')  # fmt: skip


def _quiet_text(quiet: dict) -> str:
    waited = f" after waiting {quiet['waited_s']} s" if quiet["waited_s"] else ""
    note = "" if quiet["quiet"] else f" (above {quiet['limit']:g}: the command's 30 minutes of waiting were used up)"
    return f"1-minute load average at the start {quiet['load']:.2f}{waited}{note}"


def _kinds(kinds: dict) -> str:
    return ", ".join(f"{kind}: {n}" for kind, n in sorted(kinds.items())) or "none"


def _latency_tables(result: dict) -> list[str]:
    lat, svc = result["latency_ms"], result["service_ms"]
    return [
        "| measure | p50 (ms) | p90 (ms) | p99 (ms) | p99.9 (ms) | max (ms) | mean (ms) |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {what} | {m['p50']} | {m['p90']} | {m['p99']} | {m['p99.9']} | {m['max']} | {m['mean']} |"
            for what, m in (("latency", lat), ("service time", svc))
        ),
        "",
        "| requests | ok | errors | target rate (req/s) | achieved rate (req/s) | sends > 5 ms late | server CPU | "
        "CPU per worker process | load generator CPU | other processes' CPU |",
        "|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
        f"| {result['requests']} | {result['ok']} | {result['errors']} | {result['target_rate']:g} | "
        f"{result['achieved_rate']} | {result['late_sends']} | {result['server_cpu']:.0%} of a core | "
        f"{' + '.join(f'{c:.0%}' for c in result['worker_cpu'])} | {result['client_cpu']:.0%} of a core | "
        f"{result['other_cpu']:.0%} of a core |",
    ]


def _verdict(result: dict, rate: float) -> str:
    p99 = result["latency_ms"]["p99"]
    if p99 <= TARGET_P99_MS and result["errors"] == 0 and result["achieved_rate"] >= 0.98 * rate:
        return f"**met**: p99 {p99:.1f} ms <= {TARGET_P99_MS:.0f} ms at {result['achieved_rate']:.1f} req/s, no errors"
    return (f"**missed**: p99 {p99:.1f} ms (target <= {TARGET_P99_MS:.0f} ms), {result['achieved_rate']:.1f} req/s "
            f"achieved of {rate:g}, {result['errors']} errors")  # fmt: skip


def report_fixed(result: dict, args: argparse.Namespace, setup: dict) -> list[str]:
    lines = [
        SUBHEADINGS["fixed"],
        "",
        *_header(args),
        _server_line(args),
        f"- Data: default area ({setup['area']}), one published scenario with {setup['stations']} stations from "
        f"{setup['origin']}; each worker warmed with untimed queries (first query, loading the area and building "
        f"the index: {', '.join(f'{s:.1f} s' for s in result['warm']['first_query_s'])})",
        f"- Load: `GET /api/v1/stations/nearby?lon=..&lat=..&limit=5` at random points inside the area's street "
        f"network, open loop at a fixed {args.rate:g} requests/s for {args.duration:g} s ({result['requests']} "
        f"requests) over {args.connections} keep-alive connections; {_quiet_text(result['quiet'])}",
        f"- Target: p99 <= {TARGET_P99_MS:.0f} ms at {args.rate:g} req/s. Result: {_verdict(result, args.rate)}",
        "",
        "Latency counts from the moment each request was due (queueing included, no coordinated omission); service "
        "time from when it was sent.",
        "",
        *_latency_tables(result),
    ]
    if "capacity" in result:
        probe = result["capacity"]
        lines += [
            "",
            f"Capacity (closed loop after the timed run: {probe['connections']} connections sending back to back for "
            f"{probe['seconds']:g} s): **{probe['rate']:.0f} answers/s**, so {args.rate:g} req/s uses "
            f"{args.rate / probe['rate']:.0%} of it.",
        ]
    if result["error_samples"]:
        lines += ["", "Errors seen: " + "; ".join(f"`{e}`" for e in result["error_samples"])]
    return lines


def report_soak(result: dict, args: argparse.Namespace, setup: dict) -> list[str]:
    memory = result["memory"]
    planners = result.get("planners", {"actions": {}, "errors": {}})
    warm = result["warm"]
    lines = [
        SUBHEADINGS["soak"],
        "",
        *_header(args),
        _server_line(args),
        f"- Data: default area ({setup['area']}); public: one published scenario with {setup['stations']} stations "
        f"from {setup['origin']}; planners: user `bench`, one planned scenario each. Every worker warmed in turn "
        f"(the others paused): first public query {', '.join(f'{s:.1f} s' for s in warm['first_query_s'])}; first "
        f"open of a scenario, its prepared model read from the shared model cache: "
        f"{', '.join(f'{s:.2f} s' for s in warm['first_open_s']) or 'none (no planners)'}",
        f"- Public load: `GET /api/v1/stations/nearby?lon=..&lat=..&limit=5` at random points, open loop at a fixed "
        f"{args.rate:g} requests/s for {args.duration:g} s ({result['requests']} requests) over {args.connections} "
        f"keep-alive connections, client timeout {args.timeout:g} s",
        f"- At the same time: {args.planners} planners (own log-in session and scenario each) open the whole "
        "scenario (page, data, districts, candidates, workers, basemap bounds and layers, six requests at a time) "
        f"about once a minute, accept, reject or re-propose a site every 3 s on average, and re-optimise (one "
        f"re-optimisation every {args.reoptimise_every:g} s in all, the review map's default 5 s limit)",
        f"- {_quiet_text(result['quiet']).capitalize()}",
        f"- Target: p99 <= {TARGET_P99_MS:.0f} ms at {args.rate:g} req/s. Result: {_verdict(result, args.rate)}",
        "",
        "Public API (latency counts from the moment each request was due, queueing included; service time from when "
        "it was sent):",
        "",
        *_latency_tables(result),
        "",
        f"Errors by kind: public API {_kinds(result['error_kinds'])}; planners {_kinds(planners['errors'])}.",
        "",
        "| minute | requests | errors | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {m['minute']} | {m['requests']} | {m['errors']} | {m['p50']} | {m['p90']} | {m['p99']} | {m['max']} |"
            for m in result["minutes"]
        ),
        "",
        "Planners' actions (seconds from asking to the last answer):",
        "",
        "| action | count | p50 (s) | p90 (s) | max (s) |",
        "|---|---:|---:|---:|---:|",
        *(
            f"| {a} | {m['count']} | {m['p50']:.2f} | {m['p90']:.2f} | {m['max']:.2f} |"
            for a, m in planners["actions"].items()
        ),
        "",
        f"Server memory, summed over its {memory[0]['processes']} processes (master and workers), every "
        f"{MEMORY_EVERY_S:g} s: RSS counts pages the workers share (code, the forked master's heap) in each, PSS "
        "divides them among the processes sharing them.",
        "",
        f"- RSS (MiB) at {memory[0]['t']}-{memory[-1]['t']} s: " + ", ".join(str(m["rss"]) for m in memory),
        "- PSS (MiB): " + ", ".join(str(m["pss"]) for m in memory),
        "- RSS of each process (MiB), first and last sample: "
        f"{' + '.join(map(str, memory[0]['rss_each']))} -> {' + '.join(map(str, memory[-1]['rss_each']))}",
        "- 1-minute load average at the same times: " + ", ".join(f"{m['load']:.1f}" for m in memory),
        f"- From the first to the last sample: RSS {memory[0]['rss']} -> {memory[-1]['rss']} MiB "
        f"({memory[-1]['rss'] - memory[0]['rss']:+d}), PSS {memory[0]['pss']} -> {memory[-1]['pss']} MiB "
        f"({memory[-1]['pss'] - memory[0]['pss']:+d}); largest RSS {max(m['rss'] for m in memory)} MiB",
    ]
    if result["error_samples"]:
        lines += ["", "Errors seen: " + "; ".join(f"`{e}`" for e in result["error_samples"])]
    return lines


def report_compare(result: dict, args: argparse.Namespace, setup: dict) -> list[str]:
    runs = result["runs"]
    counts = sorted({r["workers"] for r in runs})
    medians = {n: float(np.median([r["rate"] for r in runs if r["workers"] == n])) for n in counts}
    ratio = medians[counts[-1]] / medians[counts[0]] if len(counts) > 1 else 1.0
    per_cpu = {n: float(np.median([r["rate"] / r["server_cpu"] for r in runs if r["workers"] == n])) for n in counts}
    lines = [
        SUBHEADINGS["compare"],
        "",
        *_header(args),
        f"- Server: `geoplan serve --workers N --threads {args.threads}` (N = 1: waitress; N > 1: gunicorn gthread "
        "workers), SQLite, rate limit lifted; a fresh server per run, every worker warmed first (the others paused)",
        f"- Load: closed loop, {result['connections']} keep-alive connections sending "
        f"`GET /api/v1/stations/nearby` back to back for {args.capacity:g} s; worker counts alternated, "
        f"{args.rounds} rounds; default area ({setup['area']})",
        f"- Result: median **{' vs '.join(f'{medians[n]:.0f}' for n in counts)} answers/s** for "
        f"{' vs '.join(str(n) for n in counts)} worker processes ({ratio:.2f}x)",
        "",
        "| worker processes | round | answers/s | p50 (ms) | p99 (ms) | max (ms) | errors | server CPU | "
        "CPU per worker | load generator CPU | other processes' CPU | RSS / PSS (MiB) | load average at start |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|",
        *(
            f"| {r['workers']} | {r['round']} | {r['rate']:.0f} | {r['latency_ms']['p50']} | {r['latency_ms']['p99']} "
            f"| {r['latency_ms']['max']} | {r['errors']} | {r['server_cpu']:.0%} of a core | "
            f"{' + '.join(f'{c:.0%}' for c in r['worker_cpu'])} | {r['client_cpu']:.0%} of a core | "
            f"{r['other_cpu']:.0%} of a core | "
            f"{r['memory']['rss']} / {r['memory']['pss']} | {r['quiet']['load']:.2f} |"
            for r in runs
        ),
        "",
        "One process runs Python under one interpreter lock, so more threads do not add CPU; worker processes do, "
        "up to the cores there are, less what the load generator (Python, on the same cores) takes. Answers per "
        "second of server CPU, the cost of a request apart from how many cores it gets: "
        + ", ".join(f"{n} process{'es' if n > 1 else ''} {per_cpu[n]:.0f}" for n in counts)
        + (
            " (N = 1 is waitress, N > 1 gunicorn's gthread workers: the servers differ in cost per request too)."
            if 1 in counts and len(counts) > 1
            else "."
        ),
    ]
    return lines


def write_report(path: Path, subheading: str, lines: list[str]) -> None:
    """Put ``lines`` in the load section as the subsection ``subheading``, replacing an earlier copy of it.

    The section (``HEADING`` up to the next ``## `` heading or ``<!--`` marker) keeps its other subsections; a new
    section goes at the end of the file.
    """
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    block = "\n".join(lines).rstrip("\n")
    if HEADING not in text:
        path.write_text(text.rstrip("\n") + f"\n\n{HEADING}\n\n{block}\n", encoding="utf-8")
        print(f"wrote {path}", flush=True)
        return
    before, rest = text.split(HEADING, 1)
    following = [i for i in (rest.find("\n## "), rest.find("\n<!--")) if i >= 0]
    end = min(following) if following else len(rest)
    section, after = rest[:end], rest[end:]
    parts = re.split(r"\n(?=### )", section)
    intro, subsections = parts[0], parts[1:]
    replaced = [block if part.startswith(subheading + "\n") else part.rstrip("\n") for part in subsections]
    if not any(part.startswith(subheading + "\n") for part in subsections):
        replaced.append(block)
    section = intro.rstrip("\n") + "\n\n" + "\n\n".join(replaced) + "\n"
    path.write_text(before + HEADING + section + ("\n" + after.lstrip("\n") if after else ""), encoding="utf-8")
    print(f"wrote {path}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--soak", action="store_true", help="5 minutes (unless --duration) with planners at work")
    parser.add_argument("--compare", metavar="N,M", help="closed-loop capacity of these worker process counts only")
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second (200)")
    parser.add_argument("--duration", type=float, help="seconds of load (30; --soak: 300)")
    parser.add_argument("--workers", type=int, help="server worker processes (1; --soak: 2)")
    parser.add_argument("--threads", type=int, default=8, help="threads per server worker process (8)")
    parser.add_argument("--connections", type=int, default=32, help="client connections of the open loop (32)")
    parser.add_argument("--timeout", type=float, default=10.0, help="client timeout per request, s (10)")
    parser.add_argument("--stations", type=int, default=10, help="published stations (10)")
    parser.add_argument("--planners", type=int, default=2, help="--soak: planner threads (2)")
    parser.add_argument("--reoptimise-every", type=float, default=20.0, help="--soak: seconds between re-optimisations")
    parser.add_argument("--capacity", type=float, help="seconds of closed-loop capacity probe (10; --compare: 20; "
                                                       "--soak: 0, none)")  # fmt: skip
    parser.add_argument(
        "--max-load",
        type=float,
        default=QUIET_LOAD,
        help=f"wait before each measured run while the 1-minute load average is above this ({QUIET_LOAD:g})",
    )
    parser.add_argument("--rounds", type=int, default=2, help="--compare: rounds of the worker counts (2)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--no-write", action="store_true", help="print the results only")
    args = parser.parse_args()
    args.command_line = " ".join(sys.argv[1:])
    args.quiet_deadline = time.monotonic() + PATIENCE_S
    mode = "compare" if args.compare else "soak" if args.soak else "fixed"
    args.duration = args.duration or (300.0 if args.soak else 30.0)
    args.workers = args.workers or (2 if args.soak else 1)
    args.capacity = args.capacity if args.capacity is not None else {"fixed": 10.0, "soak": 0.0, "compare": 20.0}[mode]
    result, setup = run_compare(args) if mode == "compare" else run_fixed_or_soak(args)
    print(json.dumps(result, indent=2, default=str), flush=True)
    lines = {"compare": report_compare, "soak": report_soak, "fixed": report_fixed}[mode](result, args, setup)
    print("\n".join(lines))
    if not args.no_write:
        write_report(args.output, SUBHEADINGS[mode], lines)


if __name__ == "__main__":
    main()
