"""Which digests were sent: one row per idempotency key (subscription and period) in `digest_sent`.

A message is written down the moment the server has taken it, in a transaction of its own, so a
run killed at any point leaves every message it sent on record and a re-run sends only the rest.
(A kill between the server's acceptance and that write is the one gap: the re-run sends that
message again, with the same Message-ID, which mail systems use to drop the copy.) A failure is
written down with its reason and tried again by the next run.
"""
from __future__ import annotations

import pandas as pd

from dashboard.core.store import Store, utc_now

TABLE = "digest_sent"
SENT, FAILED = "sent", "failed"


def sent_keys(store: Store) -> set[str]:
    if not store.has_table(TABLE):
        return set()
    return set(store.query(f"SELECT message_key FROM {TABLE} WHERE status = ?", [SENT])["message_key"])


def record(store: Store, key: str, subscription: str, period: str, error: str | None = None) -> None:
    """Write down one attempt: sent when `error` is None, else failed with its reason."""
    now = utc_now()
    with store.transaction() as tx:
        before = tx.query(f"SELECT attempts, first_tried_at FROM {TABLE} WHERE message_key = ?", [key])
        attempts = int(before["attempts"].iloc[0]) + 1 if len(before) else 1
        first = before["first_tried_at"].iloc[0] if len(before) else now
        tx.upsert(TABLE, pd.DataFrame([{
            "message_key": key, "subscription": subscription, "period": period,
            "status": FAILED if error else SENT, "attempts": attempts, "first_tried_at": first,
            "last_tried_at": now, "sent_at": None if error else now, "error": error,
        }]))


def log(store: Store) -> pd.DataFrame:
    """Every attempt on record, the newest first."""
    return store.query(f"SELECT * FROM {TABLE} ORDER BY last_tried_at DESC")
