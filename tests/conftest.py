"""Shared fixtures. `pytest --backend duckdb --backend postgres` runs the store's tests on both.

Every store a test makes comes from `make_store` (or `demo_db`), so it lives on the backend the
test runs on: a DuckDB file in the test's temporary folder, or a fresh database on the server
that `PRODOPS_TEST_PG` names (scripts/test.sh starts a throwaway one). A test that touches a store
runs once per backend the run selects (its id ends in `[duckdb]` or `[postgres]`); a test that
touches none runs once. A test that is about the DuckDB file itself is marked
`@pytest.mark.duckdb_only("reason")` and skipped on PostgreSQL.

Under pytest-xdist (`-n 2`) the demo organisation is built once per backend for the whole run,
by the first worker that needs it, and read by the others (`once`).
"""
from __future__ import annotations

import fcntl
import itertools
import json
import os
import re
import shutil
from collections.abc import Callable
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
        "--backend", action="append", choices=BACKENDS,
        help="a store backend the store's tests run on; give it twice for both (default: duckdb). "
        f"postgres needs ${PG_ENV}, a server URL whose user may create databases",
    )


def selected_backends(config) -> list[str]:
    """The backends this run tests, in the order given, each once."""
    return list(dict.fromkeys(config.getoption("--backend") or ["duckdb"]))


def pytest_configure(config):
    config.addinivalue_line("markers", "duckdb_only(reason): the test is about the DuckDB file itself; skipped on PostgreSQL")
    # Derived tables are as of today on the organisation's clock: a run and its re-run that straddle
    # midnight there would differ for that reason alone, so the whole session keeps the day it began.
    os.environ.setdefault("PRODOPS_TODAY", date.today().isoformat())
    if "postgres" in selected_backends(config) and not os.environ.get(PG_ENV):
        raise pytest.UsageError(f"--backend postgres needs {PG_ENV}, e.g. postgresql://postgres@127.0.0.1:5433/postgres")


def pytest_report_header(config):
    backends = selected_backends(config)
    return "store backends: " + ", ".join(backends) + (f" ({os.environ.get(PG_ENV)})" if "postgres" in backends else "")


def pytest_generate_tests(metafunc):
    """Run each test that touches a store (through the `backend` fixture) once per selected backend."""
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", selected_backends(metafunc.config), indirect=True, scope="session")


def pytest_collection_modifyitems(config, items):
    """Skip the PostgreSQL case of a test, or of one of its parameters, marked `duckdb_only`."""
    for item in items:
        marker = item.get_closest_marker("duckdb_only")
        if marker and getattr(item, "callspec", None) and item.callspec.params.get("backend") == "postgres":
            reason = marker.args[0] if marker.args else "about the DuckDB file"
            item.add_marker(pytest.mark.skip(reason=f"DuckDB only: {reason}"))


def run_folder(config) -> Path:
    """The folder the whole run shares: pytest's base temporary folder, whose subfolders are xdist's workers'."""
    base = config._tmp_path_factory.getbasetemp()
    return base.parent if hasattr(config, "workerinput") else base


def once(config, name: str, make: Callable[[], dict]) -> dict:
    """What `make()` returned for the first process of the run to ask for `name`; the others wait for it and read it."""
    folder = run_folder(config)
    made = folder / f"{name}.json"
    with open(folder / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not made.exists():
            made.write_text(json.dumps(make()))
        return json.loads(made.read_text())


def pytest_sessionfinish(session):
    """Drop the databases the run's processes shared (see `once`), once every process is done with them."""
    if hasattr(session.config, "workerinput") or not os.environ.get(PG_ENV):
        return
    shared = [json.loads(made.read_text()) for made in run_folder(session.config).glob("*.json")]
    databases = Databases("postgres", os.environ[PG_ENV])
    databases.created = [name for made in shared for name in made.get("databases", [])]
    databases.drop()


class Databases:
    """Where a test's stores live: new DuckDB files, or new databases on a PostgreSQL server."""

    _serial = itertools.count(1)

    def __init__(self, backend: str, server: str | None):
        self.backend = backend
        self.server = server
        self.created: list[str] = []
        self.templates: dict[str, str] = {}

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
        if source in self.templates:
            source = self.templates[source]
        else:
            # A template may have no other sessions: end the ones the store keeps (they reconnect).
            self._admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{source}' AND pid <> pg_backend_pid()")
        self._admin(f'CREATE DATABASE "{database}" TEMPLATE "{source}"')
        self.created.append(database)
        return target

    def share(self, location: str) -> list[str]:
        """Make the store at `location` one every process of the run may read and copy: on
        PostgreSQL, an untouched twin for copies to come from (PostgreSQL copies only a database
        no one is connected to), left for the end of the run to drop. Returns [store, twin]
        (nothing on DuckDB); `copy_from_twin` tells a process about them."""
        if self.backend == "duckdb":
            return []
        twin = self.copy(location, Path(), "template")
        shared = [location.rsplit("/", 1)[1], twin.rsplit("/", 1)[1]]
        self.created = [name for name in self.created if name not in shared]
        return shared

    def copy_from_twin(self, shared: list[str]) -> None:
        """Copy the shared store (`share`'s answer) from its twin from now on."""
        if shared:
            source, twin = shared
            self.templates[source] = twin

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
    """The store backend this test runs on ("duckdb" or "postgres"), one of the run's `--backend`s."""
    return request.param


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
def demo_db(databases, request) -> str:
    """One demo organisation per backend for the whole run, as of a fixed day so results never drift.

    Its location (a file path or a database URL), as `PRODOPS_DB` and `Store(...)` take it. Tests
    only read it; `demo_copy` is the one to change.
    """
    from dashboard.demo import build_demo

    def build() -> dict:
        folder = run_folder(request.config) / f"demo-{databases.backend}"
        folder.mkdir(exist_ok=True)
        location = databases.location(folder, "prodops")
        build_demo(Store(location), Settings(), today=DEMO_TODAY)
        return {"location": location, "databases": databases.share(location)}

    built = once(request.config, f"demo-{databases.backend}", build)
    databases.copy_from_twin(built["databases"])
    return built["location"]


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
