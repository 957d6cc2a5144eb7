"""The quarterly business review as content: sections of tables, charts and notes, independent
of any format. The QBR page draws it and each writer (`to_pptx`, `to_pdf`, `to_markdown`,
`to_csv`) turns the same object into a file, so every format carries the same numbers.

The numbers are the quarterly metric series, exactly as `python -m dashboard metrics --grain
quarter` prints them; formatting uses each metric's own declaration. A QBR reviews complete
quarters only (`complete_quarters`): a running quarter against a whole one is not like with
like (see `dashboard.analysis.scorecard`).
"""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from dashboard.analysis import compare
from dashboard.analysis.scorecard import STATUS_LABEL, Card, cards, format_delta
from dashboard.charts import quarters
from dashboard.charts.trends import TILE_PLOT_PX
from dashboard.core import periods
from dashboard.core.config import Settings
from dashboard.core.periods import quarter_label
from dashboard.metrics import METRICS, SIGNALS, Metric, Scope
from dashboard.report import summary
from dashboard.report.model import Chart, Inputs, Report, Section, Table

SCORE_COLUMNS = ["Metric", "{this}", "{previous}", "Change", "{year_ago}", "Target", "Status", "n"]
MOVER_COLUMNS = ["Metric", "Where", "{previous}", "{this}", "Change", "n"]
SCORE_WIDTHS = [0.30, 0.09, 0.09, 0.09, 0.09, 0.15, 0.13, 0.06]
SIGNAL_WIDTH = 0.07
MOVER_WIDTHS = [0.31, 0.19, 0.12, 0.12, 0.15, 0.11]


def parse_quarter(text: str) -> date:
    """"2026Q3" (or "2026-Q3") as the quarter's first day; ValueError otherwise."""
    cleaned = text.strip().upper().replace("-", "")
    year, _, number = cleaned.partition("Q")
    if not (year.isdigit() and number in ("1", "2", "3", "4")):
        raise ValueError(f"not a quarter: {text!r} (expected e.g. 2026Q3)")
    return date(int(year), 3 * int(number) - 2, 1)


LATE_START_DAYS = 7
"""A quarter whose data begins later than this into it is not reviewed: a pack rating metrics on
a few days of data (n = 0, "on target") says nothing true."""


def complete_quarters(quarters: list[date], today: date, first_record: date | None = None) -> list[date]:
    """The quarters that have ended by `today` and whose data (from `first_record` on) covers them."""
    return [
        q for q in quarters
        if periods.next_start(q, "quarter") - timedelta(days=1) <= today
        and (first_record is None or first_record <= q + timedelta(days=LATE_START_DAYS))
    ]


def quarter_end(quarter: date) -> date:
    return periods.next_start(quarter, "quarter") - timedelta(days=1)


def signal_short(signal: str) -> str:
    """A signal as a table's first column shows it: "S1" ... "S4", "Check-ins", or its id for one
    without a short name yet (the four mistakes' "ops")."""
    return "Check-ins" if signal == "checkins" else signal


def section_ids() -> list[str]:
    """Every section a report has, in order: the ids notes are stored under."""
    return ["summary", "where", "scorecard", *SIGNALS, "movers"]


def _score_columns(report_quarter: date) -> list[str]:
    names = {
        "this": quarter_label(report_quarter),
        "previous": quarter_label(periods.quarters_back(report_quarter, 2)),
        "year_ago": quarter_label(periods.quarters_back(report_quarter, 5)),
    }
    return [column.format(**names) for column in SCORE_COLUMNS]


def _score_table(title: str, card_list: list[Card], quarter: date, scope_id: str, signal_column: bool = False) -> Table:
    previous = periods.quarters_back(quarter, 2)
    columns = _score_columns(quarter)
    rows, records, tones = [], [], []
    for card in card_list:
        metric = card.metric
        status = "hidden" if card.hidden else card.status
        rows.append([
            metric.title, card.value_text(), metric.format(card.previous), card.delta_text() or "–",
            metric.format(card.year_ago), card.target_text() or "–",
            "Hidden by privacy rules" if card.hidden else STATUS_LABEL[card.status],
            str(card.n) if not card.hidden else "–",
        ])
        tones.append(None if card.hidden else card.status)
        records.append({
            "kind": "scorecard", "section": metric.signal, "metric_id": metric.id, "metric": metric.title,
            "scope_id": scope_id, "period": periods.label(quarter, "quarter"), "value": card.value,
            "n": None if card.hidden else card.n, "compared_period": periods.label(previous, "quarter"),
            "compared_value": card.previous, "change": card.delta,
            "year_ago_value": card.year_ago, "target": card.target.target if card.target else None, "status": status,
        })
    widths = SCORE_WIDTHS
    if signal_column:
        columns = ["Signal", *columns]
        rows = [[signal_short(card.metric.signal), *row] for card, row in zip(card_list, rows)]
        widths = [SIGNAL_WIDTH, SCORE_WIDTHS[0] - SIGNAL_WIDTH, *SCORE_WIDTHS[1:]]
    return Table(title, columns, rows, records, tones, widths)


def _mover_table(title: str, frame: pd.DataFrame, quarter: date, names: dict[str, str], kind: str) -> Table:
    previous = periods.quarters_back(quarter, 2)
    columns = [c.format(this=quarter_label(quarter), previous=quarter_label(previous)) for c in MOVER_COLUMNS]
    rows, records = [], []
    for row in frame.itertuples():
        metric = METRICS[row.metric_id]
        where = names.get(row.scope_id, row.scope_id) + (" (group)" if row.scope == "group" else "")
        rows.append([metric.title, where, metric.format(row.previous), metric.format(row.value),
                     format_delta(metric, row.change) or "–", f"{int(row.n)}"])
        records.append({
            "kind": kind, "section": "movers", "metric_id": row.metric_id, "metric": metric.title,
            "scope_id": row.scope_id, "period": periods.label(quarter, "quarter"), "value": row.value, "n": int(row.n),
            "compared_period": periods.label(previous, "quarter"), "compared_value": row.previous,
            "change": row.change, "moved_spreads": row.moved,
        })
    tone = {"improved": "better", "worsened": "worse"}.get(kind)
    return Table(title, columns, rows, records, [tone] * len(rows), MOVER_WIDTHS)


def _points(frame: pd.DataFrame, metric_id: str, scope_id: str, first: date, end: date) -> pd.DataFrame:
    rows = frame[(frame["metric_id"] == metric_id) & (frame["scope_id"] == scope_id)]
    starts = pd.to_datetime(rows["period_start"])
    return rows[(starts >= pd.Timestamp(first)) & (starts < pd.Timestamp(end))]


def _chart_records(points: pd.DataFrame, metric: Metric, scope_id: str, grain: str, section: str) -> list[dict]:
    return [
        {"kind": "chart", "section": section, "metric_id": metric.id, "metric": metric.title, "scope_id": scope_id,
         "period": periods.label(p, grain), "value": v, "n": None if pd.isna(n) else int(n)}
        for p, v, n in zip(points["period_start"], points["value"], points["n"])
    ]


def _caption(metric: Metric, points: pd.DataFrame) -> str:
    counts = points["n"][points["value"].notna()].dropna()
    n_text = f"n = {int(counts.min())}–{int(counts.max())} {metric.n_label} per point" if len(counts) else "no values"
    return f"{metric.definition} {n_text}. Sources: {', '.join(metric.sources)}."


def build(inputs: Inputs, settings: Settings, quarter: date, scope: Scope, scope_id: str, as_of: date) -> Report:
    """The review of `quarter` for one scope, from series already computed."""
    previous, year_ago = periods.quarters_back(quarter, 2), periods.quarters_back(quarter, 5)
    names = inputs.names
    labels = (quarter_label(quarter), quarter_label(previous))
    quarterly = inputs.quarterly[inputs.quarterly["scope"] == scope]
    all_cards = cards(list(METRICS.values()), quarterly, scope_id, quarter, previous, settings.targets, year_ago=year_ago)
    by_signal = {signal: [c for c in all_cards if c.metric.signal == signal] for signal in SIGNALS}
    note = inputs.notes.get
    sections = [*summary.sections(inputs, quarter, scope, scope_id, note), Section(
        "scorecard", "Scorecard", f"{names.get(scope_id, scope_id)}: every metric, {labels[0]} against {labels[1]} "
        f"and {quarter_label(year_ago)}, and against its target",
        tables=[_score_table("Scorecard", all_cards, quarter, scope_id, signal_column=True)], note=note("scorecard", ""),
        footnotes=["Green at or beyond target, amber within its tolerance, red beyond (targets and tolerances: prodops.toml).",
                   "n is what each value stands on; a value over too few people is hidden by the privacy rules."],
    )]
    end = quarter_end(quarter) + timedelta(days=1)
    shown_ids = [scope_id]
    marks = inputs.annotations[inputs.annotations["scope"].isin({"org", *shown_ids})] if not inputs.annotations.empty else inputs.annotations
    for signal, declared in SIGNALS.items():
        question = declared.question
        section = Section(signal, f"{signal} · {question}" if signal.startswith("S") else question,
                          note=note(signal, ""),
                          tables=[_score_table(question, by_signal[signal], quarter, scope_id)])
        for metric_id, grain in declared.key_charts:
            metric = METRICS[metric_id]
            fine = inputs.fine[grain]
            this = _points(fine, metric_id, scope_id, quarter, end)
            prior = _points(fine, metric_id, scope_id, previous, quarter)
            target = settings.targets.get(metric_id)
            figure = quarters.overlay(
                metric, this, prior, grain=grain, quarter=quarter, previous=previous, labels=labels,
                annotations=marks, target=target.target if target else None,
                title=f"{metric.title}, by {grain}", height=360, plot_px=TILE_PLOT_PX, scope_id=scope_id,
            )
            both = pd.concat([prior, this], ignore_index=True)
            section.charts.append(Chart(
                f"{signal}-{metric_id}", metric.title, figure, _caption(metric, both),
                _chart_records(both, metric, scope_id, grain, signal), metric_id, grain,
                both[["period_start", "value", "n"]].assign(scope_id=scope_id),
            ))
        if not declared.key_charts:
            chosen = by_signal[signal]
            figure = quarters.quarter_bars(
                [c.metric for c in chosen], [(c.value, c.previous) for c in chosen], labels=labels,
                title=f"{question}: {labels[0]} against {labels[1]}", height=360, plot_px=TILE_PLOT_PX,
            )
            section.charts.append(Chart(f"{signal}-quarters", question, figure,
                                        " ".join(f"{c.metric.title}: {c.metric.definition}" for c in chosen)))
        section.footnotes = [f"{c.metric.title}: {c.metric.definition}" for c in by_signal[signal]]
        sections.append(section)
    improved, still_worst, worsened = summary.movers(inputs, quarter, scope, scope_id)
    tables = [_mover_table("Improved most", improved, quarter, names, "improved"),
              _mover_table("Worsened most", worsened, quarter, names, "worsened")]
    if len(still_worst):
        tables.append(_mover_table("Better, but still among the worst", still_worst, quarter, names, "still worst"))
    sections.append(Section(
        "movers", "Top movers", f"The teams and groups whose metrics moved most from {labels[1]} to {labels[0]}",
        tables=tables, note=note("movers", ""),
        footnotes=["Changes are ranked in spreads: the robust standard deviation of all teams (or all groups) in "
                   f"{labels[1]}, so different units compare; only moves of at least {compare.MIN_MOVE} spreads count, "
                   f"and only values resting on at least {compare.MIN_MOVER_N} records (releases, check-ins, PMs, requests or "
                   "respondents) in both quarters. "
                   f"A cell still {compare.FLAG} spreads or more worse than its peers is listed apart: better is not good."],
    ))
    return Report(quarter, scope, scope_id, names.get(scope_id, scope_id), as_of, inputs.freshness, sections)


