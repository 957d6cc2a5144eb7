"""Subscriptions: who receives which digest, how often and where, a preview of each and a test. Product ops only."""
from __future__ import annotations

import streamlit as st

from dashboard.app import auth, ui
from dashboard.notify import subscription_panels

viewer = auth.require("subscribe")
st.title("Subscriptions", anchor=False)
st.caption("Each subscriber receives the view their role allows, of the last whole week or month, when "
           "`python -m dashboard digest --send` runs (from cron). Figures hidden on the pages are hidden here too.")
ui.require_data()

every = subscription_panels.listing()
subscription_panels.add_form(viewer)
subscription_panels.remove_form(every)

st.subheader("Preview", anchor=False)
subscription_panels.preview_panel(every, viewer)
