"""The floor of `page_render.py`: a page that draws nothing of its own.

Run through the real entrypoint, so it pays for everything every page pays for (page config,
sign-in, navigation, the sidebar's filters and their pickers, the copied link) and nothing else.
"""
from __future__ import annotations

import streamlit as st

from dashboard.app import ui

ui.require_filters()
st.title("Floor", anchor=False)
