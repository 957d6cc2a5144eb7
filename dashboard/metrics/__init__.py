"""Metric series from the canonical tables. Importing this package registers every metric."""
from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import date

import pandas as pd

from dashboard.core.config import Settings
from dashboard.core.decisions import DECISION_ROWS
from dashboard.core.periods import Grain, period_starts
from dashboard.core.schema import SERIES_INPUTS, TABLES
from dashboard.core.store import Store
from dashboard.metrics.registry import (
    CLOCK,
    EVERY_SCOPE,
    METRICS,
    ROSTER,
    SCOPE_MARK,
    SCOPES,
    SERIES_COLUMNS,
    SIGNALS,
    Context,
    Metric,
    Scope,
    level_of,
)

__all__ = ["METRICS", "NEEDED_TABLES", "SCOPES", "SIGNALS", "Metric", "Scope", "compute_series", "inputs", "level_of", "load_tables",
           "read_tables"]

CATALOG = ("time_use", "surveys", "insights", "releases", "enablement", "ramp", "alignment", "checkins",
           "product_ops", "systems_work", "decisions", "decision_rights")
"""The metric modules in catalog order: importing one registers its metrics, so this is the
order of the catalog, the CLI's output and every page's lists."""
for _module in CATALOG:
    importlib.import_module(f"dashboard.metrics.{_module}")

NEEDED_TABLES = SERIES_INPUTS


UNREAD_COLUMNS = {"work_items": ("labels", "components", "work_class")}
"""Columns nothing that reads `load_tables` uses: lists per row, a large share of a large organisation's memory;
the work class reaches its metric with the few items it is about (`prodops_work`), and a file written
before it (schema 16) still opens."""
READ_ROWS = {"work_items": "kind = 'data_request'", "work_item_transitions": DECISION_ROWS}
"""The only rows of a table that readers of `load_tables` use: of the work items, the data requests
(the issues reach the release metrics as `release_work`, one row per fix version); of their
transitions, the decision edits (which reach their metric as `decision_edits`, with their item's
project). A large organisation's 600,000 issues and their status moves are then never held whole."""


def _columns(name: str) -> str:
    left_out = UNREAD_COLUMNS.get(name, ())
    return ", ".join(column for column in TABLES[name].columns if column not in left_out) if left_out else "*"


def load_tables(store: Store, names: tuple[str, ...] = NEEDED_TABLES, recent: date | None = None,
                rows: dict[str, str] | None = None) -> dict[str, pd.DataFrame]:
    """The tables metrics read (or just `names`), in one read-only connection (see `read_tables`)."""
    with store.reader() as con:
        return read_tables(lambda sql, params=None: con.execute(sql, params or []).df(), names, recent, rows)


def inputs(metric_ids: list[str]) -> tuple[str, ...]:
    """The tables the metrics `metric_ids` read: the roster, and what each one needs."""
    return tuple(dict.fromkeys([*ROSTER, *(table for i in metric_ids for table in METRICS[i].needs if table != CLOCK)]))


RECENT_ROWS = {
    "pm_weeks": "week_start >= ?",
    "prodops_weeks": "week_start >= ?",
    "prodops_group_weeks": "week_start >= ?",
    "checkins": "due_at >= ?",
    "work_items": "(created >= ? OR resolved >= ?)",
    "work_item_transitions": "\"at\" >= ?",
}
"""With `recent` (an incremental refresh), the rows of these tables that can fall in a period from
that day on; every other table is read whole (release intervals and survey waves need history)."""


def read_tables(query: Callable[..., pd.DataFrame], names: tuple[str, ...] = NEEDED_TABLES,
                recent: date | None = None, rows: dict[str, str] | None = None) -> dict[str, pd.DataFrame]:
    """The tables metrics read (or just `names`) through `query(sql, params)`: a reader's or a transaction's.

    A table a newer schema added and this file does not have yet (it was written before the
    migration; the next write migrates it) reads as empty, so the dashboard still opens.
    `UNREAD_COLUMNS` and rows outside `READ_ROWS` are left out, and `release_work` (each work
    item's fix versions, one row each), `decision_edits` (`dashboard.metrics.decisions`) and
    `prodops_work` (`dashboard.metrics.systems_work`) are added, made by the store. Rows come in key order:
    a mean summed in another order can differ in its last digit, and a series must depend on
    the tables' content only, not on how their rows lie in the file. With `recent`, only
    `RECENT_ROWS` from that day on, and the work of releases shipped from that day on or not yet.
    `rows` narrows a table further, by a condition of its own (a reader that needs only some of it).
    A file written before the transitions had authors (schema 12) reads as if no author were known.
    """
    present = set(query("SELECT table_name FROM information_schema.tables")["table_name"])
    tables = {name: _read(query, name, recent, (rows or {}).get(name)) if name in present else pd.DataFrame(columns=list(TABLES[name].columns))
              for name in names}
    if "work_items" in names and "work_items" in present:
        shipped = ("" if recent is None else
                   " AND (project, name) IN (SELECT project, name FROM releases WHERE released_on IS NULL OR released_on >= ?)")
        tables["release_work"] = query(
            "SELECT project, created, name FROM (SELECT project, created, unnest(fix_versions) AS name "
            f"FROM work_items WHERE kind = 'work') AS unnested WHERE name IS NOT NULL{shipped} ORDER BY project, name, created",
            [] if recent is None else [recent],
        )
    if "work_item_transitions" in names and {"work_items", "work_item_transitions"} <= present:
        since = "" if recent is None else " AND t.\"at\" >= ?"
        kept = query("SELECT column_name FROM information_schema.columns WHERE table_name = 'work_item_transitions'")
        author = "t.author_id" if "author_id" in set(kept["column_name"]) else "CAST(NULL AS VARCHAR) AS author_id"
        tables["decision_edits"] = query(
            f"SELECT t.item_id, t.\"at\", t.field, t.to_value, {author}, w.project FROM work_item_transitions AS t "
            f"JOIN work_items AS w ON w.item_id = t.item_id WHERE w.kind = 'work' AND {DECISION_ROWS}{since} "
            "ORDER BY t.item_id, t.\"at\", t.field, t.to_value",
            [] if recent is None else [recent],
        )
    if "work_items" in names and {"work_items", "people", "memberships"} <= present:
        tables["prodops_work"] = _prodops_work(query, recent)
    return tables


OPS_WORK_COLUMNS = ("item_id", "resolved", "assignee_id", "work_class")


def _prodops_work(query: Callable[..., pd.DataFrame], recent: date | None) -> pd.DataFrame:
    """The classified work items resolved by someone who is product ops on some day (the metric
    decides the day); a file written before work classes (schema 16) has none."""
    kept = query("SELECT column_name FROM information_schema.columns WHERE table_name = 'work_items'")
    if "work_class" not in set(kept["column_name"]):
        return pd.DataFrame(columns=list(OPS_WORK_COLUMNS))
    since = "" if recent is None else " AND resolved >= ?"
    return query(
        f"SELECT {', '.join(OPS_WORK_COLUMNS)} FROM work_items WHERE work_class IS NOT NULL AND resolved IS NOT NULL "
        "AND assignee_id IN (SELECT person_id FROM people WHERE role = 'prodops' "
        f"UNION SELECT person_id FROM memberships WHERE role = 'prodops'){since} ORDER BY source, item_id",
        [] if recent is None else [recent],
    )


def _read(query: Callable[..., pd.DataFrame], name: str, recent: date | None, only: str | None = None) -> pd.DataFrame:
    conditions = [READ_ROWS[name]] if name in READ_ROWS else []
    conditions += [only] if only else []
    params: list = []
    if recent is not None and name in RECENT_ROWS:
        conditions.append(RECENT_ROWS[name])
        params = [recent] * RECENT_ROWS[name].count("?")
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    key = ", ".join(f'"{column}"' for column in TABLES[name].key)
    return query(f"SELECT {_columns(name)} FROM {name}{where} ORDER BY {key}", params)


def compute_series(
    tables: dict[str, pd.DataFrame],
    settings: Settings,
    grain: Grain,
    scope: Scope,
    start: date,
    end: date,
    metric_ids: list[str] | None = None,
) -> pd.DataFrame:
    """Every requested metric for every period overlapping [start, end] and every scope id.

    With `scope=EVERY_SCOPE`, for the three scopes at once (each row's `scope` says which).
    """
    ctx = Context(tables, settings, grain, scope, period_starts(start, end, grain, settings.week_start), until=end)
    frames = []
    for metric_id in metric_ids or list(METRICS):
        series = METRICS[metric_id].compute(ctx)
        frames.append(series.assign(metric_id=metric_id, grain=grain, scope=scope))
    result = pd.concat(frames, ignore_index=True)[SERIES_COLUMNS]
    result["value"] = result["value"].astype(float)
    result["n"] = result["n"].astype("Int64")  # missing where a privacy rule hid the cell
    if scope == EVERY_SCOPE:
        split = result["scope_id"].str.split(SCOPE_MARK, n=1, expand=True)
        result["scope"], result["scope_id"] = split[0], split[1]
        return result.sort_values(["metric_id", "scope", "scope_id", "period_start"], ignore_index=True)
    return result.sort_values(["metric_id", "scope_id", "period_start"], ignore_index=True)
