"""The verdict rule: Welch's interval, whole periods only, and a false-alarm rate that holds on noise."""
from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from dashboard.analysis import verdict
from dashboard.analysis.verdict import FALSE_ALARM, HELD, IMPROVED, MIN_PERIODS, UNKNOWN, WORSENED
from dashboard.metrics import METRICS

OVERHEAD = METRICS["pm_overhead_share"]  # lower is better
ON_TIME = METRICS["release_on_time_rate"]  # higher is better
TODAY = date(2026, 12, 6)
TRIALS = 1500


def monthly(values_by_month: dict[date, float], n: int = 40) -> pd.DataFrame:
    return pd.DataFrame({"period_start": list(values_by_month), "value": list(values_by_month.values()), "n": n})


def months(year: int, values) -> dict[date, float]:
    return {date(year, month, 1): value for month, value in enumerate(values, 1)}


@given(st.integers(2, 30), st.integers(2, 30), st.integers(0, 2**32 - 1))
@settings(max_examples=25, deadline=None)
def test_the_interval_is_welchs_standard_error_on_the_smaller_sides_degrees_of_freedom(after_size, before_size, seed):
    rng = np.random.default_rng(seed)
    after, before = rng.normal(0.3, 0.05, after_size), rng.normal(0.32, 0.1, before_size)
    welch = stats.ttest_ind(after, before, equal_var=False)
    error = math.sqrt(after.var(ddof=1) / after_size + before.var(ddof=1) / before_size)
    assert welch.statistic == pytest.approx((after.mean() - before.mean()) / error, rel=1e-9), "Welch's standard error"
    half = stats.t.ppf(1 - FALSE_ALARM, min(after_size, before_size) - 1) * error
    difference = after.mean() - before.mean()
    assert verdict.interval(after, before) == pytest.approx((difference - half, difference + half), rel=1e-9)


NOISE = {
    "normal": lambda rng, size: rng.normal(0.3, 0.05, size),
    "uniform": lambda rng, size: rng.uniform(0, 1, size),
    "shares of 40": lambda rng, size: rng.binomial(40, 0.8, size) / 40,
    "counts": lambda rng, size: rng.poisson(3.5, size).astype(float),
}


@given(st.sampled_from(sorted(NOISE)), st.integers(0, 40), st.integers(0, 40), st.integers(0, 2**32 - 1))
@settings(max_examples=12, deadline=None)
def test_pure_noise_is_called_improved_or_worsened_no_more_often_than_the_stated_rate(noise, after_size, before_size, seed):
    """Both sides drawn from one distribution: any verdict but held (or too little data) is a false alarm."""
    rng = np.random.default_rng(seed)
    draw = NOISE[noise]
    outcomes = []
    for _ in range(TRIALS):
        after, before = draw(rng, after_size), draw(rng, before_size)
        if min(after_size, before_size) < MIN_PERIODS:
            outcomes.append(UNKNOWN)
            continue
        outcomes.append(verdict.decide(OVERHEAD, *verdict.interval(after, before)))
    if min(after_size, before_size) < MIN_PERIODS:
        assert set(outcomes) == {UNKNOWN}
        return
    # The stated rate, plus sampling error of TRIALS draws (four standard errors) and a margin for
    # Welch's approximate degrees of freedom on discrete noise in the smallest samples.
    allowed = FALSE_ALARM + 4 * math.sqrt(FALSE_ALARM * (1 - FALSE_ALARM) / TRIALS) + 0.01
    for alarm in (IMPROVED, WORSENED):
        assert outcomes.count(alarm) / TRIALS <= allowed, (noise, after_size, before_size, alarm)


def test_a_change_beyond_noise_is_called_in_the_metrics_direction():
    calm = [0.30, 0.31, 0.29, 0.30, 0.31, 0.30, 0.29, 0.30, 0.31, 0.30, 0.30]
    lower = [v - 0.1 for v in calm]
    series = monthly({**months(2025, calm), **months(2026, lower)})
    assert verdict.compare(OVERHEAD, series, *verdict.year_to_date(TODAY)).outcome == IMPROVED
    assert verdict.compare(ON_TIME, series, *verdict.year_to_date(TODAY)).outcome == WORSENED, "higher is better there"
    same = monthly({**months(2025, calm), **months(2026, calm[::-1])})
    assert verdict.compare(OVERHEAD, same, *verdict.year_to_date(TODAY)).outcome == HELD


def test_the_running_month_is_never_compared():
    """December 2026 has six days: a wild value there changes nothing."""
    calm = [0.30, 0.31, 0.29, 0.30, 0.31, 0.30, 0.29, 0.30, 0.31, 0.30, 0.30]
    base = {**months(2025, [*calm, 0.3]), **months(2026, calm)}
    wild = {**base, date(2026, 12, 1): 0.95}
    quiet = verdict.compare(OVERHEAD, monthly(base), *verdict.year_to_date(TODAY))
    loud = verdict.compare(OVERHEAD, monthly(wild), *verdict.year_to_date(TODAY))
    assert quiet == loud and quiet.periods == (11, 11)
    after, _ = verdict.year_to_date(TODAY)
    assert (after.first, after.end) == (date(2026, 1, 1), date(2026, 12, 1))
    weeks, year_ago = verdict.last_full_quarter(date(2026, 10, 2))
    assert (weeks.first, weeks.end) == (date(2026, 7, 1), date(2026, 9, 28)), "the running week (from 28 Sep) is out"
    assert (year_ago.first, year_ago.end) == (date(2025, 7, 1), date(2025, 10, 1))


def test_too_few_periods_give_no_verdict_and_say_how_many_are_needed():
    series = monthly({date(2025, 2, 1): 20.0, date(2025, 5, 1): 18.0, date(2026, 2, 1): 6.0, date(2026, 5, 1): 4.0})
    result = verdict.compare(OVERHEAD, series, *verdict.year_to_date(TODAY))
    assert result.outcome == UNKNOWN and result.periods == (2, 2)
    assert f"at least {MIN_PERIODS} on each side" in result.reason()


def test_the_reason_states_both_values_the_change_its_interval_and_n():
    calm = [0.30, 0.31, 0.29, 0.30, 0.31, 0.30, 0.29, 0.30, 0.31, 0.30, 0.30]
    series = monthly({**months(2025, calm), **months(2026, [v - 0.1 for v in calm])}, n=58)
    text = verdict.compare(OVERHEAD, series, *verdict.year_to_date(TODAY)).reason()
    assert text.startswith("2026 to date: 20% against 30% in Jan–Nov 2025 (-10 pp; 90% interval -11 pp to -9 pp;")
    assert text.endswith("11 months and 11, n ≈ 58 and 58 PMs a month).")
