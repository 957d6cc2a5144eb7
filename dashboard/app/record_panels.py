"""The records behind a point of a trend chart: a click on the point, or a choice in the list below
the chart, opens them, with what they add up to and a CSV of exactly the rows shown."""
from __future__ import annotations

from datetime import date
from functools import partial

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.analysis import bottlenecks
from dashboard.app import views
from dashboard.app.chart_points import Point, PointChoices, period_text
from dashboard.core import periods
from dashboard.core.periods import Grain
from dashboard.metrics import Metric


def state_key(chart_key: str) -> str:
    return f"rec_{chart_key}"


Line = tuple[str | None, list[date] | None]
"""A trace as a click reads it: its scope id (None for a trace that is not a line, such as a legend
entry) and, when its x is not its points' dates (a prior quarter laid over this one), each point's period."""


def line_of(meta) -> Line:
    """A trace's `meta`: its scope id, or `{"scope": ..., "periods": [...]}` (`charts.quarters.overlay`)."""
    if isinstance(meta, dict):
        return meta["scope"], [date.fromisoformat(day) for day in meta["periods"]]
    return meta, None


def on_click(chart_key: str, lines: list[Line]) -> None:
    """A click on a point chooses it in the list: `lines` holds each trace's line, in trace order."""
    points = st.session_state[chart_key].get("selection", {}).get("points", [])
    if not points:
        return
    point = points[0]
    curve = point.get("curve_number")
    if curve is None or curve >= len(lines) or lines[curve][0] is None:
        return
    scope_id, periods = lines[curve]
    index = point.get("point_index", point.get("point_number"))
    period = periods[index] if periods is not None and index is not None else pd.Timestamp(point["x"]).date()
    st.session_state[state_key(chart_key)] = (scope_id, period)


def chart_with_points(figure: go.Figure, chart_key: str, config: dict) -> None:
    """The chart, its points clickable: a click opens the records behind the point below it."""
    lines = [line_of(trace.meta) for trace in figure.data]
    st.plotly_chart(figure, key=chart_key, config=config, on_select=partial(on_click, chart_key, lines),
                    selection_mode="points")


def behind_a_point(metric: Metric, frame: pd.DataFrame, grain: Grain, chart_key: str, choices: PointChoices) -> None:
    """The list of points (`choices`, of `frame`) and, for the chosen one, its records."""
    key = state_key(chart_key)
    if st.session_state.get(key) not in choices.labels:
        st.session_state.pop(key, None)
    with st.expander("Records behind a point", icon=":material/table_rows:", expanded=key in st.session_state):
        unchosen = {} if key in st.session_state else {"index": None}
        chosen = st.selectbox(
            "Point", choices.points, key=key, placeholder="Click a point on the chart, or choose one here", **unchosen,
            format_func=choices.labels.__getitem__,
        )
        if chosen is not None:
            _records(metric, frame, grain, chosen, choices.names.get(chosen[0], chosen[0]), f"{key}_csv")


def _records(metric: Metric, frame: pd.DataFrame, grain: Grain, point: Point, name: str, download_key: str) -> None:
    scope_id, period = point
    rows = views.records(metric.id, views.scope_level(scope_id), scope_id, period, grain)
    cell = frame[(frame["scope_id"] == scope_id) & (pd.to_datetime(frame["period_start"]) == pd.Timestamp(period))]
    value = cell["value"].iloc[0] if len(cell) else None
    st.markdown(f"**{name}, {period_text(period, grain)}: {metric.format(value)}**")
    st.caption(bottlenecks.summary(metric, rows, grain))
    if rows is None or rows.empty:
        return
    recounted = bottlenecks.from_records(metric, rows)
    if recounted is not None:
        st.caption(f"Counted from these rows: {metric.format(recounted)}, by the definition under “About this metric”.")
    link = bottlenecks.JIRA_LINK
    st.dataframe(rows, hide_index=True, width="stretch", height="content" if len(rows) <= 12 else 400,
                 column_config={link: st.column_config.LinkColumn(link, display_text="open")} if link in rows else None)
    st.download_button("Download these rows (CSV)", rows.to_csv(index=False).encode(), icon=":material/download:",
                       file_name=f"{metric.id}-{scope_id}-{periods.label(period, grain)}.csv".replace(" ", "-"),
                       mime="text/csv", key=download_key, on_click="ignore")
