"""Metric series from the canonical tables. Importing this package registers every metric."""
from __future__ import annotations

from datetime import date

import pandas as pd

from dashboard.config import Settings
from dashboard.metrics import time_use, surveys, insights, releases, alignment, checkins  # noqa: F401, I001  (registers, in catalog order)
from dashboard.metrics.registry import METRICS, SCOPES, SERIES_COLUMNS, SIGNALS, Context, Metric, Scope
from dashboard.periods import Grain, period_starts
from dashboard.schema import TABLES
from dashboard.store import Store

__all__ = ["METRICS", "SCOPES", "SIGNALS", "Metric", "Scope", "compute_series", "load_tables", "NEEDED_TABLES"]

NEEDED_TABLES = (
    "teams", "people", "memberships", "pm_weeks", "work_items", "releases", "release_plans",
    "checkins", "survey_questions", "survey_answers", "survey_waves", "team_groups",
)


UNREAD_COLUMNS = {"work_items": ("labels", "components")}
"""Columns nothing that reads `load_tables` uses: lists per row, a large share of a large organisation's memory."""


def _columns(name: str) -> str:
    left_out = UNREAD_COLUMNS.get(name, ())
    return ", ".join(column for column in TABLES[name].columns if column not in left_out) if left_out else "*"


def load_tables(store: Store, names: tuple[str, ...] = NEEDED_TABLES) -> dict[str, pd.DataFrame]:
    """The tables metrics read (or just `names`), in one read-only connection.

    A table a newer schema added and this file does not have yet (it was written before the
    migration; the next write migrates it) reads as empty, so the dashboard still opens.
    `UNREAD_COLUMNS` are left out, and `release_work` (each work item's fix versions, one row
    each) is added, unnested by the store.
    """
    with store.reader() as con:
        present = set(con.execute("SELECT table_name FROM information_schema.tables").df()["table_name"])
        tables = {
            name: con.execute(f"SELECT {_columns(name)} FROM {name}").df() if name in present
            else pd.DataFrame(columns=list(TABLES[name].columns))
            for name in names
        }
        if "work_items" in names and "work_items" in present:
            tables["release_work"] = con.execute(
                "SELECT project, created, name FROM (SELECT project, created, unnest(fix_versions) AS name "
                "FROM work_items WHERE kind = 'work') AS unnested WHERE name IS NOT NULL"
            ).df()
        return tables


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
    ctx = Context(tables, settings, grain, scope, period_starts(start, end, grain, settings.week_start), until=end)
    frames = []
    for metric_id in metric_ids or list(METRICS):
        series = METRICS[metric_id].compute(ctx)
        frames.append(series.assign(metric_id=metric_id, grain=grain, scope=scope))
    result = pd.concat(frames, ignore_index=True)[SERIES_COLUMNS]
    result["value"] = result["value"].astype(float)
    return result.sort_values(["metric_id", "scope_id", "period_start"], ignore_index=True)
