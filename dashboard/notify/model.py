"""A digest as content, whatever carries it: an email today, a chat message beside it later.

Its sections are the QBR pack's (`dashboard.report.model`): titled tables whose rows are text
with the numbers behind them in `records`, and charts as plotly figures. Each renderer turns the
same `Digest` into its channel's form, so every channel carries the same numbers. A record may
hold a `url`: the view that row opens in the dashboard.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dashboard.core.config import Subscription
from dashboard.report.model import Chart, Section


def message_key(subscription: Subscription, period: date) -> str:
    """The idempotency key: one message per subscription and period, however often a run repeats."""
    return f"{subscription.id}|{period.isoformat()}"


@dataclass(frozen=True)
class Link:
    text: str
    url: str


@dataclass
class Digest:
    subscription: Subscription
    period: date
    """The first day of the whole week or month the digest reports on."""
    period_text: str
    """That period as a reader says it ("week of 16 Nov 2026", "October 2026")."""
    scope_name: str
    as_of: date
    sections: list[Section]
    link: Link
    """The dashboard's view of the same scope: where "open the dashboard" leads."""

    @property
    def subject(self) -> str:
        return f"Product ops digest · {self.period_text} · {self.scope_name}"

    @property
    def key(self) -> str:
        return message_key(self.subscription, self.period)

    def charts(self) -> list[Chart]:
        return [chart for section in self.sections for chart in section.charts]

    def records(self) -> list[dict]:
        """Every figure the digest states, with the metric, scope, period and n it stands for."""
        return ([r for section in self.sections for table in section.tables for r in table.records]
                + [r for chart in self.charts() for r in chart.records])
