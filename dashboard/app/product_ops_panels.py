"""The Product ops itself page's sections: the four early warnings, who product ops meets, and what
the founding moved."""
from __future__ import annotations

import streamlit as st

from dashboard.analysis import early_warnings, milestones
from dashboard.analysis.investment import FoundingLag
from dashboard.app import product_ops_views, ui, verdict_panels
from dashboard.app.views import scorecard_quarter, settings
from dashboard.core import periods, safe_text
from dashboard.core.periods import quarter_label

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
    st.plotly_chart(product_ops_views.meeting_partners_chart(filters.last_quarter), key="meeting_partners",
                    config=ui.PLOTLY_CONFIG)
    groups_met(filters)


GROUPS_RULE = ("Each product group's share of product-ops people's meeting time spent in meetings with at least one "
               "person of the group (their roster team's group), beside the share with operations staff. Every "
               "product-ops person's weeks count for every group, so a figure is the function's, never its partner's "
               "for that group. A red dashed link is a group product ops did not meet at all in the quarter.")


def groups_met(filters: ui.Filters) -> None:
    """The network of product ops, operations staff and every product group, and the groups it never met."""
    groups = product_ops_views.groups_met(filters.last_quarter)
    if groups["value"].isna().all():
        return
    st.markdown("**By product group**", help=GROUPS_RULE)
    st.plotly_chart(product_ops_views.groups_met_chart(filters.last_quarter), key="groups_met", config=ui.PLOTLY_CONFIG)
    never = groups.loc[groups["value"] == 0, "group"].tolist()
    if never:
        st.warning("Product ops spent no meeting time with " + safe_text.markdown(", ".join(never))
                   + " this quarter: no one bridges it to product operations.", icon=":material/link_off:")


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


HISTORY_RULE = ("Each mistake's warning as it read at the end of each whole quarter of the chosen range: when a "
                "warning first fired, and whether it cleared. The same rules as the cards above.")
INVESTMENT_RULE = ("PMs per product-ops person (roster) and PM time on process overhead (calendars), for the "
                   "organisation, month by month. Investing late shows as the ratio climbing while overhead is over "
                   "its target; the marks show when overhead first went over its target and when product ops was "
                   "founded (the Overview's annotation that says so).")


def warning_history(filters: ui.Filters) -> None:
    """Every mistake's state quarter by quarter: a row per mistake, a column per quarter."""
    found = product_ops_views.warning_history(filters.scope, filters.scope_id, filters.first_quarter,
                                              filters.last_quarter)
    st.subheader("The warnings quarter by quarter", anchor=False, help=HISTORY_RULE)
    if found.empty:
        st.caption("No whole quarter in the chosen range.")
        return
    found = found.assign(shown=found["state"].map(early_warnings.STATE_LABEL))  # the views' frame is shared
    table = found.pivot(index="title", columns="quarter", values="shown")
    table = table.reindex([m.title for m in early_warnings.MISTAKES])
    table.columns = [quarter_label(q) for q in table.columns]
    st.dataframe(table.style.map(lambda label: f"color: {STATE_COLOUR.get(label, 'inherit')}"),
                 width="stretch")


STATE_COLOUR = {early_warnings.STATE_LABEL[state]: colour for state, colour in
                {"warning": "#C92A2A", "watch": "#E8590C", "clear": "#2B8A3E", "unknown": "#868E96"}.items()}


def investment(filters: ui.Filters) -> None:
    """The staffing ratio against overhead, with how late the founding came."""
    found = product_ops_views.investment_timeline(filters.first_quarter)
    st.subheader("Investment timeline", anchor=False, help=INVESTMENT_RULE)
    st.markdown(founding_lag_text(found.lag))
    st.plotly_chart(product_ops_views.investment_figure(filters.first_quarter), key="investment_timeline",
                    config=ui.PLOTLY_CONFIG)


def founding_lag_text(lag: FoundingLag) -> str:
    """The founding against overhead's target, in words."""
    if lag.founded is None:
        return "No annotation says when product ops was founded."
    founded = f"{lag.founded:%d %b %Y}"
    if lag.over_target is None:
        return f"Product ops was founded on {founded}; PM overhead has not been over its target in the data."
    months = round(lag.days_late / 30.4)
    late = f"{months} months" if months >= 2 else f"{lag.days_late} days"
    if lag.days_late > 0:
        return (f"**Product ops was founded on {founded}, {late} after PM overhead first went over its "
                f"target** ({lag.over_target:%b %Y}, the first month over it in the data).")
    return f"Product ops was founded on {founded}, before PM overhead went over its target ({lag.over_target:%b %Y})."
