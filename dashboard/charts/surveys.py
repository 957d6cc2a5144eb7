"""Plotly figures for the Survey page: pure functions of the frames `survey_views` returns.

A withheld value is a gap in a line or a missing bar, never a zero; the page says why beside it.
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.trends import FONT, PALETTE, n_text
from dashboard.core.safe_text import html_text

ROLE_COLOR = {"pm": PALETTE[0], "ops": PALETTE[2], "all": PALETTE[1]}


def _layout(fig: go.Figure, height: int, y_title: str) -> go.Figure:
    fig.update_layout(
        height=height, margin=dict(l=8, r=8, t=24, b=48), font=FONT, plot_bgcolor="rgba(0,0,0,0)",
        paper_bgcolor="rgba(0,0,0,0)", legend=dict(orientation="h", y=-0.2, x=0, title_text=""),
        yaxis_title=y_title,
    )
    fig.update_yaxes(gridcolor="#EEF1F6", zeroline=False)
    return fig


def _hover(frame: pd.DataFrame) -> list[str]:
    return [
        f"n = {n_text(n)}" + (f" · response rate {r:.0%}" if pd.notna(r) and pd.notna(n) else "")
        + (f"<br>{html_text(note)}" if note else "")
        for n, r, note in zip(frame["n"], frame["response_rate"], frame["note"])
    ]


def constructs_over_waves(frame: pd.DataFrame, role: str = "all", height: int = 360) -> go.Figure:
    """One line per construct across waves (0-100 score) for one role filter."""
    fig = go.Figure()
    rows = frame[(frame["role"] == role) & (frame["construct"] != "pm_time_on_strategy_pct")]
    for i, (title, line) in enumerate(rows.groupby("title", sort=True)):
        fig.add_trace(go.Scatter(
            x=line["label"].map(html_text), y=line["mean"], name=html_text(title), mode="lines+markers", connectgaps=False,
            line=dict(color=PALETTE[i % len(PALETTE)], width=2), text=_hover(line),
            hovertemplate="%{x}<br>%{y:.0f}<br>%{text}<extra>%{fullData.name}</extra>",
        ))
    fig.update_yaxes(range=[0, 100])
    return _layout(fig, height, "score (0-100)")


def side_by_side(frame: pd.DataFrame, height: int = 340) -> go.Figure:
    """PM and operations scores per construct, as grouped bars."""
    fig = go.Figure()
    for role, bars in frame.groupby("role", sort=False):
        fig.add_trace(go.Bar(
            x=bars["title"].map(html_text), y=bars["mean"], name=html_text(bars["who"].iloc[0]), marker_color=ROLE_COLOR.get(role, PALETTE[3]),
            text=[f"{v:.0f}" if pd.notna(v) else "" for v in bars["mean"]], textposition="outside",
            customdata=_hover(bars), hovertemplate="%{x}<br>%{y:.0f}<br>%{customdata}<extra></extra>",
        ))
    fig.update_layout(barmode="group")
    fig.update_yaxes(range=[0, 105])
    return _layout(fig, height, "score (0-100)")


def distribution(frame: pd.DataFrame, height: int = 300) -> go.Figure:
    """The share of answers at each point of the scale, one bar colour per role filter."""
    fig = go.Figure()
    for role, bars in frame[frame["shown"]].groupby("role", sort=False):
        fig.add_trace(go.Bar(
            x=bars["answer"], y=bars["share"], name=bars["who"].iloc[0], marker_color=ROLE_COLOR.get(role, PALETTE[3]),
            customdata=bars["count"], hovertemplate="answer %{x:g}: %{y:.0%} (%{customdata})<extra></extra>",
        ))
    fig.update_layout(barmode="group", xaxis=dict(dtick=1, title="answer"))
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return _layout(fig, height, "share of answers")
