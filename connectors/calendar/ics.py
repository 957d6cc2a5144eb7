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

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

import icalendar
import pandas as pd
import recurring_ical_events
from icalendar.parser import Contentline

from connectors.calendar.classify import Classifier
from connectors.calendar.http import DEFAULT_POLICY, ApiError, retried
from connectors.calendar.normalize import UTC, Occurrence, Owner, Rows, Window, attendee_count, local_midnight, title_salt, to_rows
from connectors.retry import RetryPolicy, raise_if_later
from dashboard.core.config import Settings
from dashboard.core.file_limits import FileRefused, decode, wide_bom

SOURCE = "ics"
# Expansion is asked for a little more than the window, because floating and all-day times are
# only placed on the owner's clock afterwards; the exact cut is made on the UTC start.
_MARGIN = timedelta(days=2)
_PARTSTAT = {
    "ACCEPTED": "accepted",
    "TENTATIVE": "tentative",
    "DECLINED": "declined",
    "DELEGATED": "declined",
    "NEEDS-ACTION": "needsAction",
    "COMPLETED": "accepted",
    "IN-PROCESS": "accepted",
}
_BUSY_STATUS = {"OOF": "oof", "FREE": "free", "TENTATIVE": "tentative", "WORKINGELSEWHERE": "workingElsewhere"}
_NOT_PEOPLE = {"ROOM", "RESOURCE"}
_CANCELLED_PREFIXES = ("canceled:", "cancelled:")  # Outlook-published feeds keep STATUS:CONFIRMED


class IcsError(ValueError):
    """A calendar that cannot be read or expanded; the message says why."""


_MAX_DEPTH = 4
"""VCALENDAR > VEVENT > VALARM is as deep as a calendar goes (VTIMEZONE > STANDARD one less)."""


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
        components = icalendar.Calendar.from_ical(data, multiple=True)
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
    ics: bytes | str, owner: Owner, window: Window, settings: Settings | None = None, *, source: str = SOURCE
) -> pd.DataFrame:
    """`calendar_events` rows of one owner's ICS text: the whole connector as one pure function.

    Classification rules, the title salt and the window semantics are those of a sync with the
    same `settings`. Titles are never returned; `ics_tables` gives them too when they are kept.
    """
    return ics_tables(ics, owner, window, settings, source=source, keep_titles=False).events


def ics_tables(
    ics: bytes | str,
    owner: Owner,
    window: Window,
    settings: Settings | None = None,
    *,
    source: str = SOURCE,
    keep_titles: bool | None = None,
) -> Rows:
    """`calendar_events` rows and, when titles are kept, `calendar_titles` rows of one owner's ICS text.

    What the demo organisation goes through. `keep_titles` defaults to `calendar.keep_titles`
    of the settings, as in a sync.
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
    memo: dict = {}
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


def _utc(value: date | datetime, owner: Owner) -> datetime:
    if not isinstance(value, datetime):
        return local_midnight(value, owner.zone)
    if value.tzinfo is None:
        value = value.replace(tzinfo=owner.zone)
    return value.astimezone(UTC)


def _instant_key(value: date | datetime, owner: Owner) -> str:
    if not isinstance(value, datetime):
        return value.isoformat()
    return _utc(value, owner).strftime("%Y%m%dT%H%M%SZ")


_FACT_PROPERTIES = ("SUMMARY", "ORGANIZER", "ATTENDEE", "STATUS", "TRANSP", "X-MICROSOFT-CDO-BUSYSTATUS", "CATEGORIES")


class _Facts(NamedTuple):
    """What an occurrence shares with its series: read once per series, not once per occurrence."""

    title: str
    organizer: str
    attendee_count: int
    response: str
    show_as: str
    cancelled: bool
    categories: tuple[str, ...]


def _occurrence(event: icalendar.Event, start: date | datetime, end: date | datetime, owner: Owner,
                recurring: set[str], memo: dict) -> Occurrence:
    """One occurrence of `event` (its series' or override's component) from `start` to `end`."""
    props = dict(event)  # plain dict lookups: a Component's own are costly at this volume
    start_utc, end_utc = _utc(start, owner), _utc(end, owner)
    if end_utc < start_utc:
        start_utc, end_utc = end_utc, start_utc
    facts = _facts(event, props, owner, memo)
    uid = str(props.get("UID", ""))
    recurrence_id = props.get("RECURRENCE-ID")
    instant = _instant_key(recurrence_id.dt if recurrence_id is not None else start, owner)
    if recurrence_id is not None and str(recurrence_id.params.get("RANGE", "")).upper() == "THISANDFUTURE":
        # every occurrence a "this and future" edit reaches carries the edit's RECURRENCE-ID
        instant += "+" + _instant_key(start, owner)
    key = (
        f"{uid}/{instant}"
        if uid
        else "no-uid/" + hashlib.sha256(f"{instant}\x00{facts.title}".encode()).hexdigest()[:24]
    )
    return Occurrence(
        uid=key,
        start_utc=start_utc,
        end_utc=end_utc,
        all_day=not isinstance(start, datetime),
        title=facts.title,
        attendee_count=facts.attendee_count,
        response=facts.response,
        recurring=uid in recurring,
        show_as=facts.show_as,
        cancelled=facts.cancelled,
        organizer=facts.organizer,
        categories=facts.categories,
    )


def _facts(event: icalendar.Event, props: dict, owner: Owner, memo: dict) -> _Facts:
    """The series-wide facts, remembered by the identity of the property values they come from.

    The expansion hands out shallow copies, so every occurrence of one series (or one override)
    holds the very same value objects; a different object means an override changed something.
    """
    values = tuple(props.get(name) for name in _FACT_PROPERTIES)
    key = tuple(map(id, values))
    known = memo.get(key)
    if known is not None and all(a is b for a, b in zip(known[0], values, strict=True)):
        return known[1]
    title = str(props.get("SUMMARY", ""))
    organizer = _address(props.get("ORGANIZER"))
    people, response = _attendance(props.get("ATTENDEE"), owner, organizer)
    status = str(props.get("STATUS", "")).upper()
    facts = _Facts(
        title,
        organizer,
        attendee_count(owner, people, organizer),
        response,
        _show_as(props),
        status == "CANCELLED" or title.lower().startswith(_CANCELLED_PREFIXES),
        tuple(str(c) for c in event.categories) if "CATEGORIES" in props else (),
    )
    memo[key] = (values, facts)
    return facts


def _address(value) -> str:
    if value is None:
        return ""
    text = str(value).strip()
    return (text[7:] if text.lower().startswith("mailto:") else text).lower()


def _attendance(attendees, owner: Owner, organizer: str) -> tuple[list[str], str]:
    """The human attendees' addresses and the owner's own response."""
    if not isinstance(attendees, list):
        attendees = [] if attendees is None else [attendees]
    people, response = [], None
    for attendee in attendees:
        address = _address(attendee)
        params = getattr(attendee, "params", {})
        if str(params.get("CUTYPE", "INDIVIDUAL")).upper() in _NOT_PEOPLE:
            continue
        people.append(address)
        if address in owner.emails and response is None:
            response = _PARTSTAT.get(str(params.get("PARTSTAT", "NEEDS-ACTION")).upper(), "needsAction")
    if response is None:
        response = "accepted" if not people or organizer in owner.emails else "needsAction"
    return people, response


def _show_as(props: dict) -> str:
    busy = _BUSY_STATUS.get(str(props.get("X-MICROSOFT-CDO-BUSYSTATUS", "")).upper())
    if busy == "oof":
        return busy
    if str(props.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
        return "free"
    return busy or "busy"


# --- fetching -----------------------------------------------------------------------------------


@dataclass
class IcsDocument:
    """One calendar file as read: `where` names it in errors (a URL is shown without its secret)."""

    where: str
    data: bytes | None = None
    error: str | None = None
    owner_hint: str | None = None


def redact_url(url: str) -> str:
    """A feed's secret address reduced to scheme and host: safe for errors and `sync_runs`."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}/…"


def is_url(location: str) -> bool:
    return location.lower().startswith(("https://", "http://", "webcal://"))


def read_location(
    location: str,
    label: str | None = None,
    *,
    session=None,
    timeout: float = 30,
    policy: RetryPolicy = DEFAULT_POLICY,
    max_bytes: int | None = None,
) -> list[IcsDocument]:
    """The documents behind a configured location: one file, every `.ics` under a folder, or a feed.

    Feeds must be https (webcal:// is read as https://); plain http is allowed only for the local
    machine, where the tests' servers run. A document over `max_bytes` is not read at all. Nothing
    here raises: a document that cannot be read carries its error, to be quarantined.
    """
    if is_url(location):
        return [_fetch(location, label, session, timeout, policy, max_bytes)]
    path = Path(location).expanduser()
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() == ".ics" and p.is_file())
        if not files:
            return [IcsDocument(str(path), error="folder holds no .ics files")]
        return [_read_file(p, max_bytes) for p in files]
    return [_read_file(path, max_bytes)]


def _owner_hint(path: Path) -> str | None:
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    return stem.lower() if "@" in stem else None


def too_large(size: int, max_bytes: int) -> str:
    return (
        f"too large: {size / 2**20:,.1f} MB, over the limit of {max_bytes / 2**20:g} MB"
        " ([calendar].max_ics_megabytes)"
    )


def _read_file(path: Path, max_bytes: int | None = None) -> IcsDocument:
    try:
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            return IcsDocument(str(path), error=too_large(size, max_bytes), owner_hint=_owner_hint(path))
        return IcsDocument(str(path), data=path.read_bytes(), owner_hint=_owner_hint(path))
    except OSError as error:
        return IcsDocument(str(path), error=f"cannot read: {error.strerror or type(error).__name__}")


def _fetch(url: str, label: str | None, session, timeout: float, policy: RetryPolicy, max_bytes: int | None) -> IcsDocument:
    if url.lower().startswith("webcal://"):
        url = "https://" + url[len("webcal://") :]
    where = f"{label} ({redact_url(url)})" if label else redact_url(url)
    parts = urlsplit(url)
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        return IcsDocument(
            where, error="feed address must be https (a calendar's secret address must not travel in clear)"
        )
    try:
        return IcsDocument(where, data=retried(policy, lambda: _download(session, url, timeout, max_bytes), timeout))
    except ApiError as error:  # its message never holds the URL
        return IcsDocument(where, error=f"cannot fetch: {error}")
    except ValueError as error:
        return IcsDocument(where, error=str(error))


def _download(session, url: str, timeout: float, max_bytes: int | None) -> bytes:
    """One try at the feed, body included, so an answer that breaks off is retried like a lost one."""
    import requests

    with (session or requests).get(url, timeout=timeout, headers={"Accept": "text/calendar"}, stream=True) as response:
        raise_if_later(response)
        if response.status_code != 200:
            raise ApiError(f"HTTP {response.status_code}")
        return _body(response, max_bytes)


def _body(response, max_bytes: int | None) -> bytes:
    """The feed's bytes, read in chunks and abandoned as soon as they pass `max_bytes`."""
    declared = response.headers.get("Content-Length")
    if max_bytes is not None and declared and declared.isdigit() and int(declared) > max_bytes:
        raise ValueError(too_large(int(declared), max_bytes))
    chunks, size = [], 0
    for chunk in response.iter_content(chunk_size=1 << 20):
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise ValueError(too_large(size, max_bytes) + " (and still coming)")
        chunks.append(chunk)
    return b"".join(chunks)
