"""Survey metrics on small hand-made tables whose answers are worked out in the test."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from connectors.survey import load_wave, read_export
from dashboard.app.survey_views import SURVEY_TABLES as SURVEY_PAGE_TABLES
from dashboard.core.config import Settings
from dashboard.core.publication import CELLS_TABLE
from dashboard.core.store import Store
from dashboard.metrics import compute_series, load_tables
from dashboard.metrics.survey import wave_dates
from dashboard.metrics.surveys import ALL, HIDDEN_NOTE, WAVE_CELLS, measure, question_table, response_rates, wave_table
from tests.survey_fixtures import DATA, SALT, store_with_teams
from tests.survey_fixtures import settings as survey_settings
from tests.tables import TEAMS, make_tables

Q1 = (date(2026, 1, 1), date(2026, 3, 31))


def questions(*rows):
    return [{"survey_id": "s", "question_id": q, "text": q, "construct": c, "scale": scale} for q, c, scale in rows]


def answers(question, role, values, team="t1", when="2026-02-16 12:00", prefix=None):
    return [
        {"survey_id": "s", "response_id": f"{prefix or role + (team or '')}{i}", "submitted_at": when, "respondent_role": role,
         "team_id": team, "question_id": question, "value": v}
        for i, v in enumerate(values)
    ]


def series_value(tables, metric_id, grain="quarter", scope="org", scope_id="org", period=date(2026, 1, 1), span=Q1, settings=None):
    series = compute_series(tables, settings or Settings(), grain, scope, *span, [metric_id])
    row = series[(series["scope_id"] == scope_id) & (series["period_start"] == period)]
    assert len(row) == 1, series
    return row["value"].iloc[0], row["n"].iloc[0]


def test_enps_is_promoters_minus_detractors_as_a_percentage():
    # promoters 9, 10, 9, 10; passives 7, 8, 8; detractors 0, 5, 6 -> (4 - 3) / 10 = +10
    rows = answers("e", "pm", [9, 10, 9, 10, 7, 8, 8, 0, 5, 6])
    tables = make_tables(teams=TEAMS, survey_questions=questions(("e", "enps", "nps")), survey_answers=rows)
    org = measure(tables, Settings(), construct="enps").table("wave", "org")
    assert org["enps"].iloc[0] == pytest.approx(10.0) and org["n"].iloc[0] == 10


def test_favourable_share_is_the_top_two_boxes_and_reversed_items_turn_around():
    # q1 5,4,3,2,1,4 -> favourable 5,4,4; q2 reversed: answers 1,2,3,4,5,2 score 100,75,50,25,0,75
    rows = answers("q1", "pm", [5, 4, 3, 2, 1, 4]) + answers("q2", "pm", [1, 2, 3, 4, 5, 2])
    tables = make_tables(teams=TEAMS, survey_questions=questions(("q1", "alignment", "likert5"), ("q2", "alignment", "likert5-r")),
                         survey_answers=rows)
    org = measure(tables, Settings(), construct="alignment").table("wave", "org")
    # respondent shares: (1+1)/2, (1+1)/2, (0+0)/2, (0+0)/2, (0+0)/2, (1+1)/2 -> 3/6
    assert org["favourable"].iloc[0] == pytest.approx(0.5)
    # respondent means: (100+100)/2, (75+75)/2, 50, 25, 0, 75 -> 325/6
    assert org["mean"].iloc[0] == pytest.approx(325 / 6)


def test_self_reported_strategy_share_stands_beside_the_calendar_one():
    rows = answers("pct", "pm", [30, 40, 20, 10, 50]) + answers("pct", "ops", [90, 90, 90, 90, 90], team=None)
    tables = make_tables(teams=TEAMS, survey_questions=questions(("pct", "pm_time_on_strategy_pct", "percent")), survey_answers=rows)
    assert series_value(tables, "pm_strategy_share_reported") == (pytest.approx(0.30), 5), "PMs only"


def test_a_wave_counts_in_the_period_of_its_median_day():
    days = ["2026-03-30 10:00", "2026-03-31 10:00", "2026-04-01 10:00", "2026-04-02 10:00", "2026-04-03 10:00"]
    rows = [a for i, day in enumerate(days) for a in answers("q", "pm", [4], when=day, prefix=f"r{i}-")]
    tables = make_tables(teams=TEAMS, survey_questions=questions(("q", "insights_self_serve", "likert5")), survey_answers=rows)
    assert wave_dates(tables, Settings())["s"] == pd.Timestamp("2026-04-01")
    span = (date(2026, 1, 1), date(2026, 6, 30))
    assert series_value(tables, "insights_self_serve_score", span=span)[1] == 0
    assert series_value(tables, "insights_self_serve_score", span=span, period=date(2026, 4, 1)) == (pytest.approx(75.0), 5)


def test_a_hidden_team_takes_its_smallest_sibling_with_it_in_every_series():
    rows = (answers("q", "pm", [4] * 6, team="t1") + answers("q", "pm", [1, 1], team="t2")
            + answers("q", "pm", [3] * 7, team="t3"))
    tables = make_tables(teams=TEAMS, survey_questions=questions(("q", "insights_self_serve", "likert5")), survey_answers=rows)
    t1, n1 = series_value(tables, "insights_self_serve_score", scope="team", scope_id="t1")
    t2, n2 = series_value(tables, "insights_self_serve_score", scope="team", scope_id="t2")
    t3, _ = series_value(tables, "insights_self_serve_score", scope="team", scope_id="t3")
    g1, _ = series_value(tables, "insights_self_serve_score", scope="group", scope_id="G1")
    assert np.isnan(t2) and pd.isna(n2), "under the minimum, and no n published"
    assert np.isnan(t1) and pd.isna(n1), "else G1 minus t1 would be t2"
    assert t3 == pytest.approx(50.0) and g1 == pytest.approx((6 * 75 + 2 * 0) / 8)


MEMBERS = [
    {"person_id": f"pm{i}", "team_id": "t1", "role": "pm", "valid_from": "2025-01-01", "valid_to": None} for i in range(6)
] + [
    {"person_id": f"ops{i}", "team_id": None, "role": "ops", "valid_from": "2025-01-01", "valid_to": None} for i in range(7)
] + [{"person_id": "gone", "team_id": "t1", "role": "pm", "valid_from": "2025-01-01", "valid_to": "2026-01-01"}]


def test_response_rate_is_answered_over_invited_from_the_roster_on_the_wave_date():
    rows = answers("q", "pm", [4] * 5) + answers("q", "ops", [3] * 5, team=None)
    waves = [{"survey_id": "s", "survey": "pulse", "wave": "1", "fielded_on": "2026-02-16", "audience": ["pm", "ops"]}]
    tables = make_tables(teams=TEAMS, memberships=MEMBERS, survey_questions=questions(("q", "alignment", "likert5")),
                         survey_answers=rows, survey_waves=waves)
    team = response_rates(tables, Settings(), "wave", "team")[ALL].set_index("scope_id")
    assert (team.loc["t1", "answered"], team.loc["t1", "invited"]) == (5, 6), "the leaver was not invited"
    assert team.loc["t1", "response_rate"] == pytest.approx(5 / 6)
    org, ops = (rates.set_index("scope_id") for rates in response_rates(tables, Settings(), "wave", "org", (ALL, "ops")).values())
    assert (org.loc["org", "answered"], org.loc["org", "invited"]) == (10, 13)
    assert ops.loc["org", "response_rate"] == pytest.approx(5 / 7)
    few = response_rates(tables, Settings(privacy={"min_group_size": 7}), "wave", "team")[ALL].set_index("scope_id")
    assert np.isnan(few.loc["t1", "response_rate"]), "no rate where fewer than the minimum were invited"


def test_the_wave_table_puts_n_and_response_rate_beside_every_score_and_says_why_one_is_missing():
    rows = answers("q", "pm", [4, 5, 4, 5, 4]) + answers("q", "ops", [2, 2, 3], team=None)
    waves = [{"survey_id": "s", "survey": "pulse", "wave": "1", "fielded_on": "2026-02-16", "audience": ["pm", "ops"]}]
    tables = make_tables(teams=TEAMS, memberships=MEMBERS, survey_questions=questions(("q", "alignment", "likert5")),
                         survey_answers=rows, survey_waves=waves)
    table = wave_table(tables, Settings(), "org", "org").set_index("role")
    assert table.loc["pm", "mean"] == pytest.approx(85.0) and table.loc["pm", "response_rate"] == pytest.approx(5 / 6)
    assert np.isnan(table.loc["ops", "mean"]) and table.loc["ops", "note"] == HIDDEN_NOTE and pd.isna(table.loc["ops", "n"])
    assert np.isnan(table.loc["all", "mean"]) and table.loc["all", "note"] == HIDDEN_NOTE, "no word of which reason"


def test_one_questions_answers_are_counted_per_point_or_withheld():
    rows = answers("q", "pm", [4, 5, 4, 5, 4, 2]) + answers("q", "ops", [2, 2, 3], team=None)
    tables = make_tables(teams=TEAMS, survey_questions=questions(("q", "alignment", "likert5")), survey_answers=rows)
    spread = question_table(tables, Settings(), "s", "q", "org", "org")
    pm = spread[spread["role"] == "pm"].set_index("answer")
    assert pm["count"].to_dict() == {2.0: 1, 4.0: 3, 5.0: 2} and pm["share"].sum() == pytest.approx(1.0)
    ops = spread[spread["role"] == "ops"]
    assert len(ops) == 1 and not ops["shown"].iloc[0] and ops["note"].iloc[0] == HIDDEN_NOTE and pd.isna(ops["n"].iloc[0])


def test_a_loaded_export_feeds_the_registered_metrics(make_store):
    store = store_with_teams(make_store("s"))
    config = survey_settings(privacy={"min_group_size": 3})
    load_wave(store, read_export(DATA / "google_forms_en_gb.csv"), survey="gforms", wave="2026-03", settings=config, salt=SALT)
    tables = load_tables(store)
    value, n = series_value(tables, "pm_strategy_share_reported", settings=config)
    assert n == 4 and value == pytest.approx((30 + 40 + 15 + 25) / 4 / 100)
    # Insights: Ana 4, Ben 5 (Payments), Cleo 3 (Checkout), Dev 2 (team not recognised), Eve 4
    # (operations); Finn's 6 was off the scale. The organisation and Money cannot both be shown:
    # one minus the other would be Dev and Eve, two people under the minimum of 3. The Insights
    # page shows this construct for everyone, so the organisation's figure is the one kept.
    everyone, n_all = series_value(tables, "insights_self_serve_score", settings=config)
    assert n_all == 5 and everyone == pytest.approx((75 + 100 + 50 + 25 + 75) / 5)
    money, n_money = series_value(tables, "insights_self_serve_score", scope="group", scope_id="Money", settings=config)
    assert pd.isna(n_money) and np.isnan(money)


def test_the_wave_cells_alone_give_the_surveys_page_what_the_whole_ledger_gives(demo_db):
    """The Surveys page reads only the ledger's wave cells (`WAVE_CELLS`): its wave tables and
    question counts must be those of the whole ledger, at every level."""
    store = Store(demo_db)
    whole = load_tables(store, SURVEY_PAGE_TABLES)
    waves_only = load_tables(store, SURVEY_PAGE_TABLES, rows={CELLS_TABLE: WAVE_CELLS})
    assert 0 < len(waves_only[CELLS_TABLE]) < len(whole[CELLS_TABLE])
    assert waves_only[CELLS_TABLE]["slot"].str.startswith("wave|").all()
    answers = whole["survey_answers"]
    survey_id, question_id = answers[["survey_id", "question_id"]].iloc[0]
    for level, scope_id in [("org", "org"), ("group", whole["teams"]["group_name"].iloc[0]),
                            ("team", whole["teams"]["team_id"].iloc[0])]:
        tables = [wave_table(t, Settings(), level, scope_id) for t in (whole, waves_only)]
        assert tables[0]["shown"].any() or level == "team"
        pd.testing.assert_frame_equal(*tables)
        counts = [question_table(t, Settings(), survey_id, question_id, level, scope_id) for t in (whole, waves_only)]
        pd.testing.assert_frame_equal(*counts)
