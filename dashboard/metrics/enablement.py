"""S3's enablement half: whether product ops teaches PMs the processes and tools, read from the
enablement sessions (trainings, onboarding, office hours) on PMs' calendars.

Two figures a VP reads side by side: how many PMs the enablement reaches, and how much of their
time it takes. Hours per PM-week rather than sessions held: a session count grows with the
number of teams and the grain (a quarter holds three months of sessions), while hours per
PM-week reads the same at every grain and scope and sits beside S1's per-PM-week hours, so a
rise in enablement can be weighed against the overhead it should bring down.
Both stand on PMs' calendars, so they are published through the calendar's privacy rules
(`dashboard.metrics.enablement_cells`). Beside them, the survey's process-knowledge score: whether
the people taught say they know how the release and planning processes work.
"""
from __future__ import annotations

import pandas as pd

from dashboard.metrics import enablement_cells
from dashboard.metrics.aggregate import aggregate
from dashboard.metrics.calendar_cells import as_published
from dashboard.metrics.registry import SURVEY, Context, metric
from dashboard.metrics.surveys import survey_series
from dashboard.metrics.time_use import placed_weeks

CALENDAR = ("calendar",)
NEEDS = ("pm_weeks", "privacy_cells")


def _weekly(ctx: Context, value: pd.Series) -> pd.DataFrame:
    placed = placed_weeks(ctx)
    return placed.assign(value=value.reindex(placed.index))


def _published(ctx: Context, result: pd.DataFrame, family: str, measure: str) -> pd.DataFrame:
    cells = ctx.shared(f"{family} publication", lambda: enablement_cells.published(ctx.tables, ctx.settings, family))
    return as_published(ctx, result, measure, cells)


@metric(
    id="enablement_reach", title="PMs reached by enablement", signal="S3", unit="share", better="higher",
    definition="Share of the PMs with calendar data in the period who attended at least one enablement "
    "session (training, onboarding, office hours) in it; a PM counts on the team they were on in their "
    "first week of the period.",
    sources=CALENDAR, n_label="PMs", needs=NEEDS,
)
def enablement_reach(ctx: Context) -> pd.DataFrame:
    hours = pd.to_numeric(ctx.tables["pm_weeks"]["enablement_hours"], errors="coerce")
    attended = _weekly(ctx, hours.gt(0).astype(float).where(hours.notna()))
    return _published(ctx, aggregate(ctx, attended, "mean", unit="person_id"), enablement_cells.REACH,
                      enablement_cells.REACHED)


@metric(
    id="enablement_hours_per_pm", title="PM enablement hours per week", signal="S3", unit="hours", better="higher",
    definition="Mean over PM-weeks of hours in enablement sessions (training, onboarding, office hours) "
    "the PM accepted, overlapping sessions counted once.",
    sources=CALENDAR, n_label="PMs", needs=NEEDS,
)
def enablement_hours_per_pm(ctx: Context) -> pd.DataFrame:
    hours = pd.to_numeric(ctx.tables["pm_weeks"]["enablement_hours"], errors="coerce").astype(float)
    return _published(ctx, aggregate(ctx, _weekly(ctx, hours), "mean", unit="person_id"), enablement_cells.HOURS,
                      enablement_cells.HOURS)


@metric(
    id="process_knowledge_score", title="Knowing the processes (survey)", signal="S3", unit="score", better="higher",
    definition="Mean 0-100 score of the survey's process-knowledge questions (\"I know how our release and "
    "planning processes work\"); a 1-5 answer v scores (v-1)/4*100. A wave counts in the period holding its "
    "median response day.",
    sources=("survey",), n_label="respondents", needs=SURVEY,
)
def process_knowledge_score(ctx: Context) -> pd.DataFrame:
    """What enablement is for, as the people taught report it: the calendar says who was in the room."""
    return survey_series(ctx, "process_knowledge")
