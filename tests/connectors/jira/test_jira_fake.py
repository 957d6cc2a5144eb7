"""The fake Jira is only worth what it is faithful: its JSON against Cloud responses (the project's
own in tests/data/jira, and the third-party captures where the corpus exists), its protocol
against the real `jira` client in both deployments."""
from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from jira import JIRA, JIRAError

from tests.conftest import CORPUS, DATA, own_and_corpus
from tests.fakes.jira_server import JiraServer
from tests.fakes.jira_site import STATUSES, JiraSite, populate

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}")
JQL = 'project in ("APP", "WEB", "DATA") ORDER BY created ASC, key ASC'


CAPTURES = own_and_corpus(DATA / "jira", CORPUS / "jira")


@pytest.fixture(params=CAPTURES)
def capture(request):
    """`capture(name)`: one Cloud response, from the project's own fixtures or the corpus."""
    return lambda name: json.loads((request.param / name).read_text(encoding="utf-8"))


def shape(value):
    """Keys and value types, recursively; lists by their first element."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return "null" if value is None else type(value).__name__


@pytest.fixture()
def cloud():
    site = JiraSite("cloud")
    populate(site, issues=250, versions=9)
    with JiraServer(site, search_cap=30) as server:
        yield server


@pytest.fixture()
def datacenter():
    site = JiraSite("datacenter")
    populate(site, issues=250, versions=9)
    with JiraServer(site, search_cap=30) as server:
        yield server


def cloud_client(server: JiraServer) -> JIRA:
    return JIRA(server.url, basic_auth=(server.email, server.token), max_retries=0)


def dc_client(server: JiraServer) -> JIRA:
    return JIRA(server.url, token_auth=server.token, max_retries=0)


# -- shapes against Cloud responses ---------------------------------------------------------

def test_issue_fields_have_the_shape_of_a_cloud_response(capture, cloud):
    real = capture("issues.json")["issues"][0]["fields"]
    site = cloud.site
    sample = next(i for i in site.issues.values() if i.assignee and site.users[i.assignee].email and i.components and i.labels and i.fix_versions)
    fake = site.issue_json(sample, None, False)["fields"]
    for name in ("issuetype", "project", "status", "assignee", "reporter", "creator", "components", "labels",
                 "created", "updated", "resolution", "resolutiondate", "duedate", "fixVersions", "customfield_10014"):
        if real[name] is not None and fake[name] is not None and real[name] != []:
            assert shape(fake[name]) == shape(real[name]), name
    for name in ("created", "updated", "statuscategorychangedate"):
        assert TIMESTAMP.fullmatch(real[name]) and TIMESTAMP.fullmatch(fake[name]), name


def test_versions_have_the_shape_of_a_cloud_response(capture, cloud):
    real = {("released" if v["released"] else "open"): v for v in capture("projects_versions.json")["values"]}
    site = cloud.site
    released = next(v for v in site.versions.values() if v.released and v.release_date)
    undated = next(v for v in site.versions.values() if not v.released)
    undated.release_date = None
    extras = {"startDate", "userStartDate"}  # in the spec's Version schema; not set in the capture
    assert set(site.version_json(released)) - extras == set(real["released"])
    assert set(site.version_json(undated)) - extras == set(real["open"]) - {"issuesStatusForFixVersion"}  # expand only
    assert shape({k: v for k, v in site.version_json(released).items() if k not in extras}) == shape(real["released"])


def test_fields_and_status_categories_match_cloud_responses(capture, cloud):
    real_field = capture("issue_fields.json")
    fake_fields = {f["id"]: f for f in cloud.site.field_list()}
    for entry in real_field:
        if entry["id"] in fake_fields:
            assert set(fake_fields[entry["id"]]) == set(entry), entry["id"]
    category = next(c for c in capture("workflow_status_categories.json") if c["key"] == "new")
    fake = cloud.site.status_json("To Do")["statusCategory"]
    assert {k: fake[k] for k in ("id", "key", "colorName", "name")} == {k: category[k] for k in ("id", "key", "colorName", "name")}
    statuses = {s["name"]: s for s in capture("workflow_statuses.json")}
    for name, (status_id, *_rest) in STATUSES.items():
        if name in statuses:
            assert statuses[name]["id"] == status_id


def test_cloud_users_have_account_ids_and_data_center_users_names_and_keys(capture, cloud, datacenter):
    real = capture("issues.json")["issues"][0]["fields"]["assignee"]
    with_email = next(u for u in cloud.site.users.values() if u.email)
    assert set(cloud.site.user_json(with_email.ref)) == set(real)
    dc_user = datacenter.site.user_json(next(iter(datacenter.site.users)))
    assert {"name", "key"} <= set(dc_user) and "accountId" not in dc_user


# -- the protocol, spoken by the real client ---------------------------------------------------------

def test_cloud_search_pages_by_token_under_the_servers_cap(cloud):
    client = cloud_client(cloud)
    issues = client.search_issues(JQL, maxResults=False, fields=["status"])
    assert len(issues) == 250 and len({i.key for i in issues}) == 250
    paths = [r.path for r in cloud.log]
    assert paths[:2] == ["/rest/api/2/serverInfo", "/rest/api/2/field"]
    assert paths.count("/rest/api/2/search/jql") == 9  # 250 issues at 30 a page, whatever was asked
    assert all("startAt" not in r.params for r in cloud.requests_to("search/jql"))


def test_data_center_search_pages_by_offset_and_reports_its_real_page_size(datacenter):
    client = dc_client(datacenter)
    issues = client.search_issues(JQL, maxResults=False, fields=["status"])
    assert len(issues) == 250
    pages = datacenter.requests_to("search")
    assert [int(r.params["startAt"][0]) for r in pages] == list(range(0, 250, 30))
    assert pages[0].params["validateQuery"] == ["True"]


def test_cloud_has_removed_the_old_search_and_data_center_has_no_new_one(cloud, datacenter):
    with pytest.raises(JIRAError) as removed:
        cloud_client(cloud)._get_json("search", params={"jql": JQL})
    assert removed.value.status_code == 410 and "CHANGE-2046" in removed.value.text
    assert dc_client(datacenter).enhanced_search_issues(JQL) is None  # the client's own @cloud_api guard


def test_post_search_with_the_clients_nulls_is_accepted(cloud):
    page = cloud_client(cloud).enhanced_search_issues(JQL, maxResults=5, fields=["status"], use_post=True, json_result=True)
    assert len(page["issues"]) == 5 and page["nextPageToken"] and page["isLast"] is False


def test_cloud_search_returns_ids_only_unless_fields_are_asked(cloud):
    page = cloud_client(cloud)._get_json("search/jql", params={"jql": JQL, "maxResults": 2})
    assert page["issues"] == [{"id": i["id"]} for i in page["issues"]]


def test_cloud_embeds_the_40_newest_histories_and_pages_the_rest_oldest_first(cloud):
    site = cloud.site
    long = next(i for i in site.issues.values() if len(i.histories) > 100)
    client = cloud_client(cloud)
    found = client.enhanced_search_issues(f"key = {long.key}", fields=["status"], expand="changelog", json_result=True)
    log = found["issues"][0]["changelog"]
    assert log["total"] == len(long.histories) and len(log["histories"]) == 40
    assert log["histories"][0]["id"] == long.histories[-1].id  # newest first
    first = client._get_json(f"issue/{long.id}/changelog", params={"startAt": 0, "maxResults": 500})
    assert first["maxResults"] == 100 and first["isLast"] is False and first["values"][0]["id"] == long.histories[0].id
    rest = client._get_json(f"issue/{long.id}/changelog", params={"startAt": 100, "maxResults": 100})
    assert len(first["values"]) + len(rest["values"]) == first["total"] and rest["isLast"] is True


def test_data_center_embeds_the_whole_history_and_has_no_changelog_endpoint(datacenter):
    long = next(i for i in datacenter.site.issues.values() if len(i.histories) > 100)
    client = dc_client(datacenter)
    page = client.search_issues(f"key = {long.key}", fields=["status"], expand="changelog", json_result=True)
    log = page["issues"][0]["changelog"]
    assert len(log["histories"]) == log["total"] == len(long.histories)
    assert "fieldId" not in log["histories"][0]["items"][0]
    with pytest.raises(JIRAError) as missing:
        client._get_json(f"issue/{long.id}/changelog")
    assert missing.value.status_code == 404


def test_bad_jql_and_bad_credentials_answer_in_jiras_error_shape(cloud, datacenter):
    with pytest.raises(JIRAError) as bad:
        cloud_client(cloud).enhanced_search_issues("project in (APP", fields=["status"], json_result=True)
    assert bad.value.status_code == 400 and bad.value.text.startswith("Error in the JQL Query: Expecting")
    with pytest.raises(JIRAError) as unknown:
        dc_client(datacenter).search_issues("colour = red", fields=["status"], json_result=True)
    assert unknown.value.text == "Field 'colour' does not exist or you do not have permission to view it."
    with pytest.raises(JIRAError) as unbounded:
        cloud_client(cloud).enhanced_search_issues("ORDER BY key DESC", fields=["status"], json_result=True)
    assert unbounded.value.status_code == 400 and "Unbounded" in unbounded.value.text
    with pytest.raises(JIRAError) as refused:
        JIRA(cloud.url, basic_auth=(cloud.email, "wrong"), max_retries=0)
    assert refused.value.status_code == 401 and refused.value.text == "Client must be authenticated to access this resource."


def test_quoted_jql_dates_are_read_in_the_users_zone_epoch_millis_are_absolute(cloud):
    site = cloud.site  # the user's zone is UTC-7
    client = cloud_client(cloud)
    moment = datetime(2026, 1, 1, 7, 0, tzinfo=UTC)
    quoted = client.enhanced_search_issues('project = APP AND updated >= "2026-01-01 00:00"', maxResults=False, fields=["updated"])
    epoch = client.enhanced_search_issues(f"project = APP AND updated >= {int(moment.timestamp() * 1000)}", maxResults=False, fields=["updated"])
    expected = {i.key for i in site.issues.values() if i.project == "APP" and i.updated >= moment}
    assert {i.key for i in quoted} == {i.key for i in epoch} == expected and expected
