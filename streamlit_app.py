"""Product Ops Health: the entrypoint. Page config, sign-in, navigation and the shared filters; nothing else.

Run with `streamlit run streamlit_app.py` (or `python -m dashboard serve`). Pages live in
`app_pages/` and are routed here with `st.navigation`, so each has a stable URL. The folder is
not called `pages/` because Streamlit treats a `pages/` folder beside the entrypoint as its
legacy multipage layout: a server's first request for `/data`, and every AppTest run, would
execute the page file alone, without this file's page config, navigation and filters.
The page list, and which role sees which page, is `dashboard/navigation.py`.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import auth, navigation, ui

# A local file: a Material icon name as the favicon would be fetched from Google's servers.
ICON = Path(__file__).parent / "assets" / "favicon.png"

st.set_page_config(page_title="Product Ops Health", page_icon=str(ICON), layout="wide")

viewer = auth.gate()
page = st.navigation(navigation.pages_for(viewer), position="top")
ui.sidebar_filters()
page.run()
