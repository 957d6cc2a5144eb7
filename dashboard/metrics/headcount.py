"""How many people of a role a scope had in a period: the base of every per-person rate."""
from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.metrics.aggregate import grid, with_scope
from dashboard.metrics.registry import Context


def headcount(ctx: Context, role: str) -> pd.DataFrame:
    """Average headcount of `role` per period and scope (`headcount`), and how many distinct people
    held the role on a sampled day (`people`): sampled every seven days from the period's first day
    up to its end or the last day asked for, from the roster's membership history.

    A membership without a team (operations, product ops) counts for the organisation only.
    """
    memberships = ctx.tables["memberships"]
    held = memberships[memberships["role"] == role]
    held = pd.DataFrame({"person_id": held["person_id"], "team_id": held["team_id"],
                         "valid_from": pd.to_datetime(held["valid_from"]), "valid_to": pd.to_datetime(held["valid_to"])})
    days = pd.DataFrame(
        [(start, day) for start in ctx.periods
         for day in pd.date_range(ctx.covered(start)[0], pd.Timestamp(ctx.covered(start)[1]) - pd.Timedelta(days=1), freq="7D")],
        columns=["period_start", "day"],
    )
    pairs = days.merge(held, how="cross")
    held = pairs[(pairs["valid_from"] <= pairs["day"]) & ~(pairs["valid_to"] <= pairs["day"])]
    sampled = with_scope(ctx, held[["period_start", "day", "team_id", "person_id"]].reset_index(drop=True), date_column="day")
    if sampled.empty:
        return grid(ctx).assign(headcount=np.nan, people=0)
    cells = ["period_start", "scope_id"]
    days_per_period = sampled.groupby("period_start")["day"].nunique().rename("days")
    total = sampled.groupby(cells).agg(person_days=("day", "size"), people=("person_id", "nunique")).reset_index()
    total = total.merge(days_per_period, left_on="period_start", right_index=True)
    total["headcount"] = total["person_days"] / total["days"]
    result = grid(ctx).merge(total[["period_start", "scope_id", "headcount", "people"]], how="left")
    return result.assign(people=result["people"].fillna(0).astype(int))
