"""Jira: releases and their plans, release work, ad-hoc data requests and check-in tickets.

The work is generated as a model first (when each release was planned, re-planned and shipped,
which issues went into it and how their status moved), then written out as Jira's REST v2 JSON:
issues with their changelog and each project's versions, once as read by every sync that saw a
plan change and once as read today. All of it goes through the Jira connector's `normalize`,
`version_plans` and `plan_changes`, with the demo's `[jira]` section given in code (`JIRA`), so
data requests and check-ins are told apart, and people are matched to the roster, by its rules.

- Two quarters ago a new release process lands and on-time releases improve, except in
  Payments, which keeps re-planning and lands 5-20 days after its first plan. Its latest plan
  is always close to the release day, which is why slip is measured against the first plan.
- Three quarters ago a self-serve insights portal launches: ad-hoc data requests fall from
  about 3.5 to 1.2 per PM per month and are fulfilled twice as fast.
- Release work is re-prioritised, re-ranked and planned into its fix version by the team's PMs;
  once the roster has product-ops people, they make a few of those decisions, and in Growth
  (`DECIDING_GROUP`) about half: product ops deciding instead of informing.
- The product-ops team's own tickets (`prodops_work`, project OPS) are mostly coordination until
  it turns to building systems, mostly systems after.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from connectors.jira import JiraFrames, Rules, normalize, plan_changes, version_plans
from dashboard.core.config import DataRequestSelector, JiraSource
from dashboard.core.decisions import FIX_VERSION, PRIORITY, RANK
from dashboard.demo.org import SLIPPING_GROUP, members_at
from dashboard.demo.prodops_work import OPS_PROJECT, make_prodops_work
from dashboard.demo.scale import SMALL, Scale
from dashboard.demo.story import DAY, HOUR, SOURCE, Story, business_time, stream, timestamps, to_utc

SITE = "https://demo-org.atlassian.net"
JIRA_ZONE = "Europe/London"
"""The zone of the account the demo's Jira is read with: Jira writes its timestamps with that offset."""
CHECKIN_TYPE = "Check-in"
DATA_PROJECT = "DATA"
CHECKIN_PROJECT = "CHK"
DECIDING_GROUP = "Growth"
"""The group whose release work product-ops people decide about half the time."""
OPS_DECIDE = (0.08, 0.5)
"""The chance a decision edit is made by a product-ops person: elsewhere, in `DECIDING_GROUP`."""


def project_keys(org: pd.DataFrame) -> list[str]:
    """Every project of the demo's Jira, in the order their ids are given: the teams', then the others."""
    return [*org["project"], DATA_PROJECT, CHECKIN_PROJECT, OPS_PROJECT]


def jira_source(org: pd.DataFrame) -> JiraSource:
    """The demo organisation's `[jira]` section: its projects, what a request or a check-in is, whose releases."""
    projects = project_keys(org)
    return JiraSource(
        url=SITE, email="prodops-sync@example.com", projects=projects,
        data_request=DataRequestSelector(projects=[DATA_PROJECT], issue_types=["Data Request"]),
        checkin_issue_type=CHECKIN_TYPE, project_teams=dict(zip(org["project"], org["team_id"])),
    )


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


def _team_releases(story: Story, team: pd.Series, rng: np.random.Generator,
                   cadences: tuple[int, ...]) -> tuple[list[dict], list[dict]]:
    """One team's releases every few weeks (a cadence drawn from `cadences`) with every plan observed
    so far, until two are still to ship.

    A version is created a few days before its cycle starts; the next two versions already
    exist today, whatever their start.
    """
    slipping = team["group_name"] == SLIPPING_GROUP
    cadence = int(rng.choice([21, 28] if slipping else list(cadences)))
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
        key = (team["project"], len(releases))
        releases.append({
            "key": key,
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
        plans += [{"key": key, "observed_at": seen, "planned_date": plan} for seen, plan in observed]
        first_plan = _weekday(first_plan + pd.Timedelta(days=cadence) + _days(rng, -2, 4))
    return releases, plans


def make_releases(story: Story, org: pd.DataFrame, scale: Scale = SMALL) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Releases of every team and the plans observed for them; `day` is when each lands (or is planned to).

    `release_id` is the Jira version id, numbered in the order the versions are generated.
    """
    rng = stream("releases")
    releases, plans = [], []
    for _, team in org.iterrows():
        team_releases, team_plans = _team_releases(story, team, rng, scale.release_cadences)
        releases += team_releases
        plans += team_plans
    releases, plans = pd.DataFrame(releases), pd.DataFrame(plans)
    ids = {key: str(10001 + n) for n, key in enumerate(releases["key"])}
    releases["release_id"] = releases["key"].map(ids)
    plans["release_id"] = plans["key"].map(ids)
    return releases.drop(columns="key"), plans.drop(columns="key")


# --- work items ---------------------------------------------------------------------------

STATUSES = {
    "To Do": ("10000", "new", "To Do"),
    "In Progress": ("3", "indeterminate", "In Progress"),
    "In Review": ("10001", "indeterminate", "In Progress"),
    "Done": ("10002", "done", "Done"),
}
"""Status name to (Jira status id, status category key, status category name)."""


def _release_work(story: Story, releases: pd.DataFrame, memberships: pd.DataFrame,
                  per_release: tuple[int, int]) -> pd.DataFrame:
    """`per_release` (10-30 in the small organisation) stories, bugs and tasks per release, created 10-60
    days before it and resolved just before it lands."""
    rng = stream("release-work")
    counts = rng.integers(per_release[0], per_release[1] + 1, len(releases))
    columns = ["project", "team_id", "name", "day", "released"]
    items = releases.loc[releases.index.repeat(counts), columns].reset_index(drop=True)
    day = pd.to_datetime(items["day"])
    items["created"] = business_time(rng, day - pd.to_timedelta(rng.integers(10, 61, len(items)), unit="D"), 8, 9)
    items["done_by"] = business_time(rng, day - pd.to_timedelta(rng.integers(0, 5, len(items)), unit="D"), 8, 9)
    items = items[items["created"] < story.cutoff - HOUR].reset_index(drop=True)
    released = items["released"].to_numpy()
    state = np.where(released, "Done", rng.choice(["Done", "In Progress", "To Do"], size=len(items), p=[0.4, 0.35, 0.25]))
    span = (story.cutoff - items["created"]) * rng.uniform(0.2, 0.95, len(items))
    resolved = np.where(released, np.maximum(items["done_by"], items["created"] + 4 * HOUR), items["created"] + span)
    items["resolved"] = pd.Series(resolved).where(state == "Done")
    items["status"] = state
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
    held = members_at(memberships, asked, "created").sort_values(["row", "person_id"], kind="stable")
    held["n"] = held.groupby("row")["person_id"].transform("size")
    held["i"] = held.groupby("row").cumcount()
    chosen = held[held["i"] == (held["draw"] * held["n"]).astype(int)].set_index("row")["person_id"]
    return pd.Series(chosen.reindex(np.arange(len(asked))).to_numpy(), dtype=object)


def _data_requests(story: Story, roster: pd.DataFrame) -> pd.DataFrame:
    """Ad-hoc data and insight requests: ~3.5 per PM-month before the portal, ~1.2 after, fulfilled faster after."""
    rng = stream("data-requests")
    pms = roster[roster["role"] == "pm"]
    days = pd.bdate_range(story.start, story.today)
    grid = pms[["person_id", "tz", "active_from", "active_to"]].merge(pd.DataFrame({"day": days}), how="cross")
    grid = grid[(grid["day"] >= grid["active_from"]) & ~(grid["day"] >= grid["active_to"])].reset_index(drop=True)
    appetite = pd.Series(rng.lognormal(0, 0.25, len(pms)), index=pms["person_id"].to_numpy())
    per_month = 3.5 + (1.2 - 3.5) * story.portal_effect(grid["day"])
    counts = rng.poisson(per_month / 21.75 * grid["person_id"].map(appetite).to_numpy())
    asks = grid.loc[grid.index.repeat(counts)].reset_index(drop=True)
    created = to_utc(business_time(rng, asks["day"]), asks["tz"])
    asks = asks.assign(created=created.to_numpy())[created.to_numpy() < story.cutoff].reset_index(drop=True)
    median_days = 6 + (3 - 6) * story.portal_effect(asks["created"])
    resolved = asks["created"] + pd.to_timedelta(rng.lognormal(np.log(median_days), 0.7) * 86400, unit="s")
    done = resolved < story.cutoff
    ops = roster.loc[roster["role"] == "ops", "person_id"].to_numpy()
    return pd.DataFrame({
        "project": DATA_PROJECT,
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
    """The CHK ticket behind each weekly status sent (those with a `ref`), Done when it was submitted."""
    rng = stream("checkin-tickets")
    sent = checkins[checkins["ref"].notna()].reset_index(drop=True)
    due = pd.to_datetime(sent["due_at"])
    created = due - pd.to_timedelta(rng.integers(2 * 24 * 60, 6 * 24 * 60, len(sent)), unit="min")
    return pd.DataFrame({
        "key": sent["ref"],
        "project": CHECKIN_PROJECT,
        "type": CHECKIN_TYPE,
        "created": created,
        "resolved": sent["submitted_at"],
        "status": "Done",
        "reporter_id": sent["owner_id"],
        "assignee_id": sent["owner_id"],
        "labels": [[kind.replace("_", "-")] for kind in sent["kind"]],
        "components": [[] for _ in range(len(sent))],
        "fix_versions": [[] for _ in range(len(sent))],
        "due_date": due.dt.strftime("%Y-%m-%d"),
    })


def status_path(steps: int) -> list[tuple[str, str]]:
    """The status changes of an item that changed status `steps` times: one is picked up, two are done
    straight away, more go through review, back to work and to review again, then done."""
    if steps <= 1:
        return [("To Do", "In Progress")][:steps]
    path, now = [("To Do", "In Progress")], "In Progress"
    for _ in range(steps - 2):
        after = "In Review" if now == "In Progress" else "In Progress"
        path.append((now, after))
        now = after
    return [*path, (now, "Done")]


def make_transitions(story: Story, items: pd.DataFrame, status_changes: tuple[int, int] = SMALL.status_changes,
                     name: str = "transitions") -> pd.DataFrame:
    """`status_changes` (2-4 in the small organisation) status changes for each resolved item, the last one
    at its resolution; one for an item in progress. Each is made by the item's reporter, else its assignee.
    Drawn from the stream `name`, so another set of items drawn from its own leaves these as they were."""
    rng = stream(name)
    done = items["resolved"].notna().to_numpy()
    lo, hi = status_changes
    steps = np.where(done, rng.integers(lo, hi + 1, len(items)), (items["status"] == "In Progress").to_numpy().astype(int))
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
    lookup = {(n, i): pair for n in range(1, max(hi, 1) + 1) for i, pair in enumerate(status_path(n))}
    pairs = [lookup[(n, i)] for n, i in zip(total, step)]
    return pd.DataFrame({
        "item_id": items["item_id"].to_numpy()[row],
        "at": timestamps(at),
        "field": "status",
        "from_value": [p[0] for p in pairs],
        "to_value": [p[1] for p in pairs],
        "author_id": items["reporter_id"].fillna(items["assignee_id"]).to_numpy()[row],
    })


def make_decision_edits(items: pd.DataFrame, moves: pd.DataFrame, releases: pd.DataFrame, roster: pd.DataFrame,
                        memberships: pd.DataFrame, deciding_teams: frozenset[str] = frozenset()) -> pd.DataFrame:
    """One to three decision edits on each piece of release work that has moved: a priority
    change, a re-rank, its planning into its fix version. Each lands before the item's last status
    change, so `updated` stays that change. The author is a PM of the item's team, or with
    `OPS_DECIDE`'s chance (the second in `deciding_teams`) a product-ops person of the roster."""
    rng = stream("decision edits")
    last = moves.groupby("item_id")["at"].max()
    work = items[items["item_id"].isin(last.index) & items["fix_versions"].map(len).gt(0)]
    work = work[~work["project"].isin([DATA_PROJECT, CHECKIN_PROJECT])].reset_index(drop=True)
    counts = rng.integers(1, 4, len(work))
    edits = work.loc[work.index.repeat(counts), ["item_id", "created", "fix_versions"]].reset_index(drop=True)
    edits["team_id"] = edits["fix_versions"].str[0].map(releases.drop_duplicates("name").set_index("name")["team_id"])
    ends = pd.to_datetime(edits["item_id"].map(last))
    created = pd.to_datetime(edits["created"])
    edits["at"] = timestamps(created + (ends - created) * rng.uniform(0.05, 0.95, len(edits)))
    kind = rng.choice([PRIORITY, RANK, FIX_VERSION], size=len(edits), p=[0.4, 0.4, 0.2])
    up = rng.random(len(edits)) < 0.5
    edits["field"] = kind
    edits["from_value"] = np.select([kind == PRIORITY, kind == RANK], ["Medium", ""], None)
    edits["to_value"] = np.select(
        [kind == PRIORITY, kind == RANK],
        [np.where(up, "High", "Low"), np.where(up, "Ranked higher", "Ranked lower")], edits["fix_versions"].str[0])
    edits["author_id"] = _pick_member(rng, memberships, edits[["team_id", "at"]].rename(columns={"at": "created"}))
    ops = roster.loc[roster["role"] == "prodops", "person_id"].to_numpy()
    chance = np.where(edits["team_id"].isin(deciding_teams), OPS_DECIDE[1], OPS_DECIDE[0])
    by_ops = (rng.random(len(edits)) < chance) & (len(ops) > 0)
    picked = ops[rng.integers(0, len(ops), len(edits))] if len(ops) else np.full(len(edits), None)
    edits["author_id"] = edits["author_id"].where(~by_ops, pd.Series(picked, dtype=object))
    return edits[["item_id", "at", "field", "from_value", "to_value", "author_id"]]


def make_work_items(story: Story, releases: pd.DataFrame, roster: pd.DataFrame, memberships: pd.DataFrame,
                    checkins: pd.DataFrame, scale: Scale = SMALL, deciding_teams: frozenset[str] = frozenset()
                    ) -> pd.DataFrame:
    """Release work, data requests, check-in tickets and product ops's own tickets (`prodops_work`),
    numbered the way Jira would: by creation,
    with their status changes and decision edits (`make_decision_edits`).

    `updated` is the last change: the latest status change, else creation.
    """
    items = pd.concat([
        _release_work(story, releases, memberships, scale.items_per_release).drop(columns=["team_id", "name", "day", "released", "done_by"]),
        _data_requests(story, roster),
        _checkin_tickets(checkins),
        make_prodops_work(story, roster),
    ], ignore_index=True)
    items["created"] = timestamps(items["created"])
    items["resolved"] = timestamps(items["resolved"])
    items = items.sort_values(["created", "project"], kind="stable").reset_index(drop=True)
    items["item_id"] = (10001 + np.arange(len(items))).astype(str)
    numbered = items["project"] + "-" + (items.groupby("project").cumcount() + 1).astype(str)
    items["key"] = items["key"].where(items["key"].notna(), numbered)
    own = (items["project"] == OPS_PROJECT).to_numpy()
    transitions = make_transitions(story, items[~own].reset_index(drop=True), scale.status_changes)
    if own.any():
        transitions = pd.concat([
            transitions, make_transitions(story, items[own].reset_index(drop=True), (2, 3), "prodops-transitions"),
        ], ignore_index=True)
    last = transitions.groupby("item_id")["at"].max()
    updated = items["item_id"].map(last)
    items["updated"] = timestamps(updated.where(updated.notna(), items["created"]))
    edits = make_decision_edits(items, transitions, releases, roster, memberships, deciding_teams)
    return items, pd.concat([transitions, edits], ignore_index=True)


# --- as Jira writes it ----------------------------------------------------------------------

def _jira_times(values: pd.Series) -> list[str | None]:
    """Naive UTC times as Jira writes them: milliseconds and the reading account's UTC offset (`+0100`)."""
    utc = pd.to_datetime(values).astype("datetime64[ms]")
    local = utc.dt.tz_localize("UTC").dt.tz_convert(JIRA_ZONE).dt.tz_localize(None).astype("datetime64[ms]")
    minutes = ((local - utc) // pd.Timedelta(minutes=1)).fillna(0).astype(int).to_numpy()
    offsets = {m: f"{'+' if m >= 0 else '-'}{abs(m) // 60:02d}{abs(m) % 60:02d}" for m in np.unique(minutes)}
    text = np.datetime_as_string(local.to_numpy(), unit="ms")
    return [None if stamp == "NaT" else stamp + offsets[m] for stamp, m in zip(text.tolist(), minutes.tolist())]


def jira_users(roster: pd.DataFrame) -> dict[str, dict]:
    """Each person as Jira Cloud shows a user: an opaque accountId, with the email the roster knows."""
    return {
        person: {
            "self": f"{SITE}/rest/api/2/user?accountId={account}",
            "accountId": account,
            "emailAddress": email,
            "displayName": name,
            "active": True,
            "timeZone": tz,
            "accountType": "atlassian",
        }
        for person, email, name, tz in zip(roster["person_id"], roster["email"], roster["name"], roster["tz"])
        for account in ["5f" + hashlib.sha256(f"demo-jira:{person}".encode()).hexdigest()[:22]]
    }


def _status(name: str) -> dict:
    status_id, category, category_name = STATUSES[name]
    return {"self": f"{SITE}/rest/api/2/status/{status_id}", "id": status_id, "name": name,
            "statusCategory": {"key": category, "name": category_name}}


def _numbered_histories(transitions: pd.DataFrame) -> pd.DataFrame:
    """Status changes in changelog order (per issue, oldest first), each with its history id."""
    ordered = transitions.sort_values(["item_id", "at"], kind="stable").reset_index(drop=True)
    ordered["history_id"] = (20001 + np.arange(len(ordered))).astype(str)
    return ordered


PRIORITY_IDS = {"High": "2", "Medium": "3", "Low": "4"}


def _history_item(field: str, old, new, version_ids: dict[str, str]) -> dict:
    """One changelog item as Jira writes it, from a transition row of the demo's model."""
    if field == PRIORITY:
        return {"field": "priority", "fieldtype": "jira", "fieldId": "priority", "from": PRIORITY_IDS[old],
                "fromString": old, "to": PRIORITY_IDS[new], "toString": new}
    if field == RANK:
        return {"field": "Rank", "fieldtype": "custom", "fieldId": "customfield_10019", "from": "", "fromString": "",
                "to": "", "toString": new}
    if field == FIX_VERSION:
        return {"field": "Fix Version", "fieldtype": "jira", "fieldId": "fixVersions", "from": None, "fromString": None,
                "to": version_ids[new], "toString": new}
    return {"field": "status", "fieldtype": "jira", "fieldId": "status",
            "from": STATUSES[old][0], "fromString": old, "to": STATUSES[new][0], "toString": new}


def _issues(items: pd.DataFrame, ordered: pd.DataFrame, users: dict[str, dict], version_ids: dict[str, str],
            projects: dict[str, str]) -> list[dict]:
    """`items` as the REST v2 search returns them, their changelogs from `ordered` (`_numbered_histories`)."""
    created, updated, resolved = (_jira_times(items[column]) for column in ("created", "updated", "resolved"))
    at = _jira_times(ordered["at"])
    histories: dict[str, list[dict]] = {}
    for n, (item_id, history_id, field, old, new, author) in enumerate(
        zip(*(ordered[column].tolist() for column in ("item_id", "history_id", "field", "from_value", "to_value", "author_id")))
    ):
        histories.setdefault(item_id, []).append({
            "id": history_id, "author": users.get(author) if isinstance(author, str) else None, "created": at[n],
            "items": [_history_item(field, old, new, version_ids)],
        })
    statuses = {name: _status(name) for name in STATUSES}
    projects = {key: {"id": project_id, "key": key} for key, project_id in projects.items()}
    columns = ["item_id", "key", "project", "type", "status", "assignee_id", "reporter_id", "labels", "components",
               "fix_versions", "due_date", "summary"]
    if "summary" not in items.columns:
        items = items.assign(summary=None)
    out = []
    for n, (item_id, key, project, kind, status, assignee, reporter, labels, components, fixes, due, summary) in enumerate(
        zip(*(items[column].tolist() for column in columns))
    ):
        log = histories.get(item_id, [])
        out.append({
            "expand": "operations,changelog",
            "id": item_id,
            "self": f"{SITE}/rest/api/2/issue/{item_id}",
            "key": key,
            "fields": {
                "project": projects[project],
                "issuetype": {"name": kind, "subtask": False},
                "summary": summary if isinstance(summary, str) else f"{kind} {key}",
                "status": statuses[status],
                "created": created[n],
                "updated": updated[n],
                "resolutiondate": resolved[n],
                "resolution": {"name": "Done"} if resolved[n] else None,
                "assignee": users.get(assignee) if isinstance(assignee, str) else None,
                "reporter": users.get(reporter) if isinstance(reporter, str) else None,
                "labels": list(labels),
                "components": [{"name": name} for name in components],
                "fixVersions": [{"id": version_ids[name], "name": name} for name in fixes],
                "duedate": due if isinstance(due, str) else None,
                "parent": None,
            },
            "changelog": {"startAt": 0, "maxResults": len(log), "total": len(log), "histories": log},
        })
    return out


def issues_json(items: pd.DataFrame, transitions: pd.DataFrame, users: dict[str, dict],
                releases: pd.DataFrame, projects: dict[str, str]) -> list[dict]:
    """Every work item as the REST v2 search returns it with `expand=changelog` (the whole changelog)."""
    version_ids = dict(zip(releases["name"], releases["release_id"]))
    return _issues(items, _numbered_histories(transitions), users, version_ids, projects)


def issue_pages(items: pd.DataFrame, transitions: pd.DataFrame, users: dict[str, dict], releases: pd.DataFrame,
                projects: dict[str, str], size: int | None) -> Iterator[list[dict]]:
    """`issues_json` `size` items at a time (all at once when None), as a sync reads search pages:
    the same issues, changelogs and history ids, without holding the whole export."""
    version_ids = dict(zip(releases["name"], releases["release_id"]))
    ordered = _numbered_histories(transitions)
    size = size or max(len(items), 1)
    for first in range(0, len(items), size):
        page = items.iloc[first:first + size]
        yield _issues(page, ordered[ordered["item_id"].isin(page["item_id"])], users, version_ids, projects)


def _version(release, projects: dict[str, str], planned, released: bool) -> dict:
    """One version as `/project/{key}/versions` lists it."""
    return {
        "self": f"{SITE}/rest/api/2/version/{release.release_id}",
        "id": release.release_id,
        "name": release.name,
        "archived": bool(release.archived) and released,
        "released": released,
        "startDate": release.start_date.strftime("%Y-%m-%d"),
        "releaseDate": planned.strftime("%Y-%m-%d"),
        "projectId": int(projects[release.project]),
    }


def versions_json(releases: pd.DataFrame, projects: dict[str, str]) -> dict[str, list[dict]]:
    """Each project's versions as read today: a released one's release date is the day it shipped."""
    out: dict[str, list[dict]] = {}
    for release in releases.itertuples(index=False):
        planned = release.released_on if release.released else release.planned_date
        out.setdefault(release.project, []).append(_version(release, projects, planned, bool(release.released)))
    return out


def version_reads(releases: pd.DataFrame, plans: pd.DataFrame, projects: dict[str, str]) -> list[tuple]:
    """Every earlier read that saw a version's planned date set or moved: `(observed_at, versions)`,
    each holding the version as it was then (still open, with the plan of the moment)."""
    by_id = {release.release_id: release for release in releases.itertuples(index=False)}
    reads = []
    for plan in plans.sort_values(["observed_at", "release_id"], kind="stable").itertuples(index=False):
        release = by_id[plan.release_id]
        version = _version(release, projects, plan.planned_date, released=False)
        reads.append((plan.observed_at.to_pydatetime(), {release.project: [version]}))
    return reads


@dataclass(frozen=True)
class JiraExport:
    """The demo's Jira as its REST API hands it out, and the `[jira]` section that reads it."""

    issues: list[dict]
    """Every issue as `/search` returns it with the changelog expanded."""
    versions: dict[str, list[dict]]
    """Each project's versions as read today."""
    reads: list[tuple[datetime, dict[str, list[dict]]]]
    """Earlier reads of the versions, each when a planned date was set or moved."""
    source: JiraSource
    synced_at: datetime


def deciding_teams(org: pd.DataFrame) -> frozenset[str]:
    return frozenset(org.loc[org["group_name"] == DECIDING_GROUP, "team_id"])


def jira_export(story: Story, org: pd.DataFrame, roster: pd.DataFrame, memberships: pd.DataFrame,
                checkins: pd.DataFrame, scale: Scale = SMALL) -> JiraExport:
    """Releases, their plans and every work item, generated and written as Jira's REST JSON."""
    releases, plans = make_releases(story, org, scale)
    items, transitions = make_work_items(story, releases, roster, memberships, checkins, scale, deciding_teams(org))
    projects = {project: str(10001 + n) for n, project in enumerate(project_keys(org))}
    return JiraExport(
        issues=issues_json(items, transitions, jira_users(roster), releases, projects),
        versions=versions_json(releases, projects),
        reads=version_reads(releases, plans, projects),
        source=jira_source(org),
        synced_at=story.synced_at.to_pydatetime(),
    )


def read_jira(story: Story, org: pd.DataFrame, roster: pd.DataFrame, memberships: pd.DataFrame,
              checkins: pd.DataFrame, people: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """What `jira_tables(jira_export(...))` gives, with the issues written and normalized
    `Scale.jira_batch` at a time, so the whole REST JSON of a large organisation is never in memory."""
    scale = story.scale
    releases, plans = make_releases(story, org, scale)
    items, transitions = make_work_items(story, releases, roster, memberships, checkins, scale, deciding_teams(org))
    projects = {project: str(10001 + n) for n, project in enumerate(project_keys(org))}
    source, synced_at = jira_source(org), story.synced_at.to_pydatetime()
    rules = Rules.from_settings(source, people)
    versions = versions_json(releases, projects)
    batches = []
    for n, page in enumerate(issue_pages(items, transitions, jira_users(roster), releases, projects, scale.jira_batch)):
        batches.append(normalize(page, versions if n == 0 else {}, synced_at, rules))
        del page
    del items, transitions
    if not batches:
        batches.append(normalize([], versions, synced_at, rules))
    frames = _joined(batches)
    seen = version_plans(version_reads(releases, plans, projects), rules)
    return _tables(frames, plan_changes(pd.concat([seen, frames.release_plans], ignore_index=True)))


def _joined(batches: list[JiraFrames]) -> JiraFrames:
    if len(batches) == 1:
        return batches[0]
    return JiraFrames(*(pd.concat([getattr(b, name) for b in batches], ignore_index=True) for name in
                        ("work_items", "work_item_transitions", "releases", "release_plans")))


def _tables(frames: JiraFrames, release_plans: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {
        "releases": frames.releases,
        "release_plans": release_plans,
        "work_items": frames.work_items.assign(source=SOURCE),
        "work_item_transitions": frames.work_item_transitions,
    }


def jira_tables(export: JiraExport, people: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The Jira connector's reading of the export: today's sync normalizes issues and versions; the
    planned dates every read saw go through `plan_changes`, so each first plan and re-plan is kept.

    The demo's work items are marked as the demo's (`source`), as its calendars are.
    """
    rules = Rules.from_settings(export.source, people)
    frames = normalize(export.issues, export.versions, export.synced_at, rules)
    seen = version_plans(export.reads, rules)
    return _tables(frames, plan_changes(pd.concat([seen, frames.release_plans], ignore_index=True)))
