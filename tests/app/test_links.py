"""Filters travel (issue 19): every link between pages lands on the page it names with the scope,
period and grain it carries, even when the session had other filters; the address of any view
reopens it; every page answers at its own path. In process with AppTest over the demo
organisation, and in Chromium for what only a browser does: route a typed path, click a link.

A click on a page link, as AppTest cannot make one: the browser asks for a rerun of the link's
page, in the same session, with the link's query string as the whole of the URL's query (the
address bar then shows exactly that). `follow` does the same: the session (its widgets' state)
stays, `at.query_params` becomes the link's query and nothing else, and `switch_page` opens the
file behind the link's URL path. `test_clicking_a_link_in_the_browser_carries_its_group` checks
that a real click behaves so.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect
from streamlit.testing.v1 import AppTest

from dashboard.app import navigation, ui
from dashboard.demo import SILENT_TEAM, SLIPPING_GROUP
from dashboard.metrics import METRICS
from tests.browser import wait_for_app
from tests.conftest import ENTRYPOINT, page_file

pytestmark = pytest.mark.duckdb_only("links and the URL are the browser's and Streamlit's, the same over either store; tests/app/test_pages.py renders the pages on both")

FILE_OF_PATH = {spec.url_path: spec.file for spec in navigation.PAGES} | {
    "": next(spec.file for spec in navigation.PAGES if spec.default)
}
"""The page file behind a URL path, as a link names it (the default page's is the root)."""
FILTER_SETS = {
    "group": {"from": "2025Q3", "to": "2026Q3", "grain": "week", "group": "Mobile", "team": ""},
    "team": {"from": "2025Q2", "to": "2026Q3", "grain": "quarter", "group": "Mobile", "team": SILENT_TEAM},
}
"""Filters other than the defaults (Q1 2025 to Q4 2026 by month, all groups). Mobile holds the
silent team, whose check-ins lead the Overview's bottlenecks, so the check-in link is among those
followed."""
MAX_DEPTH = 3
BROWSER_URL = "http://dashboard.example/overview"
"""The address bar as the browser reports it to `st.context.url` (the app swaps in the page's path)."""


def open_page(file: str, params: dict[str, str]) -> AppTest:
    """A new session opened at `file`'s address with `params`, as a pasted URL opens it."""
    at = AppTest.from_file(ENTRYPOINT, default_timeout=120)
    at.context["url"] = BROWSER_URL
    at.query_params.update(params)
    at.run()
    return at.switch_page(page_file(file)).run()


def link_query(link) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(link.proto.query_string, keep_blank_values=True).items()}


def follow(at: AppTest, link) -> AppTest:
    """Click `link` in `at`'s session (see the module's docstring for why this is a click)."""
    at.query_params = link_query(link)
    return at.switch_page(page_file(FILE_OF_PATH[link.proto.page])).run()


def assert_clean(at: AppTest, context: str) -> None:
    assert not at.exception, f"{context}: {[e.value for e in at.exception]}"
    assert not at.error, f"{context}: {[e.value for e in at.error]}"


def shown_filters(at: AppTest) -> dict[str, str]:
    """The filters the sidebar's widgets hold, as query parameters."""
    return {
        "from": ui.quarter_param(at.selectbox(key="f_from").value),
        "to": ui.quarter_param(at.selectbox(key="f_to").value),
        "grain": at.button_group(key="f_grain").value,
        "group": at.selectbox(key="f_group").value,
        "team": at.selectbox(key="f_team").value,
    }


def assert_arrived(at: AppTest, query: dict[str, str], context: str) -> None:
    """The landed page holds the link's filters (and the row it looks into), and so does its address."""
    assert_clean(at, context)
    carried = {name: query[name] for name in ("from", "to", "grain", "group", "team")}
    assert shown_filters(at) == carried, context
    assert {name: at.query_params[name] for name in carried} == carried, f"{context}: the address"
    if "focus" in query:
        assert at.selectbox(key="bn_focus").value == query["focus"], context


@dataclass(frozen=True)
class Followed:
    """A link followed: where from, what it carried and what the page it opened showed."""

    origin: str
    row: str | None
    """The row the origin page looked into (its `focus`), if any."""
    query: dict[str, str]
    target: str
    checkin_picker: bool
    """The landed page shows the Check-ins page's own picker."""


def crawl(at: AppTest, file: str, params: dict[str, str], seen: set, depth: int = 0) -> Iterator[Followed]:
    """Follow every link on the page `at` shows, and on every page they open, each from a session
    standing on the link's page; check on arrival that the link's filters arrived."""
    row = at.query_params.get("focus")
    for index, link in enumerate(at.get("page_link")):
        query, target = link_query(link), FILE_OF_PATH[link.proto.page]
        session = at if index == 0 else open_page(file, params)
        landed = follow(session, link)
        assert_arrived(landed, query, f"{file} -> {link.proto.label}")
        yield Followed(file, row, query, target, any(box.key == "ck_kind" for box in landed.selectbox))
        if depth < MAX_DEPTH and (target, link.proto.query_string) not in seen:
            seen.add((target, link.proto.query_string))
            yield from crawl(landed, target, query, seen, depth + 1)


def signal_of(row: str | None) -> str | None:
    return METRICS[row.split(":")[0]].signal if row else None


@pytest.mark.parametrize("filters", list(FILTER_SETS), ids=list(FILTER_SETS))
def test_every_link_between_pages_lands_on_its_page_with_the_filters_it_carries(demo_env, filters):
    """Every page, opened with filters other than the defaults, and every page a link opens."""
    params = FILTER_SETS[filters]
    followed, seen = [], set()
    for spec in navigation.PAGES:
        at = open_page(spec.file, params)
        assert_clean(at, spec.file)
        assert shown_filters(at) == params, f"{spec.file} opened by its address"
        followed += crawl(at, spec.file, params, seen)
    assert {link.origin for link in followed} == {"overview.py", "bottlenecks.py"}
    for link in followed:
        assert {name: link.query[name] for name in ("from", "to", "grain")} == \
            {name: params[name] for name in ("from", "to", "grain")}, f"{link.origin}: the period and grain travel"
        assert link.query["group"] == params["group"], f"{link.origin}: the scope travels (a team's group at least)"
    overview = [link for link in followed if link.origin == "overview.py"]
    assert len(overview) >= 1 and all(link.target == "bottlenecks.py" for link in overview)
    assert all(link.query["team"] == params["team"] for link in overview)
    checkins = [link for link in followed if link.origin == "bottlenecks.py" and signal_of(link.row) == "checkins"]
    assert checkins, "the silent team's check-ins are a bottleneck to look into"
    for link in checkins:
        assert link.target == "checkins.py" and link.checkin_picker, "a check-in bottleneck opens the Check-ins page"


def test_a_link_wins_over_the_filters_the_session_had(demo_env):
    """The issue's walk: Releases on all groups, the Overview, Payments' release slip on
    Bottlenecks, then its link back to Releases: the page opens on Payments, not all groups.
    After that the user's own choice wins again, on this run and the next."""
    at = open_page("releases.py", {})
    assert at.selectbox(key="f_group").value == ui.ALL
    at.switch_page(page_file("overview.py")).run()  # the menu: the session's filters stay
    slip = next(link for link in at.get("page_link") if f"· {SLIPPING_GROUP} (group):" in link.proto.label)
    at = follow(at, slip)
    assert_arrived(at, link_query(slip), "Overview -> Bottlenecks")
    back = at.get("page_link")[0]
    assert FILE_OF_PATH[back.proto.page] == "releases.py" and link_query(back)["group"] == SLIPPING_GROUP
    at = follow(at, back)
    assert_arrived(at, link_query(back), "Bottlenecks -> Releases")
    assert at.selectbox(key="f_group").value == SLIPPING_GROUP
    at.selectbox(key="f_group").select("Mobile").run()
    assert_clean(at, "a group chosen after the link")
    assert at.selectbox(key="f_group").value == "Mobile" and at.query_params["group"] == "Mobile"
    at.button_group(key="f_grain").set_value("week").run()
    assert at.selectbox(key="f_group").value == "Mobile" and at.query_params["grain"] == "week"


def copied(at: AppTest) -> tuple[str, dict[str, str]]:
    """The page file and query the sidebar's link to this view names."""
    url = urlsplit(at.sidebar.code[0].value)
    query = {name: values[0] for name, values in parse_qs(url.query, keep_blank_values=True).items()}
    return FILE_OF_PATH[url.path.strip("/")], query


def test_the_address_and_the_copied_link_reopen_the_view(demo_env):
    at = AppTest.from_file(ENTRYPOINT, default_timeout=120)
    at.context["url"] = BROWSER_URL
    at.run()
    at.selectbox(key="f_group").select("Mobile").run()
    at.selectbox(key="f_team").select(SILENT_TEAM).run()
    at.selectbox(key="f_from").select(date(2025, 4, 1)).run()
    at.selectbox(key="f_to").select(date(2026, 7, 1)).run()
    at.button_group(key="f_grain").set_value("quarter").run()
    at.button_group(key="ov_exec").set_value("exec").run()
    assert_clean(at, "filters changed")
    view = {"from": "2025Q2", "to": "2026Q3", "grain": "quarter", "group": "Mobile", "team": SILENT_TEAM, "view": "exec"}
    assert at.query_params == view
    file, query = copied(at)
    assert file == "overview.py" and query == view
    assert at.sidebar.code[0].value.startswith("http://dashboard.example/")
    reopened = open_page(file, query)
    assert_clean(reopened, "reopened")
    assert {**shown_filters(reopened), "view": reopened.button_group(key="ov_exec").value} == view


def test_the_copied_link_holds_a_page_choice_the_moment_it_is_made(demo_env):
    """The sidebar is drawn before the page writes its own choices to the URL: the link must not lag."""
    at = open_page("bottlenecks.py", {**FILTER_SETS["group"], "focus": f"checkin_compliance_rate:team:{SILENT_TEAM}"})
    other = f"checkin_on_time_rate:team:{SILENT_TEAM}"
    at.selectbox(key="bn_focus").select(other).run()
    file, query = copied(at)
    assert file == "bottlenecks.py" and query["focus"] == other == at.query_params["focus"]
    assert open_page(file, query).selectbox(key="bn_focus").value == other


# ---------------------------------------------------------------------------------------------
# In a browser

def sidebar_choice(page, label: str):
    """The sidebar's select box labelled `label`; its value is the shown choice."""
    return page.get_by_test_id("stSidebar").get_by_role("combobox", name=label)


@pytest.mark.parametrize("address", ["overview", f"checkins?group=Mobile&team={SILENT_TEAM}&grain=week"])
def test_a_page_opens_at_its_own_path(server, browser, address):
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    try:
        page.goto(f"{server}/{address}")
        wait_for_app(page)
        expect(page.get_by_text("Page not found")).to_have_count(0)
        assert urlsplit(page.url).path == "/" + address.split("?")[0]
        if "group=" in address:
            expect(sidebar_choice(page, "Group")).to_have_value("Mobile")
            expect(sidebar_choice(page, "Team")).to_have_value("Android")
            assert "grain=week" in page.url
    finally:
        page.close()


def test_clicking_a_link_in_the_browser_carries_its_group(server, browser):
    """The issue's report, in Chromium: the session is on all groups, the link names Payments."""
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    try:
        page.goto(f"{server}/bottlenecks?focus=release_slip_days:group:{SLIPPING_GROUP}")
        wait_for_app(page)
        expect(sidebar_choice(page, "Group")).to_have_value("All groups")
        page.get_by_test_id("stPageLink").filter(has_text="on the Releases and enablement page").click()
        page.wait_for_url("**/releases?**")
        wait_for_app(page)
        expect(sidebar_choice(page, "Group")).to_have_value(SLIPPING_GROUP)
        assert parse_qs(urlsplit(page.url).query)["group"] == [SLIPPING_GROUP]
        expect(page.get_by_text("Page not found")).to_have_count(0)
    finally:
        page.close()
