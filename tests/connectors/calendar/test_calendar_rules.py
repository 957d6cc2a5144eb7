"""Classification rules: the built-in product rules, rules from prodops.toml, and the rules preview."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from connectors.calendar import DEFAULT_RULES, UNCLASSIFIED, Classifier, Occurrence, effective_rules, rules_preview
from dashboard.core.config import CalendarRule, ConfigError, Settings, load_settings

MONDAY = datetime(2026, 3, 16, 9, tzinfo=UTC)


def occ(title: str = "", minutes: int = 60, people: int = 4, **fields) -> Occurrence:
    return Occurrence(
        uid=title or "x",
        start_utc=MONDAY,
        end_utc=MONDAY + timedelta(minutes=minutes),
        title=title,
        attendee_count=people,
        **fields,
    )


DEFAULT = Classifier(DEFAULT_RULES)


@pytest.mark.parametrize(
    ("title", "category"),
    [
        ("Daily Stand-up", "overhead"),
        ("standup", "overhead"),
        ("Weekly status", "overhead"),
        ("Team sync", "overhead"),
        ("Bug triage", "overhead"),
        ("Release go/no-go", "overhead"),
        ("Quarterly check-in", "overhead"),
        ("Sprint planning", "overhead"),
        ("Retrospective", "overhead"),
        ("Backlog grooming", "overhead"),
        ("Customer interview: ACME", "strategy"),
        ("Discovery session", "strategy"),
        ("Roadmap sync", "strategy"),
        ("2027 strategy", "strategy"),
        ("User research readout", "strategy"),
        ("1:1 Alice / Bob", "one_on_one"),
        ("Alice <> Bob 1-1", "one_on_one"),
        ("Onboarding: analytics", "enablement"),
        ("Lunch & learn", "enablement"),
        ("PM office hours", "enablement"),
        ("Focus time", "focus"),
        ("Heads-down", "focus"),
        ("OOO", "ooo"),
        ("Vacation", "ooo"),
        ("Async review", UNCLASSIFIED),
        ("Lunch", UNCLASSIFIED),
    ],
)
def test_default_rules_know_product_work(title, category):
    assert DEFAULT(occ(title)) == category


def test_default_rules_read_sizes_event_types_categories_and_status():
    assert DEFAULT(occ("Catch-up", minutes=30, people=2)) == "one_on_one"
    assert DEFAULT(occ("Catch-up", minutes=90, people=2)) == UNCLASSIFIED  # too long for a 1:1 by size
    assert DEFAULT(occ("Blocked", event_type="focusTime", people=1)) == "focus"
    assert DEFAULT(occ("Away", event_type="outOfOffice")) == "ooo"
    assert DEFAULT(occ("Blocked", categories=("Focus Time",))) == "focus"
    assert DEFAULT(occ("Conference", show_as="oof")) == "ooo"


def test_configured_rules_come_first_and_the_first_match_wins():
    settings = Settings(
        calendar={
            "rules": [
                {"name": "exec staff", "category": "overhead", "organizer": ["CEO@example.com"], "min_attendees": 8},
                {"name": "design crits", "category": "strategy", "title_regex": r"^crit\b", "recurring": True},
                {"name": "short syncs are fine", "category": "other", "title": ["sync"], "max_minutes": 15},
            ]
        }
    )
    classify = Classifier.from_settings(settings)
    assert classify(occ("Strategy offsite", people=9, organizer="ceo@example.com")) == "overhead"
    assert classify(occ("Strategy offsite", people=5, organizer="ceo@example.com")) == "strategy"  # default rule
    assert classify(occ("Crit: onboarding", recurring=True)) == "strategy"
    assert classify(occ("Crit: onboarding", recurring=False)) == "enablement"
    assert classify(occ("Quick sync", minutes=15)) == "other"
    assert classify(occ("Quick sync", minutes=30)) == "overhead"
    only_mine = Settings(calendar={"default_rules": False, "rules": [{"name": "all", "category": "other"}]})
    assert [r.name for r in effective_rules(only_mine)] == ["all"]


def test_rules_in_prodops_toml_are_checked_like_any_setting(tmp_path):
    path = tmp_path / "prodops.toml"
    path.write_text('[[calendar.rules]]\nname = "bad"\ncategory = "overhead"\ntitle_regex = "(unclosed"\n')
    with pytest.raises(ConfigError, match=r"calendar.rules.0.title_regex"):
        load_settings(path)
    path.write_text('[[calendar.rules]]\nname = "typo"\ncategory = "overheads"\n')
    with pytest.raises(ConfigError, match=r"calendar.rules.0.category"):
        load_settings(path)
    path.write_text("[calendar]\nfocus_min_minutes = 90\nshort_focus_min_minutes = 100\n")
    with pytest.raises(ConfigError, match=r"short_focus_min_minutes must not exceed"):
        load_settings(path)


def test_rules_preview_counts_hours_per_rule_and_shows_the_unclassified_share():
    rules = [
        CalendarRule(name="ceremonies", category="overhead", title=["standup", "planning"]),
        CalendarRule(name="discovery", category="strategy", title=["interview"]),
        CalendarRule(name="never matches", category="enablement", title=["xyzzy"]),
    ]
    sample = [
        occ("Standup", minutes=15),
        occ("Standup", minutes=15),
        occ("Sprint planning", minutes=90),
        occ("Customer interview", minutes=60),
        occ("Coffee", minutes=30),
        occ("Standup", minutes=15, response="declined"),  # not time spent
        occ("Standup", minutes=15, cancelled=True),
        occ("Offsite", all_day=True),  # counted, no hours
    ]
    preview = rules_preview(sample, rules)
    assert preview["rule"].tolist() == ["ceremonies", "discovery", "never matches", UNCLASSIFIED]
    assert preview["occurrences"].tolist() == [3, 1, 0, 2]
    assert preview["hours"].tolist() == pytest.approx([2.0, 1.0, 0.0, 0.5])
    assert preview["share"].sum() == pytest.approx(1) and preview["share"].iloc[-1] == pytest.approx(0.5 / 3.5)
    empty = pd.DataFrame(columns=["uid", "start_utc", "end_utc", "title"])
    assert rules_preview(empty, rules)["occurrences"].sum() == 0 and rules_preview(empty, rules)["share"].eq(0).all()


def test_rules_preview_takes_a_frame_of_occurrences():
    frame = pd.DataFrame(
        [
            {
                "uid": "a",
                "start_utc": MONDAY,
                "end_utc": MONDAY + timedelta(hours=1),
                "title": "Standup",
                "attendee_count": 5,
            },
            {
                "uid": "b",
                "start_utc": MONDAY,
                "end_utc": MONDAY + timedelta(hours=2),
                "title": "Roadmap",
                "attendee_count": 5,
            },
        ]
    )
    preview = rules_preview(frame, list(DEFAULT_RULES)).set_index("rule")
    assert preview.loc["process overhead", "hours"] == 1 and preview.loc["strategy", "hours"] == 2
