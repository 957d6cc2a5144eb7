"""Metric series computed when their inputs are written, so that pages read them instead.

Computing every metric for a grain and scope reads every canonical table into memory and takes
seconds for a large organisation, and a dashboard process serving many people would do it for
each published version, holding the large tables all the while. So the transaction that writes
the inputs (a sync, a load, the demo) ends with `refresh_series`: every metric, for the three
grains and the three scopes over the dashboard's window (`WINDOW_QUARTERS` up to the day the data
speaks for), stored in `metric_series` and published with the data it was computed from.

`stored` hands a page the series only when they were computed for the same window, day and
metric settings the page asks for; otherwise the page computes them live, as it always could
(the fallback in `dashboard.app.views`). A write that changes an input without refreshing them
deletes their state (`Transaction.seal`), so a stored number is never older than its data.

With `since`, only the periods from that day on are computed again, and only for the metrics
whose inputs the transaction wrote (`Metric.needs`) or whose value depends on the day itself:
one new day of data costs a few periods of a few metrics, not the whole window.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd

from dashboard.core import periods
from dashboard.core.config import Settings
from dashboard.core.periods import Grain
from dashboard.core.schema import DATED_COLUMNS, SERIES_STATE
from dashboard.core.store import Store, Transaction
from dashboard.metrics import METRICS, SCOPES, compute_series, inputs, read_tables
from dashboard.metrics.registry import CLOCK, EVERY_SCOPE, ROSTER, SERIES_COLUMNS

log = logging.getLogger(__name__)

WINDOW_QUARTERS = 12
"""How many quarters, the running one included, the dashboard offers and stores series for."""
GRAINS: tuple[Grain, ...] = ("week", "month", "quarter")
STATE_ID = "current"


@dataclass(frozen=True)
class State:
    """What the stored series were computed for: the day, the window's first period and the
    settings. The first day any dated record exists is a fact of the same data, kept with them
    and not part of what a page asks for."""
    as_of: date
    first: date
    fingerprint: str
    first_record: date | None = field(default=None, compare=False)


def fingerprint(settings: Settings) -> str:
    """The settings a metric's computation reads (`Context.settings`), hashed.

    Only these: a change to a calendar rule or a Jira query reaches the metrics through the
    tables a sync writes, and must not throw away series that are still right.
    """
    relevant = {
        "org_timezone": settings.org_timezone,
        "week_start": settings.week_start,
        "privacy": settings.privacy.model_dump(mode="json"),
        "checkin_grace_hours": float(settings.checkins.grace_hours),
    }
    return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()[:16]


def earliest(query) -> date | None:
    """The first day any dated record exists (`query(sql)` returns a frame)."""
    union = " UNION ALL ".join(f"SELECT min({column}) AS first FROM {name}" for name, column in DATED_COLUMNS.items())
    firsts = pd.to_datetime(query(union)["first"]).dropna()
    return firsts.min().date() if len(firsts) else None


def first_record(store: Store) -> date | None:
    """The first day any dated record exists, as the published series' state keeps it.

    Scanning six tables' dates for it costs a quarter of a second on PostgreSQL at large, on every
    page that offers quarters; the state holds it whenever it holds series (`Transaction.seal`
    deletes the state with any write of a dated table that does not compute them again). A store
    written before the state kept it is scanned.
    """
    try:
        with store.reader() as con:
            state = _state(lambda sql: con.execute(sql).df())
    except Exception:  # noqa: BLE001 - a file written before the series table existed
        state = None
    if state is not None and state.first_record is not None:
        return state.first_record
    return earliest(store.query)


def window_start(as_of: date, first_record: date | None) -> date:
    """The first quarter of the window: `WINDOW_QUARTERS` back from `as_of`, none before the data."""
    first = periods.quarters_back(as_of, WINDOW_QUARTERS)
    if first_record is not None and first_record > first:
        first = periods.floor_date(first_record, "quarter")
    return first


def compute_all(
    tables: dict[str, pd.DataFrame], settings: Settings, first: date, last: date,
    grains: dict[Grain, date] | None = None, metric_ids: list[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every metric (or `metric_ids`) for every grain and scope from `first` (or the grain's own
    start in `grains`) to `last`, and the (grain, scope, metric_id, error) of those that raised.

    The metrics of one grain are computed together, for the three scopes at once (they share
    work: `Context.shared`, `EVERY_SCOPE`); when that raises, each is computed on its own, so one
    failing metric does not blank the others.
    """
    frames, failures = [], []
    ids = metric_ids or list(METRICS)
    for grain in GRAINS if grains is None else list(grains):
        start = first if grains is None else grains[grain]
        try:
            frames.append(compute_series(tables, settings, grain, EVERY_SCOPE, start, last, ids))
            continue
        except Exception:  # noqa: BLE001
            log.warning("a metric failed for grain=%s; computing each on its own", grain)
        for metric_id in ids:
            try:
                frames.append(compute_series(tables, settings, grain, EVERY_SCOPE, start, last, [metric_id]))
            except Exception as error:
                log.exception("metric %s failed for grain=%s", metric_id, grain)
                failures += [(grain, scope, metric_id, f"{type(error).__name__}: {error}") for scope in SCOPES]
    series = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=SERIES_COLUMNS)
    return series, pd.DataFrame(failures, columns=["grain", "scope", "metric_id", "error"])


def refresh_series(tx: Transaction, settings: Settings, as_of: date, since: date | None = None) -> None:
    """Compute and store the series inside the transaction that wrote their inputs.

    With `since` (the first day the transaction's new data can change), and stored series of
    the same window and settings, only periods from that day (or from the day the stored series
    were computed for, whichever is earlier) are computed again, and only for the metrics that
    read a table this transaction wrote, or that depend on the day itself when it moved.
    """
    first_day = earliest(tx.query)
    first = window_start(as_of, first_day)
    settings_print = fingerprint(settings)
    before = _state(tx.query)
    if since is None or before is None or before.first != first or before.fingerprint != settings_print:
        series, failures = compute_all(read_tables(tx.query), settings, first, as_of)
        tx.replace("metric_series", series)
        tx.replace("metric_series_failed", failures)
    else:
        ids = affected(tx.touched, clock_moved=before.as_of != as_of)
        day = max(min(since, before.as_of), first)
        starts = {grain: max(periods.floor_date(day, grain, settings.week_start), first) for grain in GRAINS}
        if ids:
            tables = read_tables(tx.query, inputs(ids), recent=min(starts.values()) - timedelta(days=1))
            series, failures = compute_all(tables, settings, first, as_of, starts, ids)
            _replace_from(tx, "metric_series", starts, ids, series)
            _replace_failures(tx, ids, failures)
    tx.upsert(SERIES_STATE, pd.DataFrame([{"state_id": STATE_ID, "as_of": as_of, "first_period": first,
                                           "fingerprint": settings_print, "first_record": first_day}]))


def affected(touched: set[str], clock_moved: bool) -> list[str]:
    """The metrics a write of `touched` tables can change: those that read one of them (every
    metric reads the roster), and those that depend on the day when it moved."""
    if touched & set(ROSTER):
        return list(METRICS)
    return [metric_id for metric_id, metric in METRICS.items()
            if touched & set(metric.needs) or (clock_moved and CLOCK in metric.needs)]


def _replace_from(tx: Transaction, table: str, starts: dict[Grain, date], ids: list[str], rows: pd.DataFrame) -> None:
    keys = pd.DataFrame({"metric_id": ids})
    with tx.staged("_series_ids", keys):
        for grain, start in starts.items():
            tx.execute(f"DELETE FROM {table} WHERE grain = ? AND period_start >= ? "
                       "AND metric_id IN (SELECT metric_id FROM _series_ids)", [grain, start])
    tx.upsert(table, rows)


def _replace_failures(tx: Transaction, ids: list[str], failures: pd.DataFrame) -> None:
    tx.delete_where("metric_series_failed", "metric_id", ids)
    tx.upsert("metric_series_failed", failures)


def _state(query) -> State | None:
    """The series' state; `*` so that a store written before the state kept the first record reads too."""
    rows = query(f"SELECT * FROM {SERIES_STATE} WHERE state_id = '{STATE_ID}'")
    if rows.empty:
        return None
    row = rows.iloc[0]
    first_record = row.get("first_record")
    return State(pd.Timestamp(row["as_of"]).date(), pd.Timestamp(row["first_period"]).date(), row["fingerprint"],
                 None if pd.isna(first_record) else pd.Timestamp(first_record).date())


def stored(store: Store, settings: Settings, grain: Grain, scope: str, first: date, as_of: date
           ) -> tuple[pd.DataFrame, tuple[str, ...]] | None:
    """The stored series of one grain and scope and the metrics that failed, when they were
    computed for this window (`first` to `as_of`) and these settings; else None."""
    with store.reader() as con:
        def query(sql: str, params: list | None = None) -> pd.DataFrame:
            return con.execute(sql, params or []).df()

        try:
            state = _state(query)
        except Exception:  # noqa: BLE001 - a file written before the series table existed: compute live
            return None
        if state != State(as_of, first, fingerprint(settings)):
            return None
        series = query("SELECT metric_id, period_start, grain, scope, scope_id, value, n FROM metric_series "
                       "WHERE grain = ? AND scope = ? ORDER BY metric_id, scope_id, period_start", [grain, scope])
        failed = query("SELECT metric_id FROM metric_series_failed WHERE grain = ? AND scope = ?", [grain, scope])
    series["period_start"] = pd.to_datetime(series["period_start"]).dt.date
    series["value"] = series["value"].astype(float)
    series["n"] = series["n"].astype("Int64")
    return series[SERIES_COLUMNS], tuple(sorted(failed["metric_id"]))
