"""Mistake 1 of product operations, deciding instead of informing: who makes the decision edits.

A decision edit (`dashboard.core.decisions`) on product work, a change of priority, fix version
or rank or a close as won't-do, is made by someone. Product ops that informs leaves those to the
PMs; product ops that decides makes them itself. The share of them made by product-ops people is
an early warning, read from the authors of the work items' changes.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.core.decisions import STATUS, wont_do
from dashboard.metrics.person_shares import Share, share
from dashboard.metrics.registry import PRODUCT_OPS, Context, metric

DECIDERS = ("pm", "prodops")
"""The roles whose decision edits are counted: a PM deciding is the norm, product ops deciding the warning."""
EDIT_COLUMNS = ["item_id", "at", "field", "to_value", "author_id", "project"]


def decision_edits(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """`item_id, at, field, to_value, author_id, project`: the decision edits on product work
    (`work_items.kind = 'work'`, not data requests or check-ins).

    `load_tables` reads them from the store already joined and cut (`decision_edits`), since a
    large organisation's transitions are mostly status moves no metric here reads; tables given
    by hand are joined here.
    """
    if "decision_edits" in tables:
        return tables["decision_edits"]
    moves = tables["work_item_transitions"]
    decided = (moves["field"] != STATUS) | moves["to_value"].map(wont_do).astype(bool)
    items = tables["work_items"]
    work = items.loc[items["kind"] == "work", ["item_id", "project"]]
    return moves[decided].merge(work, on="item_id")[EDIT_COLUMNS]


def project_teams(releases: pd.DataFrame) -> pd.Series:
    """project -> the team of its releases (the `[jira] project_teams` map the connector applied);
    where a project's releases name several teams, the one named most often."""
    owned = releases.dropna(subset=["project", "team_id"])
    if owned.empty:
        return pd.Series(dtype=object)
    counts = owned.groupby(["project", "team_id"]).size().rename("releases").reset_index()
    return counts.sort_values(["project", "releases", "team_id"], ascending=[True, False, True]) \
        .drop_duplicates("project").set_index("project")["team_id"]


def role_at(tables: dict[str, pd.DataFrame], people: pd.Series, moments: pd.Series) -> pd.Series:
    """Each person's role at each moment: the membership that covered the day (valid_to exclusive),
    else the roster's role; none for an author the roster does not know (`jira:<id>`)."""
    asked = pd.DataFrame({"person_id": people.to_numpy(), "date": pd.to_datetime(moments).dt.normalize().to_numpy(),
                          "row": np.arange(len(people))})
    history = tables["memberships"][["person_id", "role", "valid_from", "valid_to"]].copy()
    history["valid_from"] = pd.to_datetime(history["valid_from"])
    history["valid_to"] = pd.to_datetime(history["valid_to"]).fillna(pd.Timestamp("2999-12-31"))
    joined = asked.merge(history, on="person_id")
    held = joined[(joined["date"] >= joined["valid_from"]) & (joined["date"] < joined["valid_to"])]
    found = held.drop_duplicates("row", keep="last").set_index("row")["role"].reindex(np.arange(len(people)))
    roster = people.map(tables["people"].set_index("person_id")["role"]).to_numpy()
    return pd.Series(found.to_numpy(), index=people.index).fillna(pd.Series(roster, index=people.index))


def edit_events(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The decision edits as `person_shares` events: counted when a product-ops person made it."""
    edits = decision_edits(tables)
    roles = role_at(tables, edits["author_id"], edits["at"]) if len(edits) else pd.Series(dtype=object)
    return pd.DataFrame({
        "person_id": edits["author_id"], "role": roles, "at": edits["at"],
        "team_id": edits["project"].map(project_teams(tables["releases"])), "counted": roles.eq("prodops"),
    }, index=edits.index)


DECISIONS = Share("ops_decisions", DECIDERS, edit_events, counts=("prodops",),
                  tables=("work_items", "work_item_transitions", "releases", "memberships", "people", "teams", "team_groups"))


@metric(
    id="ops_decision_share", title="Decisions made by product ops", signal=PRODUCT_OPS.id, unit="share", better="lower",
    definition="Of the decision edits on product work in the period (a change of priority, fix version or rank, "
    "or a close as won't do) made by PMs or product-ops people, the share product-ops people made; each "
    "person's role is the one they had on the day, and an edit counts for the team of the item's project. "
    "Each role's edits pass the privacy rules on their own (the calendar minimum of people, no working it out "
    "by subtraction or across versions): a figure is shown only where every role with people in it is.",
    sources=("jira",), n_label="decision edits", needs=("work_items", "work_item_transitions", "releases", "privacy_cells"),
)
def ops_decision_share(ctx: Context) -> pd.DataFrame:
    return share(ctx, DECISIONS)
