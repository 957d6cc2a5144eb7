"""How long the store takes to upsert a million calendar occurrences, and to upsert them again.

Run: .venv/bin/python benchmarks/store_bulk_write.py [rows] [postgresql://... (an empty database)]
Without a URL it writes a DuckDB file in a temporary folder.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard.core.store import Store


def occurrences(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    start = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 3 * 365 * 24, rows), unit="h")
    return pd.DataFrame({
        "source": "bench", "event_uid": np.char.add("ev", np.arange(rows).astype(str)),
        "person_id": np.char.add("p", (np.arange(rows) % 400).astype(str)), "start_utc": start,
        "end_utc": start + pd.Timedelta(minutes=30), "all_day": False, "category": "overhead",
        "attendee_count": 4, "recurring": True, "response": "accepted", "title_hash": "x", "rule": "status",
        "attendee_roles": "eng,pm",
    })


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    frame = occurrences(rows)
    with tempfile.TemporaryDirectory() as folder:
        store = Store(sys.argv[2] if len(sys.argv) > 2 else Path(folder) / "bench.duckdb")
        print(f"store: {store.backend} at {store.location}")
        store.migrate()
        for attempt in ("first write", "same rows again"):
            began = time.perf_counter()
            with store.transaction() as tx:
                tx.upsert("calendar_events", frame)
            elapsed = time.perf_counter() - began
            count = store.query("SELECT count(*) AS n FROM calendar_events")["n"][0]
            print(f"{attempt}: {rows:,} rows upserted in {elapsed:.2f} s ({rows / elapsed:,.0f} rows/s); table holds {count:,}")


if __name__ == "__main__":
    main()
