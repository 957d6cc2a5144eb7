"""The QBR pack: one content model (`content.Report`) and one writer per format.

`gather` reads what a report needs from a store (the command line's path; the page passes the
same inputs from its caches), `content.build` lays out the sections, `images.render_png` turns
every chart into a PNG once, and each writer makes its file from the same report and images:

    report = build_from_store(store, settings, quarter, "org", "org", today)
    files = render_all(report)            # {"pptx": b"...", "pdf": ..., "md": ..., "csv": ...}
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pandas as pd

from dashboard.core import notes, periods
from dashboard.core.config import Settings
from dashboard.core.store import Store
from dashboard.metrics import SCOPES, SIGNALS, Scope, compute_series, load_tables
from dashboard.report import images, summary, to_csv, to_markdown, to_pdf, to_pptx
from dashboard.report.content import build, quarter_end
from dashboard.report.model import Inputs, Report

FORMATS: dict[str, tuple[str, str]] = {
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", "PowerPoint deck"),
    "pdf": ("application/pdf", "PDF"),
    "md": ("text/markdown", "Markdown"),
    "csv": ("text/csv", "CSV of the numbers"),
}
WRITERS: dict[str, Callable[..., bytes]] = {
    "pptx": to_pptx.render, "pdf": to_pdf.render, "md": to_markdown.render, "csv": to_csv.render,
}
ORG, ORG_NAME = "org", "Organisation"


def scope_names(teams: pd.DataFrame) -> dict[str, str]:
    """The display name of every scope id: the organisation, each group, each team."""
    names = {ORG: ORG_NAME}
    names.update({group: group for group in teams["group_name"].dropna()})
    names.update(dict(zip(teams["team_id"], teams["name"])))
    return names


def freshness_text(sync_runs: pd.DataFrame) -> str:
    """When each source last synced successfully, as a date a printed report can keep."""
    done = sync_runs[sync_runs["status"] == "success"].dropna(subset=["finished_at"])
    if done.empty:
        return "no successful sync on record"
    last = done.groupby("source")["finished_at"].max().sort_index()
    return "last successful sync: " + "; ".join(f"{source} {pd.Timestamp(at):%d %b %Y %H:%M} UTC" for source, at in last.items())


def grains() -> list[str]:
    """The grains the key charts need."""
    return sorted({grain for signal in SIGNALS.values() for _, grain in signal.key_charts})


def gather(store: Store, settings: Settings, quarter: date, scope: Scope, scope_id: str) -> Inputs:
    """Everything `content.build` needs for one quarter and scope, computed from the store."""
    tables = load_tables(store)
    end = quarter_end(quarter)
    year_ago = periods.quarters_back(quarter, 5)
    quarterly = pd.concat(
        [compute_series(tables, settings, "quarter", level, year_ago, end) for level in SCOPES], ignore_index=True
    )
    previous = periods.quarters_back(quarter, 2)
    fine = {grain: compute_series(tables, settings, grain, scope, previous, end) for grain in grains()}
    leads = compute_series(tables, settings, "month", scope, year_ago, end, [signal.lead for signal in SIGNALS.values()])
    teams = tables["teams"]
    marks = notes.annotations(store)
    milestone_months = summary.milestone_months(
        marks, quarter, scope_id, teams["group_name"].dropna(),
        lambda level, first, ids: compute_series(tables, settings, "month", level, first, end, ids))
    return Inputs(
        quarterly=quarterly, fine=fine, lead_months=leads, milestone_months=milestone_months, names=scope_names(teams),
        group_of=dict(zip(teams["team_id"], teams["group_name"])),
        notes=notes.qbr_notes(store, periods.label(quarter, "quarter"), scope_id),
        annotations=marks, freshness=freshness_text(store.table("sync_runs")),
    )


def build_from_store(store: Store, settings: Settings, quarter: date, scope: Scope, scope_id: str, today: date) -> Report:
    return build(gather(store, settings, quarter, scope, scope_id), settings, quarter, scope, scope_id, today)


def chart_images(report: Report) -> dict[str, bytes]:
    """Every chart of the report as PNG, keyed by chart id, rendered in one batch."""
    charts = report.charts()
    return dict(zip([chart.id for chart in charts], images.render_png([chart.figure for chart in charts])))


def render(report: Report, fmt: str, pictures: dict[str, bytes] | None = None) -> bytes:
    """One format's bytes; charts are rendered here unless `pictures` are given (CSV needs none)."""
    if fmt not in WRITERS:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    if pictures is None and fmt != "csv":
        pictures = chart_images(report)
    return WRITERS[fmt](report, pictures or {})


def render_all(report: Report, formats: tuple[str, ...] = tuple(FORMATS)) -> dict[str, bytes]:
    """Every format from one rendering of the charts."""
    pictures = chart_images(report) if any(f != "csv" for f in formats) else {}
    return {fmt: WRITERS[fmt](report, pictures) for fmt in formats}


def write(report: Report, fmt: str, out: Path) -> list[Path]:
    """Write one format to `out`; Markdown's charts go beside it in `<stem>_charts/`. Returns the files written."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt != "md":
        out.write_bytes(render(report, fmt))
        return [out]
    pictures = chart_images(report)
    folder = out.with_name(f"{out.stem}_charts")
    folder.mkdir(exist_ok=True)
    written, links = [], {}
    for chart_id, png in pictures.items():
        path = folder / f"{chart_id}.png"
        path.write_bytes(png)
        written.append(path)
        links[chart_id] = f"{folder.name}/{path.name}"
    out.write_bytes(to_markdown.render(report, pictures, links))
    return [out, *written]
