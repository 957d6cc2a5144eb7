"""Where product operations is stuck: every team and group, ranked by how far each metric sits
from its peers and by how fast it is getting worse, and the records behind each row.

The ranking (`rank`) works on the quarterly metric series, which already obey the privacy
rules: a cell the rules hold back has no value, so it is never ranked or compared.

1. **Distance.** Each team is compared with all teams, each group with all groups, in robust
   spreads (`dashboard.analysis.compare.distances`): 0 is the peers' median, +2 is two spreads worse.
2. **Trend.** How fast the distance grew over the last `TREND_QUARTERS` quarters, in spreads
   per quarter (`dashboard.analysis.compare.trends`).
3. **Since.** For how many quarters in a row the cell has been at least `FLAG` spreads worse.
4. **One problem, one row.** When a group is flagged on a metric and some of its teams are too,
   either the problem is the group's or it is those teams'. It is the group's when its teams
   *other than the worst one* are still typically flagged (their median distance is at least
   `FLAG`): the group's row stays and names its flagged teams, whose own rows go. Otherwise
   one team drags its group down: the group's row goes and the flagged teams' rows say that
   they pull their group down. A flagged group none of whose teams is flagged (a count over
   the whole group, a survey score its small teams cannot show) keeps its row.
5. **Order.** By severity: the distance plus the worsening (when it is getting worse), which
   is where the cell will be next quarter if nothing changes, weighted by the evidence
   `n / (n + EVIDENCE)`. Two slow data requests are a hint, not a bottleneck: they rank below
   ten missed check-ins even when they sit as far from the median.

The drill-down (`records`) lists what a value stands on, a ranked row's or a chart point's: the
releases that slipped, the issues waiting on a release, the check-ins that were missed, the
weeks of heavy overhead (per week across a team's PMs, never one person's week, and only over
at least the calendar minimum of PMs), the data requests. The rows add up to the value
(`from_records`), or their summary says why they cannot. Survey metrics have no records to
show: answers are anonymous.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import numpy as np
import pandas as pd

from dashboard.analysis import compare
from dashboard.core.config import Settings
from dashboard.core.periods import Grain, next_start, quarter_label
from dashboard.core.store import Store
from dashboard.core.teams import team_at
from dashboard.core.words import NO_VALUE
from dashboard.metrics import compute_series, inputs, load_tables
from dashboard.metrics.aggregate import group_at, org_dates
from dashboard.metrics.checkins import statuses
from dashboard.metrics.insights import months_counted, pm_headcount
from dashboard.metrics.registry import Context, Metric
from dashboard.metrics.releases import first_plans, release_work, released

FLAG = compare.FLAG
TREND_QUARTERS = 4
EVIDENCE = 2
"""The n at which a cell's severity counts half: n / (n + EVIDENCE)."""
RANK_COLUMNS = [
    "metric_id", "scope", "scope_id", "group", "value", "centre", "distance", "worsening", "severity",
    "quarters", "since", "n", "flagged", "note",
]


def rank(
    quarterly: pd.DataFrame,
    metrics: dict[str, Metric],
    period: date,
    group_of: dict[str, str],
    names: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Every (metric, team or group) cell of `period`, the worst problems first.

    Args:
        quarterly: quarterly series of the group and team scopes, for `period` and the quarters
            before it (as many as "since" should be able to reach back).
        metrics: the declarations of the metrics to rank.
        period: the first day of the quarter to rank.
        group_of: each team's group.
        names: display names of scope ids, for the notes (default: the ids).

    Returns:
        One row per cell, columns `RANK_COLUMNS`, sorted by severity.
    """
    names = names or {}
    peers = quarterly[quarterly["scope"].isin(["group", "team"])]
    scored = compare.distances(peers, metrics)
    now = scored[scored["period_start"] == period]
    keys = ["metric_id", "scope", "scope_id"]
    rows = now[[*keys, "value", "centre", "distance", "n"]].reset_index(drop=True)
    if rows.empty:
        return pd.DataFrame(columns=RANK_COLUMNS)
    rows = rows.merge(compare.trends(scored, metrics, period, TREND_QUARTERS), on=keys, how="left")
    rows = rows.merge(compare.streaks(scored, period, FLAG), on=keys, how="left")
    rows["group"] = np.where(rows["scope"] == "team", rows["scope_id"].map(group_of), rows["scope_id"])
    rows["flagged"] = rows["distance"] >= FLAG
    rows["severity"] = severity(rows["distance"], rows["worsening"], rows["n"])
    rows["note"] = ""
    rows = _one_row_per_problem(rows, names)
    rows = rows.dropna(subset=["distance"])
    return rows.sort_values(["severity", "distance", "metric_id", "scope_id"], ascending=[False, False, True, True],
                            ignore_index=True)[RANK_COLUMNS]


def severity(distance: pd.Series, worsening: pd.Series, n: pd.Series) -> pd.Series:
    """(distance + worsening when positive) x n / (n + EVIDENCE)."""
    return (distance + worsening.clip(lower=0).fillna(0)) * n / (n + EVIDENCE)


def _one_row_per_problem(rows: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """Fold a group's teams into its row, or the group into its teams' rows (rule 4 above)."""
    drop: set[int] = set()
    groups = rows[(rows["scope"] == "group") & rows["flagged"]]
    teams_of = dict(tuple(rows[rows["scope"] == "team"].groupby(["metric_id", "group"], sort=False)))
    for index, metric_id, group_id in zip(groups.index, groups["metric_id"], groups["scope_id"]):
        members = teams_of.get((metric_id, group_id))
        if members is None or not members["flagged"].any():
            continue
        flagged = members[members["flagged"]]
        others = members["distance"].sort_values().iloc[:-1]
        if len(others) and others.median() >= FLAG:
            drop.update(flagged.index)
            listed = ", ".join(names.get(t, t) for t in flagged["scope_id"])
            rows.at[index, "note"] = f"{len(flagged)} of {len(members)} teams: {listed}"
        else:
            drop.add(index)
            for team in flagged.index:
                rows.at[team, "note"] = f"pulls {names.get(group_id, group_id)} down"
    return rows.drop(index=sorted(drop))


def one_per_signal_and_place(ranked: pd.DataFrame, metrics: dict[str, Metric]) -> pd.DataFrame:
    """The worst row of each (signal, team or group): a slipping group's on-time rate and its slip
    are one problem to name, not two."""
    signal = ranked["metric_id"].map(lambda metric_id: metrics[metric_id].signal)
    return ranked[~pd.concat([signal, ranked["scope"], ranked["scope_id"]], axis=1).duplicated()]


def row_id(metric_id: str, scope: str, scope_id: str) -> str:
    """A ranked row's id, as the URL carries it ("release_on_time_rate:group:Payments")."""
    return f"{metric_id}:{scope}:{scope_id}"


def parse_row_id(text: str) -> tuple[str, str, str] | None:
    parts = text.split(":", 2)
    return (parts[0], parts[1], parts[2]) if len(parts) == 3 and parts[1] in ("group", "team") else None


def since_text(quarters: float, since: date | None) -> str:
    """"since Q2 2026 (3 quarters)", or "" when the cell is not a problem now."""
    if not since or not quarters or pd.isna(quarters):
        return ""
    count = int(quarters)
    return f"since {quarter_label(since)} ({count} quarter{'s' if count != 1 else ''})"


def trend_text(worsening: float) -> str:
    """The trend as a lead says it. A slope that moves the cell less than `compare.MIN_MOVE` spreads
    over the quarters it is measured on is noise ("steady"); `NO_VALUE` when too few quarters
    have a value to tell."""
    if pd.isna(worsening):
        return NO_VALUE
    if abs(worsening) * (TREND_QUARTERS - 1) < compare.MIN_MOVE:
        return "steady"
    return "getting worse" if worsening > 0 else "getting better"


def display(ranked: pd.DataFrame, metrics: dict[str, Metric], names: dict[str, str]) -> pd.DataFrame:
    """The ranked rows as people read them: words where a lead would say words, the distance a
    number so the table sorts by it, and `NO_VALUE` rather than an empty cell.

    `quarters` says since when the cell has been a problem; a group's note keeps only its count
    of teams ("4 of 4 teams"), the drill-down names them.
    """
    return pd.DataFrame({
        "id": [row_id(m, s, i) for m, s, i in zip(ranked["metric_id"], ranked["scope"], ranked["scope_id"])],
        "metric": ranked["metric_id"].map(lambda m: metrics[m].title),
        "where": [f"{names.get(i, i)}" + (" (group)" if s == "group" else "") for s, i in zip(ranked["scope"], ranked["scope_id"])],
        "value": [metrics[m].format(v) for m, v in zip(ranked["metric_id"], ranked["value"])],
        "peers": [metrics[m].format(v) for m, v in zip(ranked["metric_id"], ranked["centre"])],
        "distance": ranked["distance"].round(1),
        "trend": ranked["worsening"].map(trend_text),
        "quarters": [since_text(q, s) or NO_VALUE for q, s in zip(ranked["quarters"], ranked["since"])],
        "n": [f"{int(n)} {metrics[m].n_label}" for m, n in zip(ranked["metric_id"], ranked["n"])],
        "note": ranked["note"].str.split(":").str[0],
    })


# ---------------------------------------------------------------------------------------------
# The records behind a row


def scope_teams(tables: dict[str, pd.DataFrame], scope: str, scope_id: str, team_ids: pd.Series, dates: pd.Series) -> pd.Series:
    """Which of the rows (a team id and a date each) fall in the team or group `scope_id` (all of them for the organisation)."""
    if scope == "org":
        return pd.Series(True, index=team_ids.index)
    if scope == "team":
        return team_ids == scope_id
    return group_at(tables, team_ids, dates) == scope_id


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates and times as text a table shows as they are ("2026-10-16", "2026-10-16 09:30"), blank when missing."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            with_time = (values.dropna().dt.normalize() != values.dropna()).any()
            out[column] = values.dt.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d").fillna("")
        elif values.dtype == object and values.map(lambda v: isinstance(v, date)).any():
            out[column] = values.map(lambda v: "" if pd.isna(v) else v.isoformat() if isinstance(v, date) else v)
    return out


def _days(later: pd.Series, earlier: pd.Series) -> pd.Series:
    return (pd.to_datetime(later) - pd.to_datetime(earlier)) / pd.Timedelta(days=1)


JIRA_LINK = "Open in Jira"


def _jira_links(settings: Settings, paths: pd.Series) -> dict[str, pd.Series]:
    """Each record's address on the configured Jira site (a column named `JIRA_LINK`); none without one."""
    if settings.jira is None:
        return {}
    return {JIRA_LINK: f"{settings.jira.url}/" + paths}


def _version_paths(frame: pd.DataFrame) -> pd.Series:
    """Each release's page on Jira, below the site's address."""
    return "projects/" + frame["project"].astype(str) + "/versions/" + frame["release_id"].astype(str)


def _by_release(releases: pd.DataFrame, dates: pd.Series) -> pd.Series:
    """Dates by release id, for each of the releases: NaT where a release has none, or none has one
    (a map onto an empty series of dates would fail)."""
    return pd.to_datetime(releases["release_id"].map(dates.to_dict()))


def release_records(tables, settings, scope, scope_id, first: date, end: date, today: date,
                    unshipped: bool = False) -> pd.DataFrame:
    """Releases shipped in [first, end), and releases planned by then that have not shipped (with
    `unshipped`, every release not shipped, its plan ahead or not), worst first."""
    releases = tables["releases"].copy()
    ctx = Context(tables, settings, "quarter", "team", [first])
    releases["first_plan"] = _by_release(releases, first_plans(ctx))
    plans = tables["release_plans"].dropna(subset=["planned_date"]).sort_values("observed_at")
    releases["latest_plan"] = _by_release(releases, plans.groupby("release_id")["planned_date"].last())
    releases["replans"] = releases["release_id"].map(plans.groupby("release_id")["planned_date"].nunique() - 1).fillna(0)
    released_on = pd.to_datetime(releases["released_on"])
    shipped = releases["released"].fillna(False).astype(bool) & released_on.notna()
    start, stop, now = pd.Timestamp(first), pd.Timestamp(end), pd.Timestamp(today)
    in_period = shipped & (released_on >= start) & (released_on < stop)
    overdue = ~shipped & (releases["first_plan"].notna() & (releases["first_plan"] < min(stop, now)) | unshipped)
    when = released_on.where(shipped, releases["first_plan"])
    chosen = releases[(in_period | overdue) & scope_teams(tables, scope, scope_id, releases["team_id"], when)].copy()
    if chosen.empty:
        return pd.DataFrame(columns=["Release", "Team", "First plan", "Latest plan", "Released", "Days late", "Re-plans", "State"])
    done = chosen["released"].fillna(False).astype(bool) & chosen["released_on"].notna()
    late = _days(pd.to_datetime(chosen["released_on"]).where(done, now), chosen["first_plan"]).clip(lower=0)
    state = np.select(
        [~done, chosen["first_plan"].isna(), late > 0], ["not released", "no plan", "late"], default="on time"
    )
    out = pd.DataFrame({
        "Release": chosen["name"],
        "Team": chosen["team_id"],
        "First plan": chosen["first_plan"].dt.date,
        "Latest plan": chosen["latest_plan"].dt.date,
        "Released": pd.to_datetime(chosen["released_on"]).dt.date,
        "Days late": late.round(0),
        "Re-plans": chosen["replans"].astype(int),
        "State": state,
        **_jira_links(settings, _version_paths(chosen)),
    })
    order = out["State"].map({"not released": 0, "late": 1, "no plan": 2, "on time": 3})
    out = out.assign(_o=order).sort_values(["_o", "Days late"], ascending=[True, False]).drop(columns="_o")
    return readable(out.reset_index(drop=True))


def interval_records(tables, settings, scope, scope_id, first: date, end: date) -> pd.DataFrame:
    """The releases shipped in [first, end) after an earlier release of their project, the longest
    gap first, with the day of that earlier release and the days between: `release_interval_days`
    is their median (a project's first release has no gap to count)."""
    ctx = Context(tables, settings, "quarter", "team", [first])
    done = released(ctx, near=False).sort_values(["project", "released_on", "release_id"])
    done["previous"] = done.groupby("project")["released_on"].shift()
    in_period = (done["released_on"] >= pd.Timestamp(first)) & (done["released_on"] < pd.Timestamp(end)) & done["previous"].notna()
    chosen = done[in_period & scope_teams(tables, scope, scope_id, done["team_id"], done["released_on"])]
    out = pd.DataFrame({
        "Release": chosen["name"], "Team": chosen["team_id"], "Previous release": chosen["previous"].dt.date,
        "Released": chosen["released_on"].dt.date, "Days since previous": _days(chosen["released_on"], chosen["previous"]),
        **_jira_links(settings, _version_paths(chosen)),
    })
    return readable(out.sort_values("Days since previous", ascending=False, kind="stable").reset_index(drop=True))


def lead_time_records(tables, settings, scope, scope_id, first: date, end: date) -> pd.DataFrame:
    """The issues of the releases shipped in [first, end), one row per issue and fix version, the longest
    wait first: days from the day an issue was created to its release's day, whose median is
    `release_lead_time_days`.

    A row names the release and the issue's day, not the issue: the release metrics read the
    issues without their keys (`dashboard.metrics.READ_ROWS`).
    """
    ctx = Context(tables, settings, "quarter", "team", [first])
    done = released(ctx, near=False)
    done = done[(done["released_on"] >= pd.Timestamp(first)) & (done["released_on"] < pd.Timestamp(end))]
    issues = release_work(tables).merge(done[["release_id", "project", "name", "team_id", "released_on"]], on=["project", "name"])
    issues = issues[scope_teams(tables, scope, scope_id, issues["team_id"], issues["released_on"])]
    created = pd.to_datetime(issues["created"]).dt.normalize()
    out = pd.DataFrame({
        "Release": issues["name"], "Team": issues["team_id"], "Issue created": created.dt.date,
        "Released": issues["released_on"].dt.date, "Days": _days(issues["released_on"], created).clip(lower=0),
        **_jira_links(settings, _version_paths(issues)),
    })
    return readable(out.sort_values("Days", ascending=False, kind="stable").reset_index(drop=True))


def _expected_checkins(tables, settings, scope, scope_id, first: date, end: date, today: date) -> tuple[pd.DataFrame, pd.Series]:
    """The check-ins due in [first, end) by today, or later and already sent (those count as
    expected), and the state of each as the records name it."""
    checkins = tables["checkins"]
    ctx = Context(tables, settings, "quarter", "team", [first])
    due_day = org_dates(ctx, checkins["due_at"])
    known = (due_day <= pd.Timestamp(today)) | checkins["submitted_at"].notna()
    chosen = checkins[(due_day >= pd.Timestamp(first)) & (due_day < pd.Timestamp(end)) & known
                      & scope_teams(tables, scope, scope_id, checkins["team_id"], due_day)]
    state = statuses(chosen, settings.checkins.grace_hours).map(
        {"on_time": "on time", "late": "late", "missing": "missing", "pending": "not due yet"})
    not_due = chosen["submitted_at"].isna() & (pd.to_datetime(chosen["due_at"]).dt.date > today)
    return chosen, state.where(~not_due, "not due yet")


def _checkin_rows(chosen: pd.DataFrame, state: pd.Series, settings: Settings, measured: dict[str, pd.Series]) -> pd.DataFrame:
    """Check-ins as their records show them, missing first, then late, then on time; a sent one with
    what shows it was sent (the ticket, form row or meeting); `measured` columns after its times."""
    submitted = pd.to_datetime(chosen["submitted_at"])
    evidence = chosen["source"].astype(str) + ": " + chosen["ref"].astype(str)
    out = pd.DataFrame({
        "Team": chosen["team_id"], "Check-in": chosen["kind"].map(settings.checkins.title_of),
        "For": pd.to_datetime(chosen["period_start"]).dt.date, "Due": pd.to_datetime(chosen["due_at"]), "Submitted": submitted,
        **measured, "Evidence": evidence.where(submitted.notna() & chosen["source"].notna(), ""), "State": state,
    })
    order = out["State"].map({"missing": 0, "late": 1, "on time": 2, "not due yet": 3})
    return readable(out.assign(_o=order).sort_values(["_o", "Due"]).drop(columns="_o").reset_index(drop=True))


def checkin_records(tables, settings, scope, scope_id, first: date, end: date, today: date) -> pd.DataFrame:
    """The check-ins the rates count in [first, end), and those not due yet."""
    chosen, state = _expected_checkins(tables, settings, scope, scope_id, first, end, today)
    return _checkin_rows(chosen, state, settings, {})


def lateness_records(tables, settings, scope, scope_id, first: date, end: date, today: date) -> pd.DataFrame:
    """The check-ins due in [first, end) that came late (after their due time plus grace), with their
    hours after the due time: `checkin_median_lateness_hours` is their median."""
    chosen, state = _expected_checkins(tables, settings, scope, scope_id, first, end, today)
    late = state == "late"
    hours = (pd.to_datetime(chosen["submitted_at"]) - pd.to_datetime(chosen["due_at"])) / pd.Timedelta(hours=1)
    return _checkin_rows(chosen[late], state[late], settings, {"Hours late": hours[late]})


PM_WEEK_METRICS = ("pm_overhead_share", "pm_strategy_share", "pm_focus_hours", "pm_meeting_hours", "enablement_hours_per_pm")
UNCOUNTED = "uncounted"
"""The `attrs` key of records that do not add up to the value they stand behind, holding the
sentence that says why: `summary` says it, and `from_records` offers no count."""


def week_column(metric: Metric) -> tuple[str, float]:
    """A PM-week metric's weekly value as its records name it, and the factor it is shown at:
    shares in percent, as the charts read them."""
    return (f"{metric.title} (%)", 100.0) if metric.unit == "share" else (f"{metric.title} (hours)", 1.0)


def pm_week_records(metric: Metric, tables, settings, scope, scope_id, first: date, end: date, grain: Grain) -> pd.DataFrame:
    """The scope's weeks, one value per week over its PMs and how many PMs stand behind it, worst
    first: the weekly cells the calendar privacy rules publish (`dashboard.metrics.calendar_cells`),
    and no others.

    Person-level calendar numbers are never shown, and a week the rules hide is not listed. A
    period's value is the mean over its PM-weeks, which the weeks' values weighted by their PMs
    give back, unless a week is hidden, a figure shown is one the rules held from an earlier
    version of the data, or a PM had no working hours in a week (no share, yet one of its PMs):
    then the records say so (`UNCOUNTED`) rather than add up to another number.
    """
    last = end - timedelta(days=1)
    weekly = compute_series(tables, settings, "week", scope, first, last, [metric.id])
    weeks = weekly[(weekly["scope_id"] == scope_id) & (weekly["period_start"] >= first)]
    shown = weeks[weeks["value"].notna()]
    column, factor = week_column(metric)
    per_week = pd.DataFrame({"Week of": shown["period_start"], column: shown["value"] * factor, "PMs": shown["n"].astype(int)})
    out = readable(per_week.sort_values(column, ascending=metric.better == "higher").reset_index(drop=True))
    hidden = int((weeks["value"].isna() & weeks["n"].isna()).sum())
    if hidden:
        out.attrs[UNCOUNTED] = (f"{hidden} more week{'s' if hidden != 1 else ''} of this {grain} "
                                f"{'are' if hidden != 1 else 'is'} hidden by the privacy rules, so these weeks do not add up to its value.")
    elif len(out) and not _gives(metric, out, _value(metric, tables, settings, grain, scope, scope_id, first, last)):
        out.attrs[UNCOUNTED] = ("These weeks weighted by their PMs do not give this value exactly (a week's figure is the one an earlier "
                                "version of the data published, or a PM had no working hours that week), so they are not added up.")
    return out


def _value(metric: Metric, tables, settings, grain: Grain, scope, scope_id, first: date, last: date) -> float:
    """The metric's published value for one cell."""
    cells = compute_series(tables, settings, grain, scope, first, last, [metric.id])
    value = cells.loc[(cells["scope_id"] == scope_id) & (cells["period_start"] == first), "value"]
    return float(value.iloc[0]) if len(value) else np.nan


def _gives(metric: Metric, rows: pd.DataFrame, value: float) -> bool:
    """Whether the weeks listed, weighted by their PMs, give `value` (to rounding)."""
    return bool(np.isclose(_weighted_weeks(metric, rows), value, rtol=1e-9, atol=0))


def _weighted_weeks(metric: Metric, rows: pd.DataFrame) -> float:
    """The weeks' values weighted by their PMs: the mean over the PM-weeks behind them."""
    column, factor = week_column(metric)
    return float((rows[column] * rows["PMs"]).sum() / rows["PMs"].sum() / factor)


def reach_records(metric: Metric, tables, settings, scope, scope_id, first: date, end: date, grain: Grain) -> pd.DataFrame:
    """The scope's reach as published, and nothing finer: who attended is person-level calendar data,
    and with teams of two or three PMs the privacy rules hide most teams (a team all of whose PMs
    attended tells each of them), so no listing of teams would add up to the value either."""
    value = _value(metric, tables, settings, grain, scope, scope_id, first, end - timedelta(days=1))
    cells = compute_series(tables, settings, grain, scope, first, end - timedelta(days=1), [metric.id])
    n = cells.loc[(cells["scope_id"] == scope_id) & (cells["period_start"] == first), "n"]
    column, factor = week_column(metric)
    if np.isnan(value) or not len(n):
        return pd.DataFrame(columns=["Scope", column, "PMs"])
    return pd.DataFrame({"Scope": [scope_id], column: [value * factor], "PMs": [int(n.iloc[0])]})


REQUEST_DAY = {"data_requests_per_pm": "created", "data_request_days_to_fulfil": "resolved"}
"""The day that places a data request in a period and on its reporter's team, as each metric counts it."""
DIVISOR = "divisor"
"""The `attrs` key of the requests behind `data_requests_per_pm`: (the average PMs in scope, the months
of the period so far), what their count is divided by."""


def request_records(metric: Metric, tables, settings, scope, scope_id, first: date, end: date, today: date,
                    grain: Grain) -> pd.DataFrame:
    """The data requests the metric counts in [first, end), open ones first, the oldest on top: those
    created in it (requests per PM, with what their count is divided by), or resolved in it (days to
    fulfil), each on its reporter's team of that day. Days runs from creation to resolution, or to
    today while open."""
    items = tables["work_items"]
    requests = items[items["kind"] == "data_request"]
    ctx = Context(tables, settings, grain, scope, [first], until=today)
    when = requests[REQUEST_DAY[metric.id]]
    day = org_dates(ctx, when) if when.notna().any() else pd.Series(pd.NaT, index=when.index)
    team = team_at(tables["memberships"], requests["reporter_id"], day)
    chosen = (day >= pd.Timestamp(first)) & (day < pd.Timestamp(end)) & scope_teams(tables, scope, scope_id, team, day)
    rows = requests[chosen]
    is_open = rows["resolved"].isna()
    out = pd.DataFrame({
        "Request": rows["key"], "Team": team[chosen], "Created": pd.to_datetime(rows["created"]),
        "Resolved": pd.to_datetime(rows["resolved"]), "Status": rows["status"],
        "Days": _days(pd.to_datetime(rows["resolved"]).where(~is_open, pd.Timestamp(today)), rows["created"]),
        "State": np.where(is_open, "open", "resolved"),
        **_jira_links(settings, "browse/" + rows["key"].astype(str)),
    })
    out = readable(out.sort_values(["State", "Days"], ascending=[True, False]).reset_index(drop=True))
    if metric.id == "data_requests_per_pm":
        out.attrs[DIVISOR] = _divisor(ctx, scope_id)
    return out


def _divisor(ctx: Context, scope_id: str) -> tuple[float, float]:
    """What `data_requests_per_pm` divides the requests of the context's period by, as it does."""
    headcount = pm_headcount(ctx)
    pms = headcount.loc[headcount["scope_id"] == scope_id, "headcount"]
    return (float(pms.iloc[0]) if len(pms) else np.nan), months_counted(ctx, ctx.periods[0])


UNLISTED = frozenset({"ops_decision_share", "pms_per_prodops", "prodops_coordination_share", "prodops_focus_hours",
                      "prodops_time_with_pms_share", "prodops_time_with_operations_share",
                      "prodops_time_with_group_share", "prodops_systems_work_share"})
"""Figures about the product-ops people themselves, a handful: their records (each one's weeks, each
one's decision edits, each one's closed work items) would point at them, so none are listed, as no
survey answer is."""


def records(
    metric: Metric, tables: dict[str, pd.DataFrame], settings: Settings, scope: str, scope_id: str,
    period: date, end: date, today: date, grain: Grain = "quarter",
) -> pd.DataFrame | None:
    """The records behind one value, the `grain` period [period, end) of a ranked row or a chart's
    point, that add up to it (`from_records`); None when the metric has none to show (surveys,
    `UNLISTED`)."""
    if metric.id in UNLISTED:
        return None
    if metric.id == "checkin_median_lateness_hours":
        return lateness_records(tables, settings, scope, scope_id, period, end, today)
    if metric.id.startswith("checkin_"):
        return checkin_records(tables, settings, scope, scope_id, period, end, today)
    through = min(end, today + timedelta(days=1))
    if metric.id == "release_interval_days":
        return interval_records(tables, settings, scope, scope_id, period, through)
    if metric.id == "release_lead_time_days":
        return lead_time_records(tables, settings, scope, scope_id, period, through)
    if metric.id.startswith("release_"):
        return release_records(tables, settings, scope, scope_id, period, through, today)
    if metric.id == "enablement_reach":
        return reach_records(metric, tables, settings, scope, scope_id, period, through, grain)
    if metric.id in PM_WEEK_METRICS:
        return pm_week_records(metric, tables, settings, scope, scope_id, period, through, grain)
    if metric.id in REQUEST_DAY:
        return request_records(metric, tables, settings, scope, scope_id, period, through, today, grain)
    return None


RECORDS_LEAD = timedelta(days=7)
"""How far before its period a value's records are read from: a week that starts before a month
or quarter and ends in it counts for it."""


def stored_records(store: Store, metric: Metric, settings: Settings, scope: str, scope_id: str, period: date,
                   grain: Grain, today: date) -> pd.DataFrame | None:
    """`records` of one value, read from the store: only the tables its metric reads, and of those
    only the rows that can fall in its period or after it, as an incremental refresh reads them
    (`dashboard.metrics.RECENT_ROWS`). Every table whole cost the large organisation's
    Bottlenecks page 2.8 s on DuckDB and 16.8 s on PostgreSQL, for one value's records."""
    tables = load_tables(store, inputs([metric.id]), recent=period - RECORDS_LEAD)
    return records(metric, tables, settings, scope, scope_id, period, next_start(period, grain), today, grain)


def _median(values: pd.Series) -> float | None:
    values = pd.to_numeric(values).dropna()
    return float(values.median()) if len(values) else None


def _mean(values: pd.Series) -> float | None:
    return float(pd.to_numeric(values).mean()) if len(values) else None


def _shipped(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[rows["State"] != "not released"]


def _planned(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[rows["State"].isin(["on time", "late"])]


def _expected(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[rows["State"] != "not due yet"]


def _per_pm(_: Metric, rows: pd.DataFrame) -> float | None:
    pms, months = rows.attrs.get(DIVISOR, (np.nan, np.nan))
    return len(rows) / pms / months if pms > 0 and months > 0 else None


RECOUNT: dict[str, Callable[[Metric, pd.DataFrame], float | None]] = {
    "release_count": lambda _, rows: len(_shipped(rows)),
    "release_interval_days": lambda _, rows: _median(rows["Days since previous"]),
    "release_on_time_rate": lambda _, rows: _mean(_planned(rows)["State"] == "on time"),
    "release_slip_days": lambda _, rows: _mean(_planned(rows)["Days late"]),
    "release_lead_time_days": lambda _, rows: _median(rows["Days"]),
    "checkin_compliance_rate": lambda _, rows: _mean(_expected(rows)["State"].isin(["on time", "late"])),
    "checkin_on_time_rate": lambda _, rows: _mean(_expected(rows)["State"] == "on time"),
    "checkin_median_lateness_hours": lambda _, rows: _median(rows["Hours late"]),
    "data_requests_per_pm": _per_pm,
    "data_request_days_to_fulfil": lambda _, rows: _median(rows["Days"]),
    **dict.fromkeys((*PM_WEEK_METRICS, "enablement_reach"), _weighted_weeks),
}
"""Each metric's value from the records `records` lists, by its definition: a count, rate, mean or
median of the rows, the requests over their stated divisor, the weeks weighted by their PMs."""


def from_records(metric: Metric, frame: pd.DataFrame | None) -> float | None:
    """The value the listed records give, by the metric's own definition; None where they give none:
    a survey score (no records), no rows, or records that say they do not add up (`UNCOUNTED`)."""
    if frame is None or frame.empty or metric.id not in RECOUNT or UNCOUNTED in frame.attrs:
        return None
    value = RECOUNT[metric.id](metric, frame)
    return None if value is None or pd.isna(value) else float(value)


def summary(metric: Metric, frame: pd.DataFrame | None, period: str = "quarter") -> str:
    """One line over the records of a `period` ("quarter", "month", ...): what they are, what a reader
    needs to add them up, and why they do not when they do not."""
    if frame is None and metric.id in UNLISTED:
        return ("Not listed: these records are the few product-ops people's own (their weeks, their edits, their "
                "work items), and a list would point at them. The value and its n are the published ones.")
    if frame is None:
        return ("Survey answers are anonymous: no one is listed. The Surveys page counts the respondents behind "
                "each score (click a score there).")
    if frame.empty:
        return f"No records in this {period}."
    note = frame.attrs.get(UNCOUNTED)
    text = _what_they_are(metric, frame, period)
    return f"{text} {note}" if note else text


def _what_they_are(metric: Metric, frame: pd.DataFrame, period: str) -> str:
    if metric.id == "release_interval_days":
        return (f"{len(frame)} releases shipped in the {period} after an earlier release of their project, the longest gap "
                "first; a project's first release has no gap to count.")
    if metric.id == "release_lead_time_days":
        return (f"{len(frame)} issues of the releases shipped in the {period}, the longest wait first; Days runs from the day "
                "an issue was created to its release's day.")
    if metric.id == "checkin_median_lateness_hours":
        return (f"{len(frame)} check-ins due in the {period} came late, after their due time plus grace; Hours late "
                "runs from the due time.")
    if metric.id.startswith("release_"):
        counts = frame["State"].value_counts()
        return (f"{len(frame)} releases: {counts.get('late', 0)} late, {counts.get('not released', 0)} planned but "
                f"not released, {counts.get('on time', 0)} on time. Lateness is against the first plan on record.")
    if metric.id.startswith("checkin_"):
        counts = frame["State"].value_counts()
        return (f"{len(frame)} check-ins due: {counts.get('missing', 0)} missing, {counts.get('late', 0)} late, "
                f"{counts.get('on time', 0)} on time.")
    if metric.id == "data_requests_per_pm":
        pms, months = frame.attrs.get(DIVISOR, (np.nan, np.nan))
        still_open = int((frame["State"] == "open").sum())
        return (f"{len(frame)} requests created in the {period} ({still_open} still open). Per PM per month: {len(frame)} "
                f"÷ {_amount(pms)} PMs on average in this scope ÷ {_amount(months)} month{'s' if months != 1 else ''}.")
    if metric.id == "data_request_days_to_fulfil":
        return f"{len(frame)} requests resolved in the {period}; Days runs from creation to resolution."
    if metric.id == "enablement_reach":
        return (f"The share of this scope's PMs who attended an enablement session in the {period}. Who attended is "
                "never listed: it is each PM's own calendar.")
    return f"{len(frame)} weeks, worst first; each is the mean over the PMs of the week, and PMs says how many."


def _amount(value: float) -> str:
    """A divisor as a reader redoes the sum with it: "54.29", "3", "1.86"."""
    return NO_VALUE if pd.isna(value) else f"{round(value, 2):g}"
