"""One Jira sync run: read the cursor, fetch, normalize, publish everything in one transaction.

Nothing is lost, nothing half-shown: the whole fetch happens first, then work items, their
status histories, releases, new planned dates, the `sync_runs` row and the next cursor are
written in ONE store transaction. A run that fails anywhere publishes none of it; it only adds
a `sync_runs` row saying it failed and why, so the dashboard keeps the last good data and the
next run starts from the last good cursor.
"""
from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from connectors.jira.connection import JiraSyncError, connect
from connectors.jira.credentials import resolve_token
from connectors.jira.fetch import Progress, fetch, no_progress
from connectors.jira.normalize import SOURCE, JiraFrames, NormalizeError, Rules, normalize, plan_changes
from connectors.jira.query import Cursor, scope_jql, scoped_projects, search_jql, signature
from connectors.retry import RetryPolicy
from dashboard.core.config import JiraSource, Settings
from dashboard.core.redaction import redact
from dashboard.core.store import Store, Transaction
from dashboard.derive import refresh

log = logging.getLogger(__name__)


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
class _State:
    """What the store already knows that this run needs before it asks Jira anything."""

    cursor: Cursor | None
    people: pd.DataFrame | None
    projects: list[str]
    settings_changed: bool = False


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

    Args:
        store: where the canonical tables live.
        settings: needs a `[jira]` section (`settings.jira`).
        token: the API token or personal access token; when None it is read from the
            environment variable named by `[jira].token_env`, else from that top-level key of
            `.streamlit/secrets.toml` (or `secrets_file`).
        progress: `progress(stage, done, total)` with stage "issues", "versions" or "store";
            total is None when Jira does not say (Cloud).
        retry: how passing faults are retried (default: `[jira].max_retries` under the shared policy).

    Returns:
        A `SyncResult` once the run is published.

    Raises:
        JiraSyncError: the run failed; its message says why and holds no secret. The failure is
            recorded in `sync_runs` and nothing else in the store changed.
    """
    source = settings.jira
    if source is None:
        raise JiraSyncError("no [jira] section in the configuration: add url, projects (or jql) and email")
    progress = progress or no_progress
    run_id, started, clock = uuid.uuid4().hex, _now(), time.perf_counter()
    try:
        token = token or resolve_token(source, secrets_file)
        state = _read_state(store, source)
        api = connect(source, token, retry or RetryPolicy(max_retries=source.max_retries))
        full = state.cursor is None
        jql = search_jql(scope_jql(source), None if full else state.cursor.updated, source.overlap_minutes)
        pull = fetch(api, jql, scoped_projects(source) or state.projects, source.page_size, progress)
        frames = normalize(pull.issues, pull.versions, started, Rules.from_settings(source, state.people))
        cursor = _next_cursor(state.cursor, frames, signature(source))
        stored_cursor = cursor.to_json() if cursor else None
        with store.transaction() as tx:
            counts = _publish(tx, frames, started)
            refresh(tx, settings)
            _record(tx, run_id, started, "success", sum(counts.values()), stored_cursor, None)
        progress("store", 1, 1)
    except Exception as error:  # noqa: BLE001
        expected = isinstance(error, (JiraSyncError, NormalizeError))
        message = redact(str(error) if expected else f"{type(error).__name__}: {error}", [token])
        _record_failure(store, run_id, started, message)
        raise JiraSyncError(message) from None  # the original may hold the token: the message says what it said
    return SyncResult(
        run_id=run_id, deployment=api.deployment.name, full=full, settings_changed=state.settings_changed, jql=jql,
        issues=frames.work_items["item_id"].nunique(), transitions=counts["work_item_transitions"],
        releases=counts["releases"], new_plans=counts["release_plans"], rows=sum(counts.values()),
        requests=api.requests, cursor=stored_cursor, seconds=time.perf_counter() - clock,
    )


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _read_state(store: Store, source: JiraSource) -> _State:
    """The last good cursor (if it was taken under the same settings), the roster, the known projects."""
    if not store.exists():
        return _State(None, None, [])
    with store.reader() as con:
        last = con.execute(
            "SELECT cursor FROM sync_runs WHERE source = ? AND status = 'success' ORDER BY finished_at DESC LIMIT 1",
            [SOURCE],
        ).fetchone()
        people = con.execute("SELECT person_id, email FROM people").df()
        projects = con.execute(
            "SELECT DISTINCT project FROM work_items WHERE source = ? AND project IS NOT NULL ORDER BY 1", [SOURCE]
        ).fetchall()
    cursor = Cursor.from_json(last[0] if last else None)
    changed = cursor is not None and cursor.signature != signature(source)
    return _State(None if changed else cursor, people, [p for (p,) in projects], changed)


def _next_cursor(previous: Cursor | None, frames: JiraFrames, sig: str) -> Cursor | None:
    """The newest `updated` Jira reported (its clock, not ours), never earlier than the last one."""
    newest = frames.work_items["updated"].max()
    newest = None if pd.isna(newest) else newest.to_pydatetime()
    if previous is None:
        return Cursor(newest, sig) if newest is not None else None
    return previous.advanced(newest)


def _publish(tx: Transaction, frames: JiraFrames, observed_at: datetime) -> dict[str, int]:
    """Write one run's rows. A pulled issue's history is replaced whole: it was read whole."""
    tx.delete_where("work_item_transitions", "item_id", frames.work_items["item_id"].tolist())
    recorded = tx.query("SELECT release_id, observed_at, planned_date FROM release_plans")
    observed = frames.release_plans
    if not recorded.empty:
        observed = pd.concat([recorded, observed], ignore_index=True)
    changes = plan_changes(observed)
    new_plans = changes[changes["observed_at"] == pd.Timestamp(observed_at)]
    return {
        "work_items": tx.upsert("work_items", frames.work_items),
        "work_item_transitions": tx.upsert("work_item_transitions", frames.work_item_transitions),
        "releases": tx.upsert("releases", frames.releases),
        "release_plans": tx.upsert("release_plans", new_plans),
    }


def _record(tx: Transaction, run_id: str, started: datetime, status: str, rows: int, cursor: str | None, error: str | None) -> None:
    tx.upsert("sync_runs", pd.DataFrame([{
        "run_id": run_id, "source": SOURCE, "started_at": started, "finished_at": _now(), "status": status,
        "rows": rows, "cursor": cursor, "error": error,
    }]))


def _record_failure(store: Store, run_id: str, started: datetime, message: str) -> None:
    """Say that the run failed, in a transaction of its own that touches nothing else."""
    try:
        with store.transaction() as tx:
            _record(tx, run_id, started, "failed", 0, None, message)
    except Exception as error:  # noqa: BLE001 - the store itself may be what failed; the caller still gets the first error
        log.warning("could not record the failed Jira run %s: %s", run_id, error)
