"""Which kind of PM time an occurrence is: rules, first match wins.

Rules come from `[[calendar.rules]]` in `prodops.toml`, tried in order, followed by the built-in
`DEFAULT_RULES` unless `calendar.default_rules = false`. A rule's conditions all have to hold:
title keywords or a regular expression, size and length bands, recurring or not, organiser,
Google `eventType`, Graph/ICS `categories`, free/busy status, all-day or not. An occurrence
that no rule matches is `unclassified`; `rules_preview` shows how many hours each rule catches
and how many no rule does, so a product-ops lead can tune the rules on real calendars.

A keyword matches at the start of a word and treats spaces, hyphens and underscores alike:
`stand up` matches "Stand-up", "standup" and "Daily stand up", and `sync` matches "Sync-up" but
not "async".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import pandas as pd

from connectors.calendar.normalize import Occurrence, kept
from dashboard.core.config import CalendarRule, Settings
from dashboard.core.keywords import keyword_pattern

UNCLASSIFIED = "unclassified"
CATEGORIES = ("overhead", "strategy", "focus", "one_on_one", "enablement", "other", "ooo", UNCLASSIFIED)

# fmt: off
DEFAULT_RULES: tuple[CalendarRule, ...] = (
    CalendarRule(name="out of office (free/busy status)", category="ooo", show_as=["oof"]),
    CalendarRule(name="out of office (Google event type)", category="ooo", event_type=["outOfOffice"]),
    CalendarRule(name="out of office (title)", category="ooo", title=[
        "ooo", "out of office", "vacation", "holiday", "pto", "annual leave", "parental leave", "sick leave",
        "sick day", "day off",
    ]),
    CalendarRule(name="focus (Google focus time)", category="focus", event_type=["focusTime"]),
    CalendarRule(name="focus (category)", category="focus", categories=["focus time", "focus"]),
    CalendarRule(name="focus (title)", category="focus", title=[
        "focus", "deep work", "heads down", "no meetings", "maker time", "do not book",
    ]),
    CalendarRule(name="one-to-one (title)", category="one_on_one", title=["1:1", "1-1", "1on1", "one on one"]),
    CalendarRule(name="strategy", category="strategy", title=[
        "discovery", "customer interview", "customer call", "user interview", "user research", "research",
        "strategy", "strategic", "roadmap", "vision", "okr", "opportunity", "usability", "prototype",
        "competitive", "market",
    ]),
    CalendarRule(name="process overhead", category="overhead", title=[
        "standup", "stand up", "daily scrum", "scrum", "status", "sync", "triage", "release", "check in",
        "planning", "sprint", "retro", "refinement", "grooming", "backlog", "ceremony", "go no go", "steering",
        "weekly update", "report",
    ]),
    CalendarRule(name="enablement", category="enablement", title=[
        "training", "onboarding", "enablement", "workshop", "lunch and learn", "lunch & learn", "office hours",
        "brown bag", "demo day", "webinar", "course", "coaching",
    ]),
    CalendarRule(
        name="one-to-one (two people, up to an hour)", category="one_on_one",
        min_attendees=2, max_attendees=2, max_minutes=60, all_day=False,
    ),
)
# fmt: on


@dataclass(frozen=True)
class _Compiled:
    """A rule with its patterns compiled once and its lists turned into sets."""

    rule: CalendarRule
    keywords: re.Pattern | None
    regex: re.Pattern | None
    organizers: frozenset[str]
    event_types: frozenset[str]
    categories: frozenset[str]
    show_as: frozenset[str]

    @classmethod
    def of(cls, rule: CalendarRule) -> _Compiled:
        return cls(
            rule,
            keyword_pattern(rule.title),
            re.compile(rule.title_regex, re.IGNORECASE) if rule.title_regex else None,
            frozenset(o.lower() for o in rule.organizer),
            frozenset(rule.event_type),
            frozenset(c.casefold() for c in rule.categories),
            frozenset(rule.show_as),
        )

    def matches(self, o: Occurrence) -> bool:
        r = self.rule
        return not (
            (self.keywords and not self.keywords.search(o.title))
            or (self.regex and not self.regex.search(o.title))
            or (r.min_attendees is not None and o.attendee_count < r.min_attendees)
            or (r.max_attendees is not None and o.attendee_count > r.max_attendees)
            or (r.min_minutes is not None and o.minutes < r.min_minutes)
            or (r.max_minutes is not None and o.minutes > r.max_minutes)
            or (r.recurring is not None and o.recurring != r.recurring)
            or (r.all_day is not None and o.all_day != r.all_day)
            or (self.organizers and o.organizer.lower() not in self.organizers)
            or (self.event_types and o.event_type not in self.event_types)
            or (self.categories and not self.categories & {c.casefold() for c in o.categories})
            or (self.show_as and o.show_as not in self.show_as)
        )


class Classifier:
    """Rules compiled once; `classifier(occurrence)` gives its category.

    The answer depends only on the fields a rule can look at, so it is remembered per distinct
    combination: the many occurrences of a weekly series are classified once.
    """

    def __init__(self, rules: Sequence[CalendarRule]):
        self.rules = list(rules)
        self._compiled = [_Compiled.of(rule) for rule in self.rules]
        self._memo: dict[tuple, int] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> Classifier:
        return cls(effective_rules(settings))

    def rule_index(self, o: Occurrence) -> int:
        """Position of the first matching rule, or -1 when none matches."""
        key = (
            o.title,
            o.attendee_count,
            o.minutes,
            o.recurring,
            o.all_day,
            o.organizer,
            o.event_type,
            o.categories,
            o.show_as,
        )
        found = self._memo.get(key)
        if found is None:
            found = next((i for i, rule in enumerate(self._compiled) if rule.matches(o)), -1)
            self._memo[key] = found
        return found

    def __call__(self, o: Occurrence) -> str:
        return self.match(o)[1]

    def match(self, o: Occurrence) -> tuple[str | None, str]:
        """The name of the first rule that matches (None when none does) and its category."""
        index = self.rule_index(o)
        return (self.rules[index].name, self.rules[index].category) if index >= 0 else (None, UNCLASSIFIED)


def effective_rules(settings: Settings) -> list[CalendarRule]:
    """The configured rules, then the built-in ones unless they are switched off."""
    calendar = settings.calendar
    return [*calendar.rules, *(DEFAULT_RULES if calendar.default_rules else ())]


def rules_preview(occurrences: Iterable[Occurrence] | pd.DataFrame, rules: Sequence[CalendarRule]) -> pd.DataFrame:
    """How many occurrences and hours each rule catches, first match wins, plus the unclassified rest.

    Give the occurrences as `Occurrence`s (e.g. from `ics.ics_occurrences`) or as a frame with
    their field names. Declined, cancelled and free occurrences are left out, as they are from
    the stored rows; all-day occurrences count as occurrences but carry no hours. Every rule has
    a row, in order, even when it catches nothing, and the last row is `unclassified`.

    Returns columns rule, category, occurrences, hours, share (of all hours counted).
    """
    classifier = Classifier(rules)
    count = [0] * (len(rules) + 1)
    hours = [0.0] * (len(rules) + 1)
    for o in _as_occurrences(occurrences):
        if o.response == "declined":
            continue
        index = classifier.rule_index(o)
        category = rules[index].category if index >= 0 else UNCLASSIFIED
        if not kept(o, category):
            continue
        count[index] += 1  # -1 is the last slot: unclassified
        hours[index] += 0.0 if o.all_day else o.minutes / 60
    total = sum(hours)
    frame = pd.DataFrame(
        {
            "rule": [rule.name for rule in rules] + [UNCLASSIFIED],
            "category": [rule.category for rule in rules] + [UNCLASSIFIED],
            "occurrences": count,
            "hours": hours,
        }
    )
    frame["share"] = frame["hours"] / total if total else 0.0
    return frame


def _as_occurrences(occurrences: Iterable[Occurrence] | pd.DataFrame) -> Iterable[Occurrence]:
    if not isinstance(occurrences, pd.DataFrame):
        return occurrences
    names = set(asdict(Occurrence("", pd.Timestamp(0).to_pydatetime(), pd.Timestamp(0).to_pydatetime())))
    rows = occurrences[[c for c in occurrences.columns if c in names]].to_dict("records")
    for row in rows:
        if "categories" in row:
            row["categories"] = tuple(row["categories"] or ())
    return (Occurrence(**row) for row in rows)
