"""Overview: for a VP, each signal this quarter against last quarter and its target."""
from __future__ import annotations

import streamlit as st

from dashboard import ui, views

filters = ui.require_filters()
scope_name = views.scope_names().get(filters.scope_id, filters.scope_id)
st.title("Product Ops Health", anchor=False)
st.caption(
    f"{scope_name} · {ui.scorecard_quarter(filters)} against the quarter before and against target · "
    f"trends {ui.span(filters)}"
)
for signal in views.signals():
    ui.scorecard(signal, filters)
    st.divider()
