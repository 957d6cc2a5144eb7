"""The demo's decision edits: made by the team's PMs, and once the roster has product-ops people,
by them a few times, and about half the time in the planted group."""
from __future__ import annotations

import pandas as pd
import pytest

from dashboard.core.config import Settings
from dashboard.demo.build import _organisation
from dashboard.demo.checkins import make_checkins
from dashboard.demo.jira import DECIDING_GROUP, OPS_DECIDE, deciding_teams, make_releases, make_work_items
from dashboard.demo.org import load_roster_exports, roster_snapshots
from dashboard.demo.scale import SMALL
from tests.conftest import DEMO_TODAY


@pytest.fixture(scope="module")
def organisation():
    story, org, roster = _organisation(DEMO_TODAY, SMALL)
    known = load_roster_exports(roster_snapshots(story, org, roster))
    return story, org, roster, known["memberships"], make_checkins(story, known, Settings())


def without_product_ops(roster: pd.DataFrame) -> pd.DataFrame:
    """The demo roster as it was before it had product-ops people, so a test chooses its own."""
    return roster[roster["role"] != "prodops"]


def edits_of(organisation, roster):
    story, org, _, memberships, checkins = organisation
    releases, _ = make_releases(story, org, SMALL)
    items, moves = make_work_items(story, releases, roster, memberships, checkins, SMALL, deciding_teams(org))
    edits = moves[moves["field"] != "status"].merge(items[["item_id", "fix_versions", "updated"]], on="item_id")
    edits["team_id"] = edits["fix_versions"].str[0].map(releases.drop_duplicates("name").set_index("name")["team_id"])
    edits["group"] = edits["team_id"].map(org.set_index("team_id")["group_name"])
    return edits


def test_without_product_ops_the_decisions_are_the_team_pms_and_come_before_the_last_status_change(organisation):
    _, _, roster, memberships, _ = organisation
    edits = edits_of(organisation, without_product_ops(roster))
    assert set(edits["field"]) == {"priority", "rank", "fix_version"}
    assert (edits["at"] < edits["updated"]).all()
    authors = edits.dropna(subset=["author_id"])
    assert len(authors) > 0.9 * len(edits)
    pms = memberships[memberships["role"] == "pm"]
    pairs = set(zip(pms["person_id"], pms["team_id"]))
    assert all((a, t) in pairs for a, t in zip(authors["author_id"], authors["team_id"]))


def test_with_product_ops_in_the_roster_they_decide_in_the_planted_group(organisation):
    _, _, roster, _, _ = organisation
    ops = pd.DataFrame({"person_id": [f"ops{n}" for n in range(4)], "role": "prodops"})
    edits = edits_of(organisation, pd.concat([without_product_ops(roster), ops], ignore_index=True))
    by_ops = edits["author_id"].isin(ops["person_id"])
    planted = edits["group"] == DECIDING_GROUP
    assert by_ops[planted].mean() == pytest.approx(OPS_DECIDE[1], abs=0.05)
    assert by_ops[~planted].mean() == pytest.approx(OPS_DECIDE[0], abs=0.03)
    assert edits["author_id"][by_ops].nunique() == 4
