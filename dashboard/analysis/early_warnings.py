"""The four common mistakes of product operations, as early warnings the function itself can act on.

The guide the dashboard is built on names four mistakes. Each is read from published quarterly
cells (a figure the privacy rules hid raises nothing), against the bands the metrics' targets set
in prodops.toml (`scorecard.status`: on, near, off), and comes with the figures a reader checks it
by. Three are a band: the last whole quarter's value of any of the mistake's banded metrics off its
target fires the warning, near it asks to watch. The second mistake, investing late, is a trend:
PMs per product-ops person growing quarter on quarter while PM overhead rises.

A warning informs; it does not diagnose. Each says which figures raised it, so a reader can open
them and judge.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

import pandas as pd

from dashboard.analysis import investment, scorecard
from dashboard.core.config import Target
from dashboard.core.periods import quarter_label, quarters_back
from dashboard.metrics.registry import Metric

State = Literal["warning", "watch", "clear", "unknown"]
STATE_LABEL: dict[State, str] = {
    "warning": "Warning", "watch": "Watch", "clear": "Clear", "unknown": "Not enough data",
}
TREND_QUARTERS = 3
"""Investing late: the quarters over which the staffing ratio and PM overhead must both have risen."""


@dataclass(frozen=True)
class Mistake:
    id: str
    title: str
    meaning: str
    metrics: tuple[str, ...]
    """The figures the warning is read from, the banded ones first; the rest are shown beside them."""
    banded: int
    """How many of `metrics`, from the first, decide the band rule (the others are context)."""


MISTAKES: tuple[Mistake, ...] = (
    Mistake("deciding", "Deciding instead of informing",
            "Product ops makes the product decisions PMs should make, instead of informing them.",
            ("ops_decision_share", "decision_rights_score"), banded=2),
    Mistake("late", "Investing late",
            "Product ops is not invested in until scaling problems have become critical.",
            ("pms_per_prodops", "pm_overhead_share"), banded=0),
    Mistake("project_management", "Project management instead of systems",
            "Product ops runs status and coordination instead of building systems that make it unnecessary.",
            ("prodops_coordination_share", "prodops_systems_work_share", "prodops_focus_hours"), banded=2),
    Mistake("distance", "Too far from product or operations",
            "Product ops sits too far from product or from operations to bridge them.",
            ("prodops_time_with_pms_share", "prodops_time_with_operations_share"), banded=2),
)


@dataclass(frozen=True)
class Evidence:
    metric: Metric
    value: float | None
    n: int | None
    status: scorecard.Status

    def text(self) -> str:
        shown = self.metric.format(self.value)
        return f"{self.metric.title}: {shown}" + (f" (n = {self.n})" if self.n is not None else "")


@dataclass(frozen=True)
class EarlyWarning:
    mistake: Mistake
    state: State
    reason: str
    evidence: tuple[Evidence, ...]
    quarter: date


def evaluate(quarterly: pd.DataFrame, scope_id: str, quarter: date, metrics: Mapping[str, Metric],
             targets: Mapping[str, Target]) -> list[EarlyWarning]:
    """Each mistake's warning for one scope and its last whole quarter, from published quarterly cells
    (`metric_id`, `period_start`, `scope_id`, `value`, `n`). A metric not in `metrics` is left out."""
    cells = quarterly[quarterly["scope_id"] == scope_id]
    found = []
    for mistake in MISTAKES:
        evidence = tuple(_evidence(cells, metrics[metric_id], quarter, targets.get(metric_id))
                         for metric_id in mistake.metrics if metric_id in metrics)
        if mistake.id == "late":
            found.append(_late(mistake, cells, quarter, metrics, evidence))
        else:
            found.append(_band(mistake, quarter, evidence))
    return found


def history(quarterly: pd.DataFrame, scope_id: str, quarters: list[date], metrics: Mapping[str, Metric],
            targets: Mapping[str, Target]) -> pd.DataFrame:
    """Each mistake's state in each of `quarters` (`mistake`, `title`, `quarter`, `state`, `reason`):
    when a warning first fired and when it cleared, which one quarter's cards cannot tell."""
    rows = [{"mistake": warning.mistake.id, "title": warning.mistake.title, "quarter": quarter,
             "state": warning.state, "reason": warning.reason}
            for quarter in quarters for warning in evaluate(quarterly, scope_id, quarter, metrics, targets)]
    return pd.DataFrame(rows, columns=["mistake", "title", "quarter", "state", "reason"])


def _evidence(cells: pd.DataFrame, metric: Metric, quarter: date, target: Target | None) -> Evidence:
    value, n = _cell(cells, metric.id, quarter)
    return Evidence(metric, value, n, scorecard.status(metric, value, target))


def _cell(cells: pd.DataFrame, metric_id: str, quarter: date) -> tuple[float | None, int | None]:
    row = cells[(cells["metric_id"] == metric_id) & (cells["period_start"] == quarter)]
    if row.empty or pd.isna(row["value"].iloc[0]):
        return None, None
    n = row["n"].iloc[0]
    return float(row["value"].iloc[0]), None if pd.isna(n) else int(n)


def _band(mistake: Mistake, quarter: date, evidence: tuple[Evidence, ...]) -> EarlyWarning:
    deciding = [item for item in evidence if item.metric.id in mistake.metrics[:mistake.banded]]
    known = [item for item in deciding if item.status in ("on", "near", "off")]
    label = quarter_label(quarter)
    if not known:
        return EarlyWarning(mistake, "unknown", f"No figure with a target in {label} to judge by.", evidence, quarter)
    off = [item for item in known if item.status == "off"]
    near = [item for item in known if item.status == "near"]
    if off:
        return EarlyWarning(mistake, "warning", _beyond(off, "off its target", label), evidence, quarter)
    if near:
        return EarlyWarning(mistake, "watch", _beyond(near, "near the edge of its target", label), evidence, quarter)
    return EarlyWarning(mistake, "clear", f"Every figure on target in {label}.", evidence, quarter)


def _beyond(items: list[Evidence], where: str, label: str) -> str:
    return "; ".join(f"{item.metric.title} {item.metric.format(item.value)}, {where}" for item in items) + f" in {label}."


def _late(mistake: Mistake, cells: pd.DataFrame, quarter: date, metrics: Mapping[str, Metric],
          evidence: tuple[Evidence, ...]) -> EarlyWarning:
    """PMs per product-ops person rising over `TREND_QUARTERS` quarters while PM overhead rises too."""
    ratio_id, overhead_id = mistake.metrics
    if ratio_id not in metrics or overhead_id not in metrics:
        return EarlyWarning(mistake, "unknown", "The staffing ratio or PM overhead is not measured.", evidence, quarter)
    quarters = [quarters_back(quarter, TREND_QUARTERS + 1 - step) for step in range(TREND_QUARTERS + 1)]
    span = f"{quarter_label(quarters[0])} to {quarter_label(quarter)}"
    found = investment.trend(*(pd.Series([_cell(cells, metric_id, q)[0] for q in quarters], index=quarters, dtype=float)
                               for metric_id in (ratio_id, overhead_id)), periods=len(quarters))
    if found is None:
        return EarlyWarning(mistake, "unknown", f"Not enough quarters from {span} to see a trend.", evidence, quarter)
    ratio_metric, overhead_metric = metrics[ratio_id], metrics[overhead_id]
    moves = (f"{ratio_metric.title} {ratio_metric.format(found.ratio[0])} to {ratio_metric.format(found.ratio[1])}, "
             f"{overhead_metric.title} {overhead_metric.format(found.overhead[0])} to "
             f"{overhead_metric.format(found.overhead[1])}, {span}")
    if found.growing and found.rising:
        return EarlyWarning(mistake, "warning", f"Each product-ops person serves more PMs while overhead rises: {moves}.",
                            evidence, quarter)
    if found.growing or found.rising:
        return EarlyWarning(mistake, "watch", f"One of the two is rising: {moves}.", evidence, quarter)
    return EarlyWarning(mistake, "clear", f"Neither is rising: {moves}.", evidence, quarter)
