"""ICS ingest at the size of the demo organisation: occurrences per second through the calendar connector.

Every PM's calendar is generated as ICS text (series with RRULE, EXDATE and overrides, one-offs,
days off), then read by `connectors.calendar.ics_tables` (parse, expand, normalise, classify,
hash titles), the demo build's path: first in this one process for a sample of calendars (the
rate of one core), then all of them in the build's pool of worker processes (the wall-clock rate).

Run: python benchmarks/calendar_ingest.py --scale small|large [--sample 20] [--workers 2]
"""
from __future__ import annotations

from common import TODAY, Timer, arguments, header

from dashboard.core.config import Settings
from dashboard.demo import SCALES
from dashboard.demo.build import _organisation
from dashboard.demo.calendars import Calendars, make_calendars, read_calendars


def main() -> None:
    args = arguments(__doc__.splitlines()[0], sample={"type": int, "default": 20}, workers={"type": int, "default": 2})
    header("ICS ingest", args.scale)
    settings = Settings()
    story, org, roster = _organisation(TODAY, SCALES[args.scale])
    with Timer() as generate:
        calendars = make_calendars(story, roster, org, settings)
    size = sum(len(text) for text in calendars.texts)
    print(f"{len(calendars.texts)} calendars, {size / 1e6:.0f} MB of ICS, {len(calendars.intended):,} occurrences "
          f"(generated in {generate.seconds:.1f} s)")

    sample = Calendars(calendars.owners[: args.sample], calendars.texts[: args.sample], calendars.intended,
                       calendars.window)
    with Timer() as one, read_calendars(sample, settings, workers=1) as reading:
        events, _ = reading.result()
    print(f"one process        {len(events):,} occurrences of {args.sample} calendars in {one.seconds:.1f} s = "
          f"{len(events) / one.seconds:,.0f} occurrences/s ({one.cpu:.1f} s cpu = {len(events) / one.cpu:,.0f} per cpu s)")

    with Timer() as pool, read_calendars(calendars, settings, workers=args.workers) as reading:
        events, _ = reading.result()
    print(f"{args.workers} workers + main  {len(events):,} occurrences of {len(calendars.texts)} calendars in "
          f"{pool.seconds:.1f} s = {len(events) / pool.seconds:,.0f} occurrences/s "
          f"(CPU in the readers {reading.cpu_seconds:.0f} s = {len(events) / reading.cpu_seconds:,.0f} per cpu s)")


if __name__ == "__main__":
    main()
