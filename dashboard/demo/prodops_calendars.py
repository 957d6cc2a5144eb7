"""Product-ops people's calendars: project management first, systems work after the turn.

The common mistake the story shows: the young product-ops team runs the organisation's status
and coordination meetings (most of its working day) until `Story.systems_turn`, then turns to
building systems, with long focus blocks and a coordination meeting or so a day. Each person's
calendar is written as ICS (one-off events in UTC, as a calendar exports them) and read by the
calendar connector beside the PMs', so the categories are the classification rules' reading of
the titles. Kept apart from `calendars.py`, whose PM weeks other parts of the story shape.

Who they meet is the other story (product ops too far from product or operations): each person
partners one product group, and most of their meetings have PMs of that group in them, some
operations staff too; the invitations name real roster people, so the connector reads their roles.
But the partner of the first group never meets operations, which holds the organisation's share
of product-ops meeting time with operations near its target rather than on it. And there are fewer
product-ops people than product groups: the groups left over in name order have no partner, and
product ops never meets them at all.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from connectors.calendar import Owner, roster_roles, roster_teams
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
WITH_PMS = 0.8
"""The chance a product-ops meeting has PMs of the person's partner group in it."""
WITH_OPERATIONS = 0.15
"""The chance it has operations staff in it, for everyone but the partner who never meets them."""


def all_calendars(story: Story, roster: pd.DataFrame, org: pd.DataFrame, settings: Settings) -> Calendars:
    """The PMs' calendars (`calendars.make_calendars`) and then the product-ops people's."""
    pms = make_calendars(story, roster, org, settings)
    ops = make_prodops_calendars(story, roster, org, settings, pms.window)
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


def _guests(events: pd.DataFrame, people: pd.DataFrame, roster: pd.DataFrame) -> pd.Series:
    """Each meeting's other attendees' addresses: PMs of the owner's partner group (groups dealt out in
    roster order), operations people, then invitees from outside the roster up to its head count. The
    first product-ops person's partner group is the first; they alone never meet operations."""
    rng = stream("prodops-guests")
    groups = sorted(roster["group"].dropna().unique())
    partner = {person: groups[n % len(groups)] for n, person in enumerate(people["person_id"])}
    isolated = people["person_id"].iloc[0] if len(people) else None
    pms = roster[roster["role"] == "pm"].groupby("group")["email"].agg(list).to_dict()
    ops = roster.loc[roster["role"] == "ops", "email"].tolist()
    out = []
    for person, count in zip(events["person_id"], events["attendees"]):
        seats, chosen = count - 1, []
        if seats > 0 and rng.random() < WITH_PMS and pms.get(partner[person]):
            group = pms[partner[person]]
            chosen += list(rng.choice(group, size=min(len(group), int(rng.integers(1, 4)), seats), replace=False))
        if seats > len(chosen) and person != isolated and ops and rng.random() < WITH_OPERATIONS:
            chosen += list(rng.choice(ops, size=min(len(ops), int(rng.integers(1, 3)), seats - len(chosen)),
                                      replace=False))
        out.append([*chosen, *(f"team-lead.{n}@example.com" for n in range(1, seats - len(chosen) + 1))])
    return pd.Series(out, index=events.index, dtype=object)


def make_prodops_calendars(story: Story, roster: pd.DataFrame, org: pd.DataFrame, settings: Settings, window
                           ) -> Calendars:
    """Every product-ops person's calendar over the window as ICS text, with what it is meant to hold."""
    people = roster[roster["role"] == "prodops"]
    events = _events(story, _days(story, people, settings), settings)
    guests = _guests(events, people, roster.assign(group=roster["team_id"].map(org.set_index("team_id")["group_name"])))
    roles, teams = roster_roles(roster), roster_teams(roster)
    stamp = "%Y%m%dT%H%M%SZ"
    starts, ends = events["start_utc"].dt.strftime(stamp), events["end_utc"].dt.strftime(stamp)
    email = people.set_index("person_id")["email"]
    parts: dict[str, list[str]] = {person: [] for person in people["person_id"]}
    for person, uid, title, start, end, others in zip(events["person_id"], events["uid"], events["title"], starts,
                                                      ends, guests):
        lines = "" if not others else (
            f"ORGANIZER:mailto:{email[person]}\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:{email[person]}\r\n"
            + "".join(f"ATTENDEE:mailto:{address}\r\n" for address in others))
        parts[person].append(f"BEGIN:VEVENT\r\nUID:{uid}\r\nSUMMARY:{title}\r\nDTSTART:{start}\r\nDTEND:{end}\r\n"
                             f"{lines}END:VEVENT\r\n")
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
        "attendee_roles": [",".join(sorted({roles[a] for a in others if a in roles})) for others in guests],
        "attendee_teams": [",".join(sorted({teams[a] for a in others if a in teams})) for others in guests],
    })
    return Calendars(owners, texts, intended, window, roles, teams)
