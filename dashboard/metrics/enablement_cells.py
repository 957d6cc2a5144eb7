"""Enablement figures that keep PMs anonymous: the calendar's rules (`calendar_cells`), applied to
two families of their own so that adding them changes nothing the calendar family published.

- `HOURS`: PM-weeks, the calendar's records, valued by their enablement hours: a mean over
  PM-weeks, like every S1 figure, and subtracted the same ways.
- `REACH`: PM-periods, one per PM for each week, month and quarter they have a PM-week in,
  valued 1 when they attended an enablement session in it, else 0. A record lies only in the
  cells of its own grain, on the team (and that team's group) of the PM's first week of the
  period, so a PM who moved team mid-month counts once; a cell's mean is then the share of its
  PMs reached, and the ledger guards it like any other mean (a share's highest record is 1).
"""
from __future__ import annotations

import hashlib
from collections import OrderedDict

import numpy as np
import pandas as pd

from dashboard.core.config import Settings
from dashboard.core.publication import Family, first_publication, published_cells
from dashboard.metrics import calendar_cells
from dashboard.metrics.calendar_cells import GRAINS, LEVELS, slot

HOURS = "enablement_hours"
REACH = "enablement_reach"
REACHED = "reached"
"""The measure of `REACH` records: 1 for a PM reached in the period, 0 for one not reached."""
_SLOTS = tuple(slot(grain, level) for grain in GRAINS for level in LEVELS)


def hour_records(tables: dict[str, pd.DataFrame], settings: Settings) -> pd.DataFrame:
    """The calendar's PM-week records with one measure: their enablement hours (NaN for a week
    derived before PM-weeks had them)."""
    found = calendar_cells.records(tables, settings)
    hours = pd.to_numeric(tables["pm_weeks"].get("enablement_hours", pd.Series(np.nan, index=tables["pm_weeks"].index)),
                          errors="coerce").astype(float).to_numpy()
    return found[["record_id", "unit", *_SLOTS, "part"]].assign(**{HOURS: hours})


def reach_records(tables: dict[str, pd.DataFrame], settings: Settings) -> pd.DataFrame:
    """One record per PM and period of every grain, in its grain's cells only (`REACH`)."""
    weeks = hour_records(tables, settings)
    weeks["week"] = pd.to_datetime(tables["pm_weeks"]["week_start"]).to_numpy()
    weeks = weeks.sort_values(["unit", "week"], kind="stable")
    attended = weeks[HOURS].gt(0).astype(float).where(weeks[HOURS].notna())
    parts = []
    for grain in GRAINS:
        period = weeks[slot(grain, "org")]
        reached = attended.groupby([weeks["unit"], period]).max()
        first = weeks.drop_duplicates(["unit", slot(grain, "org")])
        record = pd.DataFrame({
            "record_id": grain + "|" + first["unit"].astype(str) + "|" + first[slot(grain, "org")].astype(str),
            "unit": first["unit"], "part": first["part"],
            REACHED: reached.reindex(pd.MultiIndex.from_arrays([first["unit"], period.loc[first.index]])).to_numpy(),
        })
        for key in _SLOTS:
            record[key] = first[key] if key.startswith(f"{grain}|") else None
        parts.append(record)
    columns = ["record_id", "unit", *_SLOTS, "part", REACHED]
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)


HOURS_FLOOR = 8.0
"""The enablement hours an attacker is assumed to know a PM-week can hold, unless the data holds
more: a whole working day of training. A 40-hour week, the calendar's range, would ask a hidden
cell's bound to be 4 hours wide, more than any week's enablement, and hide every cell beside one."""


def hours_family(settings: Settings, found: pd.DataFrame) -> Family:
    """Enablement hours per PM-week, with their own protection range (`HOURS_FLOOR`)."""
    high = max(HOURS_FLOOR, float(found[HOURS].max())) if found[HOURS].notna().any() else HOURS_FLOOR
    return Family(name=HOURS, slots=_SLOTS, guarded={HOURS: (HOURS,)}, high={HOURS: high},
                  k=settings.privacy.min_calendar_group)


def reach_family(settings: Settings) -> Family:
    return Family(name=REACH, slots=_SLOTS, guarded={REACHED: (REACHED,)}, high={REACHED: 1.0},
                  k=settings.privacy.min_calendar_group)


def families(tables: dict[str, pd.DataFrame], settings: Settings) -> list[tuple[Family, pd.DataFrame]]:
    """Both families with their records, as the ledger advances them after a write of PM-weeks."""
    hours = hour_records(tables, settings)
    return [(hours_family(settings, hours), hours), (reach_family(settings), reach_records(tables, settings))]


def published(tables: dict[str, pd.DataFrame], settings: Settings, name: str) -> pd.DataFrame:
    """What readers see of family `name` (`HOURS` or `REACH`): the ledger's cell versions, or
    what a first version would publish for data no ledger has seen."""
    return published_cells(tables, name, lambda: _first(tables, settings, name))


def _first(tables: dict[str, pd.DataFrame], settings: Settings, name: str) -> pd.DataFrame:
    if name == HOURS:
        found = hour_records(tables, settings)
        family = hours_family(settings, found)
    else:
        found, family = reach_records(tables, settings), reach_family(settings)
    key = (name, settings.privacy.min_calendar_group, hashlib.sha1(
        pd.util.hash_pandas_object(found.astype(str), index=False).values.tobytes()).digest())
    if key not in _FIRST:
        _FIRST[key] = first_publication(family, found)
        if len(_FIRST) > 16:
            _FIRST.popitem(last=False)
    return _FIRST[key]


_FIRST: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
"""First publications already worked out: every grain and scope of one computation asks for the same."""
