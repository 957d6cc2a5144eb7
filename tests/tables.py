"""Small hand-made canonical tables for metric tests: name the rows, the rest are empty."""
from __future__ import annotations

import re

import duckdb
import pandas as pd

from dashboard.core.schema import TABLES


def make_tables(**rows: list[dict]) -> dict[str, pd.DataFrame]:
    """Every canonical table, empty unless given; missing columns of given rows are None."""
    out = {}
    for name, spec in TABLES.items():
        frame = pd.DataFrame(rows.get(name, []), columns=list(spec.columns))
        for column, kind in spec.columns.items():
            if kind in ("TIMESTAMP", "DATE"):
                frame[column] = pd.to_datetime(frame[column])
        out[name] = frame
    return out


TEAMS = [
    {"team_id": "t1", "name": "One", "group_name": "G1"},
    {"team_id": "t2", "name": "Two", "group_name": "G1"},
    {"team_id": "t3", "name": "Three", "group_name": "G2"},
]


def recount(store, sql: str, params: list | tuple = ()) -> pd.DataFrame:
    """A test's independent recomputation in DuckDB's SQL over the store's tables, whichever backend
    holds them (PostgreSQL has no `median` of timestamps or `arg_min`)."""
    con = duckdb.connect()
    for name in set(re.findall(r"\b(?:FROM|JOIN)\s+([a-z_]+)", sql)) & set(TABLES):
        con.register(name, store.table(name))
    return con.execute(sql, list(params)).df()
