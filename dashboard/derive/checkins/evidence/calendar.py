"""Check-in evidence from calendars: occurrences of a recurring review meeting that were held.

Titles are not stored unless the configuration asks, so the meeting is recognised by its event
uid: a kind's `calendar_events` patterns (shell-style, matched against the stored `event_uid`,
which for an ICS series is `UID/instance`). Cancelled occurrences are never stored by the
calendar connector; occurrences the owner declined are not counted. Every attendee's calendar
holds the same meeting, so a team's occurrence at one start time counts once.
"""
from __future__ import annotations

from datetime import datetime
from fnmatch import fnmatchcase

import pandas as pd

from dashboard.core.config import Checkins
from dashboard.derive.checkins.evidence.columns import EVIDENCE_COLUMNS
from dashboard.derive.checkins.evidence.teams import person_teams

SOURCE = "calendar"


def calendar_evidence(tables: dict[str, pd.DataFrame], config: Checkins, now: datetime) -> pd.DataFrame:
    """One evidence row per team, kind and start time of a held review meeting."""
    events = tables["calendar_events"]
    frames = []
    for kind in config.kinds:
        if not kind.calendar_events or events.empty:
            continue
        uids = events["event_uid"].astype(str)
        hit = uids.map(lambda uid, patterns=kind.calendar_events: any(fnmatchcase(uid, p) for p in patterns))
        held = events[hit & (events["response"].fillna("") != "declined")
                      & (pd.to_datetime(events["start_utc"]) <= pd.Timestamp(now))]
        if held.empty:
            continue
        start = pd.to_datetime(held["start_utc"])
        frames.append(pd.DataFrame({
            "team_id": person_teams(tables, held["person_id"], start).to_numpy(),
            "kind": kind.id,
            "submitted_at": start.to_numpy(),
            "source": SOURCE,
            "ref": ("meeting " + start.dt.strftime("%Y-%m-%d %H:%M") + " UTC").to_numpy(),
            "owner_id": None,
        }))
    if not frames:
        return pd.DataFrame(columns=EVIDENCE_COLUMNS)
    evidence = pd.concat(frames, ignore_index=True).dropna(subset=["team_id"])
    return evidence.drop_duplicates(["team_id", "kind", "submitted_at"]).reset_index(drop=True)
