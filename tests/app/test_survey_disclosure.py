"""Every score the Surveys page draws is the cell the privacy ledger published for it, in its unit.

The page is opened over the demo organisation; each point and bar of its two score charts names
its construct, role filter and wave (its trace's `meta`), so it is checked against that very cell
of the ledger (`privacy_cells`, latest version): a 0-100 score or a reported percentage is the
cell's `score`, an eNPS its `promoter` share times 100, with the same n. A withheld one is drawn
as a gap and prints no n. (The all-pages check in test_disclosure_pages.py matches drawn values
against published scores only, which eNPS, drawn as eNPS, is not.)
"""
from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from dashboard.charts.trends import n_text
from dashboard.core.store import Store
from tests.app.test_pages import assert_clean, open_page
from tests.app.test_survey_page import typed
from tests.conftest import page_file

N_SHOWN = re.compile(r"n = (\w+)")


@pytest.fixture(scope="module")
def ledger(demo_db) -> pd.DataFrame:
    """What readers see now of every survey wave cell: its latest published value and n."""
    cells = Store(demo_db).query(
        "SELECT family, measure, slot, cell, version, value, n FROM privacy_cells "
        "WHERE family LIKE 'survey:%' AND slot LIKE 'wave|%'")
    latest = cells.sort_values("version").drop_duplicates(["family", "measure", "slot", "cell"], keep="last")
    return latest.set_index(["family", "measure", "slot", "cell"])


@pytest.mark.parametrize("params", [{}, {"group": "Payments"}], ids=["org", "group"])
def test_every_score_the_surveys_page_draws_is_its_published_cell_in_its_unit(demo_env, ledger, params):
    at = open_page(page_file("surveys.py"), **params)
    assert_clean(at, "surveys")
    level, scope_id = ("group", params["group"]) if params else ("org", "org")
    drawn = {"score": 0, "promoter": 0}
    for chart in at.get("plotly_chart"):
        if not any(key in chart.proto.id for key in ("survey_trend", "survey_sides")):
            continue
        for trace in json.loads(chart.proto.spec)["data"]:
            hovers = trace["text"] if trace["type"] == "scatter" else trace["customdata"]
            for (construct, role, survey_id), y, hover in zip(trace["meta"], typed(trace["y"]), hovers, strict=True):
                n = N_SHOWN.search(hover).group(1)
                if y is None or np.isnan(y):
                    assert n == n_text(None), f"{construct} {role} {survey_id}: a gap prints n {n}"
                    continue
                whole_org = "survey_sides" in chart.proto.id and role == "ops"
                level_of, scope_of = ("org", "org") if whole_org else (level, scope_id)
                measure, scale = ("promoter", 100) if construct == "enps" else ("score", 1)
                key = (f"survey:{construct}", measure, f"wave|{level_of}|{'all' if role == 'all' else 'role'}",
                       f"{survey_id}|{scope_of}|{role}")
                assert key in ledger.index, f"{key}: drawn ({y}) but never published"
                cell = ledger.loc[key]
                assert y == pytest.approx(cell["value"] * scale, abs=1e-9), (key, y, cell["value"])
                assert n == n_text(cell["n"]), (key, n, cell["n"])
                drawn[measure] += 1
    assert drawn["score"] > 10 and drawn["promoter"] >= 3, drawn
