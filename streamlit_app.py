"""Product Ops Health: the entrypoint. Page config, navigation and the shared filters; nothing else.

Run with `streamlit run streamlit_app.py` (or `python -m dashboard serve`). Pages live in
`app_pages/` and are routed here with `st.navigation`, so each has a stable URL. The folder is
not called `pages/` because Streamlit treats a `pages/` folder beside the entrypoint as its
legacy multipage layout: a server's first request for `/data`, and every AppTest run, would
execute the page file alone, without this file's page config, navigation and filters.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import ui

# A local file: a Material icon name as the favicon would be fetched from Google's servers.
ICON = Path(__file__).parent / "assets" / "favicon.png"

st.set_page_config(page_title="Product Ops Health", page_icon=str(ICON), layout="wide")

pages = [
    st.Page("app_pages/overview.py", title="Overview", icon=":material/dashboard:", url_path="overview", default=True),
    st.Page("app_pages/bottlenecks.py", title="Bottlenecks", icon=":material/troubleshoot:", url_path="bottlenecks"),
    st.Page("app_pages/qbr.py", title="QBR", icon=":material/summarize:", url_path="qbr"),
    st.Page("app_pages/pm_time.py", title="PM time", icon=":material/schedule:", url_path="pm-time"),
    st.Page("app_pages/insights.py", title="Insights", icon=":material/query_stats:", url_path="insights"),
    st.Page("app_pages/releases.py", title="Releases", icon=":material/rocket_launch:", url_path="releases"),
    st.Page("app_pages/alignment.py", title="Alignment", icon=":material/handshake:", url_path="alignment"),
    st.Page("app_pages/checkins.py", title="Check-ins", icon=":material/fact_check:", url_path="checkins"),
    st.Page("app_pages/surveys.py", title="Surveys", icon=":material/forum:", url_path="surveys"),
    st.Page("app_pages/data.py", title="Data", icon=":material/database:", url_path="data"),
]
page = st.navigation(pages, position="top")
ui.sidebar_filters()
page.run()
