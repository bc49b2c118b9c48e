"""Downloads of a scenario (``GET /api/planner/scenarios/<id>/export``): every format, file names, who may, errors.

Every export runs in a temporary folder that must be gone once the answer is sent, whatever happened; the tests
point :mod:`tempfile` at a folder of their own and check it is empty afterwards.
"""

from __future__ import annotations

import io
import sqlite3
import tempfile
import zipfile
from pathlib import Path
from urllib.parse import quote, urlencode

import pyogrio
import pytest
from _web_helpers import API
from geoplan_web import exports

from geoplan.errors import InputError
from geoplan.outputs.exporters import FORMATS

MEDIA = {
    "geojson": "application/zip",
    "gpkg": "application/geopackage+sqlite3",
    "kml": "application/vnd.google-earth.kml+xml",
    "csv": "text/csv",
    "html": "text/html",
    "png": "image/png",
    "pdf": "application/pdf",
}


def _url(scenario_id: int, fmt: str | None = None, lang: str | None = None) -> str:
    query = urlencode({key: value for key, value in (("format", fmt), ("lang", lang)) if value is not None})
    return f"{API}/scenarios/{scenario_id}/export" + (f"?{query}" if query else "")


def _active(scenario: dict) -> list[dict]:
    return [s for s in scenario["sites"] if s["status"] in ("proposed", "accepted", "existing")]


@pytest.fixture
def scratch(tmp_path, monkeypatch) -> Path:
    """The folder :mod:`tempfile` makes its files in during the test (empty at the start)."""
    folder = tmp_path / "tempfiles"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


# --- what each format holds ----------------------------------------------------------------------------------------


def _check_geojson(body: bytes, scenario: dict, folder: Path) -> None:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        names = archive.namelist()
        assert "stations.geojson" in names, names
        archive.extractall(folder)
    stations = pyogrio.read_dataframe(folder / "stations.geojson")
    assert len(stations) == len(_active(scenario))
    assert {"id", "status", "district", "lon", "lat", "lon_gcj02", "lat_gcj02"} <= set(stations.columns)
    assert stations.crs.to_epsg() == 4326


def _check_gpkg(body: bytes, scenario: dict, folder: Path) -> None:
    path = folder / "export.gpkg"
    path.write_bytes(body)
    layers = {name for name, _ in pyogrio.list_layers(path)}
    assert "stations" in layers, layers
    assert len(pyogrio.read_dataframe(path, layer="stations")) == len(_active(scenario))
    with sqlite3.connect(path) as connection:  # a GeoPackage is an SQLite file with its own tables
        assert connection.execute("SELECT count(*) FROM gpkg_contents").fetchone()[0] >= 1


def _check_kml(body: bytes, scenario: dict, folder: Path) -> None:
    text = body.decode("utf-8")
    assert "<kml" in text
    assert text.count("<Placemark") >= len(_active(scenario))


def _check_csv(body: bytes, scenario: dict, folder: Path) -> None:
    lines = body.decode("utf-8-sig").splitlines()
    assert {"lon", "lat", "lon_gcj02", "lat_gcj02"} <= set(lines[0].split(","))
    assert len(lines) == 1 + len(_active(scenario))


def _check_html(body: bytes, scenario: dict, folder: Path) -> None:
    assert b"<html" in body[:2000].lower()


def _check_png(body: bytes, scenario: dict, folder: Path) -> None:
    assert body.startswith(b"\x89PNG\r\n\x1a\n")


def _check_pdf(body: bytes, scenario: dict, folder: Path) -> None:
    assert body.startswith(b"%PDF")


CHECKS = {
    "geojson": _check_geojson,
    "gpkg": _check_gpkg,
    "kml": _check_kml,
    "csv": _check_csv,
    "html": _check_html,
    "png": _check_png,
    "pdf": _check_pdf,
}


def test_every_format_is_tested():
    assert set(FORMATS) == set(MEDIA) == set(CHECKS) == set(exports.MEDIA)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_downloads(planner, plan_scenario, scratch, tmp_path, fmt):
    response = planner.get(_url(plan_scenario["id"], fmt, "zh"))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == MEDIA[fmt]
    assert response.data, "empty download"
    assert int(response.headers["Content-Length"]) == len(response.data)
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    sid = plan_scenario["id"]
    if fmt == "geojson":
        assert f'filename="scenario-{sid}-geojson.zip"' in disposition
    else:
        assert f'filename="scenario-{sid}-plan.{fmt}"' in disposition
    assert "filename*=UTF-8''" + quote(f"scenario-{sid}-方案一 plan", safe="") in disposition
    assert "no-store" in response.headers["Cache-Control"]
    CHECKS[fmt](response.data, plan_scenario, tmp_path)
    assert list(scratch.iterdir()) == [], "the export's temporary files were left behind"


def test_english_labels(viewer, plan_scenario, scratch):
    response = viewer.get(_url(plan_scenario["id"], "kml", "en"))
    assert response.status_code == 200
    assert response.mimetype == MEDIA["kml"]
    assert list(scratch.iterdir()) == []


def test_viewer_may_download(viewer, plan_scenario, scratch):
    response = viewer.get(_url(plan_scenario["id"], "csv"))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.data.decode("utf-8-sig").startswith("id,")


def test_anonymous_gets_401(anonymous, plan_scenario):
    response = anonymous.get(_url(plan_scenario["id"], "csv"))
    assert response.status_code == 401
    assert response.get_json() == {"error": "Log in first.", "kind": "Unauthorized"}


@pytest.mark.parametrize("fmt", ["shp", "GEO JSON", None, ""])
def test_unknown_format_is_400_naming_the_formats(planner, plan_scenario, scratch, fmt):
    response = planner.get(_url(plan_scenario["id"], fmt))
    assert response.status_code == 400
    body = response.get_json()
    assert body["kind"] == "InputError"
    assert body["error"].startswith("format:")
    for known in FORMATS:
        assert known in body["error"]
    assert list(scratch.iterdir()) == []


def test_unknown_language_is_400(planner, plan_scenario):
    response = planner.get(_url(plan_scenario["id"], "csv", "fr"))
    assert response.status_code == 400
    assert "zh" in response.get_json()["error"]
    assert "en" in response.get_json()["error"]


def test_unknown_scenario_is_404(viewer, scratch):
    response = viewer.get(_url(999_999, "csv"))
    assert response.status_code == 404
    assert response.get_json()["kind"] == "NotFoundError"
    assert list(scratch.iterdir()) == []


def test_empty_scenario_has_nothing_to_export(planner, scratch):
    created = planner.change(f"{API}/scenarios", {"name": "空白 empty", "mode": "empty"})
    assert created.status_code == 201
    response = planner.get(_url(created.get_json()["id"], "geojson"))
    assert response.status_code == 400
    assert "没有可导出的内容" in response.get_json()["error"]
    assert list(scratch.iterdir()) == [], "a refused export left temporary files"


def test_failed_export_leaves_no_temporary_files(planner, plan_scenario, scratch, monkeypatch):
    def half_written(scenario, fmt, out, **kwargs):
        Path(out).write_bytes(b"half")
        raise InputError("Disk full (simulated).")

    monkeypatch.setattr(exports, "export_scenario", half_written)
    response = planner.get(_url(plan_scenario["id"], "csv"))
    assert response.status_code == 400
    assert response.get_json()["error"] == "Disk full (simulated)."
    assert list(scratch.iterdir()) == []


def test_file_names_are_ascii_safe_with_the_full_name_in_filename_star(planner, store, plan_scenario, monkeypatch):
    def fake(scenario, fmt, out, **kwargs):
        Path(out).write_text("id,lon,lat\n")
        return [Path(out)]

    monkeypatch.setattr(exports, "export_scenario", fake)
    scenario = store.rename_scenario(plan_scenario["id"], '东湖区/一期 "试点"; v2', plan_scenario["version"], "plan")
    response = planner.get(_url(scenario["id"], "csv"))
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    disposition.encode("latin-1")  # a header value must be Latin-1; ours is ASCII
    assert disposition.isascii()
    assert f'filename="scenario-{scenario["id"]}-v2.csv"' in disposition
    full = quote(f"scenario-{scenario['id']}-东湖区-一期 -试点- v2.csv", safe="")
    assert f"filename*=UTF-8''{full}" in disposition


@pytest.mark.parametrize(
    ("name", "plain", "full"),
    [
        ("方案一 plan", "scenario-7-plan.pdf", "scenario-7-方案一 plan.pdf"),
        ("南昌一期", "scenario-7.pdf", "scenario-7-南昌一期.pdf"),
        ("../../etc/passwd", "scenario-7-etc-passwd.pdf", "scenario-7-etc-passwd.pdf"),
        ("a\\b:c*d?e<f>g|h\x00", "scenario-7-a-b-c-d-e-f-g-h.pdf", "scenario-7-a-b-c-d-e-f-g-h.pdf"),
        ("", "scenario-7.pdf", "scenario-7.pdf"),
    ],
)
def test_filenames(name, plain, full):
    assert exports._filenames(7, name, ".pdf") == (plain, full)
    assert "/" not in full
    assert "\\" not in full


def test_review_page_offers_the_downloads(planner, viewer, plan_scenario):
    for client in (planner, viewer):
        page = client.get(f"/scenarios/{plan_scenario['id']}").get_data(as_text=True)
        assert 'id="export-format"' in page
        assert 'id="export-lang"' in page
        assert 'id="export-download"' in page
        for fmt in FORMATS:
            assert f'<option value="{fmt}">' in page
        assert f"/api/planner/scenarios/{plan_scenario['id']}/export?format={FORMATS[0]}" in page
        assert "exports.js" in page
    with planner.get("/static/exports.js") as script:
        assert script.status_code == 200
        assert "export-download" in script.get_data(as_text=True)


def test_export_language_does_not_switch_the_interface(viewer, plan_scenario):
    response = viewer.get(_url(plan_scenario["id"], "csv", "en"))
    assert response.status_code == 200
    assert "lang=" not in response.headers.get("Set-Cookie", "")
