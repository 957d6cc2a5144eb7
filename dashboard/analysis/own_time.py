"""A PM's own calendar numbers, period by period, for that PM's eyes only.

Person-level calendar numbers are shown only to that person (DESIGN.md), so the rows here are
found by the signed-in viewer's verified email and by nothing a viewer can choose on screen.
The figures are the S1 metrics' definitions applied to one person's PM-weeks.
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from dashboard.core import periods
from dashboard.core.periods import Grain
from dashboard.metrics.calendar_cells import measures

COLUMNS = ["period", "weeks", "meeting_hours", "overhead_share", "strategy_share", "focus_hours"]


class OwnTimeError(ValueError):
    """The viewer's own numbers cannot be told apart from someone else's."""


def person_of(people: pd.DataFrame, email: str) -> str | None:
    """The roster's person with this email (case ignored); None when there is none.

    Two people sharing an address would merge two calendars into one person's view, so that
    is refused rather than guessed.
    """
    matches = people.loc[people["email"].str.lower() == email.lower(), "person_id"].unique()
    if len(matches) > 1:
        raise OwnTimeError(f"{email} belongs to {len(matches)} people on the roster; the roster must give each person their own address")
    return str(matches[0]) if len(matches) else None


def summary(weeks: pd.DataFrame, grain: Grain, start: date, end: date, week_start: str = "monday") -> pd.DataFrame:
    """One row per period in [start, end]: weeks on record and the means over them, oldest first."""
    day = pd.to_datetime(weeks["week_start"])
    inside = weeks[(day >= pd.Timestamp(start)) & (day <= pd.Timestamp(end))]
    if inside.empty:
        return pd.DataFrame(columns=COLUMNS)
    frame = measures(inside)
    frame.insert(0, "period", periods.floor(inside["week_start"], grain, week_start).dt.date)
    grouped = frame.groupby("period", sort=True)
    result = grouped.mean().reset_index()
    result.insert(1, "weeks", grouped.size().to_numpy())
    return result[COLUMNS]
