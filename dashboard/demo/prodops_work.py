"""Product-ops people's Jira work: project management first, systems work after the turn.

The Jira half of the story `prodops_calendars` tells in meetings: until `Story.systems_turn` the
product-ops team's tickets in its own project (`OPS_PROJECT`) are mostly status updates, chasing
and meeting notes; from the turn they are mostly automation, templates, dashboards and
integrations. The summaries are written for the connector's built-in work-class rules to read
(the demo configures none), a few carry a label instead, and a few match no rule at all, as in
any real backlog. A few tickets a person-week, so a large organisation's twenty people add only
thousands of issues to its hundreds of thousands.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.demo.story import DAY, Story, business_time, stream, to_utc

OPS_PROJECT = "OPS"
PER_DAY = 0.6
"""Tickets a product-ops person takes on a working day, on average."""
SYSTEMS_SHARE = (0.2, 0.75)
"""The chance a classified ticket builds a system: before the turn, after it."""
UNCLASSIFIED = 0.1
"""The chance a ticket is something no rule reads either way."""
SYSTEMS_WORK = (
    ("Automate the weekly status report", []), ("Launch brief template", []), ("Release dashboard for leadership", []),
    ("Zendesk integration for customer feedback", []), ("Intake workflow for data requests", []),
    ("Onboarding playbook for new PMs", []), ("Roadmap sync from Jira to the portal", ["automation"]),
    ("Decision log in Confluence", ["tooling"]),
)
"""Summaries (and labels) the built-in rules read as systems; a label decides where a summary would not."""
COORDINATION_WORK = (
    ("Weekly status update for leadership", []), ("Chase teams for release dates", []),
    ("Meeting notes: quarterly planning", []), ("Follow up on missing check-ins", []),
    ("Sync with Payments on the launch", []), ("Coordinate the roadmap review", []),
    ("Prepare the steering deck", ["status-update"]),
)
"""Summaries (and labels) the built-in rules read as coordination."""
OTHER_WORK = (("Offsite logistics", []), ("Hiring loop for a product-ops analyst", []))
"""Work no rule reads: left out of the share."""


def _days(story: Story, roster: pd.DataFrame) -> pd.DataFrame:
    """Each product-ops person's weekdays from joining (or the story's start) up to today."""
    people = roster[roster["role"] == "prodops"]
    days = pd.bdate_range(story.start, story.today)
    grid = people[["person_id", "tz", "active_from", "active_to"]].merge(pd.DataFrame({"day": days}), how="cross")
    until = grid["active_to"].fillna(pd.Timestamp("2262-01-01"))
    return grid[(grid["day"] >= grid["active_from"]) & (grid["day"] < until)].reset_index(drop=True)


def make_prodops_work(story: Story, roster: pd.DataFrame) -> pd.DataFrame:
    """The product-ops people's tickets, each reported by and assigned to its person, resolved one to
    eight working days later (still open when that is after the sync). Columns as the demo's other
    work items, with `summary`."""
    rng = stream("prodops-work")
    days = _days(story, roster)
    tickets = days.loc[days.index.repeat(rng.poisson(PER_DAY, len(days)))].reset_index(drop=True)
    created = to_utc(business_time(rng, tickets["day"]), tickets["tz"])
    keep = (created < story.cutoff).to_numpy()
    tickets, created = tickets[keep].reset_index(drop=True), created[keep].reset_index(drop=True)
    turned = (tickets["day"] >= pd.Timestamp(story.systems_turn)).to_numpy()
    draw = rng.random(len(tickets))
    systems = draw < np.where(turned, SYSTEMS_SHARE[1], SYSTEMS_SHARE[0]) * (1 - UNCLASSIFIED)
    other = draw >= 1 - UNCLASSIFIED
    pick = rng.integers(0, 1 << 30, len(tickets))
    work = [OTHER_WORK[p % len(OTHER_WORK)] if o else SYSTEMS_WORK[p % len(SYSTEMS_WORK)] if s
            else COORDINATION_WORK[p % len(COORDINATION_WORK)] for s, o, p in zip(systems, other, pick)]
    resolved = created + pd.to_timedelta(rng.uniform(1, 8, len(tickets)) * DAY.total_seconds(), unit="s")
    done = (resolved < story.cutoff).to_numpy()
    return pd.DataFrame({
        "project": OPS_PROJECT,
        "type": "Task",
        "summary": [summary for summary, _ in work],
        "created": created,
        "resolved": resolved.where(done),
        "status": np.where(done, "Done", "In Progress"),
        "reporter_id": tickets["person_id"],
        "assignee_id": tickets["person_id"],
        "labels": [list(labels) for _, labels in work],
        "components": [[] for _ in range(len(tickets))],
        "fix_versions": [[] for _ in range(len(tickets))],
        "due_date": None,
    })
