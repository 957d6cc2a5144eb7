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


_FACT_PROPERTIES = ("SUMMARY", "ORGANIZER", "ATTENDEE", "STATUS", "TRANSP", "X-MICROSOFT-CDO-BUSYSTATUS", "CATEGORIES")


class _Facts(NamedTuple):
    """What an occurrence shares with its series: read once per series, not once per occurrence."""

    title: str
    organizer: str
    others: tuple[str, ...]
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
        attendee_count=len(facts.others) + 1,
        response=facts.response,
        recurring=uid in recurring,
        show_as=facts.show_as,
        cancelled=facts.cancelled,
        organizer=facts.organizer,
        categories=facts.categories,
        others=facts.others,
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
        other_attendees(owner, people, organizer),
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
