"""S4: do product and operations speak the same language? PM and operations scores side by side."""
from __future__ import annotations

import pandas as pd

from dashboard.metrics.registry import SURVEY, Context, metric
from dashboard.metrics.surveys import survey_series

DEFINITION = (
    "Mean 0-100 score of the survey's alignment questions (shared priorities, mutual understanding) "
    "among {who} respondents; a 1-5 answer v scores (v-1)/4*100. A wave counts in the period holding its "
    "median response day."
)


def _alignment(ctx: Context, role: str) -> pd.DataFrame:
    """The role's alignment cells, protected together with every other cut of the construct."""
    return survey_series(ctx, "alignment", role=role)


@metric(
    id="alignment_score_pm", title="Alignment as PMs see it", signal="S4", unit="score", better="higher",
    definition=DEFINITION.format(who="PM"), sources=("survey",), n_label="respondents", needs=SURVEY,
)
def alignment_score_pm(ctx: Context) -> pd.DataFrame:
    return _alignment(ctx, "pm")


@metric(
    id="alignment_score_ops", title="Alignment as operations sees it", signal="S4", unit="score",
    better="higher", definition=DEFINITION.format(who="operations"), sources=("survey",), n_label="respondents", needs=SURVEY,
)
def alignment_score_ops(ctx: Context) -> pd.DataFrame:
    return _alignment(ctx, "ops")


@metric(
    id="alignment_gap", title="PM–operations alignment gap", signal="S4", unit="points", better="lower",
    definition="Absolute difference between the PM and the operations alignment scores; shown only "
    "when both are shown. n is the smaller of their respondent counts.",
    sources=("survey",), n_label="respondents (smaller side)", needs=SURVEY,
)
def alignment_gap(ctx: Context) -> pd.DataFrame:
    keys = ["period_start", "scope_id"]
    pm = _alignment(ctx, "pm")
    ops = _alignment(ctx, "ops")
    both = pm.merge(ops, on=keys, suffixes=("_pm", "_ops"))
    return pd.DataFrame({
        "period_start": both["period_start"],
        "scope_id": both["scope_id"],
        "value": (both["value_pm"] - both["value_ops"]).abs(),
        "n": both[["n_pm", "n_ops"]].min(axis=1, skipna=False).astype("Int64"),
    })
