"""Tests of geoplan.report: the PDF report, checked with poppler's pdftotext, pdffonts and pdftoppm."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess

import pytest
from matplotlib.image import imread

from geoplan.errors import InputError
from geoplan.inputs.demand import WORKER_GROUPS
from geoplan.outputs import pdf as report
from geoplan.outputs import png as render
from geoplan.outputs.export_data import build_export_data
from geoplan.outputs.exporters import write_export

SCENARIO_NAME = "东湖区驿站示范方案"
POPPLER = ("pdftotext", "pdffonts", "pdftoppm", "pdfinfo")


@pytest.fixture(scope="module")
def poppler() -> None:
    missing = [tool for tool in POPPLER if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not found: install poppler-utils (scripts/system-deps.sh does, in CI)")
    if render.cjk_font() is None:
        pytest.skip(
            f"Noto Sans CJK not found in {render.NOTO_CJK_DIR}: install fonts-noto-cjk (scripts/system-deps.sh)"
        )


@pytest.fixture(scope="module")
def data(default_workspace):
    """Five stations on the default area, one accepted with a Chinese name and address, gathered for export."""
    sites, result, _ = default_workspace.propose(5)
    sites[0] |= {"status": "accepted", "name": "滨海环卫爱心驿站", "address": "曼纳海姆大道 1 号", "hours": "24h"}
    scenario = {
        "id": 12,
        "name": SCENARIO_NAME,
        "area": "helsinki",
        "params": {"stations": 5, "district_min": 1, "min_spacing_m": 300.0},
        "sites": sites,
        "result": result | {"gap": 0.0123},
    }
    return build_export_data(scenario, default_workspace)


@pytest.fixture(scope="module")
def pdfs(poppler, data, tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    return {lang: report.write_report(data, folder / f"report-{lang}.pdf", lang) for lang in report.LANGUAGES}


def pdftotext(path) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def squeezed(text: str) -> str:
    """Text without whitespace: table cells may wrap a name over two lines."""
    return "".join(text.split())


def pages(path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def test_chinese_report_text_is_extractable(pdfs, data):
    text = squeezed(pdftotext(pdfs["zh"]))
    for needle in (SCENARIO_NAME, "爱心驿站布局方案报告", "市级", "区县级", "滨海环卫爱心驿站", "曼纳海姆大道1号"):
        assert needle in text
    for district in data.by_district.index:
        assert squeezed(district) in text
    for group in data.by_group.index:
        assert WORKER_GROUPS[group].name_zh in text
    assert "1.23%" in text  # the optimality gap
    assert report.format_gap(0.0123) == "1.23%"
    for heading in ("各区县覆盖情况", "各工种覆盖情况", "站点清单", "规划参数", "求解结果与最优性", "覆盖地图"):
        assert heading in text
    assert data.area.spec.title_zh.split("（")[0] in text
    assert f"{data.workers['share']:.1%}" in text
    count = pages(pdfs["zh"])
    assert count >= 2
    for page in range(1, count + 1):
        assert f"第{page}页/共{count}页" in text


def test_cjk_font_is_embedded_with_a_unicode_map(pdfs):
    listing = subprocess.run(["pdffonts", str(pdfs["zh"])], capture_output=True, check=True, text=True).stdout
    fonts = [line.split() for line in listing.splitlines()[2:]]
    cjk = [row for row in fonts if "NotoSansCJKSC" in row[0]]
    assert cjk, listing
    for row in cjk:
        emb, sub, uni = row[-5:-2]
        assert (emb, sub, uni) == ("yes", "yes", "yes"), listing
    assert all(row[-5] == "yes" for row in fonts), listing  # nothing relies on the reader's fonts


def test_first_page_renders(pdfs, tmp_path):
    prefix = tmp_path / "page"
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", "-singlefile", str(pdfs["zh"]), str(prefix)],
        check=True,
        capture_output=True,
    )
    image = imread(tmp_path / "page.png")
    height, width = image.shape[:2]
    assert abs(height - 297 / 25.4 * 50) <= 1  # A4 at 50 dpi
    assert abs(width - 210 / 25.4 * 50) <= 1
    rgb = image[..., :3]
    assert rgb.std() > 0.05
    assert (rgb < 0.5).any(axis=-1).mean() > 0.01  # ink: text and the map


def test_english_report(pdfs, data):
    text = pdftotext(pdfs["en"])
    flat = squeezed(text)
    for heading in ("Coverage by district", "Coverage by worker group", "Optimality gap", "Plan parameters"):
        assert squeezed(heading) in flat
    for group in data.by_group.index:
        assert squeezed(WORKER_GROUPS[group].name_en) in flat.lower()
    assert "City-level" in text
    assert "District-level" in text
    assert "各区县覆盖情况" not in flat
    assert SCENARIO_NAME in flat  # names from the data stay as they are
    assert f"Page 1 of {pages(pdfs['en'])}" in text


def test_scenario_without_optimiser_result(poppler, data, tmp_path):
    out = report.write_report(dataclasses.replace(data, result={}), tmp_path / "manual.pdf")
    text = squeezed(pdftotext(out))
    assert "本方案未经优化求解" in text
    assert "最优性差距" in text


def test_unknown_language_is_an_input_error(data, tmp_path):
    with pytest.raises(InputError, match="language"):
        report.write_report(data, tmp_path / "report.pdf", lang="fr")
    assert list(tmp_path.iterdir()) == []


def test_a_failing_report_leaves_the_existing_file_unchanged(poppler, data, tmp_path, monkeypatch):
    out = tmp_path / "report.pdf"
    out.write_bytes(b"the previous report")

    def broken(self, name=""):
        with open(name, "wb") as handle:
            handle.write(b"%PDF-half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(report.ReportPDF, "output", broken)
    with pytest.raises(InputError, match="No space left"):
        report.write_report(data, out)
    assert out.read_bytes() == b"the previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.pdf"]


@pytest.mark.parametrize(("gap", "text"), [(0.0, "0.00%"), (2.4e-16, "0.00%"), (0.5, "50.00%"), (None, "—")])
def test_format_gap(gap, text):
    assert report.format_gap(gap) == text


def test_write_export_pdf_uses_the_report(poppler, data, tmp_path):
    (written,) = write_export(data, "pdf", tmp_path, lang="zh")
    assert written.suffix == ".pdf"
    assert SCENARIO_NAME in squeezed(pdftotext(written))
    assert written.stat().st_size > 10_000
