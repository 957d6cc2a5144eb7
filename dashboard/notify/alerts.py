"""Alerts: the `[[alerts]]` rules of prodops.toml, evaluated after every sync, each occurrence sent once.

A rule's evaluation finds occurrences: something that started at one moment and lasts (a team's
run of missed check-ins, a metric's run of periods beyond its line, a source's run of failed
syncs, a late release, an old request). Each has a stable key, `family@instance`: the family is
the thing (the team and kind, the release), the instance which time it happened, so a later run
of the same thing is a new occurrence and a repeat sync finds the same one.

`alert_state` holds one row per (rule, occurrence and destination): sent is never sent again,
failed is tried again by the next evaluation (the others still go), quiet (another occurrence of
the same family went to the same place less than `quiet_days` ago) is sent once the quiet period
is over, if it is still there. Each send is written down as soon as it is taken, as the digests'
sent-log does.

Every figure comes from where the pages read it: metric values from the published cells
(`Facts.series`, so a value hidden for a small group has no value here and raises nothing), the
records from `dashboard.analysis.bottlenecks` and `dashboard.derive.checkins.compliance`. A sync's
error text is what the Data page shows, which only product ops opens: only a destination whose
`[access]` role may read it gets it.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta

import pandas as pd

from dashboard.analysis.bottlenecks import release_records, request_records
from dashboard.analysis.scorecard import STATUS_LABEL, status
from dashboard.app import links
from dashboard.app.auth import PERMISSIONS, role_for
from dashboard.app.navigation import PAGES
from dashboard.core import periods
from dashboard.core.config import Alert, Settings
from dashboard.core.store import Store, SyncBusy, utc_now
from dashboard.derive.checkins.compliance import open_misses
from dashboard.metrics import METRICS, load_tables
from dashboard.metrics.registry import GROUPS
from dashboard.notify import alert_mail, chat, webhook
from dashboard.notify.facts import Facts
from dashboard.notify.health import ERROR_CHARS
from dashboard.notify.model import Link
from dashboard.notify.smtp import Mailer, SendError, password
from dashboard.pipeline.source import FAILED as RUN_FAILED
from dashboard.report.model import Section

log = logging.getLogger(__name__)

TABLE = "alert_state"
LOCK = "alerts"
SENT, FAILED, QUIET, SKIPPED, DRY = "sent", "failed", "quiet", "already sent", "would send"
EXIT_OK, EXIT_FAILED = 0, 1
BEYOND = {"target": {"near", "off"}, "band": {"off"}}
"""The scorecard statuses past a metric rule's line: short of the target, or beyond its tolerance too."""
RECENT_DAYS = 30
"""A release shipped longer ago than this is history, not news: release rules watch open ones and these."""
SHOWN_PERIODS = 4
"""The periods a metric alert shows, the newest first."""
PAGE_PATH = {page.file: page.url_path for page in PAGES}
LINK_QUARTERS = 4


@dataclass(frozen=True)
class Occurrence:
    """One thing a rule found: `columns` and `rows` are its evidence, as text; `url` opens it in the dashboard."""

    rule: Alert
    family: str
    instance: str
    title: str
    columns: list[str]
    rows: list[list[str]]
    url: str
    restricted: tuple[str, ...] = ()
    """Columns only a reader of the Data page may receive (a sync's error)."""

    @property
    def key(self) -> str:
        return f"{self.family}@{self.instance}"

    def for_reader(self, may_read_data: bool) -> Occurrence:
        """The evidence a destination may receive: without the restricted columns unless it reads the Data page."""
        if may_read_data or not self.restricted:
            return self
        keep = [k for k, column in enumerate(self.columns) if column not in self.restricted]
        return replace(self, columns=[self.columns[k] for k in keep], rows=[[row[k] for k in keep] for row in self.rows],
                       restricted=())


@dataclass(frozen=True)
class Outcome:
    rule: str
    occurrence: str
    to: str
    status: str
    detail: str = ""

    def log_line(self) -> str:
        """One structured line per alert and destination for the log: no credentials, no evidence."""
        return json.dumps({"event": "alert", **asdict(self)})


@dataclass
class Context:
    """What every rule reads, once per evaluation."""

    store: Store
    settings: Settings
    today: date
    now: datetime
    facts: Facts = field(init=False)

    def __post_init__(self) -> None:
        self.facts = Facts(self.store, self.settings, self.today)
        self._tables: dict[str, pd.DataFrame] | None = None

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        if self._tables is None:
            self._tables = load_tables(self.store)
        return self._tables

    def name(self, scope_id: str) -> str:
        return self.facts.names.get(scope_id, scope_id)

    def url(self, page: str, grain: str = "month", group: str | None = None, team: str | None = None) -> str:
        """A page of the dashboard on the last quarters, as a digest's links open it."""
        last = periods.floor_date(self.today, "quarter")
        first = max(periods.quarters_back(last, LINK_QUARTERS), self.facts.first)
        return links.page_url(self.settings.digest.base_url, PAGE_PATH[page],
                              links.filter_params(first, last, grain, group, team))


# -- the rules -----------------------------------------------------------------------------------------

def _last_whole(today: date, grain: str, week_start: str) -> date:
    running = periods.floor_date(today, grain, week_start)
    return periods.floor_date(running - timedelta(days=1), grain, week_start)


def _metric(rule, ctx: Context) -> list[Occurrence]:
    """Each watched scope whose last whole period's published value is past the line, keyed by the run's first period."""
    metric, target = METRICS[rule.metric], ctx.settings.targets[rule.metric]
    series = ctx.facts.series(rule.grain, rule.scope)
    last = _last_whole(ctx.today, rule.grain, ctx.settings.week_start)
    cells = series[(series["metric_id"] == metric.id) & (pd.to_datetime(series["period_start"]) <= pd.Timestamp(last))]
    watched = [rule.scope_id or "org"] if rule.scope == "org" or rule.scope_id else sorted(cells["scope_id"].unique())
    found = []
    for scope_id in watched:
        mine = cells[cells["scope_id"] == scope_id].sort_values("period_start", ascending=False)
        states = [status(metric, None if pd.isna(value) else float(value), target) for value in mine["value"]]
        if mine.empty or pd.Timestamp(mine["period_start"].iloc[0]) != pd.Timestamp(last):
            continue
        run = next((k for k, state in enumerate(states) if state not in BEYOND[rule.crosses]), len(states))
        if run == 0:
            continue
        since = pd.Timestamp(mine["period_start"].iloc[run - 1]).date()
        rows = [[periods.label(pd.Timestamp(start).date(), rule.grain), metric.format(None if pd.isna(v) else float(v)),
                 "" if pd.isna(n) else str(int(n)), STATUS_LABEL[state]]
                for start, v, n, state in zip(mine["period_start"], mine["value"], mine["n"], states)][:SHOWN_PERIODS]
        group, team = _filters(ctx, rule.scope, scope_id)
        sign = "≥" if metric.better == "higher" else "≤"
        found.append(Occurrence(
            rule, f"{metric.id}:{rule.scope}:{scope_id}", periods.label(since, rule.grain),
            f"{metric.title} in {ctx.name(scope_id)}: {rows[0][1]} against a target {sign} {metric.format(target.target)}"
            f" since {periods.label(since, rule.grain)}",
            ["Period", "Value", "n", "Status"], rows, ctx.url(_page(metric), rule.grain, group, team)))
    return found


def _page(metric) -> str:
    """The page that shows a metric: its group's, or the Overview for a group without a page."""
    return GROUPS[metric.signal].page if metric.signal in GROUPS else "overview.py"


def _filters(ctx: Context, scope: str, scope_id: str) -> tuple[str | None, str | None]:
    if scope == "team":
        return ctx.facts.group_of.get(scope_id), scope_id
    return (scope_id, None) if scope == "group" else (None, None)


def _missed_checkins(rule, ctx: Context) -> list[Occurrence]:
    """Each team and check-in kind whose latest `n` or more check-ins are missing, keyed by the run's first period."""
    checkins = ctx.tables["checkins"]
    if rule.checkin:
        checkins = checkins[checkins["kind"] == rule.checkin]
    misses = open_misses(checkins)
    misses = misses[misses["missed"] >= rule.n]
    title_of = ctx.settings.checkins.title_of
    found = []
    for miss in misses.itertuples():
        since = pd.Timestamp(miss.since_period).date()
        team = ctx.name(miss.team_id)
        found.append(Occurrence(
            rule, f"{miss.team_id}|{miss.kind}", since.isoformat(),
            f"{team} missed {miss.missed} {title_of(miss.kind)} check-ins in a row",
            ["Team", "Check-in", "Missing since (UTC)", "Missed in a row"],
            [[team, title_of(miss.kind), f"{pd.Timestamp(miss.since):%Y-%m-%d %H:%M}", str(miss.missed)]],
            ctx.url("checkins.py", "week", ctx.facts.group_of.get(miss.team_id), miss.team_id)))
    return found


def _releases(ctx: Context) -> pd.DataFrame:
    """Every release not shipped yet and those shipped in the last `RECENT_DAYS`, as the records panels list them
    (a release re-planned again and again before its first date comes is one to hear about)."""
    first = ctx.today - timedelta(days=RECENT_DAYS)
    return release_records(ctx.tables, ctx.settings, "org", "org", first, ctx.today + timedelta(days=1), ctx.today,
                           unshipped=True)


def _release_occurrence(rule, ctx: Context, row: dict, title: str) -> Occurrence:
    team = ctx.name(row["Team"])
    return Occurrence(
        rule, f"{row['Team']}|{row['Release']}", rule.kind, title,
        ["Release", "Team", "First plan", "Latest plan", "Released", "Days late", "Re-plans"],
        [[str(row["Release"]), team, row["First plan"] or "", row["Latest plan"] or "", row["Released"] or "not yet",
          f"{row['Days late']:.0f}", str(row["Re-plans"])]],
        ctx.url("releases.py", "month", ctx.facts.group_of.get(row["Team"]), row["Team"]))


def _release_replanned(rule, ctx: Context) -> list[Occurrence]:
    rows = _releases(ctx)
    return [_release_occurrence(rule, ctx, row, f"Release {row['Release']} was re-planned {row['Re-plans']} times")
            for row in rows[rows["Re-plans"] >= rule.k].to_dict("records")]


def _release_slip(rule, ctx: Context) -> list[Occurrence]:
    rows = _releases(ctx)
    late = rows[pd.to_numeric(rows["Days late"]) > rule.days]
    return [_release_occurrence(rule, ctx, row, f"Release {row['Release']} is {row['Days late']:.0f} days past its first plan")
            for row in late.to_dict("records")]


def _request_age(rule, ctx: Context) -> list[Occurrence]:
    """Open data requests older than `days`, as the Insights page's records list them."""
    items = ctx.tables["work_items"]
    created = pd.to_datetime(items.loc[items["kind"] == "data_request", "created"])
    if created.empty:
        return []
    rows = request_records(METRICS["data_requests_per_pm"], ctx.tables, ctx.settings, "org", "org",
                           created.min().date(), ctx.today + timedelta(days=1), ctx.today, "month")
    old = rows[(rows["State"] == "open") & (pd.to_numeric(rows["Days"]) > rule.days)]
    found = []
    for row in old.itertuples():
        team = ctx.name(row.Team) if isinstance(row.Team, str) else ""
        found.append(Occurrence(
            rule, str(row.Request), f"open>{rule.days}d", f"Data request {row.Request} has been open {row.Days:.0f} days",
            ["Request", "Team", "Created", "Status", "Days open"],
            [[str(row.Request), team, str(row.Created), str(row.Status), f"{row.Days:.0f}"]],
            ctx.url("insights.py", "month")))
    return found


def _sync_failing(rule, ctx: Context) -> list[Occurrence]:
    """Each source whose runs since its last success all failed, the first of them over `hours` ago."""
    runs = ctx.store.table("sync_runs")
    runs = runs[~runs["source"].str.contains(":", regex=False)]
    if rule.source:
        runs = runs[runs["source"] == rule.source]
    found = []
    for source, mine in runs.sort_values("started_at").groupby("source"):
        ok = mine[mine["status"] != RUN_FAILED]
        failing = mine[pd.to_datetime(mine["started_at"]) > pd.to_datetime(ok["started_at"]).max()] if len(ok) else mine
        if failing.empty or failing["status"].iloc[-1] != RUN_FAILED:
            continue
        since = pd.Timestamp(failing["started_at"].iloc[0])
        if ctx.now - since.to_pydatetime() <= timedelta(hours=rule.hours):
            continue
        error = str(failing["error"].iloc[-1] or "")[:ERROR_CHARS]
        found.append(Occurrence(
            rule, str(source), f"{since:%Y-%m-%dT%H:%M:%S}", f"Syncs of {source} have failed since {since:%d %b %Y %H:%M} UTC",
            ["Source", "Failing since (UTC)", "Failed runs", "Last error"],
            [[str(source), f"{since:%Y-%m-%d %H:%M}", str(len(failing)), error]],
            ctx.url("data.py"), restricted=("Last error",)))
    return found


RULES: dict[str, Callable[[Alert, Context], list[Occurrence]]] = {
    "metric": _metric, "missed_checkins": _missed_checkins, "release_replanned": _release_replanned,
    "release_slip": _release_slip, "request_age": _request_age, "sync_failing": _sync_failing,
}


def evaluate(ctx: Context) -> list[Occurrence]:
    """Every occurrence every rule finds now."""
    unknown = [rule.metric for rule in ctx.settings.alerts if rule.kind == "metric" and rule.metric not in METRICS]
    if unknown:
        raise ValueError(f"[[alerts]]: no metric is called {unknown[0]!r}")
    return [found for rule in ctx.settings.alerts for found in RULES[rule.kind](rule, ctx)]


# -- who may read what -------------------------------------------------------------------------------

def may_read_data(settings: Settings, destination: str) -> bool:
    """Whether the destination's `[access]` role opens the Data page. A chat channel is read by whoever is
    in it, and an address `[access]` does not name has no role, so neither does."""
    if "@" not in destination:
        return False
    role = role_for(settings.access, destination)
    return role is not None and "data" in PERMISSIONS[role]


# -- state -----------------------------------------------------------------------------------------------

def state_id(found: Occurrence, destination: str) -> str:
    """The `occurrence` column: the key and where it goes, so a destination that failed is retried alone."""
    return f"{found.key}|{destination}"


def read_state(store: Store) -> pd.DataFrame:
    if not store.has_table(TABLE):
        return pd.DataFrame(columns=["rule_id", "occurrence", "status", "first_seen_at", "sent_at", "attempts", "evidence"])
    return store.query(f"SELECT * FROM {TABLE}")


def _quiet(state: pd.DataFrame, found: Occurrence, destination: str, now: datetime) -> bool:
    """Whether another occurrence of the same family went to this destination within the rule's quiet period."""
    if not found.rule.quiet_days:
        return False
    mine = state[(state["rule_id"] == found.rule.id) & (state["status"] == SENT)
                 & (state["occurrence"] != state_id(found, destination))]
    since = now - timedelta(days=found.rule.quiet_days)
    for evidence, sent_at in zip(mine["evidence"], mine["sent_at"]):
        about = json.loads(evidence or "{}")
        if about.get("family") == found.family and about.get("to") == destination and pd.Timestamp(sent_at) > since:
            return True
    return False


def _evidence(found: Occurrence, destination: str) -> str:
    """What was found, as sent to this destination (the restricted columns only where they went)."""
    shown = found.for_reader(False)
    return json.dumps({"family": found.family, "to": destination, "title": found.title, "url": found.url,
                       "columns": shown.columns, "rows": shown.rows})


def record(store: Store, found: Occurrence, destination: str, state: str, now: datetime, error: str | None = None) -> None:
    """Write down one occurrence's state at one destination, in a transaction of its own."""
    key = state_id(found, destination)
    with store.transaction() as tx:
        before = tx.query(f"SELECT first_seen_at, attempts, sent_at FROM {TABLE} WHERE rule_id = ? AND occurrence = ?",
                          [found.rule.id, key])
        tried = state in (SENT, FAILED)
        attempts = (int(before["attempts"].iloc[0] or 0) if len(before) else 0) + int(tried)
        tx.upsert(TABLE, pd.DataFrame([{
            "rule_id": found.rule.id, "occurrence": key, "status": state,
            "first_seen_at": before["first_seen_at"].iloc[0] if len(before) else now, "last_seen_at": now,
            "sent_at": now if state == SENT else None, "attempts": attempts, "error": error,
            "evidence": _evidence(found, destination),
        }]))


# -- one evaluation --------------------------------------------------------------------------------

@dataclass
class Pending:
    found: Occurrence
    to: str


def run(store: Store, settings: Settings, today: date, *, send: bool, now: datetime | None = None,
        mailer: Callable[[], Mailer] | None = None, say: Callable[[str], None] = print) -> list[Outcome]:
    """Evaluate every rule and send (or with `send=False` only list) what is new; `say` prints each outcome.

    Raises `SyncBusy` when another evaluation holds the lock, `SendError` when no password is found for a login.
    """
    with store.sync_lock(LOCK):
        return _run(Context(store, settings, today, now or utc_now()), send, mailer, say)


def _run(ctx: Context, send: bool, mailer: Callable[[], Mailer] | None, say: Callable[[str], None]) -> list[Outcome]:
    state = read_state(ctx.store)
    done = {(rule, key): status for rule, key, status in zip(state["rule_id"], state["occurrence"], state["status"])}
    outcomes, pending = [], []
    for found in evaluate(ctx):
        for destination in found.rule.to:
            key = state_id(found, destination)
            if done.get((found.rule.id, key)) == SENT:
                outcomes.append(Outcome(found.rule.id, found.key, destination, SKIPPED))
            elif _quiet(state, found, destination, ctx.now):
                if send and done.get((found.rule.id, key)) != QUIET:
                    record(ctx.store, found, destination, QUIET, ctx.now)
                outcomes.append(Outcome(found.rule.id, found.key, destination, QUIET, f"quiet for {found.rule.quiet_days:g} days"))
            else:
                pending.append(Pending(found, destination))
    for outcome in outcomes:
        say(outcome.log_line())
    if not send:
        for item in pending:
            outcomes.append(Outcome(item.found.rule.id, item.found.key, item.to, DRY, item.found.title))
            say(outcomes[-1].log_line())
        return outcomes
    emails = [item for item in pending if "@" in item.to]
    client = (mailer or (lambda: _mailer(ctx.settings)))() if emails else None
    try:
        for item in pending:
            outcomes.append(_deliver(ctx, item, client))
            say(outcomes[-1].log_line())
    finally:
        if client is not None:
            client.close()
    return outcomes


def _deliver(ctx: Context, item: Pending, client: Mailer | None) -> Outcome:
    shown = item.found.for_reader(may_read_data(ctx.settings, item.to))
    try:
        if client is not None and "@" in item.to:
            client.send(alert_mail.message(shown, item.to, ctx.settings.digest.smtp.sender, ctx.today))
        else:
            post_webhook(ctx.settings, item.to, shown, ctx.today)
    except SendError as error:
        record(ctx.store, item.found, item.to, FAILED, ctx.now, str(error))
        return Outcome(item.found.rule.id, item.found.key, item.to, FAILED, str(error))
    record(ctx.store, item.found, item.to, SENT, ctx.now)
    return Outcome(item.found.rule.id, item.found.key, item.to, SENT, item.found.title)


def post_webhook(settings: Settings, destination: str, found: Occurrence, today: date) -> None:
    """Post an alert to a "slack:<name>" or "teams:<name>" destination as the digests' chat messages are
    drawn: its title, its evidence as one table, a button to the view; raises `SendError` when it was not taken."""
    kind, name = destination.split(":", 1)
    hook = settings.digest.webhooks[name]
    content = chat.Message(alert_mail.SUBJECT.format(title=found.title), today,
                           [Section("alert", found.title, tables=[alert_mail.evidence(found)])],
                           Link("Open it in the dashboard", found.url))
    webhook.post(hook, webhook.address(name, hook), chat.compose(content, kind), name=name)


def _mailer(settings: Settings) -> Mailer:
    config = settings.digest.smtp
    return Mailer(config, password(config))


def exit_code(outcomes: list[Outcome]) -> int:
    return EXIT_FAILED if any(outcome.status == FAILED for outcome in outcomes) else EXIT_OK


def after_sync(store: Store, settings: Settings, now: datetime | None = None,
               say: Callable[[str], None] = log.info) -> list[Outcome] | None:
    """Evaluate and send the alerts after a sync, whatever its outcome; never raises, so no alert fails a sync.

    Another evaluation still going (another source's sync, a cron run of `alerts`) is left to send:
    this one does nothing.
    """
    try:
        return run(store, settings, periods.today(settings.org_timezone), send=True, now=now, say=say)
    except SyncBusy:
        log.info("alerts: another evaluation is running; this sync's is skipped")
    except Exception:  # an alert's failure is logged, never the sync's
        log.exception("alerts: the evaluation after the sync failed")
    return None
