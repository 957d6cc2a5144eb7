"""The scorecard rules: direction-aware status against target, signed deltas, quarter pairing."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from dashboard.analysis.scorecard import ScorecardPeriod, cards, format_delta, scorecard_period, status, tone
from dashboard.core.config import Target
from dashboard.metrics import METRICS

OVERHEAD = METRICS["pm_overhead_share"]  # a share, lower is better
FOCUS = METRICS["pm_focus_hours"]  # hours, higher is better
Q3, Q4 = date(2026, 7, 1), date(2026, 10, 1)
Q3_LAST_YEAR = date(2025, 7, 1)


@pytest.mark.parametrize(
    ("metric", "value", "expected"),
    [
        (OVERHEAD, 0.20, "on"),
        (OVERHEAD, 0.25, "on"),
        (OVERHEAD, 0.29, "near"),
        (OVERHEAD, 0.31, "off"),
        (FOCUS, 9.0, "on"),
        (FOCUS, 7.0, "near"),
        (FOCUS, 5.0, "off"),
        (FOCUS, None, "no_data"),
        (FOCUS, float("nan"), "no_data"),
    ],
)
def test_status_follows_the_better_direction(metric, value, expected):
    target = Target(target=0.25, tolerance=0.05) if metric is OVERHEAD else Target(target=8, tolerance=2)
    assert status(metric, value, target) == expected


def test_a_metric_without_target_has_no_status_colour():
    assert status(FOCUS, 9.0, None) == "no_target"


@pytest.mark.parametrize(
    ("metric", "delta", "text"),
    [
        (OVERHEAD, 0.031, "+3 pp"),
        (OVERHEAD, -0.02, "-2 pp"),
        (OVERHEAD, 0.001, "±0 pp"),
        (FOCUS, 1.25, "+1.2 h"),
        (FOCUS, -0.5, "-0.5 h"),
        (FOCUS, None, None),
    ],
)
def test_delta_is_signed_in_the_metric_unit(metric, delta, text):
    assert format_delta(metric, delta) == text


def test_cards_compare_the_quarter_with_the_one_before():
    quarterly = pd.DataFrame(
        {
            "metric_id": ["pm_overhead_share"] * 2 + ["pm_focus_hours"] * 2,
            "period_start": [Q3, Q4, Q3, Q4],
            "scope_id": "org",
            "value": [0.30, 0.24, 6.0, float("nan")],
            "n": pd.array([12, 12, 12, None], dtype="Int64"),
        }
    )
    overhead, focus = cards([OVERHEAD, FOCUS], quarterly, "org", Q4, Q3, {"pm_overhead_share": Target(target=0.25)})
    assert overhead.value == 0.24 and overhead.previous == 0.30
    assert overhead.delta_text() == "-6 pp"
    assert overhead.status == "on" and overhead.target_text() == "target ≤ 25%"
    assert focus.value is None and focus.hidden and focus.n is None, "no value and no n: the privacy rules at work"
    assert focus.delta is None and focus.status == "no_data"


def test_a_running_quarter_gives_way_to_the_last_complete_one():
    period = scorecard_period(Q4, today=date(2026, 11, 26))
    assert period == ScorecardPeriod(Q3, running=Q4, through=date(2026, 11, 26))
    assert (period.previous, period.year_ago) == (date(2026, 4, 1), Q3_LAST_YEAR)
    assert period.elapsed == (57, 92), "1 Oct to 26 Nov is 57 of the quarter's 92 days"


def test_a_complete_quarter_is_scored_as_it_is():
    assert scorecard_period(Q3, today=date(2026, 11, 26)) == ScorecardPeriod(Q3)
    assert scorecard_period(Q3, today=date(2026, 9, 30)) == ScorecardPeriod(Q3), "its last day completes it"


def test_with_no_data_before_it_the_running_quarter_is_scored_to_date():
    period = scorecard_period(Q4, today=date(2026, 11, 26), first_quarter=Q4)
    assert period == ScorecardPeriod(Q4, through=date(2026, 11, 26))


def test_cards_add_a_year_ago_and_the_running_quarter_to_date():
    quarterly = pd.DataFrame(
        {
            "metric_id": "release_count",
            "period_start": [Q3_LAST_YEAR, date(2026, 4, 1), Q3, Q4],
            "scope_id": "org",
            "value": [90.0, 104.0, 101.0, 57.0],
            "n": [90, 104, 101, 57],
        }
    )
    (card,) = cards([METRICS["release_count"]], quarterly, "org", Q3, date(2026, 4, 1), {}, year_ago=Q3_LAST_YEAR, running=Q4)
    assert (card.value, card.previous, card.year_ago, card.to_date) == (101.0, 104.0, 90.0, 57.0)
    assert card.delta_text() == "-3" and card.year_delta_text() == "+11"
    assert card.tone(card.delta) == "worse" and card.tone(card.year_delta) == "better"


@pytest.mark.parametrize(
    ("metric", "delta", "expected"),
    [(OVERHEAD, -0.03, "better"), (OVERHEAD, 0.03, "worse"), (FOCUS, 1.0, "better"), (FOCUS, 0.01, "same"), (FOCUS, None, None)],
)
def test_tone_follows_the_better_direction(metric, delta, expected):
    assert tone(metric, delta) == expected
