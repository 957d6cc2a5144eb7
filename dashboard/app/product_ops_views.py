"""The Product ops itself page's data: the early warnings, who product ops meets, and the founding
date's before and after."""
from __future__ import annotations

import re
from datetime import date

import pandas as pd

from dashboard.analysis import early_warnings, milestones
from dashboard.app.views import annotations, group_of, scorecard_quarter, series, settings, today
from dashboard.core import periods
from dashboard.metrics import METRICS, SIGNALS, Scope

FOUNDED = re.compile(r"product[ -]?op(eration)?s\b.*\bfounded|\bfounded\b.*product[ -]?op(eration)?s", re.IGNORECASE)
"""The annotation that dates the function: "Product ops team founded", "Founded product operations"."""


def warnings(scope: Scope, scope_id: str, last_quarter: date) -> list[early_warnings.EarlyWarning]:
    """Each mistake's early warning for the scope's last whole quarter."""
    quarter = scorecard_quarter(last_quarter).quarter
    first = periods.quarters_back(quarter, early_warnings.TREND_QUARTERS + 1)
    quarterly = series("quarter", scope, first, today())
    return early_warnings.evaluate(quarterly, scope_id, quarter, METRICS, settings().targets)


MEETING_PARTNERS = {"prodops_time_with_pms_share": "PMs", "prodops_time_with_operations_share": "Operations staff"}
"""The published figures behind "who product ops meets", and the role each one names."""


def meeting_partners(last_quarter: date) -> pd.DataFrame:
    """The organisation's share of product-ops meeting time with each role in the last whole quarter
    (`role`, `value`, `n`), as published: a figure the privacy rules hide has no value."""
    quarter = scorecard_quarter(last_quarter).quarter
    frame = series("quarter", "org", quarter, today())
    rows = frame[frame["metric_id"].isin(MEETING_PARTNERS) & (frame["period_start"] == quarter)]
    order = {metric_id: n for n, metric_id in enumerate(MEETING_PARTNERS)}
    rows = rows.sort_values("metric_id", key=lambda ids: ids.map(order))
    return pd.DataFrame({"role": rows["metric_id"].map(MEETING_PARTNERS).to_numpy(), "value": rows["value"].to_numpy(),
                         "n": rows["n"].to_numpy()})


def founding() -> pd.Series | None:
    """The organisation-wide annotation that says product ops was founded, the earliest if several."""
    marks = annotations()
    if marks.empty:
        return None
    found = marks[(marks["scope"] == "org") & marks["label"].str.contains(FOUNDED)]
    return None if found.empty else found.sort_values("on_date").iloc[0]


def founding_impacts() -> list[milestones.Impact]:
    """The four signs' lead metrics, the months before the founding against the months after it."""
    mark = founding()
    if mark is None:
        return []
    leads = ",".join(signal.lead for signal in SIGNALS.values())
    marks = pd.DataFrame([{"on_date": mark["on_date"], "scope": "org", "label": mark["label"], "metrics": leads}])
    until = periods.floor_date(today(), "month")
    monthly = milestones.month_cells(marks, METRICS, until, group_of().values(),
                                     lambda level, first, _: series("month", level, first, today()))
    return milestones.impacts(marks, monthly, METRICS, until)
