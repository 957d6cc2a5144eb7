"""S4: do product and operations speak the same language? With check-in compliance beside it."""
from __future__ import annotations

import streamlit as st

from dashboard.app import ui, views

filters = ui.require_filters()
ui.page_header("Alignment", views.signals()["S4"], filters)
ui.metric_grid("S4", filters)
st.header("Check-ins", anchor=False)
st.caption(views.signals()["checkins"])
ui.metric_grid("checkins", filters)
