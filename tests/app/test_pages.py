"""Every page, in process with AppTest, over the demo organisation: every page renders under
every group and every team filter, the URL seeds and follows the filters, and a missing
database gets a pointer to the demo instead of a traceback. The leadership views (Overview,
Bottlenecks, QBR) also have their own controls driven here: the scored quarter, annotations,
the row looked into, the review's quarter, its notes and its exports.
"""
from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.app import qbr_views, ui
from dashboard.core.store import Store
from dashboard.metrics import METRICS, SIGNALS
from tests.conftest import DEMO_TODAY, ENTRYPOINT, page_file

ROOT = Path(__file__).resolve().parents[2]
APP = str(ENTRYPOINT)
SIGNAL_PAGES = {
    page_file("pm_time.py"): ["S1"],
    page_file("insights.py"): ["S2"],
    page_file("releases.py"): ["S3"],
    page_file("alignment.py"): ["S4", "checkins"],
    page_file("checkins.py"): ["checkins"],
    page_file("product_ops.py"): ["ops"],
}
LEADERSHIP_PAGES = [page_file("bottlenecks.py"), page_file("qbr.py")]
SCORED = [metric for metric in METRICS.values() if metric.signal in SIGNALS]
"""The metrics the Overview scores: the signs' and check-ins', not the product-ops function's own."""
PAGES = [page_file("overview.py"), *LEADERSHIP_PAGES, *SIGNAL_PAGES, page_file("surveys.py"), page_file("data.py")]


def open_page(page: str, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    return at.switch_page(page).run()


def assert_clean(at: AppTest, context: str) -> None:
    assert not at.exception, f"{context}: {[e.value for e in at.exception]}"
    assert not at.error, f"{context}: {[e.value for e in at.error]}"


def trace_names(at: AppTest) -> list[set[str]]:
    """The line names of every trend chart on the page, one set per chart (the legend entry the grey
    lines share, which draws nothing, aside)."""
    return [
        {trace["name"] for trace in json.loads(chart.proto.spec)["data"] if "name" in trace and "meta" in trace}
        for chart in at.get("plotly_chart")
        if "trend_" in chart.proto.id
    ]


def trend_count(at: AppTest) -> int:
    return sum("trend_" in chart.proto.id for chart in at.get("plotly_chart"))


def nothing_to_draw(at: AppTest) -> int:
    """Trend tiles that say every point is hidden instead of drawing an empty chart."""
    return sum(caption.value.startswith(ui.NOTHING_TO_DRAW) for caption in at.caption)


@pytest.fixture(scope="module")
def org(demo_db) -> dict:
    teams = Store(demo_db).table("teams")
    return {
        "groups": sorted(teams["group_name"].unique()),
        "teams": {group: rows["team_id"].tolist() for group, rows in teams.groupby("group_name")},
        "team_name": dict(zip(teams["team_id"], teams["name"])),
    }


@pytest.mark.parametrize("page", PAGES)
def test_page_renders(demo_env, page):
    at = open_page(page)
    assert_clean(at, page)
    assert at.title, f"{page} has no title"


def test_overview_has_one_metric_per_headline_and_a_trend_per_signal(demo_env):
    at = open_page(page_file("overview.py"))
    assert_clean(at, "overview")
    headlines = [metric.title for signal in SIGNALS for metric in METRICS.values() if metric.signal == signal]
    assert [m.label for m in at.metric] == headlines
    assert trend_count(at) == len(SIGNALS)
    assert sum("spark_" in chart.proto.id for chart in at.get("plotly_chart")) >= len(SIGNALS)
    assert all(names == {"Organisation"} for names in trace_names(at))


@pytest.mark.parametrize("page", list(SIGNAL_PAGES))
def test_signal_page_draws_each_metric_by_group(demo_env, org, page):
    at = open_page(page)
    expected = sum(metric.signal in SIGNAL_PAGES[page] for metric in METRICS.values())
    assert trend_count(at) + nothing_to_draw(at) == expected
    assert trend_count(at) > nothing_to_draw(at)
    shown = set().union(*trace_names(at))
    assert shown == {"Organisation", *org["groups"]}


@pytest.mark.parametrize("page", PAGES)
def test_every_group_and_team_filter(demo_env, org, page, backend):
    """One session per page walks every group, and every team within its group.

    On PostgreSQL it walks the first group and its first team: the store answers every scope
    with the same query, so a full walk there would repeat the DuckDB walk's page code.
    """
    at = open_page(page)
    for group in org["groups"][: 1 if backend == "postgres" else None]:
        at.selectbox(key="f_group").select(group).run()
        assert_clean(at, f"{page} group={group}")
        _assert_lines(at, page, allowed={group, *(org["team_name"][t] for t in org["teams"][group])}, must=group)
        # The leadership pages walk one team per group: each reads the team filter the same way,
        # and a full walk of their heavier pages would double the suite's time.
        for team in org["teams"][group][: 1 if page in LEADERSHIP_PAGES or backend == "postgres" else None]:
            at.selectbox(key="f_team").select(team).run()
            context = f"{page} group={group} team={team}"
            assert_clean(at, context)
            _assert_lines(at, page, allowed={group, org["team_name"][team]}, must=org["team_name"][team])
        at.selectbox(key="f_team").select("").run()


def _assert_lines(at: AppTest, page: str, allowed: set[str], must: str) -> None:
    """Every chart draws only the chosen scope and its parent, and the chosen scope appears."""
    if page == page_file("data.py"):
        assert len(at.dataframe) >= 3
        return
    if page == page_file("surveys.py"):
        assert at.get("plotly_chart") or at.caption, f"{page}: neither charts nor a suppression note"
        return
    if page == page_file("qbr.py"):
        assert must in at.caption[0].value, f"{page}: the review is not of {must}"
        assert len(at.get("plotly_chart")) == 9
        return
    if page == page_file("bottlenecks.py"):
        ranked = at.dataframe[0].value
        assert len(ranked), f"{page}: nothing ranked for {must}"
        assert {where.removesuffix(" (group)") for where in ranked["where"]} <= allowed
        assert must in {where.removesuffix(" (group)") for where in ranked["where"]}
    charts = trace_names(at)
    assert charts, f"{page}: no trend chart"
    if page == page_file("overview.py"):
        assert len(at.metric) == len(SCORED)
    if page == page_file("bottlenecks.py"):
        return  # its one chart is the looked-into row's, which may be the group's or the team's
    for names in charts:
        assert names <= allowed | {"Organisation"}, f"{page}: unexpected lines {names - allowed}"
    assert must in set().union(*charts), f"{page}: {must} is not drawn"


def test_query_params_seed_the_filters(demo_env, org):
    group = org["groups"][0]
    team = org["teams"][group][1]
    at = open_page(
        page_file("releases.py"), **{"from": "2025Q3", "to": "2026Q2", "grain": "quarter", "group": group, "team": team}
    )
    assert_clean(at, "seeded")
    assert at.selectbox(key="f_from").value == date(2025, 7, 1)
    assert at.selectbox(key="f_to").value == date(2026, 4, 1)
    assert at.button_group(key="f_grain").value == "quarter"
    assert at.selectbox(key="f_group").value == group
    assert at.selectbox(key="f_team").value == team
    assert org["team_name"][team] in at.caption[0].value


def test_changing_a_filter_writes_the_url(demo_env, org):
    first, second = org["groups"][:2]
    at = open_page(page_file("overview.py"), group=first, team=org["teams"][first][0])
    at.selectbox(key="f_group").select(second).run()
    assert_clean(at, "changed")
    assert at.query_params["group"] == second
    assert at.query_params["team"] == "", "a team outside the new group is dropped"
    at.selectbox(key="f_to").select(date(2026, 1, 1)).run()
    assert at.query_params["to"] == "2026Q1"


def test_unknown_query_params_fall_back_to_defaults(demo_env):
    at = open_page(page_file("pm_time.py"), group="No such group", team="nope", grain="fortnight", to="1999Q1")
    assert_clean(at, "unknown params")
    assert at.selectbox(key="f_group").value == ""
    assert at.selectbox(key="f_team").value == ""
    assert at.button_group(key="f_grain").value == "month"


@pytest.mark.parametrize("page", PAGES)
def test_missing_database_shows_how_to_build_the_demo(db_location, monkeypatch, page):
    monkeypatch.setenv("PRODOPS_DB", db_location("absent", create=False))
    monkeypatch.setenv("PRODOPS_TODAY", "2026-11-26")
    monkeypatch.delenv("PRODOPS_CONFIG", raising=False)
    at = open_page(page)
    assert not at.exception
    assert any("python -m dashboard demo" in info.value for info in at.info)


def test_the_data_page_says_when_no_source_is_configured(demo_env):
    at = open_page(page_file("data.py"))
    assert_clean(at, "data")
    assert any("No source is configured" in info.value for info in at.info)


def page_text(at: AppTest) -> list[str]:
    """Everything the page shows as text: captions, metrics, and every cell of every table."""
    shown = [c.value for c in at.caption] + [m.value for m in at.metric] + [m.value for m in at.markdown]
    for table in at.dataframe:
        shown += [str(cell) for cell in table.value.astype(str).to_numpy().ravel()]
    return shown


def test_the_data_page_shows_no_empty_markers_and_nothing_newer_than_today(demo_env):
    at = open_page(page_file("data.py"))
    assert_clean(at, "data")
    text = page_text(at)
    assert [cell for cell in text if cell.strip() in ("None", "NaT", "nan", "<NA>")] == []
    tables = next(t.value for t in at.dataframe if "table_name" in t.value.columns)
    dated = pd.to_datetime(tables["newest"], format="%d %b %Y", errors="coerce").dropna()
    assert len(dated) >= 4 and (dated.dt.date <= DEMO_TODAY).all()
    assert set(tables.loc[dated.index, "table_name"]) >= {"checkins", "calendar_events"}


def test_data_as_of_is_the_newest_successful_sync_not_today(demo_env):
    at = open_page(page_file("overview.py"))
    runs = Store(demo_env).table("sync_runs")
    newest = runs.loc[runs["status"] == "success", "finished_at"].max()
    assert f"Data as of {newest:%d %b %Y, %H:%M} UTC" in [c.value for c in at.sidebar.caption]


def test_sync_now_pulls_jira_and_the_page_shows_the_outcome(demo_copy, tmp_path, monkeypatch):
    from tests.fakes.jira_server import JiraServer
    from tests.fakes.jira_site import JiraSite, populate

    site = JiraSite("datacenter")
    populate(site, issues=120, versions=6)
    with JiraServer(site) as server:
        config = tmp_path / "prodops.toml"
        projects = ", ".join(f'"{p}"' for p in sorted(site.projects))
        config.write_text(f'[jira]\nurl = "{server.url}"\nprojects = [{projects}]\nmax_retries = 0\n')
        db = demo_copy
        monkeypatch.setenv("PRODOPS_DB", db)
        monkeypatch.setenv("PRODOPS_CONFIG", str(config))
        monkeypatch.setenv("JIRA_API_TOKEN", server.token)
        at = open_page(page_file("data.py"))
        at.button(key="sync_now").click().run()
        assert_clean(at, "sync now")
        assert any("jira" in s.value and "success" in s.value for s in at.success), [s.value for s in at.success]
    runs = Store(db).table("sync_runs")
    assert "jira" in set(runs["source"])


# ---------------------------------------------------------------------------------------------
# Leadership views


def _series(demo_db, start: date, end: date, scope: str = "org"):
    from dashboard.core.config import Settings
    from dashboard.metrics import compute_series, load_tables

    return compute_series(load_tables(Store(demo_db)), Settings(), "quarter", scope, start, end).set_index(
        ["metric_id", "period_start"])


def scope_caption(at: AppTest) -> str:
    """The Overview's line over its cards: the scope, the quarters compared and the trends' span."""
    return next(c.value for c in at.caption if " · trends " in c.value)


def test_overview_scores_the_last_complete_quarter_and_shows_the_running_one_to_date(demo_env, demo_db):
    at = open_page(page_file("overview.py"))
    assert_clean(at, "overview")
    assert "Q3 2026 against Q2 2026 and Q3 2025; Q4 2026 to date (57 of 92 days) beside it" in scope_caption(at)
    series = _series(demo_db, date(2025, 7, 1), date(2026, 11, 26))
    headline = [metric for signal in SIGNALS for metric in METRICS.values() if metric.signal == signal]
    assert [m.value for m in at.metric] == [metric.format(series.loc[(metric.id, date(2026, 7, 1)), "value"]) for metric in headline]
    so_far = [c.value for c in at.caption if c.value.startswith("Q4 2026 to date: ")]
    assert len(so_far) == len(SCORED)
    releases = METRICS["release_count"].format(series.loc[("release_count", date(2026, 10, 1)), "value"])
    assert f"Q4 2026 to date: **{releases}**" in so_far
    assert any(c.value.endswith(" vs Q3 2025") for c in at.caption), "no change against a year ago"


def test_overview_scores_a_complete_quarter_as_it_is(demo_env):
    at = open_page(page_file("overview.py"), to="2026Q2")
    assert_clean(at, "overview to Q2")
    assert "Q2 2026 against Q1 2026 and Q2 2025 ·" in scope_caption(at)
    assert not [c for c in at.caption if "to date" in c.value]


def test_an_annotation_added_on_the_overview_is_stored_and_drawn(demo_copy, monkeypatch):
    monkeypatch.setenv("PRODOPS_DB", demo_copy)
    monkeypatch.setenv("PRODOPS_TODAY", "2026-11-26")
    monkeypatch.delenv("PRODOPS_CONFIG", raising=False)
    at = open_page(page_file("overview.py"))
    at.date_input(key="ann_date").set_value(date(2026, 9, 14))
    at.text_input(key="ann_label").input("Check-in template simplified")
    next(b for b in at.button if b.label == "Add annotation").click().run()
    assert_clean(at, "annotation added")
    stored = Store(demo_copy).table("annotations")
    assert "Check-in template simplified" in set(stored["label"])
    assert any("Check-in template simplified" in s.value for s in at.success)
    drawn = [a["text"] for chart in at.get("plotly_chart") if "trend_" in chart.proto.id
             for a in json.loads(chart.proto.spec)["layout"].get("annotations", [])]
    assert "Check-in template simplified" in drawn
    at.multiselect(key="ann_pick").select((date(2026, 9, 14), "org", "Check-in template simplified")).run()
    at.button(key="ann_remove").click().run()
    assert "Check-in template simplified" not in set(Store(demo_copy).table("annotations")["label"])


def test_about_never_shows_the_exact_n_of_a_hidden_survey_cell(demo_env, org):
    group = org["groups"][0]
    at = open_page(page_file("alignment.py"), group=group)
    assert_clean(at, "alignment")
    cells = {str(v) for table in at.dataframe for v in table.value.to_numpy().ravel()}
    assert not [c for c in cells if c.endswith("(hidden)")]
    assert {"fewer than 5", "hidden"} & cells, "the teams' survey cells should be hidden in the demo"


def test_bottlenecks_put_the_demo_story_first(demo_env):
    from dashboard.demo import SILENT_TEAM, SLIPPING_GROUP

    at = open_page(page_file("bottlenecks.py"))
    assert_clean(at, "bottlenecks")
    top = at.dataframe[0].value.head(5)
    found = set(zip(top["metric"], top["where"]))
    names = Store(os.environ["PRODOPS_DB"]).table("teams").set_index("team_id")["name"]
    assert {("Releases on time", f"{SLIPPING_GROUP} (group)"), ("Release slip", f"{SLIPPING_GROUP} (group)")} <= found
    assert ("Check-ins delivered", names[SILENT_TEAM]) in found
    first = at.selectbox(key="bn_focus").value
    assert first in {f"release_on_time_rate:group:{SLIPPING_GROUP}", f"release_slip_days:group:{SLIPPING_GROUP}"}
    assert at.query_params["focus"] == first
    assert at.caption[0].value.startswith("Q3 2026, the last whole quarter (Q4 2026 to date (57 of 92 days))"), \
        "a running quarter is never ranked as a whole one"


def test_a_bottleneck_row_drills_down_to_its_records_and_links_to_its_page(demo_env):
    from dashboard.demo import SILENT_TEAM

    focus = f"checkin_compliance_rate:team:{SILENT_TEAM}"
    at = open_page(page_file("bottlenecks.py"), focus=focus)
    assert_clean(at, "drill-down")
    assert at.selectbox(key="bn_focus").value == focus
    records = next(table.value for table in at.dataframe if "State" in table.value)
    assert (records["State"] == "missing").sum() > len(records) / 2, "the silent team's check-ins are missing"
    links = at.get("page_link")
    assert links and "Check-ins page" in links[0].proto.label
    at.selectbox(key="bn_focus").select(f"checkin_on_time_rate:team:{SILENT_TEAM}").run()
    assert_clean(at, "another row")
    assert at.query_params["focus"] == f"checkin_on_time_rate:team:{SILENT_TEAM}"


def test_the_qbr_quarter_lives_in_the_url(demo_env):
    at = open_page(page_file("qbr.py"))
    assert_clean(at, "qbr")
    assert at.selectbox(key="qbr_quarter").value == date(2026, 7, 1), "the last complete quarter"
    assert at.query_params["quarter"] == "2026Q3"
    options = at.selectbox(key="qbr_quarter").options
    assert "Q3 2026" in options and "Q4 2026" not in options, "a running quarter is not reviewed"
    at.selectbox(key="qbr_quarter").select(date(2026, 4, 1)).run()
    assert_clean(at, "qbr Q2")
    assert at.query_params["quarter"] == "2026Q2"
    assert "Q2 2026 against Q1 2026" in at.caption[0].value
    seeded = open_page(page_file("qbr.py"), quarter="2026Q1", group="Payments")
    assert seeded.selectbox(key="qbr_quarter").value == date(2026, 1, 1)
    assert seeded.caption[0].value.startswith("Payments · ")


def test_the_qbr_page_shows_the_scorecard_numbers_and_exports_the_same_pack(demo_env, demo_db, monkeypatch, tmp_path):
    from dashboard import cli, report

    captured = {}

    def spy(made, formats=tuple(report.FORMATS)):
        captured.update(real(made, formats))
        return captured

    real = report.render_all
    monkeypatch.setattr(report, "render_all", spy)
    qbr_views._qbr_files.clear()
    at = open_page(page_file("qbr.py"))
    series = _series(demo_db, date(2026, 7, 1), date(2026, 9, 30))
    frames = [table.value.data if hasattr(table.value, "data") else table.value for table in at.dataframe]
    scorecard = next(frame for frame in frames if {"Metric", "Target"} <= set(frame.columns))
    assert dict(zip(scorecard["Metric"], scorecard["Q3 2026"])) == {
        metric.title: metric.format(series.loc[(metric.id, date(2026, 7, 1)), "value"]) for metric in METRICS.values()}
    at.button(key="qbr_prepare").click().run()
    assert_clean(at, "prepared")
    assert [b.proto.label for b in at.get("download_button")] == [title for _, title in report.FORMATS.values()]
    assert set(captured) == set(report.FORMATS)
    out = tmp_path / "cli.csv"
    assert cli.main(["report", "--quarter", "2026Q3", "--format", "csv", "--out", str(out)]) == 0
    assert captured["csv"] == out.read_bytes(), "the page and the command line write the same numbers"


def test_a_qbr_note_is_saved_in_one_click_with_its_quarter_and_confirmed(demo_copy, monkeypatch):
    monkeypatch.setenv("PRODOPS_DB", demo_copy)
    monkeypatch.setenv("PRODOPS_TODAY", "2026-11-26")
    monkeypatch.delenv("PRODOPS_CONFIG", raising=False)
    at = open_page(page_file("qbr.py"))
    at.text_area(key="qbr_note_2026Q3_org_S3").input("Payments re-plans every release.")
    at.button(key="qbr_save_S3").click().run()
    assert_clean(at, "note saved")
    assert [s.value for s in at.success] == ["Note saved for Q3 2026: it is in every export."], "one click, confirmed"
    from dashboard.core.notes import qbr_notes

    assert qbr_notes(Store(demo_copy), "2026Q3", "org") == {"S3": "Payments re-plans every release."}
    at.selectbox(key="qbr_quarter").select(date(2026, 4, 1)).run()
    assert at.text_area(key="qbr_note_2026Q2_org_S3").value == "", "a note belongs to its quarter"


@pytest.mark.duckdb_only("the first-run marker sits beside a DuckDB file")
def test_a_page_waits_for_the_first_run_demo_build(demo_db, tmp_path, monkeypatch):
    import shutil
    import threading

    db = tmp_path / "prodops.duckdb"
    marker = tmp_path / "prodops.duckdb.building"
    marker.touch()
    monkeypatch.setenv("PRODOPS_DB", str(db))

    def finish_build() -> None:
        shutil.copyfile(demo_db, db)
        marker.unlink()

    threading.Timer(2.0, finish_build).start()
    at = open_page(page_file("overview.py"))
    assert_clean(at, "overview after the first-run build")
    assert len(at.metric) > 0 and not at.info


def _heatmap(at: AppTest) -> dict[str, dict]:
    """The check-in heatmap's cells per state (one trace each)."""
    chart = next(chart for chart in at.get("plotly_chart") if "ck_heatmap" in chart.proto.id)
    return {trace["name"]: trace for trace in json.loads(chart.proto.spec)["data"]}


def test_checkins_page_filters_by_kind_and_opens_the_evidence_behind_a_cell(demo_env, org):
    at = open_page(page_file("checkins.py"))
    assert_clean(at, "checkins")
    kind = at.selectbox(key="ck_kind")
    assert kind.options == ["Weekly status", "Monthly roadmap", "QBR prep"]
    weekly = _heatmap(at)
    assert set().union(*(trace["y"] for trace in weekly.values())) == set(org["team_name"].values())
    assert set(weekly["missing"]["y"]) >= {"Android"}
    kind.select("monthly_roadmap").run()
    assert_clean(at, "checkins monthly")
    monthly = _heatmap(at)
    periods = set().union(*(trace["x"] for trace in monthly.values()))
    assert len(periods) < len(set().union(*(trace["x"] for trace in weekly.values()))) / 3
    cells = {state: monthly[state]["customdata"] for state in ("on time", "missing")}
    at.selectbox(key="ck_cell").select(cells["on time"][0]).run()
    evidence = at.dataframe[0].value.set_index("Item")["Detail"]
    assert evidence["State"] == "on time"
    assert evidence["Evidence"].startswith("form response: monthly-roadmap-review.csv row ")
    at.selectbox(key="ck_cell").select(cells["missing"][0]).run()
    evidence = at.dataframe[0].value.set_index("Item")["Detail"]
    assert evidence["State"] == "missing" and evidence["Evidence"] == "none found"


def test_checkins_page_lists_the_silent_team_as_missing_since_it_stopped(demo_env, org):
    at = open_page(page_file("checkins.py"), group="Mobile")
    misses = at.dataframe[1].value
    android = misses[(misses["Team"] == "Android") & (misses["Check-in"] == "Weekly status")]
    assert len(android) == 1 and android["Missed in a row"].iloc[0] >= 10
    streaks = at.dataframe[2].value
    assert streaks.set_index("Team").loc["Android", "On time in a row"] == 0
    assert set(streaks["Team"]) == {org["team_name"][t] for t in org["teams"]["Mobile"]}


def test_checkins_page_gives_the_chosen_kinds_rates_per_period(demo_env):
    at = open_page(page_file("checkins.py"), grain="quarter")
    rates = at.dataframe[3].value
    assert list(rates.columns) == ["Period", "Expected", "Check-ins delivered", "Check-ins on time", "Check-in lateness"]
    assert rates["Period"].iloc[0] == "2026Q4" and (rates["Expected"] > 0).all()
    weekly_expected = rates["Expected"].sum()
    at.selectbox(key="ck_kind").select("qbr_prep").run()
    assert_clean(at, "checkins qbr")
    assert 0 < at.dataframe[3].value["Expected"].sum() < weekly_expected / 5


def test_test_connection_runs_the_doctors_check_for_one_source(demo_copy, tmp_path, monkeypatch):
    from tests.fakes.faults import Fault
    from tests.fakes.jira_server import JiraServer
    from tests.fakes.jira_site import JiraSite, populate

    site = JiraSite("cloud")
    populate(site, issues=20, versions=2, projects=("APP", "WEB"))
    with JiraServer(site) as server:
        config = tmp_path / "prodops.toml"
        config.write_text(f'[jira]\nurl = "{server.url}"\nemail = "{server.email}"\nprojects = ["APP", "WEB"]\n')
        monkeypatch.setenv("PRODOPS_DB", demo_copy)
        monkeypatch.setenv("PRODOPS_CONFIG", str(config))
        monkeypatch.setenv("JIRA_API_TOKEN", server.token)
        server.inject(Fault("status", path="/project/WEB/versions", status=403, times=None))
        at = open_page(page_file("data.py"))
        assert any("Never synced" in c.value for c in at.caption)
        at.button(key="test_jira").click().run()
        assert not at.exception
        assert any("signed in to Jira Cloud" in s.value for s in at.success)
        assert [e.value for e in at.error if "WEB" in e.value and "Browse Projects" in e.value]
    assert "jira" not in set(Store(demo_copy).table("sync_runs")["source"]), "testing a connection writes nothing"


def test_product_ops_page_shows_who_product_ops_meets_as_the_published_shares(demo_env, demo_db):
    at = open_page(page_file("product_ops.py"))
    assert_clean(at, "product ops")
    charts = [chart for chart in at.get("plotly_chart") if "meeting_partners" in chart.proto.id]
    assert len(charts) == 1
    bars = json.loads(charts[0].proto.spec)["data"][0]
    assert list(bars["y"]) == ["PMs", "Operations staff"]
    assert all("n = " in text for text in bars["text"]) and "@" not in charts[0].proto.spec
    pms, operations = (int(text.split("%")[0]) for text in bars["text"])
    assert pms > operations > 0, "the demo's product ops meets PMs far more than operations"
