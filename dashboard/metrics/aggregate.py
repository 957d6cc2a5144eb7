"""Shared machinery that turns dated observations into a metric series for any grain and scope."""
from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from dashboard.core.periods import floor, local_dates
from dashboard.metrics.registry import EVERY_SCOPE, SCOPES, Context, scoped_id

How = Literal["mean", "median", "sum", "count"]


def org_dates(ctx: Context, utc: pd.Series) -> pd.Series:
    """Naive-UTC timestamps as dates on the organisation's wall clock."""
    if utc.empty:
        return pd.Series([], dtype="datetime64[us]", index=utc.index)
    return local_dates(utc, ctx.settings.org_timezone)


def group_at(tables: dict[str, pd.DataFrame], team_ids: pd.Series, dates: pd.Series | None = None) -> pd.Series:
    """The group each team was in on each date: from the roster's `team_groups` history where it
    covers the date (valid_to exclusive), else the team's current group."""
    current = team_ids.map(tables["teams"].set_index("team_id")["group_name"])
    history = tables.get("team_groups")
    if dates is None or history is None or history.empty or team_ids.empty:
        return current
    asked = pd.DataFrame({"team_id": team_ids.values, "date": pd.to_datetime(dates).values, "row": np.arange(len(team_ids))})
    spans = history[["team_id", "group_name", "valid_from", "valid_to"]].copy()
    spans["valid_from"] = pd.to_datetime(spans["valid_from"])
    spans["valid_to"] = pd.to_datetime(spans["valid_to"]).fillna(pd.Timestamp("2999-12-31"))
    joined = asked.merge(spans, on="team_id")
    held = joined[(joined["date"] >= joined["valid_from"]) & (joined["date"] < joined["valid_to"])]
    found = held.drop_duplicates("row", keep="last").set_index("row")["group_name"].reindex(np.arange(len(team_ids)))
    return pd.Series(found.values, index=team_ids.index).fillna(current)


def with_scope(ctx: Context, frame: pd.DataFrame, date_column: str = "date") -> pd.DataFrame:
    """Add `scope_id` from `team_id`; rows that cannot be placed in the scope are left out.

    A group is the one the team was in on the row's date (`date_column`), so a team that moved
    group counts for its old group in the periods before the move.
    """
    if ctx.scope != EVERY_SCOPE:
        return _on_scope(ctx.tables, frame, ctx.scope, date_column)
    parts = []
    for scope in SCOPES:
        placed = _on_scope(ctx.tables, frame, scope, date_column)
        parts.append(placed.assign(scope_id=scoped_id(scope, placed["scope_id"].astype(str))))
    return pd.concat(parts)


def _on_scope(tables: dict[str, pd.DataFrame], frame: pd.DataFrame, scope: str, date_column: str) -> pd.DataFrame:
    frame = frame.copy()
    if scope == "org":
        frame["scope_id"] = "org"
        return frame
    if scope == "team":
        frame["scope_id"] = frame["team_id"]
    else:
        dates = frame.get(date_column, None)
        frame["scope_id"] = group_at(tables, frame["team_id"], dates)
    return frame.dropna(subset=["scope_id"])


def in_periods(ctx: Context, frame: pd.DataFrame, date_column: str = "date") -> pd.DataFrame:
    """Add `period_start` and keep rows whose period is one the caller asked for."""
    frame = frame.copy()
    frame["period_start"] = floor(frame[date_column], ctx.grain, ctx.settings.week_start).dt.date
    return frame[frame["period_start"].isin(set(ctx.periods))]


def near_periods(ctx: Context, frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """The rows whose `column` (naive UTC or a date) can fall in a period the caller asked for.

    A cut made before any per-row work, so a metric asked for one period does not place and join
    every row of its history; a day's margin each side covers the organisation's clock, and
    `summarise` still makes the exact cut on the local date.
    """
    if not ctx.periods or frame.empty:
        return frame
    first = pd.Timestamp(ctx.periods[0]) - pd.Timedelta(days=1)
    end = pd.Timestamp(ctx.covered(ctx.periods[-1])[1]) + pd.Timedelta(days=1)
    when = pd.to_datetime(frame[column])
    return frame[((when >= first) & (when < end)).to_numpy()]


def grid(ctx: Context) -> pd.DataFrame:
    """Every (period, scope id) the caller asked for, so empty periods show as gaps, not as absence."""
    def build() -> pd.DataFrame:
        index = pd.MultiIndex.from_product([ctx.periods, ctx.scope_ids()], names=["period_start", "scope_id"])
        return index.to_frame(index=False)

    return ctx.shared("grid", build).copy()


def summarise(
    ctx: Context,
    observations: pd.DataFrame,
    how: How,
    unit: str | None = None,
    empty_value: float = np.nan,
) -> pd.DataFrame:
    """Aggregate observations (`date`, `team_id`, `value`, optional unit column) per period and scope.

    `n` counts distinct values of `unit` (people, respondents) or else observations. Figures
    about people pass the privacy rules afterwards (`dashboard.metrics.calendar_cells`).
    """
    if observations.empty:
        return aggregate(ctx, observations, how, unit, empty_value)
    return aggregate(ctx, place(ctx, observations), how, unit, empty_value)


def place(ctx: Context, observations: pd.DataFrame) -> pd.DataFrame:
    """The observations in the asked periods, each with its `period_start` and `scope_id`."""
    return with_scope(ctx, in_periods(ctx, observations))  # cut to the periods first: placing rows costs more


def aggregate(
    ctx: Context,
    frame: pd.DataFrame,
    how: How,
    unit: str | None = None,
    empty_value: float = np.nan,
) -> pd.DataFrame:
    """`summarise` of observations already placed (`place`): metrics that share the placing of the
    same rows with different values place them once."""
    if frame.empty:  # every cell empty: what the steps below give, without their cost per call
        return grid(ctx).assign(value=empty_value, n=0)
    grouped = frame.groupby(["period_start", "scope_id"])
    values = grouped.size().rename("value").astype(float) if how == "count" else grouped["value"].agg(how).rename("value")
    counts = (grouped[unit].nunique() if unit else grouped.size()).rename("n")
    result = grid(ctx).merge(pd.concat([values, counts], axis=1).reset_index(), how="left")
    result["n"] = result["n"].fillna(0).astype(int)
    result.loc[result["n"] == 0, "value"] = empty_value
    return result
