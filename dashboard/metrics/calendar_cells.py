"""Calendar figures that keep PMs anonymous: which PM-week cells may be shown, decided once for
every grain and scope by `dashboard.core.privacy`, the mechanism survey figures use.

A calendar figure is a mean over PM-weeks, published with its n (distinct PMs) for a period
(week, month, quarter) and a scope (the organisation, a group, a team). Read together, those
figures are sums over PM-weeks, and sums can be subtracted: a group's total less its shown
teams is its hidden team, a month's less its shown weeks its hidden week. So every cell of one
quarter is decided together (a PM-week lies in one week, the month holding that week's first
day and that quarter, so quarters never share a PM-week and are decided apart): no class of
PM-weeks that sums of shown cells can isolate stands on fewer than the calendar minimum of PMs,
and no hidden cell under the minimum can be bounded more tightly than the protection interval.
"""
from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard.core.config import Settings
from dashboard.core.periods import floor
from dashboard.core.publication import Family, cell_keys, first_publication, latest, published_cells
from dashboard.metrics.aggregate import group_at
from dashboard.metrics.registry import EVERY_SCOPE, SCOPE_MARK, Context

GRAINS = ("week", "month", "quarter")
LEVELS = ("org", "group", "team")
MEASURES = ("overhead_share", "strategy_share", "focus_hours", "meeting_hours")
"""What the PM-week metrics publish of each PM-week: one interval check each."""
FAMILY = "calendar"
RANGE_FLOORS = {"overhead_share": 1.0, "strategy_share": 1.0, "focus_hours": 40.0, "meeting_hours": 40.0,
                "with_pms_share": 1.0, "with_operations_share": 1.0, "with_group_share": 1.0}


@dataclass(frozen=True)
class Weeks:
    """Whose person-weeks a family of calendar figures stands on: the derived table that holds
    them, the ledger family that decides their cells, and the measures published of them.

    Product-ops people's weeks are a family of their own: their figures never share a cell with
    PMs', so they are decided apart, at the same minimum."""

    table: str
    family: str
    measures: tuple[str, ...]
    by_group_met: bool = False
    """Rows are person-weeks once per product group met (`prodops_group_weeks`): the group level's
    cells are the groups met, and the organisation and the teams have none."""


PM_WEEKS = Weeks("pm_weeks", FAMILY, MEASURES)
PRODUCT_OPS_WEEKS = Weeks("prodops_weeks", "prodops_calendar",
                          ("overhead_share", "focus_hours", "with_pms_share", "with_operations_share"))
PRODUCT_OPS_GROUPS = Weeks("prodops_group_weeks", "prodops_groups_met", ("with_group_share",), by_group_met=True)


def measures(weeks: pd.DataFrame) -> pd.DataFrame:
    """Each PM-week's value of every published calendar measure (NaN where it has none).

    The overhead and strategy shares are of working hours less time out of office; the shares of
    meeting time with PMs and with operations are of the week's meeting hours. A week with none
    of what a share is of has no share, and neither has one whose hours with a role are unknown.
    """
    meeting = weeks["meeting_hours"].astype(float)
    missing = pd.Series(np.nan, index=weeks.index)
    column = {name: weeks[name].astype(float) if name in weeks else missing
              for name in ("working_hours", "overhead_hours", "strategy_hours", "focus_hours", "hours_with_pms",
                           "hours_with_operations", "hours_with_group")}
    working = column["working_hours"].where(column["working_hours"] > 0)
    return pd.DataFrame({
        "overhead_share": column["overhead_hours"] / working,
        "strategy_share": column["strategy_hours"] / working,
        "focus_hours": column["focus_hours"],
        "meeting_hours": meeting,
        "with_pms_share": column["hours_with_pms"] / meeting.where(meeting > 0),
        "with_operations_share": column["hours_with_operations"] / meeting.where(meeting > 0),
        "with_group_share": column["hours_with_group"] / meeting.where(meeting > 0),
    }, index=weeks.index)


def slot(grain: str, level: str) -> str:
    return f"{grain}|{level}"


def records(tables: dict[str, pd.DataFrame], settings: Settings, whose: Weeks = PM_WEEKS) -> pd.DataFrame:
    """One record per person-week: its person, its quarter, the cell holding it in every slot, its measures."""
    weeks = tables[whose.table]
    days = pd.to_datetime(weeks["week_start"])
    record_id = weeks["person_id"].astype(str) + "|" + days.dt.date.astype(str)
    found = pd.DataFrame({"unit": weeks["person_id"].to_numpy()}, index=weeks.index)
    if whose.by_group_met:
        none = pd.Series(None, index=weeks.index, dtype=object)
        found["record_id"] = record_id + "|" + weeks["group_name"].astype(str)
        nodes = {"org": none, "team": none, "group": weeks["group_name"]}
    else:
        found["record_id"] = record_id
        nodes = {"org": pd.Series("org", index=weeks.index), "team": weeks["team_id"],
                 "group": group_at(tables, weeks["team_id"], days) if len(weeks) else weeks["team_id"]}
    for grain in GRAINS:
        period = floor(days, grain, settings.week_start).dt.date.astype(str) if len(weeks) else days.astype(str)
        for level in LEVELS:
            node = nodes[level]
            found[slot(grain, level)] = cell_keys([period, node], node.notna())
    found["part"] = floor(days, "quarter", settings.week_start).dt.date.astype(str) if len(weeks) else ""
    columns = ["record_id", "unit", *(slot(g, level) for g in GRAINS for level in LEVELS), "part"]
    return pd.concat([found[columns], measures(weeks)[list(whose.measures)]], axis=1).reset_index(drop=True)


def ranges(found: pd.DataFrame, whose: Weeks = PM_WEEKS) -> np.ndarray:
    """The highest value an attacker is assumed to know a person-week can take, per measure: what the
    data holds, at least a whole share or a 40-hour week (a tighter bound protects no less)."""
    floors = np.array([RANGE_FLOORS[name] for name in whose.measures])
    observed = found[list(whose.measures)].max().fillna(0).to_numpy(dtype=float)
    return np.maximum(floors, observed)


def family(settings: Settings, found: pd.DataFrame, whose: Weeks = PM_WEEKS) -> Family:
    """The calendar's figures: each measure decided on its own (its protection interval depends
    on its values), over every grain and level."""
    return Family(name=whose.family, slots=tuple(slot(g, level) for g in GRAINS for level in LEVELS),
                  guarded={name: (name,) for name in whose.measures}, high=dict(zip(whose.measures, ranges(found, whose))),
                  k=settings.privacy.min_calendar_group)


def published(tables: dict[str, pd.DataFrame], settings: Settings, whose: Weeks = PM_WEEKS) -> pd.DataFrame:
    """What readers see: the ledger's cell versions, or, for data no ledger has published yet
    (a store written before the ledger, or tables made by hand), what a first version would publish."""
    return published_cells(tables, whose.family, lambda: _first(tables, settings, whose))


def _first(tables: dict[str, pd.DataFrame], settings: Settings, whose: Weeks) -> pd.DataFrame:
    found = records(tables, settings, whose)
    key = (whose, settings.privacy.min_calendar_group, hashlib.sha1(
        pd.util.hash_pandas_object(found.astype(str), index=False).values.tobytes()).digest())
    if key not in _FIRST:
        _FIRST[key] = first_publication(family(settings, found, whose), found)
        if len(_FIRST) > 16:
            _FIRST.popitem(last=False)
    return _FIRST[key]


_FIRST: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
"""First publications already worked out: every grain and scope of one computation asks for the same."""


def suppress(ctx: Context, result: pd.DataFrame, name: str, whose: Weeks = PM_WEEKS) -> pd.DataFrame:
    """The series of measure `name` as published: each cell's last published value and n, and
    neither where nothing was published (a hidden cell publishes no n)."""
    cells = ctx.shared(f"{whose.family} publication", lambda: published(ctx.tables, ctx.settings, whose))
    return as_published(ctx, result, name, cells)


def levels_and_nodes(ctx: Context, result: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Each row's level (org, group, team) and its node in that level, from its `scope_id` (which
    names its level too when the context asked for every scope)."""
    if ctx.scope == EVERY_SCOPE:
        split = result["scope_id"].str.split(SCOPE_MARK, n=1, expand=True)
        return split[0], split[1]
    return pd.Series(ctx.scope, index=result.index), result["scope_id"]


def as_published(ctx: Context, result: pd.DataFrame, name: str, cells: pd.DataFrame) -> pd.DataFrame:
    """`suppress` for any family whose slots are the calendar's (grain x level): `cells` are its
    published cell versions."""
    levels, nodes = levels_and_nodes(ctx, result)
    keys = result["period_start"].astype(str) + "|" + nodes.astype(str)
    value = pd.Series(np.nan, index=result.index)
    n = pd.Series(pd.NA, index=result.index, dtype="Int64")
    for level in LEVELS:
        shown = latest(cells, name, slot(ctx.grain, level)).set_index("cell")
        mine = levels == level
        value[mine] = keys[mine].map(shown["value"]).astype(float)
        n[mine] = keys[mine].map(shown["n"]).astype("Int64")
    empty = result["n"].fillna(0).eq(0) & n.isna()
    return result.assign(value=value, n=n.mask(empty, 0))
