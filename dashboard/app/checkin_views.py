"""The Check-ins page's cached reads: the board, the misses, the streaks and the rates."""
from __future__ import annotations

from datetime import date

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.app.views import CHECKIN_TABLES, ORG, cache_key, checkin_tables, per_version, settings, shared_tables, teams
from dashboard.charts.checkins import checkin_heatmap
from dashboard.charts.trends import frozen
from dashboard.core import periods
from dashboard.core.config import Settings
from dashboard.core.periods import Grain
from dashboard.derive.checkins.compliance import board, open_misses, streaks
from dashboard.metrics import METRICS, compute_series


def checkin_kinds() -> dict[str, str]:
    """The check-in kinds in the data, id -> title: configured ones first, in their order, then the
    others, most frequent (the shortest cadence) first."""
    declared = settings().checkins
    counts = checkin_tables()["checkins"]["kind"].value_counts()
    present = sorted(counts.index, key=lambda kind: (-counts[kind], kind))
    configured = [kind.id for kind in declared.kinds if kind.id in counts]
    ordered = configured + [kind for kind in present if kind not in configured]
    return {kind: declared.title_of(kind) for kind in ordered}


def _scoped_teams(group: str | None, team: str | None) -> pd.DataFrame:
    chosen = teams()
    if team:
        return chosen[chosen["team_id"] == team]
    return chosen[chosen["group_name"] == group] if group else chosen


def checkin_board(kind: str, group: str | None, team: str | None, first: date, last: date) -> pd.DataFrame:
    """One kind's check-ins due in [first, last] in the scope, with state and evidence."""
    return _checkin_board(*cache_key(), kind, group, team, first, last)


@per_version
def heatmap(kind: str, group: str | None, team: str | None, first: date, last: date) -> go.Figure:
    """The board (`checkin_board`) as a heatmap, built once per version."""
    return frozen(checkin_heatmap(checkin_board(kind, group, team, first, last)))


@st.cache_data(max_entries=32, show_spinner=False)
def _checkin_board(url: str, settings_json: str, version: str, kind: str, group: str | None, team: str | None,
                   first: date, last: date) -> pd.DataFrame:
    """Cached: a click on a cell reruns the page, and the board need not be rebuilt for it."""
    return board(shared_tables(url, settings_json, version, CHECKIN_TABLES)["checkins"], _scoped_teams(group, team), kind, first, last)


@per_version
def checkin_misses(group: str | None, team: str | None) -> pd.DataFrame:
    """What is missing now in the scope, per team and kind, and since when (shared: read only)."""
    scoped = _scoped_teams(group, team)
    checkins = checkin_tables()["checkins"]
    misses = open_misses(checkins[checkins["team_id"].isin(scoped["team_id"])])
    kinds = checkin_kinds()
    return pd.DataFrame({
        "Team": misses["team_id"].map(scoped.set_index("team_id")["name"]),
        "Check-in": misses["kind"].map(kinds),
        "Missing since": pd.to_datetime(misses["since"]).dt.strftime("%Y-%m-%d %H:%M UTC"),
        "Missed in a row": misses["missed"],
    })


@per_version
def checkin_streaks(kind: str, group: str | None, team: str | None) -> pd.DataFrame:
    """Each team's current run of on-time check-ins of one kind, longest first (shared: read only)."""
    scoped = _scoped_teams(group, team)
    checkins = checkin_tables()["checkins"]
    runs = streaks(checkins[(checkins["kind"] == kind) & checkins["team_id"].isin(scoped["team_id"])])
    out = pd.DataFrame({"Team": runs["team_id"].map(scoped.set_index("team_id")["name"]),
                        "On time in a row": runs["streak"]})
    return out.sort_values(["On time in a row", "Team"], ascending=[False, True], ignore_index=True)


def checkin_rates(kind: str, grain: Grain, group: str | None, team: str | None, first: date, last: date) -> pd.DataFrame:
    """One kind's compliance, on-time rate and median lateness per period in the scope (the
    check-in metrics over that kind's check-ins only), newest period first."""
    return _checkin_rates(*cache_key(), kind, grain, group, team, first, last)


@st.cache_data(max_entries=32, show_spinner=False)
def _checkin_rates(url: str, settings_json: str, version: str, kind: str, grain: Grain, group: str | None,
                   team: str | None, first: date, last: date) -> pd.DataFrame:
    """Cached like the metric series: three metrics computed over a kind's check-ins on every rerun would
    repeat the same work for each click on the page."""
    scope, scope_id = ("team", team) if team else ("group", group) if group else ("org", ORG)
    shared = shared_tables(url, settings_json, version, CHECKIN_TABLES)
    tables = {name: frame.copy(deep=False) for name, frame in shared.items()}
    tables["checkins"] = shared["checkins"][shared["checkins"]["kind"] == kind]
    ids = ["checkin_compliance_rate", "checkin_on_time_rate", "checkin_median_lateness_hours"]
    series = compute_series(tables, Settings.model_validate_json(settings_json), grain, scope, first, last, ids)
    series = series[series["scope_id"] == scope_id]
    table = series.pivot(index="period_start", columns="metric_id", values="value").reindex(columns=ids)
    expected = series[series["metric_id"] == ids[0]].set_index("period_start")["n"]
    out = pd.DataFrame({
        "Period": [periods.label(start, grain) for start in table.index],
        "Expected": expected.reindex(table.index).astype(int).to_numpy(),
        **{METRICS[i].title: [METRICS[i].format(v) for v in table[i]] for i in ids},
    })
    return out.iloc[::-1].reset_index(drop=True)
