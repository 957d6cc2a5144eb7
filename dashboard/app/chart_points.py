"""The points of a trend chart a reader can open the records behind: which, in what order, and
how each is named in the list below the chart."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from dashboard.core import periods
from dashboard.core.periods import Grain

Point = tuple[str, date]
"""A point of a trend chart: the line's scope id and the period's first day."""


def period_text(start: date, grain: Grain) -> str:
    """A period as people say it: "week of 6 Jul 2026", "Sep 2026", "Q3 2026"."""
    if grain == "week":
        return f"week of {start.day} {start:%b %Y}"
    return f"{start:%b %Y}" if grain == "month" else periods.quarter_label(start)


@dataclass(frozen=True)
class PointChoices:
    """Every point with a value, newest first (the reference line's first within a period), and
    each one's name: "Payments · Jul 2026".

    Worked out once with the chart it lists (`views.trend_tile`): a chart of 40 lines over three
    years has thousands of points, and listing and naming them on every view was a fifth of a
    warm page."""

    labels: dict[Point, str]
    """Each point's name, in the list's order."""
    names: dict[str, str]
    """Each line's scope id to its name."""

    @property
    def points(self) -> tuple[Point, ...]:
        return tuple(self.labels)


def point_choices(frame: pd.DataFrame, grain: Grain) -> PointChoices:
    """The points of `frame` (a trend's rows: `scope_id`, `name`, `period_start`, `value`) a reader can open."""
    shown = frame[frame["value"].notna()]
    ordered = shown.assign(_at=pd.to_datetime(shown["period_start"])).sort_values("_at", ascending=False, kind="stable")
    names = dict(zip(frame["scope_id"], frame["name"]))
    points = zip(ordered["scope_id"].tolist(), (stamp.date() for stamp in ordered["_at"]))
    return PointChoices({point: f"{names.get(point[0], point[0])} · {period_text(point[1], grain)}" for point in points},
                        names)
