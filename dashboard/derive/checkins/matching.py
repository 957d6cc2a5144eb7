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

from datetime import datetime

import numpy as np
import pandas as pd

STATUSES = ("on_time", "late", "missing", "pending")


def _spans(keys: np.ndarray) -> list[tuple[str, int, int]]:
    """(key, first, end) of each run of equal keys in a sorted array."""
    if len(keys) == 0:
        return []
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], len(keys)]
    return [(keys[a], int(a), int(b)) for a, b in zip(starts, ends)]


def _choose(t: int, opens: np.ndarray, deadlines: np.ndarray) -> int | None:
    """The slot (position in one team's and kind's slots, by deadline) a submission at `t` is for."""
    i = int(np.searchsorted(deadlines, t, side="left"))
    current = i if i < len(deadlines) and opens[i] <= t else None
    previous = i - 1 if i > 0 else None
    if current is None or previous is None:
        return current if previous is None else previous
    return previous if t - deadlines[previous] < deadlines[current] - t else current


def _ticks(values: pd.Series) -> np.ndarray:
    return pd.to_datetime(values).astype("datetime64[us]").to_numpy().astype("int64")


def match(slots: pd.DataFrame, evidence: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """Each slot with the submission that satisfies it (if any) and its status.

    on_time: submitted by the deadline; late: submitted after it; missing: nothing submitted and
    the deadline has passed at `now`; pending: nothing yet, the deadline is still ahead. Evidence
    after `now` is ignored.
    """
    now = pd.Timestamp(now)
    out = slots.sort_values(["team_id", "kind", "deadline"], ignore_index=True)
    sent = evidence[pd.to_datetime(evidence["submitted_at"]) <= now]
    sent = sent.sort_values(["team_id", "kind", "submitted_at", "source", "ref"], ignore_index=True)
    pairs = (out["team_id"] + "\n" + out["kind"]).to_numpy()
    ranges = {pair: (lo, hi) for pair, lo, hi in _spans(pairs)}
    opens, deadlines = _ticks(out["opens_at"]), _ticks(out["deadline"])
    times = _ticks(sent["submitted_at"])
    satisfied: dict[int, int] = {}
    for row, pair in enumerate((sent["team_id"] + "\n" + sent["kind"]).to_numpy()):
        if pair not in ranges:
            continue
        lo, hi = ranges[pair]
        chosen = _choose(times[row], opens[lo:hi], deadlines[lo:hi])
        if chosen is not None and lo + chosen not in satisfied:
            satisfied[lo + chosen] = row
    taken = sent.loc[list(satisfied.values()), ["submitted_at", "source", "ref", "owner_id"]]
    found = taken.set_axis(list(satisfied.keys())).astype(object)
    out = out.join(found)
    out["submitted_at"] = pd.to_datetime(out["submitted_at"]).astype("datetime64[us]")
    submitted = out["submitted_at"].notna()
    out["status"] = "pending"
    out.loc[submitted & (out["submitted_at"] <= out["deadline"]), "status"] = "on_time"
    out.loc[submitted & (out["submitted_at"] > out["deadline"]), "status"] = "late"
    out.loc[~submitted & (out["deadline"] <= now), "status"] = "missing"
    return out
