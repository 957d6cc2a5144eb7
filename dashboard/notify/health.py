"""The data's health as product ops reads it in a digest: what the Data page would flag.

Three facts, each from where the Data page reads it: sources whose last sync failed and
calendars the last sync quarantined (`sync_runs`), and people or teams a source names that the
roster does not know (`connectors.roster.unmatched_identities`).
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from connectors.roster import unmatched_identities
from dashboard.core.store import Store
from dashboard.pipeline.source import FAILED

QUARANTINED = "quarantined"
ERROR_CHARS = 200
"""How much of a stored error a digest quotes: enough to act on, short enough for a mail."""


@dataclass(frozen=True)
class Health:
    failed: pd.DataFrame
    """Sources whose last run failed: `source`, `started_at`, `error`."""
    quarantined: pd.DataFrame
    """Parts the last run of their source set aside: `source`, `error` (where, and why)."""
    unmatched: pd.DataFrame
    """`source`, `kind`, `identities`, `rows`: what the roster does not know, counted."""

    @property
    def clean(self) -> bool:
        return self.failed.empty and self.quarantined.empty and self.unmatched.empty


def read_health(store: Store) -> Health:
    runs = store.table("sync_runs")
    parents = runs[~runs["source"].str.contains(":", regex=False)]
    last = parents.sort_values("started_at").drop_duplicates("source", keep="last")
    failed = last[last["status"] == FAILED][["source", "started_at", "error"]]
    latest_ids = tuple(f"{run_id}/" for run_id in last["run_id"])
    parts = runs[(runs["status"] == QUARANTINED) & runs["run_id"].map(lambda run_id: run_id.startswith(latest_ids))]
    unmatched = unmatched_identities(store)
    counted = (unmatched.groupby(["source", "kind"], as_index=False)
               .agg(identities=("external_id", "nunique"), rows=("rows", "sum"))) if len(unmatched) else \
        pd.DataFrame(columns=["source", "kind", "identities", "rows"])
    return Health(_short(failed.reset_index(drop=True)), _short(parts[["source", "error"]].reset_index(drop=True)), counted)


def _short(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(error=frame["error"].fillna("").str.slice(0, ERROR_CHARS))
