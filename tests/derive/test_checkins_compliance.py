"""Streaks, open misses, the heatmap board and the metrics over hand-made check-in rows."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from dashboard.charts.checkins import checkin_heatmap
from dashboard.core.config import Settings
from dashboard.derive.checkins.compliance import board, evidence_of, open_misses, streaks
from dashboard.metrics import compute_series
from tests.tables import make_tables

TEAMS = pd.DataFrame({"team_id": ["a", "b"], "name": ["Alpha", "Beta"], "group_name": ["G", "G"]})


def rows(team, statuses, kind="weekly"):
    out = []
    for n, status in enumerate(statuses):
        due = pd.Timestamp("2026-10-02 16:00") + pd.Timedelta(weeks=n)
        sent = {"on_time": due - pd.Timedelta(hours=2), "late": due + pd.Timedelta(hours=10)}.get(status)
        out.append({"checkin_id": f"{team}/{kind}/{n}", "team_id": team, "kind": kind, "period_start": (due - pd.Timedelta(days=4)).normalize(),
                    "due_at": due, "submitted_at": sent, "status": status, "source": "jira" if sent is not None else None,
                    "ref": f"CHK-{team}{n}" if sent is not None else None})
    return out


CHECKINS = pd.DataFrame(rows("a", ["missing", "on_time", "on_time", "on_time", "pending"])
                        + rows("b", ["on_time", "late", "missing", "missing", "pending"]))


def test_a_streak_counts_the_latest_on_time_check_ins_in_a_row():
    assert streaks(CHECKINS).set_index("team_id")["streak"].to_dict() == {"a": 3, "b": 0}


def test_open_misses_say_since_when_and_how_many_in_a_row():
    misses = open_misses(CHECKINS)
    assert misses[["team_id", "missed"]].values.tolist() == [["b", 2]]
    assert misses["since"].iloc[0] == pd.Timestamp("2026-10-16 16:00")


def test_the_board_and_its_heatmap_show_every_team_and_period_with_the_evidence_behind_a_cell():
    shown = board(CHECKINS, TEAMS, "weekly", date(2026, 9, 1), date(2026, 12, 31))
    assert len(shown) == 10 and set(shown["state"]) == {"on time", "late", "missing", "not due"}
    traces = {trace["name"]: trace for trace in checkin_heatmap(shown).to_dict()["data"]}
    assert sum(len(trace["x"]) for trace in traces.values()) == 10
    assert list(zip(traces["missing"]["y"], traces["missing"]["x"])) == [
        ("Beta", "2026-10-12"), ("Beta", "2026-10-19"), ("Alpha", "2026-09-28")]
    assert list(traces["late"]["customdata"]) == ["b|2026-10-05"]
    late = evidence_of(shown[shown["state"] == "late"].iloc[0]).set_index("Item")["Detail"]
    assert late["Evidence"] == "Jira ticket: CHK-b1" and late["Submitted"] == "2026-10-10 02:00 UTC"


def test_the_rates_leave_pending_check_ins_out_and_lateness_is_in_hours():
    tables = make_tables(teams=TEAMS.to_dict("records"), checkins=CHECKINS.to_dict("records"))
    series = compute_series(tables, Settings(), "quarter", "org", date(2026, 10, 1), date(2026, 12, 31),
                            ["checkin_compliance_rate", "checkin_on_time_rate", "checkin_median_lateness_hours"])
    values = series.set_index("metric_id")
    assert values.loc["checkin_compliance_rate", "n"] == 8
    assert values.loc["checkin_compliance_rate", "value"] == pytest.approx(5 / 8)
    assert values.loc["checkin_on_time_rate", "value"] == pytest.approx(4 / 8)
    assert values.loc["checkin_median_lateness_hours", "value"] == pytest.approx(10)
