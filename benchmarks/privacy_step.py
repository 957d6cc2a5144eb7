"""The privacy step's cost: the publication ledger's decisions for every figure about people.

Times, inside one transaction on a copy of the demo organisation, `derive.publish_people`:
- **first publication**: the ledger emptied, every quarter of PM-weeks and every survey
  construct decided from scratch (what the first write after an upgrade does);
- **unchanged data**: the ledger current, nothing to publish (what most refreshes find for
  the quarters a day of data does not reach);
- **one changed week**: every PM-week of the latest week edited, so that quarter's cells
  are decided again against everything published before.
The full recompute (`recompute.py`) includes the step; this script isolates it.

Run: python benchmarks/privacy_step.py --scale small|large [--runs 3]
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from common import TODAY, Timer, arguments, demo_database, demo_settings, header, median_text

from dashboard.core.store import Store
from dashboard.derive import CALENDAR_LEDGER_INPUTS, SURVEY_LEDGER_INPUTS, publish_people


def run(work: Path, settings, prepare, runs: int, database: Path) -> tuple[list[Timer], int]:
    timers, cells = [], 0
    for _ in range(runs):
        shutil.copyfile(database, work)
        store = Store(work)
        with store.transaction() as tx:
            prepare(tx)
            tx.touched.update({*CALENDAR_LEDGER_INPUTS, *SURVEY_LEDGER_INPUTS})
            with Timer() as timer:
                publish_people(tx, settings)
            cells = int(tx.query("SELECT count(*) AS n FROM privacy_cells")["n"][0])
        timers.append(timer)
    return timers, cells


def main() -> None:
    args = arguments(__doc__.splitlines()[0], runs={"type": int, "default": 3})
    header("privacy step", args.scale)
    database = demo_database(args.scale, args.rebuild)
    settings = demo_settings(args.scale)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder) / "work.duckdb"
        store = Store(database)
        weeks = int(store.query("SELECT count(*) AS n FROM pm_weeks")["n"][0])
        answers = int(store.query("SELECT count(*) AS n FROM survey_answers")["n"][0])
        print(f"{weeks:,} PM-weeks, {answers:,} survey answers, as of {TODAY}")

        def empty(tx) -> None:
            tx.execute("DELETE FROM privacy_records")
            tx.execute("DELETE FROM privacy_cells")

        def last_week(tx) -> None:
            tx.execute("UPDATE pm_weeks SET focus_hours = focus_hours + 0.5 "
                       "WHERE week_start = (SELECT max(week_start) FROM pm_weeks)")

        for name, prepare in (("first publication", empty), ("unchanged data", lambda tx: None),
                              ("one changed week", last_week)):
            timers, cells = run(work, settings, prepare, args.runs, database)
            print(f"{name:<20}{median_text(timers)}, median of {args.runs}; {cells:,} published cell versions after")


if __name__ == "__main__":
    main()
