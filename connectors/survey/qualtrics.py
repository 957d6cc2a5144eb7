"""Qualtrics CSV exports: the current three-header-row format and the legacy two-row one.

Current: row 1 holds column names (`Q1`, `Q7_1`, embedded data names), row 2 the question
text (metadata labels follow the account's language: `Antwort-ID` in German), row 3 a JSON
`{"ImportId": "QID7_1"}` per column, sometimes with a `timeZone` for date columns. Data starts
on row 4. Questions are keyed by ImportId (`QIDnn...`), which survives renaming `Q1`; the
column name and the question text are aliases. Columns whose ImportId is not a QID are
embedded data (usable as team or role, never reported as unmapped).

Legacy: row 1 `V1..V10` codes then question codes, row 2 labels (`ResponseID`, `Name`, ...),
often a trailing comma on every line (an empty last column).

`Status` keeps real responses only (0 IP Address, 4 Imported, 16 Offline); previews, tests and
spam are excluded, and so are unfinished responses (`Finished` 0). Numeric exports carry recode
values, which may skip numbers (1, 2, 4): the mapping's `values` says what they mean.
"""
from __future__ import annotations

import json

from connectors.survey.export import Column, Export, Response, SurveyFormatError
from connectors.survey.table import cell, unique

TOOL = "qualtrics"
METADATA_IDS = {
    "startDate", "endDate", "status", "ipAddress", "progress", "duration", "finished", "recordedDate", "_recordId",
    "recipientLastName", "recipientFirstName", "recipientEmail", "externalDataReference", "locationLatitude",
    "locationLongitude", "distributionChannel", "userLanguage",
}
LEGACY_METADATA = {
    "ResponseID", "ResponseSet", "Name", "ExternalDataReference", "EmailAddress", "IPAddress", "Status", "StartDate",
    "EndDate", "Finished", "LocationLatitude", "LocationLongitude", "LocationAccuracy",
}
KEPT_STATUS = {"0", "4", "16", "ip address", "imported", "offline"}
STATUS_NAMES = {"1": "survey preview", "2": "survey test", "8": "spam", "9": "preview spam", "17": "offline preview"}
UNFINISHED = {"0", "false"}


def _import_ids(row: list[str], names: list[str]) -> list[dict]:
    out = []
    for text, name in zip(row, names):
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = None
        out.append(value if isinstance(value, dict) and "ImportId" in value else {"ImportId": name})
    return out


def matches(records: list[list[str]]) -> bool:
    if len(records) < 2:
        return False
    if records[0][:1] == ["V1"] and "ResponseID" in [c.strip() for c in records[1]]:
        return True
    return (len(records) >= 3 and any(c.strip() == "ResponseId" for c in records[0])
            and records[2][:1] != [] and records[2][0].startswith('{"ImportId"'))


def _excluded(status: str, finished: str) -> str | None:
    if status and status.lower() not in KEPT_STATUS:
        return STATUS_NAMES.get(status, f"status {status!r}")
    if finished.lower() in UNFINISHED:
        return "unfinished"
    return None


def read(records: list[list[str]], name: str) -> Export:
    if records[0][:1] == ["V1"]:
        return _read_legacy(records, name)
    names = unique([c.strip() or f"column {i + 1}" for i, c in enumerate(records[0])])
    labels = [cell(records[1], i) for i in range(len(names))]
    ids = _import_ids(records[2], names)
    by_id = {entry["ImportId"]: i for i, entry in enumerate(ids)}
    for required in ("_recordId",):
        if required not in by_id:
            raise SurveyFormatError(f"{name}: missing required column 'ResponseId' (qualtrics export)")
    submitted_id = "recordedDate" if "recordedDate" in by_id else "endDate"
    if submitted_id not in by_id:
        raise SurveyFormatError(f"{name}: missing required column 'RecordedDate' or 'EndDate' (qualtrics export)")
    at_submitted = by_id[submitted_id]
    columns, positions = [], []
    for i, (column_name, entry) in enumerate(zip(names, ids)):
        import_id = str(entry["ImportId"])
        if import_id in METADATA_IDS or column_name.startswith("Q_") or import_id.startswith("Q_"):
            continue
        is_question = import_id.startswith("QID")
        key = import_id if is_question else column_name
        aliases = tuple(dict.fromkeys(a for a in (column_name, labels[i]) if a and a != key))
        columns.append(Column(key, labels[i] or column_name, aliases, question=is_question))
        positions.append((i, key))
    responses = []
    for row, record in enumerate(records[3:], start=4):
        if not any(value.strip() for value in record):
            continue
        answers = {key: cell(record, i) for i, key in positions if cell(record, i)}
        excluded = _excluded(_at(record, by_id, "status"), _at(record, by_id, "finished"))
        responses.append(Response(row, _at(record, by_id, "_recordId"), cell(record, at_submitted), answers, excluded))
    return Export(TOOL, name, tuple(columns), tuple(responses), names[at_submitted], ids[at_submitted].get("timeZone"))


def _at(record: list[str], by_id: dict[str, int], import_id: str) -> str:
    return cell(record, by_id[import_id]) if import_id in by_id else ""


def _read_legacy(records: list[list[str]], name: str) -> Export:
    codes = [c.strip() for c in records[0]]
    labels = [cell(records[1], i) for i in range(len(codes))]
    by_label = {label: i for i, label in enumerate(labels) if label}
    for required in ("ResponseID", "EndDate"):
        if required not in by_label:
            raise SurveyFormatError(f"{name}: missing required column {required!r} (legacy qualtrics export)")
    data = records[2:]
    columns, positions = [], []
    for i, (code, label) in enumerate(zip(codes, labels)):
        if label in LEGACY_METADATA or code in LEGACY_METADATA:
            continue
        if not code and not label:
            if not any(cell(record, i) for record in data):
                continue  # the empty column a trailing comma makes
            code = f"column {i + 1}"
        columns.append(Column(code or label, label or code, (label,) if label and code else ()))
        positions.append((i, code or label))
    responses = []
    for row, record in enumerate(data, start=3):
        if not any(value.strip() for value in record):
            continue
        answers = {key: cell(record, i) for i, key in positions if cell(record, i)}
        excluded = _excluded(cell(record, by_label["Status"]) if "Status" in by_label else "",
                             cell(record, by_label["Finished"]) if "Finished" in by_label else "")
        responses.append(Response(row, cell(record, by_label["ResponseID"]), cell(record, by_label["EndDate"]), answers, excluded))
    return Export(TOOL, name, tuple(columns), tuple(responses), "EndDate")
