"""S1: where PM time goes, from the PM-weeks derived from calendars."""
from __future__ import annotations

import pandas as pd

from dashboard.metrics.aggregate import aggregate, near_periods, place
from dashboard.metrics.calendar_cells import PM_WEEKS, Weeks, measures, suppress
from dashboard.metrics.registry import Context, metric

CALENDAR = ("calendar",)


def placed_weeks(ctx: Context, whose: Weeks = PM_WEEKS) -> pd.DataFrame:
    """The person-weeks (PM-weeks unless `whose` says) of the asked periods placed on scopes, once for
    every metric that reads them (S1's, enablement's, product ops's own; the index is the weeks
    table's, so each metric adds its own value)."""
    def build() -> pd.DataFrame:
        weeks = ctx.tables[whose.table]
        observations = pd.DataFrame({"date": pd.to_datetime(weeks["week_start"]), "team_id": weeks["team_id"],
                                     "person_id": weeks["person_id"]})
        return place(ctx, near_periods(ctx, observations, "date"))

    return ctx.shared(f"{whose.table} placed", build)


def mean_over_weeks(ctx: Context, name: str, whose: Weeks = PM_WEEKS) -> pd.DataFrame:
    """Mean over person-weeks (PM-weeks unless `whose` says) of one of their `measures`; n is
    distinct people, and a cell the calendar privacy rules hide shows neither."""
    placed = placed_weeks(ctx, whose)
    values = ctx.shared(f"{whose.table} measures", lambda: measures(ctx.tables[whose.table]))[name]
    observations = placed.assign(value=values.reindex(placed.index))
    return suppress(ctx, aggregate(ctx, observations, "mean", unit="person_id"), name, whose)


@metric(
    id="pm_overhead_share", title="PM time on process overhead", signal="S1", unit="share", better="lower",
    definition="Mean over PM-weeks of hours in process-overhead meetings (status syncs, ceremonies, "
    "reporting) divided by working hours less time out of office.",
    sources=CALENDAR, n_label="PMs", needs=("pm_weeks", "privacy_cells"),
)
def pm_overhead_share(ctx: Context) -> pd.DataFrame:
    return mean_over_weeks(ctx, "overhead_share")


@metric(
    id="pm_strategy_share", title="PM time on strategy", signal="S1", unit="share", better="higher",
    definition="Mean over PM-weeks of hours in strategy work (discovery, customer conversations, "
    "roadmap and strategy sessions) divided by working hours less time out of office.",
    sources=CALENDAR, n_label="PMs", needs=("pm_weeks", "privacy_cells"),
)
def pm_strategy_share(ctx: Context) -> pd.DataFrame:
    return mean_over_weeks(ctx, "strategy_share")


@metric(
    id="pm_focus_hours", title="PM focus hours per week", signal="S1", unit="hours", better="higher",
    definition="Mean over PM-weeks of hours in free blocks of at least the focus minimum (2 h by "
    "default) inside the PM's own working hours.",
    sources=CALENDAR, n_label="PMs", needs=("pm_weeks", "privacy_cells"),
)
def pm_focus_hours(ctx: Context) -> pd.DataFrame:
    return mean_over_weeks(ctx, "focus_hours")


@metric(
    id="pm_meeting_hours", title="PM meeting hours per week", signal="S1", unit="hours", better="lower",
    definition="Mean over PM-weeks of hours in meetings (another attendee, not declined), "
    "overlapping meetings counted once.",
    sources=CALENDAR, n_label="PMs", needs=("pm_weeks", "privacy_cells"),
)
def pm_meeting_hours(ctx: Context) -> pd.DataFrame:
    return mean_over_weeks(ctx, "meeting_hours")
