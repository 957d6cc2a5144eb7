"""Normalize, the pure half of the Jira connector: Cloud JSON (the project's own responses, and the
third-party captures where the corpus exists) and hand-made edge cases."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from connectors.jira import NormalizeError, Rules, normalize, plan_changes, version_plans
from dashboard.core.config import DataRequestSelector, JiraSource
from dashboard.core.schema import TABLES
from tests.conftest import CORPUS, DATA, own_and_corpus

SEEN = datetime(2026, 6, 1, 12, 0)


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


@dataclass(frozen=True)
class Capture:
    """Cloud responses in one folder, with what their one full issue must normalize to."""

    folder: Path
    row: dict
    created: str
    updated: str
    user: str  # the assignee's and reporter's id when no roster person matches
    email: str  # their address, in another case than Jira's
    lists: dict
    agile: dict
    versions: dict  # project key, released id and name, release day, unreleased id
    users: dict  # roster email, config-mapped identity, the ids the users resolve to

    def read(self, name: str):
        return json.loads((self.folder / name).read_text(encoding="utf-8"))


OWN = Capture(
    DATA / "jira",
    row={"source": "jira", "item_id": "20417", "key": "OPS-42", "kind": "work", "project": "OPS", "type": "Story",
         "status": "Done", "status_category": "done"},
    created="2026-02-27 17:05:00", updated="2026-03-21 15:00:05.250",
    user="jira:712020:4f1e2b7c-9a3d-4c55-8e0a-2b6f0c9d1e11", email="Dana.PM@Example.com",
    lists={"labels": ["data-request", "q1"], "components": ["Insights"], "fix_versions": ["2026.03"],
           "resolved": pd.Timestamp("2026-03-20 23:45:10.512"), "due_date": pd.Timestamp("2026-03-13"), "parent_key": None},
    agile={"file": ["agile_issues.json"], "key": ["WEB-118", "WEB-121"], "item_id": ["20388", "20391"],
           "status": ["In Progress", None], "status_category": ["indeterminate", None]},
    versions={"project": "OPS", "released": "10102", "name": "2026.03", "day": "2026-03-31", "open": "10103"},
    users={"email": "dana.pm@example.com", "mapped": "712020:9c0d7e6a-1b2f-4a8e-b3c4-5d6e7f8a9b10",
           "resolved": ["p-mail", "p-two", "jira:5b10a2844c20165700ede21g"]},
)
AIRBYTE = Capture(
    CORPUS / "jira",
    row={"source": "jira", "item_id": "10627", "key": "TESTKEY13-1", "kind": "work", "project": "TESTKEY13",
         "type": "Epic", "status": "To Do", "status_category": "new"},
    created="2022-06-09 23:29:31.871", updated="2022-12-08 10:22:18.889",  # Airbyte's top-level copies are ignored
    user="jira:5fc9e78d2730d800760becc4", email="Integration-Test@airbyte.io",
    lists={"labels": ["test"], "components": ["Component 0"], "fix_versions": [], "resolved": pd.NaT, "due_date": pd.NaT,
           "parent_key": None},
    agile={"file": ["sprint_issues.json", "board_issues.json"], "key": ["IT-6", "IT-6"], "item_id": ["2-10012", "10012"],
           "status": ["To Do", None], "status_category": ["new", None]},
    versions={"project": "PR", "released": "1", "name": "New Version 1", "day": "2010-07-06", "open": "2"},
    users={"email": "integration-test@airbyte.io", "mapped": "2", "resolved": ["p-mail", "p-two"]},
)
CAPTURES = own_and_corpus(OWN, AIRBYTE)


@pytest.mark.parametrize("capture", CAPTURES)
def test_a_cloud_issue_normalizes_into_the_expected_row(capture):
    frames = normalize(capture.read("issues.json")["issues"], {}, SEEN)
    assert list(frames.work_items.columns) == list(TABLES["work_items"].columns)
    row = frames.work_items.iloc[0].to_dict()
    assert {k: row[k] for k in capture.row} == capture.row
    # Offsets of the tenant user's zone (-0700 in summer, -0800 in winter) become naive UTC.
    assert row["created"] == pd.Timestamp(capture.created) and row["updated"] == pd.Timestamp(capture.updated)
    for name, expected in capture.lists.items():
        assert (pd.isna(row[name]) if expected is pd.NaT else row[name] == expected), name
    assert row["assignee_id"] == row["reporter_id"] == capture.user
    assert frames.work_item_transitions.empty  # no changelog expanded


@pytest.mark.parametrize("capture", CAPTURES)
def test_a_cloud_issue_maps_its_people_to_the_roster_by_email(capture):
    people = pd.DataFrame({"person_id": ["p7"], "email": [capture.email]})
    rules = Rules.from_settings(JiraSource(url="https://x.atlassian.net", email="a@b.c", projects=["X"]), people)
    row = normalize(capture.read("issues.json")["issues"], {}, SEEN, rules).work_items.iloc[0]
    assert row["assignee_id"] == row["reporter_id"] == "p7"


@pytest.mark.parametrize("capture", CAPTURES)
def test_agile_issues_with_few_fields_normalize_without_guessing(capture):
    raws = [issue for name in capture.agile["file"] for issue in capture.read(name)["issues"]]
    items = normalize(raws, {}, SEEN).work_items
    assert items["key"].tolist() == capture.agile["key"] and items["item_id"].tolist() == capture.agile["item_id"]
    for name in ("status", "status_category"):
        assert [None if pd.isna(v) else v for v in items[name]] == capture.agile[name]
    assert items["project"].isna().all() and items["updated"].notna().all()


@pytest.mark.parametrize("capture", CAPTURES)
def test_a_versions_page_becomes_releases_and_only_open_dated_plans(capture):
    facts = capture.versions
    frames = normalize([], {facts["project"]: capture.read("projects_versions.json")["values"]}, SEEN,
                       Rules(project_teams={facts["project"]: "t1"}))
    releases = frames.releases.set_index("release_id")
    released, unreleased = releases.loc[facts["released"]], releases.loc[facts["open"]]
    assert released["name"] == facts["name"] and released["team_id"] == "t1"
    assert released["released_on"] == released["planned_date"] == pd.Timestamp(facts["day"])
    assert bool(released["released"]) and not bool(released["archived"])
    assert not bool(unreleased["released"]) and pd.isna(unreleased["planned_date"])
    assert frames.release_plans.empty  # released: its date is the release day; unreleased: no date yet


@pytest.mark.parametrize("capture", CAPTURES)
def test_cloud_users_resolve_through_the_config_map_before_email(capture):
    facts = capture.users
    rules = Rules.from_settings(
        JiraSource(url="https://x.atlassian.net", email="a@b.c", projects=["X"], people={facts["mapped"]: "p-two"}),
        pd.DataFrame({"person_id": ["p-mail", "p-other"], "email": [facts["email"], "lee.ops@example.com"]}),
    )
    assert [rules.person(u) for u in capture.read("users.json")] == facts["resolved"]


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


def test_decision_fields_are_kept_under_their_canonical_names_with_their_author():
    """Rank is a custom field and keeps its name; a custom field called "status" is no status; a
    history without author has none; two versions taken off in one history are one row (the key
    holds no from-value), as the store would keep them."""
    author = {"accountId": "5b10ac", "emailAddress": "Ada@Example.com"}
    edits = history("1", "2026-01-01T09:00:00.000+0000", ("priority", "Medium", "High"), ("Fix Version", None, "1.0"),
                    ("Rank", "", "Ranked higher"), ("status", "To Do", "Won't Do"), ("Sprint", "", "S1"))
    edits["items"].append({"field": "status", "fieldtype": "custom", "fromString": "a", "toString": "b"})
    removed = history("2", "2026-01-02T09:00:00.000+0000", ("Fix Version", "1.0", None), ("Fix Version", "1.1", None))
    raw = issue(changelog={"startAt": 0, "maxResults": 2, "total": 2,
                           "histories": [edits | {"author": author}, removed | {"author": None}]})
    rules = Rules(people={"ada@example.com": "p-ada"})
    transitions = normalize([raw], {}, SEEN, rules).work_item_transitions
    assert transitions[["field", "from_value", "to_value", "author_id"]].fillna("-").values.tolist() == [
        ["priority", "Medium", "High", "p-ada"],
        ["fix_version", "-", "1.0", "p-ada"],
        ["rank", "", "Ranked higher", "p-ada"],
        ["status", "To Do", "Won't Do", "p-ada"],
        ["fix_version", "1.0", "", "-"],
    ]
    stranger = normalize([raw], {}, SEEN).work_item_transitions["author_id"].iloc[0]
    assert stranger == "jira:5b10ac"
