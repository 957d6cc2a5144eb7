"""The bottleneck hunt: robust distances, trends, streaks and movers on small hand-made series
whose answers are worked out here, the one-problem-one-row rule, the records behind a row, and
on the demo organisation the story it was built with, found from the data."""
from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from dashboard.analysis import bottlenecks, compare
from dashboard.core.config import Settings
from dashboard.metrics import METRICS, compute_series
from tests.tables import make_tables

ON_TIME = METRICS["release_on_time_rate"]  # share, higher is better
SLIP = METRICS["release_slip_days"]  # days, lower is better
Q1, Q2, Q3, Q4 = date(2026, 1, 1), date(2026, 4, 1), date(2026, 7, 1), date(2026, 10, 1)


def rows(metric_id: str, scope: str, period: date, values: dict[str, float], n: int = 10) -> list[dict]:
    return [
        {"metric_id": metric_id, "period_start": period, "grain": "quarter", "scope": scope, "scope_id": scope_id,
         "value": value, "n": n}
        for scope_id, value in values.items()
    ]


# ---------------------------------------------------------------------------------------------
# Spreads and distances


def test_robust_spread_is_the_scaled_mad():
    # median 3; deviations 2, 1, 0, 1, 97 -> MAD 1 -> 1.4826: the outlier does not widen the spread.
    assert compare.robust_spread([1, 2, 3, 4, 100], "count") == pytest.approx(1.4826)


def test_robust_spread_falls_back_to_the_mean_deviation_when_most_peers_agree():
    # median 1; deviations 0, 0, 0, 0, 1 -> MAD 0 -> mean deviation 0.2 x 1.2533 = 0.25066.
    assert compare.robust_spread([1, 1, 1, 1, 0], "share") == pytest.approx(0.25066)


def test_robust_spread_has_a_floor_per_unit_and_needs_three_peers():
    # mean deviation 0.0025 x 1.2533 = 0.0031 is below two percentage points.
    assert compare.robust_spread([0.50, 0.50, 0.51, 0.50], "share") == 0.02
    assert math.isnan(compare.robust_spread([1.0, 2.0], "days"))
    assert compare.robust_spread([1.0, None, 2.0, 3.0, float("nan")], "count") == pytest.approx(1.4826)


def test_distance_is_positive_when_worse_in_either_direction():
    frame = pd.DataFrame(
        rows("release_on_time_rate", "team", Q4, {"t1": 1, "t2": 1, "t3": 1, "t4": 1, "t5": 0})
        + rows("release_slip_days", "team", Q4, {"t1": 0, "t2": 0, "t3": 0, "t4": 0, "t5": 4})
    )
    scored = compare.distances(frame, METRICS).set_index(["metric_id", "scope_id"])
    # on time: centre 1, spread 0.2 x 1.2533; t5 at 0 is 1 / 0.25066 = 3.99 spreads worse.
    assert scored.loc[("release_on_time_rate", "t5"), "distance"] == pytest.approx(1 / 0.25066, rel=1e-4)
    # slip: centre 0, mean deviation 0.8 x 1.2533 = 1.00264; t5 at 4 days is 3.99 spreads worse.
    assert scored.loc[("release_slip_days", "t5"), "distance"] == pytest.approx(4 / 1.00264, rel=1e-4)
    assert scored.loc[("release_slip_days", "t1"), "distance"] == 0


def test_slope_skips_gaps_and_needs_three_points():
    assert compare.slope([1.0, 2.0, 3.0]) == pytest.approx(1.0)
    # x = 0, 2, 3 and y = 3, 1, 0: sxy = -42/9, sxx = 42/9.
    assert compare.slope([3.0, float("nan"), 1.0, 0.0]) == pytest.approx(-1.0)
    assert math.isnan(compare.slope([1.0, float("nan"), 2.0]))


@pytest.fixture()
def drifting() -> pd.DataFrame:
    """Four teams over four quarters; t4 slips one more day each quarter, the others never slip."""
    frames = [
        rows("release_slip_days", "team", quarter, {"t1": 0, "t2": 0, "t3": 0, "t4": float(k)})
        for k, quarter in enumerate([Q1, Q2, Q3, Q4])
    ]
    return compare.distances(pd.DataFrame([row for frame in frames for row in frame]), METRICS)


def test_trend_is_measured_in_this_quarters_spread(drifting):
    # Q4: centre 0, mean deviation 0.75 x 1.2533 = 0.939975; t4 sits 0, 1, 2, 3 days above the
    # median in Q1..Q4, so it moves 1 / 0.939975 = 1.0638 spreads a quarter.
    trends = compare.trends(drifting, METRICS, Q4).set_index("scope_id")["worsening"]
    assert trends["t4"] == pytest.approx(1 / 0.939975, rel=1e-5)
    assert trends["t1"] == 0


def test_streak_counts_the_quarters_in_a_row_it_has_been_worse(drifting):
    # Own spreads: Q1 0.5 (floor, everyone at 0: distance 0), Q2 floor 0.5 (distance 2),
    # Q3 0.62665 (distance 3.19), Q4 0.94 (3.19): worse for three quarters, since Q2.
    streaks = compare.streaks(drifting, Q4, threshold=1.5).set_index("scope_id")
    assert streaks.loc["t4", "quarters"] == 3 and streaks.loc["t4", "since"] == Q2
    assert streaks.loc["t1", "quarters"] == 0 and streaks.loc["t1", "since"] is None


def test_movers_rank_changes_in_spreads_both_ways():
    frame = pd.DataFrame(
        rows("release_slip_days", "team", Q3, {"t1": 2, "t2": 2, "t3": 2, "t4": 2, "t5": 6})
        + rows("release_slip_days", "team", Q4, {"t1": 2, "t2": 2, "t3": 2, "t4": 5, "t5": 2})
    )
    improved, _, worsened = compare.movers(frame, METRICS, Q4, Q3)
    # Q3 spread: centre 2, mean deviation 0.8 x 1.2533 = 1.00264. t5 fell 4 days: 3.99 spreads
    # better; t4 rose 3 days: 2.99 spreads worse. The unchanged teams are in neither list.
    assert improved[["scope_id", "change"]].values.tolist() == [["t5", -4.0]]
    assert improved["moved"].iloc[0] == pytest.approx(4 / 1.00264, rel=1e-4)
    assert worsened[["scope_id", "change"]].values.tolist() == [["t4", 3.0]]
    assert worsened["moved"].iloc[0] == pytest.approx(-3 / 1.00264, rel=1e-4)
    only, _, _ = compare.movers(frame, METRICS, Q4, Q3, cells={"t4"})
    assert only.empty


def test_movers_list_at_most_two_cells_of_one_metric():
    frame = pd.DataFrame(
        rows("release_slip_days", "team", Q3, {f"t{k}": 10.0 for k in range(6)} | {"t6": 0, "t7": 0, "t8": 0})
        + rows("release_slip_days", "team", Q4, {f"t{k}": 0.0 for k in range(9)})
    )
    improved, _, _ = compare.movers(frame, METRICS, Q4, Q3)
    assert len(improved) == 2
    assert len(compare.movers(frame, METRICS, Q4, Q3, per_metric=None)[0]) == 5


def test_a_mover_needs_enough_n_and_better_but_still_far_worse_is_listed_apart():
    teams = {"t1": 2, "t2": 2, "t3": 2, "t4": 2}
    frame = pd.DataFrame(
        rows("release_slip_days", "team", Q3, teams | {"t5": 30}) + rows("release_slip_days", "team", Q4, teams | {"t5": 12})
        + rows("release_slip_days", "team", Q3, {"t6": 9}, n=1) + rows("release_slip_days", "team", Q4, {"t6": 2}, n=1)
    )
    improved, still_worst, worsened = compare.movers(frame, METRICS, Q4, Q3)
    assert improved.empty and worsened.empty, "t6's 7 days rest on one release each quarter"
    assert still_worst[["scope_id", "change"]].values.tolist() == [["t5", -18.0]]
    assert len(compare.movers(frame, METRICS, Q4, Q3, min_n=1)[0]) == 1, "with n allowed, t6 is a real improvement"


# ---------------------------------------------------------------------------------------------
# Ranking: one problem, one row

GROUP_OF = {"a1": "A", "a2": "A", "b1": "B", "b2": "B", "c1": "C", "c2": "C", "d1": "D", "d2": "D"}


@pytest.fixture()
def organisation() -> pd.DataFrame:
    """Group A slips every release (both its teams); team b1 alone stopped sending check-ins."""
    return pd.DataFrame(
        rows("release_on_time_rate", "team", Q4, {"a1": 0, "a2": 0, "b1": .9, "b2": .9, "c1": 1, "c2": .9, "d1": .95, "d2": .9})
        + rows("release_on_time_rate", "group", Q4, {"A": 0, "B": .9, "C": .95, "D": .92})
        + rows("checkin_compliance_rate", "team", Q4, {"a1": 1, "a2": 1, "b1": .2, "b2": 1, "c1": 1, "c2": 1, "d1": 1, "d2": 1})
        + rows("checkin_compliance_rate", "group", Q4, {"A": 1, "B": .6, "C": 1, "D": 1})
    )


def test_a_group_wide_problem_is_one_row_naming_its_teams(organisation):
    ranked = bottlenecks.rank(organisation, METRICS, Q4, GROUP_OF, {"a1": "Alpha", "a2": "Apex"})
    on_time = ranked[ranked["metric_id"] == "release_on_time_rate"]
    # Teams: median 0.9, deviations 0.9 0.9 0 0 0.1 0 0.05 0 -> MAD 0.025 -> spread 0.037065.
    # Groups: median 0.91, deviations 0.91 0.01 0.04 0.01 -> MAD 0.025 -> spread 0.037065.
    top = on_time.iloc[0]
    assert (top["scope"], top["scope_id"]) == ("group", "A")
    assert top["distance"] == pytest.approx(0.91 / 0.037065, rel=1e-4)
    assert top["note"] == "2 of 2 teams: Alpha, Apex"
    assert not set(on_time["scope_id"]) & {"a1", "a2"}, "the group's teams are folded into its row"


def test_one_team_dragging_its_group_down_is_the_teams_row(organisation):
    ranked = bottlenecks.rank(organisation, METRICS, Q4, GROUP_OF, {"B": "Bravo"})
    checkins = ranked[ranked["metric_id"] == "checkin_compliance_rate"]
    top = checkins.iloc[0]
    # Teams: median 1, one deviation of 0.8 -> mean 0.1 x 1.2533 -> b1 is 0.8 / 0.12533 = 6.38 worse.
    assert (top["scope"], top["scope_id"], top["note"]) == ("team", "b1", "pulls Bravo down")
    assert top["distance"] == pytest.approx(0.8 / 0.12533, rel=1e-4)
    assert "B" not in set(checkins.loc[checkins["scope"] == "group", "scope_id"])


def test_severity_discounts_thin_evidence():
    # Same distance and trend: n = 2 counts half (2 / (2 + 2)), n = 18 counts 0.9.
    severity = bottlenecks.severity(pd.Series([4.0, 4.0]), pd.Series([1.0, -1.0]), pd.Series([2, 18]))
    assert severity.tolist() == pytest.approx([(4 + 1) * 0.5, 4 * 0.9])


def test_hidden_values_are_never_ranked():
    frame = pd.DataFrame(rows("alignment_score_pm", "team", Q4, {"a1": np.nan, "a2": 70, "b1": 72, "b2": 75}, n=3))
    ranked = bottlenecks.rank(frame, METRICS, Q4, GROUP_OF)
    assert "a1" not in set(ranked["scope_id"])


def test_row_ids_round_trip():
    assert bottlenecks.parse_row_id(bottlenecks.row_id("release_slip_days", "group", "Data & AI")) == (
        "release_slip_days", "group", "Data & AI")
    assert bottlenecks.parse_row_id("nonsense") is None


# ---------------------------------------------------------------------------------------------
# The records behind a row


def test_release_records_measure_lateness_against_the_first_plan():
    tables = make_tables(
        teams=[{"team_id": "t1", "name": "One", "group_name": "G1"}, {"team_id": "t2", "name": "Two", "group_name": "G1"}],
        releases=[
            {"release_id": "r1", "project": "P", "team_id": "t1", "name": "P 1.0", "released": True, "released_on": "2026-10-20"},
            {"release_id": "r2", "project": "P", "team_id": "t1", "name": "P 1.1", "released": False},
            {"release_id": "r3", "project": "Q", "team_id": "t2", "name": "Q 1.0", "released": True, "released_on": "2026-10-05"},
        ],
        release_plans=[
            {"release_id": "r1", "observed_at": "2026-09-01", "planned_date": "2026-10-10"},
            {"release_id": "r1", "observed_at": "2026-10-01", "planned_date": "2026-10-20"},
            {"release_id": "r2", "observed_at": "2026-09-01", "planned_date": "2026-11-01"},
            {"release_id": "r3", "observed_at": "2026-09-01", "planned_date": "2026-10-06"},
        ],
    )
    team = bottlenecks.records(SLIP, tables, Settings(), "team", "t1", Q4, date(2027, 1, 1), date(2026, 11, 26))
    assert team[["Release", "Days late", "Re-plans", "State"]].values.tolist() == [
        ["P 1.1", 25.0, 0, "not released"],  # planned for 1 Nov, still open on 26 Nov
        ["P 1.0", 10.0, 1, "late"],  # first plan 10 Oct, released 20 Oct (its later plan)
    ]
    group = bottlenecks.records(SLIP, tables, Settings(), "group", "G1", Q4, date(2027, 1, 1), date(2026, 11, 26))
    assert group["State"].tolist() == ["not released", "late", "on time"]


def test_checkin_records_put_missing_first():
    tables = make_tables(
        teams=[{"team_id": "t1", "name": "One", "group_name": "G1"}],
        checkins=[
            {"checkin_id": "c1", "team_id": "t1", "kind": "weekly", "period_start": "2026-10-05", "due_at": "2026-10-09 16:00"},
            {"checkin_id": "c2", "team_id": "t1", "kind": "weekly", "period_start": "2026-10-12", "due_at": "2026-10-16 16:00",
             "submitted_at": "2026-10-17 09:00"},
            {"checkin_id": "c3", "team_id": "t1", "kind": "weekly", "period_start": "2026-10-19", "due_at": "2026-10-23 16:00",
             "submitted_at": "2026-10-23 15:00"},
            {"checkin_id": "c4", "team_id": "t1", "kind": "weekly", "period_start": "2026-12-07", "due_at": "2026-12-11 16:00"},
        ],
    )
    found = bottlenecks.records(METRICS["checkin_compliance_rate"], tables, Settings(), "team", "t1", Q4,
                                date(2027, 1, 1), date(2026, 11, 26))
    # c2 is 17 h late, beyond the 4 h grace; c4 falls due after 26 Nov, so it is not listed yet.
    assert found["State"].tolist() == ["missing", "late", "on time"]
    assert found["Due"].iloc[0] == "2026-10-09 16:00"


def test_pm_week_records_list_only_the_weeks_the_privacy_rules_publish():
    weeks = [
        {"person_id": p, "week_start": day, "team_id": "t1", "working_hours": 40.0, "overhead_hours": h + shift}
        for day, shift in (("2026-10-05", 0.0), ("2026-10-12", 4.0)) for p, h in [("p1", 10.0), ("p2", 20.0), ("p3", 30.0)]
    ]
    tables = make_tables(teams=[{"team_id": "t1", "name": "One", "group_name": "G1"}], pm_weeks=weeks)
    found = bottlenecks.records(METRICS["pm_overhead_share"], tables, Settings(), "team", "t1", Q4,
                                date(2027, 1, 1), date(2026, 11, 26))
    # Mean of 25 %, 50 %, 75 % over three PMs, then of 35 %, 60 %, 85 %; worst (highest) first.
    assert found["Week of"].tolist() == ["2026-10-12", "2026-10-05"] and found["PMs"].tolist() == [3, 3]
    assert found["PM time on process overhead (%)"].tolist() == pytest.approx([60.0, 50.0])
    lonely = [*weeks, {"person_id": "p1", "week_start": "2026-10-19", "team_id": "t1", "working_hours": 40.0, "overhead_hours": 40.0}]
    tables = make_tables(teams=[{"team_id": "t1", "name": "One", "group_name": "G1"}], pm_weeks=lonely)
    found = bottlenecks.records(METRICS["pm_overhead_share"], tables, Settings(), "team", "t1", Q4,
                                date(2027, 1, 1), date(2026, 11, 26))
    weekly = compute_series(tables, Settings(), "week", "team", Q4, date(2026, 12, 31), ["pm_overhead_share"])
    published = {str(d) for d in weekly.loc[weekly["value"].notna(), "period_start"]}
    assert "2026-10-19" not in set(found["Week of"]), "one PM's week"
    assert set(found["Week of"]) == published and len(published) < 3, "October less two shown weeks would be p1's week"


def test_survey_metrics_have_no_records():
    assert bottlenecks.records(METRICS["alignment_score_pm"], make_tables(), Settings(), "team", "t1", Q4,
                               date(2027, 1, 1), date(2026, 11, 26)) is None
    assert "anonymous" in bottlenecks.summary(METRICS["alignment_score_pm"], None)


# ---------------------------------------------------------------------------------------------
# The demo organisation's story, found from its data


@pytest.fixture(scope="module")
def demo_quarterly(demo_db):
    from dashboard.core.store import Store
    from dashboard.metrics import compute_series, load_tables

    store = Store(demo_db)
    tables = load_tables(store)
    frames = [compute_series(tables, Settings(), "quarter", scope, date(2025, 1, 1), date(2026, 11, 26))
              for scope in ("group", "team")]
    teams = store.table("teams")
    return pd.concat(frames, ignore_index=True), dict(zip(teams["team_id"], teams["group_name"]))


@pytest.mark.parametrize("quarter", [Q3, Q4])
def test_the_slipping_group_and_the_silent_team_come_first(demo_quarterly, quarter):
    from dashboard.demo import SILENT_TEAM, SLIPPING_GROUP

    quarterly, group_of = demo_quarterly
    top = bottlenecks.rank(quarterly, METRICS, quarter, group_of).head(5)
    found = set(zip(top["metric_id"], top["scope_id"]))
    assert {("release_on_time_rate", SLIPPING_GROUP), ("release_slip_days", SLIPPING_GROUP)} <= found, top
    assert {m for m, scope_id in found if scope_id == SILENT_TEAM} >= {"checkin_compliance_rate"}, top
    silent = top[top["scope_id"] == SILENT_TEAM].iloc[0]
    assert silent["since"] == Q2, "the team went quiet in the second quarter of 2026"


@pytest.mark.parametrize(("worsening", "said"), [
    (0.27, "getting worse"), (-0.3, "getting better"), (0.1, "steady"), (-0.1, "steady"), (float("nan"), "–"),
])
def test_the_trend_is_said_in_words_and_a_move_under_half_a_spread_a_year_is_steady(worsening, said):
    assert bottlenecks.trend_text(worsening) == said
