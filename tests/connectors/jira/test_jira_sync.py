"""Whole Jira syncs: the real `jira` client against the fake, Cloud and Data Center alike."""
from __future__ import annotations

import json
import math
from datetime import date, timedelta

import pandas as pd
import pytest

from connectors.jira import sync_jira
from connectors.retry import RetryPolicy
from dashboard.core.config import DataRequestSelector
from dashboard.metrics import compute_series, load_tables
from tests.fakes.jira_server import JiraServer, jira_settings
from tests.fakes.jira_site import JiraSite, populate

FAST = RetryPolicy(base_delay=0)


def sync(server: JiraServer, store, **jira):
    return sync_jira(store, jira_settings(server, **jira), token=server.token, retry=FAST)


def status_changes(site: JiraSite) -> set[tuple[str, pd.Timestamp, str]]:
    """Every status change the site holds, as the store should hold it."""
    return {
        (issue.id, pd.Timestamp(h.created.replace(tzinfo=None)), item["toString"])
        for issue in site.issues.values() for h in issue.histories for item in h.items if item["field"] == "status"
    }


def changelog_pages(issues, mode: str) -> int:
    """Changelog requests a sync needs on top of search: Cloud embeds 40, the endpoint pages 100."""
    return sum(math.ceil(len(i.histories) / 100) for i in issues if mode == "cloud" and len(i.histories) > 40)


@pytest.fixture(params=["cloud", "datacenter"])
def big(request):
    site = JiraSite(request.param)
    populate(site, issues=5000, versions=50)
    with JiraServer(site) as server:
        yield server


@pytest.fixture(params=["cloud", "datacenter"])
def small(request):
    site = JiraSite(request.param)
    populate(site, issues=200, versions=0)
    with JiraServer(site, search_cap=50) as server:
        yield server


def test_a_full_sync_lands_every_issue_once_every_transition_every_version_and_plan(big, store):
    site = big.site
    result = sync(big, store)

    items = store.table("work_items")
    assert result.full and result.issues == len(items) == items["item_id"].nunique() == 5000
    stored = store.table("work_item_transitions")
    assert set(zip(stored["item_id"], stored["at"], stored["to_value"])) == status_changes(site)
    assert len(stored) == len(status_changes(site)) == result.transitions

    releases = store.table("releases").set_index("release_id")
    assert set(releases.index) == set(site.versions) and len(releases) == 50
    open_dated = {v.id: pd.Timestamp(v.release_date) for v in site.versions.values() if v.release_date and not v.released}
    plans = store.table("release_plans")
    assert dict(zip(plans["release_id"], plans["planned_date"])) == open_dated and len(plans) == len(open_dated) > 0
    shipped = next(v for v in site.versions.values() if v.released and v.release_date)
    assert releases.loc[shipped.id, "released_on"] == pd.Timestamp(shipped.release_date)

    truncated = [i for i in site.issues.values() if len(i.histories) > 40]
    assert truncated and len(big.requests_to(r"issue/\d+/changelog")) == changelog_pages(truncated, site.mode)
    runs = store.table("sync_runs")
    assert runs["status"].tolist() == ["success"] and runs["rows"].iloc[0] == result.rows
    assert json.loads(runs["cursor"].iloc[0])["updated"] == max(i.updated for i in site.issues.values()).replace(tzinfo=None).isoformat(timespec="milliseconds")


def test_a_second_sync_fetches_only_what_changed_and_a_third_next_to_nothing(big, store):
    site = big.site
    sync(big, store)
    newest = max(i.updated for i in site.issues.values())
    overlap = {i.key for i in site.issues.values() if i.updated >= newest - timedelta(minutes=10)}
    changed = [site.issues[i] for i in sorted(site.issues)[::500]]
    for issue in changed:
        site.transition(issue.key, "Done" if issue.status != "Done" else "In Progress")
    big.clear()

    second = sync(big, store)
    assert not second.full
    assert set(big.searched_keys()) == {i.key for i in changed} | overlap and len(changed) == 10
    search = "search/jql" if site.mode == "cloud" else "search"
    assert len(big.requests_to(search)) == 1
    fetched = [site.by_key[key] for key in {i.key for i in changed} | overlap]
    assert len(big.log) == second.requests == 2 + 1 + changelog_pages(fetched, site.mode) + len(site.projects)
    items = store.table("work_items").set_index("key")
    assert len(items) == 5000 and all(items.loc[i.key, "status"] == i.status for i in changed)
    stored = store.table("work_item_transitions")
    assert set(zip(stored["item_id"], stored["at"], stored["to_value"])) == status_changes(site)

    big.clear()
    third = sync(big, store)
    assert set(big.searched_keys()) == {i.key for i in changed}  # only the overlap window again
    assert len(big.log) == third.requests <= 2 + 1 + changelog_pages(changed, site.mode) + len(site.projects)
    assert len(store.table("work_items")) == 5000 and len(store.table("sync_runs")) == 3


def test_a_release_moved_twice_shows_two_re_plans_and_slips_against_the_first_plan(small, store):
    site = small.site
    version = site.add_version("APP", "APP 9.0", start_date=date(2026, 6, 1), release_date=date(2026, 7, 1))
    sync(small, store)
    site.set_release_date(version.id, date(2026, 7, 15))
    sync(small, store)
    sync(small, store)  # nothing moved: no new plan row
    site.set_release_date(version.id, date(2026, 8, 1))
    sync(small, store)
    site.release(version.id, date(2026, 8, 4))  # releasing sets the date to the release day: not a plan
    sync(small, store)

    plans = store.table("release_plans").sort_values("observed_at")
    assert plans["planned_date"].tolist() == [pd.Timestamp(d) for d in ("2026-07-01", "2026-07-15", "2026-08-01")]
    assert len(plans) - 1 == 2  # re-plans
    release = store.table("releases").set_index("release_id").loc[version.id]
    assert bool(release["released"]) and release["released_on"] == pd.Timestamp("2026-08-04")
    settings = jira_settings(small)
    series = compute_series(load_tables(store), settings, "quarter", "org", date(2026, 7, 1), date(2026, 9, 30),
                            ["release_slip_days", "release_on_time_rate"]).set_index("metric_id")
    assert series.loc["release_slip_days", "value"] == pytest.approx(34.0)  # Aug 4 against Jul 1, not Aug 1
    assert series.loc["release_on_time_rate", "value"] == 0.0 and series.loc["release_slip_days", "n"] == 1


def test_data_requests_check_ins_and_people_are_classified_by_the_config(small, store):
    site = small.site
    with store.transaction() as tx:
        tx.upsert("people", pd.DataFrame([{"person_id": "p1", "name": "One", "email": "PERSON1@example.com", "role": "pm",
                                           "team_id": "t1", "tz": "UTC", "active_from": None, "active_to": None}]))
    hidden = next(u for u in site.users.values() if u.email is None) if site.mode == "cloud" else None
    people = {hidden.ref: "p7"} if hidden else {}
    sync(small, store, data_request=DataRequestSelector(projects=["DATA"], issue_types=["Data Request"]),
         checkin_issue_type="Check-in", people=people)

    items = store.table("work_items").set_index("key")
    for issue in site.issues.values():
        expected = ("checkin" if issue.issuetype == "Check-in"
                    else "data_request" if issue.project == "DATA" and issue.issuetype == "Data Request" else "work")
        assert items.loc[issue.key, "kind"] == expected, issue.key
    assert set(items["kind"]) == {"work", "data_request", "checkin"}
    by_user = {u.ref: u for u in site.users.values()}
    for issue in site.issues.values():
        user = by_user.get(issue.assignee)
        expected = (None if user is None else "p1" if user.email == "person1@example.com"
                    else people.get(user.ref, f"jira:{user.ref}"))
        assert items.loc[issue.key, "assignee_id"] == expected or (expected is None and pd.isna(items.loc[issue.key, "assignee_id"]))


def test_changing_what_is_pulled_or_how_it_is_read_starts_one_full_pull(small, store):
    first = sync(small, store)
    assert first.full and not first.settings_changed
    assert not sync(small, store).full
    changed = sync(small, store, checkin_issue_type="Check-in")
    assert changed.full and changed.settings_changed
    assert not sync(small, store, checkin_issue_type="Check-in").full
    assert sync(small, store, projects=["APP"]).full


def test_jql_alone_scopes_the_pull_and_versions_follow_the_projects_seen(small, store):
    site = small.site
    site.add_version("WEB", "WEB 1.0", release_date=date(2026, 9, 1))
    result = sync(small, store, projects=[], jql="project = WEB AND labels = backend")
    items = store.table("work_items")
    assert set(items["project"]) == {"WEB"} and result.issues == sum(
        1 for i in site.issues.values() if i.project == "WEB" and "backend" in i.labels)
    assert [r.path.split("/")[-2] for r in small.requests_to(r"project/\w+/versions")] == ["WEB"]
    assert store.table("releases")["name"].tolist() == ["WEB 1.0"]


def test_a_scope_without_issues_syncs_nothing_and_keeps_asking_for_everything(small, store):
    result = sync(small, store, jql="labels = nothing-has-this")
    assert result.issues == 0 and result.cursor is None and store.table("work_items").empty
    assert sync(small, store, jql="labels = nothing-has-this").full
