"""Check-in evidence: Jira tickets, stored form rows and review-meeting occurrences, read from the
canonical tables into one shape (`EVIDENCE_COLUMNS`) that the engine matches to the check-ins
teams owe. Reading canonical tables is the core's work, so it lives here, not with the connectors;
the form export's parsing stays in `connectors.checkins`.
"""
from __future__ import annotations

from dashboard.derive.checkins.evidence.calendar import calendar_evidence
from dashboard.derive.checkins.evidence.columns import EVIDENCE_COLUMNS
from dashboard.derive.checkins.evidence.forms import form_evidence
from dashboard.derive.checkins.evidence.jira import jira_evidence, submitted_times

__all__ = ["EVIDENCE_COLUMNS", "calendar_evidence", "form_evidence", "jira_evidence", "submitted_times"]
