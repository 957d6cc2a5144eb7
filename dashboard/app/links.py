"""Addresses that open a page of the dashboard on a chosen view, for what is read outside it.

A digest or a chat message names a view the reader can open: the page's path under the
dashboard's address and the query parameters the sidebar reads (`dashboard.app.ui.filter_params`
writes the same ones). Plain functions, no Streamlit state, so the command line can build them.
"""
from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from dashboard.core import periods
from dashboard.core.periods import Grain


def filter_params(first_quarter: date, last_quarter: date, grain: Grain, group: str | None, team: str | None
                  ) -> dict[str, str]:
    """The shared filters as query parameters, as the sidebar reads them."""
    return {"from": periods.label(first_quarter, "quarter"), "to": periods.label(last_quarter, "quarter"),
            "grain": grain, "group": group or "", "team": team or ""}


def page_url(base_url: str, url_path: str, params: dict[str, str]) -> str:
    """The address of the page at `url_path` (a `navigation.PageSpec.url_path`) with these parameters."""
    return f"{base_url.rstrip('/')}/{url_path}?{urlencode(params)}"
