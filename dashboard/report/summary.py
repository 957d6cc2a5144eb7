"""The pack's opening pages: the quarter's story told from its data, before the detail.

Read off what the rest of the pack shows. The first page: each signal's verdict (the quarter
against the same quarter a year before, month by month, by the Overview's rule in
`dashboard.analysis.verdict`) and what the year's milestones moved (`dashboard.analysis.milestones`).
The second: the chronic bottlenecks (flagged for `CHRONIC_QUARTERS` quarters or more, with how
long) and the biggest changes that rest on enough n (the top movers).
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from dashboard.analysis import bottlenecks, compare, milestones, verdict
from dashboard.analysis.scorecard import format_delta
from dashboard.core import periods
from dashboard.core.notes import annotation_metrics
from dashboard.core.periods import quarter_label
from dashboard.metrics import METRICS, SIGNALS, Scope
from dashboard.report.model import Inputs, Section, Table

MOVERS = 5
CHRONIC_QUARTERS = 2
SHOWN = 3
MILESTONE_QUARTERS = 4
"""The pack weighs the milestones of the year up to the reviewed quarter's end."""
OUTCOME_TONE = {verdict.IMPROVED: "better", verdict.WORSENED: "worse"}


def sections(inputs: Inputs, quarter: date, scope: Scope, scope_id: str, note) -> list[Section]:
    """The summary's two pages; `note(section_id, default)` gives each its stored note."""
    name = inputs.names.get(scope_id, scope_id)
    return [
        Section("summary", "Executive summary",
                f"{name}, {quarter_label(quarter)}: each signal against a year before, and what the milestones moved",
                tables=[_verdicts(inputs, quarter, scope_id), _milestones(inputs, quarter, scope_id)],
                note=note("summary", ""),
                footnotes=[verdict.RULE.replace("whole periods", "whole months"), milestones.RULE]),
        Section("where", "Executive summary: where to look",
                f"{name}, {quarter_label(quarter)}: what is stuck, and what moved most",
                tables=[_chronic(inputs, quarter, scope, scope_id), _changes(inputs, quarter, scope, scope_id)],
                note=note("where", ""),
                footnotes=[f"Chronic: at least {bottlenecks.FLAG} spreads worse than its peers for {CHRONIC_QUARTERS} "
                           "quarters or more in a row (the Bottlenecks page ranks them all)."]),
    ]


def milestone_marks(annotations: pd.DataFrame, quarter: date, scope_id: str) -> pd.DataFrame:
    """The milestones the pack weighs: the organisation's and the scope's that name metrics, dated
    in the `MILESTONE_QUARTERS` quarters up to the reviewed quarter's end."""
    if annotations.empty or "metrics" not in annotations:
        return annotations.iloc[0:0]
    day = pd.to_datetime(annotations["on_date"])
    named = annotations["metrics"].map(lambda cell: bool(annotation_metrics(cell)))
    inside = (day >= pd.Timestamp(periods.quarters_back(quarter, MILESTONE_QUARTERS))) & (
        day < pd.Timestamp(periods.next_start(quarter, "quarter")))
    return annotations[annotations["scope"].isin({"org", scope_id}) & named & inside]


def milestone_months(annotations: pd.DataFrame, quarter: date, scope_id: str, group_names,
                     read: milestones.MonthReader) -> pd.DataFrame:
    """The month cells the pack's milestone impacts read (`Inputs.milestone_months`), through `read`."""
    return milestones.month_cells(milestone_marks(annotations, quarter, scope_id), METRICS, _until(quarter), group_names,
                                  read)


def movers(inputs: Inputs, quarter: date, scope: Scope, scope_id: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Movers among the teams and groups the scope covers: all of them, one group and its teams, or one team."""
    peers = inputs.quarterly[inputs.quarterly["scope"].isin(["group", "team"])]
    return compare.movers(peers, METRICS, quarter, periods.quarters_back(quarter, 2), _cells(inputs, scope, scope_id),
                          MOVERS)


def _cells(inputs: Inputs, scope: Scope, scope_id: str) -> set[str] | None:
    if scope == "org":
        return None
    if scope == "group":
        return {scope_id, *(team for team, group in inputs.group_of.items() if group == scope_id)}
    return {scope_id}


def _verdicts(inputs: Inputs, quarter: date, scope_id: str) -> Table:
    monthly = inputs.lead_months
    rows, tones = [], []
    for key, signal in SIGNALS.items():
        metric = METRICS[signal.lead]
        cells = monthly[(monthly["metric_id"] == metric.id) & (monthly["scope_id"] == scope_id)]
        found = verdict.compare(metric, cells, *verdict.quarter_by_months(quarter))
        rows.append([key if key.startswith("S") else "Check-ins", found.outcome.capitalize(), found.reason()])
        tones.append(OUTCOME_TONE.get(found.outcome))
    return Table(f"Each signal, {quarter_label(quarter)} against a year before", ["Signal", "Verdict", "Why"], rows,
                 tones=tones, widths=[0.1, 0.14, 0.76])


def _milestones(inputs: Inputs, quarter: date, scope_id: str) -> Table:
    marks = milestone_marks(inputs.annotations, quarter, scope_id)
    found = milestones.impacts(marks, inputs.milestone_months, METRICS, _until(quarter))
    rows = [[f"{impact.label} ({impact.on_date:%d %b %Y})", impact.metric.title, _before_after(impact),
             impact.outcome.capitalize(), impact.reason()] for impact in found]
    return Table(f"What the milestones of the year to {quarter_label(quarter)} moved",
                 ["Milestone", "Metric", "Before, after", "Verdict", "Why"], rows,
                 tones=[OUTCOME_TONE.get(impact.outcome) for impact in found], widths=[0.18, 0.16, 0.1, 0.09, 0.47],
                 empty="No milestone of the year names the metrics it was meant to move (annotations on the Overview).")


def _before_after(impact: milestones.Impact) -> str:
    found = impact.comparison
    if found.outcome == verdict.UNKNOWN:
        return "–"
    return f"{impact.metric.format(found.mean_before)} to {impact.metric.format(found.mean_after)}"


def _until(quarter: date) -> date:
    return periods.next_start(quarter, "quarter")


def _chronic(inputs: Inputs, quarter: date, scope: Scope, scope_id: str) -> Table:
    ranked = bottlenecks.rank(inputs.quarterly, METRICS, quarter, inputs.group_of, inputs.names)
    cells = _cells(inputs, scope, scope_id)
    chronic = ranked[ranked["flagged"] & (ranked["quarters"] >= CHRONIC_QUARTERS)
                     & (ranked["scope_id"].isin(cells) if cells is not None else True)]
    chronic = bottlenecks.one_per_signal_and_place(chronic, METRICS).head(SHOWN)
    reviewed = inputs.quarterly["period_start"].nunique()
    rows = [
        [METRICS[row.metric_id].title, inputs.names.get(row.scope_id, row.scope_id) + (" (group)" if row.scope == "group" else ""),
         METRICS[row.metric_id].format(row.value), METRICS[row.metric_id].format(row.centre),
         f"since {quarter_label(row.since)} ({int(row.quarters)} quarters{' or more' if row.quarters >= reviewed else ''})"]
        for row in chronic.itertuples()
    ]
    return Table("Chronic bottlenecks", ["Metric", "Where", "Value", "Median", "How long"], rows, tones=["worse"] * len(rows),
                 widths=[0.3, 0.2, 0.12, 0.12, 0.26], toned=2,
                 empty=f"No team or group has been among the worst for {CHRONIC_QUARTERS} quarters or more.")


def _changes(inputs: Inputs, quarter: date, scope: Scope, scope_id: str) -> Table:
    improved, _, worsened = movers(inputs, quarter, scope, scope_id)
    rows, tones = [], []
    for frame, tone in ((improved.head(2), "better"), (worsened.head(2), "worse")):
        for row in frame.itertuples():
            metric = METRICS[row.metric_id]
            where = inputs.names.get(row.scope_id, row.scope_id) + (" (group)" if row.scope == "group" else "")
            rows.append([metric.title, where, f"{metric.format(row.previous)} to {metric.format(row.value)}",
                         format_delta(metric, row.change) or "–", f"{int(row.n)}"])
            tones.append(tone)
    return Table(f"Biggest changes since {quarter_label(periods.quarters_back(quarter, 2))}",
                 ["Metric", "Where", "From, to", "Change", "n"], rows, tones=tones, widths=[0.32, 0.2, 0.2, 0.16, 0.12])
