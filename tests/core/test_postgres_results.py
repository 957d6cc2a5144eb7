"""PostgreSQL results read as columns (`postgres_sql._as_columns`) are exactly what reading them row
by row gives (`_frame`): the same values, nulls, dtypes and column order, for every stored table."""
from __future__ import annotations

import pandas as pd
import pytest

from dashboard.core.schema import TABLES
from dashboard.core.store import Store
from dashboard.core.store.postgres_sql import _as_columns, _frame, _run


@pytest.fixture(autouse=True)
def _postgres_only(backend):
    if backend != "postgres":
        pytest.skip("about PostgreSQL's results; DuckDB gives its columns itself")


def both_ways(store: Store, sql: str, parameters=None) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    with store.reader() as con:
        connection = con._connection
        columns = _as_columns(connection, sql, parameters)
        with connection.cursor() as cursor:
            _run(cursor, sql, parameters)
            rows = _frame(cursor)
    return columns, rows


def test_every_table_of_the_demo_reads_the_same_as_columns_as_row_by_row(demo_db):
    store = Store(demo_db)
    read_as_columns = 0
    for name, table in TABLES.items():
        key = ", ".join(f'"{column}"' for column in table.key)
        columns, rows = both_ways(store, f"SELECT * FROM {name} ORDER BY {key}")
        if columns is None:
            assert any(kind.endswith("[]") for kind in table.columns.values()), f"{name} was not read as columns"
            continue
        pd.testing.assert_frame_equal(columns, rows, check_exact=True, obj=name)
        read_as_columns += len(rows) > 0
    assert read_as_columns >= 10


def test_awkward_values_and_computed_columns_read_the_same_both_ways(store):
    store.migrate()
    sql = """
        SELECT * FROM (VALUES
            ('a,b', 1, 1.5::float8, true, DATE '2026-03-01', TIMESTAMP '2026-03-01 09:00:00.123456', NULL::text),
            ('', NULL, NULL, NULL, NULL, NULL, NULL),
            (NULL, 3, -0.1, false, DATE '1999-12-31', TIMESTAMP '2026-03-01 23:59:59', NULL),
            ('say "hi"' || chr(10) || 'twice', 4, 1e300, true, DATE '2026-03-02', TIMESTAMP '2026-03-02 00:00:00', NULL)
        ) AS v(label, n, x, flag, day, moment, nothing)
        WHERE n IS NULL OR n >= ?
    """
    columns, rows = both_ways(store, sql, [1])
    pd.testing.assert_frame_equal(columns, rows, check_exact=True)
    assert columns["label"].isna().tolist() == [False, False, True, False] and columns.loc[1, "label"] == ""
    totals = "SELECT count(*) AS n, sum(x) AS total, EXTRACT(EPOCH FROM max(moment) - min(moment)) / 3600.0 AS hours, 'teams' AS name FROM (" + sql + ") AS q"
    columns, rows = both_ways(store, totals, [1])
    pd.testing.assert_frame_equal(columns, rows, check_exact=True)
    empty = both_ways(store, "SELECT team_id, name FROM teams WHERE false")
    pd.testing.assert_frame_equal(*empty)
