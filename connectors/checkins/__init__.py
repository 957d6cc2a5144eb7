"""Check-in evidence: Jira tickets, form exports and review-meeting occurrences, one shape for all.

Each reader turns its source's canonical (or raw evidence) rows into evidence rows
(`team_id`, `kind`, `submitted_at`, `source`, `ref`, `owner_id`) that `dashboard.derive.checkins`
matches to the check-ins teams owe. Only the form export is loaded by hand (`load checkins FILE`).
"""
from __future__ import annotations

from connectors.checkins.calendar import calendar_evidence
from connectors.checkins.form import CheckinFormError, FormBatch, form_evidence, form_rows, stored_rows
from connectors.checkins.jira import jira_evidence, submitted_times

__all__ = [
    "CheckinFormError", "FormBatch", "calendar_evidence", "form_evidence", "form_rows", "jira_evidence",
    "stored_rows", "submitted_times",
]
