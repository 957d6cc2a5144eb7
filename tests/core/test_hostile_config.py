"""A configuration file with wrong types, or that is not one at all: one clear error naming the
file and the field, on the command line and on every page, never a traceback."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import cli
from tests.app.test_pages import APP
from tests.conftest import page_file

WRONG = {
    "string for a number": ("[calendar]\nfocus_min_minutes = \"two hours\"\n", "field 'calendar.focus_min_minutes'"),
    "table for a list": ("[calendar]\nics = { location = \"x.ics\" }\n", "field 'calendar.ics'"),
    "number for a table": ("calendar = 5\n", "field 'calendar'"),
    "list for a string": ("org_timezone = [\"Europe/Berlin\"]\n", "field 'org_timezone'"),
    "boolean for a limit": ("[calendar]\nmax_ics_megabytes = true\n", "field 'calendar.max_ics_megabytes'"),
    "unknown zone": ("org_timezone = \"Mars/Olympus\"\n", "field 'org_timezone'"),
    "bad target": ("[targets.pm_overhead_share]\ntarget = \"low\"\n", "field 'targets.pm_overhead_share.target'"),
    "jira url": ("[jira]\nurl = 42\nprojects = [\"APP\"]\n", "field 'jira.url'"),
    "not toml": ("[calendar\nfocus = 1\n", "not valid TOML"),
}


@pytest.fixture(params=WRONG.values(), ids=WRONG.keys())
def wrong(request, tmp_path):
    text, expected = request.param
    path = tmp_path / "prodops.toml"
    path.write_text(text)
    return path, expected


def test_the_command_line_names_the_file_and_the_field(wrong, capsys, monkeypatch, tmp_path):
    path, expected = wrong
    monkeypatch.setenv("PRODOPS_DB", str(tmp_path / "none.duckdb"))
    assert cli.main(["--config", str(path), "metrics"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: ") and expected in err and "Traceback" not in err


@pytest.mark.parametrize("content", [b"\xff\xfe\x00binary\x00junk", None], ids=["binary", "a folder"])
def test_a_file_that_is_not_text_is_named_too(content, capsys, monkeypatch, tmp_path):
    path = tmp_path / "prodops.toml"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    monkeypatch.setenv("PRODOPS_DB", str(tmp_path / "none.duckdb"))
    assert cli.main(["--config", str(path), "metrics"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: ") and ("not a text file" in err or "cannot read" in err)


def test_every_page_shows_the_error_instead_of_a_traceback(wrong, demo_env, monkeypatch):
    path, expected = wrong
    monkeypatch.setenv("PRODOPS_CONFIG", str(path))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    for page in (page_file("overview.py"), page_file("data.py")):
        shown = at.switch_page(page).run()
        assert not shown.exception, [e.value for e in shown.exception]
        assert any(str(path) in e.value and expected in e.value for e in shown.error), [e.value for e in shown.error]


def test_a_file_of_fifty_thousand_unknown_fields_gets_a_short_error(capsys, monkeypatch, tmp_path):
    path = tmp_path / "prodops.toml"
    path.write_text("".join(f"field_{n} = {n}\n" for n in range(50_000)))
    monkeypatch.setenv("PRODOPS_DB", str(tmp_path / "none.duckdb"))
    assert cli.main(["--config", str(path), "metrics"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: invalid configuration") and "field 'field_0': unknown field" in err
    assert err.rstrip().endswith("and 49,995 more") and len(err.splitlines()) == 7
