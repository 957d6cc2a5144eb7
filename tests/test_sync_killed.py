"""A sync killed with SIGKILL at random points, for Jira and every calendar source (Google, Microsoft
Graph, ICS feeds by URL), on either backend.

`python -m dashboard sync <source>` runs in a process of its own, as cron starts it, while
readers read in a loop; the test kills it when the fake has answered its Nth request (N drawn
from a seeded generator) or just after the last one, while it writes. Throughout, every read
sees the last good data or the next complete run, never an error or a mix; leftover lock files
and copies do not stop the next run; and a clean re-run gives exactly what one clean run gives.
"""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dashboard.core.store import Store
from dashboard.core.store.duckdb import DuckDBStore
from tests.conftest import ROOT
from tests.connectors.calendar.test_calendar_graph import APP
from tests.connectors.calendar.test_calendar_sync import PEOPLE, seed_roster
from tests.connectors.jira.test_jira_faults import DATA_TABLES, assert_same, snapshot
from tests.fakes.faults import Fault
from tests.fakes.google_calendar import GoogleCalendarFake, fake_event
from tests.fakes.graph_calendar import GraphCalendarFake, graph_event
from tests.fakes.ics_feed import IcsFeedFake
from tests.fakes.jira_server import JiraServer
from tests.fakes.jira_site import JiraSite, populate

KILLS = 5
"""Kills per sync source; the calendar sources after Google share its code path past the fetch, and
take `kills = 3` to keep the file's runtime in CI reasonable."""
READERS = 2
PM = "pm@example.com"


class JiraSource:
    name = "jira"

    def __init__(self):
        site = JiraSite("cloud")
        populate(site, issues=200, versions=8)
        self.fake = JiraServer(site, search_cap=25)

    def config(self) -> str:
        server = self.fake
        projects = ", ".join(f'"{p}"' for p in sorted(server.site.projects))
        return f'[jira]\nurl = "{server.url}"\nemail = "{server.email}"\nprojects = [{projects}]\nmax_retries = 0\n'

    def env(self) -> dict:
        return {"JIRA_API_TOKEN": self.fake.token}

    def prepare(self, store: Store) -> None:
        return None

    def change(self) -> None:
        site = self.fake.site
        site.tick(60)
        for issue in [issue for issue in site.issues.values() if issue.status != "Done"][:30]:
            site.transition(issue.key, "Done")
        for n in range(20):
            site.add_issue("APP", site.tick(1), summary=f"new {n}")


def recent_monday() -> datetime:
    """09:00 UTC on the Monday three weeks back: inside every calendar's 40-day history."""
    now = datetime.now(UTC)
    return (now - timedelta(days=now.weekday() + 21)).replace(hour=9, minute=0, second=0, microsecond=0)


class CalendarApiSource:
    """One PM's calendar behind a calendar API's fake: 150 meetings, then 40 more and one gone."""

    name = "calendar"

    def __init__(self, fake):
        self.fake = fake
        self.monday = recent_monday()
        self.added = 0

    def prepare(self, store: Store) -> None:
        seed_roster(store)
        self.add(150)

    def add(self, count: int) -> None:
        for _ in range(count):
            start = self.monday + timedelta(days=self.added % 20, hours=self.added % 7)
            self.fake.put(PM, self.event(self.added, start, start + timedelta(minutes=30)))
            self.added += 1

    def change(self) -> None:
        self.add(40)
        self.remove(3)


class GoogleSource(CalendarApiSource):
    def __init__(self):
        super().__init__(GoogleCalendarFake(page_cap=10))

    def config(self) -> str:
        fake = self.fake
        return (f'[calendar]\nhistory_days = 40\nmax_retries = 0\n[calendar.google]\ncalendars = ["{PM}"]\n'
                f'api_url = "{fake.api_url}"\ntoken_url = "{fake.token_url}"\n')

    def env(self) -> dict:
        return {"PRODOPS_GOOGLE_ACCESS_TOKEN": self.fake.access_token}

    def event(self, n: int, start: datetime, end: datetime) -> dict:
        return fake_event(f"e{n}", start, end, f"Meeting {n}", owner=PM, attendees=("eng@example.com",))

    def remove(self, n: int) -> None:
        self.fake.cancel(PM, f"e{n}")


class GraphSource(CalendarApiSource):
    """Microsoft Graph: a full calendarView pull page by page, then delta pages."""

    kills = 3

    def __init__(self):
        super().__init__(GraphCalendarFake(page_cap=10))

    def config(self) -> str:
        fake = self.fake
        return (f'[calendar]\nhistory_days = 40\nmax_retries = 0\n[calendar.graph]\nusers = ["{PM}"]\n'
                f'api_url = "{fake.api_url}"\nlogin_url = "{fake.login_url}"\npage_size = 10\n')

    def env(self) -> dict:
        return dict(APP)

    def event(self, n: int, start: datetime, end: datetime) -> dict:
        return graph_event(f"AAMk-{n}", start, end, f"Meeting {n}", attendees=(PM, "eng@example.com"),
                           organizer="lead@example.com")

    def remove(self, n: int) -> None:
        self.fake.delete(PM, f"AAMk-{n}")


class IcsFeedSource:
    """ICS feeds by URL, one per PM: each run fetches every feed whole and replaces its rows."""

    name = "calendar"
    kills = 3
    OWNERS = tuple(PEOPLE["email"])

    def __init__(self):
        self.fake = IcsFeedFake()
        self.monday = recent_monday()
        self.events: dict[str, list[str]] = {owner: [] for owner in self.OWNERS}

    def config(self) -> str:
        feeds = "".join(f'[[calendar.ics]]\nlocation = "{self.fake.feed(owner.split("@")[0])}"\nowner = "{owner}"\n'
                        for owner in self.OWNERS)
        return f"[calendar]\nhistory_days = 40\nmax_retries = 0\n{feeds}"

    def env(self) -> dict:
        return {}

    def prepare(self, store: Store) -> None:
        seed_roster(store)
        self.add(150)

    def add(self, count: int) -> None:
        for owner, events in self.events.items():
            for _ in range(count):
                n = len(events)
                start = self.monday + timedelta(days=n % 20, hours=n % 7)
                events.append(
                    f"BEGIN:VEVENT\r\nUID:{owner}-{n}\r\nSUMMARY:Meeting {n}\r\n"
                    f"DTSTART:{start:%Y%m%dT%H%M%SZ}\r\nDTEND:{start + timedelta(minutes=30):%Y%m%dT%H%M%SZ}\r\n"
                    f"ORGANIZER:mailto:lead@example.com\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:{owner}\r\n"
                    f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:eng@example.com\r\nEND:VEVENT\r\n"
                )
        self.publish()

    def publish(self) -> None:
        for owner, events in self.events.items():
            body = "".join(event for event in events if event)
            self.fake.calendars[owner.split("@")[0]] = (
                f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}END:VCALENDAR\r\n".encode())

    def change(self) -> None:
        self.events[PM][3] = ""  # cancelled: gone from the feed
        self.add(40)


@pytest.fixture(params=[JiraSource, GoogleSource, GraphSource, IcsFeedSource], ids=["jira", "google", "graph", "ics_feed"])
def source(request):
    made = request.param()
    with made.fake:
        yield made


def start_sync(tmp_path: Path, db: str, source) -> subprocess.Popen:
    config = tmp_path / "prodops.toml"
    config.write_text(source.config())
    env = {**os.environ, "PRODOPS_DB": db, "PRODOPS_CONFIG": str(config), **source.env()}
    env.pop("PRODOPS_SYNC_WAIT", None)
    return subprocess.Popen([sys.executable, "-m", "dashboard", "sync", source.name], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen) -> tuple[int, str]:
    _, err = process.communicate(timeout=300)
    return process.returncode, err


def state(store: Store) -> tuple:
    """Row counts of every data table and the number of good runs, read in one reader."""
    with store.reader() as con:
        counts = tuple(con.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in DATA_TABLES)
        good = con.execute("SELECT count(*) FROM sync_runs WHERE status IN ('success', 'partial')").fetchone()[0]
    return (*counts, good)


def kill_when(process: subprocess.Popen, log: list, requests: int, delay: float) -> bool:
    """SIGKILL the sync once the fake has logged `requests` requests, `delay` seconds later.

    False when the sync finished first (it then published a whole run).
    """
    while len(log) < requests and process.poll() is None:
        time.sleep(0.005)
    time.sleep(delay)
    if process.poll() is not None:
        return False
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    return True


def requests_of_a_run(tmp_path: Path, databases, db: str, source) -> int:
    """How many requests the next sync makes, found by running it on a copy of the store."""
    source.fake.log.clear()
    code, err = finish(start_sync(tmp_path, databases.copy(db, tmp_path, "probe"), source))
    assert code == 0, err
    return len(source.fake.log)


def test_a_sync_killed_anywhere_leaves_the_last_good_data_and_a_re_run_equals_one_clean_run(
    tmp_path, db_location, databases, make_store, source
):
    db = db_location("db")
    store = Store(db)
    source.prepare(store)
    code, err = finish(start_sync(tmp_path, db, source))
    assert code == 0, err
    good = [state(store)]
    source.change()
    requests_per_run = requests_of_a_run(tmp_path, databases, db, source)
    source.fake.inject(Fault("slow", path="/", delay=0.02, times=None))  # stretch the run so a kill lands inside it

    seen: list[tuple] = []
    errors: list[str] = []
    stop = threading.Event()

    def read() -> None:
        reader = Store(db)
        while not stop.is_set():
            try:
                seen.append(state(reader))
            except Exception as error:  # noqa: BLE001  (what the test is looking for)
                errors.append(f"{type(error).__name__}: {error}")

    rng = random.Random(20261126)
    kills = getattr(source, "kills", KILLS)
    points = [(rng.randint(1, requests_per_run), rng.uniform(0.0, 0.05)) for _ in range(kills - 1)]
    points.append((requests_per_run, rng.uniform(0.05, 0.4)))  # after the last answer: while it writes
    readers = [threading.Thread(target=read) for _ in range(READERS)]
    for reader in readers:
        reader.start()
    killed = 0
    try:
        for requests, delay in points:
            source.fake.log.clear()
            killed += kill_when(start_sync(tmp_path, db, source), source.fake.log, requests, delay)
            now = state(store)
            if now not in good:
                good.append(now)  # the sync finished before the kill: a whole run, published
            assert now == good[-1]
        code, err = finish(start_sync(tmp_path, db, source))
        assert code == 0, err
        time.sleep(0.3)
    finally:
        stop.set()
        for reader in readers:
            reader.join(60)

    assert killed >= kills - 1, f"only {killed} of {kills} syncs were killed before they finished"
    assert not errors, errors[:3]
    assert set(seen) <= set(good) | {state(store)}, sorted(set(seen) - set(good))[:3]
    assert seen.count(good[0]) > 0

    source.fake.clear()
    once = make_store("once")
    if source.name == "calendar":
        seed_roster(once)
    code, err = finish(start_sync(tmp_path, once.url, source))
    assert code == 0, err
    assert_same(snapshot(store), snapshot(once), ignore={"release_plans": ["observed_at"]})


@pytest.mark.duckdb_only("the leftovers are the DuckDB store's own files")
def test_leftovers_of_a_killed_duckdb_writer_do_not_block_the_next_write(tmp_path):
    store = DuckDBStore(tmp_path / "db.duckdb")
    seed_roster(store)
    before = store.table("people")
    for suffix in (".tmp", ".lock", ".sync-jira.lock"):
        (tmp_path / f"db.duckdb{suffix}").write_bytes(b"pid 4242 on a host that died, since 2026-11-26\n\x00junk")
    (tmp_path / "db.duckdb.tmp.wal").write_bytes(b"\x00" * 64)

    with store.sync_lock("jira"), store.transaction() as tx:
        tx.execute("DELETE FROM people WHERE person_id = 'p2'")

    assert store.table("people")["person_id"].tolist() == ["p1"] and len(before) == 2
    assert not (tmp_path / "db.duckdb.tmp").exists() and not (tmp_path / "db.duckdb.tmp.wal").exists()
