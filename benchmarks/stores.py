"""The demo store a benchmark reads, on either backend, and throwaway working copies of it.

DuckDB: the cached file `benchmarks/.cache/<scale>.duckdb` (`common.demo_database`).
PostgreSQL: the database `prodops_bench_<scale>` on the server `--pg` names (default
`$PRODOPS_BENCH_PG`, which `benchmarks/with_postgres.sh` starts and sets). The first run loads it
from the DuckDB file, table by table through the store's own COPY path, so both backends hold
the same rows; the load is timed and recorded. A working copy is a file copy on DuckDB and
`CREATE DATABASE ... TEMPLATE` on PostgreSQL, so a benchmark that writes leaves the demo as it was.
"""
from __future__ import annotations

import itertools
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import psycopg
from common import Timer, demo_database, record

from dashboard.core.schema import TABLES
from dashboard.core.store import Store

LOAD_BATCH = 500_000
"""Rows read from DuckDB and written to PostgreSQL at a time, so no table is held whole."""
_serial = itertools.count(1)


def server(url: str | None) -> str:
    found = url or os.environ.get("PRODOPS_BENCH_PG")
    if not found:
        sys.exit("--backend postgres needs a server: --pg postgresql://... or PRODOPS_BENCH_PG "
                 "(benchmarks/with_postgres.sh starts one and sets it)")
    return found


def demo_store(scale: str, backend: str, pg: str | None = None, rebuild: bool = False) -> str:
    """Where the demo organisation of `scale` is on `backend`, built or loaded first if missing."""
    source = demo_database(scale, rebuild)
    if backend == "duckdb":
        return str(source)
    admin = server(pg)
    name = f"prodops_bench_{scale}"
    if rebuild or not _exists(admin, name):
        _admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _admin(admin, f'CREATE DATABASE "{name}"')
        load(source, _url(admin, name), scale)
    return _url(admin, name)


def load(source: Path, url: str, scale: str) -> dict[str, int]:
    """Every canonical table of the DuckDB store at `source` written to the store at `url`, in one transaction."""
    Store(source).migrate()
    counts: dict[str, int] = {}
    print(f"loading {source.name} into {Store(url).location} ...", file=sys.stderr)
    with Timer() as timer, duckdb.connect(str(source), read_only=True) as con, Store(url).transaction(fresh=True) as tx:
        present = {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        for name in TABLES:
            if name in present:
                batches = con.sql(f"SELECT * FROM {name}").to_arrow_reader(LOAD_BATCH)
                counts[name] = sum(tx.upsert(name, batch.to_pandas()) for batch in batches)
    print(f"  loaded in {timer.seconds:.0f} s ({timer.cpu:.0f} s cpu here): {sum(counts.values()):,} rows", file=sys.stderr)
    record("load", scale, "postgres", wall_s=timer.seconds, cpu_s=timer.cpu, rows=sum(counts.values()))
    return counts


@contextmanager
def working_copy(location: str, folder: Path) -> Iterator[str]:
    """A new store holding what the store at `location` holds, removed when the block ends."""
    if not location.startswith("postgresql://"):
        target = folder / f"work{next(_serial)}.duckdb"
        shutil.copyfile(location, target)
        yield str(target)
        target.unlink(missing_ok=True)
        return
    admin, source = location.rsplit("/", 1)
    name = f"{source}_work{next(_serial)}"
    _admin(location, f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{source}' AND pid <> pg_backend_pid()")
    _admin(location, f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    try:
        yield f"{admin}/{name}"
    finally:
        _admin(location, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _url(server_url: str, database: str) -> str:
    return f"{server_url.rsplit('/', 1)[0]}/{database}"


def _exists(server_url: str, database: str) -> bool:
    with psycopg.connect(server_url, autocommit=True) as con:
        return con.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone() is not None


def _admin(server_url: str, sql: str) -> None:
    with psycopg.connect(_url(server_url, "postgres"), autocommit=True) as con:
        con.execute(sql.encode())
