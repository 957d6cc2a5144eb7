"""The Product ops itself page's sections: the four early warnings, who product ops meets, and what
the founding moved."""
from __future__ import annotations

import streamlit as st

from dashboard.analysis import early_warnings, milestones
from dashboard.app import product_ops_views, ui, verdict_panels
from dashboard.app.views import scorecard_quarter, settings
from dashboard.charts.meeting_partners import meeting_partners_figure
from dashboard.core import periods, safe_text

BADGE = {"warning": "red", "watch": "orange", "clear": "green", "unknown": "gray"}
RULE = ("Each warning reads the last whole quarter's published figures against their targets (prodops.toml): "
        "a figure off its target raises a warning, one within its tolerance asks to watch. Investing late is a "
        f"trend instead: PMs per product-ops person and PM overhead both rising over {early_warnings.TREND_QUARTERS} "
        "quarters. A figure the privacy rules hide raises nothing.")


def warnings(filters: ui.Filters) -> None:
    """A card per common mistake: its state, why, and the figures it was read from."""
    found = product_ops_views.warnings(filters.scope, filters.scope_id, filters.last_quarter)
    st.subheader("The four common mistakes, as early warnings", anchor=False, help=RULE)
    with ui.tile_row():
        for warning in found:
            with ui.tile():
                label = early_warnings.STATE_LABEL[warning.state]
                st.markdown(f":{BADGE[warning.state]}-badge[{label}] **{warning.mistake.title}**")
                st.caption(warning.mistake.meaning)
                st.markdown(safe_text.markdown(warning.reason))
                for item in warning.evidence:
                    st.markdown(f":small[{safe_text.markdown(item.text())}]")


PARTNERS_RULE = ("The share of product-ops people's meeting time spent in meetings with at least one PM, and with at "
                 "least one operations person, matched by the roster's emails; a meeting with both counts in both. "
                 "The organisation's figure for the last whole quarter, never a person's.")


def meeting_partners(filters: ui.Filters) -> None:
    """Bars of the published shares of product-ops meeting time with PMs and with operations staff."""
    shares = product_ops_views.meeting_partners(filters.last_quarter)
    st.subheader("Who product ops meets", anchor=False, help=PARTNERS_RULE)
    if shares["value"].isna().all():
        st.caption(f"Not shown: it needs the calendars of at least {settings().privacy.min_calendar_group} "
                   "product-ops people in the quarter, with their attendees' roles known.")
        return
    quarter = scorecard_quarter(filters.last_quarter).quarter
    st.caption(f"{periods.quarter_label(quarter)} · the organisation · n is product-ops people")
    st.plotly_chart(meeting_partners_figure(shares), key="meeting_partners", config=ui.PLOTLY_CONFIG)


def founding() -> None:
    """The four signs before and after the function was founded."""
    mark = product_ops_views.founding()
    st.subheader("Before and after product ops was founded", anchor=False, help=milestones.RULE)
    if mark is None:
        st.caption("No organisation-wide annotation says when product ops was founded: add one on the Overview "
                   "(for example “Product ops team founded”) to see the four signs before and after it.")
        return
    st.caption(f"{safe_text.markdown(mark['label'])} · {mark['on_date']:%d %b %Y}")
    for impact in product_ops_views.founding_impacts():
        st.markdown(f"{verdict_panels.badge(impact.outcome)} {safe_text.markdown(impact.headline())}  \n"
                    f":small[{safe_text.markdown(impact.reason())}]")
