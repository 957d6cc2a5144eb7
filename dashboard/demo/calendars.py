"""PM calendars: weekly series, one-off meetings, focus blocks and days off, as each PM's ICS export.

Before product ops a PM's 40-hour week holds about 14 hours of status syncs, process ceremonies
and ad-hoc reporting and 4 hours of strategy. Over the three quarters after it is founded the
recurring status meetings are retired one by one: overhead falls towards a fifth of the week,
strategy rises to a fifth, enablement sessions appear (a monthly product ops training that more
PMs attend as it beds in, and ad-hoc workshops and office hours) and focus blocks grow longer.

The weeks are laid out on a grid of half-hour slots first (series keep their slot; one-offs
are fitted around them; a few meetings are double-booked), then each PM's calendar is written
as ICS text the way a calendar exports it: every regular meeting is one recurring series
(RRULE, with EXDATEs for the days the PM is out and RECURRENCE-ID overrides for an instance that
was moved or declined), one-offs and days off are single events. The text goes through the
calendar connector's `ics_tables` with the organisation's settings, so the categories are the
classification rules' reading of the titles, not the generator's say-so.
"""
from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from connectors.calendar import Owner, Window, ics_tables, roster_roles, roster_teams
from dashboard.core.config import CalendarRule, Settings
from dashboard.core.schema import TABLES
from dashboard.demo.story import DAY, SLOT, SOURCE, WEEKDAYS, Story, monday, stream, to_utc

DOMAIN = "demo.example.com"
ORG_RULES = (
    CalendarRule(name="company events (demo organisation)", category="other",
                 title=["all hands", "town hall", "hiring", "team social"]),
)
"""The demo organisation's own calendar rule, tried after any configured rule and before the
built-in ones: company events are "other", which no built-in rule says."""
EVERYONE = "everyone@example.com"
GUILD = "product-guild@example.com"


@dataclass(frozen=True)
class Series:
    """A weekly meeting series; `fate` says what product ops does to it."""

    key: str
    title: str
    category: str
    slots: int
    daily: bool
    attendees: tuple[int, int]
    fate: str  # kept, retired (ends some time after founding) or introduced (starts after founding)
    every: int = 1  # weeks between occurrences
    group: str | None = None  # invited as a mailing list instead of one by one


SERIES = (
    Series("standup", "Daily standup", "overhead", 1, True, (6, 10), "kept"),
    Series("status-sync", "Weekly status sync", "overhead", 2, False, (5, 10), "kept"),
    Series("sprint-review", "Sprint review", "overhead", 3, False, (8, 12), "kept"),
    Series("grooming", "Backlog grooming", "overhead", 3, False, (4, 8), "kept"),
    Series("stakeholder-update", "Stakeholder status update", "overhead", 2, False, (6, 12), "retired"),
    Series("dependency-sync", "Cross-team dependency sync", "overhead", 3, False, (6, 12), "retired"),
    Series("release-readiness", "Release readiness review", "overhead", 2, False, (6, 12), "retired"),
    Series("delivery-reporting", "Delivery status reporting", "overhead", 3, False, (4, 10), "retired"),
    Series("manager-1on1", "1:1 with manager", "one_on_one", 1, False, (2, 2), "kept"),
    Series("eng-1on1", "1:1 with engineering lead", "one_on_one", 1, False, (2, 2), "kept", every=2),
    Series("design-1on1", "1:1 with design lead", "one_on_one", 1, False, (2, 2), "kept", every=2),
    Series("all-hands", "All hands", "other", 2, False, (3, 3), "kept", every=2, group=EVERYONE),
    Series("customer-call", "Weekly customer call", "strategy", 2, False, (2, 4), "introduced"),
    Series("strategy-review", "Product strategy review", "strategy", 3, False, (4, 8), "introduced"),
    Series("focus", "Focus time", "focus", 6, False, (1, 1), "introduced"),
)
"""Team series carry the team's name in their title ("Daily standup - Checkout")."""
TEAM_SERIES = {"standup", "status-sync", "sprint-review", "grooming", "customer-call", "strategy-review"}
SQUADS = ("web", "backend", "mobile", "platform", "data", "quality")
"""The engineering squads of a large team, one lead each (`Scale.eng_leads` of them)."""


def scale_series(story: Story) -> tuple[Series, ...]:
    """The series every PM has: the story's, then a large organisation's extra short meetings, kept
    through the whole window: a weekly 30-minute 1:1 with each squad's engineering lead and weekly
    30-minute syncs with the teams theirs depends on."""
    scale = story.scale
    leads = tuple(
        Series(f"eng-lead-1on1-{squad}", f"1:1 with {squad} engineering lead", "one_on_one", 1, False, (2, 2), "kept")
        for squad in SQUADS[: scale.eng_leads]
    )
    syncs = tuple(
        Series(f"cross-team-sync-{n}", f"Cross-team sync {n}", "overhead", 1, False, (4, 8), "kept")
        for n in range(1, scale.cross_team_syncs + 1)
    )
    return SERIES + leads + syncs


def _team_series(series: pd.Series) -> pd.Series:
    """Whether each series key is one whose title carries the team's name."""
    return series.isin(TEAM_SERIES) | series.str.startswith("cross-team-sync-")


@dataclass(frozen=True)
class AdHoc:
    """One-off events of a category: how many a week before and after product ops, and how long (in slots)."""

    category: str
    per_week: tuple[float, float]
    slots: tuple[int, ...]
    weights_before: tuple[float, ...]
    weights_after: tuple[float, ...]
    attendees: tuple[int, int]
    titles: tuple[str, ...]
    group: str | None = None


ADHOC = (
    AdHoc("overhead", (2.5, 1.3), (1, 2, 3, 4), (0.15, 0.4, 0.3, 0.15), (0.15, 0.4, 0.3, 0.15), (2, 5),
          ("Ad-hoc reporting request", "Status deck review", "Escalation triage", "Leadership metrics report",
           "Process planning sync")),
    AdHoc("strategy", (2.4, 3.0), (2, 3, 4, 5), (0.2, 0.4, 0.4, 0.0), (0.15, 0.35, 0.3, 0.2), (2, 4),
          ("Customer interview", "Roadmap workshop", "Discovery session", "Opportunity sizing", "Competitive review")),
    AdHoc("one_on_one", (0.25, 0.25), (1,), (1.0,), (1.0,), (2, 2), ("Skip-level 1:1",)),
    AdHoc("enablement", (0.0, 0.7), (2, 3), (0.6, 0.4), (0.6, 0.4), (3, 3),
          ("Enablement: experiment design", "Enablement: self-serve insights", "Product ops office hours",
           "Enablement: launch checklists"), group=GUILD),
    AdHoc("other", (0.4, 0.4), (1, 2), (0.5, 0.5), (0.5, 0.5), (2, 3), ("Hiring interview", "Team social")),
    AdHoc("focus", (1.0, 0.5), (3, 4, 5, 6), (0.4, 0.6, 0.0, 0.0), (0.0, 0.3, 0.3, 0.4), (1, 1), ("Focus time",)),
)
DOUBLE_BOOKED = 0.04
"""Share of one-off meetings booked over something else, as real calendars have."""
MOVED = 0.015
"""Share of a series' occurrences moved to another time of the same day (a RECURRENCE-ID override)."""
DECLINED = 0.02
"""Share of a series' occurrences the PM declines (an override with their PARTSTAT=DECLINED)."""
TENTATIVE_SERIES = 0.05
"""Share of a PM's series they answered "maybe" to, for every occurrence."""


def demo_settings(settings: Settings) -> Settings:
    """The organisation's settings with the demo's own calendar rule after its configured ones."""
    calendar = settings.calendar.model_copy(update={"rules": [*settings.calendar.rules, *ORG_RULES]})
    return settings.model_copy(update={"calendar": calendar})


# --- the grid: where every meeting sits in each PM-week -----------------------------------------

def _place(occupied: np.ndarray, rows: np.ndarray, length: np.ndarray, open_days: np.ndarray,
           rng: np.random.Generator, prefer_free: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pick a day and start slot for one event in each of `rows` PM-weeks.

    A start where the event fits into free time wins where `prefer_free` is set; otherwise any
    start on an open day will do, overlapping whatever is there. Returns (day, slot, free, open).
    """
    slots = occupied.shape[2]
    sub = occupied[rows]
    count = len(rows)
    cumulative = np.zeros((count, WEEKDAYS, slots + 1), dtype=np.int16)
    cumulative[:, :, 1:] = sub.cumsum(axis=2)
    end = np.arange(slots)[None, :] + length[:, None]
    fits = end <= slots
    end_index = np.broadcast_to(np.minimum(end, slots)[:, None, :], (count, WEEKDAYS, slots))
    busy = np.take_along_axis(cumulative, end_index, axis=2) - cumulative[:, :, :slots]
    possible = fits[:, None, :] & open_days[rows][:, :, None]
    free = possible & (busy == 0)
    score = rng.random((count, WEEKDAYS, slots)) + free * prefer_free[:, None, None]
    score[~possible] = -1
    choice = score.reshape(count, -1).argmax(axis=1)
    day, slot = np.divmod(choice, slots)
    chosen = (np.arange(count), choice)
    return day, slot, free.reshape(count, -1)[chosen], possible.reshape(count, -1)[chosen]


def _mark(occupied: np.ndarray, rows: np.ndarray, day: np.ndarray, slot: np.ndarray, length: np.ndarray) -> None:
    for offset in range(int(length.max(initial=0))):
        take = offset < length
        occupied[rows[take], day[take], slot[take] + offset] = True


def _calendar_weeks(story: Story, pms: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Every PM-week in the window, with the weekdays the PM is employed (between joining and leaving, up to today)."""
    mondays = pd.date_range(monday(story.start), story.today, freq="7D").astype("datetime64[us]")
    columns = ["person_id", "tz", "team_name", "active_from", "active_to"]
    grid = pms[columns].merge(pd.DataFrame({"week": mondays}), how="cross")
    days = grid["week"].to_numpy()[:, None] + np.arange(WEEKDAYS) * np.timedelta64(1, "D")
    first = np.maximum(grid["active_from"].to_numpy()[:, None], np.datetime64(story.start))
    until = grid["active_to"].fillna(pd.Timestamp("2262-01-01")).to_numpy()[:, None]
    employed = (days >= first) & (days < until) & (days <= np.datetime64(story.today))
    keep = employed.any(axis=1)
    return grid[keep].reset_index(drop=True), employed[keep]


def _out_of_office(weeks: pd.DataFrame, employed: np.ndarray) -> np.ndarray:
    """Days off: the end-of-year closure, a vacation week now and then, and the odd single day."""
    rng = stream("ooo")
    days = pd.DatetimeIndex((weeks["week"].to_numpy()[:, None] + np.arange(WEEKDAYS) * np.timedelta64(1, "D")).ravel())
    closure = (((days.month == 12) & (days.day >= 24)) | ((days.month == 1) & (days.day == 1))).reshape(-1, WEEKDAYS)
    count = len(weeks)
    vacation = rng.random(count) < 0.06
    single = np.zeros((count, WEEKDAYS), dtype=bool)
    single[np.arange(count), rng.integers(0, WEEKDAYS, count)] = rng.random(count) < 0.10
    return employed & (closure | vacation[:, None] | single)


def _series_template(story: Story, pms: pd.DataFrame, slots: int) -> pd.DataFrame:
    """Where each PM's series sit in the week (fixed once, so a series keeps its slot) and when it runs."""
    rng = stream("series")
    count = len(pms)
    occupied = np.zeros((count, WEEKDAYS, slots), dtype=bool)
    everyone = np.arange(count)
    open_days = np.ones((count, WEEKDAYS), dtype=bool)
    founded = pd.Timestamp(story.founded)
    frames = []
    for series in scale_series(story):
        length = np.full(count, series.slots)
        if series.daily:
            slot = rng.integers(0, 3, count)
            for day in range(WEEKDAYS):
                _mark(occupied, everyone, np.full(count, day), slot, length)
            days = np.tile(np.arange(WEEKDAYS), count)
            rows = np.repeat(everyone, WEEKDAYS)
            slot = np.repeat(slot, WEEKDAYS)
        else:
            day, slot, _, _ = _place(occupied, everyone, length, open_days, rng, np.ones(count))
            _mark(occupied, everyone, day, slot, length)
            days, rows = day, everyone
        runs_from = np.full(count, np.datetime64("1900-01-01"), dtype="datetime64[us]")
        runs_until = np.full(count, np.datetime64("2262-01-01"), dtype="datetime64[us]")
        if series.fate == "retired":
            runs_until = (founded + pd.to_timedelta(rng.integers(20, 300, count), unit="D")).to_numpy()
        if series.fate == "introduced":
            runs_from = (founded + pd.to_timedelta(rng.integers(30, 240, count), unit="D")).to_numpy()
        lo, hi = series.attendees
        tentative = (rng.random(count) < TENTATIVE_SERIES) & (series.category != "focus")
        frames.append(pd.DataFrame({
            "person_id": pms["person_id"].to_numpy()[rows],
            "series": series.key,
            "title": series.title,
            "category": series.category,
            "day": days,
            "slot": slot,
            "length": series.slots,
            "attendee_count": rng.integers(lo, hi + 1, count)[rows],
            "group": series.group,
            "every": series.every,
            "parity": rng.integers(0, series.every, count)[rows],
            "runs_from": runs_from[rows],
            "runs_until": runs_until[rows],
            "response": np.where(tentative, "tentative", "accepted")[rows],
        }))
    return pd.concat(frames, ignore_index=True)


def _recurring(story: Story, weeks: pd.DataFrame, employed: np.ndarray, open_days: np.ndarray,
               occupied: np.ndarray, slots: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The series (one row per PM and series, with its first and last day), their occurrences on
    the days each PM is in, and the ones skipped because the PM was out.

    A skipped occurrence is an EXDATE; a few occurrences are moved to another time of the same
    day or declined (each an override). The occurrences are marked as busy time.
    """
    rng = stream("series-instances")
    template = _series_template(story, weeks.drop_duplicates("person_id"), slots)
    template["uid"] = template["person_id"] + "-" + template["series"] + "@" + DOMAIN
    pattern = weeks[["person_id", "week"]].assign(pw=np.arange(len(weeks))).merge(template, on="person_id")
    on = pattern["week"] + pd.to_timedelta(pattern["day"], unit="D")
    week_number = (pattern["week"] - pd.Timestamp("1970-01-05")) // pd.Timedelta(days=7)
    on_its_week = week_number % pattern["every"] == pattern["parity"]
    running = (on >= pattern["runs_from"]) & (on < pattern["runs_until"]) & on_its_week
    pw, day = pattern["pw"].to_numpy(), pattern["day"].to_numpy()
    pattern = pattern[running.to_numpy() & employed[pw, day]].reset_index(drop=True)
    pattern["on"] = pattern["week"] + pd.to_timedelta(pattern["day"], unit="D")
    pattern["attending"] = open_days[pattern["pw"].to_numpy(), pattern["day"].to_numpy()]

    occurrences = pattern[pattern["attending"]].reset_index(drop=True)
    moving = (rng.random(len(occurrences)) < MOVED) & (occurrences["series"] != "standup").to_numpy()
    stay = occurrences[~moving]
    _mark(occupied, stay["pw"].to_numpy(), stay["day"].to_numpy(), stay["slot"].to_numpy(), stay["length"].to_numpy())
    pw, day, length = (occurrences[column].to_numpy() for column in ("pw", "day", "length"))
    slot = occurrences["slot"].to_numpy().copy()
    moved = np.zeros(len(occurrences), dtype=bool)
    for index in np.flatnonzero(moving):  # a few thousand: one at a time, so two moves never collide
        busy = np.concatenate([[0], occupied[pw[index], day[index]].cumsum()])
        free = np.flatnonzero(busy[length[index]:] - busy[:-length[index]] == 0)
        if len(free):
            slot[index], moved[index] = free[rng.integers(len(free))], True
        occupied[pw[index], day[index], slot[index]:slot[index] + length[index]] = True
    occurrences["original_slot"] = occurrences["slot"]
    occurrences["slot"] = slot
    occurrences["moved"] = moved
    declined = (rng.random(len(occurrences)) < DECLINED) & (occurrences["category"] != "focus").to_numpy()
    occurrences["response"] = occurrences["response"].where(~declined, "declined")
    occurrences["override"] = occurrences["moved"] | declined
    occurrences["recurring"] = True
    occurrences["free"] = True
    span = pattern.groupby(["person_id", "series"])["on"].agg(first="min", last="max")
    series = template.drop_duplicates(["person_id", "series"]).join(span, on=["person_id", "series"], how="inner")
    return series.reset_index(drop=True), occurrences, pattern[~pattern["attending"]].reset_index(drop=True)


def _one_offs(story: Story, weeks: pd.DataFrame, open_days: np.ndarray, occupied: np.ndarray) -> pd.DataFrame:
    """One-off meetings and focus blocks, drawn per PM-week and fitted around what is already there.

    Events are placed in rounds, one per PM-week per round, so each round is one vectorised
    step. Focus blocks go last and only into free time; a meeting that finds no free time is
    booked over something else.
    """
    rng = stream("one-offs")
    progress = story.progress(weeks["week"] + 2 * DAY)
    share_open = open_days.sum(axis=1) / WEEKDAYS
    frames = []
    scale = story.scale
    for kind in ADHOC:
        before, after = kind.per_week
        more = 1.0 if kind.category == "focus" else scale.meetings
        counts = rng.poisson((before + (after - before) * progress) * share_open * more)
        pw = np.repeat(np.arange(len(weeks)), counts)
        late = rng.random(len(pw)) < progress[pw]
        length = np.where(
            late,
            rng.choice(kind.slots, size=len(pw), p=kind.weights_after),
            rng.choice(kind.slots, size=len(pw), p=kind.weights_before),
        )
        if scale.meeting_slots is not None and kind.category != "focus":
            length = np.minimum(length, scale.meeting_slots)
        lo, hi = kind.attendees
        frames.append(pd.DataFrame({
            "pw": pw,
            "category": kind.category,
            "title": np.asarray(kind.titles, dtype=object)[rng.integers(0, len(kind.titles), len(pw))],
            "length": length,
            "attendee_count": rng.integers(lo, hi + 1, len(pw)),
            "group": kind.group,
        }))
    events = pd.concat(frames, ignore_index=True)
    events["group"] = events["group"].where(events["title"] != "Team social", EVERYONE)
    events.loc[events["title"] == "Team social", "attendee_count"] = 3
    events["is_focus"] = events["category"] == "focus"
    events["order"] = rng.random(len(events))
    events = events.sort_values(["pw", "is_focus", "order"], kind="stable").reset_index(drop=True)
    events["rank"] = events.groupby("pw").cumcount()

    day = np.zeros(len(events), dtype=int)
    slot = np.zeros(len(events), dtype=int)
    free = np.zeros(len(events), dtype=bool)
    possible = np.zeros(len(events), dtype=bool)
    ranks = events["rank"].to_numpy()
    for rank in range(int(ranks.max(initial=-1)) + 1):
        index = np.flatnonzero(ranks == rank)
        rows = events["pw"].to_numpy()[index]
        length = events["length"].to_numpy()[index]
        focus = events["is_focus"].to_numpy()[index]
        double_booked = ~focus & (rng.random(len(index)) < DOUBLE_BOOKED)
        d, s, f, p = _place(occupied, rows, length, open_days, rng, (~double_booked).astype(float))
        keep = p & (f | ~focus)
        _mark(occupied, rows[keep], d[keep], s[keep], length[keep])
        day[index], slot[index], free[index], possible[index] = d, s, f, keep
    events = events.assign(day=day, slot=slot, free=free)[possible].reset_index(drop=True)
    events["recurring"] = False
    events["override"] = False
    events["person_id"] = weeks["person_id"].to_numpy()[events["pw"].to_numpy()]
    events["week"] = weeks["week"].to_numpy()[events["pw"].to_numpy()]
    events["uid"] = (events["person_id"] + "-" + events["week"].dt.strftime("%Y%m%d") + "-" + events["rank"].astype(str)
                     + "@" + DOMAIN)
    events["response"] = _responses(stream("calendar"), events)
    return events


TRAINING = "Product ops training"
TRAINING_ATTENDANCE = (0.45, 0.85)
"""Share of PMs at the monthly training in its first month and once product ops has bedded in:
most come, never all (a release, a customer, a day off)."""


def _trainings(story: Story, weeks: pd.DataFrame, open_days: np.ndarray, occupied: np.ndarray) -> pd.DataFrame:
    """Product ops' monthly training, from the month it is founded: an hour in each PM's calendar in
    the month's first week (the one whose Monday is among its first seven days), for the PMs who go.

    Placed after every other meeting, into free time only, from a stream of its own: the rest of
    each calendar is exactly what it was without the trainings.
    """
    rng = stream("trainings")
    first_week = (weeks["week"].dt.day <= 7) & (weeks["week"] >= pd.Timestamp(monday(story.founded)))
    start, settled = TRAINING_ATTENDANCE
    attends = rng.random(len(weeks)) < start + (settled - start) * story.progress(weeks["week"])
    rows = np.flatnonzero(first_week.to_numpy() & attends & open_days.any(axis=1))
    length = np.full(len(rows), 2)
    day, slot, free, possible = _place(occupied, rows, length, open_days, rng, np.ones(len(rows)))
    keep = free & possible
    rows, day, slot, length = rows[keep], day[keep], slot[keep], length[keep]
    _mark(occupied, rows, day, slot, length)
    events = pd.DataFrame({
        "pw": rows, "category": "enablement", "title": TRAINING, "length": length, "attendee_count": 3, "group": GUILD,
        "day": day, "slot": slot, "free": True, "recurring": False, "override": False, "response": "accepted",
    })
    events["person_id"] = weeks["person_id"].to_numpy()[rows]
    events["week"] = weeks["week"].to_numpy()[rows]
    events["uid"] = events["person_id"] + "-" + events["week"].dt.strftime("%Y%m%d") + "-training@" + DOMAIN
    return events


KEEN = 0.4
"""Share of PMs who go to product ops' ad-hoc workshops and office hours; the others decline the
invitations and are reached by the monthly training alone, so reach stays short of everyone."""


def _keen_only(story: Story, pms: pd.DataFrame, one_offs: pd.DataFrame) -> pd.DataFrame:
    """The one-offs with the ad-hoc enablement sessions of the PMs who are not keen declined, from a
    stream of their own: every other answer is what it was."""
    keen = pd.Series(stream("keen").random(len(pms)) < KEEN, index=pms["person_id"].to_numpy())
    declines = (one_offs["category"] == "enablement") & ~one_offs["person_id"].map(keen).fillna(False).astype(bool)
    return one_offs.assign(response=one_offs["response"].where(~declines, "declined"))


def _responses(rng: np.random.Generator, events: pd.DataFrame) -> np.ndarray:
    """Mostly accepted; a clash is often declined or left tentative; self-holds are always accepted."""
    u = rng.random(len(events))
    clash = ~events["free"].to_numpy()
    declined = np.where(clash, 0.4, 0.03)
    tentative = declined + np.where(clash, 0.3, 0.04)
    response = np.where(u < declined, "declined", np.where(u < tentative, "tentative", "accepted"))
    self_hold = events["category"].isin(["focus", "ooo"]).to_numpy()
    return np.where(self_hold, "accepted", response)


def _days_off(weeks: pd.DataFrame, ooo: np.ndarray) -> pd.DataFrame:
    """Each run of consecutive days off inside a week, as one all-day event."""
    pw, day = np.nonzero(ooo)
    runs = pd.DataFrame({"pw": pw, "day": day})
    runs["run"] = (runs["day"].diff().ne(1) | runs["pw"].diff().ne(0)).cumsum()
    runs = runs.groupby("run").agg(pw=("pw", "first"), first=("day", "min"), last=("day", "max")).reset_index(drop=True)
    week = weeks["week"].to_numpy()[runs["pw"].to_numpy()]
    start = pd.Series(week + runs["first"].to_numpy() * np.timedelta64(1, "D"))
    end = pd.Series(week + (runs["last"].to_numpy() + 1) * np.timedelta64(1, "D"))
    person = pd.Series(weeks["person_id"].to_numpy()[runs["pw"].to_numpy()])
    return pd.DataFrame({
        "person_id": person,
        "local_start": start,
        "local_end": end,
        "uid": person + "-ooo-" + start.dt.strftime("%Y%m%d") + "@" + DOMAIN,
    })


# --- the calendars --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Calendars:
    """Every PM's calendar as ICS text, and the occurrences the generator meant it to hold."""

    owners: list[Owner]
    texts: list[str]
    intended: pd.DataFrame
    """One row per occurrence: what `ics_tables` should read back (category as the generator meant it)."""
    window: Window
    roles: dict[str, str] = field(default_factory=dict)
    """The roster's addresses and roles, which the connector names the other attendees by, as a sync does."""
    teams: dict[str, str] = field(default_factory=dict)
    """The roster's addresses and teams, likewise."""


def _stamp(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).dt.strftime("%Y%m%dT%H%M%S")


GROUP_HOSTS = {EVERYONE: "people-team@example.com", GUILD: "product-ops@example.com"}
"""Who sends the invitations that go to a mailing list."""


def _people_lines(owner: str, team: str, count: int, group: str | None, partstat: str) -> str:
    """ORGANIZER and ATTENDEE lines for `count` people, the owner included with their answer.

    A teammate organises and the others are invited one by one, or a large audience is
    invited as a mailing list (`group`), which a calendar shows as one attendee. With no one
    else there (a hold), there are no attendee lines at all.
    """
    if count <= 1:
        return ""
    others = [group] if group else [f"{team}.{n}@example.com" for n in range(1, count)]
    organizer = GROUP_HOSTS[group] if group else others[0]
    lines = [f"ORGANIZER:mailto:{organizer}", f"ATTENDEE;PARTSTAT={partstat.upper()}:mailto:{owner}"]
    lines += [f"ATTENDEE:mailto:{address}" for address in others]
    return "\r\n".join(lines) + "\r\n"


def _count(count: int, group: str | None) -> int:
    """How many people the connector counts for `_people_lines`: the owner, the others, the organiser."""
    if count <= 1:
        return 1
    return 3 if group else count


def make_calendars(story: Story, roster: pd.DataFrame, org: pd.DataFrame, settings: Settings) -> Calendars:
    """Every PM's calendar over the window as ICS text, with the occurrences it is meant to hold."""
    hours = settings.working_hours
    slots = int(hours.hours_per_day * 2)
    day_start = pd.Timedelta(hours=hours.start.hour, minutes=hours.start.minute)
    pms = roster[roster["role"] == "pm"].assign(team_name=lambda f: f["team_id"].map(org.set_index("team_id")["name"]))
    weeks, employed = _calendar_weeks(story, pms)
    ooo = _out_of_office(weeks, employed)
    open_days = employed & ~ooo
    occupied = ~open_days[:, :, None].repeat(slots, axis=2)
    series, recurring, skipped = _recurring(story, weeks, employed, open_days, occupied, slots)
    one_offs = _keen_only(story, pms, _one_offs(story, weeks, open_days, occupied))
    trainings = _trainings(story, weeks, open_days, occupied)
    days_off = _days_off(weeks, ooo)

    zone = pms.set_index("person_id")["tz"]
    email = pms.set_index("person_id")["email"]
    team = pms.set_index("person_id")["team_name"]
    slug = pms.set_index("person_id")["team_id"].str.replace("-", "", regex=False)

    def local(frame: pd.DataFrame, slot_column: str = "slot") -> pd.Series:
        return frame["week"] + pd.to_timedelta(frame["day"], unit="D") + day_start + frame[slot_column] * SLOT

    timed = pd.concat([recurring, one_offs, trainings], ignore_index=True)
    timed["local_start"] = local(timed)
    timed["local_end"] = timed["local_start"] + timed["length"] * SLOT
    timed["original_start"] = local(timed.assign(slot=timed["original_slot"].fillna(timed["slot"]).astype(int)))
    timed["zone"] = timed["person_id"].map(zone)
    timed["title"] = timed["title"].where(
        ~_team_series(timed["series"].fillna("")), timed["title"] + " - " + timed["person_id"].map(team))
    timed["attendees"] = [
        _count(int(n), g if isinstance(g, str) else None) for n, g in zip(timed["attendee_count"], timed["group"])
    ]
    timed["start_utc"] = to_utc(timed["local_start"], timed["zone"])
    timed["end_utc"] = to_utc(timed["local_end"], timed["zone"])
    timed["instance_utc"] = to_utc(timed["original_start"], timed["zone"])
    timed["all_day"] = False
    timed = timed[timed["start_utc"] < story.cutoff].reset_index(drop=True)

    days_off["zone"] = days_off["person_id"].map(zone)
    days_off["start_utc"] = to_utc(days_off["local_start"], days_off["zone"])
    days_off["end_utc"] = to_utc(days_off["local_end"], days_off["zone"])
    intended = pd.concat([
        pd.DataFrame({
            "person_id": timed["person_id"],
            "event_uid": timed["uid"] + "/" + timed["instance_utc"].dt.strftime("%Y%m%dT%H%M%SZ"),
            "start_utc": timed["start_utc"], "end_utc": timed["end_utc"], "all_day": False,
            "category": timed["category"], "attendee_count": timed["attendees"], "recurring": timed["recurring"],
            "response": timed["response"], "title": timed["title"], "attendee_roles": "",
            "attendee_teams": "",
        }),
        pd.DataFrame({
            "person_id": days_off["person_id"],
            "event_uid": days_off["uid"] + "/" + days_off["local_start"].dt.strftime("%Y-%m-%d"),
            "start_utc": days_off["start_utc"], "end_utc": days_off["end_utc"], "all_day": True, "category": "ooo",
            "attendee_count": 1, "recurring": False, "response": "accepted", "title": "Out of office",
            "attendee_roles": "", "attendee_teams": "",
        }),
    ], ignore_index=True)
    intended = intended[intended["start_utc"] < story.cutoff]
    intended = intended.sort_values(["person_id", "start_utc", "event_uid"], kind="stable").reset_index(drop=True)

    texts = _ics_texts(story, pms, series, timed, skipped, days_off, email, team, slug, zone, day_start)
    owners = [Owner(person, email[person], zone[person]) for person in pms["person_id"]]
    window = Window(datetime.combine(story.start, datetime.min.time(), UTC) - DAY.to_pytimedelta(),
                    story.cutoff.to_pydatetime().replace(tzinfo=UTC))
    return Calendars(owners, [texts[person] for person in pms["person_id"]], intended, window, roster_roles(roster),
                     roster_teams(roster))


def _ics_texts(story: Story, pms: pd.DataFrame, series: pd.DataFrame, timed: pd.DataFrame, skipped: pd.DataFrame,
               days_off: pd.DataFrame, email: pd.Series, team: pd.Series, slug: pd.Series, zone: pd.Series,
               day_start: pd.Timedelta) -> dict[str, str]:
    """Each PM's calendar export: series with their skipped days and overrides, one-offs, days off.

    Series and their overrides are written on the PM's clock (TZID); single events in UTC, as
    Google Calendar exports them.
    """
    parts: dict[str, list[str]] = {person: [] for person in pms["person_id"]}
    email, slug = email.to_dict(), slug.to_dict()

    # series: the master event of each, with its rule, skipped days and the owner's usual answer
    series = series.copy()
    series["title"] = series["title"].where(
        ~_team_series(series["series"]), series["title"] + " - " + series["person_id"].map(team))
    series["zone"] = series["person_id"].map(zone)
    series["local_start"] = series["first"] + day_start + series["slot"] * SLOT
    last_start = series["last"] + day_start + series["slot"] * SLOT
    series["until"] = to_utc(last_start, series["zone"]).dt.strftime("%Y%m%dT%H%M%SZ")
    leaves = series["person_id"].map(pms.set_index("person_id")["active_to"]).notna()
    series["finite"] = (series["runs_until"] <= story.cutoff) | leaves
    series["start"] = _stamp(series["local_start"])
    series["end"] = _stamp(series["local_start"] + series["length"] * SLOT)
    skipped = skipped.assign(text=_stamp(skipped["on"] + day_start + skipped["slot"] * SLOT))
    exdates = skipped.groupby(["person_id", "series"])["text"].agg(",".join).to_dict()
    columns = ["person_id", "series", "uid", "title", "zone", "start", "end", "every", "finite", "until", "attendee_count",
               "group", "response"]
    for person, key, uid, title, tz, start, end, every, finite, until, count, group, response in zip(
        *(series[column].tolist() for column in columns)
    ):
        rule = f"RRULE:FREQ=WEEKLY;INTERVAL={every}"
        if key == "standup":
            rule += ";BYDAY=MO,TU,WE,TH,FR"
        if finite:
            rule += f";UNTIL={until}"
        skips = exdates.get((person, key))
        parts[person].append(
            f"BEGIN:VEVENT\r\nUID:{uid}\r\nSUMMARY:{title}\r\n"
            f"DTSTART;TZID={tz}:{start}\r\nDTEND;TZID={tz}:{end}\r\n{rule}\r\n"
            + (f"EXDATE;TZID={tz}:{skips}\r\n" if skips else "")
            + _people_lines(email[person], slug[person], int(count), group if isinstance(group, str) else None, response)
            + "END:VEVENT\r\n"
        )

    # overrides of single occurrences (moved or declined), then one-offs
    written = timed[timed["override"] | ~timed["recurring"]].copy()
    local_times = written["recurring"].to_numpy()
    utc = "%Y%m%dT%H%M%SZ"
    written["start"] = np.where(local_times, _stamp(written["local_start"]), written["start_utc"].dt.strftime(utc))
    written["end"] = np.where(local_times, _stamp(written["local_end"]), written["end_utc"].dt.strftime(utc))
    written["original"] = _stamp(written["original_start"])
    columns = ["person_id", "uid", "recurring", "title", "zone", "start", "end", "original", "attendee_count", "group",
               "response"]
    for person, uid, recurring, title, tz, start, end, original, count, group, response in zip(
        *(written[column].tolist() for column in columns)
    ):
        if recurring:
            times = (f"RECURRENCE-ID;TZID={tz}:{original}\r\nSUMMARY:{title}\r\n"
                     f"DTSTART;TZID={tz}:{start}\r\nDTEND;TZID={tz}:{end}\r\n")
        else:
            times = f"SUMMARY:{title}\r\nDTSTART:{start}\r\nDTEND:{end}\r\n"
        parts[person].append(
            f"BEGIN:VEVENT\r\nUID:{uid}\r\n{times}"
            + _people_lines(email[person], slug[person], int(count), group if isinstance(group, str) else None, response)
            + "END:VEVENT\r\n"
        )

    first_day = days_off["local_start"].dt.strftime("%Y%m%d").tolist()
    after_day = days_off["local_end"].dt.strftime("%Y%m%d").tolist()
    for person, uid, first, after in zip(days_off["person_id"].tolist(), days_off["uid"].tolist(), first_day, after_day):
        parts[person].append(
            f"BEGIN:VEVENT\r\nUID:{uid}\r\nSUMMARY:Out of office\r\n"
            f"DTSTART;VALUE=DATE:{first}\r\nDTEND;VALUE=DATE:{after}\r\n"
            "TRANSP:TRANSPARENT\r\nX-MICROSOFT-CDO-BUSYSTATUS:OOF\r\nEND:VEVENT\r\n"
        )
    return {
        person: (
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Product Ops Health//Demo organisation//EN\r\n"
            f"CALSCALE:GREGORIAN\r\nX-WR-CALNAME:{email[person]}\r\nX-WR-TIMEZONE:{zone[person]}\r\n"
            + "".join(events) + "END:VCALENDAR\r\n"
        )
        for person, events in parts.items()
    }


# --- through the connector ------------------------------------------------------------------------

EVENT_ORDER = ["person_id", "start_utc", "event_uid"]
TITLE_ORDER = ["person_id", "event_uid"]
"""The order the tables come back in, whoever read them."""


def _read(task: tuple[str, Owner, Window, Settings, dict[str, str], dict[str, str]]
          ) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """One PM's calendar through the connector, in the tables' order, and the CPU seconds the connector took.

    Each calendar is put in order where it is read, on the workers side by side, so that their
    tables, one PM after another, need no sort at the end (`_in_order`).
    """
    began = time.process_time()
    text, owner, window, settings, roles, teams = task
    rows = ics_tables(text, owner, window, settings, source=SOURCE, roles=roles, teams=teams)
    seconds = time.process_time() - began
    return rows.events.sort_values(EVENT_ORDER, kind="stable"), rows.titles.sort_values(TITLE_ORDER, kind="stable"), seconds


def _in_order(frame: pd.DataFrame, keys: list[str]) -> bool:
    """Whether the rows already stand in the order of `keys` (ties allowed): a stable sort would
    leave them where they are, so it can be skipped (two million rows take seconds to sort)."""
    undecided = np.ones(max(len(frame) - 1, 0), dtype=bool)  # pairs of neighbours equal on the keys so far
    for key in keys:
        column = frame[key].array
        earlier, later = column[:-1], column[1:]
        if np.asarray(undecided & (later < earlier)).any():
            return False
        undecided &= np.asarray(later == earlier)
    return True


def _ordered(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    ordered = frame if _in_order(frame, keys) else frame.sort_values(keys, kind="stable")
    return ordered.reset_index(drop=True)


def _pool_context():
    """Fork on Linux (cheap: the workers start with everything imported) unless another thread could
    hold a lock the workers would inherit; otherwise spawn fresh interpreters."""
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


class CalendarReading:
    """Calendars being read by the connector, in worker processes or (one worker) on `result()`.

    Once the caller asks for the result it reads the calendars no worker has started yet itself,
    so no core idles while it waits. Results are in the PMs' order, whoever read them.
    """

    def __init__(self, tasks: list[tuple], pool: ProcessPoolExecutor | None):
        self.began = time.perf_counter()
        self.finished: list[float] = []
        self.cpu_seconds = 0.0
        self._tasks = tasks
        self._futures = [pool.submit(_read, task) for task in tasks] if pool else None
        for future in self._futures or []:
            future.add_done_callback(lambda _: self.finished.append(time.perf_counter()))

    @property
    def seconds(self) -> float:
        """From the start of the reading until the last calendar was read."""
        return max(self.finished, default=self.began) - self.began

    def result(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """`calendar_events` and `calendar_titles` of every PM, in the PMs' order whoever read them."""
        if self._futures is None:
            results = [_read(task) for task in self._tasks]
            self.finished.append(time.perf_counter())
        else:
            # this process is free now: it reads, from the back, the calendars no worker has started
            done = {}
            for index in reversed(range(len(self._futures))):
                if self._futures[index].cancel():
                    done[index] = _read(self._tasks[index])
            self.finished.append(time.perf_counter())
            results = [done[index] if index in done else future.result() for index, future in enumerate(self._futures)]
        self.cpu_seconds = sum(seconds for _, _, seconds in results)
        events = _ordered(pd.concat([events for events, _, _ in results], ignore_index=True), EVENT_ORDER)
        titles = _ordered(pd.concat([titles for _, titles, _ in results], ignore_index=True), TITLE_ORDER)
        return events[list(TABLES["calendar_events"].columns)], titles[list(TABLES["calendar_titles"].columns)]


@contextmanager
def read_calendars(calendars: Calendars, settings: Settings, workers: int | None = None) -> Iterator[CalendarReading]:
    """Start reading every PM's ICS text with the calendar connector; `result()` gives the rows.

    ICS parsing dominates the demo's build, so the calendars are read by `workers` processes
    (default: two, or one on a one-core machine) while the caller generates the other sources.
    Results come back in the PMs' order, so the tables do not depend on how the work was split.
    """
    settings = demo_settings(settings)
    tasks = [(text, owner, calendars.window, settings, calendars.roles, calendars.teams)
             for text, owner in zip(calendars.texts, calendars.owners)]
    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    if workers <= 1:
        yield CalendarReading(tasks, None)
        return
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context())
    try:
        yield CalendarReading(tasks, pool)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
