"""The canonical tables in a PostgreSQL database (a shared deployment: several dashboard
processes and a scheduled sync on one database).

PostgreSQL has none of DuckDB's one-process-per-file limit, so a write is simply one
transaction: readers keep seeing the last committed data (MVCC) until it commits, and see
none of it if it fails. Writers take turns on a transaction-level advisory lock, as DuckDB's
writers do on their lock file. Bulk writes go through `COPY` into a temporary table, then one
`INSERT ... ON CONFLICT (key) DO UPDATE` (the upsert by natural key). A reader is one
read-only REPEATABLE READ transaction, so every query in a `reader()` block sees the same
published state.

The schema is the one `dashboard.core.schema` declares, in PostgreSQL's types (VARCHAR is text,
DOUBLE is double precision, TIMESTAMP is a timestamp without time zone holding UTC). Next to
it live `store_published` (a counter every write bumps: the version token cached pages key
on) and two functions the pages' SQL uses under their DuckDB names: `duckdb_tables()` and
`arg_max(value, key)`.

A sync's lock is a session-level advisory lock keyed by its source, held on a connection of
its own for the whole sync (and dropped with it if the process dies).
"""
from __future__ import annotations

import contextlib
import math
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from datetime import time as clock_time
from itertools import count
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql as pgsql

from dashboard.core.schema import MIGRATIONS, SCHEMA_VERSION, TABLES
from dashboard.core.store import Store, StoreError, SyncBusy, Transaction, conform, holder, reading, utc_now
from dashboard.core.store.postgres_sql import (
    _COPY_TYPES,
    COMPAT,
    COMPAT_VERSION,
    CONNECT_TIMEOUT,
    NAMESPACE,
    POLL_SECONDS,
    WRITE_LOCK,
    PostgresReader,
    PostgresResult,
    _missing,
    _run,
    dialect,
    lock_key,
    redact,
)

# --- writing ------------------------------------------------------------------------------------------


def _python(series: pd.Series, kind: str) -> list:
    """A column as the Python values COPY's binary dumpers take for the declared type."""
    if kind in ("TIMESTAMP", "DATE"):
        stamps = pd.to_datetime(series)
        if getattr(stamps.dt, "tz", None) is not None:
            stamps = stamps.dt.tz_convert(UTC).dt.tz_localize(None) if kind == "TIMESTAMP" else stamps.dt.tz_localize(None)
        unit = "datetime64[us]" if kind == "TIMESTAMP" else "datetime64[D]"
        return stamps.to_numpy().astype(unit).astype(object).tolist()
    if kind == "VARCHAR[]":
        return [None if v is None or (isinstance(v, float) and math.isnan(v)) else [None if _missing(x) else str(x) for x in v]
                for v in series.tolist()]
    missing = series.isna().to_numpy()
    if kind == "VARCHAR":
        values = [v if v.__class__ is str else str(v) for v in series.to_numpy(dtype=object, na_value="")]
    elif kind == "TIME":
        values = [v if isinstance(v, clock_time) else clock_time.fromisoformat(str(v)) for v in series.to_numpy(dtype=object, na_value="00:00")]
    elif kind == "BOOLEAN":
        values = series.to_numpy(dtype=object, na_value=False).astype(bool).tolist()
    elif kind in ("INTEGER", "BIGINT"):
        values = series.to_numpy(dtype=object, na_value=0).astype("int64").tolist()
    elif kind == "DOUBLE":
        values = series.to_numpy(dtype="float64", na_value=np.nan).tolist()
    else:
        raise StoreError(f"no COPY conversion for type {kind}")
    for position in np.flatnonzero(missing):
        values[position] = None
    return values


def _staged_types(frame: pd.DataFrame) -> dict[str, str]:
    """Declared (DuckDB) types for a staged frame's columns, from its dtypes."""
    kinds = {}
    for name, dtype in frame.dtypes.items():
        if pd.api.types.is_bool_dtype(dtype):
            kinds[name] = "BOOLEAN"
        elif pd.api.types.is_integer_dtype(dtype):
            kinds[name] = "BIGINT"
        elif pd.api.types.is_float_dtype(dtype):
            kinds[name] = "DOUBLE"
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            kinds[name] = "TIMESTAMP"
        else:
            kinds[name] = "VARCHAR"
    return kinds


class PostgresTransaction(Transaction):
    """Writes inside one PostgreSQL transaction; they commit together when the block ends."""

    def __init__(self, connection: psycopg.Connection):
        super().__init__()
        self._connection = connection
        self._names = count(1)

    def _copy(self, table: str, frame: pd.DataFrame, kinds: dict[str, str]) -> None:
        columns = list(frame.columns)
        target = pgsql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
            pgsql.Identifier(table), pgsql.SQL(", ").join(pgsql.Identifier(c) for c in columns)
        )
        values = [_python(frame[c], kinds[c]) for c in columns]
        with self._connection.cursor() as cursor, cursor.copy(target) as copy:
            copy.set_types([_COPY_TYPES[kinds[c]] for c in columns])
            for row in zip(*values):
                copy.write_row(row)

    def _upsert(self, table: str, frame: pd.DataFrame) -> int:
        """COPY the rows into a temporary table, then insert them or update by the natural key."""
        rows = conform(table, frame)
        if rows.empty:
            return 0
        spec = TABLES[table]
        temp = f"_incoming_{next(self._names)}"
        columns = ", ".join(f'"{c}"' for c in spec.columns)
        self._connection.execute(f"CREATE TEMP TABLE {temp} (LIKE {table}) ON COMMIT DROP".encode())
        self._copy(temp, rows, dict(spec.columns))
        updates = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in spec.columns if c not in spec.key)
        keys = ", ".join(f'"{c}"' for c in spec.key)
        self._connection.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {temp} "
            f"ON CONFLICT ({keys}) {'DO UPDATE SET ' + updates if updates else 'DO NOTHING'}".encode()
        )
        self._connection.execute(f"DROP TABLE {temp}".encode())
        return len(rows)

    def _execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        with self._connection.cursor() as cursor:
            _run(cursor, sql, params)

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        return PostgresResult(self._connection, sql, params).df()

    @contextmanager
    def staged(self, name: str, frame: pd.DataFrame) -> Iterator[None]:
        kinds = _staged_types(frame)
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise StoreError(f"not a table name: {name!r}")
        columns = ", ".join(f'"{c}" {dialect(kinds[c])}' for c in frame.columns)
        self._connection.execute(f"CREATE TEMP TABLE {name} ({columns}) ON COMMIT DROP".encode())
        try:
            if len(frame):
                self._copy(name, frame, kinds)
            yield
        finally:
            if self._connection.info.transaction_status != psycopg.pq.TransactionStatus.INERROR:
                self._connection.execute(f"DROP TABLE IF EXISTS {name}".encode())


class _Shared:
    """The connection a process keeps to one database for the store's small questions."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.connection: psycopg.Connection | None = None
        self.pid: int | None = None


_SHARED: dict[str, _Shared] = {}
_SHARED_GUARD = threading.Lock()


class _PublishedLocation:
    """Stands in for DuckDB's `store.path` where code shows it or asks when it was written."""

    def __init__(self, store: PostgresStore):
        self._store = store

    def __str__(self) -> str:
        return self._store.location

    def __repr__(self) -> str:
        return repr(self._store.location)

    def exists(self) -> bool:
        return self._store.exists()

    def stat(self) -> SimpleNamespace:
        published = self._store.published_at()
        if published is None:
            raise FileNotFoundError(self._store.location)
        return SimpleNamespace(st_mtime=published.replace(tzinfo=UTC).timestamp())


class PostgresStore(Store):
    """One organisation's canonical tables in a PostgreSQL database, named by a URL."""

    backend = "postgres"

    def __init__(self, url: str):
        self._url = str(url)
        self.path = _PublishedLocation(self)

    @property
    def location(self) -> str:
        return redact(self._url)

    @property
    def url(self) -> str:
        return self._url

    def _connect(self, *, autocommit: bool = False, application_name: str = "prodops") -> psycopg.Connection:
        try:
            return psycopg.connect(
                self._url, autocommit=autocommit, connect_timeout=CONNECT_TIMEOUT, application_name=application_name[:63]
            )
        except psycopg.OperationalError as error:
            reason = redact(str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__)
            if "does not exist" in reason:
                raise StoreError(
                    f"no database at {self.location} ({reason}): create it, then run `python -m dashboard demo` or a sync"
                ) from None
            raise StoreError(f"cannot connect to the database at {self.location}: {reason}") from None

    def _scalar(self, sql: str) -> Any:
        """One value, or None when the store has no tables yet.

        A page view asks these small questions (is there data, which version) a hundred times,
        so they share one autocommit connection per database and process instead of connecting
        each time; a connection the server dropped is replaced once, transparently.
        """
        with _SHARED_GUARD:
            shared = _SHARED.setdefault(self._url, _Shared())
        with shared.lock:
            for attempt in (1, 2):
                if shared.connection is None or shared.connection.closed or shared.pid != os.getpid():
                    try:
                        shared.connection, shared.pid = self._connect(autocommit=True), os.getpid()
                    except StoreError as error:
                        if "no database at" in str(error):
                            return None
                        raise
                try:
                    if shared.connection.execute(b"SELECT to_regclass('store_published') IS NULL").fetchone()[0]:
                        return None
                    return shared.connection.execute(sql.encode()).fetchone()[0]
                except psycopg.OperationalError as error:
                    shared.connection.close()
                    shared.connection = None
                    if attempt == 2:
                        raise StoreError(f"lost the connection to the database at {self.location}: {redact(str(error))}") from None
        return None

    def exists(self) -> bool:
        return self._scalar("SELECT true") is not None

    def version(self) -> str:
        version = self._scalar("SELECT version FROM store_published")
        return "missing" if version is None else f"pg-{version}"

    def published_at(self) -> datetime | None:
        return self._scalar("SELECT published_at FROM store_published")

    @contextmanager
    def transaction(self, fresh: bool = False) -> Iterator[Transaction]:
        """One PostgreSQL transaction: committed when the block ends, rolled back if it raises.

        With `fresh=True` every canonical table is emptied first, in the same transaction, so
        readers see the old data until the new data commits.
        """
        connection = self._connect()
        try:
            with connection.transaction():
                connection.execute("SELECT pg_advisory_xact_lock(%s, %s)", [NAMESPACE, WRITE_LOCK])
                _migrate(connection)
                tx = PostgresTransaction(connection)
                if fresh:
                    for name in TABLES:
                        tx.execute(f"DELETE FROM {name}")
                yield tx
                tx.seal()
                connection.execute(
                    b"UPDATE store_published SET version = version + 1, published_at = now() AT TIME ZONE 'UTC'"
                )
        finally:
            connection.close()

    @contextmanager
    def reader(self) -> Iterator[PostgresReader]:
        with reading(self, self._open_reader) as reader:
            try:
                yield reader
            finally:
                reader.recover()

    def _open_reader(self) -> tuple[PostgresReader, Callable[[], None]]:
        connection = self._connect()
        try:
            connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            connection.read_only = True
            if connection.execute(b"SELECT to_regclass('schema_version') IS NULL").fetchone()[0]:
                raise StoreError(f"no data at {self.location}: run `python -m dashboard demo` or a sync first")
        except BaseException:
            connection.close()
            raise
        return PostgresReader(connection), connection.close

    @contextmanager
    def sync_lock(self, source: str, wait: float = 0.0) -> Iterator[None]:
        connection = self._connect(autocommit=True, application_name=f"prodops sync {source}, {holder()}")
        key = [NAMESPACE, lock_key(f"sync:{source}")]
        try:
            deadline = time.monotonic() + max(wait, 0.0)
            while not connection.execute("SELECT pg_try_advisory_lock(%s, %s)", key).fetchone()[0]:
                if time.monotonic() >= deadline:
                    raise SyncBusy(f"another sync of {source} is running ({_holder(connection, key)}); waited {wait:g} s")
                time.sleep(POLL_SECONDS)
            try:
                yield
            finally:
                # Released before the connection closes: the server ends a closed session (and
                # frees its locks) a moment later, and the next run of the source must not find
                # the lock still held by a run that has finished.
                with contextlib.suppress(psycopg.Error):  # a lost connection has no lock left to free
                    connection.execute("SELECT pg_advisory_unlock(%s, %s)", key)
        finally:
            connection.close()


def _holder(connection: psycopg.Connection, key: list[int]) -> str:
    """Who holds an advisory lock, from the server's own view of its sessions."""
    found = connection.execute(
        """
        SELECT a.application_name, a.backend_start FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s AND l.objid = %s AND l.objsubid = 2
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        """,
        key,
    ).fetchone()
    if not found or not found[0]:
        return "another process"
    name, since = found
    when = f", since {since.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC" if since else ""
    return f"{name.removeprefix('prodops sync ').split(', ', 1)[-1]}{when}"


def _migrate(connection: psycopg.Connection) -> None:
    """Bring the schema up to date; runs under the write lock, inside the write's transaction."""
    connection.execute(b"CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP)")
    connection.execute(
        b"CREATE TABLE IF NOT EXISTS store_published (id INTEGER PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL,"
        b" published_at TIMESTAMP, compat INTEGER NOT NULL DEFAULT 0)"
    )
    connection.execute(b"INSERT INTO store_published (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING")
    current = connection.execute(b"SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]
    if current > SCHEMA_VERSION:
        raise StoreError(f"database schema version {current} is newer than this code ({SCHEMA_VERSION})")
    for version in range(current + 1, SCHEMA_VERSION + 1):
        for statement in MIGRATIONS[version - 1]:
            connection.execute(dialect(statement).encode())
        connection.execute("INSERT INTO schema_version VALUES (%s, %s)", [version, utc_now()])
    if connection.execute(b"SELECT compat FROM store_published").fetchone()[0] < COMPAT_VERSION:
        for statement in COMPAT:
            connection.execute(statement.encode())
        connection.execute("UPDATE store_published SET compat = %s", [COMPAT_VERSION])
