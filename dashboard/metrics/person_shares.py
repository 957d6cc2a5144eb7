"""Shares of a few people's actions, published through the ledger so that no one can be picked out.

Some early warnings about product operations count what a handful of people did: of the decision
edits on product work, the share product-ops people made; of the work items product-ops people
closed, the share that built systems. Each is a share of *events* (an edit, a closed item) made by
people of a few roles.

Readers know each person's role, so a share over PMs and product ops tells the product-ops
people's own count whenever the PMs' part is known to be none of it. Each role is therefore a
privacy family of its own (`dashboard.core.publication`), decided like the calendar's: a cell
of a role is shown only when no one can work out less than the calendar minimum of its people,
by that version or by subtracting across scopes and versions. A share is shown only where every
role with people in the cell is shown.

A record is the events one person made for one team in the part of a week that lies in one month:
the finest piece every week, month and quarter is a sum of, so a figure of one grain cannot be
subtracted from another's to isolate a record the ledger did not see. A record therefore lies in
a cell of every grain, and the ledger publishes each cell's total (a person may have several
records in a cell, so a mean would not give it back).

A metric declares a `Share` and returns `share(ctx, its_share)`; `families` gives the derive step
every declared share's families with their records, to advance the ledger after each write.
"""
from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from dashboard.core.config import Settings
from dashboard.core.periods import floor, local_dates
from dashboard.core.publication import Family, cell_keys, first_publication, latest, published_cells
from dashboard.metrics.aggregate import grid, group_at
from dashboard.metrics.calendar_cells import GRAINS, LEVELS, levels_and_nodes, slot
from dashboard.metrics.registry import Context

EVENT_COLUMNS = ["person_id", "role", "at", "team_id", "counted"]
EVENTS = "events"
COUNTED = "counted"
_SLOTS = tuple(slot(grain, level) for grain in GRAINS for level in LEVELS)

SHARES: dict[str, Share] = {}
"""Every declared share by name, in declaration order: the derive step advances each one's families."""


@dataclass(frozen=True)
class Share:
    """One share metric's events and the roles whose people it counts."""

    name: str
    roles: tuple[str, ...]
    events: Callable[[dict[str, pd.DataFrame]], pd.DataFrame]
    """`EVENT_COLUMNS` from the store's tables: who (with their `role` on the day), when (naive
    UTC `at`), for which team (None: the organisation only), and whether it is in the numerator."""
    counts: tuple[str, ...] = ()
    """The roles every event of which counts, and no other's does (the share is theirs of all the
    roles' events): readers know each role's part, so only the events are published. Empty: whether
    an event counts varies, and how many did is published beside the events."""
    tables: tuple[str, ...] = ()
    """The store tables `events` reads (as `dashboard.metrics.load_tables` gives them): a write to
    any of them advances the share's families."""

    def __post_init__(self) -> None:
        SHARES[self.name] = self

    def family_name(self, role: str) -> str:
        return f"{self.name}:{role}"

    @property
    def measures(self) -> tuple[str, ...]:
        return (EVENTS,) if self.counts else (EVENTS, COUNTED)


def records(events: pd.DataFrame, settings: Settings, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One record per person, team, week and month (`record_id, unit, part`, a column per slot, the
    two measures, and the person's `role`), from events of any roles."""
    columns = ["record_id", "unit", "part", *_SLOTS, EVENTS, COUNTED, "role"]
    if events.empty:
        return pd.DataFrame(columns=columns)
    days = local_dates(events["at"], settings.org_timezone)
    teams = events["team_id"].astype(object).where(events["team_id"].notna(), None)
    periods = {grain: floor(days, grain, settings.week_start).dt.date.astype(str).to_numpy() for grain in GRAINS}
    frame = pd.DataFrame({"unit": events["person_id"].astype(str).to_numpy(), "role": events["role"].to_numpy(),
                          "team": teams.to_numpy(dtype=object),
                          "group": group_at(tables, teams, days).to_numpy(dtype=object),
                          COUNTED: events["counted"].astype(float).to_numpy(), **periods})
    keys = ["unit", *GRAINS, "team", "group"]
    found = frame.groupby(keys, dropna=False, sort=True).agg(
        **{EVENTS: (COUNTED, "size"), COUNTED: (COUNTED, "sum"), "role": ("role", "last")}).reset_index()
    found["record_id"] = _joined(found, ["unit", "week", "month", "team", "group"])
    found["part"] = found["quarter"]
    nodes = {"org": pd.Series("org", index=found.index), "group": found["group"], "team": found["team"]}
    for grain in GRAINS:
        for level in LEVELS:
            found[slot(grain, level)] = cell_keys([found[grain], nodes[level]], nodes[level].notna())
    return found[columns]


def _joined(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """The columns' values joined by "|", a missing one as nothing."""
    parts = [frame[c].astype(object).where(frame[c].notna(), "").astype(str) for c in columns]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + "|" + part
    return joined


def family(settings: Settings, of: Share, role: str, found: pd.DataFrame) -> Family:
    """The figures of one role's people: events and counted events, each decided on its own. The
    highest value a record is assumed to take is what the data holds, at least `EVENTS_FLOOR`."""
    mine = found[found["role"] == role]
    high = {m: max(EVENTS_FLOOR, float(mine[m].max())) if len(mine) else EVENTS_FLOOR for m in of.measures}
    return Family(name=of.family_name(role), slots=_SLOTS, guarded={m: (m,) for m in of.measures},
                  high=high, k=settings.privacy.min_calendar_group, weight=_weight, totals=True)


EVENTS_FLOOR = 10.0
"""The events an attacker is assumed to know one record can hold, unless the data holds more.
A bound at what the data holds would let a period where everyone made one edit tell each of them."""

LEVEL_WEIGHTS = {"org": 4.0, "group": 2.0, "team": 1.0}
"""What hiding a cell of each level costs when a small one must be protected: with a handful of
people spread over teams, the organisation's figure (what a VP reads first) goes last."""


def _weight(cell: tuple[str, str]) -> float:
    return LEVEL_WEIGHTS[cell[0].rsplit("|", 1)[-1]]


def families(tables: dict[str, pd.DataFrame], settings: Settings, of: Share) -> list[tuple[Family, pd.DataFrame]]:
    """Each role's family of `of` with its records, as the ledger advances them after a write."""
    found = records(_events(tables, of), settings, tables)
    return [(family(settings, of, role, found), _kept(of, found[found["role"] == role])) for role in of.roles]


def _kept(of: Share, mine: pd.DataFrame) -> pd.DataFrame:
    """One role's records as the ledger keeps them: without the role, and with the measures it publishes."""
    return mine.drop(columns=["role", *(m for m in (EVENTS, COUNTED) if m not in of.measures)])


def _events(tables: dict[str, pd.DataFrame], of: Share) -> pd.DataFrame:
    events = of.events(tables)
    return events[events["role"].isin(of.roles)]


def share(ctx: Context, of: Share) -> pd.DataFrame:
    """`period_start, scope_id, value, n` for the context's periods and scopes: the share of the
    events that count, n the events behind it; a hidden cell has neither, an empty one n = 0."""
    found = ctx.shared(f"{of.name} records", lambda: records(_events(ctx.tables, of), ctx.settings, ctx.tables))
    result = grid(ctx)
    levels, nodes = levels_and_nodes(ctx, result)
    keys = (result["period_start"].astype(str) + "|" + nodes.astype(str)).astype(object)
    events = pd.Series(0.0, index=result.index)
    counted = pd.Series(0.0, index=result.index)
    hidden = pd.Series(False, index=result.index)
    for role in of.roles:
        mine = found[found["role"] == role]
        cells = ctx.shared(f"{of.family_name(role)} publication", lambda mine=mine, role=role: published_cells(
            ctx.tables, of.family_name(role), lambda: _first(ctx.settings, of, role, mine)))
        for level in LEVELS:
            at = levels == level
            present = keys[at].isin(set(mine[slot(ctx.grain, level)].dropna()))
            totals = {m: _totals(cells, m, slot(ctx.grain, level)) for m in of.measures}
            shown_events = keys[at].map(totals[EVENTS]).astype(float)
            shown_counted = keys[at].map(totals[COUNTED]).astype(float) if COUNTED in totals else shown_events * float(role in of.counts)
            missing = present & (shown_events.isna() | shown_counted.isna())
            hidden[at] |= missing
            events[at] += shown_events.where(present, 0.0).fillna(0.0)
            counted[at] += shown_counted.where(present, 0.0).fillna(0.0)
    some = events > 0
    value = (counted / events.where(some)).where(~hidden)
    n = events.round().astype("Int64").mask(hidden, pd.NA)
    return result.assign(value=value.astype(float), n=n)


def _totals(cells: pd.DataFrame, measure: str, where: str) -> pd.Series:
    """cell -> the measure's total in it as last published."""
    shown = latest(cells, measure, where)
    return pd.Series(shown["value"].to_numpy(), index=shown["cell"].to_numpy())


def _first(settings: Settings, of: Share, role: str, mine: pd.DataFrame) -> pd.DataFrame:
    """What a first version would publish for `role`: for data no ledger has seen (tables by hand)."""
    key = (of.family_name(role), settings.privacy.min_calendar_group, hashlib.sha1(
        pd.util.hash_pandas_object(mine.astype(str), index=False).values.tobytes()).digest())
    if key not in _FIRST:
        _FIRST[key] = first_publication(family(settings, of, role, mine), _kept(of, mine))
        if len(_FIRST) > 16:
            _FIRST.popitem(last=False)
    return _FIRST[key]


_FIRST: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
"""First publications already worked out: every grain and scope of one computation asks for the same."""

