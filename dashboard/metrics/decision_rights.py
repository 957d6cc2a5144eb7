"""Product operations informs product decisions and does not make them: whether the people in
product see it that way, from the pulse survey."""
from __future__ import annotations

import pandas as pd

from dashboard.metrics.registry import PRODUCT_OPS, SURVEY, Context, metric
from dashboard.metrics.surveys import survey_series


@metric(
    id="decision_rights_score", title="Product decides, product ops informs (survey)", signal=PRODUCT_OPS.id, unit="score",
    better="higher",
    definition="Mean 0-100 score of the survey's decision-rights questions (\"Product decisions are made by "
    "the product team, informed by product ops\"); a 1-5 answer v scores (v-1)/4*100. A wave counts in the "
    "period holding its median response day.",
    sources=("survey",), n_label="respondents", needs=SURVEY,
)
def decision_rights_score(ctx: Context) -> pd.DataFrame:
    return survey_series(ctx, "decision_rights")
