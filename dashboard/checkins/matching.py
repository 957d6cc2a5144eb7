"""Matching evidence to expected check-ins: one submission satisfies one slot, at most.

Evidence is a row per submission (`team_id`, `kind`, `submitted_at`, `source`, `ref`,
`owner_id`), already counted once per thing submitted (a Jira ticket once, however often it
moved). Per team and kind, in time order, a submission goes to one of two slots:

- the *current* slot: the first whose deadline (due + grace) is still ahead and whose period has
  opened (a weekly status sent on Thursday is for this week);
- the *previous* slot: the last whose deadline has passed (sent on Saturday, it is last week's,
  late).

When both are possible the one whose deadline is nearer wins: three days after last Friday is
last week's status, late; a day before this Friday is this week's. A submission whose slot is
already filled is a duplicate and counts for nothing, so a slot is never satisfied twice.
"""
from __future__ import annotations

from bisect import bisect_left
from datetime import datetime

import pandas as pd

STATUSES = ("on_time", "late", "missing", "pending")


def _choose(t: pd.Timestamp, opens: list, deadlines: list) -> int | None:
    i = bisect_left(deadlines, t)
    current = i if i < len(deadlines) and opens[i] <= t else None
    previous = i - 1 if i > 0 else None
    if current is None or previous is None:
        return current if previous is None else previous
    return previous if t - deadlines[previous] < deadlines[current] - t else current


def match(slots: pd.DataFrame, evidence: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """Each slot with the submission that satisfies it (if any) and its status.

    on_time: submitted by the deadline; late: submitted after it; missing: nothing submitted and
    the deadline has passed at `now`; pending: nothing yet, the deadline is still ahead. Evidence
    after `now` is ignored.
    """
    now = pd.Timestamp(now)
    out = slots.copy()
    out["submitted_at"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[us]")
    for column in ("source", "ref", "owner_id"):
        out[column] = pd.Series(None, index=out.index, dtype=object)
    evidence = evidence[pd.to_datetime(evidence["submitted_at"]) <= now].sort_values(["submitted_at", "source", "ref"])
    by_pair = {key: group for key, group in evidence.groupby(["team_id", "kind"], sort=False)}
    for (team, kind), owed in out.groupby(["team_id", "kind"], sort=False):
        sent = by_pair.get((team, kind))
        if sent is None:
            continue
        owed = owed.sort_values("deadline")
        index = owed.index.tolist()
        opens, deadlines = owed["opens_at"].tolist(), owed["deadline"].tolist()
        filled: set[int] = set()
        for row in sent.itertuples(index=False):
            chosen = _choose(pd.Timestamp(row.submitted_at), opens, deadlines)
            if chosen is None or chosen in filled:
                continue
            filled.add(chosen)
            at = index[chosen]
            out.loc[at, ["submitted_at", "source", "ref", "owner_id"]] = [row.submitted_at, row.source, row.ref, row.owner_id]
    submitted = out["submitted_at"].notna()
    out["status"] = "pending"
    out.loc[submitted & (out["submitted_at"] <= out["deadline"]), "status"] = "on_time"
    out.loc[submitted & (out["submitted_at"] > out["deadline"]), "status"] = "late"
    out.loc[~submitted & (out["deadline"] <= now), "status"] = "missing"
    return out
