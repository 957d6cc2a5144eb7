"""Which digests were sent: one row per idempotency key (subscription and period) in `digest_sent`.

A message is written down the moment the server has taken it (`Store.append`: durable before the
next message goes, without the price of a whole transaction per message on DuckDB), so a run
killed at any point leaves every message it sent on record and a re-run sends only the rest; the
run folds what it wrote into the table when it ends, and the next run first folds whatever a
killed one left. (A kill between the server's acceptance and that write is the one gap: the re-run
sends that message again, with the same Message-ID, which mail systems use to drop the copy.)
A failure is written down with its reason and tried again by the next run.
"""
from __future__ import annotations

import pandas as pd

from dashboard.core.store import Store, utc_now

TABLE = "digest_sent"
SENT, FAILED = "sent", "failed"


def sent_keys(store: Store) -> set[str]:
    rows = log(store)
    return set(rows.loc[rows["status"] == SENT, "message_key"])


def record(store: Store, key: str, subscription: str, period: str, error: str | None = None) -> None:
    """Write down one attempt: sent when `error` is None, else failed with its reason."""
    now = utc_now()
    before = log(store)
    before = before[before["message_key"] == key]
    store.append(TABLE, {
        "message_key": key, "subscription": subscription, "period": period,
        "status": FAILED if error else SENT, "attempts": int(before["attempts"].iloc[0]) + 1 if len(before) else 1,
        "first_tried_at": before["first_tried_at"].iloc[0].to_pydatetime() if len(before) else now,
        "last_tried_at": now, "sent_at": None if error else now, "error": error,
    })


def flush(store: Store) -> None:
    """Fold the attempts written down so far into the table."""
    if store.exists():
        store.fold(TABLE)


def log(store: Store) -> pd.DataFrame:
    """Every message on record with its latest attempt, the newest first."""
    if not store.exists():
        return pd.DataFrame(columns=["message_key", "subscription", "period", "status", "attempts", "first_tried_at",
                                     "last_tried_at", "sent_at", "error"])
    return store.with_appended(TABLE).sort_values("last_tried_at", ascending=False, ignore_index=True)
