"""Microsoft Forms responses (the Excel download saved as CSV, or "Open in Excel").

Columns `ID, Start time, Completion time, Email, Name` (and `Last modified time` in newer
exports), then one per question, headed by its text. Quizzes add `Total points`, `Quiz
feedback`, `Grade posted time` and per question `Points - Q` and `Feedback - Q`. Columns can
come out of order relative to the form (a known Forms issue), so questions are found by header,
never by position.
"""
from __future__ import annotations

from connectors.survey.export import Export
from connectors.survey.flat import read_flat

TOOL = "ms_forms"
METADATA = {
    "id", "start time", "completion time", "email", "name", "last modified time", "total points",
    "quiz feedback", "grade posted time",
}


def _metadata(header: str) -> bool:
    lowered = header.lower()
    return lowered in METADATA or lowered.startswith(("points - ", "feedback - "))


def matches(records: list[list[str]]) -> bool:
    head = [h.strip() for h in records[0][:3]] if records else []
    return head == ["ID", "Start time", "Completion time"]


def read(records: list[list[str]], name: str) -> Export:
    return read_flat(TOOL, name, records, is_metadata=_metadata, submitted="Completion time", key="ID")
