"""A believable product organisation, generated so every page of the dashboard has a story to tell.

Six groups of four product teams, about sixty PMs, twelve people in operations and seven
leaders, over the eight quarters up to `today`:

- Five quarters before the current one the company founds a product operations team. Before
  that a PM's 40-hour week holds about 14 hours of status syncs, process ceremonies and ad-hoc
  reporting and 4 hours of strategy. Over the following three quarters the recurring status
  meetings are retired one by one: overhead falls towards a fifth of the week, strategy rises
  to a fifth, enablement sessions appear and focus blocks grow longer. Check-ins, delivered on
  time about 75 % of the time before, reach about 92 %, and the twenty-point gap between how
  PMs and how operations rate their alignment closes to about five.
- A reorg four quarters ago moves three PMs between teams; a few PMs join, two leave.
- Three quarters ago a self-serve insights portal launches: ad-hoc data requests fall from
  about 3.5 to 1.2 per PM per month and are fulfilled twice as fast.
- Two quarters ago a new release process lands and on-time releases improve, except in
  Payments, which keeps re-planning and lands 5-20 days after its first plan. Its latest plan
  is always close to the release day, which is why slip is measured against the first plan.
- Mobile/Android stopped sending its weekly status two quarters ago.

Every source is generated in its own raw format and read by its connector, so the demo runs
the same code a real organisation's data does:

    org.py        people and teams      -> HR roster CSV      -> connectors.roster (parse, plan)
    calendars.py  PM calendars          -> ICS per PM         -> connectors.calendar (ics_tables)
    jira.py       releases, work items  -> REST v2 JSON       -> connectors.jira (normalize, plan_changes)
    surveys.py    pulse survey          -> tool exports (CSV) -> connectors.survey (read_text, normalize)
    checkins.py   check-ins owed        -> canonical rows (their tickets go through Jira)
    story.py      the dates the story turns on, seeded random streams
    scale.py      how big the organisation is (`SMALL`, the default, `LARGE` or the benchmarks' `XLARGE`), in one place; the
                  story carries it, and a large organisation's PMs have more, shorter meetings, its
                  teams owe a weekly sprint demo and its pulse runs monthly
    build.py      `demo_sources` (the raw data), `demo_tables` (read by the connectors) and
                  `build_demo` (all of it written in one store transaction)

Everything is drawn from one seed, split into named streams (one per piece of the story), so
the same `today` gives identical tables and changing one piece leaves the others as they were.
"""
from __future__ import annotations

from dashboard.demo.build import Sources, build_demo, demo_sources, demo_tables
from dashboard.demo.org import GROUPS, SILENT_TEAM, SLIPPING_GROUP, ZONES
from dashboard.demo.scale import LARGE, SCALES, SMALL, Scale
from dashboard.demo.story import Story, make_story
from dashboard.demo.surveys import survey_waves

__all__ = [
    "GROUPS",
    "LARGE",
    "SCALES",
    "SILENT_TEAM",
    "SLIPPING_GROUP",
    "SMALL",
    "ZONES",
    "Scale",
    "Sources",
    "Story",
    "build_demo",
    "demo_sources",
    "demo_tables",
    "make_story",
    "survey_waves",
]
