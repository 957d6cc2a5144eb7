"""Google Calendar sync against a local fake that answers in the API's real shapes and paging."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from connectors.calendar import sync_calendars
from dashboard.core.config import Settings
from tests.connectors.calendar.test_calendar_sync import TODAY, events, runs, seed_roster
from tests.fakes.google_calendar import GoogleCalendarFake, fake_event

PM = "pm@example.com"
BERLIN = timezone(timedelta(hours=1))
SUMMER = timezone(timedelta(hours=2))
OAUTH = {
    "PRODOPS_GOOGLE_CLIENT_ID": "fake-client",
    "PRODOPS_GOOGLE_CLIENT_SECRET": "fake-secret",
    "PRODOPS_GOOGLE_REFRESH_TOKEN": "fake-refresh",
}


def at(day: int, hour: int, month: int = 3) -> datetime:
    """A time on Berlin's clock in March/April 2026 (summer time from 29 March)."""
    zone = SUMMER if (month, day) >= (3, 29) else BERLIN
    return datetime(2026, month, day, hour, tzinfo=zone)


def populate(fake: GoogleCalendarFake) -> None:
    for day in (16, 23, 30):
        fake.put(
            PM,
            fake_event(
                f"sync1_202603{day}",
                at(day, 10),
                at(day, 11),
                "Weekly product sync",
                owner=PM,
                attendees=("eng@example.com",),
                rooms=("room-4@resource.calendar.google.com",),
                organizer="lead@example.com",
                recurring_event_id="sync1",
            ),
        )
    fake.put(
        PM,
        fake_event(
            "steer", at(17, 14), at(17, 15), "Steering", owner=PM, attendees=("vp@example.com",), response="declined"
        ),
    )
    fake.put(PM, fake_event("focus", at(18, 9), at(18, 12), "Heads down", owner=PM, event_type="focusTime"))
    fake.put(PM, fake_event("away", at(19, 0), at(20, 0), "Away", owner=PM, event_type="outOfOffice"))
    fake.put(
        PM,
        fake_event(
            "fyi",
            at(18, 13),
            at(18, 14),
            "FYI demo",
            owner=PM,
            attendees=("all@example.com",),
            transparency="transparent",
        ),
    )
    fake.put(PM, fake_event("where", at(20, 9), at(20, 17), "Home", owner=PM, event_type="workingLocation"))
    fake.put(
        PM, fake_event("holiday", "2026-04-03", "2026-04-04", "Public holiday", owner=PM, transparency="transparent")
    )
    fake.put(
        PM, fake_event("interview", at(24, 15), at(24, 16), "Customer interview", owner=PM, attendees=("c@client.com",))
    )
    fake.put(
        PM,
        fake_event(
            "old", datetime(2025, 3, 3, 9, tzinfo=BERLIN), datetime(2025, 3, 3, 10, tzinfo=BERLIN), "Old", owner=PM
        ),
    )


@pytest.fixture()
def google():
    with GoogleCalendarFake(page_cap=3) as fake:
        populate(fake)
        yield fake


@pytest.fixture()
def roster(store):
    return seed_roster(store)


def config(fake: GoogleCalendarFake, **google) -> Settings:
    source = {"calendars": [PM], "api_url": fake.api_url, "token_url": fake.token_url, **google}
    return Settings(org_timezone="Europe/Berlin", calendar={"history_days": 60, "google": source})


def fresh_full_sync(fake: GoogleCalendarFake, make_store, name: str) -> pd.DataFrame:
    """What one full sync of the fake as it stands now gives, in a store of its own."""
    store = seed_roster(make_store(name))
    sync_calendars(store, config(fake), today=TODAY, env=OAUTH)
    return events(store)


def test_a_full_sync_pages_through_and_keeps_what_counts(roster, google):
    result = sync_calendars(roster, config(google), today=TODAY, env=OAUTH)
    assert result.status == "success"
    got = events(roster).set_index("event_uid")
    assert sorted(got.index) == [
        "away",
        "focus",
        "holiday",
        "interview",
        "steer",
        "sync1_20260316",
        "sync1_20260323",
        "sync1_20260330",
    ]
    assert got.loc["sync1_20260330", "start_utc"] == pd.Timestamp("2026-03-30 08:00")  # 10:00 summer time
    assert (
        got.loc["sync1_20260316", "attendee_count"] == 3 and got.loc["sync1_20260316", "recurring"]
    )  # the room is no person
    assert got.loc["sync1_20260316", "category"] == "overhead" and got.loc["interview", "category"] == "strategy"
    assert got.loc["steer", "response"] == "declined"
    assert got.loc["focus", "category"] == "focus" and got.loc["away", "category"] == "ooo"
    assert got.loc["holiday", "all_day"] and got.loc["holiday", "category"] == "ooo"  # free, but time off is kept
    assert got.loc["holiday", "start_utc"] == pd.Timestamp("2026-04-02 22:00")  # Berlin midnight
    listed = google.requests_to("/events")
    assert len(listed) == 4 and all("timeMin" not in r.params and r.params["singleEvents"] == ["true"] for r in listed)
    cursor = json.loads(runs(roster)["cursor"].iloc[0])
    assert cursor[f"google:{PM}"]["sync_token"] == f"sync-{google.version}"
    assert google.requests_to("/token"), "the refresh token was traded for an access token"


def change(fake: GoogleCalendarFake) -> None:
    fake.put(
        PM,
        fake_event(
            "sync1_20260323",
            at(24, 12),
            at(24, 13),
            "Weekly product sync",
            owner=PM,
            attendees=("eng@example.com",),
            recurring_event_id="sync1",
        ),
    )  # moved a day later
    fake.cancel(PM, "sync1_20260330")
    fake.put(
        PM, fake_event("interview", at(24, 15), at(24, 16), "Release triage", owner=PM, attendees=("c@client.com",))
    )
    fake.put(PM, fake_event("new", at(25, 9), at(25, 10), "Roadmap workshop", owner=PM, attendees=("eng@example.com",)))


def test_incremental_then_410_and_full_resync_equal_one_full_sync(roster, google, make_store):
    sync_calendars(roster, config(google), today=TODAY, env=OAUTH)
    change(google)
    sync_calendars(roster, config(google), today=TODAY, env=OAUTH)
    incremental = [r for r in google.requests_to("/events") if "syncToken" in r.params and "pageToken" not in r.params]
    assert len(incremental) == 1 and incremental[0].status == 200
    after_change = events(roster)
    pd.testing.assert_frame_equal(after_change, fresh_full_sync(google, make_store, "one"))
    assert "sync1_20260330" not in set(after_change["event_uid"])
    assert after_change.set_index("event_uid").loc["interview", "category"] == "overhead"

    google.expire_sync_tokens()
    google.cancel(PM, "steer")
    sync_calendars(roster, config(google), today=TODAY, env=OAUTH)
    statuses = [
        r.status for r in google.requests_to("/events") if "syncToken" in r.params and "pageToken" not in r.params
    ]
    assert statuses[-1] == 410
    pd.testing.assert_frame_equal(events(roster), fresh_full_sync(google, make_store, "two"))
    assert "steer" not in set(events(roster)["event_uid"])


def test_a_new_week_starts_a_full_sync_and_the_same_sync_twice_changes_nothing(roster, google):
    sync_calendars(roster, config(google), today=TODAY, env=OAUTH)
    before = events(roster)
    sync_calendars(roster, config(google), today=TODAY, env=OAUTH)
    pd.testing.assert_frame_equal(events(roster), before)
    sync_calendars(roster, config(google), today=TODAY + timedelta(days=7), env=OAUTH)
    with_token = [r for r in google.requests_to("/events") if "syncToken" in r.params and "pageToken" not in r.params]
    assert len(with_token) == 1  # the second sync; the next week's was a full one


def test_without_incremental_every_sync_is_bounded_by_the_window(roster, google):
    sync_calendars(roster, config(google, incremental=False), today=TODAY, env=OAUTH)
    listed = google.requests_to("/events")
    assert all(r.params["timeMin"][0].startswith("2026-02-01T23:00") for r in listed)
    assert json.loads(runs(roster)["cursor"].iloc[0]) == {}
    assert len(events(roster)) == 8


def test_missing_or_wrong_credentials_quarantine_the_calendar_without_a_secret(roster, google):
    result = sync_calendars(roster, config(google), today=TODAY, env={})
    assert result.status == "failed" and "PRODOPS_GOOGLE_CLIENT_ID" in result.quarantined[0].error
    wrong = {**OAUTH, "PRODOPS_GOOGLE_REFRESH_TOKEN": "leaked-value"}
    result = sync_calendars(roster, config(google), today=TODAY, env=wrong)
    assert "token request refused: HTTP 400 invalid_grant" in result.quarantined[0].error
    assert "leaked-value" not in runs(roster).to_json(date_format="iso")


def test_a_service_account_acts_as_each_calendar_owner(roster, google):
    pytest.importorskip("google.oauth2.service_account")
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    account = {
        "type": "service_account",
        "project_id": "fake",
        "private_key_id": "k1",
        "private_key": pem.decode(),
        "client_email": "sync@fake.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": google.token_url,
    }
    result = sync_calendars(
        roster, config(google), today=TODAY, env={"PRODOPS_GOOGLE_SERVICE_ACCOUNT": json.dumps(account)}
    )
    assert result.status == "success" and google.subjects == [PM]
