"""Check-in form exports: parsed into rows the store keeps (`load checkins FILE`). The evidence
read from the canonical tables (Jira tickets, calendar meetings, the stored form rows) is the
core's: `dashboard.derive.checkins.evidence`.
"""
from __future__ import annotations

from connectors.checkins.form import CheckinFormError, FormBatch, form_rows, stored_rows

__all__ = ["CheckinFormError", "FormBatch", "form_rows", "stored_rows"]
