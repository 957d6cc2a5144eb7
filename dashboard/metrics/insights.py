"""S2: do insights reach teams without custom requests?"""
from __future__ import annotations

import pandas as pd

from dashboard.core.periods import MONTHS_IN, next_start
from dashboard.core.teams import team_at
from dashboard.metrics.aggregate import near_periods, org_dates, summarise
from dashboard.metrics.headcount import headcount
from dashboard.metrics.registry import CLOCK, SURVEY, Context, metric
from dashboard.metrics.surveys import survey_series


def _requests(ctx: Context) -> pd.DataFrame:
    items = ctx.tables["work_items"]
    return items[items["kind"] == "data_request"]


def pm_headcount(ctx: Context) -> pd.DataFrame:
    """Average PM headcount per period and scope (`dashboard.metrics.headcount`)."""
    return headcount(ctx, "pm").drop(columns="people")


@metric(
    id="data_requests_per_pm", title="Ad-hoc data requests per PM per month", signal="S2",
    unit="per_pm_month", better="lower",
    definition="Data and insight requests created in the period, divided by the average number of PMs "
    "in scope and by the months of the period so far (a running "
    "quarter counts only its elapsed days). A request counts for its reporter's team on the day it was created.",
    sources=("jira",), n_label="requests", needs=("work_items", CLOCK),
)
def data_requests_per_pm(ctx: Context) -> pd.DataFrame:
    requests = near_periods(ctx, _requests(ctx), "created")
    created = org_dates(ctx, requests["created"])
    observations = pd.DataFrame(
        {"date": created, "team_id": team_at(ctx.tables["memberships"], requests["reporter_id"], created), "value": 1.0}
    )
    counts = summarise(ctx, observations, "count", empty_value=0.0)
    result = counts.merge(pm_headcount(ctx), on=["period_start", "scope_id"], how="left")
    headcount = result["headcount"].where(result["headcount"] > 0)
    result["value"] = result["value"] / headcount / result["period_start"].map(lambda start: months_counted(ctx, start))
    return result.drop(columns="headcount")


def months_counted(ctx: Context, start) -> float:
    """How many months of the period have happened: a quarter seven weeks in is not three months."""
    first, end = ctx.covered(start)
    whole = (next_start(start, ctx.grain) - start).days
    return MONTHS_IN[ctx.grain] * (end - first).days / whole


@metric(
    id="data_request_days_to_fulfil", title="Days to fulfil a data request", signal="S2", unit="days",
    better="lower",
    definition="Median days from creation to resolution of the data and insight requests resolved "
    "in the period.",
    sources=("jira",), n_label="requests", needs=("work_items",),
)
def data_request_days_to_fulfil(ctx: Context) -> pd.DataFrame:
    requests = near_periods(ctx, _requests(ctx).dropna(subset=["resolved"]), "resolved")
    resolved = org_dates(ctx, requests["resolved"])
    observations = pd.DataFrame({
        "date": resolved,
        "team_id": team_at(ctx.tables["memberships"], requests["reporter_id"], resolved),
        "value": (pd.to_datetime(requests["resolved"]) - pd.to_datetime(requests["created"])) / pd.Timedelta(days=1),
    })
    return summarise(ctx, observations, "median")


@metric(
    id="insights_self_serve_score", title="Insights without asking (survey)", signal="S2", unit="score",
    better="higher",
    definition="Mean 0-100 score of the survey's insights-without-asking questions (\"I get the insights "
    "I need without having to ask\"); a 1-5 answer v scores (v-1)/4*100. A wave counts in the period holding "
    "its median response day.",
    sources=("survey",), n_label="respondents", needs=SURVEY,
)
def insights_self_serve_score(ctx: Context) -> pd.DataFrame:
    return survey_series(ctx, "insights_self_serve")
