"""New-PM ramp: hand-worked small rosters, and the demo against a recomputation from its tables."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from dashboard.core.config import Settings
from dashboard.core.store import Store
from dashboard.metrics import METRICS, compute_series, load_tables
from tests.metrics.test_metrics import value
from tests.tables import TEAMS, make_tables, recount


def pm(person, team, joined, active_from="2020-01-01", before=None):
    """A PM who joined `team` as a PM on `joined`; `before` is a role they held there first."""
    person_row = {"person_id": person, "role": "pm", "team_id": team, "active_from": active_from}
    rows = [{"person_id": person, "team_id": team, "role": "pm", "valid_from": joined, "valid_to": None}]
    if before:
        rows.append({"person_id": person, "team_id": team, "role": before, "valid_from": active_from, "valid_to": joined})
    return person_row, rows


def roster(*pms):
    return {"people": [p for p, _ in pms], "memberships": [m for _, rows in pms for m in rows]}


def checkin(cid, team, submitted, owner=None, due=None, status="on_time"):
    return {"checkin_id": cid, "team_id": team, "owner_id": owner, "kind": "weekly_status", "due_at": due or submitted,
            "submitted_at": submitted, "status": status}


def release(rid, team, released_on):
    return {"release_id": rid, "project": "P", "team_id": team, "name": rid, "released": True, "released_on": released_on}


def test_both_are_s3_figures_where_lower_is_better():
    for metric_id in ("new_pm_days_to_first_checkin", "new_pm_days_to_first_release"):
        assert METRICS[metric_id].signal == "S3" and METRICS[metric_id].better == "lower"


def test_days_to_first_release_is_the_median_over_pms_who_joined_in_the_period():
    """a waits 10 days, b 4 (a t1 release before b joined does not count), c 30; d joined in Q4."""
    tables = make_tables(teams=TEAMS, **roster(pm("a", "t1", "2026-01-05"), pm("b", "t1", "2026-01-20"),
                                               pm("c", "t3", "2026-02-01", before="eng"), pm("d", "t3", "2025-12-01")),
                         releases=[release("r1", "t1", "2026-01-15"), release("r2", "t1", "2026-01-24"),
                                   release("r3", "t3", "2026-03-03")])
    assert value(tables, "new_pm_days_to_first_release") == (pytest.approx(10.0), 3)


def test_days_to_first_checkin_counts_own_or_unowned_team_checkins_delivered_on_time():
    """a: own on-time check-in 3 days in (a late one on day 1 does not count). b: the team's form,
    no owner, 6 days in (a's check-in is not b's). c: 14 days in."""
    tables = make_tables(teams=TEAMS, **roster(pm("a", "t1", "2026-01-05"), pm("b", "t1", "2026-01-05"),
                                               pm("c", "t3", "2026-01-12")),
                         checkins=[checkin("k0", "t1", "2026-01-06 10:00", owner="a", due="2026-01-05 10:00", status="late"),
                                   checkin("k1", "t1", "2026-01-08 10:00", owner="a"),
                                   checkin("k2", "t1", "2026-01-11 10:00"),
                                   checkin("k3", "t3", "2026-01-26 10:00", owner="c"),
                                   checkin("k4", "t3", "2026-01-02 10:00", owner="c")])
    assert value(tables, "new_pm_days_to_first_checkin") == (pytest.approx(6.0), 3)


def test_fewer_new_pms_than_the_calendar_minimum_show_neither_value_nor_n():
    tables = make_tables(teams=TEAMS, **roster(pm("a", "t1", "2026-01-05"), pm("b", "t1", "2026-01-20"),
                                               pm("c", "t3", "2026-02-01")),
                         releases=[release("r1", "t1", "2026-01-25"), release("r3", "t3", "2026-03-03")])
    got, n = value(tables, "new_pm_days_to_first_release", scope="team", scope_id="t1")
    assert np.isnan(got) and pd.isna(n)
    assert value(tables, "new_pm_days_to_first_release") == (pytest.approx(20.0), 3)
    got, n = value(tables, "new_pm_days_to_first_release", scope="team", scope_id="t2")
    assert np.isnan(got) and n == 0


def test_the_demo_agrees_with_a_recomputation_from_its_roster_releases_and_checkins(demo_db):
    store = Store(demo_db)
    tables = load_tables(store)
    joined = recount(store, "SELECT m.person_id, min(m.valid_from) AS joined, arg_min(m.team_id, m.valid_from) AS team_id "
                                 "FROM memberships m JOIN people p USING (person_id) WHERE p.role = 'pm' AND m.role = 'pm' "
                         "GROUP BY m.person_id")
    first = recount(store, "SELECT j.person_id, min(r.released_on) AS day FROM (SELECT m.person_id, min(m.valid_from) AS joined, "
                        "arg_min(m.team_id, m.valid_from) AS team_id FROM memberships m JOIN people p USING (person_id) "
                        "WHERE p.role = 'pm' AND m.role = 'pm' GROUP BY m.person_id) j JOIN releases r "
                        "ON r.team_id = j.team_id AND r.released AND r.released_on >= j.joined GROUP BY j.person_id")
    days = joined.merge(first, on="person_id")
    days["days"] = (pd.to_datetime(days["day"]) - pd.to_datetime(days["joined"])).dt.days
    days["year"] = pd.to_datetime(days["joined"]).dt.year
    series = compute_series(tables, Settings(), "quarter", "org", date(2024, 10, 1), date(2026, 11, 26),
                            ["new_pm_days_to_first_release"])
    days["quarter"] = pd.to_datetime(days["joined"]).dt.to_period("Q").dt.start_time.dt.date
    expected = days.groupby("quarter")["days"].agg(["median", "size"])
    for _, row in series.iterrows():
        if row["period_start"] not in expected.index or expected.loc[row["period_start"], "size"] < 3:
            assert np.isnan(row["value"])
        else:
            assert row["value"] == pytest.approx(expected.loc[row["period_start"], "median"])
            assert row["n"] == expected.loc[row["period_start"], "size"]
