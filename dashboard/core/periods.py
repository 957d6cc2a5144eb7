"""Weeks, months and quarters, cut in the organisation's time zone.

Times are stored as naive UTC; a date that belongs to a period is the date the event had
on the organisation's wall clock.
"""
from __future__ import annotations

import os
from calendar import monthrange
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import pandas as pd

Grain = Literal["week", "month", "quarter"]
GRAINS: tuple[Grain, ...] = ("week", "month", "quarter")
MONTHS_IN = {"week": 7 / 30.436875, "month": 1.0, "quarter": 3.0}


def local_dates(utc: pd.Series, tz: str) -> pd.Series:
    """Naive-UTC timestamps as dates on the wall clock of `tz` (dates pass through unchanged)."""
    values = pd.to_datetime(utc)
    if values.dt.tz is None:
        values = values.dt.tz_localize("UTC")
    return values.dt.tz_convert(tz).dt.tz_localize(None).dt.normalize()


def floor(dates: pd.Series, grain: Grain, week_start: str = "monday") -> pd.Series:
    """The first day of the period that holds each date, as a normalised Timestamp."""
    dates = pd.to_datetime(dates).dt.normalize()
    if grain == "week":
        offset = 0 if week_start == "monday" else 1
        return dates - pd.to_timedelta((dates.dt.day_of_week + offset) % 7, unit="D")
    if grain == "month":
        return dates.dt.to_period("M").dt.start_time
    return dates.dt.to_period("Q").dt.start_time


def _day(value) -> date:
    """A date, a datetime or Timestamp (its wall-clock day), or anything `pd.Timestamp` reads, as a date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return pd.Timestamp(value).date()


def _add_months(day: date, months: int) -> date:
    """`day` moved by whole months, clamped to the target month's last day (as `pd.DateOffset(months=)` does)."""
    years, month = divmod(day.month - 1 + months, 12)
    year = day.year + years
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def floor_date(day: date, grain: Grain, week_start: str = "monday") -> date:
    """The first day of the period that holds `day`: `floor` for one date, in plain Python.

    Pages ask this hundreds of times a view; a one-row pandas Series cost a millisecond each.
    """
    day = _day(day)
    if grain == "week":
        offset = 0 if week_start == "monday" else 1
        return day - timedelta(days=(day.weekday() + offset) % 7)
    if grain == "month":
        return day.replace(day=1)
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def next_start(start: date, grain: Grain) -> date:
    if grain == "week":
        return start + timedelta(days=7)
    return _add_months(_day(start), 1 if grain == "month" else 3)


def period_starts(start: date, end: date, grain: Grain, week_start: str = "monday") -> list[date]:
    """Every period that overlaps [start, end], oldest first."""
    current = floor_date(start, grain, week_start)
    out = []
    while current <= end:
        out.append(current)
        current = next_start(current, grain)
    return out


def quarter_label(quarter: date) -> str:
    """A quarter as people say it ("Q3 2026"); `label` gives the compact "2026Q3" of URLs and files."""
    return f"Q{(quarter.month - 1) // 3 + 1} {quarter.year}"


def label(start: date, grain: Grain) -> str:
    if grain == "quarter":
        return f"{start.year}Q{(start.month - 1) // 3 + 1}"
    if grain == "month":
        return start.strftime("%Y-%m")
    return start.isoformat()


def quarters_back(today: date, count: int) -> date:
    """The first day of the quarter `count - 1` quarters before the one holding `today`."""
    return _add_months(floor_date(today, "quarter"), -3 * (count - 1))


def today(tz: str = "UTC") -> date:
    """Today on the organisation's wall clock; `PRODOPS_TODAY` pins it (tests, reproducible reports)."""
    pinned = os.environ.get("PRODOPS_TODAY")
    if pinned:
        return date.fromisoformat(pinned)
    return datetime.now(ZoneInfo(tz)).date()
