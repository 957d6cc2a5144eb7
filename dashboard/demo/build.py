"""Putting the demo organisation together: every source generated, read by its connector, stored at once.

`demo_sources` gives the organisation's raw data; `demo_tables` reads it into canonical tables
through the connectors' pure steps; `build_demo` writes them all, and the derived tables, in
one store transaction.
"""
from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date

import pandas as pd

from dashboard.core.config import Settings
from dashboard.core.store import Store
from dashboard.demo.calendars import Calendars, read_calendars
from dashboard.demo.checkins import demo_checkin_settings, form_tables, make_checkins, review_events
from dashboard.demo.jira import JiraExport, jira_export, read_jira
from dashboard.demo.org import load_roster_exports, make_org, make_roster, roster_snapshots
from dashboard.demo.prodops_calendars import all_calendars
from dashboard.demo.scale import SMALL, Scale
from dashboard.demo.story import SOURCE, Story, make_annotations, make_story, timestamps
from dashboard.demo.surveys import survey_exports, survey_tables
from dashboard.derive import refresh
from dashboard.derive.checkins import derive_checkins, moment

log = logging.getLogger(__name__)
progress = logging.getLogger(f"{__name__}.progress")
"""One line per build step; `python -m dashboard demo` prints them, a test or a benchmark need not."""


def make_sync_run(story: Story, rows: int) -> pd.DataFrame:
    started = story.synced_at
    return pd.DataFrame({
        "run_id": [f"demo-{story.today:%Y%m%d}"],
        "source": SOURCE,
        "started_at": timestamps([started]),
        "finished_at": timestamps([started + pd.Timedelta(seconds=12)]),
        "status": "success",
        "rows": rows,
        "cursor": story.today.isoformat(),
        "error": None,
    })


@contextmanager
def _stage(timings: dict[str, float], name: str):
    """Time one step of the build, and say when it starts and ends: a first run is watched."""
    progress.info("demo: %s ...", name)
    began = time.perf_counter()
    yield
    took = time.perf_counter() - began
    timings[name] = timings.get(name, 0.0) + took
    progress.info("demo: %s done in %.1f s", name, took)


@dataclass(frozen=True)
class Sources:
    """The demo organisation's data as its systems export it, before any connector reads it."""

    story: Story
    roster_exports: list[tuple[date, str]]
    """The HR roster CSV: `(as_of, text)` per snapshot, oldest first."""
    calendars: Calendars
    """Each PM's ICS text (and what it is meant to hold)."""
    jira: JiraExport
    """Issues with changelogs and project versions as Jira's REST API returns them."""
    survey_exports: list[dict]
    """Each pulse wave's export as its survey tool writes it."""
    checkins: pd.DataFrame
    """Who sent which check-in when (weekly status tickets are in `jira`; `demo_tables` writes the
    form export and the review meetings)."""


def demo_sources(settings: Settings, today: date, scale: Scale = SMALL) -> Sources:
    """Every source of the demo organisation in its raw form (what `demo_tables` reads)."""
    story, org, roster = _organisation(today, scale)
    exports = roster_snapshots(story, org, roster)
    known = load_roster_exports(exports)
    checkins = make_checkins(story, known, settings)
    return Sources(
        story=story,
        roster_exports=exports,
        calendars=all_calendars(story, roster, org, settings),
        jira=jira_export(story, org, roster, known["memberships"], checkins, scale),
        survey_exports=survey_exports(story, roster, known["memberships"], known["teams"]),
        checkins=checkins,
    )


def _organisation(today: date, scale: Scale) -> tuple[Story, pd.DataFrame, pd.DataFrame]:
    story = make_story(today, scale.quarters, scale)
    org = make_org(scale)
    return story, org, make_roster(story, org, scale)


def demo_tables(settings: Settings, today: date, timings: dict[str, float] | None = None,
                workers: int | None = None, scale: Scale = SMALL) -> dict[str, pd.DataFrame]:
    """Every canonical table of the demo organisation as of `today`, without touching a store.

    The sources of `demo_sources`, each read by its connector's pure steps: the HR roster CSV,
    each PM's ICS calendar, Jira's REST JSON, the survey tools' exports. The calendars, which
    take longest, are read by `workers` processes while the other sources are generated and
    read. `timings`, when given, receives the seconds each stage took.
    """
    timings = {} if timings is None else timings
    with _stage(timings, "roster"):
        story, org, roster = _organisation(today, scale)
        tables = load_roster_exports(roster_snapshots(story, org, roster))
        memberships = tables["memberships"]
    with _stage(timings, "calendars: generate ICS"):
        calendars = all_calendars(story, roster, org, settings)
        # what the generator meant the calendars to hold is for tests; reading needs only the texts
        calendars = replace(calendars, intended=calendars.intended.iloc[:0])
    with read_calendars(calendars, settings, workers) as reading:
        with _stage(timings, "check-ins"):
            checkins = make_checkins(story, tables, settings)
            checkin_forms = form_tables(checkins, tables, settings, story)
            reviews = review_events(checkins, tables, settings, story)
        with _stage(timings, "jira"):
            jira = read_jira(story, org, roster, memberships, checkins, tables["people"])
        with _stage(timings, "surveys"):
            exports = survey_exports(story, roster, memberships, tables["teams"])
            surveys = survey_tables(story, exports, tables["teams"], settings)
        with _stage(timings, "calendars: read ICS (waiting)"):
            events, titles = reading.result()
    timings["calendars: read ICS (workers, wall)"] = reading.seconds
    timings["calendars: read ICS (workers, cpu)"] = reading.cpu_seconds
    tables.update({
        "annotations": make_annotations(story),
        "calendar_events": pd.concat([events, reviews], ignore_index=True),
        "checkin_forms": checkin_forms,
        "calendar_titles": titles,
        **jira,
        **surveys,
    })
    tables["checkins"] = derive_checkins(tables, demo_checkin_settings(settings, story), moment(settings, today))
    tables["sync_runs"] = make_sync_run(story, sum(len(frame) for frame in tables.values()))
    return tables


def _parts(frame: pd.DataFrame, size: int | None) -> list[pd.DataFrame]:
    """`frame` in slices of `size` rows (whole when None or smaller)."""
    if size is None or len(frame) <= size:
        return [frame]
    return [frame.iloc[first:first + size] for first in range(0, len(frame), size)]


def build_demo(store: Store, settings: Settings, today: date, timings: dict[str, float] | None = None,
               scale: Scale = SMALL) -> dict[str, int]:
    """Replace the store's contents with the demo organisation as of `today`; rows written per table."""
    timings = {} if timings is None else timings
    began = time.perf_counter()
    tables = demo_tables(settings, today, timings, scale=scale)
    with store.transaction(fresh=True) as tx:
        with _stage(timings, "store"):
            counts = {}
            for name in list(tables):
                # each frame is let go once written, so the derive step below (which reads the
                # store back) does not run beside a second copy of every table
                frame = tables.pop(name)
                counts[name] = sum(tx.upsert(name, part) for part in _parts(frame, scale.store_batch))
                del frame
        with _stage(timings, "derive"):
            # the engine re-derives check-ins with the kinds and window of this organisation's story
            refresh(tx, demo_checkin_settings(settings, make_story(today, scale.quarters, scale)), as_of=today)
            counts["pm_weeks"] = int(tx.query("SELECT count(*) AS n FROM pm_weeks")["n"].iloc[0])
    timings["total"] = time.perf_counter() - began
    log.info("demo built in %.1f s: %s", timings["total"], ", ".join(f"{k} {v:.2f} s" for k, v in timings.items()))
    return counts
