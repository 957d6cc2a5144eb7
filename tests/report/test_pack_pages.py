"""The QBR pack as its reader sees it: the PDF and the PowerPoint deck that the QBR page offers for
download, and the ones `python -m dashboard report` writes, are the same content, and every page
and slide of each is rendered to PNG and kept in tests/artifacts/qbr-pack/ for a person to look at.

The charts are the point. The page runs inside Streamlit, whose plotly theme becomes every
figure's default, and once cut the axis labels off the page's exports while the command line's
were whole. So every chart image in all four files is checked for ink touching its edge (a
clipped tick label or axis title reaches the edge of the image), and every chart is checked to
sit inside its page or slide.

PDF pages go through poppler's `pdftoppm` (Debian's poppler-utils, which scripts/test.sh
installs). Slides go through LibreOffice (PPTX to PDF, then `pdftoppm`) where `soffice` is on
the PATH; the test command does not install it (about 300 MB), so elsewhere each slide is
composed with Pillow instead: its pictures pasted where the deck places them, its text boxes and
tables drawn as outlines. That sketch shows the layout, not PowerPoint's typesetting.

Building the four files takes about half a minute (the charts go through plotly.js in Chromium),
so each is built once for the module, and only on DuckDB: neither the rendering nor the layout
depends on the store, and tests/report/test_report.py checks the pack's numbers on both.
"""
from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from PIL import Image, ImageDraw, ImageFont
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pypdf import PdfReader

from dashboard import report
from dashboard.app import qbr_views
from dashboard.report import images
from dashboard.report.model import Report
from tests.app.test_pages import assert_clean, open_page
from tests.conftest import DEMO_TODAY, ROOT, page_file

pytestmark = pytest.mark.duckdb_only("the pack renders the same from either store, and building it four times takes half a minute")

ARTIFACTS = ROOT / "tests" / "artifacts" / "qbr-pack"
FORMATS = ("pdf", "pptx")
SOURCES = ("page", "cli")
INK = 200
"""A pixel with any channel below this is ink: text, a line, a marker (plotly's white grid lines
and the white paper are not)."""
EDGE = 1
"""How near an edge, in pixels, ink counts as touching it: the outermost row or column only. A
label cut by the image's border is cut mid-stroke, so its ink fills the border's own pixels; the
pack's chart titles are set flush left (x = 0) and a whole one's first glyph begins in the second
column, so a wider band would flag every title."""
PAGE_EDGE = 4
"""On a page rendered at 80 dpi, 4 pixels are 1.3 mm: the paper's edge, where a printer cuts."""
SLIDE_PX = 1280


# ---------------------------------------------------------------------------------------------
# Building the four files


def demo_environment(demo_db: str) -> dict[str, str | None]:
    """What the `demo_env` fixture sets, for a module's worth of tests (None: unset)."""
    return {"PRODOPS_DB": demo_db, "PRODOPS_TODAY": DEMO_TODAY.isoformat(), "PRODOPS_CONFIG": None}


def start_command_line(fmt: str, out: Path, environment: dict[str, str | None]) -> subprocess.Popen:
    """`python -m dashboard report` in a process of its own, as a user runs it: this process has
    imported Streamlit, whose plotly theme would otherwise be the command line's default too."""
    env = {**os.environ, **{name: value for name, value in environment.items() if value is not None}}
    for name in (name for name, value in environment.items() if value is None):
        env.pop(name, None)
    command = [sys.executable, "-m", "dashboard", "report", "--quarter", "2026Q3", "--format", fmt, "--out", str(out)]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish_command_line(process: subprocess.Popen, out: Path) -> bytes:
    _, err = process.communicate(timeout=300)
    assert process.returncode == 0, f"{' '.join(process.args[2:])} failed:\n{err}"
    return out.read_bytes()


def page_exports(environment: dict[str, str | None]) -> tuple[Report, dict[str, bytes]]:
    """The review the QBR page built and the files it offers after "Prepare the QBR pack", caught
    on their way out of `report.render_all` (the download buttons hold the same bytes)."""
    captured: dict[str, bytes] = {}
    reviews: list[Report] = []
    real = report.render_all

    def spy(made, formats=tuple(report.FORMATS)):
        reviews.append(made)
        captured.update(real(made, formats))
        return captured

    with pytest.MonkeyPatch.context() as patch:
        for name, value in environment.items():
            if value is None:
                patch.delenv(name, raising=False)
            else:
                patch.setenv(name, value)
        patch.setattr(report, "render_all", spy)
        qbr_views._qbr_files.clear()
        at = open_page(page_file("qbr.py"))
        at.button(key="qbr_prepare").click().run()
        assert_clean(at, "the QBR pack prepared")
    assert pio.templates.default == "streamlit", "the page's charts were not drawn under Streamlit's theme"
    return reviews[0], {fmt: captured[fmt] for fmt in FORMATS}


@pytest.fixture(scope="module")
def built(demo_db, tmp_path_factory) -> tuple[Report, dict[str, dict[str, bytes]]]:
    """The page's review, and {"page" | "cli": {"pdf" | "pptx": bytes}}: each file built once; the
    command line's two run in their own processes while the page builds its own."""
    folder = tmp_path_factory.mktemp("qbr-pack")
    environment = demo_environment(demo_db)
    running = {fmt: start_command_line(fmt, folder / f"cli.{fmt}", environment) for fmt in FORMATS}
    try:
        review, page = page_exports(environment)
        cli = {fmt: finish_command_line(process, folder / f"cli.{fmt}") for fmt, process in running.items()}
    finally:
        for process in running.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    return review, {"page": page, "cli": cli}


@pytest.fixture(scope="module")
def packs(built) -> dict[str, dict[str, bytes]]:
    return built[1]


@pytest.fixture(scope="module")
def page_review(built) -> Report:
    """The review as the QBR page built it: its figures drawn under Streamlit's theme."""
    return built[0]


@pytest.fixture(scope="module")
def artifacts() -> Path:
    """tests/artifacts/qbr-pack/, emptied of an earlier run's pictures (a shorter pack leaves none behind)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    return ARTIFACTS


# ---------------------------------------------------------------------------------------------
# Reading the files back


def pdf_pages(data: bytes):
    return PdfReader(io.BytesIO(data)).pages


def slides(data: bytes):
    deck = Presentation(io.BytesIO(data))
    return deck, list(deck.slides)


def digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:16]


def pdf_page_images(page) -> list[tuple[str, tuple[int, int], str]]:
    """Each image on a PDF page as its name, size and a digest of its decoded pixels."""
    return [(image.name, image.image.size, digest(image.image.tobytes())) for image in page.images]


def slide_texts(slide) -> list[str]:
    """Every text a slide carries: its text boxes, every table cell and the speaker notes."""
    texts = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            texts.append(shape.text_frame.text)
        if shape.has_table:
            texts += [cell.text for row in shape.table.rows for cell in row.cells]
    if slide.has_notes_slide:
        texts.append(slide.notes_slide.notes_text_frame.text)
    return texts


def slide_pictures(slide) -> list:
    return [shape for shape in slide.shapes if shape.shape_type == MSO_SHAPE_TYPE.PICTURE]


def as_rgb(image: Image.Image) -> Image.Image:
    """The image as seen on a white page: transparency flattened onto white."""
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", image.size, "white"), image).convert("RGB")
    return image.convert("RGB")


def chart_images(fmt: str, data: bytes) -> list[tuple[str, Image.Image]]:
    """Every chart image embedded in a PDF or a deck, each with where it is, for messages."""
    if fmt == "pdf":
        return [(f"page {n} {image.name}", image.image) for n, page in enumerate(pdf_pages(data), 1) for image in page.images]
    _, found = slides(data)
    return [(f"slide {n} {shape.name}", Image.open(io.BytesIO(shape.image.blob)))
            for n, slide in enumerate(found, 1) for shape in slide_pictures(slide)]


# ---------------------------------------------------------------------------------------------
# The checks


def ink_edges(image: Image.Image, edge: int = EDGE) -> set[str]:
    """The edges of an image that ink touches (within `edge` pixels). A tick label or axis title
    cut off by the image's border leaves ink against it; a chart drawn whole does not."""
    dark = (np.asarray(as_rgb(image)) < INK).any(axis=2)
    bands = {"left": dark[:, :edge], "right": dark[:, -edge:], "top": dark[:edge, :], "bottom": dark[-edge:, :]}
    return {name for name, band in bands.items() if band.any()}


Box = tuple[float, float, float, float]


def _times(first: list[float], then: list[float]) -> list[float]:
    """PDF matrices [a b c d e f]: `first` applied, then `then` (the `cm` operator's order)."""
    a, b, c, d, e, f = first
    A, B, C, D, E, F = then
    return [a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F]


def image_boxes(page) -> dict[str, Box]:
    """Where each image is drawn on a PDF page, in points (x0, y0, x1, y1): an image fills the
    unit square of the transformation matrix in force at its `Do`."""
    xobjects = page["/Resources"].get("/XObject", {})
    matrix, saved, boxes = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0], [], {}
    for operands, operator in page.get_contents().operations:
        if operator == b"q":
            saved.append(matrix)
        elif operator == b"Q":
            matrix = saved.pop()
        elif operator == b"cm":
            matrix = _times([float(value) for value in operands], matrix)
        elif operator == b"Do" and xobjects[operands[0]].get_object()["/Subtype"] == "/Image":
            a, b, c, d, e, f = matrix
            xs, ys = [e, e + a, e + c, e + a + c], [f, f + b, f + d, f + b + d]
            boxes[str(operands[0])] = (min(xs), min(ys), max(xs), max(ys))
    return boxes


# ---------------------------------------------------------------------------------------------
# Rendering pages and slides to PNG


def pdftoppm() -> str:
    found = shutil.which("pdftoppm")
    if not found:
        pytest.fail("pdftoppm is not installed: it comes with Debian's poppler-utils "
                    "(`apt-get install poppler-utils`; scripts/test.sh installs it)")
    return found


def pdf_to_pngs(pdf: Path, folder: Path) -> list[Path]:
    """Every page of a PDF as a PNG at 80 dpi, in page order."""
    stem = folder / pdf.stem
    subprocess.run([pdftoppm(), "-r", "80", "-png", str(pdf), str(stem)], check=True, capture_output=True, timeout=120)
    return sorted(folder.glob(f"{pdf.stem}-*.png"), key=lambda path: int(path.stem.rsplit("-", 1)[1]))


def office() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def slides_through_office(deck: Path, folder: Path) -> list[Path]:
    """LibreOffice's own rendering of every slide: the deck converted to PDF, then `pdftoppm`.
    A profile of its own keeps it clear of any LibreOffice the user has open."""
    profile = (folder / "office-profile").as_uri()
    subprocess.run([office(), f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(folder), str(deck)], check=True, capture_output=True, timeout=300)
    return pdf_to_pngs(folder / f"{deck.stem}.pdf", folder)


def sketch_slide(slide, width: int, height: int) -> Image.Image:
    """A slide composed with Pillow: each picture at its place and size, each text box and table
    as an outline with its first line of text. Positions are the deck's own; typesetting is not."""
    scale = SLIDE_PX / width
    canvas = Image.new("RGB", (SLIDE_PX, round(height * scale)), "white")
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(size=11)
    for shape in slide.shapes:
        box = [round(value * scale) for value in (shape.left, shape.top, shape.left + shape.width, shape.top + shape.height)]
        if shape.shape_type == MSO_SHAPE_TYPE.PICTURE:
            picture = as_rgb(Image.open(io.BytesIO(shape.image.blob))).resize((box[2] - box[0], box[3] - box[1]), Image.LANCZOS)
            canvas.paste(picture, box[:2])
            continue
        draw.rectangle(box, outline=(80, 120, 200) if shape.has_table else (170, 170, 170))
        draw.text((box[0] + 3, box[1] + 2), fitted(first_line(shape), font, box[2] - box[0] - 6), fill=(60, 60, 60), font=font)
    return canvas


def fitted(text: str, font: ImageFont.FreeTypeFont, width: int) -> str:
    """The text shortened with "…" to fit the width: the sketch's cut, not the deck's."""
    if font.getlength(text) <= width:
        return text
    while text and font.getlength(text + "…") > width:
        text = text[:-1]
    return text + "…"


def first_line(shape) -> str:
    """A text box's first line, or a table's header row: enough to tell the shapes apart."""
    if shape.has_table:
        return " | ".join(cell.text for cell in shape.table.rows[0].cells)
    return shape.text_frame.text.split("\n")[0] if shape.has_text_frame else ""


def sketch_slides(data: bytes, folder: Path, stem: str) -> list[Path]:
    deck, found = slides(data)
    paths = []
    for n, slide in enumerate(found, 1):
        path = folder / f"{stem}-{n}.png"
        sketch_slide(slide, deck.slide_width, deck.slide_height).save(path)
        paths.append(path)
    return paths


def keep(pngs: list[Path], artifacts: Path, name: str) -> list[Path]:
    """Copy rendered pages to the artifacts folder as `<name>-NN.png`, numbered from 01."""
    kept = []
    for n, png in enumerate(pngs, 1):
        target = artifacts / f"{name}-{n:02}.png"
        shutil.copyfile(png, target)
        kept.append(target)
    return kept


@pytest.fixture(scope="module")
def pdf_pngs(packs, artifacts, tmp_path_factory) -> dict[str, list[Path]]:
    """Every page of both PDFs at 80 dpi, kept as tests/artifacts/qbr-pack/{page|cli}-pdf-page-NN.png."""
    rendered = {}
    for source in SOURCES:
        folder = tmp_path_factory.mktemp(f"{source}-pdf")
        pdf = folder / f"{source}.pdf"
        pdf.write_bytes(packs[source]["pdf"])
        rendered[source] = keep(pdf_to_pngs(pdf, folder), artifacts, f"{source}-pdf-page")
    return rendered


@pytest.fixture(scope="module")
def slide_pngs(packs, artifacts, tmp_path_factory) -> dict[str, list[Path]]:
    """Every slide of both decks, kept as tests/artifacts/qbr-pack/{page|cli}-pptx-slide-NN.png:
    LibreOffice's rendering where it is installed, else the Pillow sketch (see the module's docstring)."""
    rendered = {}
    for source in SOURCES:
        folder = tmp_path_factory.mktemp(f"{source}-pptx")
        if office():
            deck = folder / f"{source}.pptx"
            deck.write_bytes(packs[source]["pptx"])
            pngs = slides_through_office(deck, folder)
        else:
            pngs = sketch_slides(packs[source]["pptx"], folder, source)
        rendered[source] = keep(pngs, artifacts, f"{source}-pptx-slide")
    return rendered


# ---------------------------------------------------------------------------------------------
# Tests


def test_the_page_and_the_command_line_write_the_same_pdf(packs):
    """Page by page, the same text and the same pixels in every image (the files' creation
    dates differ, so their bytes are never compared)."""
    page, cli = pdf_pages(packs["page"]["pdf"]), pdf_pages(packs["cli"]["pdf"])
    assert len(page) == len(cli)
    for n, (ours, theirs) in enumerate(zip(page, cli), 1):
        assert ours.extract_text() == theirs.extract_text(), f"page {n}: the text differs"
        assert pdf_page_images(ours) == pdf_page_images(theirs), f"page {n}: the chart images differ"


def test_the_page_and_the_command_line_write_the_same_deck(packs):
    """Slide by slide, the same texts (boxes, table cells, speaker notes) and the same pictures."""
    (page_deck, page), (cli_deck, cli) = slides(packs["page"]["pptx"]), slides(packs["cli"]["pptx"])
    assert (page_deck.slide_width, page_deck.slide_height) == (cli_deck.slide_width, cli_deck.slide_height)
    assert len(page) == len(cli)
    for n, (ours, theirs) in enumerate(zip(page, cli), 1):
        assert slide_texts(ours) == slide_texts(theirs), f"slide {n}: the text differs"
        assert [digest(p.image.blob) for p in slide_pictures(ours)] == [digest(p.image.blob) for p in slide_pictures(theirs)], \
            f"slide {n}: the pictures differ"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("source", SOURCES)
def test_every_chart_keeps_its_axis_labels_inside_the_image(packs, source, fmt):
    """No chart image in the file has ink against its border, where a cut-off label would be."""
    charts = chart_images(fmt, packs[source][fmt])
    assert charts, f"the {source}'s {fmt} has no chart images: the check would pass on nothing"
    touching = {where: sorted(edges) for where, image in charts if (edges := ink_edges(image))}
    assert not touching, f"the {source}'s {fmt}: ink against the image's edge (labels cut off?): {touching}"


def test_the_edge_check_finds_axis_labels_cut_off():
    """The check above can fail: a chart titled flush left as the pack's are passes, and the same
    chart with its left and bottom margins squeezed to 8 px (automargin off, so plotly does not
    widen them) has its y tick labels cut at the left edge and its x tick labels at the bottom."""
    whole = go.Figure(go.Scatter(x=["2026-07-01", "2026-08-01", "2026-09-01"], y=[0.62, 0.71, 0.68], name="Q3 2026"))
    whole.update_layout(title=dict(text="<b>Ad-hoc requests, by month</b>", x=0, xanchor="left", font=dict(size=14)),
                        xaxis_title="Month", yaxis_title="On time", yaxis_tickformat=".0%", showlegend=True)
    cut = go.Figure(whole)
    cut.update_layout(margin=dict(l=8, b=8, t=40, r=20))
    cut.update_xaxes(automargin=False)
    cut.update_yaxes(automargin=False)
    rendered = [Image.open(io.BytesIO(png)) for png in images.render_png([whole, cut])]
    assert ink_edges(rendered[0]) == set()
    assert ink_edges(rendered[1]) == {"left", "bottom"}


def test_the_edge_check_finds_the_labels_the_page_once_cut_off(page_review, monkeypatch):
    """The bug this guards against, brought back: printed in the process's default template,
    which on the page is Streamlit's, the pack's first chart loses its y tick labels off the left."""
    monkeypatch.setattr(images, "PRINT_TEMPLATE", pio.templates.default)
    assert pio.templates.default == "streamlit"
    first = page_review.charts()[0]
    (png,) = images.render_png([first.figure])
    assert "left" in ink_edges(Image.open(io.BytesIO(png))), f"{first.id}: the old bug's cut labels went unseen"


@pytest.mark.parametrize("source", SOURCES)
def test_every_pdf_chart_lies_inside_its_page(packs, source):
    """Each image's placement box, read from the page's drawing operators, is inside the page."""
    boxes_seen = 0
    for n, page in enumerate(pdf_pages(packs[source]["pdf"]), 1):
        box = page.mediabox
        for name, (x0, y0, x1, y1) in image_boxes(page).items():
            boxes_seen += 1
            assert x0 >= float(box.left) and y0 >= float(box.bottom), f"page {n} {name} starts off the page"
            assert x1 <= float(box.right) and y1 <= float(box.top), f"page {n} {name} runs off the page"
    assert boxes_seen == len(chart_images("pdf", packs[source]["pdf"])), "an image was drawn without a placement found"


@pytest.mark.parametrize("source", SOURCES)
def test_every_slide_picture_lies_inside_its_slide(packs, source):
    deck, found = slides(packs[source]["pptx"])
    for n, slide in enumerate(found, 1):
        for shape in slide_pictures(slide):
            assert shape.left >= 0 and shape.top >= 0, f"slide {n} {shape.name} starts off the slide"
            assert shape.left + shape.width <= deck.slide_width, f"slide {n} {shape.name} runs off the right"
            assert shape.top + shape.height <= deck.slide_height, f"slide {n} {shape.name} runs off the bottom"


@pytest.mark.parametrize("source", SOURCES)
def test_every_pdf_page_renders_with_nothing_run_off_its_edges(packs, pdf_pngs, source):
    """Every page rendered by poppler, and nothing on it (text, a table, a chart) reaching the
    paper's edge, where a printer or a viewer would cut it."""
    rendered = pdf_pngs[source]
    assert len(rendered) == len(pdf_pages(packs[source]["pdf"]))
    for png in rendered:
        with Image.open(png) as image:
            assert ink_edges(image, edge=PAGE_EDGE) == set(), f"{png.name}: something reaches the page's edge"


@pytest.mark.parametrize("source", SOURCES)
def test_every_slide_renders_to_png(packs, slide_pngs, source):
    """Every slide rendered (LibreOffice where installed, else the Pillow sketch) and kept."""
    deck, found = slides(packs[source]["pptx"])
    assert len(slide_pngs[source]) == len(found)
    for png in slide_pngs[source]:
        with Image.open(png) as image:
            assert image.width / image.height == pytest.approx(deck.slide_width / deck.slide_height, rel=0.01), png.name
            assert as_rgb(image).getextrema() != ((255, 255), (255, 255), (255, 255)), f"{png.name} is blank"
