"""The canonical tables in one embedded DuckDB file.

DuckDB lets one process hold a file for writing and then no other process may open it, not
even to read. So the store never writes the published file in place: a write copies it,
changes the copy in one transaction and publishes it with an atomic rename, under a lock
file so two writers take turns. Readers open read-only connections that last a read, or a page's
run (`dashboard.core.store.shared_readers`), so a sync in another process never breaks the
dashboard and a failed write leaves the last good data. Each reader attaches the file in a DuckDB
instance of its own, so it reads the file as last published even while other readers in the same
process still hold the one before.

Each write works on a copy with a name of its own, `<file>.tmp-<random>`. A writer killed
part-way leaves that copy and maybe its `.wal` behind; DuckDB replays a WAL into whatever file
of the same name it opens next, so a reused name would bring a killed write back into a later,
unrelated one. A name no later write can take makes that impossible, and the next writer (holding
the lock, so no live writer owns them) deletes every leftover `<file>.tmp*`.

A sync's own lock (one sync per source) is another lock file beside the database,
`<file>.sync-<source>.lock`, held for the whole sync; the publish lock is held only while a
write is copied, changed and renamed.
"""
from __future__ import annotations

import errno
import fcntl
import glob
import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from dashboard.core.schema import MIGRATIONS, SCHEMA_VERSION, TABLES
from dashboard.core.store import DUCKDB_SCHEME, Store, StoreError, SyncBusy, Transaction, conform, holder, reading, utc_now

POLL_SECONDS = 0.2
SCRATCH = ".tmp"
"""What a write's private copy is named after: `<file>.tmp-<random>` (older versions used `<file>.tmp`)."""


def _migrate(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP)")
    current = con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]
    if current > SCHEMA_VERSION:
        raise StoreError(f"database schema version {current} is newer than this code ({SCHEMA_VERSION})")
    for version in range(current + 1, SCHEMA_VERSION + 1):
        for statement in MIGRATIONS[version - 1]:
            con.execute(statement)
        con.execute("INSERT INTO schema_version VALUES (?, ?)", [version, utc_now()])


class DuckDBTransaction(Transaction):
    """Writes to the private copy of the database that the transaction publishes."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        super().__init__()
        self._con = con

    def _upsert(self, table: str, frame: pd.DataFrame) -> int:
        """Insert or replace rows by the table's natural key, through DuckDB's bulk path."""
        rows = conform(table, frame)
        if rows.empty:
            return 0
        columns = ", ".join(f'"{name}"' for name in rows.columns)
        with self.staged("_incoming", rows):
            self._con.execute(f"INSERT OR REPLACE INTO {table} ({columns}) SELECT {columns} FROM _incoming")
        return len(rows)

    def _execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        self._con.execute(sql, list(params or []))

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        return self._con.execute(sql, list(params or [])).df()

    @contextmanager
    def staged(self, name: str, frame: pd.DataFrame) -> Iterator[None]:
        self._con.register(name, frame)
        try:
            yield
        finally:
            self._con.unregister(name)


class DuckDBStore(Store):
    """One organisation's canonical tables in a DuckDB file."""

    backend = "duckdb"

    def __init__(self, path: str | Path):
        self.path = Path(str(path).removeprefix(DUCKDB_SCHEME))

    @property
    def location(self) -> str:
        return str(self.path)

    @property
    def url(self) -> str:
        return str(self.path)

    def exists(self) -> bool:
        return self.path.exists()

    def version(self) -> str:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return "missing"
        return f"{stat.st_ino}-{stat.st_mtime_ns}-{stat.st_size}"

    def published_at(self) -> datetime | None:
        try:
            return datetime.fromtimestamp(self.path.stat().st_mtime, UTC).replace(tzinfo=None)
        except FileNotFoundError:
            return None

    def _beside(self, suffix: str) -> Path:
        return self.path.with_name(self.path.name + suffix)

    @contextmanager
    def _lock(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self._beside(".lock"), "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextmanager
    def transaction(self, fresh: bool = False) -> Iterator[Transaction]:
        """Change a private copy of the database and publish it atomically when the block ends.

        With `fresh=True` the copy starts empty (the demo rebuilds everything). If the block
        raises, the copy is thrown away and the published file is untouched.
        """
        with self._lock():
            self._remove_leftovers()
            work = self._beside(f"{SCRATCH}-{secrets.token_hex(8)}")
            if self.path.exists() and not fresh:
                shutil.copyfile(self.path, work)
            con = duckdb.connect(str(work))
            try:
                _migrate(con)
                con.execute("BEGIN TRANSACTION")
                tx = DuckDBTransaction(con)
                yield tx
                tx.seal()
                con.execute("COMMIT")
                con.execute("CHECKPOINT")
                con.close()
                os.replace(work, self.path)
            except BaseException:
                con.close()
                self._remove_leftovers()
                raise

    def _appended_file(self, table: str) -> Path:
        return self._beside(f".appended-{table}.jsonl")

    def append(self, table: str, row: dict[str, Any]) -> None:
        """One JSON line beside the database, written through to the disk: a transaction here copies
        the whole file (a large organisation's in about a second), which a run of many small
        records cannot pay per record. A line cut short by a kill is ignored when read."""
        conform(table, pd.DataFrame([row]))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self._appended_file(table), "a", encoding="utf-8") as handle:
            handle.write(json.dumps(row, default=_json_value) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def appended(self, table: str) -> pd.DataFrame:
        columns = TABLES[table].columns
        rows = []
        file = self._appended_file(table)
        if file.exists():
            for line in file.read_text(encoding="utf-8").splitlines():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
        frame = pd.DataFrame(rows, columns=list(columns))
        for column, kind in columns.items():
            if kind == "TIMESTAMP":
                frame[column] = pd.to_datetime(frame[column])
        return frame

    def fold(self, table: str) -> None:
        """Upsert the appended rows in one transaction, then drop the file: folding again after a
        kill between the two writes the same rows again, which changes nothing."""
        rows = self.appended(table)
        if not rows.empty:
            with self.transaction() as tx:
                tx.upsert(table, rows)
        self._appended_file(table).unlink(missing_ok=True)

    def _remove_leftovers(self) -> None:
        """Delete every scratch copy and its sidecar files (`.wal`, ...); only under the write lock."""
        for leftover in self.path.parent.glob(f"{glob.escape(self.path.name)}{SCRATCH}*"):
            leftover.unlink(missing_ok=True)

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if not self.path.exists():
            raise StoreError(f"no database at {self.path}: run `python -m dashboard demo` or a sync first")
        with reading(self, self._open_reader) as con:
            yield con

    def _open_reader(self) -> tuple[duckdb.DuckDBPyConnection, Callable[[], None]]:
        # Not duckdb.connect(path): within one process that shares the database instance of any
        # connection still open on the path, so while sessions overlap, every new reader would
        # keep reading the file as it was before the last publish. An in-memory instance of
        # its own that attaches the file sees the file as it is now.
        con = duckdb.connect(":memory:")
        try:
            con.execute(f"ATTACH '{str(self.path).replace(chr(39), chr(39) * 2)}' AS published (READ_ONLY)")
            con.execute("USE published")
        except BaseException:
            con.close()
            raise
        return con, con.close

    @contextmanager
    def sync_lock(self, source: str, wait: float = 0.0) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", source)
        deadline = time.monotonic() + max(wait, 0.0)
        with open(self._beside(f".sync-{name}.lock"), "a+") as handle:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as error:
                    if error.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                if time.monotonic() >= deadline:
                    raise SyncBusy(f"another sync of {source} is running ({_holder(handle)}); waited {wait:g} s") from None
                time.sleep(POLL_SECONDS)
            try:
                handle.seek(0)
                handle.truncate()
                handle.write(f"{holder()}, since {utc_now():%Y-%m-%d %H:%M:%S} UTC\n")
                handle.flush()
                yield
            finally:
                handle.seek(0)
                handle.truncate()
                handle.flush()
                fcntl.flock(handle, fcntl.LOCK_UN)


def _json_value(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot keep {type(value).__name__} in an appended row")


def _holder(handle) -> str:
    """Who holds a sync lock file, as its holder wrote it (just after taking the lock, so allow it a moment)."""
    for _ in range(10):
        handle.seek(0)
        who = handle.read().strip()
        if who:
            return who
        time.sleep(0.1)
    return "another process"
