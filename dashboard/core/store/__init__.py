"""The canonical tables, in an embedded DuckDB file or a PostgreSQL database, chosen by a URL.

`Store(location)` opens either backend: a file path (or `duckdb:///path`) is a DuckDB file, a
`postgresql://` (or `postgres://`) URL is a PostgreSQL database. Both give the same API, the
same schema and migrations (`dashboard.core.schema`) and the same semantics:

- `store.transaction()` yields a `Transaction` whose writes are published together when the
  block ends, or not at all if it raises. Readers never see part of one.
- `store.reader()` yields a read-only connection for a read (or a page's run, `shared_readers`): `con.execute(sql, params)`
  returns a result with `.df()`, `.fetchone()` and `.fetchall()`. All reads in one block see
  one published state.
- SQL takes `?` placeholders on both backends. The few DuckDB functions the pages use
  (`duckdb_tables()`, `arg_max`) exist on PostgreSQL too; anything else must be portable.
- `store.sync_lock(source, wait)` lets one sync per source run at a time, across processes
  and hosts; a second one waits up to `wait` seconds and then raises `SyncBusy`.

How each backend keeps readers and writers apart is in its module: `dashboard.core.store.duckdb`
(copy, change, publish by an atomic rename) and `dashboard.core.store.postgres` (one transaction,
MVCC, bulk writes through COPY).
"""
from __future__ import annotations

import os
import re
import socket
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from dashboard.core.schema import DATED_COLUMNS, SERIES_INPUTS, SERIES_STATE, TABLES

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
DUCKDB_SCHEME = "duckdb://"


class StoreError(RuntimeError):
    """The store cannot be opened or a write does not fit the canonical tables."""


class SyncBusy(StoreError):
    """Another sync of the same source holds its lock (and did not let go within the wait)."""


class Result(Protocol):
    """What `con.execute(...)` returns inside `store.reader()`, on either backend."""

    def df(self) -> pd.DataFrame: ...

    def fetchone(self) -> tuple | None: ...

    def fetchall(self) -> list[tuple]: ...


class Reader(Protocol):
    """The connection `store.reader()` yields: `execute(sql, params)` with `?` placeholders."""

    def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> Result: ...


_WRITES = re.compile(r"\s*(?:DELETE\s+FROM|UPDATE|INSERT\s+(?:OR\s+\w+\s+)?INTO|TRUNCATE(?:\s+TABLE)?)\s+(\w+)", re.I)


def conform(table: str, frame: pd.DataFrame) -> pd.DataFrame:
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


def holder() -> str:
    """Who takes a lock, as a lock's holder is described to whoever waits for it."""
    return f"pid {os.getpid()} on {socket.gethostname()}"


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Transaction(ABC):
    """Writes inside one `Store.transaction()`; all of them are published together or none.

    SQL given to `execute` and `query` uses `?` placeholders and must be portable (DuckDB and
    PostgreSQL): plain DELETE/UPDATE/SELECT, `DELETE ... USING` a staged frame, no
    backend-specific functions.

    The transaction remembers which tables it wrote (`touched`), so that `seal` can tell when
    stored metric series no longer describe the data being published.
    """

    def __init__(self) -> None:
        self.touched: set[str] = set()

    def upsert(self, table: str, frame: pd.DataFrame) -> int:
        """Insert or replace rows by the table's natural key, through the backend's bulk path."""
        self.touched.add(table)
        return self._upsert(table, frame)

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """Run one statement that returns nothing (DELETE, UPDATE)."""
        written = _WRITES.match(sql)
        if written:
            self.touched.add(written.group(1).lower())
        self._execute(sql, params)

    def seal(self) -> None:
        """Called by the backend just before it publishes.

        Metric series are computed in the transaction that writes their inputs. A write that
        changed an input and did not compute them again (a roster load, say) deletes their state
        row, so pages compute live from the new data until the next refresh instead of showing
        numbers of the data before. A write of any dated table does the same, since the state
        also keeps the first day a dated record exists.
        """
        if self.touched & {*SERIES_INPUTS, *DATED_COLUMNS} and SERIES_STATE not in self.touched:
            self._execute(f"DELETE FROM {SERIES_STATE}")

    @abstractmethod
    def _upsert(self, table: str, frame: pd.DataFrame) -> int:
        """The backend's bulk insert-or-replace by natural key."""

    @abstractmethod
    def _execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """The backend's statement without result."""

    def replace(self, table: str, frame: pd.DataFrame) -> int:
        """Replace the whole table (used for derived tables rebuilt after each sync)."""
        conform(table, frame)
        self.execute(f"DELETE FROM {table}")
        return self.upsert(table, frame)

    @abstractmethod
    def query(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Rows as this transaction sees them (its own writes included)."""

    def delete_where(self, table: str, column: str, values: Sequence[Any]) -> None:
        """Delete the rows of `table` whose `column` is one of `values`."""
        if table not in TABLES or column not in TABLES[table].columns:
            raise StoreError(f"unknown table or column {table}.{column}")
        if len(values) == 0:
            return
        keys = pd.DataFrame({"value": list(dict.fromkeys(values))})
        with self.staged("_delete_keys", keys):
            self.execute(f'DELETE FROM {table} WHERE "{column}" IN (SELECT value FROM _delete_keys)')

    @abstractmethod
    def staged(self, name: str, frame: pd.DataFrame) -> AbstractContextManager[None]:
        """Make `frame` a table called `name` that SQL in this transaction can join, for the block.

        Column types follow the frame's dtypes (bool, integer, float, datetime, else text), so
        give a frame the dtypes its SQL needs even when it is empty.
        """


class Store(ABC):
    """One organisation's canonical tables. `Store(location)` opens the backend the location names."""

    backend: str
    """"duckdb" or "postgres"."""

    def __new__(cls, location: str | Path, *args: Any, **kwargs: Any) -> Store:
        backend = cls
        if cls is Store:
            if str(location).startswith(POSTGRES_SCHEMES):
                from dashboard.core.store.postgres import PostgresStore as backend
            else:
                from dashboard.core.store.duckdb import DuckDBStore as backend
        return super().__new__(backend)

    @property
    @abstractmethod
    def location(self) -> str:
        """Where the data is, fit to show (a PostgreSQL URL without its password)."""

    @property
    @abstractmethod
    def url(self) -> str:
        """What `Store(...)` or `PRODOPS_DB` takes to open this store again. It may hold a
        password: pass it on, never show or log it (that is `location`)."""

    @abstractmethod
    def exists(self) -> bool:
        """Whether there is a database with the canonical tables to read."""

    @abstractmethod
    def version(self) -> str:
        """A token that changes whenever a write is published; cached reads key on it."""

    @abstractmethod
    def published_at(self) -> datetime | None:
        """When the last write was published (naive UTC), or None when there is no data."""

    @abstractmethod
    def transaction(self, fresh: bool = False) -> AbstractContextManager[Transaction]:
        """Writes published together when the block ends; nothing changes if it raises.

        With `fresh=True` the block starts from empty tables (the demo rebuilds everything).
        Writers take turns; readers keep seeing the last published data meanwhile.
        """

    @abstractmethod
    def reader(self) -> AbstractContextManager[Reader]:
        """A read-only connection on the last published data, for one read, or shared by the reads of a
        page's run (`shared_readers`)."""

    @abstractmethod
    def sync_lock(self, source: str, wait: float = 0.0) -> AbstractContextManager[None]:
        """Hold the lock that lets one sync of `source` run at a time (across processes and hosts).

        Waits up to `wait` seconds for another holder to finish, then raises `SyncBusy` naming
        it. The lock goes when the block ends or the process dies.
        """

    def migrate(self) -> None:
        """Create the tables or bring their schema up to date."""
        with self.transaction():
            pass

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        with self.reader() as con:
            return con.execute(sql, params or []).df()

    def append(self, table: str, row: dict[str, Any]) -> None:
        """Keep one row of `table` durably before returning, as cheaply as the backend allows.

        For state written once per action that a kill must not lose (a digest handed to the mail
        server): the row is kept at once, and reaches the table itself by `fold` at the latest.
        Here it is a transaction of its own; a backend whose transactions are dear keeps the row
        aside until `fold`. Read the table through `with_appended`.
        """
        with self.transaction() as tx:
            tx.upsert(table, pd.DataFrame([row]))

    def appended(self, table: str) -> pd.DataFrame:
        """Rows `append` kept aside and `fold` has not written to the table yet, oldest first."""
        return pd.DataFrame(columns=list(TABLES[table].columns))

    def fold(self, table: str) -> None:  # noqa: B027 - nothing is kept aside unless a backend does
        """Write every row `append` kept aside into the table, in one transaction."""

    def with_appended(self, table: str) -> pd.DataFrame:
        """The table's rows with those kept aside laid over them by key, as if folded."""
        stored = self.table(table) if self.has_table(table) else pd.DataFrame(columns=list(TABLES[table].columns))
        aside = self.appended(table)
        if aside.empty:
            return stored
        return conform(table, pd.concat([stored, aside], ignore_index=True)).reset_index(drop=True)

    def has_table(self, name: str) -> bool:
        """Whether the database holds `name`: a store written before a migration lacks its tables
        until the next write brings the schema up to date, and a reader never migrates."""
        if not self.exists():
            return False
        found = self.query("SELECT count(*) AS n FROM information_schema.tables WHERE table_name = ?", [name])
        return int(found["n"].iloc[0]) > 0

    def table(self, name: str) -> pd.DataFrame:
        """All rows of a canonical table, with its declared columns even when empty."""
        if name not in TABLES:
            raise StoreError(f"unknown table {name!r}")
        return self.query(f"SELECT * FROM {name}")

    def tables(self, *names: str) -> dict[str, pd.DataFrame]:
        with self.reader() as con:
            return {name: con.execute(f"SELECT * FROM {name}").df() for name in names}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.location!r})"


_RUN_READERS: ContextVar[dict[tuple[str, str], tuple[Any, Callable[[], None]]] | None] = ContextVar(
    "prodops_run_readers", default=None)


@contextmanager
def shared_readers() -> Iterator[None]:
    """Within the block (one run of a page), a store's readers share one connection per published
    version, closed when the block ends.

    A page's run opens a reader for each of its 15 to 25 reads. Opening one costs about 25 ms on a
    large organisation's DuckDB file (attaching it reads its catalogue) and about 7 ms on PostgreSQL
    (a connection): up to half a second of a cold page, and most of a warm page that reads the store
    on every run. A version published meanwhile gets a reader of its own, so a run still reads what
    it wrote.
    """
    token = _RUN_READERS.set({})
    try:
        yield
    finally:
        for _, close in _RUN_READERS.get().values():
            close()
        _RUN_READERS.reset(token)


@contextmanager
def reading(store: Store, open_reader: Callable[[], tuple[Any, Callable[[], None]]]) -> Iterator[Any]:
    """A backend's `reader()`: the one `store` shares within the run (`shared_readers`) for its current
    version, opened by `open_reader() -> (reader, close)` on first use; outside a run, one of its own,
    closed when the block ends."""
    shared = _RUN_READERS.get()
    if shared is None:
        reader, close = open_reader()
        try:
            yield reader
        finally:
            close()
        return
    key = (store.url, store.version())
    if key not in shared:
        shared[key] = open_reader()
    yield shared[key][0]


def open_store(settings=None) -> Store:
    """The store the settings name (`PRODOPS_DB`, else `database` in prodops.toml, else the default file)."""
    from dashboard.core.config import load_settings

    settings = settings or load_settings()
    return Store(settings.database_url())


__all__ = ["Reader", "Result", "Store", "StoreError", "SyncBusy", "Transaction", "conform", "open_store", "shared_readers"]
