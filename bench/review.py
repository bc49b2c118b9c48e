"""Opening a scenario in the review map: first open after a server restart, and warm opens, against a real server.

    .venv/bin/python bench/review.py                    # nanchang and helsinki, 3 restarts each
    .venv/bin/python bench/review.py --area nanchang --restarts 5 --no-write

For each area: a scenario is planned and saved (its prepared model kept in a fresh model cache folder, as
``geoplan plan --scenario`` keeps it), then ``geoplan serve`` is started, a planner logs in and opens the scenario
the way the page does — the page itself, then in parallel (6 connections, as a browser) its data, districts,
candidates, workers and the basemap's bounds and layers — timed until the last answer. That is the first open after
a (re)start; the same again is a warm open. The server is restarted ``--restarts`` times. For comparison in the
same run, one first open with an empty model cache (what every first open cost before models were kept on disk).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import http.cookiejar
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from load import free_port, machine, stop_server  # noqa: E402 - the public-API benchmark's server helpers

GEOPLAN = Path(sys.executable).with_name("geoplan")
HEADING = "## Review map: opening a scenario (bench/review.py)"
PASSWORD = "bench-password-1"
TARGETS = {"first": 3.0, "warm": 0.5}


def make_scenario(area: str, folder: Path, cache: Path) -> tuple[str, int, float]:
    """Plan the area's default scenario into a new database; return (database url, scenario id, seconds to prepare)."""
    from geoplan.data.areas import resolve
    from geoplan.planning.cache import ModelCache
    from geoplan.planning.scenarios import encode_multipliers
    from geoplan.planning.workspace import Workspace
    from geoplan.store import Store

    url = f"sqlite:///{folder / 'review.sqlite'}"
    store = Store(url)
    store.upgrade()
    store.add_user("bench", PASSWORD, "planner")
    started = time.perf_counter()
    workspace = Workspace(ModelCache(cache).prepared(resolve(area)))
    prepared_s = time.perf_counter() - started
    sites, result, multipliers = workspace.propose()
    scenario = store.create_scenario(f"{area} bench", area, "bench", params=workspace.params.to_json(),
                                     stations=workspace.stations, sites=sites, result=result, source="plan",
                                     data_summary=workspace.prepared.user_data.summary(),
                                     warm_start=encode_multipliers(multipliers))  # fmt: skip
    store.engine.dispose()
    return url, scenario["id"], prepared_s


def start_server(database: str, folder: Path, cache: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "GEOPLAN_SECRET_KEY", "PYTHONPATH"}}
    env.update(GEOPLAN_INSTANCE=str(folder), GEOPLAN_MODEL_CACHE=str(cache))
    log = (folder / "server.log").open("ab")
    process = subprocess.Popen([str(GEOPLAN), "serve", "--port", str(port), "--database", database], stdout=log,
                               stderr=subprocess.STDOUT, env=env, cwd=folder)  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"geoplan serve exited:\n{(folder / 'server.log').read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, port
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("geoplan serve did not start within 120 s")


def log_in(port: int) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"http://127.0.0.1:{port}/login", timeout=60).read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"username": "bench", "password": PASSWORD, "csrf_token": token}).encode()
    opener.open(f"http://127.0.0.1:{port}/login", data=form, timeout=60).read()
    return opener


def open_scenario(opener, port: int, area: str, scenario_id: int) -> float:
    """Seconds from asking for the page to the last of its answers, the page's requests 6 at a time."""
    base = f"http://127.0.0.1:{port}"
    layers = ("landuse", "water", "buildings", "streets")
    tails = ("", "/districts", "/candidates", "/demand")
    urls = [f"{base}/api/planner/scenarios/{scenario_id}{tail}" for tail in tails]
    urls += [f"{base}/basemap/{area}/bounds.json", *(f"{base}/basemap/{area}/{layer}.geojson" for layer in layers)]

    def fetch(url: str) -> int:
        with opener.open(urllib.request.Request(url, headers={"Accept-Encoding": "gzip"}), timeout=300) as answer:
            body = answer.read()
            if answer.status != 200:
                raise SystemExit(f"{url}: {answer.status}")
            return len(body)

    started = time.perf_counter()
    fetch(f"{base}/scenarios/{scenario_id}")
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        list(pool.map(fetch, urls))
    return time.perf_counter() - started


def measure(area: str, restarts: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        cache = tmp / "models"
        print(f"{area}: planning the scenario...", flush=True)
        database, scenario_id, prepared_s = make_scenario(area, tmp, cache)
        firsts, warms = [], []
        for run in range(restarts):
            server, port = start_server(database, tmp, cache)
            try:
                opener = log_in(port)
                firsts.append(open_scenario(opener, port, area, scenario_id))
                warms.extend(open_scenario(opener, port, area, scenario_id) for _ in range(3))
            finally:
                stop_server(server)
            print(f"  restart {run + 1}: first open {firsts[-1]:.2f} s, warm {min(warms[-3:]):.2f} s", flush=True)
        server, port = start_server(database, tmp, tmp / "empty-cache")
        try:
            cold = open_scenario(log_in(port), port, area, scenario_id)
        finally:
            stop_server(server)
        print(f"  with an empty model cache: {cold:.2f} s", flush=True)
    return {"area": area, "prepare_s": prepared_s, "first": firsts, "warm": warms, "cold": cold}


def report(results: list[dict], restarts: int, command: str) -> list[str]:
    lines = [
        HEADING,
        "",
        f"Reproduce with one command: `{command}`.",
        "",
        f"- Date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Machine: {machine()}; server and client share it (loopback)",
        "- What is timed: a logged-in planner asks for the scenario page, then for everything the page loads (the "
        "scenario with its figures, districts, candidate sites, workers, the basemap's bounds and four layers), six "
        "requests at a time as a browser does, until the last answer; `geoplan serve` (waitress, 8 threads), SQLite",
        f"- *First open*: the first open after `geoplan serve` (re)starts, with the scenario's prepared model on disk "
        f"(written when the scenario was saved), {restarts} restarts; *warm*: the next opens (3 per restart); "
        "*empty cache*: a first open with no prepared model kept, as every first open was before (for comparison, "
        "same run)",
        f"- Targets: first open <= {TARGETS['first']:g} s, warm open <= {TARGETS['warm']:g} s",
        "",
        "| area | first open, median (s) | first open, max (s) | warm open, median (s) | warm open, max (s) | "
        "empty cache (s) | preparing the model (s) | targets |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        met = statistics.median(r["first"]) <= TARGETS["first"] and statistics.median(r["warm"]) <= TARGETS["warm"]
        lines.append(
            f"| {r['area']} | {statistics.median(r['first']):.2f} | {max(r['first']):.2f} | "
            f"{statistics.median(r['warm']):.2f} | {max(r['warm']):.2f} | {r['cold']:.2f} | {r['prepare_s']:.1f} | "
            f"{'met' if met else '**missed**'} |"
        )
    return lines


def write_report(path: Path, lines: list[str]) -> None:
    """Put the section before the siting benchmarks, replacing an earlier copy of it."""
    text = path.read_text(encoding="utf-8")
    if HEADING in text:
        before, rest = text.split(HEADING, 1)
        following = [i for i in (rest.find("\n## "), rest.find("\n<!--")) if i >= 0]
        text = before.rstrip("\n") + "\n\n" + (rest[min(following) :].lstrip("\n") if following else "")
    marker = "<!-- siting benchmarks below -->"
    block = "\n".join(lines) + "\n\n"
    text = text.replace(marker, block + marker, 1) if marker in text else text.rstrip("\n") + "\n\n" + block
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--area", action="append", help="registered area (repeat; default: nanchang and helsinki)")
    parser.add_argument("--restarts", type=int, default=3, help="server restarts per area (3)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--no-write", action="store_true", help="print the results only")
    args = parser.parse_args()
    command = ".venv/bin/python bench/review.py" + ("".join(f" {a}" for a in sys.argv[1:]))
    results = [measure(area, args.restarts) for area in args.area or ["nanchang", "helsinki"]]
    print(json.dumps(results, indent=2), flush=True)
    lines = report(results, args.restarts, command)
    print("\n".join(lines))
    if not args.no_write:
        write_report(args.output, lines)


if __name__ == "__main__":
    main()
