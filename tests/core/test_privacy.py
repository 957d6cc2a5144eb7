"""Anonymity that holds: no shown survey number stands on fewer than k people, and none of the
hidden ones can be worked out by adding and subtracting shown ones, whatever filters are picked."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from dashboard.core.config import Settings
from dashboard.core.periods import floor_date
from dashboard.core.privacy import classes, protect
from dashboard.core.publication import latest
from dashboard.metrics import compute_series
from dashboard.metrics.surveys import ALL, LEVELS, TIME_CUTS, measure, slot
from tests.tables import make_tables


def hierarchy(teams: dict[str, tuple[str, int]], ops: int = 0) -> tuple[pd.DataFrame, list[str]]:
    """Atoms of a one-period org: team -> (group, respondents), plus operations without a team."""
    rows = [{"team": t, "group": g, "org": "org", "size": n} for t, (g, n) in teams.items()]
    if ops:
        rows.append({"team": None, "group": None, "org": "org", "size": ops})
    return pd.DataFrame(rows), ["team", "group", "org"]


def test_a_group_under_the_minimum_is_hidden_and_the_rest_shown():
    atoms, slots = hierarchy({"t1": ("G", 4), "t2": ("G", 6), "t3": ("H", 5), "t4": ("H", 9)})
    decision = protect(atoms, slots, k=5)
    assert decision.reason(("team", "t1")) == "too_few"
    assert decision.shown(("team", "t3")) and decision.shown(("group", "G")) and decision.shown(("org", "org"))


def test_the_next_smallest_sibling_is_hidden_too():
    atoms, slots = hierarchy({"t1": ("G", 2), "t2": ("G", 6), "t3": ("G", 7)})
    decision = protect(atoms, slots, k=5)
    assert decision.reason(("team", "t1")) == "too_few"
    assert decision.reason(("team", "t2")) == "protects_another"
    assert decision.shown(("team", "t3")) and decision.shown(("group", "G"))


def test_two_small_siblings_that_together_reach_k_protect_each_other():
    atoms, slots = hierarchy({"t1": ("G", 3), "t2": ("G", 3), "t3": ("G", 9)})
    decision = protect(atoms, slots, k=5)
    assert not decision.shown(("team", "t1")) and not decision.shown(("team", "t2"))
    assert decision.shown(("team", "t3")), "3 + 3 hidden together is a group of 6: nothing more needs to go"


def test_two_small_siblings_below_k_together_take_a_third_with_them():
    atoms, slots = hierarchy({"t1": ("G", 2), "t2": ("G", 2), "t3": ("G", 5), "t4": ("G", 9)})
    decision = protect(atoms, slots, k=5)
    assert [decision.shown(("team", t)) for t in ("t1", "t2", "t3", "t4")] == [False, False, False, True]


def test_operations_outside_teams_are_the_org_minus_its_groups():
    atoms, slots = hierarchy({"t1": ("G", 6), "t2": ("H", 7)}, ops=3)
    decision = protect(atoms, slots, k=5)
    shown = [decision.shown(c) for c in (("org", "org"), ("group", "G"), ("group", "H"))]
    assert not all(shown), "org minus G minus H would be the three operations people"
    assert shown == [True, False, True], "the smallest group goes with them, so the organisation's figure stays"
    assert decision.reason(("team", "t1")) == "protects_another", "else G would be t1 again"


def test_enough_operations_people_leave_the_org_figure_shown():
    atoms, slots = hierarchy({"t1": ("G", 6), "t2": ("H", 7)}, ops=5)
    assert protect(atoms, slots, k=5).hidden == frozenset()


def test_the_minimum_is_never_below_three():
    atoms, slots = hierarchy({"t1": ("G", 6)})
    with pytest.raises(ValueError, match="at least 3"):
        protect(atoms, slots, k=2)


def test_every_class_left_holds_k_or_more():
    atoms, slots = hierarchy({f"t{i}": (f"G{i % 3}", i % 7) for i in range(12)}, ops=2)
    decision = protect(atoms, slots, k=5)
    assert (classes(atoms[atoms["size"] > 0], slots, decision.hidden)["size"] >= 5).all()


# ---------------------------------------------------------------------------------------------
# Random organisations through the real survey metrics, checked by linear algebra

ROLES_WITH_TEAMS = ("pm", "eng")
DAY0 = date(2026, 1, 5)


@dataclass(frozen=True)
class Org:
    groups: list[list[int]]           # per group, the teams' indexes
    waves: list[int]                  # day offsets of the waves from DAY0
    counts: dict                      # (wave, team, role) -> respondents; (wave, None, "ops") for ops
    moved: dict                       # team -> (from wave index, new group index): a team changing group
    k: int

    def team_group(self, team: int, wave: int) -> int:
        home = next(g for g, teams in enumerate(self.groups) if team in teams)
        if team in self.moved and wave >= self.moved[team][0]:
            return self.moved[team][1]
        return home


@st.composite
def organisations(draw) -> Org:
    sizes = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    groups, next_team = [], 0
    for size in sizes:
        groups.append(list(range(next_team, next_team + size)))
        next_team += size
    waves = sorted(draw(st.lists(st.sampled_from([0, 3, 9, 26, 40, 85, 88]), min_size=1, max_size=3, unique=True)))
    counts = {}
    for w in range(len(waves)):
        for team in range(next_team):
            counts[(w, team, "pm")] = draw(st.integers(0, 7))
            counts[(w, team, "eng")] = draw(st.sampled_from([0, 0, 1, 2, 4]))
        counts[(w, None, "ops")] = draw(st.integers(0, 7))
    moved = {}
    if len(groups) > 1 and len(waves) > 1 and draw(st.booleans()):
        moved[draw(st.integers(0, next_team - 1))] = (draw(st.integers(1, len(waves) - 1)), draw(st.integers(0, len(groups) - 1)))
    return Org(groups, waves, counts, moved, draw(st.sampled_from([3, 4, 5])))


def tables_of(org: Org) -> tuple[dict[str, pd.DataFrame], list[dict]]:
    """Canonical tables for the org, and the ground truth: one row per respondent."""
    teams = [{"team_id": f"t{t}", "name": f"T{t}", "group_name": f"G{g}"} for g, ts in enumerate(org.groups) for t in ts]
    history = []
    for team, (wave, group) in org.moved.items():
        switch = DAY0 + timedelta(days=org.waves[wave])
        home = next(g for g, ts in enumerate(org.groups) if team in ts)
        history += [{"team_id": f"t{team}", "valid_from": "1900-01-01", "group_name": f"G{home}", "valid_to": switch},
                    {"team_id": f"t{team}", "valid_from": switch, "group_name": f"G{group}", "valid_to": None}]
    answers, truth = [], []
    for (wave, team, role), count in org.counts.items():
        day = DAY0 + timedelta(days=org.waves[wave])
        for i in range(count):
            rid = f"{wave}-{team}-{role}-{i}"
            answers.append({"survey_id": f"w{wave}", "response_id": rid, "submitted_at": f"{day} 12:00", "respondent_role": role,
                            "team_id": None if team is None else f"t{team}", "question_id": "q", "value": 1 + (i * 7 + wave) % 5})
            truth.append({"respondent": f"w{wave}/{rid}", "wave": wave, "day": day, "role": role, "team": team,
                          "group": None if team is None else org.team_group(team, wave)})
    questions = [{"survey_id": f"w{w}", "question_id": "q", "construct": "alignment", "scale": "likert5"} for w in range(len(org.waves))]
    return make_tables(teams=teams, team_groups=history, survey_questions=questions, survey_answers=answers), truth


@cache
def periods_of(day: date) -> dict:
    return {"week": floor_date(day, "week"), "month": floor_date(day, "month"), "quarter": floor_date(day, "quarter")}


def cells_a_user_can_see(truth: list[dict]) -> dict[tuple, set[str]]:
    """Every (cut, level, role filter, period, scope) a user can pick, and who is in it, computed
    from the ground truth without the code under test."""
    out: dict[tuple, set[str]] = {}
    for row in truth:
        day = row["day"]
        periods = {"wave": f"w{row['wave']}", **periods_of(day)}
        scopes = {"org": "org", "group": None if row["group"] is None else f"G{row['group']}",
                  "team": None if row["team"] is None else f"t{row['team']}"}
        for cut, period in periods.items():
            for level, scope in scopes.items():
                if scope is None:
                    continue
                for role in (ALL, row["role"]):
                    out.setdefault((cut, level, role, str(period), scope), set()).add(row["respondent"])
    return out


def shown_cells(tables, settings, cells: dict[tuple, set[str]]) -> dict[tuple, int]:
    """Which of the cells a user can pick the metrics layer shows, with the n it reports."""
    published = measure(tables, settings, construct="alignment").published
    shown = {}
    for key in cells:
        cut, level, role, period, scope = key
        at = latest(published, "score", slot(cut, level, ALL if role == ALL else "role")).set_index("cell")
        name = f"{period}|{scope}|{role}"
        if name in at.index:
            shown[key] = int(at.loc[name, "n"])
    return shown


def test_the_page_tables_show_what_the_decision_allows():
    org = Org(groups=[[0, 1], [2]], waves=[0, 26], counts={
        (0, 0, "pm"): 2, (0, 1, "pm"): 6, (0, 2, "pm"): 7, (0, None, "ops"): 4,
        (1, 0, "pm"): 5, (1, 1, "pm"): 5, (1, 2, "pm"): 1, (1, None, "ops"): 6,
    }, moved={}, k=5)
    tables, truth = tables_of(org)
    result = measure(tables, Settings(), construct="alignment")
    expected = shown_cells(tables, Settings(), cells_a_user_can_see(truth))
    for cut in TIME_CUTS:
        for level in LEVELS:
            for role in (ALL, "pm", "ops"):
                table = result.table(cut, level, role)
                got = {(cut, level, role, str(r.period), r.scope_id): r.n for r in table[table["shown"]].itertuples()}
                assert got == {key: n for key, n in expected.items() if key[:3] == (cut, level, role)}
                assert table.loc[~table["shown"], "mean"].isna().all()
    teams = result.table("wave", "team", "pm")
    wave0 = teams[teams["period"] == "w0"].set_index("scope_id")
    groups = result.table("wave", "group", "pm")
    g0 = groups[(groups["period"] == "w0") & (groups["scope_id"] == "G0")]
    assert wave0.loc["t0", "reason"] == "hidden" and pd.isna(wave0.loc["t0", "n"])
    assert not (wave0.loc["t1", "shown"] and g0["shown"].iloc[0]), "else t0 = G0 - t1"


def row_space(vectors: np.ndarray) -> np.ndarray:
    """An orthonormal basis of the span of the rows."""
    if len(vectors) == 0:
        return np.zeros((0, vectors.shape[1]))
    _, singular, vt = np.linalg.svd(vectors, full_matrices=False)
    return vt[singular > 1e-9 * max(singular.max(), 1)]


def derivable(basis: np.ndarray, vector: np.ndarray) -> bool:
    return np.linalg.norm(vector - basis.T @ (basis @ vector)) < 1e-6


@given(organisations())
@hypothesis_settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_organisations_keep_every_small_group_underivable(org):
    tables, truth = tables_of(org)
    settings = Settings(privacy={"min_group_size": org.k})
    cells = cells_a_user_can_see(truth)
    shown = shown_cells(tables, settings, cells)

    for key, n in shown.items():
        assert n == len(cells[key]) >= org.k, f"{key} is shown over {n} respondents"

    people = sorted(row["respondent"] for row in truth)
    column = {p: i for i, p in enumerate(people)}

    def indicator(members) -> np.ndarray:
        vector = np.zeros(len(people))
        vector[[column[m] for m in members]] = 1
        return vector

    basis = row_space(np.array([indicator(cells[key]) for key in shown]) if shown else np.zeros((0, len(people))))
    small_cells = [members for key, members in cells.items() if 0 < len(members) < org.k]
    groups: dict[tuple, set[str]] = {}
    for row in truth:
        groups.setdefault((row["wave"], row["role"], row["team"]), set()).add(row["respondent"])
    small_groups = [members for members in groups.values() if len(members) < org.k]
    pairs = [a | b for i, a in enumerate(small_groups) for b in small_groups[i + 1:] if len(a | b) < org.k]
    for members in small_cells + small_groups + pairs + [{p} for p in people]:
        assert not derivable(basis, indicator(members)), f"{sorted(members)} can be worked out from the shown cells"


@given(organisations())
@hypothesis_settings(max_examples=20, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
def test_registered_series_show_exactly_the_protected_cells(org):
    tables, truth = tables_of(org)
    settings = Settings(privacy={"min_group_size": org.k})
    shown = shown_cells(tables, settings, cells_a_user_can_see(truth))
    start, end = DAY0 - timedelta(days=7), DAY0 + timedelta(days=120)
    for grain in ("week", "month", "quarter"):
        for scope in LEVELS:
            series = compute_series(tables, settings, grain, scope, start, end, ["alignment_score_pm", "insights_self_serve_score"])
            pm = series[(series["metric_id"] == "alignment_score_pm") & series["value"].notna()]
            for row in pm.itertuples():
                assert (grain, scope, "pm", str(row.period_start), row.scope_id) in shown
