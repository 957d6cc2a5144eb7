"""Investing late in product ops: the early warning and the founding lag, on hand-made series."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from dashboard.analysis.investment import founding_against_target, investing_late
from dashboard.core.config import Target

MONTHS = [date(2026, m, 1) for m in range(1, 6)]


def monthly(*values) -> pd.Series:
    return pd.Series(values, index=MONTHS[: len(values)], dtype=float)


def test_fires_when_ratio_and_overhead_both_rise_over_the_window():
    found = investing_late(monthly(10, 12, 15, 14, 18), monthly(0.30, 0.28, 0.29, 0.31, 0.33), periods=3)
    assert found is not None
    assert (found.first, found.last) == (date(2026, 3, 1), date(2026, 5, 1))
    assert found.ratio == (15, 18) and found.overhead == pytest.approx((0.29, 0.33))


@pytest.mark.parametrize("ratio, overhead", [
    ((10, 12, 15, 14, 14), (0.30, 0.28, 0.29, 0.31, 0.33)),  # ratio flat over the window
    ((10, 12, 15, 14, 18), (0.30, 0.28, 0.35, 0.31, 0.33)),  # overhead fell over the window
    ((20, 18, 15, 14, 12), (0.20, 0.22, 0.25, 0.27, 0.30)),  # product ops grows faster than PMs
])
def test_quiet_unless_both_rise(ratio, overhead):
    assert investing_late(monthly(*ratio), monthly(*overhead), periods=3) is None


def test_a_missing_end_of_the_window_is_no_warning():
    assert investing_late(monthly(10, 12, float("nan"), 14, 18), monthly(0.2, 0.2, 0.25, 0.3, 0.35)) is None
    assert investing_late(monthly(10, 12, 15, 14, 18), monthly(0.2, 0.2, 0.25, 0.3)) is None, "overhead has no May"
    assert investing_late(monthly(10, 12), monthly(0.2, 0.3)) is None, "two periods cannot make a three-period window"


def test_a_window_of_one_period_is_refused():
    with pytest.raises(ValueError, match="two periods"):
        investing_late(monthly(1, 2), monthly(1, 2), periods=1)


FOUNDED = date(2026, 4, 14)


def test_founding_lag_counts_from_the_first_period_over_target():
    overhead = monthly(0.22, 0.24, 0.27, 0.31, 0.26)
    lag = founding_against_target(FOUNDED, overhead, Target(target=0.25, tolerance=0.05))
    assert (lag.founded, lag.over_target) == (date(2026, 4, 14), date(2026, 3, 1))
    assert lag.days_late == 44


def test_higher_is_better_counts_the_first_period_under_target_and_an_early_team_is_negative():
    strategy = monthly(0.25, 0.25, 0.15)
    lag = founding_against_target(FOUNDED, strategy, Target(target=0.20), better="higher")
    assert lag.over_target == date(2026, 3, 1) and lag.days_late == 44
    calm = founding_against_target(date(2026, 1, 5), monthly(0.2, 0.2, 0.3), Target(target=0.25))
    assert calm.days_late == -55


def test_no_founding_or_never_over_target_has_no_lag():
    never = founding_against_target(FOUNDED, monthly(0.2, 0.2), Target(target=0.25))
    assert never.over_target is None and never.days_late is None
    unfounded = founding_against_target(None, monthly(0.3), Target(target=0.25))
    assert unfounded.founded is None and unfounded.days_late is None
