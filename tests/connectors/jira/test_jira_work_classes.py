"""The work-class rules: which Jira items build systems and which coordinate, first match wins,
configured rules before the built-in ones; the summary decides but is never stored."""
from __future__ import annotations

from datetime import datetime

import pytest
from pydantic import ValidationError

from connectors.jira import Rules, normalize
from connectors.jira.classify import DEFAULT_WORK_CLASSES, WorkClassifier, effective_work_classes
from connectors.jira.query import signature
from dashboard.core.config import JiraSource, WorkClassRule
from dashboard.core.schema import TABLES

BUILT_IN = WorkClassifier(DEFAULT_WORK_CLASSES)


@pytest.mark.parametrize(("summary", "labels", "expected"), [
    ("Automate the weekly status report", [], "systems"),       # systems rules come first
    ("Build a PRD template", [], "systems"),
    ("Release dashboard for leadership", [], "systems"),
    ("Zendesk integration for feedback", [], "systems"),
    ("New intake workflow in Jira", [], "systems"),
    ("Weekly status update for Payments", [], "coordination"),
    ("Sync with Growth on launch", [], "coordination"),
    ("Meeting notes: Q3 planning", [], "coordination"),
    ("Follow-up on missing check-ins", [], "coordination"),
    ("Chase legal for sign-off", [], "coordination"),
    ("Coordinate the launch across teams", [], "coordination"),
    ("Hire a designer", [], None),                              # nothing matches: no class
    ("Hire a designer", ["Automation"], "systems"),             # labels in any case
    ("Automate the launch plan", ["status-update"], "coordination"),  # a label is deliberate: it beats a summary
    ("Sync notes", ["tooling"], "systems"),
    ("Update the template", ["coordination"], "coordination"),  # labels before summaries
    ("Statistics for the board", [], None),                     # a keyword starts a word: "stat" is no "status"
    ("Robotics", [], None),
])
def test_built_in_rules(summary, labels, expected):
    assert BUILT_IN(summary, "Task", labels) == expected


def test_every_given_matcher_must_hold_and_the_first_matching_rule_wins():
    rules = [
        WorkClassRule(name="ops board systems", work_class="systems", components=["Ops Tooling"], issue_types=["Story"]),
        WorkClassRule(name="status posts", **{"class": "coordination"}, summary_regex=r"^\[(status|sync)\]"),
        WorkClassRule(name="any ops tooling", work_class="coordination", components=["ops tooling"]),
    ]
    classify = WorkClassifier(rules)
    assert classify("Anything", "story", [], ["OPS TOOLING"]) == "systems"
    assert classify("Anything", "Task", [], ["Ops Tooling"]) == "coordination"  # not a story: the third rule
    assert classify("[Status] Payments", "Task", [], []) == "coordination"
    assert classify("Payments [status]", "Task", [], []) is None
    assert classify(None, None) is None
    assert classify.match("[sync] x", "Bug").name == "status posts"


def test_configured_rules_come_first_and_the_built_in_ones_can_be_switched_off():
    mine = WorkClassRule(name="ops ask", work_class="coordination", labels=["automation"])
    source = JiraSource(url="https://x.atlassian.net", projects=["OPS"], work_classes=[mine])
    assert effective_work_classes(source) == [mine, *DEFAULT_WORK_CLASSES]
    assert WorkClassifier.from_source(source)("Automate intake", "Task", ["automation"]) == "coordination"
    alone = source.model_copy(update={"default_work_classes": False})
    assert effective_work_classes(alone) == [mine]
    assert WorkClassifier.from_source(alone)("Automate intake", "Task", []) is None
    assert effective_work_classes(None) == list(DEFAULT_WORK_CLASSES)


def test_a_changed_rule_changes_what_the_sync_reads_under():
    """A new rule re-reads every issue (the cursor's signature changes), so no stored item keeps a
    class an older rule gave it."""
    source = JiraSource(url="https://x.atlassian.net", projects=["OPS"])
    ruled = source.model_copy(update={"work_classes": [WorkClassRule(name="a", work_class="systems", labels=["x"])]})
    assert signature(source) != signature(ruled)
    assert signature(source) != signature(source.model_copy(update={"default_work_classes": False}))


@pytest.mark.parametrize(("entry", "message"), [
    ({"name": "empty", "class": "systems"}, "at least one of"),
    ({"name": "bad", "class": "strategy", "labels": ["x"]}, "systems"),
    ({"name": "regex", "class": "systems", "summary_regex": "(unclosed"}, "regular expression"),
    ({"name": "typo", "class": "systems", "label": ["x"]}, "label"),
])
def test_a_bad_rule_is_refused_by_name(entry, message):
    with pytest.raises(ValidationError, match=message):
        JiraSource(url="https://x.atlassian.net", projects=["OPS"], work_classes=[entry])


def test_normalize_classifies_from_the_summary_but_keeps_no_summary():
    issues = [
        {"id": str(n), "key": f"OPS-{n}", "fields": {
            "project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "status": {"name": "Done"},
            "created": "2026-01-05T09:00:00.000+0000", "summary": summary, "labels": labels,
            "components": [{"name": c} for c in components]}}
        for n, (summary, labels, components) in enumerate([
            ("Automate the intake form", [], []), ("Chase the Q3 numbers", [], []), ("Hire", [], []),
            ("Anything", [], ["Ops Tooling"]),
        ], start=1)
    ]
    source = JiraSource(url="https://x.atlassian.net", projects=["OPS"], work_classes=[
        WorkClassRule(name="ops tooling", work_class="systems", components=["Ops Tooling"])])
    items = normalize(issues, {}, datetime(2026, 2, 1), Rules.from_settings(source)).work_items
    assert items["work_class"].fillna("(none)").tolist() == ["systems", "coordination", "(none)", "systems"]
    assert "summary" not in TABLES["work_items"].columns
    assert not items.astype(str).apply(lambda column: column.str.contains("Automate|Chase")).any().any()
    assert normalize(issues[:1], {}, datetime(2026, 2, 1)).work_items["work_class"].tolist() == ["systems"]
