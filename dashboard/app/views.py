"""The cached reads pages draw from.

Every cache is keyed on small hashable arguments plus the store's version token. A sync
publishes its result by an atomic rename, which changes the token, so the next page view
recomputes instead of showing stale numbers, and nobody has to clear a cache by hand.

Metric series are computed once per (grain, scope) for a fixed window of quarters and then
filtered, so moving the date range never recomputes anything.
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from typing import ParamSpec, TypeVar

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.analysis import bottlenecks, own_time
from dashboard.analysis.scorecard import Card, ScorecardPeriod, cards, scorecard_period
from dashboard.app.chart_points import PointChoices, point_choices
from dashboard.app.first_run import building
from dashboard.charts import trends as charts
from dashboard.core import notes, periods
from dashboard.core.config import Settings, Target, load_settings
from dashboard.core.periods import Grain
from dashboard.core.schema import TABLES
from dashboard.core.store import Store, open_store, shared_readers
from dashboard.core.words import NO_VALUE
from dashboard.derive import series_store
from dashboard.metrics import METRICS, NEEDED_TABLES, SIGNALS, Metric, Scope, compute_series, level_of, load_tables
from dashboard.metrics.registry import SERIES_COLUMNS

log = logging.getLogger(__name__)

WINDOW_QUARTERS = series_store.WINDOW_QUARTERS
ORG = "org"
ORG_NAME = "Organisation"
MISSING_DATA = (
    "There is no data yet. Build the demo organisation with `python -m dashboard demo` "
    "(or run a sync), then reload this page."
)


@dataclass
class _Run:
    """What one run of a page reads once: the settings, the store they name, its published version."""

    settings: Settings | None = None
    store: Store | None = None
    key: tuple[str, str, str] | None = None


_RUN: ContextVar[_Run | None] = ContextVar("prodops_run", default=None)


@contextmanager
def one_run() -> Iterator[None]:
    """Within the block (the entrypoint wraps each run of a page in it), the settings are read
    and validated once, and the store's version asked once, however many cached reads key on them.

    A warm page makes hundreds of such reads: each reading and validating prodops.toml again, and
    on PostgreSQL each asking the server for the version, cost more than the page's data. One
    version for the whole run also means a sync published mid-run cannot mix two versions on
    one page. The store's readers share one connection per published file for the run
    (`shared_readers`). A write in the run that must show in the same run calls `published()`; the
    others rerun the page. Outside the block (the CLI, tests) every call reads afresh.
    """
    token = _RUN.set(_Run())
    try:
        with shared_readers():
            yield
    finally:
        _RUN.reset(token)


def published() -> None:
    """This run wrote and published data: the next read asks the store for its version again."""
    run = _RUN.get()
    if run is not None:
        run.key = None


def settings() -> Settings:
    run = _RUN.get()
    if run is None:
        return load_settings()
    if run.settings is None:  # a configuration error is raised to every caller, as before, not remembered
        run.settings = load_settings()
    return run.settings


def store() -> Store:
    run = _RUN.get()
    if run is None:
        return open_store(settings())
    if run.store is None:
        run.store = open_store(settings())
    return run.store


def today() -> date:
    return periods.today(settings().org_timezone)


def has_data() -> bool:
    return store().exists()


def demo_building() -> bool:
    """True while `serve` builds the demo organisation in the background."""
    return building(settings())


def cache_key() -> tuple[str, str, str]:
    """What every cache is keyed on: where the data is, which settings, which published version
    (read once a run: see `one_run`)."""
    run = _RUN.get()
    if run is not None and run.key is not None:
        return run.key
    current = settings()
    key = current.database_url(), current.model_dump_json(), store().version()
    if run is not None:
        run.key = key
    return key


P = ParamSpec("P")
T = TypeVar("T")
_BUILDS: dict[str, Callable] = {}


def per_version(build: Callable[P, T]) -> Callable[P, T]:
    """Decorate a function of small hashable arguments (ids, dates, a `Breakdown`) whose result
    depends on them and on the data: it then runs once per published version, settings and day for
    each set of arguments, and its result is shared by every session and every later run.

    For what a page draws from data it already holds: figures, scorecards, verdicts. Building a
    Plotly figure (which validates each property as it is set) cost a warm page more than its store
    queries. The result is one object for everybody, so callers only read it (`st.plotly_chart`
    serialises a copy of a figure); a frame a caller changes must be copied first. The undecorated
    function is `.build`.
    """
    name = f"{build.__module__}.{build.__qualname__}"
    _BUILDS[name] = build

    @functools.wraps(build)
    def call(*args: P.args, **kwargs: P.kwargs) -> T:
        return _per_version(name, *cache_key(), today(), args, tuple(sorted(kwargs.items())))

    call.build = build  # type: ignore[attr-defined]
    return call


@st.cache_resource(max_entries=1024, show_spinner=False)
def _per_version(name: str, url: str, settings_json: str, version: str, day: date, args: tuple, kwargs: tuple):
    return _BUILDS[name](*args, **dict(kwargs))


def quarters() -> list[date]:
    """The quarters a user can pick, oldest first: up to `WINDOW_QUARTERS`, none before the data."""
    end = today()
    return periods.period_starts(series_store.window_start(end, earliest()), end, "quarter")


def earliest() -> date | None:
    """The first day any dated record exists."""
    return _earliest(*cache_key())


@st.cache_data(max_entries=4, show_spinner=False)
def _earliest(url: str, settings_json: str, version: str) -> date | None:
    """The first day any dated record exists, so the range picker offers no empty quarters."""
    return series_store.first_record(open_store(Settings.model_validate_json(settings_json)))


@st.cache_resource(max_entries=4, show_spinner=False)
def shared_tables(url: str, settings_json: str, version: str, names: tuple[str, ...] = NEEDED_TABLES) -> dict[str, pd.DataFrame]:
    """Canonical tables shared by every session; callers get shallow copies (pandas copy-on-write).

    Only the tables asked for: a page that needs the check-ins does not hold every work item.
    """
    return load_tables(open_store(Settings.model_validate_json(settings_json)), names)


CHECKIN_TABLES = ("checkins", "teams", "team_groups", "people", "memberships")
"""What the check-in views read (the check-in metrics place rows on the roster's teams)."""


def checkin_tables() -> dict[str, pd.DataFrame]:
    return shared_tables(*cache_key(), CHECKIN_TABLES)


@st.cache_resource(max_entries=32, show_spinner="Computing metrics…")
def _series(
    url: str, settings_json: str, version: str, grain: Grain, scope: Scope, first: date, last: date
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Every metric for one grain and scope over the window, and the ids of metrics that failed.

    Read from the series stored with the data (`dashboard.derive.series_store`) when they were computed
    for this window, day and settings; computed here otherwise. A resource, not data: one frame
    shared by every session (callers only read and filter it).

    One failing metric must not blank a whole page, so each is computed on its own and a
    failure is logged and reported by id.
    """
    config = Settings.model_validate_json(settings_json)
    found = series_store.stored(open_store(config), config, grain, scope, first, last)
    if found is not None:
        return found
    shared = shared_tables(url, settings_json, version)
    frames, failed = [], []
    for metric_id in METRICS:
        tables = {name: frame.copy(deep=False) for name, frame in shared.items()}
        try:
            frames.append(compute_series(tables, config, grain, scope, first, last, [metric_id]))
        except Exception:
            log.exception("metric %s failed for grain=%s scope=%s", metric_id, grain, scope)
            failed.append(metric_id)
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=SERIES_COLUMNS)
    return frame, tuple(failed)


def _computed(grain: Grain, scope: Scope) -> tuple[pd.DataFrame, tuple[str, ...]]:
    url, settings_json, version = cache_key()
    return _series(url, settings_json, version, grain, scope, quarters()[0], today())


def series(grain: Grain, scope: Scope, start: date, end: date) -> pd.DataFrame:
    """All metric series for the periods that overlap [start, end]."""
    frame, _ = _computed(grain, scope)
    first = periods.floor_date(start, grain, settings().week_start)
    return frame[(frame["period_start"] >= first) & (frame["period_start"] <= end)]


def failed_metrics(grain: Grain, scope: Scope) -> tuple[str, ...]:
    """Metrics that raised for this grain and scope; pages show an error in their place."""
    return _computed(grain, scope)[1]


def signal_metrics(signal: str) -> list[Metric]:
    return [metric for metric in METRICS.values() if metric.signal == signal]


def signals() -> dict[str, str]:
    return {key: signal.question for key, signal in SIGNALS.items()}


def target(metric_id: str) -> Target | None:
    return settings().targets.get(metric_id)


@st.cache_data(max_entries=4, show_spinner=False)
def _teams(url: str, settings_json: str, version: str) -> pd.DataFrame:
    teams = open_store(Settings.model_validate_json(settings_json)).table("teams")
    return teams.sort_values(["group_name", "name"], key=lambda s: s.str.lower(), ignore_index=True)


def teams() -> pd.DataFrame:
    """`team_id`, `name`, `group_name`, sorted as people read them."""
    return _teams(*cache_key())


def groups() -> list[str]:
    return sorted(teams()["group_name"].dropna().unique().tolist(), key=str.lower)


def scope_names() -> dict[str, str]:
    """The display name of every scope id: the organisation, each group, each team."""
    from dashboard.report import scope_names as names_of  # the report's writers load only when asked for

    return names_of(teams())


def group_of() -> dict[str, str]:
    """Each team's group."""
    frame = teams()
    return dict(zip(frame["team_id"], frame["group_name"]))


@st.cache_data(max_entries=4, show_spinner=False)
def _annotations(url: str, settings_json: str, version: str) -> pd.DataFrame:
    return notes.annotations(open_store(Settings.model_validate_json(settings_json)))


def annotations(scope_ids: list[str] | None = None) -> pd.DataFrame:
    """Annotations for the organisation and for any of the scopes on a chart (all of them with None)."""
    frame = _annotations(*cache_key())
    return frame if scope_ids is None else frame[frame["scope"].isin({ORG, *scope_ids})]


def add_annotation(on_date: date, scope: str, label: str, metrics: list[str] = ()) -> None:
    """Store an annotation; it appears on every time chart of its scope (and the org's on all),
    and the metrics it names get a before/after on the Overview and in the QBR pack."""
    notes.add_annotation(store(), on_date, scope, label, metrics)


def scope_level(scope_id: str) -> Scope:
    """Whether an id names the organisation, a group or a team."""
    return level_of(scope_id, teams()["group_name"].dropna())


def remove_annotations(rows: list[tuple[date, str, str]]) -> int:
    return notes.remove_annotations(store(), rows)


@dataclass(frozen=True)
class Breakdown:
    """What a trend chart draws: one line per id, plus a darker reference line to compare with."""

    scope: Scope
    ids: list[str]
    reference_scope: Scope | None = None
    reference: str | None = None

    @property
    def shown(self) -> list[str]:
        """Every scope id on the chart, the reference first."""
        return ([self.reference] if self.reference else []) + self.ids

    @property
    def scopes(self) -> list[Scope]:
        return [self.scope] + ([self.reference_scope] if self.reference_scope else [])

    def without_reference(self) -> Breakdown:
        return Breakdown(self.scope, self.ids)


def breakdown(group: str | None, team: str | None, *, focus: bool = False) -> Breakdown:
    """Which lines a trend chart draws for the chosen group and team.

    By group for the whole organisation, by team within a group, one team against its group.
    With `focus` only the chosen scope is drawn, against the scope it belongs to: the
    overview's single line for a VP rather than the breakdown a product-ops lead digs into.
    """
    frame = teams()
    if team:
        group_of = frame.loc[frame["team_id"] == team, "group_name"].dropna()
        if group_of.empty:
            return Breakdown("team", [team], "org", ORG)
        return Breakdown("team", [team], "group", group_of.iloc[0])
    if group and focus:
        return Breakdown("group", [group], "org", ORG)
    if group:
        return Breakdown("team", frame.loc[frame["group_name"] == group, "team_id"].tolist(), "group", group)
    if focus:
        return Breakdown("org", [ORG])
    return Breakdown("group", groups(), "org", ORG)


def trend_series(metric_id: str, grain: Grain, start: date, end: date, view: Breakdown) -> pd.DataFrame:
    """One metric's rows for a breakdown, reference first, then the lines in the breakdown's order.

    A period with nobody behind it (no survey that month, say) is left out so the line runs
    on; a period whose value the privacy rules held back stays, as a gap.
    """
    names = scope_names()
    order = {scope_id: k for k, scope_id in enumerate(view.shown)}
    parts = []
    for scope in dict.fromkeys(view.scopes):
        rows = series(grain, scope, start, end)
        parts.append(rows[(rows["metric_id"] == metric_id) & rows["scope_id"].isin(order)])
    frame = pd.concat(parts, ignore_index=True)
    frame = frame[frame["value"].notna() | frame["n"].isna() | (frame["n"] > 0).fillna(False)]
    frame = frame.assign(order=frame["scope_id"].map(order), name=frame["scope_id"].map(lambda i: names.get(i, i)))
    return frame.sort_values(["order", "period_start"], kind="stable", ignore_index=True).drop(columns="order")


def privacy_minimum(metric: Metric, current: Settings | None = None) -> int | None:
    """The fewest people a shown value of this metric may stand on: surveys' minimum group size,
    the calendar minimum for calendar metrics; None for metrics with no such rule."""
    current = current or settings()
    if "survey" in metric.sources:
        return current.privacy.min_group_size
    if metric.sources == ("calendar",):
        return current.privacy.min_calendar_group
    return None


def n_table(frame: pd.DataFrame, grain: Grain) -> pd.DataFrame:
    """The n behind each point: one row per period, one column per scope, a hidden value marked,
    and a period in which a scope has nothing to count shown as `NO_VALUE`."""
    if frame.empty:
        return pd.DataFrame()
    cells = frame.assign(
        period=frame["period_start"].map(lambda d: periods.label(d, grain)),
        cell=frame["n"].map(charts.n_text),
    )
    table = cells.pivot_table(index="period", columns="name", values="cell", aggfunc="first", sort=False)
    return table[list(dict.fromkeys(cells["name"]))].sort_index(ascending=False).fillna(NO_VALUE)


def hidden_points(frame: pd.DataFrame) -> int:
    """Points with people behind them but no value: the privacy rules held them back."""
    return int(frame["n"].isna().sum())


def scorecard_quarter(last_quarter: date) -> ScorecardPeriod:
    """The quarter a scorecard shows when the range ends at `last_quarter` (like with like:
    see `dashboard.analysis.scorecard`)."""
    return scorecard_period(last_quarter, today(), quarters()[0])


def scorecards(signal: str, scope: Scope, scope_id: str, period: ScorecardPeriod | date) -> list[Card]:
    """The signal's metrics for one scope: the quarter against the one before and a year before,
    with the running quarter to date beside it; worked out once per published version and shared
    by every session (read only)."""
    if isinstance(period, date):
        period = ScorecardPeriod(period)
    return _scorecards(signal, scope, scope_id, period)


@per_version
def _scorecards(signal: str, scope: Scope, scope_id: str, period: ScorecardPeriod) -> list[Card]:
    last = period.running or period.quarter
    quarterly = series("quarter", scope, period.year_ago, last)
    return cards(signal_metrics(signal), quarterly, scope_id, period.quarter, period.previous, settings().targets,
                 year_ago=period.year_ago, running=period.running)


def sparkline_points(
    metric_id: str, scope: Scope, scope_id: str, quarter: date, count: int = 8, first: date | None = None
) -> pd.DataFrame:
    """The last `count` quarters up to `quarter` for one metric and scope, labelled; none before `first`
    (the chosen range's start: a quarter before it may hold only the first days of the data)."""
    start = periods.quarters_back(quarter, count)
    frame = series("quarter", scope, max(start, first) if first else start, quarter)
    frame = frame[(frame["metric_id"] == metric_id) & (frame["scope_id"] == scope_id)]
    return frame.assign(label=frame["period_start"].map(lambda d: periods.label(d, "quarter")))


# ---------------------------------------------------------------------------------------------
# Figures: built once per published version and shared by every session (`per_version`)


@dataclass(frozen=True)
class TrendTile:
    """A metric's trend as a page draws it: the rows, the figure (None when every point is hidden or
    there is none), the line drawn in colour when there are too many to colour, how many points the
    privacy rules hide, the n behind each point, and the points a reader can open. Shared by every
    session: read only."""

    frame: pd.DataFrame
    figure: go.Figure | None
    emphasised: str | None
    hidden: int
    n_table: pd.DataFrame
    choices: PointChoices | None


@per_version
def trend_tile(metric_id: str, grain: Grain, start: date, end: date, view: Breakdown, *, highlight: str | None = None,
               height: int = 340, plot_px: int = charts.FULL_PLOT_PX) -> TrendTile:
    """One metric's trend for a breakdown (`breakdown`), its figure built once per version and view."""
    metric = METRICS[metric_id]
    frame = trend_series(metric_id, grain, start, end, view)
    hidden, table = hidden_points(frame), n_table(frame, grain)
    if frame.empty or frame["value"].isna().all():
        return TrendTile(frame, None, None, hidden, table, None)
    goal = target(metric_id)
    figure = charts.trend(
        metric, frame, grain=grain, annotations=annotations(view.shown), target=goal.target if goal else None,
        reference=view.reference, highlight=highlight, height=height, plot_px=plot_px, through=today(),
    )
    return TrendTile(frame, figure, charts.emphasis(frame, view.reference, highlight), hidden, table,
                     point_choices(frame, grain))


@per_version
def sparkline(metric_id: str, scope: Scope, scope_id: str, quarter: date, first: date | None = None) -> go.Figure | None:
    """A scorecard's sparkline of the quarters up to `quarter` (see `sparkline_points`), built once per
    version; None when no quarter has a value."""
    points = sparkline_points(metric_id, scope, scope_id, quarter, first=first)
    if not points["value"].notna().any():
        return None
    goal = target(metric_id)
    return charts.sparkline(METRICS[metric_id], points, target=goal.target if goal else None)


@st.cache_data(max_entries=64, show_spinner=False)
def _own_weeks(url: str, settings_json: str, version: str, email: str) -> pd.DataFrame:
    current = open_store(Settings.model_validate_json(settings_json))
    person = own_time.person_of(current.query("SELECT person_id, email FROM people WHERE email IS NOT NULL"), email)
    if person is None:
        return pd.DataFrame(columns=list(TABLES["pm_weeks"].columns))
    return current.query("SELECT * FROM pm_weeks WHERE person_id = ? ORDER BY week_start", [person])


def own_time_summary(email: str, grain: Grain, start: date, end: date) -> pd.DataFrame:
    """The PM-weeks of the person whose roster email is `email`, by period (see `own_time`).

    Callers pass the signed-in viewer's verified email (`auth.Viewer.email`), never a value
    taken from the URL or a widget.
    """
    weeks = _own_weeks(*cache_key(), email.lower())
    return own_time.summary(weeks, grain, start, end, settings().week_start)


# ---------------------------------------------------------------------------------------------
# Bottlenecks


@st.cache_data(max_entries=16, show_spinner="Ranking teams and groups…")
def _ranked(url: str, settings_json: str, version: str, period: date) -> pd.DataFrame:
    first = quarters()[0]
    quarterly = pd.concat([series("quarter", level, first, period) for level in ("group", "team")], ignore_index=True)
    return bottlenecks.rank(quarterly, METRICS, period, group_of(), scope_names())


def ranked(period: date, group: str | None = None, team: str | None = None) -> pd.DataFrame:
    """Every team and group cell of the quarter `period`, worst first (`dashboard.analysis.bottlenecks.rank`).

    With a group chosen, that group and its teams; with a team, the team and its group. The
    peers that set the distances are always the whole organisation's.
    """
    frame = _ranked(*cache_key(), period)
    if team:
        return frame[((frame["scope"] == "team") & (frame["scope_id"] == team))
                     | ((frame["scope"] == "group") & (frame["scope_id"] == group_of().get(team)))].reset_index(drop=True)
    if group:
        return frame[frame["group"] == group].reset_index(drop=True)
    return frame


@st.cache_data(max_entries=32, show_spinner=False)
def _records(url: str, settings_json: str, version: str, metric_id: str, scope: str, scope_id: str,
             period: date, grain: Grain, day: date) -> pd.DataFrame | None:
    config = Settings.model_validate_json(settings_json)
    return bottlenecks.stored_records(open_store(config), METRICS[metric_id], config, scope, scope_id, period, grain, day)


def records(metric_id: str, scope: str, scope_id: str, period: date, grain: Grain = "quarter") -> pd.DataFrame | None:
    """The records behind one value: a ranked row's quarter, or a chart's point of any grain
    (`dashboard.analysis.bottlenecks.records`), teams by name; None for survey metrics."""
    found = _records(*cache_key(), metric_id, scope, scope_id, period, grain, today())
    if found is None or "Team" not in found:
        return found
    names = scope_names()
    return found.assign(Team=found["Team"].map(lambda team: names.get(team, team)))


# ---------------------------------------------------------------------------------------------
