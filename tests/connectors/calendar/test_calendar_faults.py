"""Calendar syncs under faults, for every connector that talks HTTP (Google, Graph, an ICS feed).

Each fault either heals by retrying, or quarantines the calendar with a message naming the
source and the fault while its last good rows stay; either way, once the fault is gone, a
re-run leaves exactly the store that one clean run of the same calendars gives.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from connectors.calendar import sync_calendars
from connectors.retry import RetryPolicy
from dashboard.core.config import Settings
from tests.connectors.calendar.test_calendar_google import OAUTH, at
from tests.connectors.calendar.test_calendar_google import populate as populate_google
from tests.connectors.calendar.test_calendar_graph import APP, utc
from tests.connectors.calendar.test_calendar_graph import populate as populate_graph
from tests.connectors.calendar.test_calendar_ics import WEEKLY, calendar
from tests.connectors.calendar.test_calendar_sync import TODAY, runs, seed_roster
from tests.connectors.jira.test_jira_faults import Sleeps, assert_same, snapshot
from tests.fakes.faults import Fault
from tests.fakes.google_calendar import GoogleCalendarFake, JsonServer, fake_event
from tests.fakes.graph_calendar import GraphCalendarFake, graph_event
from tests.fakes.ics_feed import IcsFeedFake

PM = "pm@example.com"
TIMEOUT = 0.3
"""The timeout of the syncs that meet a slow answer; the others have time enough not to time out by chance."""
NEW_EVENT = """
UID:review-1
SUMMARY:Roadmap review
DTSTART;TZID=Europe/Berlin:20260325T140000
DTEND;TZID=Europe/Berlin:20260325T150000
ORGANIZER:mailto:pm@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:eng@example.com
"""


@dataclass
class Connector:
    """One calendar source behind its fake, and what a test needs to drive it."""

    name: str
    fake: JsonServer
    source: dict
    env: dict
    pages: str
    """A path fragment every data request has (not the token endpoint)."""
    change: Callable[[], None]
    """Change the calendar so that the next sync has something to do."""
    page_token: str | None = None

    def settings(self, timeout: float) -> Settings:
        calendar = {"history_days": 60, "timeout_seconds": timeout, **self.source}
        return Settings(org_timezone="Europe/Berlin", calendar=calendar)

    def sync(self, store, sleeps: Sleeps | None = None, timeout: float = 10.0):
        policy = RetryPolicy(max_retries=2, base_delay=0.01, sleep=sleeps if sleeps is not None else Sleeps())
        return sync_calendars(store, self.settings(timeout), today=TODAY, env=self.env, policy=policy)


def google(fake: GoogleCalendarFake) -> Connector:
    populate_google(fake)

    def change():
        fake.put(PM, fake_event("review", at(25, 14), at(25, 15), "Roadmap review", owner=PM))
        fake.cancel(PM, "steer")

    source = {"google": {"calendars": [PM], "api_url": fake.api_url, "token_url": fake.token_url}}
    return Connector("google", fake, source, OAUTH, "/events", change, "pageToken")


def graph(fake: GraphCalendarFake) -> Connector:
    populate_graph(fake)

    def change():
        fake.put(PM, graph_event("AAMk-review", utc(25, 13), utc(25, 14), "Roadmap review"))
        fake.delete(PM, "AAMk-declined")

    source = {"graph": {"users": [PM], "api_url": fake.api_url, "login_url": fake.login_url, "page_size": 2}}
    return Connector("graph", fake, source, APP, "/calendarView", change, "$skiptoken")


def ics_feed(fake: IcsFeedFake) -> Connector:
    fake.calendars["pm"] = calendar(WEEKLY).encode()

    def change():
        fake.calendars["pm"] = calendar(WEEKLY, NEW_EVENT).encode()

    source = {"ics": [{"location": fake.feed("pm"), "owner": PM}]}
    return Connector("ics", fake, source, {}, "/feeds/", change)


CONNECTORS = {
    "google": (lambda: GoogleCalendarFake(page_cap=3), google),
    "graph": (GraphCalendarFake, graph),
    "ics_feed": (IcsFeedFake, ics_feed),
}


def started(name: str):
    fake_of, connector_of = CONNECTORS[name]
    with fake_of() as fake:
        yield connector_of(fake)


@pytest.fixture(params=CONNECTORS)
def connector(request):
    yield from started(request.param)


@pytest.fixture(params=["google", "graph"])
def paged(request):
    """The connectors that page with a token the server can expire (an ICS feed is one document)."""
    yield from started(request.param)


def one_clean_run(connector: Connector, make_store) -> dict:
    """The data tables one clean sync of the calendars as they are now gives, in a store of its own."""
    clean = seed_roster(make_store("clean"))
    assert connector.sync(clean).status == "success"
    return snapshot(clean)


HEALED = {
    "429 with Retry-After": lambda c: Fault("status", path=c.pages, status=429, retry_after="0"),
    **{str(status): (lambda c, status=status: Fault("status", path=c.pages, status=status)) for status in (500, 502, 503, 504)},
    "connection reset": lambda c: Fault("reset", path=c.pages),
    "answer cut short": lambda c: Fault("cut", path=c.pages),
    "timeout": lambda c: Fault("slow", path=c.pages, delay=TIMEOUT * 3),
}


@pytest.mark.duckdb_only("retrying is the connector's, and what it then writes goes through the same store code as a "
                         "clean run's; the lasting faults below, which must leave the last good rows, run on both")
@pytest.mark.parametrize("fault", HEALED.values(), ids=HEALED.keys())
def test_a_passing_fault_is_retried_and_the_run_equals_a_clean_one(connector, fault, store, make_store):
    seed_roster(store)
    connector.sync(store)
    connector.change()
    injected = connector.fake.inject(fault(connector))
    sleeps = Sleeps()

    result = connector.sync(store, sleeps, timeout=TIMEOUT if injected.kind == "slow" else 10.0)

    assert injected.fired == 1 and result.status == "success" and not result.quarantined
    assert len(sleeps) == 1 and sleeps[0] in (0.0, 0.01)
    assert_same(snapshot(store), one_clean_run(connector, make_store))


FAILED = {
    "500 for ever": (lambda c: Fault("status", path=c.pages, status=500, times=None), r"HTTP 500.* after 2 retries"),
    "429 for ever": (lambda c: Fault("status", path=c.pages, status=429, retry_after="0", times=None), r"HTTP 429.* after 2 retries"),
    "503 for ever": (lambda c: Fault("status", path=c.pages, status=503, times=None), r"HTTP 503.* after 2 retries"),
    "resets": (lambda c: Fault("reset", path=c.pages, times=None), r"the connection failed \(ConnectionError\) after 2 retries"),
    "timeouts": (lambda c: Fault("slow", path=c.pages, delay=TIMEOUT * 3, times=None),
                 rf"no answer within {TIMEOUT:g} s \(\w*Timeout\) after 2 retries; see \[calendar\]\.timeout_seconds"),
    "broken JSON": (lambda c: Fault("broken_json", path=c.pages), None),
}
BROKEN = {"google": "the answer is not valid JSON", "graph": "the answer is not valid JSON", "ics": "no complete VCALENDAR"}


ONE_ON_EACH_STORE = pytest.mark.duckdb_only(
    "the first lasting fault shows that PostgreSQL keeps the last good rows too; the others differ only in the connector")


@pytest.mark.parametrize(("fault", "message"), [
    pytest.param(*case, id=name, marks=ONE_ON_EACH_STORE if index else ()) for index, (name, case) in enumerate(FAILED.items())
])
def test_a_lasting_fault_quarantines_the_calendar_and_keeps_its_last_good_rows(connector, fault, message, store, make_store):
    seed_roster(store)
    connector.sync(store)
    before = snapshot(store)
    connector.change()
    injected = connector.fake.inject(fault(connector))

    result = connector.sync(store, timeout=TIMEOUT if injected.kind == "slow" else 10.0)

    [quarantined] = result.quarantined
    assert result.status == "failed" and quarantined.source == connector.name
    assert re.search(message or BROKEN[connector.name], quarantined.error), quarantined.error
    assert_same(snapshot(store), before)
    recorded = runs(store)
    assert recorded["status"].tolist().count("quarantined") == 1
    assert (recorded.loc[recorded["status"] == "quarantined", "source"] == f"calendar:{connector.name}").all()

    connector.fake.clear()
    assert connector.sync(store).status == "success"
    assert_same(snapshot(store), one_clean_run(connector, make_store))


@pytest.mark.parametrize("times", [1, None], ids=["once", "every time"])
def test_an_expired_page_token_restarts_the_full_pull_once(paged, times, store, make_store):
    seed_roster(store)
    expired = paged.fake.inject(Fault("status", path=paged.pages, status=410, param=paged.page_token, times=times))

    result = paged.sync(store)

    if times == 1:
        assert expired.fired == 1 and result.status == "success"
        assert_same(snapshot(store), one_clean_run(paged, make_store))
    else:
        assert expired.fired == 2 and result.status == "failed"
        assert "expired twice in a row during a full sync (HTTP 410" in result.quarantined[0].error
        assert store.table("calendar_events").empty
