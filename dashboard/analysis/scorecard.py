"""A quarter against the one before, the same quarter a year earlier and its target: the
numbers behind a scorecard.

The metric series already hold the values; this only compares them and places a value against
its configured target (green at or beyond it, amber within its tolerance band, red beyond:
both set per metric in `prodops.toml`), so the rules for "better", "on target" and "near
target" live in one tested place instead of in each page.

**Like with like.** A running quarter is not compared with whole quarters: seven weeks of
releases against thirteen weeks of them reads as a crash, and the metric series cannot cut an
earlier quarter at the same elapsed day (an event belongs to the whole period holding it). So
the scorecard shows the last *complete* quarter against the quarter before and against the
same quarter a year earlier, and shows the running quarter beside it, labelled "to date" and
without a change (`scorecard_period`). A user who picks a complete quarter as the end of the
range gets that quarter, with nothing running beside it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import pandas as pd

from dashboard.core.config import Target
from dashboard.core.periods import next_start, quarters_back
from dashboard.metrics.registry import Metric

Status = Literal["on", "near", "off", "no_target", "no_data"]
STATUS_LABEL: dict[Status, str] = {
    "on": "On target",
    "near": "Near target",
    "off": "Off target",
    "no_target": "No target set",
    "no_data": "No data",
}
STATUS_COLOR: dict[Status, str] = {
    "on": "green", "near": "orange", "off": "red", "no_target": "gray", "no_data": "gray",
}


@dataclass(frozen=True)
class ScorecardPeriod:
    """Which quarter a scorecard shows, what it is compared with, and the running quarter beside it."""

    quarter: date
    running: date | None = None
    through: date | None = None
    """The last day the running quarter has data for."""

    @property
    def previous(self) -> date:
        return quarters_back(self.quarter, 2)

    @property
    def year_ago(self) -> date:
        return quarters_back(self.quarter, 5)

    @property
    def elapsed(self) -> tuple[int, int] | None:
        """Days of the running quarter that have passed, and its length."""
        if self.running is None or self.through is None:
            return None
        return (self.through - self.running).days + 1, (next_start(self.running, "quarter") - self.running).days


def scorecard_period(last_quarter: date, today: date, first_quarter: date | None = None) -> ScorecardPeriod:
    """The quarter to score when the chosen range ends at `last_quarter` (see "Like with like").

    A complete quarter is scored as it is. A running one gives way to the quarter before it,
    and is shown beside it to date, unless there is no data before it (`first_quarter`).
    """
    end = next_start(last_quarter, "quarter") - timedelta(days=1)
    if today >= end:
        return ScorecardPeriod(last_quarter)
    before = quarters_back(last_quarter, 2)
    if first_quarter is not None and before < first_quarter:
        return ScorecardPeriod(last_quarter, through=today)
    return ScorecardPeriod(before, running=last_quarter, through=today)


@dataclass(frozen=True)
class Card:
    """One metric for one scope: this quarter, the quarter before, a year before, and where it stands."""

    metric: Metric
    value: float | None
    previous: float | None
    n: int | None
    hidden: bool
    target: Target | None
    year_ago: float | None = None
    to_date: float | None = None
    """The running quarter's value so far, shown beside the card, never compared."""
    to_date_hidden: bool = False

    @property
    def delta(self) -> float | None:
        return _difference(self.value, self.previous)

    @property
    def year_delta(self) -> float | None:
        return _difference(self.value, self.year_ago)

    def year_delta_text(self) -> str | None:
        return format_delta(self.metric, self.year_delta)

    def tone(self, delta: float | None) -> str | None:
        """"better", "worse" or "same" for a change, in the metric's direction."""
        return tone(self.metric, delta)

    @property
    def status(self) -> Status:
        return status(self.metric, self.value, self.target)

    def value_text(self) -> str:
        return self.metric.format(self.value)

    def delta_text(self) -> str | None:
        return format_delta(self.metric, self.delta)

    @property
    def unchanged(self) -> bool:
        text = self.delta_text()
        return text is not None and text.startswith("±")

    def target_text(self) -> str | None:
        if self.target is None:
            return None
        sign = "≥" if self.metric.better == "higher" else "≤"
        return f"target {sign} {self.metric.format(self.target.target)}"


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _difference(value: float | None, base: float | None) -> float | None:
    if _missing(value) or _missing(base):
        return None
    return value - base


def tone(metric: Metric, delta: float | None) -> str | None:
    """Whether a change is for the better, for the worse, or too small to show (rounds to ±0)."""
    text = format_delta(metric, delta)
    if text is None:
        return None
    if text.startswith("±"):
        return "same"
    return "better" if (delta > 0) == (metric.better == "higher") else "worse"


def status(metric: Metric, value: float | None, target: Target | None) -> Status:
    """On target when at or past it in the better direction; near when within the tolerance."""
    if _missing(value):
        return "no_data"
    if target is None:
        return "no_target"
    gap = value - target.target if metric.better == "higher" else target.target - value
    if gap >= 0:
        return "on"
    if -gap <= target.tolerance:
        return "near"
    return "off"


def format_delta(metric: Metric, delta: float | None) -> str | None:
    """A change in the metric's unit, signed; a share moves in percentage points, not percent.

    A change that rounds to nothing is shown as "±0" so it gets no arrow and no colour.
    """
    if _missing(delta):
        return None
    magnitude = f"{abs(delta) * 100:.0f} pp" if metric.unit == "share" else metric.format(abs(delta))
    if not any(ch in "123456789" for ch in magnitude):
        return f"±{magnitude}"
    return f"{'+' if delta > 0 else '-'}{magnitude}"


def cards(
    metrics: list[Metric],
    quarterly: pd.DataFrame,
    scope_id: str,
    this_quarter: date,
    last_quarter: date,
    targets: dict[str, Target],
    year_ago: date | None = None,
    running: date | None = None,
) -> list[Card]:
    """Scorecards from a quarterly series (`metric_id`, `period_start`, `scope_id`, `value`, `n`).

    `year_ago` and `running` add the same quarter a year earlier and the running quarter to date
    when the series holds them.
    """
    rows = quarterly[quarterly["scope_id"] == scope_id].set_index(["metric_id", "period_start"])

    def cell(metric_id: str, quarter: date) -> tuple[float | None, int | None]:
        """The value and n, n None where the privacy rules hid the cell."""
        if (metric_id, quarter) not in rows.index:
            return None, 0
        row = rows.loc[(metric_id, quarter)]
        value = None if pd.isna(row["value"]) else float(row["value"])
        return value, None if pd.isna(row["n"]) else int(row["n"])

    out = []
    for metric in metrics:
        value, n = cell(metric.id, this_quarter)
        previous, _ = cell(metric.id, last_quarter)
        earlier = cell(metric.id, year_ago)[0] if year_ago else None
        to_date, to_date_n = cell(metric.id, running) if running else (None, 0)
        out.append(Card(
            metric, value, previous, n, hidden=n is None, target=targets.get(metric.id),
            year_ago=earlier, to_date=to_date, to_date_hidden=to_date_n is None,
        ))
    return out
