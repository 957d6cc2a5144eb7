"""Derived tables, rebuilt after each write of source data so pages never aggregate raw occurrences."""
from __future__ import annotations

from datetime import date, timedelta

from dashboard.checkins import derive_checkins, moment
from dashboard.config import Settings
from dashboard.periods import floor_date, today
from dashboard.pm_weeks import build_pm_weeks
from dashboard.store import Transaction

CHECKIN_INPUTS = ("teams", "people", "memberships", "work_items", "work_item_transitions", "checkin_forms")


def refresh(tx: Transaction, settings: Settings, as_of: date | None = None, since: date | None = None) -> None:
    """Rebuild every derived table from the canonical tables inside the same transaction.

    `as_of` is the last day the data speaks for (default: today on the organisation's clock).
    With `since`, only the PM-weeks the data from that day on can change are rebuilt (from the
    week holding it), reading only the occurrences that can reach them; check-ins are always
    rebuilt whole.
    """
    _refresh_pm_weeks(tx, settings, as_of or today(settings.org_timezone), since)
    refresh_checkins(tx, settings, as_of)


def _refresh_pm_weeks(tx: Transaction, settings: Settings, as_of: date, since: date | None) -> None:
    tables = {name: tx.query(f"SELECT * FROM {name}") for name in ("people", "memberships", "person_hours")}
    if since is None:
        tables["calendar_events"] = tx.query("SELECT * FROM calendar_events")
        tx.replace("pm_weeks", build_pm_weeks(tables, settings, as_of))
        return
    week = floor_date(since, "week", settings.week_start)
    # an occurrence's UTC day can be a day either side of its owner's: read a margin, cut on local days
    reach = week - timedelta(days=2)
    tables["calendar_events"] = tx.query("SELECT * FROM calendar_events WHERE end_utc >= ?", [reach])
    extent = tx.query(
        "SELECT person_id, min(start_utc) AS start_utc, min(start_utc) AS end_utc FROM calendar_events GROUP BY person_id"
        " UNION ALL "
        "SELECT person_id, max(start_utc), max(start_utc) FROM calendar_events GROUP BY person_id"
    )
    weeks = build_pm_weeks(tables, settings, as_of, since=week, extent=extent)
    tx.execute("DELETE FROM pm_weeks WHERE week_start >= ?", [week])
    tx.upsert("pm_weeks", weeks)


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
