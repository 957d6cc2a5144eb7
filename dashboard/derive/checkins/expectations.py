"""Expected check-ins: each kind's cadence turned into due instants per team, on the team's clock.

A slot is one check-in a team owes: its kind, the period it reports on, when that period opens
and when it is due, as naive UTC. Nothing is owed on a holiday or shutdown day, before the
kind's `start` or before the team starts; a team owes a kind when the kind names no groups and
no teams, or names the team or its group.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from dashboard.core.config import WEEKDAY_NAMES, CheckinKind

SLOT_COLUMNS = ["team_id", "kind", "period_start", "opens_at", "due_at", "deadline"]


@dataclass(frozen=True)
class Team:
    """What the schedule needs to know about one team."""

    team_id: str
    group: str | None
    tz: str
    start: date | None = None


def owes(kind: CheckinKind, team: Team) -> bool:
    if not kind.groups and not kind.teams:
        return True
    return team.team_id in kind.teams or (team.group is not None and team.group in kind.groups)


def _months(first: date, last: date, step: int) -> list[date]:
    month = (first.month - 1) // step * step + 1
    current = date(first.year, month, 1)
    out = []
    while current <= last:
        out.append(current)
        months = current.month - 1 + step
        current = date(current.year + months // 12, months % 12 + 1, 1)
    return out


def due_days(kind: CheckinKind, first: date, last: date, holidays: Iterable[date] = ()) -> list[tuple[date, date]]:
    """(period start, due day) for every period of `kind` overlapping [first, last], oldest first.

    A weekly period starts on Monday; a monthly one on the 1st; a quarterly one on the first
    day of its quarter. The Nth business day of a month skips weekends and `holidays`.
    """
    if kind.cadence == "weekly":
        monday = first - timedelta(days=first.weekday())
        offset = WEEKDAY_NAMES.index(kind.weekday)
        weeks = (last - monday).days // 7 + 1
        return [(monday + timedelta(weeks=n), monday + timedelta(weeks=n, days=offset)) for n in range(weeks)]
    if kind.cadence == "monthly":
        starts = _months(first, last, 1)
        days = np.busday_offset(np.array(starts, dtype="datetime64[D]"), kind.business_day - 1, roll="forward",
                                holidays=np.array(sorted(holidays), dtype="datetime64[D]"))
        return [(start, day.astype(date)) for start, day in zip(starts, days)]
    starts = _months(first, last, 3)
    out = []
    for start in starts:
        next_quarter = _months(start + timedelta(days=95), start + timedelta(days=95), 3)[0]
        out.append((start, next_quarter - timedelta(days=1 + kind.days_before_quarter_end)))
    return out


def _utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """A wall-clock time in `zone` as naive UTC (a time skipped by a clock change moves forward)."""
    local = datetime.combine(day, at, tzinfo=zone)
    return local.astimezone(UTC).replace(tzinfo=None)


def expected_slots(kinds: Iterable[CheckinKind], teams: Iterable[Team], first: date, last: date,
                   holidays: Iterable[date] = (), default_grace_hours: float = 0.0) -> pd.DataFrame:
    """Every check-in owed with a due day in [first, last], one row per team, kind and period.

    `deadline` is the due time plus the grace period: submitted by then counts as on time.
    """
    off = set(holidays)
    rows = []
    for kind in kinds:
        grace = timedelta(hours=kind.grace_hours if kind.grace_hours is not None else default_grace_hours)
        schedule = due_days(kind, first, last, off)
        for team in teams:
            if not owes(kind, team):
                continue
            zone = ZoneInfo(team.tz)
            since = max(d for d in (first, kind.start, team.start) if d is not None)
            for period_start, due_day in schedule:
                if due_day < since or due_day > last or due_day in off:
                    continue
                due = _utc(due_day, kind.due_time, zone)
                rows.append((team.team_id, kind.id, period_start, _utc(period_start, time(0), zone), due, due + grace))
    slots = pd.DataFrame(rows, columns=SLOT_COLUMNS)
    for column in ("opens_at", "due_at", "deadline"):
        slots[column] = pd.to_datetime(slots[column]).astype("datetime64[us]")
    return slots.sort_values(["team_id", "kind", "due_at"], ignore_index=True)
