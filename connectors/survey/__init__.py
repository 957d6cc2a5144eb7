"""Survey exports to canonical survey tables: recognise the tool, read, map, normalize, load.

    export = read_export("pulse-2026Q1.csv")          # or read_text(text, name) for generated text
    report = load_wave(store, export, survey="pulse", wave="2026Q1", settings=settings)

`normalize` (an export and its mapping to rows) and `wave_tables` (the rows per table) are pure;
the demo organisation's exports go through them.

Readers (one module per tool) turn Google Forms, Qualtrics, SurveyMonkey, Microsoft Forms and
Typeform exports into one `Export` shape; `mapping` ties the `[surveys.<name>]` configuration to
its columns; `normalize` makes canonical rows and drops everything personal; `load` writes a
wave all-or-nothing.
"""
from __future__ import annotations

from connectors.survey.detect import detect, read_export, read_text
from connectors.survey.export import Export, Issue, SurveyFormatError, SurveyImportError
from connectors.survey.load import LoadReport, load_wave, prepare, survey_salt, wave_tables
from connectors.survey.normalize import Batch, normalize, survey_id

__all__ = [
    "Batch", "Export", "Issue", "LoadReport", "SurveyFormatError", "SurveyImportError", "detect", "load_wave",
    "normalize", "prepare", "read_export", "read_text", "survey_id", "survey_salt", "wave_tables",
]
