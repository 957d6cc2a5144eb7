"""Who product ops meets: the share of its meeting time with PMs and with operations staff, as bars.

Drawn from the organisation's published quarterly figures only, so the picture discloses nothing
the privacy ledger has not already allowed; a hidden figure is a missing bar, never a zero.
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.trends import FONT, PALETTE
from dashboard.core.safe_text import html_text

ROLE_COLOR = {"PMs": PALETTE[0], "Operations staff": PALETTE[2]}


def meeting_partners_figure(shares: pd.DataFrame) -> go.Figure:
    """Horizontal bars of `shares` (`role`, `value` a 0-1 share, `n` product-ops people behind it)."""
    shown = shares.dropna(subset=["value"])
    figure = go.Figure(go.Bar(
        x=shown["value"], y=[html_text(role) for role in shown["role"]], orientation="h",
        marker_color=[ROLE_COLOR.get(role, PALETTE[1]) for role in shown["role"]],
        text=[f"{value:.0%} · n = {int(n)}" for value, n in zip(shown["value"], shown["n"], strict=True)],
        textposition="auto",
        hovertemplate="%{y}: %{x:.0%} of product-ops meeting time<extra></extra>",
    ))
    figure.update_xaxes(range=[0, 1], tickformat=".0%", title_text="share of product-ops meeting time")
    figure.update_yaxes(autorange="reversed")
    figure.update_layout(height=180, margin=dict(l=10, r=10, t=10, b=40), font=FONT, showlegend=False)
    return figure
