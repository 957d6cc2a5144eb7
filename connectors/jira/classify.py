"""Which kind of work a Jira item is: building systems or coordinating. Rules, first match wins.

Product ops that builds systems (tooling, automation, templates, dashboards, integrations) frees
PMs for good; product ops that runs projects (chasing status, syncing, writing meeting notes)
has to do it again next week. Rules come from `[[jira.work_classes]]` in `prodops.toml`, tried in
order, followed by the built-in `DEFAULT_WORK_CLASSES` unless `jira.default_work_classes = false`.
A rule's matchers all have to hold: labels, components or issue type (any one listed, ignoring
case), summary keywords (one must start a word) or a regular expression. An item no rule matches
has no class, and the systems-work share leaves it out rather than guess.

The systems rules come first: "Automate the weekly status report" builds a system even though
it names a status report.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from dashboard.core.config import JiraSource, WorkClassRule
from dashboard.core.keywords import keyword_pattern

SYSTEMS = "systems"
COORDINATION = "coordination"

SYSTEMS_WORDS = (
    "automation", "automate", "tooling", "tool", "template", "dashboard", "integration", "integrate", "playbook",
    "self serve", "workflow", "system", "script",
)
COORDINATION_WORDS = (
    "status", "update", "sync", "coordinate", "coordination", "meeting notes", "minutes", "follow up", "chase",
    "reminder", "agenda", "check in",
)

# fmt: off
DEFAULT_WORK_CLASSES: tuple[WorkClassRule, ...] = (
    WorkClassRule(name="systems (label)", work_class=SYSTEMS, labels=[
        "automation", "tooling", "template", "templates", "dashboard", "integration", "process-system", "systems",
    ]),
    WorkClassRule(name="coordination (label)", work_class=COORDINATION, labels=[
        "coordination", "status", "status-update", "meeting-notes", "follow-up",
    ]),
    WorkClassRule(name="systems (summary)", work_class=SYSTEMS, summary=list(SYSTEMS_WORDS)),
    WorkClassRule(name="coordination (summary)", work_class=COORDINATION, summary=list(COORDINATION_WORDS)),
)
# fmt: on


@dataclass(frozen=True)
class _Compiled:
    rule: WorkClassRule
    labels: frozenset[str]
    components: frozenset[str]
    issue_types: frozenset[str]
    keywords: re.Pattern | None
    regex: re.Pattern | None

    @classmethod
    def of(cls, rule: WorkClassRule) -> _Compiled:
        return cls(
            rule,
            frozenset(label.casefold() for label in rule.labels),
            frozenset(component.casefold() for component in rule.components),
            frozenset(kind.casefold() for kind in rule.issue_types),
            keyword_pattern(rule.summary),
            re.compile(rule.summary_regex, re.IGNORECASE) if rule.summary_regex else None,
        )

    def matches(self, summary: str, issue_type: str, labels: frozenset[str], components: frozenset[str]) -> bool:
        return not (
            (self.labels and not self.labels & labels)
            or (self.components and not self.components & components)
            or (self.issue_types and issue_type not in self.issue_types)
            or (self.keywords and not self.keywords.search(summary))
            or (self.regex and not self.regex.search(summary))
        )


class WorkClassifier:
    """Rules compiled once; `classifier(summary, issue_type, labels, components)` gives the class or None."""

    def __init__(self, rules: Sequence[WorkClassRule]):
        self.rules = tuple(rules)
        self._compiled = [_Compiled.of(rule) for rule in self.rules]

    @classmethod
    def from_source(cls, source: JiraSource | None) -> WorkClassifier:
        return cls(effective_work_classes(source))

    def __call__(self, summary: str | None, issue_type: str | None, labels: Sequence[str] = (),
                 components: Sequence[str] = ()) -> str | None:
        rule = self.match(summary, issue_type, labels, components)
        return rule.work_class if rule else None

    def match(self, summary: str | None, issue_type: str | None, labels: Sequence[str] = (),
              components: Sequence[str] = ()) -> WorkClassRule | None:
        """The first rule that matches, None when none does."""
        found_labels = frozenset(str(label).casefold() for label in labels)
        found_components = frozenset(str(component).casefold() for component in components)
        kind = (issue_type or "").casefold()
        text = summary or ""
        return next((c.rule for c in self._compiled if c.matches(text, kind, found_labels, found_components)), None)


def effective_work_classes(source: JiraSource | None) -> list[WorkClassRule]:
    """The configured rules, then the built-in ones unless they are switched off; the built-in
    ones alone without a `[jira]` section."""
    if source is None:
        return list(DEFAULT_WORK_CLASSES)
    return [*source.work_classes, *(DEFAULT_WORK_CLASSES if source.default_work_classes else ())]
