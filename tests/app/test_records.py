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

from dashboard.core.config import Settings
from dashboard.metrics import METRICS
from tests.app.test_browser import ARTIFACTS
from tests.app.test_chart_clicks import click_marker, records_opened
from tests.app.test_pages import assert_clean, open_page
from tests.browser import full_page_screenshot, wait_for_app
from tests.conftest import page_file

PERIOD = "Sep 2026"
FIRST, END = pd.Timestamp("2026-09-01"), pd.Timestamp("2026-10-01")
CHARTS = [
    ("releases.py", "release_count"), ("releases.py", "release_interval_days"), ("releases.py", "release_on_time_rate"),
    ("releases.py", "release_slip_days"), ("releases.py", "release_lead_time_days"),
    ("overview.py", "checkin_compliance_rate"), ("overview.py", "pm_overhead_share"), ("overview.py", "data_requests_per_pm"),
    ("pm_time.py", "pm_overhead_share"), ("pm_time.py", "pm_focus_hours"),
    ("insights.py", "data_requests_per_pm"), ("insights.py", "data_request_days_to_fulfil"),
    ("checkins.py", "checkin_compliance_rate"), ("checkins.py", "checkin_median_lateness_hours"),
    ("bottlenecks.py", "checkin_on_time_rate"),
    ("qbr.py", "release_slip_days"), ("qbr.py", "data_request_days_to_fulfil"),
]
"""A point of each kind of record on every page with trend charts; on Bottlenecks, the chart of the
first ranked row of the metric; on the QBR, a chart of the quarter laid over the one before."""


def chart_key(page: str, metric_id: str) -> str:
    return f"qbr_{METRICS[metric_id].signal}-{metric_id}" if page == "qbr.py" else f"trend_{metric_id}"


def drawn_value(at, key: str, point: tuple[str, date]) -> float:
    """The y of the point on the chart, as the figure sent to the browser holds it: a trace names its
    line in `meta`, and, when its x is not its dates (a prior quarter laid over), each point's period."""
    chart = next(c for c in at.get("plotly_chart") if key in c.proto.id)
    for trace in json.loads(chart.proto.spec)["data"]:
        meta = trace.get("meta")
        scope, days = (meta["scope"], meta["periods"]) if isinstance(meta, dict) else (meta, trace.get("x", []))
        if scope == point[0]:
            for day, y in zip(days, values(trace["y"])):
                if pd.Timestamp(day).date() == point[1]:
                    return y
    raise AssertionError(f"no point {point} on the {key} chart")


def values(array) -> list:
    """A plotly JSON array: a list, or a typed array in base64 (`{"dtype": "f8", "bdata": ...}`)."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
    return list(array)


def when(column: pd.Series) -> pd.Series:
    """A column of dates or times as the table shows them ("" where there is none)."""
    return pd.to_datetime(column.where(column != ""))


def days(later: pd.Series, earlier: pd.Series) -> pd.Series:
    return (when(later) - when(earlier)).dt.total_seconds() / 86400


def in_period(column: pd.Series) -> pd.Series:
    return (when(column) >= FIRST) & (when(column) < END)


def weeks_mean(rows: pd.DataFrame) -> float:
    """The mean over PM-weeks, from weeks that each give their PMs' mean and how many PMs: the PMs
    are the weights. Shares are listed in percent."""
    column = next(c for c in rows.columns if c not in ("Week of", "PMs"))
    assert (rows["PMs"] >= Settings().privacy.min_calendar_group).all(), "a week over fewer PMs than the calendar minimum"
    mean = (rows[column].astype(float) * rows["PMs"]).sum() / rows["PMs"].sum()
    return mean / 100 if column.endswith("(%)") else mean


def per_pm(rows: pd.DataFrame, summary: str) -> float:
    """Requests created in the month over the divisor the summary states (average PMs, months)."""
    pms, months = re.search(r"÷ ([\d.]+) PMs on average in this scope ÷ ([\d.]+) months?\.", summary).groups()
    assert float(months) == 1, "September is over: a whole month"
    return in_period(rows["Created"]).sum() / float(pms) / float(months)


def lateness(rows: pd.DataFrame) -> float:
    """Median hours late of the check-ins sent after their due time plus grace; each row's hours
    checked against its times as shown (to the minute)."""
    hours = rows["Hours late"].astype(float)
    assert hours.to_numpy() == pytest.approx((days(rows["Submitted"], rows["Due"]) * 24).to_numpy(), abs=1 / 60)
    assert (hours > Settings().checkins.grace_hours).all() and (rows["State"] == "late").all()
    return hours.median()


def fulfilled(rows: pd.DataFrame) -> float:
    """Median days from creation to resolution of the requests resolved in the month; each row's days
    checked against its times as shown (to the minute)."""
    assert in_period(rows["Resolved"]).all(), "the requests resolved in the month"
    assert rows["Days"].astype(float).to_numpy() == pytest.approx(days(rows["Resolved"], rows["Created"]).to_numpy(), abs=1 / 1440)
    return rows["Days"].astype(float).median()


def recount(metric_id: str, rows: pd.DataFrame, summary: str) -> float:
    """The metric from the rows shown, by its definition, written apart from the app's own count:
    from the dates shown wherever they hold the measure to the day."""
    if metric_id == "release_lead_time_days":
        return days(rows["Released"], rows["Issue created"]).clip(lower=0).median()
    if metric_id == "release_interval_days":
        assert in_period(rows["Released"]).all(), "the releases shipped in the month"
        return days(rows["Released"], rows["Previous release"]).median()
    if metric_id.startswith("release_"):
        shipped = rows[in_period(rows["Released"])]
        planned = shipped[shipped["First plan"] != ""]
        slip = days(planned["Released"], planned["First plan"])
        return {"release_count": len(shipped), "release_on_time_rate": (slip <= 0).mean(), "release_slip_days": slip.clip(lower=0).mean()}[metric_id]
    if metric_id == "checkin_median_lateness_hours":
        return lateness(rows)
    if metric_id.startswith("checkin_"):
        expected = rows[rows["State"] != "not due yet"]
        return {"checkin_compliance_rate": (expected["Submitted"] != "").mean(),
                "checkin_on_time_rate": (expected["State"] == "on time").mean()}[metric_id]
    if metric_id == "data_requests_per_pm":
        return per_pm(rows, summary)
    if metric_id == "data_request_days_to_fulfil":
        return fulfilled(rows)
    return weeks_mean(rows)


TOLERANCE = {"data_requests_per_pm": dict(rel=1e-2)}
"""The divisor of requests per PM is stated to two decimals; every other recount is exact."""


def choose_chart(at, page: str, metric_id: str):
    """On Bottlenecks, the first ranked row of the metric, whose chart the drill-down draws."""
    if page != "bottlenecks.py":
        return at
    ranked = at.session_state["_bn_ids"]
    return at.selectbox(key="bn_focus").set_value(next(row for row in ranked if row.startswith(f"{metric_id}:"))).run()


def records_panel(at, key: str):
    return next(e for e in at.expander if e.label == "Records behind a point" and any(s.key == f"rec_{key}" for s in e.selectbox))


@pytest.mark.parametrize(("page", "metric_id"), CHARTS, ids=[f"{p[:-3]}-{m}" for p, m in CHARTS])
def test_a_point_opens_the_records_that_add_up_to_the_number_drawn(demo_env, page, metric_id):
    at = choose_chart(open_page(page_file(page)), page, metric_id)
    key = chart_key(page, metric_id)
    box = at.selectbox(key=f"rec_{key}")
    box.select_index(next(k for k, label in enumerate(box.options) if label.endswith(f" · {PERIOD}"))).run()
    assert_clean(at, f"records of {metric_id} on {page}")
    point = at.selectbox(key=f"rec_{key}").value
    assert point[1] == date(2026, 9, 1)
    panel = records_panel(at, key)
    [table] = panel.dataframe
    rows = table.value.data if hasattr(table.value, "data") else table.value
    summary = next(c.value for c in panel.caption if not c.value.startswith("Counted from these rows"))
    drawn = drawn_value(at, key, point)
    assert recount(metric_id, rows, summary) == pytest.approx(drawn, **TOLERANCE.get(metric_id, dict(abs=1e-9))), (summary, rows)
    metric = METRICS[metric_id]
    assert f"Counted from these rows: {metric.format(drawn)}" in [c.value.split(",")[0] for c in panel.caption]
    assert [b.proto.label for b in panel.get("download_button")] == ["Download these rows (CSV)"]
    assert any(m.value.endswith(f", {PERIOD}: {metric.format(drawn)}**") for m in panel.markdown)


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
        click_marker(page, marker)
        _, value, counted = records_opened(page)
        assert counted == value
        rows = page.get_by_test_id("stExpander").filter(has_text="Counted from these rows").get_by_test_id("stDataFrame")
        expect(rows).to_have_count(1)
        full_page_screenshot(page, ARTIFACTS / "releases-records.png")
    finally:
        page.close()
