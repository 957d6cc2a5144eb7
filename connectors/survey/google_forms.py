"""Google Forms responses CSV (or the linked Sheet downloaded as CSV).

Row 1 is `Timestamp`, then `Email Address` when emails are collected (`Email address` in newer
forms), `Score` for quizzes, then one column per question headed by its full text; a grid
question has one column per row, `Question [Row]`. There are no response ids, so a response is
known by its timestamp. The timestamp follows the form owner's locale (see `dates`).
"""
from __future__ import annotations

from connectors.survey.export import Export
from connectors.survey.flat import read_flat

TOOL = "google_forms"
METADATA = {"timestamp", "email address", "username", "score", "name"}


def matches(records: list[list[str]]) -> bool:
    return bool(records and records[0] and records[0][0].strip() == "Timestamp")


def read(records: list[list[str]], name: str) -> Export:
    return read_flat(TOOL, name, records, is_metadata=lambda h: h.lower() in METADATA, submitted="Timestamp", key=None)
