"""Which tool wrote an export, recognised from its headers (or JSON shape), and reading it."""
from __future__ import annotations

import os
from pathlib import Path

from connectors.survey import google_forms, ms_forms, qualtrics, surveymonkey, typeform
from connectors.survey.export import Export, SurveyFormatError
from connectors.survey.table import fingerprint, rows
from dashboard.core import file_limits

# Tried in order; the first whose headers match reads the file.
CSV_READERS = (qualtrics, surveymonkey, google_forms, ms_forms, typeform)


def detect(text: str) -> str:
    """The tool name for an export's text, or SurveyFormatError saying what the header looked like."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith(("{", "[")):
        return typeform.TOOL
    records = rows(text)
    for reader in CSV_READERS:
        if reader.matches(records):
            return reader.TOOL
    head = file_limits.listing(records[0], 4) if records else "(empty)"
    raise SurveyFormatError(
        f"not a recognised survey export (Google Forms, Qualtrics, SurveyMonkey, Microsoft Forms, Typeform): "
        f"the header starts {head}"
    )


def read_text(text: str, name: str = "<export>") -> Export:
    """Read an export given as text (a file's content, or what the demo generates)."""
    if not text.lstrip("\ufeff").strip():
        raise SurveyFormatError(f"{name}: the file is empty")
    try:
        tool = detect(text)
    except SurveyFormatError as error:
        raise SurveyFormatError(f"{name}: {error}") from None
    if text.lstrip("\ufeff \t\r\n").startswith(("{", "[")):
        export = typeform.read_json(text, name)
    else:
        reader = next(r for r in CSV_READERS if tool == r.TOOL)
        export = reader.read(rows(text), name)
    return Export(export.tool, export.name, export.columns, export.responses, export.submitted_column,
                  export.time_zone, export.row_word, fingerprint(text))


def read_export(path: str | os.PathLike) -> Export:
    """Read an export file; errors name the file."""
    file = Path(path)
    try:
        text = file_limits.read_text(file, file_limits.MAX_EXPORT_BYTES, "survey or form export")
    except file_limits.FileRefused as error:
        raise SurveyFormatError(str(error)) from None
    return read_text(text, str(file))
