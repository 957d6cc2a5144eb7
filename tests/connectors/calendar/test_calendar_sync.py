"""`sync_calendars` with ICS files, folders and feeds: quarantine, idempotence, cursors, privacy."""

from __future__ import annotations

import json
import threading
from datetime import date
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd
import pytest

from connectors.calendar import sync_calendars, sync_window
from dashboard.core.config import Settings
from tests.connectors.calendar.test_calendar_ics import WEEKLY, calendar

TODAY = date(2026, 4, 8)
PEOPLE = pd.DataFrame(
    [
        {
            "person_id": "p1",
            "name": "A",
            "email": "pm@example.com",
            "role": "pm",
            "team_id": "t1",
            "tz": "Europe/Berlin",
            "active_from": None,
            "active_to": None,
        },
        {
            "person_id": "p2",
            "name": "B",
            "email": "pm2@example.com",
            "role": "pm",
            "team_id": "t1",
            "tz": "America/New_York",
            "active_from": None,
            "active_to": None,
        },
    ]
)
MEMBERS = pd.DataFrame(
    [
        {"person_id": p, "team_id": "t1", "role": "pm", "valid_from": pd.Timestamp("2020-01-01"), "valid_to": None}
        for p in ("p1", "p2")
    ]
)


def seed_roster(store):
    """Two PMs, one in Berlin and one in New York, on one team."""
    with store.transaction() as tx:
        tx.upsert("people", PEOPLE)
        tx.upsert("memberships", MEMBERS)
    return store


@pytest.fixture()
def roster(store):
    return seed_roster(store)


def settings(**calendar) -> Settings:
    return Settings(org_timezone="Europe/Berlin", calendar={"history_days": 60, **calendar})


def write(folder, name, text):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return folder / name


def events(store) -> pd.DataFrame:
    return store.table("calendar_events").sort_values(["person_id", "event_uid"]).reset_index(drop=True)


def runs(store) -> pd.DataFrame:
    return store.table("sync_runs").sort_values("run_id").reset_index(drop=True)


def test_a_folder_of_exports_syncs_by_file_name_and_twice_changes_nothing(roster, tmp_path):
    folder = tmp_path / "exports"
    write(folder, "pm@example.com.ics", calendar(WEEKLY))
    write(folder, "pm2@example.com.ics", calendar(WEEKLY.replace("pm@example.com", "pm2@example.com")))
    config = settings(ics=[{"location": str(folder)}])
    first = sync_calendars(roster, config, today=TODAY)
    assert first.status == "success" and first.rows == 8 and first.calendars == 2
    before = events(roster)
    assert before.groupby("person_id").size().to_dict() == {"p1": 4, "p2": 4}
    second = sync_calendars(roster, config, today=TODAY)
    assert second.rows == 8
    pd.testing.assert_frame_equal(events(roster), before)
    assert runs(roster)["status"].tolist() == ["success", "success"]
    weeks = roster.table("pm_weeks")
    assert {"short_focus_hours", "fragmented_hours"} <= set(weeks.columns) and len(weeks) > 0


def test_a_broken_calendar_is_quarantined_keeps_its_last_rows_and_the_others_go_on(roster, tmp_path):
    folder = tmp_path / "exports"
    good = write(folder, "pm@example.com.ics", calendar(WEEKLY))
    write(folder, "pm2@example.com.ics", calendar(WEEKLY.replace("pm@example.com", "pm2@example.com")))
    config = settings(ics=[{"location": str(folder)}])
    sync_calendars(roster, config, today=TODAY)
    # pm2's file breaks (a value that parses and fails when read); pm's calendar changes.
    write(folder, "pm2@example.com.ics", calendar("UID:x\nDTSTART:20260317\nDURATION:PT1W"))
    good.write_text(calendar(WEEKLY.replace("COUNT=4", "COUNT=2")))
    result = sync_calendars(roster, config, today=TODAY)
    assert result.status == "partial" and len(result.quarantined) == 1
    assert events(roster).groupby("person_id").size().to_dict() == {"p1": 2, "p2": 4}
    quarantine = runs(roster).query("status == 'quarantined'")
    assert quarantine["source"].tolist() == ["calendar:ics"]
    error = quarantine["error"].iloc[0]
    assert "pm2@example.com.ics" in error and "BrokenCalendarProperty" in error


def test_an_unknown_owner_and_an_unnamed_file_are_quarantined_with_a_reason(roster, tmp_path):
    folder = tmp_path / "exports"
    write(folder, "stranger@example.com.ics", calendar(WEEKLY))
    write(folder, "calendar.ics", calendar(WEEKLY))
    write(folder, "named.ics", calendar(WEEKLY, header="X-WR-CALNAME:pm2@example.com\n"))
    result = sync_calendars(roster, settings(ics=[{"location": str(folder)}]), today=TODAY)
    reasons = sorted(q.error for q in result.quarantined)
    assert len(reasons) == 2
    assert "no person with email stranger@example.com" in reasons[0] and "whose calendar" in reasons[1]
    assert events(roster)["person_id"].unique().tolist() == ["p2"]  # named by its X-WR-CALNAME


def test_owners_map_and_aliases(roster, tmp_path):
    ics = write(
        tmp_path,
        "work.ics",
        calendar(WEEKLY.replace("PARTSTAT=ACCEPTED:mailto:pm@", "PARTSTAT=DECLINED:mailto:old-pm@")),
    )
    config = settings(ics=[{"location": str(ics), "owner": "old-pm@example.com"}], owners={"Old-PM@example.com": "p1"})
    sync_calendars(roster, config, today=TODAY)
    got = events(roster)
    assert got["person_id"].unique().tolist() == ["p1"] and got["response"].eq("declined").all()


def test_titles_are_kept_only_when_asked(roster, tmp_path):
    ics = write(tmp_path, "pm@example.com.ics", calendar(WEEKLY))
    sync_calendars(roster, settings(ics=[{"location": str(ics)}], keep_titles=True), today=TODAY)
    assert roster.table("calendar_titles")["title"].unique().tolist() == ["Team sync"]
    sync_calendars(roster, settings(ics=[{"location": str(ics)}]), today=TODAY)
    assert roster.table("calendar_titles").empty


def test_the_window_runs_in_whole_weeks_to_the_end_of_this_week():
    window = sync_window(settings(), TODAY)  # Wednesday 8 April 2026
    assert window.start.isoformat() == "2026-02-01T23:00:00+00:00"  # Monday 2 February, Berlin midnight
    assert window.end.isoformat() == "2026-04-12T22:00:00+00:00"  # Monday 13 April, Berlin midnight


@pytest.fixture()
def feed(tmp_path):
    """A local web server with a secret-looking path, like a calendar's secret address."""
    root = tmp_path / "www"
    write(root / "private-s3cr3t", "basic.ics", calendar(WEEKLY))
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_feed_url_from_the_environment_syncs_and_a_failing_one_never_shows_its_secret(roster, feed):
    env = {"PM_FEED": f"{feed}/private-s3cr3t/basic.ics", "PM2_FEED": f"{feed}/private-s3cr3t/missing.ics"}
    config = settings(
        ics=[
            {"location_env": "PM_FEED", "owner": "pm@example.com"},
            {"location_env": "PM2_FEED", "owner": "pm2@example.com"},
            {"location_env": "UNSET_FEED", "owner": "pm2@example.com"},
            {"location": "http://calendar.example.com/private-s3cr3t/basic.ics", "owner": "pm2@example.com"},
        ]
    )
    result = sync_calendars(roster, config, today=TODAY, env=env)
    assert result.rows == 4 and len(result.quarantined) == 3
    recorded = runs(roster)
    text = json.dumps(recorded.astype(str).to_dict("records"))
    assert "s3cr3t" not in text and "s3cr3t" not in repr(result)
    errors = sorted(recorded.query("status == 'quarantined'")["error"])
    assert errors[0].startswith("$PM2_FEED (http://127.0.0.1/") and "HTTP 404" in errors[0]
    assert errors[1].startswith("$UNSET_FEED") and "not set" in errors[1]
    assert "must be https" in errors[2]


def test_a_failed_write_moves_nothing_and_is_recorded(roster, tmp_path, monkeypatch):
    ics = write(tmp_path, "pm@example.com.ics", calendar(WEEKLY))
    from dashboard import derive

    def broken(tx, settings):
        raise RuntimeError("disk full")

    monkeypatch.setattr(derive, "refresh", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        sync_calendars(roster, settings(ics=[{"location": str(ics)}]), today=TODAY)
    assert roster.table("calendar_events").empty
    assert runs(roster)["status"].tolist() == ["failed"]
