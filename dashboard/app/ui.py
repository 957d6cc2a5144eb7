"""Streamlit pieces shared by every page: the filters, the metric chart, the scorecard, the
bottleneck table and the review's sections.

The filters live in the sidebar, drawn once by the entrypoint. They are seeded from the URL's
query parameters on a session's first run and written back on every run, so a copied URL
reproduces the view. Pages read the chosen filters with `require_filters()`. A page's own
choices (the review's quarter, the bottleneck looked into) live in the URL the same way.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from connectors.calendar import IcsError
from dashboard.analysis import bottlenecks
from dashboard.analysis.own_time import OwnTimeError
from dashboard.analysis.scorecard import STATUS_COLOR, STATUS_LABEL, ScorecardPeriod
from dashboard.app import auth, navigation, views
from dashboard.charts import trends as charts
from dashboard.core import periods, safe_text
from dashboard.core.config import ConfigError
from dashboard.core.notes import NoteError
from dashboard.core.periods import GRAINS, Grain
from dashboard.core.store import StoreError
from dashboard.metrics import METRICS, Scope

DEFAULT_QUARTERS = 8
DEMO_BUILD_WAIT_SECONDS = 120
"""How long a page waits for a first-run demo build before it says there is no data."""
DEFAULT_GRAIN: Grain = "month"
ALL = ""
_FILTERS = "_filters"
_PARAM_OF_KEY = {
    "f_from": "from", "f_to": "to", "f_grain": "grain", "f_group": "group", "f_team": "team",
    "qbr_quarter": "quarter", "bn_focus": "focus",
}
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
    """What the scorecards compare, in words ("Q3 2026 against Q2 2026 and Q3 2025; Q4 2026 to date beside it")."""
    period = views.scorecard_quarter(filters.last_quarter)
    text = f"{quarter_label(period.quarter)} against {quarter_label(period.previous)} and {quarter_label(period.year_ago)}"
    if period.running:
        return f"{text}; {running_label(period)} beside it"
    if period.through:
        return f"{quarter_label(period.quarter)} to date ({period.through:%d %b}) against whole quarters"
    return text


def last_quarter_text(filters: Filters) -> str:
    """The range's last quarter, marked "to date" while it runs ("Q4 2026 to date (26 Nov)")."""
    label = quarter_label(filters.last_quarter)
    if filters.end < periods.next_start(filters.last_quarter, "quarter") - timedelta(days=1):
        return f"{label} to date ({filters.end:%d %b})"
    return label


def running_label(period: ScorecardPeriod) -> str:
    """"Q4 2026 to date (57 of 92 days)"."""
    done, days = period.elapsed or (0, 0)
    return f"{quarter_label(period.running)} to date ({done} of {days} days)"


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
        fresh = views.fresh_as_of()
        st.caption(f"Data as of {fresh:%d %b %Y, %H:%M} UTC" if fresh else "No sync or load has finished yet",
                   help="When the newest successful sync or file load finished.")

    st.query_params.update(
        {"from": _quarter_param(first), "to": _quarter_param(last), "grain": grain, "group": group, "team": team}
    )
    chosen = Filters(first, last, grain or DEFAULT_GRAIN, group or None, team or None, views.today())
    st.session_state[_FILTERS] = chosen
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
    filters = st.session_state.get(_FILTERS)
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
    k = views.privacy_minimum(metric)
    rule = (f" A point over fewer than {k} {metric.n_label}, or one that would let a smaller group be worked out "
            "from the others, is hidden, and so is its n." if k else "")
    st.caption(f"n = {metric.n_label} behind each point.{rule}")
    table = views.n_table(frame, grain)
    st.dataframe(table, width="stretch", height="content" if len(table) <= 8 else 300)


def _toned(card, delta_text: str | None, delta: float | None) -> str:
    """A change coloured by whether it is better (green) or worse (red) in the metric's direction."""
    if delta_text is None:
        return "–"
    colour = {"better": "green", "worse": "red"}.get(card.tone(delta))
    return f":{colour}[{delta_text}]" if colour else delta_text


def scorecard(signal: str, filters: Filters) -> None:
    """A signal's metrics: the scored quarter against the one before and a year before, its
    target band, eight quarters of sparkline, the running quarter to date; then its lead trend."""
    period = views.scorecard_quarter(filters.last_quarter)
    cards = views.scorecards(signal, filters.scope, filters.scope_id, period)
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
                delta_description=f"vs {quarter_label(period.previous)}",
            )
            st.caption(f"{_toned(card, card.year_delta_text(), card.year_delta)} vs {quarter_label(period.year_ago)}")
            label = "Hidden by privacy rules" if card.hidden else STATUS_LABEL[card.status]
            st.caption(f":{STATUS_COLOR[card.status]}-badge[{label}] {card.target_text() or ''}")
            points = views.sparkline_points(card.metric.id, filters.scope, filters.scope_id, period.quarter,
                                            first=filters.first_quarter)
            if points["value"].notna().any():
                st.plotly_chart(
                    charts.sparkline(card.metric, points, target=card.target.target if card.target else None),
                    key=f"spark_{card.metric.id}", config=SPARK_CONFIG,
                )
            if period.running:
                so_far = "hidden" if card.to_date_hidden else card.metric.format(card.to_date)
                st.caption(f"{quarter_label(period.running)} to date: **{so_far}**")
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


def my_time(filters: Filters) -> None:
    """The signed-in PM's own calendar numbers over the chosen range and grain; nothing for other roles.

    Whose numbers is the viewer's verified email alone: the group and team filters, the URL and
    the session choose the range and grain, never the person.
    """
    viewer = auth.viewer()
    if viewer.mode != "signed_in" or not viewer.may("own_calendar"):
        return
    st.subheader("My time", anchor=False)
    st.caption(f"Your own calendar, {span(filters)}, averaged over your weeks. Only you see these numbers: "
               "nobody else, leaders included, sees one person's calendar.")
    if not viewer.email:
        st.info("Your sign-in carries no verified email address, so your calendar cannot be found.",
                icon=":material/person_off:")
        return
    try:
        table = views.own_time_summary(viewer.email, filters.grain, filters.start, filters.end)
    except OwnTimeError as error:
        st.warning(str(error), icon=":material/group:")
        return
    if table.empty:
        st.info(f"No calendar weeks of {viewer.email} in this range.", icon=":material/event_busy:")
        return
    shown = table.assign(period=table["period"].map(lambda start: periods.label(start, filters.grain)))
    st.dataframe(
        shown, hide_index=True, width="stretch", key="my_time",
        column_config={
            "period": GRAIN_LABEL[filters.grain],
            "weeks": st.column_config.NumberColumn("Weeks", help="Your weeks with calendar data in the period."),
            "meeting_hours": st.column_config.NumberColumn("Meeting h/week", format="%.1f"),
            "overhead_share": st.column_config.NumberColumn("Overhead share", format="percent"),
            "strategy_share": st.column_config.NumberColumn("Strategy share", format="percent"),
            "focus_hours": st.column_config.NumberColumn("Focus h/week", format="%.1f"),
        },
    )


_LAST_SYNC = "_last_sync_outcomes"
_LAST_LOAD = "_last_load_message"
"""Outcomes kept in the session across the rerun that follows a sync or a load."""


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
    _show_outcomes(st.session_state.pop(_LAST_SYNC, []))
    if not auth.may("sync"):
        return
    if not st.button("Sync now", key="sync_now", icon=":material/sync:"):
        return
    with st.status("Syncing…", expanded=True) as status:
        bar = st.progress(0.0)

        def progress(stage: str, done: int, total: int | None) -> None:
            bar.progress(min(done / total, 1.0) if total else 0.0, text=f"{stage}: {done:,}" + (f" of {total:,}" if total else ""))

        outcomes = views.run_sync(progress)
        _show_outcomes(outcomes)
        failed = any(o.status == "failed" for o in outcomes)
        status.update(label="Sync failed: the last good data stays on screen" if failed else "Sync finished", state="error" if failed else "complete")
    if st.session_state.get(_FILTERS) is None:
        st.session_state[_LAST_SYNC] = outcomes  # the first data reruns the page: show them again there


def _show_outcomes(outcomes: list) -> None:
    for outcome in outcomes:
        line = f"**{outcome.source}**: {outcome.status}, {outcome.rows:,} rows in {outcome.seconds:.1f} s. {outcome.detail}"
        (st.error if outcome.status == "failed" else st.warning if outcome.status == "partial" else st.success)(line)


def connections_panel() -> None:
    """Each configured source's last run, and a "Test connection" that runs the doctor's checks for it."""
    from dashboard import doctor

    runs = views.data_status().sources.set_index("source") if views.has_data() else pd.DataFrame().rename_axis("source")
    for source in views.configured_sources():
        name, state, test = st.columns([2, 5, 2], vertical_alignment="center")
        name.markdown(f"**{source}**")
        if source in runs.index:
            run = runs.loc[source]
            state.caption(f"Last run: {run['last_status']}; last success: {run['last_success']}. {run['last_error']}".strip())
        else:
            state.caption("Never synced: test the connection, then Sync now.")
        if test.button("Test connection", key=f"test_{source}", icon=":material/network_check:"):
            with st.spinner(f"Reaching {source}…"):
                checks = doctor.SOURCE_CHECKS[source](views.settings(), doctor.Named())
            for check in checks:
                (st.success if check.status == doctor.READY else st.error)(f"{check.source}: {check.message}")


def uploads_panel() -> None:
    """Roster and survey exports loaded from the browser: a preview of what would load, then Load."""
    from dashboard.app import uploads

    if not auth.may("sync"):
        return
    settings = views.settings()
    loaded = st.session_state.pop(_LAST_LOAD, None)
    if loaded:
        st.success(loaded, icon=":material/check:")
    roster, survey_side = st.columns(2, border=True)
    with roster:
        st.markdown("**Load the HR roster**")
        st.caption("A CSV with the columns in docs/roster.md. Nothing is written until you press Load.")
        file = st.file_uploader("Roster CSV", type=["csv"], key="roster_upload")
        if file is not None:
            preview = uploads.roster_preview(file.getvalue(), file.name)
            _show_preview(preview)
            if preview.loadable and st.button("Load roster", key="roster_load", icon=":material/upload:"):
                st.session_state[_LAST_LOAD] = uploads.load_roster_file(views.store(), preview, settings, views.today())
                st.rerun()
    with survey_side:
        st.markdown("**Load a survey wave**")
        if not settings.surveys:
            st.caption("Map a survey in `prodops.toml` first (`[surveys.NAME]`, see docs/surveys.md).")
            return
        survey = st.selectbox("Survey", sorted(settings.surveys), key="survey_name")
        wave = st.text_input("Wave", placeholder="e.g. 2026Q4", key="survey_wave").strip()
        file = st.file_uploader("Survey export", type=["csv", "json"], key="survey_upload")
        if file is not None and wave:
            preview = uploads.survey_preview(views.store(), file.getvalue(), file.name, survey, wave, settings)
            _show_preview(preview)
            if preview.loadable and st.button("Load wave", key="survey_load", icon=":material/upload:"):
                st.session_state[_LAST_LOAD] = uploads.load_survey_file(views.store(), preview, survey, wave, settings)
                st.rerun()


def _show_preview(preview) -> None:
    for column, (label, value) in zip(st.columns(max(1, len(preview.counts))), preview.counts.items(), strict=False):
        column.metric(label, f"{value:,}")
    for problem in preview.problems:
        (st.warning if preview.loadable else st.error)(problem)


def annotations_panel(filters: Filters) -> None:
    """The events drawn on every time axis: listed, added and removed here, stored for everyone."""
    names = views.scope_names()
    message = st.session_state.pop("_annotation_message", None)
    if message:
        st.success(message, icon=":material/check:")
    with st.expander("Annotations on the time axes", icon=":material/flag:"):
        st.caption("Milestones and reorganisations, drawn on every chart so cause and effect can be seen. "
                   "An organisation-wide one shows on every chart; a group's or team's on its own charts.")
        existing = views.annotations()
        st.dataframe(
            existing.assign(scope=existing["scope"].map(lambda i: names.get(i, i))), hide_index=True, width="stretch",
            column_config={"on_date": st.column_config.DateColumn("Date", format="D MMM YYYY"), "scope": "Where",
                           "label": "What happened"},
        )
        if not auth.may("annotate"):
            return
        scopes = [views.ORG, *([filters.group] if filters.group else []), *([filters.team] if filters.team else [])]
        with st.form("annotation_form", clear_on_submit=True, border=False):
            when, where, what = st.columns([1, 1, 3])
            on_date = when.date_input("Date", value=filters.today, key="ann_date")
            scope = where.selectbox("Where", scopes, format_func=lambda i: names.get(i, i), key="ann_scope")
            label = what.text_input("What happened", max_chars=80, key="ann_label",
                                    placeholder="e.g. New intake process for data requests")
            if st.form_submit_button("Add annotation", icon=":material/add:"):
                try:
                    views.add_annotation(on_date, scope, label)
                except NoteError as error:
                    st.error(str(error))
                else:
                    st.session_state["_annotation_message"] = f"Added “{label.strip()}” on {on_date:%d %b %Y}."
                    st.rerun()
        keys = [(row.on_date, row.scope, row.label) for row in existing.itertuples()]
        chosen = st.multiselect("Remove", keys, format_func=lambda k: f"{k[0]:%d %b %Y} · {k[2]}", key="ann_pick")
        if chosen and st.button("Remove the chosen annotations", key="ann_remove", icon=":material/delete:"):
            views.remove_annotations(chosen)
            st.session_state["_annotation_message"] = f"Removed {len(chosen)} annotation(s)."
            st.rerun()


# ---------------------------------------------------------------------------------------------
# Bottlenecks

# The page that shows each signal's metrics in context.
CONTEXT_PAGES = {
    "S1": ("pm_time.py", "PM time"),
    "S2": ("insights.py", "Insights"),
    "S3": ("releases.py", "Releases"),
    "S4": ("alignment.py", "Alignment"),
    "checkins": ("alignment.py", "Alignment"),
}
TOP_CHOICES = 30


def _focus_on_selection() -> None:
    """A row picked in the ranking becomes the row looked into (the selectbox and the URL follow)."""
    state = st.session_state.get("bn_table")
    rows = state.selection.rows if state is not None else []
    ids = st.session_state.get("_bn_ids", [])
    if rows and rows[0] < len(ids):
        st.session_state["bn_focus"] = ids[rows[0]]


def bottleneck_table(ranked: pd.DataFrame) -> str | None:
    """The ranking as a table, worst first; returns the id of the row to look into."""
    names = views.scope_names()
    shown = bottlenecks.display(ranked, METRICS, names)
    st.session_state["_bn_ids"] = shown["id"].tolist()
    st.dataframe(
        shown.drop(columns="id"), hide_index=True, width="stretch", height=420, key="bn_table",
        on_select=_focus_on_selection, selection_mode="single-row",
        column_config={
            "metric": st.column_config.TextColumn("Metric", width="medium"),
            "where": st.column_config.TextColumn("Team or group"),
            "value": "Value", "peers": "Median",
            "distance": st.column_config.NumberColumn("Distance", format="%.1f", help="Robust spreads worse than the "
                                                      "median of all teams (or all groups); 0 is typical."),
            "trend": st.column_config.NumberColumn("Trend", format="%+.2f", help="Spreads per quarter it has moved away "
                                                   "from its peers over the last four quarters; positive is getting worse."),
            "quarters": st.column_config.NumberColumn("Quarters", help="For how many quarters in a row it has "
                                                      f"been at least {bottlenecks.FLAG} spreads worse."),
            "n": st.column_config.NumberColumn("n", help="What the value stands on: releases, check-ins, PMs, "
                                               "requests or respondents."),
            "note": st.column_config.TextColumn("Note", help="A group's row names its teams in the drill-down."),
        },
    )
    if shown.empty:
        return None
    choices = shown["id"].tolist()[:TOP_CHOICES]
    current = st.session_state.get("bn_focus") or st.query_params.get("focus")
    if current in shown["id"].tolist() and current not in choices:
        choices.append(current)
    labels = dict(zip(shown["id"], shown["metric"] + " · " + shown["where"]))
    _seed("bn_focus", choices)
    focus = st.selectbox("Look into", choices, format_func=labels.get, key="bn_focus",
                         help="Or pick a row in the table.")
    st.query_params["focus"] = focus
    return focus


def bottleneck_drilldown(focus: str, ranked: pd.DataFrame, filters: Filters, period: date) -> None:
    """One row: where it stands, its trend against its parent, the records behind it and where to see it."""
    parsed = bottlenecks.parse_row_id(focus)
    if parsed is None:
        return
    metric_id, scope, scope_id = parsed
    metric, names = METRICS[metric_id], views.scope_names()
    row = ranked[(ranked["metric_id"] == metric_id) & (ranked["scope"] == scope) & (ranked["scope_id"] == scope_id)]
    where = safe_text.markdown(names.get(scope_id, scope_id))
    st.subheader(f"{metric.title} · {where}", anchor=False)
    if len(row):
        item = row.iloc[0]
        since = bottlenecks.since_text(item["quarters"], item["since"])
        st.caption(
            f"{metric.format(item['value'])} against a median of {metric.format(item['centre'])} over all "
            f"{scope}s ({item['distance']:.1f} spreads {'worse' if item['distance'] >= 0 else 'better'}) · "
            f"n = {int(item['n'])} {metric.n_label}" + (f" · {since}" if since else "")
            + (f" · {safe_text.markdown(item['note'])}" if item["note"] else "")
        )
    group = scope_id if scope == "group" else views.group_of().get(scope_id)
    focused = replace(filters, group=group, team=scope_id if scope == "team" else None)
    metric_chart(metric_id, focused, height=300, focus=True)
    frame = views.records(metric_id, scope, scope_id, period)
    st.markdown(f"**The records behind it, {quarter_label(period)}**")
    st.caption(bottlenecks.summary(metric, frame))
    if frame is not None and not frame.empty:
        team_names = {team: names.get(team, team) for team in frame["Team"].unique()} if "Team" in frame else {}
        shown = frame.assign(Team=frame["Team"].map(team_names)) if team_names else frame
        st.dataframe(shown, hide_index=True, width="stretch", height="content" if len(shown) <= 12 else 400)
    page, title = CONTEXT_PAGES.get(metric.signal, ("overview.py", "Overview"))
    if "survey" in metric.sources:
        page, title = "surveys.py", "Surveys"
    params = {"from": _quarter_param(filters.first_quarter), "to": _quarter_param(filters.last_quarter),
              "grain": filters.grain, "group": group or "", "team": focused.team or ""}
    st.page_link(str(navigation.PAGES_DIR / page), label=f"See {metric.title.lower()} for {where} on the {title} page", icon=":material/open_in_new:",
                 query_params=params)


# ---------------------------------------------------------------------------------------------
# The quarterly business review


def qbr_quarter(quarters: list[date]) -> date:
    """The review's quarter: from the URL on the first run, else the last complete quarter."""
    by_param = {_quarter_param(q): q for q in quarters}
    _seed("qbr_quarter", quarters, by_param.get)
    chosen = st.selectbox("Quarter", quarters, index=len(quarters) - 1, format_func=quarter_label, key="qbr_quarter",
                          help="Complete quarters only: a running quarter is not compared with a whole one.")
    st.query_params["quarter"] = _quarter_param(chosen)
    return chosen


def _table_frame(table) -> pd.DataFrame:
    frame = pd.DataFrame(table.rows, columns=table.columns)
    if frame.empty:
        return frame
    tones = table.tones or [None] * len(frame)
    colours = {"on": "#D3F9D8", "near": "#FFEC99", "off": "#FFC9C9", "better": "#D3F9D8", "worse": "#FFC9C9"}
    column = frame.columns[-2]

    def paint(series: pd.Series) -> list[str]:
        return [f"background-color: {colours[t]}" if series.name == column and t in colours else "" for t in tones]

    return frame.style.apply(paint)


def qbr_section(section, report) -> None:
    """One section of the review as the exports show it, with its stored note to edit."""
    st.header(section.title, anchor=False)
    if section.subtitle:
        st.caption(safe_text.markdown(section.subtitle))  # it names the team or group
    if section.charts:
        for column, chart in zip(st.columns(2), section.charts):
            with column, st.container(border=True):
                st.plotly_chart(chart.figure, key=f"qbr_{chart.id}", config=PLOTLY_CONFIG)
                with st.expander("About this chart"):
                    st.caption(safe_text.markdown(chart.caption))
    for table in section.tables:
        st.markdown(f"**{safe_text.markdown(table.title)}**")
        if table.rows:
            st.dataframe(_table_frame(table), hide_index=True, width="stretch", height="content")
        else:
            st.caption("Nothing moved by half a spread or more.")
    if auth.may("notes"):
        _qbr_note_editor(section, report)
    elif section.note:
        st.markdown(f"**Notes**  \n{section.note}")
    if section.footnotes:
        with st.expander("Definitions and method"):
            for footnote in section.footnotes:
                st.caption(footnote)


def _qbr_note_editor(section, report) -> None:
    label = periods.label(report.quarter, "quarter")
    text = st.text_area("Notes", value=section.note, key=f"qbr_note_{label}_{report.scope_id}_{section.id}",
                        placeholder="What happened, why, and what we do next. Stored with the quarter; goes into every export.")
    if st.button("Save note", key=f"qbr_save_{section.id}", icon=":material/save:", disabled=text == section.note):
        try:
            views.save_qbr_note(report.quarter, report.scope_id, section.id, text)
        except NoteError as error:
            st.error(str(error))
        else:
            st.rerun()


def qbr_exports(report) -> None:
    """Build the pack once on request, then offer every format for download."""
    from dashboard.report import FORMATS
    from dashboard.report.images import ImageError

    ready = st.session_state.get("_qbr_ready") == (report.quarter, report.scope_id, views.store().version())
    if not ready:
        if not st.button("Prepare the QBR pack", key="qbr_prepare", icon=":material/download:",
                         help="PowerPoint, PDF, Markdown and CSV, with the charts as images. Takes a few seconds."):
            return
        st.session_state["_qbr_ready"] = (report.quarter, report.scope_id, views.store().version())
    try:
        files = views.qbr_files(report.quarter, report.scope, report.scope_id)
    except ImageError as error:
        st.error(f"The charts could not be drawn as images, so only the CSV is offered. {error}", icon=":material/error:")
        files = {"csv": views.qbr_csv(report.quarter, report.scope, report.scope_id)}
    for column, (fmt, (mime, title)) in zip(st.columns(len(FORMATS)), FORMATS.items()):
        if fmt not in files:
            continue
        column.download_button(title, files[fmt], file_name=f"{report.file_stem()}.{fmt}", mime=mime,
                               key=f"qbr_dl_{fmt}", on_click="ignore", icon=":material/download:", width="stretch")


def coverage_panel() -> None:
    """How much of the organisation each source covers."""
    table = views.coverage_table()
    st.dataframe(
        table, hide_index=True, width="stretch",
        column_config={
            "measure": "Coverage", "covered": st.column_config.NumberColumn("Covered", format="localized"),
            "total": st.column_config.NumberColumn("Of", format="localized"),
            "share": st.column_config.ProgressColumn("Share", format="percent", min_value=0.0, max_value=1.0),
            "counted": "Counted",
        },
    )


def rules_panel(filters: Filters) -> None:
    """The rules preview: hours each calendar rule catches, synced and tried on a file."""
    st.caption(
        f"Calendar hours each `[[calendar.rules]]` entry catches from {filters.start:%d %b %Y} to {filters.end:%d %b %Y}, "
        "across the organisation, first match wins. Unclassified hours are time no rule explains; "
        "a rule with no hours may be shadowed by one above it. All-day occurrences count, but carry no hours."
    )
    _rule_table(views.stored_rule_hits(filters.start, filters.end))
    with st.expander("Try the rules on a calendar file", icon=":material/science:"):
        st.caption("Upload one ICS export to see how the rules as configured now classify it. "
                   "Titles are read in memory and not stored.")
        upload = st.file_uploader("ICS file", type=["ics"], key="rules_file")
        owner = st.text_input("Calendar owner's address (so declined invitations are recognised)", key="rules_owner")
        if upload is not None:
            try:
                _rule_table(views.file_rule_hits(upload.getvalue(), owner))
            except IcsError as error:
                st.error(f"{upload.name} could not be read: {error}")


def _rule_table(table: pd.DataFrame) -> None:
    st.dataframe(
        table.round({"hours": 1}), hide_index=True, width="stretch", height="content",
        column_config={
            "rule": "Rule", "category": "Category",
            "occurrences": st.column_config.NumberColumn("Occurrences", format="localized"),
            "hours": st.column_config.NumberColumn("Hours", format="localized"),
            "share": st.column_config.ProgressColumn("Share of hours", format="percent", min_value=0.0, max_value=1.0),
        },
    )
