"""Investing late in product ops: an early warning, and how late the team came.

The common mistake is to found product ops, or grow it, only once PMs already drown in process:
PMs join, product ops does not, and overhead climbs. Two readings of the org-level series:

- `investing_late`: over the last `periods` periods, PMs per product-ops person grew and PM
  overhead rose too. Both are compared end to start of the window, so one noisy period in the
  middle does not silence the warning, and both must have a value at each end.
- `founding_against_target`: the day product ops was founded (the annotation that says so) against
  the first period PM overhead was worse than its target: a positive lag is how long PMs were over
  target before the team existed.

Pure functions over series indexed by period start; the caller picks grain and scope.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from dashboard.core.config import Target

PERIODS = 3


@dataclass(frozen=True)
class LateInvestment:
    """The window a trend read, and each series at its two ends."""

    first: date
    last: date
    ratio: tuple[float, float]
    overhead: tuple[float, float]

    @property
    def growing(self) -> bool:
        return self.ratio[1] > self.ratio[0]

    @property
    def rising(self) -> bool:
        return self.overhead[1] > self.overhead[0]


def trend(ratio: pd.Series, overhead: pd.Series, periods: int = PERIODS) -> LateInvestment | None:
    """Both series at the two ends of the last `periods` periods (the last period either series has,
    and the `periods - 1` before it); None when either end of either is missing.

    The window is the same periods for both series, and only its ends are compared, so one noisy
    period in the middle does not hide a trend.
    """
    if periods < 2:
        raise ValueError(f"a trend needs at least two periods, not {periods}")
    ratio, overhead = _dated(ratio), _dated(overhead)
    starts = sorted(set(ratio.index) | set(overhead.index))
    if len(starts) < periods:
        return None
    first, last = starts[-periods], starts[-1]
    ends = [ratio.get(first), ratio.get(last), overhead.get(first), overhead.get(last)]
    if any(value is None or pd.isna(value) for value in ends):
        return None
    r0, r1, o0, o1 = (float(value) for value in ends)
    return LateInvestment(first=first, last=last, ratio=(r0, r1), overhead=(o0, o1))


def investing_late(ratio: pd.Series, overhead: pd.Series, periods: int = PERIODS) -> LateInvestment | None:
    """The `trend` when PMs per product-ops person and PM overhead both rose over it; else None."""
    found = trend(ratio, overhead, periods)
    return found if found is not None and found.growing and found.rising else None


@dataclass(frozen=True)
class FoundingLag:
    """When the team was founded against when PM overhead first went over its target."""

    founded: date | None
    over_target: date | None
    """The first period whose overhead was worse than the target (None: never, in the data)."""

    @property
    def days_late(self) -> int | None:
        """Days from overhead first over target to the founding; negative when the team came first."""
        if self.founded is None or self.over_target is None:
            return None
        return (self.founded - self.over_target).days


def founding_against_target(founded: date | pd.Timestamp | None, overhead: pd.Series, target: Target,
                            better: str = "lower") -> FoundingLag:
    """The founding day against the first period of `overhead` worse than `target.target` (above it
    when lower is better, below it otherwise)."""
    values = _dated(overhead).dropna()
    worse = values > target.target if better == "lower" else values < target.target
    return FoundingLag(founded=None if founded is None else pd.Timestamp(founded).date(),
                       over_target=min(values.index[worse]) if worse.any() else None)


def _dated(series: pd.Series) -> pd.Series:
    """The series with `datetime.date` keys, in order."""
    series = series.copy()
    series.index = [pd.Timestamp(start).date() for start in series.index]
    return series.sort_index()
