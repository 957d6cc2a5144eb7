"""Shares of a few people's actions, published so that no one of them can be picked out.

Some early warnings about product operations count what a handful of people did: of the decision
edits on product work, the share product-ops people made; of the work items product-ops people
closed, the share that built systems. Each is a share of *events* (an edit, a closed item) made
by people of a few roles, and each role is decided on its own: a cell is shown only when every role
in it has none or at least the calendar minimum of people behind it, so the share says nothing
about one or two people that the cell's others would not hide.

A metric declares a `Share` and returns `share(ctx, its_share)`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard.metrics.aggregate import grid, near_periods, org_dates, place
from dashboard.metrics.registry import Context

EVENT_COLUMNS = ["person_id", "role", "at", "team_id", "counted"]


@dataclass(frozen=True)
class Share:
    """One share metric's events and the roles whose people it counts."""

    name: str
    roles: tuple[str, ...]
    events: Callable[[dict[str, pd.DataFrame]], pd.DataFrame]
    """`EVENT_COLUMNS` from the store's tables: who (with their `role` on the day), when (naive
    UTC `at`), for which team (None: the organisation only), and whether it is in the numerator."""


def share(ctx: Context, of: Share) -> pd.DataFrame:
    """`period_start, scope_id, value, n` for the context's periods and scopes: the share of the
    events that are counted, with n the events behind it (hidden cells have neither)."""
    events = near_periods(ctx, of.events(ctx.tables), "at")
    events = events[events["role"].isin(of.roles)]
    result = grid(ctx)
    if events.empty:
        return result.assign(value=np.nan, n=0)
    observations = pd.DataFrame({
        "date": org_dates(ctx, events["at"]), "team_id": events["team_id"], "person_id": events["person_id"],
        "role": events["role"], "value": events["counted"].astype(float),
    }, index=events.index)
    placed = place(ctx, observations)
    if placed.empty:
        return result.assign(value=np.nan, n=0)
    grouped = placed.groupby(["period_start", "scope_id"])
    cells = pd.concat([grouped["value"].mean(), grouped.size().rename("n")], axis=1)
    cells["shown"] = shown(placed, of.roles, ctx.settings.privacy.min_calendar_group)
    result = result.merge(cells.reset_index(), on=["period_start", "scope_id"], how="left")
    hidden = result["shown"].eq(False)
    result["n"] = result["n"].astype("Int64").fillna(0).mask(hidden, pd.NA)
    result["value"] = result["value"].where(~hidden)
    return result.drop(columns="shown")


def shown(placed: pd.DataFrame, roles: tuple[str, ...], k: int) -> pd.Series:
    """Whether a cell may be published, per (period_start, scope_id): it stands on at least `k`
    people, and each role in it on none or at least `k`."""
    per_role = placed.drop_duplicates(["period_start", "scope_id", "role", "person_id"]) \
        .groupby(["period_start", "scope_id", "role"]).size().unstack("role", fill_value=0) \
        .reindex(columns=list(roles), fill_value=0)
    total = per_role.sum(axis=1)
    each = ((per_role == 0) | (per_role >= k)).all(axis=1)
    return (total >= k) & each
