"""One export plus its mapping to canonical rows: survey_questions, survey_answers, a wave.

This is where privacy is enforced on the way in. Only mapped answers that are points on a
scale are kept; names, emails and free text never leave the reader or this step. A response is
known by a salted hash of the tool's response id, so the database cannot be used to look a
response up in the survey tool. Operations (and other roles outside product teams) answer for
the organisation as a whole: their team is not kept, whatever they answered.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pandas as pd

from connectors.survey import dates
from connectors.survey.export import Export, Issue, Issues, Response, shown
from connectors.survey.mapping import Binding, bind, norm, point
from dashboard.core.config import TEAM_ROLES, Settings, SurveyMapping
from dashboard.core.schema import TABLES

BLANK = "(blank)"


@dataclass(frozen=True)
class Batch:
    """Everything one wave writes, and what was wrong with the export."""

    survey_id: str
    questions: pd.DataFrame
    answers: pd.DataFrame
    unmatched: pd.DataFrame
    wave: dict
    issues: list[Issue]
    excluded: int

    @property
    def fatal(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.fatal]

    def fingerprint(self) -> str:
        """A hash of what the wave would store, so loading the same export again can change nothing."""
        digest = hashlib.sha256()
        for frame in (self.questions, self.answers, self.unmatched):
            digest.update(frame.sort_values(list(frame.columns)).to_csv(index=False).encode())
        digest.update(repr(sorted((k, str(v)) for k, v in self.wave.items())).encode())
        return digest.hexdigest()


def survey_id(survey: str, wave: str) -> str:
    return f"{survey}/{wave}"


def response_id(salt: bytes, survey: str, tool: str, key: str) -> str:
    """A salted hash of the tool's response id: stable across reloads, useless for a lookup."""
    return hmac.new(salt, f"{survey}\x1f{tool}\x1f{key}".encode(), hashlib.sha256).hexdigest()[:24]


def _empty(table: str) -> pd.DataFrame:
    return pd.DataFrame(columns=list(TABLES[table].columns))


def team_lookup(teams: pd.DataFrame, aliases: dict[str, str]) -> dict[str, str]:
    """Answer (case and spacing ignored) to team_id: a team's id, its name, or a configured alias."""
    known = set(teams["team_id"])
    lookup = {norm(str(t)): t for t in teams["team_id"]}
    lookup.update({norm(str(name)): t for t, name in zip(teams["team_id"], teams["name"]) if pd.notna(name)})
    lookup.update({norm(answer): team for answer, team in aliases.items() if team in known})
    return lookup


def _label(raw: object) -> str:
    """A team or role answer as it may be stored for the Data page (never free text)."""
    if raw is None or str(raw).strip() == "":
        return BLANK
    text = shown(raw)
    return text[1:-1] if text.startswith("'") and text.endswith("'") else f"({text})"


def _submitted(export: Export, mapping: SurveyMapping, settings: Settings, issues: Issues) -> dict[int, datetime]:
    zone = export.time_zone or mapping.timezone or settings.org_timezone
    kept = [r for r in export.responses if not r.excluded]
    try:
        order = dates.column_order([str(r.submitted) for r in kept if isinstance(r.submitted, str)], mapping.date_order)
    except dates.DateError as error:
        issues.add(str(error), column=export.submitted_column, fatal=True)
        return {}
    out = {}
    for response in kept:
        try:
            out[response.row] = dates.parse(response.submitted, order, zone)
        except dates.DateError as error:
            issues.add(str(error), row=response.row, column=export.submitted_column)
    return out


class _Rows:
    """The rows one wave accumulates."""

    def __init__(self) -> None:
        self.answers: list[dict] = []
        self.unmatched: dict[tuple[str, str], int] = {}

    def unmatch(self, field: str, raw: object) -> None:
        key = (field, _label(raw))
        self.unmatched[key] = self.unmatched.get(key, 0) + 1


def _role(response: Response, binding: Binding, mapping: SurveyMapping, rows: _Rows, issues: Issues) -> str | None:
    if mapping.role:
        return mapping.role
    raw = response.answers.get(binding.role.key)
    values = {norm(answer): role for answer, role in mapping.role_values.items()}
    role = values.get(norm(str(raw))) if raw is not None else None
    if role is None:
        rows.unmatch("role", raw)
        issues.add(f"role answer {shown(raw) if raw is not None else 'blank'} is not in role_values; response left out",
                   row=response.row, column=binding.role.key)
    return role


def _team(response: Response, role: str, binding: Binding, lookup: dict[str, str], rows: _Rows, issues: Issues) -> str | None:
    if role not in TEAM_ROLES or binding.team is None:
        return None
    raw = response.answers.get(binding.team.key)
    team = lookup.get(norm(str(raw))) if raw is not None else None
    if team is None:
        rows.unmatch("team", raw)
        issues.add(f"team answer {shown(raw) if raw is not None else 'blank'} names no known team; counted for the "
                   "organisation only and listed as unmatched", row=response.row, column=binding.team.key)
    return team


def normalize(
    export: Export,
    mapping: SurveyMapping,
    *,
    survey: str,
    wave: str,
    teams: pd.DataFrame,
    settings: Settings,
    salt: bytes,
) -> Batch:
    """Canonical rows for one wave of `survey`, with every problem found on the way."""
    sid = survey_id(survey, wave)
    issues = Issues(export.name, export.row_word)
    binding = bind(export, mapping, issues)
    submitted = _submitted(export, mapping, settings, issues) if not issues.fatal else {}
    if issues.fatal:
        return Batch(sid, _empty("survey_questions"), _empty("survey_answers"), _empty("survey_unmatched"), {}, issues.items, 0)

    lookup = team_lookup(teams, mapping.team_aliases)
    rows = _Rows()
    seen: set[str] = set()
    excluded = 0
    for response in export.responses:
        if response.excluded:
            excluded += 1
            continue
        if response.key in seen or not response.key:
            issues.add("a second response with the same response id; left out" if response.key else "no response id; left out",
                       row=response.row)
            continue
        seen.add(response.key)
        if response.row not in submitted:
            continue
        role = _role(response, binding, mapping, rows, issues)
        if role is None:
            continue
        team = _team(response, role, binding, lookup, rows, issues)
        rid = response_id(salt, survey, export.tool, response.key)
        for question_id, (column, question) in binding.questions.items():
            value, problem = point(response.answers.get(column.key), question)
            if problem:
                issues.add(problem, row=response.row, column=column.key)
            if value is not None:
                rows.answers.append({
                    "survey_id": sid, "response_id": rid, "submitted_at": submitted[response.row],
                    "respondent_role": role, "team_id": team, "question_id": question_id, "value": value,
                })

    questions = pd.DataFrame([
        {"survey_id": sid, "question_id": qid, "text": question.text or column.label,
         "construct": question.construct_id, "scale": question.scale + ("-r" if question.reversed else "")}
        for qid, (column, question) in binding.questions.items()
    ], columns=list(TABLES["survey_questions"].columns))
    answers = pd.DataFrame(rows.answers, columns=list(TABLES["survey_answers"].columns))
    unmatched = pd.DataFrame(
        [{"survey_id": sid, "field": f, "value": v, "responses": n} for (f, v), n in sorted(rows.unmatched.items())],
        columns=list(TABLES["survey_unmatched"].columns),
    )
    return Batch(sid, questions, answers, unmatched, _wave(export, mapping, survey, wave, answers, excluded, issues, settings),
                 issues.items, excluded)


def _wave(export: Export, mapping: SurveyMapping, survey: str, wave: str, answers: pd.DataFrame, excluded: int,
          issues: Issues, settings: Settings) -> dict:
    """The wave's own row. Its date (`fielded_on`) is the median submission day: every answer of
    the wave counts in the period holding that day, so a wave is never split across periods."""
    per_response = answers.drop_duplicates("response_id")
    days = sorted(
        t.replace(tzinfo=UTC).astimezone(ZoneInfo(settings.org_timezone)).date() for t in per_response["submitted_at"]
    )
    return {
        "survey_id": survey_id(survey, wave), "survey": survey, "wave": wave, "tool": export.tool,
        "source_name": export.name.rsplit("/", 1)[-1], "fielded_on": days[(len(days) - 1) // 2] if days else None,
        "first_response": days[0] if days else None, "last_response": days[-1] if days else None,
        "audience": list(mapping.audience), "responses": len(per_response), "excluded": excluded,
        "issues": len(issues.items), "content_sha256": export.sha256,
    }
