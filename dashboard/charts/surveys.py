"""Plotly figures for the Survey page: pure functions of the frames `survey_views` returns.

A withheld value is a gap in a line or a missing bar, never a zero; the page says why beside it.

One axis carries one unit. The frames say each construct's `unit` and the `value` drawn in it:
a 0-100 score, eNPS on -100..+100, or a self-reported percentage. Each unit gets its own panel,
titled with the unit, so no reader sets an eNPS of +20 against a score of 72.

Every point and bar carries its identity in its trace's `meta`, one `[construct, role,
survey_id]` per point in point order, so a click maps to the score behind it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.charts.trends import ANNOTATION_COLOR, FONT, GRID_COLOR, PALETTE, REFERENCE_COLOR, n_text
from dashboard.core.safe_text import html_text

ROLE_COLOR = {"pm": PALETTE[0], "ops": PALETTE[2], "all": PALETTE[1]}
PANEL_GAP_PX = 56
"""Room between stacked panels for the lower panel's title (and, in the bars, the upper one's labels)."""
LEGEND_ROW_PX = 22
LEGEND_CHAR_PX = 6.6
LEGEND_ITEM_PX = 44
LEGEND_WIDTH_PX = 560
"""About the narrowest a full-width chart is drawn (a 1024 px page less the sidebar): the legend's
rows are counted for this width, so it never runs into the tick labels."""
MAX_WAVE_TICKS = 10


@dataclass(frozen=True)
class Unit:
    """How one unit reads: its panel title, its axis, a value as text."""

    title: str
    range: tuple[float, float]
    ticks: tuple[float, ...]
    fmt: str
    suffix: str = ""

    def text(self, value: float) -> str:
        """`value` as the page prints it: "72", "+20", "−7", "21%"; nothing for a missing one."""
        if pd.isna(value):
            return ""
        fmt = self.fmt if round(value) else self.fmt.lstrip("+")  # zero has no sign
        return f"{value:{fmt}}{self.suffix}".replace("-", "−")

    @property
    def hover(self) -> str:
        return f"%{{y:{self.fmt}}}{self.suffix}"


UNITS = {
    "score": Unit("Scores, 0-100", (0, 100), (0, 20, 40, 60, 80, 100), ".0f"),
    "enps": Unit("eNPS, −100 to +100", (-100, 100), (-100, -50, 0, 50, 100), "+.0f"),
    "percent": Unit("{title}, %", (0, 100), (0, 20, 40, 60, 80, 100), ".0f", "%"),
}
UNIT_ORDER = ("score", "enps", "percent")
BAR_HEADROOM = 0.1
"""Bars print their value above (or below) them: the axis runs this share of its span past the
unit's ends so a label of 100 stays inside the plot, while its ticks stay on the unit's range."""


def units_in(frame: pd.DataFrame) -> list[str]:
    """The units the frame's constructs are drawn in, in panel order."""
    present = set(frame["unit"])
    return [u for u in UNIT_ORDER if u in present] + sorted(present - set(UNIT_ORDER))


def unit_of(unit: str) -> Unit:
    """How `unit` reads; a unit this module does not know reads as a 0-100 score."""
    return UNITS.get(unit, UNITS["score"])


def panel_title(unit: str, titles: list[str]) -> str:
    """The panel's title names its unit; a percentage names what it is a percentage of."""
    what = titles[0] if len(titles) == 1 else "Percent answers"
    return html_text(unit_of(unit).title.format(title=what))


def _hover(frame: pd.DataFrame) -> list[str]:
    return [
        f"n = {n_text(n)}" + (f" · response rate {r:.0%}" if pd.notna(r) and pd.notna(n) else "")
        + (f"<br>{html_text(note)}" if note else "")
        for n, r, note in zip(frame["n"], frame["response_rate"], frame["note"])
    ]


def _identity(frame: pd.DataFrame) -> list[list[str]]:
    return [[c, r, s] for c, r, s in zip(frame["construct"], frame["role"], frame["survey_id"])]


def _legend_margin(names: list[str]) -> int:
    """Bottom margin for the tick labels and a horizontal legend of `names` under them."""
    rows, used = (1, 0.0) if names else (0, 0.0)
    for name in names:
        width = len(name) * LEGEND_CHAR_PX + LEGEND_ITEM_PX
        if used and used + width > LEGEND_WIDTH_PX:
            rows, used = rows + 1, 0.0
        used += width
    return 40 + rows * LEGEND_ROW_PX


def _layout(fig: go.Figure, height: int, legend_names: list[str]) -> go.Figure:
    fig.update_layout(
        height=height, margin=dict(l=8, r=16, t=28, b=_legend_margin(legend_names)), font=FONT,
        plot_bgcolor="rgba(0,0,0,0)", paper_bgcolor="rgba(0,0,0,0)", hovermode="closest",
        legend=dict(orientation="h", yref="container", yanchor="bottom", y=0, xanchor="left", x=0, title_text=""),
        showlegend=bool(legend_names),
    )
    fig.update_annotations(font=dict(size=13, color=FONT["color"]))
    fig.update_yaxes(gridcolor=GRID_COLOR)
    return fig


def _titles_left(fig: go.Figure, cells: list[tuple[int, int]]) -> None:
    """Each panel's title (`make_subplots` centres them) over its panel's left edge, as a heading reads."""
    for title, (row, col) in zip(fig.layout.annotations, cells):
        title.update(x=fig.get_subplot(row, col).xaxis.domain[0], xanchor="left")


def _unit_axis(fig: go.Figure, unit: str, row: int, col: int = 1, headroom: float = 0.0) -> None:
    """The panel's value axis on its unit's range (and `headroom` past its ends), ticked in its unit."""
    spec = unit_of(unit)
    low, high = spec.range
    pad = (high - low) * headroom
    fig.update_yaxes(range=[low - pad if low < 0 else low, high + pad], tickvals=list(spec.ticks),
                     ticktext=[spec.text(t) for t in spec.ticks], zeroline=low < 0, zerolinecolor=ANNOTATION_COLOR,
                     row=row, col=col)


def _wave_ticks(days: pd.Series) -> dict:
    """Short date ticks ("Feb 2025") at the waves' months, or plotly's own when there are many."""
    ticks = days.drop_duplicates().sort_values()
    ticks = ticks[~ticks.dt.strftime("%Y-%m").duplicated()]
    first, last = days.min(), days.max()
    pad = max(timedelta(days=20), (last - first) * 0.04)
    settings = dict(type="date", tickformat="%b %Y", range=[first - pad, last + pad], showgrid=False,
                    ticks="outside", tickcolor=GRID_COLOR)
    if len(ticks) <= MAX_WAVE_TICKS:
        settings["tickvals"] = list(ticks)
    else:
        settings["nticks"] = MAX_WAVE_TICKS
    return settings


def constructs_over_waves(frame: pd.DataFrame, role: str = "all", height: int | None = None) -> go.Figure:
    """One line per construct across waves for one role filter, a panel per unit sharing the time axis.

    `frame` (see `survey_views.construct_trend`) has per wave, construct and role: `fielded_on`,
    `survey_id`, `title`, `unit`, `value` (the statistic drawn), `n`, `response_rate`, `note`.
    """
    rows = frame[frame["role"] == role].assign(fielded_on=lambda f: pd.to_datetime(f["fielded_on"]))
    units = units_in(rows) or ["score"]
    heights = [1.5 if unit == "score" else 1.0 for unit in units]
    height = height or 120 + int(sum(heights) * 150)
    titles = [panel_title(u, sorted(rows.loc[rows["unit"] == u, "title"].unique())) for u in units]
    fig = make_subplots(rows=len(units), cols=1, shared_xaxes=True, row_heights=heights, subplot_titles=titles,
                        vertical_spacing=min(0.3, PANEL_GAP_PX / height))
    legend = []
    for row, unit in enumerate(units, start=1):
        lines = list(rows[rows["unit"] == unit].groupby("title", sort=True))
        for i, (title, line) in enumerate(lines):
            line = line.sort_values("fielded_on")
            alone = len(lines) == 1 and unit != "score"
            name = html_text(title)
            fig.add_trace(go.Scatter(
                x=line["fielded_on"], y=line["value"], name=name, mode="lines+markers", connectgaps=False,
                line=dict(color=REFERENCE_COLOR if alone else PALETTE[i % len(PALETTE)], width=2), marker=dict(size=7),
                cliponaxis=False,
                showlegend=not alone, meta=_identity(line),
                text=[f"{html_text(s)} · {d:%d %b %Y}<br>{h}" for s, d, h in zip(line["survey_id"], line["fielded_on"], _hover(line))],
                hovertemplate=f"<b>%{{fullData.name}}</b><br>{unit_of(unit).hover}<br>%{{text}}<extra></extra>",
            ), row=row, col=1)
            legend += [] if alone else [name]
        _unit_axis(fig, unit, row)
    if len(rows):
        fig.update_xaxes(**_wave_ticks(rows["fielded_on"]))
    fig.update_xaxes(showticklabels=True, row=len(units), col=1)
    _titles_left(fig, [(row, 1) for row in range(1, len(units) + 1)])
    return _layout(fig, height, legend)


def _bar_grid(units: list[str]) -> tuple[dict, dict[str, tuple[int, int]]]:
    """Scores across the top, the other units side by side beneath: each panel as wide as it needs."""
    others = [u for u in units if u != "score"]
    if "score" not in units or not others:
        return dict(rows=1, cols=len(units)), {u: (1, c) for c, u in enumerate(units, start=1)}
    cols = len(others)
    specs = [[{"colspan": cols}] + [None] * (cols - 1), [{} for _ in others]]
    return (dict(rows=2, cols=cols, specs=specs, row_heights=[1.4, 1.0]),
            {"score": (1, 1), **{u: (2, c) for c, u in enumerate(others, start=1)}})


def wrapped(title: str, width: int = 18) -> str:
    """A category label over lines of about `width` characters, so long ones need no rotation."""
    lines, line = [], ""
    for word in html_text(title).split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "<br>".join([*lines, line])


def side_by_side(frame: pd.DataFrame, height: int | None = None) -> go.Figure:
    """PM and operations per construct for one wave, as grouped bars in a panel per unit.

    `frame` (see `survey_views.pm_vs_ops`) has per construct and role: `title`, `who`, `unit`,
    `value`, `n`, `response_rate`, `note`.
    """
    units = units_in(frame) or ["score"]
    grid, place = _bar_grid(units)
    height = height or (540 if grid["rows"] == 2 else 340)
    titles = {u: panel_title(u, sorted(frame.loc[frame["unit"] == u, "title"].unique())) for u in units}
    ordered = sorted(units, key=lambda u: place[u])
    fig = make_subplots(**grid, subplot_titles=[titles[u] for u in ordered], horizontal_spacing=0.1,
                        vertical_spacing=min(0.4, 2 * PANEL_GAP_PX / height) if grid["rows"] == 2 else 0.0)
    legend = {}
    for unit in ordered:
        row, col = place[unit]
        mine = frame[frame["unit"] == unit]
        single = mine["construct"].nunique() == 1
        for role, bars in mine.groupby("role", sort=False):
            who = html_text(bars["who"].iloc[0])
            spec = unit_of(unit)
            fig.add_trace(go.Bar(
                x=bars["title"].map(wrapped), y=bars["value"], name=who, legendgroup=role, showlegend=role not in legend,
                marker_color=ROLE_COLOR.get(role, PALETTE[-1]), meta=_identity(bars), cliponaxis=False,
                text=[spec.text(v) for v in bars["value"]], textposition="outside",
                customdata=[f"{html_text(t)} · {who}<br>{h}" for t, h in zip(bars["title"], _hover(bars))],
                hovertemplate=f"{spec.hover}<br>%{{customdata}}<extra></extra>",
            ), row=row, col=col)
            legend.setdefault(role, who)
        _unit_axis(fig, unit, row, col, headroom=BAR_HEADROOM)
        fig.update_xaxes(showticklabels=not single, row=row, col=col)
    fig.update_layout(barmode="group", bargap=0.3)
    _titles_left(fig, [place[u] for u in ordered])
    return _layout(fig, height, list(legend.values()))


def distribution(frame: pd.DataFrame, height: int = 300) -> go.Figure:
    """The share of answers at each point of the scale, one bar colour per role filter."""
    fig = go.Figure()
    for role, bars in frame[frame["shown"]].groupby("role", sort=False):
        fig.add_trace(go.Bar(
            x=bars["answer"], y=bars["share"], name=bars["who"].iloc[0], marker_color=ROLE_COLOR.get(role, PALETTE[-1]),
            customdata=bars["count"], hovertemplate="answer %{x:g}: %{y:.0%} (%{customdata})<extra></extra>",
        ))
    fig.update_layout(barmode="group", xaxis=dict(dtick=1, title="answer"), yaxis_title="share of answers")
    fig.update_yaxes(tickformat=".0%", rangemode="tozero", zeroline=False)
    _layout(fig, height, [str(name) for name in frame.loc[frame["shown"], "who"].unique()])
    fig.update_layout(margin=dict(b=fig.layout.margin.b + 20))  # the x axis's title under its ticks
    return fig
