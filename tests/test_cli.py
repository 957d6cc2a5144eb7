"""The command line, run as a user runs it: a separate process on the demo organisation."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pandas as pd

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


def test_the_demo_command_rebuilds_and_the_numbers_do_not_change(tmp_path, demo_db):
    fresh = tmp_path / "again.duckdb"
    built = run("demo", "--today", DEMO_TODAY.isoformat(), env_db=fresh)
    assert built.returncode == 0, built.stderr
    assert "demo organisation written" in built.stderr
    ours = run("metrics", "--scope", "group", env_db=fresh).stdout
    assert ours == run("metrics", "--scope", "group", env_db=demo_db).stdout


def test_errors_are_one_clear_line(tmp_path):
    missing = run("metrics", env_db=tmp_path / "none.duckdb")
    assert missing.returncode == 2 and "python -m dashboard demo" in missing.stderr and "Traceback" not in missing.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text("[privacy]\nmin_group_size = 1\n")
    config = run("--config", str(bad), "metrics", env_db=tmp_path / "none.duckdb")
    assert config.returncode == 2 and "privacy.min_group_size" in config.stderr
    unknown = run("metrics", "--metric", "nope", env_db=tmp_path / "none.duckdb")
    assert unknown.returncode == 2 and "unknown metric id" in unknown.stderr
