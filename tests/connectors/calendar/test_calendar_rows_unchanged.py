"""The rows the ICS connector keeps do not change when its code is rewritten for speed (issue 22).

Every calendar below goes through `ics_tables` (parse, expand, normalise, classify, hash, titles
kept) and its `calendar_events` and `calendar_titles` rows, every column, are compared with a
snapshot taken by the code before the rewrite (tests/data/ics_rows_snapshot.json): a SHA-256 of
each calendar's rows in key order (each event with its title), and a one-byte digest per row, so
that a failure names the calendar and the first row that differs. A calendar that was quarantined must still be, with
the same message. The calendars: the project's own (tests/data/ics), the test calendars shipped
with the pinned `icalendar` and `recurring-ical-events`, a slice of the small demo
organisation's, and the third-party corpus where it exists.

The snapshot records each calendar's input digest too: when an input changes (a library
upgraded, the demo generator edited) the test says so instead of blaming the connector. Write
the snapshot again, with the code whose rows are the reference, by
`python -m tests.connectors.calendar.test_calendar_rows_unchanged --write`.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.resources
import json
import math
import os
import sys
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from connectors.calendar import IcsError, Owner, Window, ics_tables
from dashboard.core.config import Settings
from dashboard.core.schema import TABLES
from tests.conftest import CORPUS, DATA, DEMO_TODAY, needs_corpus

SNAPSHOT = DATA / "ics_rows_snapshot.json"
OWNER = Owner("p0", "pm@example.com", "Europe/Berlin")
WINDOW = Window.of(date(2000, 1, 1), date(2031, 1, 1))
DEMO_EVERY = 8
"""Every eighth calendar of the small demo organisation (8 of 62): all of its kinds of event, a
few seconds to read."""


TEAMS = ("t1", "t2", "t3")


class SomeRoles(Mapping):
    """A roster that knows about a third of any calendar's addresses, chosen by their hash: the
    fixture files' attendees get roles (`attendee_roles`) and teams (`attendee_teams`) without a
    roster naming them."""

    def __init__(self, values: tuple[str, ...] = ("pm", "ops", "eng")):
        self.ROLES = values

    def _digest(self, address: str) -> int:
        return hashlib.sha256(address.encode()).digest()[0]

    def __contains__(self, address) -> bool:
        return isinstance(address, str) and self._digest(address) % 3 == 0

    def __getitem__(self, address: str) -> str:
        if address not in self:
            raise KeyError(address)
        return self.ROLES[self._digest(address) % len(self.ROLES)]

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


@dataclass(frozen=True)
class Case:
    """One calendar as the connector is given it."""

    name: str
    text: bytes | str
    owner: Owner
    window: Window
    settings: Settings
    roles: Mapping[str, str]
    teams: Mapping[str, str]
    source: str = "ics"

    @property
    def input_digest(self) -> str:
        data = self.text.encode() if isinstance(self.text, str) else self.text
        return hashlib.sha256(data).hexdigest()[:16]


def _files(folder: Path, prefix: str) -> list[Case]:
    return [Case(f"{prefix}/{path.relative_to(folder).as_posix()}", path.read_bytes(), OWNER, WINDOW, Settings(),
                 SomeRoles(), SomeRoles(TEAMS)) for path in sorted(folder.rglob("*.ics"))]


def own_cases() -> list[Case]:
    return _files(DATA / "ics", "own")


def packaged_cases() -> list[Case]:
    """The libraries' own test calendars: installed with the project (pinned versions), so on every clone."""
    cases: list[Case] = []
    for package, folder in (("recurring_ical_events", "test"), ("icalendar", "tests")):
        cases += _files(Path(str(importlib.resources.files(package) / folder)), package)
    return cases


def demo_cases() -> list[Case]:
    """Every `DEMO_EVERY`th calendar of the small demo organisation, read as its build reads them."""
    from dashboard.demo import SMALL
    from dashboard.demo.build import _organisation
    from dashboard.demo.calendars import demo_settings, make_calendars
    from dashboard.demo.story import SOURCE

    settings = Settings()
    story, org, roster = _organisation(DEMO_TODAY, SMALL)
    calendars = make_calendars(story, roster, org, settings)
    return [
        Case(f"demo/{owner.person_id}", text, owner, calendars.window, demo_settings(settings), calendars.roles,
             calendars.teams, SOURCE)
        for owner, text in list(zip(calendars.owners, calendars.texts, strict=True))[::DEMO_EVERY]
    ]


def corpus_cases() -> list[Case]:
    return _files(CORPUS / "ics", "corpus")


GROUPS: dict[str, Callable[[], list[Case]]] = {
    "own": own_cases, "packaged": packaged_cases, "demo": demo_cases, "corpus": corpus_cases,
}


# --- the canonical rows -------------------------------------------------------------------------

EVENT_KEY = ["source", "event_uid", "person_id", "start_utc"]
TITLE_KEY = ["source", "event_uid", "person_id"]


def _value(value) -> object:
    """A cell as JSON: NULL, NaN and NaT alike as null, timestamps in ISO form, numpy scalars as Python's."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy bool, int, float
        return value.item()
    return value


def canonical_rows(events: pd.DataFrame, titles: pd.DataFrame) -> list[str]:
    """Each `calendar_events` row in key order, every column, with its `calendar_titles` title last,
    as a JSON list (a kept title belongs to exactly one event: `title_keys_match` checks it)."""
    columns = list(TABLES["calendar_events"].columns)
    title = titles.set_index(TITLE_KEY)["title"] if len(titles) else pd.Series(dtype=object)
    ordered = events[columns].sort_values(EVENT_KEY, kind="stable")
    found = [title.get(tuple(key)) for key in ordered[TITLE_KEY].itertuples(index=False)]
    return [json.dumps([*(_value(v) for v in row), title_], ensure_ascii=False)
            for row, title_ in zip(ordered.itertuples(index=False), found, strict=True)]


def title_keys_match(events: pd.DataFrame, titles: pd.DataFrame) -> bool:
    keys = set(events[TITLE_KEY].itertuples(index=False, name=None))
    return len(titles) == len(events) == len(keys) and set(titles[TITLE_KEY].itertuples(index=False, name=None)) == keys


def dtypes(frame: pd.DataFrame, table: str) -> dict[str, str]:
    """The columns' types, text ones alike ("object" or "str" depends on whether a column holds a None)."""
    return {column: "text" if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column])
            else str(frame[column].dtype) for column in TABLES[table].columns}


@dataclass
class Outcome:
    """What one calendar gave: its rows (canonical, titles joined) or its error."""

    error: str | None = None
    rows: list[str] | None = None
    titles_match: bool = True
    dtypes: dict[str, dict[str, str]] | None = None


def read(case: Case) -> Outcome:
    """`ics_tables` of one calendar, titles kept, as the snapshot holds it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rows = ics_tables(case.text, case.owner, case.window, case.settings, source=case.source, keep_titles=True,
                              roles=case.roles, teams=case.teams)
    except IcsError as error:
        return Outcome(error=str(error))
    found = {}
    if len(rows.events):
        found["calendar_events"] = dtypes(rows.events, "calendar_events")
    if len(rows.titles):
        found["calendar_titles"] = dtypes(rows.titles, "calendar_titles")
    return Outcome(rows=canonical_rows(rows.events, rows.titles),
                   titles_match=title_keys_match(rows.events, rows.titles), dtypes=found)


def _row_digest(row: str) -> int:
    """One byte per row: enough to point at the first differing row (the SHA-256 of all of them
    is what decides whether anything differs)."""
    return hashlib.sha256(row.encode()).digest()[0]


def record(case: Case, outcome: Outcome) -> dict:
    """The snapshot's entry for one calendar."""
    entry: dict = {"input": case.input_digest}
    if outcome.error is not None:
        entry["error"] = outcome.error
        return entry
    entry.update(
        count=len(outcome.rows),
        sha256=hashlib.sha256("\n".join(outcome.rows).encode()).hexdigest(),
        rows=base64.b64encode(bytes(_row_digest(row) for row in outcome.rows)).decode(),
    )
    return entry


def differences(case: Case, outcome: Outcome, expected: dict) -> str | None:
    """Why `outcome` is not the snapshot's `expected` (naming the first differing row), or None."""
    if expected["input"] != case.input_digest:
        return (f"{case.name}: its input changed (not the connector): write the snapshot again with the code "
                "whose rows are the reference")
    if "error" in expected or outcome.error is not None:
        if expected.get("error") != outcome.error:
            return f"{case.name}: error was {expected.get('error')!r}, now {outcome.error!r}"
        return None
    if not outcome.titles_match:
        return f"{case.name}: calendar_titles rows are not one per calendar_events row"
    got = record(case, outcome)
    if got["sha256"] == expected["sha256"]:
        return None
    old = base64.b64decode(expected["rows"])
    rows = outcome.rows
    first = next((i for i, (row, digest) in enumerate(zip(rows, old)) if _row_digest(row) != digest),
                 min(len(rows), len(old)))
    shown = rows[first] if first < len(rows) else "(none: fewer rows now)"
    return (f"{case.name}: {expected['count']} rows before, {got['count']} now; the first row found to differ is "
            f"#{first} in key order, now {shown}")


# --- the test -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def snapshot() -> dict:
    return json.loads(SNAPSHOT.read_text())


@pytest.mark.parametrize("group", [
    pytest.param("own"), pytest.param("packaged"), pytest.param("demo"),
    pytest.param("corpus", marks=needs_corpus),
])
def test_every_calendar_gives_the_rows_it_gave_before(group, snapshot, monkeypatch):
    monkeypatch.delenv("PRODOPS_TITLE_SALT", raising=False)
    cases = GROUPS[group]()
    expected = snapshot["cases"][group]
    assert sorted(case.name for case in cases) == sorted(expected), "the set of calendars changed"
    problems = []
    for case in cases:
        outcome = read(case)
        problem = differences(case, outcome, expected[case.name])
        for table, found in (outcome.dtypes or {}).items():
            if found != snapshot["dtypes"][table]:
                problem = problem or f"{case.name}: {table} column types {found}, before {snapshot['dtypes'][table]}"
        if problem:
            problems.append(problem)
    assert not problems, f"{len(problems)} of {len(cases)} calendars changed:\n" + "\n".join(problems[:10])


def write_snapshot(path: Path = SNAPSHOT) -> None:
    """Take the snapshot with the code as it is: the reference the test compares with."""
    os.environ.pop("PRODOPS_TITLE_SALT", None)
    cases: dict[str, dict] = {}
    found_types: dict[str, dict[str, str]] = {}
    for group, make in GROUPS.items():
        if group == "corpus" and not CORPUS.is_dir():
            raise SystemExit(f"the corpus ({CORPUS}) is missing: the snapshot must cover it")
        cases[group] = {}
        for case in make():
            outcome = read(case)
            cases[group][case.name] = record(case, outcome)
            for table, types in (outcome.dtypes or {}).items():
                if found_types.setdefault(table, types) != types:
                    raise SystemExit(f"{case.name}: {table} column types {types}, others {found_types[table]}")
    path.write_text(json.dumps({"dtypes": found_types, "cases": cases}, indent=1, sort_keys=True) + "\n")
    rows = {group: sum(e.get("count", 0) for e in entries.values())
            for group, entries in cases.items()}
    print(f"wrote {path}: {rows} rows")


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        raise SystemExit(f"usage: python -m {__spec__.name if __spec__ else __name__} --write")
    write_snapshot()
