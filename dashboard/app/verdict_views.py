"""The Overview's verdicts and what to look at: read from the published series and the ranking."""
from __future__ import annotations

from datetime import date

import pandas as pd

from dashboard.analysis import bottlenecks, milestones
from dashboard.analysis.verdict import Verdict, last_full_quarter, verdict, year_to_date
from dashboard.app.views import annotations, group_of, per_version, ranked, scope_names, series, settings, today
from dashboard.core import periods
from dashboard.metrics import METRICS, SIGNALS, Scope

LOOK_AT = 3
"""Bottlenecks the Overview names under the verdicts."""


@per_version
def verdicts(scope: Scope, scope_id: str) -> list[Verdict]:
    """Each signal's verdict for one scope, from its lead metric's published cells; worked out once
    per published version and day, and shared by every session (read only)."""
    day, week_start = today(), settings().week_start
    first = min(year_to_date(day)[1].first, last_full_quarter(day, week_start)[1].first)
    leads = [signal.lead for signal in SIGNALS.values()]
    monthly, weekly = (_of(series(grain, scope, first, day), scope_id, leads) for grain in ("month", "week"))
    return [
        verdict(key, signal.question, METRICS[signal.lead], monthly[monthly["metric_id"] == signal.lead],
                weekly[weekly["metric_id"] == signal.lead], day, week_start)
        for key, signal in SIGNALS.items()
    ]


def look_at(quarter: date, group: str | None, team: str | None) -> pd.DataFrame:
    """The worst flagged bottlenecks of the quarter, one per signal and place, as people read them,
    each with its row id: a slipping group's on-time rate and its slip are one problem, not two."""
    rows = ranked(quarter, group, team)
    rows = bottlenecks.one_per_signal_and_place(rows[rows["flagged"]], METRICS).head(LOOK_AT)
    shown = bottlenecks.display(rows, METRICS, scope_names())
    return shown.assign(since=[bottlenecks.since_text(q, s) for q, s in zip(rows["quarters"], rows["since"])],
                        quarter=periods.quarter_label(quarter))


def impacts(scope_ids: list[str]) -> list[milestones.Impact]:
    """What the milestones on the organisation's and these scopes' charts moved, up to the last whole
    month; worked out once per published version and day, and shared by every session (read only)."""
    return _impacts(tuple(scope_ids))


@per_version
def _impacts(scope_ids: tuple[str, ...]) -> list[milestones.Impact]:
    marks = annotations(list(scope_ids))
    if marks.empty:
        return []
    day = today()
    until = periods.floor_date(day, "month")
    monthly = milestones.month_cells(marks, METRICS, until, group_of().values(),
                                     lambda level, first, _: series("month", level, first, day))
    return milestones.impacts(marks, monthly, METRICS, until)


def _of(frame: pd.DataFrame, scope_id: str, metric_ids: list[str]) -> pd.DataFrame:
    return frame[(frame["scope_id"] == scope_id) & frame["metric_id"].isin(metric_ids)]
