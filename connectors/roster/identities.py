"""Who is who in each source: the identity map, and the ids that name no one."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from connectors.roster.load import _existing, _frame
from connectors.roster.parse import IDENTITY_COLUMNS, RowIssue, _read_text, _records
from dashboard.core.schema import TABLES
from dashboard.core.store import Store

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
