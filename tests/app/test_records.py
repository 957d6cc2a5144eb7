"""From a chart's point to the records behind it: the list under each trend chart (a click on a
point chooses it there) shows the records, and they add up to the number drawn."""
from __future__ import annotations

import base64
import json
import re
from datetime import date

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import expect

from dashboard.metrics import METRICS
from tests.app.test_browser import ARTIFACTS
from tests.app.test_pages import assert_clean, open_page
from tests.browser import full_page_screenshot, wait_for_app
from tests.conftest import page_file

PERIOD = "Sep 2026"
PAGE = {"release_count": "releases.py", "release_on_time_rate": "releases.py", "release_slip_days": "releases.py",
        "checkin_compliance_rate": "overview.py"}


def drawn_value(at, metric_id: str, point: tuple[str, date]) -> float:
    """The y of the point on the metric's chart, as the figure sent to the browser holds it."""
    chart = next(c for c in at.get("plotly_chart") if f"trend_{metric_id}" in c.proto.id)
    for trace in json.loads(chart.proto.spec)["data"]:
        if trace.get("meta") == point[0]:
            for x, y in zip(trace["x"], values(trace["y"])):
                if pd.Timestamp(x).date() == point[1]:
                    return y
    raise AssertionError(f"no point {point} on the {metric_id} chart")


def values(array) -> list:
    """A plotly JSON array: a list, or a typed array in base64 (`{"dtype": "f8", "bdata": ...}`)."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
    return list(array)


def recount(metric_id: str, rows: pd.DataFrame) -> float:
    """The metric from the rows shown, by its definition, written apart from the app's own count."""
    if metric_id.startswith("release_"):
        shipped = rows[rows["State"].isin(["on time", "late", "no plan"])]
        planned = shipped[shipped["State"] != "no plan"]
        return {"release_count": len(shipped), "release_on_time_rate": (planned["State"] == "on time").sum() / len(planned),
                "release_slip_days": planned["Days late"].astype(float).sum() / len(planned)}[metric_id]
    expected = rows[rows["State"].isin(["on time", "late", "missing"])]
    return expected["State"].isin(["on time", "late"]).sum() / len(expected)


@pytest.mark.parametrize("metric_id", list(PAGE))
def test_a_point_opens_the_records_that_add_up_to_the_number_drawn(demo_env, metric_id):
    at = open_page(page_file(PAGE[metric_id]))
    box = at.selectbox(key=f"rec_trend_{metric_id}")
    box.select_index(next(k for k, label in enumerate(box.options) if label.endswith(f" · {PERIOD}"))).run()
    assert_clean(at, f"records of {metric_id}")
    point = at.selectbox(key=f"rec_trend_{metric_id}").value
    assert point[1] == date(2026, 9, 1)
    frames = [t.value.data if hasattr(t.value, "data") else t.value for t in at.dataframe]
    rows = next(frame for frame in frames if "State" in frame.columns)
    drawn = drawn_value(at, metric_id, point)
    assert recount(metric_id, rows) == pytest.approx(drawn, abs=1e-9), rows
    metric = METRICS[metric_id]
    assert f"Counted from these rows: {metric.format(drawn)}" in [c.value.split(",")[0] for c in at.caption]
    assert [b.proto.label for b in at.get("download_button")] == ["Download these rows (CSV)"]
    assert any(m.value.endswith(f", {PERIOD}: {metric.format(drawn)}**") for m in at.markdown)


def test_a_survey_point_says_there_are_no_records_to_list(demo_env):
    """Survey answers are anonymous: a point of a survey chart lists no one."""
    at = open_page(page_file("alignment.py"))
    keys = [s.key for s in at.selectbox if (s.key or "").startswith("rec_trend_")]
    assert keys, "the alignment charts offer their points"
    at.selectbox(key=keys[0]).select_index(0).run()
    assert_clean(at, "a survey point")
    assert any(c.value.startswith("Survey answers are anonymous") for c in at.caption)
    assert not [t for t in at.dataframe if "State" in (t.value.data if hasattr(t.value, "data") else t.value).columns]


# ---------------------------------------------------------------------------------------------
# In a browser: a click on a point, as AppTest cannot make one

COUNTED = re.compile(r"Counted from these rows: ([^,]+),")
HEADLINE = re.compile(r"^(.+), (\w{3} \d{4}): (.+)$")


def test_clicking_a_point_in_the_browser_opens_the_records_that_add_up_to_it(server, browser):
    """Chromium clicks a marker of the Releases page's first chart (releases shipped, a line per
    group): the records open under the chart, for the line and month clicked, and count to its value."""
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    try:
        page.goto(f"{server}/releases?grain=month")
        wait_for_app(page)
        chart = page.get_by_test_id("stPlotlyChart").first
        chart.scroll_into_view_if_needed()
        marker = chart.locator(".scatterlayer .trace").first.locator("path.point").nth(-4)
        box = marker.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        counted = page.get_by_text(COUNTED).first
        expect(counted).to_be_visible(timeout=60_000)
        headline = page.get_by_test_id("stExpander").get_by_text(HEADLINE).first.inner_text()
        _, _, value = HEADLINE.match(headline).groups()
        assert COUNTED.search(counted.inner_text()).group(1) == value, (headline, counted.inner_text())
        rows = page.get_by_test_id("stExpander").filter(has_text="Counted from these rows").get_by_test_id("stDataFrame")
        expect(rows).to_have_count(1)
        full_page_screenshot(page, ARTIFACTS / "releases-records.png")
    finally:
        page.close()
