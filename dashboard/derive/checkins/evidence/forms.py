"""Check-in evidence from form exports: one row per stored form row (`load checkins FILE` stores them)."""
from __future__ import annotations

import pandas as pd

from dashboard.derive.checkins.evidence.columns import EVIDENCE_COLUMNS

TABLE = "checkin_forms"
SOURCE = "form"


def form_evidence(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One evidence row per stored form row."""
    rows = tables.get(TABLE)
    if rows is None or rows.empty:
        return pd.DataFrame(columns=EVIDENCE_COLUMNS)
    return pd.DataFrame({
        "team_id": rows["team_id"].to_numpy(),
        "kind": rows["kind"].to_numpy(),
        "submitted_at": pd.to_datetime(rows["submitted_at"]).to_numpy(),
        "source": SOURCE,
        "ref": (rows["source_file"] + " row " + rows["row"].astype(str)).to_numpy(),
        "owner_id": None,
    })
