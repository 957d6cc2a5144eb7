"""`prodops_systems_work_share` on small tables worked out by hand, the product-ops minimum, the
store's cut of the work items, and every cell against a recomputation from the canonical tables."""
from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest

from dashboard.core.config import Privacy, Settings
from dashboard.core.schema import TABLES
from dashboard.metrics import compute_series, read_tables
from dashboard.metrics.registry import EVERY_SCOPE
from tests.metrics.test_metrics import Q1, value
from tests.tables import TEAMS, make_tables

METRIC = "prodops_systems_work_share"
OPS = ("op1", "op2", "op3")
PMS = ("pm1", "pm2", "pm3")


def roster(prodops=OPS, pms=PMS):
    """Product-ops people without a team, PMs on t1."""
    people = [{"person_id": p, "role": "prodops", "team_id": None} for p in prodops]
    people += [{"person_id": p, "role": "pm", "team_id": "t1"} for p in pms]
    memberships = [{"person_id": p["person_id"], "team_id": p["team_id"], "role": p["role"], "valid_from": "2025-01-01"}
                   for p in people]
    return people, memberships


def tables(work, people=None, memberships=None):
    """`work`: (assignee, resolved, work_class), each a work item of project OPS."""
    if people is None:
        people, memberships = roster()
    items = [{"source": "jira", "item_id": f"OPS-{n}", "key": f"OPS-{n}", "kind": "work", "project": "OPS",
              "created": "2025-12-01 09:00", "resolved": resolved, "assignee_id": who, "work_class": kind}
             for n, (who, resolved, kind) in enumerate(work, start=1)]
    return make_tables(teams=TEAMS, people=people, memberships=memberships, work_items=items)


def closed(people, kinds, at="2026-02-02 10:00"):
    return [(who, at, kind) for who in people for kind in kinds]


def test_share_of_product_ops_work_that_builds_systems():
    work = closed(OPS, ["systems", "coordination", "coordination"]) + closed(OPS[:1], ["systems"])
    got, n = value(tables(work), METRIC)
    assert got == pytest.approx(4 / 10)
    assert n == 10


def test_unclassified_open_and_unassigned_items_and_other_peoples_work_are_left_out():
    work = [
        *closed(OPS, ["systems"]),
        *closed(OPS, [None]),                          # no rule matched: not guessed
        *[(who, None, "coordination") for who in OPS],  # not resolved
        (None, "2026-02-02 10:00", "coordination"),     # no one's
        *closed(PMS, ["coordination"]),               # a PM's work says nothing about product ops
        ("jira:5b10aa", "2026-02-02 10:00", "coordination"),
    ]
    assert value(tables(work), METRIC) == (1.0, 3)


def test_only_the_organisation_has_a_figure():
    t = tables(closed(OPS, ["systems", "coordination"]))
    assert value(t, METRIC) == (0.5, 6)
    for scope, scope_id in (("team", "t1"), ("group", "G1")):
        got, n = value(t, METRIC, scope=scope, scope_id=scope_id)
        assert np.isnan(got) and n == 0


def test_the_role_is_the_one_held_on_the_day_the_item_was_resolved():
    """pm3 moves into product ops on 1 February: the work closed before is a PM's, after it product ops's."""
    people, memberships = roster()
    memberships = [m for m in memberships if m["person_id"] != "pm3"] + [
        {"person_id": "pm3", "team_id": "t1", "role": "pm", "valid_from": "2025-01-01", "valid_to": "2026-02-01"},
        {"person_id": "pm3", "team_id": None, "role": "prodops", "valid_from": "2026-02-01"},
    ]
    work = closed(OPS, ["systems"], at="2026-01-15 10:00") + closed(["pm3"], ["coordination"], at="2026-01-20 10:00") \
        + closed((*OPS, "pm3"), ["coordination"], at="2026-02-15 10:00")
    t = tables(work, people, memberships)
    assert value(t, METRIC, grain="month", period=date(2026, 1, 1)) == (1.0, 3)
    assert value(t, METRIC, grain="month", period=date(2026, 2, 1)) == (0.0, 4)


def test_an_item_counts_in_the_period_of_its_local_day():
    settings = Settings(org_timezone="Europe/Berlin")  # 23:30 UTC on 31 March is 1 April in Berlin: Q2
    work = closed(OPS, ["coordination"]) + closed(OPS, ["systems"], at="2026-03-31 23:30")
    assert value(tables(work), METRIC, settings=settings) == (0.0, 3)
    assert value(tables(work), METRIC) == (0.5, 6)


@pytest.mark.parametrize("ops", [OPS[:1], OPS[:2]])
def test_fewer_product_ops_people_than_the_minimum_show_no_value_and_no_n(ops):
    got, n = value(tables(closed(ops, ["systems", "coordination"] * 4)), METRIC)
    assert np.isnan(got) and pd.isna(n)


def test_the_minimum_is_the_calendar_minimum():
    people, memberships = roster(prodops=(*OPS, "op4"))
    stricter = Settings(privacy=Privacy(min_calendar_group=4))
    got, n = value(tables(closed(OPS, ["systems"]), people, memberships), METRIC, settings=stricter)
    assert np.isnan(got) and pd.isna(n)
    assert value(tables(closed((*OPS, "op4"), ["systems"]), people, memberships), METRIC, settings=stricter) == (1.0, 4)


def test_a_period_without_closed_work_is_a_gap_with_n_zero():
    got, n = value(tables(closed(OPS, ["systems"])), METRIC, grain="month", period=date(2026, 3, 1))
    assert np.isnan(got) and n == 0


def recompute(t, settings, grain):
    """Every shown organisation cell, straight from the canonical tables, without the metric's helpers."""
    cells: dict = {}
    for row in t["work_items"].itertuples():
        if pd.isna(row.resolved) or row.work_class not in ("systems", "coordination") or not isinstance(row.assignee_id, str):
            continue
        day = pd.Timestamp(row.resolved).tz_localize("UTC").tz_convert(settings.org_timezone).date()
        held = [m for m in t["memberships"].itertuples() if m.person_id == row.assignee_id
                and pd.Timestamp(m.valid_from).date() <= day and (pd.isna(m.valid_to) or day < pd.Timestamp(m.valid_to).date())]
        if not held or held[-1].role != "prodops":
            continue
        start = {"week": day - pd.Timedelta(days=day.weekday()), "month": date(day.year, day.month, 1),
                 "quarter": date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)}[grain]
        cells.setdefault(start, []).append((row.assignee_id, row.work_class))
    return {start: (sum(kind == "systems" for _, kind in work) / len(work), len(work))
            for start, work in cells.items() if len({who for who, _ in work}) >= settings.privacy.min_calendar_group}


@pytest.mark.parametrize("grain", ["week", "month", "quarter"])
def test_every_cell_agrees_with_a_recomputation_from_the_canonical_tables(grain):
    """Weeks leave some cells on too few product-ops people (hidden), months and quarters none."""
    rng = np.random.default_rng(21)
    people, memberships = roster(prodops=(*OPS, "op4"))
    memberships = [m for m in memberships if m["person_id"] != "pm3"] + [
        {"person_id": "pm3", "team_id": "t1", "role": "pm", "valid_from": "2025-01-01", "valid_to": "2026-02-10"},
        {"person_id": "pm3", "team_id": None, "role": "prodops", "valid_from": "2026-02-10"},
    ]
    assignees = [*OPS, "op4", "pm1", "pm3", "jira:x", None]
    work = []
    for _ in range(300):
        at = pd.Timestamp("2026-01-05 12:00") + pd.Timedelta(minutes=int(rng.integers(0, 60 * 24 * 80)))
        resolved = None if rng.random() < 0.1 else str(at)
        work.append((assignees[rng.integers(len(assignees))], resolved, [None, "systems", "coordination"][rng.integers(3)]))
    t = tables(work, people, memberships)
    settings = Settings(org_timezone="America/New_York")
    series = compute_series(t, settings, grain, "org", *Q1, [METRIC])
    shown = series.dropna(subset=["value"])
    expected = recompute(t, settings, grain)
    got = {r.period_start: (pytest.approx(r.value), r.n) for r in shown.itertuples()}
    assert {start: expected.get(start) for start in got} == got, "a shown cell is one the rule allows, with its value"
    if grain != "week":  # a week the minimum allows can be held back so that its month cannot give away another week
        assert got == expected
    assert got
    assert (series["value"].isna() == (series["n"].isna() | series["n"].eq(0))).all()
    together = compute_series(t, settings, grain, EVERY_SCOPE, *Q1, [METRIC])
    pd.testing.assert_frame_equal(together[together["scope"] == "org"].reset_index(drop=True), series.reset_index(drop=True))


def test_the_store_reads_only_classified_resolved_work_of_people_ever_in_product_ops():
    """`load_tables` cuts the work items in SQL (a large organisation's release work is most of its
    issues); the metric gives the same from the cut as from the tables given whole."""
    people, memberships = roster()
    memberships.append({"person_id": "pm1", "team_id": None, "role": "prodops", "valid_from": "2026-03-01"})
    work = [*closed(OPS, ["systems", None]), *closed(["pm1", "pm2"], ["coordination"]),
            ("op1", None, "systems"), ("op2", "2026-02-03 10:00", "coordination")]
    t = tables(work, people, memberships)
    con = duckdb.connect()
    con.execute(TABLES["releases"].ddl())
    for name in ("work_items", "people", "memberships"):
        con.execute(TABLES[name].ddl())
        con.register("frame", t[name])
        con.execute(f"INSERT INTO {name} SELECT {', '.join(TABLES[name].columns)} FROM frame")
        con.unregister("frame")
    read = read_tables(lambda sql, params=None: con.execute(sql, params or []).df(), ("work_items", "people", "memberships"))
    cut = read["prodops_work"]
    assert sorted(cut["assignee_id"]) == ["op1", "op2", "op2", "op3", "pm1"]
    assert set(cut["work_class"]) == {"systems", "coordination"}
    read = {**t, "prodops_work": cut}
    pd.testing.assert_frame_equal(compute_series(read, Settings(), "month", "org", *Q1, [METRIC]),
                                  compute_series(t, Settings(), "month", "org", *Q1, [METRIC]))
    recent = read_tables(lambda sql, params=None: con.execute(sql, params or []).df(), ("work_items", "people", "memberships"),
                         recent=date(2026, 2, 3))
    assert recent["prodops_work"]["assignee_id"].tolist() == ["op2"]


def test_a_store_written_before_work_classes_still_loads():
    con = duckdb.connect()
    for name in ("work_items", "people", "memberships"):
        con.execute(TABLES[name].ddl())
    con.execute("ALTER TABLE work_items DROP COLUMN work_class")
    con.execute("INSERT INTO work_items (source, item_id, kind, resolved, assignee_id) "
                "VALUES ('jira', 'i1', 'work', TIMESTAMP '2026-01-05 10:00', 'op1')")
    read = read_tables(lambda sql, params=None: con.execute(sql, params or []).df(), ("work_items", "people", "memberships"))
    assert read["prodops_work"].empty and list(read["prodops_work"].columns) == ["item_id", "resolved", "assignee_id", "work_class"]
