"""Derived tables, rebuilt after each write of source data so pages never aggregate raw occurrences.

Every write of source data ends with `refresh` in the same transaction. What it rebuilds follows
from the tables the transaction wrote (`Transaction.touched`): PM-weeks after calendars or the
roster, check-ins after their evidence or the roster, metric series after any of their inputs.
"""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from dashboard.core.config import Settings
from dashboard.core.periods import floor_date, today
from dashboard.core.publication import CELLS_TABLE, advance, next_version
from dashboard.core.schema import SERIES_INPUTS, TABLES
from dashboard.core.store import Transaction
from dashboard.derive.checkins import derive_checkins, moment
from dashboard.derive.checkins.engine import context_from, rederived_from
from dashboard.derive.pm_weeks import build_group_weeks, build_pm_weeks
from dashboard.derive.series_store import refresh_series
from dashboard.metrics import calendar_cells, enablement_cells, person_shares, read_tables, surveys

CALENDAR_LEDGER_INPUTS = ("pm_weeks", "prodops_weeks", "prodops_group_weeks", "teams", "team_groups")
SURVEY_LEDGER_INPUTS = ("survey_answers", "survey_questions", "survey_waves", "teams", "team_groups")
CHECKIN_INPUTS = ("teams", "people", "memberships", "work_items", "work_item_transitions", "checkin_forms")
PM_WEEK_INPUTS = ("calendar_events", "people", "memberships", "person_hours", "teams", "team_groups")


def refresh(tx: Transaction, settings: Settings, as_of: date | None = None, since: date | None = None) -> None:
    """Rebuild the derived tables the transaction's writes can change, inside the transaction.

    `as_of` is the last day the data speaks for (default: today on the organisation's clock).
    With `since` (the first day the new data can change), only the PM-weeks from the week
    holding it are rebuilt, reading only the occurrences that can reach them, and the metric
    series only from the first period a changed derived row falls in (`dashboard.derive.series_store`):
    the week holding `since`, or an earlier check-in that a late submission filled. Check-ins
    are always rebuilt whole, and compared with what was there to find that period.
    """
    day = as_of or today(settings.org_timezone)
    changed_from = [floor_date(since, "week", settings.week_start)] if since else []
    if tx.touched & set(PM_WEEK_INPUTS):
        _refresh_pm_weeks(tx, settings, day, since)
    if tx.touched & {*CHECKIN_INPUTS, "calendar_events"}:
        changed_from.append(refresh_checkins(tx, settings, as_of, since))
    if tx.touched & {*CALENDAR_LEDGER_INPUTS, *SURVEY_LEDGER_INPUTS, *_share_inputs()}:
        publish_people(tx, settings, since)
    if tx.touched & set(SERIES_INPUTS):
        refresh_series(tx, settings, day, min(d for d in changed_from if d) if since else None)


def rebuild(tx: Transaction, settings: Settings, as_of: date | None = None) -> None:
    """Rebuild every derived table whole, as if every source had just been written: after a
    change of settings that the stored PM-weeks, check-ins or metric series depend on."""
    tx.touched.update({*PM_WEEK_INPUTS, *CHECKIN_INPUTS, *SERIES_INPUTS})
    refresh(tx, settings, as_of)


PERSON_WEEKS = {"pm_weeks": "pm", "prodops_weeks": "prodops"}
"""Each derived table of person-weeks and the role whose calendars it holds."""
GROUP_WEEKS = "prodops_group_weeks"


def _refresh_pm_weeks(tx: Transaction, settings: Settings, as_of: date, since: date | None) -> None:
    """Rebuild the PM-weeks, the product-ops people's weeks (`PERSON_WEEKS`) and their weeks by the
    product group they met (`build_group_weeks`) from the same read."""
    tables = {name: tx.query(f"SELECT * FROM {name}")
              for name in ("people", "memberships", "person_hours", "teams", "team_groups")}
    if since is None:
        tables["calendar_events"] = tx.query("SELECT * FROM calendar_events")
        built = {table: build_pm_weeks(tables, settings, as_of, role=role) for table, role in PERSON_WEEKS.items()}
        built[GROUP_WEEKS] = build_group_weeks(tables, settings, built["prodops_weeks"])
        for table, weeks in built.items():
            tx.replace(table, weeks)
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
    built = {table: build_pm_weeks(tables, settings, as_of, since=week, extent=extent, role=role)
             for table, role in PERSON_WEEKS.items()}
    built[GROUP_WEEKS] = build_group_weeks(tables, settings, built["prodops_weeks"], since=week, extent=extent)
    for table, weeks in built.items():
        tx.execute(f"DELETE FROM {table} WHERE week_start >= ?", [week])
        tx.upsert(table, weeks)


def publish_people(tx: Transaction, settings: Settings, since: date | None = None) -> None:
    """Advance the privacy ledger (`dashboard.core.publication`) with the figures about people as the
    data now stands: the PM-weeks from the quarter holding `since` (every quarter without it),
    every survey construct, and the shares of a few people's actions whose tables were written.
    What the calendar, survey and those share metrics publish is what it holds."""
    first = None if since is None else floor_date(since, "quarter").isoformat()
    tables = {name: tx.query(f"SELECT * FROM {name}") for name in ("teams", "team_groups")}
    if tx.touched & set(CALENDAR_LEDGER_INPUTS):
        for whose in (calendar_cells.PM_WEEKS, calendar_cells.PRODUCT_OPS_WEEKS, calendar_cells.PRODUCT_OPS_GROUPS):
            tables[whose.table] = tx.query(f"SELECT * FROM {whose.table}" + ("" if first is None else " WHERE week_start >= ?"),
                                           [] if first is None else [first])
            found = calendar_cells.records(tables, settings, whose)
            _advance(tx, calendar_cells.family(settings, found, whose), found, first)
        for family, found in enablement_cells.families(tables, settings):
            _advance(tx, family, found, first)
    if tx.touched & set(SURVEY_LEDGER_INPUTS):
        tables.update({name: tx.query(f"SELECT * FROM {name}") for name in ("survey_answers", "survey_questions", "survey_waves")})
        for construct in sorted(tables["survey_questions"]["construct"].dropna().unique()):
            found = surveys.records(surveys.placed_respondents(tables, settings, construct))
            family = surveys.family(surveys.family_name(construct), found, settings.privacy.min_group_size,
                                    surveys.FEATURED.get(construct, ()))
            _advance(tx, family, found, None)
    _publish_shares(tx, settings)


def _share_inputs() -> set[str]:
    return {name for share in person_shares.SHARES.values() for name in share.tables}


def _publish_shares(tx: Transaction, settings: Settings) -> None:
    """Each role's family of every share of a few people's actions (`person_shares`) whose tables
    this write touched, over their whole history (their records are per period and few), from one
    read of the tables they need between them."""
    touched = [share for share in person_shares.SHARES.values() if tx.touched & set(share.tables)]
    tables = read_tables(tx.query, tuple(sorted({name for share in touched for name in share.tables}))) if touched else {}
    for share in touched:
        for family, found in person_shares.families(tables, settings, share):
            _advance(tx, family, found, None)


def _advance(tx: Transaction, family, found: pd.DataFrame, first: str | None) -> None:
    """One family's next version, written: record versions closed and opened, cells published."""
    recent, params = ("", []) if first is None else (" AND part >= ?", [first])
    ledger = tx.query(f"SELECT * FROM privacy_records WHERE family = ?{recent}", [family.name, *params])
    cells = tx.query("SELECT * FROM privacy_cells WHERE family = ?", [family.name])
    versions = tx.query("SELECT max(valid_from) AS valid_from, max(valid_to) AS valid_to FROM privacy_records WHERE family = ?",
                        [family.name]).dropna(how="all")
    step = advance(family, found, ledger, cells, next_version(versions))
    if step.empty:
        return
    with tx.staged("_closed", step.closed.astype({"record_id": str, "valid_from": "int64"})):
        tx.execute("UPDATE privacy_records SET valid_to = ? WHERE family = ? AND valid_to IS NULL AND record_id IN "
                   "(SELECT record_id FROM _closed)", [step.version, family.name])
    tx.upsert("privacy_records", step.opened)
    tx.upsert(CELLS_TABLE, step.published)


def _review_meetings(tx: Transaction, settings: Settings, first: date | None = None):
    """Only the occurrences a check-in kind's `calendar_events` pattern can match (not every
    meeting), and only from `first` on when given."""
    patterns = [p for kind in settings.checkins.kinds for p in kind.calendar_events]
    if not patterns:
        return tx.query("SELECT * FROM calendar_events WHERE false")
    likes = [p.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace("*", "%").replace("?", "_")
             for p in patterns]
    where = " OR ".join("event_uid LIKE ? ESCAPE '\\'" for _ in likes)
    recent, params = _from("start_utc", first)
    return tx.query(f"SELECT * FROM calendar_events WHERE ({where}){recent}", [*likes, *params])


def _checkin_tickets(tx: Transaction, first: date | None = None) -> dict:
    """Only the check-in tickets and their history: not a large organisation's every issue (and, from
    `first` on, only tickets updated since: a ticket that moved then was updated then)."""
    recent, params = _from("updated", first)
    tickets = f"SELECT item_id FROM work_items WHERE kind = 'checkin'{recent}"
    return {
        "work_items": tx.query(f"SELECT * FROM work_items WHERE kind = 'checkin'{recent}", params),
        "work_item_transitions": tx.query(f"SELECT * FROM work_item_transitions WHERE item_id IN ({tickets})", params),
    }


def _from(column: str, first: date | None) -> tuple[str, list]:
    return ("", []) if first is None else (f" AND {column} >= ?", [first])


def refresh_checkins(tx: Transaction, settings: Settings, as_of: date | None = None, since: date | None = None
                     ) -> date | None:
    """Rebuild `checkins` (expected check-ins x evidence) inside the transaction. With `since`,
    return the day before the earliest due time of a check-in that changed (None when none did);
    a whole rebuild returns None, as every series is then computed again anyway.

    With `as_of` the check-ins are judged at the end of that day, else at this moment. With
    `since` (new evidence from that day on), only the check-ins it can change are derived again
    (`dashboard.derive.checkins.engine.derive_checkins`). Settings with no check-in kinds leave the stored
    check-ins as they are: they say nothing is tracked, not that what was derived before (the
    demo's, say) should go.
    """
    config = settings.checkins
    if not config.kinds:
        return None
    first = None if since is None else context_from(config, since)
    forms, params = _from("submitted_at", first)
    tables = {name: tx.query(f"SELECT * FROM {name}") for name in ("teams", "people", "memberships")}
    tables["checkin_forms"] = tx.query(f"SELECT * FROM checkin_forms WHERE true{forms}", params)
    tables.update(_checkin_tickets(tx, first))
    tables["calendar_events"] = _review_meetings(tx, settings, first)
    after = derive_checkins(tables, settings, moment(settings, as_of), since)
    if since is None:
        tx.replace("checkins", after)
        return None
    kept = rederived_from(config, since)
    before = tx.query("SELECT * FROM checkins WHERE due_at >= ?", [kept])
    tx.execute("DELETE FROM checkins WHERE due_at >= ?", [kept])
    tx.upsert("checkins", after)
    return _first_change(before, after)


def _first_change(before: pd.DataFrame, after: pd.DataFrame) -> date | None:
    """The day before the earliest due time among rows added, removed or changed (a day's margin
    covers the organisation's clock, on which metrics date a check-in)."""
    both = pd.concat([_comparable(before), _comparable(after)], ignore_index=True)
    changed = both[~both.duplicated(keep=False)]
    if changed.empty:
        return None
    return (changed["due_at"].min() - pd.Timedelta(days=1)).date()


def _comparable(checkins: pd.DataFrame) -> pd.DataFrame:
    """The rows with one representation per type, as read back or as just derived."""
    out = pd.DataFrame(index=checkins.index)
    for column, kind in TABLES["checkins"].columns.items():
        values = checkins[column]
        if kind in ("TIMESTAMP", "DATE"):
            out[column] = pd.to_datetime(values).astype("datetime64[us]")
        else:
            out[column] = values.astype(object).where(values.notna(), None)
    return out
