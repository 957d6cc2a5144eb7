"""ICS into calendar_events rows, on calendars worked out by hand (and upstream's own test calendars)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest
import recurring_ical_events

from connectors.calendar import IcsError, Owner, Window, ics_occurrences, ics_tables, ics_to_rows, title_hash
from dashboard.core.config import Settings
from dashboard.derive.pm_weeks import build_pm_weeks
from tests.tables import make_tables

PM = Owner("p1", "pm@example.com", "Europe/Berlin", aliases=("pm.alias@example.com",))
SPRING_2026 = Window.of(date(2026, 3, 1), date(2026, 5, 1), "Europe/Berlin")


def calendar(*events: str, header: str = "") -> str:
    """A VCALENDAR around VEVENT bodies (one property per line, as written below)."""
    body = "".join(f"BEGIN:VEVENT\n{e.strip()}\nEND:VEVENT\n" for e in events)
    return f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n{header}{body}END:VCALENDAR\n".replace("\n", "\r\n")


def rows(ics: str, window: Window = SPRING_2026, owner: Owner = PM, settings: Settings | None = None) -> pd.DataFrame:
    return ics_to_rows(ics, owner, window, settings).sort_values("start_utc").reset_index(drop=True)


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


WEEKLY = """
UID:weekly-1
SUMMARY:Team sync
DTSTART;TZID=Europe/Berlin:20260316T100000
DTEND;TZID=Europe/Berlin:20260316T110000
RRULE:FREQ=WEEKLY;COUNT=4
ORGANIZER:mailto:lead@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:pm@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:eng@example.com
ATTENDEE;CUTYPE=ROOM;PARTSTAT=ACCEPTED:mailto:room-1@example.com
"""


def test_weekly_meeting_keeps_its_local_time_across_the_dst_change():
    got = rows(calendar(WEEKLY))
    # Berlin moves to summer time on 29 March 2026: 10:00 local is 09:00 UTC before, 08:00 UTC after.
    assert got["start_utc"].tolist() == [
        utc("2026-03-16 09:00"),
        utc("2026-03-23 09:00"),
        utc("2026-03-30 08:00"),
        utc("2026-04-06 08:00"),
    ]
    assert (got["end_utc"] - got["start_utc"]).eq(pd.Timedelta(hours=1)).all()
    assert got["recurring"].all() and got["category"].eq("overhead").all() and got["response"].eq("accepted").all()
    assert got["attendee_count"].eq(3).all()  # owner, organiser, engineer; the room is not a person
    assert got["event_uid"].is_unique and got["event_uid"].str.startswith("weekly-1/").all()


def test_a_deleted_instance_is_gone_and_a_moved_one_counts_once_at_its_new_time():
    series = WEEKLY.replace("COUNT=4", "COUNT=4\nEXDATE;TZID=Europe/Berlin:20260323T100000")
    moved = """
UID:weekly-1
RECURRENCE-ID;TZID=Europe/Berlin:20260330T100000
SUMMARY:Team sync
DTSTART;TZID=Europe/Berlin:20260331T140000
DTEND;TZID=Europe/Berlin:20260331T143000
ATTENDEE;PARTSTAT=ACCEPTED:mailto:pm@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:eng@example.com
"""
    got = rows(calendar(series, moved))
    assert got["start_utc"].tolist() == [utc("2026-03-16 09:00"), utc("2026-03-31 12:00"), utc("2026-04-06 08:00")]
    assert got.loc[1, "end_utc"] == utc("2026-03-31 12:30")
    assert got.loc[1, "event_uid"] == "weekly-1/20260330T080000Z"  # keyed by its original slot: stable when moved


def test_this_and_future_edit_moves_the_rest_of_the_series():
    future = """
UID:weekly-1
RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Berlin:20260330T100000
SUMMARY:Team sync
DTSTART;TZID=Europe/Berlin:20260330T150000
DTEND;TZID=Europe/Berlin:20260330T160000
"""
    got = rows(calendar(WEEKLY, future))
    local = got["start_utc"].dt.tz_localize("UTC").dt.tz_convert("Europe/Berlin").dt.strftime("%m-%d %H:%M").tolist()
    assert local == ["03-16 10:00", "03-23 10:00", "03-30 15:00", "04-06 15:00"]


def test_a_cancelled_instance_is_not_stored():
    cancelled = """
UID:weekly-1
RECURRENCE-ID;TZID=Europe/Berlin:20260323T100000
STATUS:CANCELLED
SUMMARY:Team sync
DTSTART;TZID=Europe/Berlin:20260323T100000
DTEND;TZID=Europe/Berlin:20260323T110000
"""
    outlook = """
UID:outlook-cancel
SUMMARY:Canceled: Roadmap review
DTSTART:20260324T090000Z
DTEND:20260324T100000Z
"""
    occurrences = ics_occurrences(calendar(WEEKLY, cancelled, outlook), PM, SPRING_2026)
    assert sum(o.cancelled for o in occurrences) == 2  # the expansion returns it, flagged
    assert len(rows(calendar(WEEKLY, cancelled, outlook))) == 3


def test_a_meeting_the_owner_declined_is_stored_as_declined_and_is_not_a_meeting():
    declined_by_owner = """
UID:d1
SUMMARY:Steering committee
DTSTART:20260317T100000Z
DTEND:20260317T110000Z
ATTENDEE;PARTSTAT=DECLINED:mailto:PM.Alias@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:vp@example.com
"""
    declined_by_other = """
UID:d2
SUMMARY:Steering committee
DTSTART:20260318T100000Z
DTEND:20260318T110000Z
ATTENDEE;PARTSTAT=ACCEPTED:mailto:pm@example.com
ATTENDEE;PARTSTAT=DECLINED:mailto:vp@example.com
"""
    got = rows(calendar(declined_by_owner, declined_by_other))
    assert got["response"].tolist() == [
        "declined",
        "accepted",
    ]  # the owner's own answer, found by any of their addresses
    week = pm_week(got)
    assert week["meeting_hours"] == pytest.approx(1)


def test_an_all_day_event_is_not_eight_hours_of_meetings_but_a_vacation_is_time_off():
    offsite = """
UID:a1
SUMMARY:Company offsite
DTSTART;VALUE=DATE:20260317
DTEND;VALUE=DATE:20260318
ATTENDEE;PARTSTAT=ACCEPTED:mailto:pm@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:ceo@example.com
"""
    vacation = """
UID:a2
SUMMARY:Vacation
TRANSP:TRANSPARENT
DTSTART;VALUE=DATE:20260319
DTEND;VALUE=DATE:20260320
"""
    got = rows(calendar(offsite, vacation))
    assert got["all_day"].all()
    # owner-local midnight to midnight: Berlin is UTC+1 in March
    assert got["start_utc"].tolist() == [utc("2026-03-16 23:00"), utc("2026-03-18 23:00")]
    assert got["category"].tolist() == ["unclassified", "ooo"]  # a free vacation is still time off
    week = pm_week(got)
    assert (
        week["meeting_hours"] == 0
        and week["ooo_hours"] == pytest.approx(8)
        and week["working_hours"] == pytest.approx(32)
    )
    assert week["focus_hours"] == pytest.approx(32)


def test_transparent_events_are_not_stored_and_holds_are_not_meetings():
    free = """
UID:f1
SUMMARY:FYI launch stream
TRANSP:TRANSPARENT
DTSTART:20260317T100000Z
DTEND:20260317T110000Z
ATTENDEE:mailto:pm@example.com
ATTENDEE:mailto:all@example.com
"""
    exchange_free = """
UID:f2
SUMMARY:Optional
X-MICROSOFT-CDO-BUSYSTATUS:FREE
DTSTART:20260317T120000Z
DTEND:20260317T130000Z
"""
    hold = """
UID:h1
SUMMARY:Prep roadmap deck
DTSTART:20260318T090000Z
DTEND:20260318T100000Z
"""
    got = rows(calendar(free, exchange_free, hold))
    assert got["event_uid"].tolist() == ["h1/20260318T090000Z"]
    assert got.loc[0, "attendee_count"] == 1 and got.loc[0, "category"] == "strategy"
    week = pm_week(got)
    assert week["meeting_hours"] == 0 and week["strategy_hours"] == pytest.approx(1)


def test_floating_times_are_read_on_the_owners_clock_and_x_wr_timezone_is_honoured():
    floating = "UID:fl\nSUMMARY:Float\nDTSTART:20260317T090000\nDTEND:20260317T100000"
    assert rows(calendar(floating))["start_utc"].tolist() == [utc("2026-03-17 08:00")]
    in_new_york = Owner("p2", "ny@example.com", "America/New_York")
    assert rows(calendar(floating), owner=in_new_york)["start_utc"].tolist() == [utc("2026-03-17 13:00")]
    google_export = calendar(floating, header="X-WR-TIMEZONE:Asia/Tokyo\n")
    assert rows(google_export)["start_utc"].tolist() == [utc("2026-03-17 00:00")]


def test_windows_zone_names_without_a_vtimezone_are_understood():
    exchange = (
        "UID:w\nSUMMARY:Sync\nDTSTART;TZID=W. Europe Standard Time:20260317T090000\n"
        "DTEND;TZID=W. Europe Standard Time:20260317T093000"
    )
    assert rows(calendar(exchange))["start_utc"].tolist() == [utc("2026-03-17 08:00")]


def test_an_endless_series_is_bounded_by_the_window():
    endless = "UID:e\nSUMMARY:Daily standup\nDTSTART:20200101T090000Z\nDTEND:20200101T091500Z\nRRULE:FREQ=DAILY"
    got = rows(calendar(endless))
    assert len(got) == 61  # 1 March to 30 April 2026, Berlin midnight to midnight
    assert got["start_utc"].min() == utc("2026-03-01 09:00") and got["start_utc"].max() == utc("2026-04-30 09:00")


def test_titles_are_hashed_with_a_salt_and_never_stored():
    got = rows(calendar(WEEKLY))
    assert "title" not in got.columns and "description" not in got.columns
    assert got["title_hash"].nunique() == 1
    assert got.loc[0, "title_hash"] == title_hash("  team SYNC ", Settings().calendar.title_salt)
    salted = rows(calendar(WEEKLY), settings=Settings(calendar={"title_salt": "another"}))
    assert salted.loc[0, "title_hash"] != got.loc[0, "title_hash"]


def test_titles_come_back_beside_the_rows_only_when_the_settings_keep_them():
    kept = ics_tables(calendar(WEEKLY), PM, SPRING_2026, Settings(calendar={"keep_titles": True}), source="demo")
    assert kept.titles["title"].tolist() == ["Team sync"] * 4 and set(kept.titles["source"]) == {"demo"}
    pd.testing.assert_frame_equal(kept.events, ics_to_rows(calendar(WEEKLY), PM, SPRING_2026, source="demo"))
    assert ics_tables(calendar(WEEKLY), PM, SPRING_2026).titles.empty


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not a calendar at all", "cannot parse"),
        ("BEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\n", "top-level VEVENT"),
        (calendar("UID:x\nSUMMARY:no start"), "has no DTSTART"),
        (calendar("UID:x\nDTSTART:20260317\nDURATION:PT1W"), "BrokenCalendarProperty"),
        (calendar("UID:x\nDTSTART:20260317T090000Z\nRRULE:FREQ=DAILY;UNTL=20260401"), "BadRuleStringFormat"),
    ],
)
def test_a_broken_calendar_is_one_clear_error(text, message):
    with pytest.raises(IcsError, match=message):
        ics_occurrences(text, PM, SPRING_2026)


# --- upstream's own test calendars, through our layer ---------------------------------------------

WIDE = Window.of(date(2000, 1, 1), date(2031, 1, 1))


def upstream(name: str, owner: Owner = PM, window: Window = WIDE) -> pd.DataFrame:
    text = recurring_ical_events.example_calendar(name).to_ical()
    return ics_to_rows(text, owner, window)


@pytest.mark.parametrize(("name", "count"), [("each_week_but_one_deleted", 7), ("each_week_but_two_deleted", 6)])
def test_upstream_deleted_instances(name, count):
    assert len(upstream(name)) == count


def test_upstream_moved_event_counts_once_in_its_new_month():
    got = upstream("issue_62_moved_event", window=Window.of(date(2021, 12, 1), date(2022, 1, 1)))
    # The series is transparent in that Google export; look at occurrences instead of stored rows.
    text = recurring_ical_events.example_calendar("issue_62_moved_event").to_ical()
    december = ics_occurrences(text, PM, Window.of(date(2021, 12, 1), date(2022, 1, 1)))
    assert len(december) == 1 and got.empty
    assert not ics_occurrences(text, PM, Window.of(date(2021, 12, 31), date(2022, 1, 1)))


def test_upstream_daylight_saving_time_keeps_1900_berlin():
    for day in (date(2019, 3, 20), date(2019, 10, 23)):
        got = ics_occurrences(
            recurring_ical_events.example_calendar("daylight_saving_time").to_ical(),
            PM,
            Window.of(day, date.fromordinal(day.toordinal() + 1), "Europe/Berlin"),
        )
        local = {o.start_utc.astimezone(PM.zone).strftime("%H:%M") for o in got}
        assert "19:00" in local


def test_upstream_cancelled_override_is_dropped():
    got = upstream("issue_18_cancel_status", window=Window.of(date(2020, 1, 28), date(2020, 1, 31)))
    assert len(got) == 2


def pm_week(events: pd.DataFrame) -> pd.Series:
    """The PM-week holding 16 March 2026 for these rows."""
    person = {
        "person_id": "p1",
        "name": "A",
        "role": "pm",
        "team_id": "t1",
        "tz": "Europe/Berlin",
        "email": "pm@example.com",
    }
    member = {"person_id": "p1", "team_id": "t1", "role": "pm", "valid_from": "2020-01-01", "valid_to": None}
    tables = make_tables(people=[person], memberships=[member], calendar_events=events.to_dict("records"))
    weeks = build_pm_weeks(tables, Settings())
    return weeks[pd.Series(weeks["week_start"]).astype(str) == "2026-03-16"].iloc[0]


def test_stored_times_are_naive_utc():
    got = rows(calendar(WEEKLY))
    assert got["start_utc"].dt.tz is None
    assert datetime(2026, 3, 16, 9, tzinfo=UTC).replace(tzinfo=None) == got.loc[0, "start_utc"]
