"""`python -m dashboard sync`, run as cron would run it: a process, its exit code and its log lines."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from dashboard.core.store import Store
from tests.conftest import ROOT
from tests.fakes.faults import Fault
from tests.fakes.jira_server import JiraServer
from tests.fakes.jira_site import JiraSite, populate


@pytest.fixture()
def jira():
    site = JiraSite("cloud")
    populate(site, issues=300, versions=10)
    with JiraServer(site) as server:
        yield server


def sync(tmp_path, db: str, server: JiraServer, *source: str, token: str | None = None) -> tuple[subprocess.CompletedProcess, list[dict]]:
    config = tmp_path / "prodops.toml"
    projects = ", ".join(f'"{p}"' for p in sorted(server.site.projects))
    config.write_text(f'[jira]\nurl = "{server.url}"\nemail = "{server.email}"\nprojects = [{projects}]\nmax_retries = 0\n')
    env = {**os.environ, "PRODOPS_DB": db, "PRODOPS_CONFIG": str(config), "JIRA_API_TOKEN": token or server.token}
    done = subprocess.run([sys.executable, "-m", "dashboard", "sync", *source], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    return done, lines


def test_a_scheduled_sync_exits_zero_and_logs_one_line_per_source(tmp_path, db_location, jira):
    db = db_location("db")
    done, lines = sync(tmp_path, db, jira, "all")
    assert done.returncode == 0, done.stderr
    assert [line["source"] for line in lines] == ["jira"]
    assert lines[0]["status"] == "success" and lines[0]["rows"] > 300 and "full sync" in lines[0]["detail"]
    again, lines = sync(tmp_path, db, jira, "jira")
    assert again.returncode == 0 and "incremental sync" in lines[0]["detail"]
    assert jira.token not in done.stderr + again.stderr


def test_pointing_at_another_jira_says_the_sync_reads_everything_again(tmp_path, db_location, jira):
    db = db_location("db")
    sync(tmp_path, db, jira, "jira")
    other = JiraSite("cloud")
    populate(other, issues=20, versions=2)
    with JiraServer(other) as moved:
        done, lines = sync(tmp_path, db, moved, "jira")
    assert done.returncode == 0 and lines[0]["detail"].startswith("full (the [jira] url or scope changed since the last sync")


def test_a_failed_sync_exits_one_and_keeps_the_last_good_data(tmp_path, db_location, jira):
    db = db_location("db")
    sync(tmp_path, db, jira, "jira")
    store = Store(db)
    before = store.table("work_items").sort_values("item_id").reset_index(drop=True)
    jira.inject(Fault("status", path="/versions", status=500, times=None))
    done, lines = sync(tmp_path, db, jira, "jira")
    assert done.returncode == 1
    assert lines[0]["status"] == "failed" and "500" in lines[0]["detail"]
    assert store.table("work_items").sort_values("item_id").reset_index(drop=True).equals(before)
    runs = store.table("sync_runs").sort_values("started_at")
    assert runs["status"].tolist() == ["success", "failed"]


def test_refused_credentials_name_the_setting_not_the_token(tmp_path, db_location, jira):
    done, lines = sync(tmp_path, db_location("db"), jira, "jira", token="wrong-token-000000000000")
    assert done.returncode == 1
    assert "JIRA_API_TOKEN" in lines[0]["detail"] and "wrong-token" not in done.stderr


def test_nothing_configured_is_a_clear_error(tmp_path, db_location):
    env = {**os.environ, "PRODOPS_DB": db_location("db"), "PRODOPS_CONFIG": str(tmp_path / "none.toml")}
    (tmp_path / "none.toml").write_text("")
    done = subprocess.run([sys.executable, "-m", "dashboard", "sync", "all"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 2 and "no source is configured" in done.stderr
