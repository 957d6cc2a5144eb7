"""The Survey page in process with AppTest over exports loaded through the connector: it renders at
every scope and says "fewer than N responses" where a number is withheld, and a click on a score
opens the answers behind it, which count to the score clicked (or, behind a withheld score, only
the reason)."""
from __future__ import annotations

import base64
import json
import re
import shutil
from datetime import date

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from connectors.roster import load_roster, parse_roster
from connectors.survey import load_wave, read_export
from dashboard.app import survey_views
from dashboard.app.ui import Filters
from dashboard.core.store import Store
from dashboard.metrics import load_tables
from dashboard.metrics.surveys import wave_table
from tests.conftest import page_file
from tests.survey_fixtures import DATA, SALT, settings, store_with_teams

PAGE = page_file("surveys.py")
ROSTER = "person_id,name,email,role,team_id,team_name,group,time_zone,working_hours,start_date,end_date\n" + "".join(
    f"p{i},P {i},p{i}@example.com,pm,{team},{team.title()},{group},Europe/Berlin,,2024-01-01,\n"
    for i, (team, group) in enumerate([("payments", "Money")] * 3 + [("checkout", "Money")] * 2 + [("search", "Discovery")] * 2)
) + "o1,O 1,o1@example.com,ops,,,,Europe/Berlin,,2024-01-01,\n"


K = 3
"""The privacy minimum the exports are loaded (and their scores published) with, and the page runs with."""


def loaded_settings():
    return settings(privacy={"min_group_size": K})


@pytest.fixture(scope="module")
def survey_db(tmp_path_factory, databases):
    folder = tmp_path_factory.mktemp("survey_page")
    location = databases.location(folder, "survey_page")
    store = store_with_teams(Store(location))
    load_roster(store, parse_roster(ROSTER, "hr.csv"), as_of=date(2026, 1, 1))
    config = loaded_settings()
    for survey, file, wave in [("gforms", "google_forms_en_gb.csv", "2026-03"), ("msforms", "ms_forms.csv", "2026-03"),
                               ("qualtrics", "qualtrics_recode.csv", "2026-06")]:
        load_wave(store, read_export(DATA / file), survey=survey, wave=wave, settings=config, salt=SALT)
    config_file = folder / "prodops.toml"
    config_file.write_text(f"[privacy]\nmin_group_size = {K}\n")
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


# ---------------------------------------------------------------------------------------------
# A click on a score: the answers behind it, counted to the number clicked

COUNTED = re.compile(r"^Counted from these answers: ([^,]+),")
HEADLINE = re.compile(r"^\*\*(.+): (.+?)\.?\*\*$")


def typed(values) -> list:
    """A Plotly JSON array: a list, or a typed array in base64 (`{"dtype": "f8", "bdata": ...}`)."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return list(values)


def figure(at: AppTest, chart_key: str) -> dict:
    return json.loads(next(c for c in at.get("plotly_chart") if chart_key in c.proto.id).proto.spec)


def shown_points(at: AppTest, chart_key: str, every: bool) -> list[tuple[int, int, float]]:
    """(curve, point index, y) of every drawn point, or of each trace's last (each line's newest wave)."""
    found = []
    for curve, trace in enumerate(figure(at, chart_key)["data"]):
        drawn = [(curve, i, y) for i, y in enumerate(typed(trace["y"])) if y is not None and not np.isnan(y)]
        found += drawn if every else drawn[-1:]
    return found


def click(chart_key: str, curve: int, index: int, traces: list[dict], monkeypatch) -> tuple:
    """What the chart's `on_select` callback makes of a click on the point: the point it chooses."""
    state = {chart_key: {"selection": {"points": [{"curve_number": curve, "point_index": index, "point_number": index}],
                                       "point_indices": [index], "box": [], "lasso": []}}}
    with monkeypatch.context() as patch:
        patch.setattr(st, "session_state", state)
        survey_views.on_click(chart_key, [trace.get("meta") for trace in traces])
    return state[f"rec_{chart_key}"]


def recount(rows: pd.DataFrame) -> float:
    """The score from the rows shown, by the metrics' definitions, written apart from the page's own count."""
    n = rows["Respondents"].sum()
    if "Counts as" in rows:
        kind = rows["Counts as"].str.split(" ").str[0]
        return (rows.loc[kind == "promoter", "Respondents"].sum() - rows.loc[kind == "detractor", "Respondents"].sum()) / n * 100
    column = "Answer (%)" if "Answer (%)" in rows else "Score (0-100)"
    return float((rows[column] * rows["Respondents"]).sum() / n)


def answers_shown(at: AppTest) -> list[pd.DataFrame]:
    frames = [t.value.data if hasattr(t.value, "data") else t.value for t in at.dataframe]
    return [frame for frame in frames if "Respondents" in frame.columns]


def assert_counts_to_the_click(at: AppTest, chart_key: str, monkeypatch, every: bool = False) -> int:
    """Click each line's newest drawn point (or every point) in turn: the answers opened count to its y."""
    clicked = 0
    for curve, index, y in shown_points(at, chart_key, every):
        point = click(chart_key, curve, index, figure(at, chart_key)["data"], monkeypatch)
        at.session_state[f"rec_{chart_key}"] = point
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert at.selectbox(key=f"rec_{chart_key}").value == point
        (rows,) = answers_shown(at)
        assert recount(rows) == pytest.approx(y, abs=1e-9), (point, rows)
        assert rows["Respondents"].sum() == int(re.search(r"n = (\d+)", " ".join(c.value for c in at.caption)).group(1))
        counted = [COUNTED.match(c.value).group(1) for c in at.caption if COUNTED.match(c.value)]
        headline = [HEADLINE.match(m.value).group(2) for m in at.markdown if HEADLINE.match(m.value)]
        assert counted == headline[-1:] and counted, (counted, headline)
        assert [b.proto.label for b in at.get("download_button")] == ["Download these rows (CSV)"]
        clicked += 1
    return clicked


def test_a_click_maps_to_the_point_under_it():
    identities = [[["alignment", "pm", "w1"], ["alignment", "pm", "w2"]], None, [["enps", "ops", "w2"]]]
    event = lambda curve, index: {"selection": {"points": [{"curve_number": curve, "point_index": index}]}}  # noqa: E731
    assert survey_views.clicked(event(0, 1), identities) == ("alignment", "pm", "w2")
    assert survey_views.clicked(event(2, 0), identities) == ("enps", "ops", "w2")
    assert survey_views.clicked(event(1, 0), identities) is None
    assert survey_views.clicked(event(3, 0), identities) is None
    assert survey_views.clicked({"selection": {"points": []}}, identities) is None
    assert survey_views.clicked(None, identities) is None


@pytest.mark.parametrize(("group", "team"), [(None, None), ("Money", None)])
@pytest.mark.parametrize("chart_key", ["survey_trend", "survey_sides"])
def test_a_clicked_score_opens_answers_that_count_to_it(survey_db, monkeypatch, group, team, chart_key):
    at = run(survey_db, monkeypatch, group, team)
    assert assert_counts_to_the_click(at, chart_key, monkeypatch) >= 2


def test_a_withheld_score_shows_only_why(survey_db, monkeypatch):
    at = run(survey_db, monkeypatch, "Money", "checkout")
    box = at.selectbox(key="rec_survey_trend")
    hidden = [k for k, label in enumerate(box.options) if label.endswith(" · hidden")]
    assert hidden, box.options
    box.select_index(hidden[0]).run()
    assert not at.exception, [e.value for e in at.exception]
    headlines = [m.value for m in at.markdown if m.value.startswith("**")]
    assert headlines and headlines[-1].endswith(": hidden to keep respondents anonymous.**"), headlines
    captions = " ".join(c.value for c in at.caption)
    assert "Counted from these answers" not in captions and "n = " not in captions and "response rate" not in captions
    assert not answers_shown(at) and not at.get("download_button")


@pytest.mark.duckdb_only("the click and its panel are Streamlit's, the same over either store; the tests over the "
                         "survey exports above count the answers on both")
@pytest.mark.parametrize(("chart_key", "points"), [("survey_trend", 7), ("survey_sides", 12)])
def test_a_click_on_the_demo_organisation_counts_to_the_score_clicked(demo_env, monkeypatch, chart_key, points):
    """Each construct's newest point (five scores, eNPS, time on strategy), and every bar of the
    last wave: PMs and operations for alignment, satisfaction, eNPS and the two constructs issue 21
    added (knowing the processes, decision rights), PMs alone for the two questions only PMs are
    asked (insights, time on strategy)."""
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["_filters"] = Filters(date(2025, 1, 1), date(2026, 10, 1), "quarter", None, None, date(2026, 11, 26))
    at.run()
    assert assert_counts_to_the_click(at, chart_key, monkeypatch, every=chart_key == "survey_sides") == points


def test_answers_are_shown_only_behind_a_score_published_from_them(survey_db):
    """Behind a score the ledger holds at an earlier version's value (one answer changed since, and
    publishing the change would tell that answer), the answers there are now are not shown: beside
    the held score they would tell the change."""
    tables = load_tables(Store(survey_db[0]))
    config = loaded_settings()
    shown = wave_table(tables, config, "org", "org")
    shown = shown[shown["shown"] & (shown["role"] == "all") & shown["construct"].isin(["alignment", "insights_self_serve"])]
    assert len(shown), "the ledger shows a score to look behind"
    survey_id, construct, score = shown.iloc[0][["survey_id", "construct", "mean"]]
    rows = survey_views.answer_counts(tables, config, "org", "org", survey_id, construct, "all", "score")
    assert survey_views.recount(rows, "score") == pytest.approx(score, abs=1e-9)

    asked = tables["survey_questions"]
    asked = asked[(asked["survey_id"] == survey_id) & (asked["construct"] == construct)]["question_id"]
    answers = tables["survey_answers"].copy()
    first = answers.index[(answers["survey_id"] == survey_id) & answers["question_id"].isin(asked) & answers["value"].notna()][0]
    answers.loc[first, "value"] = 1.0 if answers.loc[first, "value"] != 1.0 else 5.0
    changed = {**tables, "survey_answers": answers}
    now = wave_table(changed, config, "org", "org").set_index(["survey_id", "construct", "role"]).loc[(survey_id, construct, "all")]
    assert now["shown"] and now["mean"] == pytest.approx(score, abs=1e-9), "the ledger holds the score it published"
    assert survey_views.answer_counts(changed, config, "org", "org", survey_id, construct, "all", "score") is None


@pytest.mark.duckdb_only("the page reads the ledger the same way from either store; the test copies the DuckDB file")
def test_the_page_draws_the_published_score_not_one_recomputed_from_answers_changed_since(survey_db, monkeypatch, tmp_path):
    """A score the ledger published stays as published when answers change without a new
    publication, as it does on the signal pages: two versions of one cell side by side would
    tell the changed answers."""
    location, config_file = survey_db
    changed = tmp_path / "changed.duckdb"
    shutil.copyfile(location, changed)
    before = run((str(changed), config_file), monkeypatch)
    drawn_before = shown_points(before, "survey_trend", every=True)
    store = Store(str(changed))
    answers = store.table("survey_answers")
    answers["value"] = answers["value"].where(answers["value"].isna(), 1.0)
    with store.transaction() as tx:
        tx.upsert("survey_answers", answers)
    unpublished = {name: frame for name, frame in load_tables(store).items() if name != "privacy_cells"}
    fresh = wave_table(unpublished, loaded_settings(), "org", "org")
    recomputed = set(fresh.loc[fresh["shown"], "mean"].round(6))
    assert not recomputed >= {round(y, 6) for _, _, y in drawn_before}, "a page that recomputed would draw other scores"
    st.cache_data.clear()
    st.cache_resource.clear()
    after = run((str(changed), config_file), monkeypatch)
    assert shown_points(after, "survey_trend", every=True) == drawn_before
