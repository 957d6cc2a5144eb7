"""Work classes through the real `jira` client against the fake, Cloud and Data Center alike: the
summary is asked for and decides the class, labels and components too, and no summary reaches the
store; the synced classes reach `prodops_systems_work_share`."""
from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from connectors.jira import sync_jira
from connectors.retry import RetryPolicy
from dashboard.core.config import Settings, WorkClassRule
from dashboard.metrics import compute_series, load_tables
from tests.fakes.jira_server import JiraServer, jira_settings
from tests.fakes.jira_site import JiraSite

T0 = datetime(2026, 2, 2, 10, 0, tzinfo=UTC)
WORK = [  # (summary, labels, components, resolved): what product-ops people do in OPS
    ("Automate the weekly status report", [], [], True),
    ("PRD template for the new intake", [], [], True),
    ("Chase Payments for the release date", [], [], True),
    ("Meeting notes: launch sync", [], [], True),
    ("Hire a contractor", [], [], True),                 # no rule: no class
    ("Anything at all", [], ["Ops Tooling"], True),      # the configured rule
    ("Plan the offsite", ["status-update"], [], True),   # a built-in label
    ("Coordinate the roadmap review", [], [], False),    # still open
]


@pytest.fixture(params=["cloud", "datacenter"])
def server(request):
    site = JiraSite(request.param, now=datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    site.add_project("OPS")
    with JiraServer(site) as running:
        yield running


def ops_work(site: JiraSite) -> list[str]:
    """Three product-ops people, known by email, each closing the same work. Returns the summaries."""
    people = [site.add_user(name, name.title(), f"{name}@example.com") for name in ("ana", "ben", "cai")]
    for n, person in enumerate(people):
        for m, (summary, labels, components, done) in enumerate(WORK):
            issue = site.add_issue("OPS", T0, summary=summary, labels=labels, components=components,
                                   reporter=person.ref, assignee=person.ref)
            if done:
                site.transition(issue.key, "Done", at=T0 + pd.Timedelta(hours=n * 10 + m + 1), author=person.ref)
    return [summary for summary, *_ in WORK]


def roster(store):
    people = pd.DataFrame([{"person_id": f"p-{name}", "name": name, "email": f"{name}@example.com", "role": "prodops",
                            "team_id": None} for name in ("ana", "ben", "cai")]).assign(tz="UTC", active_from=None,
                                                                                         active_to=None)
    with store.transaction() as tx:
        tx.upsert("people", people)
        tx.upsert("memberships", people[["person_id", "team_id", "role"]].assign(valid_from=pd.Timestamp("2025-01-01"),
                                                                                 valid_to=None))


def settings_for(server) -> Settings:
    return jira_settings(server, work_classes=[
        WorkClassRule(name="ops tooling", work_class="systems", components=["ops tooling"])])


def test_the_summary_classifies_and_is_not_stored(server, store):
    summaries = ops_work(server.site)
    roster(store)
    sync_jira(store, settings_for(server), token=server.token, retry=RetryPolicy(base_delay=0))
    stored = store.table("work_items").sort_values("item_id")
    classes = stored["work_class"].fillna("(none)").tolist()
    assert classes == ["systems", "systems", "coordination", "coordination", "(none)", "systems", "coordination",
                       "coordination"] * 3
    everything = " ".join(map(str, stored.to_numpy().ravel()))
    assert not any(summary in everything for summary in summaries)


def test_the_synced_classes_reach_the_metric(server, store):
    ops_work(server.site)
    roster(store)
    sync_jira(store, settings_for(server), token=server.token, retry=RetryPolicy(base_delay=0))
    tables = load_tables(store)
    assert len(tables["prodops_work"]) == 3 * 6  # classified and resolved
    series = compute_series(tables, Settings(), "quarter", "org", T0.date(), T0.date(), ["prodops_systems_work_share"])
    cell = series.iloc[0]
    assert cell["value"] == pytest.approx(3 / 6) and cell["n"] == 18
