"""The cached reads: a republished store is seen at once, and the breakdowns pick the right lines."""
from __future__ import annotations

import pandas as pd
import pytest

from dashboard.app import data_views, qbr_views, views
from dashboard.charts import trends as charts

TEAMS = pd.DataFrame(
    {
        "team_id": ["t1", "t2", "t3"],
        "name": ["Billing", "Checkout", "Search"],
        "group_name": ["Payments", "Payments", "Core"],
    }
)


@pytest.fixture()
def env(store, monkeypatch):
    monkeypatch.setenv("PRODOPS_DB", store.url)
    monkeypatch.setenv("PRODOPS_TODAY", "2026-11-26")
    monkeypatch.delenv("PRODOPS_CONFIG", raising=False)
    with store.transaction() as tx:
        tx.upsert("teams", TEAMS)
    return store


def test_a_republished_store_invalidates_the_caches(env):
    assert views.teams()["team_id"].tolist() == ["t3", "t1", "t2"]
    with env.transaction() as tx:
        tx.upsert("teams", pd.DataFrame({"team_id": ["t4"], "name": ["Apps"], "group_name": ["Core"]}))
    assert views.teams()["team_id"].tolist() == ["t4", "t3", "t1", "t2"]


def test_breakdowns(env):
    assert views.breakdown(None, None) == views.Breakdown("group", ["Core", "Payments"], "org", "org")
    assert views.breakdown("Payments", None) == views.Breakdown("team", ["t1", "t2"], "group", "Payments")
    assert views.breakdown("Payments", "t2") == views.Breakdown("team", ["t2"], "group", "Payments")
    assert views.breakdown(None, None, focus=True) == views.Breakdown("org", ["org"])
    assert views.breakdown("Core", None, focus=True) == views.Breakdown("group", ["Core"], "org", "org")


def test_n_table_marks_hidden_values_and_periods_with_nothing_to_count():
    frame = pd.DataFrame(
        {
            "period_start": [pd.Timestamp("2026-07-01").date(), pd.Timestamp("2026-10-01").date(), pd.Timestamp("2026-07-01").date()],
            "name": ["Payments", "Payments", "Checkout"],
            "value": [0.5, float("nan"), 0.4],
            "n": pd.array([9, None, 4], dtype="Int64"),
        }
    )
    table = views.n_table(frame, "quarter")
    assert table.loc["2026Q4", "Payments"] == "hidden", "a hidden cell publishes no n"
    assert table.loc["2026Q3", "Payments"] == "9"
    assert table.loc["2026Q4", "Checkout"] == "–", "not None or nan"
    assert views.hidden_points(frame) == 1


def test_a_hidden_cell_says_neither_its_n_nor_whether_it_is_under_the_minimum():
    assert charts.n_text(pd.NA) == "hidden", "'fewer than k' would tell a team of two from one of four"
    assert charts.n_text(7) == "7"
    assert charts.n_text(0) == "0"


def test_privacy_minimum_follows_the_metric_sources():
    from dashboard.core.config import Settings
    from dashboard.metrics import METRICS

    settings = Settings()
    assert views.privacy_minimum(METRICS["alignment_score_pm"], settings) == settings.privacy.min_group_size
    assert views.privacy_minimum(METRICS["pm_overhead_share"], settings) == settings.privacy.min_calendar_group
    assert views.privacy_minimum(METRICS["release_on_time_rate"], settings) is None


def test_annotations_are_added_and_removed_through_the_store(env):
    from datetime import date

    views.add_annotation(date(2026, 3, 2), "org", "  New  intake process ")
    assert views.annotations()[["scope", "label"]].values.tolist() == [["org", "New intake process"]]
    assert views.annotations(["t1"]).shape[0] == 1, "an organisation-wide annotation is on every chart"
    views.add_annotation(date(2026, 3, 9), "t2", "Team offsite")
    assert views.annotations(["t1"])["label"].tolist() == ["New intake process"]
    views.remove_annotations([(date(2026, 3, 2), "org", "New intake process")])
    assert views.annotations()["label"].tolist() == ["Team offsite"]


def test_an_empty_annotation_is_refused(env):
    from datetime import date

    from dashboard.core.notes import NoteError

    with pytest.raises(NoteError):
        views.add_annotation(date(2026, 3, 2), "org", "   ")


def test_qbr_notes_are_kept_per_quarter_scope_and_section(env):
    from datetime import date

    assert qbr_views.qbr_notes(date(2026, 7, 1), "org") == {}
    qbr_views.save_qbr_note(date(2026, 7, 1), "org", "S3", "Slip is a Payments problem.")
    qbr_views.save_qbr_note(date(2026, 7, 1), "Payments", "S3", "Re-plans weekly.")
    qbr_views.save_qbr_note(date(2026, 7, 1), "org", "S3", "Slip is Payments' alone.")
    assert qbr_views.qbr_notes(date(2026, 7, 1), "org") == {"S3": "Slip is Payments' alone."}
    assert qbr_views.qbr_notes(date(2026, 4, 1), "org") == {}


def test_age_reads_naturally():
    now = pd.Timestamp("2026-11-26 12:00", tz="UTC")
    assert data_views.age(pd.Timestamp("2026-11-26 09:00"), now) == "3 h ago"
    assert data_views.age(pd.Timestamp("2026-11-20 12:00"), now) == "6 d ago"
    assert data_views.age(None, now) == "never"


def test_coverage_counts_what_the_metrics_can_use():
    from datetime import date

    from dashboard.analysis.coverage import coverage
    from dashboard.core.config import Settings
    from tests.tables import make_tables

    tables = make_tables(
        teams=[{"team_id": "t1", "name": "One", "group_name": "G1"}],
        memberships=[
            {"person_id": "p1", "team_id": "t1", "role": "pm", "valid_from": "2025-01-01"},
            {"person_id": "p2", "team_id": "t1", "role": "pm", "valid_from": "2025-01-01"},
            {"person_id": "p3", "team_id": "t1", "role": "pm", "valid_from": "2025-01-01", "valid_to": "2026-01-01"},
        ],
        pm_weeks=[{"person_id": "p1", "week_start": "2026-11-09", "team_id": "t1", "working_hours": 40.0}],
        releases=[
            {"release_id": "r1", "project": "P", "team_id": "t1", "name": "1.0", "released": True, "released_on": "2026-11-02",
             "planned_date": "2026-11-01"},
            {"release_id": "r2", "project": "P", "team_id": "t1", "name": "1.1", "released": True, "released_on": "2026-11-20"},
        ],
        work_items=[
            {"source": "jira", "item_id": "1", "kind": "work", "project": "P", "created": "2026-10-01", "fix_versions": ["1.0"]},
            {"source": "jira", "item_id": "2", "kind": "data_request", "project": "D", "created": "2026-10-02", "reporter_id": "p2"},
            {"source": "jira", "item_id": "3", "kind": "data_request", "project": "D", "created": "2026-10-03", "reporter_id": "x"},
        ],
    )
    found = coverage(tables, Settings(), date(2026, 11, 26)).set_index("measure")
    # p3 left the team before the 90-day window; of p1 and p2 only p1 has a calendar week in it.
    assert found.loc["PMs with a calendar", ["covered", "total"]].tolist() == [1, 2]
    assert found.loc["Releases with a planned date", ["covered", "total"]].tolist() == [1, 2]
    # The issue is fixed in a release of team t1; p2 was on a team; "x" is on none.
    assert found.loc["Issues mapped to a team", ["covered", "total"]].tolist() == [2, 3]
    assert found.loc["Issues mapped to a team", "share"] == pytest.approx(2 / 3)
