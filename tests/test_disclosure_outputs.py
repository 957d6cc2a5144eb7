"""Every output publishes the protected cells and nothing else, and the attacks that once worked
on the demo organisation find nothing.

The protected publication is `compute_series` (every metric goes through the disclosure
control there). The command line, the QBR pack and the records behind a bottleneck must show
only its numbers: each shown figure one of its cells, with the same value and n; each hidden
cell shown with neither.
"""
from __future__ import annotations

import io
from datetime import date, timedelta

import pandas as pd
import pytest

from dashboard import cli, report
from dashboard.analysis import bottlenecks
from dashboard.core.config import Settings
from dashboard.core.periods import floor
from dashboard.core.store import Store
from dashboard.metrics import METRICS, compute_series, load_tables
from dashboard.metrics.aggregate import group_at
from tests.conftest import DEMO_TODAY

CALENDAR = ["pm_overhead_share", "pm_strategy_share", "pm_focus_hours", "pm_meeting_hours"]
QUARTER = date(2026, 7, 1)
SINCE = date(2025, 1, 1)


@pytest.fixture(scope="module")
def demo(demo_db):
    store = Store(demo_db)
    return store, load_tables(store)


def cli_series(capsys, monkeypatch, demo_db, grain: str, scope: str, *metrics: str) -> pd.DataFrame:
    monkeypatch.setenv("PRODOPS_DB", demo_db)
    monkeypatch.delenv("PRODOPS_CONFIG", raising=False)
    capsys.readouterr()
    picked = [arg for metric in metrics for arg in ("--metric", metric)]
    assert cli.main(["metrics", "--grain", grain, "--scope", scope, "--format", "csv", "--since", SINCE.isoformat(),
                     "--until", DEMO_TODAY.isoformat(), *picked]) == 0
    frame = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype={"scope_id": str})
    frame["period_start"] = pd.to_datetime(frame["period_start"]).dt.date
    return frame


def placed_weeks(tables) -> pd.DataFrame:
    """The ground truth: each PM-week with its week, month, team and group (worked out here)."""
    weeks = tables["pm_weeks"].copy()
    day = pd.to_datetime(weeks["week_start"])
    weeks["week"] = day.dt.date
    weeks["month"] = floor(day, "month").dt.date
    weeks["group"] = group_at(tables, weeks["team_id"], day)
    return weeks


def test_the_demos_group_minus_team_subtraction_finds_nobody(capsys, monkeypatch, demo_db, demo):
    """Issue 14's first attack: a group's weekly figure less its shown teams' leaves 0 or at least k PMs."""
    _, tables = demo
    k = Settings().privacy.min_calendar_group
    weeks = placed_weeks(tables)
    groups = cli_series(capsys, monkeypatch, demo_db, "week", "group", *CALENDAR)
    teams = cli_series(capsys, monkeypatch, demo_db, "week", "team", *CALENDAR)
    checked = 0
    for metric in CALENDAR:
        shown_teams = teams[(teams["metric_id"] == metric) & teams["value"].notna()]
        shown_pairs = set(zip(shown_teams["period_start"], shown_teams["scope_id"]))
        for row in groups[(groups["metric_id"] == metric) & groups["value"].notna()].itertuples():
            members = weeks[(weeks["week"] == row.period_start) & (weeks["group"] == row.scope_id)]
            left = members[[(row.period_start, t) not in shown_pairs for t in members["team_id"]]]
            assert left["person_id"].nunique() == 0 or left["person_id"].nunique() >= k, (
                f"{metric} {row.scope_id} week of {row.period_start}: its shown teams leave "
                f"{left['person_id'].nunique()} PMs")
            checked += 1
    assert checked > 100
    printed = pd.concat([groups, teams])
    assert printed["n"].isna().sum() > 0, "the demo has hidden cells"
    assert not (printed["value"].isna() & (printed["n"] > 0)).any(), "a hidden cell prints no n (an empty one prints 0)"


def test_the_demos_month_minus_weeks_subtraction_finds_nobody(capsys, monkeypatch, demo_db, demo):
    """Issue 14's second attack: a month's figure less its shown weeks' leaves 0 or at least k PMs."""
    _, tables = demo
    k = Settings().privacy.min_calendar_group
    weeks = placed_weeks(tables)
    for scope, column in (("team", "team_id"), ("group", "group")):
        months = cli_series(capsys, monkeypatch, demo_db, "month", scope, *CALENDAR)
        weekly = cli_series(capsys, monkeypatch, demo_db, "week", scope, *CALENDAR)
        for metric in CALENDAR:
            shown_weeks = weekly[(weekly["metric_id"] == metric) & weekly["value"].notna()]
            shown_pairs = set(zip(shown_weeks["period_start"], shown_weeks["scope_id"]))
            for row in months[(months["metric_id"] == metric) & months["value"].notna()].itertuples():
                members = weeks[(weeks["month"] == row.period_start) & (weeks[column] == row.scope_id)]
                left = members[[(w, row.scope_id) not in shown_pairs for w in members["week"]]]
                assert left["person_id"].nunique() == 0 or left["person_id"].nunique() >= k, (
                    f"{metric} {scope} {row.scope_id} {row.period_start}: its shown weeks leave "
                    f"{left['person_id'].nunique()} PMs")


def protected(tables, grain: str, scope: str) -> pd.DataFrame:
    return compute_series(tables, Settings(), grain, scope, SINCE, DEMO_TODAY)


def test_the_command_line_prints_the_protected_cells(capsys, monkeypatch, demo_db, demo):
    _, tables = demo
    for grain, scope in (("quarter", "group"), ("month", "team")):
        printed = cli_series(capsys, monkeypatch, demo_db, grain, scope)
        truth = protected(tables, grain, scope)
        keys = ["metric_id", "period_start", "scope_id"]
        both = printed.merge(truth, on=keys, suffixes=("_out", "_cell"), validate="one_to_one")
        assert len(both) == len(truth) == len(printed)
        assert both["value_out"].fillna(-1).tolist() == pytest.approx(both["value_cell"].round(6).fillna(-1).tolist())
        assert both["n_out"].isna().tolist() == both["n_cell"].isna().tolist()
        assert (both["n_out"].dropna() == both["n_cell"].dropna().astype(float)).all()


def test_every_number_of_the_qbr_pack_is_a_protected_cell(demo):
    store, tables = demo
    cells = pd.concat([protected(tables, grain, "group").assign(grain=grain) for grain in ("week", "month", "quarter")])
    made = report.build_from_store(store, Settings(), QUARTER, "group", "Payments", DEMO_TODAY)
    written = pd.read_csv(io.BytesIO(report.render(made, "csv")), dtype={"scope_id": str})
    numbers = written[written["value"].notna()]
    assert len(numbers) > 20
    shown = cells[cells["value"].notna()]
    index = {(m, s, round(v, 6), int(n)) for m, s, v, n in zip(shown["metric_id"], shown["scope_id"], shown["value"], shown["n"])}
    for row in numbers.itertuples():
        if METRICS[row.metric_id].sources in (("calendar",), ("survey",)):
            assert (row.metric_id, row.scope_id, round(row.value, 6), int(row.n)) in index, row
    figures = written[written["kind"].isin(["scorecard", "chart"])]
    assert not (figures["value"].isna() & (figures["n"] > 0)).any(), "the pack prints no n for a hidden figure"


def test_the_records_behind_a_calendar_bottleneck_are_published_weeks(demo):
    _, tables = demo
    weekly = protected(tables, "week", "group")
    for metric_id in CALENDAR:
        found = bottlenecks.records(METRICS[metric_id], tables, Settings(), "group", "Payments", QUARTER,
                                    QUARTER + timedelta(days=92), DEMO_TODAY)
        mine = weekly[(weekly["metric_id"] == metric_id) & (weekly["scope_id"] == "Payments") & weekly["value"].notna()]
        published = {str(d): n for d, n in zip(mine["period_start"], mine["n"]) if QUARTER <= d < QUARTER + timedelta(days=92)}
        assert dict(zip(found["Week of"], found["PMs"])) == published
