"""A store write SIGKILLed at each phase of its write, then unrelated writes: nothing killed comes
back, nothing published is lost.

The killed write is a survey wave load (`python -m dashboard load survey`), stopped exactly at a
phase by `tests.paused_writer` and killed there. Then the store takes the writes an operator
would make next, unaware: a `refresh` and a check-in form load. Whatever the phase, the store ends
exactly as if those writes had followed the last write that was published: without the killed
wave if it was killed before it was published, with it if after. On DuckDB a write killed after
its COMMIT but before its checkpoint leaves a WAL beside its private copy; the test checks that it
does, so the case it guards is really made.
"""
from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.core.store import Store
from tests.conftest import ROOT
from tests.connectors.jira.test_jira_faults import assert_same, snapshot
from tests.connectors.test_file_load_faults import CHECKINS, CONFIG, LOADS, SURVEY, load_all, run

PHASES = {
    "duckdb": {"before_commit": False, "before_checkpoint": False, "before_rename": False, "after_publish": True},
    "postgres": {"before_commit": False, "after_publish": True},
}
"""Per backend, each phase a write is killed at and whether the write was published by then."""
STAMPS = {"survey_waves": ["loaded_at"], "checkin_forms": ["loaded_at"]}
KILLED_WAVE = "2026Q2"


def wave_args(path: Path, wave: str) -> list[str]:
    return ["load", "survey", str(path), "--survey", "msforms", "--wave", wave]


def kill_at(tmp_path: Path, db: str, phase: str, args: list[str]) -> None:
    """Run `python -m dashboard ARGS` until it pauses at `phase`, then SIGKILL it."""
    env = {**os.environ, "PRODOPS_DB": db, "PRODOPS_CONFIG": str(tmp_path / "prodops.toml"), "PRODOPS_SURVEY_SALT": "test-salt"}
    (tmp_path / "prodops.toml").write_text(CONFIG)
    process = subprocess.Popen([sys.executable, "-m", "tests.paused_writer", phase, *args], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([process.stdout], [], [], 120)
        line = process.stdout.readline() if ready else ""
        said = process.stderr.read() if process.poll() is not None else "still running"
        assert line.strip() == "paused", f"the write never reached {phase}: {said}"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        process.stdout.close()
        process.stderr.close()


def next_writes(tmp_path: Path, db: str) -> None:
    """What an operator does next, knowing nothing of the killed write: a refresh and a check-in form load."""
    form = tmp_path / "next" / "reviews.csv"
    form.parent.mkdir(exist_ok=True)
    form.write_text(CHECKINS, encoding="utf-8")
    for args in (["refresh"], ["load", "checkins", str(form), "--kind", "roadmap_review"]):
        done = run(tmp_path, db, *args)
        assert done.returncode == 0, done.stderr


def leftovers(db: str) -> list[str]:
    path = Path(db)
    return sorted(p.name for p in path.parent.glob(path.name + ".tmp*"))


@pytest.fixture(scope="module")
def loaded_store(databases, tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("loaded")
    db = databases.location(folder, "loaded")
    load_all(folder, db)
    return db


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    """The next survey wave's export: the write that is killed."""
    path = tmp_path_factory.mktemp("q2") / LOADS["survey"].file
    path.write_text(SURVEY.replace("Agree,Agree,8", "Disagree,Disagree,2"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def expected(databases, loaded_store, export, tmp_path_factory) -> dict[bool, dict]:
    """The store after the next writes, without the killed wave (False) and with it published (True)."""
    found = {}
    for published in (False, True):
        where = tmp_path_factory.mktemp("expected")
        db = databases.copy(loaded_store, where, "expected")
        if published:
            assert run(where, db, *wave_args(export, KILLED_WAVE)).returncode == 0
        next_writes(where, db)
        found[published] = snapshot(Store(db))
    return found


@pytest.mark.parametrize("phase", PHASES["duckdb"])
def test_a_write_killed_at_any_phase_never_comes_back_and_nothing_published_is_lost(
    tmp_path, databases, loaded_store, export, expected, backend, phase
):
    if phase not in PHASES[backend]:
        pytest.skip(f"no {phase} on {backend}")
    published = PHASES[backend][phase]
    mark = len(databases.created)
    try:
        db = databases.copy(loaded_store, tmp_path, "killed")
        kill_at(tmp_path, db, phase, wave_args(export, KILLED_WAVE))
        if backend == "duckdb" and phase == "before_checkpoint":
            assert any(name.endswith(".wal") for name in leftovers(db)), leftovers(db)
        next_writes(tmp_path, db)

        waves = set(Store(db).table("survey_waves")["wave"])
        assert (KILLED_WAVE in waves) == published, waves
        assert_same(snapshot(Store(db)), expected[published], ignore=STAMPS)
        if backend == "duckdb":
            assert leftovers(db) == [], leftovers(db)
    finally:
        if backend == "postgres":
            databases.drop(mark)
