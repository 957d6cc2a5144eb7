"""S3: do releases run smoothly at scale? Slip is measured against the plan as it first was."""
from __future__ import annotations

import pandas as pd

from dashboard.metrics.aggregate import near_periods, summarise
from dashboard.metrics.registry import Context, metric

JIRA = ("jira",)
RELEASES = ("releases", "release_plans")


def released(ctx: Context, near: bool = True) -> pd.DataFrame:
    """Releases shipped, `near` the periods asked for unless the whole history is needed."""
    releases = ctx.tables["releases"]
    out = releases[releases["released"].fillna(False).astype(bool) & releases["released_on"].notna()].copy()
    out["released_on"] = pd.to_datetime(out["released_on"])
    return near_periods(ctx, out, "released_on") if near else out


def first_plans(ctx: Context) -> pd.Series:
    """The first planned date on record per release: the earliest observation in `release_plans`,
    else the release's own planned date when no observation was ever recorded."""
    plans = ctx.tables["release_plans"].dropna(subset=["planned_date"]).sort_values(["release_id", "observed_at"])
    first = plans.drop_duplicates("release_id").set_index("release_id")["planned_date"]
    own = ctx.tables["releases"].set_index("release_id")["planned_date"].dropna()
    return pd.to_datetime(first.combine_first(own))


def _planned_releases(ctx: Context) -> pd.DataFrame:
    done = released(ctx)
    plans = first_plans(ctx)
    done["first_plan"] = done["release_id"].map(plans) if len(plans) else pd.NaT
    return done.dropna(subset=["first_plan"])


def _by_release_day(frame: pd.DataFrame, value) -> pd.DataFrame:
    return pd.DataFrame({"date": frame["released_on"], "team_id": frame["team_id"], "value": value})


def release_work(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """`project, created, name`: one row per work item (not requests or check-ins) and fix version.

    `load_tables` reads it from the store already unnested (`release_work`), once per published
    version, because exploding every work item's list of versions on each metric call is what
    dominated a large organisation's release metrics; tables given by hand are unnested here.
    """
    if "release_work" in tables:
        return tables["release_work"]
    items = tables["work_items"]
    items = items[items["kind"] == "work"][["project", "created", "fix_versions"]].explode("fix_versions")
    return items.dropna(subset=["fix_versions"]).rename(columns={"fix_versions": "name"})


@metric(
    id="release_count", title="Releases shipped", signal="S3", unit="count", better="higher",
    definition="Releases (fix versions) marked released whose release day falls in the period.",
    sources=JIRA, n_label="releases", needs=RELEASES,
)
def release_count(ctx: Context) -> pd.DataFrame:
    done = released(ctx)
    return summarise(ctx, _by_release_day(done, 1.0), "count", empty_value=0.0)


@metric(
    id="release_interval_days", title="Days between releases", signal="S3", unit="days", better="lower",
    definition="Median days between a release and the previous release of the same project, for "
    "releases shipped in the period.",
    sources=JIRA, n_label="releases", needs=RELEASES,
)
def release_interval_days(ctx: Context) -> pd.DataFrame:
    done = released(ctx, near=False).sort_values(["project", "released_on", "release_id"])
    gap = done.groupby("project")["released_on"].diff() / pd.Timedelta(days=1)
    return summarise(ctx, near_periods(ctx, _by_release_day(done, gap).dropna(subset=["value"]), "date"), "median")


@metric(
    id="release_on_time_rate", title="Releases on time", signal="S3", unit="share", better="higher",
    definition="Share of releases shipped in the period, among those with a planned date, released on "
    "or before the FIRST planned date on record (not the date as later edited).",
    sources=JIRA, n_label="releases with a plan", needs=RELEASES,
)
def release_on_time_rate(ctx: Context) -> pd.DataFrame:
    done = _planned_releases(ctx)
    return summarise(ctx, _by_release_day(done, (done["released_on"] <= done["first_plan"]).astype(float)), "mean")


@metric(
    id="release_slip_days", title="Release slip", signal="S3", unit="days", better="lower",
    definition="Mean over releases shipped in the period with a planned date of the days released after "
    "the first planned date on record (0 when on time or early).",
    sources=JIRA, n_label="releases with a plan", needs=RELEASES,
)
def release_slip_days(ctx: Context) -> pd.DataFrame:
    done = _planned_releases(ctx)
    slip = ((done["released_on"] - done["first_plan"]) / pd.Timedelta(days=1)).clip(lower=0)
    return summarise(ctx, _by_release_day(done, slip), "mean")


@metric(
    id="release_lead_time_days", title="Lead time to release", signal="S3", unit="days", better="lower",
    definition="Median days from an issue's creation to the release day of its fix version, for issues "
    "whose release shipped in the period.",
    sources=JIRA, n_label="issues", needs=(*RELEASES, "work_items"),
)
def release_lead_time_days(ctx: Context) -> pd.DataFrame:
    shipped = release_work(ctx.tables).merge(
        released(ctx)[["project", "name", "team_id", "released_on"]], on=["project", "name"])
    created_day = pd.to_datetime(shipped["created"]).dt.normalize()
    lead = ((shipped["released_on"] - created_day) / pd.Timedelta(days=1)).clip(lower=0)
    return summarise(ctx, _by_release_day(shipped, lead), "median")
