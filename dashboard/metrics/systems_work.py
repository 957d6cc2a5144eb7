"""Mistake 3 of product operations, project management instead of systems-building: what its Jira work builds.

The calendar half (`product_ops`) shows product ops's time going to status and coordination
meetings. This is the other half: of the work items product-ops people close, how many build
systems (tooling, automation, templates, dashboards, integrations) rather than coordinate (status
updates, syncs, meeting notes, chasing). Each item's class is set at sync time by the Jira rules
(`connectors.jira.classify`); an item no rule matched is left out, not guessed.

Product-ops people have no team, so only the organisation has a figure, shown under the same
minimum of people as their calendar figures, through the privacy ledger (`person_shares`).
"""
from __future__ import annotations

import pandas as pd

from dashboard.metrics.decisions import role_at
from dashboard.metrics.person_shares import Share, share
from dashboard.metrics.registry import PRODUCT_OPS, Context, metric

WORK_COLUMNS = ["item_id", "resolved", "assignee_id", "work_class"]
SYSTEMS = "systems"


def prodops_work(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """`item_id, resolved, assignee_id, work_class`: the classified, resolved, assigned work items.

    `load_tables` reads them from the store already cut to people who are product ops on some day
    (`prodops_work`), since a large organisation's release work is most of its issues; tables given
    by hand are cut here, and a hand-made `work_items` without classes has none.
    """
    if "prodops_work" in tables:
        return tables["prodops_work"]
    items = tables["work_items"]
    if "work_class" not in items.columns:
        return pd.DataFrame(columns=WORK_COLUMNS)
    kept = items["work_class"].notna() & items["resolved"].notna() & items["assignee_id"].notna()
    return items.loc[kept, WORK_COLUMNS]


def work_events(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The resolved work as `person_shares` events: whose it was on the day it was resolved, counted
    when it built a system; for the organisation only (no team)."""
    work = prodops_work(tables)
    resolved = pd.to_datetime(work["resolved"])
    roles = role_at(tables, work["assignee_id"], resolved) if len(work) else pd.Series(dtype=object)
    return pd.DataFrame({
        "person_id": work["assignee_id"], "role": roles, "at": resolved, "team_id": None,
        "counted": work["work_class"].eq(SYSTEMS),
    }, index=work.index)


PRODUCT_OPS_ROLE = "prodops"
SYSTEMS_WORK = Share("prodops_systems_work", (PRODUCT_OPS_ROLE,), work_events,
                     tables=("work_items", "people", "memberships", "teams", "team_groups"))


@metric(
    id="prodops_systems_work_share", title="Product-ops work that builds systems", signal=PRODUCT_OPS.id,
    unit="share", better="higher",
    definition="Of the Jira work items resolved in the period by product-ops people (the assignee's role on the "
    "day it was resolved) that the work-class rules classify, the share that builds systems (tooling, "
    "automation, templates, dashboards, integrations) rather than coordinates (status updates, syncs, meeting "
    "notes, chasing). Product ops has no team, so only the organisation has a figure; it passes the privacy "
    "rules of the calendar minimum of people, across periods and versions.",
    sources=("jira",), n_label="work items", needs=("work_items", "privacy_cells"),
)
def prodops_systems_work_share(ctx: Context) -> pd.DataFrame:
    return share(ctx, SYSTEMS_WORK)
