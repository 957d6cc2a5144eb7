"""Every file reader fed garbage: random bytes, a real file cut at (a sample of) every offset or with
bytes spliced in, wrong encodings, huge cells, a million columns, deep nesting, files over the limit.

A reader either reads the file or raises its own clear error, which names the file and stays
short; never another exception. The readers run as the loads run them, up to the rows they would
write (`plan_roster`, `normalize`, `form_rows`, the ICS expansion), without a store. Then the
loads themselves run on a store through the command line, and a refused file leaves the store
exactly as it was (the DuckDB file's bytes, PostgreSQL's tables).

Examples are bounded so that each reader takes seconds. The limits are `dashboard.core.file_limits`;
the memory they hold a reader to is measured by `benchmarks/hostile_files.py`.
"""
from __future__ import annotations

import hashlib
import json
import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from connectors.calendar import IcsError, ics_occurrences
from connectors.calendar.ics import Limits, parse_ics, skipped_lines
from connectors.calendar.ics_files import read_location
from connectors.checkins import CheckinFormError, form_rows
from connectors.roster import RosterError, plan_roster, read_roster
from connectors.survey import SurveyFormatError, SurveyImportError, normalize, read_export, survey_salt
from dashboard.core.config import ConfigError, load_settings, parse_settings
from dashboard.core.file_limits import MAX_CELL_CHARS, MAX_COLUMNS, MAX_EXPORT_BYTES, MAX_ROSTER_BYTES, MAX_TOML_BYTES, size_text
from dashboard.core.store import Store
from dashboard.core.store.duckdb import DuckDBStore
from tests.conftest import ROOT
from tests.connectors.calendar.test_calendar_ics import PM, SPRING_2026, WEEKLY, calendar
from tests.connectors.jira.test_jira_faults import snapshot
from tests.connectors.test_file_load_faults import AS_OF, CHECKINS, LOADS, ROSTER, load_all, run
from tests.survey_fixtures import CONFIG as SURVEY_CONFIG
from tests.survey_fixtures import DATA, SALT, TEAMS
from tests.test_cli import CHECKIN_CONFIG

SETTINGS = parse_settings({**tomllib.loads(SURVEY_CONFIG), **tomllib.loads(CHECKIN_CONFIG)}, "tests")
LONGEST_ERROR = 2_000
"""No error a reader raises is longer, whatever the file holds."""
CUTS = 120
"""Cuts tried per file: every offset of a smaller file, evenly spread ones of a bigger."""
ENCODINGS = ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be", "utf-16", "utf-32", "cp1252", "latin-1")
QUICK = hypothesis_settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@dataclass(frozen=True)
class Reader:
    """One file reader as a load runs it: a real file it reads, how to read a path, and its own errors."""

    good: bytes
    suffix: str
    read: Callable[[Path], object]
    errors: tuple[type[Exception], ...]
    limit: int | None
    """The size over which it refuses a file unread (the ICS limit is a setting: test_hostile_ics)."""
    names_file: bool = True
    """Whether its errors name the file (an ICS error is named by the sync that quarantines the file)."""


def _survey(file: str, mapping: str) -> Reader:
    def read(path: Path):
        return normalize(read_export(path), SETTINGS.surveys[mapping], survey=mapping, wave="W1", teams=TEAMS,
                         settings=SETTINGS, salt=SALT)

    return Reader((DATA / file).read_bytes(), Path(file).suffix, read, (SurveyFormatError, SurveyImportError), MAX_EXPORT_BYTES)


def _ics(path: Path):
    [document] = read_location(str(path), max_bytes=int(SETTINGS.calendar.max_ics_megabytes * 2**20))
    if document.error:
        raise IcsError(document.error)
    calendars = parse_ics(document.data)
    skipped_lines(document.data, calendars)
    return ics_occurrences(calendars, PM, SPRING_2026, Limits(20_000, 2_000))


def _secrets(path: Path) -> bytes:
    return survey_salt(DuckDBStore(path.with_suffix(".duckdb")), secrets_file=path)


READERS = {
    "roster": Reader(ROSTER.encode(), ".csv", lambda path: plan_roster(read_roster(path), {}, as_of=date.fromisoformat(AS_OF)),
                     (RosterError,), MAX_ROSTER_BYTES),
    "google forms": _survey("google_forms_en_gb.csv", "gforms"),
    "microsoft forms": _survey("ms_forms.csv", "msforms"),
    "qualtrics": _survey("qualtrics_recode.csv", "qualtrics"),
    "surveymonkey": _survey("surveymonkey.csv", "monkey"),
    "typeform csv": _survey("typeform.csv", "typeform_csv"),
    "typeform json": _survey("typeform_responses.json", "typeform_api"),
    "check-in form": Reader(CHECKINS.encode(), ".csv", lambda path: form_rows(read_export(path), SETTINGS, TEAMS, "roadmap_review"),
                            (SurveyFormatError, CheckinFormError), MAX_EXPORT_BYTES),
    "ics": Reader(calendar(WEEKLY, WEEKLY.replace("weekly-1", "weekly-2").replace("SUMMARY:Team sync", "SUMMARY:Ré ☃")).encode(),
                  ".ics", _ics, (IcsError,), None, names_file=False),
    "config": Reader((ROOT / "prodops.example.toml").read_bytes(), ".toml", load_settings, (ConfigError,), MAX_TOML_BYTES),
    "secrets": Reader(b'PRODOPS_SURVEY_SALT = "s3cr\xc3\xa9t"\n\n[auth]\nredirect_uri = "https://x.example/oauth2callback"\n',
                      ".toml", _secrets, (SurveyImportError,), MAX_TOML_BYTES),
}
TABLES = [name for name, reader in READERS.items() if reader.suffix == ".csv"]


def outcome(reader: Reader, data: bytes) -> str | None:
    """Read `data` as a file; None when read, else the reader's own error, checked: it names the file and is short."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"hostile{reader.suffix}"
        path.write_bytes(data)
        try:
            reader.read(path)
        except reader.errors as error:
            message = str(error)
            assert len(message) <= LONGEST_ERROR, message[:300]
            assert not reader.names_file or str(path) in message, message[:300]
            return message.replace(str(path), "FILE")
    return None


def splice(good: bytes, edits: list[tuple[int, bytes]]) -> bytes:
    data = good
    for at, junk in edits:
        at = min(at, len(data))
        data = data[:at] + junk + data[at + len(junk) // 2:]
    return data


def garbage(good: bytes) -> st.SearchStrategy[bytes]:
    """Random bytes, the good file cut short, with bytes spliced in, or in another encoding."""
    return st.one_of(
        st.binary(max_size=3000),
        st.integers(0, len(good)).map(lambda n: good[:n]),
        st.lists(st.tuples(st.integers(0, len(good)), st.binary(min_size=1, max_size=12)), min_size=1, max_size=4)
        .map(lambda edits: splice(good, edits)),
        st.sampled_from(ENCODINGS).map(lambda encoding: good.decode("utf-8").encode(encoding, "replace")),
    )


def test_every_reader_reads_its_good_file():
    assert {name: outcome(reader, reader.good) for name, reader in READERS.items()} == dict.fromkeys(READERS)


@pytest.mark.parametrize("name", READERS)
def test_garbage_is_read_or_refused_with_the_readers_own_short_error(name):
    reader = READERS[name]

    @QUICK
    @given(garbage(reader.good))
    def check(data: bytes) -> None:
        outcome(reader, data)

    check()


@pytest.mark.parametrize("name", READERS)
def test_a_real_file_cut_anywhere_is_read_or_refused(name):
    reader = READERS[name]
    for n in sorted({len(reader.good) * k // CUTS for k in range(CUTS)}):
        outcome(reader, reader.good[:n])


@pytest.mark.parametrize(("encoding", "named"), [
    ("utf-16-le", "UTF-16 (little-endian)"), ("utf-16-be", "UTF-16 (big-endian)"),
    ("utf-32-le", "UTF-32 (little-endian)"), ("utf-32-be", "UTF-32 (big-endian)"),
])
@pytest.mark.parametrize("name", READERS)
def test_utf16_and_utf32_without_a_byte_order_mark_are_named_as_such(name, encoding, named):
    reader = READERS[name]
    message = outcome(reader, reader.good.decode("utf-8").encode(encoding))
    assert message and f"looks like {named} text without a byte order mark" in message


@pytest.mark.parametrize("name", [name for name in READERS if name not in ("config", "secrets")])
def test_utf16_with_a_byte_order_mark_is_read(name):
    reader = READERS[name]
    assert outcome(reader, reader.good.decode("utf-8").encode("utf-16")) is None


@pytest.mark.parametrize("name", TABLES)
def test_a_cell_over_the_limit_is_refused_naming_the_row_and_the_limit(name):
    reader = READERS[name]
    lines = reader.good.decode("utf-8").splitlines(keepends=True)
    huge = f'"{"x" * (MAX_CELL_CHARS + 1)}",'
    message = outcome(reader, "".join([*lines[:-1], huge + lines[-1]]).encode())
    assert message and f"row {len(lines)} has a cell over the limit of {MAX_CELL_CHARS:,} characters" in message


@pytest.mark.parametrize("name", TABLES)
def test_a_million_columns_are_refused_in_a_short_error(name):
    reader = READERS[name]
    header, rest = reader.good.decode("utf-8").split("\n", 1)
    message = outcome(reader, (header + ",c" * 1_000_000 + "\n" + rest).encode())
    assert message and f"row 1 has 1,000,0{len(header.split(',')):02d} columns, over the limit of {MAX_COLUMNS:,}" in message


@pytest.mark.parametrize("name", [name for name, reader in READERS.items() if reader.limit])
def test_a_file_over_the_size_limit_is_refused_unread(name, tmp_path):
    reader = READERS[name]
    path = tmp_path / f"huge{reader.suffix}"
    with open(path, "wb") as huge:
        huge.truncate(reader.limit + 1)  # sparse: costs no disk and no time
    with pytest.raises(reader.errors, match=rf"too large: .*over the limit of {size_text(reader.limit)}"):
        reader.read(path)


@pytest.mark.parametrize(("name", "nested"), [
    ("typeform json", "[" * 100_000 + "]" * 100_000),
    ("typeform json", '{"a":' * 100_000 + "1" + "}" * 100_000),
    ("config", "a = " + "[" * 100_000 + "]" * 100_000 + "\n"),
    ("config", "a = " + "{b = " * 50_000 + "1" + "}" * 50_000 + "\n"),
    ("secrets", "a = " + "[" * 100_000 + "]" * 100_000 + "\n"),
], ids=["json arrays", "json objects", "toml arrays", "toml inline tables", "secrets arrays"])
def test_deep_nesting_is_refused(name, nested):
    assert "nested too deeply" in outcome(READERS[name], nested.encode())


# ---------------------------------------------------------------------------------------------
# The loads on a store: a refused file changes nothing


@pytest.fixture(scope="module")
def good_store(databases, tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("good")
    db = databases.location(folder, "good")
    load_all(folder, db)
    return db


def fingerprint(db: str, backend: str):
    """The DuckDB file's bytes, or every table of the PostgreSQL database, as one comparable value."""
    if backend == "duckdb":
        return hashlib.sha256(Path(db).read_bytes()).hexdigest()
    return {name: frame.to_csv() for name, frame in snapshot(Store(db)).items()}


@pytest.mark.parametrize("kind", LOADS)
def test_a_load_that_refuses_a_hostile_file_leaves_the_store_byte_for_byte(databases, good_store, backend, kind, tmp_path_factory):
    load = LOADS[kind]
    folder = tmp_path_factory.mktemp(f"hostile-{kind}")
    db = databases.copy(good_store, folder, "store")
    refused = []

    @hypothesis_settings(max_examples=12, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(garbage(load.good.encode()))
    def check(data: bytes) -> None:
        path = folder / load.file
        path.write_bytes(data)
        before = fingerprint(db, backend)
        done = run(folder, db, *load.command(path))
        assert "Traceback" not in done.stderr
        if done.returncode == 2:
            refused.append(done.stderr)
            assert fingerprint(db, backend) == before, done.stderr

    check()
    assert refused, "no example was refused"


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


def _paths(node, path: tuple = ()) -> list[tuple]:
    """The path (keys and indexes) to every node of a JSON document, the root's included."""
    children = enumerate(node) if isinstance(node, list) else node.items() if isinstance(node, dict) else []
    return [path, *(found for key, child in children for found in _paths(child, (*path, key)))]


def _replaced(document, path: tuple, value):
    """`document` with the node at `path` replaced by `value`."""
    if not path:
        return value
    changed = document.copy()
    changed[path[0]] = _replaced(document[path[0]], path[1:], value)
    return changed


TYPEFORM = json.loads(READERS["typeform json"].good)


@QUICK
@given(st.sampled_from(_paths(TYPEFORM)), JSON)
def test_a_typeform_document_with_any_value_of_any_type_anywhere_is_read_or_refused(path, value):
    outcome(READERS["typeform json"], json.dumps(_replaced(TYPEFORM, path, value)).encode())
