"""Overview: for a VP, each signal's scorecard against the quarter before, a year before and
its target, the running quarter to date, and the events on every time axis."""
from __future__ import annotations

import streamlit as st

from dashboard.app import ui, views
from dashboard.core import safe_text

filters = ui.require_filters()
scope_name = views.scope_names().get(filters.scope_id, filters.scope_id)
st.title("Product Ops Health", anchor=False)
st.caption(f"{safe_text.markdown(scope_name)} · {ui.scorecard_quarter(filters)} · trends {ui.span(filters)}")
ui.annotations_panel(filters)
for signal in views.signals():
    ui.scorecard(signal, filters)
    st.divider()
