"""The Product ops itself page's data: the early warnings, who product ops meets, and the founding
date's before and after."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from dashboard.analysis import early_warnings, investment, milestones
from dashboard.app.views import annotations, group_of, per_version, scorecard_quarter, series, settings, today
from dashboard.charts import investment as investment_chart
from dashboard.charts.meeting_partners import meeting_partners_figure, network_figure
from dashboard.charts.trends import frozen
from dashboard.core import periods
from dashboard.metrics import METRICS, SIGNALS, Scope

FOUNDED = re.compile(r"product[ -]?op(?:eration)?s\b.*\bfounded|\bfounded\b.*product[ -]?op(?:eration)?s", re.IGNORECASE)
"""The annotation that dates the function: "Product ops team founded", "Founded product operations"."""
RATIO = "pms_per_prodops"
OVERHEAD = "pm_overhead_share"


@per_version
def warnings(scope: Scope, scope_id: str, last_quarter: date) -> list[early_warnings.EarlyWarning]:
    """Each mistake's early warning for the scope's last whole quarter."""
    quarter = scorecard_quarter(last_quarter).quarter
    first = periods.quarters_back(quarter, early_warnings.TREND_QUARTERS + 1)
    quarterly = series("quarter", scope, first, today())
    return early_warnings.evaluate(quarterly, scope_id, quarter, METRICS, settings().targets)


@per_version
def warning_history(scope: Scope, scope_id: str, first_quarter: date, last_quarter: date) -> pd.DataFrame:
    """Each mistake's state in every whole quarter of the chosen range (`early_warnings.history`)."""
    last = scorecard_quarter(last_quarter).quarter
    shown = [q for q in periods.period_starts(first_quarter, last, "quarter") if q <= last]
    quarterly = series("quarter", scope, periods.quarters_back(shown[0], early_warnings.TREND_QUARTERS + 1), today())
    return early_warnings.history(quarterly, scope_id, shown, METRICS, settings().targets)


@dataclass(frozen=True)
class Investment:
    """The organisation's staffing of product ops against PM overhead, month by month."""

    monthly: pd.DataFrame
    """`period_start`, `ratio` (PMs per product-ops person), `overhead` (PM time on process overhead)."""
    lag: investment.FoundingLag
    target: float | None


@per_version
def investment_timeline(first_quarter: date) -> Investment:
    """Monthly org figures from `first_quarter` on, and when the founding came against overhead's target."""
    every = series("month", "org", periods.quarters_back(today(), 40), today())
    frame = every[every["period_start"] >= first_quarter]
    wide = frame[frame["metric_id"].isin([RATIO, OVERHEAD])].pivot_table(
        index="period_start", columns="metric_id", values="value", aggfunc="first", dropna=False)
    wide = wide.reindex(columns=[RATIO, OVERHEAD]).rename(columns={RATIO: "ratio", OVERHEAD: "overhead"})
    target = settings().targets.get(OVERHEAD)
    mark = founding()
    founded = None if mark is None else mark["on_date"]
    overhead = every[every["metric_id"] == OVERHEAD].set_index("period_start")["value"]
    lag = investment.founding_against_target(founded, overhead, target) if target else investment.FoundingLag(founded, None)
    return Investment(wide.reset_index(), lag, target.target if target else None)


@per_version
def investment_figure(first_quarter: date) -> go.Figure:
    """The staffing ratio against overhead (`investment_timeline`), drawn once per version."""
    found = investment_timeline(first_quarter)
    return frozen(investment_chart.timeline(found.monthly, found.lag.founded, found.lag.over_target, found.target))


MEETING_PARTNERS = {"prodops_time_with_pms_share": "PMs", "prodops_time_with_operations_share": "Operations staff"}
"""The published figures behind "who product ops meets", and the role each one names."""


@per_version
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


GROUPS_MET = "prodops_time_with_group_share"


@per_version
def groups_met(last_quarter: date) -> pd.DataFrame:
    """Each product group's published share of product-ops meeting time with someone of the group in
    the last whole quarter (`group`, `value`, `n`), largest first; a hidden figure has no value."""
    quarter = scorecard_quarter(last_quarter).quarter
    frame = series("quarter", "group", quarter, today())
    rows = frame[(frame["metric_id"] == GROUPS_MET) & (frame["period_start"] == quarter)]
    rows = rows.sort_values(["value", "scope_id"], ascending=[False, True], na_position="last")
    return pd.DataFrame({"group": rows["scope_id"].to_numpy(), "value": rows["value"].to_numpy(), "n": rows["n"].to_numpy()})


@per_version
def meeting_partners_chart(last_quarter: date) -> go.Figure:
    """Bars of the shares of product-ops meeting time with each role (`meeting_partners`), drawn once per version."""
    return frozen(meeting_partners_figure(meeting_partners(last_quarter)))


@per_version
def groups_met_chart(last_quarter: date) -> go.Figure:
    """The network of product ops, operations staff and every product group (`meeting_partners`,
    `groups_met`), drawn once per version."""
    roles, groups = meeting_partners(last_quarter), groups_met(last_quarter)
    operations = roles[roles["role"] == "Operations staff"]
    partners = pd.concat([
        pd.DataFrame({"partner": operations["role"], "kind": "role", "value": operations["value"], "n": operations["n"]}),
        pd.DataFrame({"partner": groups["group"], "kind": "group", "value": groups["value"], "n": groups["n"]}),
    ], ignore_index=True)
    return frozen(network_figure(partners))


def founding() -> pd.Series | None:
    """The organisation-wide annotation that says product ops was founded, the earliest if several."""
    marks = annotations()
    if marks.empty:
        return None
    found = marks[(marks["scope"] == "org") & marks["label"].str.contains(FOUNDED)]
    return None if found.empty else found.sort_values("on_date").iloc[0]


@per_version
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
