"""Every metric on small tables whose answers are worked out by hand in the test."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from dashboard.core.config import Settings
from dashboard.metrics import METRICS, compute_series
from dashboard.metrics.registry import GROUPS
from tests.tables import TEAMS, make_tables

Q1 = (date(2026, 1, 1), date(2026, 3, 31))


def value(tables, metric_id, grain="quarter", scope="org", scope_id="org", period=date(2026, 1, 1), settings=None, span=Q1):
    series = compute_series(tables, settings or Settings(), grain, scope, *span, [metric_id])
    row = series[(series["scope_id"] == scope_id) & (series["period_start"] == period)]
    assert len(row) == 1, series
    return row["value"].iloc[0], row["n"].iloc[0]


def pm_week(person, team, overhead=0.0, strategy=0.0, focus=0.0, meeting=0.0, working=40.0, week="2026-01-05"):
    return {
        "person_id": person, "week_start": week, "team_id": team, "working_hours": working, "meeting_hours": meeting,
        "overhead_hours": overhead, "strategy_hours": strategy, "focus_hours": focus, "ooo_hours": 40 - working,
    }


def test_every_metric_is_declared_completely():
    expected = {
        "pm_overhead_share", "pm_strategy_share", "pm_focus_hours", "pm_meeting_hours", "data_requests_per_pm",
        "data_request_days_to_fulfil", "insights_self_serve_score", "release_count", "release_interval_days",
        "release_on_time_rate", "release_slip_days", "release_lead_time_days", "alignment_score_pm",
        "alignment_score_ops", "alignment_gap", "checkin_compliance_rate", "checkin_on_time_rate",
        "checkin_median_lateness_hours",
        "pm_strategy_share_reported", "enablement_reach", "enablement_hours_per_pm",
        "new_pm_days_to_first_checkin", "new_pm_days_to_first_release", "ops_decision_share", "process_knowledge_score",
        "decision_rights_score", "pms_per_prodops", "prodops_coordination_share", "prodops_focus_hours",
        "prodops_time_with_pms_share", "prodops_time_with_operations_share", "prodops_time_with_group_share",
        "prodops_systems_work_share",
    }
    assert set(METRICS) == expected
    for metric in METRICS.values():
        assert metric.signal in GROUPS and metric.definition and metric.sources and metric.title


def test_overhead_share_is_mean_over_pm_weeks_of_overhead_over_working_hours():
    weeks = [pm_week("a", "t1", overhead=10), pm_week("b", "t1", overhead=8), pm_week("c", "t2", overhead=4, working=32)]
    tables = make_tables(teams=TEAMS, pm_weeks=weeks)
    got, n = value(tables, "pm_overhead_share")
    assert got == pytest.approx((10 / 40 + 8 / 40 + 4 / 32) / 3)
    assert n == 3


def test_calendar_figure_over_too_few_pms_is_not_shown_nor_its_n():
    weeks = [pm_week("a", "t1", overhead=10), pm_week("b", "t1", overhead=8), pm_week("c", "t3", overhead=4)]
    tables = make_tables(teams=TEAMS, pm_weeks=weeks)
    got, n = value(tables, "pm_overhead_share", scope="group", scope_id="G1")
    assert np.isnan(got) and pd.isna(n)
    with pytest.raises(ValueError, match="min_calendar_group"):
        Settings(privacy={"min_calendar_group": 2})


def test_a_calendar_figure_that_would_give_away_a_hidden_one_is_hidden_too():
    """G1 = t1 (3 PMs) + t2 (1 PM): showing G1 and t1 would give t2's one PM by subtraction."""
    weeks = [pm_week(p, "t1", focus=f) for p, f in (("a", 10), ("b", 14), ("c", 6))] + [pm_week("d", "t2", focus=20)]
    weeks += [pm_week(p, "t3", focus=f) for p, f in (("e", 8), ("f", 9), ("g", 12))]
    tables = make_tables(teams=TEAMS, pm_weeks=weeks)
    t1, _ = value(tables, "pm_focus_hours", scope="team", scope_id="t1")
    t2, n2 = value(tables, "pm_focus_hours", scope="team", scope_id="t2")
    g1, _ = value(tables, "pm_focus_hours", scope="group", scope_id="G1")
    assert np.isnan(t2) and pd.isna(n2)
    assert np.isnan(t1) or np.isnan(g1), "else d's focus hours are 4 x G1 - 3 x t1"


@pytest.mark.parametrize(
    ("metric_id", "column", "expected"),
    [("pm_strategy_share", "strategy", (4 / 40 + 12 / 40 + 6 / 40) / 3), ("pm_focus_hours", "focus", 22 / 3), ("pm_meeting_hours", "meeting", 22 / 3)],
)
def test_other_calendar_metrics(metric_id, column, expected):
    weeks = [pm_week("a", "t1", **{column: 4}), pm_week("b", "t1", **{column: 12}), pm_week("c", "t2", **{column: 6})]
    got, n = value(make_tables(teams=TEAMS, pm_weeks=weeks), metric_id)
    assert got == pytest.approx(expected) and n == 3


def test_pm_weeks_of_several_weeks_and_people_count_distinct_pms():
    weeks = [pm_week(p, "t1", focus=f, week=w) for p, f, w in [("a", 10, "2026-01-05"), ("a", 20, "2026-01-12"), ("b", 0, "2026-01-05"), ("c", 6, "2026-02-02")]]
    got, n = value(make_tables(teams=TEAMS, pm_weeks=weeks), "pm_focus_hours")
    assert got == pytest.approx(9.0) and n == 3


PMS = [
    {"person_id": "a", "team_id": "t1", "role": "pm", "valid_from": "2025-01-01", "valid_to": None},
    {"person_id": "b", "team_id": "t1", "role": "pm", "valid_from": "2025-01-01", "valid_to": "2026-02-01"},
    {"person_id": "b", "team_id": "t3", "role": "pm", "valid_from": "2026-02-01", "valid_to": None},
]


def request(created, reporter="a", resolved=None, key="DATA-1"):
    return {"source": "t", "item_id": key, "key": key, "kind": "data_request", "project": "DATA", "created": created, "resolved": resolved, "reporter_id": reporter}


def test_data_requests_per_pm_divides_by_average_headcount_and_months():
    requests = [request(f"2026-01-{d:02d} 10:00", key=f"D{d}") for d in (5, 6, 7, 8)] + [request("2026-02-10 10:00", key="D20")]
    tables = make_tables(teams=TEAMS, memberships=PMS, work_items=requests)
    got, n = value(tables, "data_requests_per_pm", grain="month")
    assert got == pytest.approx(4 / 2 / 1) and n == 4
    quarter, n_q = value(tables, "data_requests_per_pm")
    assert quarter == pytest.approx(5 / 2 / 3) and n_q == 5
    running, _ = value(tables, "data_requests_per_pm", span=(date(2026, 1, 1), date(2026, 2, 14)))
    assert running == pytest.approx(5 / 2 / (3 * 45 / 90)), "a running quarter counts only its elapsed days"


def test_data_requests_follow_the_reporters_team_at_the_time():
    requests = [request("2026-01-10 10:00", reporter="b", key="D1"), request("2026-03-10 10:00", reporter="b", key="D2")]
    tables = make_tables(teams=TEAMS, memberships=PMS, work_items=requests)
    _, n_t1 = value(tables, "data_requests_per_pm", scope="team", scope_id="t1")
    _, n_t3 = value(tables, "data_requests_per_pm", scope="team", scope_id="t3")
    assert (n_t1, n_t3) == (1, 1)


def test_days_to_fulfil_is_median_of_requests_resolved_in_the_period():
    requests = [
        request("2026-01-01 09:00", resolved="2026-01-03 09:00", key="D1"),
        request("2026-01-10 09:00", resolved="2026-01-14 09:00", key="D2"),
        request("2025-12-30 09:00", resolved="2026-01-09 09:00", key="D3"),
        request("2026-03-20 09:00", resolved="2026-04-20 09:00", key="D4"),
        request("2026-03-25 09:00", key="D5"),
    ]
    got, n = value(make_tables(teams=TEAMS, memberships=PMS, work_items=requests), "data_request_days_to_fulfil")
    assert got == pytest.approx(4.0) and n == 3


QUESTIONS = [
    {"survey_id": "s", "question_id": "q1", "construct": "insights_self_serve", "scale": "likert5"},
    {"survey_id": "s", "question_id": "q2", "construct": "alignment", "scale": "likert5"},
    {"survey_id": "s", "question_id": "q3", "construct": "alignment", "scale": "likert5-r"},
]


def answers(question, role, values, team="t1", when="2026-02-15 12:00"):
    return [
        {"survey_id": "s", "response_id": f"{role}{i}", "submitted_at": when, "respondent_role": role, "team_id": team, "question_id": question, "value": v}
        for i, v in enumerate(values)
    ]


def test_self_serve_score_is_on_0_to_100_and_hidden_below_five_respondents():
    tables = make_tables(teams=TEAMS, survey_questions=QUESTIONS, survey_answers=answers("q1", "pm", [5, 4, 3, 4, 5]))
    got, n = value(tables, "insights_self_serve_score")
    assert got == pytest.approx(80.0) and n == 5
    few = make_tables(teams=TEAMS, survey_questions=QUESTIONS, survey_answers=answers("q1", "pm", [5, 4, 3, 4]))
    hidden, n_few = value(few, "insights_self_serve_score")
    assert np.isnan(hidden) and pd.isna(n_few), "a hidden score publishes no n either"


def test_alignment_scores_by_role_reversed_items_and_gap():
    pm = answers("q2", "pm", [3, 3, 3, 3, 3]) + answers("q3", "pm", [1, 1, 1, 1, 1])  # 50 and reversed 100 -> 75
    ops = answers("q2", "ops", [5, 5, 5, 5, 5, 5], team=None)  # 100
    tables = make_tables(teams=TEAMS, survey_questions=QUESTIONS, survey_answers=pm + ops)
    assert value(tables, "alignment_score_pm") == (pytest.approx(75.0), 5)
    assert value(tables, "alignment_score_ops") == (pytest.approx(100.0), 6)
    assert value(tables, "alignment_gap") == (pytest.approx(25.0), 5)
    gap_g1, _ = value(tables, "alignment_gap", scope="group", scope_id="G1")
    assert np.isnan(gap_g1), "operations answers belong to no group, so no group gap can be shown"


def release(rid, released_on, planned=None, project="P", team="t1", released=True, name=None):
    return {"release_id": rid, "project": project, "team_id": team, "name": name or rid, "planned_date": planned, "released": released, "released_on": released_on, "archived": False}


def test_release_count_counts_released_releases_by_release_day():
    rows = [release("r1", "2026-01-05"), release("r2", "2026-02-05"), release("r3", "2026-03-31"), release("r4", "2026-04-01"), release("r5", None, released=False)]
    assert value(make_tables(teams=TEAMS, releases=rows), "release_count") == (3.0, 3)


def test_release_interval_is_median_gap_to_previous_release_of_same_project():
    rows = [release("a1", "2025-12-20"), release("a2", "2026-01-15"), release("a3", "2026-02-04"), release("b1", "2026-01-10", project="Q")]
    got, n = value(make_tables(teams=TEAMS, releases=rows), "release_interval_days")
    assert got == pytest.approx((26 + 20) / 2) and n == 2


def test_on_time_and_slip_are_measured_against_the_first_plan_on_record():
    rows = [release("r1", "2026-01-18", planned="2026-01-20"), release("r2", "2026-01-30", planned="2026-02-01"), release("r3", "2026-02-10")]
    plans = [
        {"release_id": "r1", "observed_at": "2025-12-01 10:00", "planned_date": "2026-01-10"},
        {"release_id": "r1", "observed_at": "2026-01-09 10:00", "planned_date": "2026-01-20"},
    ]
    tables = make_tables(teams=TEAMS, releases=rows, release_plans=plans)
    assert value(tables, "release_on_time_rate") == (pytest.approx(0.5), 2)
    assert value(tables, "release_slip_days") == (pytest.approx(4.0), 2)


def test_lead_time_is_median_days_from_issue_creation_to_its_release():
    rows = [release("r1", "2026-01-31", name="P 1.0"), release("r0", "2026-04-10", name="P 0.9")]
    issues = [
        {"source": "t", "item_id": str(i), "kind": "work", "project": "P", "created": c, "fix_versions": v}
        for i, (c, v) in enumerate([("2026-01-01 10:00", ["P 1.0"]), ("2026-01-21 10:00", ["P 1.0"]), ("2026-01-29 10:00", ["P 1.0", "P 0.9"]), ("2026-01-02 10:00", [])])
    ]
    assert value(make_tables(teams=TEAMS, releases=rows, work_items=issues), "release_lead_time_days") == (pytest.approx(10.0), 3)


def checkin(cid, due, submitted, team="t1"):
    return {"checkin_id": cid, "team_id": team, "kind": "weekly_status", "due_at": due, "submitted_at": submitted}


CHECKINS = [
    checkin("c1", "2026-01-09 16:00", "2026-01-09 15:00"),
    checkin("c2", "2026-01-16 16:00", "2026-01-16 18:00"),
    checkin("c3", "2026-01-23 16:00", None),
    checkin("c4", "2026-01-30 16:00", "2026-01-30 16:00"),
]


def test_checkin_compliance_counts_late_ones_and_on_time_honours_grace():
    tables = make_tables(teams=TEAMS, checkins=CHECKINS)
    assert value(tables, "checkin_compliance_rate") == (pytest.approx(0.75), 4)
    assert value(tables, "checkin_on_time_rate") == (pytest.approx(0.5), 4)
    graced, _ = value(tables, "checkin_on_time_rate", settings=Settings(checkins={"grace_hours": 3}))
    assert graced == pytest.approx(0.75)


def test_periods_are_cut_in_the_organisations_time_zone():
    late_evening = [checkin("c1", "2026-03-31 23:30", None)]
    tables = make_tables(teams=TEAMS, checkins=late_evening)
    span = (date(2026, 1, 1), date(2026, 6, 30))
    assert value(tables, "checkin_compliance_rate", span=span)[1] == 1
    berlin = Settings(org_timezone="Europe/Berlin")
    assert value(tables, "checkin_compliance_rate", settings=berlin, span=span)[1] == 0
    assert value(tables, "checkin_compliance_rate", settings=berlin, span=span, period=date(2026, 4, 1))[1] == 1


def test_every_period_and_scope_is_in_the_series_even_when_empty():
    tables = make_tables(teams=TEAMS, checkins=CHECKINS)
    series = compute_series(tables, Settings(), "month", "group", date(2026, 1, 1), date(2026, 6, 30), ["checkin_compliance_rate"])
    assert len(series) == 6 * 2
    g2 = series[series["scope_id"] == "G2"]
    assert g2["value"].isna().all() and (g2["n"] == 0).all()


def test_weeks_start_on_the_configured_day():
    tables = make_tables(teams=TEAMS, checkins=[checkin("c1", "2026-01-04 12:00", None)])  # a Sunday
    span = (date(2025, 12, 28), date(2026, 1, 10))
    assert value(tables, "checkin_compliance_rate", grain="week", period=date(2025, 12, 29), span=span)[1] == 1
    sunday = Settings(week_start="sunday")
    assert value(tables, "checkin_compliance_rate", grain="week", period=date(2026, 1, 4), span=span, settings=sunday)[1] == 1
