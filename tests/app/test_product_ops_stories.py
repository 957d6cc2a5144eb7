"""On the demo organisation, the Product ops itself page finds each story planted in the data
(issue 21): the page is read as a person reads it, in process with AppTest, and what it says is
checked against the story's dates, which the page never sees."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from dashboard.core.periods import floor_date, quarter_label, quarters_back
from dashboard.core.store import Store
from dashboard.demo import make_story
from tests.app.test_pages import assert_clean, open_page
from tests.app.test_records import values
from tests.conftest import DEMO_TODAY, page_file

STORY = make_story(DEMO_TODAY)
PAGE = page_file("product_ops.py")


@pytest.fixture()
def page(demo_env):
    first = quarters_back(DEMO_TODAY, 7)
    at = open_page(PAGE, **{"from": f"{first.year}Q{(first.month - 1) // 3 + 1}"})
    assert_clean(at, "Product ops itself over the demo's eight quarters")
    return at


def history(at) -> pd.DataFrame:
    tables = [frame.value for frame in at.dataframe if "Investing late" in frame.value.index]
    assert len(tables) == 1, "one table of the warnings quarter by quarter"
    return tables[0]


def test_the_team_that_ran_projects_and_turned_to_systems_is_warned_about_until_the_turn(page):
    row = history(page).loc["Project management instead of systems"]
    turn = list(row.index).index(quarter_label(floor_date(STORY.systems_turn, "quarter")))
    before = [label for label in row.index[:turn] if row[label] != "Not enough data"]
    after = list(row.index[turn + 1:])
    assert before and all(row[label] == "Warning" for label in before), row
    assert after and all(row[label] != "Warning" for label in after), row


def test_the_late_founding_is_dated_against_when_overhead_went_over_its_target(page):
    said = " ".join(block.value for block in page.markdown)
    months = round((STORY.founded - STORY.start).days / 30.4)
    assert (f"Product ops was founded on {STORY.founded:%d %b %Y}, {months} months after PM overhead first went "
            f"over its target** ({STORY.start:%b %Y}") in said


def test_the_timeline_shows_the_ratio_climbing_until_the_hiring_wave_and_falling_after(page):
    chart = next(c for c in page.get("plotly_chart") if "investment_timeline" in c.proto.id)
    ratio = next(trace for trace in json.loads(chart.proto.spec)["data"] if trace["name"].startswith("PMs per"))
    monthly = pd.Series(values(ratio["y"]), index=pd.to_datetime(values(ratio["x"]))).dropna()
    hiring = pd.Timestamp(STORY.prodops_hiring)
    before, after = monthly[monthly.index < hiring - pd.offsets.MonthBegin(1)], monthly[monthly.index > hiring + pd.Timedelta(days=45)]
    assert before.iloc[-1] > before.iloc[0], "PMs join while product ops does not"
    assert after.max() < 0.8 * before.max(), "the hiring wave brings the ratio down"


def test_product_ops_that_never_meets_operations_is_too_far_from_them(page):
    """One product-ops partner never meets operations staff, which holds the organisation's share of
    product-ops meeting time with operations under its target while the share with PMs meets its own."""
    row = history(page).loc["Too far from product or operations"]
    founded = list(row.index).index(quarter_label(floor_date(STORY.founded, "quarter")))
    after = list(row.index[founded + 1:])
    assert after and all(row[label] in ("Warning", "Watch") for label in after), row
    chart = next(c for c in page.get("plotly_chart") if "meeting_partners" in c.proto.id)
    bars = json.loads(chart.proto.spec)["data"][0]
    shares = dict(zip(values(bars["y"]), values(bars["x"]), strict=True))
    assert shares["Operations staff"] < 0.15 <= shares["PMs"], shares


def test_the_groups_no_one_in_product_ops_partners_are_never_met(page, demo_db):
    """Product-ops people partner product groups in name order and there are fewer of them than groups:
    the page's network shows the groups left over at none, named in a warning, and every group's
    figure stands on all of product ops (its n), never on the one partner."""
    store = Store(demo_db)
    people, teams = store.table("people"), store.table("teams")
    prodops = people[people["role"] == "prodops"]
    groups = sorted(teams["group_name"].dropna().unique())
    left_over = groups[len(prodops):]
    assert left_over, "the demo has more product groups than product-ops people"
    chart = next(c for c in page.get("plotly_chart") if "groups_met" in c.proto.id)
    spec = json.loads(chart.proto.spec)
    nodes = next(trace for trace in spec["data"] if trace.get("name") == "partners")
    shown = {text.split("<br>")[0]: value for text, value in zip(nodes["text"][1:], nodes["customdata"][1:], strict=True)}
    assert set(groups) <= set(shown), shown
    assert [group for group in groups if shown[group] == 0] == left_over, shown
    assert all(shown[group] > 0 for group in groups[: len(prodops)]), shown
    warning = [w.value for w in page.warning if "no meeting time" in w.value]
    assert len(warning) == 1 and all(group in warning[0] for group in left_over), warning
    assert "@" not in chart.proto.spec
