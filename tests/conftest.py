"""Shared fixtures. `pytest --backend postgres` runs the whole suite on PostgreSQL.

Every store a test makes comes from `make_store` (or `demo_db`), so it lives on the backend the
run selects: a DuckDB file in the test's temporary folder, or a fresh database on the server
that `PRODOPS_TEST_PG` names (scripts/test.sh starts a throwaway one). A test that is about the
DuckDB file itself is marked `@pytest.mark.duckdb_only("reason")` and skipped on PostgreSQL.
"""
from __future__ import annotations

import itertools
import os
import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from dashboard.core.config import Settings
from dashboard.core.store import Store

ROOT = Path(__file__).resolve().parent.parent
ENTRYPOINT = str(ROOT / "dashboard" / "entrypoint" / "streamlit_app.py")


def page_file(name: str) -> str:
    """A page of the top-level `pages/` folder, as AppTest's `switch_page` takes it."""
    return str(ROOT / "pages" / name)
DATA = ROOT / "tests" / "data"
CORPUS = ROOT.parent / "shared" / "corpus"
needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(),
    reason=f"the third-party corpus ({CORPUS}) is not beside this checkout: an extra run where it exists; "
    "the project's own fixtures in tests/data cover the same behaviours",
)
DEMO_TODAY = date(2026, 11, 26)
BACKENDS = ("duckdb", "postgres")
PG_ENV = "PRODOPS_TEST_PG"


def own_and_corpus(own, corpus) -> list:
    """Parameters for a test that runs on the project's own fixture and again on the corpus where it exists."""
    return [pytest.param(own, id="own"), pytest.param(corpus, id="corpus", marks=needs_corpus)]


def pytest_addoption(parser):
    parser.addoption(
        "--backend", choices=BACKENDS, default="duckdb",
        help=f"the store backend every test runs on (postgres needs ${PG_ENV}, a server URL whose user may create databases)",
    )


def pytest_configure(config):
    config.addinivalue_line("markers", "duckdb_only(reason): the test is about the DuckDB file itself; skipped on PostgreSQL")
    # Derived tables are as of today on the organisation's clock: a run and its re-run that straddle
    # midnight there would differ for that reason alone, so the whole session keeps the day it began.
    os.environ.setdefault("PRODOPS_TODAY", date.today().isoformat())
    if config.getoption("--backend") == "postgres" and not os.environ.get(PG_ENV):
        raise pytest.UsageError(f"--backend postgres needs {PG_ENV}, e.g. postgresql://postgres@127.0.0.1:5433/postgres")


def pytest_report_header(config):
    backend = config.getoption("--backend")
    return f"store backend: {backend}" + (f" ({os.environ.get(PG_ENV)})" if backend == "postgres" else "")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--backend") != "postgres":
        return
    for item in items:
        marker = item.get_closest_marker("duckdb_only")
        if marker:
            reason = marker.args[0] if marker.args else "about the DuckDB file"
            item.add_marker(pytest.mark.skip(reason=f"DuckDB only: {reason}"))


class Databases:
    """Where a test's stores live: new DuckDB files, or new databases on a PostgreSQL server."""

    _serial = itertools.count(1)

    def __init__(self, backend: str, server: str | None):
        self.backend = backend
        self.server = server
        self.created: list[str] = []

    def location(self, folder: Path, name: str, *, create: bool = True) -> str:
        """A location for a new, empty store (`PRODOPS_DB` takes it); `create=False` leaves it missing."""
        if self.backend == "duckdb":
            return str(folder / f"{name}.duckdb")
        database = f"t{os.getpid()}_{next(self._serial)}_{re.sub(r'[^a-z0-9_]', '_', name.lower())}"[:63]
        if create:
            self._admin(f'CREATE DATABASE "{database}"')
            self.created.append(database)
        return self._url(database)

    def copy(self, location: str, folder: Path, name: str) -> str:
        """A new store holding what the store at `location` holds."""
        if self.backend == "duckdb":
            target = folder / f"{name}.duckdb"
            shutil.copyfile(location, target)
            return str(target)
        target = self.location(folder, name, create=False)
        database, source = target.rsplit("/", 1)[1], location.rsplit("/", 1)[1]
        # A template may have no other sessions: end the ones the store keeps (they reconnect).
        self._admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{source}' AND pid <> pg_backend_pid()")
        self._admin(f'CREATE DATABASE "{database}" TEMPLATE "{source}"')
        self.created.append(database)
        return target

    def drop(self, since: int = 0) -> None:
        """Drop the databases made after the first `since` (a test's own, at its end)."""
        while len(self.created) > since:
            self._admin(f'DROP DATABASE IF EXISTS "{self.created.pop()}" WITH (FORCE)')

    def _url(self, database: str) -> str:
        base, _, query = self.server.partition("?")
        return base.rsplit("/", 1)[0] + "/" + database + (f"?{query}" if query else "")

    def _admin(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.server, autocommit=True) as connection:
            connection.execute(statement.encode())


@pytest.fixture(scope="session")
def backend(request) -> str:
    """The store backend this run tests: "duckdb" or "postgres"."""
    return request.config.getoption("--backend")


@pytest.fixture(scope="session")
def databases(backend) -> Databases:
    found = Databases(backend, os.environ.get(PG_ENV))
    yield found
    if backend == "postgres":
        found.drop()


@pytest.fixture()
def db_location(databases, tmp_path):
    """`db_location(name, create=True)`: where a new store for this test lives, as `PRODOPS_DB` takes it."""
    mark = len(databases.created)
    yield lambda name="test", create=True: databases.location(tmp_path, name, create=create)
    if databases.backend == "postgres":
        databases.drop(mark)


@pytest.fixture()
def make_store(db_location):
    """`make_store(name)`: a new, empty store for this test, on the backend the run tests."""
    return lambda name="test": Store(db_location(name))


@pytest.fixture()
def store(make_store) -> Store:
    return make_store("test")


@pytest.fixture(scope="session")
def demo_db(databases, tmp_path_factory) -> str:
    """One demo organisation for the whole session, as of a fixed day so results never drift.

    Its location (a file path or a database URL), as `PRODOPS_DB` and `Store(...)` take it.
    """
    from dashboard.demo import build_demo

    location = databases.location(tmp_path_factory.mktemp("demo"), "prodops")
    build_demo(Store(location), Settings(), today=DEMO_TODAY)
    return location


@pytest.fixture()
def demo_copy(databases, demo_db, tmp_path) -> str:
    """A copy of the session's demo organisation that a test may change."""
    mark = len(databases.created)
    yield databases.copy(demo_db, tmp_path, "demo_copy")
    if databases.backend == "postgres":
        databases.drop(mark)


@pytest.fixture()
def demo_env(demo_db, monkeypatch) -> str:
    """Point the app and the CLI at the session's demo database."""
    monkeypatch.setenv("PRODOPS_DB", demo_db)
    monkeypatch.setenv("PRODOPS_TODAY", DEMO_TODAY.isoformat())
    monkeypatch.delenv("PRODOPS_CONFIG", raising=False)
    return demo_db


def demo_server_env(demo_db) -> dict[str, str | None]:
    """What a dashboard server over the demo organisation runs with (None: unset)."""
    return {"PRODOPS_DB": str(demo_db), "PRODOPS_TODAY": DEMO_TODAY.isoformat(), "PRODOPS_CONFIG": None}


@pytest.fixture(scope="session")
def server(demo_db):
    """One `streamlit run` dashboard server for the session's browser tests, on the demo as of its day."""
    from tests.browser import streamlit_server

    with streamlit_server(demo_server_env(demo_db)) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for every browser test: Playwright's sync API allows one instance per process."""
    from playwright.sync_api import sync_playwright

    from tests.browser import launch_chromium

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()
