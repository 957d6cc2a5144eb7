"""Data: what is in the store, where it came from and how fresh it is. Product ops only."""
from __future__ import annotations

import streamlit as st

from dashboard.app import auth, data_panels, data_views, ui
from dashboard.notify import alerts

auth.require("data")
st.title("Data", anchor=False)

# Sources come first: on an empty store they are how the first data gets in.
st.subheader("Sources", anchor=False)
data_panels.connections_panel()
data_panels.sync_panel(after=alerts.after_sync)
data_panels.uploads_panel()

ui.require_data()
filters = ui.require_filters()
status = data_views.data_status()
st.caption(f"What the dashboard reads: `{status.location}`. Times are UTC.")

published, rows, sources = st.columns(3)
published.metric("Last published", data_views.age(status.published), border=True)
rows.metric("Rows in canonical tables", f"{status.total_rows:,}", border=True)
sources.metric("Sources synced", len(status.sources), border=True)

st.dataframe(
    status.sources,
    hide_index=True,
    column_config={
        "source": "Source",
        "last_success": "Last successful sync",
        "last_status": "Last run",
        "last_error": "Last error",
        "runs": st.column_config.NumberColumn("Runs"),
    },
)

st.subheader("Coverage", anchor=False)
data_panels.coverage_panel()

st.subheader("Calendar rules", anchor=False)
data_panels.rules_panel(filters)

st.subheader("Tables", anchor=False)
st.dataframe(
    status.tables,
    hide_index=True,
    height="content",
    column_config={
        "table_name": "Table",
        "rows": st.column_config.NumberColumn("Rows", format="localized"),
        "newest": st.column_config.TextColumn("Newest record", help="The newest dated record up to today; — for tables without dates"),
    },
)

st.subheader("Sync runs", anchor=False)
st.dataframe(
    status.runs,
    hide_index=True,
    column_config={
        "run_id": "Run",
        "source": "Source",
        "started_at": st.column_config.DatetimeColumn("Started", format="D MMM YYYY, HH:mm"),
        "finished_at": st.column_config.DatetimeColumn("Finished", format="D MMM YYYY, HH:mm"),
        "status": "Status",
        "rows": st.column_config.NumberColumn("Rows", format="localized"),
        "cursor": "Cursor",
        "error": "Error",
    },
)

st.subheader("Unmatched identities", anchor=False)
unmatched = data_views.unmatched()
if unmatched.empty:
    st.caption("Every person a source names is on the roster.")
else:
    st.caption("People or teams a source names that the roster does not know. Their rows are kept; map them in the identity map.")
    st.dataframe(unmatched, hide_index=True)
