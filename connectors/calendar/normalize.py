"""The one step where ICS, Google and Graph stop being different: occurrences to `calendar_events` rows.

Each source turns its own records into `Occurrence`s (one occurrence of one event in one owner's
calendar, times already in UTC). From here on everything is shared: the occurrence is
classified, its title is hashed and then dropped, and it is kept or left out by one rule.

What is stored (the choice the schema leaves open):
- cancelled occurrences are **not stored**: they took no time;
- occurrences shown as free (ICS `TRANSP:TRANSPARENT`, Google `transparent`, Graph `free` or
  `workingElsewhere`) are **not stored**: they neither are meetings nor break focus time;
  the one exception is time out of office, which is stored however it is shown, because an
  absence takes time out of the working week whether or not the calendar calls it busy;
- declined occurrences **are stored** with `response = 'declined'`: PM-weeks ignore them, and
  a later "accept" then only changes the response;
- `category` holds the classification; an occurrence no rule matched is stored as
  `unclassified`, so its hours are shown rather than hidden in "other".

Descriptions never get this far, and attendee lists no further: an `Occurrence` carries the other
attendees' addresses only so that `to_rows` can name their roster roles (`attendee_roles`, e.g.
"ops,pm") and teams (`attendee_teams`, team ids), which is what product ops's distance from product
and operations, and from each product group, is read from; no address is stored. The title is used
for classification, and only a salted hash of it goes into the row (the title itself goes into
`calendar_titles` only when the config asks for that).
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import pandas as pd

from dashboard.core.schema import TABLES

UTC = UTC
EVENT_COLUMNS = list(TABLES["calendar_events"].columns)
TITLE_COLUMNS = list(TABLES["calendar_titles"].columns)
FREE = ("free", "workingElsewhere")


@dataclass(frozen=True)
class Owner:
    """Whose calendar this is: the person it counts for, their addresses and their time zone.

    ICS has no "me" marker, so the owner's addresses are how a decline is found; `aliases`
    are the other addresses the same person answers invitations with.
    """

    person_id: str
    email: str
    tz: str = "UTC"
    aliases: tuple[str, ...] = ()

    @cached_property
    def emails(self) -> frozenset[str]:
        return frozenset(address.strip().lower() for address in (self.email, *self.aliases) if address)

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)


@dataclass(frozen=True)
class Window:
    """The span a sync reads: occurrences that *start* in [start, end) are stored, nothing else.

    Bounding every query by a window is also what stops an endless series.
    """

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a window needs time-zone-aware bounds")
        if self.end <= self.start:
            raise ValueError("a window must end after it starts")

    @classmethod
    def of(cls, start: date | datetime, end: date | datetime, tz: str = "UTC") -> Window:
        """From dates (midnight in `tz`) or datetimes (naive ones read in `tz`); `end` is exclusive."""
        return cls(_aware(start, ZoneInfo(tz)).astimezone(UTC), _aware(end, ZoneInfo(tz)).astimezone(UTC))

    def holds(self, instant: datetime) -> bool:
        return self.start <= instant < self.end

    @property
    def key(self) -> list[str]:
        """The window as JSON-friendly text, kept with a cursor so a moved window forces a full sync."""
        return [self.start.isoformat(), self.end.isoformat()]


def _aware(value: date | datetime, zone: ZoneInfo) -> datetime:
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(), zone)
    return value if value.tzinfo else value.replace(tzinfo=zone)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The start of a calendar day on the owner's clock, in UTC (all-day events are owner-local)."""
    return datetime.combine(day, time(), zone).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One occurrence of an event in one owner's calendar, in source-neutral terms.

    `uid` is unique per owner and stable across syncs (UID plus RECURRENCE-ID for ICS, the
    instance id for Google and Graph), so a moved instance replaces itself instead of doubling.
    `attendee_count` counts people, the owner included, rooms and resources left out; `others`
    are the other people's addresses (lower case), there to be matched to the roster and dropped.
    """

    uid: str
    start_utc: datetime
    end_utc: datetime
    all_day: bool = False
    title: str = ""
    attendee_count: int = 1
    response: str = "accepted"
    recurring: bool = False
    show_as: str = "busy"
    cancelled: bool = False
    organizer: str = ""
    event_type: str = "default"
    categories: tuple[str, ...] = field(default=())
    others: tuple[str, ...] = ()

    @property
    def minutes(self) -> float:
        return (self.end_utc - self.start_utc) / timedelta(minutes=1)


@dataclass
class Fetched:
    """What one calendar's pull brought: occurrences, every id it touched, and the next cursor.

    A full pull replaces the owner's rows in the window; an incremental one rewrites exactly the
    `touched` ids (a cancelled or moved-away instance is touched and not re-added).
    """

    full: bool
    occurrences: list[Occurrence] = field(default_factory=list)
    touched: set[str] = field(default_factory=set)
    cursor: dict | None = None


def kept(occurrence: Occurrence, category: str) -> bool:
    """Whether an occurrence is stored at all (see the module docstring for why)."""
    if occurrence.cancelled:
        return False
    return category == "ooo" or occurrence.show_as not in FREE


def title_salt(settings, env: Mapping[str, str] | None = None) -> str:
    """`PRODOPS_TITLE_SALT` from the environment, else `calendar.title_salt` (a public default)."""
    env = os.environ if env is None else env
    return env.get("PRODOPS_TITLE_SALT") or settings.calendar.title_salt


def title_hash(title: str, salt: str) -> str:
    """Salted SHA-256 of the title, case and spacing ignored: equal titles match, the text is gone."""
    normal = " ".join(title.split()).casefold()
    return hashlib.sha256(f"{salt}\x00{normal}".encode()).hexdigest()


@dataclass
class Rows:
    """`calendar_events` rows of one owner, plus their titles when titles are kept."""

    events: pd.DataFrame
    titles: pd.DataFrame

    @classmethod
    def empty(cls) -> Rows:
        return cls(pd.DataFrame(columns=EVENT_COLUMNS), pd.DataFrame(columns=TITLE_COLUMNS))


def to_rows(
    source: str,
    occurrences: list[Occurrence],
    owner: Owner,
    classify,
    window: Window,
    salt: str,
    keep_titles: bool = False,
    roles: Mapping[str, str] | None = None,
    teams: Mapping[str, str] | None = None,
) -> Rows:
    """Classify, filter and flatten one owner's occurrences into table rows.

    `classify` is a `classify.Classifier`: its `match` names the rule and category. Only occurrences that
    start inside `window` are kept; of two with the same uid the first wins. `roles` maps roster
    addresses (lower case) to their roles (`sync.Owners.roles`), `teams` to their teams (`sync.Owners.teams`);
    without one, `attendee_roles` or `attendee_teams` is left unknown (NULL).
    """
    records, titles, seen = [], [], set()
    # a series' occurrences share a title and an attendee list: each distinct one is hashed or named once
    hashed = functools.cache(lambda title: title_hash(title, salt))
    named = functools.cache(lambda others: attendee_roles(others, roles))
    teamed = functools.cache(lambda others: attendee_roles(others, teams))
    for occurrence in occurrences:
        if occurrence.uid in seen or not window.holds(occurrence.start_utc):
            continue
        rule, category = classify.match(occurrence)
        if not kept(occurrence, category):
            continue
        seen.add(occurrence.uid)
        records.append(
            (
                source,
                occurrence.uid,
                owner.person_id,
                occurrence.start_utc.replace(tzinfo=None),
                occurrence.end_utc.replace(tzinfo=None),
                occurrence.all_day,
                category,
                occurrence.attendee_count,
                occurrence.recurring,
                occurrence.response,
                hashed(occurrence.title),
                rule,
                None if roles is None else named(occurrence.others),
                None if teams is None else teamed(occurrence.others),
            )
        )
        if keep_titles:
            titles.append((source, occurrence.uid, owner.person_id, occurrence.title))
    events = pd.DataFrame.from_records(records, columns=EVENT_COLUMNS)
    events["start_utc"] = pd.to_datetime(events["start_utc"])
    events["end_utc"] = pd.to_datetime(events["end_utc"])
    events["attendee_count"] = events["attendee_count"].astype("int32")
    events["all_day"] = events["all_day"].astype(bool)
    events["recurring"] = events["recurring"].astype(bool)
    return Rows(events, pd.DataFrame.from_records(titles, columns=TITLE_COLUMNS))


def other_attendees(owner: Owner, attendees: list[str], organizer: str = "") -> tuple[str, ...]:
    """The people at an occurrence besides its owner (lower case, sorted): its `attendee_count` is
    one more. The organiser is one of them when others were invited."""
    people = {address.strip().lower() for address in attendees if address and address.strip()}
    if people and organizer:
        people.add(organizer.strip().lower())
    return tuple(sorted(people - owner.emails))


def roster_roles(people: pd.DataFrame) -> dict[str, str]:
    """Each roster address (lower case) to its person's role: what `to_rows` names attendees by."""
    return _by_address(people, "role")


def roster_teams(people: pd.DataFrame) -> dict[str, str]:
    """Each roster address (lower case) to its person's team: what `to_rows` names attendees' teams by."""
    return _by_address(people, "team_id")


def _by_address(people: pd.DataFrame, column: str) -> dict[str, str]:
    return {email.strip().lower(): value for email, value in zip(people["email"], people[column], strict=True)
            if isinstance(email, str) and email.strip() and isinstance(value, str) and value}


def attendee_roles(others: tuple[str, ...], roles: Mapping[str, str]) -> str:
    """The distinct values `roles` gives `others` (their roster roles, or their teams), sorted and
    comma-joined ("" when none is on the roster)."""
    return ",".join(sorted({roles[address] for address in others if address in roles}))
