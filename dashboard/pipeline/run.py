"""A sync run and a file load, owned end to end: lock, cursor, transaction, derive, record.

A run reads first and writes last. It holds the source's lock (`store.sync_lock`: one run per
source at a time, whichever process or host starts it), reads the cursor of the source's last
published run, lets the source fetch and normalize, then publishes in ONE transaction the rows,
the derived tables and the `sync_runs` row carrying the next cursor. A run that fails anywhere
publishes none of it: a `sync_runs` row of its own says it failed and why, so the dashboard keeps
the last good data and the next run starts from the last good cursor.
"""
from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from dashboard import derive
from dashboard.core.config import Settings
from dashboard.core.store import Store, Transaction, utc_now
from dashboard.pipeline.source import FAILED, OK, PARTIAL, Context, Cursor, Progress, Pull, Source, no_progress

log = logging.getLogger(__name__)
PUBLISHED = (OK, PARTIAL)
"""Statuses of a run whose rows and cursor were written."""


class SyncFailed(RuntimeError):
    """A run failed and published nothing; the message says why (the source's own words, no secret)."""

    def __init__(self, message: str, run_id: str):
        super().__init__(message)
        self.run_id = run_id


@dataclass(frozen=True)
class Run:
    """A published run."""

    run_id: str
    status: str
    rows: int
    cursor: str | None
    seconds: float
    pull: Pull


def sync(store: Store, settings: Settings, source: Source, progress: Progress | None = None, wait: float = 0.0) -> Run:
    """Run `source` once under its lock, waiting up to `wait` seconds for another run of it.

    Raises:
        SyncBusy: another run of the source still held the lock; nothing was written.
        SyncFailed: the run failed; recorded in `sync_runs`, nothing else changed.
    """
    with store.sync_lock(source.name, wait):
        started, clock = utc_now(), time.perf_counter()
        run_id = f"{source.name}-{started:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        try:
            progress = progress or no_progress
            pull = source.fetch(Context(settings, last_cursor(store, source.name), store, started, progress))
            progress("store", 0, 1)
            cursor = pull.cursor.to_json() if pull.cursor is not None else None
            with store.transaction() as tx:
                rows = source.write(tx, pull, started)
                derive.refresh(tx, settings)
                tx.upsert("sync_runs", _run_rows(source.name, run_id, started, pull, rows, cursor))
            progress("store", 1, 1)
        except Exception as error:  # noqa: BLE001 - every failure is recorded, then raised as SyncFailed
            message = source.describe(error)
            _record_failure(store, source.name, run_id, started, message)
            raise SyncFailed(message, run_id) from None  # the original may hold a secret: the message says what it said
    return Run(run_id, pull.status, rows, cursor, time.perf_counter() - clock, pull)


def load(store: Store, settings: Settings | None, write: Callable[[Transaction], None]) -> None:
    """A file load (a roster, a survey wave, a check-in form): its rows and the derived tables in
    one transaction. Without settings the derive step is skipped, and the stored metric series are
    marked stale so pages compute live until the next refresh."""
    with store.transaction() as tx:
        write(tx)
        if settings is not None:
            derive.refresh(tx, settings)


def last_cursor(store: Store, name: str) -> Cursor | None:
    """The cursor of the source's last published run (a failed run moves none)."""
    if not store.exists():
        return None
    last = store.query(
        "SELECT cursor FROM sync_runs WHERE source = ? AND status IN (?, ?) AND cursor IS NOT NULL"
        " ORDER BY finished_at DESC, run_id DESC LIMIT 1",
        [name, *PUBLISHED],
    )
    return Cursor.from_json(last["cursor"].iloc[0]) if len(last) else None


def _run_rows(name: str, run_id: str, started: datetime, pull: Pull, rows: int, cursor: str | None) -> pd.DataFrame:
    """The run itself, with its cursor, and one row per quarantined part."""
    finished = utc_now()
    runs = [{
        "run_id": run_id, "source": name, "started_at": started, "finished_at": finished, "status": pull.status,
        "rows": rows, "cursor": cursor,
        "error": f"{len(pull.quarantined)} quarantined, each in a row of its own" if pull.quarantined else None,
    }]  # fmt: skip
    for n, item in enumerate(pull.quarantined, 1):
        runs.append({
            "run_id": f"{run_id}/q{n}", "source": f"{name}:{item.source}", "started_at": started,
            "finished_at": finished, "status": "quarantined", "rows": 0, "cursor": None,
            "error": f"{item.where}: {item.error}",
        })  # fmt: skip
    return pd.DataFrame(runs)


def _record_failure(store: Store, name: str, run_id: str, started: datetime, message: str) -> None:
    """Say that the run failed, in a transaction of its own that touches nothing else."""
    row = {
        "run_id": run_id, "source": name, "started_at": started, "finished_at": utc_now(),
        "status": FAILED, "rows": 0, "cursor": None, "error": message,
    }  # fmt: skip
    try:
        with store.transaction() as tx:
            tx.upsert("sync_runs", pd.DataFrame([row]))
    except Exception as error:  # noqa: BLE001 - the store itself may be what failed; the caller still gets the first error
        log.warning("could not record the failed %s run %s: %s", name, run_id, error)
