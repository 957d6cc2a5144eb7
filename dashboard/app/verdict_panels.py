"""The Overview's answer before its cards: each signal's verdict this year, and what to look at."""
from __future__ import annotations

from dataclasses import replace

import streamlit as st

from dashboard.analysis import milestones
from dashboard.analysis.verdict import HELD, IMPROVED, RULE, UNKNOWN, WORSENED, Verdict
from dashboard.app import navigation, ui, verdict_views, views
from dashboard.core import safe_text

BADGE = {IMPROVED: ("green", "Improved"), WORSENED: ("red", "Worsened"), HELD: ("gray", "Held"),
         UNKNOWN: ("gray", "Too little data")}
"""Colour says a change beyond noise, nothing else: a held signal or one without a verdict is grey."""
EXEC_VIEW = "exec"


def executive_view() -> bool:
    """The one-screen view for a projector, chosen here or by `?view=exec` in the URL."""
    ui.seed_from_url("ov_exec", [EXEC_VIEW, "full"])
    view = st.segmented_control("View", ["full", EXEC_VIEW], key="ov_exec", label_visibility="collapsed",
                                format_func={"full": "Full overview", EXEC_VIEW: "Executive view"}.get) or "full"
    st.query_params["view"] = view
    return view == EXEC_VIEW


def badge(outcome: str) -> str:
    colour, text = BADGE[outcome]
    return f":{colour}-badge[{text}]"


def verdicts(filters: ui.Filters, compact: bool = False) -> None:
    """A line per signal: the year-to-date verdict with its reason, the last full quarter's beside it."""
    st.subheader("This year, signal by signal", anchor=False, help=RULE)
    for item in verdict_views.verdicts(filters.scope, filters.scope_id):
        _verdict(item, compact)


def _verdict(item: Verdict, compact: bool) -> None:
    year, quarter = item.year, item.quarter
    head = f"{badge(year.outcome)} **{ui.signal_name(item.signal)}** · {year.metric.title}"
    if compact:
        st.markdown(f"{head}  \n{year.reason()}")
        return
    with st.container(border=True):
        st.markdown(f"{head}  \n{year.reason()}")
        st.caption(f"{badge(quarter.outcome)} {quarter.reason()}")


def look_at(filters: ui.Filters) -> None:
    """The worst bottlenecks of the last full quarter, each a link into the Bottlenecks page.

    A link keeps the scope and grain and ends its range at the quarter the row was found in.
    """
    quarter = views.scorecard_quarter(filters.last_quarter).quarter
    rows = verdict_views.look_at(quarter, filters.group, filters.team)
    st.subheader("What to look at", anchor=False)
    if rows.empty:
        st.caption(f"No team or group stands out from its peers in {ui.quarter_param(quarter)}.")
        return
    params = ui.filter_params(replace(filters, last_quarter=quarter))
    for row in rows.itertuples():
        label = (f"{row.metric} · {safe_text.markdown(row.where)}: {row.value} against a median of {row.peers}"
                 + (f", {row.since}" if row.since else f" in {row.quarter}"))
        st.page_link(str(navigation.PAGES_DIR / "bottlenecks.py"), label=label, icon=":material/troubleshoot:",
                     query_params={**params, "focus": row.id})


def impacts(filters: ui.Filters) -> None:
    """Each milestone's before/after for the metrics it was meant to move, newest first."""
    found = verdict_views.impacts([i for i in (filters.group, filters.team) if i])
    st.subheader("What the milestones moved", anchor=False, help=milestones.RULE)
    if not found:
        st.caption("No annotation names the metrics it was meant to move: add one under “Annotations on the time "
                   "axes” below, with the metrics, to see its before and after here.")
        return
    for impact in found:
        st.markdown(f"{badge(impact.outcome)} {safe_text.markdown(impact.headline())} · {impact.on_date:%d %b %Y}  \n"
                    f":small[{safe_text.markdown(impact.reason())}]")
