"""Loading a roster snapshot: history is closed and opened, never overwritten, in one transaction."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from connectors.roster.parse import EARLIEST, Person, Roster, RosterReport, RowIssue, _refuse_shared_emails
from dashboard.core.config import Settings
from dashboard.core.file_limits import excerpt
from dashboard.core.schema import TABLES
from dashboard.core.store import Store, Transaction
from dashboard.pipeline.run import load

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
    derived tables are rebuilt in the same transaction (`dashboard.pipeline.run.load`); without, the
    stored metric series are marked stale and pages compute live until the next refresh.
    """

    plan = plan_roster(roster, _existing(store, *ROSTER_TABLES), as_of=as_of)

    def write(tx: Transaction) -> None:
        for table in ("teams", "team_groups", "people", "memberships"):
            tx.upsert(table, plan.frames[table])
        if plan.clear_hours:
            tx.delete_where("person_hours", "person_id", plan.clear_hours)
        tx.upsert("person_hours", plan.frames["person_hours"])

    load(store, settings, write)
    return plan.report
