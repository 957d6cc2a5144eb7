"""`ops_decision_share` on small tables worked out by hand, and against a recomputation of every
cell straight from the canonical tables."""
from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest

from dashboard.core.config import Settings
from dashboard.core.schema import TABLES
from dashboard.metrics import compute_series, read_tables
from dashboard.metrics.registry import EVERY_SCOPE
from tests.metrics.test_metrics import Q1, value
from tests.tables import TEAMS, make_tables

PMS = ("pm1", "pm2", "pm3")
OPS = ("op1", "op2", "op3")
PROJECTS = {"ONE": "t1", "TWO": "t2", "THREE": "t3"}


def roster(prodops=OPS, pms=PMS, team="t1"):
    people = [{"person_id": p, "role": "pm", "team_id": team} for p in pms]
    people += [{"person_id": p, "role": "prodops", "team_id": "t3"} for p in prodops]
    people += [{"person_id": "eng1", "role": "eng", "team_id": team}]
    memberships = [{"person_id": p["person_id"], "team_id": p["team_id"], "role": p["role"], "valid_from": "2025-01-01"}
                   for p in people]
    return people, memberships


def tables(edits, people=None, memberships=None, items=None):
    """`edits`: (item, at, field, to_value, author); items `I<project>-n` are work on that project."""
    if people is None:
        people, memberships = roster()
    keys = {e[0] for e in edits}
    items = items if items is not None else [
        {"source": "jira", "item_id": key, "kind": "work", "project": key.split("-")[0][1:]} for key in sorted(keys)]
    releases = [{"release_id": f"r{n}", "project": project, "team_id": team} for n, (project, team) in enumerate(PROJECTS.items())]
    moves = [{"item_id": item, "at": at, "field": field, "from_value": None, "to_value": to, "author_id": author}
             for item, at, field, to, author in edits]
    return make_tables(teams=TEAMS, people=people, memberships=memberships, work_items=items, releases=releases,
                       work_item_transitions=moves)


def spread(author_roles, item="IONE-1", at="2026-02-02 10:00", field="priority", to="High"):
    return [(item, at, field, to, author) for author in author_roles]


def test_share_of_decision_edits_made_by_product_ops():
    edits = spread(PMS + PMS + OPS)  # 6 by PMs, 3 by product ops
    got, n = value(tables(edits), "ops_decision_share")
    assert got == pytest.approx(3 / 9)
    assert n == 9


def test_only_decision_edits_count_and_only_those_of_pms_and_product_ops():
    edits = [
        *spread(PMS + OPS, field="priority"),
        *spread(PMS, field="rank", to="Ranked higher"),
        *spread(OPS, field="fix_version", to="2.0"),
        *spread(OPS, field="status", to="Won't Do"),
        *spread(OPS, field="status", to="Done"),       # finishing work decides nothing
        *spread(OPS, field="status", to="In Progress"),
        *spread(["eng1", "jira:5b10aa"], field="priority"),  # neither PM nor product ops
    ]
    got, n = value(tables(edits), "ops_decision_share")
    assert n == 3 + 3 + 3 + 3 + 3
    assert got == pytest.approx(9 / 15)


def test_edits_on_requests_and_check_ins_are_not_product_work():
    edits = spread(PMS) + spread(OPS, item="ITWO-1")
    items = [{"source": "jira", "item_id": "IONE-1", "kind": "work", "project": "ONE"},
             {"source": "jira", "item_id": "ITWO-1", "kind": "data_request", "project": "TWO"}]
    got, n = value(tables(edits, items=items), "ops_decision_share")
    assert (got, n) == (0.0, 3)


def test_an_edit_counts_for_the_team_of_its_project_and_in_the_period_of_its_local_day():
    edits = spread(PMS, item="IONE-1") + spread(OPS, item="ITHREE-1") + spread(OPS, item="ITHREE-2", at="2026-03-31 23:30")
    settings = Settings(org_timezone="Europe/Berlin")  # 23:30 UTC on 31 March is 1 April in Berlin: Q2
    t = tables(edits)
    assert value(t, "ops_decision_share", scope="team", scope_id="t1", settings=settings) == (0.0, 3)
    assert value(t, "ops_decision_share", scope="team", scope_id="t3", settings=settings) == (1.0, 3)
    got, n = value(t, "ops_decision_share", scope="group", scope_id="G1", settings=settings)
    assert (got, n) == (0.0, 3)
    got, n = value(t, "ops_decision_share", settings=settings)
    assert got == pytest.approx(3 / 6) and n == 6


def test_the_role_is_the_one_held_on_the_day_of_the_edit():
    people, memberships = roster()
    memberships = [m for m in memberships if m["person_id"] != "pm3"] + [
        {"person_id": "pm3", "team_id": "t1", "role": "pm", "valid_from": "2025-01-01", "valid_to": "2026-02-01"},
        {"person_id": "pm3", "team_id": "t3", "role": "prodops", "valid_from": "2026-02-01"},
    ]
    edits = spread(PMS, at="2026-01-15 10:00") + spread((*OPS, "pm3"), at="2026-02-15 10:00")
    t = tables(edits, people, memberships)
    got, n = value(t, "ops_decision_share", grain="month", period=date(2026, 1, 1))
    assert (got, n) == (0.0, 3)
    got, n = value(t, "ops_decision_share", grain="month", period=date(2026, 2, 1))
    assert (got, n) == (1.0, 4)


@pytest.mark.parametrize("pms, ops", [(PMS, OPS[:2]), (PMS[:2], OPS), (PMS[:1], ()), ((), OPS[:2])])
def test_a_cell_resting_on_too_few_people_of_either_role_shows_no_value_and_no_n(pms, ops):
    edits = spread(pms * 3 + ops * 2)
    got, n = value(tables(edits), "ops_decision_share")
    assert np.isnan(got) and pd.isna(n)


def test_a_cell_with_enough_people_of_each_role_present_is_shown():
    assert value(tables(spread(PMS)), "ops_decision_share") == (0.0, 3)
    assert value(tables(spread(OPS)), "ops_decision_share") == (1.0, 3)


def test_a_group_with_one_product_ops_person_cannot_be_worked_out_from_the_organisation_and_its_other_group():
    """t1 is in G1, t3 in G2: three product-ops people decide on t1's work, one on t3's. The
    organisation's share minus G1's would tell that one person's edits, so one of the two goes."""
    people, memberships = roster(prodops=("op1", "op2", "op3", "op4"), pms=(*PMS, "pm4", "pm5", "pm6"))
    edits = spread(("pm1", "pm2", "pm3", "op1", "op2", "op3")) + spread(("pm4", "pm5", "pm6", "op4"), item="ITHREE-1")
    t = tables(edits, people, memberships)
    org, _ = value(t, "ops_decision_share")
    groups = compute_series(t, Settings(), "quarter", "group", *Q1, ["ops_decision_share"]).set_index("scope_id")
    assert org == pytest.approx(4 / 10)
    assert np.isnan(groups.loc["G2", "value"]), "one product-ops person: hidden"
    assert np.isnan(groups.loc["G1", "value"]), "else the organisation minus G1 is G2"


def test_a_period_without_edits_is_a_gap_with_n_zero():
    got, n = value(tables(spread(PMS)), "ops_decision_share", grain="month", period=date(2026, 3, 1))
    assert np.isnan(got) and n == 0


def recompute(t, settings, grain, scope):
    """Every cell the per-role rule allows, straight from the canonical tables, written without the
    metric's helpers."""
    moves = t["work_item_transitions"].merge(t["work_items"][t["work_items"]["kind"] == "work"], on="item_id")
    moves = moves[(moves["field"] != "status") | moves["to_value"].str.lower().isin(["won't do", "rejected"])]
    team_of = dict(zip(t["releases"]["project"], t["releases"]["team_id"]))
    group_of = dict(zip(t["teams"]["team_id"], t["teams"]["group_name"]))
    cells: dict = {}
    for row in moves.itertuples():
        day = pd.Timestamp(row.at).tz_localize("UTC").tz_convert(settings.org_timezone).date()
        held = [m for m in t["memberships"].itertuples() if m.person_id == row.author_id
                and pd.Timestamp(m.valid_from).date() <= day and (pd.isna(m.valid_to) or day < pd.Timestamp(m.valid_to).date())]
        role = held[-1].role if held else None
        if role not in ("pm", "prodops"):
            continue
        start = {"week": day - pd.Timedelta(days=day.weekday()), "month": date(day.year, day.month, 1),
                 "quarter": date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)}[grain]
        team = team_of[row.project]
        where = {"org": "org", "team": team, "group": group_of[team]}[scope]
        cells.setdefault((start, where), []).append((role, row.author_id))
    out = {}
    for key, edits in cells.items():
        people = {role: {a for r, a in edits if r == role} for role in ("pm", "prodops")}
        k = settings.privacy.min_calendar_group
        if sum(map(len, people.values())) >= k and all(len(p) in (0,) or len(p) >= k for p in people.values()):
            out[key] = (sum(r == "prodops" for r, _ in edits) / len(edits), len(edits))
    return out


@pytest.mark.parametrize("grain", ["week", "month", "quarter"])
@pytest.mark.parametrize("scope", ["org", "group", "team"])
def test_every_cell_agrees_with_a_recomputation_from_the_canonical_tables(grain, scope):
    """Weeks leave some cells on too few people (hidden), months and quarters few or none."""
    rng = np.random.default_rng(21)
    pms, ops = tuple(f"pm{n}" for n in range(1, 9)), tuple(f"op{n}" for n in range(1, 9))
    authors = [*pms, *ops, "eng1", "jira:x"]
    people, memberships = roster(prodops=ops, pms=pms)
    fields = [("priority", "High"), ("rank", "Ranked lower"), ("fix_version", "1.0"), ("status", "Won't Do"),
              ("status", "Done"), ("status", "Rejected")]
    edits = []
    for n in range(800):
        field, to = fields[rng.integers(len(fields))]
        at = pd.Timestamp("2026-01-01") + pd.Timedelta(minutes=int(rng.integers(0, 60 * 24 * 89)))
        edits.append((f"I{list(PROJECTS)[rng.integers(3)]}-{n % 20}", str(at), field, to, authors[rng.integers(len(authors))]))
    t = tables(edits, people, memberships)
    settings = Settings(org_timezone="America/New_York")
    series = compute_series(t, settings, grain, scope, *Q1, ["ops_decision_share"])
    expected = recompute(t, settings, grain, scope)
    shown = {(r.period_start, r.scope_id): (pytest.approx(r.value), r.n) for r in series.dropna(subset=["value"]).itertuples()}
    assert {key: expected.get(key) for key in shown} == shown, "a shown cell is one the rule allows, with its value"
    if scope == "org" and grain != "week":
        assert shown == expected, "the organisation's figures are the last the ledger hides to protect a smaller one"
    assert shown, "eight people of each role leave something to show"
    assert (series["value"].isna() == (series["n"].isna() | series["n"].eq(0))).all()
    together = compute_series(t, settings, grain, EVERY_SCOPE, *Q1, ["ops_decision_share"])
    pd.testing.assert_frame_equal(together[together["scope"] == scope].reset_index(drop=True), series.reset_index(drop=True))


def test_a_store_written_before_transitions_had_authors_still_loads():
    """A dashboard may open a file no write has migrated yet: the edits load, with no author known."""
    con = duckdb.connect()
    for name in ("work_items", "work_item_transitions"):
        con.execute(TABLES[name].ddl())
    con.execute("ALTER TABLE work_item_transitions DROP COLUMN author_id")
    con.execute("INSERT INTO work_items (source, item_id, kind, project) VALUES ('jira', 'i1', 'work', 'ONE')")
    con.execute("INSERT INTO work_item_transitions VALUES ('i1', TIMESTAMP '2026-01-05 10:00', 'priority', 'Low', 'High')")
    tables = read_tables(lambda sql, params=None: con.execute(sql, params or []).df(), ("work_items", "work_item_transitions"))
    edits = tables["decision_edits"]
    assert edits[["item_id", "field", "project"]].values.tolist() == [["i1", "priority", "ONE"]]
    assert edits["author_id"].isna().all()
