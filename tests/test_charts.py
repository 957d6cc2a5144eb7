"""The figures pages draw: one line per scope, the target, annotations inside the range, units."""
from __future__ import annotations

from datetime import date

import pandas as pd

from dashboard import charts
from dashboard.metrics import METRICS

SHARE = METRICS["checkin_on_time_rate"]


def series() -> pd.DataFrame:
    months = [date(2026, m, 1) for m in range(1, 7)]
    rows = [
        {"period_start": d, "scope_id": scope, "name": name, "value": value, "n": 8}
        for scope, name, base in [("org", "Organisation", 0.8), ("g1", "Growth", 0.7), ("g2", "Payments", 0.9)]
        for d, value in zip(months, [base] * 6)
    ]
    frame = pd.DataFrame(rows)
    frame.loc[(frame["scope_id"] == "g1") & (frame["period_start"] == months[2]), ["value", "n"]] = [float("nan"), 3]
    return frame


def annotations() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "on_date": [date(2025, 1, 1), date(2026, 3, 10), date(2026, 3, 20)],
            "scope": "org",
            "label": ["Too early to show", "Product ops team founded", "New release process"],
        }
    )


def test_trend_draws_one_line_per_scope_with_the_reference_first():
    fig = charts.trend(SHARE, series(), grain="month", reference="org", target=0.85, annotations=annotations())
    assert [trace.name for trace in fig.data] == ["Organisation", "Growth", "Payments"]
    assert fig.data[0].line.dash == "dot"
    assert fig.layout.yaxis.tickformat == ".0%"
    assert "n = %{customdata[1]} check-ins expected" in fig.data[1].hovertemplate


def test_trend_leaves_a_gap_where_a_value_is_hidden():
    fig = charts.trend(SHARE, series(), grain="month", reference="org")
    growth = fig.data[1]
    assert pd.isna(growth.y[2]) and growth.connectgaps is False


def test_target_and_annotations_inside_the_range_are_drawn():
    fig = charts.trend(SHARE, series(), grain="month", reference="org", target=0.85, annotations=annotations())
    labels = [a.text for a in fig.layout.annotations]
    assert "target 85%" in labels
    assert "Product ops team founded" in labels and "New release process" in labels
    assert "Too early to show" not in labels
    vertical = [s for s in fig.layout.shapes if s.x0 == s.x1 and s.yref == "paper"]
    assert len(vertical) == 2


def test_labels_close_together_go_to_different_rows():
    assert charts.label_rows([0.1, 0.12, 0.6], [0.3, 0.3, 0.3]) == [(0, "left"), (1, "left"), (0, "left")]
    assert charts.label_rows([0.95], [0.3]) == [(0, "right")]


def test_axis_follows_the_unit():
    assert charts.axis_format(METRICS["pm_focus_hours"])["ticksuffix"] == " h"
    assert charts.axis_format(METRICS["insights_self_serve_score"])["range"] == [0, 100]


def test_sparkline_has_no_axes_and_marks_the_last_value():
    points = series().query("scope_id == 'org'").assign(label=lambda f: f["period_start"].astype(str))
    fig = charts.sparkline(SHARE, points, target=0.85)
    assert fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False
    assert len(fig.data) == 2 and fig.data[1].mode == "markers"
