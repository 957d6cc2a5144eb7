"""Days nothing is due: the configured dates and every day an ICS holiday calendar covers."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import icalendar
import recurring_ical_events


class HolidayCalendarError(ValueError):
    """The holiday calendar cannot be read; the message names the file."""


def _day(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def ics_days(text: str, first: date, last: date, name: str = "<holidays>") -> set[date]:
    """Every day in [first, last] covered by an event of the ICS text (a shutdown week covers each of its days).

    An all-day event's end is exclusive, as ICS has it; a timed event covers the days it touches.
    """
    try:
        calendar = icalendar.Calendar.from_ical(text)
        events = recurring_ical_events.of(calendar).between(first, last + timedelta(days=1))
    except Exception as error:  # noqa: BLE001 - icalendar and the expander raise many kinds on broken input
        raise HolidayCalendarError(f"{name}: not a readable ICS calendar ({error})") from None
    days: set[date] = set()
    for event in events:
        start = _day(event["DTSTART"].dt)
        end = _day(event["DTEND"].dt) if "DTEND" in event else start + timedelta(days=1)
        timed = isinstance(event["DTSTART"].dt, datetime)
        stop = end + timedelta(days=1) if timed else max(end, start + timedelta(days=1))
        day = start
        while day < stop:
            if first <= day <= last:
                days.add(day)
            day += timedelta(days=1)
    return days


def holiday_days(listed: list[date], calendar_file: str | None, first: date, last: date) -> set[date]:
    """The configured holiday dates and the days the holiday calendar file covers."""
    days = set(listed)
    if calendar_file:
        path = Path(calendar_file)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise HolidayCalendarError(f"{path}: holiday calendar cannot be read ({error.strerror})") from None
        days |= ics_days(text, first, last, str(path))
    return days
