"""The QBR's numbers as one CSV: the scorecard, the movers and every chart point, unformatted."""
from __future__ import annotations

import pandas as pd

from dashboard.core.safe_text import csv_bytes
from dashboard.report.model import Report

COLUMNS = [
    "kind", "section", "metric_id", "metric", "scope_id", "period", "value", "n", "compared_period",
    "compared_value", "change", "year_ago_value", "target", "status", "moved_spreads",
]


def records(report: Report) -> pd.DataFrame:
    """Every number of the report: scorecard rows once, then movers, then chart points."""
    rows = []
    for section in report.sections:
        for table in section.tables:
            if section.id in ("scorecard", "movers"):
                rows.extend(table.records)
        for chart in section.charts:
            rows.extend(chart.records)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for column in ("value", "compared_value", "change", "year_ago_value", "moved_spreads"):
        frame[column] = pd.to_numeric(frame[column]).round(6)
    frame["n"] = frame["n"].astype("Int64")
    return frame


def render(report: Report, images: dict[str, bytes] | None = None) -> bytes:
    return csv_bytes(records(report))
