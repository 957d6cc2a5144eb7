"""Plotly figures for metric series: pure functions, no Streamlit, so they can be unit-tested and
reused by the report.

Every time chart shows the same three things in the same way: one line per scope, the target
as a dashed horizontal line, and the annotations (events such as "new release process") as
vertical lines on the time axis, so cause and effect can be read off any chart.
"""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import plotly.graph_objects as go

from dashboard.core.periods import Grain, next_start
from dashboard.core.safe_text import html_text
from dashboard.metrics.registry import Metric

# Distinct hues in the theme's weight, ordered so the first six (groups) stay far apart.
PALETTE: tuple[str, ...] = (
    "#3B5BDB",  # indigo, the theme's primary
    "#F08C00",  # amber
    "#0CA678",  # teal
    "#D6336C",  # pink
    "#7048E8",  # violet
    "#9C6644",  # brown
    "#1098AD",  # cyan
    "#5C940D",  # olive
)
REFERENCE_COLOR = "#343A40"
TARGET_COLOR = "#868E96"
ANNOTATION_COLOR = "#ADB5BD"
GRID_COLOR = "#EEF1F6"
FONT = dict(family="Source Sans, Source Sans Pro, sans-serif", size=13, color="#1F2633")

TICK_FORMAT = {"quarter": "Q%q %Y", "month": "%b %Y", "week": "%d %b %Y"}
HOVER_DATE = {"quarter": "Q%q %Y", "month": "%B %Y", "week": "week of %d %b %Y"}


def n_text(n) -> str:
    """An n as shown to a reader: a cell the privacy rules hid publishes none (even "fewer than k"
    would tell a team of two from a team of four)."""
    return "hidden" if pd.isna(n) else str(int(n))


def axis_format(metric: Metric) -> dict:
    """Value-axis settings that read in the metric's own unit (a share as a percentage)."""
    if metric.unit == "share":
        return dict(tickformat=".0%", rangemode="tozero")
    if metric.unit == "hours":
        return dict(ticksuffix=" h", rangemode="tozero")
    if metric.unit == "days":
        return dict(ticksuffix=" d", rangemode="tozero")
    if metric.unit == "score":
        return dict(range=[0, 100])
    if metric.unit == "count":
        return dict(tickformat=",d", rangemode="tozero")
    return dict(rangemode="tozero")


def base_layout(fig: go.Figure, height: int) -> None:
    fig.update_layout(
        height=height,
        margin=dict(l=8, r=8, t=36, b=64),
        font=FONT,
        plot_bgcolor="rgba(0,0,0,0)",
        paper_bgcolor="rgba(0,0,0,0)",
        hovermode="closest",
        legend=dict(orientation="h", yref="container", yanchor="bottom", y=0, xanchor="left", x=0, title_text=""),
    )
    fig.update_xaxes(showgrid=False, linecolor=GRID_COLOR, ticks="outside", tickcolor=GRID_COLOR)
    fig.update_yaxes(gridcolor=GRID_COLOR, zeroline=False)


def trend(
    metric: Metric,
    series: pd.DataFrame,
    *,
    grain: Grain,
    annotations: pd.DataFrame | None = None,
    target: float | None = None,
    reference: str | None = None,
    height: int = 340,
    plot_px: int = 900,
    through: date | None = None,
) -> go.Figure:
    """One metric over time, one line per scope.

    A period still running on `through` (the last day with data) is never drawn as whole: its
    point is hollow, joined to the last whole one by a dotted segment, and says "so far" with
    how many of its days have passed. A count five days into a month is five days' worth.

    Args:
        metric: the declaration, for the unit, the formatting and the n label.
        series: rows with `period_start`, `scope_id`, `name` (what the legend says), `value`, `n`;
            lines are drawn, and coloured, in the order their scopes first appear.
        grain: the period length, for tick and hover labels.
        annotations: rows with `on_date` and `label`, drawn as labelled vertical lines.
        target: drawn as a dashed horizontal line when given.
        reference: the `scope_id` drawn as the dark comparison line (the organisation or group
            the other lines belong to).
        plot_px: about how wide the chart will be drawn, so annotation labels can avoid each other.
        through: the last day the data covers; None when every period is whole.
    """
    fig = go.Figure()
    frame = series.assign(period_start=pd.to_datetime(series["period_start"]))
    frame = frame.sort_values("period_start", kind="stable")
    ids = [i for i in dict.fromkeys(series["scope_id"]) if i != reference]
    colours = {scope_id: PALETTE[k % len(PALETTE)] for k, scope_id in enumerate(ids)}
    for scope_id in ([reference] if reference in set(frame["scope_id"]) else []) + ids:
        rows = frame[frame["scope_id"] == scope_id]
        is_reference = scope_id == reference
        running = _running(rows["period_start"], grain, through)
        partial, rows = rows[running], rows[~running]
        shown = rows["value"].map(metric.format)
        fig.add_trace(
            go.Scatter(
                x=rows["period_start"],
                y=rows["value"],
                name=html_text(rows["name"].iloc[0] if len(rows) else scope_id),
                meta=scope_id,
                connectgaps=False,
                line=dict(
                    color=REFERENCE_COLOR if is_reference else colours[scope_id],
                    width=3 if is_reference else 2,
                    dash="dot" if is_reference else "solid",
                ),
                marker=dict(size=5 if is_reference else 6),
                mode="lines+markers" if rows["period_start"].nunique() <= 30 else "lines",
                customdata=list(zip(shown, rows["n"].map(n_text))),
                hovertemplate=(
                    f"<b>%{{fullData.name}}</b><br>%{{x|{HOVER_DATE[grain]}}}<br>"
                    f"%{{customdata[0]}} · n = %{{customdata[1]}} {metric.n_label}<extra></extra>"
                ),
            )
        )
        if len(partial):
            _so_far(fig, metric, rows, partial, grain, through, fig.data[-1])
    base_layout(fig, height)
    if len(fig.data) < 2:
        fig.update_layout(showlegend=False, margin=dict(b=28))
    fig.update_yaxes(**axis_format(metric))
    fig.update_xaxes(tickformat=TICK_FORMAT[grain], hoverformat=HOVER_DATE[grain])
    if target is not None:
        fig.add_hline(
            y=target,
            line=dict(color=TARGET_COLOR, width=1.5, dash="dash"),
            annotation_text=f"target {metric.format(target)}",
            annotation_position="top right",
            annotation_font=dict(size=11, color=TARGET_COLOR),
        )
    annotate(fig, frame, annotations, plot_px)
    return fig


def _running(starts: pd.Series, grain: Grain, through: date | None) -> pd.Series:
    """Which periods had not ended by `through`."""
    if through is None:
        return pd.Series(False, index=starts.index)
    ends = starts.map(lambda start: next_start(start.date(), grain))
    return ends > through + timedelta(days=1)


def _so_far(fig: go.Figure, metric: Metric, whole: pd.DataFrame, partial: pd.DataFrame, grain: Grain, through: date,
            line: go.Scatter) -> None:
    """The running period: a hollow point, dotted from the last whole one, in the line's colour."""
    start = partial["period_start"].iloc[0].date()
    days, passed = (next_start(start, grain) - start).days, (through - start).days + 1
    point = partial.head(1)
    last = whole[whole["value"].notna()].tail(1)
    line.legendgroup = line.name
    style = dict(name=line.name, legendgroup=line.name, showlegend=False, meta=line.meta)
    fig.add_trace(go.Scatter(
        x=pd.concat([last["period_start"], point["period_start"]]), y=pd.concat([last["value"], point["value"]]),
        mode="lines", line=dict(color=line.line.color, width=line.line.width, dash="dot"), hoverinfo="skip", **style,
    ))
    fig.add_trace(go.Scatter(
        x=point["period_start"], y=point["value"], mode="markers", **style,
        marker=dict(size=8, symbol="circle-open", color=line.line.color, line=dict(width=2)),
        customdata=list(zip(point["value"].map(metric.format), point["n"].map(n_text))),
        hovertemplate=(
            f"<b>%{{fullData.name}}</b><br>%{{x|{HOVER_DATE[grain]}}}, so far: {passed} of {days} days<br>"
            f"%{{customdata[0]}} · n = %{{customdata[1]}} {metric.n_label}<extra></extra>"
        ),
    ))


LABEL_PX_PER_CHAR = 5.8
LABEL_ROW_PX = 16


def label_rows(positions: list[float], widths: list[float]) -> list[tuple[int, str]]:
    """Place labels in rows so none overlaps another: (row, "left" or "right" anchor) per label.

    Args:
        positions: where each label's line is, as a fraction of the plot's width, ascending.
        widths: each label's width as a fraction of the plot's width.

    A label runs right from its line, or left when it would run off the plot; it takes the
    lowest row where it clears the labels already placed.
    """
    placed: list[list[tuple[float, float]]] = []
    out = []
    for position, width in zip(positions, widths):
        anchor = "left" if position + width <= 1 else "right"
        span = (position, position + width) if anchor == "left" else (position - width, position)
        clear = [all(span[0] > end + 0.01 or span[1] < begin - 0.01 for begin, end in taken) for taken in placed]
        row = clear.index(True) if True in clear else len(placed)
        if row == len(placed):
            placed.append([])
        placed[row].append(span)
        out.append((row, anchor))
    return out


def annotate(fig: go.Figure, frame: pd.DataFrame, annotations: pd.DataFrame | None, plot_px: int) -> None:
    """Vertical lines with labels for annotations inside the plotted time range.

    Labels are stacked in rows above the plot so events close together stay legible at the
    width the chart is drawn (`plot_px`, an estimate: the browser decides the real width).
    """
    if annotations is None or annotations.empty or frame.empty:
        return
    first, last = frame["period_start"].min(), frame["period_start"].max()
    shown = annotations.assign(on_date=pd.to_datetime(annotations["on_date"]))
    shown = shown[(shown["on_date"] >= first) & (shown["on_date"] <= last)].sort_values("on_date")
    if shown.empty:
        return
    span = max((last - first).days, 1)
    positions = [(day - first).days / span for day in shown["on_date"]]
    widths = [len(text) * LABEL_PX_PER_CHAR / plot_px for text in shown["label"]]
    rows = label_rows(positions, widths)
    for (row, anchor), item in zip(rows, shown.itertuples(index=False)):
        fig.add_shape(
            type="line", xref="x", yref="paper", x0=item.on_date, x1=item.on_date, y0=0, y1=1,
            line=dict(color=ANNOTATION_COLOR, width=1, dash="dot"), layer="below",
        )
        fig.add_annotation(
            x=item.on_date, xref="x", y=1.0, yref="paper", yshift=row * LABEL_ROW_PX,
            text=html_text(item.label), showarrow=False, xanchor=anchor, yanchor="bottom",
            font=dict(size=11, color="#495057"), bgcolor="rgba(255,255,255,0.85)",
            hovertext=html_text(f"{item.on_date:%d %b %Y}: {item.label}"),
        )
    fig.update_layout(margin=dict(t=20 + LABEL_ROW_PX * (max(row for row, _ in rows) + 1)))


def sparkline(
    metric: Metric,
    points: pd.DataFrame,
    *,
    target: float | None = None,
    color: str = PALETTE[0],
    height: int = 64,
) -> go.Figure:
    """A small line of the last few periods, no axes, for a scorecard.

    Args:
        points: rows with `period_start`, `label` (the period as people say it) and `value`.
    """
    frame = points.assign(period_start=pd.to_datetime(points["period_start"])).sort_values("period_start")
    fig = go.Figure(
        go.Scatter(
            x=frame["period_start"],
            y=frame["value"],
            mode="lines",
            line=dict(color=color, width=2),
            connectgaps=False,
            customdata=list(zip(frame["label"], frame["value"].map(metric.format))),
            hovertemplate="%{customdata[0]}: %{customdata[1]}<extra></extra>",
        )
    )
    known = frame.dropna(subset=["value"])
    if len(known):
        fig.add_trace(
            go.Scatter(
                x=[known["period_start"].iloc[-1]], y=[known["value"].iloc[-1]], mode="markers",
                marker=dict(color=color, size=6), hoverinfo="skip",
            )
        )
    if target is not None:
        fig.add_hline(y=target, line=dict(color=TARGET_COLOR, width=1, dash="dash"))
    fig.update_layout(
        height=height, margin=dict(l=0, r=0, t=2, b=2), showlegend=False,
        plot_bgcolor="rgba(0,0,0,0)", paper_bgcolor="rgba(0,0,0,0)", font=FONT, hovermode="x",
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, **({"range": [0, 100]} if metric.unit == "score" else {}))
    return fig
