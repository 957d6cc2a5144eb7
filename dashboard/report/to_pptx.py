"""The QBR as a PowerPoint deck (python-pptx): a title slide, then one slide per section.

Each slide has the section's charts as pictures, its table as a native table (so numbers can
be copied), the section's note in a box and, with the metric definitions, in the speaker notes.
"""
from __future__ import annotations

from io import BytesIO

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_AUTO_SIZE
from pptx.util import Emu, Inches, Pt

from dashboard.core.periods import quarter_label
from dashboard.report.model import Report, Section, Table

WIDE, TALL = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.45)
GREY = RGBColor(0x6E, 0x75, 0x80)
TEXT = RGBColor(0x1F, 0x26, 0x33)
HEADER_FILL = RGBColor(0xF1, 0xF3, 0xF5)
FILL = {
    "on": RGBColor(0xD3, 0xF9, 0xD8), "near": RGBColor(0xFF, 0xEC, 0x99), "off": RGBColor(0xFF, 0xC9, 0xC9),
    "better": RGBColor(0xD3, 0xF9, 0xD8), "worse": RGBColor(0xFF, 0xC9, 0xC9),
}


def _text(slide, text: str, left, top, width, height, size: float, *, bold: bool = False, color=TEXT) -> None:
    box = slide.shapes.add_textbox(left, top, width, height)
    frame = box.text_frame
    frame.word_wrap = True
    for k, line in enumerate(text.splitlines() or [""]):
        paragraph = frame.paragraphs[0] if k == 0 else frame.add_paragraph()
        run = paragraph.add_run()
        run.text = line
        run.font.size, run.font.bold, run.font.color.rgb = Pt(size), bold, color


def _table(slide, table: Table, left, top, width, row_height, size: float) -> int:
    """A native table; returns its height."""
    rows = table.rows or [["–"] + [""] * (len(table.columns) - 1)]
    shape = slide.shapes.add_table(len(rows) + 1, len(table.columns), left, top, width, row_height * (len(rows) + 1))
    grid = shape.table
    for k, share in enumerate(table.shares()):
        grid.columns[k].width = Emu(int(width * share))
    tones = table.tones or [None] * len(rows)
    for r, row in enumerate([table.columns, *rows]):
        grid.rows[r].height = row_height
        for c, value in enumerate(row):
            cell = grid.cell(r, c)
            cell.text = str(value)
            cell.margin_top = cell.margin_bottom = Pt(1)
            font = cell.text_frame.paragraphs[0].runs[0].font if cell.text_frame.paragraphs[0].runs else None
            if font is not None:
                font.size, font.bold = Pt(size), r == 0
                font.color.rgb = GREY if r == 0 else TEXT
            cell.fill.solid()
            tone = tones[r - 1] if r else None
            cell.fill.fore_color.rgb = (
                HEADER_FILL if r == 0 else FILL[tone] if tone in FILL and c == table.toned_column() else RGBColor(0xFF, 0xFF, 0xFF)
            )
    return row_height * (len(rows) + 1)


MIN_TABLE_PT = 7.0


def _fitted(table: Table, room: int, row_height: int, size: float) -> tuple[int, float]:
    """The row height and type size that fit the table's rows in `room`, never above the given
    ones: a scorecard of every metric is taller than a slide at the usual size."""
    rows = max(len(table.rows), 1) + 1
    if row_height * rows <= room:
        return row_height, size
    fitted = int(room // rows)
    return fitted, max(MIN_TABLE_PT, size * fitted / row_height)


def _section(deck, report: Report, section: Section, images: dict[str, bytes]) -> None:
    slide = deck.slides.add_slide(deck.slide_layouts[6])  # blank
    inner = WIDE - 2 * MARGIN
    _text(slide, f"{report.title} · {report.subtitle}", MARGIN, Inches(0.15), inner, Inches(0.3), 9, color=GREY)
    _text(slide, section.title, MARGIN, Inches(0.4), inner, Inches(0.5), 24, bold=True)
    top = Inches(1.0)
    if section.subtitle:
        _text(slide, section.subtitle, MARGIN, Inches(0.92), inner, Inches(0.3), 11, color=GREY)
        top = Inches(1.3)
    charts = [chart for chart in section.charts if chart.id in images][:2]
    if charts:
        gap = Inches(0.3)
        width = int((inner - gap) / 2)
        height = int(width * 360 / 640)
        for k, chart in enumerate(charts):
            slide.shapes.add_picture(BytesIO(images[chart.id]), MARGIN + k * (width + gap), top, width, height)
        top += height + Inches(0.1)
    tables = section.tables
    if section.id == "movers" and len(tables) >= 2:
        gap = Inches(0.3)
        width = int((inner - gap) / 2)
        heights = []
        for k, table in enumerate(tables[:2]):
            _text(slide, table.title, MARGIN + k * (width + gap), top, width, Inches(0.3), 12, bold=True)
            heights.append(_table(slide, table, MARGIN + k * (width + gap), top + Inches(0.35), width, Inches(0.32), 9.5))
        top += Inches(0.35) + max(heights) + Inches(0.15)
        tables = tables[2:]
    titled = len(section.tables) > 1
    for table in tables:
        dense = len(table.rows) > 8
        if titled:
            _text(slide, table.title, MARGIN, top, inner, Inches(0.3), 12, bold=True)
            top += Inches(0.35)
        row_height, size = _fitted(table, TALL - MARGIN - top, Inches(0.27 if dense else 0.3), 9.5 if dense else 10.5)
        top += _table(slide, table, MARGIN, top, inner, row_height, size)
        top += Inches(0.1)
    if section.note:
        # The box takes the rest of the slide and PowerPoint shrinks a long note to fit it; the
        # speaker notes always hold it in full.
        top = min(top, TALL - Inches(0.8))
        _text(slide, "Notes: " + section.note, MARGIN, top, inner, TALL - top - Inches(0.2), 11)
        slide.shapes[-1].text_frame.auto_size = MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE
    notes = slide.notes_slide.notes_text_frame
    notes.text = "\n".join([*([section.note, ""] if section.note else []), *section.footnotes])


def render(report: Report, images: dict[str, bytes] | None = None) -> bytes:
    """The deck's bytes: a title slide, then one slide per section, in the report's order."""
    deck = Presentation()
    deck.slide_width, deck.slide_height = WIDE, TALL
    title = deck.slides.add_slide(deck.slide_layouts[6])
    _text(title, "Quarterly business review", MARGIN, Inches(2.0), WIDE - 2 * MARGIN, Inches(0.8), 36, bold=True)
    _text(title, f"{quarter_label(report.quarter)} · {report.scope_name}", MARGIN, Inches(2.9), WIDE - 2 * MARGIN,
          Inches(0.7), 28)
    _text(title, report.subtitle, MARGIN, Inches(3.8), WIDE - 2 * MARGIN, Inches(0.8), 14, color=GREY)
    deck.core_properties.title = report.title
    for section in report.sections:
        _section(deck, report, section, images or {})
    out = BytesIO()
    deck.save(out)
    return out.getvalue()
