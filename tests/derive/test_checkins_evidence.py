"""Check-in evidence readers: form exports, Jira check-in tickets and review-meeting occurrences."""
from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from connectors.checkins import CheckinFormError, form_rows
from connectors.survey import read_text
from dashboard.core.config import parse_settings
from dashboard.derive.checkins import derive_checkins
from dashboard.derive.checkins.evidence import calendar_evidence, jira_evidence
from dashboard.derive.checkins.holidays import HolidayCalendarError
from tests.tables import make_tables

TEAMS = pd.DataFrame({"team_id": ["payments-checkout", "mobile-android"], "name": ["Checkout", "Android"],
                      "group_name": ["Payments", "Mobile"]})
KINDS = [
    {"id": "weekly_status", "title": "Weekly status", "cadence": "weekly", "weekday": "fri", "jira_label": "Weekly-Status"},
    {"id": "roadmap", "title": "Roadmap review", "cadence": "monthly", "business_day": 3, "form_values": ["Roadmap"],
     "calendar_events": ["roadmap-review-*@example.com*"]},
]


def settings(**form):
    return parse_settings({"org_timezone": "Europe/London", "checkins": {"kinds": KINDS, "form": form}})


def test_a_google_forms_export_names_team_and_kind_per_row_in_the_form_owners_clock():
    text = ("Timestamp,Email Address,Team,Which check-in?\n"
            "7/2/2026 16:30:00,a@example.com,Checkout,Roadmap\n"
            "7/3/2026 09:00:00,b@example.com,android,weekly status\n"
            "7/13/2026 09:00:00,c@example.com,Android app,Roadmap\n"
            "7/14/2026 09:00:00,d@example.com,Checkout,Retro\n")
    batch = form_rows(read_text(text, "checkins.csv"), settings(kind_column="Which check-in?", team_aliases={"Android app": "mobile-android"}), TEAMS)
    assert batch.rows[["team_id", "kind"]].values.tolist() == [
        ["payments-checkout", "roadmap"], ["mobile-android", "weekly_status"], ["mobile-android", "roadmap"]]
    assert batch.rows["submitted_at"].iloc[0] == pd.Timestamp("2026-07-02 15:30")  # BST, month first
    assert [str(issue) for issue in batch.issues] == [
        "checkins.csv, row 5, column 'Which check-in?': 'Retro' is no configured check-in kind (add it to form_values)"]
    assert "a@example.com" not in batch.rows.to_string()


def test_a_microsoft_forms_export_in_its_own_zone_with_the_kind_given_on_load():
    text = ("ID,Start time,Completion time,Email,Name,Team\n"
            "1,2026-07-02 10:00:00,2026-07-02 10:05:00,a@example.com,A,Checkout\n")
    batch = form_rows(read_text(text, "ms.csv"), settings(timezone="America/New_York"), TEAMS, kind="roadmap")
    assert batch.rows["submitted_at"].tolist() == [pd.Timestamp("2026-07-02 14:05")]
    assert batch.rows["response_key"].tolist() == ["1"]


def test_a_form_export_that_cannot_be_read_as_check_ins_is_refused_with_every_reason():
    text = "Timestamp,Squad\n3/4/2026 10:00:00,Checkout\n"
    with pytest.raises(CheckinFormError) as refused:
        form_rows(read_text(text, "bad.csv"), settings(), TEAMS)
    message = str(refused.value)
    assert "no column 'Team'" in message and "--kind" in message and "date_order" in message
    with pytest.raises(CheckinFormError, match="unknown check-in kind 'retro'"):
        form_rows(read_text("Timestamp,Team\n2026-03-04 10:00,Checkout\n", "x.csv"), settings(), TEAMS, kind="retro")


def people_and_memberships():
    return dict(
        teams=TEAMS.to_dict("records"),
        people=[{"person_id": "p1", "role": "pm", "team_id": "mobile-android", "tz": "Europe/Berlin"},
                {"person_id": "p2", "role": "pm", "team_id": "mobile-android", "tz": "Europe/Berlin"}],
        memberships=[{"person_id": "p1", "team_id": "payments-checkout", "role": "pm", "valid_from": "2026-01-01", "valid_to": "2026-06-01"},
                     {"person_id": "p1", "team_id": "mobile-android", "role": "pm", "valid_from": "2026-06-01"},
                     {"person_id": "p2", "team_id": "mobile-android", "role": "pm", "valid_from": "2026-01-01"}],
    )


def test_jira_tickets_are_read_by_label_ignoring_case_and_count_for_the_reporters_team_then():
    tables = make_tables(**people_and_memberships(), work_items=[
        {"item_id": "1", "key": "CHK-1", "kind": "checkin", "status": "Done", "created": "2026-05-10", "labels": ["weekly-status"], "reporter_id": "p1"},
        {"item_id": "2", "key": "CHK-2", "kind": "checkin", "status": "Done", "created": "2026-06-10", "labels": ["weekly-status"], "reporter_id": "p1"},
        {"item_id": "3", "key": "CHK-3", "kind": "checkin", "status": "Done", "created": "2026-06-10", "labels": ["retro"], "reporter_id": "p1"},
        {"item_id": "4", "key": "WORK-1", "kind": "work", "status": "Done", "created": "2026-06-10", "labels": ["weekly-status"], "reporter_id": "p1"},
    ])
    evidence = jira_evidence(tables, settings().checkins).set_index("ref")
    assert list(evidence.index) == ["CHK-1", "CHK-2"]
    assert evidence.loc["CHK-1", "team_id"] == "payments-checkout" and evidence.loc["CHK-2", "team_id"] == "mobile-android"


def test_a_review_meeting_counts_once_per_team_when_held_and_not_when_declined_cancelled_or_ahead():
    def occurrence(person, start, response="accepted", uid="roadmap-review-and@example.com"):
        return {"source": "ics", "event_uid": f"{uid}/{start}", "person_id": person, "start_utc": start,
                "end_utc": start, "response": response}

    tables = make_tables(**people_and_memberships(), calendar_events=[
        occurrence("p1", "2026-07-02 14:00"), occurrence("p2", "2026-07-02 14:00"),
        occurrence("p2", "2026-08-04 14:00", response="declined"),
        occurrence("p2", "2026-09-03 14:00", uid="standup-and@example.com"),
        occurrence("p2", "2026-12-03 14:00"),
    ])
    evidence = calendar_evidence(tables, settings().checkins, datetime(2026, 11, 26))
    assert evidence[["team_id", "kind", "ref"]].values.tolist() == [["mobile-android", "roadmap", "meeting 2026-07-02 14:00 UTC"]]


def test_a_missing_holiday_calendar_is_named():
    config = parse_settings({"checkins": {"kinds": KINDS, "holiday_calendar": "/nowhere/holidays.ics"}})
    with pytest.raises(HolidayCalendarError, match=r"/nowhere/holidays\.ics"):
        derive_checkins(make_tables(**people_and_memberships()), config, datetime(2026, 11, 26))
