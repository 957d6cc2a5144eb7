"""The HR roster: who is a PM on which team, since when, in which time zone; and who is who in each source.

The roster is a CSV export from the HR system, one row per person, read with explicit columns:

    person_id, name, email, role, team_id, group, time_zone, working_hours, start_date, end_date
    (optional: team_name, team_since)

`role` is pm, ops, eng, design, leader or other; `team_id` may be blank except for PMs (operations
is not in a product team); `working_hours` is blank (the configured default) or `09:00-17:00`,
optionally followed by days (`mon-thu` or `mon,tue,wed`); dates are YYYY-MM-DD and `end_date` is
the last working day. A missing column stops the load with an error naming the file and column;
a bad row is reported with its file, row and column and left out, and the rest is loaded.

Every load is a snapshot taken on `as_of`, and history is kept: when a person's team or role
differs from their current membership, that membership is closed and a new one opened on
`team_since` if the row gives it, else on `as_of` (`valid_to` is exclusive). The same for teams:
a team that moved to another group gets a new `team_groups` row from `as_of`. So past quarters
are counted against the team (and group) people were in then. Loading the same roster again
changes nothing. A snapshot never rewrites the history after its date: a change dated before a
person's current membership began, or a team's group move before its last one, is refused for that
row and reported (the row keeps what it had).

Two people with one email (in the file, or one of them stored, still active and not in the file)
refuse the whole load, naming both: the email is how sign-in finds a PM's own calendar weeks.

The identity map ties each source's user ids (a Jira accountId or username, a calendar owner
address, ...) to a person: a CSV `source, external_id, person_id`. Ids that match no one are not
dropped: `unmatched_identities` lists every id in the canonical tables that names no person.

`parse_roster` (text to people) and `plan_roster` (a snapshot over what is known, to rows) are
pure; `load_roster` reads what is known from the store and writes the plan in one transaction.
The demo organisation's HR exports go through the two pure steps.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from connectors.csv_text import CsvError, records
from dashboard.core.config import ROLES, Settings
from dashboard.core.file_limits import MAX_ROSTER_BYTES, FileRefused, excerpt, listing, read_text
from dashboard.core.schema import TABLES
from dashboard.core.store import Store
from dashboard.derive import refresh

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


# ---------------------------------------------------------------------------------------------
# Planning the writes: history is closed and opened, never overwritten


def _frame(table: str, rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(TABLES[table].columns))


def _as_date(value) -> date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def _membership_changes(person: Person, history: pd.DataFrame, as_of: date, name: str) -> tuple[list[dict], str | None, RowIssue | None]:
    """The membership rows to write for one person, and what changed ('joined', 'moved', 'left')."""
    end = person.end + timedelta(days=1) if person.end else None
    new = {"person_id": person.person_id, "team_id": person.team_id, "role": person.role}
    if history.empty:
        start = person.team_since or person.start
        if end and end <= start:
            return [], None, RowIssue(name, person.row, "team_since", f"{start} is after end_date {person.end}")
        return [{**new, "valid_from": start, "valid_to": end}], "joined", None
    current = history.sort_values("valid_from").iloc[-1].to_dict()
    current["valid_from"], current["valid_to"] = _as_date(current["valid_from"]), _as_date(current["valid_to"])
    rehired = current["valid_to"] is not None and person.start >= current["valid_to"]
    same = (current["team_id"] if pd.notna(current["team_id"]) else None, current["role"]) == (person.team_id, person.role)
    if same and not rehired:
        if current["valid_to"] == end:
            return [], None, None
        return [{**current, "valid_to": end}], "left" if end else "joined", None
    effective = person.start if rehired else (person.team_since or as_of)
    if effective < current["valid_from"]:
        return [], None, RowIssue(name, person.row, "team_since" if person.team_since else None,
                                  f"the change on {effective} is before the current membership began ({current['valid_from']})")
    if end and end <= effective:
        return [], None, RowIssue(name, person.row, "end_date", f"{person.end} is before the change on {effective}")
    if effective == current["valid_from"]:
        return [{**new, "valid_from": effective, "valid_to": end}], "moved", None
    closed = current if rehired or (current["valid_to"] and current["valid_to"] <= effective) else {**current, "valid_to": effective}
    return [closed, {**new, "valid_from": effective, "valid_to": end}], "joined" if rehired else "moved", None


def _team_changes(roster: Roster, teams: pd.DataFrame, history: pd.DataFrame,
                  as_of: date) -> tuple[list[dict], list[dict], list[str], list[RowIssue]]:
    """Team rows to write, group-history rows to write, the teams that moved group, and the moves refused.

    A snapshot dated before a team's last move cannot say which group it was in then without
    rewriting the history after it: like a person's backdated change, it is refused, and the team
    keeps its group.
    """
    current = teams.set_index("team_id") if not teams.empty else pd.DataFrame(columns=["name", "group_name"])
    team_rows, history_rows, regrouped, issues = [], [], [], []
    for person in roster.people:
        if not person.team_id or any(r["team_id"] == person.team_id for r in team_rows):
            continue
        known = person.team_id in current.index
        old_group = current.loc[person.team_id, "group_name"] if known else None
        old_name = current.loc[person.team_id, "name"] if known else None
        team_rows.append({"team_id": person.team_id, "name": person.team_name or old_name or person.team_id, "group_name": person.group})
        own = history[history["team_id"] == person.team_id].sort_values("valid_from")
        if own.empty:
            if known and pd.notna(old_group) and old_group != person.group:
                history_rows.append({"team_id": person.team_id, "valid_from": EARLIEST, "group_name": old_group, "valid_to": as_of})
                history_rows.append({"team_id": person.team_id, "valid_from": as_of, "group_name": person.group, "valid_to": None})
                regrouped.append(person.team_id)
            else:
                history_rows.append({"team_id": person.team_id, "valid_from": EARLIEST, "group_name": person.group, "valid_to": None})
            continue
        last = own.iloc[-1].to_dict()
        if last["group_name"] != person.group:
            last_from = _as_date(last["valid_from"])
            if last_from > as_of and _group_on(own, as_of) == person.group:
                team_rows[-1]["group_name"] = last["group_name"]  # an older snapshot that agrees with the history
            elif last_from > as_of:
                issues.append(RowIssue(roster.name, person.row, "group",
                                       f"team {excerpt(person.team_id, 40)!r} moved to group {excerpt(str(last['group_name']), 40)!r} "
                                       f"on {last_from}, after this roster's date {as_of}: a move to "
                                       f"{excerpt(person.group or '', 40)!r} before it would rewrite that history "
                                       f"(load with --as-of {last_from} or later); the team keeps its group"))
                team_rows[-1]["group_name"] = last["group_name"]
            elif last_from == as_of:
                history_rows.append({**last, "valid_from": last_from, "group_name": person.group})
            else:
                history_rows.append({**last, "valid_from": last_from, "valid_to": as_of})
                history_rows.append({"team_id": person.team_id, "valid_from": as_of, "group_name": person.group, "valid_to": None})
            if last_from <= as_of:
                regrouped.append(person.team_id)
    return team_rows, history_rows, regrouped, issues


def _group_on(history: pd.DataFrame, day: date) -> str | None:
    """The group a team's history (its `team_groups` rows) has it in on `day`."""
    for row in history.itertuples(index=False):
        if _as_date(row.valid_from) <= day and (_as_date(row.valid_to) is None or day < _as_date(row.valid_to)):
            return row.group_name
    return None


def _existing(store: Store, *names: str) -> dict[str, pd.DataFrame]:
    """The named tables as stored; empty (with their columns) when the file or a table is not there yet."""
    if not store.exists():
        return {name: _frame(name, []) for name in names}
    with store.reader() as con:
        present = set(con.execute("SELECT table_name FROM information_schema.tables").df()["table_name"])
        return {name: con.execute(f"SELECT * FROM {name}").df() if name in present else _frame(name, []) for name in names}


ROSTER_TABLES = ("memberships", "teams", "team_groups", "people")
"""The tables a roster snapshot is planned against (what is already known)."""


@dataclass(frozen=True)
class RosterPlan:
    """What one roster snapshot writes: rows per table, the people whose working hours go back
    to the default, and the report. Made without a store, so it can be inspected or tested."""

    frames: dict[str, pd.DataFrame]
    clear_hours: list[str]
    report: RosterReport


def plan_roster(roster: Roster, existing: dict[str, pd.DataFrame], *, as_of: date) -> RosterPlan:
    """The rows a roster snapshot taken on `as_of` writes over `existing` (the `ROSTER_TABLES` as
    stored): people, membership history, teams, their groups and working hours. Pure: nothing is
    read or written. Rows are upserts by each table's key, written in the order of `frames`."""
    existing = {name: existing.get(name, _frame(name, [])) for name in ROSTER_TABLES}
    stored = existing["people"]
    still_there = stored["active_to"].isna() | (pd.to_datetime(stored["active_to"]) >= pd.Timestamp(as_of))
    _refuse_shared_emails(roster.people, roster.name, stored[still_there])
    issues = list(roster.issues)
    people_rows, membership_rows, hours_rows, no_hours = [], [], [], []
    report = {"joined": [], "moved": [], "left": []}
    for person in roster.people:
        history = existing["memberships"][existing["memberships"]["person_id"] == person.person_id]
        rows, change, issue = _membership_changes(person, history, as_of, roster.name)
        if issue:
            issues.append(issue)
            continue
        membership_rows.extend(rows)
        if change:
            report[change].append(person.person_id)
        people_rows.append({
            "person_id": person.person_id, "name": person.name, "email": person.email, "role": person.role,
            "team_id": person.team_id, "tz": person.tz, "active_from": person.start, "active_to": person.end,
        })
        if person.hours:
            start, end, days = person.hours
            hours_rows.append({"person_id": person.person_id, "day_start": start, "day_end": end, "days": days})
        else:
            no_hours.append(person.person_id)
    team_rows, group_rows, regrouped, team_issues = _team_changes(roster, existing["teams"], existing["team_groups"], as_of)
    issues.extend(team_issues)
    listed = {p.person_id for p in roster.people}
    missing = sorted(set(existing["people"]["person_id"]) - listed)
    frames = {
        "teams": _frame("teams", team_rows),
        "team_groups": _frame("team_groups", group_rows),
        "people": _frame("people", people_rows),
        "memberships": _frame("memberships", membership_rows),
        "person_hours": _frame("person_hours", hours_rows),
    }
    summary = RosterReport(len(people_rows), report["joined"], report["moved"], report["left"], regrouped, missing, issues)
    return RosterPlan(frames, no_hours, summary)


def load_roster(store: Store, roster: Roster, *, as_of: date, settings: Settings | None = None) -> RosterReport:
    """Write a roster snapshot taken on `as_of`: people, membership history, teams and their groups.

    All of it is published in one transaction. Rows with problems are left out and reported;
    people missing from this roster are kept as they were and listed (a roster that leaves
    someone out says nothing about when they left: their end_date does). With `settings`, the
    derived tables are rebuilt in the same transaction (`dashboard.derive.refresh`); without, the
    stored metric series are marked stale and pages compute live until the next refresh.
    """

    plan = plan_roster(roster, _existing(store, *ROSTER_TABLES), as_of=as_of)
    with store.transaction() as tx:
        for table in ("teams", "team_groups", "people", "memberships"):
            tx.upsert(table, plan.frames[table])
        if plan.clear_hours:
            tx.delete_where("person_hours", "person_id", plan.clear_hours)
        tx.upsert("person_hours", plan.frames["person_hours"])
        if settings is not None:
            refresh(tx, settings)
    return plan.report


# ---------------------------------------------------------------------------------------------
# Identities


@dataclass(frozen=True)
class IdentityMap:
    name: str
    rows: pd.DataFrame
    issues: list[RowIssue]


def parse_identity_map(text: str, name: str = "<identity map>") -> IdentityMap:
    """Read `source, external_id, person_id` rows; a repeated (source, external_id) keeps the first."""
    _, rows = _records(text, name, IDENTITY_COLUMNS)
    issues, kept, seen = [], [], {}
    for number, raw in rows:
        empty = [c for c in IDENTITY_COLUMNS if not raw[c]]
        if empty:
            issues.extend(RowIssue(name, number, c, "is empty") for c in empty)
            continue
        key = (raw["source"].lower(), raw["external_id"])
        if key in seen:
            issues.append(RowIssue(name, number, "external_id", f"{raw['external_id']!r} is already mapped on row {seen[key]}"))
            continue
        seen[key] = number
        kept.append({"source": key[0], "external_id": key[1], "person_id": raw["person_id"]})
    return IdentityMap(name, _frame("identity_map", kept), issues)


def read_identity_map(path: str | os.PathLike) -> IdentityMap:
    file = Path(path)
    return parse_identity_map(_read_text(file), str(file))


def load_identity_map(store: Store, identities: IdentityMap) -> list[RowIssue]:
    """Store the mappings. One that names a person not (yet) in the roster is kept, reported here
    and listed by `unmatched_identities` until the roster has that person."""
    people = set(_existing(store, "people")["people"]["person_id"])
    issues = list(identities.issues)
    for _row, person in enumerate(identities.rows["person_id"]):
        if person not in people:
            issues.append(RowIssue(identities.name, None, "person_id", f"{person!r} is not in the roster"))
    with store.transaction() as tx:
        tx.upsert("identity_map", identities.rows)
    return issues


def resolve_people(ids: pd.Series, source: str, identity_map: pd.DataFrame, people: pd.DataFrame) -> pd.Series:
    """Each source user id as a person_id, for connectors to call while normalizing.

    In order: the identity map for `source`; an id that is a person_id; an email address of a
    person. An id that matches nothing is returned unchanged, so it is stored, not dropped, and
    `unmatched_identities` lists it until someone maps it.
    """
    mapped = identity_map[identity_map["source"] == source.lower()]
    by_id = dict(zip(mapped["external_id"], mapped["person_id"]))
    by_id_lower = {str(k).lower(): v for k, v in by_id.items()}
    person_ids = set(people["person_id"])
    by_email = {str(e).lower(): p for e, p in zip(people["email"], people["person_id"]) if pd.notna(e)}

    def one(value):
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return value
        text = str(value)
        return by_id.get(text) or by_id_lower.get(text.lower()) or (text if text in person_ids else None) or by_email.get(text.lower()) or text

    return ids.map(one)


# Where canonical tables name people or teams: (table, column, kind). The source is the table's
# own `source` column where it has one.
REFERENCES = (
    ("work_items", "assignee_id", "person"),
    ("work_items", "reporter_id", "person"),
    ("calendar_events", "person_id", "person"),
    ("checkins", "owner_id", "person"),
    ("memberships", "team_id", "team"),
    ("releases", "team_id", "team"),
    ("checkins", "team_id", "team"),
)
UNMATCHED_COLUMNS = ["source", "kind", "external_id", "seen_in", "rows"]


def find_unmatched(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every identity in the canonical tables that names no person or team, with where and how often.

    Survey answers whose team or role matched nothing come from `survey_unmatched`; identity map
    rows whose person is not in the roster are listed too.
    """
    people = set(tables["people"]["person_id"])
    teams = set(tables["teams"]["team_id"])
    found = []
    for table, column, kind in REFERENCES:
        frame = tables.get(table)
        if frame is None or frame.empty or column not in frame:
            continue
        known = people if kind == "person" else teams
        loose = frame[frame[column].notna() & ~frame[column].isin(known)]
        source = loose["source"] if "source" in loose else pd.Series(table, index=loose.index)
        counts = loose.assign(_source=source).groupby(["_source", column]).size()
        found += [{"source": s, "kind": kind, "external_id": i, "seen_in": f"{table}.{column}", "rows": int(n)} for (s, i), n in counts.items()]
    survey = tables.get("survey_unmatched")
    if survey is not None and not survey.empty:
        found += [
            {"source": f"survey {sid}", "kind": f, "external_id": v, "seen_in": "survey answers", "rows": int(n)}
            for sid, f, v, n in survey[["survey_id", "field", "value", "responses"]].itertuples(index=False)
        ]
    identities = tables.get("identity_map")
    if identities is not None and not identities.empty:
        dangling = identities[~identities["person_id"].isin(people)]
        found += [
            {"source": s, "kind": "person", "external_id": e, "seen_in": f"identity_map (person {p!r} is not in the roster)", "rows": 1}
            for s, e, p in dangling[["source", "external_id", "person_id"]].itertuples(index=False)
        ]
    return pd.DataFrame(found, columns=UNMATCHED_COLUMNS).sort_values(["source", "kind", "external_id"], ignore_index=True)


def unmatched_identities(store: Store) -> pd.DataFrame:
    """`find_unmatched` over the store (for the Data page): source, kind, external_id, seen_in, rows.

    Of the referencing tables only the rows naming someone or something unknown are read: a large
    organisation's million calendar occurrences need not leave the store to find none.
    """
    tables = _existing(store, "people", "teams", "survey_unmatched", "identity_map")
    if not store.exists():
        return find_unmatched(tables)
    known = {"person": "SELECT person_id FROM people", "team": "SELECT team_id FROM teams"}
    with store.reader() as con:
        for table in dict.fromkeys(t for t, _, _ in REFERENCES):
            refs = [(column, kind) for t, column, kind in REFERENCES if t == table]
            columns = [*(["source"] if "source" in TABLES[table].columns else []), *dict.fromkeys(c for c, _ in refs)]
            loose = " OR ".join(f"({c} IS NOT NULL AND {c} NOT IN ({known[kind]}))" for c, kind in refs)
            tables[table] = con.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE {loose}").df()
    return find_unmatched(tables)
