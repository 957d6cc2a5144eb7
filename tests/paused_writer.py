"""`python -m tests.paused_writer PHASE ARGS...`: `python -m dashboard ARGS`, stopped at one phase of its store write.

At the phase it prints `paused` on stdout and sleeps until it is killed, so a test can SIGKILL a
write exactly there. The product has no hook for this: the pause is patched in from outside,
around the calls the store makes (the transaction's seal, DuckDB's CHECKPOINT, the publishing
rename, the end of the transaction block).

Phases, in the order a write goes through them:
- `before_commit`: the transaction's writes are made, not committed (both backends);
- `before_checkpoint`: DuckDB has committed into the private copy's WAL, not yet checkpointed it;
- `before_rename`: the private copy is complete and closed, not yet renamed over the published file;
- `after_publish`: the write is published (renamed, or committed on PostgreSQL); the process has
  not yet let go of its lock or finished.
"""
from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager

import duckdb

from dashboard import cli
from dashboard.core.store import Transaction
from dashboard.core.store.duckdb import DuckDBStore
from dashboard.core.store.postgres import PostgresStore

PHASES = ("before_commit", "before_checkpoint", "before_rename", "after_publish")


def pause() -> None:
    print("paused", flush=True)
    while True:
        time.sleep(60)


class _PausingConnection:
    """A DuckDB connection that pauses when asked to CHECKPOINT."""

    def __init__(self, connection: duckdb.DuckDBPyConnection):
        self._connection = connection

    def execute(self, sql, *args, **kwargs):
        if isinstance(sql, str) and sql.strip().upper() == "CHECKPOINT":
            pause()
        return self._connection.execute(sql, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._connection, name)


def _pause_at(phase: str) -> None:
    if phase == "before_commit":
        seal = Transaction.seal

        def sealing(self):
            seal(self)
            pause()

        Transaction.seal = sealing
    elif phase == "before_checkpoint":
        connect = duckdb.connect
        duckdb.connect = lambda database=":memory:", *args, **kwargs: (
            _PausingConnection(connect(database, *args, **kwargs)) if database != ":memory:" else connect(database, *args, **kwargs))
    elif phase == "before_rename":
        replace = os.replace

        def renaming(source, target, *args, **kwargs):
            pause()
            return replace(source, target, *args, **kwargs)

        os.replace = renaming
    elif phase == "after_publish":
        for backend in (DuckDBStore, PostgresStore):
            backend.transaction = _then_pause(backend.transaction)
    else:
        raise SystemExit(f"unknown phase {phase!r} (one of {', '.join(PHASES)})")


def _then_pause(transaction):
    @contextmanager
    def transaction_then_pause(self, *args, **kwargs):
        with transaction(self, *args, **kwargs) as tx:
            yield tx
        pause()

    return transaction_then_pause


if __name__ == "__main__":
    _pause_at(sys.argv[1])
    sys.exit(cli.main(sys.argv[2:]))
