"""The canonical store: schema, upserts by natural key, all-or-nothing publishing."""
from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from dashboard.schema import SCHEMA_VERSION, TABLES
from dashboard.store import Store, StoreError

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
    with pytest.raises(RuntimeError):
        with store.transaction() as tx:
            tx.upsert("teams", pd.DataFrame({"team_id": ["z"], "name": ["Zed"], "group_name": ["G"]}))
            raise RuntimeError("sync died half way")
    assert store.version() == before
    assert sorted(store.table("teams")["team_id"]) == ["a", "b"]
    assert not store.path.with_name(store.path.name + ".tmp").exists()


def test_a_frame_that_does_not_fit_names_the_table_and_columns(store):
    with pytest.raises(StoreError, match=r"teams: missing columns \['group_name'\], unknown columns \['colour'\]"):
        with store.transaction() as tx:
            tx.upsert("teams", pd.DataFrame({"team_id": ["a"], "name": ["A"], "colour": ["red"]}))
    with pytest.raises(StoreError, match="key column"):
        with store.transaction() as tx:
            tx.upsert("teams", pd.DataFrame({"team_id": [None], "name": ["A"], "group_name": ["G"]}))


def test_readers_see_the_last_published_data_while_a_write_is_open(store):
    with store.transaction() as tx:
        tx.upsert("teams", TEAMS)
    with store.transaction() as tx:
        tx.upsert("teams", pd.DataFrame({"team_id": ["c"], "name": ["C"], "group_name": ["G"]}))
        read_only = duckdb.connect(str(store.path), read_only=True)
        assert read_only.execute("SELECT count(*) FROM teams").fetchone()[0] == 2
        read_only.close()
    assert len(store.table("teams")) == 3


def test_list_columns_round_trip(store):
    item = {column: None for column in TABLES["work_items"].columns}
    item |= {"source": "jira", "item_id": "1", "labels": ["a", "b"], "fix_versions": [], "created": pd.Timestamp("2026-01-01 10:00")}
    with store.transaction() as tx:
        tx.upsert("work_items", pd.DataFrame([item]))
    row = store.table("work_items").iloc[0]
    assert list(row["labels"]) == ["a", "b"] and list(row["fix_versions"]) == []


def test_reading_a_missing_database_says_how_to_make_one(tmp_path):
    with pytest.raises(StoreError, match="python -m dashboard demo"):
        Store(tmp_path / "none.duckdb").table("teams")
