"""The records behind a value add up to it: for every metric with records, on small tables whose
answers are worked out here, and over the demo organisation against the metric series itself."""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from dashboard.analysis import bottlenecks
from dashboard.core.config import Settings
from dashboard.core.periods import next_start
from dashboard.core.store import Store
from dashboard.metrics import METRICS, compute_series, load_tables
from tests.conftest import DEMO_TODAY
from tests.tables import TEAMS, make_tables

Q1 = date(2026, 1, 1)
JAN = Q1


def listed(tables, metric_id, grain="quarter", period=Q1, scope="org", scope_id="org", today=date(2026, 6, 30)):
    """The records behind one value, what they add up to, and the value the metric series holds."""
    metric = METRICS[metric_id]
    rows = bottlenecks.records(metric, tables, Settings(), scope, scope_id, period, next_start(period, grain), today, grain)
    last = min(next_start(period, grain) - timedelta(days=1), today)
    series = compute_series(tables, Settings(), grain, scope, period, last, [metric_id])
    value = series.loc[(series["scope_id"] == scope_id) & (series["period_start"] == period), "value"].iloc[0]
    return rows, bottlenecks.from_records(metric, rows), value


def release(rid, released_on, project="P", name=None, planned=None):
    return {"release_id": rid, "project": project, "team_id": "t1", "name": name or rid, "planned_date": planned,
            "released": released_on is not None, "released_on": released_on, "archived": False}


def test_the_gaps_between_releases_are_the_releases_after_an_earlier_one_of_their_project():
    rows = [release("a1", "2025-12-20"), release("a2", "2026-01-15"), release("a3", "2026-02-04"), release("b1", "2026-01-10", project="Q"),
            release("a4", None, planned="2026-03-01")]
    found, counted, value = listed(make_tables(teams=TEAMS, releases=rows), "release_interval_days")
    # a2 came 26 days after a1 (shipped in December, before the quarter), a3 20 after a2; b1 is Q's first.
    assert found[["Release", "Previous release", "Released", "Days since previous"]].values.tolist() == [
        ["a2", "2025-12-20", "2026-01-15", 26.0], ["a3", "2026-01-15", "2026-02-04", 20.0]]
    assert counted == pytest.approx((20 + 26) / 2) == value


def test_lead_time_lists_one_row_per_issue_of_the_releases_shipped():
    rows = [release("r1", "2026-01-31", name="P 1.0"), release("r0", "2026-04-10", name="P 0.9")]
    issues = [
        {"source": "t", "item_id": str(i), "kind": "work", "project": "P", "created": c, "fix_versions": v}
        for i, (c, v) in enumerate([("2026-01-01 10:00", ["P 1.0"]), ("2026-01-21 10:00", ["P 1.0"]),
                                    ("2026-01-29 23:00", ["P 1.0", "P 0.9"]), ("2026-01-02 10:00", [])])
    ]
    found, counted, value = listed(make_tables(teams=TEAMS, releases=rows, work_items=issues), "release_lead_time_days")
    # Created 1, 21 and 29 January, released 31 January: 30, 10 and 2 days from the issue's day.
    assert found[["Release", "Issue created", "Days"]].values.tolist() == [
        ["P 1.0", "2026-01-01", 30.0], ["P 1.0", "2026-01-21", 10.0], ["P 1.0", "2026-01-29", 2.0]]
    assert counted == 10.0 == value


def checkin(cid, due, submitted, status):
    return {"checkin_id": cid, "team_id": "t1", "kind": "weekly_status", "period_start": due[:10], "due_at": due,
            "submitted_at": submitted, "source": "jira" if submitted else None, "ref": f"CHK-{cid}" if submitted else None,
            "status": status}


CHECKINS = [
    checkin("1", "2026-01-09 16:00", "2026-01-09 15:00", "on_time"),
    checkin("2", "2026-01-16 16:00", "2026-01-16 22:00", "late"),  # 6 h late: past the 4 h grace
    checkin("3", "2026-01-23 16:00", "2026-01-24 16:00", "late"),  # 24 h late
    checkin("4", "2026-01-30 16:00", None, "missing"),
    checkin("5", "2026-02-13 16:00", "2026-02-02 09:00", "on_time"),  # due after today, sent early: expected
    checkin("6", "2026-02-20 16:00", None, "pending"),  # due after today, not sent: not expected yet
]


def test_lateness_lists_the_late_check_ins_with_their_hours_late():
    tables = make_tables(teams=TEAMS, checkins=CHECKINS)
    found, counted, value = listed(tables, "checkin_median_lateness_hours", today=date(2026, 2, 3))
    assert found[["Hours late", "Evidence", "State"]].values.tolist() == [[6.0, "jira: CHK-2", "late"], [24.0, "jira: CHK-3", "late"]]
    assert counted == 15.0 == value


def test_a_check_in_sent_before_it_falls_due_is_listed_as_the_rates_count_it():
    tables = make_tables(teams=TEAMS, checkins=CHECKINS)
    found, counted, value = listed(tables, "checkin_compliance_rate", today=date(2026, 2, 3))
    assert found[["Evidence", "State"]].values.tolist() == [
        ["", "missing"], ["jira: CHK-2", "late"], ["jira: CHK-3", "late"], ["jira: CHK-1", "on time"], ["jira: CHK-5", "on time"]
    ], "6 is not due and not sent: not listed yet"
    assert counted == pytest.approx(4 / 5) == value


PMS = [
    {"person_id": "a", "team_id": "t1", "role": "pm", "valid_from": "2025-01-01", "valid_to": None},
    {"person_id": "b", "team_id": "t1", "role": "pm", "valid_from": "2025-01-01", "valid_to": "2026-02-01"},
    {"person_id": "b", "team_id": "t3", "role": "pm", "valid_from": "2026-02-01", "valid_to": None},
]


def request(key, created, reporter="a", resolved=None):
    return {"source": "t", "item_id": key, "key": key, "kind": "data_request", "project": "DATA", "created": created,
            "resolved": resolved, "reporter_id": reporter, "status": "Done" if resolved else "Open"}


def test_requests_per_pm_are_the_requests_created_and_the_divisor_the_summary_states():
    requests = [request(f"D{d}", f"2026-01-{d:02d} 10:00") for d in (5, 6, 7, 8)] + [request("D20", "2026-02-10 10:00")]
    tables = make_tables(teams=TEAMS, memberships=PMS, work_items=requests)
    found, counted, value = listed(tables, "data_requests_per_pm", grain="month")
    assert sorted(found["Request"]) == ["D5", "D6", "D7", "D8"]
    assert counted == pytest.approx(4 / 2 / 1) == value
    assert "Per PM per month: 4 ÷ 2 PMs on average in this scope ÷ 1 month." in bottlenecks.summary(METRICS["data_requests_per_pm"], found, "month")
    # Team t1 over the quarter to 14 February: PMs sampled every 7 days from 1 January (2, 2, 2, 2, 2 then
    # 1, 1 once b has moved): 12/7 on average, over 45 of the quarter's 90 days, 1.5 months.
    found, counted, value = listed(tables, "data_requests_per_pm", scope="team", scope_id="t1", today=date(2026, 2, 14))
    assert len(found) == 5
    assert counted == pytest.approx(5 / (12 / 7) / 1.5) == pytest.approx(value)
    assert "5 ÷ 1.71 PMs on average in this scope ÷ 1.5 months" in bottlenecks.summary(METRICS["data_requests_per_pm"], found)


def test_days_to_fulfil_lists_the_requests_resolved_on_the_reporters_team_of_that_day():
    requests = [
        request("D1", "2026-01-01 09:00", resolved="2026-01-03 09:00"),
        request("D2", "2026-01-10 09:00", resolved="2026-01-14 09:00"),
        request("D3", "2025-12-30 09:00", resolved="2026-01-09 09:00"),
        request("D4", "2026-03-20 09:00", resolved="2026-04-20 09:00"),
        request("D5", "2026-03-25 09:00"),
        request("D6", "2026-01-20 09:00", reporter="b", resolved="2026-02-10 21:00"),
    ]
    tables = make_tables(teams=TEAMS, memberships=PMS, work_items=requests)
    found, counted, value = listed(tables, "data_request_days_to_fulfil", scope="team", scope_id="t1")
    assert found.set_index("Request")["Days"].to_dict() == {"D1": 2.0, "D2": 4.0, "D3": 10.0}
    assert counted == 4.0 == value
    moved, counted, value = listed(tables, "data_request_days_to_fulfil", scope="team", scope_id="t3")
    assert moved["Request"].tolist() == ["D6"] and counted == 21.5 == value, "b was on t3 when D6 was resolved"
    created, _, _ = listed(tables, "data_requests_per_pm", scope="team", scope_id="t1")
    assert "D6" in set(created["Request"]), "and on t1 when it was created"


def pm_week(person, week, overhead, working=40.0):
    return {"person_id": person, "week_start": week, "team_id": "t1", "working_hours": working, "overhead_hours": overhead}


def test_pm_weeks_weighted_by_their_pms_give_the_months_mean_over_pm_weeks():
    weeks = ([pm_week(p, "2026-01-05", h) for p, h in (("a", 10), ("b", 20), ("c", 30))]
             + [pm_week(p, "2026-01-12", h) for p, h in (("a", 4), ("b", 8), ("c", 12), ("d", 16))])
    found, counted, value = listed(make_tables(teams=TEAMS, pm_weeks=weeks), "pm_overhead_share", grain="month")
    # 25, 50 and 75 % (mean 50 %) in one week, 10 to 40 % (mean 25 %) over four PMs in the next.
    assert found["Week of"].tolist() == ["2026-01-05", "2026-01-12"]
    assert found["PM time on process overhead (%)"].tolist() == pytest.approx([50.0, 25.0])
    assert found["PMs"].tolist() == [3, 4]
    assert counted == pytest.approx((0.5 * 3 + 0.25 * 4) / 7) == pytest.approx(value)


def test_when_a_week_is_hidden_the_weeks_say_so_instead_of_adding_up():
    weeks = [pm_week(p, day, h + shift) for day, shift in (("2026-01-05", 0.0), ("2026-01-12", 4.0))
             for p, h in (("a", 10.0), ("b", 20.0), ("c", 30.0))]
    weeks.append(pm_week("a", "2026-01-19", 40.0))
    found, counted, _ = listed(make_tables(teams=TEAMS, pm_weeks=weeks), "pm_overhead_share", grain="month")
    assert "2026-01-19" not in set(found["Week of"]) and (found["PMs"] >= Settings().privacy.min_calendar_group).all()
    assert counted is None
    assert "hidden by the privacy rules" in bottlenecks.summary(METRICS["pm_overhead_share"], found, "month")


def test_a_pm_week_without_working_hours_keeps_the_weeks_from_adding_up():
    """d's week has no share, yet d is one of the week's PMs: weighted by PMs, the weeks would miss."""
    weeks = ([pm_week(p, "2026-01-05", h) for p, h in (("a", 10), ("b", 20), ("c", 30))] + [pm_week("d", "2026-01-05", 0, working=0)]
             + [pm_week(p, "2026-01-12", h) for p, h in (("a", 4), ("b", 8), ("c", 12), ("d", 16))])
    found, counted, value = listed(make_tables(teams=TEAMS, pm_weeks=weeks), "pm_overhead_share", grain="month")
    assert value == pytest.approx((0.25 + 0.5 + 0.75 + 0.1 + 0.2 + 0.3 + 0.4) / 7)
    assert found["PMs"].tolist() == [4, 4] and counted is None
    assert "do not give this value exactly" in bottlenecks.summary(METRICS["pm_overhead_share"], found, "month")


# ---------------------------------------------------------------------------------------------
# The demo organisation: every value with records, recounted from them


@pytest.fixture(scope="module")
def demo_tables(demo_db) -> dict[str, pd.DataFrame]:
    return load_tables(Store(demo_db))


RECORDED = [metric_id for metric_id, metric in METRICS.items() if "survey" not in metric.sources]


@pytest.mark.parametrize(("grain", "period"), [("month", date(2026, 9, 1)), ("quarter", date(2026, 10, 1)), ("week", date(2026, 9, 14))])
def test_every_demo_value_adds_up_from_its_records(demo_tables, grain, period):
    """The organisation, a group and a team; a quarter still running on the demo's day among them."""
    teams = demo_tables["teams"]
    cuts = [("org", "org"), ("group", teams["group_name"].iloc[0]), ("team", teams["team_id"].iloc[0])]
    last = min(next_start(period, grain) - timedelta(days=1), DEMO_TODAY)
    for scope, scope_id in cuts:
        series = compute_series(demo_tables, Settings(), grain, scope, period, last, RECORDED)
        cells = series[(series["scope_id"] == scope_id) & (series["period_start"] == period) & series["value"].notna()]
        assert len(cells) >= 8, cells
        for cell in cells.itertuples():
            metric = METRICS[cell.metric_id]
            rows = bottlenecks.records(metric, demo_tables, Settings(), scope, scope_id, period, next_start(period, grain), DEMO_TODAY, grain)
            if rows is None:
                assert metric.id in bottlenecks.UNLISTED, (cell, "a value with no records lister")
                continue
            counted = bottlenecks.from_records(metric, rows)
            if rows.empty:
                assert cell.value == 0, (cell, "a value with no records behind it")
                continue
            assert counted == pytest.approx(cell.value, rel=1e-9), (grain, scope_id, cell.metric_id, bottlenecks.summary(metric, rows))


@pytest.mark.parametrize(("grain", "period"), [("month", date(2026, 9, 1)), ("quarter", date(2026, 7, 1)), ("week", date(2026, 9, 14))])
def test_a_values_records_read_alone_from_the_store_are_those_of_every_table_read_whole(demo_db, demo_tables, grain, period):
    """The drill-down reads only its metric's tables, and of those only the rows from just before
    its period on (`stored_records`): it must list what the whole tables list, for every metric."""
    teams = demo_tables["teams"]
    store = Store(demo_db)
    compared = 0
    for scope, scope_id in [("org", "org"), ("group", teams["group_name"].iloc[-1]), ("team", teams["team_id"].iloc[-1])]:
        for metric in (METRICS[metric_id] for metric_id in RECORDED):
            whole = bottlenecks.records(metric, demo_tables, Settings(), scope, scope_id, period, next_start(period, grain), DEMO_TODAY, grain)
            alone = bottlenecks.stored_records(store, metric, Settings(), scope, scope_id, period, grain, DEMO_TODAY)
            if whole is None:
                assert alone is None, metric.id
                continue
            pd.testing.assert_frame_equal(alone.reset_index(drop=True), whole.reset_index(drop=True), obj=f"{metric.id} {scope_id}")
            assert alone.attrs == whole.attrs, metric.id
            compared += not whole.empty
    assert compared >= 30
