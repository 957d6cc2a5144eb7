"""Running the configured sources, for the command line and the Data page alike.

Each source's own connector publishes its run in one store transaction and records it in
`sync_runs`; this module only knows which sources are configured, runs them one after the
other, and reports each as an `Outcome` a scheduler or a page can act on.

One sync per source runs at a time, whichever process or host starts it (cron, a Kubernetes
CronJob, the Data page's "Sync now"): a source's run holds `store.sync_lock(source)` (an
advisory lock in PostgreSQL, a lock file beside a DuckDB file). A second run of the same source
waits up to `wait` seconds for it, then gives up as `busy`, with a message naming the holder,
and writes nothing.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from dashboard.core.config import Settings
from dashboard.core.file_limits import listing
from dashboard.core.store import Store, SyncBusy

Progress = Callable[[str, int, int | None], None]
"""`progress(stage, done, total)`; total is None when the source does not say."""

OK, PARTIAL, FAILED = "success", "partial", "failed"
"""The statuses every connector writes to `sync_runs`."""
BUSY = "busy"
"""Another sync of the source was running (and still was after the wait): this run did nothing."""
EXIT_CODES = {OK: 0, FAILED: 1, PARTIAL: 3, BUSY: 75}
"""Exit status for a scheduler: 0 all good, 1 a source failed, 3 some calendars were quarantined,
75 (EX_TEMPFAIL: try again later) another sync of a source was still running. 2 is the command
line's own: bad configuration, or no source configured."""


@dataclass(frozen=True)
class Outcome:
    source: str
    status: str
    rows: int
    seconds: float
    detail: str = ""

    def log_line(self) -> str:
        """One structured line per source for the scheduler's log (messages are already redacted)."""
        return json.dumps({"event": "sync", **asdict(self), "seconds": round(self.seconds, 2)})


def _jira(store: Store, settings: Settings, progress: Progress) -> Outcome:
    from connectors.jira import JiraSyncError, sync_jira

    began = time.perf_counter()
    try:
        result = sync_jira(store, settings, progress=progress)
    except JiraSyncError as error:
        return Outcome("jira", FAILED, 0, time.perf_counter() - began, str(error))
    kind = "full" if result.full else "incremental"
    if result.settings_changed:
        kind += " (the [jira] url or scope changed since the last sync, so everything is read again)"
    detail = f"{kind} sync of {result.deployment}: {result.issues} issues, {result.new_plans} new planned dates, {result.requests} requests"
    return Outcome("jira", OK, result.rows, result.seconds, detail)


def _calendar(store: Store, settings: Settings, progress: Progress) -> Outcome:
    from connectors.calendar import sync_calendars

    began = time.perf_counter()
    progress("calendars", 0, None)
    result = sync_calendars(store, settings)
    progress("calendars", result.calendars, result.calendars)
    quarantined = "; ".join(f"{q.source} {q.calendar}: {q.error}" for q in result.quarantined)
    detail = f"{result.calendars} calendars" + (f"; quarantined {quarantined}" if quarantined else "")
    if result.warnings:
        detail += f"; warnings: {listing(result.warnings, quoted=False, width=300)}"
    return Outcome("calendar", result.status, result.rows, time.perf_counter() - began, detail)


SOURCES: dict[str, Callable[[Store, Settings, Progress], Outcome]] = {"jira": _jira, "calendar": _calendar}
SECTIONS = {"jira": "[jira]", "calendar": "[[calendar.ics]], [calendar.google] or [calendar.graph]"}
"""Where `prodops.toml` configures each source, for the error when it does not."""


def configured(settings: Settings) -> list[str]:
    """The sources `prodops.toml` sets up, in the order a full sync runs them."""
    calendar = settings.calendar
    present = {"jira": settings.jira is not None, "calendar": bool(calendar.ics or calendar.google or calendar.graph)}
    return [name for name in SOURCES if present[name]]


def _quiet(stage: str, done: int, total: int | None) -> None:
    return None


def run_one(store: Store, settings: Settings, source: str, progress: Progress | None = None, wait: float = 0.0) -> Outcome:
    """Run one source under its sync lock, waiting up to `wait` seconds for another run of it.

    An unexpected error becomes a failed outcome; the connector has already left the store as
    it was. A source whose lock stays taken is a `busy` outcome and nothing is written.
    """
    began = time.perf_counter()
    try:
        with store.sync_lock(source, wait):
            return SOURCES[source](store, settings, progress or _quiet)
    except SyncBusy as busy:
        return Outcome(source, BUSY, 0, time.perf_counter() - began, str(busy))
    except Exception as error:  # noqa: BLE001  (reported, not swallowed: it is the outcome)
        return Outcome(source, FAILED, 0, time.perf_counter() - began, f"{type(error).__name__}: {error}")


def run(
    store: Store, settings: Settings, sources: list[str], progress: Progress | None = None, wait: float = 0.0
) -> list[Outcome]:
    """Run each source in turn; one failing (or busy) does not stop the others."""
    return [run_one(store, settings, name, progress, wait) for name in sources]


def exit_code(outcomes: list[Outcome]) -> int:
    """A failure outranks a partial run, which outranks a busy source, which outranks success."""
    statuses = {outcome.status for outcome in outcomes}
    for status in (FAILED, PARTIAL, BUSY):
        if status in statuses:
            return EXIT_CODES[status]
    return EXIT_CODES[OK]
