"""The investment timeline of product ops: PMs per product-ops person against PM overhead.

Investing late, the second common mistake, is a story told by two lines over time: PMs join and
product ops does not (the ratio climbs) while PMs' process overhead is over its target. Two value
axes, one per line, and two marks on the time axis: when overhead first went over its target and
when product ops was founded; the gap between them is how late the investment came.
"""
from __future__ import annotations

from datetime import date

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.charts.colours import ANNOTATION_COLOR, PALETTE, TARGET_COLOR
from dashboard.charts.trends import base_layout

RATIO_NAME = "PMs per product-ops person"
OVERHEAD_NAME = "PM time on process overhead"


def timeline(monthly: pd.DataFrame, founded: date | None, over_target: date | None, target: float | None,
             height: int = 340) -> go.Figure:
    """`monthly`: `period_start`, `ratio`, `overhead` (a hidden or missing month is a gap)."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    x = pd.to_datetime(monthly["period_start"])
    fig.add_trace(go.Scatter(x=x, y=monthly["ratio"], name=RATIO_NAME, mode="lines+markers",
                             line=dict(color=PALETTE[0], width=2.5), hovertemplate="%{x|%b %Y}: %{y:.1f} PMs<extra></extra>"),
                  secondary_y=False)
    fig.add_trace(go.Scatter(x=x, y=monthly["overhead"], name=OVERHEAD_NAME, mode="lines+markers",
                             line=dict(color=PALETTE[1], width=2.5), hovertemplate="%{x|%b %Y}: %{y:.0%}<extra></extra>"),
                  secondary_y=True)
    if target is not None:
        fig.add_hline(y=target, secondary_y=True, line=dict(color=TARGET_COLOR, dash="dash", width=1),
                      annotation_text="overhead target", annotation_position="top left",
                      annotation_font=dict(color=TARGET_COLOR, size=11))
    for day, label in ((over_target, "overhead over target"), (founded, "product ops founded")):
        if day is not None:
            _mark(fig, pd.Timestamp(day), label)
    base_layout(fig, height)
    fig.update_yaxes(title_text=RATIO_NAME, rangemode="tozero", secondary_y=False)
    fig.update_yaxes(title_text=OVERHEAD_NAME, tickformat=".0%", rangemode="tozero", showgrid=False, secondary_y=True)
    fig.update_xaxes(tickformat="%b %Y")
    return fig


def _mark(fig: go.Figure, day: pd.Timestamp, label: str) -> None:
    """A vertical line on the time axis with its label at the top (drawn by hand: plotly's
    `add_vline` cannot place an annotation on a date axis)."""
    fig.add_shape(type="line", x0=day, x1=day, yref="paper", y0=0, y1=1,
                  line=dict(color=ANNOTATION_COLOR, width=1.5, dash="dot"))
    fig.add_annotation(x=day, yref="paper", y=1.0, text=label, showarrow=False, xanchor="left", yanchor="bottom",
                       font=dict(size=11, color=ANNOTATION_COLOR))
