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

The drill-down (`records`) lists what a row stands on: the releases that slipped, the
check-ins that were missed, the weeks of heavy overhead (per week across a team's PMs, never
one person's week, and only over at least the calendar minimum of PMs), the data requests.
Survey metrics have no records to show: answers are anonymous.
"""
from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from dashboard.analysis import compare
from dashboard.core.config import Settings
from dashboard.core.periods import quarter_label
from dashboard.core.teams import team_at
from dashboard.core.words import NO_VALUE
from dashboard.metrics import compute_series
from dashboard.metrics.aggregate import group_at, org_dates
from dashboard.metrics.checkins import statuses
from dashboard.metrics.registry import Context, Metric
from dashboard.metrics.releases import first_plans

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
    teams = rows[rows["scope"] == "team"]
    for index, group in groups.iterrows():
        members = teams[(teams["metric_id"] == group["metric_id"]) & (teams["group"] == group["scope_id"])]
        flagged = members[members["flagged"]]
        if flagged.empty:
            continue
        others = members["distance"].sort_values().iloc[:-1]
        if len(others) and others.median() >= FLAG:
            drop.update(flagged.index)
            listed = ", ".join(names.get(t, t) for t in flagged["scope_id"])
            rows.at[index, "note"] = f"{len(flagged)} of {len(members)} teams: {listed}"
        else:
            drop.add(index)
            for team in flagged.index:
                rows.at[team, "note"] = f"pulls {names.get(group['scope_id'], group['scope_id'])} down"
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


def release_records(tables, settings, scope, scope_id, first: date, end: date, today: date) -> pd.DataFrame:
    """Releases shipped in [first, end), and releases planned by then that have not shipped, worst first."""
    releases = tables["releases"].copy()
    ctx = Context(tables, settings, "quarter", "team", [first])
    releases["first_plan"] = pd.to_datetime(releases["release_id"].map(first_plans(ctx)))
    plans = tables["release_plans"].dropna(subset=["planned_date"]).sort_values("observed_at")
    releases["latest_plan"] = pd.to_datetime(releases["release_id"].map(plans.groupby("release_id")["planned_date"].last()))
    releases["replans"] = releases["release_id"].map(plans.groupby("release_id")["planned_date"].nunique() - 1).fillna(0)
    released_on = pd.to_datetime(releases["released_on"])
    shipped = releases["released"].fillna(False).astype(bool) & released_on.notna()
    start, stop, now = pd.Timestamp(first), pd.Timestamp(end), pd.Timestamp(today)
    in_period = shipped & (released_on >= start) & (released_on < stop)
    overdue = ~shipped & releases["first_plan"].notna() & (releases["first_plan"] < min(stop, now))
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
        **_jira_links(settings, "projects/" + chosen["project"].astype(str) + "/versions/" + chosen["release_id"].astype(str)),
    })
    order = out["State"].map({"not released": 0, "late": 1, "no plan": 2, "on time": 3})
    out = out.assign(_o=order).sort_values(["_o", "Days late"], ascending=[True, False]).drop(columns="_o")
    return readable(out.reset_index(drop=True))


def checkin_records(tables, settings, scope, scope_id, first: date, end: date, today: date) -> pd.DataFrame:
    """Check-ins due in [first, end): missing first, then late, then on time."""
    checkins = tables["checkins"]
    ctx = Context(tables, settings, "quarter", "team", [first])
    due_day = org_dates(ctx, checkins["due_at"])
    chosen = checkins[(due_day >= pd.Timestamp(first)) & (due_day < pd.Timestamp(end))
                      & scope_teams(tables, scope, scope_id, checkins["team_id"], due_day)]
    due = pd.to_datetime(chosen["due_at"])
    submitted = pd.to_datetime(chosen["submitted_at"])
    state = statuses(chosen, settings.checkins.grace_hours).map(
        {"on_time": "on time", "late": "late", "missing": "missing", "pending": "not due yet"})
    state = state.where(~(submitted.isna() & (due.dt.date > today)), "not due yet")
    out = pd.DataFrame({
        "Team": chosen["team_id"], "Check-in": chosen["kind"].map(settings.checkins.title_of),
        "For": pd.to_datetime(chosen["period_start"]).dt.date,
        "Due": due, "Submitted": submitted, "State": state,
    })
    order = out["State"].map({"missing": 0, "late": 1, "on time": 2, "not due yet": 3})
    return readable(out.assign(_o=order).sort_values(["_o", "Due"]).drop(columns="_o").reset_index(drop=True))


PM_WEEK_METRICS = ("pm_overhead_share", "pm_strategy_share", "pm_focus_hours", "pm_meeting_hours")


def pm_week_records(metric: Metric, tables, settings, scope, scope_id, first: date, end: date) -> pd.DataFrame:
    """The scope's weeks, one value per week over its PMs, worst first: the weekly cells the
    calendar privacy rules publish (`dashboard.metrics.calendar_cells`), and no others.

    Person-level calendar numbers are never shown, and a week the rules hide is not listed.
    """
    weekly = compute_series(tables, settings, "week", scope, first, end - timedelta(days=1), [metric.id])
    shown = weekly[(weekly["scope_id"] == scope_id) & weekly["value"].notna() & (weekly["period_start"] >= first)]
    label = metric.title
    per_week = pd.DataFrame({"Week of": shown["period_start"], "value": shown["value"], "PMs": shown["n"].astype(int)})
    per_week[label] = per_week["value"].map(metric.format)
    ascending = metric.better == "higher"
    per_week = per_week.sort_values("value", ascending=ascending)[["Week of", label, "PMs"]]
    return readable(per_week.reset_index(drop=True))


def request_records(tables, settings, scope, scope_id, first: date, end: date, today: date) -> pd.DataFrame:
    """Data requests created or resolved in [first, end): open ones first, the oldest on top."""
    items = tables["work_items"]
    requests = items[items["kind"] == "data_request"]
    ctx = Context(tables, settings, "quarter", "team", [first])
    created = org_dates(ctx, requests["created"])
    resolved = org_dates(ctx, requests["resolved"]) if requests["resolved"].notna().any() else pd.Series(pd.NaT, index=requests.index)
    team = team_at(tables["memberships"], requests["reporter_id"], created)
    start, stop = pd.Timestamp(first), pd.Timestamp(end)
    touched = ((created >= start) & (created < stop)) | ((resolved >= start) & (resolved < stop))
    chosen = touched & scope_teams(tables, scope, scope_id, team, created)
    rows = requests[chosen]
    is_open = rows["resolved"].isna()
    days = _days(pd.to_datetime(rows["resolved"]).where(~is_open, pd.Timestamp(today)), rows["created"]).round(1)
    out = pd.DataFrame({
        "Request": rows["key"], "Team": team[chosen], "Created": pd.to_datetime(rows["created"]),
        "Resolved": pd.to_datetime(rows["resolved"]), "Status": rows["status"],
        "Days": days, "State": np.where(is_open, "open", "resolved"),
        **_jira_links(settings, "browse/" + rows["key"].astype(str)),
    })
    return readable(out.sort_values(["State", "Days"], ascending=[True, False]).reset_index(drop=True))


def records(
    metric: Metric, tables: dict[str, pd.DataFrame], settings: Settings, scope: str, scope_id: str,
    period: date, end: date, today: date,
) -> pd.DataFrame | None:
    """The records behind one ranked row, or None when the metric has none to show (surveys)."""
    end = min(end, today + timedelta(days=1))
    if metric.id.startswith("release_"):
        return release_records(tables, settings, scope, scope_id, period, end, today)
    if metric.id.startswith("checkin_"):
        return checkin_records(tables, settings, scope, scope_id, period, end, today)
    if metric.id in PM_WEEK_METRICS:
        return pm_week_records(metric, tables, settings, scope, scope_id, period, end)
    if metric.id.startswith("data_request"):
        return request_records(tables, settings, scope, scope_id, period, end, today)
    return None


RECOUNTED = ("release_count", "release_on_time_rate", "release_slip_days", "checkin_compliance_rate",
             "checkin_on_time_rate")
"""The metrics whose value is a count, a rate or a mean of the records listed, so the list can be added up."""


def from_records(metric: Metric, frame: pd.DataFrame | None) -> float | None:
    """The value the listed records give, by the metric's own definition; None where the value
    is not a count, rate or mean of them (a median of gaps, a mean over PMs, a survey score)."""
    if frame is None or metric.id not in RECOUNTED or frame.empty:
        return None
    if metric.id.startswith("release_"):
        shipped = frame[frame["State"] != "not released"]
        planned = shipped[shipped["State"].isin(["on time", "late"])]
        if metric.id == "release_count":
            return float(len(shipped))
        if planned.empty:
            return None
        if metric.id == "release_on_time_rate":
            return float((planned["State"] == "on time").mean())
        return float(planned["Days late"].astype(float).mean())
    expected = frame[frame["State"] != "not due yet"]
    if expected.empty:
        return None
    counted = ["on time", "late"] if metric.id == "checkin_compliance_rate" else ["on time"]
    return float(expected["State"].isin(counted).mean())


def summary(metric: Metric, frame: pd.DataFrame | None, period: str = "quarter") -> str:
    """One line over the records of a `period` ("quarter", "month", ...): what they add up to."""
    if frame is None:
        return "Survey answers are anonymous: there are no records to list, only the scores on the Surveys page."
    if frame.empty:
        return f"No records in this {period}."
    if "State" in frame and metric.id.startswith("release_"):
        counts = frame["State"].value_counts()
        return (f"{len(frame)} releases: {counts.get('late', 0)} late, {counts.get('not released', 0)} planned but "
                f"not released, {counts.get('on time', 0)} on time. Lateness is against the first plan on record.")
    if "State" in frame and metric.id.startswith("checkin_"):
        counts = frame["State"].value_counts()
        return (f"{len(frame)} check-ins due: {counts.get('missing', 0)} missing, {counts.get('late', 0)} late, "
                f"{counts.get('on time', 0)} on time.")
    if metric.id.startswith("data_request"):
        return f"{len(frame)} requests created or resolved in the {period}; {int((frame['State'] == 'open').sum())} still open."
    return f"{len(frame)} weeks, worst first; each is the mean over the PMs of the week."
