"""Product ops itself (issue 21): PMs per product-ops person, by hand and against the roster."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from dashboard.analysis.investment import founding_against_target
from dashboard.core.config import Settings
from dashboard.metrics import compute_series
from dashboard.metrics.registry import EVERY_SCOPE
from tests.tables import TEAMS, make_tables

JAN = (date(2026, 1, 1), date(2026, 1, 31))
Q1 = (date(2026, 1, 1), date(2026, 3, 31))


def member(person, role, valid_from, valid_to=None, team=None):
    return {"person_id": person, "team_id": team, "role": role, "valid_from": valid_from, "valid_to": valid_to}


# January 2026 is sampled on the 1st, 8th, 15th, 22nd and 29th.
ROSTER = [
    member("a", "pm", "2025-01-01", team="t1"),
    member("b", "pm", "2025-01-01", team="t1"),
    member("c", "pm", "2025-01-01", team="t3"),
    member("d", "pm", "2026-01-15", team="t3"),   # from the third sample: 3/5 of January
    member("x", "prodops", "2025-06-01"),
    member("y", "prodops", "2026-01-08", "2026-01-22"),  # on two samples of five
    member("o", "ops", "2025-01-01"),  # operations staff are not product ops
]


def series(tables, grain="month", span=JAN, scope=EVERY_SCOPE):
    return compute_series(tables, Settings(), grain, scope, *span, ["pms_per_prodops"])


def cell(frame, scope_id, period=date(2026, 1, 1)):
    row = frame[(frame["scope_id"] == scope_id) & (frame["period_start"] == period)]
    assert len(row) == 1, frame
    return row["value"].iloc[0], row["n"].iloc[0]


def test_ratio_is_average_pm_headcount_over_average_prodops_headcount():
    tables = make_tables(teams=TEAMS, memberships=ROSTER)
    value, n = cell(series(tables, scope="org"), "org")
    pms, prodops = 3 + 3 / 5, 1 + 2 / 5
    assert value == pytest.approx(pms / prodops) and n == 2


def test_product_ops_has_no_team_so_groups_and_teams_have_no_ratio():
    tables = make_tables(teams=TEAMS, memberships=ROSTER)
    frame = series(tables)
    assert cell(frame, "org")[0] > 0
    for scope_id in ("G1", "G2", "t1", "t3"):
        value, n = cell(frame, scope_id)
        assert np.isnan(value) and n == 0
    for scope, scope_id in (("group", "G1"), ("team", "t3")):
        value, n = cell(series(tables, scope=scope), scope_id)
        assert np.isnan(value) and n == 0, "asked for one scope alone, too"


def test_no_one_in_product_ops_is_no_ratio_not_an_infinite_one():
    pms_only = [row for row in ROSTER if row["role"] != "prodops"]
    value, n = cell(series(make_tables(teams=TEAMS, memberships=pms_only), scope="org"), "org")
    assert np.isnan(value) and n == 0


def test_a_running_period_counts_only_the_days_asked_for():
    tables = make_tables(teams=TEAMS, memberships=ROSTER)
    value, n = cell(series(tables, scope="org", span=(date(2026, 1, 1), date(2026, 1, 10))), "org")
    assert value == pytest.approx(3 / 1.5) and n == 2, "sampled on the 1st and 8th only"


@pytest.mark.parametrize("grain", ["week", "month", "quarter"])
def test_every_grain_and_scope_has_a_row(grain):
    tables = make_tables(teams=TEAMS, memberships=ROSTER)
    frame = series(tables, grain=grain, span=Q1)
    scopes = frame.groupby("scope")["scope_id"].nunique().to_dict()
    assert scopes == {"org": 1, "group": 2, "team": 3}
    assert frame.loc[frame["scope"] == "org", "value"].notna().all()


def independent_ratio(people: pd.DataFrame, memberships: pd.DataFrame, start: date, end: date) -> float:
    """PMs per product-ops person from the roster, counted day by day on the weekly samples."""
    days = pd.date_range(start, end, freq="7D")

    def average(role: str) -> float:
        held = memberships[memberships["role"] == role]
        since = pd.to_datetime(held["valid_from"])
        until = pd.to_datetime(held["valid_to"]).fillna(pd.Timestamp.max)
        return float(np.mean([((since <= day) & (day < until)).sum() for day in days]))

    return average("pm") / average("prodops")


def test_demo_ratio_matches_the_roster_and_tells_the_late_investment_story(demo_db):
    from dashboard.core.store import Store
    from dashboard.demo import make_story
    from dashboard.metrics import load_tables
    from tests.conftest import DEMO_TODAY

    tables = load_tables(Store(demo_db))
    frame = compute_series(tables, Settings(), "quarter", "org", date(2024, 1, 1), DEMO_TODAY, ["pms_per_prodops"])
    org = frame.set_index("period_start")["value"]
    for start, got in org.dropna().items():
        end = min(pd.Timestamp(start) + pd.offsets.QuarterBegin(startingMonth=1), pd.Timestamp(DEMO_TODAY) + pd.Timedelta(days=1))
        expected = independent_ratio(tables["people"], tables["memberships"], start, end - pd.Timedelta(days=1))
        assert got == pytest.approx(expected)
    with Store(demo_db).reader() as con:
        annotations = con.execute("SELECT * FROM annotations").df()
    founded = annotations.set_index("label").loc["Product ops team founded", "on_date"]
    shown = org.dropna()
    assert pd.Timestamp(shown.index[0]) == pd.Timestamp(founded), "no ratio before product ops exists"
    before_wave = shown.iloc[:-2]
    assert len(before_wave) >= 4 and before_wave.iloc[-1] > before_wave.iloc[0], "PMs join, product ops does not"
    assert shown.iloc[-1] < 0.75 * shown.max(), "the late hiring wave brings the ratio down"

    overhead = compute_series(tables, Settings(), "quarter", "org", date(2024, 1, 1), DEMO_TODAY, ["pm_overhead_share"])
    lag = founding_against_target(founded, overhead.set_index("period_start")["value"],
                                  Settings().targets["pm_overhead_share"])
    assert lag.over_target == make_story(DEMO_TODAY).start and lag.days_late > 90, "PMs were over target long before product ops"


def week(person, overhead=0.0, focus=0.0, working=40.0, start="2026-01-05", team=None):
    return {"person_id": person, "week_start": start, "team_id": team, "working_hours": working, "meeting_hours": overhead,
            "overhead_hours": overhead, "strategy_hours": 0.0, "focus_hours": focus, "ooo_hours": 40 - working}


OPS_PEOPLE = [{"person_id": p, "role": "prodops"} for p in "xyz"]


def prodops_value(tables, metric_id, scope="org", scope_id="org", grain="month", span=JAN, period=date(2026, 1, 1)):
    frame = compute_series(tables, Settings(), grain, scope, *span, [metric_id])
    return cell(frame, scope_id, period)


def test_coordination_share_and_focus_are_means_over_prodops_weeks():
    weeks = [week("x", overhead=20, focus=4), week("y", overhead=10, focus=12, working=32), week("z", overhead=0, focus=20),
             week("x", overhead=30, focus=0, start="2026-01-12")]
    tables = make_tables(teams=TEAMS, people=OPS_PEOPLE, prodops_weeks=weeks)
    share, n = prodops_value(tables, "prodops_coordination_share")
    assert share == pytest.approx((20 / 40 + 10 / 32 + 0 + 30 / 40) / 4) and n == 3
    focus, n = prodops_value(tables, "prodops_focus_hours")
    assert focus == pytest.approx((4 + 12 + 20 + 0) / 4) and n == 3


def test_prodops_figures_over_fewer_than_the_calendar_minimum_are_hidden_with_their_n():
    tables = make_tables(teams=TEAMS, people=OPS_PEOPLE, prodops_weeks=[week("x", overhead=20), week("y", overhead=10)])
    for metric_id in ("prodops_coordination_share", "prodops_focus_hours"):
        value, n = prodops_value(tables, metric_id)
        assert np.isnan(value) and pd.isna(n)


def test_prodops_weeks_never_reach_a_pm_figure_nor_pm_weeks_a_prodops_one():
    pm = {"person_id": "p", "week_start": "2026-01-05", "team_id": "t1", "working_hours": 40.0, "meeting_hours": 5.0,
          "overhead_hours": 5.0, "strategy_hours": 0.0, "focus_hours": 0.0, "ooo_hours": 0.0}
    pms = [pm | {"person_id": p} for p in ("p", "q", "r")]
    alone = make_tables(teams=TEAMS, pm_weeks=pms)
    both = make_tables(teams=TEAMS, pm_weeks=pms, people=OPS_PEOPLE, prodops_weeks=[week(p, overhead=30) for p in "xyz"])
    assert prodops_value(alone, "pm_overhead_share") == prodops_value(both, "pm_overhead_share") == (pytest.approx(5 / 40), 3)
    assert prodops_value(both, "prodops_coordination_share") == (pytest.approx(30 / 40), 3)
    assert np.isnan(prodops_value(alone, "prodops_coordination_share")[0])


@pytest.mark.parametrize("grain", ["week", "month", "quarter"])
def test_prodops_calendar_metrics_have_every_grain_and_scope_and_only_the_org_a_value(grain):
    tables = make_tables(teams=TEAMS, people=OPS_PEOPLE, prodops_weeks=[week(p, overhead=10, focus=8) for p in "xyz"])
    frame = compute_series(tables, Settings(), grain, EVERY_SCOPE, *Q1, ["prodops_coordination_share", "prodops_focus_hours"])
    assert frame.groupby("scope")["scope_id"].nunique().to_dict() == {"org": 1, "group": 2, "team": 3}
    shown = frame.dropna(subset=["value"])
    assert set(shown["scope"]) == {"org"} and len(shown) == 2


def independent_prodops_weeks(tables: dict[str, pd.DataFrame], today: date) -> pd.DataFrame:
    """Each product-ops person's weeks worked out afresh from their calendar occurrences, on an
    hour grid: the demo books them whole hours inside 9:00-17:00 and none is out of office, so an
    hour is coordination when an overhead meeting holds it, and focus when it lies in a free run
    of at least two hours (a declared focus block is free)."""
    people = tables["people"][tables["people"]["role"] == "prodops"].set_index("person_id")
    events = tables["calendar_events"].merge(people[["tz"]], left_on="person_id", right_index=True)
    rows = []
    for person, own in events.groupby("person_id"):
        zone = people.loc[person, "tz"]
        start = pd.to_datetime(own["start_utc"]).dt.tz_localize("UTC").dt.tz_convert(zone).dt.tz_localize(None)
        busy = own.assign(day=start.dt.normalize(), hour=start.dt.hour)
        busy = busy[(busy["category"] != "focus") & (busy["attendee_count"] >= 2)]
        held = set(zip(busy["day"], busy["hour"]))
        first = max(pd.Timestamp(people.loc[person, "active_from"]), start.min().normalize() - pd.Timedelta(days=start.min().weekday()))
        for day in pd.date_range(first, start.max().normalize(), freq="D"):
            if day.weekday() >= 5:
                continue
            free = [(day, hour) not in held for hour in range(9, 17)]
            runs, run = [], 0
            for slot in [*free, False]:
                if slot:
                    run += 1
                else:
                    runs.append(run)
                    run = 0
            rows.append((person, day - pd.Timedelta(days=day.weekday()), 8 - sum(free), sum(r for r in runs if r >= 2)))
    days = pd.DataFrame(rows, columns=["person_id", "week_start", "overhead", "focus"])
    weeks = days.groupby(["person_id", "week_start"]).agg(overhead=("overhead", "sum"), focus=("focus", "sum"),
                                                         working=("overhead", lambda s: 8.0 * len(s))).reset_index()
    return weeks[weeks["week_start"] + pd.Timedelta(days=6) <= pd.Timestamp(today)]


def test_demo_prodops_time_matches_their_calendars_and_turns_to_systems_work(demo_db):
    from dashboard.core.store import Store
    from dashboard.demo import make_story
    from dashboard.metrics import load_tables
    from tests.conftest import DEMO_TODAY

    with Store(demo_db).reader() as con:
        tables = {name: con.execute(f"SELECT * FROM {name}").df() for name in ("people", "calendar_events")}
    weeks = independent_prodops_weeks(tables, DEMO_TODAY)
    stored = load_tables(Store(demo_db))
    frame = compute_series(stored, Settings(), "quarter", "org", date(2025, 1, 1), DEMO_TODAY,
                           ["prodops_coordination_share", "prodops_focus_hours"])
    weeks["quarter"] = weeks["week_start"].dt.to_period("Q").dt.start_time.dt.date
    expected = weeks.assign(share=weeks["overhead"] / weeks["working"]).groupby("quarter")[["share", "focus"]].mean()
    shown = frame.dropna(subset=["value"]).pivot(index="period_start", columns="metric_id", values="value")
    assert len(shown) >= 5, "every quarter since product ops was founded is shown: its team is never under the minimum"
    assert shown["prodops_coordination_share"].to_numpy() == pytest.approx(expected.loc[shown.index, "share"].to_numpy())
    assert shown["prodops_focus_hours"].to_numpy() == pytest.approx(expected.loc[shown.index, "focus"].to_numpy())

    turn = make_story(DEMO_TODAY).systems_turn
    turning_quarter = pd.Timestamp(turn).to_period("Q").start_time.date()
    before, after = shown[shown.index < turning_quarter], shown[shown.index > turn]
    assert len(before) >= 2 and len(after) >= 2
    assert before["prodops_coordination_share"].min() > 0.5 > after["prodops_coordination_share"].max()
    assert 3 * before["prodops_focus_hours"].max() < after["prodops_focus_hours"].min()


def met(person, meetings, with_pms, with_ops, start="2026-01-05"):
    return week(person, start=start) | {"meeting_hours": meetings, "hours_with_pms": with_pms,
                                        "hours_with_operations": with_ops}


def test_time_with_pms_and_with_operations_are_means_over_prodops_weeks_of_shares_of_meeting_time():
    weeks = [met("x", 10, 8, 0), met("y", 20, 5, 10), met("z", 4, 4, 1), met("x", 8, 2, 2, start="2026-01-12"),
             met("y", 0, 0, 0, start="2026-01-12"),  # no meetings: no share, not a zero one
             met("z", 6, None, None, start="2026-01-12")]  # roles not known: no share either
    tables = make_tables(teams=TEAMS, people=OPS_PEOPLE, prodops_weeks=weeks)
    pms, n = prodops_value(tables, "prodops_time_with_pms_share")
    assert pms == pytest.approx((8 / 10 + 5 / 20 + 4 / 4 + 2 / 8) / 4) and n == 3
    ops, n = prodops_value(tables, "prodops_time_with_operations_share")
    assert ops == pytest.approx((0 + 10 / 20 + 1 / 4 + 2 / 8) / 4) and n == 3


def test_time_with_pms_and_operations_hide_under_the_calendar_minimum_and_only_the_org_has_one():
    two = make_tables(teams=TEAMS, people=OPS_PEOPLE, prodops_weeks=[met("x", 10, 5, 5), met("y", 10, 5, 5)])
    for metric_id in ("prodops_time_with_pms_share", "prodops_time_with_operations_share"):
        value, n = prodops_value(two, metric_id)
        assert np.isnan(value) and pd.isna(n)
    three = make_tables(teams=TEAMS, people=OPS_PEOPLE, prodops_weeks=[met(p, 10, 5, 2) for p in "xyz"])
    frame = compute_series(three, Settings(), "quarter", EVERY_SCOPE, *Q1,
                           ["prodops_time_with_pms_share", "prodops_time_with_operations_share"])
    shown = frame.dropna(subset=["value"]).set_index("metric_id")
    assert set(shown["scope"]) == {"org"}
    assert shown.loc["prodops_time_with_pms_share", "value"] == pytest.approx(0.5)
    assert shown.loc["prodops_time_with_operations_share", "value"] == pytest.approx(0.2)


def test_demo_prodops_time_with_pms_and_operations_matches_their_calendars_and_one_never_meets_operations(demo_db):
    """Worked out afresh from the stored occurrences: the demo books product-ops meetings as whole hours
    at distinct hours of a day, so a week's meeting hours are its meetings, and its hours with PMs (with
    operations) those whose attendees' roles name pm (ops)."""
    from dashboard.core.store import Store
    from dashboard.metrics import load_tables
    from tests.conftest import DEMO_TODAY

    with Store(demo_db).reader() as con:
        people = con.execute("SELECT * FROM people WHERE role = 'prodops'").df().set_index("person_id")
        events = con.execute("SELECT * FROM calendar_events").df()
    events = events[events["person_id"].isin(people.index) & (events["attendee_count"] >= 2)
                    & (events["category"] != "focus")]
    assert events["attendee_roles"].notna().all()
    local = [pd.Timestamp(start).tz_localize("UTC").tz_convert(people.loc[person, "tz"]).tz_localize(None)
             for person, start in zip(events["person_id"], events["start_utc"])]
    events = events.assign(week_start=[t.normalize() - pd.Timedelta(days=t.weekday()) for t in local],
                           pm=events["attendee_roles"].str.split(",").apply(lambda r: "pm" in r),
                           ops=events["attendee_roles"].str.split(",").apply(lambda r: "ops" in r))
    weeks = events.groupby(["person_id", "week_start"]).agg(meetings=("pm", "size"), pm=("pm", "sum"), ops=("ops", "sum"))
    weeks = weeks.reset_index()
    weeks = weeks[weeks["week_start"] + pd.Timedelta(days=6) <= pd.Timestamp(DEMO_TODAY)]
    weeks["quarter"] = weeks["week_start"].dt.to_period("Q").dt.start_time.dt.date
    expected = weeks.assign(pms=weeks["pm"] / weeks["meetings"], ops=weeks["ops"] / weeks["meetings"]
                            ).groupby("quarter")[["pms", "ops"]].mean()

    metric_ids = ["prodops_time_with_pms_share", "prodops_time_with_operations_share"]
    frame = compute_series(load_tables(Store(demo_db)), Settings(), "quarter", "org", date(2025, 1, 1), DEMO_TODAY, metric_ids)
    shown = frame.dropna(subset=["value"]).pivot(index="period_start", columns="metric_id", values="value")
    assert len(shown) >= 5
    assert shown["prodops_time_with_pms_share"].to_numpy() == pytest.approx(expected.loc[shown.index, "pms"].to_numpy())
    assert shown["prodops_time_with_operations_share"].to_numpy() == pytest.approx(expected.loc[shown.index, "ops"].to_numpy())

    by_person = weeks.groupby("person_id")[["pm", "ops"]].sum()
    assert (by_person["ops"] == 0).sum() == 1 and (by_person["pm"] > 0).all(), "one partner never meets operations"
    target = Settings().targets["prodops_time_with_operations_share"]
    assert (shown["prodops_time_with_operations_share"] < target.target).all(), "and the organisation's share shows it"
    assert (shown["prodops_time_with_pms_share"] > Settings().targets["prodops_time_with_pms_share"].target).all()


def with_group(person, group, meetings, hours, start="2026-01-05"):
    return {"person_id": person, "week_start": start, "group_name": group, "meeting_hours": meetings,
            "hours_with_group": hours}


def test_time_with_a_group_is_a_mean_over_every_prodops_week_of_the_share_spent_with_the_group():
    """x partners G1 and y G2; z meets both: each group's figure stands on all three, zeros included."""
    weeks = [with_group("x", "G1", 10, 8), with_group("x", "G2", 10, 0),
             with_group("y", "G1", 20, 0), with_group("y", "G2", 20, 15),
             with_group("z", "G1", 4, 1), with_group("z", "G2", 4, 3),
             with_group("x", "G1", 0, 0, start="2026-01-12"), with_group("x", "G2", 0, 0, start="2026-01-12"),  # no meetings
             with_group("z", "G1", 6, None, start="2026-01-12"), with_group("z", "G2", 6, None, start="2026-01-12")]
    tables = make_tables(teams=TEAMS, people=OPS_PEOPLE, prodops_group_weeks=weeks)
    g1, n = prodops_value(tables, "prodops_time_with_group_share", scope="group", scope_id="G1")
    assert g1 == pytest.approx((8 / 10 + 0 / 20 + 1 / 4) / 3) and n == 3
    g2, n = prodops_value(tables, "prodops_time_with_group_share", scope="group", scope_id="G2")
    assert g2 == pytest.approx((0 / 10 + 15 / 20 + 3 / 4) / 3) and n == 3
    frame = compute_series(tables, Settings(), "quarter", EVERY_SCOPE, *Q1, ["prodops_time_with_group_share"])
    shown = frame.dropna(subset=["value"])
    assert set(shown["scope"]) == {"group"} and set(shown["scope_id"]) == {"G1", "G2"}


def test_time_with_a_group_hides_under_the_calendar_minimum_of_product_ops_people():
    two = make_tables(teams=TEAMS, people=OPS_PEOPLE,
                      prodops_group_weeks=[with_group(p, g, 10, 5) for p in "xy" for g in ("G1", "G2")])
    value, n = prodops_value(two, "prodops_time_with_group_share", scope="group", scope_id="G1")
    assert np.isnan(value) and pd.isna(n)


def test_demo_time_with_each_group_matches_their_calendars_and_the_unpartnered_groups_get_none(demo_db):
    """Worked out afresh from the stored occurrences (whole-hour meetings at distinct hours, so a week's
    meeting hours are its meetings) and the teams' groups on the day: a meeting is with a group when
    one of its attendees' teams is in it."""
    from dashboard.core.store import Store
    from dashboard.metrics import load_tables
    from tests.conftest import DEMO_TODAY

    with Store(demo_db).reader() as con:
        people = con.execute("SELECT * FROM people WHERE role = 'prodops'").df().set_index("person_id")
        events = con.execute("SELECT * FROM calendar_events").df()
        spans = con.execute("SELECT * FROM team_groups").df()
        teams = con.execute("SELECT * FROM teams").df()
    events = events[events["person_id"].isin(people.index) & (events["attendee_count"] >= 2)
                    & (events["category"] != "focus")]
    assert events["attendee_teams"].notna().all()
    local = pd.Series([pd.Timestamp(start).tz_localize("UTC").tz_convert(people.loc[person, "tz"]).tz_localize(None)
                       for person, start in zip(events["person_id"], events["start_utc"])], index=events.index)

    def groups_met(teams_met: str, day: pd.Timestamp) -> set[str]:
        found = set()
        for team in filter(None, teams_met.split(",")):
            held = spans[(spans["team_id"] == team) & (pd.to_datetime(spans["valid_from"]) <= day)
                         & ~(pd.to_datetime(spans["valid_to"]) <= day)]
            found |= set(held["group_name"]) or set(teams.loc[teams["team_id"] == team, "group_name"])
        return found

    met = [groups_met(t, day) for t, day in zip(events["attendee_teams"], local.dt.normalize())]
    groups = sorted(teams["group_name"].unique())
    frame = pd.DataFrame({"person_id": events["person_id"], "week_start": [t.normalize() - pd.Timedelta(days=t.weekday()) for t in local],
                          **{g: [g in m for m in met] for g in groups}})
    weeks = frame.groupby(["person_id", "week_start"]).agg(meetings=(groups[0], "size"), **{g: (g, "sum") for g in groups})
    weeks = weeks.reset_index()
    weeks = weeks[weeks["week_start"] + pd.Timedelta(days=6) <= pd.Timestamp(DEMO_TODAY)]
    weeks["quarter"] = weeks["week_start"].dt.to_period("Q").dt.start_time.dt.date
    expected = weeks.assign(**{g: weeks[g] / weeks["meetings"] for g in groups}).groupby("quarter")[groups].mean()

    frame = compute_series(load_tables(Store(demo_db)), Settings(), "quarter", "group", date(2025, 1, 1), DEMO_TODAY,
                           ["prodops_time_with_group_share"])
    shown = frame.dropna(subset=["value"])
    assert shown["period_start"].nunique() >= 5 and set(shown["scope_id"]) == set(groups)
    for row in shown.itertuples(index=False):
        assert row.value == pytest.approx(expected.loc[row.period_start, row.scope_id]), row
    last = shown[shown["period_start"] == shown["period_start"].max()].set_index("scope_id")["value"]
    assert sorted(last[last == 0].index) == groups[len(people):], "the groups no product-ops person partners"
