"""What each subscriber's digest says: the view their role may see, built from the published cells.

- **VP** (the organisation): each signal's verdict, what to look at (the worst flagged
  bottlenecks, one per signal and place, as the Overview names them), and each signal's lead
  metric over the last weeks or months.
- **Lead** (one group or team): their scope's verdicts beside the organisation's, their scope's
  lead metrics of the last whole quarter against the organisation's, the bottlenecks inside
  their scope, and the lead metrics' trend with the organisation as the reference line. Nothing
  about another group or team: no peers' median either (it is one of them), only the organisation.
- **Product ops** (the organisation): the flagged bottlenecks, and the data's health.

Every number is read from `Facts`, whose series are the published cells: a hidden value has no
value there, and its n none either, so it reaches no digest.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pandas as pd

from dashboard.analysis import bottlenecks
from dashboard.analysis.scorecard import STATUS_LABEL, Card, cards
from dashboard.analysis.verdict import RULE, Verdict, verdict
from dashboard.app import links
from dashboard.app.navigation import PAGES
from dashboard.charts import trends
from dashboard.core import periods
from dashboard.core.config import Subscription
from dashboard.core.periods import Grain, quarter_label
from dashboard.core.words import NO_VALUE
from dashboard.metrics import METRICS, SIGNALS, Metric, Scope
from dashboard.notify.facts import Facts
from dashboard.notify.model import Digest, Link
from dashboard.report.content import signal_short
from dashboard.report.model import Chart, Section, Table

ORG = "org"
LOOK_AT = 3
"""Bottlenecks a VP's or a lead's digest names, as the Overview does."""
OPS_BOTTLENECKS = 10
"""Bottlenecks product ops' digest lists."""
TREND_PERIODS = {"week": 13, "month": 12}
"""How far back a digest's charts reach: a quarter of weeks, a year of months."""
HIDDEN = "Hidden by privacy rules"
PAGE_PATH = {page.file: page.url_path for page in PAGES}
URL_QUARTERS = 4
"""The quarters a digest's link shows, the running one included."""


def reporting_period(cadence: str, today: date, week_start: str = "monday") -> tuple[Grain, date]:
    """The grain of a cadence and the last whole period of it before `today`."""
    grain: Grain = "week" if cadence == "weekly" else "month"
    running = periods.floor_date(today, grain, week_start)
    return grain, periods.floor_date(running - timedelta(days=1), grain, week_start)


def period_text(grain: Grain, start: date) -> str:
    return f"week of {start:%d %b %Y}" if grain == "week" else f"{start:%B %Y}"


def build(subscription: Subscription, facts: Facts) -> Digest:
    """One subscriber's digest of the last whole week or month, as of `facts.today`."""
    grain, period = reporting_period(subscription.cadence, facts.today, facts.settings.week_start)
    sections = SECTIONS[subscription.role](subscription, facts, grain, period)
    overview = _view_url(facts, "overview.py", subscription, grain)
    name = facts.names.get(subscription.scope_id, subscription.scope_id)
    return Digest(subscription, period, period_text(grain, period), name, facts.today, sections,
                  Link(f"Open {name} in the dashboard", overview))


# -- the sections of each role --------------------------------------------------------------------

def _vp(subscription: Subscription, facts: Facts, grain: Grain, period: date) -> list[Section]:
    return [_verdict_section(facts, "org", ORG), _look_at(facts, subscription, LOOK_AT, peers=True),
            _trends(facts, "org", ORG, grain, period)]


def _lead(subscription: Subscription, facts: Facts, grain: Grain, period: date) -> list[Section]:
    scope, scope_id = subscription.scope, subscription.scope_id
    return [_verdict_section(facts, scope, scope_id, against_org=True), _against_org(facts, scope, scope_id),
            _look_at(facts, subscription, LOOK_AT, peers=False), _trends(facts, scope, scope_id, grain, period)]


def _ops(subscription: Subscription, facts: Facts, grain: Grain, period: date) -> list[Section]:
    return [_look_at(facts, subscription, OPS_BOTTLENECKS, peers=True), _health(facts)]


SECTIONS: dict[str, Callable[[Subscription, Facts, Grain, date], list[Section]]] = {
    "vp": _vp, "lead": _lead, "ops": _ops,
}


# -- verdicts ----------------------------------------------------------------------------------------

def verdicts(facts: Facts, scope: Scope, scope_id: str) -> list[Verdict]:
    """Each signal's verdict for one scope, from its lead metric's published cells (as the Overview's)."""
    return facts.shared(("verdicts", scope, scope_id), lambda: _verdicts(facts, scope, scope_id))


def _verdicts(facts: Facts, scope: Scope, scope_id: str) -> list[Verdict]:
    monthly, weekly = (facts.cells(grain, scope, scope_id) for grain in ("month", "week"))
    return [
        verdict(key, signal.question, METRICS[signal.lead], monthly[monthly["metric_id"] == signal.lead],
                weekly[weekly["metric_id"] == signal.lead], facts.today, facts.settings.week_start)
        for key, signal in SIGNALS.items()
    ]


def _verdict_records(found: Verdict, scope_id: str) -> dict:
    year = found.year
    return {"kind": "verdict", "section": "verdicts", "signal": found.signal, "metric_id": year.metric.id,
            "scope_id": scope_id, "outcome": found.outcome, "value": year.mean_after,
            "compared_value": year.mean_before, "low": year.low, "high": year.high}


def _verdict_section(facts: Facts, scope: Scope, scope_id: str, against_org: bool = False) -> Section:
    mine = verdicts(facts, scope, scope_id)
    columns, rows, records = ["Signal", "Verdict", "Why"], [], []
    org = verdicts(facts, "org", ORG) if against_org else []
    if against_org:
        columns = ["Signal", "Verdict", "Organisation", "Why"]
    for k, found in enumerate(mine):
        row = [f"{signal_short(found.signal)} · {found.question}", found.outcome.capitalize(), found.year.reason()]
        records.append(_verdict_records(found, scope_id))
        if against_org:
            row.insert(2, org[k].outcome.capitalize())
            records.append(_verdict_records(org[k], ORG))
        rows.append(row)
    name = facts.names.get(scope_id, scope_id)
    return Section("verdicts", "Verdicts", f"{name}: did each signal improve, hold or worsen this year?",
                   tables=[Table("Verdicts", columns, rows, records, empty="No signal has data yet.")], footnotes=[RULE])


# -- a lead's scope against the organisation --------------------------------------------------------

def _card(facts: Facts, metric: Metric, scope: Scope, scope_id: str) -> Card:
    def make() -> Card:
        quarter = facts.quarter
        quarterly = facts.cells("quarter", scope, scope_id)
        return cards([metric], quarterly, scope_id, quarter, periods.quarters_back(quarter, 2), facts.settings.targets)[0]

    return facts.shared(("card", metric.id, scope, scope_id), make)


def _card_record(card: Card, scope_id: str, quarter: date) -> dict:
    return {"kind": "scorecard", "section": "against", "metric_id": card.metric.id, "scope_id": scope_id,
            "grain": "quarter", "period": periods.label(quarter, "quarter"),
            "value": None if card.hidden else card.value, "n": None if card.hidden else card.n}


def _against_org(facts: Facts, scope: Scope, scope_id: str) -> Section:
    name = facts.names.get(scope_id, scope_id)
    rows, records, tones = [], [], []
    for signal in SIGNALS.values():
        metric = METRICS[signal.lead]
        mine, org = _card(facts, metric, scope, scope_id), _card(facts, metric, "org", ORG)
        rows.append([metric.title, HIDDEN if mine.hidden else mine.value_text(), org.value_text(),
                     mine.target_text() or NO_VALUE, NO_VALUE if mine.hidden else STATUS_LABEL[mine.status],
                     NO_VALUE if mine.hidden or mine.n is None else str(mine.n)])
        tones.append(None if mine.hidden else mine.status)
        records += [_card_record(mine, scope_id, facts.quarter), _card_record(org, ORG, facts.quarter)]
    return Section("against", f"{name} against the organisation",
                   f"Each signal's lead metric in {quarter_label(facts.quarter)}",
                   tables=[Table("Against the organisation", ["Metric", name, "Organisation", "Target", "Status", "n"],
                                 rows, records, tones)],
                   footnotes=["n is what the value stands on; a value over too few people is hidden by the privacy rules."])


# -- bottlenecks ---------------------------------------------------------------------------------------

def in_scope(ranked: pd.DataFrame, scope: Scope, scope_id: str) -> pd.DataFrame:
    """The ranked rows a subscriber of this scope may read: all of them for the organisation, a
    group and its teams for a group, the team alone for a team."""
    if scope == "team":
        return ranked[(ranked["scope"] == "team") & (ranked["scope_id"] == scope_id)]
    if scope == "group":
        return ranked[ranked["group"] == scope_id]
    return ranked


def _look_at(facts: Facts, subscription: Subscription, count: int, peers: bool) -> Section:
    scope, scope_id = subscription.scope, subscription.scope_id
    rows = in_scope(facts.ranked, scope, scope_id)
    rows = rows[rows["flagged"]]
    if count == LOOK_AT:
        rows = bottlenecks.one_per_signal_and_place(rows, METRICS)
    rows = rows.head(count).reset_index(drop=True)
    shown = bottlenecks.display(rows, METRICS, facts.names)
    quarter = quarter_label(facts.quarter)
    columns = ["Metric", "Where", "Value", *(["Peers"] if peers else []), "Since", "n"]
    table_rows, records = [], []
    for row, item in zip(rows.itertuples(), shown.itertuples()):
        url = _bottleneck_url(facts, subscription, item.id)
        table_rows.append([item.metric, item.where, item.value, *([item.peers] if peers else []),
                           item.quarters, item.n])
        records.append({"kind": "bottleneck", "section": "look_at", "metric_id": row.metric_id, "scope_id": row.scope_id,
                        "grain": "quarter", "period": periods.label(facts.quarter, "quarter"), "value": row.value,
                        "n": int(row.n), "url": url})
    return Section("look_at", "What to look at", f"The worst flagged bottlenecks of {quarter}",
                   tables=[Table("Bottlenecks", columns, table_rows, records, ["worse"] * len(table_rows),
                                 empty=f"Nothing flagged in {quarter}.")],
                   footnotes=[f"Flagged: at least {bottlenecks.FLAG} spreads worse than the peers' median."])


# -- trends ----------------------------------------------------------------------------------------------

def _trends(facts: Facts, scope: Scope, scope_id: str, grain: Grain, period: date) -> Section:
    """Each signal's lead metric up to the reported period, the organisation as reference for a group or team."""
    first = period
    for _ in range(TREND_PERIODS[grain] - 1):
        first = periods.floor_date(first - timedelta(days=1), grain, facts.settings.week_start)
    end = periods.next_start(period, grain)
    names = facts.names
    section = Section("trends", "Trends", f"Each signal's lead metric by {grain}, through {period_text(grain, period)}")
    for key, signal in SIGNALS.items():
        metric = METRICS[signal.lead]
        reference = ORG if scope != "org" and metric.unit != "count" else None
        parts = [(scope, scope_id), *([("org", ORG)] if reference else [])]
        frame = pd.concat([_window(facts.cells(grain, level, level_id), metric.id, level_id, first, end)
                           for level, level_id in parts], ignore_index=True)
        frame = frame.assign(name=frame["scope_id"].map(lambda i: names.get(i, i)))
        marks = facts.annotations
        marks = marks[marks["scope"].isin({ORG, scope_id})] if not marks.empty else marks
        target = facts.settings.targets.get(metric.id)
        figure = trends.trend(metric, frame, grain=grain, annotations=marks, target=target.target if target else None,
                              reference=reference, height=320, plot_px=trends.TILE_PLOT_PX)
        section.charts.append(Chart(f"{key}-{metric.id}-{scope_id}-{grain}", metric.title, figure, metric.definition,
                                    _chart_records(frame, metric, grain)))
    return section


def _window(series: pd.DataFrame, metric_id: str, scope_id: str, first: date, end: date) -> pd.DataFrame:
    rows = series[(series["metric_id"] == metric_id) & (series["scope_id"] == scope_id)]
    return rows[(rows["period_start"] >= first) & (rows["period_start"] < end)]


def _chart_records(frame: pd.DataFrame, metric: Metric, grain: Grain) -> list[dict]:
    return [{"kind": "chart", "section": "trends", "metric_id": metric.id, "scope_id": scope_id, "grain": grain,
             "period": periods.label(start, grain), "value": None if pd.isna(value) else float(value),
             "n": None if pd.isna(n) else int(n)}
            for scope_id, start, value, n in zip(frame["scope_id"], frame["period_start"], frame["value"], frame["n"])]


# -- the data's health -----------------------------------------------------------------------------------

def _health(facts: Facts) -> Section:
    health = facts.health
    url = links.page_url(facts.settings.digest.base_url, PAGE_PATH["data.py"], {})
    tables = [
        Table("Sources whose last sync failed", ["Source", "Started (UTC)", "Error"],
              [[row.source, f"{pd.Timestamp(row.started_at):%d %b %Y %H:%M}", row.error or NO_VALUE]
               for row in health.failed.itertuples()],
              [{"kind": "health", "what": "failed", "source": row.source, "url": url} for row in health.failed.itertuples()],
              empty="Every source's last sync succeeded."),
        Table("Calendars quarantined by the last sync", ["Source", "Where and why"],
              [[row.source, row.error or NO_VALUE] for row in health.quarantined.itertuples()],
              [{"kind": "health", "what": "quarantined", "source": row.source, "url": url}
               for row in health.quarantined.itertuples()],
              empty="No calendar was set aside."),
        Table("People and teams the roster does not know", ["Source", "Kind", "Identities", "Rows"],
              [[row.source, row.kind, str(row.identities), str(row.rows)] for row in health.unmatched.itertuples()],
              [{"kind": "health", "what": "unmatched", "source": row.source, "url": url}
               for row in health.unmatched.itertuples()],
              empty="Every person and team a source names is on the roster."),
    ]
    return Section("health", "The data's health", "What the Data page flags", tables=tables,
                   footnotes=[f"Details and fixes: {url}"])


# -- links -------------------------------------------------------------------------------------------------

def _scope_filters(facts: Facts, subscription: Subscription) -> tuple[str | None, str | None]:
    team = subscription.team
    return (facts.group_of.get(team) if team else subscription.group), team


def _view_url(facts: Facts, page: str, subscription: Subscription, grain: Grain, last_quarter: date | None = None,
              extra: dict[str, str] | None = None) -> str:
    group, team = _scope_filters(facts, subscription)
    last = last_quarter or periods.floor_date(facts.today, "quarter")
    first = max(periods.quarters_back(last, URL_QUARTERS), facts.first)
    params = {**links.filter_params(first, last, grain, group, team), **(extra or {})}
    return links.page_url(facts.settings.digest.base_url, PAGE_PATH[page], params)


def _bottleneck_url(facts: Facts, subscription: Subscription, row_id: str) -> str:
    """The Bottlenecks page on the ranked quarter, looking into this row (as the Overview's links)."""
    return _view_url(facts, "bottlenecks.py", subscription, "quarter", facts.quarter, {"focus": row_id})
