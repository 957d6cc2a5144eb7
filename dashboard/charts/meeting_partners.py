"""Who product ops meets: the share of its meeting time with PMs and with operations staff, as bars,
and with each product group and operations, as a small network around the function.

Drawn from the organisation's and the groups' published quarterly figures only, so the pictures
disclose nothing the privacy ledger has not already allowed; a hidden figure is a missing bar, or
a grey dotted link, never a zero.
"""
from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.colours import MISSING, MUTED_COLOR
from dashboard.charts.trends import FONT, PALETTE
from dashboard.core.safe_text import html_text

ROLE_COLOR = {"PMs": PALETTE[0], "Operations staff": PALETTE[2]}
CENTRE = "Product ops"


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


def network_figure(partners: pd.DataFrame) -> go.Figure:
    """Product ops in the middle and each partner (`partner`, `kind` "role" or "group", `value`, `n`)
    on a ring around it, linked by a line as thick as the share of meeting time: a partner it never
    meets gets a red dashed link, one whose figure is hidden a grey dotted one, labelled so."""
    figure = go.Figure()
    count = max(len(partners), 1)
    places = [(math.cos(math.pi / 2 - 2 * math.pi * k / count), math.sin(math.pi / 2 - 2 * math.pi * k / count))
              for k in range(len(partners))]
    labels = []
    for (x, y), row in zip(places, partners.itertuples(index=False), strict=True):
        hidden, none = pd.isna(row.value), not pd.isna(row.value) and row.value == 0
        colour = MUTED_COLOR if hidden else MISSING if none else ROLE_COLOR.get(row.partner, PALETTE[1])
        figure.add_trace(go.Scatter(
            x=[0, x], y=[0, y], mode="lines", hoverinfo="skip", showlegend=False,
            line=dict(color=colour, width=1.5 if hidden or none else 2 + 14 * float(row.value),
                      dash="dot" if hidden else "dash" if none else "solid")))
        labels.append(f"{html_text(row.partner)}<br>" + ("hidden" if hidden else f"{row.value:.0%}"))
    figure.add_trace(go.Scatter(
        x=[0, *(x for x, _ in places)], y=[0, *(y for _, y in places)], mode="markers+text", name="partners",
        text=[f"<b>{CENTRE}</b>", *labels], textposition=["middle center", *("top center" if y >= 0 else "bottom center"
                                                                              for _, y in places)],
        customdata=[None, *partners["value"].tolist()], showlegend=False, hoverinfo="skip",
        marker=dict(size=[46, *(22 if kind == "role" else 16 for kind in partners["kind"])],
                    color=["#FFFFFF", *(ROLE_COLOR.get(p, PALETTE[1]) for p in partners["partner"])],
                    line=dict(color=MUTED_COLOR, width=1))))
    axis = dict(visible=False, range=[-1.5, 1.5], fixedrange=True)
    figure.update_layout(height=380, margin=dict(l=10, r=10, t=20, b=20), font=FONT, showlegend=False,
                         xaxis=axis, yaxis=dict(axis, scaleanchor="x"), plot_bgcolor="#FFFFFF")
    return figure
