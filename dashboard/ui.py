"""Streamlit pieces shared by every page: the filters, the metric chart and the scorecard.

The filters live in the sidebar, drawn once by the entrypoint. They are seeded from the URL's
query parameters on a session's first run and written back on every run, so a copied URL
reproduces the view. Pages read the chosen filters with `require_filters()`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from dashboard import charts, periods, views
from dashboard.config import ConfigError
from dashboard.metrics import METRICS, Scope
from dashboard.periods import GRAINS, Grain
from dashboard.scorecard import STATUS_COLOR, STATUS_LABEL
from dashboard.store import StoreError

DEFAULT_QUARTERS = 8
DEFAULT_GRAIN: Grain = "month"
ALL = ""
_FILTERS = "_filters"
_PARAM_OF_KEY = {"f_from": "from", "f_to": "to", "f_grain": "grain", "f_group": "group", "f_team": "team"}
GRAIN_LABEL = {"week": "Week", "month": "Month", "quarter": "Quarter"}
PLOTLY_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}
SPARK_CONFIG = {"displayModeBar": False}
# The metric whose trend the overview draws under each signal's scorecard.
LEAD_METRICS = {
    "S1": "pm_overhead_share",
    "S2": "data_requests_per_pm",
    "S3": "release_on_time_rate",
    "S4": "alignment_gap",
    "checkins": "checkin_compliance_rate",
}


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
    """The quarter the scorecards show, marked "to date" while it is still running."""
    label = quarter_label(filters.last_quarter)
    if filters.end < periods.next_start(filters.last_quarter, "quarter") - timedelta(days=1):
        return f"{label} to date ({filters.end:%d %b})"
    return label


def quarter_label(quarter: date) -> str:
    """A quarter as people say it ("Q3 2026"); the URL keeps the compact "2026Q3"."""
    return f"Q{(quarter.month - 1) // 3 + 1} {quarter.year}"


def _quarter_param(quarter: date) -> str:
    return periods.label(quarter, "quarter")


def _seed(key: str, options: list, parse=lambda value: value) -> None:
    """Take a widget's first value from the URL, and drop a value the options no longer hold."""
    if key not in st.session_state:
        raw = st.query_params.get(_PARAM_OF_KEY[key])
        if raw is not None:
            value = parse(raw)
            if value in options:
                st.session_state[key] = value
    elif st.session_state[key] not in options:
        del st.session_state[key]


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
        st.session_state[_FILTERS] = None
        return None
    quarters = views.quarters()
    by_param = {_quarter_param(q): q for q in quarters}
    teams = views.teams()
    names = views.scope_names()
    groups = [ALL, *views.groups()]

    with st.sidebar:
        st.subheader("View", anchor=False)
        _seed("f_from", quarters, by_param.get)
        _seed("f_to", quarters, by_param.get)
        left, right = st.columns(2)
        first = left.selectbox(
            "From", quarters, index=max(0, len(quarters) - DEFAULT_QUARTERS), format_func=quarter_label, key="f_from"
        )
        last = right.selectbox("To", quarters, index=len(quarters) - 1, format_func=quarter_label, key="f_to")
        if first > last:
            st.caption(":material/swap_horiz: *From* was after *To*, so the two were swapped.")
            first, last = last, first

        _seed("f_grain", list(GRAINS))
        grain = st.segmented_control(
            "Grain", list(GRAINS), default=DEFAULT_GRAIN, format_func=GRAIN_LABEL.get, key="f_grain",
            required=True, width="stretch",
        )

        _seed("f_group", groups)
        group = st.selectbox(
            "Group", groups, format_func=lambda g: g or "All groups", key="f_group",
            help="Charts show one line per group, or per team within the chosen group.",
        )
        in_group = teams if not group else teams[teams["group_name"] == group]
        team_ids = [ALL, *in_group["team_id"]]
        _seed("f_team", team_ids)
        team = st.selectbox(
            "Team", team_ids, format_func=lambda t: names.get(t, t) if t else "All teams", key="f_team",
        )
        st.caption(f"Data as of {views.today():%d %b %Y}")

    st.query_params.update(
        {"from": _quarter_param(first), "to": _quarter_param(last), "grain": grain, "group": group, "team": team}
    )
    chosen = Filters(first, last, grain or DEFAULT_GRAIN, group or None, team or None, views.today())
    st.session_state[_FILTERS] = chosen
    return chosen


def require_data() -> None:
    """Stop the page with a clear pointer to the demo when there is no database yet."""
    if not views.has_data():
        st.info(views.MISSING_DATA, icon=":material/database_off:")
        st.stop()


def require_filters() -> Filters:
    """The filters the sidebar drew for this run; stops the page when there is no data."""
    require_data()
    filters = st.session_state.get(_FILTERS)
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
        who = f"{names.get(filters.team, filters.team)} against its group"
    elif filters.group:
        who = f"Teams in {filters.group}"
    else:
        who = "All groups"
    return f"{who} · {span(filters)}"


def page_header(title: str, question: str, filters: Filters) -> None:
    st.title(title, anchor=False)
    st.caption(f"{question} · {describe(filters)}")


def _sources_text(sources: tuple[str, ...]) -> str:
    """The metric's sources and how fresh each is: its last successful sync, else the store's publication."""
    status = views.data_status()
    synced = dict(zip(status.sources["source"], status.sources["last_success"]))
    text = f"Sources: {', '.join(sources)}."
    fresh = [f"{source} {views.age(synced[source])}" for source in sources if source in synced]
    if fresh:
        return f"{text} Last successful sync: {'; '.join(fresh)}."
    return f"{text} Data published {views.age(status.published)}."


def metric_chart(
    metric_id: str, filters: Filters, *, height: int = 320, focus: bool = False, plot_px: int = 900
) -> None:
    """A metric's trend by the chosen breakdown, with its definition and n one click away.

    With `focus`, only the chosen scope against the one it belongs to (see `views.breakdown`).
    """
    metric = METRICS[metric_id]
    view = views.breakdown(filters.group, filters.team, focus=focus)
    if metric.unit == "count":
        # A count of a whole group is a sum, not a yardstick for one of its teams.
        view = view.without_reference()
    with st.container(border=True):
        st.markdown(f"**{metric.title}**")
        if any(metric_id in views.failed_metrics(filters.grain, scope) for scope in view.scopes):
            st.error("This metric could not be computed; the server log has the details.", icon=":material/error:")
            return
        frame = views.trend_series(metric_id, filters.grain, filters.start, filters.end, view)
        target = views.target(metric_id)
        figure = charts.trend(
            metric, frame, grain=filters.grain, annotations=views.annotations(view.shown),
            target=target.target if target else None, reference=view.reference, height=height,
            plot_px=plot_px,
        )
        st.plotly_chart(figure, key=f"trend_{metric_id}", config=PLOTLY_CONFIG)
        hidden = views.hidden_points(frame)
        if hidden:
            st.caption(
                f":material/visibility_off: {hidden} of {len(frame)} points are hidden by the privacy rules: "
                f"too few {metric.n_label} behind them, or a value that could be worked out from others shown."
            )
        with st.expander("About this metric"):
            about(metric_id, frame, filters.grain)


def about(metric_id: str, frame: pd.DataFrame, grain: Grain) -> None:
    """Definition, direction, target, sources with their freshness, and the n behind each point."""
    metric = METRICS[metric_id]
    target = views.target(metric_id)
    st.markdown(metric.definition)
    better = "Higher is better." if metric.better == "higher" else "Lower is better."
    goal = f" Target {metric.format(target.target)}, tolerance {metric.format(target.tolerance)}." if target else ""
    st.markdown(f"{better}{goal}  \n{_sources_text(metric.sources)}")
    st.caption(f"n = {metric.n_label} behind each point")
    table = views.n_table(frame, grain)
    st.dataframe(table, width="stretch", height="content" if len(table) <= 8 else 300)


def scorecard(signal: str, filters: Filters) -> None:
    """A signal's metrics this quarter against last quarter and the target, then its lead trend."""
    quarter = filters.last_quarter
    previous = periods.quarters_back(quarter, 2)
    cards = views.scorecards(signal, filters.scope, filters.scope_id, quarter)
    if not cards:
        return
    st.subheader(f"{signal_name(signal)}", anchor=False)
    columns = st.columns(len(cards))
    for column, card in zip(columns, cards):
        with column, st.container(border=True, height="stretch"):
            st.markdown(f"**{card.metric.title}**", help=card.metric.definition)
            st.metric(
                card.metric.title,
                card.value_text(),
                label_visibility="collapsed",
                delta=card.delta_text(),
                delta_color="off" if card.unchanged else "inverse" if card.metric.better == "lower" else "normal",
                delta_arrow="off" if card.unchanged else "auto",
                delta_description=f"vs {quarter_label(previous)}",
            )
            label = "Hidden by privacy rules" if card.hidden else STATUS_LABEL[card.status]
            st.caption(f":{STATUS_COLOR[card.status]}-badge[{label}] {card.target_text() or ''}")
            points = views.sparkline_points(card.metric.id, filters.scope, filters.scope_id, quarter)
            if points["value"].notna().any():
                st.plotly_chart(
                    charts.sparkline(card.metric, points, target=card.target.target if card.target else None),
                    key=f"spark_{card.metric.id}", config=SPARK_CONFIG,
                )
    lead = LEAD_METRICS.get(signal)
    metric_chart(lead if lead in METRICS else cards[0].metric.id, filters, height=300, focus=True)


def signal_name(signal: str) -> str:
    question = views.signals().get(signal, "")
    return f"{signal} · {question}" if signal.startswith("S") else question


def metric_grid(signal: str, filters: Filters, columns: int = 2) -> None:
    """Every metric of a signal as a trend chart, `columns` to a row."""
    metrics = views.signal_metrics(signal)
    for row in range(0, len(metrics), columns):
        for column, metric in zip(st.columns(columns), metrics[row : row + columns]):
            with column:
                metric_chart(metric.id, filters, plot_px=900 // columns)


def sync_panel() -> None:
    """A "Sync now" control for the configured sources, with progress and each source's outcome."""
    sources = views.configured_sources()
    if not sources:
        st.info(
            "No source is configured, so this is the demo organisation. Add `[jira]` or `[calendar.*]` to "
            "`prodops.toml` to sync real data; rosters and survey exports load with `python -m dashboard load`."
        )
        return
    st.caption(f"Configured sources: {', '.join(sources)}. A sync publishes all of a source's data or none of it.")
    if not st.button("Sync now", key="sync_now", icon=":material/sync:"):
        return
    with st.status("Syncing…", expanded=True) as status:
        bar = st.progress(0.0)

        def progress(stage: str, done: int, total: int | None) -> None:
            bar.progress(min(done / total, 1.0) if total else 0.0, text=f"{stage}: {done:,}" + (f" of {total:,}" if total else ""))

        outcomes = views.run_sync(progress)
        for outcome in outcomes:
            line = f"**{outcome.source}**: {outcome.status}, {outcome.rows:,} rows in {outcome.seconds:.1f} s. {outcome.detail}"
            (st.error if outcome.status == "failed" else st.warning if outcome.status == "partial" else st.success)(line)
        failed = any(o.status == "failed" for o in outcomes)
        status.update(label="Sync failed: the last good data stays on screen" if failed else "Sync finished", state="error" if failed else "complete")
