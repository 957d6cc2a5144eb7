"""ICS calendars: files, folders and https feeds, expanded into occurrences over a bounded window.

Parsing is `icalendar`'s and expansion `recurring-ical-events`' (RRULE, RDATE, EXDATE,
RECURRENCE-ID overrides and "this and future" edits, DST, Windows zone names, X-WR-TIMEZONE).
What they leave to us (calendar_survey.md, section 1) is handled here:
- cancelled occurrences come back from the expansion, marked CANCELLED: they are flagged;
- starts can be dates, floating or aware datetimes in one list: every occurrence becomes an
  aware UTC interval, dates and floating times read on the owner's clock;
- "is it recurring" cannot be read from an occurrence (all of them get a RECURRENCE-ID), so it
  is taken from the source components before expansion;
- there is no "me" in ICS: the owner's response is their own ATTENDEE entry, found by address;
- broken values parse and fail later, when read: expansion and normalisation both run inside
  `ics_occurrences`, so a calendar either yields all its occurrences or raises one error
  (`skip_bad_series` is off: a series is never dropped silently).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import icalendar
import pandas as pd
import recurring_ical_events
from icalendar.parser import Contentline

from connectors.calendar import ics_parse
from connectors.calendar.classify import Classifier
from connectors.calendar.gc_paused import gc_paused
from connectors.calendar.ics_events import Memo, _occurrence
from connectors.calendar.normalize import Occurrence, Owner, Rows, Window, title_salt, to_rows
from dashboard.core.config import Settings
from dashboard.core.file_limits import FileRefused, decode, wide_bom

SOURCE = "ics"
# Expansion is asked for a little more than the window, because floating and all-day times are
# only placed on the owner's clock afterwards; the exact cut is made on the UTC start.
_MARGIN = timedelta(days=2)

class IcsError(ValueError):
    """A calendar that cannot be read or expanded; the message says why."""


_MAX_DEPTH = 4
"""VCALENDAR > VEVENT > VALARM is as deep as a calendar goes (VTIMEZONE > STANDARD one less)."""


@gc_paused()
def parse_ics(data: bytes | str) -> list[icalendar.Calendar]:
    """Every VCALENDAR in the text (a file may hold several).

    UTF-16 and UTF-32 with a byte order mark are decoded; without one, and binary data, are refused
    (`dashboard.core.file_limits`), as are components nested deeper than any calendar nests them,
    before anything walks them (icalendar walks recursively).
    """
    if isinstance(data, bytes) and (wide_bom(data) or b"\x00" in data[:65536]):
        try:
            data = decode(data)
        except FileRefused as error:
            raise IcsError(f"not a calendar: {error}") from None
    try:
        components = ics_parse.from_ical(data)
    except Exception as error:  # noqa: BLE001 - the parser raises ValueError, KeyError, ... on malformed lines
        raise IcsError(f"cannot parse: {type(error).__name__}: {_shown(str(error))}") from None
    depth = _depth(components)
    if depth > _MAX_DEPTH:
        raise IcsError(f"components nested more than {_MAX_DEPTH} deep, deeper than any calendar nests them")
    roots = [c.name for c in components if c.name != "VCALENDAR"]
    if roots:
        raise IcsError(f"top-level {roots[0]} where a VCALENDAR was expected")
    if not components:
        raise IcsError("no complete VCALENDAR in the text (cut short, or not a calendar)")
    return components


def skipped_lines(data: bytes | str, calendars: list[icalendar.Calendar]) -> list[int]:
    """Numbers of the lines the parser skipped inside the calendars: it records such a line as an
    error without a property name and goes on, so without this the line would vanish unseen.

    Found by reading every unfolded line with the parser's own content-line reader, only when the
    parser recorded such a skip; a line folded over several is numbered by its first.
    """
    if not any(name is None for calendar in calendars for part in calendar.walk() for name, _ in part.errors):
        return []
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    logical: list[tuple[int, list[str]]] = []
    for number, physical in enumerate(text.split("\n"), start=1):
        physical = physical.removesuffix("\r")
        if physical[:1] in (" ", "\t") and logical:
            logical[-1][1].append(physical[1:])
        elif physical:
            logical.append((number, [physical]))
    skipped = []
    for number, parts in logical:
        try:
            Contentline("".join(parts)).parts()
        except ValueError:
            skipped.append(number)
    return skipped


def _shown(text: str, limit: int = 160) -> str:
    """A parser's message made safe to store and show: printable, and short (it may quote junk)."""
    printable = "".join(c if c.isprintable() else "?" for c in text)
    return printable if len(printable) <= limit else printable[:limit] + "…"


def _depth(components: list) -> int:
    """How deep components nest, found without recursion."""
    deepest, stack = 0, [(component, 1) for component in components]
    while stack:
        component, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth <= _MAX_DEPTH:
            stack.extend((sub, depth + 1) for sub in component.subcomponents)
    return deepest


def calendar_name(calendars: list[icalendar.Calendar]) -> str:
    """The calendar's own name (`X-WR-CALNAME`), which Google exports set to the owner's address."""
    for calendar in calendars:
        name = str(calendar.get("X-WR-CALNAME", "")).strip()
        if name:
            return name
    return ""


@dataclass(frozen=True)
class Limits:
    """How much one calendar may expand to before it is quarantined instead of filling memory."""

    occurrences: int | None = None
    """occurrences of the whole calendar in the window ([calendar].max_occurrences)"""
    per_series: int | None = None
    """occurrences of one series in the window ([calendar].max_series_occurrences)"""

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(settings.calendar.max_occurrences, settings.calendar.max_series_occurrences)


_RUNAWAY_FREQUENCIES = {"SECONDLY", "MINUTELY"}


@gc_paused()
def ics_occurrences(
    ics: bytes | str | list[icalendar.Calendar], owner: Owner, window: Window, limits: Limits = Limits()
) -> list[Occurrence]:
    """Every occurrence starting in `window`, cancelled and free ones included and flagged.

    Raises `IcsError` naming the first problem when the calendar cannot be parsed, expanded or
    read, so the caller can quarantine it whole; also, before memory fills, when it expands
    past `limits`, or holds a series repeating every second or minute (expanding one that began
    years ago means stepping through millions of instants before the window even starts).
    """
    calendars = ics if isinstance(ics, list) else parse_ics(ics)
    out: list[Occurrence] = []
    for calendar in calendars:
        try:
            _refuse_runaway_rules(calendar)
            for occurrence in _expand(calendar, owner, window, limits.per_series):
                out.append(occurrence)
                if limits.occurrences is not None and len(out) > limits.occurrences:
                    raise IcsError(
                        f"more than {limits.occurrences:,} occurrences in the sync window"
                        " (limit: [calendar].max_occurrences)"
                    )
        except IcsError:
            raise
        except KeyError as error:
            raise IcsError(f"cannot expand: an event has no {error.args[0]}") from None
        except Exception as error:  # noqa: BLE001
            raise IcsError(f"cannot expand: {type(error).__name__}: {error}") from None
    return out


def ics_to_rows(
    ics: bytes | str, owner: Owner, window: Window, settings: Settings | None = None, *, source: str = SOURCE,
    roles: Mapping[str, str] | None = None, teams: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """`calendar_events` rows of one owner's ICS text: the whole connector as one pure function.

    Classification rules, the title salt and the window semantics are those of a sync with the
    same `settings`. Titles are never returned; `ics_tables` gives them too when they are kept.
    """
    return ics_tables(ics, owner, window, settings, source=source, keep_titles=False, roles=roles,
                      teams=teams).events


@gc_paused()
def ics_tables(
    ics: bytes | str,
    owner: Owner,
    window: Window,
    settings: Settings | None = None,
    *,
    source: str = SOURCE,
    keep_titles: bool | None = None,
    roles: Mapping[str, str] | None = None,
    teams: Mapping[str, str] | None = None,
) -> Rows:
    """`calendar_events` rows and, when titles are kept, `calendar_titles` rows of one owner's ICS text.

    What the demo organisation goes through. `keep_titles` defaults to `calendar.keep_titles`
    of the settings, as in a sync; `roles` (roster address to role) and `teams` (to team) name the
    other attendees' roles and teams, as a sync does from the roster.
    """
    settings = settings or Settings()
    return to_rows(
        source,
        ics_occurrences(ics, owner, window),
        owner,
        Classifier.from_settings(settings),
        window,
        title_salt(settings),
        keep_titles=settings.calendar.keep_titles if keep_titles is None else keep_titles,
        roles=roles,
        teams=teams,
    )


def _refuse_runaway_rules(calendar: icalendar.Calendar) -> None:
    for event in calendar.walk("VEVENT"):
        rules = event.get("RRULE")
        for rule in rules if isinstance(rules, list) else [rules] if rules is not None else []:
            frequency = str((rule.get("FREQ") or [""])[0]).upper()
            if frequency in _RUNAWAY_FREQUENCIES:
                raise IcsError(
                    f"event {str(event.get('UID', ''))!r} repeats {frequency.lower()}: not a meeting series"
                    " (only hourly and slower rules are expanded)"
                )


def _expand(calendar: icalendar.Calendar, owner: Owner, window: Window, per_series: int | None = None) -> Iterator[Occurrence]:
    recurring = _recurring_uids(calendar)
    query = recurring_ical_events.of(calendar, skip_bad_series=False)
    seen: set[str] = set()
    memo = Memo()
    for source, start, end in _expansion(query, window.start - _MARGIN, window.end + _MARGIN, per_series):
        occurrence = _occurrence(source, start, end, owner, recurring, memo)
        if occurrence.uid in seen:  # a safety net: a key must stay unique per owner, whatever the file says
            occurrence = replace(occurrence, uid=f"{occurrence.uid}+{occurrence.start_utc:%Y%m%dT%H%M%SZ}")
        seen.add(occurrence.uid)
        if window.holds(occurrence.start_utc):
            yield occurrence


def _expansion(
    query, start: datetime, end: datetime, per_series: int | None = None
) -> Iterator[tuple[icalendar.Event, date | datetime, date | datetime]]:
    """Each occurrence as (the component it comes from, its start, its end).

    `query.between` would hand out a copy of the component per occurrence with DTSTART, DTEND
    and RECURRENCE-ID set on it; at a large organisation's volume (millions of occurrences) the
    copies cost a third of the expansion. Everything the copy would hold is read from the source
    component instead (RECURRENCE-ID, when the source has none, is the occurrence's start), so
    the result is the same. This uses the library's occurrence objects directly, which is why
    recurring-ical-events is pinned exactly in requirements.txt.

    It walks one series at a time and lazily (what `_occurrences_between` does, without the
    list), so a runaway series is stopped at `per_series` occurrences instead of expanded whole.
    """
    first, last = query.to_datetime(start), query.to_datetime(end)
    for series in query.series:
        for count, occurrence in enumerate(series.between(first, last), start=1):
            component = occurrence._adapter._component
            if per_series is not None and count > per_series:
                raise IcsError(
                    f"event {str(component.get('UID', ''))!r} has more than {per_series:,} occurrences in the sync window"
                    " (limit: [calendar].max_series_occurrences)"
                )
            yield component, occurrence.start, occurrence.end


def _recurring_uids(calendar: icalendar.Calendar) -> set[str]:
    """UIDs of series: any component of that UID with a rule, extra dates or an override."""
    return {
        str(event.get("UID", ""))
        for event in calendar.walk("VEVENT")
        if "RRULE" in event or "RDATE" in event or "RECURRENCE-ID" in event
    }


