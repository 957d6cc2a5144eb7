"""SurveyMonkey "All responses" CSV, expanded.

Two header rows. Row 1: `Respondent ID, Collector ID, Start Date, End Date, IP Address, Email
Address, First Name, Last Name, Custom Data 1`, then the question text, written only over the
FIRST column of a question that spans several (a matrix, a multi-select, a contact block).
Row 2: blank under the metadata, then per column `Response`, `Open-Ended Response`, or the row
or choice label. So row 1 is carried forward over the blanks and joined with row 2: a
matrix row is `Question | Row label`, a one-column question is just `Question` (alias
`Question | Response`). Data starts on row 3. Custom data columns are not questions.
"""
from __future__ import annotations

from connectors.survey.export import Column, Export, Response, SurveyFormatError
from connectors.survey.table import cell

TOOL = "surveymonkey"
METADATA = {"respondent id", "collector id", "start date", "end date", "ip address", "email address", "first name", "last name"}
SINGLE = {"", "response", "open-ended response"}


def matches(records: list[list[str]]) -> bool:
    return bool(records) and [c.strip() for c in records[0][:2]] == ["Respondent ID", "Collector ID"]


def read(records: list[list[str]], name: str) -> Export:
    if len(records) < 2:
        raise SurveyFormatError(f"{name}: a SurveyMonkey export has two header rows; row 2 is missing")
    top = [c.strip() for c in records[0]]
    sub = [cell(records[1], i) for i in range(len(top))]
    lowered = [t.lower() for t in top]
    for required in ("respondent id", "end date"):
        if required not in lowered:
            raise SurveyFormatError(f"{name}: missing required column {required.title()!r} (surveymonkey export)")
    at_id, at_end = lowered.index("respondent id"), lowered.index("end date")
    columns, positions, question = [], [], ""
    for i, (head, label) in enumerate(zip(top, sub)):
        if head.lower() in METADATA:
            question = ""
            continue
        if head:
            question = head
        if not question:
            raise SurveyFormatError(f"{name}: column {i + 1} has no question text above it or before it")
        is_custom = question.lower().startswith("custom data")
        if label.lower() in SINGLE:
            key, aliases = question, (f"{question} | Response",) if label else ()
        else:
            key, aliases = f"{question} | {label}", ()
        columns.append(Column(key, key, aliases, parent=question, question=not is_custom))
        positions.append((i, key))
    keys = [key for _, key in positions]
    doubled = sorted({key for key in keys if keys.count(key) > 1})
    if doubled:
        raise SurveyFormatError(f"{name}: two columns are both {doubled[0]!r}; SurveyMonkey headers must be unique")
    responses = []
    for row, record in enumerate(records[2:], start=3):
        if not any(value.strip() for value in record):
            continue
        answers = {key: cell(record, i) for i, key in positions if cell(record, i)}
        responses.append(Response(row, cell(record, at_id), cell(record, at_end), answers))
    return Export(TOOL, name, tuple(columns), tuple(responses), top[at_end])
