"""Decision edits and who made them, through the real `jira` client against the fake, Cloud and
Data Center alike: the changelog's authors become roster people (by email, or by the `[jira]
people` map) or `jira:<id>`, and priority, fix version, rank and won't-do changes are kept."""
from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from connectors.jira import sync_jira
from connectors.retry import RetryPolicy
from dashboard.core.config import Settings
from dashboard.metrics import compute_series, load_tables
from tests.fakes.jira_server import JiraServer, jira_settings
from tests.fakes.jira_site import JiraSite

T0 = datetime(2026, 2, 2, 10, 0, tzinfo=UTC)


@pytest.fixture(params=["cloud", "datacenter"])
def server(request):
    site = JiraSite(request.param, now=datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    site.add_project("APP")
    with JiraServer(site) as running:
        yield running


def edit_everything(site: JiraSite) -> dict[str, str]:
    """Two PMs known by email, one product-ops person known only by the config's map (no email on
    Cloud: a private profile), one stranger; each makes one kind of decision edit. Returns the
    Jira identity (accountId on Cloud, user key on Data Center) of each."""
    pm = site.add_user("ada", "Ada PM", "Ada.PM@example.com")
    pm2 = site.add_user("bo", "Bo PM", "bo@example.com")
    ops = site.add_user("cy", "Cy Ops", None if site.mode == "cloud" else "cy.private@example.com")
    stranger = site.add_user("dee", "Dee Elsewhere", "dee@elsewhere.example")
    version = site.add_version("APP", "APP 1.0")
    issue = site.add_issue("APP", T0, reporter=pm.ref, assignee=pm.ref)
    other = site.add_issue("APP", T0, reporter=pm.ref)
    minute = pd.Timedelta(minutes=1)
    site.prioritise(issue.key, "High", at=T0 + minute, author=pm.ref)
    site.plan_for(issue.key, version.id, at=T0 + 2 * minute, author=ops.ref)
    site.rank(issue.key, at=T0 + 3 * minute, author=pm2.ref)
    site.transition(issue.key, "In Progress", at=T0 + 4 * minute, author=stranger.ref)
    site.relabel(issue.key, ["q3"], at=T0 + 5 * minute)
    site.transition(other.key, "Won't Do", at=T0 + 6 * minute, author=ops.ref)
    site.plan_for(issue.key, version.id, remove=True, at=T0 + 7 * minute, author=ops.ref)
    return {"pm": pm.ref, "pm2": pm2.ref, "ops": ops.ref, "stranger": stranger.ref}


def roster(store):
    people = pd.DataFrame([
        {"person_id": "p-ada", "name": "Ada", "email": "ada.pm@example.com", "role": "pm", "team_id": "t1"},
        {"person_id": "p-bo", "name": "Bo", "email": "bo@example.com", "role": "pm", "team_id": "t1"},
        {"person_id": "p-cy", "name": "Cy", "email": None, "role": "prodops", "team_id": "ops"},
    ]).assign(tz="UTC", active_from=None, active_to=None)
    with store.transaction() as tx:
        tx.upsert("teams", pd.DataFrame([{"team_id": "t1", "name": "One", "group_name": "G"},
                                         {"team_id": "ops", "name": "Product ops", "group_name": "Ops"}]))
        tx.upsert("people", people)
        tx.upsert("memberships", people[["person_id", "team_id", "role"]].assign(valid_from=pd.Timestamp("2025-01-01"),
                                                                                 valid_to=None))


def test_decision_edits_keep_their_fields_values_and_authors(server, store):
    who = edit_everything(server.site)
    roster(store)
    sync_jira(store, jira_settings(server, people={who["ops"]: "p-cy"}, project_teams={"APP": "t1"}),
              token=server.token, retry=RetryPolicy(base_delay=0))

    stored = store.table("work_item_transitions").sort_values("at")
    rows = list(zip(stored["field"], stored["from_value"].fillna("(none)"), stored["to_value"],
                    stored["author_id"]))
    assert rows == [
        ("priority", "Medium", "High", "p-ada"),          # by email, whatever its case
        ("fix_version", "(none)", "APP 1.0", "p-cy"),     # by the config's map
        ("rank", "", "Ranked higher", "p-bo"),
        ("status", "To Do", "In Progress", f"jira:{who['stranger']}"),  # not on the roster
        ("status", "To Do", "Won't Do", "p-cy"),
        ("fix_version", "APP 1.0", "", "p-cy"),           # taken off again
    ]  # the label change is no decision and no status: not kept


def test_the_synced_edits_reach_the_metric(server, store):
    who = edit_everything(server.site)
    roster(store)
    settings = jira_settings(server, people={who["ops"]: "p-cy"}, project_teams={"APP": "t1"})
    sync_jira(store, settings, token=server.token, retry=RetryPolicy(base_delay=0))
    tables = load_tables(store)
    edits = tables["decision_edits"].sort_values("at")
    assert list(zip(edits["field"], edits["author_id"])) == [
        ("priority", "p-ada"), ("fix_version", "p-cy"), ("rank", "p-bo"), ("status", "p-cy"), ("fix_version", "p-cy")]
    assert set(edits["project"]) == {"APP"} and set(tables["work_item_transitions"]["field"]) == set(edits["field"])
    series = compute_series(tables, Settings(), "quarter", "team", T0.date(), T0.date(), ["ops_decision_share"])
    cell = series[series["scope_id"] == "t1"].iloc[0]
    assert pd.isna(cell["value"]) and pd.isna(cell["n"])  # two PMs and one product-ops person: too few to show
