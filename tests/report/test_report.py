"""The QBR pack: every format built from the demo for 2026Q3, read back with its own reader, and
its numbers compared with the metric series (and with `python -m dashboard metrics`)."""
from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import date

import pandas as pd
import pytest
from markdown_it import MarkdownIt
from pptx import Presentation
from pypdf import PdfReader

from dashboard import cli, report
from dashboard.core import notes
from dashboard.core.config import Settings
from dashboard.core.periods import quarter_label
from dashboard.core.store import Store
from dashboard.metrics import METRICS, compute_series, load_tables
from dashboard.report.content import complete_quarters, parse_quarter, section_ids
from tests.conftest import DEMO_TODAY, ROOT

QUARTER, PREVIOUS = date(2026, 7, 1), date(2026, 4, 1)


@pytest.fixture(scope="module")
def built(demo_db):
    made = report.build_from_store(Store(demo_db), Settings(), QUARTER, "org", "org", DEMO_TODAY)
    return made, report.render_all(made)


@pytest.fixture(scope="module")
def series(demo_db) -> pd.DataFrame:
    """The quarterly org series as `python -m dashboard metrics` computes them, indexed by metric and quarter."""
    frame = compute_series(load_tables(Store(demo_db)), Settings(), "quarter", "org", PREVIOUS, date(2026, 9, 30))
    return frame.set_index(["metric_id", "period_start"])


def expected_text(series: pd.DataFrame, metric_id: str, quarter: date = QUARTER) -> str:
    return METRICS[metric_id].format(series.loc[(metric_id, quarter), "value"])


def test_quarters_parse_and_only_complete_ones_are_reviewed():
    assert parse_quarter("2026Q3") == parse_quarter("2026-q3") == QUARTER
    with pytest.raises(ValueError):
        parse_quarter("2026Q5")
    assert complete_quarters([PREVIOUS, QUARTER, date(2026, 10, 1)], DEMO_TODAY) == [PREVIOUS, QUARTER]
    late = date(2026, 6, 28)  # data from two days before Q2 ends: Q2 is not a quarter of data
    assert complete_quarters([PREVIOUS, QUARTER], DEMO_TODAY, late) == [QUARTER]
    assert complete_quarters([PREVIOUS, QUARTER], DEMO_TODAY, date(2026, 4, 8)) == [PREVIOUS, QUARTER], "a week in"


def test_the_report_has_a_section_per_signal_with_the_prior_quarter_overlaid(built):
    made, _ = built
    assert [section.id for section in made.sections] == section_ids()
    overlays = [chart for chart in made.charts() if chart.id.split("-")[0] in ("S1", "S2", "S3", "checkins")]
    for chart in overlays:
        assert [trace.name for trace in chart.figure.data] == [quarter_label(PREVIOUS), quarter_label(QUARTER)]
        assert all(len(trace.x) for trace in chart.figure.data), f"{chart.id} is empty"
        assert "n = " in chart.caption and "Sources:" in chart.caption
    assert len(made.charts()) == 9


def test_csv_carries_the_metric_series_numbers(built, series):
    _, files = built
    frame = pd.read_csv(io.BytesIO(files["csv"]))
    card = frame[frame["kind"] == "scorecard"].set_index("metric_id")
    assert set(card.index) == set(METRICS)
    for metric_id in METRICS:
        this = series.loc[(metric_id, QUARTER)]
        assert card.loc[metric_id, "value"] == pytest.approx(round(this["value"], 6), nan_ok=True), metric_id
        assert (pd.isna(card.loc[metric_id, "n"]) and pd.isna(this["n"])) or card.loc[metric_id, "n"] == this["n"], metric_id
        assert card.loc[metric_id, "compared_value"] == pytest.approx(round(series.loc[(metric_id, PREVIOUS), "value"], 6),
                                                                       nan_ok=True)
    assert {"improved", "worsened", "chart"} <= set(frame["kind"])


def test_the_command_line_report_matches_the_command_line_metrics(demo_db, tmp_path):
    env = {**os.environ, "PRODOPS_DB": str(demo_db), "PRODOPS_TODAY": DEMO_TODAY.isoformat()}
    env.pop("PRODOPS_CONFIG", None)

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "dashboard", *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=300)

    metrics = run("metrics", "--grain", "quarter", "--scope", "org", "--since", "2026-07-01", "--until", "2026-09-30")
    assert metrics.returncode == 0, metrics.stderr
    out = tmp_path / "qbr.csv"
    made = run("report", "--quarter", "2026Q3", "--format", "csv", "--out", str(out))
    assert made.returncode == 0, made.stderr
    assert "written to" in made.stderr
    printed = pd.read_csv(io.StringIO(metrics.stdout)).set_index("metric_id")
    written = pd.read_csv(out)
    written = written[written["kind"] == "scorecard"].set_index("metric_id")
    assert written.loc[printed.index, "value"].tolist() == pytest.approx(printed["value"].tolist(), nan_ok=True)
    assert written.loc[printed.index, "n"].fillna(-1).tolist() == printed["n"].fillna(-1).tolist()


def test_pptx_reads_back_with_a_slide_per_section(built, series):
    made, files = built
    deck = Presentation(io.BytesIO(files["pptx"]))
    slides = list(deck.slides)
    assert len(slides) == 1 + len(made.sections)
    for slide, section in zip(slides[1:], made.sections):
        texts = [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame]
        assert section.title in texts
        pictures = [shape for shape in slide.shapes if shape.shape_type == 13]
        assert len(pictures) == len(section.charts), section.id
        for shape in slide.shapes:
            assert shape.left >= 0 and shape.left + shape.width <= deck.slide_width, f"{section.id}: {shape.name} runs off"
            assert shape.top >= 0 and shape.top + shape.height <= deck.slide_height, f"{section.id}: {shape.name} runs off"
    scorecard = 1 + section_ids().index("scorecard")
    table = next(shape.table for shape in slides[scorecard].shapes if shape.has_table)
    rows = {table.cell(r, 1).text: table.cell(r, 2).text for r in range(1, len(table.rows))}
    assert rows == {METRICS[m].title: expected_text(series, m) for m in METRICS}


def test_pdf_has_one_page_per_section_with_the_numbers(built, series):
    made, files = built
    pages = PdfReader(io.BytesIO(files["pdf"])).pages
    assert len(pages) == len(made.sections)
    for page, section in zip(pages, made.sections):
        assert section.title.split(" · ")[0] in page.extract_text()
    lines = pages[section_ids().index("scorecard")].extract_text().splitlines()
    for metric_id, metric in METRICS.items():
        start = f"{metric.title} {expected_text(series, metric_id)} {expected_text(series, metric_id, PREVIOUS)} "
        assert any(start in line for line in lines), f"{metric_id}: {start!r} not on the scorecard page"


def test_markdown_renders_tables_and_images(built, series):
    made, files = built
    text = files["md"].decode()
    html = MarkdownIt("commonmark").enable("table").render(text)
    assert html.count("<table>") == sum(len(section.tables) for section in made.sections)
    assert html.count('<img src="data:image/png;base64,') == len(made.charts())
    assert html.count("<h2>") == len(made.sections)
    rows = [line.split(" | ") for line in text.splitlines() if line.startswith(("| S", "| Check-ins", "| ops"))]
    shown = {cells[1]: cells[2] for cells in rows if len(cells) > 3}
    assert {m: shown[METRICS[m].title] for m in METRICS} == {m: expected_text(series, m) for m in METRICS}


@pytest.mark.parametrize("fmt", ["pptx", "pdf", "md"])
def test_the_command_line_writes_each_format(demo_env, tmp_path, fmt):
    out = tmp_path / f"qbr.{fmt}"
    assert cli.main(["report", "--quarter", "2026Q3", "--format", fmt, "--out", str(out)]) == 0
    assert out.stat().st_size > 10_000
    if fmt == "md":
        charts = sorted((tmp_path / "qbr_charts").glob("*.png"))
        assert len(charts) == 9
        assert all(f"](qbr_charts/{chart.name})" in out.read_text() for chart in charts)


def test_the_command_line_refuses_a_running_quarter_and_an_unknown_team(demo_env, capsys):
    assert cli.main(["report", "--quarter", "2026Q4", "--format", "csv", "--out", os.devnull]) == 2
    assert "has not ended" in capsys.readouterr().err
    assert cli.main(["report", "--quarter", "2026Q3", "--format", "csv", "--team", "nope", "--out", os.devnull]) == 2
    assert "no team 'nope'" in capsys.readouterr().err
    assert cli.main(["report", "--quarter", "2024Q4", "--format", "csv", "--out", os.devnull]) == 2
    assert "the data begins on 30 Dec 2024, too late into Q4 2024 to review it" in capsys.readouterr().err


def test_notes_are_stored_with_the_quarter_and_go_into_every_format(demo_copy):
    store = Store(demo_copy)
    notes.save_qbr_note(store, "2026Q3", "Payments", "S3", "Payments re-plans every release; first plans are fiction.")
    notes.save_qbr_note(store, "2026Q2", "Payments", "S3", "Another quarter's note")
    made = report.build_from_store(store, Settings(), QUARTER, "group", "Payments", DEMO_TODAY)
    assert made.title.endswith("Payments")
    note = "Payments re-plans every release; first plans are fiction."
    assert next(s for s in made.sections if s.id == "S3").note == note
    assert note in report.render(made, "md", {}).decode()
    page = section_ids().index("S3")
    assert note in PdfReader(io.BytesIO(report.render(made, "pdf", {}))).pages[page].extract_text().replace("\n", " ")
    deck = Presentation(io.BytesIO(report.render(made, "pptx", {})))
    assert note in list(deck.slides)[1 + page].notes_slide.notes_text_frame.text
    movers = pd.read_csv(io.BytesIO(report.render(made, "csv")))
    listed = set(movers.loc[movers["kind"].isin(["improved", "worsened"]), "scope_id"])
    assert listed <= {"Payments", *store.table("teams").query("group_name == 'Payments'")["team_id"]}


def test_the_page_and_the_command_line_export_the_same_chart_images(built, monkeypatch):
    """The QBR page runs inside Streamlit, which makes its own plotly theme the default; the
    command line does not. Drawn under Streamlit's default, the pack's charts render to the same
    PNG bytes as under plotly's (the page's exports had their axis labels cut off)."""
    import plotly.io as pio
    from plotly import graph_objects as go
    from streamlit.elements.lib.streamlit_plotly_theme import configure_streamlit_plotly_theme

    from dashboard.report import images

    def drawn_here(figure):
        """The figure as a chart drawn in this process would be: in the default template."""
        spec = figure.to_dict()
        spec["layout"] = {key: value for key, value in spec["layout"].items() if key != "template"}
        return go.Figure(spec)

    made, _ = built
    charts = made.charts()[:2]
    configure_streamlit_plotly_theme()
    monkeypatch.setattr(pio.templates, "default", "plotly")
    plain = [drawn_here(chart.figure) for chart in charts]
    monkeypatch.setattr(pio.templates, "default", "streamlit")
    themed = [drawn_here(chart.figure) for chart in charts]
    assert themed[0].layout.template != plain[0].layout.template, "the two defaults differ, so the test can tell"
    assert [pio.to_json(images.for_print(fig)) for fig in themed] == [pio.to_json(images.for_print(fig)) for fig in plain]
    assert images.render_png(themed) == images.render_png(plain)


def test_the_pack_opens_with_an_executive_summary_told_from_the_data(built, demo_db):
    """Nothing in the summary is written for the demo: the verdicts come from the rule, the
    milestones' impacts from the annotations and their months, the bottlenecks from the ranking,
    and the demo's planted story is what they find."""
    from dashboard.demo import SILENT_TEAM, SLIPPING_GROUP

    made, files = built
    first, second = made.sections[:2]
    assert (first.id, first.title) == ("summary", "Executive summary")
    assert (second.id, second.title) == ("where", "Executive summary: where to look")
    verdicts, impacts = first.tables
    outcome = {row[0]: row[1] for row in verdicts.rows}
    assert outcome["S1"] == "Improved" and outcome["S2"] == "Improved", outcome
    assert all("90% interval" in row[2] or "at least 3 on each side" in row[2] for row in verdicts.rows)
    by_metric = {(row[0], row[1]): row for row in impacts.rows}
    portal = next(row for (label, metric), row in by_metric.items()
                  if label.startswith("Self-serve insights portal launched") and metric.startswith("Ad-hoc data requests"))
    assert portal[3] == "Improved" and "90% interval" in portal[4] and "n ≈" in portal[4], portal
    assert not any(label.startswith("Product ops team founded") for label, _ in by_metric), "older than the year reviewed"
    assert impacts.tones[impacts.rows.index(portal)] == "better"
    chronic, changes = second.tables
    silent = Store(demo_db).table("teams").set_index("team_id")["name"][SILENT_TEAM]
    places = {(row[0], row[1]) for row in chronic.rows}
    assert any(metric.startswith("Release") and where == f"{SLIPPING_GROUP} (group)" for metric, where in places), places
    assert ("Check-ins delivered", silent) in places, places
    assert all(row[4].startswith("since Q") for row in chronic.rows)
    assert chronic.columns[chronic.toned_column()] == "Value", "the worse cell is the team's own value, not its peers'"
    assert all(int(row[4]) >= 5 for row in changes.rows), "every change rests on enough n"
    pages = PdfReader(io.BytesIO(files["pdf"])).pages
    assert "Executive summary" in pages[0].extract_text() and "Self-serve insights portal launched" in pages[0].extract_text()
    assert f"{SLIPPING_GROUP} (group)" in pages[1].extract_text()
