"""Check-ins: are the standard check-ins delivered, on time, by every team?"""
from __future__ import annotations

import streamlit as st

from dashboard.app import checkin_views, ui, views
from dashboard.derive.checkins.compliance import evidence_of

filters = ui.require_filters()
ui.page_header("Check-ins", views.signals()["checkins"], filters)
kinds = checkin_views.checkin_kinds()
if not kinds:
    st.info("No check-ins yet: declare the kinds teams owe under [[checkins.kinds]] in prodops.toml.")
    st.stop()
kind = st.selectbox("Check-in", list(kinds), format_func=kinds.get, key="ck_kind")
board = checkin_views.checkin_board(kind, filters.group, filters.team, filters.start, filters.end)
if board.empty:
    st.info(f"No {kinds[kind].lower()} is due in this range for this scope.")
else:
    heatmap = checkin_views.heatmap(kind, filters.group, filters.team, filters.start, filters.end)
    picked = st.plotly_chart(heatmap, on_select="rerun", selection_mode="points", key="ck_heatmap", config=ui.PLOTLY_CONFIG)
    points = (picked or {}).get("selection", {}).get("points", []) if picked else []
    cells, labels = board["cell"].tolist(), dict(zip(board["cell"], board["label"]))
    clicked = points[0].get("customdata") if points else None
    if clicked in cells and st.session_state.get("ck_clicked") != clicked:
        st.session_state["ck_clicked"] = st.session_state["ck_cell"] = clicked
    chosen = st.selectbox("Evidence behind a check-in (or click a cell)", cells, format_func=labels.get, key="ck_cell")
    st.dataframe(evidence_of(board.iloc[cells.index(chosen)]), hide_index=True)

left, right = st.columns(2)
with left:
    st.subheader("Missing now", anchor=False)
    misses = checkin_views.checkin_misses(filters.group, filters.team)
    if len(misses):
        st.dataframe(misses, hide_index=True)
    else:
        st.success("Nothing is missing.")
with right:
    st.subheader("On-time streaks", anchor=False)
    st.dataframe(checkin_views.checkin_streaks(kind, filters.group, filters.team), hide_index=True)
st.subheader(f"{kinds[kind]} by {ui.GRAIN_LABEL[filters.grain].lower()}", anchor=False)
st.dataframe(checkin_views.checkin_rates(kind, filters.grain, filters.group, filters.team, filters.start, filters.end),
             hide_index=True)
st.subheader("Every check-in", anchor=False)
ui.metric_grid("checkins", filters)
