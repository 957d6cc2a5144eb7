"""Reading the HR roster CSV: columns, rows, working hours; what is wrong with a row, named."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from connectors.csv_text import CsvError, records
from dashboard.core.config import ROLES
from dashboard.core.file_limits import MAX_ROSTER_BYTES, FileRefused, excerpt, listing, read_text

REQUIRED_COLUMNS = (
    "person_id", "name", "email", "role", "team_id", "group", "time_zone", "working_hours", "start_date", "end_date",
)
OPTIONAL_COLUMNS = ("team_name", "team_since")
IDENTITY_COLUMNS = ("source", "external_id", "person_id")
TEAM_REQUIRED_FOR = ("pm",)
EARLIEST = date(1900, 1, 1)  # "since before the first roster": the first known group of a team
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})(?:\s+(\S.*))?$")


class RosterError(ValueError):
    """The file cannot be read as a roster (or identity map) at all."""


@dataclass(frozen=True)
class RowIssue:
    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file] + ([f"row {self.row}"] if self.row else []) + ([f"column {self.column!r}"] if self.column else [])
        return f"{', '.join(where)}: {self.message}"


@dataclass(frozen=True)
class Person:
    """One valid roster row."""

    row: int
    person_id: str
    name: str
    email: str
    role: str
    team_id: str | None
    team_name: str | None
    group: str | None
    tz: str | None
    hours: tuple[time, time, list[str]] | None
    start: date
    end: date | None
    team_since: date | None


@dataclass(frozen=True)
class Roster:
    name: str
    people: list[Person]
    issues: list[RowIssue]


@dataclass(frozen=True)
class RosterReport:
    people: int
    joined: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    regrouped: list[str] = field(default_factory=list)
    not_in_roster: list[str] = field(default_factory=list)
    issues: list[RowIssue] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.joined or self.moved or self.left or self.regrouped)


# ---------------------------------------------------------------------------------------------
# Reading


def _records(text: str, name: str, required: tuple[str, ...]) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header (lower-cased) and rows as dicts with their row number; a missing column is an error."""
    try:
        reader = iter(records(text.removeprefix("\ufeff")))
    except CsvError as error:
        raise RosterError(f"{name}: {error}") from None
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise RosterError(f"{name}: the file is empty") from None
    missing = [c for c in required if c not in header]
    if missing:
        raise RosterError(f"{name}: missing column{'s' if len(missing) > 1 else ''} {listing(missing, len(required))} "
                          f"(a roster needs: {', '.join(required)}; the header has {listing(header)})")
    rows = []
    for number, record in enumerate(reader, start=2):
        if any(value.strip() for value in record):
            rows.append((number, {h: (record[i].strip() if i < len(record) else "") for i, h in enumerate(header)}))
    return header, rows


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date as YYYY-MM-DD") from None


def _days(text: str) -> list[str]:
    text = text.lower().replace(" ", "")
    if re.fullmatch(r"[a-z]{3}-[a-z]{3}", text):
        first, last = text.split("-")
        if first in DAYS and last in DAYS and DAYS.index(first) <= DAYS.index(last):
            return list(DAYS[DAYS.index(first): DAYS.index(last) + 1])
    days = text.split(",")
    if all(d in DAYS for d in days):
        return sorted(set(days), key=DAYS.index)
    raise ValueError(f"{text!r} are not days (use mon-fri or mon,tue,wed)")


def parse_hours(value: str) -> tuple[time, time, list[str]] | None:
    """`09:00-17:00` or `08:30-16:30 mon-thu`; blank means the configured default."""
    if not value:
        return None
    match = _HOURS.match(value)
    if not match:
        raise ValueError(f"{value!r} is not working hours as 09:00-17:00 (optionally followed by days, e.g. mon-fri)")
    try:
        start, end = time(int(match[1]), int(match[2])), time(int(match[3]), int(match[4]))
    except ValueError:
        raise ValueError(f"{value!r} has an hour or minute out of range") from None
    if end <= start:
        raise ValueError(f"{value!r} ends before it starts")
    return start, end, _days(match[5]) if match[5] else ["mon", "tue", "wed", "thu", "fri"]


def _person(number: int, raw: dict[str, str], name: str, issues: list[RowIssue]) -> Person | None:
    """One row checked column by column; every problem is reported, and then the row is left out."""
    problems: list[tuple[str, str]] = []

    def check(column: str, convert, value: str):
        try:
            return convert(value)
        except ValueError as error:
            problems.append((column, str(error)))
            return None

    for column in ("person_id", "name", "email", "role", "start_date"):
        if not raw[column]:
            problems.append((column, "is empty"))
    email = raw["email"].lower()
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+", email):
        problems.append(("email", "is not an email address"))
    role = raw["role"].lower()
    if role and role not in ROLES:
        problems.append(("role", f"{raw['role']!r} is not one of {', '.join(ROLES)}"))
    team = raw["team_id"] or None
    if role in TEAM_REQUIRED_FOR and not team:
        problems.append(("team_id", f"is empty; a {role} belongs to a team"))
    if team and not raw["group"]:
        problems.append(("group", f"is empty; team {team!r} needs a group"))
    tz = raw["time_zone"] or None
    if tz:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(("time_zone", f"{tz!r} is not an IANA time zone such as Europe/Berlin"))
    hours = check("working_hours", parse_hours, raw["working_hours"])
    start = check("start_date", _date, raw["start_date"]) if raw["start_date"] else None
    end = check("end_date", _date, raw["end_date"]) if raw["end_date"] else None
    since = check("team_since", _date, raw.get("team_since", "")) if raw.get("team_since") else None
    if start and end and end < start:
        problems.append(("end_date", f"{end} is before start_date {start}"))
    if problems:
        issues.extend(RowIssue(name, number, column, message) for column, message in problems)
        return None
    return Person(number, raw["person_id"], raw["name"], email, role, team, raw.get("team_name") or None,
                  raw["group"] or None, tz, hours, start, end, since)


def parse_roster(text: str, name: str = "<roster>") -> Roster:
    """Read roster CSV text (a file's content, or what the demo generates)."""
    header, rows = _records(text, name, REQUIRED_COLUMNS)
    issues: list[RowIssue] = []
    unknown = [h for h in header if h not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        issues.append(RowIssue(name, None, None, f"columns not used by the dashboard were ignored: {listing(unknown)}"))
    people: list[Person] = []
    seen: dict[str, int] = {}
    teams: dict[str, tuple[str | None, str | None, int]] = {}
    for number, raw in rows:
        person = _person(number, raw, name, issues)
        if person is None:
            continue
        if person.person_id in seen:
            issues.append(RowIssue(name, number, "person_id", f"{person.person_id!r} is already on row {seen[person.person_id]}"))
            continue
        if person.team_id:
            group, _team_name, first = teams.setdefault(person.team_id, (person.group, person.team_name, number))
            if group != person.group:
                issues.append(RowIssue(name, number, "group", f"team {person.team_id!r} is in group {group!r} on row {first}"))
                continue
        seen[person.person_id] = number
        people.append(person)
    return Roster(name, people, issues)


def _refuse_shared_emails(people: list[Person], name: str, stored: pd.DataFrame | None = None) -> None:
    """RosterError naming the rows when two people have one email (in the file, or one of them stored and not in it).

    An email is a person's identity: sign-in shows a PM their own calendar weeks by it and
    calendars find their owner by it. Loading two people under one would show one the other's
    weeks, so the whole file is refused rather than one of them guessed.
    """
    owners: dict[str, list[str]] = {}
    for person in people:
        owners.setdefault(person.email, []).append(f"row {person.row} ({excerpt(person.person_id, 40)})")
    listed = {person.person_id for person in people}
    if stored is not None:
        for person_id, email in zip(stored["person_id"], stored["email"]):
            if person_id not in listed and isinstance(email, str) and email.lower() in owners:
                owners[email.lower()].append(f"{excerpt(person_id, 40)} (stored, not in this roster)")
    shared = [f"{excerpt(email, 80)} is on {listing(who, quoted=False, width=80)}" for email, who in owners.items() if len(who) > 1]
    if shared:
        raise RosterError(f"{name}: two people have one email ({listing(shared, quoted=False, width=400)}): an email names "
                          "one person (sign-in finds a PM's own weeks by it); nothing was loaded")


def read_roster(path: str | os.PathLike) -> Roster:
    file = Path(path)
    return parse_roster(_read_text(file), str(file))


def _read_text(file: Path) -> str:
    """A CSV file's text; RosterError naming the file when it is over the limits or not readable text."""
    try:
        return read_text(file, MAX_ROSTER_BYTES, "roster")
    except FileRefused as error:
        raise RosterError(str(error)) from None
