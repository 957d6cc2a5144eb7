"""The command line, run as a user runs it: a separate process on the demo organisation."""
from __future__ import annotations

import io
import json
import os
import re
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


DEMO_QUARTERS_SHOWN = {
    # Product ops is founded in Q3 2025: no training, no product-ops people before it.
    "enablement_hours_per_pm": 6, "enablement_reach": 5, "pms_per_prodops": 6,
    "prodops_coordination_share": 7, "prodops_focus_hours": 7, "prodops_time_with_pms_share": 7,
    "prodops_time_with_operations_share": 7,
    # Its first tickets, opened in its last days of June, are resolved in July.
    "prodops_systems_work_share": 6,
    # Too few PMs join in any quarter to show a median over them (issue 21 leaves the demo's joiners to grow).
    "new_pm_days_to_first_checkin": 0, "new_pm_days_to_first_release": 0,
    # A figure of each product group product ops meets: the organisation has none.
    "prodops_time_with_group_share": 0,
}
"""Of the demo's eight quarters, how many show a value where not all of them do, and why."""


def test_quarterly_org_metrics_have_eight_quarters_of_values_and_are_repeatable(demo_db):
    first = run("metrics", "--grain", "quarter", "--scope", "org", "--format", "csv", env_db=demo_db)
    assert first.returncode == 0, first.stderr
    series = pd.read_csv(io.StringIO(first.stdout))
    assert list(series.columns) == ["metric_id", "period_start", "grain", "scope", "scope_id", "value", "n"]
    assert set(series["metric_id"]) == set(METRICS)
    for metric_id, rows in series.groupby("metric_id"):
        assert rows["period_start"].nunique() == 8, metric_id
        assert rows["value"].notna().sum() == DEMO_QUARTERS_SHOWN.get(metric_id, 8), f"{metric_id}: {rows}"
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
    started = re.findall(r"^demo: (.+) \.\.\.$", built.stderr, re.M)
    finished = re.findall(r"^demo: (.+) done in [\d.]+ s$", built.stderr, re.M)
    assert len(started) >= 5 and finished == started, "every step of the first run says when it starts and ends"
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


def test_checkin_metrics_come_from_the_check_in_engine(demo_db):
    from dashboard.core.store import Store

    result = run("metrics", "--grain", "quarter", "--scope", "team", "--metric", "checkin_compliance_rate",
                 "--metric", "checkin_on_time_rate", "--metric", "checkin_median_lateness_hours", env_db=demo_db)
    assert result.returncode == 0, result.stderr
    series = pd.read_csv(io.StringIO(result.stdout)).set_index(["metric_id", "scope_id", "period_start"])
    checkins = Store(demo_db).table("checkins")
    android = checkins[(checkins["team_id"] == "mobile-android") & (checkins["status"] != "pending")]
    quarter = pd.to_datetime(android["due_at"]).dt.to_period("Q").dt.start_time.dt.strftime("%Y-%m-%d")
    for start, rows in android.groupby(quarter):
        key = ("mobile-android", start)
        assert series.loc[("checkin_compliance_rate", *key), "n"] == len(rows)
        assert series.loc[("checkin_compliance_rate", *key), "value"] == pytest.approx(rows["status"].isin(["on_time", "late"]).mean(), abs=1e-6)
        assert series.loc[("checkin_on_time_rate", *key), "value"] == pytest.approx((rows["status"] == "on_time").mean(), abs=1e-6)
        late = rows[rows["status"] == "late"]
        hours = (pd.to_datetime(late["submitted_at"]) - pd.to_datetime(late["due_at"])).dt.total_seconds() / 3600
        assert series.loc[("checkin_median_lateness_hours", *key), "n"] == len(late)
        if len(late):
            assert series.loc[("checkin_median_lateness_hours", *key), "value"] == pytest.approx(hours.median(), abs=1e-4)
    last = series.loc[("checkin_compliance_rate", "mobile-android", "2026-10-01"), "value"]
    assert last < series.loc[("checkin_compliance_rate", "mobile-ios", "2026-10-01"), "value"] - 0.3


CHECKIN_CONFIG = """
[checkins]
[checkins.form]
team_column = "Team"
date_order = "dmy"
team_aliases = { "Android app" = "mobile-android" }
[[checkins.kinds]]
id = "roadmap_review"
cadence = "monthly"
business_day = 3
start = 2026-09-01
"""


def test_load_checkins_stores_a_form_export_and_rederives_the_checkins(demo_copy, tmp_path):
    from dashboard.core.store import Store

    config = tmp_path / "prodops.toml"
    config.write_text(CHECKIN_CONFIG)
    export = tmp_path / "roadmap.csv"
    export.write_text("Timestamp,Email Address,Team,Notes\n"
                      "02/10/2026 16:00:00,a@example.com,Checkout,fine\n"
                      "06/10/2026 09:30:00,b@example.com,Android app,late\n"
                      "03/10/2026 10:00:00,c@example.com,Atlantis,\n")
    loaded = run("--config", str(config), "load", "checkins", str(export), "--kind", "roadmap_review", env_db=demo_copy)
    assert loaded.returncode == 1, loaded.stderr
    assert "2 rows loaded, 1 skipped" in loaded.stderr
    assert "roadmap.csv, row 4, column 'Team': team 'Atlantis' is no known team" in loaded.stderr
    store = Store(demo_copy)
    forms = store.table("checkin_forms")
    assert sorted(forms.loc[forms["source_file"] == "roadmap.csv", "team_id"]) == ["mobile-android", "payments-checkout"]
    checkins = store.table("checkins").assign(period_start=lambda f: pd.to_datetime(f["period_start"]))
    checkins = checkins.set_index(["team_id", "kind", "period_start"])
    october = pd.Timestamp("2026-10-01")
    assert checkins.loc[("payments-checkout", "roadmap_review", october), "status"] == "on_time"
    assert checkins.loc[("mobile-android", "roadmap_review", october), "status"] == "late"
    assert checkins.loc[("mobile-android", "roadmap_review", october), "ref"] == "roadmap.csv row 3"
    assert checkins.loc[("growth-activation", "roadmap_review", october), "status"] == "missing"

    export.write_text("When,Team\n2026-10-02,Checkout\n")
    refused = run("--config", str(config), "load", "checkins", str(export), "--kind", "roadmap_review", env_db=demo_copy)
    assert refused.returncode == 2 and "roadmap.csv" in refused.stderr
    assert Store(demo_copy).table("checkin_forms").equals(forms)
