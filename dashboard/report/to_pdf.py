"""The QBR as a PDF (fpdf2): A4 landscape, one page per section.

Charts are PNG (fpdf2 ignores the clip paths of plotly's SVG). Text is set in DejaVu Sans when
the system has it (Debian's Chromium pulls it in), for the "≥", "±" and "–" the numbers use;
otherwise in the built-in Helvetica with those characters spelled out.
"""
from __future__ import annotations

from io import BytesIO
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from dashboard.report.model import Report, Section, Table

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
PAGE_W, PAGE_H, MARGIN = 297.0, 210.0, 12.0
CONTENT_W = PAGE_W - 2 * MARGIN
GREY = (110, 117, 128)
TEXT = (31, 38, 51)
FILL = {
    "on": (211, 249, 216), "near": (255, 236, 153), "off": (255, 201, 201),
    "better": (211, 249, 216), "worse": (255, 201, 201),
}
LATIN1 = {"≥": ">=", "≤": "<=", "±": "+/-", "–": "-", "—": "-", "·": "-", "…": "...", "’": "'"}


class _Pdf(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.set_auto_page_break(False)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.family = "Helvetica"
        for folder in FONT_DIRS:
            regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
            if regular.exists() and bold.exists():
                self.add_font("DejaVu", "", str(regular))
                self.add_font("DejaVu", "B", str(bold))
                self.family = "DejaVu"
                break

    def text_of(self, text: str) -> str:
        if self.family == "DejaVu":
            return text
        for char, spelled in LATIN1.items():
            text = text.replace(char, spelled)
        return text.encode("latin-1", "replace").decode("latin-1")

    def font(self, size: float, bold: bool = False, color: tuple[int, int, int] = TEXT) -> None:
        self.set_font(self.family, "B" if bold else "", size)
        self.set_text_color(*color)

    def write_block(self, text: str, size: float, *, bold: bool = False, color=TEXT, height: float | None = None,
                    width: float = CONTENT_W) -> None:
        self.font(size, bold, color)
        self.multi_cell(width, height or size * 0.45, self.text_of(text), new_x="LMARGIN", new_y="NEXT")


PADDING = 0.8
LINE = 0.52
"""A table row's line height per point of type, in mm; each row also has `PADDING` above and below."""
SMALLEST_TABLE_TYPE = 5.5


def _table_height(pdf: _Pdf, table: Table, width: float, size: float) -> float:
    """How tall `table` is set at `size`, its title included: each row as tall as its longest cell wraps."""
    pdf.font(size)
    widths = [w * width - 2 * PADDING for w in table.shares()]
    rows = [table.columns, *(table.rows or [["–"]])]
    lines = sum(max(len(pdf.multi_cell(w, size * LINE, pdf.text_of(text), dry_run=True, output="LINES"))
                    for w, text in zip(widths, row)) for row in rows)
    return 9 * 0.45 + lines * size * LINE + len(rows) * 2 * PADDING


def _fitted_size(pdf: _Pdf, table: Table, width: float, room: float, largest: float) -> float:
    """The largest type, from `largest` down to `SMALLEST_TABLE_TYPE`, at which the table fits in
    `room` mm, so a long scorecard shrinks instead of running off its page."""
    size = largest
    while size > SMALLEST_TABLE_TYPE and _table_height(pdf, table, width, size) > room:
        size -= 0.25
    return size


def _table(pdf: _Pdf, table: Table, x: float, width: float, size: float = 8) -> None:
    pdf.set_xy(x, pdf.get_y())
    pdf.write_block(table.title, 9, bold=True, width=width)
    pdf.set_x(x)
    pdf.font(size)
    widths = table.shares()
    with pdf.table(
        col_widths=[w * width for w in widths], width=width, align="LEFT", text_align="LEFT", line_height=size * LINE,
        headings_style=FontFace(emphasis="BOLD", color=GREY, fill_color=(241, 243, 245)), padding=PADDING,
        borders_layout="HORIZONTAL_LINES",
    ) as grid:
        header = grid.row()
        for column in table.columns:
            header.cell(pdf.text_of(column))
        rows = table.rows or [["–"] + [""] * (len(table.columns) - 1)]
        tones = table.tones or [None] * len(rows)
        for row, tone in zip(rows, tones):
            line = grid.row()
            for k, text in enumerate(row):
                fill = FILL.get(tone) if k == table.toned_column() else None
                line.cell(pdf.text_of(text), style=FontFace(fill_color=fill or (255, 255, 255)))
    pdf.ln(3)


def _section(pdf: _Pdf, report: Report, section: Section, images: dict[str, bytes]) -> None:
    pdf.add_page()
    pdf.set_xy(MARGIN, 8)
    pdf.write_block(f"{report.title}  ·  {report.subtitle}", 7, color=GREY)
    pdf.ln(1)
    pdf.write_block(section.title, 15, bold=True, height=7)
    if section.subtitle:
        pdf.write_block(section.subtitle, 8.5, color=GREY)
    pdf.ln(2)
    charts = [chart for chart in section.charts if chart.id in images]
    if charts:
        top, gap = pdf.get_y(), 6.0
        width = (CONTENT_W - gap) / 2
        height = width * 360 / 640
        for k, chart in enumerate(charts[:2]):
            pdf.image(BytesIO(images[chart.id]), x=MARGIN + k * (width + gap), y=top, w=width, h=height)
        pdf.set_y(top + height + 2)
    tables = section.tables
    if section.id == "movers" and len(tables) >= 2:
        top, gap = pdf.get_y(), 6.0
        width = (CONTENT_W - gap) / 2
        bottoms = []
        for k, table in enumerate(tables[:2]):
            pdf.set_y(top)
            _table(pdf, table, MARGIN + k * (width + gap), width)
            bottoms.append(pdf.get_y())
        pdf.set_y(max(bottoms))
        tables = tables[2:]
    footnotes = "  ".join(section.footnotes)
    reserved = _height(pdf, footnotes, 6.2, 2.9) + 1.5 if footnotes else 0
    for n, table in enumerate(tables):
        room = (PAGE_H - MARGIN - pdf.get_y() - reserved) / (len(tables) - n) - 3
        _table(pdf, table, MARGIN, CONTENT_W,
               size=_fitted_size(pdf, table, CONTENT_W, room, 7.5 if len(table.rows) > 12 else 8))
    pdf.set_x(MARGIN)
    if section.note:
        pdf.write_block("Notes", 9, bold=True)
        _fitted_note(pdf, section.note, PAGE_H - MARGIN - pdf.get_y() - reserved)
    if footnotes:
        pdf.ln(1.5)
        pdf.write_block(footnotes, 6.2, color=GREY, height=2.9)


def _height(pdf: _Pdf, text: str, size: float, line: float) -> float:
    pdf.font(size)
    return len(pdf.multi_cell(CONTENT_W, line, pdf.text_of(text), dry_run=True, output="LINES")) * line


def _fitted_note(pdf: _Pdf, note: str, room: float) -> None:
    """The section's note in the room left on its page: smaller type for a long note, and cut
    (with a pointer to the Markdown and the deck's speaker notes) only if even that is too long,
    so a section never spills onto a second page."""
    for size in (9, 8, 7, 6):
        line = size * 0.47
        if _height(pdf, note, size, line) <= room:
            pdf.write_block(note, size, height=line)
            return
    line = 6 * 0.47
    lines = pdf.multi_cell(CONTENT_W, line, pdf.text_of(note), dry_run=True, output="LINES")
    keep = max(int(room // line) - 1, 0)
    pdf.write_block(" ".join(lines[:keep]) + " … (the full note is in the Markdown and the deck's speaker notes)",
                    6, height=line)


def render(report: Report, images: dict[str, bytes] | None = None) -> bytes:
    """The PDF's bytes: one page per section, in the report's order."""
    pdf = _Pdf()
    pdf.set_title(report.title)
    pdf.set_creator("Product Ops Health")
    for section in report.sections:
        _section(pdf, report, section, images or {})
    return bytes(pdf.output())
