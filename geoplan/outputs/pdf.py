"""PDF report of a scenario, in Chinese (default) or English, for planners to hand on.

The report holds a title block (scenario, area, date, key figures), the coverage map of
:func:`geoplan.outputs.png.render_map`, coverage per district and per worker group, the station list with addresses
and levels (市级 city-level / 区县级 district-level), the plan parameters and the optimiser's result with its
optimality gap, the data's caveats, and page numbers.

It is laid out with fpdf2, which embeds a subset of an OpenType font with CFF outlines (a ``CIDFontType0C``
font) and a ToUnicode map, so Debian's Noto Sans CJK SC (``fonts-noto-cjk``, a ``.ttc`` collection) is embedded
as it is and the Chinese text can be searched, copied and extracted (``pdftotext``).
"""

from __future__ import annotations

import datetime as dt
import math
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

from fpdf import FPDF
from fpdf.enums import Align, TableBordersLayout, WrapMode, XPos, YPos
from fpdf.fonts import FontFace as PdfStyle
from PIL import Image

from geoplan import i18n
from geoplan.files import check_target, write_atomic
from geoplan.outputs import png
from geoplan.outputs.descriptions import district_source_text, method_text
from geoplan.outputs.export_data import ExportData
from geoplan.outputs.fonts import NOTO_CJK_DIR, cjk_font
from geoplan.vocabulary import LANGUAGES

__all__ = [
    "FONT_FAMILY",
    "LANGUAGES",
    "ReportPDF",
    "close_fonts",
    "format_gap",
    "heading",
    "new_document",
    "palette_image",
    "table",
    "write_report",
]

#: Languages of the report.

#: Resolution (dots per inch) of the map image in the report.
MAP_DPI = 200

#: Size of the map in the report, inches: the page's text width and the height left on page 1.
MAP_SIZE_IN = (11.0, 10.0)

#: Page margin, mm (A4 portrait).
MARGIN_MM = 15.0

#: Family name the report's fonts are registered under in every document.
FONT_FAMILY = "report"
_HEADING_FILL = (232, 238, 244)
_ACCENT = (36, 113, 163)


class ReportPDF(FPDF):
    """FPDF with the report's running header and page-number footer."""

    def __init__(self, header_text: str, page_text: str, lang: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self._header_text = header_text
        self._page_text = page_text
        #: Chinese wraps between any two characters, English between words.
        self.wrap = WrapMode.CHAR if lang == "zh" else WrapMode.WORD

    def header(self) -> None:
        """Draw the running header (from page 2 on)."""
        if self.page_no() == 1:
            return
        self.set_font(FONT_FAMILY, size=8)
        self.set_text_color(110)
        self.set_y(8)
        self.cell(0, 5, self._header_text, align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(200)
        self.line(self.l_margin, 13.5, self.w - self.r_margin, 13.5)
        self.set_text_color(0)
        self.set_y(MARGIN_MM + 2)

    def footer(self) -> None:
        """Draw the page number."""
        self.set_y(-12)
        self.set_font(FONT_FAMILY, size=8)
        self.set_text_color(110)
        self.cell(0, 5, self._page_text.format(page=self.page_no(), nb=self.alias_nb_pages_text), align=Align.C)
        self.set_text_color(0)

    @property
    def alias_nb_pages_text(self) -> str:
        """The placeholder fpdf2 replaces with the page count when the document is closed."""
        return self.str_alias_nb_pages


def new_document(header_text: str, lang: str, title: str) -> ReportPDF:
    """Return an A4 report document with the report's fonts, margins, running header and page numbers.

    Parameters
    ----------
    header_text : str
        Running header from page 2 on.
    lang : {"zh", "en"}
        Language of the document (its page numbers and where lines wrap).
    title : str
        Document title (metadata).

    Returns
    -------
    ReportPDF
        Close it with :func:`close_fonts` once written.

    Raises
    ------
    InputError
        The CJK font (Debian package ``fonts-noto-cjk``) is not installed.
    """
    regular, bold = cjk_font(), cjk_font(bold=True)
    if regular is None:
        raise i18n.input_error("pdf_needs_fonts", folder=str(NOTO_CJK_DIR))
    pdf = ReportPDF(header_text, i18n.text("pdf", "page", lang), lang)
    pdf.add_font(FONT_FAMILY, "", str(regular.path), collection_font_number=regular.index)
    bold = bold or regular
    pdf.add_font(FONT_FAMILY, "B", str(bold.path), collection_font_number=bold.index)
    pdf.set_title(title)
    pdf.set_author("geoplan")
    pdf.set_creator("geoplan")
    pdf.set_lang("zh-CN" if lang == "zh" else "en")
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_auto_page_break(True, margin=16)
    return pdf


def format_gap(gap: object) -> str:
    """Format an optimality gap as a percentage with two decimals ("—" when unknown).

    Parameters
    ----------
    gap : float or None
        Relative gap (0.0123 is 1.23 %).

    Returns
    -------
    str
    """
    if not isinstance(gap, int | float) or isinstance(gap, bool) or math.isnan(gap):
        return "—"
    if math.isinf(gap):
        return "∞"
    return f"{max(float(gap), 0.0):.2%}"


def write_report(data: ExportData, out: Path, lang: str = "zh") -> Path:
    """Write the scenario's PDF report.

    The map is rendered with :func:`geoplan.outputs.png.render_map` to a temporary PNG; the PDF is written to a
    temporary
    file beside ``out`` and moved into place, so a failed report leaves an existing ``out`` as it was.

    Parameters
    ----------
    data : ExportData
        The scenario's data (see :mod:`geoplan.scenario_export`).
    out : pathlib.Path
        PDF file to write; its folder must exist.
    lang : {"zh", "en"}
        Language of the report. Names from the data (districts, stations, addresses) are shown as they are.

    Returns
    -------
    pathlib.Path
        ``out``.

    Raises
    ------
    InputError
        Unknown ``lang``, the CJK font (Debian package ``fonts-noto-cjk``) is not installed, or ``out``'s folder
        cannot be written.
    """
    lang = i18n.check_lang(lang)
    text = i18n.entries("pdf", lang)
    out = check_target(out)
    with tempfile.TemporaryDirectory(prefix="geoplan-report-") as folder:
        map_png = png.render_map(data, Path(folder) / "map.png", lang=lang, dpi=MAP_DPI, size_in=MAP_SIZE_IN)
        pdf = new_document(f"{text['report']} · {data.name}", lang, f"{text['report']}: {data.name}")
        try:
            pdf.set_subject(data.area.spec.title_in(lang))
            pdf.set_creation_date(data.exported_at)
            pdf.add_page()
            _title_block(pdf, data, text, lang)
            heading(pdf, text["map"])
            pdf.image(palette_image(map_png), x=MARGIN_MM, w=pdf.epw)
            pdf.add_page()
            _district_table(pdf, data, text)
            _group_table(pdf, data, text, lang)
            _station_table(pdf, data, text, lang)
            if data.capacity is not None:
                _capacity_table(pdf, data, text)
            _parameters(pdf, data, text, lang)
            _result(pdf, data, text, lang)
            _notes(pdf, data, text, lang)
            write_atomic(out, lambda tmp: pdf.output(str(tmp)))
        finally:
            close_fonts(pdf)
    return out


# --- blocks ----------------------------------------------------------------------------------------------------------


def close_fonts(pdf: FPDF) -> None:
    """Close the font files fpdf2 opened (it reads them lazily and never closes them)."""
    for font in pdf.fonts.values():
        ttfont = getattr(font, "ttfont", None)
        if ttfont is not None:
            ttfont.close()


def _title_block(pdf: ReportPDF, data: ExportData, text: Mapping[str, str], lang: str) -> None:
    pdf.set_font(FONT_FAMILY, size=10)
    pdf.set_text_color(*_ACCENT)
    pdf.cell(0, 6, text["report"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0)
    pdf.set_font(FONT_FAMILY, "B", size=20)
    title = data.name or text["unnamed"]
    pdf.multi_cell(0, 10, title, wrapmode=_wrap(title), new_x=XPos.LMARGIN)
    pdf.ln(1)
    stations = data.stations
    city = int((stations["level"] == "city").sum()) if len(stations) else 0
    workers = data.workers or {}
    total, covered = float(workers.get("total", 0.0)), float(workers.get("covered", 0.0))
    share = float(workers.get("share", covered / total if total else 0.0))
    rows = [
        (text["area"], data.area.spec.title_in(lang)),
        *([(text["scenario_id"], str(data.scenario_id))] if data.scenario_id is not None else []),
        (text["date"], _local_time(data, lang)),
        (text["stations"], text["stations_value"].format(n=len(stations), city=city, district=len(stations) - city)),
        (text["workers"], i18n.format_count(total, lang)),
        (text["covered"], i18n.format_count(covered, lang)),
        (text["share"], f"{share:.1%}"),
        *([(text["served"], f"{i18n.format_count(workers.get('served'), lang)} ({workers.get('served_share', 0):.1%})")]
          if data.capacity is not None else []),
        (text["service"], text["service_value"].format(minutes=data.minutes)),
    ]
    pdf.set_font(FONT_FAMILY, size=9.5)
    with pdf.table(
        col_widths=(32, 68), borders_layout=TableBordersLayout.NONE, first_row_as_headings=False, line_height=5.2,
        text_align=(Align.L, Align.L), wrapmode=pdf.wrap, padding=(0.6, 1.5),
    ) as table:  # fmt: skip
        for key, value in rows:
            row = table.row()
            row.cell(key, style=PdfStyle(color=(90, 90, 90)))
            row.cell(value)
    pdf.ln(3)


def palette_image(png: Path | IO[bytes]) -> Image.Image:
    """Return the map as a 256-colour image: a fifth of the bytes, no visible change (the map has few colours)."""
    with Image.open(png) as image:
        return image.convert("RGB").quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)


def heading(pdf: ReportPDF, title: str, keep_mm: float = 24.0) -> None:
    """Start a section; a new page first unless the heading and ``keep_mm`` of what follows fit on this one."""
    if pdf.will_page_break(11 + keep_mm):
        pdf.add_page()
    pdf.ln(2)
    pdf.set_font(FONT_FAMILY, "B", size=13)
    pdf.set_text_color(*_ACCENT)
    pdf.cell(0, 8, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0)
    pdf.set_font(FONT_FAMILY, size=9)
    pdf.ln(1)


def table(
    pdf: ReportPDF, headings: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float],
    align: Sequence[str], bold_last: bool = False, size: float = 9,
) -> None:  # fmt: skip
    """Draw a table with a shaded heading row repeated on every page (the last row bold when ``bold_last``)."""
    pdf.set_font(FONT_FAMILY, size=size)
    with pdf.table(
        col_widths=tuple(widths), text_align=tuple(Align.coerce(a) for a in align), line_height=0.6 * size,
        borders_layout=TableBordersLayout.HORIZONTAL_LINES, wrapmode=pdf.wrap, padding=(0.8, 1.5),
        headings_style=PdfStyle(emphasis="BOLD", fill_color=_HEADING_FILL), repeat_headings=1,
    ) as table:  # fmt: skip
        table.row(list(headings))
        for number, cells in enumerate(rows):
            style = PdfStyle(emphasis="BOLD") if bold_last and number == len(rows) - 1 else None
            table.row([str(cell) for cell in cells], style=style)
    pdf.ln(2)


def _district_table(pdf: ReportPDF, data: ExportData, text: Mapping[str, str]) -> None:
    heading(pdf, text["by_district"])
    frame = data.by_district
    served = data.capacity is not None
    rows = [[str(name), *_figures(row), f"{int(row['stations'])}", *_served(row, served)]
            for name, row in frame.iterrows()]  # fmt: skip
    rows.append(_total_row(frame, text, with_stations=True))
    headings = [text["district"], text["col_workers"], text["col_covered"], text["share"], text["station_count"]]
    if served:
        headings.append(text["col_served"])
    widths = (34, 20, 24, 12, 10, 24) if served else (34, 20, 24, 12, 10)
    table(pdf, headings, rows, widths[: len(headings)], ("L", "R", "R", "R", "R", "R")[: len(headings)],
          bold_last=True)  # fmt: skip


def _group_table(pdf: ReportPDF, data: ExportData, text: Mapping[str, str], lang: str) -> None:
    heading(pdf, text["by_group"])
    frame = data.by_group
    served = data.capacity is not None
    rows = [[_capitalised(i18n.group_name(str(key), lang)), *_figures(row), *_served(row, served)]
            for key, row in frame.iterrows()]  # fmt: skip
    rows.append(_total_row(frame, text, with_stations=False))
    headings = [text["group"], text["col_workers"], text["col_covered"], text["share"]]
    if served:
        headings.append(text["col_served"])
    widths = (44, 20, 24, 12, 24) if served else (44, 20, 24, 12)
    table(pdf, headings, rows, widths, ("L", "R", "R", "R", "R")[: len(headings)], bold_last=True)


def _total_row(frame, text: Mapping[str, str], with_stations: bool) -> list[str]:
    workers, covered = float(frame["workers"].sum()), float(frame["covered"].sum())
    row = [text["total"], _count(workers), _count(covered), _share(covered / workers if workers else 0.0)]
    row = [*row, f"{int(frame['stations'].sum())}"] if with_stations else row
    if "served" in frame.columns:
        served = float(frame["served"].sum())
        row.append(f"{_count(served)} ({_share(served / workers if workers else 0.0)})")
    return row


def _served(row, capacitated: bool) -> list[str]:
    """Return the served cell of a capacitated scenario's coverage row: workers served within capacity, share."""
    if not capacitated:
        return []
    return [f"{_count(row['served'])} ({_share(row['served_share'])})"]


def _capacity_table(pdf: ReportPDF, data: ExportData, text: Mapping[str, str]) -> None:
    """Each station's floor area, capacity, load in its busiest window and utilisation; what the numbers mean."""
    heading(pdf, text["capacity"])
    rows = [
        [str(station.id), station.name or text["none"], f"{station.size_m2:g} m²", _count(station.capacity),
         f"{_count(station.peak_load)} / {_count(station.capacity_per_hour)}", station.peak_window or text["none"],
         _share(station.utilisation)]
        for station in data.stations.itertuples(index=False)
    ]  # fmt: skip
    headings = [text["id"], text["name"], text["col_area"], text["col_capacity"], text["col_peak_load"],
                text["col_peak_window"], text["col_utilisation"]]  # fmt: skip
    table(pdf, headings, rows, (6, 24, 12, 12, 20, 16, 10), ("R", "L", "R", "R", "R", "L", "R"), size=8)
    note = text["capacity_note"].format(density=f"{data.capacity.get('people_per_m2', 0):g}")
    pdf.set_font(FONT_FAMILY, size=8.5)
    pdf.set_text_color(90)
    pdf.multi_cell(0, 4.8, note, wrapmode=_wrap(note), align=Align.L, new_x=XPos.LMARGIN)
    pdf.set_text_color(0)


def _station_table(pdf: ReportPDF, data: ExportData, text: Mapping[str, str], lang: str) -> None:
    heading(pdf, text["station_list"])
    rows = []
    for station in data.stations.itertuples(index=False):
        rows.append(
            [
                str(station.id),
                station.name or text["none"],
                text["city"] if station.level == "city" else text["district_level"],
                i18n.text("label", f"status_{station.status}", lang),
                station.district or text["none"],
                station.address or text["none"],
                station.hours or text["none"],
                _count(station.covered_workers),
            ]
        )
    headings = [text[key] for key in ("id", "name", "level", "status", "district", "address", "hours")]
    headings.append(text["covered_workers"])
    widths = (6, 21, 16, 13, 19, 21, 16, 12)
    table(pdf, headings, rows, widths, ("R", "L", "L", "L", "L", "L", "L", "R"), size=8)


def _parameters(pdf: ReportPDF, data: ExportData, text: Mapping[str, str], lang: str) -> None:
    if not data.params:
        return
    heading(pdf, text["params"], keep_mm=6.5 * (len(data.params) + 1))
    names = i18n.entries("param", lang)
    order = {key: number for number, key in enumerate(names)}
    keys = sorted(data.params, key=lambda key: (order.get(key, len(order)), key))
    rows = [[names.get(key, key), _value(data.params[key], text, lang)] for key in keys]
    table(pdf, [text["param"], text["value"]], rows, (60, 40), ("L", "L"))


def _result(pdf: ReportPDF, data: ExportData, text: Mapping[str, str], lang: str) -> None:
    result = data.result or {}
    heading(pdf, text["result"], keep_mm=6.5 * 7 + 10 if result else 12)
    if not result:
        pdf.multi_cell(0, 5.5, text["no_result"], wrapmode=_wrap(text["no_result"]), align=Align.L, new_x=XPos.LMARGIN)
        return
    rows = [
        [text["objective"], _number(result.get("objective"), text)],
        [text["bound"], _number(result.get("bound"), text)],
        [text["gap"], format_gap(result.get("gap"))],
        [text["solver_status"], i18n.status_text(result["status"], lang)[0] if result.get("status") else text["none"]],
        [text["method"], method_text(result.get("method"), lang) or text["none"]],
    ]
    if result.get("seconds") is not None:
        rows.append([text["seconds"], _number(result["seconds"], text)])
    table(pdf, [text["param"], text["value"]], rows, (60, 40), ("L", "L"))
    pdf.set_font(FONT_FAMILY, size=8.5)
    pdf.set_text_color(90)
    status_note = i18n.status_text(result.get("status"), lang, result.get("gap"))[1] if result.get("status") else ""
    for note in filter(None, (status_note, text["gap_note"])):
        pdf.multi_cell(0, 4.8, note, wrapmode=_wrap(note), align=Align.L, new_x=XPos.LMARGIN)
    pdf.set_text_color(0)


def _notes(pdf: ReportPDF, data: ExportData, text: Mapping[str, str], lang: str) -> None:
    area = data.area
    source = district_source_text(area.district_source, lang)
    notes = [text["district_source"].format(source=source), text["demand_note"], *area.notes_in(lang)]
    heading(pdf, text["notes"])
    pdf.set_font(FONT_FAMILY, size=9)
    for note in notes:
        pdf.multi_cell(0, 5.2, f"• {note}", wrapmode=_wrap(note), align=Align.L, new_x=XPos.LMARGIN)
        pdf.ln(0.8)


# --- formatting ------------------------------------------------------------------------------------------------------


def _figures(row) -> list[str]:
    """Workers, covered workers and share of a coverage row (no share where there is no worker)."""
    share = _share(row["share"]) if _float(row["workers"]) else "—"
    return [_count(row["workers"]), _count(row["covered"]), share]


def _capitalised(name: str) -> str:
    return name[:1].upper() + name[1:]


def _wrap(text: str) -> WrapMode:
    """Wrap Chinese text between any two characters, text with no CJK character between words."""
    return WrapMode.CHAR if any(ord(char) >= 0x2E80 for char in text) else WrapMode.WORD


def _local_time(data: ExportData, lang: str) -> str:
    """Return the export time on the area's clocks, the zone shown (``2026-12-02 18:05（北京时间）``)."""
    return i18n.format_time(data.exported_at or dt.datetime.now(dt.UTC), lang, data.area.spec.timezone)


def _count(value: object, lang: str = "zh") -> str:
    return i18n.format_count(_float(value), lang)


def _share(value: object) -> str:
    number = _float(value)
    return "—" if number is None else f"{number:.1%}"


def _number(value: object, text: Mapping[str, str]) -> str:
    number = _float(value)
    return text["none"] if number is None else f"{number:,.4g}" if abs(number) < 1e4 else f"{number:,.0f}"


def _value(value: object, text: Mapping[str, str], lang: str = "zh") -> str:
    """Return a plan parameter's value for people: yes/no in ``lang``, worker groups by their names."""
    if value is None:
        return text["none"]
    if isinstance(value, bool):
        return i18n.text("label", "yes" if value else "no", lang)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, Mapping):
        pairs = (f"{i18n.group_name(str(key), lang)}={_value(item, text, lang)}" for key, item in value.items())
        return ", ".join(pairs) or text["none"]
    if isinstance(value, list | tuple):
        return ", ".join(_value(item, text, lang) for item in value) or text["none"]
    return str(value)


def _float(value: object) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number
