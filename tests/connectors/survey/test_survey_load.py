"""Exports through the mapping into the store: problems located by file, row and column, nothing
personal kept, a reload that changes nothing, a corrected export that replaces its wave."""
from __future__ import annotations

import os
import stat

import pandas as pd
import pytest

from connectors.survey import SurveyImportError, load_wave, read_export, read_text
from connectors.survey.load import survey_salt
from dashboard.core.config import parse_settings
from dashboard.core.schema import TABLES
from tests.conftest import CORPUS, own_and_corpus
from tests.survey_fixtures import DATA, SALT, settings, store_with_teams

EXPORTS = {
    "gforms": ("google_forms_en_gb.csv", 6, 27, 2),
    "qualtrics": ("qualtrics_recode.csv", 4, 15, 1),
    "monkey": ("surveymonkey.csv", 3, 12, 0),
    "msforms": ("ms_forms.csv", 3, 9, 0),
    "typeform_csv": ("typeform.csv", 2, 4, 0),
    "typeform_api": ("typeform_responses.json", 2, 3, 1),
}


@pytest.fixture()
def survey_store(make_store):
    return store_with_teams(make_store("surveys"))


def load(store, survey, wave="2026-1", file=None, config=None, salt=SALT):
    return load_wave(store, read_export(DATA / (file or EXPORTS[survey][0])), survey=survey, wave=wave,
                     settings=config or settings(), salt=salt)


def answers_of(store, survey_id):
    return store.query("SELECT * FROM survey_answers WHERE survey_id = ? ORDER BY submitted_at, question_id", [survey_id])


@pytest.mark.parametrize("survey", list(EXPORTS))
def test_every_tool_loads_through_its_mapping(survey_store, survey):
    file, responses, answers, issues = EXPORTS[survey]
    report = load(survey_store, survey)
    assert (report.responses, report.answers, len(report.issues)) == (responses, answers, issues), [str(i) for i in report.issues]
    wave = survey_store.query("SELECT * FROM survey_waves").iloc[0]
    assert wave["survey_id"] == f"{survey}/2026-1" and wave["source_name"] == file and wave["responses"] == responses
    assert set(answers_of(survey_store, report.survey_id)["respondent_role"]) == {"pm", "ops"}


def test_google_forms_answers_are_points_on_their_scales(survey_store):
    report = load(survey_store, "gforms")
    rows = answers_of(survey_store, report.survey_id)
    ana = rows[rows["submitted_at"] == pd.Timestamp("2026-03-09 13:28:27")]  # 14:28:27 in Berlin
    assert dict(zip(ana["question_id"], ana["value"])) == {
        "insights": 4, "align_priorities": 4, "align_confused": 2, "enps": 9, "strategy_pct": 30,
    }
    ben = rows[rows["submitted_at"] == pd.Timestamp("2026-03-09 14:02:11")]
    assert set(ben["team_id"]) == {"payments"}, "'Payments squad' is a configured alias"
    cleo = rows[rows["submitted_at"] == pd.Timestamp("2026-03-10 08:15:40")]
    assert "strategy_pct" not in set(cleo["question_id"]), "N/A is no answer, not zero"
    eve = rows[rows["respondent_role"] == "ops"]
    assert eve["team_id"].isna().all()
    questions = survey_store.query("SELECT * FROM survey_questions ORDER BY question_id").set_index("question_id")
    assert questions.loc["align_confused", "scale"] == "likert5-r"
    assert questions.loc["insights", "text"] == "I get the insights I need without having to ask"


def test_problems_are_reported_by_file_row_and_column_and_the_rest_loads(survey_store):
    report = load(survey_store, "gforms")
    messages = [str(issue) for issue in report.issues]
    file = str(DATA / "google_forms_en_gb.csv")
    assert f"{file}, row 5, column 'Which team are you on?': team answer 'Growth' names no known team" in messages[0]
    assert messages[1] == (f"{file}, row 7, column 'I get the insights I need without having to ask': "
                           "answer '6' is outside the likert5 scale (1-5)")
    finn = answers_of(survey_store, report.survey_id).query("team_id == 'search'")
    assert len(finn) == 4, "the other answers of the row with a bad one are kept"


def test_an_unmatched_team_is_kept_for_the_organisation_and_listed(survey_store):
    load(survey_store, "gforms")
    unmatched = survey_store.query("SELECT field, value, responses FROM survey_unmatched")
    assert unmatched.to_dict("records") == [{"field": "team", "value": "Growth", "responses": 1}]
    dev = survey_store.query("SELECT * FROM survey_answers WHERE submitted_at = TIMESTAMP '2026-03-11 10:47:03'")
    assert len(dev) == 5 and dev["team_id"].isna().all()


def test_qualtrics_recodes_that_skip_numbers_are_read_through_the_mapping(survey_store):
    report = load(survey_store, "qualtrics")
    rows = answers_of(survey_store, report.survey_id)
    insights = rows[rows["question_id"] == "insights"].set_index("submitted_at")["value"]
    assert insights.to_dict() == {pd.Timestamp("2026-06-01 07:04:11"): 5, pd.Timestamp("2026-06-01 08:03:01"): 3,
                                  pd.Timestamp("2026-06-02 10:05:01"): 2}
    (issue,) = report.issues
    assert (issue.row, issue.column) == (8, "QID1") and "'3' is not one of the question's values" in issue.message
    assert report.excluded == 2, "the preview and the unfinished response"


def test_surveymonkey_matrix_rows_are_separate_questions_and_checkboxes_are_ignored(survey_store):
    report = load(survey_store, "monkey")
    rows = answers_of(survey_store, report.survey_id)
    first = rows[rows["submitted_at"] == pd.Timestamp("2026-09-14 13:06:40")]  # 09:06:40 AM in New York
    assert dict(zip(first["question_id"], first["value"])) == {"insights": 4, "align_priorities": 5, "align_confused": 2, "enps": 9}
    assert report.issues == []


def test_a_question_that_maps_to_nothing_is_reported_not_loaded(survey_store):
    config = settings()
    data = config.model_dump(by_alias=True)
    data["surveys"]["monkey"]["ignore"] = ["Comments"]
    report = load(survey_store, "monkey", config=parse_settings(data))
    unmapped = [(i.column, i.message) for i in report.issues]
    assert ("Which tools do you use for data? | SQL", "this question maps to nothing: map it under "
            "[surveys.<name>.questions] or list it in ignore") in unmapped
    assert len(unmapped) == 3 and all(i.row is None for i in report.issues)


def test_a_missing_required_column_stops_the_load_and_changes_nothing(survey_store):
    text = (DATA / "ms_forms.csv").read_text().replace("We agree on priorities", "We agree")
    before = survey_store.version()
    with pytest.raises(SurveyImportError) as error:
        load_wave(survey_store, read_text(text, "forms.csv"), survey="msforms", wave="w", settings=settings(), salt=SALT)
    assert "forms.csv, column 'We agree on priorities': missing required column for question" in str(error.value)
    assert survey_store.version() == before


def test_an_export_of_another_tool_is_refused(survey_store):
    with pytest.raises(SurveyImportError, match="the mapping is for ms_forms exports but this file is a google_forms export"):
        load(survey_store, "msforms", file="google_forms_en_gb.csv")


def test_google_forms_dates_that_read_both_ways_need_the_locale(survey_store):
    text = (DATA / "google_forms_en_gb.csv").read_text().replace("13/03/2026", "12/03/2026")
    with pytest.raises(SurveyImportError, match=r"gf.csv, column 'Timestamp': .*set date_order"):
        load_wave(survey_store, read_text(text, "gf.csv"), survey="gforms", wave="w", settings=settings(), salt=SALT)
    config = settings()
    data = config.model_dump(by_alias=True)
    data["surveys"]["gforms"]["date_order"] = "dmy"
    report = load_wave(survey_store, read_text(text, "gf.csv"), survey="gforms", wave="w", settings=parse_settings(data), salt=SALT)
    first = survey_store.query("SELECT min(submitted_at) AS t FROM survey_answers")["t"][0]
    assert report.responses == 6 and first == pd.Timestamp("2026-03-09 13:28:27"), "9 March, not 3 September"


@pytest.mark.parametrize("facts", own_and_corpus(
    {"file": DATA / "qualtrics_import_ids.csv", "ignore": ["Q8", "Q8 - Topics"], "question": "QID7", "value": 4.0,
     "submitted": "2026-05-12 14:03:41"},
    {"file": CORPUS / "surveys" / "qualtrics" / "qualtRics_sample.csv", "ignore": ["Q2", "Q2 - Topics"], "question": "QID1",
     "value": 2.0, "submitted": "2017-07-18 08:28:48"},
))
def test_a_qualtrics_sample_loads_with_a_mapping(survey_store, facts):
    config = parse_settings({"surveys": {"sample": {
        "role": "pm", "ignore": facts["ignore"],
        "questions": {facts["question"]: {"construct": "ops_satisfaction", "scale": "likert5"}},
    }}})
    report = load_wave(survey_store, read_export(facts["file"]), survey="sample", wave="w", settings=config, salt=SALT)
    assert (report.responses, report.issues) == (1, [])
    row = survey_store.query("SELECT * FROM survey_answers").iloc[0]
    assert (row["question_id"], row["value"], row["submitted_at"]) == (facts["question"], facts["value"], pd.Timestamp(facts["submitted"]))


# ---------------------------------------------------------------------------------------------
# Privacy of what is stored


def everything_stored(store) -> str:
    return "\n".join(store.table(name).to_csv() for name in TABLES)


def test_names_emails_free_text_and_tool_ids_are_never_stored(survey_store):
    for survey in EXPORTS:
        load(survey_store, survey)
    stored = everything_stored(survey_store)
    for secret in ["example.com", "Ana", "Lind", "Dashboards are great", "Too many status meetings", "Love the new",
                   "Spreadsheets from Cleo", "Please stop", "203.0.113.7", "198.51.100.4", "R_1a2b3c4d5e6f7g8",
                   "118212345601", "21085286190ffad1248d17c4135ee56f", "A metrics catalogue", "anonymous"]:
        assert secret not in stored, secret


def test_a_response_id_is_a_salted_hash_stable_across_loads(survey_store, make_store):
    load(survey_store, "qualtrics")
    first = set(survey_store.table("survey_answers")["response_id"])
    other = store_with_teams(make_store("other"))
    load(other, "qualtrics", salt=b"another salt")
    assert first.isdisjoint(set(other.table("survey_answers")["response_id"]))
    again = store_with_teams(make_store("again"))
    load(again, "qualtrics")
    assert set(again.table("survey_answers")["response_id"]) == first


@pytest.mark.duckdb_only("the salt file lives beside the DuckDB file; PostgreSQL needs the salt set")
def test_the_salt_comes_from_the_environment_or_a_private_file_beside_the_database(survey_store, monkeypatch, tmp_path):
    monkeypatch.setenv("PRODOPS_SURVEY_SALT", "from-env")
    assert survey_salt(survey_store, tmp_path / "none.toml") == b"from-env"
    monkeypatch.delenv("PRODOPS_SURVEY_SALT")
    salt = survey_salt(survey_store, tmp_path / "none.toml")
    beside = survey_store.path.with_name(survey_store.path.name + ".survey-salt")
    assert len(salt) == 64 and stat.S_IMODE(os.stat(beside).st_mode) == 0o600
    assert survey_salt(survey_store, tmp_path / "none.toml") == salt


# ---------------------------------------------------------------------------------------------
# Waves: reloading changes nothing; a corrected export replaces its wave


def test_loading_the_same_export_twice_changes_nothing(survey_store):
    first = load(survey_store, "gforms")
    before, version = everything_stored(survey_store), survey_store.version()
    second = load(survey_store, "gforms")
    assert not first.unchanged and second.unchanged
    assert survey_store.version() == version and everything_stored(survey_store) == before


def test_a_corrected_export_replaces_its_wave_and_leaves_the_others(survey_store):
    load(survey_store, "msforms", wave="2026-03")
    load(survey_store, "gforms", wave="2026-03")
    text = (DATA / "ms_forms.csv").read_text().splitlines()
    corrected = "\n".join([text[0], text[1].replace(",8", ",10"), text[3]]) + "\n"  # response 2 withdrawn, 1 corrected
    report = load_wave(survey_store, read_text(corrected, "ms_forms_v2.csv"), survey="msforms", wave="2026-03",
                       settings=settings(), salt=SALT)
    rows = answers_of(survey_store, "msforms/2026-03")
    assert report.responses == 2 and rows["response_id"].nunique() == 2
    assert rows.query("question_id == 'enps' and respondent_role == 'pm'")["value"].tolist() == [10]
    assert answers_of(survey_store, "gforms/2026-03")["response_id"].nunique() == 6
    waves = survey_store.query("SELECT survey_id, source_name, responses FROM survey_waves ORDER BY survey_id")
    assert waves.to_dict("records") == [
        {"survey_id": "gforms/2026-03", "source_name": "google_forms_en_gb.csv", "responses": 6},
        {"survey_id": "msforms/2026-03", "source_name": "ms_forms_v2.csv", "responses": 2},
    ]


def test_a_survey_without_a_mapping_is_refused(survey_store):
    with pytest.raises(SurveyImportError, match=r"no \[surveys.nope\] mapping in the configuration"):
        load(survey_store, "nope", file="ms_forms.csv")


def test_a_mapping_can_be_given_in_code_instead_of_the_configuration(survey_store):
    from dashboard.core.config import Settings

    mapping = settings().surveys["msforms"]
    report = load_wave(survey_store, read_export(DATA / "ms_forms.csv"), survey="demo_pulse", wave="2026-03",
                       settings=Settings(), salt=SALT, mapping=mapping)
    assert report.survey_id == "demo_pulse/2026-03" and report.responses == 3
