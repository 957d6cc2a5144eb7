"""Derived tables, rebuilt after each write of source data so pages never aggregate raw occurrences."""
from __future__ import annotations

from datetime import date

from dashboard.config import Settings
from dashboard.periods import today
from dashboard.pm_weeks import build_pm_weeks
from dashboard.store import Transaction


def refresh(tx: Transaction, settings: Settings, as_of: date | None = None) -> None:
    """Rebuild every derived table from the canonical tables inside the same transaction.

    `as_of` is the last day the data speaks for (default: today on the organisation's clock).
    """
    tables = {name: tx.query(f"SELECT * FROM {name}") for name in ("people", "memberships", "calendar_events", "person_hours")}
    tx.replace("pm_weeks", build_pm_weeks(tables, settings, as_of or today(settings.org_timezone)))
