"""S1: where PM time goes, from the PM-weeks derived from calendars."""
from __future__ import annotations

import pandas as pd

from dashboard.metrics.aggregate import aggregate, near_periods, place
from dashboard.metrics.calendar_cells import measures, suppress
from dashboard.metrics.registry import Context, metric

CALENDAR = ("calendar",)


def placed_weeks(ctx: Context) -> pd.DataFrame:
    """The PM-weeks of the asked periods placed on scopes, once for every metric that reads them
    (S1's and enablement's; the index is `pm_weeks`'s, so each metric adds its own value)."""
    def build() -> pd.DataFrame:
        weeks = ctx.tables["pm_weeks"]
        observations = pd.DataFrame({"date": pd.to_datetime(weeks["week_start"]), "team_id": weeks["team_id"],
                                     "person_id": weeks["person_id"]})
        return place(ctx, near_periods(ctx, observations, "date"))

    return ctx.shared("pm_weeks placed", build)


def _mean_over_pm_weeks(ctx: Context, name: str) -> pd.DataFrame:
    """Mean over PM-weeks of one of their `measures`; n is distinct PMs, and a cell the calendar
    privacy rules hide shows neither."""
    placed = placed_weeks(ctx)
    values = ctx.shared("pm_week measures", lambda: measures(ctx.tables["pm_weeks"]))[name]
    observations = placed.assign(value=values.reindex(placed.index))
    return suppress(ctx, aggregate(ctx, observations, "mean", unit="person_id"), name)


@metric(
    id="pm_overhead_share", title="PM time on process overhead", signal="S1", unit="share", better="lower",
    definition="Mean over PM-weeks of hours in process-overhead meetings (status syncs, ceremonies, "
    "reporting) divided by working hours less time out of office.",
    sources=CALENDAR, n_label="PMs", needs=("pm_weeks", "privacy_cells"),
)
def pm_overhead_share(ctx: Context) -> pd.DataFrame:
    return _mean_over_pm_weeks(ctx, "overhead_share")


@metric(
    id="pm_strategy_share", title="PM time on strategy", signal="S1", unit="share", better="higher",
    definition="Mean over PM-weeks of hours in strategy work (discovery, customer conversations, "
    "roadmap and strategy sessions) divided by working hours less time out of office.",
    sources=CALENDAR, n_label="PMs", needs=("pm_weeks", "privacy_cells"),
)
def pm_strategy_share(ctx: Context) -> pd.DataFrame:
    return _mean_over_pm_weeks(ctx, "strategy_share")


@metric(
    id="pm_focus_hours", title="PM focus hours per week", signal="S1", unit="hours", better="higher",
    definition="Mean over PM-weeks of hours in free blocks of at least the focus minimum (2 h by "
    "default) inside the PM's own working hours.",
    sources=CALENDAR, n_label="PMs", needs=("pm_weeks", "privacy_cells"),
)
def pm_focus_hours(ctx: Context) -> pd.DataFrame:
    return _mean_over_pm_weeks(ctx, "focus_hours")


@metric(
    id="pm_meeting_hours", title="PM meeting hours per week", signal="S1", unit="hours", better="lower",
    definition="Mean over PM-weeks of hours in meetings (another attendee, not declined), "
    "overlapping meetings counted once.",
    sources=CALENDAR, n_label="PMs", needs=("pm_weeks", "privacy_cells"),
)
def pm_meeting_hours(ctx: Context) -> pd.DataFrame:
    return _mean_over_pm_weeks(ctx, "meeting_hours")
