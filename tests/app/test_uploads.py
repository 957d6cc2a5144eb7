"""The Data page's uploads: a preview reads the file as `load` would and writes nothing; Load writes it."""
from __future__ import annotations

from datetime import date

from dashboard.app import uploads
from tests.survey_fixtures import DATA, settings, store_with_teams

HEADER = "person_id,name,email,role,team_id,team_name,group,time_zone,working_hours,start_date,end_date\n"
ROSTER = HEADER + (
    "p1,Ana Lind,ana@example.com,pm,payments,Payments,Money,Europe/Berlin,09:00-17:00,2024-02-01,\n"
    "p2,Ben Berg,ben@example.com,ops,,,,Europe/London,,2025-06-15,\n"
    "p3,Cleo Park,cleo@example.com,pm,,,,Mars/Olympus,,2025-06-15,\n"
)


def test_a_roster_preview_counts_what_would_load_names_each_bad_row_and_writes_nothing(make_store):
    store = make_store("uploads")
    preview = uploads.roster_preview(ROSTER.encode(), "hr.csv")
    assert preview.loadable and preview.counts == {"people": 2, "PMs": 1, "teams": 1, "rows left out": 1}
    assert preview.problems and all(p.startswith("hr.csv, row 4") for p in preview.problems)
    assert not store.exists()
    message = uploads.load_roster_file(store, preview, settings(), date(2026, 11, 26))
    assert "2 people" in message and sorted(store.table("people")["person_id"]) == ["p1", "p2"]


def test_a_file_that_is_no_roster_is_one_problem_and_cannot_be_loaded():
    preview = uploads.roster_preview(b"name,email\nAna,ana@example.com\n", "people.csv")
    assert not preview.loadable and len(preview.problems) == 1 and "people.csv" in preview.problems[0]


def test_a_survey_preview_counts_responses_and_writes_nothing_until_loaded(make_store, monkeypatch):
    monkeypatch.setenv("PRODOPS_SURVEY_SALT", "test-salt")  # a shared database keeps no salt file beside it
    store = store_with_teams(make_store("surveys"))
    data = (DATA / "qualtrics_recode.csv").read_bytes()
    before = len(store.table("survey_answers"))
    preview = uploads.survey_preview(store, data, "pulse.csv", "qualtrics", "2026-1", settings())
    assert preview.loadable and preview.counts["responses"] > 0 and preview.counts["excluded"] == 2
    assert len(store.table("survey_answers")) == before == 0
    uploads.load_survey_file(store, preview, "qualtrics", "2026-1", settings())
    assert store.table("survey_answers")["response_id"].nunique() == preview.counts["responses"]


def test_a_survey_without_a_mapping_cannot_be_loaded(make_store):
    store = store_with_teams(make_store("surveys"))
    preview = uploads.survey_preview(store, (DATA / "ms_forms.csv").read_bytes(), "f.csv", "nope", "w", settings())
    assert not preview.loadable and "no [surveys.nope] mapping" in preview.problems[0]
