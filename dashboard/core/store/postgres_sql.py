"""DuckDB's SQL on PostgreSQL: the dialect, the compatibility functions the pages' SQL calls, advisory
lock keys, and query results shaped as DuckDB's `.df()` shapes them, so callers cannot tell the two apart."""
from __future__ import annotations

import math
import re
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
from pyarrow import csv as pa_csv

NAMESPACE = 0x50524F44
"""First key of every advisory lock this store takes ("PROD"); the second names the lock."""
WRITE_LOCK = 0
POLL_SECONDS = 0.25
CONNECT_TIMEOUT = 10
COMPAT_VERSION = 1
"""Bump when `COMPAT` changes; a write then recreates the functions."""

COMPAT = [
    # The tables of the store's own schema, as DuckDB's duckdb_tables() lists them.
    """
    CREATE OR REPLACE FUNCTION duckdb_tables() RETURNS TABLE (table_name text) LANGUAGE sql STABLE AS $$
      SELECT t.table_name::text FROM information_schema.tables t
      WHERE t.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
    $$
    """,
    # arg_max(value, key): the value on the row with the greatest non-null key, any two types.
    """
    CREATE OR REPLACE FUNCTION prodops_arg_max_step(state jsonb, v anyelement, k anycompatible) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE AS $$
    DECLARE best k%TYPE;
    BEGIN
      IF k IS NULL THEN RETURN state; END IF;
      IF state IS NOT NULL THEN
        best := state->>'k';
        IF k <= best THEN RETURN state; END IF;
      END IF;
      RETURN jsonb_build_object('v', v::text, 'k', k::text);
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION prodops_arg_max_final(state jsonb, v anyelement, k anycompatible) RETURNS anyelement
    LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN $0 := state->>'v'; RETURN $0; END $$
    """,
    """
    CREATE OR REPLACE AGGREGATE arg_max(anyelement, anycompatible) (
      SFUNC = prodops_arg_max_step, STYPE = jsonb, FINALFUNC = prodops_arg_max_final, FINALFUNC_EXTRA
    )
    """,
]

# DuckDB's names for the types `dashboard.core.schema` declares, as PostgreSQL spells them.
_DIALECT = [(re.compile(r"\bDOUBLE\b(?!\s+PRECISION)", re.IGNORECASE), "DOUBLE PRECISION"), (re.compile(r"\bVARCHAR\b", re.IGNORECASE), "TEXT")]
# Types for COPY ... (FORMAT BINARY), by declared type.
_COPY_TYPES = {
    "VARCHAR": "text", "VARCHAR[]": "text[]", "TIMESTAMP": "timestamp", "DATE": "date", "TIME": "time",
    "BOOLEAN": "bool", "INTEGER": "int4", "BIGINT": "int8", "DOUBLE": "float8",
}
_TEXT_OIDS = {25, 1043, 1042, 19, 705}
_INT_OIDS = {21: "int32", 23: "int32", 20: "int64"}  # int2 and int4 read as DuckDB's INTEGER does
_FLOAT_OIDS = {700, 701, 1700}
_ARRAY_OIDS = {1009, 1015, 1000, 1005, 1007, 1016, 1021, 1022, 1182, 1115, 1183}


def dialect(statement: str) -> str:
    """A migration statement written for DuckDB, in PostgreSQL's type names."""
    for pattern, replacement in _DIALECT:
        statement = pattern.sub(replacement, statement)
    return statement


def redact(url: str) -> str:
    """The URL without its password, fit for a log, an error or the screen."""
    url = re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)
    return re.sub(r"(?i)(password=)[^&\s]*", r"\1***", url)


def portable(sql: str) -> str:
    """`?` placeholders as psycopg's `%s` (and a literal `%` as `%%`), outside quotes and comments."""
    out, i, n = [], 0, len(sql)
    while i < n:
        char = sql[i]
        if char in "'\"":
            end = i + 1
            while end < n:
                if sql[end] == char:
                    if end + 1 < n and sql[end + 1] == char:
                        end += 2
                        continue
                    break
                end += 1
            out.append(sql[i : end + 1].replace("%", "%%"))
            i = end + 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            out.append(sql[i:end].replace("%", "%%"))
            i = end
        elif char == "?":
            out.append("%s")
            i += 1
        elif char == "%":
            out.append("%%")
            i += 1
        else:
            out.append(char)
            i += 1
    return "".join(out)


def lock_key(name: str) -> int:
    """The second advisory-lock key of a named lock (a positive int4)."""
    return zlib.crc32(name.encode()) & 0x7FFFFFFF or 1


# --- reading: results shaped as DuckDB's .df() shapes them ------------------------------------------


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def _column(values: list, oid: int) -> Any:
    """One result column as DuckDB's `.df()` would give it (dtypes the metrics code relies on)."""
    nulls = any(v is None for v in values)
    if oid in _TEXT_OIDS:  # DuckDB: pandas' str dtype, but plain objects (None) when no row has a value
        return _nones(len(values)) if all(v is None for v in values) else pd.array(values, dtype="str")
    if oid == 16:
        return pd.array(values, dtype="boolean") if nulls else np.array(values, dtype=bool)
    if oid in _INT_OIDS:
        kind = _INT_OIDS[oid]
        return pd.array(values, dtype=kind.capitalize()) if nulls else np.array(values, dtype=kind)
    if oid in _FLOAT_OIDS:
        return np.array([np.nan if v is None else float(v) for v in values], dtype="float64")
    if oid in (1082, 1114):
        return pd.to_datetime(pd.Series(values, dtype=object)).astype("datetime64[us]").array
    if oid == 1184:
        return pd.to_datetime(pd.Series(values, dtype=object), utc=True).astype("datetime64[us, UTC]").array
    if oid in _ARRAY_OIDS:
        column = np.empty(len(values), dtype=object)
        column[:] = [None if v is None else np.array(v, dtype=object) for v in values]
        return column
    column = np.empty(len(values), dtype=object)
    column[:] = values
    return column


def _nones(count: int) -> np.ndarray:
    column = np.empty(count, dtype=object)
    column[:] = None
    return column


def _shaped(columns: list, description, count: int) -> pd.DataFrame:
    """A result's columns as a frame with its column names (which a query may repeat)."""
    frame = pd.DataFrame(dict(enumerate(columns)), index=pd.RangeIndex(count))
    frame.columns = [column.name for column in description]
    return frame


class PostgresResult:
    """Rows of one query: `.df()`, `.fetchone()`, `.fetchall()` as on a DuckDB connection.

    The query runs when its result is first asked for: `.df()` reads it as columns (`_as_columns`),
    the others row by row.
    """

    def __init__(self, connection: psycopg.Connection, sql: str, parameters: Sequence[Any] | None):
        self._connection, self._sql, self._parameters = connection, sql, parameters
        self._cursor: psycopg.Cursor | None = None

    def _rows(self) -> psycopg.Cursor:
        if self._cursor is None:
            self._cursor = self._connection.cursor()
            _run(self._cursor, self._sql, self._parameters)
        return self._cursor

    @property
    def description(self):
        return self._rows().description

    def fetchone(self) -> tuple | None:
        return self._rows().fetchone()

    def fetchall(self) -> list[tuple]:
        return self._rows().fetchall()

    def df(self) -> pd.DataFrame:
        if self._cursor is None:
            found = _as_columns(self._connection, self._sql, self._parameters)
            if found is not None:
                return found
        return _frame(self._rows())

    fetchdf = df


def _frame(cursor: psycopg.Cursor) -> pd.DataFrame:
    """A cursor's rows as DuckDB's `.df()` shapes them, turned into columns in Python."""
    description = cursor.description or []
    rows = cursor.fetchall()
    columns = list(zip(*rows)) if rows else [() for _ in description]
    return _shaped([_column(list(values), column.type_code) for values, column in zip(columns, description)],
                   description, len(rows))


_ARROW_TYPES = {
    **dict.fromkeys(_TEXT_OIDS, pa.string()), 16: pa.bool_(), 21: pa.int32(), 23: pa.int32(), 20: pa.int64(),
    **dict.fromkeys(_FLOAT_OIDS, pa.float64()), 1082: pa.date32(), 1114: pa.timestamp("us"),
}
"""What `_as_columns` parses each PostgreSQL type (by oid) of a CSV result as; a result with any
other type (arrays, time zones) is read row by row."""


_READS = re.compile(r"\s*(SELECT|WITH)\b", re.IGNORECASE)
"""A statement `_as_columns` may wrap: a query, never a statement that writes (in a write's
transaction a wrapped statement that fails would end the transaction)."""


def _as_columns(connection: psycopg.Connection, sql: str, parameters: Sequence[Any] | None) -> pd.DataFrame | None:
    """The result read as columns: `COPY (…) TO STDOUT` as CSV, parsed by pyarrow; None when one of
    its types has no CSV form here (its types come first, from the query planned with `LIMIT 0`).

    psycopg hands rows to Python a value at a time: 63,000 stored series rows took 0.21 s to fetch
    and 0.15 s more to turn into columns, against 0.20 s in all as CSV.
    """
    if not _READS.match(sql):
        return None
    with connection.cursor() as cursor:
        _run(cursor, f"SELECT * FROM ({sql}) AS _result LIMIT 0", parameters)
        description = cursor.description or []
        if not description or any(column.type_code not in _ARROW_TYPES for column in description):
            return None
        names = [f"c{i}" for i in range(len(description))]
        types = {name: _ARROW_TYPES[column.type_code] for name, column in zip(names, description)}
        text = bytearray()
        with cursor.copy(*_bound(f"COPY ({sql}) TO STDOUT (FORMAT csv)", parameters)) as copy:
            for chunk in copy:
                text += chunk
    if text:
        table = pa_csv.read_csv(
            pa.py_buffer(bytes(text)),
            read_options=pa_csv.ReadOptions(column_names=names),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(column_types=types, null_values=[""], strings_can_be_null=True,
                                                  quoted_strings_can_be_null=False, true_values=["t"], false_values=["f"]),
        )
    else:
        table = pa.table({name: pa.array([], kind) for name, kind in types.items()})
    return _shaped([_arrow_column(table.column(i), column.type_code) for i, column in enumerate(description)],
                   description, table.num_rows)


def _arrow_column(values: pa.ChunkedArray, oid: int) -> Any:
    """One parsed column as `_column` makes it from rows (dtypes the metrics code relies on)."""
    nulls = values.null_count > 0
    if oid in _TEXT_OIDS:
        return _nones(len(values)) if values.null_count == len(values) else pd.array(values, dtype="str")
    if oid == 16:
        return pd.array(values.to_pylist(), dtype="boolean") if nulls else values.to_numpy()
    if oid in _INT_OIDS:
        kind = _INT_OIDS[oid]
        return pd.array(values.to_pylist(), dtype=kind.capitalize()) if nulls else values.to_numpy().astype(kind)
    if oid in _FLOAT_OIDS:
        return values.to_numpy().astype("float64")
    return pd.array(values.cast(pa.timestamp("us")).to_pandas(), dtype="datetime64[us]")


class PostgresReader:
    """`store.reader()` on PostgreSQL: one read-only snapshot, `execute(sql, params)` with `?`."""

    def __init__(self, connection: psycopg.Connection):
        self._connection = connection

    def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> PostgresResult:
        if self._connection.closed:
            raise psycopg.OperationalError("the reader's connection is closed: it was used after its block")
        return PostgresResult(self._connection, sql, parameters)

    def recover(self) -> None:
        """After a statement failed (and its caller went on), end the failed transaction, so the next
        reader of a run that shares this one (`dashboard.core.store.shared_readers`) can read; it
        reads in a new snapshot. A reader of its own is closed next, so this changes nothing for it."""
        if self._connection.info.transaction_status == psycopg.pq.TransactionStatus.INERROR:
            self._connection.rollback()


def _run(cursor: psycopg.Cursor, sql: str, params: Sequence[Any] | None) -> None:
    cursor.execute(*_bound(sql, params))


def _bound(sql: str, params: Sequence[Any] | None) -> tuple[str | bytes, list | None]:
    """The statement and parameters as psycopg takes them: `?` placeholders as `%s`; without any,
    bytes, which psycopg sends as they are (no placeholder parsing, a `%` stays a `%`)."""
    if params or "?" in sql:
        return portable(sql), list(params or [])
    return sql.encode(), None
