"""The scorecard rules: direction-aware status against target, signed deltas, quarter pairing."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from dashboard.config import Target
from dashboard.metrics import METRICS
from dashboard.scorecard import cards, format_delta, status

OVERHEAD = METRICS["pm_overhead_share"]  # a share, lower is better
FOCUS = METRICS["pm_focus_hours"]  # hours, higher is better
Q3, Q4 = date(2026, 7, 1), date(2026, 10, 1)


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
            "n": [12, 12, 12, 2],
        }
    )
    overhead, focus = cards([OVERHEAD, FOCUS], quarterly, "org", Q4, Q3, {"pm_overhead_share": Target(target=0.25)})
    assert overhead.value == 0.24 and overhead.previous == 0.30
    assert overhead.delta_text() == "-6 pp"
    assert overhead.status == "on" and overhead.target_text() == "target ≤ 25%"
    assert focus.value is None and focus.hidden, "n without a value is the privacy minimum at work"
    assert focus.delta is None and focus.status == "no_data"
