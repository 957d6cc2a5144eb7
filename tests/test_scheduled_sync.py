"""A scheduled sync beside a running dashboard, on either backend: `python -m dashboard sync` in
a process of its own while readers read in a loop, and two syncs of one source started at once."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest

from dashboard.core.store import Store
from tests.conftest import ROOT
from tests.connectors.jira.test_jira_faults import assert_same, snapshot
from tests.fakes.faults import Fault
from tests.fakes.jira_server import JiraServer
from tests.fakes.jira_site import JiraSite, populate

BUSY_EXIT = 75
READERS = 3


@pytest.fixture()
def jira():
    site = JiraSite("cloud")
    populate(site, issues=300, versions=10)
    with JiraServer(site, search_cap=50) as server:
        yield server


def start_sync(tmp_path, db: str, server: JiraServer, *args: str) -> subprocess.Popen:
    """`python -m dashboard sync jira`, started as cron would start it."""
    config = tmp_path / "prodops.toml"
    projects = ", ".join(f'"{p}"' for p in sorted(server.site.projects))
    config.write_text(f'[jira]\nurl = "{server.url}"\nemail = "{server.email}"\nprojects = [{projects}]\nmax_retries = 0\n')
    env = {**os.environ, "PRODOPS_DB": db, "PRODOPS_CONFIG": str(config), "JIRA_API_TOKEN": server.token}
    env.pop("PRODOPS_SYNC_WAIT", None)
    return subprocess.Popen([sys.executable, "-m", "dashboard", "sync", "jira", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen) -> tuple[int, str, list[dict]]:
    _, err = process.communicate(timeout=300)
    return process.returncode, err, [json.loads(line) for line in err.splitlines() if line.startswith("{")]


def state(store: Store) -> tuple:
    """What one dashboard read sees (as `dashboard.metrics.load_tables` reads, in one reader),
    reduced to the numbers a half-written sync would get wrong."""
    with store.reader() as con:
        items = con.execute("SELECT * FROM work_items").df()
        transitions = con.execute("SELECT * FROM work_item_transitions").df()
        releases = con.execute("SELECT * FROM releases").df()
        plans = con.execute("SELECT * FROM release_plans").df()
        runs = con.execute("SELECT count(*) FROM sync_runs WHERE status = 'success'").fetchone()[0]
    done = int((items["status"] == "Done").sum()) if len(items) else 0
    return len(items), done, len(transitions), len(releases), len(plans), int(runs)


def test_readers_see_the_old_data_or_the_new_never_a_mix_or_an_error(tmp_path, db_location, jira):
    db = db_location("db")
    code, err, _ = finish(start_sync(tmp_path, db, jira))
    assert code == 0, err
    before = state(Store(db))
    site = jira.site
    site.tick(60)
    for issue in [issue for issue in site.issues.values() if issue.status != "Done"][:40]:
        site.transition(issue.key, "Done")
    for n in range(25):
        site.add_issue("APP", site.tick(1), summary=f"new {n}")
    jira.inject(Fault("slow", path="/search", delay=0.2, times=None))

    seen: list[tuple] = []
    errors: list[str] = []
    stop = threading.Event()

    def read() -> None:
        store = Store(db)
        while not stop.is_set():
            try:
                seen.append(state(store))
            except Exception as error:  # noqa: BLE001  (what the test is looking for)
                errors.append(f"{type(error).__name__}: {error}")

    readers = [threading.Thread(target=read) for _ in range(READERS)]
    for reader in readers:
        reader.start()
    try:
        code, err, lines = finish(start_sync(tmp_path, db, jira))
        time.sleep(0.5)
    finally:
        stop.set()
        for reader in readers:
            reader.join(60)
    assert code == 0 and lines[0]["status"] == "success", err
    after = state(Store(db))
    assert after != before and after[0] == before[0] + 25 and after[-1] == before[-1] + 1
    assert not errors, errors[:3]
    assert set(seen) <= {before, after}, sorted(set(seen) - {before, after})[:3]
    assert seen.count(before) > 0 and seen[-READERS:] == [after] * READERS


def test_two_syncs_of_one_source_at_once_one_runs_and_the_other_says_so(tmp_path, db_location, make_store, jira):
    db = db_location("db")
    jira.inject(Fault("slow", path="/search", delay=0.3, times=None))
    first = start_sync(tmp_path, db, jira)
    second = start_sync(tmp_path, db, jira)
    results = sorted([finish(first), finish(second)], key=lambda result: result[0])
    (ran, ran_err, _), (busy, busy_err, busy_lines) = results
    assert (ran, busy) == (0, BUSY_EXIT), ran_err + busy_err
    assert busy_lines[0]["status"] == "busy" and busy_lines[0]["rows"] == 0
    assert "another sync of jira is running (pid" in busy_lines[0]["detail"]
    store = Store(db)
    assert store.table("sync_runs")["status"].tolist() == ["success"]

    once = make_store("once")
    code, err, _ = finish(start_sync(tmp_path, once.url, jira))
    assert code == 0, err
    assert_same(snapshot(store), snapshot(once), ignore={"release_plans": ["observed_at"]})


def test_syncs_that_may_wait_take_turns(tmp_path, db_location, jira):
    db = db_location("db")
    jira.inject(Fault("slow", path="/search", delay=0.2, times=None))
    syncs = [start_sync(tmp_path, db, jira, "--wait", "240") for _ in range(2)]
    results = [finish(process) for process in syncs]
    assert [code for code, _, _ in results] == [0, 0], [err for _, err, _ in results]
    runs = Store(db).table("sync_runs").sort_values("started_at", ignore_index=True)
    assert runs["status"].tolist() == ["success", "success"]
    assert runs.loc[1, "started_at"] >= runs.loc[0, "finished_at"]
    details = sorted(lines[0]["detail"] for _, _, lines in results)
    assert details[0].startswith("full sync") and details[1].startswith("incremental sync")


def test_the_exit_code_says_the_worst_outcome():
    from dashboard.sync import BUSY, FAILED, OK, PARTIAL, Outcome, exit_code

    def outcomes(*statuses):
        return [Outcome("jira", status, 0, 0.0) for status in statuses]

    assert exit_code(outcomes(OK, BUSY)) == BUSY_EXIT
    assert exit_code(outcomes(BUSY, PARTIAL)) == 3
    assert exit_code(outcomes(PARTIAL, FAILED, BUSY)) == 1
    assert exit_code(outcomes(OK)) == 0
