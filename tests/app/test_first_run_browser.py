"""From an empty store to the organisation's own Overview through the UI alone: a Jira sync (the
local fake), a roster upload and a survey upload on the Data page, with a screenshot at each step."""
from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.browser import full_page_screenshot, streamlit_server, wait_for_app
from tests.fakes.jira_server import JiraServer
from tests.fakes.jira_site import JiraSite, populate
from tests.survey_fixtures import CONFIG as SURVEY_CONFIG
from tests.survey_fixtures import DATA as SURVEYS

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "first_run"
TEAMS = {"APP": "payments", "WEB": "search", "DATA": "data-platform"}


def roster(site: JiraSite) -> str:
    """Every fake Jira user with an address, as PMs spread over the teams the projects release for."""
    header = "person_id,name,email,role,team_id,team_name,group,time_zone,working_hours,start_date,end_date"
    users = [u for u in site.users.values() if u.email]
    teams = list(TEAMS.values())
    rows = [f"{u.ref},{u.display_name},{u.email},pm,{teams[n % 3]},{teams[n % 3].title()},Product,Europe/Berlin,,2024-01-01,"
            for n, u in enumerate(users)]
    return "\n".join([header, *rows]) + "\n"


def attach(page, index: int, path: Path, until) -> None:
    """Put a file in the page's `index`-th uploader as a person would, and wait until `until` shows.

    A rerun that lands in the same moment can drop the upload, before or after the file first
    shows (the widget is drawn anew), so a file missing from its uploader is attached once more.
    """
    uploader = page.get_by_test_id("stFileUploader").nth(index)
    for attempt in range(3):
        wait_for_app(page)
        if not uploader.get_by_text(path.name[-8:]).count():  # a long name shows shortened
            uploader.locator("input[type=file]").set_input_files(str(path))
        try:
            expect(until).to_be_visible(timeout=40_000)
            return
        except AssertionError:
            if attempt == 2:
                raise


def no_data(page):
    """The Overview's notice that the store is empty (a hidden chart's caption also says "no data yet")."""
    return page.get_by_test_id("stAlertContentInfo").filter(has_text="There is no data yet")


def step(page, name: str) -> None:
    wait_for_app(page)
    full_page_screenshot(page, ARTIFACTS / f"{name}.png")


def test_an_empty_store_becomes_a_populated_overview_through_the_data_page(browser, tmp_path, db_location):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    site = JiraSite("cloud")
    populate(site, issues=300, versions=12)
    (tmp_path / "roster.csv").write_text(roster(site))
    with JiraServer(site) as jira:
        config = tmp_path / "prodops.toml"
        teams = ", ".join(f'"{k}" = "{v}"' for k, v in TEAMS.items())
        config.write_text(SURVEY_CONFIG + f'\n[jira]\nurl = "{jira.url}"\nemail = "{jira.email}"\n'
                          f'projects = ["APP", "WEB", "DATA"]\nproject_teams = {{ {teams} }}\nmax_retries = 0\n')
        env = {"PRODOPS_DB": db_location("first_run"), "PRODOPS_CONFIG": str(config),
               "JIRA_API_TOKEN": jira.token, "PRODOPS_TODAY": "2026-06-30",
               "PRODOPS_SURVEY_SALT": "first-run-test"}  # a shared database keeps no salt file beside it
        with streamlit_server(env) as url:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.goto(url)
            wait_for_app(page)
            expect(no_data(page)).to_have_count(1)
            page.goto(f"{url}/data")
            step(page, "1_empty")
            expect(page.get_by_text("Never synced")).to_be_visible()

            page.get_by_role("button", name="Sync now").click()
            expect(page.get_by_text("jira: success")).to_be_visible(timeout=120_000)
            step(page, "2_jira_synced")

            attach(page, 0, tmp_path / "roster.csv", until=page.get_by_role("button", name="Load roster"))
            step(page, "3_roster_preview")
            page.get_by_role("button", name="Load roster").click()
            expect(page.get_by_text("Roster loaded")).to_be_visible(timeout=120_000)
            step(page, "4_roster_loaded")

            page.get_by_label("Wave").fill("2026-1")
            page.get_by_label("Wave").press("Enter")
            wait_for_app(page)
            expect(page.get_by_label("Wave")).to_have_value("2026-1")
            attach(page, 1, SURVEYS / "google_forms_en_gb.csv", until=page.get_by_text("unmatched teams"))
            step(page, "5_survey_preview")
            expect(page.get_by_role("button", name="Load wave")).to_be_visible(timeout=60_000)
            page.get_by_role("button", name="Load wave").click()
            expect(page.get_by_text("Survey wave 2026-1 of gforms loaded")).to_be_visible(timeout=120_000)
            step(page, "6_survey_loaded")

            page.goto(url)
            wait_for_app(page)
            expect(no_data(page)).to_have_count(0)
            released = page.get_by_test_id("stMetric").filter(has_text="Releases shipped").get_by_test_id("stMetricValue")
            expect(released).to_have_text(re.compile(r"\d"))  # the synced fake's releases, on the Overview
            step(page, "7_overview")
