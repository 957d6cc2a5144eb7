"""How much of the organisation the data covers: a metric over half the PMs' calendars says
less than it seems, and the Data page says so.

Each measure is a share over a recent window (`WINDOW_DAYS` up to today), counted the way the
metrics place records: a PM by their team memberships, a release by its release day, an issue
by how the metrics tie it to a team.
"""
from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from dashboard.core.config import Settings
from dashboard.core.store import Store
from dashboard.core.teams import team_at
from dashboard.metrics import load_tables
from dashboard.metrics.registry import Context
from dashboard.metrics.releases import first_plans

WINDOW_DAYS = 90
COLUMNS = ["measure", "covered", "total", "share", "counted"]


def _share(covered: int, total: int) -> float | None:
    return covered / total if total else None


def pm_calendars(tables: dict[str, pd.DataFrame], first: date, today: date) -> tuple[int, int]:
    """PMs on a team at any time in the window, and how many of them have a calendar week in it."""
    members = tables["memberships"]
    pms = members[(members["role"] == "pm")
                  & (pd.to_datetime(members["valid_from"]) <= pd.Timestamp(today))
                  & ~(pd.to_datetime(members["valid_to"]) <= pd.Timestamp(first))]
    everyone = set(pms["person_id"])
    weeks = tables["pm_weeks"]
    start = pd.to_datetime(weeks["week_start"])
    seen = set(weeks.loc[(start >= pd.Timestamp(first) - pd.Timedelta(days=6)) & (start <= pd.Timestamp(today)), "person_id"])
    return len(everyone & seen), len(everyone)


def planned_releases(tables: dict[str, pd.DataFrame], settings: Settings, first: date, today: date) -> tuple[int, int]:
    """Releases shipped in the window, and how many of them have a planned date on record."""
    releases = tables["releases"]
    day = pd.to_datetime(releases["released_on"])
    shipped = releases[releases["released"].fillna(False).astype(bool) & (day >= pd.Timestamp(first)) & (day <= pd.Timestamp(today))]
    plans = first_plans(Context(tables, settings, "quarter", "org", [first]))
    return int(shipped["release_id"].isin(plans.dropna().index).sum()), len(shipped)


def mapped_issues(tables: dict[str, pd.DataFrame], first: date, today: date) -> tuple[int, int]:
    """Issues and data requests created in the window, and how many the metrics can place on a team.

    A data request counts for its reporter's team on the day it was created; an issue for the
    team of a release it is fixed in (release lead time), else its reporter's team.
    """
    items = tables["work_items"]
    created = pd.to_datetime(items["created"])
    items = items[items["kind"].isin(["work", "data_request"]) & (created >= pd.Timestamp(first))
                  & (created < pd.Timestamp(today) + pd.Timedelta(days=1))]
    if items.empty:
        return 0, 0
    reporter_team = team_at(tables["memberships"], items["reporter_id"], pd.to_datetime(items["created"]).dt.normalize())
    releases = tables["releases"].dropna(subset=["team_id"])
    with_team = set(zip(releases["project"], releases["name"]))
    by_release = [
        any((project, name) in with_team for name in (versions if isinstance(versions, list | tuple | np.ndarray) else []))
        for project, versions in zip(items["project"], items["fix_versions"])
    ]
    placed = reporter_team.notna() | (pd.Series(by_release, index=items.index) & (items["kind"] == "work"))
    return int(placed.sum()), len(items)


def read_tables(store: Store, today: date) -> dict[str, pd.DataFrame]:
    """What `coverage` reads: the roster, PM-weeks and releases whole, and only the window's work items
    (a large organisation's every issue is most of what the dashboard could hold in memory)."""
    first = today - timedelta(days=WINDOW_DAYS)
    tables = load_tables(store, ("memberships", "pm_weeks", "releases", "release_plans"))
    tables["work_items"] = store.query(
        "SELECT kind, project, created, reporter_id, fix_versions FROM work_items WHERE created >= ?", [first])
    return tables


def coverage(tables: dict[str, pd.DataFrame], settings: Settings, today: date) -> pd.DataFrame:
    """One row per measure: `measure`, `covered`, `total`, `share` (None when nothing to count), `counted`."""
    first = today - timedelta(days=WINDOW_DAYS - 1)
    rows = [
        ("PMs with a calendar", *pm_calendars(tables, first, today),
         "PMs on a team in the last 90 days with at least one calendar week"),
        ("Releases with a planned date", *planned_releases(tables, settings, first, today),
         "releases shipped in the last 90 days with a planned date on record"),
        ("Issues mapped to a team", *mapped_issues(tables, first, today),
         "issues and data requests created in the last 90 days that a metric can place on a team"),
    ]
    return pd.DataFrame(
        [(measure, covered, total, _share(covered, total), counted) for measure, covered, total, counted in rows],
        columns=COLUMNS,
    )
