"""The Surveys page's clickable charts: a click on a point or bar, or a choice in the list below the
chart, opens the answers behind the score (counts the privacy rules allow) with what they count to
and a CSV of exactly the rows shown."""
from __future__ import annotations

from functools import partial

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.app import record_panels, survey_views, ui
from dashboard.charts import surveys as survey_charts
from dashboard.core import safe_text


def chart_with_points(figure: go.Figure, chart_key: str) -> None:
    """The chart, its points and bars clickable: a click opens the answers behind the score below it."""
    identities = [trace.meta for trace in figure.data]
    st.plotly_chart(figure, key=chart_key, config=ui.PLOTLY_CONFIG, selection_mode="points",
                    on_select=partial(survey_views.on_click, chart_key, identities))


def behind_a_point(frame: pd.DataFrame, chart_key: str, placeholder: str) -> None:
    """The list of the chart's scores and, for the chosen one, the answers behind it."""
    key = record_panels.state_key(chart_key)
    options = survey_views.points(frame)
    if st.session_state.get(key) not in options:
        st.session_state.pop(key, None)
    labels = survey_views.point_labels(frame)
    with st.expander("Records behind a point", icon=":material/table_rows:", expanded=key in st.session_state):
        unchosen = {} if key in st.session_state else {"index": None}
        chosen = st.selectbox("Point", options, key=key, placeholder=placeholder, format_func=labels.__getitem__, **unchosen)
        if chosen is not None:
            answers(survey_views.point_row(frame, chosen), f"{key}_csv")


def answers(row: pd.Series, download_key: str) -> None:
    """One score, its n and response rate, and the answers it counts, with what they count to."""
    unit = survey_charts.unit_of(row["unit"])
    name = safe_text.markdown(f"{row['title']}, {row['who']}, {row['label']}")
    found = survey_views.behind(row)
    if not row["shown"]:
        st.markdown(f"**{name}: {safe_text.markdown(found.note)}.**")
        return
    st.markdown(f"**{name}: {unit.text(row['value'])}**")
    st.caption(safe_text.markdown(survey_views.size_text(row)))
    if found.rows is None:
        st.caption(f":material/visibility_off: {safe_text.markdown(found.note)}.")
        return
    st.caption(f"Counted from these answers: {unit.text(found.counted)}, {survey_views.COUNTED_HOW[row['unit']]}.")
    st.dataframe(found.rows, hide_index=True, width="stretch", height="content" if len(found.rows) <= 12 else 400,
                 column_config={survey_views.SHARE: st.column_config.NumberColumn(format="percent")})
    st.download_button("Download these rows (CSV)", safe_text.csv_bytes(found.rows), icon=":material/download:",
                       file_name=f"{row['survey_id']}-{row['construct']}-{row['role']}-{row['scope_id']}.csv".replace("/", "-"),
                       mime="text/csv", key=download_key, on_click="ignore")
