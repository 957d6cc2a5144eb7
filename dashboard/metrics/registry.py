"""The metric registry: each metric is declared once and every reader uses that declaration.

A metric is a pure function from the canonical tables to a series
`(metric_id, period_start, grain, scope, scope_id, value, n)`. Pages, the command line and
reports read titles, units, definitions and directions from here and never restate them.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal, TypeVar

import pandas as pd

from dashboard.core.config import Settings
from dashboard.core.periods import Grain, next_start
from dashboard.core.words import NO_VALUE

Scope = Literal["org", "group", "team"]


def level_of(scope_id: str, group_names) -> Scope:
    """Whether an id (as annotations and notes hold them) names the organisation, a group or a team."""
    if scope_id == "org":
        return "org"
    return "group" if scope_id in set(group_names) else "team"
T = TypeVar("T")
SCOPES: tuple[Scope, ...] = ("org", "group", "team")
EVERY_SCOPE = "every"
"""A cut over the three scopes at once (`compute_series`): each scope id is `scoped_id(scope, id)`,
so the observations are built once and placed three times, instead of built three times."""
SCOPE_MARK = "\x1f"


def scoped_id(scope: str, scope_ids):
    """A scope id (or a Series of them) with its scope in front, unique across the three scopes."""
    return scope + SCOPE_MARK + scope_ids
@dataclass(frozen=True)
class Signal:
    """A sign of product operations done well, and how every output presents it."""

    id: str
    question: str
    lead: str
    """The metric the Overview draws under the signal's scorecard."""
    page: str
    """The page file (in `pages/`) that shows the signal's metrics in context."""
    key_charts: tuple[tuple[str, Grain], ...] = ()
    """The charts the QBR section draws with the prior quarter overlaid, and at what grain: weeks
    where there are enough events per week for a line to mean something, months otherwise. A signal
    without key charts (S4, survey waves held once a quarter) gets a pair of bars per metric."""


SIGNALS: dict[str, Signal] = {signal.id: signal for signal in (
    Signal("S1", "PMs spend less time on process, more on strategy", "pm_overhead_share", "pm_time.py",
           (("pm_overhead_share", "week"), ("pm_focus_hours", "week"))),
    Signal("S2", "Insights reach teams without custom requests", "data_requests_per_pm", "insights.py",
           (("data_requests_per_pm", "month"), ("data_request_days_to_fulfil", "month"))),
    Signal("S3", "Releases and enablement run smoothly at scale", "release_on_time_rate", "releases.py",
           (("release_on_time_rate", "month"), ("release_slip_days", "month"))),
    Signal("S4", "Product and operations align", "alignment_gap", "alignment.py"),
    Signal("checkins", "Check-ins are delivered", "checkin_compliance_rate", "checkins.py",
           (("checkin_compliance_rate", "week"), ("checkin_on_time_rate", "week"))),
)}
PRODUCT_OPS = Signal("ops", "Product ops builds systems, close to product and operations, invested in on time",
                     "pms_per_prodops", "product_ops.py")
"""The function's own health: the guide's four common mistakes, as early warnings. A group of its
own, kept out of `SIGNALS`, so the four signs' verdicts, scorecards, digests and QBR sections stay
the four signs (and check-ins); its page is Product ops itself."""
GROUPS: dict[str, Signal] = {**SIGNALS, PRODUCT_OPS.id: PRODUCT_OPS}
"""Every group a metric's `signal` may name: the signs, check-ins and the function itself."""
SERIES_COLUMNS = ["metric_id", "period_start", "grain", "scope", "scope_id", "value", "n"]
ROSTER = ("teams", "people", "memberships", "team_groups")
"""Tables every metric reads, to place its records on teams and groups."""
CLOCK = "clock"
"""In `Metric.needs`: the value depends on the day it is computed for, not only on the tables
(a running period's share of months, say)."""
SURVEY = ("survey_questions", "survey_answers", "survey_waves", "privacy_cells")


@dataclass(frozen=True)
class Context:
    """What a metric function needs: the tables, the settings and the cut it is asked for."""

    tables: dict[str, pd.DataFrame]
    settings: Settings
    grain: Grain
    scope: Scope | Literal["every"]
    periods: list[date]
    until: date | None = None
    """The last day asked for; the period holding it is only counted up to this day."""
    memo: dict = field(default_factory=dict, compare=False, repr=False)
    """Work that several metrics of this cut share (placing PM-weeks on scopes, say), done once."""

    def shared(self, key: str, build: Callable[[], T]) -> T:
        """`build()`, once per context: metrics computed together reuse each other's work."""
        if key not in self.memo:
            self.memo[key] = build()
        return self.memo[key]

    def covered(self, start: date) -> tuple[date, date]:
        """The days of the period starting at `start` that the caller asked for: [first, end)."""
        end = next_start(start, self.grain)
        if self.until is not None:
            end = min(end, self.until + timedelta(days=1))
        return start, end

    def scope_ids(self) -> list[str]:
        if self.scope == EVERY_SCOPE:
            return [scoped_id(scope, scope_id) for scope in SCOPES for scope_id in self._ids(scope)]
        return self._ids(self.scope)

    def _ids(self, scope: Scope) -> list[str]:
        if scope == "org":
            return ["org"]
        column = "group_name" if scope == "group" else "team_id"
        return self.shared(f"{column} ids", lambda: sorted(self.tables["teams"][column].dropna().unique().tolist()))


@dataclass(frozen=True)
class Metric:
    id: str
    title: str
    signal: str
    unit: Literal["share", "hours", "days", "count", "score", "per_pm_month", "points", "ratio"]
    better: Literal["higher", "lower"]
    definition: str
    sources: tuple[str, ...]
    n_label: str
    compute: Callable[[Context], pd.DataFrame] = field(repr=False)
    needs: tuple[str, ...] = ()
    """The tables it reads besides the roster (`ROSTER`), and `CLOCK` when its value depends on
    the day it is computed for: a stored series is computed again when one of them changes."""

    def format(self, value: float | None) -> str:
        if value is None or pd.isna(value):
            return NO_VALUE
        if self.unit == "share":
            return f"{value:.0%}"
        if self.unit in ("hours", "days"):
            return f"{value:.1f} {'h' if self.unit == 'hours' else 'd'}"
        if self.unit in ("count",):
            return f"{value:.0f}"
        if self.unit == "per_pm_month":
            return f"{value:.2f}"
        if self.unit == "ratio":
            return f"{value:.1f}"
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
