"""PM-weeks from hand-made calendars, cut on the PM's own wall clock."""
from __future__ import annotations

import pandas as pd
import pytest

from dashboard.core.config import Settings
from dashboard.derive.pm_weeks import build_pm_weeks
from tests.tables import make_tables

BERLIN_PM = {"person_id": "p1", "name": "A", "role": "pm", "team_id": "t1", "tz": "Europe/Berlin"}
MEMBERSHIP = {"person_id": "p1", "team_id": "t1", "role": "pm", "valid_from": "2020-01-01", "valid_to": None}


def event(uid, start, end, category, attendees=3, response="accepted", all_day=False):
    return {
        "source": "t", "event_uid": uid, "person_id": "p1", "start_utc": start, "end_utc": end, "all_day": all_day,
        "category": category, "attendee_count": attendees, "recurring": False, "response": response, "title_hash": "x",
    }


def weeks(events, settings=None):
    tables = make_tables(people=[BERLIN_PM], memberships=[MEMBERSHIP], calendar_events=events)
    return build_pm_weeks(tables, settings or Settings())


# Week of Monday 2026-11-23; Berlin is UTC+1 then, so 08:00 UTC is 09:00 on the PM's clock.
WEEK = [
    event("a", "2026-11-23 08:00", "2026-11-23 09:00", "overhead"),
    event("b", "2026-11-23 08:30", "2026-11-23 09:30", "strategy"),
    event("c", "2026-11-23 12:00", "2026-11-23 13:00", "other", response="declined"),
    event("d", "2026-11-24 09:00", "2026-11-24 12:00", "focus", attendees=1),
    event("e", "2026-11-25 23:00", "2026-11-26 23:00", "ooo", attendees=1, all_day=True),
]


def test_hours_of_one_week_worked_out_by_hand():
    row = weeks(WEEK).iloc[0]
    assert str(row["week_start"]) == "2026-11-23" and row["team_id"] == "t1"
    assert row["ooo_hours"] == pytest.approx(8)  # Thursday out of office
    assert row["working_hours"] == pytest.approx(32)
    assert row["meeting_hours"] == pytest.approx(1.5)  # 09:00-10:30, overlap counted once, decline ignored
    assert row["overhead_hours"] == pytest.approx(1)
    assert row["strategy_hours"] == pytest.approx(1)
    # Mon 10:30-17:00, Tue whole day (a focus block is free), Wed and Fri whole days, Thu out.
    assert row["focus_hours"] == pytest.approx(6.5 + 8 + 8 + 8)


def test_short_gaps_are_not_focus_time():
    day = [
        event("a", "2026-11-23 09:00", "2026-11-23 10:00", "other"),  # 10-11 local
        event("b", "2026-11-23 11:30", "2026-11-23 12:00", "other"),  # 12:30-13 local
        event("c", "2026-11-23 14:00", "2026-11-23 16:00", "other", attendees=1),  # hold 15-17 local
    ]
    row = weeks(day).iloc[0]
    # Monday's gaps: 09-10 (1 h), 11-12:30 (1.5 h), 13-15 (2 h): only the last counts; other days 8 h each.
    assert row["focus_hours"] == pytest.approx(2 + 4 * 8)
    assert row["meeting_hours"] == pytest.approx(1.5)  # the hold is not a meeting
    shorter = weeks(day, Settings(calendar={"focus_min_minutes": 60})).iloc[0]
    assert shorter["focus_hours"] == pytest.approx(1 + 1.5 + 2 + 4 * 8)


def test_meetings_outside_working_hours_do_not_count():
    evening = [event("a", "2026-11-23 17:00", "2026-11-23 19:00", "overhead")]  # 18-20 local
    row = weeks(evening).iloc[0]
    assert row["meeting_hours"] == 0 and row["focus_hours"] == pytest.approx(40)


def test_a_week_all_out_of_office_is_not_a_pm_week():
    holiday = [event("h", "2026-11-22 23:00", "2026-11-27 23:00", "ooo", attendees=1, all_day=True)]
    assert weeks(holiday).empty


def test_team_follows_membership_history():
    moved = [MEMBERSHIP | {"valid_to": "2026-11-30"}, {"person_id": "p1", "team_id": "t2", "role": "pm", "valid_from": "2026-11-30", "valid_to": None}]
    two_weeks = [event("a", "2026-11-23 08:00", "2026-11-23 09:00", "overhead"), event("b", "2026-11-30 08:00", "2026-11-30 09:00", "overhead")]
    tables = make_tables(people=[BERLIN_PM], memberships=moved, calendar_events=two_weeks)
    result = build_pm_weeks(tables, Settings())
    assert result["team_id"].tolist() == ["t1", "t2"]
    assert pd.Series(result["week_start"]).astype(str).tolist() == ["2026-11-23", "2026-11-30"]


def test_a_week_still_running_is_not_a_pm_week_yet():
    assert len(weeks(WEEK)) == 1
    tables = make_tables(people=[BERLIN_PM], memberships=[MEMBERSHIP], calendar_events=WEEK)
    assert build_pm_weeks(tables, Settings(), as_of=pd.Timestamp("2026-11-28").date()).empty
    assert len(build_pm_weeks(tables, Settings(), as_of=pd.Timestamp("2026-11-29").date())) == 1


def test_roster_hours_replace_the_default_window_for_that_person():
    """A part-timer on 08:00-12:00 Monday to Thursday: Friday's meeting and the afternoons are not work."""
    from datetime import time

    part_time = [
        event("a", "2026-11-23 07:00", "2026-11-23 08:00", "overhead"),  # Mon 08-09 local: inside
        event("b", "2026-11-23 12:00", "2026-11-23 13:00", "overhead"),  # Mon 13-14 local: after hours
        event("c", "2026-11-27 08:00", "2026-11-27 09:00", "strategy"),  # Fri: not a working day
    ]
    hours = [{"person_id": "p1", "day_start": time(8), "day_end": time(12), "days": ["mon", "tue", "wed", "thu"]}]
    tables = make_tables(people=[BERLIN_PM], memberships=[MEMBERSHIP], calendar_events=part_time, person_hours=hours)
    row = build_pm_weeks(tables, Settings()).iloc[0]
    assert row["working_hours"] == pytest.approx(16)
    assert row["meeting_hours"] == pytest.approx(1)
    assert row["strategy_hours"] == pytest.approx(0)
    assert row["focus_hours"] == pytest.approx(3 + 3 * 4)  # Mon 09-12, then three free mornings
    default = weeks(part_time).iloc[0]
    assert default["working_hours"] == pytest.approx(40) and default["meeting_hours"] == pytest.approx(2)  # 08:00 is before the default day


def met(uid, start, end, roles, **kw):
    return event(uid, start, end, "overhead", **kw) | {"attendee_roles": roles}


def test_hours_with_pms_and_with_operations_are_meeting_hours_with_one_of_them_there():
    week = [
        met("a", "2026-11-23 08:00", "2026-11-23 09:00", "pm"),
        met("b", "2026-11-23 08:30", "2026-11-23 09:30", "ops,pm"),  # overlaps a: 09:00-10:30 local with PMs
        met("c", "2026-11-24 08:00", "2026-11-24 10:00", "eng,ops"),
        met("d", "2026-11-25 08:00", "2026-11-25 09:00", ""),  # no one from the roster
        met("e", "2026-11-25 10:00", "2026-11-25 11:00", "ops", response="declined"),
        met("f", "2026-11-26 08:00", "2026-11-26 09:00", "pm", attendees=1),  # a hold, not a meeting
        met("g", "2026-11-27 08:00", "2026-11-27 09:00", "opsx,pmo"),  # roles are matched whole
    ]
    row = weeks(week).iloc[0]
    assert row["meeting_hours"] == pytest.approx(1.5 + 2 + 1 + 1)
    assert row["hours_with_pms"] == pytest.approx(1.5)
    assert row["hours_with_operations"] == pytest.approx(1 + 2)


def test_a_week_with_a_meeting_whose_roles_are_unknown_has_no_hours_with_either():
    week = [met("a", "2026-11-23 08:00", "2026-11-23 09:00", "pm"), met("b", "2026-11-24 08:00", "2026-11-24 09:00", None),
            met("c", "2026-11-30 08:00", "2026-11-30 09:00", "ops")]
    got = weeks(week).set_index(weeks(week)["week_start"].astype(str))
    assert pd.isna(got.loc["2026-11-23", "hours_with_pms"]) and pd.isna(got.loc["2026-11-23", "hours_with_operations"])
    assert got.loc["2026-11-30", "hours_with_pms"] == 0 and got.loc["2026-11-30", "hours_with_operations"] == 1
