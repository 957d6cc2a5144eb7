"""Survey answers as 0-100 scores per respondent and construct."""
from __future__ import annotations

import pandas as pd

from dashboard.metrics.aggregate import org_dates
from dashboard.metrics.registry import Context

SCALES = {"likert5": (1, 5), "likert7": (1, 7), "nps": (0, 10), "0-10": (0, 10), "percent": (0, 100)}


def to_score(values: pd.Series, scales: pd.Series) -> pd.Series:
    """Put answers on 0-100. A scale ending in '-r' is reversed (agreeing means worse)."""
    reversed_ = scales.str.endswith("-r")
    base = scales.str.removesuffix("-r")
    low = base.map(lambda s: SCALES[s][0])
    high = base.map(lambda s: SCALES[s][1])
    score = (values - low) / (high - low) * 100
    return score.where(~reversed_, 100 - score)


def construct_scores(ctx: Context, construct: str, role: str | None = None) -> pd.DataFrame:
    """One row per respondent: the mean score of their answers to the construct's questions."""
    questions = ctx.tables["survey_questions"]
    answers = ctx.tables["survey_answers"].merge(
        questions[questions["construct"] == construct][["survey_id", "question_id", "scale"]],
        on=["survey_id", "question_id"],
    )
    if role:
        answers = answers[answers["respondent_role"] == role]
    answers = answers.assign(score=to_score(answers["value"].astype(float), answers["scale"]))
    answers["respondent"] = answers["survey_id"] + "/" + answers["response_id"]
    per_respondent = answers.groupby("respondent", as_index=False).agg(
        submitted_at=("submitted_at", "first"), team_id=("team_id", "first"), value=("score", "mean")
    )
    per_respondent["date"] = org_dates(ctx, per_respondent["submitted_at"])
    return per_respondent
