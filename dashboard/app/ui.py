"""Streamlit pieces shared by the pages: the filters, the page header, the metric chart and the
scorecard. A section only one page draws lives in that page's file.

The filters live in the sidebar, drawn once by the entrypoint. The URL's query parameters set
them whenever the URL brings values of its own (see `seed_from_url`), and every run writes them
back, so a copied URL reproduces the view and a link between pages carries it. Pages read the
chosen filters with `require_filters()`. A page's own choices (the review's quarter, the
bottleneck looked into, the Overview's view) live in the URL the same way.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode, urlsplit, urlunsplit

import pandas as pd
import streamlit as st

from dashboard.analysis.scorecard import STATUS_COLOR, STATUS_LABEL, Card, ScorecardPeriod
from dashboard.app import data_views, links, record_panels, views
from dashboard.charts import trends as charts
from dashboard.core import periods, safe_text
from dashboard.core.config import ConfigError
from dashboard.core.periods import GRAINS, Grain, quarter_label
from dashboard.core.store import StoreError
from dashboard.metrics import METRICS, SIGNALS, Scope

DEFAULT_QUARTERS = 8
DEMO_BUILD_WAIT_SECONDS = 120
"""How long a page waits for a first-run demo build before it says there is no data."""
DEFAULT_GRAIN: Grain = "month"
ALL = ""
FILTERS_KEY = "_filters"
URL_SEEN_KEY = "_url_seen"
"""The query parameters as the app left them at the end of the session's last run."""
_FILTER_PARAM_OF_KEY = {"f_from": "from", "f_to": "to", "f_grain": "grain", "f_group": "group", "f_team": "team"}
_PAGE_PARAM_OF_KEY = {"qbr_quarter": "quarter", "bn_focus": "focus", "ov_exec": "view"}
_PARAM_OF_KEY = {**_FILTER_PARAM_OF_KEY, **_PAGE_PARAM_OF_KEY}
GRAIN_LABEL = {"week": "Week", "month": "Month", "quarter": "Quarter"}
PLOTLY_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}
SPARK_CONFIG = {"displayModeBar": False}
@dataclass(frozen=True)
class Filters:
    """The view a user chose: a range of whole quarters, a grain and an optional group or team."""

    first_quarter: date
    last_quarter: date
    grain: Grain
    group: str | None
    team: str | None
    today: date

    @property
    def start(self) -> date:
        return self.first_quarter

    @property
    def end(self) -> date:
        return min(periods.next_start(self.last_quarter, "quarter") - timedelta(days=1), self.today)

    @property
    def scope(self) -> Scope:
        return "team" if self.team else "group" if self.group else "org"

    @property
    def scope_id(self) -> str:
        return self.team or self.group or views.ORG


def scorecard_quarter(filters: Filters) -> str:
    """What the scorecards compare, in words ("Q3 2026 against Q2 2026 and Q3 2025; Q4 2026 to date beside it")."""
    period = views.scorecard_quarter(filters.last_quarter)
    text = f"{quarter_label(period.quarter)} against {quarter_label(period.previous)} and {quarter_label(period.year_ago)}"
    if period.running:
        return f"{text}; {running_label(period)} beside it"
    if period.through:
        return f"{quarter_label(period.quarter)} to date ({period.through:%d %b}) against whole quarters"
    return text


def quarter_text(period: ScorecardPeriod) -> str:
    """The whole quarter a page ranks or reviews, naming the running one it stands in for."""
    label = quarter_label(period.quarter)
    return f"{label}, the last whole quarter ({running_label(period)})" if period.running else label


def running_label(period: ScorecardPeriod) -> str:
    """"Q4 2026 to date (57 of 92 days)"."""
    done, days = period.elapsed or (0, 0)
    return f"{quarter_label(period.running)} to date ({done} of {days} days)"


def quarter_param(quarter: date) -> str:
    return periods.label(quarter, "quarter")


def filter_params(filters: Filters) -> dict[str, str]:
    """The filters as query parameters: what the URL holds, and what every link between pages carries."""
    return links.filter_params(filters.first_quarter, filters.last_quarter, filters.grain, filters.group, filters.team)


def url_brings(key: str) -> str | None:
    """The URL's value for a widget's parameter when the URL brings it, else None.

    The URL brings a value on a session's first run, and whenever the parameter differs from
    what the app itself left in the URL at the end of its last run (`remember_url`): a link
    followed (a page link replaces the whole query string), an address pasted, a step back in
    the browser's history. Otherwise the value in the URL is the widget's own, written back,
    and the widget's state is newer: the user may have just changed it. A parameter the URL
    lacks says nothing, so a page opened from the menu keeps the session's filters.
    """
    param = _PARAM_OF_KEY[key]
    raw = st.query_params.get(param)
    if raw is None or (key in st.session_state and raw == st.session_state.get(URL_SEEN_KEY, {}).get(param)):
        return None
    return raw


def seed_from_url(key: str, options: list, parse=lambda value: value) -> None:
    """Let a value the URL brings win over the widget's, once, and drop a value the options no longer hold."""
    raw = url_brings(key)
    value = None if raw is None else parse(raw)
    if raw is not None and value in options:
        st.session_state[key] = value
    elif key in st.session_state and st.session_state[key] not in options:
        del st.session_state[key]


def remember_url() -> None:
    """Note the URL as this run leaves it, so the next run tells a link's parameters from the app's own.

    Called by the entrypoint when a run ends, however it ends (`st.stop()` included): by then
    the pages have written their own choices too.
    """
    st.session_state[URL_SEEN_KEY] = st.query_params.to_dict()


def view_url() -> str:
    """The address that reopens this view: the page's URL, the filters and the page's own choices.

    Drawn in the sidebar before the page runs, so a page choice the user just changed is not in
    the URL yet: its widget's state is, and stands in for it unless the URL brings a newer value.
    """
    params = st.query_params.to_dict()
    for key, param in _PAGE_PARAM_OF_KEY.items():
        chosen = st.session_state.get(key)
        if param in params and chosen is not None and url_brings(key) is None:
            params[param] = quarter_param(chosen) if isinstance(chosen, date) else str(chosen)
    page = urlsplit(st.context.url or "")
    return urlunsplit((page.scheme, page.netloc, page.path or "/", urlencode(params), ""))


def copy_link() -> None:
    """The view's full address, with a copy button, to paste into a message or a review deck."""
    st.caption(":material/link: Link to this view", help="Opens this page with these filters and choices.")
    st.code(view_url(), language=None, wrap_lines=True)


def sidebar_filters() -> Filters | None:
    """Draw the shared filters and remember them for the page; None when there is no data.

    A configuration or store that cannot be used stops the app here with its own message,
    which names the file and field at fault, rather than a traceback on every page.
    """
    try:
        available = views.has_data()
    except (ConfigError, StoreError) as error:
        st.error(str(error), icon=":material/settings_alert:")
        st.stop()
    if not available:
        st.session_state[FILTERS_KEY] = None
        return None
    quarters = views.quarters()
    by_param = {quarter_param(q): q for q in quarters}
    teams = views.teams()
    names = views.scope_names()
    groups = [ALL, *views.groups()]

    with st.sidebar:
        st.subheader("View", anchor=False)
        seed_from_url("f_from", quarters, by_param.get)
        seed_from_url("f_to", quarters, by_param.get)
        left, right = st.columns(2)
        first = left.selectbox(
            "From", quarters, index=max(0, len(quarters) - DEFAULT_QUARTERS), format_func=quarter_label, key="f_from"
        )
        last = right.selectbox("To", quarters, index=len(quarters) - 1, format_func=quarter_label, key="f_to")
        if first > last:
            st.caption(":material/swap_horiz: *From* was after *To*, so the two were swapped.")
            first, last = last, first

        seed_from_url("f_grain", list(GRAINS))
        grain = st.segmented_control(
            "Grain", list(GRAINS), default=DEFAULT_GRAIN, format_func=GRAIN_LABEL.get, key="f_grain",
            required=True, width="stretch",
        )

        seed_from_url("f_group", groups)
        group = st.selectbox(
            "Group", groups, format_func=lambda g: g or "All groups", key="f_group",
            help="Charts show one line per group, or per team within the chosen group.",
        )
        in_group = teams if not group else teams[teams["group_name"] == group]
        team_ids = [ALL, *in_group["team_id"]]
        seed_from_url("f_team", team_ids)
        team = st.selectbox(
            "Team", team_ids, format_func=lambda t: names.get(t, t) if t else "All teams", key="f_team",
        )
        fresh = data_views.fresh_as_of()
        st.caption(f"Data as of {fresh:%d %b %Y, %H:%M} UTC" if fresh else "No sync or load has finished yet",
                   help="When the newest successful sync or file load finished.")

    chosen = Filters(first, last, grain or DEFAULT_GRAIN, group or None, team or None, views.today())
    st.query_params.update(filter_params(chosen))
    with st.sidebar:
        copy_link()
    st.session_state[FILTERS_KEY] = chosen
    return chosen


def require_data() -> None:
    """Stop the page with a clear pointer to the demo when there is no database yet."""
    if views.has_data():
        return
    if views.demo_building():
        with st.spinner("Building the demo organisation (up to two minutes on first run)…"):
            deadline = time.monotonic() + DEMO_BUILD_WAIT_SECONDS
            while views.demo_building() and not views.has_data() and time.monotonic() < deadline:
                time.sleep(1)
        if views.has_data():
            st.rerun()
    st.info(views.MISSING_DATA, icon=":material/database_off:")
    st.stop()


def require_filters() -> Filters:
    """The filters the sidebar drew for this run; stops the page when there is no data."""
    require_data()
    filters = st.session_state.get(FILTERS_KEY)
    if filters is None and views.has_data():
        st.rerun()  # the first data arrived during this run (a sync or load): draw the sidebar for it
    if filters is None:
        st.info(views.MISSING_DATA, icon=":material/database_off:")
        st.stop()
    return filters


def span(filters: Filters) -> str:
    """The chosen range and grain in words ("Q1 2025 – Q4 2026 by month")."""
    return f"{quarter_label(filters.first_quarter)} – {quarter_label(filters.last_quarter)} by {filters.grain}"


def describe(filters: Filters) -> str:
    """What a signal page's charts show, in words, for its caption."""
    names = views.scope_names()
    if filters.team:
        who = f"{safe_text.markdown(names.get(filters.team, filters.team))} against its group"
    elif filters.group:
        who = f"Teams in {safe_text.markdown(filters.group)}"
    else:
        who = "All groups"
    return f"{who} · {span(filters)}"


def page_header(title: str, question: str, filters: Filters) -> None:
    st.title(title, anchor=False)
    st.caption(f"{question} · {describe(filters)}")


def _sources_text(sources: tuple[str, ...]) -> str:
    """The metric's sources and how fresh each is: its last successful sync, else the store's publication."""
    status = data_views.sync_status()
    synced = dict(zip(status.sources["source"], status.sources["last_success"]))
    text = f"Sources: {', '.join(sources)}."
    fresh = [f"{source} {data_views.age(synced[source])}" for source in sources if source in synced]
    if fresh:
        return f"{text} Last successful sync: {'; '.join(fresh)}."
    return f"{text} Data published {data_views.age(status.published)}."


def metric_chart(
    metric_id: str, filters: Filters, *, height: int = 320, focus: bool = False, plot_px: int = charts.FULL_PLOT_PX,
    highlight: str | None = None, width: int | str = "stretch",
) -> None:
    """A metric's trend by the chosen breakdown, with its definition and n one click away.

    With `focus`, only the chosen scope against the one it belongs to (see `views.breakdown`);
    `highlight` is the line drawn in colour when there are too many to colour (see `charts.emphasis`);
    `width` the tile's width in pixels, or "stretch" to fill its parent.
    """
    metric = METRICS[metric_id]
    view = views.breakdown(filters.group, filters.team, focus=focus)
    if metric.unit == "count":
        # A count of a whole group is a sum, not a yardstick for one of its teams.
        view = view.without_reference()
    with st.container(border=True, width=width):
        st.markdown(f"**{metric.title}**")
        if any(metric_id in views.failed_metrics(filters.grain, scope) for scope in view.scopes):
            st.error("This metric could not be computed; the server log has the details.", icon=":material/error:")
            return
        tile = views.trend_tile(metric_id, filters.grain, filters.start, filters.end, view, highlight=highlight,
                                height=height, plot_px=plot_px)
        frame = tile.frame
        if tile.figure is None:
            st.caption(f"{NOTHING_TO_DRAW} in {span(filters)}: every point is hidden by the privacy rules (too few "
                       f"{metric.n_label} behind it) or there is no data yet.")
            with st.expander("About this metric"):
                about(metric_id, tile.n_table)
            return
        record_panels.chart_with_points(tile.figure, f"trend_{metric_id}", PLOTLY_CONFIG)
        if tile.emphasised:
            st.caption(emphasis_text(tile.emphasised, tile.emphasised == highlight, view))
        if tile.hidden:
            st.caption(
                f":material/visibility_off: {tile.hidden} of {len(frame)} points are hidden by the privacy rules: "
                f"too few {metric.n_label} behind them, or a value that could be worked out from others shown."
            )
        record_panels.behind_a_point(metric, frame, filters.grain, f"trend_{metric_id}", tile.choices)
        with st.expander("About this metric"):
            about(metric_id, tile.n_table)


NOTHING_TO_DRAW = ":material/visibility_off: Nothing to draw"
"""What a trend tile says instead of an empty chart."""


def about(metric_id: str, table: pd.DataFrame) -> None:
    """Definition, direction, target, sources with their freshness, and the n behind each point
    (`table`: `views.n_table`)."""
    metric = METRICS[metric_id]
    target = views.target(metric_id)
    st.markdown(metric.definition)
    better = "Higher is better." if metric.better == "higher" else "Lower is better."
    goal = f" Target {metric.format(target.target)}, tolerance {metric.format(target.tolerance)}." if target else ""
    st.markdown(f"{better}{goal}  \n{_sources_text(metric.sources)}")
    k = views.privacy_minimum(metric)
    rule = (f" A point over fewer than {k} {metric.n_label}, or one that would let a smaller group be worked out "
            "from the others, is hidden, and so is its n." if k else "")
    st.caption(f"n = {metric.n_label} behind each point.{rule}")
    st.dataframe(table, width="stretch", height="content" if len(table) <= 8 else 300)


def scorecard(signal: str, filters: Filters) -> None:
    """A signal's metrics: the scored quarter against the one before and a year before, its
    target band, eight quarters of sparkline, the running quarter to date; then its lead trend."""
    period = views.scorecard_quarter(filters.last_quarter)
    cards = views.scorecards(signal, filters.scope, filters.scope_id, period)
    if not cards:
        return
    st.subheader(f"{signal_name(signal)}", anchor=False)
    with tile_row():
        for card in cards:
            scorecard_card(card, filters, period)
    lead = SIGNALS[signal].lead if signal in SIGNALS else None
    metric_chart(lead if lead in METRICS else cards[0].metric.id, filters, height=300, focus=True)


CARD_PX = 176
"""A scorecard's width: the five of a signal fit one row on a laptop screen and wrap on a narrow one."""


def scorecard_card(card: Card, filters: Filters, period: ScorecardPeriod) -> None:
    """One metric's card: the scored quarter, its changes, its target status and its sparkline."""
    with st.container(border=True, height="stretch", width=CARD_PX):
        st.markdown(f"**{card.metric.title}**", help=card.metric.definition)
        st.metric(
            card.metric.title,
            card.value_text(),
            label_visibility="collapsed",
            delta=card.delta_text(),
            delta_color="off",  # colour is for a change beyond noise (the verdicts) or a missed target
            delta_arrow="off" if card.unchanged else "auto",
            delta_description=f"vs {quarter_label(period.previous)}",
        )
        st.caption(f"{card.year_delta_text() or '–'} vs {quarter_label(period.year_ago)}")
        label = "Hidden by privacy rules" if card.hidden else STATUS_LABEL[card.status]
        st.caption(f":{STATUS_COLOR[card.status]}-badge[{label}] {card.target_text() or ''}")
        figure = views.sparkline(card.metric.id, filters.scope, filters.scope_id, period.quarter,
                                 first=filters.first_quarter)
        if figure is not None:
            st.plotly_chart(figure, key=f"spark_{card.metric.id}", config=SPARK_CONFIG)
        if period.running:
            so_far = "hidden" if card.to_date_hidden else card.metric.format(card.to_date)
            st.caption(f"{quarter_label(period.running)} to date: **{so_far}**")


def signal_name(signal: str) -> str:
    question = views.signals().get(signal, "")
    return f"{signal} · {question}" if signal.startswith("S") else question


def emphasis_text(scope_id: str, chosen: bool, view: views.Breakdown) -> str:
    names = views.scope_names()
    others = "other teams" if view.scope == "team" else "other groups"
    why = "" if chosen else f", farthest from {names.get(view.reference, 'the rest')} on average"
    return f"{names.get(scope_id, scope_id)} in colour{why}; the {others} in grey (point at one to name it)."


def highlight_control(signal: str, filters: Filters) -> str | None:
    """The line every chart of a grid draws in colour when a breakdown has more lines than colours,
    so a lead can follow one group across the charts; None lets each chart pick its outlier."""
    view = views.breakdown(filters.group, filters.team)
    if len(view.ids) <= len(charts.PALETTE):
        return None
    names = views.scope_names()
    return st.selectbox(
        "Highlight", [None, *view.ids], key=f"highlight_{signal}",
        format_func=lambda scope_id: "Whichever stands out on each chart" if scope_id is None else names.get(scope_id, scope_id),
    )


TILE_PX = 440
"""A tile's width: two to a row on a laptop screen, one on a narrow one, three on a wide one.

Tiles of a fixed width wrap rather than shrink, so a chart is always drawn about as wide as its
milestone labels were placed for (`charts.TILE_PLOT_PX`: the tile less its padding, value axis
and target label)."""


def tile_row():
    """A row of tiles (`tile`) that wraps onto more rows when the screen is narrow."""
    return st.container(horizontal=True, gap="small")


def tile():
    return st.container(border=True, width=TILE_PX)


def metric_grid(signal: str, filters: Filters) -> None:
    """Every metric of a signal as a trend chart, in tiles that wrap to the screen's width."""
    highlight = highlight_control(signal, filters)
    with tile_row():
        for metric in views.signal_metrics(signal):
            metric_chart(metric.id, filters, plot_px=charts.TILE_PLOT_PX, highlight=highlight, width=TILE_PX)
