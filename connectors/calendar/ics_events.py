"""One VEVENT instance as an occurrence: the owner's response, attendees, show-as, cancelled or not."""
from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import NamedTuple

import icalendar

from connectors.calendar.normalize import UTC, Occurrence, Owner, local_midnight, other_attendees

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


class _Facts(NamedTuple):
    """What an occurrence shares with its series: read once per series, not once per occurrence."""

    title: str
    organizer: str
    others: tuple[str, ...]
    response: str
    show_as: str
    cancelled: bool
    categories: tuple[str, ...]


_FACT_PROPERTIES = ("SUMMARY", "ORGANIZER", "ATTENDEE", "STATUS", "TRANSP", "X-MICROSOFT-CDO-BUSYSTATUS", "CATEGORIES")


class Memo:
    """What one calendar's expansion has read already: each component's shared part, by the
    component's identity, and each set of fact values, by the values' identities."""

    def __init__(self) -> None:
        self.sources: dict[int, tuple[icalendar.Event, _Source]] = {}
        self.facts: dict[tuple, tuple[tuple, _Facts]] = {}


class _Source(NamedTuple):
    """What every occurrence expanded from one component shares, read from it once."""

    uid: str
    recurring: bool
    facts: _Facts
    instant: str | None
    """the instant key of the component's RECURRENCE-ID; None when it has none (each occurrence's start is its key)"""
    this_and_future: bool


def _occurrence(event: icalendar.Event, start: date | datetime, end: date | datetime, owner: Owner,
                recurring: set[str], memo: Memo) -> Occurrence:
    """One occurrence of `event` (its series' or override's component) from `start` to `end`.

    `memo` is one calendar's: what is read from a component is read on its first occurrence.
    """
    source = _source(event, owner, recurring, memo)
    start_utc, end_utc = _utc(start, owner), _utc(end, owner)
    own_key = start.isoformat() if not isinstance(start, datetime) else start_utc.strftime(_UTC_KEY)
    instant = own_key if source.instant is None else source.instant
    if source.this_and_future:
        # every occurrence a "this and future" edit reaches carries the edit's RECURRENCE-ID
        instant += "+" + own_key
    if end_utc < start_utc:
        start_utc, end_utc = end_utc, start_utc
    facts = source.facts
    key = (
        f"{source.uid}/{instant}"
        if source.uid
        else "no-uid/" + hashlib.sha256(f"{instant}\x00{facts.title}".encode()).hexdigest()[:24]
    )
    return Occurrence(
        uid=key,
        start_utc=start_utc,
        end_utc=end_utc,
        all_day=not isinstance(start, datetime),
        title=facts.title,
        attendee_count=len(facts.others) + 1,
        response=facts.response,
        recurring=source.recurring,
        show_as=facts.show_as,
        cancelled=facts.cancelled,
        organizer=facts.organizer,
        categories=facts.categories,
        others=facts.others,
    )


def _source(event: icalendar.Event, owner: Owner, recurring: set[str], memo: Memo) -> _Source:
    """The component's shared part, remembered by its identity: the expansion hands out the source
    component itself for each of its occurrences (`ics._expansion`), so a series is read once."""
    known = memo.sources.get(id(event))
    if known is not None and known[0] is event:
        return known[1]
    props = dict(event)  # plain dict lookups: a Component's own are costly
    uid = str(props.get("UID", ""))
    recurrence_id = props.get("RECURRENCE-ID")
    source = _Source(
        uid,
        uid in recurring,
        _shared_facts(event, props, owner, memo),
        None if recurrence_id is None else _instant_key(recurrence_id.dt, owner),
        recurrence_id is not None and str(recurrence_id.params.get("RANGE", "")).upper() == "THISANDFUTURE",
    )
    memo.sources[id(event)] = (event, source)  # the component is kept too, so its id cannot be reused meanwhile
    return source


def _shared_facts(event: icalendar.Event, props: dict, owner: Owner, memo: Memo) -> _Facts:
    """The facts, remembered by the identity of the values they are read from.

    The parser (`ics_parse`) hands one value object to every event that repeats a line, so the
    one-off meetings of a team, with the same title, organiser and attendees, are read once.
    """
    values = tuple(props.get(name) for name in _FACT_PROPERTIES)
    key = tuple(tuple(map(id, value)) if isinstance(value, list) else id(value) for value in values)
    known = memo.facts.get(key)
    if known is not None:
        return known[1]
    facts = _facts(event, props, owner)
    memo.facts[key] = (values, facts)  # the values are kept too, so their ids cannot be reused meanwhile
    return facts


def _facts(event: icalendar.Event, props: dict, owner: Owner) -> _Facts:
    """The series-wide facts of one component."""
    title = str(props.get("SUMMARY", ""))
    organizer = _address(props.get("ORGANIZER"))
    people, response = _attendance(props.get("ATTENDEE"), owner, organizer)
    status = str(props.get("STATUS", "")).upper()
    return _Facts(
        title,
        organizer,
        other_attendees(owner, people, organizer),
        response,
        _show_as(props),
        status == "CANCELLED" or title.lower().startswith(_CANCELLED_PREFIXES),
        tuple(str(c) for c in event.categories) if "CATEGORIES" in props else (),
    )


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

def _utc(value: date | datetime, owner: Owner) -> datetime:
    if not isinstance(value, datetime):
        return local_midnight(value, owner.zone)
    if value.tzinfo is None:
        value = value.replace(tzinfo=owner.zone)
    return value.astimezone(UTC)


_UTC_KEY = "%Y%m%dT%H%M%SZ"


def _instant_key(value: date | datetime, owner: Owner) -> str:
    if not isinstance(value, datetime):
        return value.isoformat()
    return _utc(value, owner).strftime(_UTC_KEY)
