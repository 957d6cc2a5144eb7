"""Check-in compliance: are the standard check-ins delivered, and on time?

The check-in engine (`dashboard.derive.checkins`) gives every check-in a status; a check-in counts as
expected once its deadline (due time plus grace) has passed, or once it has been sent: one not
due yet and not sent (`pending`) is in no rate.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.metrics.aggregate import aggregate, org_dates, place
from dashboard.metrics.registry import Context, metric


def statuses(checkins: pd.DataFrame, grace_hours: float) -> pd.Series:
    """The engine's status; for rows written before it had one, worked out from the times."""
    given = checkins["status"] if "status" in checkins else pd.Series(None, index=checkins.index, dtype=object)
    due = pd.to_datetime(checkins["due_at"])
    submitted = pd.to_datetime(checkins["submitted_at"])
    worked_out = pd.Series(np.select(
        [submitted.isna(), submitted <= due + pd.Timedelta(hours=grace_hours)], ["missing", "on_time"], default="late",
    ), index=checkins.index)
    return given.where(given.notna(), worked_out)


def expected(ctx: Context) -> tuple[pd.DataFrame, pd.Series]:
    """The check-ins that count (not pending) and their statuses."""
    checkins = ctx.tables["checkins"]
    status = statuses(checkins, ctx.settings.checkins.grace_hours)
    counted = status != "pending"
    return checkins[counted], status[counted]


def _placed(ctx: Context) -> tuple[pd.DataFrame, pd.Series]:
    """The expected check-ins of the asked periods placed on scopes (by their due day) and the
    statuses of all expected ones, once for the three metrics that read them."""
    def build() -> pd.DataFrame:
        checkins, status = expected(ctx)
        due = pd.DataFrame({"date": org_dates(ctx, checkins["due_at"]), "team_id": checkins["team_id"]})
        return place(ctx, due).assign(status=status)

    placed = ctx.shared("checkins placed", build)
    return placed, placed["status"]


def _rate(ctx: Context, counted: pd.Series) -> pd.DataFrame:
    placed, _ = _placed(ctx)
    return aggregate(ctx, placed.assign(value=counted.astype(float)), "mean")


@metric(
    id="checkin_compliance_rate", title="Check-ins delivered", signal="checkins", unit="share",
    better="higher",
    definition="Check-ins submitted divided by check-ins expected (due in the period), late ones included. "
    "A check-in is expected once its due time plus grace has passed, or once it has been sent.",
    sources=("jira", "forms", "calendar"), n_label="check-ins expected", needs=("checkins",),
)
def checkin_compliance_rate(ctx: Context) -> pd.DataFrame:
    _, status = _placed(ctx)
    return _rate(ctx, status.isin(["on_time", "late"]))


@metric(
    id="checkin_on_time_rate", title="Check-ins on time", signal="checkins", unit="share", better="higher",
    definition="Check-ins submitted by their due time plus the grace period, divided by check-ins "
    "expected (due in the period).",
    sources=("jira", "forms", "calendar"), n_label="check-ins expected", needs=("checkins",),
)
def checkin_on_time_rate(ctx: Context) -> pd.DataFrame:
    _, status = _placed(ctx)
    return _rate(ctx, status == "on_time")


@metric(
    id="checkin_median_lateness_hours", title="Check-in lateness", signal="checkins", unit="hours", better="lower",
    definition="Median hours after the due time of the check-ins that came late (after due time plus grace), "
    "for check-ins due in the period.",
    sources=("jira", "forms", "calendar"), n_label="late check-ins", needs=("checkins",),
)
def checkin_median_lateness_hours(ctx: Context) -> pd.DataFrame:
    placed, status = _placed(ctx)
    checkins = ctx.tables["checkins"]
    hours = (pd.to_datetime(checkins["submitted_at"]) - pd.to_datetime(checkins["due_at"])).dt.total_seconds() / 3600
    late = placed[status == "late"]
    return aggregate(ctx, late.assign(value=hours.reindex(late.index)), "median")
