"""The file connectors under faults: `python -m dashboard load roster|survey|checkins FILE`.

Each load runs as a user runs it, a process of its own, on a store that already holds a good load
of the same file (so a bad file that got through would replace good rows). A broken file (a
missing column, cut short mid-row or inside a quoted field, not UTF-8, empty, binary) gives one
clear error naming the file and what is wrong, a non-zero exit code and no traceback, and the
store is exactly as it was. A load SIGKILLed while it writes leaves the last good data for readers
that read throughout, and a re-run gives what one clean load gives.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from dashboard import cli
from dashboard.core.schema import TABLES
from dashboard.core.store import Store
from dashboard.core.store.postgres_sql import NAMESPACE, WRITE_LOCK
from tests.conftest import ROOT
from tests.connectors.jira.test_jira_faults import DATA_TABLES, assert_same, snapshot
from tests.survey_fixtures import CONFIG as SURVEY_CONFIG
from tests.test_cli import CHECKIN_CONFIG

CONFIG = SURVEY_CONFIG + CHECKIN_CONFIG
AS_OF = "2026-11-02"
ROSTER = """\
person_id,name,email,role,team_id,team_name,group,time_zone,working_hours,start_date,end_date
p1,Anaïs Lind,ana@example.com,pm,payments,Payments,Money,Europe/Berlin,09:00-17:00,2024-02-01,
p2,"Berg, Ben",ben@example.com,pm,checkout,Checkout,Money,Europe/London,08:30-16:30 mon-thu,2025-06-15,
p3,Cleo Nord,cleo@example.com,pm,search,Search,Discovery,America/New_York,,2023-01-09,
p4,Eve Ost,eve@example.com,ops,,,,Europe/Berlin,,2022-05-01,
"""
SURVEY = """\
ID,Start time,Completion time,Email,Name,Last modified time,What is your role?,Which team are you on?,\
I get the insights I need without having to ask,We agree on priorities,How likely are you to recommend working here?
1,3/17/26 14:20:00,3/17/26 14:28:27,anonymous,,,Product manager,Search,Agree,Agree,8
2,3/18/26 9:01:00,3/18/26 9:03:45,anonymous,,,Product manager,"Payments",Strongly disagree,Disagree,3
3,3/18/26 10:00:00,3/18/26 10:02:00,anonymous,,,Product operations,,Agree,Strongly agree,9
4,3/19/26 11:00:00,3/19/26 11:04:00,anonymous,,,Product manager,Checkout,Agree,Neither agree nor disagree,7
"""
CHECKINS = """\
Timestamp,Email Address,Team,Notes
02/10/2026 16:00:00,a@example.com,Checkout,"fine, très bien"
06/10/2026 09:30:00,b@example.com,Payments,late
03/11/2026 10:00:00,c@example.com,Search,on time
"""


@dataclass(frozen=True)
class FileLoad:
    """One file connector: its command line, a good file, and a column it cannot do without."""

    name: str
    file: str
    good: str
    args: tuple[str, ...]
    column: tuple[str, str]
    """A header name and what a broken export calls it instead."""
    missing: str
    """What the error says about the missing column."""
    tables: tuple[str, ...]
    """The tables a load writes."""
    stamps: dict[str, list[str]]
    """Columns a load stamps with its own time, which two loads of one file differ in."""

    def command(self, path: Path) -> list[str]:
        return ["load", self.name, str(path), *self.args]


LOADS = {
    "roster": FileLoad("roster", "hr.csv", ROSTER, ("--as-of", AS_OF), (",time_zone,", ",timezone,"),
                       r"missing column 'time_zone'", ("people", "memberships", "teams", "team_groups", "person_hours"), {}),
    "survey": FileLoad("survey", "pulse.csv", SURVEY, ("--survey", "msforms", "--wave", "2026Q1"),
                       (",We agree on priorities,", ",We agree,"),
                       r"column 'We agree on priorities': missing required column",
                       ("survey_questions", "survey_answers", "survey_waves", "survey_unmatched"), {"survey_waves": ["loaded_at"]}),
    "checkins": FileLoad("checkins", "roadmap.csv", CHECKINS, ("--kind", "roadmap_review"), (",Team,", ",Squad,"),
                         r"no column 'Team'", ("checkin_forms", "checkins"), {"checkin_forms": ["loaded_at"]}),
}


def run(tmp_path: Path, db: str, *args: str) -> subprocess.CompletedProcess:
    """`python -m dashboard ARGS` in this process: the command's own entry point, its exit code and
    what it printed, without an interpreter start for each of the many bad files.

    An exception escaping the command fails the test with its traceback, as a crash would.
    """
    config = tmp_path / "prodops.toml"
    config.write_text(CONFIG)
    env = {"PRODOPS_DB": db, "PRODOPS_CONFIG": str(config), "PRODOPS_SURVEY_SALT": "test-salt"}
    saved = {name: os.environ.get(name) for name in env}
    out, err = io.StringIO(), io.StringIO()
    os.environ.update(env)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(list(args))
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else 2
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return subprocess.CompletedProcess(["python", "-m", "dashboard", *args], code, out.getvalue(), err.getvalue())


def load_all(tmp_path: Path, db: str, folder: str = "good") -> None:
    """Roster first (the teams check-ins and survey answers name), then a survey wave and a check-in form."""
    where = tmp_path / folder
    where.mkdir(exist_ok=True)
    for load in LOADS.values():
        path = where / load.file
        path.write_text(load.good, encoding="utf-8")
        done = run(tmp_path, db, *load.command(path))
        assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def good_store(databases, tmp_path_factory) -> str:
    """One store with a good load of every file, made once; tests change copies of it."""
    folder = tmp_path_factory.mktemp("good")
    db = databases.location(folder, "good")
    load_all(folder, db)
    return db


@pytest.fixture()
def loaded(databases, good_store, tmp_path) -> str:
    mark = len(databases.created)
    yield databases.copy(good_store, tmp_path, "loaded")
    if databases.backend == "postgres":
        databases.drop(mark)


def cut_mid_row(text: str) -> bytes:
    """The file as a copy cut short halfway through its last row."""
    last = text.rstrip("\n").rfind("\n") + 1
    return text[: last + (len(text) - last) // 2].encode()


def cut_in_quotes(text: str) -> bytes:
    """The file cut just inside its first quoted field."""
    return text[: text.index('"') + 3].encode()


def not_utf8(text: str) -> bytes:
    """The file saved as Windows-1252, as Excel's plain "CSV" does."""
    data = text.replace("Product manager", "Product manager (é)").encode("cp1252")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    raise AssertionError("the good file needs a character outside ASCII")


def binary(text: str) -> bytes:
    """What a user picks by mistake: the export saved as a workbook (a ZIP, as .xlsx is)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("xl/worksheets/sheet1.xml", f"<worksheet><sheetData>{text}</sheetData></worksheet>")
    return buffer.getvalue()


BROKEN = {
    "missing column": (lambda load: load.good.replace(*load.column, 1).encode(), None),
    "cut mid-row": (lambda load: cut_mid_row(load.good), r"cut short|truncated"),
    "cut inside a quoted field": (lambda load: cut_in_quotes(load.good), r"cut short|truncated"),
    "not UTF-8": (lambda load: not_utf8(load.good), r"not UTF-8"),
    "empty": (lambda load: b"", r"is empty"),
    "binary": (lambda load: binary(load.good), r"not UTF-8|not a text|binary"),
}


@pytest.mark.parametrize("kind", LOADS)
@pytest.mark.parametrize(("broken", "message"), BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_file_is_refused_with_its_name_and_fault_and_the_store_is_unchanged(
    tmp_path, loaded, kind, broken, message
):
    load = LOADS[kind]
    path = tmp_path / "bad" / load.file
    path.parent.mkdir()
    path.write_bytes(broken(load))
    before = snapshot(Store(loaded))

    done = run(tmp_path, loaded, *load.command(path))

    assert done.returncode != 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert str(path) in done.stderr, done.stderr
    assert re.search(message or load.missing, done.stderr), done.stderr
    assert_same(snapshot(Store(loaded)), before)


# ---------------------------------------------------------------------------------------------
# A load killed with SIGKILL while readers read

KILLS = 4
READERS = 2


def bigger(kind: str, rows: int) -> str:
    """The next export of a loader: many more rows than the good one, so that its write takes a while."""
    if kind == "roster":
        extra = "".join(f"x{n},Person {n},x{n}@example.com,pm,team{n % 40},Team {n % 40},Group {n % 40 % 7},Europe/Berlin,"
                        f"{'09:00-17:00' if n % 2 else ''},2025-01-{1 + n % 28:02d},\n" for n in range(rows))
        return ROSTER.replace(",checkout,Checkout,Money,", ",search,Search,Discovery,") + extra
    if kind == "survey":
        answers = ("Agree", "Disagree", "Strongly agree", "Neither agree nor disagree")
        extra = "".join(f"{5 + n},3/{20 + n % 8}/26 10:00:00,3/{20 + n % 8}/26 10:{n % 60:02d}:00,anonymous,,,"
                        f"{'Product manager' if n % 3 else 'Product operations'},{('Search', 'Payments', 'Checkout')[n % 3]},"
                        f"{answers[n % 4]},{answers[(n + 1) % 4]},{n % 11}\n" for n in range(rows))
        return SURVEY + extra
    extra = "".join(f"{1 + n % 28:02d}/{9 + n % 3}/2026 1{n % 10}:00:00,m{n}@example.com,{('Checkout', 'Payments', 'Search')[n % 3]},"
                    f"note {n}\n" for n in range(rows))
    return CHECKINS + extra


SIZES = {"roster": 3000, "survey": 1500, "checkins": 1500}


def state(store: Store, load: FileLoad) -> tuple:
    """Row counts of every data table and a digest of the content of those the load writes, read in one reader."""
    with store.reader() as con:
        rows = tuple(con.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in DATA_TABLES)
        digests = tuple(
            hashlib.sha256(con.execute(f"SELECT * FROM {name}").df().sort_values(list(TABLES[name].key))
                           .astype(str).to_csv(index=False).encode()).hexdigest()[:16]
            for name in load.tables
        )
    return rows + digests


class WriteWatch:
    """Whether a store write is under way, seen from outside the writing process: someone holds the
    store's write lock (on DuckDB the lock file a write holds while it copies, changes and renames;
    on PostgreSQL the advisory lock its transaction holds). A killed write's leftover copy says nothing."""

    def __init__(self, db: str, backend: str):
        self.db, self.backend, self.connection = db, backend, None
        if backend == "postgres":
            import psycopg

            self.connection = psycopg.connect(db, autocommit=True)

    def writing(self) -> bool:
        if self.connection is None:
            lock = Path(self.db + ".lock")
            if not lock.exists():
                return False
            with open(lock) as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
                except BlockingIOError:
                    return True
                fcntl.flock(handle, fcntl.LOCK_UN)
                return False
        return self.connection.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = %s AND objid = %s "
            "AND objsubid = 2 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            [NAMESPACE, WRITE_LOCK],
        ).fetchone()[0] > 0

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def start_load(tmp_path: Path, db: str, load: FileLoad, path: Path) -> subprocess.Popen:
    """The load in a process of its own; what it says goes to a file (a pipe nobody reads could stall it)."""
    config = tmp_path / "prodops.toml"
    config.write_text(CONFIG)
    env = {**os.environ, "PRODOPS_DB": db, "PRODOPS_CONFIG": str(config), "PRODOPS_SURVEY_SALT": "test-salt"}
    with open(tmp_path / "load.log", "w") as log:
        return subprocess.Popen([sys.executable, "-m", "dashboard", *load.command(path)], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=log)


def timed_load(tmp_path: Path, db: str, load: FileLoad, path: Path, watch: WriteWatch) -> tuple[float, float]:
    """A clean load, watched: seconds from its start to its write, and how long the write lasted."""
    began = time.monotonic()
    process = start_load(tmp_path, db, load, path)
    write_began = write_ended = None
    while process.poll() is None:
        if watch.writing():
            write_began = write_began or time.monotonic()
            write_ended = None
        elif write_began and write_ended is None:
            write_ended = time.monotonic()
        time.sleep(0.002)
    assert process.wait() == 0, (tmp_path / "load.log").read_text()
    assert write_began is not None, "the load's write was never seen"
    ended = write_ended or time.monotonic()
    return write_began - began, ended - write_began


def kill_at(tmp_path: Path, db: str, load: FileLoad, path: Path, watch: WriteWatch, in_write: bool, delay: float) -> str:
    """SIGKILL a load `delay` seconds after it started writing (`in_write`) or after it started.

    "finished" when the load finished first (it then published a whole load), else "writing" or
    "not writing": whether its write was under way just before the kill.
    """
    process = start_load(tmp_path, db, load, path)
    while in_write and process.poll() is None and not watch.writing():
        time.sleep(0.001)
    time.sleep(delay)
    writing = watch.writing()
    if process.poll() is not None:
        return "finished"
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    return "writing" if writing else "not writing"


@pytest.mark.parametrize("kind", LOADS)
def test_a_load_killed_while_it_writes_leaves_the_last_good_data_and_a_re_run_equals_one_clean_load(
    tmp_path, databases, good_store, loaded, backend, kind
):
    load = LOADS[kind]
    path = tmp_path / "next" / load.file
    path.parent.mkdir()
    path.write_text(bigger(kind, SIZES[kind]), encoding="utf-8")
    store = Store(loaded)
    good = [state(store, load)]
    probe = databases.copy(good_store, tmp_path, "probe")
    watch = WriteWatch(probe, backend)
    try:
        lead, write = timed_load(tmp_path, probe, load, path, watch)
    finally:
        watch.close()
    watch = WriteWatch(loaded, backend)

    seen: list[tuple] = []
    errors: list[str] = []
    stop = threading.Event()

    def read() -> None:
        reader = Store(loaded)
        while not stop.is_set():
            try:
                seen.append(state(reader, load))
            except Exception as error:  # noqa: BLE001  (what the test is looking for)
                errors.append(f"{type(error).__name__}: {error}")

    rng = random.Random(20261127)
    thirds = KILLS - 1
    points = [(True, write * rng.uniform(n, n + 1) / thirds) for n in range(thirds)]  # early, middle, late in the write
    points.append((False, rng.uniform(0.0, lead)))  # from its start: reading the file, planning, or writing
    readers = [threading.Thread(target=read) for _ in range(READERS)]
    for reader in readers:
        reader.start()
    outcomes = []
    try:
        for in_write, delay in points:
            outcomes.append(kill_at(tmp_path, loaded, load, path, watch, in_write, delay))
            now = state(store, load)
            if now not in good:
                good.append(now)  # the load finished before the kill: a whole load, published
            assert now == good[-1]
        done = run(tmp_path, loaded, *load.command(path))
        assert done.returncode == 0, done.stderr
        time.sleep(0.3)
    finally:
        stop.set()
        for reader in readers:
            reader.join(60)
        watch.close()

    assert outcomes.count("finished") <= 1 and "writing" in outcomes, outcomes
    assert not errors, errors[:3]
    assert set(seen) <= set(good) | {state(store, load)}, sorted(set(seen) - set(good))[:3]
    assert seen.count(good[0]) > 0
    assert state(store, load)[-len(load.tables):] != good[0][-len(load.tables):], "the next export changes what the load writes"

    once = databases.copy(good_store, tmp_path, "once")
    done = run(tmp_path, once, *load.command(path))
    assert done.returncode == 0, done.stderr
    assert_same(snapshot(store), snapshot(Store(once)), ignore=load.stamps)
