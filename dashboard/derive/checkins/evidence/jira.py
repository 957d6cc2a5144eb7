"""Check-in evidence from Jira: tickets of the check-in issue type (`work_items.kind = 'checkin'`).

A ticket is for the kind whose `jira_label` it carries. It counts as submitted when it was
created or, with `jira_submitted_status`, when it FIRST reached that status: a ticket moved
back and forth counts once, at its first arrival. It is the team's that its reporter was on then.
"""
from __future__ import annotations

import pandas as pd

from dashboard.core.config import Checkins
from dashboard.core.decisions import STATUS
from dashboard.derive.checkins.evidence.columns import EVIDENCE_COLUMNS
from dashboard.derive.checkins.evidence.teams import person_teams

SOURCE = "jira"


def _labels(value) -> list[str]:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    return [str(label).lower() for label in value]


def submitted_times(items: pd.DataFrame, transitions: pd.DataFrame, status: str | None) -> pd.Series:
    """When each ticket counts as submitted (NaT when it never has). A ticket born in the status
    is one that never changed status, whatever else changed on it."""
    created = pd.to_datetime(items["created"])
    if not status:
        return created
    wanted = status.strip().lower()
    transitions = transitions[transitions["field"] == STATUS]
    moves = transitions[transitions["to_value"].str.lower() == wanted]
    first = moves.groupby("item_id", as_index=False)["at"].min()
    arrived = items[["item_id"]].merge(first, on="item_id", how="left")["at"].set_axis(items.index)
    arrived = pd.to_datetime(arrived).astype("datetime64[us]")
    born_there = arrived.isna() & (items["status"].str.lower() == wanted) & ~items["item_id"].isin(transitions["item_id"])
    return arrived.mask(born_there, created)


def jira_evidence(tables: dict[str, pd.DataFrame], config: Checkins) -> pd.DataFrame:
    """One evidence row per check-in ticket that has been submitted and names a configured kind."""
    items = tables["work_items"]
    items = items[items["kind"] == "checkin"].reset_index(drop=True)
    labels = {kind.jira_label.lower(): kind.id for kind in config.kinds if kind.jira_label}
    if items.empty or not labels:
        return pd.DataFrame(columns=EVIDENCE_COLUMNS)
    kinds = pd.Series([next((labels[x] for x in _labels(v) if x in labels), None) for v in items["labels"]], dtype=object)
    at = submitted_times(items, tables["work_item_transitions"], config.jira_submitted_status)
    keep = kinds.notna() & at.notna()
    items, kinds, at = items[keep], kinds[keep], at[keep]
    evidence = pd.DataFrame({
        "team_id": person_teams(tables, items["reporter_id"], at).to_numpy(),
        "kind": kinds.to_numpy(),
        "submitted_at": at.to_numpy(),
        "source": SOURCE,
        "ref": items["key"].to_numpy(),
        "owner_id": items["reporter_id"].to_numpy(),
    })
    return evidence.dropna(subset=["team_id"]).drop_duplicates("ref").reset_index(drop=True)
