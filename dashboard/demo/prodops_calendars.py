"""Product-ops people's calendars: project management first, systems work after the turn.

The common mistake the story shows: the young product-ops team runs the organisation's status
and coordination meetings (most of its working day) until `Story.systems_turn`, then turns to
building systems, with long focus blocks and a coordination meeting or so a day. Each person's
calendar is written as ICS (one-off events in UTC, as a calendar exports them) and read by the
calendar connector beside the PMs', so the categories are the classification rules' reading of
the titles. Kept apart from `calendars.py`, whose PM weeks other parts of the story shape.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from connectors.calendar import Owner
from dashboard.core.config import Settings
from dashboard.demo.calendars import DOMAIN, Calendars, make_calendars
from dashboard.demo.story import HOUR, Story, stream, to_utc

COORDINATION = (
    "Weekly status sync", "Cross-team dependency sync", "Release readiness review", "Delivery status reporting",
    "Stakeholder status update",
)
"""Titles the built-in rules read as process overhead: what a project-managing ops team holds."""
SYSTEMS = "Focus time"
"""A declared focus block: the time a systems-building team keeps for building."""
MEETINGS_BEFORE = (4, 7)
"""Fewest and most (exclusive) one-hour coordination meetings a day before the turn."""
MEETINGS_AFTER = (0, 2)


def all_calendars(story: Story, roster: pd.DataFrame, org: pd.DataFrame, settings: Settings) -> Calendars:
    """The PMs' calendars (`calendars.make_calendars`) and then the product-ops people's."""
    pms = make_calendars(story, roster, org, settings)
    ops = make_prodops_calendars(story, roster, settings, pms.window)
    intended = pd.concat([pms.intended, ops.intended], ignore_index=True)
    return replace(pms, owners=pms.owners + ops.owners, texts=pms.texts + ops.texts, intended=intended)


def _days(story: Story, people: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Each product-ops person's working days from joining (or the window's start) up to today."""
    weekdays = set(settings.working_hours.weekdays)
    days = pd.date_range(story.start, story.today, freq="D")
    days = days[days.day_of_week.isin(weekdays)]
    grid = people[["person_id", "tz", "active_from", "active_to"]].merge(pd.DataFrame({"day": days}), how="cross")
    until = grid["active_to"].fillna(pd.Timestamp("2262-01-01"))
    return grid[(grid["day"] >= grid["active_from"]) & (grid["day"] < until)].reset_index(drop=True)


def _events(story: Story, days: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """One row per event: whole-hour coordination meetings at distinct hours of the day, and after
    the turn a focus block over the first free stretch of at least three hours."""
    rng = stream("prodops-calendars")
    opens = settings.working_hours.start.hour
    hours = settings.working_hours.end.hour - opens
    turned = (days["day"] >= pd.Timestamp(story.systems_turn)).to_numpy()
    count = np.where(turned, rng.integers(*MEETINGS_AFTER, len(days)), rng.integers(*MEETINGS_BEFORE, len(days)))
    order = rng.random((len(days), hours)).argsort(axis=1)
    rows = []
    for index, (person, tz, day) in enumerate(days[["person_id", "tz", "day"]].itertuples(index=False)):
        taken = sorted(order[index, : count[index]].tolist())
        for n, hour in enumerate(taken):
            rows.append((person, tz, day, opens + hour, 1, COORDINATION[(hour + n) % len(COORDINATION)], "overhead",
                         int(rng.integers(4, 11))))
        if turned[index]:
            free = [hour for hour in range(hours) if hour not in taken]
            runs = [h for h in free if all(h + k in free for k in range(3))]
            if runs:
                rows.append((person, tz, day, opens + runs[0], 3, SYSTEMS, "focus", 1))
    events = pd.DataFrame(rows, columns=["person_id", "tz", "day", "hour", "length", "title", "category", "attendees"])
    local = events["day"] + events["hour"] * HOUR
    events["start_utc"] = to_utc(local, events["tz"])
    events["end_utc"] = to_utc(local + events["length"] * HOUR, events["tz"])
    events["uid"] = (events["person_id"] + "-ops-" + local.dt.strftime("%Y%m%dT%H%M") + "@" + DOMAIN)
    return events[events["start_utc"] < story.cutoff].reset_index(drop=True)


def make_prodops_calendars(story: Story, roster: pd.DataFrame, settings: Settings, window) -> Calendars:
    """Every product-ops person's calendar over the window as ICS text, with what it is meant to hold."""
    people = roster[roster["role"] == "prodops"]
    events = _events(story, _days(story, people, settings), settings)
    stamp = "%Y%m%dT%H%M%SZ"
    starts, ends = events["start_utc"].dt.strftime(stamp), events["end_utc"].dt.strftime(stamp)
    email = people.set_index("person_id")["email"]
    parts: dict[str, list[str]] = {person: [] for person in people["person_id"]}
    for person, uid, title, start, end, attendees in zip(events["person_id"], events["uid"], events["title"], starts,
                                                         ends, events["attendees"]):
        guests = "" if attendees <= 1 else (
            f"ORGANIZER:mailto:{email[person]}\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:{email[person]}\r\n"
            + "".join(f"ATTENDEE:mailto:team-lead.{n}@example.com\r\n" for n in range(1, attendees)))
        parts[person].append(f"BEGIN:VEVENT\r\nUID:{uid}\r\nSUMMARY:{title}\r\nDTSTART:{start}\r\nDTEND:{end}\r\n"
                             f"{guests}END:VEVENT\r\n")
    zone = people.set_index("person_id")["tz"]
    texts = [
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Product Ops Health//Demo organisation//EN\r\n"
        f"CALSCALE:GREGORIAN\r\nX-WR-CALNAME:{email[person]}\r\nX-WR-TIMEZONE:{zone[person]}\r\n"
        + "".join(parts[person]) + "END:VCALENDAR\r\n"
        for person in people["person_id"]
    ]
    owners = [Owner(person, email[person], zone[person]) for person in people["person_id"]]
    intended = pd.DataFrame({
        "person_id": events["person_id"], "event_uid": events["uid"] + "/" + starts,
        "start_utc": events["start_utc"], "end_utc": events["end_utc"], "all_day": False,
        "category": events["category"], "attendee_count": events["attendees"], "recurring": False,
        "response": "accepted", "title": events["title"],
    })
    return Calendars(owners, texts, intended, window)
