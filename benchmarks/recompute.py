"""Full metric recompute, and the incremental one after one day of new data.

Full: every derived table rebuilt whole (`derive.rebuild`: PM-weeks, check-ins, and every metric
for the three grains and three scopes over the dashboard's window, stored in `metric_series`),
inside the transaction, as a sync or `python -m dashboard refresh` does it. Incremental: a day of
new data (`dashboard.demo.next_day`: the next day's calendar occurrences and work items, copied
from the same weekday a week earlier) written in one transaction, which then refreshes what that
day can change (`refresh(since=day)`): the PM-weeks from its week, the check-ins (compared with
what was there), and the stored series of the metrics whose inputs changed, from the first period
a changed row falls in. Timed: the refresh inside the transaction; the write and the publish
(copying the DuckDB file, or PostgreSQL's commit) are printed beside it. Each run works on a
fresh copy of the demo (`stores.working_copy`).

Run: python benchmarks/recompute.py --scale small|large|xlarge [--backend duckdb|postgres] [--runs 3]
"""
from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

from common import TODAY, Timer, arguments, demo_settings, header, median_text, medians, record
from stores import demo_store, working_copy

from dashboard.core.store import Store
from dashboard.demo.next_day import next_day
from dashboard.derive import rebuild, refresh


def series_rows(store: Store) -> int:
    return int(store.query("SELECT count(*) AS n FROM metric_series")["n"][0])


def main() -> None:
    args = arguments(__doc__.splitlines()[0], runs={"type": int, "default": 3})
    header("metric recompute", args.scale, args.backend)
    demo = demo_store(args.scale, args.backend, args.pg, args.rebuild)
    settings = demo_settings(args.scale)
    with tempfile.TemporaryDirectory() as folder:
        fulls, publishes = [], []
        for _ in range(args.runs):
            with working_copy(demo, Path(folder)) as work:
                store = Store(work)
                with Timer() as publish, store.transaction() as tx, Timer() as full:
                    rebuild(tx, settings, as_of=TODAY)
                rows = series_rows(store)
            fulls.append(full), publishes.append(publish)
        print(f"full recompute      {median_text(fulls)}, median of {args.runs}: PM-weeks, check-ins and "
              f"{rows:,} metric rows (3 grains x 3 scopes over the window); "
              f"with the write's copy and publish {median_text(publishes)}")

        day = TODAY + timedelta(days=1)
        refreshes, publishes = [], []
        for _ in range(args.runs):
            with working_copy(demo, Path(folder)) as work:
                store = Store(work)
                new = next_day(store, day)
                with Timer() as publish, store.transaction() as tx:
                    for name, frame in new.items():
                        tx.upsert(name, frame)
                    with Timer() as incremental:
                        refresh(tx, settings, as_of=day, since=day)
            refreshes.append(incremental), publishes.append(publish)
        print(f"incremental         {median_text(refreshes)}, median of {args.runs}, after one day of new data "
              f"({len(new['calendar_events']):,} occurrences, {len(new['work_items']):,} work items): PM-weeks from "
              f"{day}'s week, check-ins, and the series of the periods the changes reach; with the write, copy and "
              f"publish {median_text(publishes)}")
    (full_s, full_cpu), (incremental_s, incremental_cpu) = medians(fulls), medians(refreshes)
    record("recompute", args.scale, args.backend, full_s=full_s, full_cpu_s=full_cpu, incremental_s=incremental_s,
           incremental_cpu_s=incremental_cpu, series_rows=rows)


if __name__ == "__main__":
    main()
