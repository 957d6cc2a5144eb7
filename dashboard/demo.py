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

Everything is drawn from one seed, split into named streams (one per piece of the story), so
the same `today` gives identical tables and changing one piece leaves the others as they were.
"""
from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import NormalDist

import numpy as np
import pandas as pd

from dashboard.config import Settings
from dashboard.derive import refresh
from dashboard.periods import quarters_back
from dashboard.schema import TABLES
from dashboard.store import Store
from dashboard.teams import team_at

SEED = 20261126
SOURCE = "demo"
RAMP_DAYS = 270
"""How long product ops takes to bed in: its effects grow linearly over this many days."""
SURVEY_SALT = "demo-pulse-salt"
ZONES = ("Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles")
ZONE_WEIGHTS = (0.35, 0.30, 0.25, 0.10)
DAY = pd.Timedelta(days=1)
HOUR = pd.Timedelta(hours=1)
SLOT = pd.Timedelta(minutes=30)
WEEKDAYS = 5

GROUPS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "Growth": ("Europe/London", [("Activation", "ACT"), ("Onboarding", "ONB"), ("Retention", "RET"), ("Referrals", "RFL")]),
    "Core Platform": ("Europe/Berlin", [
        ("Identity", "IDN"), ("Notifications", "NTF"), ("Search", "SRCH"), ("API Platform", "APIP")]),
    "Payments": ("Europe/London", [("Checkout", "CKO"), ("Billing", "BIL"), ("Payouts", "PAYO"), ("Fraud & Risk", "FRD")]),
    "Marketplace": ("America/New_York", [
        ("Listings", "LST"), ("Discovery", "DSC"), ("Trust & Safety", "TNS"), ("Seller Tools", "SEL")]),
    "Mobile": ("Europe/Berlin", [("iOS", "IOS"), ("Android", "AND"), ("Mobile Foundations", "MFN"), ("Mobile Web", "MWEB")]),
    "Data & AI": ("America/Los_Angeles", [
        ("Recommendations", "REC"), ("Analytics Platform", "ANL"), ("ML Platform", "MLP"), ("Experimentation", "EXP")]),
}
"""Group name to (home time zone, [(team name, Jira project key)])."""
SLIPPING_GROUP = "Payments"
SILENT_TEAM = "mobile-android"

FIRST_NAMES = (
    "Amara", "Ben", "Chloe", "Dev", "Elena", "Felix", "Grace", "Hiro", "Isla", "Jonas", "Kemi", "Liam",
    "Maya", "Nikolai", "Olivia", "Priya", "Quentin", "Rosa", "Sami", "Tara", "Umar", "Vera", "Wen", "Ximena",
    "Yusuf", "Zoe", "Aditi", "Bruno", "Carmen", "Dmitri", "Emeka", "Freya", "Gabriel", "Hannah", "Ines",
    "Jamal", "Katja", "Leon", "Mei", "Noah", "Oskar", "Paula", "Rahul", "Sofia", "Tomás", "Uma",
)
LAST_NAMES = (
    "Adeyemi", "Becker", "Carter", "Dubois", "Eriksen", "Fischer", "Garcia", "Hughes", "Ito", "Jansen",
    "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor", "Patel", "Quinn", "Rossi", "Schneider",
    "Tanaka", "Ulrich", "Varga", "Walsh", "Xu", "Yilmaz", "Zimmermann", "Ahmed", "Brennan", "Costa",
    "Novak", "Fernandes", "Kim", "Larsen", "Mensah", "Olsen", "Reyes", "Singh", "Weber", "Murphy", "Chen",
)


# --- plumbing ------------------------------------------------------------------------------

def _rng(stream: str) -> np.random.Generator:
    """A generator for one piece of the story, seeded from SEED and the stream's name."""
    digest = hashlib.sha256(f"{SEED}:{stream}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def _hash_titles(titles: pd.Series) -> pd.Series:
    """sha1 of each title, computed once per distinct title."""
    distinct = {title: _sha1(title) for title in pd.unique(titles)}
    return titles.map(distinct)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _monday_on_or_after(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7)


def _to_utc(local: pd.Series, zones: pd.Series) -> pd.Series:
    """Naive wall-clock times in each row's zone as naive UTC."""
    local = pd.to_datetime(local).astype("datetime64[us]")
    out = pd.Series(pd.NaT, index=local.index, dtype="datetime64[us]")
    for zone in sorted(pd.unique(zones)):
        mask = (zones == zone).to_numpy()
        index = pd.DatetimeIndex(local[mask])
        converted = index.tz_localize(zone, ambiguous=np.zeros(mask.sum(), bool), nonexistent="shift_forward")
        out[mask] = converted.tz_convert("UTC").tz_localize(None).to_numpy()
    return out


def _timestamps(values) -> pd.Series:
    return pd.Series(pd.to_datetime(values)).dt.round("s").astype("datetime64[us]").reset_index(drop=True)


def _dates(values) -> pd.Series:
    """Dates as `datetime.date` objects (None where missing), the way the canonical tables hold them."""
    stamps = pd.Series(pd.to_datetime(values)).reset_index(drop=True)
    return pd.Series([None if pd.isna(v) else v.date() for v in stamps], dtype=object)


def _business_time(rng: np.random.Generator, days: pd.Series, start_hour: float = 9, hours: float = 8) -> pd.Series:
    """A random minute inside working hours on each day."""
    minutes = rng.integers(0, int(hours * 60), len(days))
    return pd.to_datetime(days).reset_index(drop=True) + pd.to_timedelta(start_hour * 60 + minutes, unit="min")


def _canonical(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Exactly the columns of the canonical table, in its order."""
    return frame[list(TABLES[table].columns)].reset_index(drop=True)


# --- the story's dates --------------------------------------------------------------------

@dataclass(frozen=True)
class Story:
    """The dates the story turns on, all derived from `today`."""

    start: date
    today: date
    founded: date
    reorg: date
    portal: date
    release_process: date
    silent_since: date

    @property
    def cutoff(self) -> pd.Timestamp:
        """The end of `today`: nothing happens at or after it."""
        return pd.Timestamp(self.today + timedelta(days=1))

    def progress(self, when) -> np.ndarray:
        """How far product ops has got at each time: 0 before it is founded, 1 once it has bedded in."""
        days = (pd.to_datetime(when) - pd.Timestamp(self.founded)) / DAY
        return np.clip(np.asarray(days, dtype=float) / RAMP_DAYS, 0, 1)

    def portal_effect(self, when) -> np.ndarray:
        """0 before the insights portal launches, 1 a month after."""
        days = (pd.to_datetime(when) - pd.Timestamp(self.portal)) / DAY
        return np.clip(np.asarray(days, dtype=float) / 30, 0, 1)


def make_story(today: date) -> Story:
    def quarter(back: int) -> date:
        return quarters_back(today, back + 1)

    return Story(
        start=quarter(7),
        today=today,
        founded=quarter(5),
        reorg=_monday_on_or_after(quarter(4) + timedelta(days=4)),
        portal=_monday_on_or_after(quarter(3) + timedelta(days=40)),
        release_process=_monday_on_or_after(quarter(2) + timedelta(days=10)),
        silent_since=quarter(2) + timedelta(days=21),
    )


def make_annotations(story: Story) -> pd.DataFrame:
    return pd.DataFrame({
        "on_date": [story.founded, story.reorg, story.portal, story.release_process],
        "scope": "org",
        "label": [
            "Product ops team founded",
            "Reorg: three PMs move between teams",
            "Self-serve insights portal launched",
            "New release process",
        ],
    })


# --- the organisation ---------------------------------------------------------------------

def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def make_org() -> pd.DataFrame:
    """The 24 teams with their group, Jira project key and home time zone."""
    rows = [
        (f"{_slug(group)}-{_slug(team)}", team, group, key, zone)
        for group, (zone, teams) in GROUPS.items()
        for team, key in teams
    ]
    return pd.DataFrame(rows, columns=["team_id", "name", "group_name", "project", "home_tz"])


def _zones(rng: np.random.Generator, home: np.ndarray, at_home: float) -> np.ndarray:
    """Mostly each person's home zone, otherwise one of the four office zones."""
    elsewhere = rng.choice(ZONES, size=len(home), p=ZONE_WEIGHTS)
    return np.where(rng.random(len(home)) < at_home, home, elsewhere)


def _seats(story: Story, org: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Two or three PM seats per team, 60 in all, filled since before the window."""
    sizes = np.full(len(org), 2)
    sizes[rng.permutation(len(org))[: len(org) // 2]] = 3
    seats = org.loc[org.index.repeat(sizes), ["team_id", "group_name", "home_tz"]].reset_index(drop=True)
    seats["seat"] = seats.groupby("team_id").cumcount()
    seats["tz"] = _zones(rng, seats["home_tz"].to_numpy(), at_home=0.8)
    seats["active_from"] = pd.Timestamp(story.start) - pd.to_timedelta(rng.integers(60, 1500, len(seats)), unit="D")
    seats["active_to"] = pd.NaT
    seats["previous_team"] = None
    return seats


def _hire_joiners(story: Story, seats: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Four seats (never a team's first) are filled by PMs who join on a Monday inside the window."""
    window = (story.today - story.start).days
    joiners = rng.choice(np.flatnonzero(seats["seat"] > 0), size=4, replace=False)
    joined = pd.Timestamp(story.start) + pd.to_timedelta(rng.integers(100, max(window - 60, 101), 4), unit="D")
    seats.loc[joiners, "active_from"] = [pd.Timestamp(_monday(day.date())) for day in joined]
    return joiners


def _move_in_reorg(seats: pd.DataFrame, org: pd.DataFrame, joiners: np.ndarray, rng: np.random.Generator) -> None:
    """Three PMs, in three groups, came to a three-PM team from a sister team at the reorg."""
    team_size = seats.groupby("team_id")["seat"].transform("size")
    movable = seats[(seats["seat"] > 0) & (team_size == 3) & ~seats.index.isin(joiners)].drop_duplicates("group_name")
    sizes = seats.groupby("team_id").size()
    for index in rng.choice(movable.index.to_numpy(), size=3, replace=False):
        mover = seats.loc[index]
        sisters = org[(org["group_name"] == mover["group_name"]) & (org["team_id"] != mover["team_id"])]
        small = sisters[sisters["team_id"].map(sizes) == 2]
        candidates = (small if len(small) else sisters)["team_id"].to_numpy()
        seats.loc[index, "previous_team"] = candidates[rng.integers(len(candidates))]


def _leavers(story: Story, seats: pd.DataFrame, replaced_by: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """The PMs who left the seats two joiners took, a few weeks before the joiners came."""
    leavers = seats.loc[replaced_by].copy()
    leavers["tz"] = leavers["home_tz"]
    leavers["previous_team"] = None
    leavers["active_to"] = leavers["active_from"] - pd.to_timedelta(rng.integers(14, 45, len(leavers)), unit="D")
    leavers["active_from"] = pd.Timestamp(story.start) - pd.to_timedelta(rng.integers(200, 1500, len(leavers)), unit="D")
    return leavers


def make_pms(story: Story, org: pd.DataFrame) -> pd.DataFrame:
    """Sixty PMs in post today, after four joined, two left and three moved team in the reorg."""
    rng = _rng("pms")
    seats = _seats(story, org, rng)
    joiners = _hire_joiners(story, seats, rng)
    _move_in_reorg(seats, org, joiners, rng)
    pms = pd.concat([seats, _leavers(story, seats, joiners[:2], rng)], ignore_index=True)
    pms["role"] = "pm"
    return pms.drop(columns=["seat", "home_tz", "group_name"])


def make_ops(story: Story) -> pd.DataFrame:
    """Twelve operations people, outside the product teams, there for the whole window."""
    rng = _rng("ops")
    count = 12
    return pd.DataFrame({
        "team_id": None,
        "tz": _zones(rng, np.full(count, "Europe/London", dtype=object), at_home=0.5),
        "active_from": pd.Timestamp(story.start) - pd.to_timedelta(rng.integers(30, 900, count), unit="D"),
        "active_to": pd.NaT,
        "previous_team": None,
        "role": "ops",
    })


def make_leaders(story: Story, org: pd.DataFrame) -> pd.DataFrame:
    """A leader per group, sitting with the group's first team, and a VP over all of them."""
    rng = _rng("leaders")
    heads = org.drop_duplicates("group_name")
    return pd.DataFrame({
        "team_id": list(heads["team_id"]) + [None],
        "tz": list(heads["home_tz"]) + ["Europe/London"],
        "active_from": pd.Timestamp(story.start) - pd.to_timedelta(rng.integers(300, 2000, len(heads) + 1), unit="D"),
        "active_to": pd.NaT,
        "previous_team": None,
        "role": "leader",
    })


def make_roster(story: Story, org: pd.DataFrame) -> pd.DataFrame:
    """Everyone, with ids, generated names and emails; `previous_team` marks the reorg movers."""
    rng = _rng("names")
    roster = pd.concat([make_pms(story, org), make_ops(story), make_leaders(story, org)], ignore_index=True)
    picks = rng.choice(len(FIRST_NAMES) * len(LAST_NAMES), size=len(roster), replace=False)
    first = [FIRST_NAMES[i // len(LAST_NAMES)] for i in picks]
    last = [LAST_NAMES[i % len(LAST_NAMES)] for i in picks]
    roster["person_id"] = [f"p{i + 1:03d}" for i in range(len(roster))]
    roster["name"] = [f"{f} {l}" for f, l in zip(first, last)]
    roster["email"] = [f"{_ascii(f)}.{_ascii(l)}@example.com" for f, l in zip(first, last)]
    roster["active_from"] = pd.to_datetime(roster["active_from"]).astype("datetime64[us]")
    roster["active_to"] = pd.to_datetime(roster["active_to"]).astype("datetime64[us]")
    return roster


def _ascii(name: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", name.lower()) if c.isascii() and c.isalpha())


def people_table(roster: pd.DataFrame) -> pd.DataFrame:
    people = roster.assign(active_from=_dates(roster["active_from"]), active_to=_dates(roster["active_to"]))
    return _canonical("people", people)


def make_memberships(story: Story, roster: pd.DataFrame) -> pd.DataFrame:
    """Team history of every PM and leader; a reorg mover has two rows split at the reorg date."""
    members = roster[roster["role"].isin(["pm", "leader"])]
    movers = members[members["previous_team"].notna()]
    reorg = pd.Timestamp(story.reorg)
    before = pd.DataFrame({
        "person_id": movers["person_id"], "team_id": movers["previous_team"], "role": movers["role"],
        "valid_from": movers["active_from"], "valid_to": reorg,
    })
    current = pd.DataFrame({
        "person_id": members["person_id"], "team_id": members["team_id"], "role": members["role"],
        "valid_from": members["active_from"].where(members["previous_team"].isna(), reorg),
        "valid_to": members["active_to"],
    })
    history = pd.concat([before, current]).sort_values(["person_id", "valid_from"], kind="stable")
    history["valid_from"] = _dates(history["valid_from"]).to_numpy()
    history["valid_to"] = _dates(history["valid_to"]).to_numpy()
    return _canonical("memberships", history)


def _members_at(memberships: pd.DataFrame, asked: pd.DataFrame, on: str, role: str = "pm") -> pd.DataFrame:
    """`asked` joined to the people of its `team_id` who held a `role` membership on its `on` date."""
    held = memberships[memberships["role"] == role][["person_id", "team_id", "valid_from", "valid_to"]].copy()
    held["valid_from"] = pd.to_datetime(held["valid_from"])
    held["valid_to"] = pd.to_datetime(held["valid_to"]).fillna(pd.Timestamp("2999-12-31"))
    joined = asked.merge(held, on="team_id", how="left")
    when = pd.to_datetime(joined[on])
    return joined[(when >= joined["valid_from"]) & (when < joined["valid_to"])]


# --- calendars ----------------------------------------------------------------------------

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


SERIES = (
    Series("standup", "Daily standup", "overhead", 1, True, (6, 10), "kept"),
    Series("status-sync", "Weekly status sync", "overhead", 2, False, (5, 12), "kept"),
    Series("sprint-review", "Sprint review", "overhead", 2, False, (8, 15), "kept"),
    Series("grooming", "Backlog grooming", "overhead", 3, False, (4, 8), "kept"),
    Series("stakeholder-update", "Stakeholder status update", "overhead", 2, False, (6, 20), "retired"),
    Series("dependency-sync", "Cross-team dependency sync", "overhead", 2, False, (6, 14), "retired"),
    Series("release-readiness", "Release readiness review", "overhead", 2, False, (6, 12), "retired"),
    Series("roadmap-reporting", "Roadmap status reporting", "overhead", 2, False, (4, 10), "retired"),
    Series("manager-1on1", "1:1 with manager", "one_on_one", 1, False, (2, 2), "kept"),
    Series("customer-call", "Weekly customer call", "strategy", 2, False, (2, 4), "introduced"),
    Series("strategy-review", "Product strategy review", "strategy", 2, False, (4, 8), "introduced"),
)


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


ADHOC = (
    AdHoc("overhead", (4.5, 2.2), (1, 2, 3), (0.3, 0.5, 0.2), (0.3, 0.5, 0.2), (3, 10),
          ("Ad-hoc reporting request", "Status deck review", "Escalation call", "Metrics pull for leadership",
           "Process alignment")),
    AdHoc("strategy", (3.0, 4.5), (2, 3, 4), (0.4, 0.4, 0.2), (0.4, 0.4, 0.2), (2, 8),
          ("Customer interview", "Roadmap workshop", "Discovery session", "Opportunity sizing", "Competitive review")),
    AdHoc("one_on_one", (1.0, 1.0), (1,), (1.0,), (1.0,), (2, 2),
          ("1:1 with engineering lead", "1:1 with design lead", "Skip-level")),
    AdHoc("enablement", (0.0, 1.0), (2, 3), (0.6, 0.4), (0.6, 0.4), (8, 30),
          ("Enablement: experiment design", "Enablement: self-serve insights", "Product ops office hours",
           "Enablement: release process")),
    AdHoc("other", (1.0, 1.0), (1, 2), (0.5, 0.5), (0.5, 0.5), (3, 60),
          ("All hands", "Hiring interview", "Lunch & learn", "Team social")),
    AdHoc("focus", (1.5, 2.5), (3, 4, 5, 6), (0.4, 0.6, 0.0, 0.0), (0.0, 0.3, 0.3, 0.4), (1, 1), ("Focus time",)),
)
DOUBLE_BOOKED = 0.04
"""Share of one-off meetings booked over something else, as real calendars have."""


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
    mondays = pd.date_range(_monday(story.start), story.today, freq="7D").astype("datetime64[us]")
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
    rng = _rng("ooo")
    days = pd.DatetimeIndex((weeks["week"].to_numpy()[:, None] + np.arange(WEEKDAYS) * np.timedelta64(1, "D")).ravel())
    closure = (((days.month == 12) & (days.day >= 24)) | ((days.month == 1) & (days.day == 1))).reshape(-1, WEEKDAYS)
    count = len(weeks)
    vacation = rng.random(count) < 0.06
    single = np.zeros((count, WEEKDAYS), dtype=bool)
    single[np.arange(count), rng.integers(0, WEEKDAYS, count)] = rng.random(count) < 0.10
    return employed & (closure | vacation[:, None] | single)


def _series_template(story: Story, pms: pd.DataFrame, slots: int) -> pd.DataFrame:
    """Where each PM's weekly series sit in the week (fixed once, so a series keeps its slot) and when it runs."""
    rng = _rng("series")
    count = len(pms)
    occupied = np.zeros((count, WEEKDAYS, slots), dtype=bool)
    everyone = np.arange(count)
    open_days = np.ones((count, WEEKDAYS), dtype=bool)
    founded = pd.Timestamp(story.founded)
    frames = []
    for series in SERIES:
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
        frames.append(pd.DataFrame({
            "person_id": pms["person_id"].to_numpy()[rows],
            "series": series.key,
            "title": series.title,
            "category": series.category,
            "day": days,
            "slot": slot,
            "length": series.slots,
            "attendee_count": rng.integers(lo, hi + 1, count)[rows],
            "runs_from": runs_from[rows],
            "runs_until": runs_until[rows],
        }))
    return pd.concat(frames, ignore_index=True)


def _recurring(story: Story, weeks: pd.DataFrame, open_days: np.ndarray, occupied: np.ndarray, slots: int) -> pd.DataFrame:
    """The occurrences of every weekly series on the days each PM is in; marks them as busy time."""
    template = _series_template(story, weeks.drop_duplicates("person_id"), slots)
    occurrences = weeks[["person_id", "week"]].assign(pw=np.arange(len(weeks))).merge(template, on="person_id")
    on = occurrences["week"] + pd.to_timedelta(occurrences["day"], unit="D")
    running = (on >= occurrences["runs_from"]) & (on < occurrences["runs_until"])
    attending = open_days[occurrences["pw"].to_numpy(), occurrences["day"].to_numpy()]
    occurrences = occurrences[running.to_numpy() & attending].reset_index(drop=True)
    _mark(occupied, occurrences["pw"].to_numpy(), occurrences["day"].to_numpy(), occurrences["slot"].to_numpy(),
          occurrences["length"].to_numpy())
    occurrences["recurring"] = True
    occurrences["free"] = True
    occurrences["uid"] = occurrences["person_id"] + "-" + occurrences["series"]
    return occurrences


def _one_offs(story: Story, weeks: pd.DataFrame, open_days: np.ndarray, occupied: np.ndarray) -> pd.DataFrame:
    """One-off meetings and focus blocks, drawn per PM-week and fitted around what is already there.

    Events are placed in rounds, one per PM-week per round, so each round is one vectorised
    step. Focus blocks go last and only into free time; a meeting that finds no free time is
    booked over something else.
    """
    rng = _rng("one-offs")
    progress = story.progress(weeks["week"] + 2 * DAY)
    share_open = open_days.sum(axis=1) / WEEKDAYS
    frames = []
    for kind in ADHOC:
        before, after = kind.per_week
        counts = rng.poisson((before + (after - before) * progress) * share_open)
        pw = np.repeat(np.arange(len(weeks)), counts)
        late = rng.random(len(pw)) < progress[pw]
        length = np.where(
            late,
            rng.choice(kind.slots, size=len(pw), p=kind.weights_after),
            rng.choice(kind.slots, size=len(pw), p=kind.weights_before),
        )
        lo, hi = kind.attendees
        frames.append(pd.DataFrame({
            "pw": pw,
            "category": kind.category,
            "title": np.asarray(kind.titles, dtype=object)[rng.integers(0, len(kind.titles), len(pw))],
            "length": length,
            "attendee_count": rng.integers(lo, hi + 1, len(pw)),
        }))
    events = pd.concat(frames, ignore_index=True)
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
    events["person_id"] = weeks["person_id"].to_numpy()[events["pw"].to_numpy()]
    events["week"] = weeks["week"].to_numpy()[events["pw"].to_numpy()]
    events["uid"] = events["person_id"] + "-" + events["week"].dt.strftime("%Y%m%d") + "-" + events["rank"].astype(str)
    return events


def _responses(rng: np.random.Generator, events: pd.DataFrame) -> np.ndarray:
    """Mostly accepted; a clash is often declined or left tentative; self-holds are always accepted."""
    u = rng.random(len(events))
    clash = ~events["free"].to_numpy()
    declined = np.where(clash, 0.4, 0.03)
    tentative = declined + np.where(clash, 0.3, 0.04)
    response = np.where(u < declined, "declined", np.where(u < tentative, "tentative", "accepted"))
    self_hold = events["category"].isin(["focus", "ooo"]).to_numpy()
    return np.where(self_hold, "accepted", response)


def _ooo_events(weeks: pd.DataFrame, ooo: np.ndarray) -> pd.DataFrame:
    pw, day = np.nonzero(ooo)
    days = weeks["week"].to_numpy()[pw] + day * np.timedelta64(1, "D")
    zones = pd.Series(weeks["tz"].to_numpy()[pw])
    start = _to_utc(pd.Series(days), zones)
    end = _to_utc(pd.Series(days + np.timedelta64(1, "D")), zones)
    person = pd.Series(weeks["person_id"].to_numpy()[pw])
    return pd.DataFrame({
        "person_id": person,
        "start_utc": start,
        "end_utc": end,
        "all_day": True,
        "category": "ooo",
        "attendee_count": 1,
        "recurring": False,
        "title": "Out of office",
        "uid": person + "-ooo-" + pd.Series(days).dt.strftime("%Y%m%d"),
        "free": True,
    })


def make_calendar_events(story: Story, roster: pd.DataFrame, org: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """PM calendars: weekly series, one-off meetings, focus blocks and days off, in local working hours.

    The rows carry their made-up `title` besides the canonical columns; only its hash is stored
    unless titles are kept.
    """
    rng = _rng("calendar")
    hours = settings.working_hours
    slots = int(hours.hours_per_day * 2)
    day_start = pd.Timedelta(hours=hours.start.hour, minutes=hours.start.minute)
    pms = roster[roster["role"] == "pm"].assign(team_name=lambda f: f["team_id"].map(org.set_index("team_id")["name"]))
    weeks, employed = _calendar_weeks(story, pms)
    ooo = _out_of_office(weeks, employed)
    open_days = employed & ~ooo
    occupied = ~open_days[:, :, None].repeat(slots, axis=2)

    timed = pd.concat([
        _recurring(story, weeks, open_days, occupied, slots),
        _one_offs(story, weeks, open_days, occupied),
    ], ignore_index=True)
    local = timed["week"] + pd.to_timedelta(timed["day"], unit="D") + day_start + timed["slot"] * SLOT
    zones = timed["person_id"].map(pms.set_index("person_id")["tz"])
    timed["start_utc"] = _to_utc(local, zones)
    timed["end_utc"] = timed["start_utc"] + timed["length"] * SLOT
    timed["all_day"] = False
    team = timed["person_id"].map(pms.set_index("person_id")["team_name"])
    timed["title"] = timed["title"].where(~timed["recurring"], timed["title"] + " - " + team)

    events = pd.concat([timed, _ooo_events(weeks, ooo)], ignore_index=True)
    events = events[events["start_utc"] < story.cutoff]
    events = events.sort_values(["person_id", "start_utc", "uid"], kind="stable").reset_index(drop=True)
    events["response"] = _responses(rng, events)
    events["source"] = SOURCE
    events["event_uid"] = events["uid"] + "@demo.example.com"
    events["title_hash"] = _hash_titles(events["title"])
    events["attendee_count"] = events["attendee_count"].astype("int32")
    events["start_utc"] = _timestamps(events["start_utc"])
    events["end_utc"] = _timestamps(events["end_utc"])
    return events


def calendar_titles_table(events: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Titles, one per event uid and owner, only when the config asks for them to be kept."""
    if not settings.calendar.keep_titles:
        return _canonical("calendar_titles", events.iloc[:0])
    return _canonical("calendar_titles", events.drop_duplicates(["source", "event_uid", "person_id"]))


# --- releases -----------------------------------------------------------------------------

def _weekday(day: pd.Timestamp, forward: bool = True) -> pd.Timestamp:
    """The day itself if it is a weekday, else the next Monday (or the previous Friday)."""
    if day.weekday() < 5:
        return day
    return day + pd.Timedelta(days=7 - day.weekday()) if forward else day - pd.Timedelta(days=day.weekday() - 4)


def _days(rng: np.random.Generator, low: int, high: int) -> pd.Timedelta:
    """A whole number of days in [low, high)."""
    return pd.Timedelta(days=int(rng.integers(low, high)))


def _office_minute(rng: np.random.Generator) -> pd.Timedelta:
    """A minute between 09:00 and 17:00, as an offset from midnight."""
    return pd.Timedelta(minutes=int(rng.integers(9 * 60, 17 * 60)))


def _slipping_plans(first_plan: pd.Timestamp, created: pd.Timestamp, rng: np.random.Generator) -> tuple[pd.Timestamp, list]:
    """Re-planned 1-3 times, landing 5-20 days after the first plan and just after the last one."""
    released_on = _weekday(first_plan + _days(rng, 5, 21))
    replans = int(rng.integers(1, 4))
    schedule = [(created, first_plan)]
    for step in range(1, replans + 1):
        plan = first_plan + (released_on - first_plan) * step / replans
        if step == replans:
            plan -= _days(rng, 0, 3)
        previous_seen, previous_plan = schedule[-1]
        seen = max(previous_plan - _days(rng, 1, 5), previous_seen + pd.Timedelta(hours=6)).floor("min")
        schedule.append((seen + pd.Timedelta(minutes=int(rng.integers(0, 480))), _weekday(plan.normalize(), forward=False)))
    return released_on, schedule


def _usual_plans(
    first_plan: pd.Timestamp, created: pd.Timestamp, on_time: float, rng: np.random.Generator
) -> tuple[pd.Timestamp, list]:
    """On the first plan with probability `on_time`; otherwise 1-7 days late, often re-planned shortly before."""
    schedule = [(created, first_plan)]
    if rng.random() < on_time:
        return _weekday(first_plan - _days(rng, 0, 3), forward=False), schedule
    released_on = _weekday(first_plan + _days(rng, 1, 8))
    if rng.random() < 0.6:
        seen = first_plan - _days(rng, 1, 4) + _office_minute(rng)
        schedule.append((max(seen, created + pd.Timedelta(hours=6)), released_on))
    return released_on, schedule


def _team_releases(story: Story, team: pd.Series, rng: np.random.Generator) -> tuple[list[dict], list[dict]]:
    """One team's releases every 2-4 weeks with every plan observed so far, until two are still to ship.

    A version is created a few days before its cycle starts; the next two versions already
    exist today, whatever their start.
    """
    slipping = team["group_name"] == SLIPPING_GROUP
    cadence = int(rng.choice([21, 28] if slipping else [14, 21, 28]))
    today = pd.Timestamp(story.today)
    first_plan = _weekday(pd.Timestamp(story.start) + _days(rng, 3, cadence))
    releases, plans = [], []
    unreleased, per_year = 0, {}
    while unreleased < 2:
        start = first_plan - pd.Timedelta(days=cadence)
        created = start - _days(rng, 2, 10) + _office_minute(rng)
        if first_plan > today:
            created = min(created, today - _days(rng, 1, 6) + _office_minute(rng))
        if slipping:
            released_on, schedule = _slipping_plans(first_plan, created, rng)
        else:
            on_time = 0.93 if first_plan >= pd.Timestamp(story.release_process) else 0.86
            released_on, schedule = _usual_plans(first_plan, created, on_time, rng)
        observed = [(seen, plan) for seen, plan in schedule if seen < story.cutoff]
        released = released_on <= today
        unreleased += not released
        per_year[first_plan.year] = per_year.get(first_plan.year, 0) + 1
        release_id = f"{team['project']}-{10000 + len(releases) + 1}"
        releases.append({
            "release_id": release_id,
            "project": team["project"],
            "team_id": team["team_id"],
            "name": f"{team['project']} {first_plan.year}.{per_year[first_plan.year]}",
            "start_date": start,
            "planned_date": observed[-1][1],
            "released": released,
            "released_on": released_on if released else pd.NaT,
            "archived": bool(released and released_on < today - pd.Timedelta(days=270) and rng.random() < 0.6),
            "day": released_on if released else observed[-1][1],
        })
        plans += [{"release_id": release_id, "observed_at": seen, "planned_date": plan} for seen, plan in observed]
        first_plan = _weekday(first_plan + pd.Timedelta(days=cadence) + _days(rng, -2, 4))
    return releases, plans


def make_releases(story: Story, org: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Releases of every team and the plans observed for them; `day` (kept off the table) is when each lands."""
    rng = _rng("releases")
    releases, plans = [], []
    for _, team in org.iterrows():
        team_releases, team_plans = _team_releases(story, team, rng)
        releases += team_releases
        plans += team_plans
    return pd.DataFrame(releases), pd.DataFrame(plans)


def releases_table(releases: pd.DataFrame) -> pd.DataFrame:
    return _canonical("releases", releases.assign(
        start_date=_dates(releases["start_date"]),
        planned_date=_dates(releases["planned_date"]),
        released_on=_dates(releases["released_on"]),
    ))


def release_plans_table(plans: pd.DataFrame) -> pd.DataFrame:
    return _canonical("release_plans", plans.assign(
        observed_at=_timestamps(plans["observed_at"]), planned_date=_dates(plans["planned_date"]),
    ))


# --- work items ---------------------------------------------------------------------------

OPEN_STATUS = {"To Do": "new", "In Progress": "indeterminate", "Done": "done"}


def _release_work(story: Story, releases: pd.DataFrame, memberships: pd.DataFrame) -> pd.DataFrame:
    """10-30 stories, bugs and tasks per release, created 10-60 days before it and resolved just before it lands."""
    rng = _rng("release-work")
    counts = rng.integers(10, 31, len(releases))
    columns = ["project", "team_id", "name", "day", "released"]
    items = releases.loc[releases.index.repeat(counts), columns].reset_index(drop=True)
    day = pd.to_datetime(items["day"])
    items["created"] = _business_time(rng, day - pd.to_timedelta(rng.integers(10, 61, len(items)), unit="D"), 8, 9)
    items["done_by"] = _business_time(rng, day - pd.to_timedelta(rng.integers(0, 5, len(items)), unit="D"), 8, 9)
    items = items[items["created"] < story.cutoff - HOUR].reset_index(drop=True)
    released = items["released"].to_numpy()
    state = np.where(released, "Done", rng.choice(["Done", "In Progress", "To Do"], size=len(items), p=[0.4, 0.35, 0.25]))
    span = (story.cutoff - items["created"]) * rng.uniform(0.2, 0.95, len(items))
    resolved = np.where(released, np.maximum(items["done_by"], items["created"] + 4 * HOUR), items["created"] + span)
    items["resolved"] = pd.Series(resolved).where(state == "Done")
    items["status"] = state
    items["kind"] = "work"
    items["type"] = rng.choice(["Story", "Bug", "Task"], size=len(items), p=[0.5, 0.3, 0.2])
    items["labels"] = [[] if u < 0.6 else [label] for u, label in zip(
        rng.random(len(items)), rng.choice(["frontend", "backend", "tech-debt", "customer"], size=len(items)))]
    items["components"] = [[] if u < 0.5 else [component] for u, component in zip(
        rng.random(len(items)), rng.choice(["Web", "API", "Backend", "Design System"], size=len(items)))]
    items["fix_versions"] = [[name] for name in items["name"]]
    items["due_date"] = None
    reporters = _pick_member(rng, memberships, items[["team_id", "created"]])
    items["reporter_id"] = reporters.where(rng.random(len(items)) < 0.7)
    items["assignee_id"] = reporters.where(rng.random(len(items)) < 0.2)
    return items


def _pick_member(rng: np.random.Generator, memberships: pd.DataFrame, asked: pd.DataFrame) -> pd.Series:
    """A random PM of each row's `team_id` on its `created` date."""
    asked = asked.assign(row=np.arange(len(asked)), draw=rng.random(len(asked)))
    held = _members_at(memberships, asked, "created").sort_values(["row", "person_id"], kind="stable")
    held["n"] = held.groupby("row")["person_id"].transform("size")
    held["i"] = held.groupby("row").cumcount()
    chosen = held[held["i"] == (held["draw"] * held["n"]).astype(int)].set_index("row")["person_id"]
    return pd.Series(chosen.reindex(np.arange(len(asked))).to_numpy(), dtype=object)


def _data_requests(story: Story, roster: pd.DataFrame) -> pd.DataFrame:
    """Ad-hoc data and insight requests: ~3.5 per PM-month before the portal, ~1.2 after, fulfilled faster after."""
    rng = _rng("data-requests")
    pms = roster[roster["role"] == "pm"]
    days = pd.bdate_range(story.start, story.today)
    grid = pms[["person_id", "tz", "active_from", "active_to"]].merge(pd.DataFrame({"day": days}), how="cross")
    grid = grid[(grid["day"] >= grid["active_from"]) & ~(grid["day"] >= grid["active_to"])].reset_index(drop=True)
    appetite = pd.Series(rng.lognormal(0, 0.25, len(pms)), index=pms["person_id"].to_numpy())
    per_month = 3.5 + (1.2 - 3.5) * story.portal_effect(grid["day"])
    counts = rng.poisson(per_month / 21.75 * grid["person_id"].map(appetite).to_numpy())
    asks = grid.loc[grid.index.repeat(counts)].reset_index(drop=True)
    created = _to_utc(_business_time(rng, asks["day"]), asks["tz"])
    asks = asks.assign(created=created.to_numpy())[created.to_numpy() < story.cutoff].reset_index(drop=True)
    median_days = 6 + (3 - 6) * story.portal_effect(asks["created"])
    resolved = asks["created"] + pd.to_timedelta(rng.lognormal(np.log(median_days), 0.7) * 86400, unit="s")
    done = resolved < story.cutoff
    ops = roster.loc[roster["role"] == "ops", "person_id"].to_numpy()
    return pd.DataFrame({
        "project": "DATA",
        "kind": "data_request",
        "type": "Data Request",
        "created": asks["created"],
        "resolved": resolved.where(done),
        "status": np.where(done, "Done", rng.choice(["In Progress", "To Do"], size=len(asks), p=[0.6, 0.4])),
        "reporter_id": asks["person_id"],
        "assignee_id": pd.Series(ops[rng.integers(0, len(ops), len(asks))]).where(rng.random(len(asks)) < 0.6),
        "labels": [["data-request"] for _ in range(len(asks))],
        "components": [[] if u < 0.5 else ["Insights"] for u in rng.random(len(asks))],
        "fix_versions": [[] for _ in range(len(asks))],
        "due_date": None,
    })


def _checkin_tickets(checkins: pd.DataFrame) -> pd.DataFrame:
    """The CHK ticket behind each submitted check-in, resolved when it was submitted."""
    rng = _rng("checkin-tickets")
    sent = checkins[checkins["submitted_at"].notna()].reset_index(drop=True)
    due = pd.to_datetime(sent["due_at"])
    created = due - pd.to_timedelta(rng.integers(2 * 24 * 60, 6 * 24 * 60, len(sent)), unit="min")
    return pd.DataFrame({
        "key": sent["ref"],
        "project": "CHK",
        "kind": "checkin",
        "type": "Task",
        "created": created,
        "resolved": sent["submitted_at"],
        "status": "Done",
        "reporter_id": sent["owner_id"],
        "assignee_id": sent["owner_id"],
        "labels": [[kind.replace("_", "-")] for kind in sent["kind"]],
        "components": [[] for _ in range(len(sent))],
        "fix_versions": [[] for _ in range(len(sent))],
        "due_date": _dates(due),
    })


TRANSITIONS = {
    1: [("To Do", "In Progress")],
    2: [("To Do", "In Progress"), ("In Progress", "Done")],
    3: [("To Do", "In Progress"), ("In Progress", "In Review"), ("In Review", "Done")],
    4: [("To Do", "In Progress"), ("In Progress", "In Review"), ("In Review", "In Progress"), ("In Progress", "Done")],
}


def make_transitions(story: Story, items: pd.DataFrame) -> pd.DataFrame:
    """2-4 status changes for each resolved item, the last one at its resolution; one for an item in progress."""
    rng = _rng("transitions")
    done = items["resolved"].notna().to_numpy()
    steps = np.where(done, rng.integers(2, 5, len(items)), (items["status"] == "In Progress").to_numpy().astype(int))
    row = np.repeat(np.arange(len(items)), steps)
    step = pd.Series(row).groupby(row).cumcount().to_numpy()
    total = steps[row]
    created = items["created"].to_numpy()[row]
    in_progress_until = np.minimum(items["created"] + 10 * DAY, story.cutoff).to_numpy()
    end = np.where(done, items["resolved"].to_numpy(), in_progress_until)[row]
    gaps = 0.2 + rng.exponential(1.0, len(row))
    share = pd.Series(gaps).groupby(row).cumsum().to_numpy() / pd.Series(gaps).groupby(row).transform("sum").to_numpy()
    share = np.where(done[row], share, share * rng.uniform(0.05, 0.6, len(row)))
    at = created + (end - created) * share
    lookup = {(n, i): pair for n, pairs in TRANSITIONS.items() for i, pair in enumerate(pairs)}
    pairs = [lookup[(n, i)] for n, i in zip(total, step)]
    return pd.DataFrame({
        "item_id": items["item_id"].to_numpy()[row],
        "at": _timestamps(at),
        "field": "status",
        "from_value": [p[0] for p in pairs],
        "to_value": [p[1] for p in pairs],
    })


def make_work_items(story: Story, releases: pd.DataFrame, roster: pd.DataFrame, memberships: pd.DataFrame,
                    checkins: pd.DataFrame) -> pd.DataFrame:
    """Release work, data requests and check-in tickets, numbered the way Jira would: by creation."""
    items = pd.concat([
        _release_work(story, releases, memberships).drop(columns=["team_id", "name", "day", "released", "done_by"]),
        _data_requests(story, roster),
        _checkin_tickets(checkins),
    ], ignore_index=True)
    items["created"] = _timestamps(items["created"])
    items["resolved"] = _timestamps(items["resolved"])
    items = items.sort_values(["created", "project"], kind="stable").reset_index(drop=True)
    items["item_id"] = (10001 + np.arange(len(items))).astype(str)
    numbered = items["project"] + "-" + (items.groupby("project").cumcount() + 1).astype(str)
    items["key"] = items["key"].where(items["key"].notna(), numbered)
    items["status_category"] = items["status"].map(OPEN_STATUS)
    items["source"] = SOURCE
    items["parent_key"] = None
    items["due_date"] = items["due_date"].astype(object).where(items["due_date"].notna(), None)
    return items


def finish_work_items(items: pd.DataFrame, transitions: pd.DataFrame) -> pd.DataFrame:
    """`updated` is the last change: the latest transition, else creation."""
    last = transitions.groupby("item_id")["at"].max()
    updated = items["item_id"].map(last)
    items = items.assign(updated=_timestamps(updated.where(updated.notna(), items["created"])))
    return _canonical("work_items", items)


# --- check-ins ----------------------------------------------------------------------------

def _checkin_schedule(story: Story) -> pd.DataFrame:
    """Every check-in a team owes: (kind, period_start, local due time), the same for every team."""
    weeks = pd.date_range(_monday(story.start), story.today, freq="7D")
    months = pd.date_range(story.start, story.today, freq="MS")
    quarters = pd.date_range(story.start, story.today, freq="QS")
    five_pm = pd.Timedelta(hours=17)
    third_business_day = np.busday_offset(months.to_numpy().astype("datetime64[D]"), 2, roll="forward")
    quarter_end = quarters + pd.DateOffset(months=3) - DAY
    return pd.concat([
        pd.DataFrame({"kind": "weekly_status", "period_start": weeks, "due_local": weeks + 4 * DAY + five_pm}),
        pd.DataFrame({"kind": "monthly_roadmap", "period_start": months,
                      "due_local": pd.to_datetime(third_business_day) + five_pm}),
        pd.DataFrame({"kind": "qbr_prep", "period_start": quarters, "due_local": quarter_end - 10 * DAY + five_pm}),
    ], ignore_index=True)


def make_checkins(story: Story, org: pd.DataFrame, roster: pd.DataFrame, memberships: pd.DataFrame) -> pd.DataFrame:
    """Weekly status, monthly roadmap review and QBR prep per team: ~75 % on time before product ops, ~92 % after."""
    rng = _rng("checkins")
    pms = roster[roster["role"] == "pm"]
    main_tz = pms[pms["team_id"].notna()].drop_duplicates("team_id").set_index("team_id")["tz"]
    owed = org[["team_id"]].merge(_checkin_schedule(story), how="cross")
    owed["due_at"] = _to_utc(owed["due_local"], owed["team_id"].map(main_tz))
    owed = owed[(owed["due_at"] >= pd.Timestamp(story.start)) & (owed["due_at"] < story.cutoff)].reset_index(drop=True)
    owed["row"] = np.arange(len(owed))
    owners = _members_at(memberships, owed[["team_id", "due_at", "row"]], "due_at").sort_values(["row", "person_id"])
    owed["owner_id"] = owners.drop_duplicates("row").set_index("row")["person_id"].reindex(owed["row"]).to_numpy()

    progress = story.progress(owed["due_at"])
    on_time = 0.75 + (0.92 - 0.75) * progress
    late = on_time + 0.15 + (0.05 - 0.15) * progress
    u = rng.random(len(owed))
    early = pd.to_timedelta(rng.uniform(0.5, 30, len(owed)), unit="h")
    behind = pd.to_timedelta(1 + 71 * rng.random(len(owed)) ** 2, unit="h")
    submitted = pd.Series(np.where(u < on_time, owed["due_at"] - early, owed["due_at"] + behind))
    silent = (
        (owed["team_id"] == SILENT_TEAM) & (owed["kind"] == "weekly_status")
        & (owed["due_at"] >= pd.Timestamp(story.silent_since))
    )
    missing = (u >= late) | silent.to_numpy() | (submitted >= story.cutoff).to_numpy()
    owed["submitted_at"] = _timestamps(submitted.where(~missing))
    owed["due_at"] = _timestamps(owed["due_at"])
    owed = owed.sort_values(["due_at", "team_id", "kind"], kind="stable").reset_index(drop=True)
    sent = owed["submitted_at"].notna()
    owed["ref"] = None
    owed.loc[sent, "ref"] = "CHK-" + pd.Series(np.arange(1, sent.sum() + 1), index=owed.index[sent]).astype(str)
    owed["checkin_id"] = owed["team_id"] + "/" + owed["kind"] + "/" + owed["period_start"].dt.strftime("%Y-%m-%d")
    owed["source"] = "jira"
    owed["period_start"] = _dates(owed["period_start"])
    return _canonical("checkins", owed)


# --- surveys ------------------------------------------------------------------------------

QUESTIONS = pd.DataFrame.from_records([
    ("strategy_share", "What share of your week goes to strategy work?", "pm_time_on_strategy_pct", "percent", False),
    ("insights_without_asking", "I get the insights I need without having to ask for them", "insights_self_serve",
     "likert5", False),
    ("shared_priorities", "Product and operations share the same priorities", "alignment", "likert5", True),
    ("ops_understands_needs", "Operations understands what product teams need", "alignment", "likert5", True),
    ("ops_support", "I am satisfied with the support from product operations", "ops_satisfaction", "likert5", True),
    ("recommend", "How likely are you to recommend working here?", "enps", "nps", True),
], columns=["question_id", "text", "construct", "scale", "asked_of_ops"])


def survey_waves(story: Story) -> pd.DataFrame:
    """One pulse wave per quarter, opening mid-way through the quarter's second month.

    A wave that would open after `today` opens a few days before it instead (never before its
    quarter starts), so every quarter in the window, the current one included, has answers.
    """
    quarters = pd.date_range(story.start, story.today, freq="QS")
    planned = quarters + pd.DateOffset(months=1) + pd.Timedelta(days=14)
    fallback = np.maximum(quarters, pd.Timestamp(story.today) - pd.Timedelta(days=3))
    opens = pd.DatetimeIndex(np.where(planned <= pd.Timestamp(story.today), planned, fallback))
    labels = [f"pulse-{q.year}Q{(q.month - 1) // 3 + 1}" for q in quarters]
    return pd.DataFrame({"survey_id": labels, "opens": opens})


def make_survey_questions(waves: pd.DataFrame) -> pd.DataFrame:
    questions = waves[["survey_id"]].merge(QUESTIONS, how="cross")
    return _canonical("survey_questions", questions)


def _respondents(story: Story, waves: pd.DataFrame, roster: pd.DataFrame, memberships: pd.DataFrame) -> pd.DataFrame:
    """Who answers each wave: ~75 % of PMs in post and ~85 % of operations, never fewer than six of them."""
    rng = _rng("respondents")
    people = roster[roster["role"].isin(["pm", "ops"])]
    asked = waves.merge(people[["person_id", "role", "active_from", "active_to"]], how="cross")
    asked = asked[(asked["active_from"] <= asked["opens"]) & ~(asked["active_to"] <= asked["opens"])].reset_index(drop=True)
    asked["draw"] = rng.random(len(asked))
    asked["order"] = asked.groupby(["survey_id", "role"])["draw"].rank(method="first")
    rate = np.where(asked["role"] == "pm", 0.75, 0.85)
    answers = (asked["draw"] < rate) | ((asked["role"] == "ops") & (asked["order"] <= 6))
    asked = asked[answers.to_numpy()].reset_index(drop=True)
    asked["team_id"] = team_at(memberships, asked["person_id"], asked["opens"]).where(asked["role"] == "pm")
    span = np.minimum(7 * DAY, story.cutoff - asked["opens"] - pd.Timedelta(minutes=1))
    asked["submitted_at"] = _timestamps(asked["opens"] + span * rng.random(len(asked)))
    return asked


def _stratified_normal(rng: np.random.Generator, answers: pd.DataFrame) -> np.ndarray:
    """Standard-normal noise, stratified within each wave, role and question.

    Each respondent still gets a random deviate, but a group's deviates cover the distribution
    evenly, so a wave's mean follows the story instead of wandering with a dozen respondents.
    """
    groups = [answers["survey_id"], answers["role"], answers["question_id"]]
    draw = pd.Series(rng.random(len(answers)), index=answers.index)
    rank = draw.groupby(groups).rank(method="first").to_numpy()
    size = draw.groupby(groups).transform("size").to_numpy()
    share = np.clip((rank - rng.random(len(answers))) / size, 1e-6, 1 - 1e-6)
    inverse = NormalDist().inv_cdf
    return np.array([inverse(u) for u in share])


def _likert(mean: np.ndarray, noise: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(mean + 0.8 * noise), 1, 5)


def _answer_values(story: Story, answers: pd.DataFrame) -> np.ndarray:
    """The score each respondent gives: the story's trend for the wave plus individual noise.

    Alignment starts at ~55/100 for PMs and ~75 for operations; PMs close most of the gap as
    product ops beds in. Insights come without asking once the portal is there.
    """
    noise = _stratified_normal(_rng("answers"), answers)
    progress = story.progress(answers["opens"])
    portal = story.portal_effect(answers["opens"])
    pm = (answers["role"] == "pm").to_numpy()
    construct = answers["construct"].to_numpy()
    alignment = np.where(pm, 3.2 + 0.72 * progress, 4.0 + 0.05 * progress)
    satisfaction = np.where(pm, 2.9 + 1.0 * progress, 3.3 + 0.6 * progress)
    strategy = np.clip(5 * np.rint((11 + 10 * progress + 5 * noise) / 5), 0, 60)
    enps = np.clip(np.rint(6.8 + 1.0 * progress + 1.8 * noise), 0, 10)
    return np.select(
        [construct == "pm_time_on_strategy_pct", construct == "insights_self_serve", construct == "alignment",
         construct == "ops_satisfaction", construct == "enps"],
        [strategy, _likert(2.4 + 1.5 * portal, noise), _likert(alignment, noise), _likert(satisfaction, noise), enps],
    ).astype(float)


def make_survey_answers(story: Story, waves: pd.DataFrame, roster: pd.DataFrame, memberships: pd.DataFrame) -> pd.DataFrame:
    """Pseudonymous answers: a salted hash stands in for the person, so no name or email is ever stored."""
    respondents = _respondents(story, waves, roster, memberships)
    answers = respondents.merge(QUESTIONS, how="cross")
    answers = answers[(answers["role"] == "pm") | answers["asked_of_ops"]].reset_index(drop=True)
    answers["value"] = _answer_values(story, answers)
    answers["respondent_role"] = answers["role"]
    answers["response_id"] = [
        hashlib.sha256(f"{SURVEY_SALT}|{survey}|{person}".encode()).hexdigest()[:16]
        for survey, person in zip(answers["survey_id"], answers["person_id"])
    ]
    return _canonical("survey_answers", answers)


# --- putting it together ------------------------------------------------------------------

def make_sync_run(story: Story, rows: int) -> pd.DataFrame:
    started = pd.Timestamp(story.today) + pd.Timedelta(hours=23, minutes=50)
    return pd.DataFrame({
        "run_id": [f"demo-{story.today:%Y%m%d}"],
        "source": SOURCE,
        "started_at": _timestamps([started]),
        "finished_at": _timestamps([started + pd.Timedelta(seconds=12)]),
        "status": "success",
        "rows": rows,
        "cursor": story.today.isoformat(),
        "error": None,
    })


def demo_tables(settings: Settings, today: date) -> dict[str, pd.DataFrame]:
    """Every canonical table of the demo organisation as of `today`, without touching a store."""
    story = make_story(today)
    org = make_org()
    roster = make_roster(story, org)
    memberships = make_memberships(story, roster)
    releases, plans = make_releases(story, org)
    checkins = make_checkins(story, org, roster, memberships)
    items = make_work_items(story, releases, roster, memberships, checkins)
    transitions = make_transitions(story, items)
    waves = survey_waves(story)
    events = make_calendar_events(story, roster, org, settings)
    tables = {
        "teams": _canonical("teams", org),
        "people": people_table(roster),
        "memberships": memberships,
        "annotations": make_annotations(story),
        "calendar_events": _canonical("calendar_events", events),
        "calendar_titles": calendar_titles_table(events, settings),
        "releases": releases_table(releases),
        "release_plans": release_plans_table(plans),
        "work_items": finish_work_items(items, transitions),
        "work_item_transitions": transitions,
        "checkins": checkins,
        "survey_questions": make_survey_questions(waves),
        "survey_answers": make_survey_answers(story, waves, roster, memberships),
    }
    tables["sync_runs"] = make_sync_run(story, sum(len(frame) for frame in tables.values()))
    return tables


def build_demo(store: Store, settings: Settings, today: date) -> dict[str, int]:
    """Replace the store's contents with the demo organisation as of `today`; rows written per table."""
    tables = demo_tables(settings, today)
    with store.transaction(fresh=True) as tx:
        counts = {name: tx.upsert(name, frame) for name, frame in tables.items()}
        refresh(tx, settings, as_of=today)
        counts["pm_weeks"] = int(tx.query("SELECT count(*) AS n FROM pm_weeks")["n"].iloc[0])
    return counts
