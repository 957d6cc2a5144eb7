"""The file connectors under faults: `python -m dashboard load roster|survey|checkins FILE`.

Each load runs as a user runs it, a process of its own, on a store that already holds a good load
of the same file (so a bad file that got through would replace good rows). A broken file (a
missing column, cut short mid-row or inside a quoted field, not UTF-8, empty, binary) gives one
clear error naming the file and what is wrong, a non-zero exit code and no traceback, and the
store is exactly as it was. A load SIGKILLed while it writes leaves the last good data for readers
that read throughout, and a re-run gives what one clean load gives.
"""
from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from dashboard.store import Store
from tests.conftest import ROOT
from tests.survey_fixtures import CONFIG as SURVEY_CONFIG
from tests.test_jira_faults import assert_same, snapshot

CONFIG = SURVEY_CONFIG + """
[checkins]
[checkins.form]
team_column = "Team"
date_order = "dmy"
team_aliases = { "Android app" = "mobile-android" }
[[checkins.kinds]]
id = "roadmap_review"
cadence = "monthly"
business_day = 3
start = 2026-09-01
"""
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

    def command(self, path: Path) -> list[str]:
        return ["load", self.name, str(path), *self.args]


LOADS = {
    "roster": FileLoad("roster", "hr.csv", ROSTER, ("--as-of", AS_OF), (",time_zone,", ",timezone,"),
                       r"missing column 'time_zone'"),
    "survey": FileLoad("survey", "pulse.csv", SURVEY, ("--survey", "msforms", "--wave", "2026Q1"),
                       (",We agree on priorities,", ",We agree,"),
                       r"column 'We agree on priorities': missing required column"),
    "checkins": FileLoad("checkins", "roadmap.csv", CHECKINS, ("--kind", "roadmap_review"), (",Team,", ",Squad,"),
                         r"no column 'Team'"),
}


def run(tmp_path: Path, db: str, *args: str) -> subprocess.CompletedProcess:
    config = tmp_path / "prodops.toml"
    config.write_text(CONFIG)
    env = {**os.environ, "PRODOPS_DB": db, "PRODOPS_CONFIG": str(config), "PRODOPS_SURVEY_SALT": "test-salt"}
    return subprocess.run([sys.executable, "-m", "dashboard", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


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
