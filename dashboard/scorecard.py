"""A quarter against the one before and against its target: the numbers behind a scorecard.

The metric series already hold the values; this only compares two of them and places a value
against its configured target, so the rules for "better", "on target" and "near target" live
in one tested place instead of in each page.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Literal

import pandas as pd

from dashboard.config import Target
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
class Card:
    """One metric for one scope: this quarter, the quarter before, and where it stands."""

    metric: Metric
    value: float | None
    previous: float | None
    n: int
    hidden: bool
    target: Target | None

    @property
    def delta(self) -> float | None:
        if _missing(self.value) or _missing(self.previous):
            return None
        return self.value - self.previous

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
) -> list[Card]:
    """Scorecards from a quarterly series (`metric_id`, `period_start`, `scope_id`, `value`, `n`)."""
    rows = quarterly[quarterly["scope_id"] == scope_id].set_index(["metric_id", "period_start"])

    def cell(metric_id: str, quarter: date) -> tuple[float | None, int]:
        if (metric_id, quarter) not in rows.index:
            return None, 0
        row = rows.loc[(metric_id, quarter)]
        value = None if pd.isna(row["value"]) else float(row["value"])
        return value, int(row["n"])

    out = []
    for metric in metrics:
        value, n = cell(metric.id, this_quarter)
        previous, _ = cell(metric.id, last_quarter)
        out.append(Card(metric, value, previous, n, hidden=value is None and n > 0, target=targets.get(metric.id)))
    return out
