"""Metric series from the canonical tables. Importing this package registers every metric."""
from __future__ import annotations

from datetime import date

import pandas as pd

from dashboard.config import Settings
from dashboard.metrics import time_use, insights, releases, alignment, checkins  # noqa: F401, I001  (registers, in catalog order)
from dashboard.metrics.registry import METRICS, SCOPES, SERIES_COLUMNS, SIGNALS, Context, Metric, Scope
from dashboard.periods import Grain, period_starts
from dashboard.store import Store

__all__ = ["METRICS", "SCOPES", "SIGNALS", "Metric", "Scope", "compute_series", "load_tables", "NEEDED_TABLES"]

NEEDED_TABLES = (
    "teams", "people", "memberships", "pm_weeks", "work_items", "releases", "release_plans",
    "checkins", "survey_questions", "survey_answers",
)


def load_tables(store: Store) -> dict[str, pd.DataFrame]:
    """The tables metrics read, in one read-only connection."""
    return store.tables(*NEEDED_TABLES)


def compute_series(
    tables: dict[str, pd.DataFrame],
    settings: Settings,
    grain: Grain,
    scope: Scope,
    start: date,
    end: date,
    metric_ids: list[str] | None = None,
) -> pd.DataFrame:
    """Every requested metric for every period overlapping [start, end] and every scope id."""
    ctx = Context(tables, settings, grain, scope, period_starts(start, end, grain, settings.week_start))
    frames = []
    for metric_id in metric_ids or list(METRICS):
        series = METRICS[metric_id].compute(ctx)
        frames.append(series.assign(metric_id=metric_id, grain=grain, scope=scope))
    result = pd.concat(frames, ignore_index=True)[SERIES_COLUMNS]
    result["value"] = result["value"].astype(float)
    return result.sort_values(["metric_id", "scope_id", "period_start"], ignore_index=True)
