"""The figures pages draw: one line per scope, the target, annotations inside the range, units."""
from __future__ import annotations

import json
from datetime import date

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from dashboard.charts import quarters
from dashboard.charts import trends as charts
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
    assert "target<br>85%" in labels
    assert "Product ops team founded" in labels and "New release process" in labels
    assert "Too early to show" not in labels
    vertical = [s for s in fig.layout.shapes if s.x0 == s.x1 and s.yref == "paper"]
    assert len(vertical) == 2


def test_the_target_label_sits_in_the_right_margin_off_the_data():
    fig = charts.trend(SHARE, series(), grain="month", reference="org", target=0.85)
    (label,) = [a for a in fig.layout.annotations if a.text.startswith("target")]
    assert (label.xref, label.x, label.xanchor, label.y) == ("paper", 1, "left", 0.85)
    assert fig.layout.margin.r >= charts.TARGET_MARGIN_PX


def test_a_milestone_label_is_a_flag_on_its_own_line_whatever_its_row():
    fig = charts.trend(SHARE, series(), grain="month", reference="org", annotations=annotations(), plot_px=300)
    flags = {a.text: a for a in fig.layout.annotations}
    lines = {s.x0 for s in fig.layout.shapes if s.x0 == s.x1}
    rows = set()
    for text in ("Product ops team founded", "New release process"):
        flag = flags[text]
        assert flag.showarrow and flag.ax == 0 and flag.x in lines
        rows.add(flag.ay)
    assert len(rows) == 2, "two labels close together share a row"


def many_groups(count: int) -> pd.DataFrame:
    months = [date(2026, m, 1) for m in range(1, 7)]
    lines = [("org", "Organisation", 0.8)] + [(f"g{k}", f"Group {k}", 0.8 + 0.01 * k) for k in range(count)]
    frame = pd.DataFrame([{"period_start": d, "scope_id": scope, "name": name, "value": base, "n": 8}
                          for scope, name, base in lines for d in months])
    frame.loc[frame["scope_id"] == "g2", "value"] = 0.4
    return frame


def test_as_many_lines_as_colours_each_get_their_own():
    fig = charts.trend(SHARE, many_groups(len(charts.PALETTE)), grain="month", reference="org")
    colours = [t.line.color for t in fig.data if t.meta not in (None, "org")]
    assert len(set(colours)) == len(charts.PALETTE) and charts.MUTED_COLOR not in colours


def test_more_lines_than_colours_grey_all_but_the_one_farthest_from_the_reference():
    fig = charts.trend(SHARE, many_groups(7), grain="month", reference="org")
    coloured = [t.meta for t in fig.data if t.meta not in (None, "org") and t.line.color != charts.MUTED_COLOR]
    assert coloured == ["g2"]
    assert fig.data[-1].name == "Others" and fig.data[-1].meta is None
    assert sum(t.showlegend is not False for t in fig.data) == 3, "organisation, the highlighted group, Others"
    assert [t.meta for t in fig.data][-3:-1] == ["org", "g2"], "the coloured lines are drawn over the grey ones"


def test_a_chosen_highlight_wins_over_the_farthest_line():
    fig = charts.trend(SHARE, many_groups(7), grain="month", reference="org", highlight="g5")
    assert [t.meta for t in fig.data if t.line.color == charts.PALETTE[0]] == ["g5"]
    assert charts.emphasis(many_groups(7), "org", "not on the chart") == "g2"
    assert charts.emphasis(many_groups(3), "org", "g1") is None


def test_labels_close_together_go_to_different_rows():
    placed = charts.label_rows([0.1, 0.12, 0.6], [0.3, 0.3, 0.3])
    assert [(row, anchor) for row, anchor, _ in placed] == [(0, "left"), (1, "left"), (0, "left")]
    assert charts.label_rows([0.95], [0.3]) == [(0, "right", 0.95)]


def test_a_label_too_wide_for_either_side_runs_to_the_wider_one_cut_to_fit():
    assert charts.label_rows([0.7], [0.8]) == [(0, "right", 0.7)]
    assert charts.label_rows([0.4], [0.8]) == [(0, "left", pytest.approx(0.6))]
    assert charts.fitted("Self-serve insights portal launched", 100) == "Self-serve insights…"
    assert charts.fitted("Reorg", 100) == "Reorg"


def test_labels_do_not_widen_the_time_axis():
    fig = charts.trend(SHARE, series(), grain="month", reference="org", annotations=annotations(), plot_px=200)
    low, high = (pd.Timestamp(x) for x in fig.layout.xaxis.range)
    assert low <= pd.Timestamp(2026, 1, 1) and high >= pd.Timestamp(2026, 6, 1)
    assert (high - low).days < 170


def test_axis_follows_the_unit():
    assert charts.axis_format(METRICS["pm_focus_hours"])["ticksuffix"] == " h"
    assert charts.axis_format(METRICS["insights_self_serve_score"])["range"] == [0, 100]


def test_sparkline_has_no_axes_and_marks_the_last_value():
    points = series().query("scope_id == 'org'").assign(label=lambda f: f["period_start"].astype(str))
    fig = charts.sparkline(SHARE, points, target=0.85)
    assert fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False
    assert len(fig.data) == 2 and fig.data[1].mode == "markers"


def quarter_weeks(first: date, values: list[float]) -> pd.DataFrame:
    starts = pd.date_range(first, periods=len(values), freq="7D").date
    return pd.DataFrame({"period_start": starts, "value": values, "n": 12})


def test_overlay_lays_the_prior_quarter_on_this_one_by_whole_weeks():
    this = quarter_weeks(date(2026, 7, 6), [0.2, 0.21, 0.19])
    prior = quarter_weeks(date(2026, 4, 6), [0.3, 0.31, 0.29])
    marks = pd.DataFrame({"on_date": [date(2026, 4, 13), date(2026, 7, 15)], "scope": "org",
                          "label": ["New release process", "Intake form"]})
    fig = quarters.overlay(SHARE, this, prior, grain="week", quarter=date(2026, 7, 1), previous=date(2026, 4, 1),
                         labels=("Q3 2026", "Q2 2026"), annotations=marks, target=0.85)
    prior_trace, this_trace = fig.data
    assert (prior_trace.name, this_trace.name) == ("Q2 2026", "Q3 2026")
    # 1 Apr to 1 Jul is 91 days, 13 weeks: Monday 6 Apr lands on Monday 6 Jul.
    assert pd.Timestamp(prior_trace.x[0]) == pd.Timestamp("2026-07-06")
    assert prior_trace.line.dash == "dot" and this_trace.line.dash == "solid"
    assert "n = %{customdata[1]} check-ins expected" in this_trace.hovertemplate
    labels = {a.text for a in fig.layout.annotations}
    assert {"New release process (Q2 2026, 13 Apr)", "Intake form", "target<br>85%"} <= labels
    assert fig.layout.xaxis.ticktext == ("Jul · Apr", "Aug · May", "Sep · Jun"), "one axis, both quarters' months"
    assert fig.layout.xaxis.title.text == "Month of the quarter (Q3 2026 · Q2 2026)"


def test_overlay_moves_months_by_months():
    this = pd.DataFrame({"period_start": [date(2026, 7, 1), date(2026, 8, 1), date(2026, 9, 1)], "value": 1.0, "n": 3})
    prior = this.assign(period_start=[date(2026, 4, 1), date(2026, 5, 1), date(2026, 6, 1)])
    fig = quarters.overlay(SHARE, this, prior, grain="month", quarter=date(2026, 7, 1), previous=date(2026, 4, 1),
                         labels=("Q3 2026", "Q2 2026"))
    assert [pd.Timestamp(x) for x in fig.data[0].x] == [pd.Timestamp(d) for d in ("2026-07-01", "2026-08-01", "2026-09-01")]


def test_quarter_bars_pair_the_two_quarters_and_leave_a_hidden_value_out():
    metrics = [METRICS["alignment_score_pm"], METRICS["alignment_gap"]]
    fig = quarters.quarter_bars(metrics, [(73.0, 72.0), (None, 3.0)], labels=("Q3 2026", "Q2 2026"))
    prior, this = fig.data
    assert (prior.name, this.name) == ("Q2 2026", "Q3 2026")
    assert list(this.y) == [73.0, None] and list(this.text) == ["73", "–"]
    assert fig.layout.yaxis.range == (0, 105)


def test_a_running_period_is_drawn_hollow_and_dotted_never_as_a_whole_one():
    fig = charts.trend(SHARE, series(), grain="month", reference="org", through=date(2026, 6, 5))
    whole = [trace for trace in fig.data if trace.showlegend is not False]
    segments = [trace for trace in fig.data if trace.showlegend is False and trace.mode == "lines"]
    points = [trace for trace in fig.data if trace.showlegend is False and trace.mode == "markers"]
    assert [trace.name for trace in whole] == ["Organisation", "Growth", "Payments"]
    assert all(len(trace.x) == 5 and pd.Timestamp(trace.x[-1]) == pd.Timestamp(2026, 5, 1) for trace in whole)
    for line, segment, point in zip(whole, segments, points, strict=True):
        assert segment.line.dash == "dot" and segment.line.color == line.line.color and segment.hoverinfo == "skip"
        assert [pd.Timestamp(x) for x in segment.x] == [pd.Timestamp(2026, 5, 1), pd.Timestamp(2026, 6, 1)]
        assert point.marker.symbol == "circle-open" and [pd.Timestamp(x) for x in point.x] == [pd.Timestamp(2026, 6, 1)]
        assert "so far: 5 of 30 days" in point.hovertemplate and point.customdata[0][1] == "8"
        assert segment.legendgroup == point.legendgroup == line.legendgroup == line.name
    ended = charts.trend(SHARE, series(), grain="month", reference="org", through=date(2026, 6, 30))
    assert len(ended.data) == 3 and all(len(trace.x) == 6 for trace in ended.data), "June is whole on its last day"


@pytest.mark.parametrize("figure", [
    lambda: charts.trend(SHARE, series(), grain="month", reference="org", target=0.85, annotations=annotations(),
                         through=date(2026, 6, 5)),
    lambda: charts.trend(SHARE, many_groups(7), grain="month", reference="org", highlight="g5", target=0.85),
    lambda: charts.trend(SHARE, series().query("scope_id == 'org'"), grain="week", annotations=annotations()),
    lambda: charts.sparkline(SHARE, series().query("scope_id == 'g1'").assign(label="x"), target=0.85),
    lambda: quarters.overlay(SHARE, quarter_weeks(date(2026, 7, 6), [0.2, 0.21]), quarter_weeks(date(2026, 4, 6), [0.3, 0.2]),
                             grain="week", quarter=date(2026, 7, 1), previous=date(2026, 4, 1), labels=("Q3", "Q2"),
                             annotations=annotations(), target=0.25, title="On time", scope_id="org"),
], ids=["target-milestones-running", "grey-lines", "one-line", "sparkline", "quarter-overlay"])
def test_a_figure_built_from_a_spec_is_the_one_plotly_validates_it_to(figure):
    """`trend`, `sparkline` and the QBR's `overlay` skip Plotly's validation: every property must be valid (a validated copy
    raises on any that is not), and the browser must get the same figure either way."""
    fig = figure()
    checked = go.Figure(fig.to_dict())
    assert json.loads(pio.to_json(checked, validate=False)) == json.loads(pio.to_json(fig, validate=False))


def test_a_spec_figure_shares_its_dict_yet_printing_it_or_changing_a_copy_leaves_it_as_drawn():
    """A spec figure's dict is made once and shared by every caller (`SpecFigure`): the report's
    white page (`for_print`) and a caller's changes to its own top-level dict must not reach the
    figure every session draws."""
    from dashboard.report import images

    fig = charts.trend(SHARE, series(), grain="month", reference="org", target=0.85, annotations=annotations())
    drawn = pio.to_json(fig, validate=False)
    printed = images.for_print(fig)
    assert printed["layout"]["paper_bgcolor"] == "white" and printed["layout"]["template"]
    mine = fig.to_dict()
    mine["layout"] = {}
    mine["data"] = []
    assert fig.to_dict()["layout"]["paper_bgcolor"] == "rgba(0,0,0,0)"
    assert pio.to_json(fig, validate=False) == drawn


def test_a_frozen_figure_hands_out_the_dict_of_the_figure_it_was_made_from():
    """`frozen` keeps the dict it made the spec figure from: what it hands out must be what the
    figure itself serialises to, and making the spec figure must not have changed it."""
    built = go.Figure(go.Bar(x=["PMs", "Operations staff"], y=[0.4, 0.25], text=["40%", "25%"]))
    built.update_layout(height=200, xaxis=dict(tickformat=".0%"))
    spec = charts.frozen(built)
    assert pio.to_json(spec, validate=False) == pio.to_json(built, validate=False)
    assert json.loads(pio.to_json(go.Figure(spec.to_dict()), validate=False)) == json.loads(pio.to_json(built, validate=False))
