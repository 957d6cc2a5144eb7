"""The cached reads pages draw from.

Every cache is keyed on small hashable arguments plus the store's version token. A sync
publishes its result by an atomic rename, which changes the token, so the next page view
recomputes instead of showing stale numbers, and nobody has to clear a cache by hand.

Metric series are computed once per (grain, scope) for a fixed window of quarters and then
filtered, so moving the date range never recomputes anything.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import streamlit as st

from dashboard.analysis import bottlenecks, coverage, own_time, rule_hits
from dashboard.analysis.scorecard import Card, ScorecardPeriod, cards, scorecard_period
from dashboard.charts import trends as charts
from dashboard.core import notes, periods
from dashboard.core.config import Settings, Target, load_settings
from dashboard.core.periods import Grain
from dashboard.core.schema import DATED_COLUMNS, TABLES
from dashboard.core.store import Store, open_store
from dashboard.derive import series_store
from dashboard.derive.checkins.compliance import board, open_misses, streaks
from dashboard.metrics import METRICS, NEEDED_TABLES, SIGNALS, Metric, Scope, compute_series, load_tables
from dashboard.metrics.registry import SERIES_COLUMNS

log = logging.getLogger(__name__)

WINDOW_QUARTERS = series_store.WINDOW_QUARTERS
ORG = "org"
ORG_NAME = "Organisation"
MISSING_DATA = (
    "There is no data yet. Build the demo organisation with `python -m dashboard demo` "
    "(or run a sync), then reload this page."
)


def settings() -> Settings:
    return load_settings()


def store() -> Store:
    return open_store(settings())


def today() -> date:
    return periods.today(settings().org_timezone)


def has_data() -> bool:
    return store().exists()


def demo_building() -> bool:
    """True while `serve` builds the demo organisation in the background."""
    from dashboard.app.first_run import building

    return building(settings())


def _key() -> tuple[str, str, str]:
    """What every cache is keyed on: where the data is, which settings, which published version."""
    current = settings()
    return current.database_url(), current.model_dump_json(), store().version()


def quarters() -> list[date]:
    """The quarters a user can pick, oldest first: up to `WINDOW_QUARTERS`, none before the data."""
    end = today()
    return periods.period_starts(series_store.window_start(end, _earliest(*_key())), end, "quarter")


@st.cache_data(max_entries=4, show_spinner=False)
def _earliest(url: str, settings_json: str, version: str) -> date | None:
    """The first day any dated record exists, so the range picker offers no empty quarters."""
    current = open_store(Settings.model_validate_json(settings_json))
    with current.reader() as con:
        return series_store.earliest(lambda sql: con.execute(sql).df())


@st.cache_resource(max_entries=4, show_spinner=False)
def _tables(url: str, settings_json: str, version: str, names: tuple[str, ...] = NEEDED_TABLES) -> dict[str, pd.DataFrame]:
    """Canonical tables shared by every session; callers get shallow copies (pandas copy-on-write).

    Only the tables asked for: a page that needs the check-ins does not hold every work item.
    """
    return load_tables(open_store(Settings.model_validate_json(settings_json)), names)


CHECKIN_TABLES = ("checkins", "teams", "team_groups", "people", "memberships")
"""What the check-in views read (the check-in metrics place rows on the roster's teams)."""


def _checkin_tables() -> dict[str, pd.DataFrame]:
    return _tables(*_key(), CHECKIN_TABLES)


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
    shared = _tables(url, settings_json, version)
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
    url, settings_json, version = _key()
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
    return dict(SIGNALS)


def target(metric_id: str) -> Target | None:
    return settings().targets.get(metric_id)


@st.cache_data(max_entries=4, show_spinner=False)
def _teams(url: str, settings_json: str, version: str) -> pd.DataFrame:
    teams = open_store(Settings.model_validate_json(settings_json)).table("teams")
    return teams.sort_values(["group_name", "name"], key=lambda s: s.str.lower(), ignore_index=True)


def teams() -> pd.DataFrame:
    """`team_id`, `name`, `group_name`, sorted as people read them."""
    return _teams(*_key())


def groups() -> list[str]:
    return sorted(teams()["group_name"].dropna().unique().tolist(), key=str.lower)


def scope_names() -> dict[str, str]:
    """The display name of every scope id: the organisation, each group, each team."""
    from dashboard.report import scope_names as names_of

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
    frame = _annotations(*_key())
    return frame if scope_ids is None else frame[frame["scope"].isin({ORG, *scope_ids})]


def add_annotation(on_date: date, scope: str, label: str) -> None:
    """Store an annotation; it appears on every time chart of its scope (and the org's on all)."""
    notes.add_annotation(store(), on_date, scope, label)


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
    """The n behind each point: one row per period, one column per scope, a hidden value marked."""
    if frame.empty:
        return pd.DataFrame()
    cells = frame.assign(
        period=frame["period_start"].map(lambda d: periods.label(d, grain)),
        cell=frame["n"].map(charts.n_text),
    )
    table = cells.pivot_table(index="period", columns="name", values="cell", aggfunc="first", sort=False)
    return table[list(dict.fromkeys(cells["name"]))].sort_index(ascending=False)


def hidden_points(frame: pd.DataFrame) -> int:
    """Points with people behind them but no value: the privacy rules held them back."""
    return int(frame["n"].isna().sum())


def scorecard_quarter(last_quarter: date) -> ScorecardPeriod:
    """The quarter a scorecard shows when the range ends at `last_quarter` (like with like:
    see `dashboard.analysis.scorecard`)."""
    return scorecard_period(last_quarter, today(), quarters()[0])


def scorecards(signal: str, scope: Scope, scope_id: str, period: ScorecardPeriod | date) -> list[Card]:
    """The signal's metrics for one scope: the quarter against the one before and a year before,
    with the running quarter to date beside it."""
    if isinstance(period, date):
        period = ScorecardPeriod(period)
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


@dataclass(frozen=True)
class DataStatus:
    """What is in the store and how fresh it is."""

    location: str
    published: datetime | None
    tables: pd.DataFrame
    sources: pd.DataFrame
    runs: pd.DataFrame

    @property
    def total_rows(self) -> int:
        return int(self.tables["rows"].sum())


FILE_LOADS = {"survey_waves": "loaded_at", "checkin_forms": "loaded_at"}
"""The tables that record when a file was loaded: with successful syncs, the data's freshness."""
NOT_DATED = "—"


def _present(con) -> set[str]:
    return set(con.execute("SELECT table_name FROM duckdb_tables()").df()["table_name"])


@st.cache_data(max_entries=4, show_spinner=False)
def _data_status(url: str, settings_json: str, version: str, day: date) -> DataStatus:
    """Counts, freshness and runs. A table's newest record is its newest dated on or before `day`:
    check-ins are expected ahead of time and calendars read weeks ahead, and neither is fresher for it."""
    current = open_store(Settings.model_validate_json(settings_json))
    with current.reader() as con:
        present = _present(con)
        names = [name for name in TABLES if name in present]
        counts = con.execute(
            " UNION ALL ".join(f"SELECT '{name}' AS table_name, count(*) AS rows FROM {name}" for name in names)
        ).df()
        freshness = con.execute(
            " UNION ALL ".join(
                f"SELECT '{name}' AS table_name, max({column})::TIMESTAMP AS newest FROM {name} WHERE {column} < ?"
                for name, column in DATED_COLUMNS.items()
                if name in present
            ),
            [day + timedelta(days=1)] * sum(name in present for name in DATED_COLUMNS),
        ).df()
        runs = con.execute("SELECT * FROM sync_runs ORDER BY started_at DESC NULLS LAST").df()
        sources = con.execute(
            """
            SELECT source,
                   max(finished_at) FILTER (WHERE status = 'success') AS last_success,
                   arg_max(status, started_at) AS last_status,
                   arg_max(error, started_at) AS last_error,
                   count(*) AS runs
            FROM sync_runs GROUP BY source ORDER BY source
            """
        ).df()
    published = current.published_at()
    tables = counts.merge(freshness, on="table_name", how="left")
    tables["newest"] = [f"{moment:%d %b %Y}" if pd.notna(moment) else NOT_DATED for moment in tables["newest"]]
    sources["last_success"] = [f"{moment:%d %b %Y, %H:%M}" if pd.notna(moment) else "never" for moment in sources["last_success"]]
    sources["last_error"] = sources["last_error"].fillna("")
    runs[["cursor", "error"]] = runs[["cursor", "error"]].fillna("")
    return DataStatus(current.location, published, tables, sources, runs)


@st.cache_data(max_entries=4, show_spinner=False)
def _fresh_as_of(url: str, settings_json: str, version: str) -> datetime | None:
    current = open_store(Settings.model_validate_json(settings_json))
    with current.reader() as con:
        present = _present(con)
        newest = ["SELECT max(finished_at) AS moment FROM sync_runs WHERE status = 'success'"] + [
            f"SELECT max({column}) AS moment FROM {name}" for name, column in FILE_LOADS.items() if name in present
        ]
        found = con.execute(f"SELECT max(moment) FROM ({' UNION ALL '.join(newest)}) AS loads").fetchone()[0]
    return None if found is None or pd.isna(found) else pd.Timestamp(found).to_pydatetime()


def fresh_as_of() -> datetime | None:
    """When the newest successful sync or file load finished (naive UTC): how fresh the data is."""
    return _fresh_as_of(*_key()) if has_data() else None


def data_status() -> DataStatus:
    return _data_status(*_key(), today())


def age(moment: datetime | pd.Timestamp | None, now: datetime | None = None) -> str:
    """How long ago, in the largest unit that reads naturally ("3 h ago", "12 d ago")."""
    if moment is None or pd.isna(moment):
        return "never"
    moment = pd.Timestamp(moment)
    moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment
    delta = pd.Timestamp(now or datetime.now(UTC)) - moment
    if delta < timedelta(minutes=1):
        return "just now"
    if delta < timedelta(hours=1):
        return f"{int(delta.total_seconds() // 60)} min ago"
    if delta < timedelta(days=2):
        return f"{int(delta.total_seconds() // 3600)} h ago"
    return f"{delta.days} d ago"


def configured_sources() -> list[str]:
    from dashboard import sync

    return sync.configured(settings())


def run_sync(progress) -> list:
    """Run every configured source now; the published version changes, so every cache refreshes."""
    from dashboard import sync

    return sync.run(store(), settings(), configured_sources(), progress)


@st.cache_data(max_entries=4, show_spinner=False)
def _unmatched(url: str, settings_json: str, version: str) -> pd.DataFrame:
    from connectors.roster import unmatched_identities

    return unmatched_identities(open_store(Settings.model_validate_json(settings_json)))


def unmatched() -> pd.DataFrame:
    """Identities a source named that the roster does not know: listed, never dropped."""
    return _unmatched(*_key())


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
    weeks = _own_weeks(*_key(), email.lower())
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
    frame = _ranked(*_key(), period)
    if team:
        return frame[((frame["scope"] == "team") & (frame["scope_id"] == team))
                     | ((frame["scope"] == "group") & (frame["scope_id"] == group_of().get(team)))].reset_index(drop=True)
    if group:
        return frame[frame["group"] == group].reset_index(drop=True)
    return frame


@st.cache_data(max_entries=32, show_spinner=False)
def _records(url: str, settings_json: str, version: str, metric_id: str, scope: str, scope_id: str,
             period: date, day: date) -> pd.DataFrame | None:
    config = Settings.model_validate_json(settings_json)
    end = periods.next_start(period, "quarter")
    return bottlenecks.records(METRICS[metric_id], _tables(url, settings_json, version), config, scope, scope_id,
                               period, end, day)


def records(metric_id: str, scope: str, scope_id: str, period: date) -> pd.DataFrame | None:
    """The records behind one ranked row (`dashboard.analysis.bottlenecks.records`); None for survey metrics."""
    return _records(*_key(), metric_id, scope, scope_id, period, today())


# ---------------------------------------------------------------------------------------------
# The quarterly business review


def qbr_quarters() -> list[date]:
    """The quarters a review can be of: the complete ones, oldest first."""
    from dashboard.report.content import complete_quarters

    return complete_quarters(quarters(), today())


def _inputs(quarter: date, scope: Scope, scope_id: str):
    from dashboard.report import freshness_text, grains
    from dashboard.report.content import Inputs, quarter_end

    end = quarter_end(quarter)
    year_ago, previous = periods.quarters_back(quarter, 5), periods.quarters_back(quarter, 2)
    quarterly = pd.concat([series("quarter", level, year_ago, end) for level in ("org", "group", "team")],
                          ignore_index=True)
    fine = {grain: series(grain, scope, previous, end) for grain in grains()}
    return Inputs(
        quarterly=quarterly[quarterly["period_start"] <= end], fine={g: f[f["period_start"] <= end] for g, f in fine.items()},
        names=scope_names(), group_of=group_of(), notes=qbr_notes(quarter, scope_id), annotations=annotations(),
        freshness=freshness_text(data_status().runs),
    )


@st.cache_data(max_entries=8, show_spinner="Building the review…")
def _qbr(url: str, settings_json: str, version: str, quarter: date, scope: Scope, scope_id: str, day: date):
    from dashboard.report.content import build

    return build(_inputs(quarter, scope, scope_id), Settings.model_validate_json(settings_json), quarter, scope,
                 scope_id, day)


def qbr(quarter: date, scope: Scope, scope_id: str):
    """The review of one quarter for one scope (`dashboard.report.content.Report`)."""
    return _qbr(*_key(), quarter, scope, scope_id, today())


@st.cache_data(max_entries=4, show_spinner="Rendering the charts and writing the files…")
def _qbr_files(url: str, settings_json: str, version: str, quarter: date, scope: Scope, scope_id: str,
               day: date) -> dict[str, bytes]:
    from dashboard.report import render_all

    return render_all(_qbr(url, settings_json, version, quarter, scope, scope_id, day))


def qbr_files(quarter: date, scope: Scope, scope_id: str) -> dict[str, bytes]:
    """The review in every format (`dashboard.report.FORMATS`), charts rendered once."""
    return _qbr_files(*_key(), quarter, scope, scope_id, today())


def qbr_csv(quarter: date, scope: Scope, scope_id: str) -> bytes:
    """The review's numbers alone: needs no browser for chart images."""
    from dashboard.report import render

    return render(qbr(quarter, scope, scope_id), "csv")


def qbr_notes(quarter: date, scope_id: str) -> dict[str, str]:
    return _qbr_notes(*_key(), periods.label(quarter, "quarter"), scope_id)


@st.cache_data(max_entries=16, show_spinner=False)
def _qbr_notes(url: str, settings_json: str, version: str, quarter: str, scope_id: str) -> dict[str, str]:
    return notes.qbr_notes(open_store(Settings.model_validate_json(settings_json)), quarter, scope_id)


def save_qbr_note(quarter: date, scope_id: str, section: str, text: str) -> None:
    notes.save_qbr_note(store(), periods.label(quarter, "quarter"), scope_id, section, text)


# ---------------------------------------------------------------------------------------------
# Coverage


@st.cache_data(max_entries=4, show_spinner=False)
def _coverage(url: str, settings_json: str, version: str, day: date) -> pd.DataFrame:
    config = Settings.model_validate_json(settings_json)
    return coverage.coverage(coverage.read_tables(open_store(config), day), config, day)


def coverage_table() -> pd.DataFrame:
    """How much of the organisation each source covers (`dashboard.analysis.coverage`)."""
    return _coverage(*_key(), today())


@st.cache_data(max_entries=8, show_spinner=False)
def _rule_hits(url: str, settings_json: str, version: str, first: date, last: date) -> pd.DataFrame:
    current = Settings.model_validate_json(settings_json)
    return rule_hits.stored_rule_hits(open_store(current), current, first, last)


def stored_rule_hits(first: date, last: date) -> pd.DataFrame:
    """Synced calendar hours per classification rule, from `first` through `last` (`dashboard.analysis.rule_hits`)."""
    return _rule_hits(*_key(), first, last + timedelta(days=1))


def file_rule_hits(ics: bytes, owner_email: str) -> pd.DataFrame:
    """One uploaded ICS export classified with the configured rules; raises `IcsError` when unreadable."""
    return rule_hits.file_rule_hits(ics, settings(), owner_email.strip())


# --- check-ins -------------------------------------------------------------------------------

def checkin_kinds() -> dict[str, str]:
    """The check-in kinds in the data, id -> title: configured ones first, in their order, then the
    others, most frequent (the shortest cadence) first."""
    configured = {kind.id: kind.label for kind in settings().checkins.kinds}
    counts = _checkin_tables()["checkins"]["kind"].value_counts()
    present = sorted(counts.index, key=lambda kind: (-counts[kind], kind))
    ordered = [kind for kind in configured if kind in counts] + [kind for kind in present if kind not in configured]
    return {kind: configured.get(kind, kind.replace("_", " ").capitalize()) for kind in ordered}


def _scoped_teams(group: str | None, team: str | None) -> pd.DataFrame:
    chosen = teams()
    if team:
        return chosen[chosen["team_id"] == team]
    return chosen[chosen["group_name"] == group] if group else chosen


def checkin_board(kind: str, group: str | None, team: str | None, first: date, last: date) -> pd.DataFrame:
    """One kind's check-ins due in [first, last] in the scope, with state and evidence."""
    return _checkin_board(*_key(), kind, group, team, first, last)


@st.cache_data(max_entries=32, show_spinner=False)
def _checkin_board(url: str, settings_json: str, version: str, kind: str, group: str | None, team: str | None,
                   first: date, last: date) -> pd.DataFrame:
    """Cached: a click on a cell reruns the page, and the board need not be rebuilt for it."""
    return board(_tables(url, settings_json, version, CHECKIN_TABLES)["checkins"], _scoped_teams(group, team), kind, first, last)


def checkin_misses(group: str | None, team: str | None) -> pd.DataFrame:
    """What is missing now in the scope, per team and kind, and since when."""
    scoped = _scoped_teams(group, team)
    checkins = _checkin_tables()["checkins"]
    misses = open_misses(checkins[checkins["team_id"].isin(scoped["team_id"])])
    kinds = checkin_kinds()
    return pd.DataFrame({
        "Team": misses["team_id"].map(scoped.set_index("team_id")["name"]),
        "Check-in": misses["kind"].map(kinds),
        "Missing since": pd.to_datetime(misses["since"]).dt.strftime("%Y-%m-%d %H:%M UTC"),
        "Missed in a row": misses["missed"],
    })


def checkin_streaks(kind: str, group: str | None, team: str | None) -> pd.DataFrame:
    """Each team's current run of on-time check-ins of one kind, longest first."""
    scoped = _scoped_teams(group, team)
    checkins = _checkin_tables()["checkins"]
    runs = streaks(checkins[(checkins["kind"] == kind) & checkins["team_id"].isin(scoped["team_id"])])
    out = pd.DataFrame({"Team": runs["team_id"].map(scoped.set_index("team_id")["name"]),
                        "On time in a row": runs["streak"]})
    return out.sort_values(["On time in a row", "Team"], ascending=[False, True], ignore_index=True)


def checkin_rates(kind: str, grain: Grain, group: str | None, team: str | None, first: date, last: date) -> pd.DataFrame:
    """One kind's compliance, on-time rate and median lateness per period in the scope (the
    check-in metrics over that kind's check-ins only), newest period first."""
    return _checkin_rates(*_key(), kind, grain, group, team, first, last)


@st.cache_data(max_entries=32, show_spinner=False)
def _checkin_rates(url: str, settings_json: str, version: str, kind: str, grain: Grain, group: str | None,
                   team: str | None, first: date, last: date) -> pd.DataFrame:
    """Cached like the metric series: three metrics computed over a kind's check-ins on every rerun would
    repeat the same work for each click on the page."""
    scope, scope_id = ("team", team) if team else ("group", group) if group else ("org", ORG)
    shared = _tables(url, settings_json, version, CHECKIN_TABLES)
    tables = {name: frame.copy(deep=False) for name, frame in shared.items()}
    tables["checkins"] = shared["checkins"][shared["checkins"]["kind"] == kind]
    ids = ["checkin_compliance_rate", "checkin_on_time_rate", "checkin_median_lateness_hours"]
    series = compute_series(tables, Settings.model_validate_json(settings_json), grain, scope, first, last, ids)
    series = series[series["scope_id"] == scope_id]
    table = series.pivot(index="period_start", columns="metric_id", values="value").reindex(columns=ids)
    expected = series[series["metric_id"] == ids[0]].set_index("period_start")["n"]
    out = pd.DataFrame({
        "Period": [periods.label(start, grain) for start in table.index],
        "Expected": expected.reindex(table.index).astype(int).to_numpy(),
        **{METRICS[i].title: [METRICS[i].format(v) for v in table[i]] for i in ids},
    })
    return out.iloc[::-1].reset_index(drop=True)
