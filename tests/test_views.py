"""The cached reads: a republished store is seen at once, and the breakdowns pick the right lines."""
from __future__ import annotations

import pandas as pd
import pytest

from dashboard import views

TEAMS = pd.DataFrame(
    {
        "team_id": ["t1", "t2", "t3"],
        "name": ["Billing", "Checkout", "Search"],
        "group_name": ["Payments", "Payments", "Core"],
    }
)


@pytest.fixture()
def env(store, monkeypatch):
    monkeypatch.setenv("PRODOPS_DB", str(store.path))
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


def test_n_table_marks_hidden_values():
    frame = pd.DataFrame(
        {
            "period_start": [pd.Timestamp("2026-07-01").date(), pd.Timestamp("2026-10-01").date()],
            "name": "Payments",
            "value": [0.5, float("nan")],
            "n": [9, 2],
        }
    )
    table = views.n_table(frame, "quarter")
    assert table.loc["2026Q4", "Payments"] == "2 (hidden)"
    assert table.loc["2026Q3", "Payments"] == "9"
    assert views.hidden_points(frame) == 1


def test_age_reads_naturally():
    now = pd.Timestamp("2026-11-26 12:00", tz="UTC")
    assert views.age(pd.Timestamp("2026-11-26 09:00"), now) == "3 h ago"
    assert views.age(pd.Timestamp("2026-11-20 12:00"), now) == "6 d ago"
    assert views.age(None, now) == "never"
