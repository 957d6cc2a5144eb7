"""Product ops itself (issue 21): PMs per product-ops person, by hand and against the roster."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

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
    frame = series(make_tables(teams=TEAMS, memberships=ROSTER))
    assert cell(frame, "org")[0] > 0
    for scope_id in ("G1", "G2", "t1", "t3"):
        value, n = cell(frame, scope_id)
        assert np.isnan(value) and n == 0


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

