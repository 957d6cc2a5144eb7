"""Load one export as one wave: all of it or nothing, replacing the wave if it was loaded before.

Loading the same export again changes nothing (not even the file's version, so no cache is
thrown away); a corrected export of the same wave replaces every row of the old one.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from connectors.survey.export import Export, Issue, SurveyImportError
from connectors.survey.normalize import Batch, normalize
from dashboard.core.config import Settings, SurveyMapping
from dashboard.core.file_limits import FileRefused, read_toml
from dashboard.core.store import Store, Transaction
from dashboard.pipeline.run import load

SALT_ENV = "PRODOPS_SURVEY_SALT"
SECRETS_FILE = Path(".streamlit") / "secrets.toml"
WAVE_TABLES = ("survey_answers", "survey_questions", "survey_unmatched")


@dataclass(frozen=True)
class LoadReport:
    survey_id: str
    tool: str
    responses: int
    answers: int
    excluded: int
    unmatched: int
    unchanged: bool
    issues: list[Issue]


def survey_salt(store: Store, secrets_file: Path | None = None) -> bytes:
    """The salt for response ids: `PRODOPS_SURVEY_SALT`, else that key in `.streamlit/secrets.toml`,
    else a random salt kept in a file beside the database (created once, readable by its owner
    only), so hashes stay stable across loads without the salt ever entering the database. A
    PostgreSQL store has no such file: there the salt must be set."""
    value = os.environ.get(SALT_ENV)
    file = secrets_file or SECRETS_FILE
    if not value and file.exists():
        try:
            value = read_toml(file, "secrets file").get(SALT_ENV)
        except FileRefused as error:
            raise SurveyImportError([Issue(str(file), str(error).removeprefix(f"{file}: "), fatal=True)]) from None
    if value:
        return str(value).encode()
    if store.backend != "duckdb":
        raise SurveyImportError([Issue(store.location, f"set {SALT_ENV} in the environment or in .streamlit/secrets.toml: "
                                       "a shared database has no private file beside it to keep a salt in", fatal=True)])
    beside = store.path.with_name(store.path.name + ".survey-salt")
    if not beside.exists():
        beside.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(beside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return beside.read_text().strip().encode()


def _stored_fingerprint(store: Store, survey_id: str) -> str | None:
    if not store.exists():
        return None
    try:
        found = store.query("SELECT content_sha256 FROM survey_waves WHERE survey_id = ?", [survey_id])
    except Exception:  # noqa: BLE001 - an older file without the table: the write below migrates it
        return None
    return found["content_sha256"].iloc[0] if len(found) else None


def prepare(store: Store, export: Export, *, survey: str, wave: str, settings: Settings, salt: bytes | None = None,
            mapping: SurveyMapping | None = None) -> Batch:
    """Normalize an export for a wave without writing anything (what `load_wave` would store).

    The mapping is `[surveys.<survey>]` from the settings unless one is given (the demo's are code).
    """
    mapping = mapping or settings.surveys.get(survey)
    if mapping is None:
        known = ", ".join(sorted(settings.surveys)) or "none"
        raise SurveyImportError([Issue(export.name, f"no [surveys.{survey}] mapping in the configuration (known: {known})", fatal=True)])
    teams = store.table("teams") if store.exists() else pd.DataFrame(columns=["team_id", "name", "group_name"])
    return normalize(export, mapping, survey=survey, wave=wave, teams=teams, settings=settings, salt=salt or survey_salt(store))


def wave_tables(batch: Batch, *, loaded_at: datetime, fingerprint: str | None = None) -> dict[str, pd.DataFrame]:
    """The rows a wave writes, per table: its questions, answers, unmatched answers and the
    `survey_waves` row (which records the batch's fingerprint and `loaded_at`, naive UTC)."""
    wave_row = {**batch.wave, "content_sha256": fingerprint or batch.fingerprint(), "loaded_at": loaded_at}
    return {
        "survey_questions": batch.questions,
        "survey_answers": batch.answers,
        "survey_unmatched": batch.unmatched,
        "survey_waves": pd.DataFrame([wave_row]),
    }


def load_wave(store: Store, export: Export, *, survey: str, wave: str, settings: Settings, salt: bytes | None = None,
              mapping: SurveyMapping | None = None) -> LoadReport:
    """Store an export as wave `wave` of `survey`, replacing that wave if it was loaded before.

    Raises SurveyImportError, and changes nothing, when the export cannot be loaded at all (a
    missing required column, an unreadable date column, a mapping for another tool). Problems
    with single answers are reported in the returned report and the rest is loaded.
    """

    batch = prepare(store, export, survey=survey, wave=wave, settings=settings, salt=salt, mapping=mapping)
    if batch.fatal:
        raise SurveyImportError(batch.fatal)
    fingerprint = batch.fingerprint()
    unchanged = _stored_fingerprint(store, batch.survey_id) == fingerprint
    if not unchanged:
        frames = wave_tables(batch, loaded_at=datetime.now(UTC).replace(tzinfo=None), fingerprint=fingerprint)

        def write(tx: Transaction) -> None:
            for table in WAVE_TABLES:
                tx.delete_where(table, "survey_id", [batch.survey_id])
            for table, frame in frames.items():
                tx.upsert(table, frame)

        load(store, settings, write)
    return LoadReport(
        survey_id=batch.survey_id, tool=export.tool, responses=int(batch.answers["response_id"].nunique()),
        answers=len(batch.answers), excluded=batch.excluded, unmatched=int(batch.unmatched["responses"].sum()),
        unchanged=unchanged, issues=batch.issues,
    )
