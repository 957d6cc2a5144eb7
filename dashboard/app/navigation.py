"""The dashboard's pages, and which of them a viewer sees: one line per page.

A page that `needs` nothing is an analysis page every role reads; one that needs a permission
(`dashboard/app/auth.py`) is listed only for the roles that hold it. `st.navigation` routes only the
pages it is given, so a URL to a page the viewer may not see opens the default page instead.

Every page answers at its own path (`/releases`), the default page at the app's root as well.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from dashboard.app.auth import Permission, Viewer

PAGES_DIR = Path(__file__).resolve().parents[2] / "pages"
"""The top-level `pages/` folder: one thin file per page."""


@dataclass(frozen=True)
class PageSpec:
    file: str
    title: str
    icon: str
    url_path: str
    needs: Permission | None = None
    default: bool = False


PAGES: tuple[PageSpec, ...] = (
    PageSpec("overview.py", "Overview", ":material/dashboard:", "overview", default=True),
    PageSpec("bottlenecks.py", "Bottlenecks", ":material/troubleshoot:", "bottlenecks"),
    PageSpec("qbr.py", "QBR", ":material/summarize:", "qbr"),
    PageSpec("pm_time.py", "PM time", ":material/schedule:", "pm-time"),
    PageSpec("insights.py", "Insights", ":material/query_stats:", "insights"),
    PageSpec("releases.py", "Releases and enablement", ":material/rocket_launch:", "releases"),
    PageSpec("alignment.py", "Alignment", ":material/handshake:", "alignment"),
    PageSpec("checkins.py", "Check-ins", ":material/fact_check:", "checkins"),
    PageSpec("product_ops.py", "Product ops itself", ":material/hub:", "product-ops"),
    PageSpec("surveys.py", "Surveys", ":material/forum:", "surveys"),
    PageSpec("data.py", "Data", ":material/database:", "data", needs="data"),
    PageSpec("subscriptions.py", "Subscriptions", ":material/forward_to_inbox:", "subscriptions", needs="subscribe"),
)


def title_of(file: str) -> str:
    """The menu title of the page in `file`."""
    return next(page.title for page in PAGES if page.file == file)


def visible(viewer: Viewer) -> list[PageSpec]:
    """The pages this viewer may open, in menu order."""
    return [page for page in PAGES if page.needs is None or viewer.may(page.needs)]


def pages_for(viewer: Viewer) -> list[st.Page]:
    """The viewer's pages for `st.navigation`, in menu order, then the default page's own path.

    Streamlit serves the default page at the root only, so `/overview`, the path a copied or
    typed link may hold, would be "Page not found": a hidden twin of the default page answers
    there. Links and the menu name the first page of a file, the one at the root.
    """
    pages = visible(viewer)
    menu = [
        st.Page(PAGES_DIR / page.file, title=page.title, icon=page.icon, url_path="" if page.default else page.url_path,
                default=page.default)
        for page in pages
    ]
    twins = [
        st.Page(PAGES_DIR / page.file, title=page.title, icon=page.icon, url_path=page.url_path, visibility="hidden")
        for page in pages if page.default
    ]
    return menu + twins
