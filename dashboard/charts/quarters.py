"""The QBR's charts of a quarter against the one before: the prior quarter laid over this one, and
a pair of bars per metric. Pure functions, like the trends they share a look with."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.colours import PALETTE, TARGET_COLOR
from dashboard.charts.trends import (
    FULL_PLOT_PX,
    HOVER_DATE,
    annotate_spec,
    axis_format,
    base_layout,
    base_layout_spec,
    mark_target_spec,
    n_text,
    number_values,
    spec_figure,
    time_values,
    trace_spec,
)
from dashboard.core.periods import Grain
from dashboard.metrics.registry import Metric


def overlay(
    metric: Metric,
    this: pd.DataFrame,
    prior: pd.DataFrame,
    *,
    grain: Grain,
    quarter,
    previous,
    labels: tuple[str, str],
    annotations: pd.DataFrame | None = None,
    target: float | None = None,
    title: str | None = None,
    height: int = 340,
    plot_px: int = FULL_PLOT_PX,
    scope_id: str | None = None,
) -> go.Figure:
    """A quarter's weeks or months with the prior quarter's drawn over them, aligned by position.

    The prior quarter is shifted forward onto this one (by three months for months, by whole
    weeks for weeks, so a Monday stays a Monday): its first week lies on this quarter's first
    week, and its hover still says its own dates.
    The x axis is the quarter's own time ("Jul · Apr"), shared by both. Annotations of either
    quarter are drawn, those of the prior one shifted the same way and labelled with its name
    and date.

    Args:
        this, prior: rows with `period_start`, `value`, `n` for the scope, one per week or month.
        scope_id: the scope drawn; each trace's `meta` then names it with each point's own period
            (`{"scope": ..., "periods": [...]}`), since a prior quarter's x is not its date.
        quarter, previous: the first days of the two quarters.
        labels: how the two quarters are named in the legend (this one first).
    """
    shift = quarter_shift(previous, quarter, grain)
    data: list[dict] = []
    frames = []
    for rows, name, is_prior in ((prior, labels[1], True), (this, labels[0], False)):
        rows = rows.assign(period_start=pd.to_datetime(rows["period_start"])).sort_values("period_start")
        shown_at = rows["period_start"] + (shift if is_prior else pd.Timedelta(0))
        frames.append(pd.DataFrame({"period_start": shown_at}))
        data.append(trace_spec(
            x=time_values(shown_at), y=number_values(rows["value"]), name=name, connectgaps=False, mode="lines+markers",
            meta=None if scope_id is None else {
                "scope": scope_id, "periods": [start.date().isoformat() for start in rows["period_start"]]},
            line=dict(color=TARGET_COLOR if is_prior else PALETTE[0], width=2, dash="dot" if is_prior else "solid"),
            marker=dict(size=5 if is_prior else 7),
            customdata=[list(cells) for cells in zip(rows["value"].map(metric.format), rows["n"].map(n_text),
                                                     rows["period_start"])],
            hovertemplate=(
                f"<b>{name}</b><br>%{{customdata[2]|{HOVER_DATE[grain]}}}<br>"
                f"%{{customdata[0]}} · n = %{{customdata[1]}} {metric.n_label}<extra></extra>"
            ),
        ))
    layout = base_layout_spec(height)
    layout["yaxis"].update(axis_format(metric))
    layout["xaxis"].update(day_of_quarter_axis(quarter, previous, labels))
    if target is not None:
        mark_target_spec(layout, metric, target)
    if annotations is not None and not annotations.empty:
        marks = annotations.assign(on_date=pd.to_datetime(annotations["on_date"]))
        ends = pd.Timestamp(quarter) + pd.DateOffset(months=3)
        ours = marks[(marks["on_date"] >= pd.Timestamp(quarter)) & (marks["on_date"] < ends)]
        theirs = marks[(marks["on_date"] >= pd.Timestamp(previous)) & (marks["on_date"] < pd.Timestamp(quarter))]
        theirs = theirs.assign(
            label=[f"{label} ({labels[1]}, {day:%d %b})" for label, day in zip(theirs["label"], theirs["on_date"])],
            on_date=theirs["on_date"] + shift,
        )
        annotate_spec(layout, pd.concat(frames, ignore_index=True), pd.concat([ours, theirs]), plot_px)
    if title:
        entitle_spec(layout, title, plot_px)
    return spec_figure(data, layout)


TITLE_PX_PER_CHAR, TITLE_LINE_PX, TITLE_PAD_PX = 7.5, 19, 6


def entitle(fig: go.Figure, title: str, plot_px: int) -> None:
    """A bold title over the chart, wrapped to the plot's width, with room made above whatever the
    top margin already holds (milestone labels), so the two never meet.

    Placed by its middle: plotly centres the lines of a wrapped title on its anchor, so a "top"
    anchor would push the first line out of the image."""
    layout = {"margin": {"t": fig.layout.margin.t}, "height": fig.layout.height}
    entitle_spec(layout, title, plot_px)
    fig.update_layout(title=layout["title"], margin=layout["margin"])


def entitle_spec(layout: dict, title: str, plot_px: int) -> None:
    """`entitle` on a layout spec."""
    text = wrap(title, max(int(plot_px / TITLE_PX_PER_CHAR), 16))
    lines = text.count("<br>") + 1
    top = layout["margin"].get("t") or 36
    middle_px = TITLE_PAD_PX + TITLE_LINE_PX * lines / 2
    layout["title"] = dict(text=f"<b>{text}</b>", x=0, xanchor="left", yref="container", yanchor="middle",
                           y=1 - middle_px / (layout.get("height") or 450), font=dict(size=14))
    layout["margin"].update(t=top + 2 * TITLE_PAD_PX + TITLE_LINE_PX * lines)


def day_of_quarter_axis(quarter, previous, labels: tuple[str, str]) -> dict:
    """The x axis both quarters share: each month of the quarter named for both ("Jul · Apr"),
    so a point or a milestone of the prior quarter is read at its own date, not this quarter's."""
    months = [pd.Timestamp(quarter) + pd.DateOffset(months=k) for k in range(3)]
    theirs = [pd.Timestamp(previous) + pd.DateOffset(months=k) for k in range(3)]
    return dict(
        tickvals=months, ticktext=[f"{ours:%b} · {prior:%b}" for ours, prior in zip(months, theirs)],
        title=dict(text=f"Month of the quarter ({labels[0]} · {labels[1]})", font=dict(size=11)),
    )


def wrap(text: str, width: int = 16) -> str:
    """A label broken into lines of about `width` characters at spaces (plotly's `<br>`), so
    category labels stay horizontal on a narrow chart."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return "<br>".join(lines)


def quarter_shift(previous, quarter, grain: Grain):
    """How far to move the prior quarter's periods to lie on this quarter's: whole months for
    months and quarters, whole weeks for weeks (the nearest number of weeks)."""
    if grain == "week":
        days = (pd.Timestamp(quarter) - pd.Timestamp(previous)).days
        return pd.Timedelta(weeks=round(days / 7))
    start, end = pd.Timestamp(previous), pd.Timestamp(quarter)
    return pd.DateOffset(months=(end.year - start.year) * 12 + end.month - start.month)


def quarter_bars(
    metrics: list[Metric],
    values: list[tuple[float | None, float | None]],
    *,
    labels: tuple[str, str],
    title: str | None = None,
    height: int = 340,
    plot_px: int = FULL_PLOT_PX,
) -> go.Figure:
    """Two quarters side by side for metrics measured once a quarter (survey waves): one pair of bars each.

    Args:
        values: (this quarter, prior quarter) per metric; None where there is no value to show.
    """
    names = [wrap(metric.title) for metric in metrics]
    fig = go.Figure()
    for position, (name, colour) in enumerate(((labels[1], TARGET_COLOR), (labels[0], PALETTE[0]))):
        shown = [pair[1 - position] for pair in values]
        fig.add_trace(
            go.Bar(
                x=names, y=[None if v is None or pd.isna(v) else v for v in shown], name=name, marker_color=colour,
                text=[metric.format(v) for metric, v in zip(metrics, shown)], textposition="outside",
                cliponaxis=False, hovertemplate=f"<b>{name}</b><br>%{{x}}: %{{text}}<extra></extra>",
            )
        )
    base_layout(fig, height)
    fig.update_layout(barmode="group", bargap=0.35)
    fig.update_xaxes(tickangle=0)
    fig.update_yaxes(range=[0, 105] if all(m.unit in ("score", "points") for m in metrics) else None, rangemode="tozero")
    if title:
        entitle(fig, title, plot_px)
    return fig
