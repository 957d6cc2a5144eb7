"""S1: do PMs spend less time on process overhead and more on strategy? A PM also sees their own weeks."""
from __future__ import annotations

import streamlit as st

from dashboard.analysis.own_time import OwnTimeError
from dashboard.app import auth, ui, views
from dashboard.core import periods


def my_time(filters: ui.Filters) -> None:
    """The signed-in PM's own calendar numbers over the chosen range and grain; nothing for other roles.

    Whose numbers is the viewer's verified email alone: the group and team filters, the URL and
    the session choose the range and grain, never the person.
    """
    viewer = auth.viewer()
    if viewer.mode != "signed_in" or not viewer.may("own_calendar"):
        return
    st.subheader("My time", anchor=False)
    st.caption(f"Your own calendar, {ui.span(filters)}, averaged over your weeks. Only you see these numbers: "
               "nobody else, leaders included, sees one person's calendar.")
    if not viewer.email:
        st.info("Your sign-in carries no verified email address, so your calendar cannot be found.",
                icon=":material/person_off:")
        return
    try:
        table = views.own_time_summary(viewer.email, filters.grain, filters.start, filters.end)
    except OwnTimeError as error:
        st.warning(str(error), icon=":material/group:")
        return
    if table.empty:
        st.info(f"No calendar weeks of {viewer.email} in this range.", icon=":material/event_busy:")
        return
    shown = table.assign(period=table["period"].map(lambda start: periods.label(start, filters.grain)))
    st.dataframe(
        shown, hide_index=True, width="stretch", key="my_time",
        column_config={
            "period": ui.GRAIN_LABEL[filters.grain],
            "weeks": st.column_config.NumberColumn("Weeks", help="Your weeks with calendar data in the period."),
            "meeting_hours": st.column_config.NumberColumn("Meeting h/week", format="%.1f"),
            "overhead_share": st.column_config.NumberColumn("Overhead share", format="percent"),
            "strategy_share": st.column_config.NumberColumn("Strategy share", format="percent"),
            "focus_hours": st.column_config.NumberColumn("Focus h/week", format="%.1f"),
        },
    )


filters = ui.require_filters()
ui.page_header("PM time", views.signals()["S1"], filters)
ui.metric_grid("S1", filters)
my_time(filters)
