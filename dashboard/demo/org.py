"""The organisation: groups of four teams (six in the small demo), their PMs, operations and leaders, as HR exports them.

The people are generated as a model first (who sits where, who joins, leaves and moves), then
written out as the HR system's roster CSV, one snapshot the week before the reorg and one today,
and read back through the roster connector (`parse_roster`, `plan_roster`): so the people,
membership history, teams and team groups in the store are what a real roster load would make.
"""
from __future__ import annotations

import csv
import io
import unicodedata
from datetime import date, timedelta

import numpy as np
import pandas as pd

from connectors.roster import ROSTER_TABLES, parse_roster, plan_roster
from dashboard.core.schema import TABLES
from dashboard.demo.scale import SMALL, Scale
from dashboard.demo.story import Story, monday, stream

ZONES = ("Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles")
ZONE_WEIGHTS = (0.35, 0.30, 0.25, 0.10)

GROUPS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "Growth": ("Europe/London", [("Activation", "ACT"), ("Onboarding", "ONB"), ("Retention", "RET"), ("Referrals", "RFL")]),
    "Core Platform": ("Europe/Berlin", [
        ("Identity", "IDN"), ("Notifications", "NTF"), ("Search", "SRCH"), ("API Platform", "APIP")]),
    "Payments": ("Europe/London", [("Checkout", "CKO"), ("Billing", "BIL"), ("Payouts", "PAYO"), ("Fraud & Risk", "FRD")]),
    "Marketplace": ("America/New_York", [
        ("Listings", "LST"), ("Browse", "BRW"), ("Trust & Safety", "TNS"), ("Seller Tools", "SEL")]),
    "Mobile": ("Europe/Berlin", [("iOS", "IOS"), ("Android", "AND"), ("Mobile Foundations", "MFN"), ("Mobile Web", "MWEB")]),
    "Data & AI": ("America/Los_Angeles", [
        ("Recommendations", "REC"), ("Analytics Platform", "ANL"), ("ML Platform", "MLP"), ("Experimentation", "EXP")]),
}
"""Group name to (home time zone, [(team name, Jira project key)]). Team names end up in meeting
titles, so none holds a word the calendar rules read as a kind of meeting ("Discovery" would)."""
MORE_GROUPS = (
    "Atlas", "Beacon", "Cobalt", "Delta", "Ember", "Fjord", "Granite", "Harbor", "Indigo", "Juniper", "Kestrel",
    "Lumen", "Meridian", "Nimbus", "Onyx", "Polaris", "Quartz", "Redwood", "Sierra", "Tundra", "Umber", "Vertex",
    "Willow", "Xenon", "Yarrow", "Zephyr", "Aurora", "Basalt", "Cedar", "Dune", "Echo", "Falcon", "Glacier", "Horizon",
)
"""Names of the groups a larger organisation has beyond the story's six: teams "Atlas 1" to "Atlas 4",
Jira projects ATLA to ATLD. No name holds a word the calendar rules read as a kind of meeting."""
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
ROSTER_COLUMNS = (
    "person_id", "name", "email", "role", "team_id", "team_name", "group", "time_zone", "working_hours",
    "start_date", "end_date", "team_since",
)
"""The HR export's columns (connectors/roster/parse.py reads them by name)."""


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def _groups(count: int) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """The story's six groups, then generated ones, `count` in all.

    Past the last name the names come round again with a round number ("Atlas 2", teams
    "Atlas 2 1" to "Atlas 2 4", projects ATL2A to ATL2D); only the benchmarks' largest
    organisation goes that far.
    """
    if count < len(GROUPS):
        raise ValueError(f"the demo has at least {len(GROUPS)} groups, not {count}")
    more = {}
    for n in range(count - len(GROUPS)):
        round_, base = divmod(n, len(MORE_GROUPS))
        name = MORE_GROUPS[base] + (f" {round_ + 1}" if round_ else "")
        prefix = MORE_GROUPS[base][:3].upper() + (str(round_ + 1) if round_ else "")
        more[name] = (ZONES[n % len(ZONES)], [(f"{name} {k}", f"{prefix}{'ABCD'[k - 1]}") for k in range(1, 5)])
    return {**GROUPS, **more}


def make_org(scale: Scale = SMALL) -> pd.DataFrame:
    """Four teams per group with their group, Jira project key and home time zone."""
    rows = [
        (f"{_slug(group)}-{_slug(team)}", team, group, key, zone)
        for group, (zone, teams) in _groups(scale.groups).items()
        for team, key in teams
    ]
    return pd.DataFrame(rows, columns=["team_id", "name", "group_name", "project", "home_tz"])


def _zones(generator: np.random.Generator, home: np.ndarray, at_home: float) -> np.ndarray:
    """Mostly each person's home zone, otherwise one of the four office zones."""
    elsewhere = generator.choice(ZONES, size=len(home), p=ZONE_WEIGHTS)
    return np.where(generator.random(len(home)) < at_home, home, elsewhere)


def _seats(story: Story, org: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Two or three PM seats per team (half the teams have three), filled since before the window."""
    sizes = np.full(len(org), 2)
    sizes[rng.permutation(len(org))[: len(org) // 2]] = 3
    seats = org.loc[org.index.repeat(sizes), ["team_id", "group_name", "home_tz"]].reset_index(drop=True)
    seats["seat"] = seats.groupby("team_id").cumcount()
    seats["tz"] = _zones(rng, seats["home_tz"].to_numpy(), at_home=0.8)
    seats["active_from"] = pd.Timestamp(story.start) - pd.to_timedelta(rng.integers(60, 1500, len(seats)), unit="D")
    seats["active_to"] = pd.NaT
    seats["previous_team"] = None
    return seats


def _hire_joiners(story: Story, seats: pd.DataFrame, rng: np.random.Generator, count: int) -> np.ndarray:
    """`count` seats (never a team's first) are filled by PMs who join on a Monday inside the window."""
    window = (story.today - story.start).days
    joiners = rng.choice(np.flatnonzero(seats["seat"] > 0), size=count, replace=False)
    joined = pd.Timestamp(story.start) + pd.to_timedelta(rng.integers(100, max(window - 60, 101), count), unit="D")
    seats.loc[joiners, "active_from"] = [pd.Timestamp(monday(day.date())) for day in joined]
    return joiners


def _move_in_reorg(seats: pd.DataFrame, org: pd.DataFrame, joiners: np.ndarray, rng: np.random.Generator,
                   count: int) -> None:
    """`count` PMs, each in another group, came to a three-PM team from a sister team at the reorg."""
    team_size = seats.groupby("team_id")["seat"].transform("size")
    movable = seats[(seats["seat"] > 0) & (team_size == 3) & ~seats.index.isin(joiners)].drop_duplicates("group_name")
    sizes = seats.groupby("team_id").size()
    for index in rng.choice(movable.index.to_numpy(), size=count, replace=False):
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


def make_pms(story: Story, org: pd.DataFrame, scale: Scale = SMALL) -> pd.DataFrame:
    """Two or three PMs per team in post today (sixty in the small organisation, after four joined,
    two left and three moved team in the reorg)."""
    rng = stream("pms")
    seats = _seats(story, org, rng)
    joiners = _hire_joiners(story, seats, rng, scale.joiners)
    _move_in_reorg(seats, org, joiners, rng, scale.movers)
    pms = pd.concat([seats, _leavers(story, seats, joiners[: scale.joiners // 2], rng)], ignore_index=True)
    pms["role"] = "pm"
    return pms.drop(columns=["seat", "home_tz", "group_name"])


def make_ops(story: Story, count: int = SMALL.ops) -> pd.DataFrame:
    """Operations people (twelve in the small organisation), outside the product teams, there for the whole window."""
    rng = stream("ops")
    return pd.DataFrame({
        "team_id": None,
        "tz": _zones(rng, np.full(count, "Europe/London", dtype=object), at_home=0.5),
        "active_from": pd.Timestamp(story.start) - pd.to_timedelta(rng.integers(30, 900, count), unit="D"),
        "active_to": pd.NaT,
        "previous_team": None,
        "role": "ops",
    })


def make_prodops(story: Story, scale: Scale = SMALL) -> pd.DataFrame:
    """The product-ops team, outside the product teams: its founders start the day it is founded
    and a hiring wave comes late (`Story.prodops_hiring`), a few a week over a month, so PMs per
    product-ops person grows for most of a year first."""
    rng = stream("prodops")
    founders = [pd.Timestamp(story.founded)] * scale.prodops_founders
    hires = [pd.Timestamp(story.prodops_hiring) + pd.Timedelta(weeks=n % 4) for n in range(scale.prodops_hires)]
    count = len(founders) + len(hires)
    return pd.DataFrame({
        "team_id": None,
        "tz": _zones(rng, np.full(count, "Europe/London", dtype=object), at_home=0.7),
        "active_from": founders + hires,
        "active_to": pd.NaT,
        "previous_team": None,
        "role": "prodops",
    })


def make_leaders(story: Story, org: pd.DataFrame) -> pd.DataFrame:
    """A leader per group, sitting with the group's first team, and a VP over all of them."""
    rng = stream("leaders")
    heads = org.drop_duplicates("group_name")
    return pd.DataFrame({
        "team_id": [*list(heads["team_id"]), None],
        "tz": [*list(heads["home_tz"]), "Europe/London"],
        "active_from": pd.Timestamp(story.start) - pd.to_timedelta(rng.integers(300, 2000, len(heads) + 1), unit="D"),
        "active_to": pd.NaT,
        "previous_team": None,
        "role": "leader",
    })


def make_roster(story: Story, org: pd.DataFrame, scale: Scale = SMALL) -> pd.DataFrame:
    """Everyone, with ids, generated names and emails; `previous_team` marks the reorg movers.

    `active_to` is exclusive here (the first day no longer there), as memberships hold it. The
    product-ops team comes last and draws its names from its own stream among those left, so
    everyone else keeps the id and name they had before it existed.
    """
    rng = stream("names")
    roster = pd.concat([make_pms(story, org, scale), make_ops(story, scale.ops), make_leaders(story, org)],
                       ignore_index=True)
    picks = rng.choice(len(FIRST_NAMES) * len(LAST_NAMES), size=len(roster), replace=False)
    prodops = make_prodops(story, scale)
    unused = np.setdiff1d(np.arange(len(FIRST_NAMES) * len(LAST_NAMES)), picks)
    picks = np.concatenate([picks, stream("prodops-names").choice(unused, size=len(prodops), replace=False)])
    roster = pd.concat([roster, prodops], ignore_index=True)
    first = [FIRST_NAMES[i // len(LAST_NAMES)] for i in picks]
    last = [LAST_NAMES[i % len(LAST_NAMES)] for i in picks]
    roster["person_id"] = [f"p{i + 1:03d}" for i in range(len(roster))]
    roster["name"] = [f"{given} {family}" for given, family in zip(first, last)]
    roster["email"] = [f"{_ascii(given)}.{_ascii(family)}@example.com" for given, family in zip(first, last)]
    roster["active_from"] = pd.to_datetime(roster["active_from"]).astype("datetime64[us]")
    roster["active_to"] = pd.to_datetime(roster["active_to"]).astype("datetime64[us]")
    return roster


def _ascii(name: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", name.lower()) if c.isascii() and c.isalpha())


# --- the HR exports ---------------------------------------------------------------------------

def roster_snapshots(story: Story, org: pd.DataFrame, roster: pd.DataFrame) -> list[tuple[date, str]]:
    """The HR roster CSV as exported the day before the reorg and today: `(as_of, text)`, oldest first.

    The first lists who had started by then, the movers still on their old team; the second
    lists everyone, leavers with their last working day and movers with `team_since` set to the
    reorg, which is how the roster connector learns the history.
    """
    before = story.reorg - timedelta(days=1)
    teams = org.set_index("team_id")
    return [
        (before, _roster_csv(roster[roster["active_from"] <= pd.Timestamp(before)], teams, before, story, moved=False)),
        (story.today, _roster_csv(roster, teams, story.today, story, moved=True)),
    ]


def _roster_csv(people: pd.DataFrame, teams: pd.DataFrame, as_of: date, story: Story, moved: bool) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(ROSTER_COLUMNS)
    for person in people.itertuples(index=False):
        mover = isinstance(person.previous_team, str)
        team = person.team_id if moved or not mover else person.previous_team
        team = team if isinstance(team, str) else ""
        last_day = None if pd.isna(person.active_to) else (person.active_to - pd.Timedelta(days=1)).date()
        writer.writerow([
            person.person_id, person.name, person.email, person.role, team,
            teams.loc[team, "name"] if team else "", teams.loc[team, "group_name"] if team else "",
            person.tz, "", person.active_from.date().isoformat(),
            last_day.isoformat() if last_day and last_day <= as_of else "",
            story.reorg.isoformat() if moved and mover else "",
        ])
    return out.getvalue()


def load_roster_exports(snapshots: list[tuple[date, str]]) -> dict[str, pd.DataFrame]:
    """The roster tables after loading each snapshot in turn through the roster connector's pure steps.

    Each plan is made over the tables as the previous ones left them and upserted by key, as
    `load_roster` does in the store. Working hours stay the configured default (the demo's
    exports leave them blank), so `person_hours` stays empty and is left out.
    """
    tables = {name: pd.DataFrame(columns=list(TABLES[name].columns)) for name in ROSTER_TABLES}
    for as_of, text in snapshots:
        roster = parse_roster(text, f"hr-roster-{as_of.isoformat()}.csv")
        plan = plan_roster(roster, tables, as_of=as_of)
        problems = roster.issues + plan.report.issues
        if problems:
            raise ValueError("the demo roster does not load cleanly: " + "; ".join(map(str, problems)))
        for name in ROSTER_TABLES:
            key = list(TABLES[name].key)
            merged = pd.concat([frame for frame in (tables[name], plan.frames[name]) if len(frame)], ignore_index=True)
            tables[name] = merged.drop_duplicates(key, keep="last").reset_index(drop=True) if len(merged) else tables[name]
    return {name: _typed(name, tables[name]) for name in ("teams", "team_groups", "people", "memberships")}


def _typed(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Date columns as `datetime.date` (None when open), ordered by key, in the table's column order."""
    frame = frame.copy()
    for column, kind in TABLES[name].columns.items():
        if kind == "DATE":
            frame[column] = [None if pd.isna(value) else pd.Timestamp(value).date() for value in frame[column]]
    frame = frame.sort_values(list(TABLES[name].key), kind="stable")
    return frame[list(TABLES[name].columns)].reset_index(drop=True)


def members_at(memberships: pd.DataFrame, asked: pd.DataFrame, on: str, role: str = "pm") -> pd.DataFrame:
    """`asked` joined to the people of its `team_id` who held a `role` membership on its `on` date."""
    held = memberships[memberships["role"] == role][["person_id", "team_id", "valid_from", "valid_to"]].copy()
    held["valid_from"] = pd.to_datetime(held["valid_from"])
    held["valid_to"] = pd.to_datetime(held["valid_to"]).fillna(pd.Timestamp("2999-12-31"))
    joined = asked.merge(held, on="team_id", how="left")
    when = pd.to_datetime(joined[on])
    return joined[(when >= joined["valid_from"]) & (when < joined["valid_to"])]
