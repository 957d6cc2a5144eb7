"""The canonical store: schema, upserts by natural key, all-or-nothing publishing, on either backend."""
from __future__ import annotations

import threading
import time
from datetime import date

import pandas as pd
import pytest

from dashboard.core.schema import SCHEMA_VERSION, TABLES, Table
from dashboard.core.store import Store, StoreError, SyncBusy, shared_readers
from dashboard.core.store.postgres_sql import dialect

TEAMS = pd.DataFrame({"team_id": ["a", "b"], "name": ["Alpha", "Beta"], "group_name": ["G", "G"]})


def test_every_canonical_table_exists_with_its_columns_and_version(store):
    store.migrate()
    for name, spec in TABLES.items():
        assert list(store.table(name).columns) == list(spec.columns)
    assert store.query("SELECT max(version) AS v FROM schema_version")["v"][0] == SCHEMA_VERSION


def test_upsert_replaces_by_natural_key_and_never_duplicates(store):
    with store.transaction() as tx:
        tx.upsert("teams", TEAMS)
    with store.transaction() as tx:
        tx.upsert("teams", pd.DataFrame({"team_id": ["b", "c"], "name": ["Beta 2", "Gamma"], "group_name": ["G", "H"]}))
    teams = store.table("teams").sort_values("team_id")
    assert teams["team_id"].tolist() == ["a", "b", "c"]
    assert teams.set_index("team_id").loc["b", "name"] == "Beta 2"


def test_duplicate_keys_in_one_batch_keep_the_last(store):
    with store.transaction() as tx:
        tx.upsert("teams", pd.DataFrame({"team_id": ["a", "a"], "name": ["first", "second"], "group_name": ["G", "G"]}))
    assert store.table("teams")["name"].tolist() == ["second"]


def test_a_failed_write_changes_nothing(store):
    with store.transaction() as tx:
        tx.upsert("teams", TEAMS)
    before = store.version()
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.upsert("teams", pd.DataFrame({"team_id": ["z"], "name": ["Zed"], "group_name": ["G"]}))
        raise RuntimeError("sync died half way")
    assert store.version() == before
    assert sorted(store.table("teams")["team_id"]) == ["a", "b"]


@pytest.mark.duckdb_only("the private copy is a file beside the DuckDB file")
def test_a_failed_write_leaves_no_copy_behind(store):
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.upsert("teams", TEAMS)
        raise RuntimeError("sync died half way")
    assert list(store.path.parent.glob(store.path.name + ".tmp*")) == []


def test_a_frame_that_does_not_fit_names_the_table_and_columns(store):
    with pytest.raises(StoreError, match=r"teams: missing columns \['group_name'\], unknown columns \['colour'\]"), store.transaction() as tx:
        tx.upsert("teams", pd.DataFrame({"team_id": ["a"], "name": ["A"], "colour": ["red"]}))
    with pytest.raises(StoreError, match="key column"), store.transaction() as tx:
        tx.upsert("teams", pd.DataFrame({"team_id": [None], "name": ["A"], "group_name": ["G"]}))


def test_readers_see_the_last_published_data_while_a_write_is_open(store):
    with store.transaction() as tx:
        tx.upsert("teams", TEAMS)
    with store.transaction() as tx:
        tx.upsert("teams", pd.DataFrame({"team_id": ["c"], "name": ["C"], "group_name": ["G"]}))
        assert tx.query("SELECT count(*) AS n FROM teams")["n"][0] == 3
        with store.reader() as con:
            assert con.execute("SELECT count(*) FROM teams").fetchone()[0] == 2
    assert len(store.table("teams")) == 3


def test_within_a_run_readers_share_a_connection_and_still_see_what_the_run_publishes(store):
    """A page's run reads through `shared_readers`: one reader per published version, so a write the
    run publishes is read at once, and nothing stays open after the run."""
    with store.transaction() as tx:
        tx.upsert("teams", TEAMS)
    with shared_readers():
        with store.reader() as first, store.reader() as second:
            assert first is second
        assert len(store.table("teams")) == 2
        with store.transaction() as tx:
            tx.upsert("teams", pd.DataFrame({"team_id": ["c"], "name": ["Gamma"], "group_name": ["H"]}))
        assert sorted(store.table("teams")["team_id"]) == ["a", "b", "c"], "a reader after the publish reads it"
        with store.reader() as third:
            assert third is not first
    with pytest.raises(Exception, match=r"(?i)closed"):
        first.execute("SELECT 1")
    with store.reader() as outside, store.reader() as another:
        assert outside is not another, "outside a run every reader is its own"


def test_a_statement_that_fails_in_a_shared_reader_leaves_the_runs_next_reads_working(store):
    """A caller may try a statement and go on when it fails (a store written before a table existed):
    on PostgreSQL that aborts the reader's transaction, which the run's next reader shares."""
    with store.transaction() as tx:
        tx.upsert("teams", TEAMS)
    with shared_readers():
        with store.reader() as con, pytest.raises(Exception, match="no_such_table"):
            con.execute("SELECT * FROM no_such_table").df()
        assert len(store.table("teams")) == 2


def test_list_columns_round_trip(store):
    item = dict.fromkeys(TABLES["work_items"].columns)
    item |= {"source": "jira", "item_id": "1", "labels": ["a", "b"], "fix_versions": [], "created": pd.Timestamp("2026-01-01 10:00")}
    with store.transaction() as tx:
        tx.upsert("work_items", pd.DataFrame([item]))
    row = store.table("work_items").iloc[0]
    assert list(row["labels"]) == ["a", "b"] and list(row["fix_versions"]) == []


def test_reading_a_missing_database_says_how_to_make_one(db_location):
    with pytest.raises(StoreError, match="python -m dashboard demo"):
        Store(db_location("none", create=False)).table("teams")
    empty = Store(db_location("empty"))
    assert not empty.exists() and empty.version() == "missing" and empty.published_at() is None
    with pytest.raises(StoreError, match="python -m dashboard demo"):
        empty.table("teams")


def test_every_type_reads_back_as_written_with_the_dtypes_metrics_rely_on(store):
    hours = pd.DataFrame({"person_id": ["p1", "p2"], "day_start": ["09:00", None], "day_end": ["17:30", None],
                          "days": [["mon", "tue"], None]})
    waves = pd.DataFrame([{
        "survey_id": "s/1", "survey": "s", "wave": "1", "tool": "forms", "source_name": None,
        "fielded_on": pd.Timestamp("2026-03-01"), "first_response": None, "last_response": None,
        "audience": ["pm"], "responses": 3, "excluded": 0, "issues": 1, "content_sha256": "x",
        "loaded_at": pd.Timestamp("2026-03-02 10:30:00.123456"),
    }])
    with store.transaction() as tx:
        tx.upsert("person_hours", hours)
        tx.upsert("survey_waves", waves)
        tx.upsert("releases", pd.DataFrame([{"release_id": "r", "project": "P", "team_id": None, "name": "1.0", "start_date": None,
                                             "planned_date": "2026-04-01", "released": True, "released_on": None, "archived": False}]))
    read = store.table("person_hours").sort_values("person_id", ignore_index=True)
    assert str(read.loc[0, "day_start"]) == "09:00:00" and pd.isna(read.loc[1, "day_start"])
    assert list(read.loc[0, "days"]) == ["mon", "tue"] and pd.isna(read.loc[1, "days"])
    wave = store.table("survey_waves")
    assert wave["fielded_on"].dtype == "datetime64[us]" and wave.loc[0, "fielded_on"] == pd.Timestamp("2026-03-01")
    assert wave.loc[0, "loaded_at"] == pd.Timestamp("2026-03-02 10:30:00.123456")
    assert wave["responses"].dtype == "int32" and wave.loc[0, "responses"] == 3
    assert pd.isna(wave.loc[0, "first_response"]) and list(wave.loc[0, "audience"]) == ["pm"]
    release = store.table("releases")
    assert release["released"].dtype == bool and release.loc[0, "planned_date"] == pd.Timestamp("2026-04-01")


def test_the_sql_pages_use_works_on_either_backend(store):
    runs = pd.DataFrame({
        "run_id": ["1", "2", "3"], "source": ["jira", "jira", "ics"], "rows": [1, 2, 3], "cursor": None,
        "started_at": pd.to_datetime(["2026-01-01 10:00", "2026-01-02 10:00", "2026-01-01 09:00"]),
        "finished_at": pd.to_datetime(["2026-01-01 10:01", "2026-01-02 10:01", None]),
        "status": ["success", "failed", "success"], "error": [None, "boom", None],
    })
    with store.transaction() as tx:
        tx.upsert("sync_runs", runs)
    with store.reader() as con:
        assert "sync_runs" in set(con.execute("SELECT table_name FROM duckdb_tables()").df()["table_name"])
        sources = con.execute(
            "SELECT source, max(finished_at) FILTER (WHERE status = 'success') AS last_success,"
            " arg_max(status, started_at) AS last_status, arg_max(error, started_at) AS last_error, count(*) AS rows"
            " FROM sync_runs WHERE source LIKE ? GROUP BY source ORDER BY source", ["%"],
        ).df()
        first = con.execute("SELECT min(started_at)::DATE FROM sync_runs WHERE status = ?", ["success"]).fetchone()[0]
    assert sources["source"].tolist() == ["ics", "jira"] and sources["rows"].tolist() == [1, 2]
    assert pd.isna(sources.loc[0, "last_success"]) and sources.loc[1, "last_success"] == pd.Timestamp("2026-01-01 10:01")
    assert sources["last_status"].tolist() == ["success", "failed"]
    assert pd.isna(sources.loc[0, "last_error"]) and sources.loc[1, "last_error"] == "boom"
    assert str(first) == "2026-01-01"


def test_delete_where_and_staged_frames_are_portable(store):
    with store.transaction() as tx:
        tx.upsert("teams", pd.DataFrame({"team_id": list("abcd"), "name": list("ABCD"), "group_name": ["G", "G", "H", "H"]}))
    with store.transaction() as tx:
        tx.delete_where("teams", "team_id", ["a", "b", "a"])
        tx.delete_where("teams", "team_id", [])
        gone = pd.DataFrame({"group_name": ["H"], "keep": [False]})
        with tx.staged("_gone", gone):
            tx.execute("DELETE FROM teams t USING _gone g WHERE t.group_name = g.group_name AND NOT g.keep AND t.team_id <> ?", ["d"])
    assert store.table("teams")["team_id"].tolist() == ["d"]


def test_a_fresh_transaction_starts_empty_and_readers_keep_the_old_data_meanwhile(store):
    with store.transaction() as tx:
        tx.upsert("teams", TEAMS)
    with store.transaction(fresh=True) as tx:
        assert tx.query("SELECT count(*) AS n FROM teams")["n"][0] == 0
        assert len(store.table("teams")) == 2
        tx.upsert("teams", TEAMS.head(1))
    assert store.table("teams")["team_id"].tolist() == ["a"]


def test_one_sync_per_source_at_a_time_and_the_second_is_told_who_holds_it(store):
    store.migrate()
    with store.sync_lock("jira"):
        with pytest.raises(SyncBusy, match=r"another sync of jira is running \(pid \d+ on .*\); waited 0 s"), store.sync_lock("jira"):
            pass
        with store.sync_lock("calendar"):
            pass
    with store.sync_lock("jira"):
        pass


def test_a_finished_sync_frees_its_lock_at_once_for_the_next_run(store, monkeypatch):
    """Run after run without waiting, as a scheduler or the tests do: the lock a run held is free
    the moment its block ends. On PostgreSQL a closed session frees its locks a moment later, on
    the server's time; here the sessions are kept open to stand for that moment."""
    import psycopg

    store.migrate()
    lingering = []
    monkeypatch.setattr(psycopg.Connection, "close", lambda connection: lingering.append(connection))
    try:
        for _ in range(3):
            with store.sync_lock("calendar"):
                pass
    finally:
        monkeypatch.undo()
        for connection in lingering:
            connection.close()


def test_a_second_sync_waits_for_the_first_when_asked_to(store):
    store.migrate()
    held, order = threading.Event(), []

    def first():
        with store.sync_lock("jira"):
            held.set()
            time.sleep(0.8)
            order.append("first done")

    thread = threading.Thread(target=first)
    thread.start()
    held.wait(5)
    with store.sync_lock("jira", wait=30):
        order.append("second runs")
    thread.join()
    assert order == ["first done", "second runs"]


def test_placeholders_are_one_style_and_urls_never_show_their_password():
    from dashboard.core.store.postgres_sql import dialect, portable, redact

    assert portable("SELECT '?', \"a?\" FROM t WHERE x = ? AND y LIKE '5%' -- why?\n AND z = ?") == (
        "SELECT '?', \"a?\" FROM t WHERE x = %s AND y LIKE '5%%' -- why?\n AND z = %s"
    )
    assert redact("postgresql://ops:s3cr%40t@db:5432/prodops?sslmode=require&password=x") == (
        "postgresql://ops:***@db:5432/prodops?sslmode=require&password=***"
    )
    assert Store("postgresql://ops:s3cret@db/prodops").location == "postgresql://ops:***@db/prodops"
    assert dialect('ALTER TABLE t ADD COLUMN IF NOT EXISTS x DOUBLE, "y" VARCHAR[]') == (
        'ALTER TABLE t ADD COLUMN IF NOT EXISTS x DOUBLE PRECISION, "y" TEXT[]'
    )


def _attempt(key: str, status: str, minute: int) -> dict:
    at = pd.Timestamp(2026, 12, 6, 9, minute).to_pydatetime()
    return {"message_key": key, "subscription": "s", "period": "2026-11-30", "status": status, "attempts": 1,
            "first_tried_at": at, "last_tried_at": at, "sent_at": at if status == "sent" else None, "error": None}


def test_appended_rows_are_read_at_once_and_folded_into_the_table_once(store):
    store.migrate()
    store.append("digest_sent", _attempt("a", "failed", 1))
    store.append("digest_sent", _attempt("b", "sent", 2))
    store.append("digest_sent", _attempt("a", "sent", 3))
    seen = store.with_appended("digest_sent").set_index("message_key")
    assert seen["status"].to_dict() == {"a": "sent", "b": "sent"}, "the latest attempt per key, before any fold"
    store.fold("digest_sent")
    store.fold("digest_sent")
    folded = store.table("digest_sent").set_index("message_key")
    assert folded["status"].to_dict() == {"a": "sent", "b": "sent"}
    assert folded.loc["a", "last_tried_at"] == pd.Timestamp(2026, 12, 6, 9, 3)
    assert store.appended("digest_sent").empty


@pytest.mark.duckdb_only("the rows kept aside are a file beside the DuckDB file")
def test_an_append_publishes_no_new_version_and_a_line_cut_by_a_kill_is_ignored(store):
    store.migrate()
    version = store.version()
    store.append("digest_sent", _attempt("a", "sent", 1))
    assert store.version() == version, "no copy of the database per appended row"
    with open(store._appended_file("digest_sent"), "a") as handle:
        handle.write('{"message_key": "b", "stat')
    assert store.appended("digest_sent")["message_key"].tolist() == ["a"]
    store.fold("digest_sent")
    assert store.table("digest_sent")["message_key"].tolist() == ["a"]


def test_migrations_15_and_17_give_an_older_store_attendee_roles_teams_and_hours_with_them_as_unknown(db_location):
    """A store written before issue 21's distance figures: its occurrences' roles and teams and its weeks'
    hours with PMs and operations read as unknown (NULL) after the upgrade, never as none, and the
    weeks by group met are there (empty until the next calendar write derives them)."""
    location = db_location("older")
    Store(location).migrate()
    added = [("calendar_events", "attendee_roles"), ("calendar_events", "attendee_teams"),
             *((table, column) for table in ("pm_weeks", "prodops_weeks")
               for column in ("hours_with_pms", "hours_with_operations"))]
    with Store(location).transaction() as tx:
        for table, column in added:
            tx.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        tx.execute("DROP TABLE prodops_group_weeks")
        tx.execute("DELETE FROM schema_version WHERE version >= 15")
        tx.execute("INSERT INTO calendar_events (source, event_uid, person_id, start_utc, end_utc, attendee_count)"
                   " VALUES ('ics', 'u1', 'p1', '2026-03-02 09:00:00', '2026-03-02 10:00:00', 3)")
        tx.execute("INSERT INTO prodops_weeks (person_id, week_start, meeting_hours) VALUES ('x1', '2026-03-02', 5)")
    upgraded = Store(location)
    upgraded.migrate()
    assert upgraded.query("SELECT max(version) AS v FROM schema_version")["v"][0] == SCHEMA_VERSION
    events, weeks = upgraded.table("calendar_events"), upgraded.table("prodops_weeks")
    assert list(events.columns) == list(TABLES["calendar_events"].columns)
    assert events[["attendee_roles", "attendee_teams"]].isna().all().all()
    assert list(upgraded.table("prodops_group_weeks").columns) == list(TABLES["prodops_group_weeks"].columns)
    assert list(weeks.columns) == list(TABLES["prodops_weeks"].columns)
    assert weeks[["hours_with_pms", "hours_with_operations"]].isna().all().all() and weeks["meeting_hours"].eq(5).all()
    assert list(upgraded.table("pm_weeks").columns) == list(TABLES["pm_weeks"].columns)


def test_migration_18_keeps_every_stored_series_row_under_a_key_led_by_grain_and_scope(db_location):
    """A store written before the series' key led with grain and scope: its series survive the upgrade
    row for row, an upsert by the new key replaces instead of adding, and its state, which did not keep
    the first record, reads as not knowing it (the pages then scan the dates, as before)."""
    location = db_location("before-18")
    Store(location).migrate()
    rows = pd.DataFrame({
        "metric_id": ["a", "a", "b"], "grain": ["week", "month", "week"], "scope": ["org", "org", "team"],
        "scope_id": ["org", "org", "t1"], "period_start": [date(2026, 3, 2), date(2026, 3, 1), date(2026, 3, 2)],
        "value": [0.5, 0.25, None], "n": [4, 9, 0],
    })
    older = Table("metric_series", TABLES["metric_series"].columns, ("metric_id", "grain", "scope", "scope_id", "period_start"))
    with Store(location).transaction() as tx:
        tx.execute("DROP TABLE metric_series")
        tx.execute(dialect(older.ddl()))
        tx.execute("ALTER TABLE metric_series_state DROP COLUMN first_record")
        tx.execute("DELETE FROM schema_version WHERE version >= 18")
        tx.upsert("metric_series", rows)
        tx.execute("INSERT INTO metric_series_state VALUES ('current', '2026-03-08', '2024-01-01', 'f')")
    upgraded = Store(location)
    upgraded.migrate()
    assert upgraded.query("SELECT max(version) AS v FROM schema_version")["v"][0] == SCHEMA_VERSION
    order = ["metric_id", "grain"]
    kept = upgraded.table("metric_series").sort_values(order, ignore_index=True)
    pd.testing.assert_frame_equal(kept, rows.sort_values(order, ignore_index=True).astype(kept.dtypes.to_dict()),
                                  check_dtype=False)
    with upgraded.transaction() as tx:
        tx.upsert("metric_series", rows.iloc[[0]].assign(value=0.75))
    again = upgraded.table("metric_series")
    assert len(again) == 3 and again.loc[again["grain"].eq("week") & again["metric_id"].eq("a"), "value"].tolist() == [0.75]
    state = upgraded.query("SELECT * FROM metric_series_state")
    assert state["first_record"].isna().all() and state["fingerprint"].tolist() == ["f"]
