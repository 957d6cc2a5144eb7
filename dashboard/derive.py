"""Derived tables, rebuilt after each write of source data so pages never aggregate raw occurrences."""
from __future__ import annotations

from datetime import date

from dashboard.checkins import derive_checkins, moment
from dashboard.config import Settings
from dashboard.periods import today
from dashboard.pm_weeks import build_pm_weeks
from dashboard.store import Transaction

CHECKIN_INPUTS = ("teams", "people", "memberships", "work_items", "work_item_transitions", "checkin_forms")


def refresh(tx: Transaction, settings: Settings, as_of: date | None = None) -> None:
    """Rebuild every derived table from the canonical tables inside the same transaction.

    `as_of` is the last day the data speaks for (default: today on the organisation's clock).
    """
    tables = {name: tx.query(f"SELECT * FROM {name}") for name in ("people", "memberships", "calendar_events", "person_hours")}
    tx.replace("pm_weeks", build_pm_weeks(tables, settings, as_of or today(settings.org_timezone)))
    refresh_checkins(tx, settings, as_of)


def _review_meetings(tx: Transaction, settings: Settings):
    """Only the occurrences a check-in kind's `calendar_events` pattern can match (not every meeting)."""
    patterns = [p for kind in settings.checkins.kinds for p in kind.calendar_events]
    if not patterns:
        return tx.query("SELECT * FROM calendar_events WHERE false")
    likes = [p.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace("*", "%").replace("?", "_")
             for p in patterns]
    where = " OR ".join("event_uid LIKE ? ESCAPE '\\'" for _ in likes)
    return tx.query(f"SELECT * FROM calendar_events WHERE {where}", likes)


def refresh_checkins(tx: Transaction, settings: Settings, as_of: date | None = None) -> None:
    """Rebuild `checkins` (expected check-ins x evidence) inside the transaction.

    With `as_of` the check-ins are judged at the end of that day, else at this moment.
    """
    tables = {name: tx.query(f"SELECT * FROM {name}") for name in CHECKIN_INPUTS}
    tables["calendar_events"] = _review_meetings(tx, settings)
    tx.replace("checkins", derive_checkins(tables, settings, moment(settings, as_of)))
