"""Exports with one header row of question texts: Google Forms, Microsoft Forms, Typeform CSV."""
from __future__ import annotations

import re
from collections.abc import Callable

from connectors.survey.export import Column, Export, Response, SurveyFormatError
from connectors.survey.table import cell, unique

_GRID = re.compile(r"^(?P<question>.+?)\s*\[(?P<row>[^\]]+)\]$")


def find(header: list[str], wanted: str) -> int | None:
    lowered = [h.lower() for h in header]
    return lowered.index(wanted.lower()) if wanted.lower() in lowered else None


def read_flat(
    tool: str,
    name: str,
    records: list[list[str]],
    *,
    is_metadata: Callable[[str], bool],
    submitted: str,
    key: str | None,
    time_zone: str | None = None,
) -> Export:
    """Columns from the first row, one response per later row.

    Metadata columns (names, emails, scores) are dropped here. `key` names the tool's response
    id column; without one (Google Forms) a response is known by its timestamp and its place
    among responses with the same timestamp.
    """
    header = unique([h.strip() or f"column {i + 1}" for i, h in enumerate(records[0])])
    at_submitted = find(header, submitted)
    if at_submitted is None:
        raise SurveyFormatError(f"{name}: missing required column {submitted!r} ({tool} export)")
    at_key = find(header, key) if key else None
    if key and at_key is None:
        raise SurveyFormatError(f"{name}: missing required column {key!r} ({tool} export)")
    questions = [(i, h) for i, h in enumerate(header) if not is_metadata(h)]
    columns = []
    for _, h in questions:
        grid = _GRID.match(h)
        columns.append(Column(key=h, label=h, parent=grid["question"] if grid else None))
    responses = []
    seen: dict[str, int] = {}
    for row, record in enumerate(records[1:], start=2):
        if not any(value.strip() for value in record):
            continue
        stamp = cell(record, at_submitted)
        if at_key is not None:
            response_key = cell(record, at_key)
        else:
            seen[stamp] = seen.get(stamp, 0) + 1
            response_key = f"{stamp}#{seen[stamp]}"
        answers = {h: cell(record, i) for i, h in questions if cell(record, i)}
        responses.append(Response(row=row, key=response_key, submitted=stamp, answers=answers))
    return Export(tool, name, tuple(columns), tuple(responses), header[at_submitted], time_zone)
