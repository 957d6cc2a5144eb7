"""Survey answers as 0-100 scores per respondent, construct and wave.

A wave is dated once: by `survey_waves.fielded_on` (the median day its responses came in), or,
for answers loaded without a wave record, by the median submission day of its answers. Every
answer counts in the period holding its wave's date. A wave is one measurement, and splitting it
across two weeks or months would also let a small group be recovered by subtracting one half
from the whole.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.core.config import SCALE_RANGES, Settings
from dashboard.core.periods import local_dates
from dashboard.metrics.registry import Context

SCALES = SCALE_RANGES
# The lowest 0-100 score that counts as favourable: the top two boxes of five, the top three of
# seven, 9-10 on a 0-10 scale. A percent answer is not an opinion and has no favourable share.
FAVOURABLE_FROM = {"likert5": 75.0, "likert7": 200 / 3, "nps": 90.0, "0-10": 90.0}
PROMOTER_FROM, DETRACTOR_UPTO = 9, 6


def base_scale(scales: pd.Series) -> pd.Series:
    return scales.str.removesuffix("-r")


def to_score(values: pd.Series, scales: pd.Series) -> pd.Series:
    """Put answers on 0-100. A scale ending in '-r' is reversed (agreeing means worse)."""
    reversed_ = scales.str.endswith("-r")
    base = base_scale(scales)
    low = base.map(lambda s: SCALES[s][0]).astype(float)
    high = base.map(lambda s: SCALES[s][1]).astype(float)
    score = (values - low) / (high - low) * 100
    return score.where(~reversed_, 100 - score)


def favourable(scores: pd.Series, scales: pd.Series) -> pd.Series:
    """1.0 for a favourable answer, 0.0 for any other, NaN where the scale has no such notion."""
    threshold = base_scale(scales).map(FAVOURABLE_FROM).astype(float)
    flag = (scores >= threshold - 1e-9).astype(float)
    return flag.where(threshold.notna())


def wave_dates(tables: dict[str, pd.DataFrame], settings: Settings) -> pd.Series:
    """The date of each wave (survey_id -> Timestamp at midnight, on the organisation's clock)."""
    answers = tables["survey_answers"]
    per_response = answers.drop_duplicates(["survey_id", "response_id"])
    local = local_dates(per_response["submitted_at"], settings.org_timezone) if len(per_response) else pd.Series(dtype="datetime64[us]")
    median = (
        pd.DataFrame({"survey_id": per_response["survey_id"].values, "day": local.values})
        .sort_values("day")
        .groupby("survey_id")["day"]
        .agg(lambda days: days.iloc[(len(days) - 1) // 2])
    )
    waves = tables.get("survey_waves")
    if waves is not None and not waves.empty:
        fielded = waves.dropna(subset=["fielded_on"]).set_index("survey_id")["fielded_on"]
        median = pd.to_datetime(fielded).combine_first(median)
    return pd.to_datetime(median)


def scored_answers(tables: dict[str, pd.DataFrame], settings: Settings, construct: str | None = None,
                   question: tuple[str, str] | None = None) -> pd.DataFrame:
    """Answers of one construct (or one question, as (survey_id, question_id)) with their 0-100
    score, favourable flag, respondent key and wave date."""
    questions = tables["survey_questions"]
    if construct is not None:
        questions = questions[questions["construct"] == construct]
    if question is not None:
        questions = questions[(questions["survey_id"] == question[0]) & (questions["question_id"] == question[1])]
    answers = tables["survey_answers"].merge(
        questions[["survey_id", "question_id", "scale"]], on=["survey_id", "question_id"]
    )
    answers = answers.dropna(subset=["value"]).copy()
    if answers.empty:
        return answers.assign(score=pd.Series(dtype=float), favourable=pd.Series(dtype=float), respondent=pd.Series(dtype=object),
                              date=pd.Series(dtype="datetime64[us]"))
    answers["value"] = answers["value"].astype(float)
    answers["score"] = to_score(answers["value"], answers["scale"])
    answers["favourable"] = favourable(answers["score"], answers["scale"])
    answers["respondent"] = answers["survey_id"] + "/" + answers["response_id"]
    answers["date"] = answers["survey_id"].map(wave_dates(tables, settings))
    return answers


def per_respondent(answers: pd.DataFrame) -> pd.DataFrame:
    """One row per respondent: mean score of their answers, share favourable, eNPS class of their
    mean raw answer (+1 promoter 9-10, -1 detractor 0-6, 0 passive)."""
    if answers.empty:
        columns = ["respondent", "survey_id", "submitted_at", "role", "team_id", "date", "value", "favourable", "raw", "promoter"]
        return pd.DataFrame({c: pd.Series(dtype="datetime64[us]" if c == "date" else object) for c in columns})
    grouped = answers.groupby("respondent", as_index=False).agg(
        survey_id=("survey_id", "first"), submitted_at=("submitted_at", "first"), role=("respondent_role", "first"),
        team_id=("team_id", "first"), date=("date", "first"), value=("score", "mean"),
        favourable=("favourable", "mean"), raw=("value", "mean"),
    )
    grouped["promoter"] = np.select(
        [grouped["raw"] >= PROMOTER_FROM, grouped["raw"] <= DETRACTOR_UPTO], [1.0, -1.0], 0.0
    )
    return grouped


def respondent_scores(tables: dict[str, pd.DataFrame], settings: Settings, construct: str, role: str | None = None) -> pd.DataFrame:
    scores = per_respondent(scored_answers(tables, settings, construct=construct))
    return scores[scores["role"] == role] if role else scores


def construct_scores(ctx: Context, construct: str, role: str | None = None) -> pd.DataFrame:
    """One row per respondent: the mean score of their answers to the construct's questions."""
    return respondent_scores(ctx.tables, ctx.settings, construct, role)
