"""Check-in compliance: are the standard check-ins delivered, and on time?"""
from __future__ import annotations

import pandas as pd

from dashboard.metrics.aggregate import org_dates, summarise
from dashboard.metrics.registry import Context, metric


def _due(ctx: Context, delivered: pd.Series) -> pd.DataFrame:
    checkins = ctx.tables["checkins"]
    return pd.DataFrame({"date": org_dates(ctx, checkins["due_at"]), "team_id": checkins["team_id"], "value": delivered.astype(float)})


@metric(
    id="checkin_compliance_rate", title="Check-ins delivered", signal="checkins", unit="share",
    better="higher",
    definition="Check-ins submitted divided by check-ins expected (due in the period), late ones included.",
    sources=("jira", "forms", "calendar"), n_label="check-ins expected",
)
def checkin_compliance_rate(ctx: Context) -> pd.DataFrame:
    checkins = ctx.tables["checkins"]
    return summarise(ctx, _due(ctx, checkins["submitted_at"].notna()), "mean")


@metric(
    id="checkin_on_time_rate", title="Check-ins on time", signal="checkins", unit="share", better="higher",
    definition="Check-ins submitted by their due time plus the grace period, divided by check-ins "
    "expected (due in the period).",
    sources=("jira", "forms", "calendar"), n_label="check-ins expected",
)
def checkin_on_time_rate(ctx: Context) -> pd.DataFrame:
    checkins = ctx.tables["checkins"]
    deadline = pd.to_datetime(checkins["due_at"]) + pd.Timedelta(hours=ctx.settings.checkins.grace_hours)
    on_time = pd.to_datetime(checkins["submitted_at"]) <= deadline
    return summarise(ctx, _due(ctx, on_time), "mean")
