"""The Surveys page in Chromium over the demo organisation: a click on a point of the construct
trend, or on a bar of PMs beside operations, opens the answers behind it, which count to the number
clicked. (tests/app/test_browser.py checks the page's charts for cut-off and overlapping text.)"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.app.test_browser import ARTIFACTS, open_page, wait_for_charts
from tests.app.test_chart_clicks import click_marker
from tests.browser import full_page_screenshot

pytestmark = pytest.mark.duckdb_only(
    "a click, its panel and the charts' layout are the browser's and Streamlit's, the same over either store; "
    "tests/app/test_survey_page.py counts the answers on both"
)
COUNTED = re.compile(r"Counted from these answers: ([^,]+),")
HEADLINE = re.compile(r"^(.+\)): (\S+)$")
DRAWN_Y = "point => point.__data__.y"
"""The value plotly drew a marker for (its calcdata, bound to the marker's path)."""
DRAWN_BAR = "bar => bar.__data__.s"
"""The value plotly drew a bar for (its size, in the bar's calcdata)."""


def opened(page) -> tuple[str, str, str]:
    """What the panel under a chart says once a click opened it: (whose score, its value, the count)."""
    counted = page.get_by_text(COUNTED).first
    expect(counted).to_be_visible(timeout=60_000)
    headline = page.get_by_test_id("stExpander").get_by_text(HEADLINE).first.inner_text()
    where, value = HEADLINE.match(headline).groups()
    return where, value, COUNTED.search(counted.inner_text()).group(1)


def test_clicking_a_point_on_the_survey_trend_opens_answers_that_count_to_it(server, browser):
    """Chromium clicks the oldest point of a line of the trend's score panel (where the lines are
    far apart; by the last waves they meet, and plotly picks whichever point is nearest): its
    answers open under the chart, for the construct and wave clicked, and count to the value drawn."""
    page, errors = open_page(browser, f"{server}/surveys")
    try:
        chart = page.get_by_test_id("stPlotlyChart").first
        chart.scroll_into_view_if_needed()
        wait_for_charts(page)
        marker = chart.locator(".scatterlayer .trace").first.locator("path.point").first
        drawn = marker.evaluate(DRAWN_Y)
        click_marker(page, marker)
        where, value, counted = opened(page)
        assert counted == value == f"{drawn:.0f}", (where, value, counted, drawn)
        assert re.search(r", Everyone, pulse/\d{4}Q\d \(\d+ \w{3} \d{4}\)$", where), where
        rows = page.get_by_test_id("stExpander").filter(has_text="Counted from these answers").get_by_test_id("stDataFrame")
        expect(rows).to_have_count(1)
        expect(page.get_by_role("button", name="Download these rows (CSV)")).to_have_count(1)
        ARTIFACTS.mkdir(exist_ok=True)
        full_page_screenshot(page, ARTIFACTS / "surveys-records.png")
        assert not errors, "\n".join(errors)
    finally:
        page.close()


def test_clicking_a_bar_of_the_side_by_side_opens_answers_that_count_to_it(server, browser):
    """Chromium clicks the first PM bar of the last wave's scores: its answers open under the bars."""
    page, errors = open_page(browser, f"{server}/surveys")
    try:
        chart = page.get_by_test_id("stPlotlyChart").nth(1)
        chart.scroll_into_view_if_needed()
        wait_for_charts(page)
        bar = chart.locator(".barlayer .trace").first.locator("path").first
        drawn = bar.evaluate(DRAWN_BAR)
        click_marker(page, bar)
        where, value, counted = opened(page)
        assert counted == value == f"{drawn:.0f}", (where, value, counted, drawn)
        assert ", PMs, pulse/2026Q4 (17 Nov 2026)" in where, where
        assert not errors, "\n".join(errors)
    finally:
        page.close()

