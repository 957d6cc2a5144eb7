"""Microsoft Graph sync against a local fake with Graph's shapes, `@odata.nextLink` and `@odata.deltaLink`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from connectors.calendar import sync_calendars
from dashboard.core.config import Settings
from tests.connectors.calendar.test_calendar_sync import TODAY, events, runs, seed_roster
from tests.fakes.graph_calendar import GraphCalendarFake, graph_event

PM = "pm@example.com"
APP = {
    "PRODOPS_GRAPH_TENANT_ID": "fake-tenant",
    "PRODOPS_GRAPH_CLIENT_ID": "fake-app",
    "PRODOPS_GRAPH_CLIENT_SECRET": "fake-app-secret",
}


def utc(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def populate(fake: GraphCalendarFake) -> None:
    for day in (16, 23, 30):
        fake.put(
            PM,
            graph_event(
                f"AAMk-status-{day}",
                utc(day, 9),
                utc(day, 9, 30),
                "Weekly status",
                attendees=("eng@example.com",),
                organizer="lead@example.com",
                series_master_id="AAMk-status",
                rooms=("room@example.com",),
            ),
        )
    fake.put(
        PM,
        graph_event(
            "AAMk-declined", utc(17, 13), utc(17, 14), "Planning", attendees=("vp@example.com",), response="declined"
        ),
    )
    fake.put(
        PM, graph_event("AAMk-focus", utc(18, 8), utc(18, 11), "Blocked", categories=("Focus time",), is_organizer=True)
    )
    fake.put(PM, graph_event("AAMk-oof", utc(19, 8), utc(19, 16), "Away", show_as="oof", is_organizer=True))
    fake.put(
        PM,
        graph_event(
            "AAMk-free", utc(18, 12), utc(18, 13), "Town hall stream", attendees=("all@example.com",), show_as="free"
        ),
    )
    fake.put(
        PM,
        graph_event(
            "AAMk-cancelled", utc(20, 9), utc(20, 10), "Discovery", attendees=("c@client.com",), is_cancelled=True
        ),
    )
    fake.put(
        PM,
        graph_event("AAMk-allday", utc(26, 0), utc(27, 0), "Offsite", attendees=("ceo@example.com",), is_all_day=True),
    )
    fake.put(PM, graph_event("AAMk-research", utc(24, 14), utc(24, 15), "User research", attendees=("ux@example.com",)))
    fake.put(
        PM,
        graph_event(
            "AAMk-old",
            datetime(2025, 1, 6, 9, tzinfo=UTC),
            datetime(2025, 1, 6, 10, tzinfo=UTC),
            "Old",
        ),
    )


@pytest.fixture()
def graph():
    with GraphCalendarFake() as fake:
        populate(fake)
        yield fake


@pytest.fixture()
def roster(store):
    return seed_roster(store)


def config(fake: GraphCalendarFake, **graph) -> Settings:
    source = {"users": [PM], "api_url": fake.api_url, "login_url": fake.login_url, "page_size": 2, **graph}
    return Settings(org_timezone="Europe/Berlin", calendar={"history_days": 60, "graph": source})


def fresh_full_sync(fake: GraphCalendarFake, make_store, name: str) -> pd.DataFrame:
    store = seed_roster(make_store(name))
    sync_calendars(store, config(fake), today=TODAY, env=APP)
    return events(store)


def test_a_full_sync_follows_next_links_to_the_delta_link(roster, graph):
    result = sync_calendars(roster, config(graph), today=TODAY, env=APP)
    assert result.status == "success"
    got = events(roster).set_index("event_uid")
    assert sorted(got.index) == [
        "AAMk-allday",
        "AAMk-declined",
        "AAMk-focus",
        "AAMk-oof",
        "AAMk-research",
        "AAMk-status-16",
        "AAMk-status-23",
        "AAMk-status-30",
    ]
    assert got.loc["AAMk-status-16", "category"] == "overhead" and got.loc["AAMk-status-16", "recurring"]
    assert got.loc["AAMk-status-16", "attendee_count"] == 3  # owner, organiser, engineer; not the room
    assert got.loc["AAMk-declined", "response"] == "declined"
    assert got.loc["AAMk-focus", "category"] == "focus" and got.loc["AAMk-oof", "category"] == "ooo"
    assert got.loc["AAMk-research", "category"] == "strategy"
    assert got.loc["AAMk-allday", "all_day"] and got.loc["AAMk-allday", "start_utc"] == pd.Timestamp("2026-03-25 23:00")
    pages = graph.requests_to("/calendarView/delta")
    assert len(pages) == 5 and "startDateTime" in pages[0].params and "$skiptoken" in pages[1].params
    cursor = json.loads(runs(roster)["cursor"].iloc[0])[f"graph:{PM}"]
    assert "$deltatoken=" in cursor["delta_link"] and cursor["delta_link"].startswith(graph.api_url)
    assert graph.requests_to("/oauth2/v2.0/token")


def change(fake: GraphCalendarFake) -> None:
    fake.put(
        PM,
        graph_event(
            "AAMk-status-23",
            utc(24, 10),
            utc(24, 11),
            "Weekly status",
            attendees=("eng@example.com",),
            series_master_id="AAMk-status",
        ),
    )  # moved
    fake.delete(PM, "AAMk-status-30")
    fake.put(
        PM,
        graph_event(
            "AAMk-research", utc(24, 14), utc(24, 15), "User research", attendees=("ux@example.com",), show_as="free"
        ),
    )
    fake.put(PM, graph_event("AAMk-new", utc(25, 8), utc(25, 9), "Roadmap", attendees=("eng@example.com",)))
    fake.put(
        PM,
        graph_event(
            "AAMk-moved-away",
            datetime(2026, 6, 1, 9, tzinfo=UTC),
            datetime(2026, 6, 1, 10, tzinfo=UTC),
            "Later",
        ),
    )


def test_delta_then_410_and_full_resync_equal_one_full_sync(roster, graph, make_store):
    sync_calendars(roster, config(graph), today=TODAY, env=APP)
    change(graph)
    sync_calendars(roster, config(graph), today=TODAY, env=APP)
    followed = [r for r in graph.requests_to("/calendarView/delta") if "$deltatoken" in r.params]
    assert len(followed) == 1 and followed[0].status == 200
    pd.testing.assert_frame_equal(events(roster), fresh_full_sync(graph, make_store, "one"))
    assert {"AAMk-status-30", "AAMk-research"}.isdisjoint(events(roster)["event_uid"])

    graph.expire_delta_tokens()
    graph.delete(PM, "AAMk-declined")
    sync_calendars(roster, config(graph), today=TODAY, env=APP)
    assert [r.status for r in graph.requests_to("/calendarView/delta") if "$deltatoken" in r.params][-1] == 410
    pd.testing.assert_frame_equal(events(roster), fresh_full_sync(graph, make_store, "two"))


def test_without_incremental_calendar_view_is_read(roster, graph):
    sync_calendars(roster, config(graph, incremental=False), today=TODAY, env=APP)
    assert not graph.requests_to("/delta") and len(graph.requests_to("/calendarView")) == 5
    assert len(events(roster)) == 8


def test_a_refused_secret_quarantines_without_showing_it(roster, graph):
    result = sync_calendars(
        roster, config(graph), today=TODAY, env={**APP, "PRODOPS_GRAPH_CLIENT_SECRET": "wrong-s3cret"}
    )
    assert result.status == "failed"
    assert result.quarantined[0].error == "token request refused: HTTP 401 invalid_client"
    assert "s3cret" not in runs(roster).to_json(date_format="iso")


def test_a_throttled_page_is_retried(roster, graph):
    from connectors.retry import RetryPolicy

    waits = []
    original = graph.handle
    throttled = []

    def once_throttled(method, path, params, headers, body):
        if path.endswith("/delta") and not throttled:
            throttled.append(path)
            return 429, {"error": {"code": "TooManyRequests", "message": "slow down"}}, {"Retry-After": "1"}
        return original(method, path, params, headers, body)

    graph.handle = once_throttled
    policy = RetryPolicy(sleep=waits.append)
    assert sync_calendars(roster, config(graph), today=TODAY, env=APP, policy=policy).status == "success"
    assert throttled and waits == [1.0] and len(events(roster)) == 8


def test_start_of_week_later_moves_the_window(roster, graph):
    sync_calendars(roster, config(graph), today=TODAY, env=APP)
    sync_calendars(roster, config(graph), today=TODAY + timedelta(days=7), env=APP)
    initial = [r for r in graph.requests_to("/calendarView/delta") if "startDateTime" in r.params]
    assert [r.params["startDateTime"][0] for r in initial] == ["2026-02-01T23:00:00Z", "2026-02-08T23:00:00Z"]
