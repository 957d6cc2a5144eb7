"""The one shape every check-in evidence reader returns."""
from __future__ import annotations

EVIDENCE_COLUMNS = ["team_id", "kind", "submitted_at", "source", "ref", "owner_id"]
"""A row per thing submitted: the team and kind it is for, when it counts as sent (naive UTC),
its source (jira, form, calendar), what identifies it there (ticket key, file and row, meeting
time) and the person who sent it when known."""
