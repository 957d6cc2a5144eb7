"""The large demo organisation's size, planned without building it, and the incremental derive path."""
from __future__ import annotations

import itertools
from datetime import timedelta

import pandas as pd
import pytest

from dashboard.core.config import Settings
from dashboard.core.store import Store
from dashboard.demo import LARGE, SMALL
from dashboard.demo.build import _organisation
from dashboard.demo.calendars import _calendar_weeks, make_calendars
from dashboard.demo.checkins import demo_checkin_settings, make_checkins
from dashboard.demo.jira import issue_pages, make_releases, make_work_items, project_keys, status_path
from dashboard.demo.org import load_roster_exports, roster_snapshots
from dashboard.demo.scale import XLARGE
from dashboard.demo.surveys import QUESTIONS, make_responses, survey_waves
from dashboard.derive import refresh
from dashboard.derive.checkins import moment
from dashboard.derive.checkins.engine import teams
from dashboard.derive.checkins.expectations import expected_slots
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


def test_the_benchmarks_third_size_has_about_a_thousand_pms_with_names_that_come_round_again():
    _, org, roster = _organisation(DEMO_TODAY, XLARGE)
    assert len(org) == 4 * 97 and org["team_id"].is_unique and org["project"].is_unique
    assert org["project"].str.fullmatch(r"[A-Z][A-Z0-9]+").all()  # a Jira project key
    assert 950 <= (roster["role"] == "pm").sum() <= 1050
    assert roster["email"].is_unique
    assert {"Atlas", "Atlas 2", "Atlas 3"} <= set(org["group_name"])


def test_the_large_organisation_plans_the_issues_jira_and_checkin_volumes(large):
    story, org, roster, known = large
    checkins = make_checkins(story, known, Settings())
    releases, _ = make_releases(story, org, LARGE)
    items, transitions = make_work_items(story, releases, roster, known["memberships"], checkins, LARGE)
    assert 5_000 <= len(releases) <= 7_000
    assert 550_000 <= len(items) <= 650_000
    assert 2_700_000 <= (transitions["field"] == "status").sum() <= 3_300_000
    assert 38_000 <= len(checkins) <= 46_000
    assert checkins["team_id"].nunique() == 160
    assert set(checkins["kind"]) == {"weekly_status", "monthly_roadmap", "qbr_prep", "sprint_demo"}
    assert checkins.loc[checkins["kind"] == "sprint_demo", "due_at"].min() >= pd.Timestamp(story.founded)


def test_the_engine_expects_the_large_organisations_checkins_over_the_whole_window(large):
    story, _, _, known = large
    settings = demo_checkin_settings(Settings(), story)
    config = settings.checkins
    now = moment(settings, story.today)
    first = story.today - timedelta(days=config.history_days)
    assert first <= story.start
    slots = expected_slots(config.kinds, teams(known, settings), first, story.today + timedelta(days=100))
    slots = slots[slots["opens_at"] <= pd.Timestamp(now)]
    assert 38_000 <= len(slots) <= 46_000
    assert demo_checkin_settings(Settings(), _organisation(DEMO_TODAY, SMALL)[0]).checkins.history_days == 730


def test_the_large_organisation_plans_about_two_million_calendar_occurrences(large):
    story, org, roster, _ = large
    def pm_weeks(people: pd.DataFrame) -> int:
        return len(_calendar_weeks(story, people[people["role"] == "pm"].assign(team_name=""))[0])

    some = roster[roster["team_id"].isin(org["team_id"].iloc[::20])]
    sample = make_calendars(story, some, org, Settings()).intended
    per_week = len(sample) / pm_weeks(some)
    assert per_week >= 32
    assert 1_800_000 <= per_week * pm_weeks(roster) <= 2_300_000
    assert sample["title"].str.startswith("1:1 with web engineering lead").any()
    assert sample["title"].str.startswith("Cross-team sync").any()


def test_the_large_organisation_plans_about_seventy_thousand_survey_answers(large):
    """Fifty thousand before issue 21 added two questions to the pulse (knowing the processes, decision rights)."""
    story, _, roster, known = large
    waves = survey_waves(story)
    responses = make_responses(story, waves, roster, known["memberships"])
    answers = sum(int(responses[question].notna().sum()) for question in QUESTIONS["question_id"])
    assert len(waves) == 35 and waves["survey_id"].is_unique  # a monthly pulse over three years
    assert 62_000 <= answers <= 76_000
    assert responses.groupby(["survey_id", "role"]).size().unstack()["ops"].min() >= 6


def test_issue_pages_are_the_whole_export_a_page_at_a_time():
    small_story, small_org, small_roster = _organisation(DEMO_TODAY, SMALL)
    small_known = load_roster_exports(roster_snapshots(small_story, small_org, small_roster))
    checkins = make_checkins(small_story, small_known, Settings())
    releases, _ = make_releases(small_story, small_org)
    items, transitions = make_work_items(small_story, releases, small_roster, small_known["memberships"], checkins)
    projects = {project: str(n) for n, project in enumerate(project_keys(small_org))}
    whole = next(issue_pages(items, transitions, {}, releases, projects, None))
    paged = [issue for page in issue_pages(items, transitions, {}, releases, projects, 5_000) for issue in page]
    assert len(whole) == len(items) and paged == whole


@pytest.mark.parametrize("steps", range(1, 9))
def test_every_status_path_is_connected_and_a_resolved_one_ends_done(steps):
    path = status_path(steps)
    assert len(path) == steps and path[0][0] == "To Do"
    assert all(before[1] == after[0] for before, after in itertools.pairwise(path))
    assert steps < 2 or path[-1][1] == "Done"


def test_the_small_scale_is_the_default_organisation():
    _story, org, roster = _organisation(DEMO_TODAY, SMALL)
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
