"""A click on a chart, in Chromium, opens what stands behind the point clicked, on every page with
charts: the records under a trend chart for the line and period clicked, adding up to the value
drawn, and the evidence under a check-in cell for the team, period and state clicked."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.app.test_browser import ARTIFACTS
from tests.browser import PAGES, full_page_screenshot, wait_for_app

pytestmark = pytest.mark.duckdb_only("clicks are the browser's and Streamlit's, the same over either store; tests/app/test_pages.py renders the pages on both")

COUNTED = re.compile(r"Counted from these rows: ([^,]+),")
HEADLINE = re.compile(r"^(.+), (\w{3} \d{4}): (.+)$")

CHART = {
    "overview": "checkin_compliance_rate",
    "bottlenecks": "release_slip_days",
    "pm_time": "pm_overhead_share",
    "insights": "data_request_days_to_fulfil",
    "checkins": "checkin_median_lateness_hours",
}
"""The trend chart clicked on each page (Releases has its own test in test_records.py, Surveys in
test_survey_clicks.py); each page's lead chart, or its first that lists records."""


def click_marker(page, marker) -> None:
    marker.scroll_into_view_if_needed()
    box = marker.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.click(x, y)


def records_opened(page) -> tuple[str, str, str]:
    """What the records panel says once a click opened it: the period its headline names, the value
    it gives there, and the value counted from its rows."""
    panel = page.get_by_test_id("stExpander").filter(has_text="Records behind a point")
    counted = panel.get_by_text(COUNTED).first
    expect(counted).to_be_visible(timeout=60_000)
    headline = panel.get_by_text(HEADLINE).first.inner_text()
    _, period, value = HEADLINE.match(headline).groups()
    return period, value, COUNTED.search(counted.inner_text()).group(1)


@pytest.mark.parametrize("name", list(CHART))
def test_a_click_on_a_trend_point_opens_records_that_add_up_to_it(server, browser, name):
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    try:
        page.goto(f"{server}/{PAGES[name]}?grain=month")
        wait_for_app(page)
        chart = page.locator(f".st-key-trend_{CHART[name]}")
        expect(chart).to_have_count(1)
        marker = chart.locator(".scatterlayer .trace path.point").nth(-3)
        click_marker(page, marker)
        _, value, counted = records_opened(page)
        assert counted == value
        full_page_screenshot(page, ARTIFACTS / f"{name}-records.png")
    finally:
        page.close()


def test_a_click_on_a_check_in_cell_opens_its_evidence(server, browser):
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    try:
        page.goto(f"{server}/{PAGES['checkins']}?grain=month")
        wait_for_app(page)
        heatmap = page.locator(".st-key-ck_heatmap")
        missing = heatmap.locator(".scatterlayer .trace").filter(has=page.locator("path.point")).nth(2)
        click_marker(page, missing.locator("path.point").first)
        chosen = page.locator(".st-key-ck_cell").get_by_role("combobox")
        expect(chosen).to_have_value(re.compile(r" · missing$"), timeout=60_000)
        evidence = page.get_by_test_id("stDataFrame").first
        expect(evidence).to_contain_text("none found")
        full_page_screenshot(page, ARTIFACTS / "checkins-evidence.png")
    finally:
        page.close()


def test_a_click_on_the_prior_quarter_of_a_review_chart_opens_that_quarters_records(server, browser):
    """The QBR lays the prior quarter over this one, so a prior point's x is not its date: its
    records are still its own quarter's (the chart says each point's period in its `meta`)."""
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    try:
        page.goto(f"{server}/{PAGES['qbr']}")
        wait_for_app(page)
        chart = page.locator(".st-key-qbr_S3-release_slip_days")
        expect(chart).to_have_count(1)
        prior = chart.locator(".scatterlayer .trace").first
        click_marker(page, prior.locator("path.point").first)
        period, value, counted = records_opened(page)
        assert period == "Apr 2026"
        assert counted == value
    finally:
        page.close()
