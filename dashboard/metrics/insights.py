"""S2: do insights reach teams without custom requests?"""
from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.core.periods import MONTHS_IN, next_start
from dashboard.core.teams import team_at
from dashboard.metrics.aggregate import grid, near_periods, org_dates, summarise, with_scope
from dashboard.metrics.registry import CLOCK, SURVEY, Context, metric
from dashboard.metrics.surveys import survey_series


def _requests(ctx: Context) -> pd.DataFrame:
    items = ctx.tables["work_items"]
    return items[items["kind"] == "data_request"]


def pm_headcount(ctx: Context) -> pd.DataFrame:
    """Average PM headcount per period and scope, sampled every seven days from the period's first day
    up to its end or the last day asked for."""
    memberships = ctx.tables["memberships"]
    pms = memberships[memberships["role"] == "pm"]
    pms = pd.DataFrame({"team_id": pms["team_id"], "valid_from": pd.to_datetime(pms["valid_from"]),
                        "valid_to": pd.to_datetime(pms["valid_to"])})
    days = pd.DataFrame(
        [(start, day) for start in ctx.periods
         for day in pd.date_range(ctx.covered(start)[0], pd.Timestamp(ctx.covered(start)[1]) - pd.Timedelta(days=1), freq="7D")],
        columns=["period_start", "day"],
    )
    pairs = days.merge(pms, how="cross")
    held = pairs[(pairs["valid_from"] <= pairs["day"]) & ~(pairs["valid_to"] <= pairs["day"])]
    if held.empty:
        return grid(ctx).assign(headcount=np.nan)
    sampled = with_scope(ctx, held[["period_start", "day", "team_id"]].reset_index(drop=True), date_column="day")
    per_day = sampled.groupby(["period_start", "scope_id", "day"]).size().rename("people").reset_index()
    days_per_period = sampled.groupby("period_start")["day"].nunique().rename("days")
    total = per_day.groupby(["period_start", "scope_id"])["people"].sum().reset_index()
    total = total.merge(days_per_period, left_on="period_start", right_index=True)
    total["headcount"] = total["people"] / total["days"]
    return grid(ctx).merge(total[["period_start", "scope_id", "headcount"]], how="left")


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
