"""The survey constructs of sign 3's enablement and of product ops' decision rights, scored as
every survey construct is: hand-worked answers, and a recomputation straight from the answers."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from dashboard.core.config import Settings
from dashboard.core.store import Store
from dashboard.metrics import METRICS, compute_series, load_tables
from tests.metrics.test_metrics import answers, value
from tests.tables import TEAMS, make_tables, recount

QUESTIONS = [
    {"survey_id": "s", "question_id": "know", "text": "I know how our release and planning processes work",
     "construct": "process_knowledge", "scale": "likert5"},
    {"survey_id": "s", "question_id": "decide", "text": "Product decisions are made by the product team, informed by product ops",
     "construct": "decision_rights", "scale": "likert5"},
]
CASES = [("process_knowledge_score", "know", "S3"), ("decision_rights_score", "decide", "ops")]


@pytest.mark.parametrize(("metric_id", "question", "signal"), CASES)
def test_scored_0_to_100_over_respondents_and_hidden_below_five(metric_id, question, signal):
    assert METRICS[metric_id].signal == signal and METRICS[metric_id].unit == "score"
    tables = make_tables(teams=TEAMS, survey_questions=QUESTIONS,
                         survey_answers=answers(question, "pm", [5, 4, 2, 4, 1, 3]))
    got, n = value(tables, metric_id)
    assert got == pytest.approx((100 + 75 + 25 + 75 + 0 + 50) / 6) and n == 6
    few = make_tables(teams=TEAMS, survey_questions=QUESTIONS, survey_answers=answers(question, "pm", [5, 4, 3, 4]))
    hidden, n_few = value(few, metric_id)
    assert np.isnan(hidden) and pd.isna(n_few)


@pytest.mark.parametrize(("metric_id", "question", "signal"), CASES)
def test_agrees_with_the_mean_of_the_answers_rescaled(metric_id, question, signal):
    rng = np.random.default_rng(7)
    rows = answers(question, "pm", rng.integers(1, 6, 9).tolist()) + answers("know" if question == "decide" else "decide", "pm", [1] * 9)
    tables = make_tables(teams=TEAMS, survey_questions=QUESTIONS, survey_answers=rows)
    mine = pd.DataFrame(rows).query("question_id == @question")
    got, n = value(tables, metric_id)
    assert got == pytest.approx(((mine["value"] - 1) / 4 * 100).mean()) and n == mine["response_id"].nunique()


@pytest.mark.parametrize(("metric_id", "construct"), [("process_knowledge_score", "process_knowledge"),
                                                      ("decision_rights_score", "decision_rights")])
def test_the_demo_agrees_with_each_waves_answers_and_pms_come_to_know_the_processes(demo_db, metric_id, construct):
    store = Store(demo_db)
    scored = recount(store,
        "SELECT a.survey_id, a.response_id, avg((a.value - 1) / 4 * 100) AS score, median(a.submitted_at) OVER "
        "(PARTITION BY a.survey_id) AS middle FROM survey_answers a JOIN survey_questions q USING (survey_id, question_id) "
        "WHERE q.construct = ? GROUP BY a.survey_id, a.response_id, a.submitted_at", [construct])
    per_wave = scored.groupby("survey_id").agg(score=("score", "mean"), n=("response_id", "nunique"), middle=("middle", "first"))
    per_wave["quarter"] = pd.to_datetime(per_wave["middle"]).dt.to_period("Q").dt.start_time.dt.date
    series = compute_series(load_tables(store), Settings(), "quarter", "org", date(2024, 10, 1), date(2026, 11, 26),
                            [metric_id]).set_index("period_start")
    expected = per_wave.set_index("quarter")
    assert len(expected) >= 7
    assert series.loc[expected.index, "value"].to_numpy() == pytest.approx(expected["score"].to_numpy())
    assert series.loc[expected.index, "n"].tolist() == expected["n"].tolist()
    if construct == "process_knowledge":
        assert expected["score"].iloc[-1] > expected["score"].iloc[0] + 15
