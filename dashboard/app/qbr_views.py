"""The QBR page's cached reads and its notes: the review of a quarter and its files.

`dashboard.report` is imported inside the functions that need it: its writers (PDF, PowerPoint)
cost most of a second to import, which every other page's first view would pay.
"""
from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from dashboard.app.data_views import sync_status
from dashboard.app.views import annotations, cache_key, earliest, group_of, quarters, scope_names, series, store, today
from dashboard.core import notes, periods
from dashboard.core.config import Settings
from dashboard.core.store import open_store
from dashboard.metrics import Scope

# The quarterly business review


def qbr_quarters() -> list[date]:
    """The quarters a review can be of: the complete ones, oldest first."""
    from dashboard.report.content import complete_quarters

    return complete_quarters(quarters(), today(), earliest())


def _inputs(quarter: date, scope: Scope, scope_id: str):
    from dashboard.report import freshness_text, grains, summary
    from dashboard.report.content import quarter_end
    from dashboard.report.model import Inputs

    end = quarter_end(quarter)
    year_ago = periods.quarters_back(quarter, 5)
    quarterly = pd.concat([series("quarter", level, year_ago, end) for level in ("org", "group", "team")],
                          ignore_index=True)
    previous = periods.quarters_back(quarter, 2)
    fine = {grain: series(grain, scope, previous, end) for grain in grains()}
    months = series("month", scope, year_ago, end)
    marks = annotations()
    milestone_months = summary.milestone_months(marks, quarter, scope_id, set(group_of().values()),
                                                lambda level, first, _: series("month", level, first, end))
    return Inputs(
        quarterly=quarterly[quarterly["period_start"] <= end], fine={g: f[f["period_start"] <= end] for g, f in fine.items()},
        lead_months=months[months["period_start"] <= end],
        milestone_months=milestone_months,
        names=scope_names(), group_of=group_of(), notes=qbr_notes(quarter, scope_id), annotations=marks,
        freshness=freshness_text(sync_status().runs),
    )


@st.cache_resource(max_entries=8, show_spinner="Building the review…")
def _qbr(url: str, settings_json: str, version: str, quarter: date, scope: Scope, scope_id: str, day: date):
    from dashboard.report.content import build

    return build(_inputs(quarter, scope, scope_id), Settings.model_validate_json(settings_json), quarter, scope,
                 scope_id, day)


def qbr(quarter: date, scope: Scope, scope_id: str):
    """The review of one quarter for one scope (`dashboard.report.content.Report`): one object shared by
    every session and read only (its figures are serialised from copies). As data, each page view
    unpickled it, and unpickling a Plotly figure validates every property again."""
    return _qbr(*cache_key(), quarter, scope, scope_id, today())


@st.cache_data(max_entries=4, show_spinner="Rendering the charts and writing the files…")
def _qbr_files(url: str, settings_json: str, version: str, quarter: date, scope: Scope, scope_id: str,
               day: date) -> dict[str, bytes]:
    from dashboard.report import render_all

    return render_all(_qbr(url, settings_json, version, quarter, scope, scope_id, day))


def qbr_files(quarter: date, scope: Scope, scope_id: str) -> dict[str, bytes]:
    """The review in every format (`dashboard.report.FORMATS`), charts rendered once."""
    return _qbr_files(*cache_key(), quarter, scope, scope_id, today())


def qbr_csv(quarter: date, scope: Scope, scope_id: str) -> bytes:
    """The review's numbers alone: needs no browser for chart images."""
    from dashboard.report import render

    return render(qbr(quarter, scope, scope_id), "csv")


def qbr_notes(quarter: date, scope_id: str) -> dict[str, str]:
    return _qbr_notes(*cache_key(), periods.label(quarter, "quarter"), scope_id)


@st.cache_data(max_entries=16, show_spinner=False)
def _qbr_notes(url: str, settings_json: str, version: str, quarter: str, scope_id: str) -> dict[str, str]:
    return notes.qbr_notes(open_store(Settings.model_validate_json(settings_json)), quarter, scope_id)


def save_qbr_note(quarter: date, scope_id: str, section: str, text: str) -> None:
    notes.save_qbr_note(store(), periods.label(quarter, "quarter"), scope_id, section, text)


# ---------------------------------------------------------------------------------------------
