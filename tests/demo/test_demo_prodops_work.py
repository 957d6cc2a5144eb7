"""The demo's product-ops tickets: classified by the connector's built-in rules, cheap, and telling
the story of a team that runs projects until it turns to building systems."""
from __future__ import annotations

from datetime import date

import pandas as pd

from dashboard.core.config import Settings
from dashboard.core.store import Store
from dashboard.demo import make_story
from dashboard.demo.prodops_work import OPS_PROJECT
from dashboard.metrics import compute_series, load_tables
from tests.conftest import DEMO_TODAY

STORY = make_story(DEMO_TODAY)


def test_product_ops_tickets_are_theirs_and_mostly_classified(demo_db):
    tables = Store(demo_db).tables("work_items", "people")
    ops = tables["work_items"][tables["work_items"]["project"] == OPS_PROJECT]
    prodops = set(tables["people"].loc[tables["people"]["role"] == "prodops", "person_id"])
    assert len(ops) > 0 and set(ops["assignee_id"]) <= prodops and (ops["kind"] == "work").all()
    assert 0.8 < ops["work_class"].notna().mean() < 0.97  # some work no rule reads
    assert ops["fix_versions"].map(len).eq(0).all()
    elsewhere = tables["work_items"][tables["work_items"]["project"] != OPS_PROJECT]
    assert not elsewhere["assignee_id"].isin(prodops).any()


def test_the_team_runs_projects_until_the_turn_then_builds_systems(demo_db):
    series = compute_series(load_tables(Store(demo_db)), Settings(), "quarter", "org", date(2024, 1, 1), DEMO_TODAY,
                            ["prodops_systems_work_share"])
    shown = series.dropna(subset=["value"]).set_index("period_start")["value"]
    assert len(shown) >= 5, "every quarter since product ops was founded is shown"
    turning_quarter = pd.Timestamp(STORY.systems_turn).to_period("Q").start_time.date()
    before, after = shown[shown.index < turning_quarter], shown[shown.index > STORY.systems_turn]
    assert len(before) >= 2 and len(after) >= 1
    assert before.max() < 0.35 and after.min() > 0.65
    assert series.loc[series["period_start"] < STORY.founded, "n"].fillna(0).eq(0).all()
