"""Take the README's screenshots: the review map, "stations near me" and page 1 of the PDF report, in Chinese.

Starts ``geoplan serve`` on a temporary database, adds a planner with the CLI, plans a scenario of the default area
(Shanghai's Bund and Lujiazui, from the shared real OSM data), makes review decisions (three sites accepted, one
rejected, so that the map shows proposed, accepted and rejected stations and both covered and uncovered workers),
fills in the accepted stations' details and publishes them, then photographs with headless Chromium (Debian's
``/usr/bin/chromium`` when present):

- ``docs/review-map.png`` (1280x800): the review map with its legend, district labels and coverage shading;
- ``docs/near-me.png`` (390x844, a phone): /near from a position beside a published station;
- ``docs/report-page1.png``: page 1 of the scenario's PDF report (exported through the review map, drawn by
  poppler's ``pdftoppm``).

Usage: .venv/bin/python scripts/screenshot.py [--docs docs] [--area NAME] [--lang zh|en]
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
PHONE = {"width": 390, "height": 844}

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
    parser.add_argument("--docs", type=Path, default=REPO / "docs", help="folder of the PNG files (docs/)")
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
            _photograph(f"http://127.0.0.1:{port}", args.docs, args.area, args.lang)
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()
    for name in ("review-map.png", "near-me.png", "report-page1.png"):
        print(f"saved {args.docs / name}")
    return 0


def _photograph(base: str, docs: Path, area: str | None, lang: str) -> None:
    docs.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        options = {"executable_path": str(CHROMIUM)} if CHROMIUM.exists() else {}
        ui = ["--lang=zh-CN"] if lang == "zh" else ["--lang=en-US"]  # the browser's own words (file buttons)
        browser = playwright.chromium.launch(args=CHROMIUM_ARGS + ui, headless=True, **options)
        page = browser.new_page(viewport=SIZE, device_scale_factor=1, locale="zh-CN")
        page.set_default_timeout(180_000)
        page.goto(f"{base}/login?lang={lang}")
        page.fill("#username", USER)
        page.fill("#password", PASSWORD)
        page.click("#login-submit")
        page.wait_for_url(f"{base}/")
        body = {"name": "一期方案（示例）" if lang == "zh" else "Phase 1 (example)", "mode": "plan"}
        if area:
            body["area"] = area
        scenario = _api(page, "POST", "/api/planner/scenarios", body, 201)
        _review(page, scenario)
        page.goto(f"{base}/scenarios/{scenario['id']}?lang={lang}")
        expect(page.locator(".site-marker")).to_have_count(len(scenario["sites"]))
        page.wait_for_load_state("networkidle")
        page.mouse.move(SIZE["width"] - 5, SIZE["height"] - 5)  # off the map: the layer list stays folded
        page.wait_for_timeout(500)  # let Leaflet finish drawing the canvas layers
        page.screenshot(path=str(docs / "review-map.png"))

        published = _publish(page, scenario, lang)
        pdf = page.evaluate(_EXPORT_JS, f"/api/planner/scenarios/{scenario['id']}/export?format=pdf&lang={lang}")
        _first_page(bytes(pdf), docs / "report-page1.png")

        station = published[0]
        here = {"latitude": station["lat"] + 0.002, "longitude": station["lon"] + 0.001, "accuracy": 20}
        phone = browser.new_context(viewport=PHONE, device_scale_factor=2, locale="zh-CN", is_mobile=True,
                                    has_touch=True, permissions=["geolocation"], geolocation=here)  # fmt: skip
        near = phone.new_page()
        near.set_default_timeout(120_000)
        near.goto(f"{base}/near?lang={lang}")
        expect(near.locator("#near-map")).to_have_attribute("data-ready", "1")
        near.locator("#locate").click()
        expect(near.locator("#results li.station").first).to_be_visible()
        near.wait_for_load_state("networkidle")
        near.wait_for_timeout(500)
        near.screenshot(path=str(docs / "near-me.png"))
        browser.close()


_EXPORT_JS = """async (path) => {
    const response = await fetch(path);
    if (!response.ok) throw new Error(`${path}: ${response.status}`);
    return Array.from(new Uint8Array(await response.arrayBuffer()));
}"""


def _publish(page, scenario: dict, lang: str) -> list[dict]:
    """Fill in the accepted stations' details (as a planner would) and publish; return the accepted sites."""
    api = f"/api/planner/scenarios/{scenario['id']}"
    version = scenario["version"]
    accepted = [s for s in scenario["sites"] if s["status"] == "accepted"]
    for number, site in enumerate(accepted, start=1):
        street = site.get("name") or ("" if lang == "zh" else "Station")
        details = {
            "name": f"{street}爱心驿站" if lang == "zh" else f"{street} rest station",
            "address": f"{street}（临街）" if lang == "zh" else f"{street} (street side)",
            "hours": "24h" if number == 1 else "07:00-21:00",
            "station_status": "open",
            "host": "bank" if number == 2 else "union",
            "services": ["drinking_water", "heating_food", "toilet", "rest", "phone_charging"],
            "phone": f"021-6321{number:04d}",
        }
        version = _api(page, "POST", f"{api}/sites/{site['id']}/details", {"version": version, "details": details})[
            "version"
        ]
    _api(page, "POST", f"{api}/publish", {"version": version, "published": True})
    return accepted


def _first_page(pdf: bytes, out: Path) -> None:
    """Draw page 1 of a PDF as a PNG with poppler's pdftoppm (110 dpi: readable on a README)."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "report.pdf"
        source.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile", str(source),
                        str(Path(folder) / "page")], check=True)  # fmt: skip
        out.write_bytes((Path(folder) / "page.png").read_bytes())


def _review(page, scenario: dict) -> None:
    """Accept the first three proposals and reject the one whose loss leaves the most workers uncovered.

    The candidates for rejection are tried on a scratch copy, so the photographed scenario holds two decisions.
    """
    first, second, third, *others = scenario["sites"]
    api = "/api/planner/scenarios"
    scratch = _api(page, "POST", f"{api}/{scenario['id']}/duplicate", {"name": "scratch"}, 201)
    version, covered = scratch["version"], {}
    for site, copy in zip(others, scratch["sites"][3:], strict=True):
        trial = _api(
            page, "POST", f"{api}/{scratch['id']}/sites/{copy['id']}", {"action": "reject", "version": version}
        )
        covered[site["id"]] = trial["figures"]["workers"]["covered"]
        body = {"action": "propose", "version": trial["version"]}
        version = _api(page, "POST", f"{api}/{scratch['id']}/sites/{copy['id']}", body)["version"]
    worst = min(covered, key=covered.get)
    sites = f"{api}/{scenario['id']}/sites"
    version = scenario["version"]
    for site in (first, second, third):
        version = _api(page, "POST", f"{sites}/{site['id']}", {"action": "accept", "version": version})["version"]
    scenario.update(_api(page, "POST", f"{sites}/{worst}", {"action": "reject", "version": version}))


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
