"""Every page, in process with AppTest, over the demo organisation: every page renders under
every group and every team filter, the URL seeds and follows the filters, and a missing
database gets a pointer to the demo instead of a traceback.
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.metrics import METRICS, SIGNALS
from dashboard.store import Store

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")
SIGNAL_PAGES = {
    "app_pages/pm_time.py": ["S1"],
    "app_pages/insights.py": ["S2"],
    "app_pages/releases.py": ["S3"],
    "app_pages/alignment.py": ["S4", "checkins"],
}
PAGES = ["app_pages/overview.py", *SIGNAL_PAGES, "app_pages/surveys.py", "app_pages/data.py"]


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
    """The line names of every trend chart on the page, one set per chart."""
    return [
        {trace["name"] for trace in json.loads(chart.proto.spec)["data"] if "name" in trace}
        for chart in at.get("plotly_chart")
        if "trend_" in chart.proto.id
    ]


def trend_count(at: AppTest) -> int:
    return sum("trend_" in chart.proto.id for chart in at.get("plotly_chart"))


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
    at = open_page("app_pages/overview.py")
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
    assert trend_count(at) == expected
    shown = set().union(*trace_names(at))
    assert shown == {"Organisation", *org["groups"]}


@pytest.mark.parametrize("page", PAGES)
def test_every_group_and_team_filter(demo_env, org, page):
    """One session per page walks every group, and every team within its group."""
    at = open_page(page)
    for group in org["groups"]:
        at.selectbox(key="f_group").select(group).run()
        assert_clean(at, f"{page} group={group}")
        _assert_lines(at, page, allowed={group, *(org["team_name"][t] for t in org["teams"][group])}, must=group)
        for team in org["teams"][group]:
            at.selectbox(key="f_team").select(team).run()
            context = f"{page} group={group} team={team}"
            assert_clean(at, context)
            _assert_lines(at, page, allowed={group, org["team_name"][team]}, must=org["team_name"][team])
        at.selectbox(key="f_team").select("").run()


def _assert_lines(at: AppTest, page: str, allowed: set[str], must: str) -> None:
    """Every chart draws only the chosen scope and its parent, and the chosen scope appears."""
    if page == "app_pages/data.py":
        assert len(at.dataframe) >= 3
        return
    if page == "app_pages/surveys.py":
        assert at.get("plotly_chart") or at.caption, f"{page}: neither charts nor a suppression note"
        return
    charts = trace_names(at)
    assert charts, f"{page}: no trend chart"
    if page == "app_pages/overview.py":
        assert len(at.metric) == len(METRICS)
    for names in charts:
        assert names <= allowed | {"Organisation"}, f"{page}: unexpected lines {names - allowed}"
    assert must in set().union(*charts), f"{page}: {must} is not drawn"


def test_query_params_seed_the_filters(demo_env, org):
    group = org["groups"][0]
    team = org["teams"][group][1]
    at = open_page(
        "app_pages/releases.py", **{"from": "2025Q3", "to": "2026Q2", "grain": "quarter", "group": group, "team": team}
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
    at = open_page("app_pages/overview.py", group=first, team=org["teams"][first][0])
    at.selectbox(key="f_group").select(second).run()
    assert_clean(at, "changed")
    assert at.query_params["group"] == second
    assert at.query_params["team"] == "", "a team outside the new group is dropped"
    at.selectbox(key="f_to").select(date(2026, 1, 1)).run()
    assert at.query_params["to"] == "2026Q1"


def test_unknown_query_params_fall_back_to_defaults(demo_env):
    at = open_page("app_pages/pm_time.py", group="No such group", team="nope", grain="fortnight", to="1999Q1")
    assert_clean(at, "unknown params")
    assert at.selectbox(key="f_group").value == ""
    assert at.selectbox(key="f_team").value == ""
    assert at.button_group(key="f_grain").value == "month"


@pytest.mark.parametrize("page", PAGES)
def test_missing_database_shows_how_to_build_the_demo(tmp_path, monkeypatch, page):
    monkeypatch.setenv("PRODOPS_DB", str(tmp_path / "absent.duckdb"))
    monkeypatch.setenv("PRODOPS_TODAY", "2026-11-26")
    monkeypatch.delenv("PRODOPS_CONFIG", raising=False)
    at = open_page(page)
    assert not at.exception
    assert any("python -m dashboard demo" in info.value for info in at.info)


def test_the_data_page_says_when_no_source_is_configured(demo_env):
    at = open_page("app_pages/data.py")
    assert_clean(at, "data")
    assert any("No source is configured" in info.value for info in at.info)


def test_sync_now_pulls_jira_and_the_page_shows_the_outcome(demo_db, tmp_path, monkeypatch):
    import shutil

    from tests.fakes.jira_server import JiraServer
    from tests.fakes.jira_site import JiraSite, populate

    site = JiraSite("datacenter")
    populate(site, issues=120, versions=6)
    with JiraServer(site) as server:
        config = tmp_path / "prodops.toml"
        projects = ", ".join(f'"{p}"' for p in sorted(site.projects))
        config.write_text(f'[jira]\nurl = "{server.url}"\nprojects = [{projects}]\nmax_retries = 0\n')
        db = tmp_path / "copy.duckdb"
        shutil.copyfile(demo_db, db)
        monkeypatch.setenv("PRODOPS_DB", str(db))
        monkeypatch.setenv("PRODOPS_CONFIG", str(config))
        monkeypatch.setenv("JIRA_API_TOKEN", server.token)
        at = open_page("app_pages/data.py")
        at.button(key="sync_now").click().run()
        assert_clean(at, "sync now")
        assert any("jira" in s.value and "success" in s.value for s in at.success), [s.value for s in at.success]
    runs = Store(db).table("sync_runs")
    assert "jira" in set(runs["source"])
