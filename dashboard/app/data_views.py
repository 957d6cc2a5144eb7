"""The Data page's cached reads: what is stored, how fresh, where it came from, what it covers."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import streamlit as st

from connectors.roster import unmatched_identities
from dashboard import sync
from dashboard.analysis import coverage, rule_hits
from dashboard.app.views import cache_key, has_data, published, settings, store, today
from dashboard.core.config import Settings
from dashboard.core.schema import DATED_COLUMNS, TABLES
from dashboard.core.store import Store, open_store


@dataclass(frozen=True)
class SyncStatus:
    """Where the store is, when it was last published, and how each source's syncs went."""

    location: str
    published: datetime | None
    sources: pd.DataFrame
    runs: pd.DataFrame


@dataclass(frozen=True)
class DataStatus(SyncStatus):
    """What is in the store and how fresh it is, table by table."""

    tables: pd.DataFrame

    @property
    def total_rows(self) -> int:
        return int(self.tables["rows"].sum())


FILE_LOADS = {"survey_waves": "loaded_at", "checkin_forms": "loaded_at"}
"""The tables that record when a file was loaded: with successful syncs, the data's freshness."""
NOT_DATED = "—"


def _present(con) -> set[str]:
    return set(con.execute("SELECT table_name FROM duckdb_tables()").df()["table_name"])


@st.cache_data(max_entries=4, show_spinner=False)
def _sync_status(url: str, settings_json: str, version: str) -> SyncStatus:
    current = open_store(Settings.model_validate_json(settings_json))
    with current.reader() as con:
        runs = con.execute("SELECT * FROM sync_runs ORDER BY started_at DESC NULLS LAST").df()
        sources = con.execute(
            """
            SELECT source,
                   max(finished_at) FILTER (WHERE status = 'success') AS last_success,
                   arg_max(status, started_at) AS last_status,
                   arg_max(error, started_at) AS last_error,
                   count(*) AS runs
            FROM sync_runs GROUP BY source ORDER BY source
            """
        ).df()
    sources["last_success"] = [f"{moment:%d %b %Y, %H:%M}" if pd.notna(moment) else "never" for moment in sources["last_success"]]
    sources["last_error"] = sources["last_error"].fillna("")
    runs[["cursor", "error"]] = runs[["cursor", "error"]].fillna("")
    return SyncStatus(current.location, current.published_at(), sources, runs)


@st.cache_data(max_entries=4, show_spinner=False)
def _data_status(url: str, settings_json: str, version: str, day: date) -> DataStatus:
    """Counts and freshness of every table. A table's newest record is its newest dated on or before `day`:
    check-ins are expected ahead of time and calendars read weeks ahead, and neither is fresher for it."""
    current = open_store(Settings.model_validate_json(settings_json))
    with current.reader() as con:
        present = _present(con)
        names = [name for name in TABLES if name in present]
        counts = con.execute(
            " UNION ALL ".join(f"SELECT '{name}' AS table_name, count(*) AS rows FROM {name}" for name in names)
        ).df()
        freshness = con.execute(
            " UNION ALL ".join(
                f"SELECT '{name}' AS table_name, max({column})::TIMESTAMP AS newest FROM {name} WHERE {column} < ?"
                for name, column in DATED_COLUMNS.items()
                if name in present
            ),
            [day + timedelta(days=1)] * sum(name in present for name in DATED_COLUMNS),
        ).df()
    tables = counts.merge(freshness, on="table_name", how="left")
    tables["newest"] = [f"{moment:%d %b %Y}" if pd.notna(moment) else NOT_DATED for moment in tables["newest"]]
    return DataStatus(**vars(_sync_status(url, settings_json, version)), tables=tables)


@st.cache_data(max_entries=4, show_spinner=False)
def _fresh_as_of(url: str, settings_json: str, version: str) -> datetime | None:
    current = open_store(Settings.model_validate_json(settings_json))
    with current.reader() as con:
        present = _present(con)
        newest = ["SELECT max(finished_at) AS moment FROM sync_runs WHERE status = 'success'"] + [
            f"SELECT max({column}) AS moment FROM {name}" for name, column in FILE_LOADS.items() if name in present
        ]
        found = con.execute(f"SELECT max(moment) FROM ({' UNION ALL '.join(newest)}) AS loads").fetchone()[0]
    return None if found is None or pd.isna(found) else pd.Timestamp(found).to_pydatetime()


def fresh_as_of() -> datetime | None:
    """When the newest successful sync or file load finished (naive UTC): how fresh the data is."""
    return _fresh_as_of(*cache_key()) if has_data() else None


def data_status() -> DataStatus:
    """Every table's rows and newest record, beside the syncs: the Data page's, which counts each table."""
    return _data_status(*cache_key(), today())


def sync_status() -> SyncStatus:
    """How the syncs went and when the data was published, without counting a table: what a chart
    says of its sources. Counting every table cost each cold page on PostgreSQL half a second at large."""
    return _sync_status(*cache_key())


def age(moment: datetime | pd.Timestamp | None, now: datetime | None = None) -> str:
    """How long ago, in the largest unit that reads naturally ("3 h ago", "12 d ago")."""
    if moment is None or pd.isna(moment):
        return "never"
    moment = pd.Timestamp(moment)
    moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment
    delta = pd.Timestamp(now or datetime.now(UTC)) - moment
    if delta < timedelta(minutes=1):
        return "just now"
    if delta < timedelta(hours=1):
        return f"{int(delta.total_seconds() // 60)} min ago"
    if delta < timedelta(days=2):
        return f"{int(delta.total_seconds() // 3600)} h ago"
    return f"{delta.days} d ago"


def configured_sources() -> list[str]:
    return sync.configured(settings())


def run_sync(progress, after: Callable[[Store, Settings], object] | None = None) -> list:
    """Run every configured source now, then `after` (the alerts, which live in a layer above this
    one); the published version changes, so every cache refreshes."""
    outcomes = sync.run(store(), settings(), configured_sources(), progress)
    published()
    if after is not None and settings().alerts:
        after(store(), settings())
    return outcomes


@st.cache_data(max_entries=4, show_spinner=False)
def _unmatched(url: str, settings_json: str, version: str) -> pd.DataFrame:
    return unmatched_identities(open_store(Settings.model_validate_json(settings_json)))


def unmatched() -> pd.DataFrame:
    """Identities a source named that the roster does not know: listed, never dropped."""
    return _unmatched(*cache_key())






@st.cache_data(max_entries=4, show_spinner=False)
def _coverage(url: str, settings_json: str, version: str, day: date) -> pd.DataFrame:
    config = Settings.model_validate_json(settings_json)
    return coverage.coverage(coverage.read_tables(open_store(config), day), config, day)


def coverage_table() -> pd.DataFrame:
    """How much of the organisation each source covers (`dashboard.analysis.coverage`)."""
    return _coverage(*cache_key(), today())


@st.cache_data(max_entries=8, show_spinner=False)
def _rule_hits(url: str, settings_json: str, version: str, first: date, last: date) -> pd.DataFrame:
    current = Settings.model_validate_json(settings_json)
    return rule_hits.stored_rule_hits(open_store(current), current, first, last)


def stored_rule_hits(first: date, last: date) -> pd.DataFrame:
    """Synced calendar hours per classification rule, from `first` through `last` (`dashboard.analysis.rule_hits`)."""
    return _rule_hits(*cache_key(), first, last + timedelta(days=1))


def file_rule_hits(ics: bytes, owner_email: str) -> pd.DataFrame:
    """One uploaded ICS export classified with the configured rules; raises `IcsError` when unreadable."""
    return rule_hits.file_rule_hits(ics, settings(), owner_email.strip())


# --- check-ins -------------------------------------------------------------------------------
