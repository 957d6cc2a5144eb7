"""The rules preview: hours per classification rule, from synced rows and from a file tried now."""
from __future__ import annotations

from datetime import date

import pytest

from connectors.calendar import IcsError, ics_to_rows
from dashboard.analysis.rule_hits import UNNAMED, file_rule_hits, stored_rule_hits
from dashboard.core.config import Settings
from tests.conftest import page_file
from tests.connectors.calendar.test_calendar_ics import PM, SPRING_2026, calendar

SETTINGS = Settings(calendar={"rules": [{"name": "pricing reviews", "category": "strategy", "title": ["pricing"]}]})
EVENTS = [
    """UID:standup
SUMMARY:Daily standup
DTSTART;TZID=Europe/Berlin:20260316T093000
DTEND;TZID=Europe/Berlin:20260316T094500
RRULE:FREQ=DAILY;COUNT=5
ATTENDEE:mailto:pm@example.com
ATTENDEE:mailto:eng@example.com""",
    """UID:pricing
SUMMARY:Pricing review
DTSTART;TZID=Europe/Berlin:20260317T140000
DTEND;TZID=Europe/Berlin:20260317T160000
ATTENDEE:mailto:pm@example.com
ATTENDEE:mailto:cfo@example.com""",
    """UID:mystery
SUMMARY:Catch-up with Kim
DTSTART;TZID=Europe/Berlin:20260318T110000
DTEND;TZID=Europe/Berlin:20260318T113000
ATTENDEE:mailto:pm@example.com
ATTENDEE:mailto:kim@example.com
ATTENDEE:mailto:lee@example.com""",
    """UID:declined
SUMMARY:Release status
DTSTART;TZID=Europe/Berlin:20260319T110000
DTEND;TZID=Europe/Berlin:20260319T120000
ATTENDEE;PARTSTAT=DECLINED:mailto:pm@example.com
ATTENDEE:mailto:kim@example.com""",
]


def by_rule(table):
    return table.groupby("rule")[["occurrences", "hours"]].sum().to_dict("index")


def test_each_rule_gets_its_hours_and_the_unclassified_rest_is_shown(store):
    with store.transaction() as tx:
        tx.upsert("calendar_events", ics_to_rows(calendar(*EVENTS), PM, SPRING_2026, SETTINGS))
    table = stored_rule_hits(store, SETTINGS, date(2026, 3, 1), date(2026, 5, 1))
    hits = by_rule(table)
    assert hits["pricing reviews"] == {"occurrences": 1, "hours": pytest.approx(2.0)}
    assert hits["process overhead"] == {"occurrences": 5, "hours": pytest.approx(1.25)}  # the decline is left out
    assert hits["unclassified"] == {"occurrences": 1, "hours": pytest.approx(0.5)}
    assert table["rule"].iloc[0] == "pricing reviews" and table["rule"].iloc[-1] == "unclassified"
    assert hits["enablement"] == {"occurrences": 0, "hours": 0.0}  # a rule that catches nothing still has its row
    assert table["share"].sum() == pytest.approx(1.0)
    assert table.set_index("rule").loc["unclassified", "share"] == pytest.approx(0.5 / 3.75)


def test_a_file_tried_now_gives_what_the_sync_stored(store):
    with store.transaction() as tx:
        tx.upsert("calendar_events", ics_to_rows(calendar(*EVENTS), PM, SPRING_2026, SETTINGS))
    stored = stored_rule_hits(store, SETTINGS, date(2026, 3, 1), date(2026, 5, 1))
    tried = file_rule_hits(calendar(*EVENTS), SETTINGS, "pm@example.com", SPRING_2026)
    assert by_rule(tried) == by_rule(stored)
    anyone = by_rule(file_rule_hits(calendar(*EVENTS), SETTINGS, window=SPRING_2026))
    assert anyone["process overhead"]["hours"] == pytest.approx(2.25)  # whose decline it was is unknown
    catch_ups = {"name": "catch-ups", "category": "one_on_one", "title": ["catch up"]}
    retuned = Settings(calendar={"rules": [*SETTINGS.calendar.model_dump()["rules"], catch_ups]})
    hits = by_rule(file_rule_hits(calendar(*EVENTS), retuned, window=SPRING_2026))
    assert hits["unclassified"]["hours"] == 0 and hits["catch-ups"]["hours"] == pytest.approx(0.5)


def test_rows_synced_before_rule_names_existed_are_counted_apart(store):
    rows = ics_to_rows(calendar(*EVENTS), PM, SPRING_2026, SETTINGS).assign(rule=None)
    with store.transaction() as tx:
        tx.upsert("calendar_events", rows)
    hits = by_rule(stored_rule_hits(store, SETTINGS, date(2026, 3, 1), date(2026, 5, 1)))
    assert hits[UNNAMED]["hours"] == pytest.approx(3.25) and hits["unclassified"]["hours"] == pytest.approx(0.5)


def test_a_broken_file_names_its_problem():
    with pytest.raises(IcsError):
        file_rule_hits(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:garbage\r\n", SETTINGS, window=SPRING_2026)


def test_the_data_page_shows_the_demo_hours_per_rule(demo_env):
    from tests.app.test_pages import assert_clean, open_page

    at = open_page(page_file("data.py"))
    assert_clean(at, "data")
    table = next(t.value for t in at.dataframe if "rule" in t.value.columns and "share" in t.value.columns)
    hours = table.set_index("rule")["hours"]
    assert hours["process overhead"] > 0 and hours["strategy"] > 0
    assert UNNAMED not in hours.index  # the demo's calendars went through the connector, rule names and all
    assert "unclassified" in hours.index  # shown even when no hour is unclassified
    assert table["share"].sum() == pytest.approx(1.0)
