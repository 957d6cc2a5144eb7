"""Metric series stored with the data they were computed from (`dashboard.derive.series_store`).

What a page reads from the store must be exactly what it would compute live, after a full
build, after an incremental refresh of one new day, and never once the data has moved on.
"""
from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from dashboard.core.config import Settings
from dashboard.core.schema import TABLES
from dashboard.core.store import Store
from dashboard.demo.checkins import demo_checkin_settings
from dashboard.demo.next_day import next_day
from dashboard.demo.story import make_story
from dashboard.derive import _comparable, refresh, series_store
from dashboard.derive.checkins import derive_checkins, moment
from dashboard.derive.series_store import GRAINS
from dashboard.metrics import METRICS, SCOPES, compute_series, load_tables
from dashboard.metrics.registry import CLOCK, ROSTER
from tests.conftest import DEMO_TODAY

KEYS = ["metric_id", "grain", "scope", "scope_id", "period_start"]


def live(store: Store, settings: Settings, as_of, grains=GRAINS, scopes=SCOPES) -> pd.DataFrame:
    """Every series as the dashboard computed them before they were stored."""
    tables = load_tables(store)
    first = series_store.window_start(as_of, series_store.earliest(store.query))
    frames = [compute_series({k: v.copy(deep=False) for k, v in tables.items()}, settings, grain, scope, first, as_of)
              for grain in grains for scope in scopes]
    return _sorted(pd.concat(frames, ignore_index=True))


def from_store(store: Store, settings: Settings, as_of, grains=GRAINS, scopes=SCOPES) -> pd.DataFrame:
    first = series_store.window_start(as_of, series_store.earliest(store.query))
    frames = []
    for grain in grains:
        for scope in scopes:
            found = series_store.stored(store, settings, grain, scope, first, as_of)
            assert found is not None, f"no stored series for {grain}/{scope}"
            assert found[1] == (), f"metrics failed: {found[1]}"
            frames.append(found[0])
    return _sorted(pd.concat(frames, ignore_index=True))


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(KEYS, ignore_index=True)


def test_the_demo_stores_exactly_the_series_pages_would_compute(demo_db):
    store, settings = Store(demo_db), Settings()
    stored = from_store(store, settings, DEMO_TODAY)
    assert len(stored) > 10_000
    assert set(stored["metric_id"]) == set(METRICS)
    pd.testing.assert_frame_equal(stored, live(store, settings, DEMO_TODAY))


def test_one_new_day_refreshes_only_its_periods_and_gives_what_a_full_compute_gives(demo_copy):
    store, settings = Store(demo_copy), demo_checkin_settings(Settings(), make_story(DEMO_TODAY))
    day = DEMO_TODAY + timedelta(days=1)
    before = from_store(store, settings, DEMO_TODAY)
    new = next_day(store, day)
    assert len(new["calendar_events"]) and (new["work_items"]["kind"] == "checkin").any()
    with store.transaction() as tx:
        for name, frame in new.items():
            tx.upsert(name, frame)
        refresh(tx, settings, as_of=day, since=day)
    after = from_store(store, settings, day)
    pd.testing.assert_frame_equal(after, live(store, settings, day))
    whole = derive_checkins(store.tables("teams", "people", "memberships", "checkin_forms", "work_items",
                                         "work_item_transitions", "calendar_events"), settings, moment(settings, day))
    assert_same_checkins(store.table("checkins"), whole)
    # and it did change something, but left the past alone
    joined = before.merge(after, on=KEYS, suffixes=("_before", "_after"))
    moved = joined[(joined["value_before"].fillna(-1) != joined["value_after"].fillna(-1))
                   | (joined["n_before"] != joined["n_after"])]
    assert len(moved) > 0
    assert set(moved["metric_id"]) <= {m for m, metric in METRICS.items()
                                       if {"pm_weeks", "work_items", "checkins", CLOCK} & set(metric.needs)}


def assert_same_checkins(stored: pd.DataFrame, derived: pd.DataFrame) -> None:
    comparable = [_comparable(frame).sort_values("checkin_id", ignore_index=True) for frame in (stored, derived)]
    pd.testing.assert_frame_equal(*comparable)


def test_a_write_that_does_not_refresh_the_series_makes_pages_compute_live(demo_copy):
    store, settings = Store(demo_copy), Settings()
    first = series_store.window_start(DEMO_TODAY, series_store.earliest(store.query))
    with store.transaction() as tx:
        tx.upsert("annotations", pd.DataFrame([{"on_date": DEMO_TODAY, "scope": "org", "label": "launch", "metrics": None}]))
    assert series_store.stored(store, settings, "month", "org", first, DEMO_TODAY) is not None
    teams = store.table("teams")
    with store.transaction() as tx:
        tx.upsert("teams", teams.assign(name=teams["name"] + " (renamed)"))
    assert series_store.stored(store, settings, "month", "org", first, DEMO_TODAY) is None


def test_the_first_record_is_kept_with_the_series_and_never_outlives_a_write_of_dated_records(demo_copy):
    """The quarter pickers read the first day of data from the series' state; a write of an earlier
    record that does not compute the series again must not leave the pickers on the old day."""
    store = Store(demo_copy)
    scanned = series_store.earliest(store.query)
    assert series_store._state(store.query).first_record == scanned == series_store.first_record(store)
    earlier = scanned - timedelta(days=40)
    event = store.query("SELECT * FROM calendar_events LIMIT 1").assign(
        event_uid="early", start_utc=pd.Timestamp(earlier) + pd.Timedelta(hours=9),
        end_utc=pd.Timestamp(earlier) + pd.Timedelta(hours=10))
    with store.transaction() as tx:
        tx.upsert("calendar_events", event)
    assert series_store._state(store.query) is None
    assert series_store.first_record(store) == earlier


def test_series_are_served_only_for_the_day_window_and_settings_they_were_computed_for(demo_db):
    store, settings = Store(demo_db), Settings()
    first = series_store.window_start(DEMO_TODAY, series_store.earliest(store.query))
    assert series_store.stored(store, settings, "week", "team", first, DEMO_TODAY) is not None
    assert series_store.stored(store, settings, "week", "team", first, DEMO_TODAY + timedelta(days=1)) is None
    assert series_store.stored(store, settings, "week", "team", first - timedelta(days=92), DEMO_TODAY) is None
    stricter = settings.model_copy(update={"privacy": settings.privacy.model_copy(update={"min_group_size": 9})})
    assert series_store.stored(store, stricter, "week", "team", first, DEMO_TODAY) is None
    other_rules = settings.model_copy(update={"working_hours": settings.working_hours})
    assert series_store.stored(store, other_rules, "week", "team", first, DEMO_TODAY) is not None
    as_the_pages_have_them = Settings.model_validate_json(settings.model_dump_json())  # views key caches on the JSON
    assert series_store.stored(store, as_the_pages_have_them, "week", "team", first, DEMO_TODAY) is not None


DEMO_HIDES = {"new_pm_days_to_first_checkin", "new_pm_days_to_first_release"}
"""Metrics the demo shows no figure of: its roster has fewer new PMs in any quarter than the calendar minimum."""
GROUPS_ONLY = {"prodops_time_with_group_share"}
"""Metrics of the groups alone (the organisation has no figure): read at the group level."""


@pytest.mark.parametrize("metric_id", [
    pytest.param(m, marks=pytest.mark.skip(reason="the demo has too few new PMs per quarter")) if m in DEMO_HIDES else m
    for m in METRICS])
def test_a_metric_reads_only_the_tables_it_declares(metric_id, demo_db):
    """`Metric.needs` decides what an incremental refresh recomputes: a table left out of it
    must not change the metric (here: emptied, every other table kept)."""
    tables = load_tables(Store(demo_db))
    metric = METRICS[metric_id]
    declared = {*metric.needs, *ROSTER, *(("release_work", "prodops_work") if "work_items" in metric.needs else ()),
                *(("decision_edits",) if "work_item_transitions" in metric.needs else ())}
    emptied = {name: (frame if name in declared else frame.iloc[0:0]) for name, frame in tables.items()}
    first = DEMO_TODAY - timedelta(days=400)
    scope = "group" if metric_id in GROUPS_ONLY else "org"
    whole = compute_series(tables, Settings(), "quarter", scope, first, DEMO_TODAY, [metric_id])
    alone = compute_series(emptied, Settings(), "quarter", scope, first, DEMO_TODAY, [metric_id])
    assert whole["n"].sum() > 0
    pd.testing.assert_frame_equal(alone, whole)


def test_the_series_tables_are_declared_like_every_other():
    assert {"metric_series", "metric_series_failed", "metric_series_state"} <= set(TABLES)
