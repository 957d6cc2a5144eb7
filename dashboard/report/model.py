"""What a quarterly business review is made of, whatever writes it: tables, charts, sections,
the report, and the inputs it is built from."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from dashboard.core import periods
from dashboard.core.periods import quarter_label
from dashboard.metrics import Scope


@dataclass
class Table:
    """A table as text, plus the numbers behind it for the CSV and a tone per row for colour."""

    title: str
    columns: list[str]
    rows: list[list[str]]
    records: list[dict] = field(default_factory=list)
    tones: list[str | None] = field(default_factory=list)
    """Per row: a scorecard status ("on", "near", "off", ...) or "better"/"worse", for colour."""
    widths: list[float] = field(default_factory=list)
    """Each column's share of the table's width (writers lay tables out with them)."""
    empty: str = "Nothing moved by half a spread or more."
    """What to say instead of a table with no rows."""
    toned: int = -2
    """The column a row's tone colours (from the end when negative): the status or change beside its reason."""

    def toned_column(self) -> int:
        return self.toned % len(self.columns)

    def shares(self) -> list[float]:
        if len(self.widths) == len(self.columns):
            return self.widths
        return [1 / len(self.columns)] * len(self.columns)


@dataclass
class Chart:
    """A chart of the review; one over a metric's periods says which (`metric_id`, `grain`, `points`:
    `scope_id`, `period_start`, `value`, `n` per point) so the page can open the records behind a point."""

    id: str
    title: str
    figure: go.Figure
    caption: str
    records: list[dict] = field(default_factory=list)
    metric_id: str | None = None
    grain: str | None = None
    points: pd.DataFrame | None = None


@dataclass
class Section:
    id: str
    title: str
    subtitle: str = ""
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    note: str = ""
    footnotes: list[str] = field(default_factory=list)


@dataclass
class Report:
    quarter: date
    scope: Scope
    scope_id: str
    scope_name: str
    as_of: date
    freshness: str
    sections: list[Section]

    @property
    def previous(self) -> date:
        return periods.quarters_back(self.quarter, 2)

    @property
    def title(self) -> str:
        return f"Quarterly business review · {quarter_label(self.quarter)} · {self.scope_name}"

    @property
    def subtitle(self) -> str:
        return (f"{quarter_label(self.quarter)} against {quarter_label(self.previous)} · data as of "
                f"{self.as_of:%d %b %Y} · {self.freshness}")

    def charts(self) -> list[Chart]:
        return [chart for section in self.sections for chart in section.charts]

    def file_stem(self) -> str:
        return f"qbr-{periods.label(self.quarter, 'quarter')}-{self.scope_id}".replace(" ", "-").lower()


@dataclass
class Inputs:
    """What a report is built from; `gather` reads it from a store, the page from its caches.

    Attributes:
        quarterly: quarterly series of every scope (org, group, team), at least from the same
            quarter a year earlier to the reviewed one.
        fine: for each grain a key chart uses, that grain's series of the report's scope level,
            covering the prior and the reviewed quarter.
        lead_months: at least each signal's lead metric by month, of the report's scope level,
            from the same quarter a year before (the summary's verdicts).
        milestone_months: the month cells the summary's milestone impacts read
            (`dashboard.report.summary.milestone_months` reads them).
        names: display names of scope ids; group_of: each team's group.
        notes: the stored note of each section id; annotations: `on_date`, `scope`, `label`.
    """

    quarterly: pd.DataFrame
    fine: dict[str, pd.DataFrame]
    lead_months: pd.DataFrame
    milestone_months: pd.DataFrame
    names: dict[str, str]
    group_of: dict[str, str]
    notes: dict[str, str]
    annotations: pd.DataFrame
    freshness: str
