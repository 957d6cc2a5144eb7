"""What a milestone moved: for each annotation, the metrics it was meant to move, before against after.

The rule, stated once (pages and the pack print `RULE`): the `WINDOW_MONTHS` whole months before
the month the milestone happened in, against up to `WINDOW_MONTHS` whole months after it. The
month itself is left out (a change beds in over it) and so is a running month. The change is
judged as the Overview's verdicts are (`dashboard.analysis.verdict.compare`): an interval from
the month-to-month spread, at least `verdict.MIN_PERIODS` months on each side.

A before/after comparison is not an experiment: anything else that happened inside the windows
moved the same months. Each impact names the other milestones inside its windows, so a reader
sees when two of them share the credit.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pandas as pd

from dashboard.analysis.scorecard import format_delta
from dashboard.analysis.verdict import LEVEL, MIN_PERIODS, UNKNOWN, Comparison, Span, compare, signed
from dashboard.core.notes import annotation_metrics
from dashboard.core.periods import floor_date, next_start
from dashboard.metrics.registry import SERIES_COLUMNS, Metric, Scope, level_of

WINDOW_MONTHS = 6
RULE = (
    f"Each milestone's metrics over the {WINDOW_MONTHS} whole months before the month it happened in, against up to "
    f"{WINDOW_MONTHS} whole months after it (that month and a running month left out); a change counts only when "
    f"its {LEVEL:.0%} interval, from the spread between months, lies wholly on one side of zero, with at least "
    f"{MIN_PERIODS} months on each side. Other milestones inside the windows are named: they share the credit."
)


@dataclass(frozen=True)
class Impact:
    """One metric of one milestone: the months before against the months after."""

    on_date: date
    scope_id: str
    label: str
    comparison: Comparison
    others: tuple[str, ...] = ()
    """Other milestones inside the windows, of the same scope or the whole organisation."""

    @property
    def metric(self) -> Metric:
        return self.comparison.metric

    @property
    def outcome(self) -> str:
        return self.comparison.outcome

    def headline(self) -> str:
        """'Self-serve insights portal launched: Ad-hoc data requests per PM per month 3.50 to 1.20'."""
        found = self.comparison
        if found.outcome == UNKNOWN:
            short = "too early to tell" if found.periods[0] < MIN_PERIODS else "too little data before it"
            return f"{self.label}: {self.metric.title}, {short}"
        return (f"{self.label}: {self.metric.title} {self.metric.format(found.mean_before)} to "
                f"{self.metric.format(found.mean_after)}")

    def reason(self) -> str:
        """The windows, the change with its interval, and what the months stand on."""
        found = self.comparison
        before, after = found.before, found.after
        windows = f"{_months(found.periods[1])} before ({before.label}) against {_months(found.periods[0])} after ({after.label})"
        if found.outcome == UNKNOWN:
            text = f"{windows}; at least {MIN_PERIODS} months on each side are needed to tell a change from noise."
        else:
            text = (f"{windows}: {format_delta(self.metric, found.change)}; {LEVEL:.0%} interval "
                    f"{signed(self.metric, found.low)} to {signed(self.metric, found.high)}; n ≈ {found.n[1]:,} and "
                    f"{found.n[0]:,} {self.metric.n_label} a month.")
        if self.others:
            text += f" Also inside the windows: {'; '.join(self.others)}."
        return text


def windows(on_date: date, until: date) -> tuple[Span, Span]:
    """The months after the milestone's month (up to `until`, a month start not yet whole) and
    the months before it: (after, before), as `verdict.compare` takes them."""
    month = floor_date(on_date, "month")
    first_after = next_start(month, "month")
    end_after = min(_months_later(first_after, WINDOW_MONTHS), max(until, first_after))
    first_before = _months_later(month, -WINDOW_MONTHS)
    return (Span("month", first_after, end_after, _span_label(first_after, end_after)),
            Span("month", first_before, month, _span_label(first_before, month)))


MonthReader = Callable[[Scope, date, list[str]], pd.DataFrame]
"""Month cells of one scope level, from a first month, of some metric ids: the store's series,
computed or published, as the caller has them."""


def month_cells(annotations: pd.DataFrame, metrics: dict[str, Metric], until: date, group_names,
                read: MonthReader) -> pd.DataFrame:
    """The month cells `impacts` needs for these annotations: their metrics, at their scopes'
    levels, from the first month of the earliest window up to `until`."""
    ids = sorted({i for cell in annotations.get("metrics", []) for i in annotation_metrics(cell) if i in metrics})
    if not ids:
        return pd.DataFrame(columns=SERIES_COLUMNS)
    first = windows(min(annotations["on_date"]), until)[1].first
    levels = sorted({level_of(scope_id, group_names) for scope_id in annotations["scope"]})
    cells = pd.concat([read(level, first, ids) for level in levels], ignore_index=True)
    return cells[cells["metric_id"].isin(ids) & (pd.to_datetime(cells["period_start"]) < pd.Timestamp(until))]


def impacts(annotations: pd.DataFrame, monthly: pd.DataFrame, metrics: dict[str, Metric], until: date) -> list[Impact]:
    """Every annotated metric of every annotation, newest milestone first.

    Args:
        annotations: `on_date`, `scope` (a scope id), `label`, `metrics` (comma-separated ids).
        monthly: month cells (`metric_id`, `scope_id`, `period_start`, `value`, `n`) covering the windows.
        until: the first month start that is not whole yet (the running month, or the end of a reviewed quarter).
    """
    if annotations.empty or "metrics" not in annotations:
        return []
    marks = annotations.assign(on_date=pd.to_datetime(annotations["on_date"]).dt.date).sort_values(
        ["on_date", "label"], ascending=[False, True])
    found = []
    for mark in marks.itertuples(index=False):
        after, before = windows(mark.on_date, until)
        others = _others(marks, mark, before.first, after.end)
        for metric_id in annotation_metrics(mark.metrics):
            if metric_id not in metrics:
                continue
            cells = monthly[(monthly["metric_id"] == metric_id) & (monthly["scope_id"] == mark.scope)]
            found.append(Impact(mark.on_date, mark.scope, mark.label, compare(metrics[metric_id], cells, after, before),
                                others))
    return found


def _others(marks: pd.DataFrame, mark, first: date, end: date) -> tuple[str, ...]:
    inside = marks[(marks["on_date"] >= first) & (marks["on_date"] < end) & (marks["label"] != mark.label)
                   & marks["scope"].isin({"org", mark.scope})]
    return tuple(f"{row.label} ({row.on_date.day} {row.on_date:%b %Y})" for row in inside.sort_values("on_date").itertuples())


def _months_later(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def _span_label(first: date, end: date) -> str:
    if end <= first:
        return "none yet"
    last = _months_later(end, -1)
    if last == first:
        return f"{first:%b %Y}"
    return f"{first:%b}–{last:%b %Y}" if first.year == last.year else f"{first:%b %Y}–{last:%b %Y}"


def _months(count: int) -> str:
    return f"{count} month{'s' if count != 1 else ''}"
