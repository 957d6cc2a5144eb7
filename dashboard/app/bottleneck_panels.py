"""The Bottlenecks page's sections: the ranking as a table and the drill-down into one row."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd
import streamlit as st

from dashboard.analysis import bottlenecks
from dashboard.app import navigation, ui, views
from dashboard.core import periods, safe_text
from dashboard.core.words import NO_VALUE
from dashboard.metrics import METRICS
from dashboard.metrics.registry import GROUPS

# ---------------------------------------------------------------------------------------------
# Bottlenecks

TOP_CHOICES = 30
HOW_FAR = ("How far from the typical team counts typical spreads, the usual gap between teams: 0 is the median "
           "team, 2 is twice that gap on the worse side, and a group is measured against the other groups.")


def _focus_on_selection() -> None:
    """A row picked in the ranking becomes the row looked into (the selectbox and the URL follow)."""
    state = st.session_state.get("bn_table")
    rows = state.selection.rows if state is not None else []
    ids = st.session_state.get("_bn_ids", [])
    if rows and rows[0] < len(ids):
        st.session_state["bn_focus"] = ids[rows[0]]


def bottleneck_table(ranked: pd.DataFrame) -> str | None:
    """The ranking as a table, worst first; returns the id of the row to look into."""
    names = views.scope_names()
    shown = bottlenecks.display(ranked, METRICS, names)
    st.session_state["_bn_ids"] = shown["id"].tolist()
    st.caption(HOW_FAR)
    st.dataframe(
        shown.drop(columns="id"), hide_index=True, width="stretch", height=420, key="bn_table",
        on_select=_focus_on_selection, selection_mode="single-row", column_config=_ranking_columns(),
    )
    if shown.empty:
        return None
    choices = shown["id"].tolist()[:TOP_CHOICES]
    current = st.session_state.get("bn_focus") or st.query_params.get("focus")
    if current in shown["id"].tolist() and current not in choices:
        choices.append(current)
    labels = dict(zip(shown["id"], shown["metric"] + " · " + shown["where"]))
    ui.seed_from_url("bn_focus", choices)
    focus = st.selectbox("Look into", choices, format_func=labels.get, key="bn_focus",
                         help="Or pick a row in the table.")
    st.query_params["focus"] = focus
    return focus


def _ranking_columns() -> dict:
    """The ranking's headers as a lead says them, each with its one-line explanation on hover."""
    column = st.column_config
    return {
        "metric": column.TextColumn("Metric", width="medium"),
        "where": column.TextColumn("Team or group"),
        "value": column.TextColumn("Value"),
        "peers": column.TextColumn("Typical (median)", help="The median of all teams, or of all groups on a group's row."),
        "distance": column.NumberColumn("How far from the typical team", format="%.1f", help=HOW_FAR),
        "trend": column.TextColumn(f"Last {bottlenecks.TREND_QUARTERS} quarters",
                                   help="Moving away from the typical team (getting worse), towards it (getting "
                                   f"better) or neither (steady); {NO_VALUE} when too few quarters have a value to tell."),
        "quarters": column.TextColumn("How long", help="Since when it has been clearly worse than typical (at least "
                                      f"{bottlenecks.FLAG} typical spreads) every quarter in a row; {NO_VALUE} when it is not now."),
        "n": column.TextColumn("Based on", help="What the value stands on: releases, check-ins, PMs, requests or respondents."),
        "note": column.TextColumn("Note", width="large", help="A group's row names its teams in the drill-down."),
    }


def bottleneck_drilldown(focus: str, ranked: pd.DataFrame, filters: ui.Filters, period: date) -> None:
    """One row: where it stands, its trend against its parent, the records behind it and where to see it."""
    parsed = bottlenecks.parse_row_id(focus)
    if parsed is None:
        return
    metric_id, scope, scope_id = parsed
    metric, names = METRICS[metric_id], views.scope_names()
    row = ranked[(ranked["metric_id"] == metric_id) & (ranked["scope"] == scope) & (ranked["scope_id"] == scope_id)]
    where = safe_text.markdown(names.get(scope_id, scope_id))
    st.subheader(f"{metric.title} · {where}", anchor=False)
    if len(row):
        item = row.iloc[0]
        since = bottlenecks.since_text(item["quarters"], item["since"])
        st.caption(
            f"{metric.format(item['value'])} against a median of {metric.format(item['centre'])} over all "
            f"{scope}s ({item['distance']:.1f} typical spreads {'worse' if item['distance'] >= 0 else 'better'}) · "
            f"based on {int(item['n'])} {metric.n_label}" + (f" · {since}" if since else "")
            + (f" · {safe_text.markdown(item['note'])}" if item["note"] else "")
        )
    group = scope_id if scope == "group" else views.group_of().get(scope_id)
    focused = replace(filters, group=group, team=scope_id if scope == "team" else None)
    ui.metric_chart(metric_id, focused, height=300, focus=True)
    frame = views.records(metric_id, scope, scope_id, period)
    st.markdown(f"**The records behind it, {periods.quarter_label(period)}**")
    st.caption(bottlenecks.summary(metric, frame))
    if frame is not None and not frame.empty:
        team_names = {team: names.get(team, team) for team in frame["Team"].unique()} if "Team" in frame else {}
        shown = frame.assign(Team=frame["Team"].map(team_names)) if team_names else frame
        st.dataframe(shown, hide_index=True, width="stretch", height="content" if len(shown) <= 12 else 400)
    page = "surveys.py" if "survey" in metric.sources else GROUPS[metric.signal].page if metric.signal in GROUPS else "overview.py"
    title = navigation.title_of(page)
    params = ui.filter_params(focused)
    st.page_link(str(navigation.PAGES_DIR / page), label=f"See {metric.title.lower()} for {where} on the {title} page", icon=":material/open_in_new:",
                 query_params=params)
