"""Product Ops Health: the entrypoint. Page config, sign-in, navigation and the shared filters; nothing else.

Started by `python -m dashboard serve`, or `streamlit run dashboard/entrypoint/streamlit_app.py`
from the repository root. The pages are the top-level `pages/` folder, routed here with
`st.navigation` so each has a stable URL and runs behind sign-in. This file sits in a folder of
its own because Streamlit treats a `pages/` folder beside the entrypoint as its legacy multipage
layout, in which a fresh server's first deep link runs the page file alone (no sign-in), and
because Streamlit puts the entrypoint's folder on `sys.path`: this one holds nothing else to import.
The page list, and which role sees which page, is `dashboard/app/navigation.py`.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `streamlit run` puts this folder on the path, not the repository
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboard.app import auth, navigation, ui, views  # noqa: E402

# A local file: a Material icon name as the favicon would be fetched from Google's servers.
ICON = ROOT / "assets" / "favicon.png"

st.set_page_config(page_title="Product Ops Health", page_icon=str(ICON), layout="wide")

with views.one_run():  # the settings and the data's version read once for the whole run
    viewer = auth.gate()
    page = st.navigation(navigation.pages_for(viewer), position="top")
    try:
        ui.sidebar_filters()
        page.run()
    finally:
        ui.remember_url()
