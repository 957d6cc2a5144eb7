"""Survey exports of every supported tool are recognised from their headers and read the same way:
hand-made ones with each tool's traps, and the real sample exports where the corpus exists."""
from __future__ import annotations

from datetime import datetime

import pytest

from connectors.survey import SurveyFormatError, detect, read_export, read_text
from connectors.survey.dates import DateError, column_order, parse
from tests.conftest import CORPUS, needs_corpus, own_and_corpus
from tests.survey_fixtures import DATA

SURVEYS = CORPUS / "surveys"


@pytest.mark.parametrize(
    ("file", "tool"),
    [
        pytest.param(SURVEYS / "qualtrics" / "qualtRics_sample.csv", "qualtrics", marks=needs_corpus),
        pytest.param(SURVEYS / "qualtrics" / "qualtRics_sample_legacy.csv", "qualtrics", marks=needs_corpus),
        pytest.param(SURVEYS / "typeform" / "typeform-sdk-csharp_WebhookResponse1.json", "typeform", marks=needs_corpus),
        pytest.param(SURVEYS / "typeform" / "typeform-sdk-csharp_WebhookResponse2.json", "typeform", marks=needs_corpus),
        (DATA / "qualtrics_import_ids.csv", "qualtrics"),
        (DATA / "qualtrics_legacy.csv", "qualtrics"),
        (DATA / "typeform_webhook.json", "typeform"),
        (DATA / "typeform_webhook_skipped.json", "typeform"),
        (DATA / "google_forms_en_gb.csv", "google_forms"),
        (DATA / "qualtrics_recode.csv", "qualtrics"),
        (DATA / "surveymonkey.csv", "surveymonkey"),
        (DATA / "ms_forms.csv", "ms_forms"),
        (DATA / "typeform.csv", "typeform"),
        (DATA / "typeform_responses.json", "typeform"),
    ],
    ids=lambda value: getattr(value, "name", value),
)
def test_every_export_is_recognised_from_its_headers(file, tool):
    assert detect(file.read_bytes().decode("utf-8-sig")) == tool
    export = read_export(file)
    assert export.tool == tool and export.responses and export.sha256


QUALTRICS = own_and_corpus(
    {"file": DATA / "qualtrics_import_ids.csv", "keys": ["QID7", "QID8_TEXT", "QID8_TEXT_5c1f0e2a9b7d4e3f8a6b2c1dTopics"],
     "tag": "Q7", "label": "How satisfied are you with product operations?", "key": "R_3kQv8ZpL2mN4xYb",
     "submitted": "2026-05-12 14:03:41", "answers": {"QID7": "4", "QID8_TEXT": "Fewer status meetings"},
     "private": ["198.51.100.23", "48.137199401855"]},
    {"file": SURVEYS / "qualtrics" / "qualtRics_sample.csv", "keys": ["QID1", "QID2_TEXT", "QID2_TEXT_eae5a8d0e7fd4bd183e983e5Topics"],
     "tag": "Q1", "label": "This is a multiple choice question.", "key": "R_2YPOQ602ER1jkf1",
     "submitted": "2017-07-18 08:28:48", "answers": {"QID1": "2", "QID2_TEXT": "Hello World!"},
     "private": ["130.92.34.66", "47.115097045898"]},
)
QUALTRICS_LEGACY = own_and_corpus(
    {"file": DATA / "qualtrics_legacy.csv", "key": "R_1xWq7TbN9cLp3Dz", "submitted": "2016-11-03 16:21:52", "name": "Nguyen"},
    {"file": SURVEYS / "qualtrics" / "qualtRics_sample_legacy.csv", "key": "R_2YPOQ602ER1jkf1", "submitted": "2017-07-18 08:28:48",
     "name": "Anonym"},
)


@pytest.mark.parametrize("facts", QUALTRICS)
def test_qualtrics_three_header_rows_key_questions_by_import_id_and_drop_personal_columns(facts):
    export = read_export(facts["file"])
    assert [c.key for c in export.columns] == facts["keys"]
    first = export.columns[0]
    assert facts["tag"] in first.aliases and first.label == facts["label"]
    (response,) = export.responses
    assert response.row == 4 and response.key == facts["key"]
    assert response.submitted == facts["submitted"] and export.submitted_column == "RecordedDate"
    assert response.answers == facts["answers"], "the empty last field is no answer"
    assert not any(value in repr(export) for value in facts["private"])


@pytest.mark.parametrize("facts", QUALTRICS_LEGACY)
def test_legacy_qualtrics_has_a_bom_two_header_rows_and_a_trailing_comma(facts):
    assert facts["file"].read_bytes().startswith(b"\xef\xbb\xbf")
    export = read_export(facts["file"])
    assert [c.key for c in export.columns] == ["Q1", "Q2"], "V1-V10 metadata and the empty trailing column are gone"
    (response,) = export.responses
    assert (response.row, response.key, response.submitted) == (3, facts["key"], facts["submitted"])
    assert facts["name"] not in repr(export)


def test_qualtrics_previews_and_unfinished_responses_are_excluded_and_time_zone_is_read():
    export = read_export(DATA / "qualtrics_recode.csv")
    assert export.time_zone == "Europe/Berlin"
    excluded = {r.key: r.excluded for r in export.responses if r.excluded}
    assert excluded == {"R_preview0000001": "survey preview", "R_unfinished00001": "unfinished"}
    team = next(c for c in export.columns if c.key == "team")
    assert not team.question, "embedded data is not a question"
    assert "ana.pm@example.com" not in repr(export) and "Lind" not in repr(export)


TYPEFORM_WEBHOOKS = own_and_corpus(
    {"files": [DATA / "typeform_webhook.json", DATA / "typeform_webhook_skipped.json"],
     "key": "b7c1q0x9z2m4k8f3h6j5n1p0r2t4v6w8", "submitted": "2026-10-14T09:41:07Z",
     "answers": {"pulse_insights": 4, "pulse_releases": 3, "pulse_rituals": ["Weekly status", "QBR prep"], "hidden.team": "payments"},
     "scale": ("pulse_insights", ("Kp3vQ9sLmT2a", "How much do you agree: I get the insights I need without asking?")),
     "private": ["sam.pm@example.com", "Sam here", "+441632960961", "screenshot.png"],
     "skipped": "pulse_upload", "no": "pulse_recommend"},
    {"files": [SURVEYS / "typeform" / "typeform-sdk-csharp_WebhookResponse1.json", SURVEYS / "typeform" / "typeform-sdk-csharp_WebhookResponse2.json"],
     "key": "7l8hjyfrjvt31l0if7l8ub70enlq4vya", "submitted": "2020-04-06T18:24:59Z",
     "answers": {"sdk_opinionscale": 5, "sdk_rating": 2, "sdk_multichoice_multi": ["Choice1", "Choice2"], "hidden.hiddenfield1": "hidden_value1"},
     "scale": ("sdk_opinionscale", ("ViKTN1UFwEwl", "Opinion Scale")),
     "private": ["johndoe@example.com", "John Doe", "+12345678900", "TEXT"],
     "skipped": "sdk_fileupload", "no": "sdk_yesno"},
)


@pytest.mark.parametrize("facts", TYPEFORM_WEBHOOKS)
def test_typeform_webhook_payloads_key_answers_by_ref_and_never_keep_typed_text(facts):
    export = read_export(facts["files"][0])
    (response,) = export.responses
    assert response.key == facts["key"] and response.submitted == facts["submitted"]
    assert {k: response.answers[k] for k in facts["answers"]} == facts["answers"]
    ref, aliases = facts["scale"]
    assert next(c for c in export.columns if c.key == ref).aliases == aliases
    assert not any(value in repr(export) for value in facts["private"])


@pytest.mark.parametrize("facts", TYPEFORM_WEBHOOKS)
def test_a_skipped_typeform_question_has_no_answer(facts):
    (response,) = read_export(facts["files"][1]).responses
    assert facts["skipped"] not in response.answers
    assert response.answers[facts["no"]] is False


def test_typeform_responses_api_page_reads_hidden_fields_as_columns():
    export = read_export(DATA / "typeform_responses.json")
    assert [r.key for r in export.responses] == ["21085286190ffad1248d17c4135ee56f", "610fc266478b41e4927945e20fe54ad2"]
    assert export.responses[0].answers["hidden.team"] == "Search" and export.row_word == "item"
    assert "Please stop" not in repr(export) and "ana.pm@example.com" not in repr(export)


def test_surveymonkey_multi_column_questions_carry_their_question_forward():
    export = read_export(DATA / "surveymonkey.csv")
    keys = [c.key for c in export.columns]
    assert "How much do you agree? | We agree on priorities" in keys
    assert "How much do you agree? | Operations requests confuse me" in keys
    assert "Which tools do you use for data? | SQL" in keys
    role = next(c for c in export.columns if c.key == "What is your role?")
    assert role.aliases == ("What is your role? | Response",)
    custom = next(c for c in export.columns if c.key == "Custom Data 1")
    assert not custom.question
    first = export.responses[0]
    assert first.row == 3 and first.key == "118212345601" and first.submitted == "09/14/2026 09:06:40 AM"
    assert first.answers["How much do you agree? | We agree on priorities"] == "Strongly agree"
    assert "Ana" not in repr(export) and "198.51.100.4" not in repr(export)


def test_google_forms_and_microsoft_forms_drop_emails_and_names():
    google = read_export(DATA / "google_forms_en_gb.csv")
    assert google.columns[0].key == "What is your role?" and google.submitted_column == "Timestamp"
    assert google.responses[0].key == "09/03/2026 14:28:27#1", "no response id: the timestamp stands in"
    grid = next(c for c in google.columns if "[We agree on priorities]" in c.key)
    assert grid.parent == "How aligned are product and operations?"
    assert "example.com" not in repr(google)
    forms = read_export(DATA / "ms_forms.csv")
    assert [r.key for r in forms.responses] == ["1", "2", "3"] and forms.submitted_column == "Completion time"
    assert "anonymous" not in repr(forms)


def test_text_and_paths_read_the_same():
    text = (DATA / "ms_forms.csv").read_text()
    assert read_text(text, "generated.csv").responses == read_export(DATA / "ms_forms.csv").responses


def test_an_unknown_file_is_refused_with_what_its_header_looked_like(tmp_path):
    file = tmp_path / "people.csv"
    file.write_text("name,email\nAna,ana@example.com\n")
    with pytest.raises(SurveyFormatError, match=r"people.csv: not a recognised survey export.*'name', 'email'"):
        read_export(file)


def test_a_missing_required_column_names_the_file_and_column():
    text = "Respondent ID,Collector ID,Start Date,IP Address,Q\n,,,,Response\n1,2,3,4,5\n"
    with pytest.raises(SurveyFormatError, match=r"monkey.csv: missing required column 'End Date'"):
        read_text(text, "monkey.csv")


# ---------------------------------------------------------------------------------------------
# Dates: Google Forms writes the form owner's locale


def test_day_first_is_proven_by_a_day_over_twelve():
    assert column_order(["09/03/2026 14:28:27", "13/03/2026 08:05:59"], None) == "dmy"
    assert column_order(["3/17/26 14:28:27", "3/18/26 9:03:45"], None) == "mdy"


def test_dates_that_read_both_ways_are_refused_unless_the_survey_says_how():
    with pytest.raises(DateError, match="set date_order"):
        column_order(["09/03/2026 14:28:27", "10/03/2026 09:15:40"], None)
    assert column_order(["09/03/2026 14:28:27"], "mdy") == "mdy"
    assert parse("09/03/2026 14:28:27", "mdy", "UTC") == datetime(2026, 9, 3, 14, 28, 27)
    assert parse("09/03/2026 14:28:27", "dmy", "UTC") == datetime(2026, 3, 9, 14, 28, 27)


@pytest.mark.parametrize(
    ("text", "zone", "expected"),
    [
        ("18.07.2017 08:28:09", "Europe/Berlin", datetime(2017, 7, 18, 6, 28, 9)),  # German locale: day first
        ("2026-03-09 14:28:27", "Europe/Berlin", datetime(2026, 3, 9, 13, 28, 27)),
        ("2026-03-09T14:28:27Z", "Europe/Berlin", datetime(2026, 3, 9, 14, 28, 27)),
        ("2026/03/09 2:28:27 PM GMT+1", "UTC", datetime(2026, 3, 9, 13, 28, 27)),
        ("09/14/2026 01:15:00 PM", "America/New_York", datetime(2026, 9, 14, 17, 15, 0)),
        ("46090.5", "UTC", datetime(2026, 3, 9, 12, 0, 0)),  # a Google Sheets serial day number
    ],
)
def test_timestamps_in_several_locales_become_utc(text, zone, expected):
    assert parse(text, "mdy", zone) == expected


def test_a_broken_timestamp_is_an_error_not_a_guess():
    with pytest.raises(DateError, match="not a valid date"):
        parse("31/02/2026 10:00", "dmy", "UTC")
    with pytest.raises(DateError, match="not a date and time"):
        parse("yesterday", "dmy", "UTC")
