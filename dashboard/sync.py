"""Running the configured sources, for the command line and the Data page alike.

Each source runs through the one pipeline (`dashboard.pipeline.run.sync`), which holds the
source's lock, publishes its run in one store transaction and records it in `sync_runs`; this
module only knows which sources are configured (`connectors.registry`), runs them one after the
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
from dataclasses import asdict, dataclass

from connectors.registry import sources
from dashboard.core.config import Settings
from dashboard.core.store import Store, SyncBusy
from dashboard.pipeline.run import SyncFailed, sync
from dashboard.pipeline.source import FAILED, OK, PARTIAL, Progress

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


def sections() -> dict[str, str]:
    """Where `prodops.toml` configures each source, for the error when it does not."""
    return {name: source.section for name, source in sources().items()}


def configured(settings: Settings) -> list[str]:
    """The sources `prodops.toml` sets up, in the order a full sync runs them."""
    return [name for name, source in sources().items() if source.configured(settings)]


def run_one(store: Store, settings: Settings, source: str, progress: Progress | None = None, wait: float = 0.0) -> Outcome:
    """Run one source through the pipeline, waiting up to `wait` seconds for another run of it.

    A failure is a failed outcome; the pipeline has already left the store as it was. A source
    whose lock stays taken is a `busy` outcome and nothing is written.
    """
    began = time.perf_counter()
    chosen = sources()[source]
    try:
        done = sync(store, settings, chosen, progress, wait)
    except SyncBusy as busy:
        return Outcome(source, BUSY, 0, time.perf_counter() - began, str(busy))
    except SyncFailed as failed:
        return Outcome(source, FAILED, 0, time.perf_counter() - began, str(failed))
    except Exception as error:  # noqa: BLE001  (reported, not swallowed: it is the outcome)
        return Outcome(source, FAILED, 0, time.perf_counter() - began, f"{type(error).__name__}: {error}")
    return Outcome(source, done.status, done.rows, done.seconds, chosen.summary(done.pull))


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
