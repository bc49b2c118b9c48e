"""Tests of geoplan.render: the static coverage map (PNG) drawn from the area's own OSM data."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.image import imread

from geoplan.errors import InputError
from geoplan.outputs import fonts
from geoplan.outputs import png as render
from geoplan.outputs.export_data import build_export_data
from geoplan.outputs.exporters import write_export

CHINESE_NAME = "滨海环卫爱心驿站"


@pytest.fixture(scope="module")
def data(default_workspace):
    """Five proposed stations on the default area (one accepted, with a Chinese name), gathered for export."""
    sites, result, _ = default_workspace.propose(5)
    sites[1] |= {"status": "accepted", "name": CHINESE_NAME}
    scenario = {"id": 3, "name": "示范方案", "area": "helsinki", "params": {"stations": 5}, "sites": sites}
    return build_export_data(scenario | {"result": result}, default_workspace)


@pytest.fixture(scope="module")
def figure_zh(data) -> Figure:
    return render.render_figure(data, "zh")


def texts(figure: Figure) -> list[str]:
    return [artist.get_text() for artist in figure.findobj(lambda a: hasattr(a, "get_text"))]


def by_gid(figure: Figure, gid: str) -> list:
    return figure.findobj(lambda artist: artist.get_gid() == gid)


def test_png_has_the_size_of_its_dpi_and_is_not_blank(data, tmp_path):
    out = render.render_map(data, tmp_path / "map.png", lang="zh", dpi=80)
    assert out == tmp_path / "map.png"
    image = imread(out)
    assert image.shape[:2] == (round(render.FIGSIZE_IN[1] * 80), round(render.FIGSIZE_IN[0] * 80))
    rgb = image[..., :3].reshape(-1, 3)
    assert rgb.std() > 0.05
    assert len(np.unique(np.round(rgb * 255).astype(np.uint8), axis=0)) > 100  # a map, not a few flat fills
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.png"]  # no temporary file left


def test_figure_has_north_arrow_scale_bar_legend_and_title(data, figure_zh):
    assert [a.get_text() for a in by_gid(figure_zh, "north-arrow-label")] == ["N"]
    assert by_gid(figure_zh, "north-arrow")
    (axes,) = by_gid(figure_zh, "map")
    width = float(np.diff(axes.get_xlim())[0])
    length = render.scale_length(width)
    assert width / 10 <= length <= width / 5
    expected = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    assert [a.get_text() for a in by_gid(figure_zh, "scale-bar-label")] == [expected]
    bar = by_gid(figure_zh, "scale-bar")
    assert sum(patch.get_width() for patch in bar) == pytest.approx(length)
    (legend,) = by_gid(figure_zh, "legend")
    labels = [text.get_text() for text in legend.get_texts()]
    for label in (
        "市级站点",
        "区县级站点",
        "已覆盖的外勤人员",
        "未覆盖的外勤人员",
        "街道",
        "区县界",
        "建议站点",
        "已采纳站点",
    ):
        assert label in labels
    assert "步行 15 分钟服务范围" in labels
    (title,) = by_gid(figure_zh, "title")
    assert title.get_text().startswith("示范方案 · ")
    assert data.area.spec.title_zh in title.get_text()
    (subtitle,) = by_gid(figure_zh, "subtitle")
    assert f"{data.workers['share']:.1%}" in subtitle.get_text()
    assert "5 个站点" in subtitle.get_text()


def test_figure_labels_stations_and_districts(data, figure_zh):
    shown = texts(figure_zh)
    assert CHINESE_NAME in shown
    for name, ident in zip(data.stations["name"], data.stations["id"], strict=True):
        assert (name or str(ident)) in shown
    assert set(data.area.planned_districts) <= set(shown)


def test_chinese_text_uses_the_noto_cjk_face(figure_zh):
    face = render.cjk_font()
    if face is None:
        pytest.skip("Noto Sans CJK is not installed (Debian fonts-noto-cjk; scripts/system-deps.sh installs it)")
    assert face.path.parent == render.NOTO_CJK_DIR
    assert face.family == render.CJK_FAMILY
    (title,) = by_gid(figure_zh, "title")
    assert str(title.get_fontproperties().get_file()) == str(render.cjk_font(bold=True).path)


def test_english_labels(data):
    figure = render.render_figure(data, "en")
    (legend,) = by_gid(figure, "legend")
    labels = [text.get_text() for text in legend.get_texts()]
    assert "City-level station" in labels
    assert "15-minute walk service area" in labels
    assert "Legend" in legend.get_title().get_text()
    assert all(ord(char) < 0x2E80 for label in labels for char in label)
    (subtitle,) = by_gid(figure, "subtitle")
    assert subtitle.get_text().startswith("5 stations")


def test_without_a_cjk_font_the_map_falls_back_to_english_and_ids(data, monkeypatch):
    monkeypatch.setattr(fonts, "cjk_font", lambda bold=False: None)
    figure = render.render_figure(data, "zh")  # warnings are errors: no missing-glyph warning may fire
    shown = texts(figure)
    assert CHINESE_NAME not in shown
    assert str(data.stations["id"].iloc[1]) in shown  # the station whose name cannot be drawn shows its id
    assert "City-level station" in shown
    figure.canvas.draw()


def test_no_pyplot_figure_is_left_open(data):
    render.render_figure(data, "en")
    pyplot = sys.modules.get("matplotlib.pyplot")
    assert pyplot is None or pyplot.get_fignums() == []


@pytest.mark.parametrize(
    ("width", "expected"),
    [(1000, 200), (999, 100), (1300, 250), (3700, 500), (6000, 1000), (12_000, 2000), (13_000, 2500), (3, 1)],
)
def test_scale_length_is_a_round_fifth(width, expected):
    assert render.scale_length(width) == expected


def test_bad_arguments_are_input_errors(data, tmp_path):
    with pytest.raises(InputError, match="language"):
        render.render_map(data, tmp_path / "map.png", lang="fr")
    with pytest.raises(InputError, match="dpi"):
        render.render_map(data, tmp_path / "map.png", dpi=0)
    with pytest.raises(InputError, match="Cannot write"):
        render.render_map(data, tmp_path / "missing" / "map.png")
    assert list(tmp_path.iterdir()) == []


def test_a_failing_render_leaves_the_existing_file_unchanged(data, tmp_path, monkeypatch):
    out = tmp_path / "map.png"
    out.write_bytes(b"the previous map")

    def broken_savefig(self, fname, **kwargs):
        with open(fname, "wb") as handle:
            handle.write(b"half a PNG")
        raise RuntimeError("disk full")

    monkeypatch.setattr(Figure, "savefig", broken_savefig)
    with pytest.raises(RuntimeError, match="disk full"):
        render.render_map(data, out)
    assert out.read_bytes() == b"the previous map"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.png"]


def test_write_export_png_uses_the_renderer(data, tmp_path):
    (written,) = write_export(data, "png", tmp_path / "plan.png", lang="en")
    assert written == tmp_path / "plan.png"
    assert imread(written).shape[:2] == (round(render.FIGSIZE_IN[1] * 150), round(render.FIGSIZE_IN[0] * 150))
