"""What to ask Jira for: the JQL of a run and the incremental cursor it starts from.

The cursor is explicit state with a name (`updated`), a start value (none: a full pull) and a
stored last value (the newest `updated` Jira reported, kept in `sync_runs.cursor` of the last
successful run). It also carries a signature of the settings that decide which issues are
pulled and how they are classified, so changing them triggers one full pull instead of leaving
old issues classified under the old rules.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from connectors.jira.classify import effective_work_classes
from dashboard.core.config import JiraSource
from dashboard.pipeline.source import Cursor

ORDER = "ORDER BY created ASC, key ASC"
"""Created-order is stable while the run pages: an issue updated mid-run keeps its place
(ordering by `updated` would move it to the end and shift a page, skipping one issue)."""


def quote(value: str) -> str:
    """A JQL string literal; quoting every key also covers keys that are JQL words (`IN`, `AND`)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def scoped_projects(source: JiraSource) -> list[str]:
    """The configured projects plus the data-request projects, which are pulled too."""
    extra = source.data_request.projects if source.data_request else []
    return sorted(set(source.projects) | set(extra))


def scope_jql(source: JiraSource) -> str:
    """Which issues belong to this organisation: the projects, narrowed by `jql` when both are set."""
    parts = []
    projects = scoped_projects(source)
    if projects:
        parts.append(f"project in ({', '.join(quote(p) for p in projects)})")
    if source.jql:
        parts.append(f"({source.jql})")
    return " AND ".join(parts)


def epoch_ms(moment: datetime) -> int:
    """Naive UTC (or aware) to epoch milliseconds: the one JQL date form free of the user's time zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def search_jql(scope: str, since: datetime | None, overlap_minutes: int) -> str:
    """The run's JQL: everything in scope, or what changed since the cursor less the overlap.

    The bound is unquoted epoch milliseconds: a quoted "yyyy-MM-dd HH:mm" would be read in the
    querying user's time zone at minute resolution and silently skip or repeat hours of changes.
    The overlap also absorbs Cloud search's eventual consistency; re-read issues are upserts.
    """
    if since is None:
        return f"{scope} {ORDER}"
    bound = epoch_ms(since - timedelta(minutes=overlap_minutes))
    return f"({scope}) AND updated >= {bound} {ORDER}"


def signature(source: JiraSource) -> str:
    """A short hash of the settings that decide which issues are pulled and what they become.

    The work-class rules are in it with the built-in ones they fall back on: a change of either
    (or the upgrade that brought them) re-reads every issue, so stored items are classified by the
    rules of the day, not half by old ones, and items synced before there were classes get one.
    """
    relevant = {
        "url": source.url,
        "scope": scope_jql(source),
        "data_request": source.data_request.model_dump() if source.data_request else None,
        "checkin_issue_type": source.checkin_issue_type,
        "people": dict(sorted(source.people.items())),
        "work_classes": [rule.model_dump() for rule in effective_work_classes(source)],
    }
    return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Bookmark:
    """The newest `updated` seen (naive UTC) under the settings with this signature: what Jira
    keeps in the pipeline's cursor."""

    updated: datetime
    signature: str

    def cursor(self) -> Cursor:
        return Cursor({"updated": self.updated.isoformat(timespec="milliseconds"), "signature": self.signature})

    @classmethod
    def of(cls, cursor: Cursor | None) -> Bookmark | None:
        """The bookmark a stored cursor holds, or None (a full pull) when it holds none that reads."""
        try:
            return cls(datetime.fromisoformat(cursor.marks["updated"]), str(cursor.marks["signature"]))
        except (AttributeError, KeyError, TypeError, ValueError):
            return None

    def advanced(self, newest: datetime | None) -> Bookmark:
        """Never moves back: a run that saw nothing newer keeps the old bookmark."""
        return self if newest is None or newest <= self.updated else Bookmark(newest, self.signature)
