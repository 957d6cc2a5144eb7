"""Settings of the survey exports: scales, roles, and each question's construct."""
from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ConfigDict, Field, field_validator, model_validator

from dashboard.core.config.base import _Strict

SCALE_RANGES: dict[str, tuple[float, float]] = {
    "likert5": (1, 5), "likert7": (1, 7), "nps": (0, 10), "0-10": (0, 10), "percent": (0, 100),
}
Role = Literal["pm", "ops", "prodops", "eng", "design", "leader", "other"]
"""A person's role in the roster and a survey respondent's: `ops` is operations staff (the other side
of product/operations alignment), `prodops` the product-operations function itself."""
ROLES: tuple[str, ...] = Role.__args__
TEAM_ROLES = ("pm", "eng", "design")  # roles that belong to a product team; others answer for the organisation
# Answer labels most tools write for the usual Likert items; a question names one with `values`.
CODEBOOKS: dict[str, dict[str, float]] = {
    "agree5": {"strongly disagree": 1, "disagree": 2, "neither agree nor disagree": 3, "agree": 4, "strongly agree": 5},
    "agree7": {
        "strongly disagree": 1, "disagree": 2, "somewhat disagree": 3, "neither agree nor disagree": 4,
        "somewhat agree": 5, "agree": 6, "strongly agree": 7,
    },
    "satisfied5": {"very dissatisfied": 1, "dissatisfied": 2, "neutral": 3, "satisfied": 4, "very satisfied": 5},
}
_IDENTIFIER = r"^[a-z][a-z0-9_]*$"


class SurveyQuestion(_Strict):
    """One `[surveys.<name>.questions."<column>"]` entry: the construct a column measures and its scale.

    The key names the column as the export does: a Qualtrics ImportId (`QID7_1`) or column
    code (`Q7_1`), a Typeform field ref, a SurveyMonkey `question | row label`, or the question
    text. An answer is a number on the scale unless `values` says how to read it: a table from
    the raw answer (a label, or a Qualtrics recode value, which may skip numbers) to the point on
    the scale, or the name of a built-in codebook (agree5, agree7, satisfied5).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    id: str | None = Field(None, pattern=r"^[A-Za-z0-9_.-]+$", description="question_id stored; default: the key")
    # Named `construct` in the file; `construct` is taken by pydantic's BaseModel in Python.
    construct_id: str = Field(alias="construct", pattern=_IDENTIFIER)
    scale: Literal["likert5", "likert7", "nps", "0-10", "percent"]
    reversed: bool = Field(False, description="agreeing means worse; scored as 100 minus the score")
    required: bool = Field(True, description="a file without this column is refused")
    values: dict[str, float] | Literal["agree5", "agree7", "satisfied5"] | None = None
    missing: list[str] = Field(default_factory=list, description="answers that mean no answer, e.g. 'N/A'")
    text: str | None = Field(None, description="the wording shown on the Survey page; default: the export's")

    @model_validator(mode="after")
    def _consistent(self) -> SurveyQuestion:
        low, high = SCALE_RANGES[self.scale]
        table = CODEBOOKS[self.values] if isinstance(self.values, str) else self.values or {}
        outside = [raw for raw, point in table.items() if not low <= point <= high]
        if outside:
            raise ValueError(f"values {outside} map outside the {self.scale} scale ({low:g}-{high:g})")
        if self.construct_id == "enps" and (self.scale not in ("nps", "0-10") or self.reversed):
            raise ValueError("eNPS is defined on a 0-10 scale only, not reversed (scale = \"nps\")")
        return self

    def codebook(self) -> dict[str, float] | None:
        """Raw answer (case and spacing ignored) to point on the scale; None when answers are numbers."""
        if self.values is None:
            return None
        table = CODEBOOKS[self.values] if isinstance(self.values, str) else self.values
        return {" ".join(raw.lower().split()): point for raw, point in table.items()}


class SurveyMapping(_Strict):
    """`[surveys.<name>]`: how one recurring survey's exports map to constructs, roles and teams.

    Each loaded export is one wave of the survey. The respondent's role is fixed (`role`) or read
    from a column (`role_question` with `role_values`); the team from `team_question`, matched to
    a team id or name, or through `team_aliases`. Every question column of the export must be
    mapped in `questions` or listed in `ignore`; anything else is reported, never guessed.
    """

    tool: Literal["google_forms", "qualtrics", "surveymonkey", "ms_forms", "typeform"] | None = Field(
        None, description="refuse exports of any other tool (the tool is recognised from the headers)"
    )
    timezone: str | None = Field(None, description="the zone the tool wrote local times in; default org_timezone")
    date_order: Literal["dmy", "mdy", "ymd"] | None = Field(
        None, description="how slashed dates read (Google Forms, SurveyMonkey, Microsoft Forms follow the locale)"
    )
    audience: list[Role] = Field(
        default_factory=lambda: ["pm", "ops"], min_length=1, description="roles invited; the response rate's base"
    )
    role: Role | None = None
    role_question: str | None = None
    role_values: dict[str, Role] = Field(default_factory=dict)
    team_question: str | None = None
    team_aliases: dict[str, str] = Field(default_factory=dict, description="answer -> team_id")
    ignore: list[str] = Field(default_factory=list, description="columns that are not scored (comments, checkboxes)")
    questions: dict[str, SurveyQuestion] = Field(min_length=1)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _role_source(self) -> SurveyMapping:
        if (self.role is None) == (self.role_question is None):
            raise ValueError("give exactly one of role (everyone answers as one role) or role_question")
        if self.role_question and not self.role_values:
            raise ValueError("role_question needs role_values (answer -> pm, ops, ...)")
        ids = [question.id or key for key, question in self.questions.items()]
        doubled = sorted({i for i in ids if ids.count(i) > 1})
        if doubled:
            raise ValueError(f"question ids used twice: {doubled}")
        return self
