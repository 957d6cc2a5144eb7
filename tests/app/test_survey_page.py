"""The Survey page in process with AppTest over exports loaded through the connector: it renders at
every scope and says "fewer than N responses" where a number is withheld."""
from __future__ import annotations

from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from connectors.roster import load_roster, parse_roster
from connectors.survey import load_wave, read_export
from dashboard.app.ui import Filters
from dashboard.core.store import Store
from tests.conftest import page_file
from tests.survey_fixtures import DATA, SALT, settings, store_with_teams

PAGE = page_file("surveys.py")
ROSTER = "person_id,name,email,role,team_id,team_name,group,time_zone,working_hours,start_date,end_date\n" + "".join(
    f"p{i},P {i},p{i}@example.com,pm,{team},{team.title()},{group},Europe/Berlin,,2024-01-01,\n"
    for i, (team, group) in enumerate([("payments", "Money")] * 3 + [("checkout", "Money")] * 2 + [("search", "Discovery")] * 2)
) + "o1,O 1,o1@example.com,ops,,,,Europe/Berlin,,2024-01-01,\n"


@pytest.fixture(scope="module")
def survey_db(tmp_path_factory, databases):
    folder = tmp_path_factory.mktemp("survey_page")
    location = databases.location(folder, "survey_page")
    store = store_with_teams(Store(location))
    load_roster(store, parse_roster(ROSTER, "hr.csv"), as_of=date(2026, 1, 1))
    config = settings()
    for survey, file, wave in [("gforms", "google_forms_en_gb.csv", "2026-03"), ("msforms", "ms_forms.csv", "2026-03"),
                               ("qualtrics", "qualtrics_recode.csv", "2026-06")]:
        load_wave(store, read_export(DATA / file), survey=survey, wave=wave, settings=config, salt=SALT)
    config_file = folder / "prodops.toml"
    config_file.write_text("[privacy]\nmin_group_size = 3\n")
    return location, config_file


def run(survey_db, monkeypatch, group=None, team=None) -> AppTest:
    location, config_file = survey_db
    monkeypatch.setenv("PRODOPS_DB", location)
    monkeypatch.setenv("PRODOPS_CONFIG", str(config_file))
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["_filters"] = Filters(date(2026, 1, 1), date(2026, 4, 1), "quarter", group, team, date(2026, 9, 30))
    return at.run()


@pytest.mark.parametrize(("group", "team"), [(None, None), ("Money", None), ("Money", "payments")])
def test_the_survey_page_renders_at_every_scope(survey_db, monkeypatch, group, team):
    at = run(survey_db, monkeypatch, group, team)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Surveys"
    assert [h.value for h in at.header] == ["Constructs over waves", "PMs and operations side by side", "Answers to one question"]
    charts = {chart.proto.id for chart in at.get("plotly_chart")}
    assert any("survey_trend" in c for c in charts) and any("survey_sides" in c for c in charts)
    assert "gforms/2026-03" in at.selectbox(key="survey_wave").options or at.selectbox(key="survey_wave").value


def test_withheld_numbers_say_why(survey_db, monkeypatch):
    at = run(survey_db, monkeypatch, "Money", "checkout")
    notes = " ".join(c.value for c in at.caption)
    assert "fewer than 3 responses" in notes
    assert "Operations people belong to no product team" in notes


def test_no_waves_in_range_is_said_plainly(survey_db, monkeypatch):
    location, config_file = survey_db
    monkeypatch.setenv("PRODOPS_DB", location)
    monkeypatch.setenv("PRODOPS_CONFIG", str(config_file))
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["_filters"] = Filters(date(2024, 1, 1), date(2024, 4, 1), "quarter", None, None, date(2026, 9, 30))
    at.run()
    assert not at.exception and "No survey waves in this range" in at.info[0].value


def test_the_survey_page_renders_on_the_demo_organisation(demo_env):
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["_filters"] = Filters(date(2025, 1, 1), date(2026, 10, 1), "quarter", None, None, date(2026, 11, 26))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.get("plotly_chart")) >= 2
