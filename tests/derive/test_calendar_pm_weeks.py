"""Short focus and fragmented time per PM-week, from rows the ICS connector made."""

from __future__ import annotations

from datetime import date

import pytest

from connectors.calendar import Window, ics_to_rows
from dashboard.core.config import Settings
from tests.connectors.calendar.test_calendar_ics import PM, calendar, pm_week


def meeting(uid: str, start: str, end: str, title: str = "Design review") -> str:
    """A meeting on the PM's Berlin clock on Monday 16 March 2026."""
    return (
        f"UID:{uid}\nSUMMARY:{title}\nDTSTART;TZID=Europe/Berlin:20260316T{start}00\nDTEND;TZID=Europe/Berlin:20260316T{end}00\n"
        "ATTENDEE;PARTSTAT=ACCEPTED:mailto:pm@example.com\nATTENDEE;PARTSTAT=ACCEPTED:mailto:eng@example.com"
    )


MONDAY = calendar(
    meeting("a", "0930", "1000"),  # 09:00-09:30 free: fragmented (0.5 h)
    meeting("b", "1100", "1130"),  # 10:00-11:00 free: short focus (1 h)
    meeting("c", "1200", "1300"),  # 11:30-12:00 free: fragmented (0.5 h)
    meeting("d", "1230", "1400"),  # overlaps c: 12:00-14:00 busy, counted once
    meeting("e", "1600", "1630"),  # 14:00-16:00 free: focus (2 h); 16:30-17:00 fragmented (0.5 h)
)


def test_free_time_splits_into_focus_short_focus_and_fragments():
    rows = ics_to_rows(MONDAY, PM, Window.of(date(2026, 3, 16), date(2026, 3, 23), "Europe/Berlin"))
    week = pm_week(rows)
    assert week["meeting_hours"] == pytest.approx(0.5 + 0.5 + 2 + 0.5)
    assert week["focus_hours"] == pytest.approx(2 + 4 * 8)  # Tuesday to Friday are free all day
    assert week["short_focus_hours"] == pytest.approx(1)
    assert week["fragmented_hours"] == pytest.approx(1.5)
    total = week[["meeting_hours", "focus_hours", "short_focus_hours", "fragmented_hours"]].sum()
    assert total == pytest.approx(week["working_hours"])


def test_the_bands_follow_the_configured_minimums():
    rows = ics_to_rows(MONDAY, PM, Window.of(date(2026, 3, 16), date(2026, 3, 23), "Europe/Berlin"))
    settings = Settings(calendar={"focus_min_minutes": 60, "short_focus_min_minutes": 30})
    from dashboard.derive.pm_weeks import build_pm_weeks
    from tests.tables import make_tables

    person = {"person_id": "p1", "role": "pm", "team_id": "t1", "tz": "Europe/Berlin"}
    member = {"person_id": "p1", "team_id": "t1", "role": "pm", "valid_from": "2020-01-01"}
    week = build_pm_weeks(
        make_tables(people=[person], memberships=[member], calendar_events=rows.to_dict("records")), settings
    ).iloc[0]
    assert week["focus_hours"] == pytest.approx(1 + 2 + 32)
    assert week["short_focus_hours"] == pytest.approx(1.5) and week["fragmented_hours"] == 0
