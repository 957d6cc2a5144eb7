"""docs/adding-a-source.md, done as it says: its example source, registered, runs through the
pipeline with every guarantee the page promises (one transaction, cursor, failure record, lock)."""
from __future__ import annotations

import importlib.util
import json
import re

import pytest

from dashboard import cli, derive, sync
from dashboard.core.config import Settings
from tests.conftest import ROOT

ITEMS = [
    {"id": 1, "key": "TRK-1", "type": "Story", "status": "Done", "created": "2026-11-02T09:00:00", "updated": "2026-11-20T10:00:00"},
    {"id": 2, "key": "TRK-2", "type": "Bug", "status": "Open", "created": "2026-11-03T09:00:00", "updated": "2026-11-21T10:00:00"},
]


@pytest.fixture()
def tracker(tmp_path, monkeypatch):
    """The page's code block as a module, registered beside the real sources."""
    page = (ROOT / "docs" / "adding-a-source.md").read_text()
    [code] = re.findall(r"```python\n(.*?)```", page, re.S)
    path = tmp_path / "tracker_source.py"
    path.write_text(code)
    spec = importlib.util.spec_from_file_location("tracker_source", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    registered = sync.sources
    monkeypatch.setattr(sync, "sources", lambda: {**registered(), "tracker": module.Tracker()})
    export = tmp_path / "export.json"
    export.write_text(json.dumps(ITEMS))
    monkeypatch.setenv("TRACKER_EXPORT", str(export))
    return export


def runs(store):
    return store.query("SELECT status, rows, cursor, error FROM sync_runs WHERE source = 'tracker' ORDER BY finished_at, run_id")


def test_a_registered_source_syncs_incrementally_and_is_listed_as_configured(tracker, store):
    settings = Settings()
    assert "tracker" in sync.configured(settings)
    first = sync.run_one(store, settings, "tracker")
    assert (first.status, first.rows, first.detail) == ("success", 2, "2 work items")
    assert sorted(store.table("work_items")["key"]) == ["TRK-1", "TRK-2"]

    tracker.write_text(json.dumps([*ITEMS, {**ITEMS[0], "status": "Reopened", "updated": "2026-11-22T08:00:00"}]))
    second = sync.run_one(store, settings, "tracker")
    assert (second.status, second.rows) == ("success", 1), "only what changed after the cursor is written"
    assert store.query("SELECT status FROM work_items WHERE key = 'TRK-1'")["status"].tolist() == ["Reopened"]
    recorded = runs(store)
    assert recorded["status"].tolist() == ["success", "success"]
    assert [json.loads(c) for c in recorded["cursor"]] == [{"updated": "2026-11-21T10:00:00"}, {"updated": "2026-11-22T08:00:00"}]


def test_a_failed_fetch_is_recorded_and_keeps_the_rows_and_the_cursor(tracker, store):
    settings = Settings()
    sync.run_one(store, settings, "tracker")
    before = store.table("work_items")
    tracker.write_text("{ not json")
    failed = sync.run_one(store, settings, "tracker")
    assert failed.status == "failed" and failed.detail.startswith("export.json: not a tracker export")
    assert store.table("work_items").equals(before)
    assert runs(store)["status"].tolist() == ["success", "failed"]

    tracker.write_text(json.dumps(ITEMS))
    again = sync.run_one(store, settings, "tracker")
    assert (again.status, again.rows) == ("success", 0), "the next run starts from the last good cursor"


def test_a_failed_write_publishes_nothing_of_the_run(tracker, store, monkeypatch):
    def broken(tx, settings):
        raise RuntimeError("disk full")

    monkeypatch.setattr(derive, "refresh", broken)
    failed = sync.run_one(store, Settings(), "tracker")
    assert failed.status == "failed" and "disk full" in failed.detail
    assert store.table("work_items").empty
    assert runs(store)[["status", "cursor"]].values.tolist() == [["failed", None]]


def test_a_second_run_of_the_source_while_one_holds_its_lock_is_busy(tracker, store):
    with store.sync_lock("tracker"):
        busy = sync.run_one(store, Settings(), "tracker")
    assert busy.status == "busy" and "another sync of tracker is running" in busy.detail
    assert not store.exists() or store.table("work_items").empty


def test_the_command_line_runs_it_by_name_and_names_the_registered_sources(tracker, db_location, tmp_path, monkeypatch, capsys):
    config = tmp_path / "prodops.toml"
    config.write_text("")
    monkeypatch.setenv("PRODOPS_CONFIG", str(config))
    monkeypatch.setenv("PRODOPS_DB", db_location("db"))
    assert cli.main(["sync", "tracker"]) == 0
    assert '"source": "tracker", "status": "success", "rows": 2' in capsys.readouterr().err
    assert cli.main(["sync", "nothing"]) == 2
    assert "no source is called 'nothing': choose from jira, calendar, tracker or all" in capsys.readouterr().err
