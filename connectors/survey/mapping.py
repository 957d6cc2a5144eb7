"""Tie a survey's mapping (`[surveys.<name>]` in prodops.toml) to the columns of one export.

Every mapped question must find exactly one column, every question column must be mapped or
ignored, and every answer must be a point on its question's scale. Anything else is reported
with its file, row and column; nothing is guessed.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from connectors.survey.export import Column, Export, Issues, shown
from dashboard.core.config import SCALE_RANGES, SurveyMapping, SurveyQuestion


def norm(name: str) -> str:
    """Text compared ignoring case and spacing."""
    return " ".join(name.split()).casefold()


@dataclass(frozen=True)
class Binding:
    """The columns one export gives a mapping: per question id, its column and its declaration."""

    questions: dict[str, tuple[Column, SurveyQuestion]]
    team: Column | None
    role: Column | None


def find_column(export: Export, name: str) -> list[Column]:
    """Columns that `name` names: exactly by key or alias, else ignoring case and spacing."""
    exact = [c for c in export.columns if name in c.names()]
    if exact:
        return exact
    wanted = norm(name)
    return [c for c in export.columns if wanted in {norm(n) for n in c.names()}]


def _one(export: Export, name: str, what: str, issues: Issues, required: bool = True) -> Column | None:
    found = find_column(export, name)
    if len(found) > 1:
        issues.add(f"{what} {name!r} matches {len(found)} columns ({', '.join(c.key for c in found)}); name one by its id",
                   column=name, fatal=True)
        return None
    if not found:
        if required:
            issues.add(f"missing required column for {what} {name!r}", column=name, fatal=True)
        return None
    return found[0]


def bind(export: Export, mapping: SurveyMapping, issues: Issues) -> Binding:
    """Find each mapped column; report missing, ambiguous and unmapped ones."""
    if mapping.tool and mapping.tool != export.tool:
        issues.add(f"the mapping is for {mapping.tool} exports but this file is a {export.tool} export", fatal=True)
    questions = {}
    for key, question in mapping.questions.items():
        column = _one(export, key, "question", issues, required=question.required)
        if column is not None:
            questions[question.id or key] = (column, question)
    team = _one(export, mapping.team_question, "the team question", issues) if mapping.team_question else None
    role = _one(export, mapping.role_question, "the role question", issues) if mapping.role_question else None
    used = {c.key for c, _ in questions.values()} | {c.key for c in (team, role) if c}
    ignored = {norm(name) for name in mapping.ignore}
    for column in export.columns:
        names = {norm(n) for n in (*column.names(), column.parent or "")}
        if column.question and column.key not in used and not names & ignored:
            issues.add("this question maps to nothing: map it under [surveys.<name>.questions] or list it in ignore",
                       column=column.key)
    return Binding(questions, team, role)


_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")


def _number(text: str, scale: str) -> float | None:
    text = text.strip()
    if scale == "percent":
        text = text.removesuffix("%").strip()
    if not _NUMBER.match(text):
        return None
    return float(text.replace(",", "."))


def point(raw: object, question: SurveyQuestion) -> tuple[float | None, str | None]:
    """The answer as a point on the question's scale, or None with the reason it is not one.

    (None, None) means no answer: blank, or one of the question's `missing` answers.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, None
    if isinstance(raw, str) and norm(raw) in {norm(m) for m in question.missing}:
        return None, None
    if isinstance(raw, (bool, list, tuple)):
        return None, f"answer {shown(raw)} is not a point on a {question.scale} scale"
    codebook = question.codebook()
    low, high = SCALE_RANGES[question.scale]
    if codebook is not None:
        text = norm(str(raw))
        number = _number(text, question.scale)
        if number is not None and number.is_integer():
            text = str(int(number))
        if text not in codebook:
            return None, f"answer {shown(raw)} is not one of the question's values ({', '.join(repr(k) for k in codebook)})"
        return codebook[text], None
    value = float(raw) if isinstance(raw, (int, float)) else _number(str(raw), question.scale)
    if value is None or math.isnan(value):
        return None, f"answer {shown(raw)} is not a number; give the question `values` if the export writes labels"
    if not low <= value <= high:
        return None, f"answer {shown(raw)} is outside the {question.scale} scale ({low:g}-{high:g})"
    if question.scale != "percent" and not value.is_integer():
        return None, f"answer {shown(raw)} is not a whole point on the {question.scale} scale"
    return value, None
