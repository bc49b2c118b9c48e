"""Load test of the public "stations near me" API: one command, results written to docs/benchmarks.md.

    .venv/bin/python bench/load.py                  # 200 requests/s for 30 s, waitress with 8 threads
    .venv/bin/python bench/load.py --rate 400 --duration 10 --no-write

What it does:

1. makes a temporary SQLite database with a published scenario of the default area (10 real roadside stations:
   the review workspace's optimised plan, or spread-out roadside candidate sites when the optimiser refuses that
   many under the default spacing rules), with opening hours and services;
2. starts the app as production does, ``geoplan serve --threads 8`` (waitress) on a free loopback port, with the
   public rate limit lifted (``GEOPLAN_RATE_LIMIT="1000000 per second"``);
3. warms the area's street graph and station index with a few hundred untimed queries;
4. sends ``GET /api/v1/stations/nearby`` at random points inside the area's street network at a fixed arrival rate
   (open loop: request *i* is due at ``start + i / rate`` whatever happened before) over keep-alive connections;
5. probes the capacity: as many connections as server threads send back to back for 10 s (closed loop).

Latency is measured from the moment a request was due, not from when it was sent, so a server that falls behind
is charged for the queue it builds (no coordinated omission); the pure service time is reported too. Plain ``wrk``
(the Debian package) cannot hold a fixed rate (wrk2 can, but is not packaged), hence this Python generator: a
scheduler thread releases each request at its due time to a pool of worker threads, each with its own connection.
The generator runs on the same machine as the server and competes with it for the CPU; its own CPU use is reported.

The target is p99 <= 50 ms at 200 requests/s on loopback for the default area.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import queue
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
GEOPLAN = Path(sys.executable).with_name("geoplan")
HEADING = "## Public API load (bench/load.py)"
TARGET_P99_MS = 50.0
WARM_REQUESTS = 300


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if "MemTotal" in line)
    return f"{cpu}, {os.cpu_count()} cores, {mem_kb / 1024 / 1024:.0f} GiB RAM, Python {platform.python_version()}"


# --- setup -----------------------------------------------------------------------------------------------------------


def make_database(folder: Path, stations: int) -> tuple[str, list[list[float]], object, str]:
    """A migrated SQLite database with one published scenario of the default area.

    Returns (database url, station lon/lat, area, where the stations came from).
    """
    from geoplan.data.areas import resolve
    from geoplan.errors import GeoplanError
    from geoplan.planning.cache import ModelCache
    from geoplan.planning.workspace import Workspace
    from geoplan.store import Store

    workspace = Workspace(ModelCache().prepared(resolve(None)))
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
    store.engine.dispose()
    return url, [[s["lon"], s["lat"]] for s in scenario["sites"]], workspace.area, origin


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


def start_server(database: str, folder: Path, port: int, threads: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "GEOPLAN_SECRET_KEY", "PYTHONPATH"}}
    env.update(GEOPLAN_INSTANCE=str(folder), GEOPLAN_RATE_LIMIT="1000000 per second")
    log = (folder / "server.log").open("ab")
    command = [str(GEOPLAN), "serve", "--port", str(port), "--threads", str(threads), "--database", database]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=folder)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"geoplan serve exited:\n{(folder / 'server.log').read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("geoplan serve did not start within 120 s")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
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


# --- the load --------------------------------------------------------------------------------------------------------


def drive(port: int, paths: list[str], rate: float, workers: int) -> dict:
    """Send ``paths`` at ``rate`` per second (open loop); return per-request timings."""
    count = len(paths)
    due = np.empty(count)
    sent = np.full(count, np.nan)
    done = np.full(count, np.nan)
    status = np.zeros(count, dtype=int)
    errors: list[str] = []
    jobs: queue.Queue = queue.Queue()

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while (job := jobs.get()) is not None:
            sent[job] = time.perf_counter()
            try:
                status[job], body = get(connection, paths[job])
                if status[job] != 200:
                    errors.append(f"{status[job]}: {body[:200]!r}")
            except (OSError, http.client.HTTPException) as error:
                errors.append(f"{type(error).__name__}: {error}")
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            done[job] = time.perf_counter()
        connection.close()

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
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
    return {"due": due, "sent": sent, "done": done, "status": status, "errors": errors}


def capacity(port: int, paths: list[str], workers: int, seconds: float) -> float:
    """Closed loop: ``workers`` connections send back to back for ``seconds``; return the answers per second."""
    deadline = time.perf_counter() + seconds
    answered = [0] * workers

    def worker(number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        job = number
        while time.perf_counter() < deadline:
            code, _ = get(connection, paths[job % len(paths)])
            answered[number] += code == 200
            job += workers
        connection.close()

    pool = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(workers)]
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return sum(answered) / (time.perf_counter() - started)


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
        "error_samples": sorted(set(timing["errors"]))[:5],
        "target_rate": rate,
        "duration_s": duration,
        "achieved_rate": round(int(ok.sum()) / span, 1),
        "latency_ms": _percentiles(latency),
        "service_ms": _percentiles(service),
        "late_sends": int((late > 5).sum()),
        "max_send_delay_ms": round(float(late.max()), 2),
    }


def _percentiles(values: np.ndarray) -> dict[str, float]:
    shown = {name: np.percentile(values, q) for name, q in (("p50", 50), ("p90", 90), ("p99", 99), ("p99.9", 99.9))}
    shown.update(max=values.max(), mean=values.mean())
    return {name: round(float(value), 2) for name, value in shown.items()}


def process_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- report ----------------------------------------------------------------------------------------------------------


def report_lines(result: dict, args: argparse.Namespace, setup: dict) -> list[str]:
    lat, svc = result["latency_ms"], result["service_ms"]
    met = lat["p99"] <= TARGET_P99_MS and result["errors"] == 0 and result["achieved_rate"] >= 0.98 * args.rate
    verdict = (f"**met**: p99 {lat['p99']:.1f} ms <= {TARGET_P99_MS:.0f} ms at {result['achieved_rate']:.1f} req/s, "
               "no errors" if met else
               f"**missed**: p99 {lat['p99']:.1f} ms (target <= {TARGET_P99_MS:.0f} ms), "
               f"{result['achieved_rate']:.1f} req/s achieved of {args.rate:g}, {result['errors']} errors")  # fmt: skip
    command = ".venv/bin/python bench/load.py" + ("" if args.command_line == "" else f" {args.command_line}")
    lines = [
        HEADING,
        "",
        f"Reproduce with one command: `{command}`.",
        "",
        f"- Date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Machine: {machine()}; server and load generator share it (loopback)",
        f"- Server: `geoplan serve --threads {args.threads}` (waitress), SQLite, rate limit lifted with "
        '`GEOPLAN_RATE_LIMIT="1000000 per second"`',
        f"- Data: default area ({setup['area']}), one published scenario with {setup['stations']} stations from "
        f"{setup['origin']}; "
        f"index warmed with {WARM_REQUESTS} untimed queries (first query, loading the area and building the "
        f"index: {setup['first_s']:.1f} s)",
        f"- Load: `GET /api/v1/stations/nearby?lon=..&lat=..&limit=5` at random points inside the area's street "
        f"network, open loop at a fixed {args.rate:g} requests/s for {args.duration:g} s ({result['requests']} "
        f"requests) over {args.workers} keep-alive connections, generated in Python (plain wrk cannot hold a fixed "
        "rate; wrk2 is not packaged)",
        f"- Target: p99 <= {TARGET_P99_MS:.0f} ms at {args.rate:g} req/s. Result: {verdict}",
        "",
        "Latency counts from the moment each request was due (queueing included, no coordinated omission); service "
        "time from when it was sent.",
        "",
        "| measure | p50 (ms) | p90 (ms) | p99 (ms) | p99.9 (ms) | max (ms) | mean (ms) |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {what} | {m['p50']} | {m['p90']} | {m['p99']} | {m['p99.9']} | {m['max']} | {m['mean']} |"
            for what, m in (("latency", lat), ("service time", svc))
        ),
        "",
        "| requests | ok | errors | target rate (req/s) | achieved rate (req/s) | sends > 5 ms late | server CPU | "
        "load generator CPU |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {result['requests']} | {result['ok']} | {result['errors']} | {args.rate:g} | {result['achieved_rate']} "
        f"| {result['late_sends']} | {result['server_cpu']:.0%} of a core | {result['client_cpu']:.0%} of a core |",
    ]
    if "capacity" in result:
        lines += [
            "",
            f"Capacity (closed loop after the timed run: {args.threads} connections sending back to back for "
            f"{args.capacity:g} s): **{result['capacity']:.0f} answers/s**, so {args.rate:g} req/s uses "
            f"{args.rate / result['capacity']:.0%} of it. One waitress process serves Python code under one "
            "interpreter lock, so more threads do not add CPU; beyond the capacity the queue and the latency grow "
            "without bound.",
        ]
    if result["error_samples"]:
        lines += ["", "Errors seen: " + "; ".join(f"`{e}`" for e in result["error_samples"])]
    return lines


def write_report(path: Path, lines: list[str]) -> None:
    """Put the section at the end of the file, replacing an earlier copy of it."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if HEADING in text:
        before, rest = text.split(HEADING, 1)
        following = [i for i in (rest.find("\n## "), rest.find("\n<!--")) if i >= 0]
        text = before.rstrip("\n") + ("\n" + rest[min(following) :].lstrip("\n") if following else "")
    path.write_text(text.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {path}", flush=True)


def warm(port: int, paths: list[str]) -> float:
    """Send untimed queries (the first loads the area and builds the index); return the first one's seconds."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.perf_counter()
    first = None
    for path in paths:
        code, body = get(connection, path)
        first = first or time.perf_counter() - started
        if code != 200 or not json.loads(body)["stations"]:
            raise SystemExit(f"warm-up query failed: {code} {body[:300]!r}")
    connection.close()
    return first


def measure(server: subprocess.Popen, port: int, paths: list[str], args: argparse.Namespace) -> dict:
    """The timed open-loop run, then the optional capacity probe; with the CPU both sides used."""
    server_cpu = process_cpu_s(server.pid)
    client_cpu = resource.getrusage(resource.RUSAGE_SELF)
    began = time.perf_counter()
    timing = drive(port, paths[WARM_REQUESTS:], args.rate, args.workers)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_SELF)
    result = summarise(timing, args.rate, args.duration)
    result["server_cpu"] = (process_cpu_s(server.pid) - server_cpu) / wall
    result["client_cpu"] = (after.ru_utime + after.ru_stime - client_cpu.ru_utime - client_cpu.ru_stime) / wall
    if args.capacity > 0:
        print(f"closed-loop capacity probe, {args.capacity:g} s...", flush=True)
        result["capacity"] = round(capacity(port, paths, args.threads, args.capacity), 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second (200)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load (30)")
    parser.add_argument("--threads", type=int, default=8, help="waitress threads (8)")
    parser.add_argument("--workers", type=int, default=32, help="client connections (32)")
    parser.add_argument("--stations", type=int, default=10, help="published stations (10)")
    parser.add_argument(
        "--capacity", type=float, default=10.0, help="seconds of closed-loop capacity probe (10; 0: none)"
    )
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--no-write", action="store_true", help="print the results only")
    args = parser.parse_args()
    args.command_line = " ".join(sys.argv[1:])
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        print("building the scenario...", flush=True)
        database, stations, area, origin = make_database(tmp, args.stations)
        count = round(args.rate * args.duration)
        points = random_points(area, count + WARM_REQUESTS)
        paths = [path_for(lon, lat) for lon, lat in points]
        port = free_port()
        server = start_server(database, tmp, port, args.threads)
        try:
            first = warm(port, paths[:WARM_REQUESTS])
            print(f"warm ({first:.1f} s for the first query); {count} requests at {args.rate:g}/s...", flush=True)
            result = measure(server, port, paths, args)
        finally:
            stop_server(server)
    print(json.dumps(result, indent=2), flush=True)
    setup = {"area": area.spec.name, "stations": len(stations), "first_s": first, "origin": origin}
    lines = report_lines(result, args, setup)
    print("\n".join(lines))
    if not args.no_write:
        write_report(args.output, lines)


if __name__ == "__main__":
    main()
