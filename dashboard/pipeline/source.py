"""What a connector gives the pipeline, and what it gets back: the contract of every source.

A source declares its `streams` (the canonical tables it fills, each with the field its cursor
follows), `fetch`es everything it has to say from where the cursor stopped (reading the source
and turning it into rows with its pure normalize step), and `write`s those rows inside the
pipeline's transaction. It never opens a transaction, derives, or records its run: the pipeline
(`dashboard.pipeline.run`) does, the same way for every source.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import pandas as pd

from dashboard.core.config import Settings
from dashboard.core.schema import TABLES
from dashboard.core.store import Store, Transaction

OK, PARTIAL, FAILED = "success", "partial", "failed"
"""A run's status in `sync_runs`: all parts read, some parts quarantined, nothing published."""

Progress = Callable[[str, int, int | None], None]
"""`progress(stage, done, total)`; total is None when the source does not say."""


def no_progress(stage: str, done: int, total: int | None) -> None:
    return None


@dataclass(frozen=True)
class Stream:
    """A canonical table a source fills, and the field its incremental cursor follows (None:
    the table is replaced as the source's `write` says, not followed)."""

    table: str
    cursor_field: str | None = None

    @property
    def key(self) -> tuple[str, ...]:
        return TABLES[self.table].key


@dataclass(frozen=True)
class Cursor:
    """Where a source's last published run stopped: named bookmarks, stored as one JSON object in
    `sync_runs.cursor`. Jira keeps the newest `updated` and the settings it was taken under; the
    calendars keep a sync token per calendar. Only the source reads its own bookmarks."""

    marks: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(dict(self.marks), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> Cursor | None:
        """A stored cursor, or None (a full pull) when there is none or it cannot be read."""
        try:
            marks = json.loads(text or "")
        except (TypeError, ValueError):
            return None
        return cls(marks) if isinstance(marks, dict) else None

    def get(self, name: str, default: Any = None) -> Any:
        return self.marks.get(name, default)


@dataclass(frozen=True)
class Quarantined:
    """A part of a source left out of this run (a calendar that did not read), and why. It keeps
    its last good rows, and gets a `sync_runs` row of its own."""

    source: str
    where: str
    """The part: a calendar's file, feed or id."""
    error: str


@dataclass
class Pull:
    """Everything one run fetched, normalized, ready to write."""

    frames: dict[str, pd.DataFrame]
    """Rows by stream table."""
    cursor: Cursor | None
    """Where the next run starts; None: from the beginning."""
    status: str = OK
    quarantined: list[Quarantined] = field(default_factory=list)
    facts: Any = None
    """What the source wants to report of the run (counts, warnings), for its own result."""


@dataclass(frozen=True)
class Context:
    """What a source may know when it fetches: its settings, its last cursor, the store to read
    (the roster, known projects; never to write), when the run started, and where to report."""

    settings: Settings
    cursor: Cursor | None
    store: Store
    started: datetime
    progress: Progress = no_progress


class Source(Protocol):
    """A source of canonical rows, registered in `connectors.registry`."""

    name: str
    """Its `sync_runs.source` and its lock."""
    section: str
    """Where `prodops.toml` configures it, for the error when it does not."""
    streams: tuple[Stream, ...]

    def configured(self, settings: Settings) -> bool: ...

    def fetch(self, context: Context) -> Pull:
        """Read the source from `context.cursor` on, normalize it, and say where the next run starts.
        Raise on anything that leaves nothing to publish; quarantine a part that alone failed."""
        ...

    def write(self, tx: Transaction, pull: Pull, observed_at: datetime) -> int:
        """Write the pull's rows (see `upsert_streams` for the plain case); return how many."""
        ...

    def describe(self, error: Exception) -> str:
        """The failure's message for `sync_runs` and the user: what went wrong, no secret in it."""
        ...

    def summary(self, pull: Pull) -> str:
        """One line for the command line and the Data page saying what the run did."""
        ...


def upsert_streams(tx: Transaction, streams: tuple[Stream, ...], pull: Pull) -> int:
    """Upsert each stream's frame on its key: a source whose rows only ever replace themselves."""
    return sum(tx.upsert(stream.table, pull.frames[stream.table]) for stream in streams if stream.table in pull.frames)
