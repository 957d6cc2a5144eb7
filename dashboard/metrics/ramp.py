"""S3's enablement seen from a new PM: how soon someone who joins as a PM delivers the
organisation's standard outputs, a check-in on time and a release of their team.

A PM joins on their first day as a PM on the roster (their first `pm` membership, else their
`active_from`), on that membership's team, and belongs to the period holding that day. A PM who
has not reached the milestone yet is in neither the median nor its n: the figure is how long
those who got there took. Figures about fewer new PMs than the calendar minimum are not shown,
nor their n: with a handful of joiners a median is one person's ramp.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.metrics.aggregate import org_dates, summarise
from dashboard.metrics.checkins import statuses
from dashboard.metrics.registry import Context, metric

ROSTER_AND_JIRA = ("roster", "jira")
DAY = pd.Timedelta(days=1)


def joiners(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every PM on the roster with the day they joined as a PM and the team they joined:
    `person_id, joined, team_id`."""
    people = tables["people"]
    pms = people[people["role"] == "pm"].drop_duplicates("person_id")
    memberships = tables["memberships"]
    first = (memberships[(memberships["role"] == "pm") & memberships["person_id"].isin(pms["person_id"])]
             .dropna(subset=["valid_from"]).sort_values(["person_id", "valid_from"]).drop_duplicates("person_id")
             .set_index("person_id"))
    ids = pms["person_id"]
    joined = ids.map(pd.to_datetime(first["valid_from"])).fillna(pd.to_datetime(pms["active_from"]))
    team = ids.map(first["team_id"]).fillna(pms["team_id"])
    found = pd.DataFrame({"person_id": ids.to_numpy(), "joined": pd.to_datetime(joined).to_numpy(), "team_id": team.to_numpy()})
    return found.dropna(subset=["joined"]).reset_index(drop=True)


def first_on_time_checkins(ctx: Context, new: pd.DataFrame) -> pd.Series:
    """Per new PM, the org-local day of the first check-in delivered on time on or after they
    joined, that they own, or that their team delivered with no owner on record (a form names none)."""
    checkins = ctx.tables["checkins"]
    on_time = checkins[statuses(checkins, ctx.settings.checkins.grace_hours) == "on_time"]
    delivered = pd.DataFrame({"owner_id": on_time["owner_id"].to_numpy(), "team_id": on_time["team_id"].to_numpy(),
                              "day": org_dates(ctx, on_time["submitted_at"]).to_numpy()})
    owned = new.merge(delivered.dropna(subset=["owner_id"]), left_on="person_id", right_on="owner_id", suffixes=("", "_c"))
    unowned = new.merge(delivered[delivered["owner_id"].isna()], on="team_id")
    both = pd.concat([owned[["person_id", "joined", "day"]], unowned[["person_id", "joined", "day"]]])
    return both[both["day"] >= both["joined"]].groupby("person_id")["day"].min()


def first_team_releases(ctx: Context, new: pd.DataFrame) -> pd.Series:
    """Per new PM, the first day a release of the team they joined shipped, on or after they joined."""
    releases = ctx.tables["releases"]
    shipped = releases[releases["released"].fillna(False).astype(bool) & releases["released_on"].notna()]
    shipped = pd.DataFrame({"team_id": shipped["team_id"], "day": pd.to_datetime(shipped["released_on"])})
    joined = new.merge(shipped, on="team_id")
    return joined[joined["day"] >= joined["joined"]].groupby("person_id")["day"].min()


def _median_days(ctx: Context, reached) -> pd.DataFrame:
    new = joiners(ctx.tables)
    first = reached(ctx, new).to_dict()  # a dict: mapping through an empty datetime Series raises
    days = (pd.to_datetime(new["person_id"].map(first)) - pd.to_datetime(new["joined"])) / DAY
    observations = pd.DataFrame({"date": new["joined"], "team_id": new["team_id"], "value": days}).dropna(subset=["value"])
    result = summarise(ctx, observations, "median")
    small = result["n"].between(1, ctx.settings.privacy.min_calendar_group - 1)
    result["value"] = result["value"].mask(small, np.nan)
    result["n"] = result["n"].astype("Int64").mask(small, pd.NA)
    return result


@metric(
    id="new_pm_days_to_first_checkin", title="New PM days to first on-time check-in", signal="S3", unit="days",
    better="lower",
    definition="Median days from a PM's first day as a PM on the roster to the first check-in delivered on "
    "time that they own (or that their team delivered with no owner on record), over the PMs who joined "
    "in the period and have delivered one.",
    sources=ROSTER_AND_JIRA, n_label="new PMs", needs=("checkins",),
)
def new_pm_days_to_first_checkin(ctx: Context) -> pd.DataFrame:
    return _median_days(ctx, first_on_time_checkins)


@metric(
    id="new_pm_days_to_first_release", title="New PM days to first team release", signal="S3", unit="days",
    better="lower",
    definition="Median days from a PM's first day as a PM on the roster to the first release their team "
    "shipped after it, over the PMs who joined in the period and whose team has shipped one.",
    sources=ROSTER_AND_JIRA, n_label="new PMs", needs=("releases",),
)
def new_pm_days_to_first_release(ctx: Context) -> pd.DataFrame:
    return _median_days(ctx, first_team_releases)
