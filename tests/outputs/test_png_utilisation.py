"""The static map of a capacitated scenario rings each station by its utilisation (as the HTML map does), with a
legend entry per band; the PDF report's map shows the rings too; a scenario without capacity is drawn as before."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess

import numpy as np
import pytest
import shapely
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from PIL import Image

from geoplan.outputs import pdf as report
from geoplan.outputs import png as render
from geoplan.outputs.export_data import CAPACITY_COLUMNS, ExportData

#: Utilisation of the five stations, by eye: each band and both edges of the orange band (70 % to full).
UTILISATION = [0.35, 0.69, 0.7, 0.9999, 1.0]
BANDS = ["low", "low", "high", "full", "full"]

#: Ring colours by band: the HTML map's (geoplan.outputs.utilisation).
RING_COLOURS = {"low": "#27ae60", "high": "#e67e22", "full": "#c0392b"}

LABELS = {
    "zh": ["站点利用率低于 70%", "站点利用率 70%–100%", "站点满员（达到容量）"],
    "en": ["Station utilisation below 70%", "Station utilisation 70–100%", "Station full (at capacity)"],
}

#: Around a station, points: outside its marker (a city station's is about 6.3 pt across with its white edge) and
#: within its ring.
RING_FROM_PT, RING_TO_PT = 6.5, 11.0


@pytest.fixture(scope="module")
def data(capacitated_data) -> ExportData:
    """The capacitated scenario's five stations with :data:`UTILISATION`."""
    stations = capacitated_data.stations.copy()
    assert len(stations) == len(UTILISATION)
    stations["utilisation"] = UTILISATION
    return dataclasses.replace(capacitated_data, stations=stations)


@pytest.fixture(scope="module")
def plain(capacitated_data) -> ExportData:
    """The same scenario without capacity: no capacity block, no capacity columns, no served workers."""
    served = ["served", "served_share"]
    return dataclasses.replace(
        capacitated_data, capacity=None, stations=capacitated_data.stations.drop(columns=list(CAPACITY_COLUMNS)),
        by_district=capacitated_data.by_district.drop(columns=served),
        by_group=capacitated_data.by_group.drop(columns=served),
        workers={key: value for key, value in capacitated_data.workers.items() if key not in served},
    )  # fmt: skip


def pixels(figure: Figure) -> np.ndarray:
    """The figure drawn: RGB, 0-255, row 0 at the top."""
    figure.canvas.draw()
    return np.asarray(figure.canvas.buffer_rgba())[..., :3].astype(int)


def centres(figure: Figure, data: ExportData, dpi: float) -> np.ndarray:
    """Each station's centre in an image of the figure at ``dpi``: (column, row)."""
    (axes,) = figure.findobj(lambda artist: artist.get_gid() == "map")
    xy = shapely.get_coordinates(data.stations.geometry.to_crs(data.area.crs).to_numpy())
    shown = axes.transData.transform(xy) * dpi / figure.dpi
    height = figure.get_figheight() * dpi
    return np.column_stack([shown[:, 0], height - shown[:, 1]])


def ring_pixels(image: np.ndarray, centre: np.ndarray, colour: str, dpi: float) -> int:
    """Count the pixels of ``colour`` (give or take 20 of 255) around a station, outside its marker, within its ring."""
    reach = int(np.ceil(RING_TO_PT * dpi / 72))
    column, row = np.round(centre).astype(int)
    window = image[row - reach : row + reach + 1, column - reach : column + reach + 1]
    rows, columns = np.mgrid[-reach : reach + 1, -reach : reach + 1]
    distance = np.hypot(columns + column - centre[0], rows + row - centre[1]) * 72 / dpi
    around = (distance > RING_FROM_PT) & (distance < RING_TO_PT)
    close = np.abs(window - np.array(to_rgb(colour)) * 255).max(axis=-1) <= 20
    return int((around & close).sum())


def check_rings(image: np.ndarray, before: np.ndarray, stations: np.ndarray, dpi: float) -> None:
    """Each station's ring has its band's colour: many more pixels of it around the station than before, and no
    other band's colour gains as many."""
    for centre, band in zip(stations, BANDS, strict=True):
        gains = {name: ring_pixels(image, centre, colour, dpi) - ring_pixels(before, centre, colour, dpi)
                 for name, colour in RING_COLOURS.items()}  # fmt: skip
        assert gains[band] >= 0.3 * 2 * np.pi * 8.0 * 2.4 * (dpi / 72) ** 2, (band, gains)  # 30 % of a ring
        assert max(gains, key=gains.get) == band, gains


def legend_labels(figure: Figure) -> list[str]:
    (legend,) = figure.findobj(lambda artist: artist.get_gid() == "legend")
    return [text.get_text() for text in legend.get_texts()]


def test_capacitated_map_rings_each_station_in_its_band_colour(data, plain):
    figure, before_figure = render.render_figure(data, "zh"), render.render_figure(plain, "zh")
    image, before = pixels(figure), pixels(before_figure)
    stations = centres(figure, data, figure.dpi)
    check_rings(image, before, stations, figure.dpi)

    # on the map, the rings are all that changed: every changed pixel is within a ring's reach of a station
    (axes,) = figure.findobj(lambda artist: artist.get_gid() == "map")
    box = axes.get_window_extent()
    rows, columns = np.nonzero(np.any(image != before, axis=-1))
    on_map = (columns >= box.x0) & (columns <= box.x1) & (image.shape[0] - rows >= box.y0)
    on_map &= image.shape[0] - rows <= box.y1
    assert on_map.sum() > 0
    reach = np.hypot(columns[on_map, None] - stations[None, :, 0], rows[on_map, None] - stations[None, :, 1])
    assert reach.min(axis=1).max() * 72 / figure.dpi <= RING_TO_PT + 1.0

    # the rings are one collection per band, at the stations of that band
    rings = figure.findobj(lambda artist: artist.get_gid() == "utilisation-ring")
    assert len(rings) == 3
    xy = shapely.get_coordinates(data.stations.geometry.to_crs(data.area.crs).to_numpy())
    band_of = {tuple(np.round(to_rgb(colour), 3)): band for band, colour in RING_COLOURS.items()}
    for ring in rings:
        (colour,) = {tuple(np.round(edge[:3], 3)) for edge in ring.get_edgecolors()}
        wanted = xy[np.array(BANDS) == band_of[colour]]
        assert sorted(map(tuple, np.asarray(ring.get_offsets()).tolist())) == sorted(map(tuple, wanted.tolist()))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_legend_has_an_entry_per_band(data, plain, lang):
    figure = render.render_figure(data, lang)
    if lang == "zh" and render.cjk_font() is None:
        lang = "en"  # the map falls back to English without a CJK font
    labels = legend_labels(figure)
    assert [label for label in labels if label in LABELS[lang]] == LABELS[lang]
    (legend,) = figure.findobj(lambda artist: artist.get_gid() == "legend")
    handles = {text.get_text(): handle for text, handle in zip(legend.get_texts(), legend.legend_handles, strict=True)}
    for label, band in zip(LABELS[lang], RING_COLOURS, strict=True):
        assert handles[label].get_markerfacecolor() == "none"
        assert to_rgb(handles[label].get_markeredgecolor()) == pytest.approx(to_rgb(RING_COLOURS[band]))
    assert not set(LABELS[lang]) & set(legend_labels(render.render_figure(plain, lang)))


def test_a_scenario_without_capacity_has_no_rings(plain):
    figure = render.render_figure(plain, "zh")
    assert figure.findobj(lambda artist: artist.get_gid() == "utilisation-ring") == []
    assert not set(LABELS["zh"]) & set(legend_labels(figure))


@pytest.fixture(scope="module")
def pdfimages() -> None:
    if shutil.which("pdfimages") is None or render.cjk_font() is None:
        pytest.skip("pdfimages or Noto Sans CJK missing: scripts/system-deps.sh installs them")


def map_image(pdf_path) -> np.ndarray:
    """The map on page 1 of a report, as RGB pixels."""
    prefix = pdf_path.with_suffix("")
    subprocess.run(["pdfimages", "-f", "1", "-l", "1", "-png", str(pdf_path), str(prefix)], check=True)
    (found,) = prefix.parent.glob(f"{prefix.name}-*.png")
    with Image.open(found) as image:
        return np.asarray(image.convert("RGB")).astype(int)


def test_pdf_report_map_shows_the_rings(pdfimages, data, plain, tmp_path):
    image = map_image(report.write_report(data, tmp_path / "capacitated.pdf", "zh"))
    before = map_image(report.write_report(plain, tmp_path / "plain.pdf", "zh"))
    width_in, height_in = report.MAP_SIZE_IN
    assert image.shape[:2] == before.shape[:2] == (round(height_in * report.MAP_DPI), round(width_in * report.MAP_DPI))
    figure = render.render_figure(data, "zh", size_in=report.MAP_SIZE_IN)
    check_rings(image, before, centres(figure, data, report.MAP_DPI), report.MAP_DPI)
