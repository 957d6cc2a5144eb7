"""Jira as a pipeline source: what it fills, how it fetches from its cursor, how its rows are written.

The pipeline (`dashboard.pipeline.run`) publishes the work items, their status histories,
releases, new planned dates, the `sync_runs` row and the next cursor in one transaction, or
nothing at all; `sync_jira` is one run with the test seams (token, retry policy, secrets file)
and a typed result, as the tests and the benchmarks call it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from connectors.jira.connection import JiraSyncError, connect
from connectors.jira.credentials import resolve_token
from connectors.jira.fetch import fetch
from connectors.jira.normalize import SOURCE, JiraFrames, NormalizeError, Rules, normalize, plan_changes
from connectors.jira.query import Bookmark, scope_jql, scoped_projects, search_jql, signature
from connectors.retry import RetryPolicy
from dashboard.core.config import Settings
from dashboard.core.redaction import redact
from dashboard.core.store import Store, Transaction
from dashboard.pipeline.run import SyncFailed, sync
from dashboard.pipeline.source import Context, Progress, Pull, Stream


@dataclass(frozen=True)
class SyncResult:
    """What a successful run did, for the command line and the Data page to report."""

    run_id: str
    deployment: str
    full: bool
    """True when the run pulled everything (no cursor yet, or the scope settings changed)."""
    settings_changed: bool
    """True when a cursor existed but was taken under other settings (another url or scope)."""
    jql: str
    issues: int
    transitions: int
    releases: int
    new_plans: int
    rows: int
    requests: int
    cursor: str | None
    seconds: float


@dataclass(frozen=True)
class Facts:
    """What a Jira pull found, beyond its rows."""

    deployment: str
    full: bool
    settings_changed: bool
    jql: str
    requests: int


class Jira:
    """The `[jira]` source. `token`, `retry` and `secrets_file` are there for tests and scripts:
    by default the token comes from `[jira].token_env` (or secrets.toml) and the retries are
    `[jira].max_retries` under the shared policy."""

    name = SOURCE
    section = "[jira]"
    streams = (
        Stream("work_items", cursor_field="updated"),
        Stream("work_item_transitions"),
        Stream("releases"),
        Stream("release_plans"),
    )

    def __init__(self, token: str | None = None, retry: RetryPolicy | None = None, secrets_file: Path | None = None):
        self.token, self.retry, self.secrets_file = token, retry, secrets_file
        self.counts: dict[str, int] = {}

    def configured(self, settings: Settings) -> bool:
        return settings.jira is not None

    def fetch(self, context: Context) -> Pull:
        source = context.settings.jira
        if source is None:
            raise JiraSyncError("no [jira] section in the configuration: add url, projects (or jql) and email")
        self.token = self.token or resolve_token(source, self.secrets_file)
        previous = Bookmark.of(context.cursor)
        changed = previous is not None and previous.signature != signature(source)
        previous = None if changed else previous
        people, projects = _known(context.store)
        api = connect(source, self.token, self.retry or RetryPolicy(max_retries=source.max_retries))
        jql = search_jql(scope_jql(source), previous.updated if previous else None, source.overlap_minutes)
        raw = fetch(api, jql, scoped_projects(source) or projects, source.page_size, context.progress)
        frames = normalize(raw.issues, raw.versions, context.started, Rules.from_settings(source, people))
        bookmark = _next_bookmark(previous, frames, signature(source))
        return Pull(
            frames=frames.tables(),
            cursor=bookmark.cursor() if bookmark else None,
            facts=Facts(api.deployment.name, previous is None, changed, jql, api.requests),
        )

    def write(self, tx: Transaction, pull: Pull, observed_at: datetime) -> int:
        """A pulled issue's history is replaced whole (it was read whole); a release's planned date is
        written only when it differs from the one last recorded."""
        frames = pull.frames
        tx.delete_where("work_item_transitions", "item_id", frames["work_items"]["item_id"].tolist())
        recorded = tx.query("SELECT release_id, observed_at, planned_date FROM release_plans")
        observed = frames["release_plans"]
        if not recorded.empty:
            observed = pd.concat([recorded, observed], ignore_index=True)
        changes = plan_changes(observed)
        self.counts = {
            "work_items": tx.upsert("work_items", frames["work_items"]),
            "work_item_transitions": tx.upsert("work_item_transitions", frames["work_item_transitions"]),
            "releases": tx.upsert("releases", frames["releases"]),
            "release_plans": tx.upsert("release_plans", changes[changes["observed_at"] == pd.Timestamp(observed_at)]),
        }
        return sum(self.counts.values())

    def describe(self, error: Exception) -> str:
        expected = isinstance(error, (JiraSyncError, NormalizeError))
        return redact(str(error) if expected else f"{type(error).__name__}: {error}", [self.token])

    def summary(self, pull: Pull) -> str:
        facts: Facts = pull.facts
        kind = "full" if facts.full else "incremental"
        if facts.settings_changed:
            kind += " (the [jira] url or scope changed since the last sync, so everything is read again)"
        issues = pull.frames["work_items"]["item_id"].nunique()
        new_plans = self.counts.get("release_plans", 0)
        return f"{kind} sync of {facts.deployment}: {issues} issues, {new_plans} new planned dates, {facts.requests} requests"


def sync_jira(
    store: Store,
    settings: Settings,
    token: str | None = None,
    progress: Progress | None = None,
    *,
    retry: RetryPolicy | None = None,
    secrets_file: Path | None = None,
) -> SyncResult:
    """Pull the configured Jira into the store: incrementally when a cursor exists, else in full.

    `progress(stage, done, total)` hears "issues" and "versions"; see `Jira` for the rest.

    Raises:
        JiraSyncError: the run failed; its message says why and holds no secret. The failure is
            recorded in `sync_runs` and nothing else in the store changed.
    """
    source = Jira(token, retry, secrets_file)
    try:
        run = sync(store, settings, source, progress)
    except SyncFailed as failed:
        raise JiraSyncError(str(failed)) from None
    facts: Facts = run.pull.facts
    return SyncResult(
        run_id=run.run_id, deployment=facts.deployment, full=facts.full, settings_changed=facts.settings_changed,
        jql=facts.jql, issues=run.pull.frames["work_items"]["item_id"].nunique(),
        transitions=source.counts["work_item_transitions"], releases=source.counts["releases"],
        new_plans=source.counts["release_plans"], rows=run.rows, requests=facts.requests, cursor=run.cursor,
        seconds=run.seconds,
    )


def _known(store: Store) -> tuple[pd.DataFrame | None, list[str]]:
    """The roster's emails (to match Jira users to people) and the projects already stored."""
    if not store.exists():
        return None, []
    with store.reader() as con:
        people = con.execute("SELECT person_id, email FROM people").df()
        projects = con.execute(
            "SELECT DISTINCT project FROM work_items WHERE source = ? AND project IS NOT NULL ORDER BY 1", [SOURCE]
        ).fetchall()
    return people, [p for (p,) in projects]


def _next_bookmark(previous: Bookmark | None, frames: JiraFrames, sig: str) -> Bookmark | None:
    """The newest `updated` Jira reported (its clock, not ours), never earlier than the last one."""
    newest = frames.work_items["updated"].max()
    newest = None if pd.isna(newest) else newest.to_pydatetime()
    if previous is None:
        return Bookmark(newest, sig) if newest is not None else None
    return previous.advanced(newest)
