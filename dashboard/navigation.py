"""The dashboard's pages, and which of them a viewer sees: one line per page.

A page that `needs` nothing is an analysis page every role reads; one that needs a permission
(`dashboard/auth.py`) is listed only for the roles that hold it. `st.navigation` routes only the
pages it is given, so a URL to a page the viewer may not see opens the default page instead.
"""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from dashboard.auth import Permission, Viewer


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    icon: str
    url_path: str
    needs: Permission | None = None
    default: bool = False


PAGES: tuple[PageSpec, ...] = (
    PageSpec("app_pages/overview.py", "Overview", ":material/dashboard:", "overview", default=True),
    PageSpec("app_pages/bottlenecks.py", "Bottlenecks", ":material/troubleshoot:", "bottlenecks"),
    PageSpec("app_pages/qbr.py", "QBR", ":material/summarize:", "qbr"),
    PageSpec("app_pages/pm_time.py", "PM time", ":material/schedule:", "pm-time"),
    PageSpec("app_pages/insights.py", "Insights", ":material/query_stats:", "insights"),
    PageSpec("app_pages/releases.py", "Releases", ":material/rocket_launch:", "releases"),
    PageSpec("app_pages/alignment.py", "Alignment", ":material/handshake:", "alignment"),
    PageSpec("app_pages/checkins.py", "Check-ins", ":material/fact_check:", "checkins"),
    PageSpec("app_pages/surveys.py", "Surveys", ":material/forum:", "surveys"),
    PageSpec("app_pages/data.py", "Data", ":material/database:", "data", needs="data"),
)


def visible(viewer: Viewer) -> list[PageSpec]:
    """The pages this viewer may open, in menu order."""
    return [page for page in PAGES if page.needs is None or viewer.may(page.needs)]


def pages_for(viewer: Viewer) -> list[st.Page]:
    return [
        st.Page(page.path, title=page.title, icon=page.icon, url_path=page.url_path, default=page.default)
        for page in visible(viewer)
    ]
