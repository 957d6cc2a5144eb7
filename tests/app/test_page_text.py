"""Every page speaks the language of a product-ops lead (issue 19): no `None`, `nan` or `NaT`
where a value is missing, no raw identifier such as `weekly_status`, and no statistician's words
in the Bottlenecks ranking's headers.

Each page is opened with AppTest on the demo organisation, bare, under a group and under a single
team (a small scope is where empty cells show), and Bottlenecks once per kind of record table its
drill-down shows. Everything the page puts on screen as text is collected: headings, markdown,
captions, alerts, metrics, table headers (as the column configuration names them) and cells (as
the table draws a missing one), widget labels and options, expander and tab labels, buttons and
page links.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.test_pages import PAGES, assert_clean, open_page
from tests.conftest import page_file

pytestmark = pytest.mark.duckdb_only("a page's words come from the same code over either store; tests/app/test_pages.py renders the pages on both")

EMPTY_MARKERS = ("None", "nan", "NaN", "NaT", "<NA>")
EMPTY_WORD = re.compile(r"(?<![\w<])(?:None|nan|NaN|NaT)(?![\w>])|<NA>")
SNAKE_CASE = re.compile(r"(?<![\w./:-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w./-])")
"""A lowercase word_word token, not part of a path, URL, file name or `:material/icon_name:`."""
CODE_SPAN = re.compile(r"`[^`]*`")
"""Code formatting: a key or command shown on purpose, to be typed as it is."""
STREAMLIT_MISSING = "None"
"""What `st.dataframe` draws for a missing cell when the table sets no placeholder."""
VERBATIM_COLUMNS = {
    page_file("data.py"): {
        "Table": "the store's table names, as the command line, the docs and SQL spell them",
        "Category": "the calendar categories, as a `[[calendar.rules]]` entry in prodops.toml spells them",
    },
}
"""Table columns whose cells are identifiers on purpose, per page, and why. Only the Data page, an
administrator's page, has them: its tables are about the store and the config themselves."""
JARGON = ("robust", "distance", "trend", "spread")
"""Words for the statistics behind the Bottlenecks ranking, not for its column headers."""


# ---------------------------------------------------------------------------------------------
# What a page shows


def _column_labels(table) -> dict[str, str | None]:
    """Each configured column's header as drawn: its label, or None when the column is hidden."""
    config = json.loads(table.proto.columns or "{}")
    return {name: None if column.get("hidden") else column.get("label", name) for name, column in config.items()}


def table_texts(table) -> Iterator[tuple[str, str]]:
    """A table's headers and cells as the page draws them, each with where it sits."""
    frame = table.value.data if hasattr(table.value, "data") else table.value
    labels = _column_labels(table)
    missing = table.proto.placeholder if table.proto.HasField("placeholder") else STREAMLIT_MISSING
    for column in frame.columns:
        header = labels.get(str(column), str(column))
        if header is None:
            continue
        yield "table header", header
        for cell in frame[column]:
            yield f"cell of {header!r}", missing if _is_missing(cell) else str(cell)


def _is_missing(cell) -> bool:
    return cell is None or (not isinstance(cell, str | list | tuple) and bool(pd.isna(cell)))


def shown_text(at: AppTest) -> list[tuple[str, str]]:
    """Every piece of text the page shows, each with the kind of element it sits in."""
    found: list[tuple[str, str]] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "info", "success", "warning", "error"):
        found += [(kind, element.value) for element in getattr(at, kind)]
    for metric in at.metric:
        found += [("metric label", metric.label), ("metric value", metric.value), ("metric delta", metric.delta)]
    for table in at.dataframe:
        found += list(table_texts(table))
    for kind in ("selectbox", "multiselect", "radio"):
        for widget in getattr(at, kind):
            found += [(f"{kind} label", widget.label), *((f"{kind} option", option) for option in widget.options)]
    found += [("button group option", option) for group in at.button_group for option in group.options]
    for kind in ("button", "expander", "tabs", "text_input", "text_area", "date_input", "toggle", "checkbox"):
        found += [(f"{kind} label", element.label) for element in getattr(at, kind)]
    for kind in ("page_link", "download_button"):
        found += [(f"{kind} label", element.proto.label) for element in at.get(kind)]
    return [(where, text) for where, text in found if text]


def empty_markers(text: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Text that is, or holds as a word, what Python, pandas or Streamlit print for a missing value."""
    return [(where, value) for where, value in text if value.strip() in EMPTY_MARKERS or EMPTY_WORD.search(value)]


def raw_ids(text: list[tuple[str, str]], verbatim_columns: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """Snake-case words outside code formatting and outside the columns that show ids on purpose."""
    allowed = {f"cell of {header!r}" for header in verbatim_columns or {}}
    return [(where, word) for where, value in text if where not in allowed
            for word in sorted(set(SNAKE_CASE.findall(CODE_SPAN.sub("", value))))]


def test_the_scan_finds_what_it_is_for():
    shown = [("cell of 'n'", "None"), ("caption", "Trend nan, since NaT"), ("cell of 'Check-in'", "qbr_prep"),
             ("cell of 'Table'", "sync_runs"), ("caption", "Set `grace_hours` in prodops.toml"),
             ("caption", ":material/visibility_off: hidden, see docs/first_run.md"), ("markdown", "None of the teams")]
    assert [value for _, value in empty_markers(shown)] == ["None", "Trend nan, since NaT", "None of the teams"]
    assert raw_ids(shown, {"Table": "why"}) == [("cell of 'Check-in'", "qbr_prep")]


# ---------------------------------------------------------------------------------------------
# The pages


@pytest.fixture(scope="module")
def story(demo_db) -> dict[str, str]:
    """The demo's slipping group, and its silent team with that team's group."""
    from dashboard.core.store import Store
    from dashboard.demo import SILENT_TEAM, SLIPPING_GROUP

    teams = Store(demo_db).table("teams").set_index("team_id")
    return {"group": SLIPPING_GROUP, "team": SILENT_TEAM, "team_group": teams.loc[SILENT_TEAM, "group_name"]}


def _short(page: str) -> str:
    return page.rsplit("/", 1)[-1].removesuffix(".py")


def _open(page: str, scope: str, story: dict[str, str], **params: str) -> AppTest:
    if scope == "group":
        params["group"] = story["group"]
    elif scope == "team":
        params.update(group=story["team_group"], team=story["team"])
    at = open_page(page, **params)
    assert_clean(at, f"{_short(page)} ({scope})")
    return at


def _assert_plain(at: AppTest, page: str, context: str) -> None:
    text = shown_text(at)
    assert len(text) > 5, f"{context}: next to nothing collected"
    assert empty_markers(text) == [], f"{context}: a missing value shows as None, nan or NaT"
    assert raw_ids(text, VERBATIM_COLUMNS.get(page)) == [], f"{context}: a raw identifier shows"


@pytest.mark.parametrize("scope", ["org", "group", "team"])
@pytest.mark.parametrize("page", PAGES, ids=_short)
def test_a_page_shows_no_empty_markers_and_no_raw_ids(demo_env, story, page, scope):
    at = _open(page, scope, story)
    _assert_plain(at, page, f"{_short(page)} ({scope})")


DRILL_DOWNS = {
    "check-ins": "checkin_compliance_rate:team:{team}",
    "releases": "release_on_time_rate:group:{group}",
    "data requests": "data_requests_per_pm:team:payments-checkout",
    "PM weeks": "pm_meeting_hours:group:{group}",
    "survey": "alignment_score_pm:group:{group}",
}
"""One ranked row per kind of record table the drill-down shows (a survey row shows none)."""


@pytest.mark.parametrize("records", list(DRILL_DOWNS))
def test_every_bottleneck_drill_down_shows_its_records_in_plain_words(demo_env, story, records):
    focus = DRILL_DOWNS[records].format(**story)
    at = _open(page_file("bottlenecks.py"), "org", story, focus=focus)
    assert at.selectbox(key="bn_focus").value == focus, f"{focus} is not among the ranked rows"
    listed = any({"State", "Week of"} & set(table.value.columns) for table in at.dataframe)
    assert listed == (records != "survey"), "the records behind the row are on the page (a survey has none)"
    _assert_plain(at, page_file("bottlenecks.py"), f"drill-down into {focus}")


def test_the_bottleneck_ranking_names_its_columns_as_a_lead_would(demo_env, story):
    at = _open(page_file("bottlenecks.py"), "org", story)
    ranking = next(table for table in at.dataframe if table.key == "bn_table")
    headers = [text for where, text in table_texts(ranking) if where == "table header"]
    assert [h for h in headers if any(word in h.lower() for word in JARGON)] == [], headers
    assert "How far from the typical team" in headers
    explained = [c.value for c in at.caption if c.value.startswith("How far from the typical team")]
    assert explained and "typical spreads" in explained[0], "the distance is explained beside the table"
