"""Normalize, the pure half of the Jira connector: real Cloud JSON and hand-made edge cases."""
from __future__ import annotations

import json
from datetime import datetime

import pandas as pd
import pytest

from connectors.jira import NormalizeError, Rules, normalize, plan_changes, version_plans
from dashboard.config import DataRequestSelector, JiraSource
from dashboard.schema import TABLES
from tests.conftest import CORPUS

JIRA_CORPUS = CORPUS / "jira"
SEEN = datetime(2026, 6, 1, 12, 0)


def corpus(name: str):
    return json.loads((JIRA_CORPUS / name).read_text(encoding="utf-8"))


def history(hid: str, created: str, *changes: tuple[str, str | None, str]) -> dict:
    return {"id": hid, "created": created, "items": [
        {"field": field, "fieldtype": "jira", "fromString": old, "toString": new, "from": None, "to": None}
        for field, old, new in changes
    ]}


def issue(key: str = "APP-1", changelog: dict | None = None, **fields) -> dict:
    base = {"project": {"key": key.split("-")[0]}, "issuetype": {"name": "Task"}, "status": {"name": "To Do", "statusCategory": {"key": "new"}},
            "created": "2026-01-05T09:00:00.000+0000", "updated": "2026-01-06T09:00:00.000+0000", "labels": []}
    raw = {"id": key.replace("-", ""), "key": key, "fields": base | fields}
    return raw | ({"changelog": changelog} if changelog else {})


def test_the_real_cloud_issue_normalizes_into_the_expected_row():
    frames = normalize(corpus("issues.json")["issues"], {}, SEEN)
    assert list(frames.work_items.columns) == list(TABLES["work_items"].columns)
    row = frames.work_items.iloc[0].to_dict()
    assert {k: row[k] for k in ("source", "item_id", "key", "kind", "project", "type", "status", "status_category")} == {
        "source": "jira", "item_id": "10627", "key": "TESTKEY13-1", "kind": "work", "project": "TESTKEY13",
        "type": "Epic", "status": "To Do", "status_category": "new",
    }
    # -0700 and -0800 offsets (the tenant user's zone) become naive UTC; Airbyte's top-level copies are ignored.
    assert row["created"] == pd.Timestamp("2022-06-09 23:29:31.871")
    assert row["updated"] == pd.Timestamp("2022-12-08 10:22:18.889")
    assert pd.isna(row["resolved"]) and pd.isna(row["due_date"]) and row["parent_key"] is None
    assert row["assignee_id"] == row["reporter_id"] == "jira:5fc9e78d2730d800760becc4"
    assert row["labels"] == ["test"] and row["components"] == ["Component 0"] and row["fix_versions"] == []
    assert frames.work_item_transitions.empty  # the capture has no changelog expanded


def test_the_real_cloud_issue_maps_its_people_to_the_roster_by_email():
    people = pd.DataFrame({"person_id": ["p7"], "email": ["Integration-Test@airbyte.io"]})
    rules = Rules.from_settings(JiraSource(url="https://x.atlassian.net", email="a@b.c", projects=["X"]), people)
    row = normalize(corpus("issues.json")["issues"], {}, SEEN, rules).work_items.iloc[0]
    assert row["assignee_id"] == row["reporter_id"] == "p7"


def test_agile_captures_with_few_fields_normalize_without_guessing():
    items = normalize(corpus("sprint_issues.json")["issues"] + corpus("board_issues.json")["issues"], {}, SEEN).work_items
    assert items["key"].tolist() == ["IT-6", "IT-6"] and items["item_id"].tolist() == ["2-10012", "10012"]
    assert items["status"].tolist()[0] == "To Do" and items["status_category"].tolist()[0] == "new"
    assert items["project"].isna().all() and items["updated"].notna().all()


def test_the_real_versions_page_becomes_releases_and_only_open_dated_plans():
    versions = corpus("projects_versions.json")["values"]
    frames = normalize([], {"PR": versions}, SEEN, Rules(project_teams={"PR": "t1"}))
    releases = frames.releases.set_index("release_id")
    assert releases.loc["1", "name"] == "New Version 1" and releases.loc["1", "team_id"] == "t1"
    assert releases.loc["1", "released_on"] == releases.loc["1", "planned_date"] == pd.Timestamp("2010-07-06")
    assert bool(releases.loc["1", "released"]) and not bool(releases.loc["1", "archived"])
    assert not bool(releases.loc["2", "released"]) and pd.isna(releases.loc["2", "planned_date"])
    assert frames.release_plans.empty  # released: its date is the release day; unreleased: no date yet


def test_the_real_users_capture_resolves_through_the_config_map_before_email():
    users = corpus("users.json")
    rules = Rules.from_settings(
        JiraSource(url="https://x.atlassian.net", email="a@b.c", projects=["X"], people={"2": "p-two"}),
        pd.DataFrame({"person_id": ["p-mail"], "email": ["integration-test@airbyte.io"]}),
    )
    assert [rules.person(u) for u in users] == ["p-mail", "p-two"]


def test_data_center_users_are_known_by_key_not_by_renamable_name():
    user = {"name": "jdoe", "key": "JIRAUSER10100", "emailAddress": None, "displayName": "J Doe"}
    assert Rules().person(user) == "jira:JIRAUSER10100"
    assert Rules(people={"jdoe": "p1"}).person(user) == "p1"
    assert Rules().person(None) is None


def test_status_history_is_every_status_change_once_in_utc_from_names_of_the_time():
    raw = issue(changelog={"startAt": 0, "maxResults": 3, "total": 3, "histories": [
        history("3", "2026-01-03T10:00:00.000+0200", ("status", "In Progress", "Done"), ("resolution", None, "Done")),
        history("1", "2026-01-01T09:00:00.000-0500", ("status", "To Do", "In Progress")),
        history("2", "2026-01-02T09:00:00.000+0000", ("labels", "", "x")),
        history("1", "2026-01-01T09:00:00.000-0500", ("status", "To Do", "In Progress")),
    ]})
    transitions = normalize([raw], {}, SEEN).work_item_transitions.sort_values("at")
    assert transitions[["at", "field", "from_value", "to_value"]].values.tolist() == [
        [pd.Timestamp("2026-01-01 14:00"), "status", "To Do", "In Progress"],
        [pd.Timestamp("2026-01-03 08:00"), "status", "In Progress", "Done"],
    ]


def test_a_truncated_changelog_is_refused_rather_than_silently_short():
    raw = issue(changelog={"startAt": 0, "maxResults": 1, "total": 41, "histories": [history("9", "2026-01-01T09:00:00.000+0000")]})
    with pytest.raises(NormalizeError, match="APP-1: changelog has 1 of 41"):
        normalize([raw], {}, SEEN)


def test_a_bad_timestamp_names_the_issue_and_the_field():
    with pytest.raises(NormalizeError, match=r"APP-1 fields\.created: '9 Jan' is not a Jira timestamp"):
        normalize([issue(created="9 Jan")], {}, SEEN)


@pytest.mark.parametrize(
    ("selector", "kinds"),
    [
        (DataRequestSelector(projects=["DATA"]), ["data_request", "data_request", "work", "checkin"]),
        (DataRequestSelector(labels=["data-request"]), ["work", "data_request", "data_request", "checkin"]),
        (DataRequestSelector(projects=["DATA"], issue_types=["data request"]), ["work", "data_request", "work", "checkin"]),
    ],
)
def test_kind_follows_the_configured_selector_every_given_criterion_must_hold(selector, kinds):
    raws = [
        issue("DATA-1"),
        issue("DATA-2", issuetype={"name": "Data Request"}, labels=["data-request"]),
        issue("APP-3", labels=["data-request"]),
        issue("APP-4", issuetype={"name": "Check-in"}),
    ]
    rules = Rules(data_request=selector, checkin_issue_type="Check-in")
    assert normalize(raws, {}, SEEN, rules).work_items["kind"].tolist() == kinds


def test_plan_changes_keeps_first_plans_and_re_plans_only():
    plans = pd.DataFrame({
        "release_id": ["r", "r", "r", "r", "s"],
        "observed_at": pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04", "2026-01-02"]),
        "planned_date": pd.to_datetime(["2026-02-01", "2026-02-01", "2026-02-10", "2026-02-20", "2026-03-01"]),
    })
    kept = plan_changes(plans)
    assert kept[["release_id", "planned_date"]].values.tolist() == [
        ["r", pd.Timestamp("2026-02-01")], ["r", pd.Timestamp("2026-02-10")], ["r", pd.Timestamp("2026-02-20")],
        ["s", pd.Timestamp("2026-03-01")],
    ]


def test_several_reads_of_the_versions_give_what_one_normalize_per_read_would():
    def version(planned: str, released: bool = False) -> dict:
        return {"id": "7", "name": "1.0", "released": released, "archived": False, "releaseDate": planned}

    reads = [(datetime(2026, 1, 1, 9), {"PR": [version("2026-02-01")]}),
             (datetime(2026, 1, 9, 9), {"PR": [version("2026-02-10")]}),
             (datetime(2026, 2, 10, 9), {"PR": [version("2026-02-10", released=True)]})]
    seen = version_plans(reads)
    one_by_one = pd.concat([normalize([], versions, at).release_plans for at, versions in reads], ignore_index=True)
    pd.testing.assert_frame_equal(seen, one_by_one, check_dtype=False)
    assert plan_changes(seen)["planned_date"].tolist() == [pd.Timestamp("2026-02-01"), pd.Timestamp("2026-02-10")]


def test_epoch_dates_from_the_api_spec_examples_are_read_too():
    frames = normalize([], {"P": [{"id": "10", "name": "1.0", "releaseDate": 1278385482288, "released": False}]}, SEEN)
    assert frames.releases["planned_date"].iloc[0] == pd.Timestamp("2010-07-06")
    assert frames.release_plans.values.tolist() == [["10", pd.Timestamp(SEEN), pd.Timestamp("2010-07-06")]]
