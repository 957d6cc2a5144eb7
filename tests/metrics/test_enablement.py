"""Enablement from PMs' calendars: hand-worked small cases, the calendar's privacy rules, and the
demo's figures against a recomputation straight from its calendar occurrences."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from dashboard.core.config import Settings
from dashboard.core.store import Store
from dashboard.metrics import METRICS, compute_series, load_tables
from tests.metrics.test_metrics import pm_week, value
from tests.tables import TEAMS, make_tables

JAN = date(2026, 1, 1)


def week(person, team, enablement, when="2026-01-05", **hours):
    return {**pm_week(person, team, week=when, **hours), "enablement_hours": enablement}


def test_both_are_s3_figures_declared_after_the_release_metrics():
    ids = list(METRICS)
    assert ids.index("enablement_reach") == ids.index("release_lead_time_days") + 1
    assert ids.index("enablement_hours_per_pm") == ids.index("enablement_reach") + 1
    assert {METRICS[m].signal for m in ("enablement_reach", "enablement_hours_per_pm")} == {"S3"}


def test_hours_per_pm_is_the_mean_over_pm_weeks_and_n_is_distinct_pms():
    weeks = [week("a", "t1", 2.0), week("a", "t1", 0.0, when="2026-01-12"), week("b", "t1", 1.0), week("c", "t2", 0.0)]
    got, n = value(make_tables(teams=TEAMS, pm_weeks=weeks), "enablement_hours_per_pm")
    assert got == pytest.approx(3.0 / 4) and n == 3


def test_reach_counts_a_pm_once_however_many_sessions_they_attended():
    """January: a attends twice, b once, c and d never: 2 of 4 PMs. The week of 12 January: a alone of a, c."""
    weeks = [week("a", "t1", 1.0), week("a", "t1", 2.0, when="2026-01-12"), week("b", "t1", 1.5, when="2026-01-19"),
             week("c", "t3", 0.0), week("c", "t3", 0.0, when="2026-01-12"), week("d", "t3", 0.0)]
    tables = make_tables(teams=TEAMS, pm_weeks=weeks)
    assert value(tables, "enablement_reach", grain="month", period=JAN) == (pytest.approx(0.5), 4)
    assert value(tables, "enablement_reach") == (pytest.approx(0.5), 4)
    assert value(tables, "enablement_reach", grain="week", period=date(2026, 1, 5)) == (pytest.approx(1 / 3), 3)


def test_a_pm_who_moved_team_mid_month_counts_once_on_their_first_team():
    weeks = [week(p, "t1", 1.0 if p == "a" else 0.0) for p in "abc"]
    weeks += [week("a", "t3", 0.0, when="2026-01-12")] + [week(p, "t3", 1.0) for p in "def"]
    tables = make_tables(teams=TEAMS, pm_weeks=weeks)
    assert value(tables, "enablement_reach", grain="month", period=JAN) == (pytest.approx(4 / 6), 6)
    assert value(tables, "enablement_reach", grain="month", scope="team", scope_id="t1", period=JAN) == (pytest.approx(1 / 3), 3)
    assert value(tables, "enablement_reach", grain="month", scope="team", scope_id="t3", period=JAN) == (pytest.approx(1.0), 3)


@pytest.mark.parametrize("metric_id", ["enablement_reach", "enablement_hours_per_pm"])
def test_under_the_calendar_minimum_neither_value_nor_n_is_shown_nor_recoverable(metric_id):
    """G1 = t1 (3 PMs) + t2 (1 PM): G1 and t1 together would give t2's PM away."""
    weeks = [week(p, "t1", h) for p, h in (("a", 1.0), ("b", 0.0), ("c", 2.0))] + [week("d", "t2", 3.0)]
    weeks += [week(p, "t3", 0.5) for p in "efg"]
    tables = make_tables(teams=TEAMS, pm_weeks=weeks)
    t2 = value(tables, metric_id, scope="team", scope_id="t2")
    assert np.isnan(t2[0]) and pd.isna(t2[1])
    t1, _ = value(tables, metric_id, scope="team", scope_id="t1")
    g1, _ = value(tables, metric_id, scope="group", scope_id="G1")
    assert np.isnan(t1) or np.isnan(g1)
    assert value(tables, metric_id, scope="team", scope_id="t3")[1] == 3


def test_weeks_derived_before_enablement_hours_existed_are_not_read_as_none_attended():
    weeks = [week(p, "t1", None) for p in "abc"]
    tables = make_tables(teams=TEAMS, pm_weeks=weeks)
    for metric_id in ("enablement_reach", "enablement_hours_per_pm"):
        assert np.isnan(value(tables, metric_id)[0])


def test_existing_calendar_figures_do_not_move_with_enablement_hours():
    plain = [pm_week(p, t, overhead=o, focus=f) for p, t, o, f in (("a", "t1", 4, 9), ("b", "t1", 8, 3), ("c", "t1", 2, 12),
                                                                   ("d", "t2", 6, 1), ("e", "t3", 5, 5))]
    with_enablement = [{**row, "enablement_hours": h} for row, h in zip(plain, (1.0, 0.0, 2.0, 0.0, 1.0))]
    ids = ["pm_overhead_share", "pm_strategy_share", "pm_focus_hours", "pm_meeting_hours"]
    for scope in ("org", "group", "team"):
        before = compute_series(make_tables(teams=TEAMS, pm_weeks=plain), Settings(), "month", scope, JAN, date(2026, 3, 31), ids)
        after = compute_series(make_tables(teams=TEAMS, pm_weeks=with_enablement), Settings(), "month", scope, JAN,
                               date(2026, 3, 31), ids)
        pd.testing.assert_frame_equal(before, after)


def _recomputed_from_occurrences(tables: dict[str, pd.DataFrame], settings: Settings) -> pd.DataFrame:
    """Per organisation month: PMs with a PM-week in it, PMs with an accepted enablement
    occurrence in one of those weeks, and the enablement hours, from `calendar_events` alone."""
    pms = tables["people"].query("role == 'pm'").set_index("person_id")["tz"].fillna(settings.org_timezone)
    events = tables["calendar_events"]
    events = events[(events["category"] == "enablement") & (events["response"].fillna("accepted") != "declined")
                    & events["person_id"].isin(pms.index)].copy()
    local = [pd.Timestamp(start).tz_localize("UTC").tz_convert(pms[person]).tz_localize(None)
             for start, person in zip(events["start_utc"], events["person_id"])]
    events["week_start"] = [(t - pd.Timedelta(days=t.weekday())).date() for t in local]
    events["hours"] = (pd.to_datetime(events["end_utc"]) - pd.to_datetime(events["start_utc"])) / pd.Timedelta(hours=1)
    attended = events.groupby(["person_id", "week_start"])["hours"].sum()
    weeks = tables["pm_weeks"][["person_id", "week_start"]].copy()
    weeks["week_start"] = pd.to_datetime(weeks["week_start"]).dt.date
    weeks["hours"] = [attended.get((p, w), 0.0) for p, w in zip(weeks["person_id"], weeks["week_start"])]
    weeks["month"] = [w.replace(day=1) for w in weeks["week_start"]]
    per_pm = weeks.groupby(["month", "person_id"])["hours"].sum().gt(0)
    return pd.DataFrame({"pms": per_pm.groupby(level=0).size(), "reached": per_pm.groupby(level=0).sum(),
                         "hours": weeks.groupby("month")["hours"].mean()})


def test_the_demo_agrees_with_a_recomputation_from_its_calendar_occurrences(demo_db):
    settings = Settings()
    tables = load_tables(Store(demo_db))
    tables["calendar_events"] = Store(demo_db).query("SELECT * FROM calendar_events")
    expected = _recomputed_from_occurrences(tables, settings)
    months = expected.index
    series = compute_series(tables, settings, "month", "org", months.min(), months.max(),
                            ["enablement_reach", "enablement_hours_per_pm"]).set_index(["metric_id", "period_start"])
    reach = series.loc["enablement_reach"].reindex(months)
    hours = series.loc["enablement_hours_per_pm"].reindex(months)
    held = expected["reached"] > 0
    assert reach.loc[held, "value"].notna().all() and hours.loc[held, "value"].notna().all()
    assert reach.loc[~held, "value"].fillna(0).eq(0).all(), "a month of no sessions shows nothing, or 0"
    assert (expected.loc[held, "reached"] / expected.loc[held, "pms"]).to_numpy() == pytest.approx(reach.loc[held, "value"].to_numpy())
    assert expected.loc[held, "pms"].tolist() == reach.loc[held, "n"].tolist()
    assert expected.loc[held, "hours"].to_numpy() == pytest.approx(hours.loc[held, "value"].to_numpy())
    first, settled = reach.loc[held, "value"].iloc[0], reach.loc[held, "value"].iloc[-6:]
    assert first < 0.6 and settled.between(0.8, 0.99).all(), "the demo's enablement reaches more PMs, never all"
