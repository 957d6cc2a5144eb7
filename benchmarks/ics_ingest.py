"""How fast ICS calendars become `calendar_events` rows: a 60-PM organisation over two years.

Each PM's calendar is generated as ICS text the way calendar exports look: daily stand-ups,
weekly syncs and 1:1s, fortnightly planning and retros, monthly roadmap reviews (as RRULE
series with EXDATEs, moved and cancelled instances, and a "this and future" edit), plus about
a dozen one-off meetings, holds and declines a week. The timed part is the connector's pure
path, `ics_to_rows` (parse, expand, normalise, classify); a full `sync_calendars` into a store
is timed too, for the same files.

Run: .venv/bin/python benchmarks/ics_ingest.py [pms] [years]
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connectors.calendar import Owner, Window, ics_to_rows, sync_calendars
from dashboard.core.config import Settings
from dashboard.core.store import Store

ZONES = ["Europe/Berlin", "Europe/London", "America/New_York", "America/Los_Angeles", "Asia/Singapore"]
SERIES = [  # title, rule, minutes, local hour, attendees
    ("Daily standup", "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", 15, 9.5, 7),
    ("Weekly product sync", "FREQ=WEEKLY;BYDAY=MO", 60, 11, 6),
    ("1:1 with manager", "FREQ=WEEKLY;BYDAY=TU", 30, 14, 2),
    ("1:1 with design lead", "FREQ=WEEKLY;BYDAY=TH", 30, 10, 2),
    ("Sprint planning", "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE", 90, 10, 9),
    ("Sprint retro", "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", 60, 15, 9),
    ("Backlog refinement", "FREQ=WEEKLY;BYDAY=TH", 60, 13, 6),
    ("Roadmap review", "FREQ=MONTHLY;BYDAY=1WE", 90, 15, 8),
    ("Customer interview block", "FREQ=WEEKLY;BYDAY=WE", 60, 16, 3),
]
ONE_OFFS = [
    ("Discovery session", 4),
    ("Release triage", 5),
    ("Strategy offsite prep", 1),
    ("Stakeholder status", 4),
    ("Lunch", 1),
    ("Focus: PRD writing", 1),
    ("Onboarding: new tool", 12),
    ("Vendor call", 3),
]


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


def _attendees(email: str, n: int, rng: random.Random, declined: bool = False) -> list[str]:
    lines = [f"ATTENDEE;PARTSTAT={'DECLINED' if declined else 'ACCEPTED'}:mailto:{email}"]
    lines += [f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:colleague{rng.randrange(500)}@example.com" for _ in range(n - 1)]
    return lines


def pm_calendar(index: int, start: date, weeks: int, rng: random.Random) -> tuple[str, Owner]:
    """One PM's calendar export as ICS text."""
    tz = ZONES[index % len(ZONES)]
    email = f"pm{index}@example.com"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//prodops benchmark//EN",
        f"X-WR-CALNAME:{email}",
        f"X-WR-TIMEZONE:{tz}",
    ]

    def event(uid: str, begin: datetime, minutes: int, title: str, extra: list[str]) -> None:
        lines.extend(
            [
                "BEGIN:VEVENT",
                f"UID:{uid}",
                f"SUMMARY:{title}",
                f"DTSTART;TZID={tz}:{_stamp(begin)}",
                f"DTEND;TZID={tz}:{_stamp(begin + timedelta(minutes=minutes))}",
                *extra,
                "END:VEVENT",
            ]
        )

    first = datetime.combine(start, datetime.min.time())
    for s, (title, rule, minutes, hour, people) in enumerate(SERIES):
        begin = first + timedelta(hours=hour)
        while begin.weekday() >= 5:
            begin += timedelta(days=1)
        uid = f"pm{index}-series{s}@example.com"
        skipped = [begin + timedelta(days=7 * rng.randrange(1, weeks)) for _ in range(3)]
        extra = [
            f"RRULE:{rule}",
            *(f"EXDATE;TZID={tz}:{_stamp(d)}" for d in skipped),
            "ORGANIZER:mailto:lead@example.com",
            *_attendees(email, people, rng),
        ]
        event(uid, begin, minutes, title, extra)
        for _ in range(2):  # a moved instance and a cancelled one
            original = begin + timedelta(days=7 * rng.randrange(1, weeks))
            event(
                uid,
                original + timedelta(hours=2),
                minutes,
                title,
                [f"RECURRENCE-ID;TZID={tz}:{_stamp(original)}", *_attendees(email, people, rng)],
            )
            cancelled = begin + timedelta(days=7 * rng.randrange(1, weeks))
            event(uid, cancelled, minutes, title, [f"RECURRENCE-ID;TZID={tz}:{_stamp(cancelled)}", "STATUS:CANCELLED"])
        if s == 1:  # "this and future": the weekly sync moves an hour later half-way
            pivot = begin + timedelta(days=7 * (weeks // 2))
            event(
                uid,
                pivot + timedelta(hours=1),
                minutes,
                title,
                [f"RECURRENCE-ID;RANGE=THISANDFUTURE;TZID={tz}:{_stamp(pivot)}"],
            )
    for week in range(weeks):
        monday = first + timedelta(days=7 * week - first.weekday())
        for n in range(rng.randrange(8, 16)):
            title, people = rng.choice(ONE_OFFS)
            begin = monday + timedelta(
                days=rng.randrange(5), hours=rng.choice([9, 10, 11, 13, 14, 15, 16]), minutes=rng.choice([0, 30])
            )
            extra = (
                ["TRANSP:TRANSPARENT"]
                if title == "Lunch"
                else _attendees(email, people, rng, declined=rng.random() < 0.1)
            )
            event(f"pm{index}-w{week}-{n}@example.com", begin, rng.choice([30, 45, 60, 90]), title, extra)
        if rng.random() < 0.06:
            day = (monday + timedelta(days=rng.randrange(5))).date()
            lines.extend(
                [
                    "BEGIN:VEVENT",
                    f"UID:pm{index}-ooo{week}@example.com",
                    "SUMMARY:Vacation",
                    f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
                    f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}",
                    "END:VEVENT",
                ]
            )
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n", Owner(f"p{index}", email, tz)


def main() -> None:
    pms = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    years = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    end = date(2026, 11, 30)
    start = end - timedelta(days=365 * years)
    rng = random.Random(4)
    calendars = [pm_calendar(i, start, 52 * years, rng) for i in range(pms)]
    size = sum(len(text) for text, _ in calendars)
    window = Window.of(start, end)
    settings = Settings()

    began = time.perf_counter()
    rows = [ics_to_rows(text, owner, window, settings) for text, owner in calendars]
    elapsed = time.perf_counter() - began
    count = sum(len(r) for r in rows)
    categories = pd.concat(rows)["category"].value_counts(normalize=True).round(3).to_dict()
    print(f"{pms} PMs x {years} years: {size / 1e6:.1f} MB of ICS")
    print(f"ics_to_rows: {count:,} occurrences stored in {elapsed:.1f} s = {count / elapsed:,.0f} occurrences/s")
    print(f"categories: {categories}")

    with tempfile.TemporaryDirectory() as folder:
        for text, owner in calendars:
            Path(folder, f"{owner.email}.ics").write_text(text)
        store = Store(Path(folder) / "bench.duckdb")
        people = pd.DataFrame(
            [
                {
                    "person_id": o.person_id,
                    "name": o.person_id,
                    "email": o.email,
                    "role": "pm",
                    "team_id": "t1",
                    "tz": o.tz,
                    "active_from": None,
                    "active_to": None,
                }
                for _, o in calendars
            ]
        )
        with store.transaction() as tx:
            tx.upsert("people", people)
        config = Settings(calendar={"ics": [{"location": folder}], "history_days": 365 * years})
        began = time.perf_counter()
        result = sync_calendars(store, config, today=end - timedelta(days=1))
        elapsed = time.perf_counter() - began
        weeks = len(store.table("pm_weeks"))
        print(
            f"sync_calendars (files to store, PM-weeks rebuilt): {result.rows:,} rows in {elapsed:.1f} s = "
            f"{result.rows / elapsed:,.0f} occurrences/s; {weeks:,} PM-weeks"
        )


if __name__ == "__main__":
    main()
