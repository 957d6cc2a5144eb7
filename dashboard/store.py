"""The canonical tables in one embedded DuckDB file.

DuckDB lets one process hold a file for writing and then no other process may open it, not
even to read. So the store never writes the published file in place: a write copies it,
changes the copy in one transaction and publishes it with an atomic rename, under a lock
file so two writers take turns. Readers open short-lived read-only connections, so a sync in
another process never breaks the dashboard and a failed write leaves the last good data.
"""
from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd

from dashboard.schema import MIGRATIONS, SCHEMA_VERSION, TABLES


class StoreError(RuntimeError):
    """The store cannot be opened or a write does not fit the canonical tables."""


def _migrate(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP)")
    current = con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]
    if current > SCHEMA_VERSION:
        raise StoreError(f"database schema version {current} is newer than this code ({SCHEMA_VERSION})")
    for version in range(current + 1, SCHEMA_VERSION + 1):
        for statement in MIGRATIONS[version - 1]:
            con.execute(statement)
        con.execute("INSERT INTO schema_version VALUES (?, ?)", [version, datetime.now(timezone.utc).replace(tzinfo=None)])


def _conform(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Check a frame against the declared table and order its columns; keep the last of duplicate keys."""
    spec = TABLES.get(table)
    if spec is None:
        raise StoreError(f"unknown table {table!r}")
    missing = [c for c in spec.columns if c not in frame.columns]
    extra = [c for c in frame.columns if c not in spec.columns]
    if missing or extra:
        raise StoreError(f"table {table}: missing columns {missing}, unknown columns {extra}")
    nulls = [k for k in spec.key if frame[k].isna().any()]
    if nulls:
        raise StoreError(f"table {table}: key column(s) {nulls} have empty values")
    return frame[list(spec.columns)].drop_duplicates(subset=list(spec.key), keep="last")


class Transaction:
    """Writes inside one `Store.transaction()`; all of them are published together or none."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    def upsert(self, table: str, frame: pd.DataFrame) -> int:
        """Insert or replace rows by the table's natural key, through DuckDB's bulk path."""
        rows = _conform(table, frame)
        if rows.empty:
            return 0
        columns = ", ".join(f'"{name}"' for name in rows.columns)
        self.con.register("_incoming", rows)
        try:
            self.con.execute(f"INSERT OR REPLACE INTO {table} ({columns}) SELECT {columns} FROM _incoming")
        finally:
            self.con.unregister("_incoming")
        return len(rows)

    def replace(self, table: str, frame: pd.DataFrame) -> int:
        """Replace the whole table (used for derived tables rebuilt after each sync)."""
        self.con.execute(f"DELETE FROM {table}")
        return self.upsert(table, frame)

    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        return self.con.execute(sql, params or []).df()


class Store:
    """One organisation's canonical tables in a DuckDB file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def exists(self) -> bool:
        return self.path.exists()

    def version(self) -> str:
        """A token that changes whenever a write is published; cached reads key on it."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return "missing"
        return f"{stat.st_ino}-{stat.st_mtime_ns}-{stat.st_size}"

    @contextmanager
    def _lock(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "w") as handle:
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
            work = self.path.with_name(self.path.name + ".tmp")
            work.unlink(missing_ok=True)
            if self.path.exists() and not fresh:
                shutil.copyfile(self.path, work)
            con = duckdb.connect(str(work))
            try:
                _migrate(con)
                con.execute("BEGIN TRANSACTION")
                yield Transaction(con)
                con.execute("COMMIT")
                con.execute("CHECKPOINT")
                con.close()
                os.replace(work, self.path)
            except BaseException:
                con.close()
                work.unlink(missing_ok=True)
                raise

    def migrate(self) -> None:
        """Create the file or bring its schema up to date."""
        with self.transaction():
            pass

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if not self.path.exists():
            raise StoreError(f"no database at {self.path}: run `python -m dashboard demo` or a sync first")
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            yield con
        finally:
            con.close()

    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        with self.reader() as con:
            return con.execute(sql, params or []).df()

    def table(self, name: str) -> pd.DataFrame:
        """All rows of a canonical table, with its declared columns even when empty."""
        if name not in TABLES:
            raise StoreError(f"unknown table {name!r}")
        return self.query(f"SELECT * FROM {name}")

    def tables(self, *names: str) -> dict[str, pd.DataFrame]:
        with self.reader() as con:
            return {name: con.execute(f"SELECT * FROM {name}").df() for name in names}


def open_store(settings=None) -> Store:
    from dashboard.config import load_settings

    settings = settings or load_settings()
    url = settings.database_url()
    if url.startswith(("postgres://", "postgresql://")):
        raise StoreError("PostgreSQL is not supported yet: set PRODOPS_DB to a DuckDB file path")
    return Store(url.removeprefix("duckdb://"))
