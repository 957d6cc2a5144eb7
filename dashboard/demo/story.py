"""The story's dates and the plumbing every piece of the demo shares: seeded streams, time helpers.

Everything is drawn from one seed, split into named streams (one per piece of the story), so
the same `today` gives identical tables and changing one piece leaves the others as they were.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from dashboard.core.periods import quarters_back
from dashboard.core.schema import TABLES
from dashboard.demo.scale import SMALL, Scale

SEED = 20261126
SOURCE = "demo"
RAMP_DAYS = 270
"""How long product ops takes to bed in: its effects grow linearly over this many days."""
DAY = pd.Timedelta(days=1)
HOUR = pd.Timedelta(hours=1)
SLOT = pd.Timedelta(minutes=30)
WEEKDAYS = 5


def stream(name: str) -> np.random.Generator:
    """A generator for one piece of the story, seeded from SEED and the stream's name."""
    digest = hashlib.sha256(f"{SEED}:{name}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def monday_on_or_after(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7)


def to_utc(local: pd.Series, zones: pd.Series) -> pd.Series:
    """Naive wall-clock times in each row's zone as naive UTC."""
    local = pd.to_datetime(local).astype("datetime64[us]")
    out = pd.Series(pd.NaT, index=local.index, dtype="datetime64[us]")
    for zone in sorted(pd.unique(zones)):
        mask = (zones == zone).to_numpy()
        index = pd.DatetimeIndex(local[mask])
        converted = index.tz_localize(zone, ambiguous=np.zeros(mask.sum(), bool), nonexistent="shift_forward")
        out[mask] = converted.tz_convert("UTC").tz_localize(None).to_numpy()
    return out


def timestamps(values) -> pd.Series:
    return pd.Series(pd.to_datetime(values)).dt.round("s").astype("datetime64[us]").reset_index(drop=True)


def dates(values) -> pd.Series:
    """Dates as `datetime.date` objects (None where missing), the way the canonical tables hold them."""
    stamps = pd.Series(pd.to_datetime(values)).reset_index(drop=True)
    return pd.Series([None if pd.isna(v) else v.date() for v in stamps], dtype=object)


def business_time(generator: np.random.Generator, days: pd.Series, start_hour: float = 9, hours: float = 8) -> pd.Series:
    """A random minute inside working hours on each day."""
    minutes = generator.integers(0, int(hours * 60), len(days))
    return pd.to_datetime(days).reset_index(drop=True) + pd.to_timedelta(start_hour * 60 + minutes, unit="min")


def canonical(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Exactly the columns of the canonical table, in its order."""
    return frame[list(TABLES[table].columns)].reset_index(drop=True)


@dataclass(frozen=True)
class Story:
    """The dates the story turns on, all derived from `today`."""

    start: date
    today: date
    founded: date
    reorg: date
    portal: date
    release_process: date
    silent_since: date
    systems_turn: date
    """When the product-ops team turns from running status and coordination meetings to building systems."""
    prodops_hiring: date
    """The late hiring wave of product-ops people; until then PMs per product-ops person only grows."""
    scale: Scale = SMALL
    """How big the organisation is; every generator reads its own knobs from here."""

    @property
    def cutoff(self) -> pd.Timestamp:
        """The end of `today`: nothing happens at or after it."""
        return pd.Timestamp(self.today + timedelta(days=1))

    @property
    def synced_at(self) -> pd.Timestamp:
        """When the demo's sources were read: late on `today`, after everything that happened."""
        return pd.Timestamp(self.today) + pd.Timedelta(hours=23, minutes=50)

    def progress(self, when) -> np.ndarray:
        """How far product ops has got at each time: 0 before it is founded, 1 once it has bedded in."""
        days = (pd.to_datetime(when) - pd.Timestamp(self.founded)) / DAY
        return np.clip(np.asarray(days, dtype=float) / RAMP_DAYS, 0, 1)

    def portal_effect(self, when) -> np.ndarray:
        """0 before the insights portal launches, 1 a month after."""
        days = (pd.to_datetime(when) - pd.Timestamp(self.portal)) / DAY
        return np.clip(np.asarray(days, dtype=float) / 30, 0, 1)


def make_story(today: date, quarters: int = 8, scale: Scale = SMALL) -> Story:
    """The story over the `quarters` quarters up to `today`: product ops is founded five quarters ago
    whatever the length, so a longer window only adds quarters before it. `scale` rides along so
    each generator reads its knobs from the story."""
    def quarter(back: int) -> date:
        return quarters_back(today, back + 1)

    return Story(
        start=quarter(quarters - 1),
        today=today,
        founded=quarter(5),
        reorg=monday_on_or_after(quarter(4) + timedelta(days=4)),
        portal=monday_on_or_after(quarter(3) + timedelta(days=40)),
        release_process=monday_on_or_after(quarter(2) + timedelta(days=10)),
        silent_since=quarter(2) + timedelta(days=21),
        systems_turn=monday_on_or_after(quarter(3) + timedelta(days=7)),
        prodops_hiring=monday_on_or_after(quarter(1) + timedelta(days=14)),
        scale=scale,
    )


def make_annotations(story: Story) -> pd.DataFrame:
    return pd.DataFrame({
        "on_date": [story.founded, story.reorg, story.portal, story.release_process],
        "scope": "org",
        "label": [
            "Product ops team founded",
            "Reorg: three PMs move between teams",
            "Self-serve insights portal launched",
            "New release process",
        ],
        "metrics": ["pm_overhead_share", None, "data_requests_per_pm,data_request_days_to_fulfil", "release_on_time_rate"],
    })
