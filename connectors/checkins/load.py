"""Load a form export of check-ins: its rows replace those of the same file, and the check-ins are re-derived, in one transaction."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from connectors.checkins.form import TABLE, form_rows, stored_rows
from connectors.survey import read_export
from connectors.survey.export import Issue
from dashboard.core.config import Settings
from dashboard.core.schema import TABLES
from dashboard.core.store import Store, Transaction
from dashboard.pipeline.run import load


@dataclass(frozen=True)
class FormReport:
    file: str
    rows: int
    issues: list[Issue]


def load_form(store: Store, path: str | Path, settings: Settings, kind: str | None = None) -> FormReport:
    """Read the export, store its readable rows in place of the file's earlier ones, re-derive the check-ins.

    Raises SurveyFormatError or CheckinFormError, and changes nothing, when the file cannot be
    read at all; rows that cannot be read are reported and left out.
    """
    export = read_export(path)
    teams = store.table("teams") if store.exists() else pd.DataFrame(columns=list(TABLES["teams"].columns))
    batch = form_rows(export, settings, teams, kind)

    def write(tx: Transaction) -> None:
        tx.delete_where(TABLE, "source_file", [batch.file])
        tx.upsert(TABLE, stored_rows(batch))

    load(store, settings, write)
    return FormReport(batch.file, len(batch.rows), batch.issues)
