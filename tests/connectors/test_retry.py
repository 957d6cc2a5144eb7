"""docs/deployment.md's retry and exit-code tables, a test per row, against the fake Jira.

The calendars go through the same `connectors/retry.py`; tests/connectors/calendar/test_calendar_faults.py runs the
same faults through Google, Graph and an ICS feed.
"""
from __future__ import annotations

import re
import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from connectors.jira import JiraSyncError, sync_jira
from connectors.retry import RetryPolicy
from dashboard import cli
from dashboard.core.config import JiraSource, Settings
from dashboard.core.store import Store
from tests.connectors.calendar.test_calendar_ics import WEEKLY, calendar
from tests.connectors.calendar.test_calendar_sync import seed_roster
from tests.connectors.jira.test_jira_faults import Sleeps, assert_same, snapshot, sync
from tests.fakes.faults import Fault
from tests.fakes.jira_server import JiraServer, jira_settings
from tests.fakes.jira_site import JiraSite, populate

DOCS = Path(__file__).resolve().parents[2] / "docs" / "deployment.md"
BASE = 0.01
"""The tests' base delay: the policy's waits are recorded, not slept."""


@pytest.fixture()
def cloud():
    site = JiraSite("cloud")
    populate(site, issues=60, versions=4)
    with JiraServer(site, search_cap=50) as server:
        yield server


HEALED = {
    "HTTP 429": Fault("status", path="/search", status=429),
    **{f"HTTP {status}": Fault("status", path="/search", status=status) for status in (500, 502, 503, 504)},
    "connection reset": Fault("reset", path="/search"),
    "timeout": Fault("slow", path="/search", delay=1.0),
    "answer cut short": Fault("cut", path="/search"),
}


@pytest.mark.parametrize("fault", HEALED.values(), ids=HEALED.keys())
def test_a_passing_fault_is_retried_with_backoff_and_the_run_equals_a_clean_one(cloud, store, make_store, fault):
    cloud.inject(Fault(fault.kind, path=fault.path, status=fault.status, delay=fault.delay, skip=1, times=2))
    sleeps = Sleeps()
    result = sync(cloud, store, sleeps, timeout_seconds=0.5 if fault.kind == "slow" else 10)
    assert sleeps == [BASE, 2 * BASE], "two faults, two waits: 1x then 2x the base delay"
    assert result.issues == 60
    clean = make_store("clean")
    sync(cloud, clean)
    assert_same(snapshot(store), snapshot(clean), ignore={"release_plans": ["observed_at"]})


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured_in_seconds_or_as_a_date_and_capped(cloud, store, status):
    later = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    for retry_after in ("0", "2.5", "Wed, 21 Oct 2015 07:28:00 GMT", later, "soon"):
        cloud.inject(Fault("status", path="/field", status=status, retry_after=retry_after))
    sleeps = Sleeps()
    policy = RetryPolicy(max_retries=5, base_delay=BASE, max_delay=60, sleep=sleeps)
    sync_jira(store, jira_settings(cloud), token=cloud.token, retry=policy)
    assert sleeps == [0.0, 2.5, 0.0, 60.0, BASE * 2 ** 4], "seconds, a past date (now), a far date (the cap), garbage (backoff)"


def test_a_refused_connection_is_retried_and_then_named(store):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens there once the socket is closed
    settings = Settings(jira=JiraSource(url=f"http://127.0.0.1:{port}", email="ops@example.com", projects=["APP"]))
    sleeps = Sleeps()
    with pytest.raises(JiraSyncError, match=r"the connection to Jira at .* failed while reading serverInfo .*\(after 2 retries\): .*[Rr]efused"):
        sync_jira(store, settings, token="not-a-real-token-8c1f", retry=RetryPolicy(max_retries=2, base_delay=BASE, sleep=sleeps))
    assert sleeps == [BASE, 2 * BASE]


NOT_RETRIED = {
    401: r"refused the credentials \(HTTP 401",
    403: r"refused the credentials \(HTTP 403",
    404: r"Jira found nothing \(HTTP 404\) while reading the versions of project .*: Not found\.; check \[jira\]\.url",
}


@pytest.mark.parametrize(("status", "message"), NOT_RETRIED.items(), ids=[str(s) for s in NOT_RETRIED])
def test_a_final_status_fails_at_once_with_a_clear_message(cloud, store, status, message):
    fault = cloud.inject(Fault("status", path="/versions", status=status, times=None))
    sleeps = Sleeps()
    with pytest.raises(JiraSyncError, match=message):
        sync(cloud, store, sleeps)
    assert sleeps == [] and fault.fired == 1


def write_config(tmp_path, server: JiraServer | None, monkeypatch, db: str, retries: int = 2) -> None:
    config = tmp_path / "prodops.toml"
    if server is None:
        config.write_text('[calendar]\nmax_retries = 1\n')
    else:
        projects = ", ".join(f'"{p}"' for p in sorted(server.site.projects))
        config.write_text(f'[jira]\nurl = "{server.url}"\nemail = "{server.email}"\nprojects = [{projects}]\nmax_retries = {retries}\n')
        monkeypatch.setenv("JIRA_API_TOKEN", server.token)
    monkeypatch.setenv("PRODOPS_CONFIG", str(config))
    monkeypatch.setenv("PRODOPS_DB", db)
    monkeypatch.delenv("PRODOPS_SYNC_WAIT", raising=False)


def test_exit_0_when_every_source_synced(cloud, db_location, tmp_path, monkeypatch):
    write_config(tmp_path, cloud, monkeypatch, db_location("db"))
    assert cli.main(["sync", "all"]) == 0


def test_exit_1_when_retries_run_out_and_the_stored_data_is_unchanged(cloud, db_location, tmp_path, monkeypatch, capsys):
    db = db_location("db")
    write_config(tmp_path, cloud, monkeypatch, db)
    assert cli.main(["sync", "jira"]) == 0
    store = Store(db)
    before = snapshot(store)
    cloud.site.transition("APP-1", "Done")
    fault = cloud.inject(Fault("status", path="/search", status=503, retry_after="0", times=None))
    assert cli.main(["sync", "jira"]) == 1
    assert fault.fired == 3, "the first try and [jira].max_retries = 2 retries"
    assert re.search(r"Jira answered HTTP 503 after 2 retries while searching issues", capsys.readouterr().err)
    assert_same(snapshot(store), before)
    assert store.table("sync_runs")["status"].tolist().count("failed") == 1


@pytest.mark.parametrize("source", ["jira", "calendar"])
def test_exit_2_when_the_named_source_has_no_section(db_location, tmp_path, monkeypatch, capsys, source):
    write_config(tmp_path, None, monkeypatch, db_location("db"))
    assert cli.main(["sync", source]) == 2
    assert f"{source} is not configured: add [" in capsys.readouterr().err


def test_exit_2_when_nothing_is_configured(db_location, tmp_path, monkeypatch, capsys):
    write_config(tmp_path, None, monkeypatch, db_location("db"))
    assert cli.main(["sync", "all"]) == 2
    assert "no source is configured" in capsys.readouterr().err


def test_exit_2_on_bad_configuration(db_location, tmp_path, monkeypatch, capsys):
    write_config(tmp_path, None, monkeypatch, db_location("db"))
    (tmp_path / "prodops.toml").write_text("[jira]\nurl = 3\n")
    assert cli.main(["sync", "jira"]) == 2
    assert "jira.url" in capsys.readouterr().err


def test_exit_3_when_a_calendar_is_quarantined(db_location, tmp_path, monkeypatch):
    db = db_location("db")
    write_config(tmp_path, None, monkeypatch, db)
    seed_roster(Store(db))
    (tmp_path / "pm.ics").write_text(calendar(WEEKLY))
    (tmp_path / "prodops.toml").write_text(
        f'[[calendar.ics]]\nlocation = "{tmp_path / "pm.ics"}"\nowner = "pm@example.com"\n'
        f'[[calendar.ics]]\nlocation = "{tmp_path / "missing.ics"}"\nowner = "pm2@example.com"\n'
    )
    assert cli.main(["sync", "calendar"]) == 3


def test_exit_75_when_another_sync_of_the_source_holds_its_lock(cloud, db_location, tmp_path, monkeypatch, capsys):
    db = db_location("db")
    write_config(tmp_path, cloud, monkeypatch, db)
    with Store(db).sync_lock("jira"):
        assert cli.main(["sync", "jira"]) == 75
    assert "another sync of jira is running" in capsys.readouterr().err


def test_the_docs_promise_what_the_code_does():
    """The retry table names each status the policy retries, and the exit-code table each code."""
    from connectors.retry import RETRY_STATUSES
    from dashboard.sync import EXIT_CODES

    page = DOCS.read_text()
    retry_table = page[page.index("| fault |"):page.index("\n\n", page.index("| fault |"))]
    retried = {int(code) for row in retry_table.splitlines() if "| retried" in row for code in re.findall(r"\b(\d{3})\b", row)}
    assert retried == set(RETRY_STATUSES)
    codes = {int(code) for code in re.findall(r"^\| (\d+) \|", page, re.MULTILINE)}
    assert codes == set(EXIT_CODES.values()) | {2}
