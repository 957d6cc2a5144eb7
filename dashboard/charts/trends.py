"""Plotly figures for metric series: pure functions, no Streamlit, so they can be unit-tested and
reused by the report.

Every time chart shows the same three things in the same way: one line per scope, the target
as a dashed horizontal line labelled in the right margin (never on the data), and the
annotations (events such as "new release process") as vertical lines on the time axis with
their labels flagged on them, so cause and effect can be read off any chart. More lines than
the palette has colours are not told apart by hue: one stands out in colour, the rest are grey.

`trend` and `sparkline`, which pages draw by the dozen, assemble their figure as a plain spec and
wrap it without Plotly's validation (`spec_figure`): building the same figure property by property
(`add_trace`, `update_layout`, `add_hline`) validated every value and cost some 90 ms a chart, more
than the page's data. The spec is the figure Plotly would have built, property for property
(tests/charts checks it against a validated copy).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.colours import ANNOTATION_COLOR, GRID_COLOR, MUTED_COLOR, PALETTE, REFERENCE_COLOR, TARGET_COLOR
from dashboard.core.periods import Grain, next_start
from dashboard.core.safe_text import html_text
from dashboard.metrics.registry import Metric

FONT = dict(family="Source Sans, Source Sans Pro, sans-serif", size=13, color="#1F2633")

FULL_PLOT_PX = 480
"""How wide a full-width chart's plot is on the narrowest screen the pages are laid out for (1024 px):
milestone labels are placed for it, since the browser, not the figure, decides the real width."""
TILE_PLOT_PX = 310
"""How wide a chart's plot is in a page tile (`dashboard.app.ui.TILE_PX`), the narrowest any is drawn."""

TICK_FORMAT = {"quarter": "Q%q %Y", "month": "%b %Y", "week": "%d %b %Y"}
HOVER_DATE = {"quarter": "Q%q %Y", "month": "%B %Y", "week": "week of %d %b %Y"}


def n_text(n) -> str:
    """An n as shown to a reader: a cell the privacy rules hid publishes none (even "fewer than k"
    would tell a team of two from a team of four)."""
    return "hidden" if pd.isna(n) else str(int(n))


def axis_format(metric: Metric) -> dict:
    """Value-axis settings that read in the metric's own unit (a share as a percentage)."""
    if metric.unit == "share":
        return dict(tickformat=".0%", rangemode="tozero")
    if metric.unit == "hours":
        return dict(ticksuffix=" h", rangemode="tozero")
    if metric.unit == "days":
        return dict(ticksuffix=" d", rangemode="tozero")
    if metric.unit == "score":
        return dict(range=[0, 100])
    if metric.unit == "count":
        return dict(tickformat=",d", rangemode="tozero")
    return dict(rangemode="tozero")


def base_layout(fig: go.Figure, height: int) -> None:
    layout = base_layout_spec(height)
    xaxis, yaxis = layout.pop("xaxis"), layout.pop("yaxis")
    fig.update_layout(**layout)
    fig.update_xaxes(**xaxis)
    fig.update_yaxes(**yaxis)


def base_layout_spec(height: int) -> dict:
    """The layout every time chart starts from, as a plain spec."""
    return dict(
        height=height,
        margin=dict(l=8, r=8, t=36, b=64),
        font=dict(FONT),
        plot_bgcolor="rgba(0,0,0,0)",
        paper_bgcolor="rgba(0,0,0,0)",
        hovermode="closest",
        legend=dict(orientation="h", yref="container", yanchor="bottom", y=0, xanchor="left", x=0, title=dict(text="")),
        xaxis=dict(showgrid=False, linecolor=GRID_COLOR, ticks="outside", tickcolor=GRID_COLOR),
        yaxis=dict(gridcolor=GRID_COLOR, zeroline=False),
    )


class SpecFigure(go.Figure):
    """A figure made from a finished spec (`spec_figure`): its dict, what `st.plotly_chart` and the
    report serialise, is made once and shared.

    `to_dict` deep-copies the figure and converts every array to Plotly's typed arrays, walking
    each value: for a chart of 40 lines that is most of a warm page, repeated on every view of a
    figure that never changes. Copying the dict's containers for each caller instead was still a
    fifth of a warm Releases page. So each caller gets a new top-level dict over the shared parts:
    Streamlit only reads it, and a caller that changes a part copies that part first
    (`report.images.for_print`). A spec figure is final: change a copy of its dict, not the figure.
    """

    def to_dict(self) -> dict:
        made = self.__dict__.get("_made")
        if made is None:
            made = super().to_dict()
            self.__dict__["_made"] = made
        return dict(made)


def frozen(figure: go.Figure) -> go.Figure:
    """A finished figure as a `SpecFigure`, its dict made once: for a figure built elsewhere that is
    cached and drawn on many views. The dict it is made from is the one it hands out, so a cold
    view pays for `to_dict` once, not again on its first draw."""
    made = figure.to_dict()
    spec = SpecFigure(made, _validate=False)
    spec.__dict__["_made"] = made
    return spec


def spec_figure(data: list[dict], layout: dict) -> go.Figure:
    """A figure from a plain spec, without Plotly's validation of every property (see the module's
    docstring): for specs this module assembles itself, which hold only valid properties."""
    return SpecFigure(dict(data=data, layout=layout), _validate=False)


def trace_spec(**properties) -> dict:
    """A scatter trace's spec, properties left unset (None) left out, as Plotly leaves them."""
    return {"type": "scatter", **{key: value for key, value in properties.items() if value is not None}}


def time_values(values: pd.Series):
    """Timestamps as the time axis takes them (what Plotly's validation makes of a column of them)."""
    return values.to_numpy().astype("datetime64[s]")


def number_values(values: pd.Series):
    return values.to_numpy(dtype=float, na_value=float("nan"))


def emphasis(series: pd.DataFrame, reference: str | None, highlight: str | None = None) -> str | None:
    """The one line drawn in colour when a chart has more lines than the palette has colours:
    `highlight` when it is on the chart, else the line that strays farthest, on average, from the
    reference (or, without one, from the middle of the lines). None when every line has a colour.

    Seven hues cannot be told apart in a half-width tile, and not at all with a colour-vision
    deficiency; one line against grey can.
    """
    ids = [i for i in dict.fromkeys(series["scope_id"]) if i != reference]
    if len(ids) <= len(PALETTE):
        return None
    if highlight in ids:
        return highlight
    wide = series.pivot_table(index="period_start", columns="scope_id", values="value", aggfunc="first")
    lines = wide.reindex(columns=ids)
    centre = wide[reference] if reference in wide else lines.median(axis=1)
    distance = lines.sub(centre, axis=0).abs().mean()
    return distance.idxmax() if distance.notna().any() else ids[0]


def trend(
    metric: Metric,
    series: pd.DataFrame,
    *,
    grain: Grain,
    annotations: pd.DataFrame | None = None,
    target: float | None = None,
    reference: str | None = None,
    highlight: str | None = None,
    height: int = 340,
    plot_px: int = FULL_PLOT_PX,
    through: date | None = None,
) -> go.Figure:
    """One metric over time, one line per scope.

    A period still running on `through` (the last day with data) is never drawn as whole: its
    point is hollow, joined to the last whole one by a dotted segment, and says "so far" with
    how many of its days have passed. A count five days into a month is five days' worth.

    Args:
        metric: the declaration, for the unit, the formatting and the n label.
        series: rows with `period_start`, `scope_id`, `name` (what the legend says), `value`, `n`;
            lines are drawn, and coloured, in the order their scopes first appear.
        grain: the period length, for tick and hover labels.
        annotations: rows with `on_date` and `label`, drawn as labelled vertical lines.
        target: drawn as a dashed horizontal line when given.
        reference: the `scope_id` drawn as the dark comparison line (the organisation or group
            the other lines belong to).
        highlight: the scope to draw in colour when there are too many lines to colour them all
            (see `emphasis`); the others are grey, under one legend entry.
        plot_px: about how wide the chart will be drawn, so annotation labels can avoid each other.
        through: the last day the data covers; None when every period is whole.
    """
    data: list[dict] = []
    frame = series.assign(period_start=pd.to_datetime(series["period_start"]))
    frame = frame.sort_values("period_start", kind="stable")
    points = _Points.of(frame, metric, grain, through)
    ids = [i for i in dict.fromkeys(series["scope_id"]) if i != reference]
    focus = emphasis(series, reference, highlight)
    if focus is None:
        colours = {scope_id: PALETTE[k % len(PALETTE)] for k, scope_id in enumerate(ids)}
    else:
        colours = {scope_id: PALETTE[0] if scope_id == focus else MUTED_COLOR for scope_id in ids}
    muted = [i for i in ids if colours[i] == MUTED_COLOR]
    lines = frame.groupby("scope_id", sort=False).indices
    order = muted + [i for i in [reference] if i in lines] + [i for i in ids if i not in muted]
    for scope_id in order:
        at = lines.get(scope_id, np.array([], dtype=int))
        is_reference, is_muted = scope_id == reference, scope_id in muted
        partial, at = at[points.running[at]], at[~points.running[at]]
        data.append(trace_spec(
            x=points.x[at],
            y=points.y[at],
            name=html_text(points.name[at[0]] if len(at) else scope_id),
            meta=scope_id,
            connectgaps=False,
            showlegend=not is_muted,
            legendgroup="others" if is_muted else None,
            line=dict(
                color=REFERENCE_COLOR if is_reference else colours[scope_id],
                width=3 if is_reference else 1.25 if is_muted else 2,
                dash="dot" if is_reference else "solid",
            ),
            marker=dict(size=5 if is_reference else 4 if is_muted else 6),
            mode="lines+markers" if len(np.unique(points.x[at])) <= 30 else "lines",
            customdata=points.customdata(at),
            hovertemplate=(
                f"<b>%{{fullData.name}}</b><br>%{{x|{HOVER_DATE[grain]}}}<br>"
                f"%{{customdata[0]}} · n = %{{customdata[1]}} {metric.n_label}<extra></extra>"
            ),
        ))
        if len(partial):
            data.extend(_so_far(metric, points, at, partial, grain, through, data[-1]))
    if muted:
        data.append(_others_legend_spec())
    layout = base_layout_spec(height)
    if len(data) < 2:
        layout.update(showlegend=False)
        layout["margin"].update(b=28)
    layout["yaxis"].update(axis_format(metric))
    layout["xaxis"].update(tickformat=TICK_FORMAT[grain], hoverformat=HOVER_DATE[grain])
    if target is not None:
        mark_target_spec(layout, metric, target)
    annotate_spec(layout, frame, annotations, plot_px)
    return spec_figure(data, layout)


def _others_legend_spec() -> dict:
    """One legend entry for every grey line: a click on it hides or shows them all."""
    return trace_spec(x=[None], y=[None], mode="lines", name="Others", legendgroup="others", hoverinfo="skip",
                  line=dict(color=MUTED_COLOR, width=1.25))


TARGET_MARGIN_PX = 52


def mark_target(fig: go.Figure, metric: Metric, target: float) -> None:
    """The target as a dashed line, labelled in the right margin where no data point can sit."""
    fig.add_hline(y=target, line=dict(color=TARGET_COLOR, width=1.5, dash="dash"))
    fig.add_annotation(_target_label(metric, target))
    fig.update_layout(margin=dict(r=TARGET_MARGIN_PX))


def _target_label(metric: Metric, target: float) -> dict:
    return dict(x=1, xref="paper", xanchor="left", xshift=4, y=target, yref="y", yanchor="middle", showarrow=False,
                text=f"target<br>{metric.format(target)}", align="left", font=dict(size=10, color=TARGET_COLOR))


def _hline(y: float, line: dict) -> dict:
    """A horizontal line across the plot, as `add_hline` draws it."""
    return dict(type="line", xref="x domain", x0=0, x1=1, yref="y", y0=y, y1=y, line=line)


def mark_target_spec(layout: dict, metric: Metric, target: float) -> None:
    """`mark_target` on a layout spec."""
    layout.setdefault("shapes", []).append(_hline(target, dict(color=TARGET_COLOR, width=1.5, dash="dash")))
    layout.setdefault("annotations", []).append(_target_label(metric, target))
    layout["margin"].update(r=TARGET_MARGIN_PX)


@dataclass(frozen=True)
class _Points:
    """A trend's rows as the arrays its traces are cut from: a line's points are picked by position,
    since selecting rows of a frame for each of forty lines cost more than the rest of the chart."""

    x: np.ndarray
    y: np.ndarray
    name: np.ndarray
    shown: np.ndarray
    n_shown: np.ndarray
    running: np.ndarray

    @classmethod
    def of(cls, frame: pd.DataFrame, metric: Metric, grain: Grain, through: date | None) -> _Points:
        return cls(
            x=time_values(frame["period_start"]), y=number_values(frame["value"]), name=frame["name"].to_numpy(),
            shown=frame["value"].map(metric.format).to_numpy(), n_shown=frame["n"].map(n_text).to_numpy(),
            running=_running(frame["period_start"], grain, through).to_numpy(dtype=bool),
        )

    def customdata(self, at: np.ndarray) -> list[list[str]]:
        return [[self.shown[i], self.n_shown[i]] for i in at]


def _running(starts: pd.Series, grain: Grain, through: date | None) -> pd.Series:
    """Which periods had not ended by `through`."""
    if through is None:
        return pd.Series(False, index=starts.index)
    ends = {start: next_start(start.date(), grain) for start in starts.unique()}
    return starts.map(ends) > through + timedelta(days=1)


def _so_far(metric: Metric, points: _Points, whole: np.ndarray, partial: np.ndarray, grain: Grain, through: date,
            line: dict) -> list[dict]:
    """The running period (the first of `partial`'s points): a hollow point, dotted from the last whole
    one with a value (of `whole`), in the line's colour (`line`, the spec of the whole periods' trace,
    joins their legend group)."""
    point = partial[:1]
    start = pd.Timestamp(points.x[point[0]]).date()
    days, passed = (next_start(start, grain) - start).days, (through - start).days + 1
    joined = np.concatenate([whole[~np.isnan(points.y[whole])][-1:], point])
    line["legendgroup"] = line["name"]
    style = dict(name=line["name"], legendgroup=line["name"], showlegend=False, meta=line["meta"])
    colour, width = line["line"]["color"], line["line"]["width"]
    return [
        trace_spec(
            x=points.x[joined], y=points.y[joined],
            mode="lines", line=dict(color=colour, width=width, dash="dot"), hoverinfo="skip", **style,
        ),
        trace_spec(
            x=points.x[point], y=points.y[point], mode="markers", **style,
            marker=dict(size=8, symbol="circle-open", color=colour, line=dict(width=2)),
            customdata=points.customdata(point),
            hovertemplate=(
                f"<b>%{{fullData.name}}</b><br>%{{x|{HOVER_DATE[grain]}}}, so far: {passed} of {days} days<br>"
                f"%{{customdata[0]}} · n = %{{customdata[1]}} {metric.n_label}<extra></extra>"
            ),
        ),
    ]


LABEL_PX_PER_CHAR = 5.0
LABEL_ROW_PX = 16
LEADER_PX = 6


Placed = list[tuple[int, tuple[float, float], float]]
"""Labels placed so far: (row, (left, right) edges, line position)."""


def _covers(bounds: tuple[float, float], x: float) -> bool:
    return bounds[0] - 0.01 <= x <= bounds[1] + 0.01


def _free(row: int, span: tuple[float, float], placed: Placed) -> bool:
    """Whether a label over `span` fits in `row`: clear of the labels there, covering no leader rising past it."""
    return all(
        (span[0] > end + 0.01 or span[1] < begin - 0.01) if taken == row else not _covers(span, x)
        for taken, (begin, end), x in placed if taken >= row
    )


def label_rows(positions: list[float], widths: list[float]) -> list[tuple[int, str, float]]:
    """Place labels in rows so none overlaps another: (row, "left" or "right" anchor, room) per label.

    Args:
        positions: where each label's line is, as a fraction of the plot's width, ascending.
        widths: each label's width as a fraction of the plot's width.

    A label runs right from its line, or left when it would run off the plot; one too wide for
    either side runs to the wider side and is cut to `room`, the fraction of the width it may
    take. Its leader rises from the plot to its row, so it takes the lowest row where it clears
    the labels already placed there and covers no higher label's leader, preferring one where
    its own leader crosses no lower label.
    """
    placed: Placed = []
    out = []
    for position, width in zip(positions, widths):
        fits_right, fits_left = position + width <= 1, position >= width
        anchor = "left" if fits_right or (not fits_left and position < 0.5) else "right"
        room = 1 - position if anchor == "left" else position
        width = min(width, room)
        span = (position, position + width) if anchor == "left" else (position - width, position)
        free = [row for row in range(len(placed) + 1) if _free(row, span, placed)]
        row = min(free, key=lambda r: (sum(_covers(bounds, position) for taken, bounds, _ in placed if taken < r), r))
        placed.append((row, span, position))
        out.append((row, anchor, room))
    return out


def fitted(text: str, room_px: float) -> str:
    """`text` cut with an ellipsis to about `room_px` wide (its hover keeps the whole)."""
    most = max(int(room_px / LABEL_PX_PER_CHAR), 4)
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


def annotate(fig: go.Figure, frame: pd.DataFrame, annotations: pd.DataFrame | None, plot_px: int) -> None:
    """Vertical lines for annotations inside the plotted time range, each label a flag on its line
    (see `annotate_spec`), on a figure."""
    layout: dict = {"margin": {}, "xaxis": {}}
    annotate_spec(layout, frame, annotations, plot_px)
    for shape in layout.get("shapes", []):
        fig.add_shape(shape)
    for note in layout.get("annotations", []):
        fig.add_annotation(note)
    if layout["margin"]:
        fig.update_layout(margin=layout["margin"])
    if layout["xaxis"]:
        fig.update_xaxes(**layout["xaxis"])


def annotate_spec(layout: dict, frame: pd.DataFrame, annotations: pd.DataFrame | None, plot_px: int) -> None:
    """Vertical lines for annotations inside the plotted time range, each label a flag on its line.

    Labels are stacked in rows above the plot so events close together stay legible at the
    width the chart is drawn (`plot_px`, an estimate: the browser decides the real width); a
    leader carries each line up to its label, however high its row. The time axis gets a fixed
    range: plotly would otherwise widen it to fit labels tied to data positions.
    """
    if annotations is None or annotations.empty or frame.empty:
        return
    first, last = frame["period_start"].min(), frame["period_start"].max()
    shown = annotations.assign(on_date=pd.to_datetime(annotations["on_date"]))
    shown = shown[(shown["on_date"] >= first) & (shown["on_date"] <= last)].sort_values("on_date")
    if shown.empty:
        return
    span = max((last - first).days, 1)
    positions = [(day - first).days / span for day in shown["on_date"]]
    widths = [len(text) * LABEL_PX_PER_CHAR / plot_px for text in shown["label"]]
    rows = label_rows(positions, widths)
    shapes, notes = layout.setdefault("shapes", []), layout.setdefault("annotations", [])
    for (row, anchor, room), item in zip(rows, shown.itertuples(index=False)):
        shapes.append(dict(
            type="line", xref="x", yref="paper", x0=item.on_date, x1=item.on_date, y0=0, y1=1,
            line=dict(color=ANNOTATION_COLOR, width=1, dash="dot"), layer="below",
        ))
        notes.append(dict(
            x=item.on_date, xref="x", y=1.0, yref="paper", ax=0, ay=-(LEADER_PX + row * LABEL_ROW_PX),
            showarrow=True, arrowhead=0, arrowwidth=1, arrowcolor=ANNOTATION_COLOR, standoff=0,
            text=html_text(fitted(item.label, room * plot_px)), xanchor=anchor, yanchor="bottom",
            font=dict(size=11, color="#495057"),
            hovertext=html_text(f"{item.on_date:%d %b %Y}: {item.label}"),
        ))
    layout["margin"].update(t=LEADER_PX + 20 + LABEL_ROW_PX * max(row for row, _, _ in rows))
    pad = pd.Timedelta(days=max(span * 0.03, 1))
    layout["xaxis"].update(range=[first - pad, last + pad])


def sparkline(
    metric: Metric,
    points: pd.DataFrame,
    *,
    target: float | None = None,
    color: str = PALETTE[0],
    height: int = 64,
) -> go.Figure:
    """A small line of the last few periods, no axes, for a scorecard.

    Args:
        points: rows with `period_start`, `label` (the period as people say it) and `value`.
    """
    frame = points.assign(period_start=pd.to_datetime(points["period_start"])).sort_values("period_start")
    data = [trace_spec(
        x=time_values(frame["period_start"]),
        y=number_values(frame["value"]),
        mode="lines",
        line=dict(color=color, width=2),
        connectgaps=False,
        customdata=[list(pair) for pair in zip(frame["label"], frame["value"].map(metric.format))],
        hovertemplate="%{customdata[0]}: %{customdata[1]}<extra></extra>",
    )]
    known = frame.dropna(subset=["value"])
    if len(known):
        data.append(trace_spec(
            x=[known["period_start"].iloc[-1]], y=[float(known["value"].iloc[-1])], mode="markers",
            marker=dict(color=color, size=6), hoverinfo="skip",
        ))
    layout = dict(
        height=height, margin=dict(l=0, r=0, t=2, b=2), showlegend=False,
        plot_bgcolor="rgba(0,0,0,0)", paper_bgcolor="rgba(0,0,0,0)", font=dict(FONT), hovermode="x",
        xaxis=dict(visible=False), yaxis=dict(visible=False, **({"range": [0, 100]} if metric.unit == "score" else {})),
    )
    if target is not None:
        layout["shapes"] = [_hline(target, dict(color=TARGET_COLOR, width=1, dash="dash"))]
    return spec_figure(data, layout)
