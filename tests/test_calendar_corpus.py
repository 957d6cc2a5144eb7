"""Every third-party test calendar either ingests or is quarantined with a clear error; none crashes.

The files: `../shared/corpus/ics/` (Home Assistant's, node-ical's and ical.js's test data) and
the test calendars shipped inside the installed `icalendar` and `recurring_ical_events`.
"""

from __future__ import annotations

import importlib.resources
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from connectors.calendar import IcsError, Owner, Window, ics_occurrences, sync_calendars
from dashboard.config import Settings
from tests.conftest import CORPUS


def corpus_files() -> list[Path]:
    files = sorted((CORPUS / "ics").rglob("*.ics"))
    for package, folder in (("recurring_ical_events", "test"), ("icalendar", "tests")):
        files += sorted(Path(str(importlib.resources.files(package) / folder)).rglob("*.ics"))
    return files


FILES = corpus_files()
OWNER = Owner("p0", "pm@example.com", "Europe/Berlin")


@pytest.fixture(scope="module")
def outcomes() -> dict[Path, int | str]:
    """Per file: the number of occurrences from 2000 to 2030, or the error it was quarantined with."""
    found: dict[Path, int | str] = {}
    window = Window.of(date(2000, 1, 1), date(2031, 1, 1))
    for path in FILES:
        try:
            found[path] = len(ics_occurrences(path.read_bytes(), OWNER, window))
        except IcsError as error:  # anything else escapes and fails the test: that would be a crash
            found[path] = str(error)
    return found


@pytest.mark.filterwarnings("ignore")
def test_every_corpus_calendar_ingests_or_fails_with_a_clear_error(outcomes):
    assert len(FILES) > 400 and len(list((CORPUS / "ics").rglob("*.ics"))) == 187
    errors = {path: outcome for path, outcome in outcomes.items() if isinstance(outcome, str)}
    assert all(len(message) > 15 for message in errors.values())
    # Most are calendars; the failures are fixtures broken on purpose or bare components.
    assert len(outcomes) - len(errors) > 300
    name = {path.name: outcome for path, outcome in outcomes.items()}
    assert name["issue_18_cancel_status.ics"] == 3 and name["each_week_but_one_deleted.ics"] == 7
    assert "BadRuleStringFormat" in name["bad_rrule_missing_until_event.ics"]
    assert "BrokenCalendarProperty" in name["test_date_duration.ics"]


@pytest.mark.filterwarnings("ignore")
def test_a_sync_of_the_whole_corpus_quarantines_each_broken_file_and_keeps_the_rest(store, outcomes):
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
            for i in range(len(FILES))
        ]
    )
    with store.transaction() as tx:
        tx.upsert("people", people)
    entries = [{"location": str(path), "owner": f"cal{i}@example.com"} for i, path in enumerate(FILES)]
    config = Settings(calendar={"ics": entries, "history_days": 3660})
    result = sync_calendars(store, config, today=date(2026, 11, 26))
    assert result.status == "partial" and result.calendars + len(result.quarantined) == len(FILES)
    failed_wide = {str(path) for path, outcome in outcomes.items() if isinstance(outcome, str)}
    quarantined = {q.calendar for q in result.quarantined}
    assert quarantined <= failed_wide and len(quarantined) > 50
    recorded = store.table("sync_runs").query("status == 'quarantined'")
    assert len(recorded) == len(quarantined)
    assert all(error.split(": ", 1)[0] in quarantined for error in recorded["error"])  # each names its file
    assert result.rows == len(store.table("calendar_events")) > 1000
