"""The check-in engine on hand-worked calendars: what is owed when, and what each submission satisfies."""
from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from dashboard.core.config import CheckinKind, ConfigError, parse_settings
from dashboard.derive.checkins import derive_checkins, due_days
from dashboard.derive.checkins.holidays import HolidayCalendarError, ics_days
from tests.tables import make_tables

WEEKLY = {"id": "weekly_status", "cadence": "weekly", "weekday": "fri", "jira_label": "weekly-status"}
MONTHLY = {"id": "monthly_roadmap", "cadence": "monthly", "business_day": 3, "jira_label": "monthly-roadmap"}
QUARTERLY = {"id": "qbr_prep", "cadence": "quarterly", "days_before_quarter_end": 10, "jira_label": "qbr-prep"}
SHUTDOWN_ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
    "BEGIN:VEVENT\r\nUID:shutdown-2026@example.com\r\nSUMMARY:Company shutdown\r\n"
    "DTSTART;VALUE=DATE:20261221\r\nDTEND;VALUE=DATE:20261226\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:new-year@example.com\r\nSUMMARY:New Year\r\n"
    "DTSTART;VALUE=DATE:20260101\r\nDTEND;VALUE=DATE:20260102\r\nRRULE:FREQ=YEARLY\r\nEND:VEVENT\r\n"
    "END:VCALENDAR\r\n"
)


def settings(*kinds, **checkins):
    return parse_settings({"org_timezone": "Europe/Berlin", "checkins": {"kinds": list(kinds), "history_days": 120, **checkins}})


def org(start="2026-01-01", tz="Europe/Berlin", **extra):
    """One team, t1, with one PM (p1) since `start`."""
    return make_tables(
        teams=[{"team_id": "t1", "name": "One", "group_name": "G1"}, {"team_id": "t2", "name": "Two", "group_name": "G2"}],
        people=[{"person_id": "p1", "role": "pm", "team_id": "t1", "tz": tz, "email": "p1@x"},
                {"person_id": "p2", "role": "pm", "team_id": "t2", "tz": "UTC", "email": "p2@x"}],
        memberships=[{"person_id": "p1", "team_id": "t1", "role": "pm", "valid_from": start},
                     {"person_id": "p2", "team_id": "t2", "role": "pm", "valid_from": "2026-01-01"}],
        **extra,
    )


def ticket(key, created, label="weekly-status", status="Done", reporter="p1"):
    return {"source": "jira", "item_id": key, "key": key, "kind": "checkin", "type": "Check-in", "status": status,
            "created": created, "labels": [label], "reporter_id": reporter}


def moves(key, *steps):
    return [{"item_id": key, "at": at, "field": "status", "from_value": a, "to_value": b} for at, a, b in steps]


def derive(tables, config, now):
    rows = derive_checkins(tables, config, datetime.fromisoformat(now))
    return rows.set_index(["team_id", "kind", rows["period_start"].astype(str)]).sort_index()


def test_a_friday_five_pm_status_sent_saturday_nine_am_on_the_teams_clock_is_late():
    # Friday 2026-11-13 17:00 Berlin is 16:00 UTC; Saturday 09:00 Berlin is 08:00 UTC.
    tables = org(work_items=[ticket("CHK-1", "2026-11-14 08:00"), ticket("CHK-2", "2026-11-20 15:59")])
    rows = derive(tables, settings(WEEKLY), "2026-11-26 12:00")
    sat = rows.loc[("t1", "weekly_status", "2026-11-09")]
    assert sat["due_at"] == pd.Timestamp("2026-11-13 16:00") and sat["status"] == "late" and sat["ref"] == "CHK-1"
    assert rows.loc[("t1", "weekly_status", "2026-11-16"), "status"] == "on_time"
    assert rows.loc[("t1", "weekly_status", "2026-11-02"), "status"] == "missing"


def test_grace_hours_move_the_deadline_and_a_kind_may_set_its_own():
    tables = org(work_items=[ticket("CHK-1", "2026-11-13 16:30")])
    assert derive(tables, settings(WEEKLY), "2026-11-26").loc[("t1", "weekly_status", "2026-11-09"), "status"] == "late"
    graced = derive(tables, settings(WEEKLY, grace_hours=1), "2026-11-26")
    assert graced.loc[("t1", "weekly_status", "2026-11-09"), "status"] == "on_time"
    strict = derive(tables, settings({**WEEKLY, "grace_hours": 0}, grace_hours=1), "2026-11-26")
    assert strict.loc[("t1", "weekly_status", "2026-11-09"), "status"] == "late"


def test_nothing_is_due_in_a_shutdown_week_from_the_holiday_calendar(tmp_path):
    calendar = tmp_path / "holidays.ics"
    calendar.write_text(SHUTDOWN_ICS)
    rows = derive(org(), settings(WEEKLY, holiday_calendar=str(calendar)), "2027-01-10")
    weeks = set(rows.loc[("t1", "weekly_status")].index)
    assert "2026-12-21" not in weeks and "2026-12-28" not in weeks  # Friday 1 January: New Year
    assert {"2026-12-14", "2027-01-04"} <= weeks
    listed = derive(org(), settings(WEEKLY, holidays=["2026-12-25"]), "2027-01-10")
    assert "2026-12-21" not in set(listed.loc[("t1", "weekly_status")].index)


def test_the_holiday_calendar_covers_every_day_of_a_shutdown_and_recurring_holidays():
    days = ics_days(SHUTDOWN_ICS, date(2026, 1, 1), date(2027, 12, 31))
    assert {date(2026, 12, d) for d in range(21, 26)} | {date(2026, 1, 1), date(2027, 1, 1)} == days
    with pytest.raises(HolidayCalendarError, match=r"holidays\.ics"):
        ics_days("not a calendar", date(2026, 1, 1), date(2026, 2, 1), "holidays.ics")


def test_a_holiday_moves_the_nth_business_day_of_a_month():
    kind = CheckinKind(**MONTHLY)
    plain = dict(due_days(kind, date(2026, 6, 1), date(2026, 6, 30)))
    shifted = dict(due_days(kind, date(2026, 6, 1), date(2026, 6, 30), [date(2026, 6, 2)]))
    assert plain[date(2026, 6, 1)] == date(2026, 6, 3) and shifted[date(2026, 6, 1)] == date(2026, 6, 4)


def test_a_team_that_starts_mid_quarter_owes_only_from_its_start():
    tables = org(start="2026-08-12")
    rows = derive_checkins(tables, settings(WEEKLY, MONTHLY, QUARTERLY), datetime(2026, 9, 30, 12))
    mine = rows[rows["team_id"] == "t1"]
    assert pd.to_datetime(mine["due_at"]).min() >= pd.Timestamp("2026-08-12")
    assert sorted(mine.loc[mine["kind"] == "monthly_roadmap", "period_start"].astype(str)) == ["2026-09-01"]
    assert mine.loc[mine["kind"] == "qbr_prep", "due_at"].tolist() == [pd.Timestamp("2026-09-20 15:00")]
    assert mine.loc[mine["kind"] == "weekly_status", "period_start"].astype(str).min() == "2026-08-10"
    other = rows[(rows["team_id"] == "t2") & (rows["kind"] == "monthly_roadmap")]
    assert "2026-08-01" in set(other["period_start"].astype(str))


def test_a_configured_start_beats_the_roster():
    rows = derive_checkins(org(), settings(WEEKLY, team_starts={"t1": "2026-09-01"}), datetime(2026, 9, 30))
    assert pd.to_datetime(rows.loc[rows["team_id"] == "t1", "due_at"]).min() >= pd.Timestamp("2026-09-01")


def test_a_ticket_moved_back_and_forth_counts_once_at_its_first_arrival():
    tables = org(
        work_items=[ticket("CHK-1", "2026-11-09 10:00")],
        work_item_transitions=moves(
            "CHK-1", ("2026-11-12 09:00", "To Do", "Done"), ("2026-11-16 09:00", "Done", "In Progress"),
            ("2026-11-19 09:00", "In Progress", "Done"), ("2026-11-23 09:00", "Done", "In Progress"),
            ("2026-11-26 09:00", "In Progress", "Done")),
    )
    rows = derive(tables, settings(WEEKLY, jira_submitted_status="done"), "2026-11-28 12:00")
    weekly = rows.loc[("t1", "weekly_status")]
    assert weekly.loc["2026-11-09", "status"] == "on_time"
    assert weekly.loc["2026-11-09", "submitted_at"] == pd.Timestamp("2026-11-12 09:00")
    assert (weekly["ref"] == "CHK-1").sum() == 1
    assert (weekly.loc[["2026-11-16", "2026-11-23"], "status"] == "missing").all()


def test_without_a_submitted_status_a_ticket_counts_when_created_and_in_another_status_not_at_all():
    tables = org(work_items=[ticket("CHK-1", "2026-11-12 09:00", status="In Progress")],
                 work_item_transitions=moves("CHK-1", ("2026-11-12 10:00", "To Do", "In Progress")))
    assert derive(tables, settings(WEEKLY), "2026-11-26").loc[("t1", "weekly_status", "2026-11-09"), "status"] == "on_time"
    waiting = derive(tables, settings(WEEKLY, jira_submitted_status="Done"), "2026-11-26")
    assert waiting.loc[("t1", "weekly_status", "2026-11-09"), "status"] == "missing"


def test_one_submission_satisfies_one_check_in_and_a_duplicate_counts_for_nothing():
    tables = org(work_items=[ticket("CHK-1", "2026-11-12 09:00"), ticket("CHK-2", "2026-11-12 11:00")])
    weekly = derive(tables, settings(WEEKLY), "2026-11-26").loc[("t1", "weekly_status")]
    assert weekly.loc["2026-11-09", "ref"] == "CHK-1"
    assert weekly.loc["2026-11-16", "status"] == "missing" and (weekly["status"] == "on_time").sum() == 1


def test_a_missed_week_stays_missing_when_the_next_one_is_sent_on_time():
    tables = org(work_items=[ticket("CHK-1", "2026-11-19 09:00"), ticket("CHK-2", "2026-11-16 09:00", reporter="p2")])
    rows = derive(tables, settings(WEEKLY), "2026-11-26")
    assert rows.loc[("t1", "weekly_status", "2026-11-09"), "status"] == "missing"
    assert rows.loc[("t1", "weekly_status", "2026-11-16"), "status"] == "on_time"
    # Monday of the next week is nearer last Friday's deadline than this Friday's: late for last week.
    assert rows.loc[("t2", "weekly_status", "2026-11-09"), "status"] == "late"
    assert rows.loc[("t2", "weekly_status", "2026-11-16"), "status"] == "missing"


def test_a_check_in_not_due_yet_is_pending_unless_it_was_sent_early():
    tables = org(work_items=[ticket("CHK-1", "2026-11-24 09:00", reporter="p2")])
    rows = derive(tables, settings(WEEKLY), "2026-11-25 12:00")
    assert rows.loc[("t1", "weekly_status", "2026-11-23"), "status"] == "pending"
    assert rows.loc[("t2", "weekly_status", "2026-11-23"), "status"] == "on_time"
    assert "2026-11-30" not in set(rows.loc[("t1", "weekly_status")].index)


def test_evidence_for_a_team_that_was_elsewhere_then_counts_for_the_team_it_was_on():
    tables = org(work_items=[ticket("CHK-1", "2026-11-12 09:00")])
    tables["memberships"] = pd.DataFrame([
        {"person_id": "p1", "team_id": "t2", "role": "pm", "valid_from": pd.Timestamp("2026-01-01"), "valid_to": pd.Timestamp("2026-11-01")},
        {"person_id": "p1", "team_id": "t1", "role": "pm", "valid_from": pd.Timestamp("2026-11-01"), "valid_to": pd.NaT},
    ])
    rows = derive(tables, settings(WEEKLY), "2026-11-26")
    assert rows.loc[("t1", "weekly_status", "2026-11-09"), "status"] == "on_time"


def test_who_owes_a_kind_and_the_team_clock():
    kind = {**WEEKLY, "groups": ["G2"]}
    rows = derive_checkins(org(), settings(kind, team_timezones={"t2": "America/New_York"}), datetime(2026, 11, 26))
    assert set(rows["team_id"]) == {"t2"}
    assert pd.Timestamp("2026-11-20 22:00") in set(rows["due_at"])  # 17:00 in New York


def test_config_names_what_is_wrong_with_a_kind():
    with pytest.raises(ConfigError, match="business_day is for monthly"):
        settings({**WEEKLY, "business_day": 2})
    with pytest.raises(ConfigError, match="declared twice"):
        settings(WEEKLY, WEEKLY)
    with pytest.raises(ConfigError, match="unknown time zone"):
        settings(WEEKLY, team_timezones={"t1": "Mars/Olympus"})
