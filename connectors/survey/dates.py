"""Submission times as the tools write them, to naive UTC, without guessing the locale.

Google Forms, SurveyMonkey and Microsoft Forms write local times in the form owner's locale:
`9/8/2026 14:28:27` is 9 August in Europe and 8 September in the US. A column is read with the
mapping's `date_order`; without one it is read only when the column itself settles the question
(some first part above 12 means day first, some second part above 12 means month first), and
otherwise refused with a request to set `date_order`. Dotted dates (`18.07.2017`) are day first
everywhere; a four-digit first part is year first. Google Sheets serial day numbers and ISO
8601 times are read as such.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

_SLASHED = re.compile(
    r"^(?P<a>\d{1,4})(?P<sep>[/.\-])(?P<b>\d{1,2})(?P=sep)(?P<c>\d{2,4}),?"
    r"(?:[ T]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,]\d+)?)?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?"
    r"\s*(?P<zone>Z|UTC|GMT(?:[+-]\d{1,2}(?::?\d{2})?)?)?$"
)
_SERIAL = re.compile(r"^\d{4,6}(\.\d+)?$")
_SHEETS_EPOCH = datetime(1899, 12, 30)


class DateError(ValueError):
    """A timestamp, or a whole column of them, cannot be read without guessing."""


@dataclass(frozen=True)
class _Parts:
    a: int
    b: int
    c: int
    sep: str
    hour: int
    minute: int
    second: int
    zone: str | None


def _parts(text: str) -> _Parts | None:
    match = _SLASHED.match(text)
    if not match:
        return None
    hour = int(match["H"] or 0)
    ampm = (match["ampm"] or "").lower().replace(".", "")
    if ampm:
        if not 1 <= hour <= 12:
            raise DateError(f"{text!r}: hour {hour} with {ampm.upper()}")
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    return _Parts(int(match["a"]), int(match["b"]), int(match["c"]), match["sep"], hour, int(match["M"] or 0),
                  int(match["S"] or 0), match["zone"])


def column_order(texts: list[str], configured: str | None) -> str | None:
    """The day/month order of a column of slashed dates: the configured one, else what the
    column proves, else an error. None when the column has no ambiguous dates."""
    ambiguous = []
    for text in texts:
        parts = _parts(text)
        if parts and parts.sep != "." and len(str(parts.a)) < 3 and not re.match(r"^\d{4}", text):
            ambiguous.append(parts)
    if not ambiguous or configured:
        return configured
    day_first = any(p.a > 12 for p in ambiguous)
    month_first = any(p.b > 12 for p in ambiguous)
    if day_first and month_first:
        raise DateError("the dates mix day-first and month-first forms; set date_order for this survey")
    if day_first:
        return "dmy"
    if month_first:
        return "mdy"
    raise DateError(
        f"dates such as {texts[0]!r} read both as day/month and month/day; set date_order = \"dmy\" or \"mdy\" "
        "for this survey (the form owner's locale decides)"
    )


def _zone_offset(zone: str) -> timezone | None:
    if zone in ("Z", "UTC", "GMT"):
        return UTC
    match = re.match(r"GMT([+-])(\d{1,2}):?(\d{2})?$", zone)
    if not match:
        return None
    sign = 1 if match[1] == "+" else -1
    return timezone(sign * timedelta(hours=int(match[2]), minutes=int(match[3] or 0)))


def _year(value: int) -> int:
    return value + 2000 if value < 100 else value


def parse(value: object, order: str | None, local_zone: str) -> datetime:
    """One timestamp as naive UTC. `local_zone` applies to times that carry no zone of their own."""
    local = ZoneInfo(local_zone)
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=local)
        return moment.astimezone(UTC).replace(tzinfo=None)
    text = str(value).strip()
    if not text:
        raise DateError("the submission time is empty")
    if _SERIAL.match(text):
        moment = _SHEETS_EPOCH + timedelta(days=float(text))
        return moment.replace(tzinfo=local).astimezone(UTC).replace(tzinfo=None)
    parts = _parts(text)
    if parts is None:
        try:
            moment = datetime.fromisoformat(text.replace(" UTC", "+00:00"))
        except ValueError:
            raise DateError(f"{text!r} is not a date and time this connector reads") from None
        return parse(moment, order, local_zone)
    if len(str(parts.a)) >= 3:
        year, month, day = parts.a, parts.b, parts.c
    elif parts.sep == "." or order == "dmy":
        day, month, year = parts.a, parts.b, _year(parts.c)
    elif order == "mdy":
        month, day, year = parts.a, parts.b, _year(parts.c)
    elif order == "ymd":
        year, month, day = _year(parts.a), parts.b, parts.c
    else:
        raise DateError(f"{text!r} reads both as day/month and month/day; set date_order for this survey")
    try:
        moment = datetime(year, month, day, parts.hour, parts.minute, parts.second)
    except ValueError as error:
        raise DateError(f"{text!r} is not a valid date ({error})") from None
    zone = _zone_offset(parts.zone) if parts.zone else None
    return moment.replace(tzinfo=zone or local).astimezone(UTC).replace(tzinfo=None)
