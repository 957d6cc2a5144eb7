"""`init` writes a first configuration; `doctor` reaches every source it names and says, one
line per problem, what to fix. Both run against the local fakes, through the real clients."""
from __future__ import annotations

import tomllib

import pytest

from dashboard import doctor
from dashboard.cli import main
from dashboard.core.config import load_settings
from tests.fakes.faults import Fault
from tests.fakes.jira_server import JiraServer
from tests.fakes.jira_site import JiraSite, populate

CALENDAR = """BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:one\r\nDTSTART:20260302T090000Z\r
DTEND:20260302T093000Z\r\nSUMMARY:Weekly status\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"""
OWNER = "pm.one@example.com"


@pytest.fixture()
def jira():
    site = JiraSite("cloud")
    populate(site, issues=40, versions=6, projects=("APP", "WEB"))
    with JiraServer(site) as server:
        yield server


@pytest.fixture()
def org(tmp_path, monkeypatch, jira, db_location):
    """An empty folder holding calendars and a roster naming everyone the fakes name; the cwd."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PRODOPS_DB", db_location("doctor"))
    monkeypatch.delenv("PRODOPS_CONFIG", raising=False)
    monkeypatch.setenv("JIRA_API_TOKEN", jira.token)
    (tmp_path / "calendars").mkdir()
    (tmp_path / "calendars" / f"{OWNER}.ics").write_text(CALENDAR)
    people = [(u.ref, u.display_name, u.email) for u in jira.site.users.values() if u.email] + [("pm1", "PM One", OWNER)]
    rows = [f"{ref},{name},{email},pm,payments,Payments,Money,Europe/Berlin,,2024-01-01," for ref, name, email in people]
    header = "person_id,name,email,role,team_id,team_name,group,time_zone,working_hours,start_date,end_date"
    (tmp_path / "roster.csv").write_text("\n".join([header, *rows]) + "\n")
    return tmp_path


def init(jira: JiraServer, *extra: str) -> int:
    return main(["init", "--no-input", "--timezone", "Europe/Berlin", "--jira-url", jira.url, "--jira-email", jira.email,
                 "--jira-project", "APP", "--jira-project", "WEB", "--calendar", "ics", "--calendar-location", "calendars",
                 "--survey-tool", "qualtrics", *extra])


def checklist(**kwargs) -> tuple[int, list[str]]:
    lines: list[str] = []
    code = doctor.run(say=lines.append, **kwargs)
    return code, lines


def problems(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("[missing")]


def test_init_writes_a_commented_config_that_loads_and_a_secrets_skeleton(org, jira):
    assert init(jira) == 0
    settings = load_settings(org / "prodops.toml")
    assert settings.org_timezone == "Europe/Berlin" and settings.jira.url == jira.url
    assert settings.jira.projects == ["APP", "WEB"] and settings.calendar.ics[0].location == "calendars"
    assert "# " in (org / "prodops.toml").read_text()
    secrets = tomllib.loads((org / ".streamlit" / "secrets.toml").read_text())
    assert secrets == {"JIRA_API_TOKEN": ""}, "a skeleton: the name, never a value"


def test_init_never_overwrites_without_force(org, jira, capsys):
    (org / "prodops.toml").write_text("# mine\n")
    assert init(jira) == 2
    assert (org / "prodops.toml").read_text() == "# mine\n" and not (org / ".streamlit" / "secrets.toml").exists()
    assert "prodops.toml" in capsys.readouterr().err
    assert init(jira, "--force") == 0 and "[jira]" in (org / "prodops.toml").read_text()


def test_init_refuses_an_unknown_zone_before_writing_anything(org, jira):
    assert main(["init", "--no-input", "--timezone", "Mars/Olympus"]) == 2
    assert not (org / "prodops.toml").exists()


def test_init_then_doctor_against_the_fakes_reports_everything_ready(org, jira):
    init(jira)
    code, lines = checklist(roster="roster.csv")
    assert problems(lines) == [] and code == doctor.EXIT_READY
    assert any("signed in to Jira Cloud" in line for line in lines)
    assert sum("versions readable" in line for line in lines) == 2
    paths = [r.path for r in jira.log]
    assert "/rest/api/2/serverInfo" in paths and "/rest/api/2/search/jql" in paths


def test_doctor_reads_the_stored_roster_once_it_is_loaded(org, jira):
    init(jira)
    assert main(["load", "roster", "roster.csv"]) in (0, 3)
    code, lines = checklist()
    assert code == doctor.EXIT_READY, lines


@pytest.mark.parametrize(
    ("fault", "says"),
    [
        ("bad_token", ["refused the credentials (HTTP 401", "JIRA_API_TOKEN"]),
        ("wrong_project", ["project NOPE was not found", "[jira].projects"]),
        ("unreachable", ["connection to Jira", "Fix [jira].url"]),
        ("versions_403", ["project WEB: the account may not read its versions (HTTP 403)", "Browse Projects"]),
    ],
)
def test_each_jira_fault_is_one_line_saying_what_to_fix(org, jira, monkeypatch, fault, says):
    init(jira)
    config = org / "prodops.toml"
    if fault == "bad_token":
        monkeypatch.setenv("JIRA_API_TOKEN", "wrong")
    elif fault == "wrong_project":
        config.write_text(config.read_text().replace('projects = ["APP", "WEB"]', 'projects = ["APP", "NOPE"]'))
    elif fault == "unreachable":
        config.write_text(config.read_text().replace(jira.url, "http://127.0.0.1:9"))
    else:
        jira.inject(Fault("status", path="/project/WEB/versions", status=403, times=None))
    code, lines = checklist(roster="roster.csv")
    (line,) = problems(lines)
    assert line.startswith("[missing] Jira:") and all(part in line for part in says), line
    assert jira.token not in "\n".join(lines)
    assert code == doctor.EXIT_MISSING


def test_doctor_names_people_the_sources_know_and_the_roster_does_not(org, jira):
    init(jira)
    (org / "calendars" / "stranger@example.com.ics").write_text(CALENDAR)
    code, lines = checklist(roster="roster.csv")
    (line,) = problems(lines)
    assert "stranger@example.com" in line and "[calendar].owners" in line and code == doctor.EXIT_MISSING


def test_a_broken_calendar_file_is_one_line(org, jira):
    init(jira)
    (org / "calendars" / f"{OWNER}.ics").write_text("BEGIN:VEVENT\r\nEND:VEVENT\r\n")
    _code, lines = checklist(roster="roster.csv")
    (line,) = problems(lines)
    assert line.startswith("[missing] Calendars:") and f"{OWNER}.ics" in line and "VCALENDAR" in line


def test_without_a_configuration_doctor_says_run_init(org):
    code, lines = checklist()
    assert code == doctor.EXIT_CONFIG and lines == ["[missing] Configuration: no prodops.toml: run `python -m dashboard init` to write one"]


def test_a_wrong_field_is_a_line_naming_it_and_exit_2(org):
    (org / "prodops.toml").write_text('org_timezone = "Mars/Olympus"\n')
    code, lines = checklist()
    assert code == doctor.EXIT_CONFIG and len(lines) == 1 and "org_timezone" in lines[0]


def test_a_survey_export_is_checked_against_its_mapping(org, jira):
    from tests.survey_fixtures import DATA

    init(jira)
    config = org / "prodops.toml"
    config.write_text(config.read_text() + '\n[surveys.sample]\nrole = "pm"\n[surveys.sample.questions.QID7]\n'
                      'construct = "ops_satisfaction"\nscale = "likert5"\n[surveys.sample.questions.QID99]\n'
                      'construct = "alignment"\nscale = "likert5"\n')
    _code, lines = checklist(roster="roster.csv", surveys=[("sample", str(DATA / "qualtrics_import_ids.csv"))])
    (line,) = problems(lines)
    assert "QID99" in line and "[surveys.sample.questions]" in line


@pytest.mark.parametrize("api", ["google", "graph"])
def test_doctor_reads_one_api_calendar_with_the_credentials_or_says_which_are_missing(api):
    from dashboard.core.config import Settings
    from tests.connectors.calendar.test_calendar_google import OAUTH
    from tests.connectors.calendar.test_calendar_graph import APP
    from tests.fakes.google_calendar import GoogleCalendarFake
    from tests.fakes.graph_calendar import GraphCalendarFake

    fake_class, env = (GoogleCalendarFake, OAUTH) if api == "google" else (GraphCalendarFake, APP)
    with fake_class() as fake:
        (fake.calendars if api == "google" else fake.users)[OWNER] = {}  # an empty calendar: reading it proves the access
        section = ({"calendars": [OWNER], "api_url": fake.api_url, "token_url": fake.token_url} if api == "google"
                   else {"users": [OWNER], "api_url": fake.api_url, "login_url": fake.login_url})
        settings = Settings(calendar={api: section})
        named = doctor.Named()
        (found,) = doctor.check_calendars(settings, named, env=env)
        assert found.status == doctor.READY and OWNER in found.message and named.calendar == {OWNER}
        (refused,) = doctor.check_calendars(settings, doctor.Named(), env={})
    assert refused.status == doctor.MISSING and "docs/calendars.md" in refused.message
    assert not any(value in refused.message for value in env.values())
