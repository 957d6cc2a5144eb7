"""Every test calendar either ingests or is quarantined with a clear error; none crashes.

The files: the project's own calendars with real-world quirks (tests/data/ics), the test
calendars shipped inside the installed `icalendar` and `recurring_ical_events`, and, where it
exists, the third-party corpus `../shared/corpus/ics/` (Home Assistant's, node-ical's and
ical.js's test data).
"""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from connectors.calendar import IcsError, Owner, Window, ics_occurrences, sync_calendars
from dashboard.core.config import Settings
from tests.conftest import CORPUS, DATA, own_and_corpus

OWNER = Owner("p0", "pm@example.com", "Europe/Berlin")


def packaged() -> list[Path]:
    """The libraries' own test calendars: installed with the project, so present on every clone."""
    files: list[Path] = []
    for package, folder in (("recurring_ical_events", "test"), ("icalendar", "tests")):
        files += sorted(Path(str(importlib.resources.files(package) / folder)).rglob("*.ics"))
    return files


@dataclass(frozen=True)
class Calendars:
    """A set of calendars, what some of them must give, and how much of the set must ingest."""

    folder: Path
    expected: dict[str, int | str]  # file name -> occurrences from 2000 to 2030, or words its error holds
    min_ingested: int
    min_quarantined: int
    min_rows: int
    files: list[Path] = field(default_factory=list)

    def __post_init__(self):
        self.files.extend(sorted(self.folder.rglob("*.ics")) + packaged())


OWN = Calendars(
    DATA / "ics",
    expected={
        "outlook_windows_zone.ics": 4,  # a Windows zone name with no VTIMEZONE
        "google_override_before_master.ics": 4,  # five weekly, one moved, one excluded
        "apple_statuses_folded.ics": 3,  # a cancelled event is kept, flagged
        "bad_rrule_until.ics": "BrokenCalendarProperty",
        "bad_duration.ics": "BrokenCalendarProperty",
        "bare_event.ics": "top-level VEVENT",
        "cut_short.ics": "no complete VCALENDAR",
    },
    min_ingested=170, min_quarantined=10, min_rows=1000,
)
THIRD_PARTY = Calendars(
    CORPUS / "ics",
    expected={
        "issue_18_cancel_status.ics": 3,
        "each_week_but_one_deleted.ics": 7,
        "bad_rrule_missing_until_event.ics": "BadRuleStringFormat",
        "test_date_duration.ics": "BrokenCalendarProperty",
    },
    min_ingested=300, min_quarantined=50, min_rows=1000,
)


@pytest.fixture(scope="module", params=own_and_corpus(OWN, THIRD_PARTY))
def calendars(request) -> Calendars:
    return request.param


@pytest.fixture(scope="module")
def outcomes(calendars) -> dict[Path, int | str]:
    """Per file: the number of occurrences from 2000 to 2030, or the error it was quarantined with."""
    found: dict[Path, int | str] = {}
    window = Window.of(date(2000, 1, 1), date(2031, 1, 1))
    for path in calendars.files:
        try:
            found[path] = len(ics_occurrences(path.read_bytes(), OWNER, window))
        except IcsError as error:  # anything else escapes and fails the test: that would be a crash
            found[path] = str(error)
    return found


@pytest.mark.filterwarnings("ignore")
def test_every_calendar_ingests_or_fails_with_a_clear_error(calendars, outcomes):
    errors = {path: outcome for path, outcome in outcomes.items() if isinstance(outcome, str)}
    assert all(len(message) > 15 for message in errors.values())
    assert len(outcomes) - len(errors) >= calendars.min_ingested
    name = {path.name: outcome for path, outcome in outcomes.items()}
    for file, expected in calendars.expected.items():
        if isinstance(expected, int):
            assert name[file] == expected, file
        else:
            assert isinstance(name[file], str) and expected in name[file], file


@pytest.mark.filterwarnings("ignore")
def test_a_sync_of_every_calendar_quarantines_each_broken_file_and_keeps_the_rest(store, calendars, outcomes):
    files = calendars.files
    people = pd.DataFrame(
        [
            {
                "person_id": f"p{i}",
                "name": f"P{i}",
                "email": f"cal{i}@example.com",
                "role": "other",
                "team_id": None,
                "tz": "Europe/Berlin",
                "active_from": None,
                "active_to": None,
            }
            for i in range(len(files))
        ]
    )
    with store.transaction() as tx:
        tx.upsert("people", people)
    entries = [{"location": str(path), "owner": f"cal{i}@example.com"} for i, path in enumerate(files)]
    config = Settings(calendar={"ics": entries, "history_days": 3660})
    result = sync_calendars(store, config, today=date(2026, 11, 26))
    assert result.status == "partial" and result.calendars + len(result.quarantined) == len(files)
    failed_wide = {str(path) for path, outcome in outcomes.items() if isinstance(outcome, str)}
    quarantined = {q.where for q in result.quarantined}
    assert quarantined <= failed_wide and len(quarantined) >= calendars.min_quarantined
    recorded = store.table("sync_runs").query("status == 'quarantined'")
    assert len(recorded) == len(quarantined)
    assert all(error.split(": ", 1)[0] in quarantined for error in recorded["error"])  # each names its file
    assert result.rows == len(store.table("calendar_events")) >= calendars.min_rows
