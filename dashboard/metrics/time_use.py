"""S1: where PM time goes, from the PM-weeks derived from calendars."""
from __future__ import annotations

import pandas as pd

from dashboard.metrics.aggregate import aggregate, near_periods, place
from dashboard.metrics.registry import Context, metric

CALENDAR = ("calendar",)


def _placed_weeks(ctx: Context) -> pd.DataFrame:
    """The PM-weeks of the asked periods placed on scopes, once for the four metrics that read them
    (the index is `pm_weeks`'s, so each metric adds its own value)."""
    def build() -> pd.DataFrame:
        weeks = ctx.tables["pm_weeks"]
        observations = pd.DataFrame({"date": pd.to_datetime(weeks["week_start"]), "team_id": weeks["team_id"],
                                     "person_id": weeks["person_id"]})
        return place(ctx, near_periods(ctx, observations, "date"))

    return ctx.shared("pm_weeks placed", build)


def _mean_over_pm_weeks(ctx: Context, value: pd.Series) -> pd.DataFrame:
    """Mean over PM-weeks; n is distinct PMs, and a cut over too few PMs shows no value."""
    placed = _placed_weeks(ctx)
    observations = placed.assign(value=value.reindex(placed.index))
    return aggregate(ctx, observations, "mean", unit="person_id", min_n=ctx.settings.privacy.min_calendar_group)


def _share(ctx: Context, column: str) -> pd.DataFrame:
    weeks = ctx.tables["pm_weeks"]
    return _mean_over_pm_weeks(ctx, weeks[column] / weeks["working_hours"])


@metric(
    id="pm_overhead_share", title="PM time on process overhead", signal="S1", unit="share", better="lower",
    definition="Mean over PM-weeks of hours in process-overhead meetings (status syncs, ceremonies, "
    "reporting) divided by working hours less time out of office.",
    sources=CALENDAR, n_label="PMs", needs=("pm_weeks",),
)
def pm_overhead_share(ctx: Context) -> pd.DataFrame:
    return _share(ctx, "overhead_hours")


@metric(
    id="pm_strategy_share", title="PM time on strategy", signal="S1", unit="share", better="higher",
    definition="Mean over PM-weeks of hours in strategy work (discovery, customer conversations, "
    "roadmap and strategy sessions) divided by working hours less time out of office.",
    sources=CALENDAR, n_label="PMs", needs=("pm_weeks",),
)
def pm_strategy_share(ctx: Context) -> pd.DataFrame:
    return _share(ctx, "strategy_hours")


@metric(
    id="pm_focus_hours", title="PM focus hours per week", signal="S1", unit="hours", better="higher",
    definition="Mean over PM-weeks of hours in free blocks of at least the focus minimum (2 h by "
    "default) inside the PM's own working hours.",
    sources=CALENDAR, n_label="PMs", needs=("pm_weeks",),
)
def pm_focus_hours(ctx: Context) -> pd.DataFrame:
    return _mean_over_pm_weeks(ctx, ctx.tables["pm_weeks"]["focus_hours"])


@metric(
    id="pm_meeting_hours", title="PM meeting hours per week", signal="S1", unit="hours", better="lower",
    definition="Mean over PM-weeks of hours in meetings (another attendee, not declined), "
    "overlapping meetings counted once.",
    sources=CALENDAR, n_label="PMs", needs=("pm_weeks",),
)
def pm_meeting_hours(ctx: Context) -> pd.DataFrame:
    return _mean_over_pm_weeks(ctx, ctx.tables["pm_weeks"]["meeting_hours"])
