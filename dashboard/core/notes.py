"""What people write on the dashboard: annotations on the time axes and the QBR's notes.

Both are stored in the canonical store, so they are shared by every user and published like
any other write (all or nothing, a new version that refreshes every cache). Reading tolerates a
store written before the table existed: it reads as empty until the first write migrates it.
"""
from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd

from dashboard.core.schema import TABLES
from dashboard.core.store import Store

MAX_LABEL = 80
MAX_NOTE = 4000
METRIC_SEPARATOR = ","
"""How an annotation's `metrics` cell lists the ids of the metrics it was meant to move."""


class NoteError(ValueError):
    """An annotation or note that cannot be stored as given."""


def annotations(store: Store) -> pd.DataFrame:
    """Every annotation, oldest first: `on_date`, `scope` (org, a group or a team id), `label`,
    `metrics` (empty in a store written before annotations named them, until its next write migrates it)."""
    stored = store.table("annotations").reindex(columns=list(TABLES["annotations"].columns))
    return stored.sort_values(["on_date", "label"], ignore_index=True)


def add_annotation(store: Store, on_date: date, scope: str, label: str, metrics: list[str] = ()) -> None:
    """Store one annotation; the same date, scope and label twice is one annotation (the later
    one's `metrics`, the ids of the metrics it was meant to move, replace the earlier's)."""
    label = " ".join((label or "").split())
    if not label:
        raise NoteError("an annotation needs a label")
    if len(label) > MAX_LABEL:
        raise NoteError(f"keep the label under {MAX_LABEL} characters (it is drawn on every chart)")
    with store.transaction() as tx:
        tx.upsert("annotations", pd.DataFrame({"on_date": [on_date], "scope": [scope], "label": [label],
                                               "metrics": [METRIC_SEPARATOR.join(metrics) or None]}))


def annotation_metrics(cell) -> list[str]:
    """The metric ids an annotation's `metrics` cell names (none for a cell left empty)."""
    if cell is None or (not isinstance(cell, str) and pd.isna(cell)):
        return []
    return [part.strip() for part in str(cell).split(METRIC_SEPARATOR) if part.strip()]


def remove_annotations(store: Store, rows: list[tuple[date, str, str]]) -> int:
    """Delete annotations by (on_date, scope, label); returns how many were asked for."""
    if not rows:
        return 0
    with store.transaction() as tx:
        for on_date, scope, label in rows:
            tx.execute("DELETE FROM annotations WHERE on_date = ? AND scope = ? AND label = ?", [on_date, scope, label])
    return len(rows)


def qbr_notes(store: Store, quarter: str, scope_id: str) -> dict[str, str]:
    """The stored note of each section of one quarter's review of one scope."""
    if not store.has_table("qbr_notes"):
        return {}
    rows = store.query("SELECT section, note FROM qbr_notes WHERE quarter = ? AND scope_id = ?", [quarter, scope_id])
    return dict(zip(rows["section"], rows["note"].fillna("")))


def save_qbr_note(store: Store, quarter: str, scope_id: str, section: str, note: str) -> None:
    """Store (or replace) one section's note; an empty note is stored empty, not deleted, so it is seen as cleared."""
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise NoteError(f"keep a section's note under {MAX_NOTE} characters")
    row = {"quarter": quarter, "scope_id": scope_id, "section": section, "note": note,
           "updated_at": datetime.now(UTC).replace(tzinfo=None)}
    with store.transaction() as tx:
        tx.upsert("qbr_notes", pd.DataFrame([row], columns=list(TABLES["qbr_notes"].columns)))
