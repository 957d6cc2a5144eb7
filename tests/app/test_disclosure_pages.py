"""Every point a page draws is a cell of the protected publication.

Runs the pages that chart figures about people (and the leadership pages beside them) in
process over the demo organisation, reads every chart the page sent to the browser, and checks
each point against the publication: a metric's trend point is a cell `compute_series` published
for that period, with the same value and n; a survey page's score is a wave cell of the stored
privacy ledger (`privacy_cells`), with the same n. A point drawn without a value says its n is
hidden.
"""
from __future__ import annotations

import base64
import json
import re
from datetime import date

import numpy as np
import pandas as pd
import pytest

from dashboard.charts.trends import n_text
from dashboard.core.config import Settings
from dashboard.core.store import Store
from dashboard.metrics import compute_series, load_tables
from tests.app.test_pages import assert_clean, open_page
from tests.conftest import DEMO_TODAY, page_file

EVER = date(2020, 1, 1)
PAGES = [page_file("overview.py"), page_file("pm_time.py"), page_file("alignment.py"), page_file("insights.py"),
         page_file("bottlenecks.py")]


@pytest.fixture(scope="module")
def publication(demo_db) -> set[tuple[str, float, str]]:
    """(period start, value, n as shown) of every shown cell, every grain and scope."""
    tables = load_tables(Store(demo_db))
    cells = pd.concat([compute_series(tables, Settings(), grain, scope, EVER, DEMO_TODAY)
                       for grain in ("week", "month", "quarter") for scope in ("org", "group", "team")])
    shown = cells[cells["value"].notna()]
    return {(str(day), round(float(value), 6), n_text(n))
            for day, value, n in zip(shown["period_start"], shown["value"], shown["n"])}


def typed(values) -> list:
    """A Plotly JSON array as a list: numeric arrays travel as base64 typed arrays."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return values


def drawn_points(at) -> list[tuple[str, object, str, str]]:
    """(chart, period start, value, n as shown) of every point of every chart that prints an n."""
    points = []
    for chart in at.get("plotly_chart"):
        for trace in json.loads(chart.proto.spec)["data"]:
            if "n = " not in trace.get("hovertemplate", "") or "customdata" not in trace:
                continue
            for x, y, custom in zip(trace["x"], typed(trace["y"]), trace["customdata"]):
                day = custom[2] if len(custom) > 2 else x
                points.append((chart.proto.id, str(pd.Timestamp(day).date()), y, custom[1]))
    return points


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("params", [{}, {"grain": "week", "from": "2026Q2", "to": "2026Q3"}], ids=["default", "weeks"])
def test_every_point_a_page_draws_is_a_protected_cell(demo_env, publication, page, params):
    at = open_page(page, **params)
    assert_clean(at, page)
    points = drawn_points(at)
    if page != page_file("bottlenecks.py"):
        assert points, f"{page} draws trend points"
    for chart, day, value, n in points:
        if value is None or pd.isna(value):
            assert n == n_text(None) or n == "0", f"{chart} {day}: a point without a value prints n {n}"
        else:
            assert (day, round(float(value), 6), n) in publication, f"{chart} {day}: {value} (n {n}) is not a published cell"


N_SHOWN = re.compile(r"n = (\w+)")


@pytest.fixture(scope="module")
def survey_publication(demo_db) -> set[tuple[float, str]]:
    """(value as drawn, n as shown) of every wave cell the ledger published for any construct: a score
    as it is, eNPS as its published promoter balance, on the −100 to +100 scale eNPS is read on."""
    cells = Store(demo_db).query(
        "SELECT measure, value, n FROM privacy_cells WHERE family LIKE 'survey:%' AND measure IN ('score', 'promoter') "
        "AND slot LIKE 'wave|%'")
    scale = {"score": 1, "promoter": 100}
    return {(round(float(value) * scale[measure], 6), n_text(n)) for measure, value, n in zip(cells["measure"], cells["value"], cells["n"])}


@pytest.mark.parametrize("params", [{}, {"group": "Payments"}], ids=["org", "group"])
def test_every_score_the_surveys_page_draws_is_a_published_wave_cell(demo_env, survey_publication, params):
    at = open_page(page_file("surveys.py"), **params)
    assert_clean(at, "surveys")
    drawn = 0
    for chart in at.get("plotly_chart"):
        if "survey_distribution" in chart.proto.id:
            continue
        for trace in json.loads(chart.proto.spec)["data"]:
            hovers = trace.get("text") if trace.get("type") == "scatter" else trace.get("customdata")
            for y, hover in zip(typed(trace["y"]), hovers):
                n = N_SHOWN.search(hover).group(1)
                if y is None or pd.isna(y):
                    assert n in (n_text(None), "0"), f"a score without a value prints n {n}"
                else:
                    assert (round(float(y), 6), n) in survey_publication, f"{trace.get('name')}: {y} (n {n}) is not a published cell"
                    drawn += 1
    assert drawn > 10
