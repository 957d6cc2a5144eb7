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
        if all(v is None for v in values):
            column = np.empty(len(values), dtype=object)
            column[:] = values
            return column
        return pd.array(values, dtype="str")
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


class PostgresResult:
    """Rows of one query: `.df()`, `.fetchone()`, `.fetchall()` as on a DuckDB connection."""

    def __init__(self, cursor: psycopg.Cursor):
        self._cursor = cursor

    @property
    def description(self):
        return self._cursor.description

    def fetchone(self) -> tuple | None:
        return self._cursor.fetchone()

    def fetchall(self) -> list[tuple]:
        return self._cursor.fetchall()

    def df(self) -> pd.DataFrame:
        description = self._cursor.description or []
        rows = self._cursor.fetchall()
        columns = list(zip(*rows)) if rows else [() for _ in description]
        data = {i: _column(list(values), column.type_code) for i, (values, column) in enumerate(zip(columns, description))}
        frame = pd.DataFrame(data, index=pd.RangeIndex(len(rows)))
        frame.columns = [column.name for column in description]
        return frame

    fetchdf = df


class PostgresReader:
    """`store.reader()` on PostgreSQL: one read-only snapshot, `execute(sql, params)` with `?`."""

    def __init__(self, connection: psycopg.Connection):
        self._connection = connection

    def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> PostgresResult:
        cursor = self._connection.cursor()
        _run(cursor, sql, parameters)
        return PostgresResult(cursor)

    def recover(self) -> None:
        """After a statement failed (and its caller went on), end the failed transaction, so the next
        reader of a run that shares this one (`dashboard.core.store.shared_readers`) can read; it
        reads in a new snapshot. A reader of its own is closed next, so this changes nothing for it."""
        if self._connection.info.transaction_status == psycopg.pq.TransactionStatus.INERROR:
            self._connection.rollback()


def _run(cursor: psycopg.Cursor, sql: str, params: Sequence[Any] | None) -> None:
    if params:
        cursor.execute(portable(sql), list(params))
    elif "?" in sql:
        cursor.execute(portable(sql), [])
    else:
        cursor.execute(sql.encode())  # bytes: sent as is, no placeholder parsing
