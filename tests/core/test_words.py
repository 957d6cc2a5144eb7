"""Identifiers in words: a page with no title for a check-in kind or a survey construct says it as a person would."""
from __future__ import annotations

import pytest

from dashboard.core.config.checkins import CheckinKind, Checkins
from dashboard.core.words import spoken


@pytest.mark.parametrize(("identifier", "said"), [
    ("weekly_status", "Weekly status"), ("qbr_prep", "QBR prep"), ("monthly_pm_sync", "Monthly PM sync"),
    ("enps", "eNPS"), ("alignment", "Alignment"),
])
def test_an_id_is_said_in_words_with_its_acronyms_in_capitals(identifier, said):
    assert spoken(identifier) == said


def test_a_check_in_kind_is_called_by_its_title_else_by_its_id_in_words():
    checkins = Checkins(kinds=[CheckinKind(id="qbr_prep", cadence="quarterly", days_before_quarter_end=10),
                               CheckinKind(id="weekly_status", title="Friday status", cadence="weekly", weekday="fri")])
    assert [checkins.title_of(kind) for kind in ("qbr_prep", "weekly_status", "sprint_demo")] == [
        "QBR prep", "Friday status", "Sprint demo"], "a kind the config no longer declares still reads as words"
