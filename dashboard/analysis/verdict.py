"""Did a signal improve, hold or worsen this year? A verdict that a noisy month cannot flip.

The rule, stated once (the Overview prints `RULE`):

- **What is compared.** The signal's lead metric, over whole periods only (a running month or
  week is never compared as whole): this year to date, month by month, against the same months a
  year before; and the last full quarter, week by week, against the same quarter a year before.
- **Noise.** The periods of each side are the samples. The change is the difference of their
  means, with a 90 % confidence interval from Welch's standard error (unequal variances) and the
  smaller side's degrees of freedom (Hsu's conservative choice: Welch's own approximation calls
  noise a change too often when a short side of skewed counts meets a long one), so the
  month-to-month spread of the metric itself says how large a change must be to count.
- **Verdict.** *Improved* when the whole interval lies on the metric's better side of zero,
  *worsened* when it lies on the worse side, *held* otherwise. Pure noise is called improved
  (or worsened) at most 5 % of the time each (`FALSE_ALARM`); tests/analysis/test_verdict.py
  checks this on random series of every length.
- **Too little data.** Fewer than `MIN_PERIODS` periods with a value on either side gives no
  verdict, and says so: a survey held once a quarter has one value in a quarter.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from scipy.special import stdtrit

from dashboard.analysis.scorecard import format_delta
from dashboard.core.periods import floor_date, next_start, quarter_label
from dashboard.metrics.registry import Metric

LEVEL = 0.90
FALSE_ALARM = (1 - LEVEL) / 2
"""The share of pure-noise comparisons called improved (and, apart, worsened)."""
MIN_PERIODS = 3
IMPROVED, HELD, WORSENED, UNKNOWN = "improved", "held", "worsened", "too little data"
RULE = (
    f"Improved or worsened only when the {LEVEL:.0%} interval of the change, from the spread of the metric between "
    f"whole periods, lies wholly on one side of zero (noise alone does so {FALSE_ALARM:.0%} of the time each way); "
    f"held otherwise; no verdict with fewer than {MIN_PERIODS} periods on a side. Running periods are never compared."
)


@dataclass(frozen=True)
class Span:
    """Whole periods of one grain, from `first` (a period start) up to but excluding `end`."""

    grain: str
    first: date
    end: date
    label: str


@dataclass(frozen=True)
class Comparison:
    """One span against the same span a year before."""

    metric: Metric
    after: Span
    before: Span
    outcome: str
    mean_after: float | None = None
    mean_before: float | None = None
    low: float | None = None
    high: float | None = None
    periods: tuple[int, int] = (0, 0)
    """Periods with a value: (after, before)."""
    n: tuple[int, int] = (0, 0)
    """What a typical period's value stands on (the median n of its periods): (after, before)."""

    @property
    def change(self) -> float | None:
        return None if self.mean_after is None or self.mean_before is None else self.mean_after - self.mean_before

    def reason(self) -> str:
        """One line a VP can read aloud: the two values, the change and its interval, and the n."""
        grain = self.after.grain
        if self.outcome == UNKNOWN:
            return (f"{self.after.label}: {_count(self.periods[0], grain)} with a value against {self.periods[1]} "
                    f"{self.before.label}; at least {MIN_PERIODS} on each side are needed to tell a change from noise.")
        fmt = self.metric.format
        interval = f"{LEVEL:.0%} interval {signed(self.metric, self.low)} to {signed(self.metric, self.high)}"
        return (f"{self.after.label}: {fmt(self.mean_after)} against {fmt(self.mean_before)} {self.before.label} "
                f"({format_delta(self.metric, self.change)}; {interval}; {_count(self.periods[0], grain)} and "
                f"{self.periods[1]}, n ≈ {self.n[0]:,} and {self.n[1]:,} {self.metric.n_label} a {grain}).")


@dataclass(frozen=True)
class Verdict:
    """A signal's verdict: the year to date decides; the last full quarter is shown beside it."""

    signal: str
    question: str
    year: Comparison
    quarter: Comparison

    @property
    def outcome(self) -> str:
        return self.year.outcome


def year_to_date(today: date) -> tuple[Span, Span]:
    """This year's whole months so far, and the same months a year before."""
    first, end = date(today.year, 1, 1), floor_date(today, "month")
    months = f"{first:%b}–{end - timedelta(days=1):%b}" if end > first else "no whole month"
    return (Span("month", first, end, f"{today.year} to date"),
            Span("month", _a_year_before(first), _a_year_before(end), f"in {months} {today.year - 1}"))


def last_full_quarter(today: date, week_start: str = "monday") -> tuple[Span, Span]:
    """The whole weeks starting in the last whole quarter, and in the same quarter a year before."""
    quarter = _previous_quarter(floor_date(today, "quarter"))
    year_ago = _a_year_before(quarter)
    end = min(next_start(quarter, "quarter"), floor_date(today, "week", week_start))
    return (Span("week", quarter, end, quarter_label(quarter)),
            Span("week", year_ago, next_start(year_ago, "quarter"), f"in {quarter_label(year_ago)}"))


def quarter_by_months(quarter: date) -> tuple[Span, Span]:
    """A whole quarter's three months, and the same quarter's a year before (the QBR's verdicts)."""
    year_ago = _a_year_before(quarter)
    return (Span("month", quarter, next_start(quarter, "quarter"), quarter_label(quarter)),
            Span("month", year_ago, next_start(year_ago, "quarter"), f"in {quarter_label(year_ago)}"))


def compare(metric: Metric, series: pd.DataFrame, after: Span, before: Span) -> Comparison:
    """`series` holds the metric's cells (`period_start`, `value`, `n`) at the spans' grain, one scope."""
    sides = [_cells(series, after), _cells(series, before)]
    periods = (len(sides[0]), len(sides[1]))
    n = tuple(int(side["n"].median()) if len(side) else 0 for side in sides)
    if min(periods) < MIN_PERIODS:
        return Comparison(metric, after, before, UNKNOWN, periods=periods, n=n)
    a, b = (side["value"].to_numpy(dtype=float) for side in sides)
    low, high = interval(a, b)
    return Comparison(metric, after, before, decide(metric, low, high), float(a.mean()), float(b.mean()), low, high,
                      periods, n)


def interval(after: np.ndarray, before: np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    """The interval of mean(after) - mean(before): Welch's standard error, the smaller side's
    degrees of freedom. Two flat sides give the bare difference.

    The t quantile is `scipy.special.stdtrit`: importing scipy.stats would cost the Overview's
    first view about a second.
    """
    difference = float(after.mean() - before.mean())
    share_a, share_b = after.var(ddof=1) / len(after), before.var(ddof=1) / len(before)
    if share_a + share_b == 0:
        return difference, difference
    freedom = min(len(after), len(before)) - 1
    half = float(stdtrit(freedom, 1 - (1 - level) / 2)) * math.sqrt(share_a + share_b)
    return difference - half, difference + half


def decide(metric: Metric, low: float, high: float) -> str:
    if low > 0 or high < 0:
        rose = low > 0
        return IMPROVED if rose == (metric.better == "higher") else WORSENED
    return HELD


def verdict(signal: str, question: str, metric: Metric, monthly: pd.DataFrame, weekly: pd.DataFrame, today: date,
            week_start: str = "monday") -> Verdict:
    return Verdict(signal, question, compare(metric, monthly, *year_to_date(today)),
                   compare(metric, weekly, *last_full_quarter(today, week_start)))


def _cells(series: pd.DataFrame, span: Span) -> pd.DataFrame:
    day = pd.to_datetime(series["period_start"])
    inside = series[(day >= pd.Timestamp(span.first)) & (day < pd.Timestamp(span.end))]
    return inside[inside["value"].notna()]


def _previous_quarter(quarter: date) -> date:
    month = quarter.month - 3
    return date(quarter.year, month, 1) if month >= 1 else date(quarter.year - 1, month + 12, 1)


def _a_year_before(month: date) -> date:
    return date(month.year - 1, month.month, 1)


def _count(periods: int, grain: str) -> str:
    return f"{periods} {grain}{'s' if periods != 1 else ''}"


def signed(metric: Metric, value: float | None) -> str:
    if value is None or math.isnan(value):
        return "?"
    return format_delta(metric, value) or "±0"
