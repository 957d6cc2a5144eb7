"""The privacy auditor on the shares of a few people's actions (`dashboard.metrics.person_shares`).

An attacker knows everyone's role and sees, for every grain and scope, the share of decision
edits product-ops people made and the edits behind it: so each shown cell tells the sum of its
product-ops people's edits and the sum of its PMs'. Each sum is written as a linear equation over
the finest pieces every figure is a sum of (one person's edits for one team in the part of a week
lying in one month), worked out here from the generated edits; scipy's HiGHS then bounds every
hidden part of a cell that holds fewer than the minimum of one role's people. None may be bounded
more narrowly than the protection interval.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from dashboard.core.config import Settings
from dashboard.metrics import compute_series, person_shares
from dashboard.metrics.decisions import DECISIONS
from dashboard.metrics.person_shares import EVENTS_FLOOR
from tests.core.test_disclosure_audit import audit, audit_versions
from tests.tables import make_tables

GRAINS = ("week", "month", "quarter")
ROLES = ("pm", "prodops")
START = date(2026, 3, 2)  # four weeks either side of a month's and a quarter's end


@dataclass(frozen=True)
class Edits:
    groups: list[list[int]]  # per group, its teams
    people: list[str]  # each person's role
    edits: list[tuple[int, int, int]]  # (person, team, day after START)
    k: int


@st.composite
def edit_sets(draw) -> Edits:
    sizes = draw(st.lists(st.integers(1, 2), min_size=1, max_size=3))
    groups, teams = [], 0
    for size in sizes:
        groups.append(list(range(teams, teams + size)))
        teams += size
    people = draw(st.lists(st.sampled_from(ROLES), min_size=2, max_size=9))
    edits = draw(st.lists(st.tuples(st.integers(0, len(people) - 1), st.integers(0, teams - 1), st.integers(0, 55)),
                          min_size=1, max_size=60))
    return Edits(groups, people, edits, draw(st.sampled_from([3, 4])))


def tables_of(case: Edits) -> dict[str, pd.DataFrame]:
    teams = [{"team_id": f"t{t}", "name": f"T{t}", "group_name": f"G{g}"} for g, ts in enumerate(case.groups) for t in ts]
    people = [{"person_id": f"p{i}", "role": role, "team_id": None} for i, role in enumerate(case.people)]
    memberships = [{"person_id": p["person_id"], "role": p["role"], "team_id": None, "valid_from": "2025-01-01"}
                   for p in people]
    releases = [{"release_id": f"r{t['team_id']}", "project": f"P{t['team_id']}", "team_id": t["team_id"]} for t in teams]
    items = [{"source": "jira", "item_id": f"I{t['team_id']}", "kind": "work", "project": f"P{t['team_id']}"} for t in teams]
    moves = [{"item_id": f"It{team}", "at": pd.Timestamp(START + timedelta(days=day)) + pd.Timedelta(hours=12, seconds=n),
              "field": "priority", "from_value": None, "to_value": "High", "author_id": f"p{person}"}
             for n, (person, team, day) in enumerate(case.edits)]
    return make_tables(teams=teams, people=people, memberships=memberships, releases=releases, work_items=items,
                       work_item_transitions=moves)


def pieces(case: Edits) -> pd.DataFrame:
    """The truth: one row per piece (role, person, team, week, month) with its edits."""
    rows = []
    for person, team, day in case.edits:
        when = START + timedelta(days=day)
        rows.append({"role": case.people[person], "person": person, "team": team,
                     "group": next(g for g, ts in enumerate(case.groups) if team in ts),
                     "week": when - timedelta(days=when.weekday()), "month": when.replace(day=1),
                     "quarter": date(when.year, 3 * ((when.month - 1) // 3) + 1, 1)})
    frame = pd.DataFrame(rows)
    return frame.groupby(["role", "person", "team", "group", "week", "month", "quarter"]).size() \
        .rename("edits").reset_index()


def cells_of(truth: pd.DataFrame) -> tuple[dict[tuple, list[int]], dict[tuple, int]]:
    """Every (grain, scope, period, scope id) a user can pick: the pieces of one role's truth it holds,
    and its distinct people."""
    cells: dict[tuple, list[int]] = {}
    for i, row in enumerate(truth.itertuples()):
        for grain in GRAINS:
            for scope, node in (("org", "org"), ("group", f"G{row.group}"), ("team", f"t{row.team}")):
                cells.setdefault((grain, scope, getattr(row, grain), node), []).append(i)
    people = {key: truth.iloc[members]["person"].nunique() for key, members in cells.items()}
    return cells, people


ONE_APART = Edits(groups=[[0], [1]], people=["prodops"] * 4, edits=[(0, 0, 1), (1, 0, 2), (2, 0, 3), (3, 1, 4)], k=3)
"""Three product-ops people decide for one group, one for the other: the organisation's figure
minus the first group's would be the fourth person's edits."""


@given(edit_sets())
@example(ONE_APART)
@hypothesis_settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
def test_no_hidden_part_of_a_decision_share_can_be_worked_out_or_narrowly_bounded(case):
    settings = Settings(privacy={"min_calendar_group": case.k})
    published = pd.concat([compute_series(tables_of(case), settings, grain, "every", START - timedelta(days=100),
                                          START + timedelta(days=80), ["ops_decision_share"]) for grain in GRAINS])
    shown = {(r.grain, r.scope, r.period_start, r.scope_id): (r.value, r.n) for r in published.itertuples()
             if not pd.isna(r.value)}
    truth = pieces(case)
    for role in ROLES:
        mine = truth[truth["role"] == role].reset_index(drop=True)
        if mine.empty:
            continue
        cells, people = cells_of(mine)
        sums = {}
        for key, (share, n) in shown.items():
            total = share * n if role == "prodops" else (1 - share) * n
            if key in cells:
                assert total == pytest.approx(mine.loc[cells[key], "edits"].sum()), f"{key}: the shown share is the data's"
                assert people[key] >= case.k, f"{key} shows the edits of {people[key]} {role} people"
                sums[key] = total / len(cells[key])
            else:
                assert total == pytest.approx(0), f"{key}: no {role} edits, and the share says so"
        high = max(EVENTS_FLOOR, float(mine["edits"].max()))
        audit(cells, sums, len(mine), high, case.k, people)


@given(edit_sets(), st.data())
@hypothesis_settings(max_examples=20, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_late_decision_edit_gives_nothing_away(case, data):
    """A sync that brings one more edit (someone's, for some team, on some day): the figures of the
    two versions together tell no more about a small group than the ledger allows."""
    late = data.draw(st.tuples(st.integers(0, len(case.people) - 1), st.integers(0, sum(map(len, case.groups)) - 1),
                               st.integers(0, 55)))
    settings = Settings(privacy={"min_calendar_group": case.k})
    later = Edits(case.groups, case.people, [*case.edits, late], case.k)
    for role in ROLES:
        found = [next(records for family, records in person_shares.families(tables_of(c), settings, DECISIONS)
                      if family.name == DECISIONS.family_name(role)) for c in (case, later)]
        high = {m: max([EVENTS_FLOOR, *(float(f[m].max()) for f in found if len(f))]) for m in DECISIONS.measures}
        audit_versions(lambda records, role=role: person_shares.family(settings, DECISIONS, role, records.assign(role=role)),
                       found, high, case.k)
