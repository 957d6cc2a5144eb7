"""Check-in evidence from a form: a CSV export (Google Forms, Microsoft Forms, SurveyMonkey,
Qualtrics, Typeform, read by the survey connector's readers) with a team and a timestamp per row.

Loading keeps the rows in `checkin_forms` (raw evidence, so every re-derivation of the
check-ins finds them again); loading a file of the same name again replaces its rows. A row
whose team, kind or time cannot be read is reported by file, row and column and not stored;
the rest is. A file that cannot be read at all changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from connectors.survey.dates import DateError, column_order, parse
from connectors.survey.export import Export, Issue
from dashboard.core.config import Settings
from dashboard.core.schema import TABLES

TABLE = "checkin_forms"


class CheckinFormError(ValueError):
    """The export cannot be loaded at all; every reason is listed."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        super().__init__("\n".join(str(issue) for issue in issues))


@dataclass(frozen=True)
class FormBatch:
    file: str
    rows: pd.DataFrame
    issues: list[Issue]


def _fold(text: str) -> str:
    return " ".join(str(text).lower().split())


def _column(export: Export, wanted: str) -> str | None:
    folded = _fold(wanted)
    return next((c.key for c in export.columns if folded in {_fold(n) for n in (*c.names(), c.label)}), None)


def _team_lookup(settings: Settings, teams: pd.DataFrame) -> dict[str, str]:
    lookup = {_fold(team_id): team_id for team_id in teams["team_id"]}
    lookup.update({_fold(name): team_id for team_id, name in zip(teams["team_id"], teams["name"]) if isinstance(name, str)})
    lookup.update({_fold(answer): team_id for answer, team_id in settings.checkins.form.team_aliases.items()})
    return lookup


def _kind_lookup(settings: Settings) -> dict[str, str]:
    lookup = {}
    for kind in settings.checkins.kinds:
        for name in (kind.id, kind.label, *kind.form_values):
            lookup[_fold(name)] = kind.id
    return lookup


def form_rows(export: Export, settings: Settings, teams: pd.DataFrame, kind: str | None = None) -> FormBatch:
    """The export's rows as `checkin_forms` rows, and the problems with single rows.

    Raises CheckinFormError when the export has no team column, names no kind (neither a kind
    column nor `kind`), names an unknown kind, or its timestamps cannot be read without guessing.
    """
    file = Path(export.name).name
    form = settings.checkins.form
    kinds = _kind_lookup(settings)
    fatal = []
    team_key = _column(export, form.team_column)
    if team_key is None:
        fatal.append(Issue(export.name, f"no column {form.team_column!r} ([checkins.form] team_column)", fatal=True))
    kind_key = _column(export, form.kind_column) if form.kind_column and not kind else None
    if kind:
        if _fold(kind) not in kinds:
            configured = ", ".join(sorted(set(kinds.values()))) or "none"
            fatal.append(Issue(export.name, f"unknown check-in kind {kind!r} (configured: {configured})", fatal=True))
    elif form.kind_column is None:
        fatal.append(Issue(export.name, "say which check-in the rows are: --kind, or [checkins.form] kind_column", fatal=True))
    elif kind_key is None:
        fatal.append(Issue(export.name, f"no column {form.kind_column!r} ([checkins.form] kind_column)", fatal=True))
    try:
        order = column_order([str(r.submitted) for r in export.responses], form.date_order)
    except DateError as error:
        fatal.append(Issue(export.name, str(error), column=export.submitted_column, fatal=True))
    if fatal:
        raise CheckinFormError(fatal)
    zone = form.timezone or export.time_zone or settings.org_timezone
    team_names = _team_lookup(settings, teams)
    rows, issues = [], []
    for response in export.responses:
        if response.excluded:
            continue
        answer = str(response.answers.get(team_key, "")).strip()
        kind_answer = kind or str(response.answers.get(kind_key, "")).strip()
        team_id, kind_id = team_names.get(_fold(answer)), kinds.get(_fold(kind_answer))
        problem = None
        if team_id is None:
            problem = (f"team {answer!r} is no known team (add it to [checkins.form] team_aliases)" if answer
                       else "no team given", form.team_column)
        elif kind_id is None:
            problem = (f"{kind_answer!r} is no configured check-in kind (add it to form_values)", form.kind_column)
        try:
            submitted = parse(response.submitted, order, zone)
        except DateError as error:
            problem = problem or (str(error), export.submitted_column)
        if problem:
            issues.append(Issue(export.name, problem[0], row=response.row, column=problem[1], row_word=export.row_word))
            continue
        rows.append((file, response.key, response.row, answer, team_id, kind_id, submitted))
    frame = pd.DataFrame(rows, columns=["source_file", "response_key", "row", "team_answer", "team_id", "kind", "submitted_at"])
    frame["submitted_at"] = pd.to_datetime(frame["submitted_at"]).astype("datetime64[us]")
    return FormBatch(file, frame, issues)


def stored_rows(batch: FormBatch, loaded_at: datetime | None = None) -> pd.DataFrame:
    """The batch as `checkin_forms` rows, stamped with when it was loaded (naive UTC)."""
    loaded = loaded_at or datetime.now(UTC).replace(tzinfo=None)
    return batch.rows.assign(loaded_at=loaded)[list(TABLES[TABLE].columns)]
