"""Full metric recompute, and the incremental one after one day of new data.

Full: every derived table rebuilt (`derive.refresh`), the metric tables read, and every metric
computed for every grain and scope over the dashboard's whole window (what the pages' caches
hold once every page has been seen). Incremental: a day of new data (the next day's calendar
occurrences and Jira work items, copied from the same weekday a week earlier) written in one
transaction; then only what that day can change is recomputed: the PM-weeks from its week on
(`refresh(since=day)`) and every metric for the periods holding that day.

Run: python benchmarks/recompute.py --scale small|large [--runs 3]
"""
from __future__ import annotations

import shutil
import statistics
import tempfile
from datetime import timedelta
from pathlib import Path

import pandas as pd

from common import TODAY, Timer, arguments, demo_database, header  # noqa: I001
from dashboard.config import Settings
from dashboard.derive import refresh
from dashboard.metrics import compute_series, load_tables
from dashboard.periods import GRAINS, floor_date, quarters_back
from dashboard.metrics.registry import SCOPES
from dashboard.store import Store
from dashboard.views import WINDOW_QUARTERS


def compute_all(tables: dict, settings: Settings, first, last) -> int:
    rows = 0
    for grain in GRAINS:
        for scope in SCOPES:
            rows += len(compute_series({k: v.copy(deep=False) for k, v in tables.items()}, settings, grain, scope,
                                       max(first, floor_date(first, grain)), last))
    return rows


def compute_periods_holding(tables: dict, settings: Settings, day) -> int:
    rows = 0
    for grain in GRAINS:
        for scope in SCOPES:
            rows += len(compute_series({k: v.copy(deep=False) for k, v in tables.items()}, settings, grain, scope,
                                       floor_date(day, grain, settings.week_start), day))
    return rows


def one_day_of_new_data(store: Store, day) -> dict[str, pd.DataFrame]:
    """The calendar occurrences and work items of the same weekday a week before `day`, moved to `day`."""
    week = pd.Timedelta(days=7)
    before = day - timedelta(days=7)
    with store.reader() as con:
        events = con.execute("SELECT * FROM calendar_events WHERE start_utc::DATE = ?", [before]).df()
        items = con.execute("SELECT * FROM work_items WHERE updated::DATE = ?", [before]).df()
    events["event_uid"] = events["event_uid"] + "+next"
    for column in ("start_utc", "end_utc"):
        events[column] = events[column] + week
    items["item_id"] = items["item_id"] + "9"
    items["key"] = items["key"] + "9"
    for column in ("created", "updated", "resolved"):
        items[column] = items[column] + week
    return {"calendar_events": events, "work_items": items}


def median(timers: list[Timer]) -> str:
    """`wall s (cpu s)`, medians over the runs."""
    return f"{statistics.median(t.seconds for t in timers):.2f} s ({statistics.median(t.cpu for t in timers):.2f} s cpu)"


def main() -> None:
    args = arguments(__doc__.splitlines()[0], runs={"type": int, "default": 3})
    header("metric recompute", args.scale)
    database = demo_database(args.scale, args.rebuild)
    settings = Settings()
    first = quarters_back(TODAY, WINDOW_QUARTERS)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder) / "work.duckdb"
        full, derives, loads, computes = [], [], [], []
        for _ in range(args.runs):
            shutil.copyfile(database, work)
            store = Store(work)
            with Timer() as total:
                with store.transaction() as tx, Timer() as derive:
                    refresh(tx, settings, as_of=TODAY)
                with Timer() as load:
                    tables = load_tables(store)
                with Timer() as compute:
                    rows = compute_all(tables, settings, first, TODAY)
            full.append(total), derives.append(derive), loads.append(load), computes.append(compute)
        print(f"full recompute      {median(full)}, median of {args.runs}: derive and publish {median(derives)}, "
              f"read tables {median(loads)}, {rows:,} metric rows for {len(GRAINS)} grains x {len(SCOPES)} scopes "
              f"{median(computes)}")

        day = TODAY + timedelta(days=1)
        writes, derives, loads, computes = [], [], [], []
        for _ in range(args.runs):
            shutil.copyfile(database, work)
            store = Store(work)
            new = one_day_of_new_data(store, day)
            with Timer() as write:
                with store.transaction() as tx:
                    for name, frame in new.items():
                        tx.upsert(name, frame)
                    with Timer() as derive:
                        refresh(tx, settings, as_of=day, since=day)
            with Timer() as load:
                tables = load_tables(store)
            with Timer() as compute:
                rows = compute_periods_holding(tables, settings, day)
            writes.append(write), derives.append(derive), loads.append(load), computes.append(compute)
        recompute = [statistics.median(t.seconds for t in timers) for timers in (derives, computes)]
        recompute_cpu = [statistics.median(t.cpu for t in timers) for timers in (derives, computes)]
        print(f"incremental         {sum(recompute):.2f} s ({sum(recompute_cpu):.2f} s cpu), median of {args.runs}, "
              f"after one day of new data ({len(new['calendar_events']):,} occurrences, {len(new['work_items']):,} "
              f"work items): derive from {day} on {median(derives)}, {rows:,} metric rows of the periods holding "
              f"the day {median(computes)}")
        print(f"  around it         the sync's write with that derive, copied and published {median(writes)}; "
              f"read tables again {median(loads)} (once per published version, shared by every session)")


if __name__ == "__main__":
    main()
