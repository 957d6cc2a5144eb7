"""The command line, run as a user runs it: a separate process on the demo organisation."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from dashboard.metrics import METRICS
from tests.conftest import DEMO_TODAY, ROOT


def run(*args: str, env_db) -> subprocess.CompletedProcess:
    env = {**os.environ, "PRODOPS_DB": str(env_db), "PRODOPS_TODAY": DEMO_TODAY.isoformat()}
    env.pop("PRODOPS_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "dashboard", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_quarterly_org_metrics_have_eight_quarters_of_values_and_are_repeatable(demo_db):
    first = run("metrics", "--grain", "quarter", "--scope", "org", "--format", "csv", env_db=demo_db)
    assert first.returncode == 0, first.stderr
    series = pd.read_csv(io.StringIO(first.stdout))
    assert list(series.columns) == ["metric_id", "period_start", "grain", "scope", "scope_id", "value", "n"]
    assert set(series["metric_id"]) == set(METRICS)
    for metric_id, rows in series.groupby("metric_id"):
        assert rows["period_start"].nunique() == 8, metric_id
        assert rows["value"].notna().sum() == 8, f"{metric_id} lacks values: {rows}"
    second = run("metrics", "--grain", "quarter", "--scope", "org", "--format", "csv", env_db=demo_db)
    assert second.stdout == first.stdout


def test_json_by_team_per_month(demo_db):
    result = run("metrics", "--grain", "month", "--scope", "team", "--format", "json", "--metric", "release_count", env_db=demo_db)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {row["metric_id"] for row in rows} == {"release_count"}
    assert len({row["scope_id"] for row in rows}) == 24


def test_the_demo_command_rebuilds_and_the_numbers_do_not_change(db_location, demo_db):
    fresh = db_location("again")
    built = run("demo", "--today", DEMO_TODAY.isoformat(), env_db=fresh)
    assert built.returncode == 0, built.stderr
    assert "demo organisation written" in built.stderr
    ours = run("metrics", "--scope", "group", env_db=fresh).stdout
    assert ours == run("metrics", "--scope", "group", env_db=demo_db).stdout


def test_errors_are_one_clear_line(tmp_path, db_location):
    none = db_location("none", create=False)
    missing = run("metrics", env_db=none)
    assert missing.returncode == 2 and "python -m dashboard demo" in missing.stderr and "Traceback" not in missing.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text("[privacy]\nmin_group_size = 1\n")
    config = run("--config", str(bad), "metrics", env_db=none)
    assert config.returncode == 2 and "privacy.min_group_size" in config.stderr
    unknown = run("metrics", "--metric", "nope", env_db=none)
    assert unknown.returncode == 2 and "unknown metric id" in unknown.stderr


@pytest.mark.duckdb_only("serve builds the demo into a DuckDB file on first run")
def test_serve_answers_health_at_once_and_builds_the_demo_beside_it(tmp_path):
    """The README's first command on a machine with no data: the server is up while the demo builds."""
    import socket
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    db = tmp_path / "data" / "prodops.duckdb"
    env = {**os.environ, "PRODOPS_DB": str(db), "PRODOPS_TODAY": DEMO_TODAY.isoformat()}
    env.pop("PRODOPS_CONFIG", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "dashboard", "serve", "--port", str(port), "--address", "127.0.0.1"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        health = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and health != "ok":
            try:
                health = urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read().decode()
            except OSError:
                time.sleep(0.5)
        assert health == "ok", "the server did not answer its health check within 60 s of the start"
        marker = db.with_name(db.name + ".building")
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and (marker.exists() or not db.exists()):
            time.sleep(1)
        assert db.exists() and not marker.exists(), "the background demo build did not finish"
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
