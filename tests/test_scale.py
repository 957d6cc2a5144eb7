"""The large demo organisation's size, planned without building it, and the incremental derive path."""
from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from dashboard.config import Settings
from dashboard.demo import LARGE, SMALL
from dashboard.demo.build import _organisation
from dashboard.demo.checkins import make_checkins
from dashboard.demo.jira import make_releases, make_work_items, status_path
from dashboard.demo.org import load_roster_exports, roster_snapshots
from dashboard.derive import refresh
from dashboard.store import Store
from tests.conftest import DEMO_TODAY


@pytest.fixture(scope="module")
def large():
    story, org, roster = _organisation(DEMO_TODAY, LARGE)
    known = load_roster_exports(roster_snapshots(story, org, roster))
    return story, org, roster, known


def test_the_large_organisation_has_the_issues_people_and_three_years(large):
    story, org, roster, _ = large
    in_post = roster[roster["active_to"].isna()]
    assert len(org) == 160 and org["team_id"].is_unique and org["project"].is_unique
    assert (in_post["role"] == "pm").sum() == 400
    assert (roster["role"] == "ops").sum() == 80
    assert roster["email"].is_unique
    assert (story.today - story.start).days > 3 * 365 - 90


def test_the_large_organisation_plans_the_issues_jira_and_checkin_volumes(large):
    story, org, roster, known = large
    checkins = make_checkins(story, known, Settings())
    releases, _ = make_releases(story, org, LARGE)
    items, transitions = make_work_items(story, releases, roster, known["memberships"], checkins, LARGE)
    assert 5_000 <= len(releases) <= 7_000
    assert 550_000 <= len(items) <= 650_000
    assert 2_700_000 <= len(transitions) <= 3_300_000
    assert 30_000 <= len(checkins) <= 45_000
    assert checkins["team_id"].nunique() == 160


@pytest.mark.parametrize("steps", range(1, 9))
def test_every_status_path_is_connected_and_a_resolved_one_ends_done(steps):
    path = status_path(steps)
    assert len(path) == steps and path[0][0] == "To Do"
    assert all(before[1] == after[0] for before, after in zip(path, path[1:]))
    assert steps < 2 or path[-1][1] == "Done"


def test_the_small_scale_is_the_default_organisation():
    story, org, roster = _organisation(DEMO_TODAY, SMALL)
    assert len(org) == 24 and (roster[roster["active_to"].isna()]["role"] == "pm").sum() == 60


def test_refreshing_from_a_day_on_gives_the_pm_weeks_a_full_refresh_gives(demo_db, databases, tmp_path):
    settings = Settings()
    source = Store(demo_db).tables("people", "memberships", "person_hours", "calendar_events", "pm_weeks")
    full = source.pop("pm_weeks")
    since = DEMO_TODAY - timedelta(days=40)
    stale = full.assign(meeting_hours=full["meeting_hours"].where(pd.to_datetime(full["week_start"]) < pd.Timestamp(since - timedelta(days=7)), -1.0))
    store = Store(databases.location(tmp_path, "incremental"))
    with store.transaction() as tx:  # a refresh rebuilds what its own transaction wrote
        for name, frame in {**source, "pm_weeks": stale}.items():
            tx.upsert(name, frame)
        refresh(tx, settings, as_of=DEMO_TODAY, since=since)
    again = store.table("pm_weeks")
    key = ["person_id", "week_start"]
    assert (stale["meeting_hours"] == -1).sum() > 100
    pd.testing.assert_frame_equal(
        again.sort_values(key).reset_index(drop=True), full.sort_values(key).reset_index(drop=True), check_dtype=False
    )
