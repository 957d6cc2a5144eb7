"""The metric registry: each metric is declared once and every reader uses that declaration.

A metric is a pure function from the canonical tables to a series
`(metric_id, period_start, grain, scope, scope_id, value, n)`. Pages, the command line and
reports read titles, units, definitions and directions from here and never restate them.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

import pandas as pd

from dashboard.config import Settings
from dashboard.periods import Grain, next_start

Scope = Literal["org", "group", "team"]
SCOPES: tuple[Scope, ...] = ("org", "group", "team")
SIGNALS: dict[str, str] = {
    "S1": "PMs spend less time on process, more on strategy",
    "S2": "Insights reach teams without custom requests",
    "S3": "Releases run smoothly at scale",
    "S4": "Product and operations align",
    "checkins": "Check-ins are delivered",
}
SERIES_COLUMNS = ["metric_id", "period_start", "grain", "scope", "scope_id", "value", "n"]


@dataclass(frozen=True)
class Context:
    """What a metric function needs: the tables, the settings and the cut it is asked for."""

    tables: dict[str, pd.DataFrame]
    settings: Settings
    grain: Grain
    scope: Scope
    periods: list[date]
    until: date | None = None
    """The last day asked for; the period holding it is only counted up to this day."""

    def covered(self, start: date) -> tuple[date, date]:
        """The days of the period starting at `start` that the caller asked for: [first, end)."""
        end = next_start(start, self.grain)
        if self.until is not None:
            end = min(end, self.until + timedelta(days=1))
        return start, end

    def scope_ids(self) -> list[str]:
        teams = self.tables["teams"]
        if self.scope == "org":
            return ["org"]
        column = "group_name" if self.scope == "group" else "team_id"
        return sorted(teams[column].dropna().unique().tolist())


@dataclass(frozen=True)
class Metric:
    id: str
    title: str
    signal: str
    unit: Literal["share", "hours", "days", "count", "score", "per_pm_month", "points"]
    better: Literal["higher", "lower"]
    definition: str
    sources: tuple[str, ...]
    n_label: str
    compute: Callable[[Context], pd.DataFrame] = field(repr=False)
    needs: tuple[str, ...] = ()

    def format(self, value: float | None) -> str:
        if value is None or pd.isna(value):
            return "–"
        if self.unit == "share":
            return f"{value:.0%}"
        if self.unit in ("hours", "days"):
            return f"{value:.1f} {'h' if self.unit == 'hours' else 'd'}"
        if self.unit in ("count",):
            return f"{value:.0f}"
        if self.unit == "per_pm_month":
            return f"{value:.2f}"
        return f"{value:.0f}"


METRICS: dict[str, Metric] = {}


def metric(**declaration) -> Callable[[Callable[[Context], pd.DataFrame]], Callable[[Context], pd.DataFrame]]:
    """Declare a metric by decorating the function that computes it."""

    def register(fn: Callable[[Context], pd.DataFrame]) -> Callable[[Context], pd.DataFrame]:
        entry = Metric(compute=fn, **declaration)
        if entry.id in METRICS:
            raise ValueError(f"metric {entry.id} declared twice")
        METRICS[entry.id] = entry
        return fn

    return register
