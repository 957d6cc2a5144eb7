"""The check-in board as a figure: teams by period, one square per check-in."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.colours import LATE, MISSING, NOT_DUE, ON_TIME
from dashboard.charts.trends import FONT

CHECKIN_STATES = {"on time": ON_TIME, "late": LATE, "missing": MISSING, "not due": NOT_DUE}
"""Each state's colour, told apart under every colour-vision deficiency (see `dashboard.charts.colours`)."""
CHECKIN_SYMBOLS = {"on time": "square", "late": "diamond", "missing": "x", "not due": "square"}
"""Each state's shape, so that a cell reads without colour at all (print, a projector, a glance)."""


def checkin_heatmap(board: pd.DataFrame) -> go.Figure:
    """Teams by period, each cell a square coloured by its check-in's state; a team not owing one
    that period (a holiday, before it started, not yet due) shows as not due.

    Drawn as square markers rather than a plotly Heatmap: Streamlit returns no selection for a
    Heatmap trace (streamlit/streamlit#8760), and a click on a cell must open its evidence. Each
    marker carries its check-in's `cell` id as customdata.
    """
    periods = sorted(board["period_start"].unique())
    teams = sorted(board["team"].dropna().unique(), key=str.lower, reverse=True)
    grid = pd.MultiIndex.from_product([teams, periods], names=["team", "period_start"]).to_frame(index=False)
    cells = grid.merge(board.drop_duplicates(["team", "period_start"]), how="left", on=["team", "period_start"])
    cells["state"] = cells["state"].fillna("not due")
    cells["x"] = [period.isoformat() for period in cells["period_start"]]
    size = max(5, min(18, int(900 / max(len(periods), 1)) - 2))
    figure = go.Figure()
    for state, color in CHECKIN_STATES.items():
        shown = cells[cells["state"] == state]
        figure.add_trace(go.Scatter(
            x=shown["x"], y=shown["team"], mode="markers", name=state, customdata=shown["cell"].fillna(""),
            marker=dict(symbol=CHECKIN_SYMBOLS[state], size=size, color=color, line=dict(width=0)),
            hovertemplate="%{y} · %{x} · " + state + "<extra></extra>",
        ))
    figure.update_layout(
        font=FONT, margin=dict(l=8, r=8, t=8, b=8), height=max(240, 22 * len(teams) + 90), plot_bgcolor="white",
        paper_bgcolor="white", clickmode="event+select", legend=dict(orientation="h", y=1.02, yanchor="bottom"),
        xaxis=dict(type="category", categoryorder="array", categoryarray=[p.isoformat() for p in periods], showgrid=False),
        yaxis=dict(type="category", categoryorder="array", categoryarray=teams, showgrid=False),
    )
    return figure
