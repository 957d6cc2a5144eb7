"""Check-in compliance: what each team owes (expectations), what proves it was sent (evidence,
read from the canonical tables), the two matched (matching), and the summaries pages show (compliance).

    rows = derive_checkins(tables, settings, now)     # the `checkins` table, rebuilt after each sync
"""
from __future__ import annotations

from dashboard.derive.checkins.engine import derive_checkins, moment
from dashboard.derive.checkins.expectations import Team, due_days, expected_slots
from dashboard.derive.checkins.matching import STATUSES, match

__all__ = ["STATUSES", "Team", "derive_checkins", "due_days", "expected_slots", "match", "moment"]
