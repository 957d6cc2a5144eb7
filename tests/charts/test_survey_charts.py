"""The Survey page's figures: one unit per axis (scores 0-100, eNPS -100..+100, a reported
percentage), eNPS drawn as the eNPS statistic, waves on a date axis with short ticks, and every
point carrying the score it stands for."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from dashboard.charts import surveys as charts

WAVES = {"pulse/2025Q1": date(2025, 2, 18), "pulse/2025Q2": date(2025, 5, 18), "pulse/2025Q3": date(2025, 8, 19)}
CONSTRUCTS = {  # construct: (title, unit, score on 0-100, eNPS)
    "alignment": ("Product-operations alignment", "score", 64.0, -30.0),
    "insights_self_serve": ("Insights without asking", "score", 41.0, -80.0),
    "enps": ("eNPS", "enps", 77.0, 12.0),
    "pm_time_on_strategy_pct": ("Time on strategy (self-reported)", "percent", 21.0, -100.0),
}
ROLE_WORDS = {"all": "Everyone", "pm": "PMs", "ops": "Operations"}


def trend_frame() -> pd.DataFrame:
    """`survey_views.construct_trend`'s shape: `mean` and `enps` as the metric gives them, `value` the one drawn."""
    rows = []
    for k, (survey_id, day) in enumerate(WAVES.items()):
        for construct, (title, unit, mean, enps) in CONSTRUCTS.items():
            for role in ("all", "pm", "ops"):
                value = enps + k if unit == "enps" else mean + k
                rows.append({"survey_id": survey_id, "fielded_on": day, "label": f"{survey_id} ({day:%d %b %Y})",
                             "construct": construct, "title": title, "role": role, "who": ROLE_WORDS[role], "unit": unit,
                             "mean": mean + k, "enps": enps + k, "value": value, "n": 12, "response_rate": 0.8, "note": "",
                             "shown": True})
    frame = pd.DataFrame(rows)
    hidden = (frame["construct"] == "alignment") & (frame["role"] == "ops") & (frame["survey_id"] == "pulse/2025Q2")
    frame.loc[hidden, ["value", "mean", "enps", "n", "response_rate", "shown", "note"]] = [
        np.nan, np.nan, np.nan, pd.NA, np.nan, False, "hidden to keep respondents anonymous"]
    return frame


def sides_frame() -> pd.DataFrame:
    frame = trend_frame()
    frame = frame[(frame["survey_id"] == "pulse/2025Q3") & frame["role"].isin(["pm", "ops"])]
    return frame[~((frame["role"] == "ops") & (frame["construct"] == "pm_time_on_strategy_pct"))].reset_index(drop=True)


def axis_of(fig, trace, letter: str = "y"):
    return fig.layout[f"{letter}axis{(trace[f'{letter}axis'] or letter)[1:]}"]


def units_per_axis(fig, frame: pd.DataFrame) -> dict[str, set[str]]:
    unit = dict(zip(frame["construct"], frame["unit"]))
    found: dict[str, set[str]] = {}
    for trace in fig.data:
        found.setdefault(trace.yaxis or "y", set()).update(unit[construct] for construct, _, _ in trace.meta)
    return found


def panel_titles(fig) -> dict[str, str]:
    """Each value axis's panel title: the annotation over the panel's domain."""
    titles = {}
    for trace in fig.data:
        axis = axis_of(fig, trace, "x")
        high = axis_of(fig, trace).domain[1]
        for note in fig.layout.annotations:
            if note.x == pytest.approx(axis.domain[0]) and high <= note.y <= high + 0.2:
                titles[trace.yaxis or "y"] = note.text
    return titles


@pytest.mark.parametrize("role", ["all", "pm", "ops"])
def test_each_value_axis_of_the_trend_carries_one_unit_and_says_which(role):
    fig = charts.constructs_over_waves(trend_frame(), role)
    units = units_per_axis(fig, trend_frame())
    assert all(len(found) == 1 for found in units.values()), units
    assert sorted(u for found in units.values() for u in found) == ["enps", "percent", "score"]
    titles = panel_titles(fig)
    expected = {"score": "Scores, 0-100", "enps": "eNPS, −100 to +100", "percent": "Time on strategy (self-reported), %"}
    assert {titles[axis]: found for axis, found in units.items()} == {expected[u]: {u} for found in units.values() for u in found}


def test_the_enps_panel_runs_from_minus_100_to_100_and_draws_the_enps_statistic():
    frame = trend_frame()
    fig = charts.constructs_over_waves(frame, "all")
    (enps,) = [t for t in fig.data if t.meta[0][0] == "enps"]
    assert list(axis_of(fig, enps).range) == [-100, 100]
    expected = frame[(frame["construct"] == "enps") & (frame["role"] == "all")].sort_values("fielded_on")
    assert list(enps.y) == expected["enps"].tolist() != expected["mean"].tolist()
    assert list(axis_of(fig, enps).ticktext) == ["−100", "−50", "0", "+50", "+100"]
    scores = [t for t in fig.data if t.meta[0][0] in ("alignment", "insights_self_serve")]
    assert all(list(axis_of(fig, t).range) == [0, 100] for t in scores)


def test_waves_sit_on_a_date_axis_with_short_ticks_and_their_ids_only_in_the_hover():
    fig = charts.constructs_over_waves(trend_frame(), "all")
    for trace in fig.data:
        axis = axis_of(fig, trace, "x")
        assert axis.type == "date" and axis.tickformat == "%b %Y"
        assert not axis.ticktext and all(isinstance(v, pd.Timestamp) for v in axis.tickvals)
        assert [pd.Timestamp(x).date() for x in trace.x] == list(WAVES.values())
        assert all("/" not in str(x) for x in trace.x)
        assert [text.split(" · ")[0] for text in trace.text] == list(WAVES)
    assert fig.layout.legend.orientation == "h" and fig.layout.legend.yref == "container" and fig.layout.legend.y == 0


def test_a_withheld_score_is_a_gap_not_a_zero():
    fig = charts.constructs_over_waves(trend_frame(), "ops")
    (line,) = [t for t in fig.data if t.meta[0][0] == "alignment"]
    assert np.isnan(line.y[1]) and "n = hidden" in line.text[1]


def test_every_point_carries_the_score_it_stands_for():
    frame = trend_frame()
    for fig in (charts.constructs_over_waves(frame, "pm"), charts.side_by_side(sides_frame())):
        for trace in fig.data:
            assert len(trace.meta) == len(trace.y)
            for (construct, role, survey_id), y in zip(trace.meta, trace.y):
                row = frame[(frame["construct"] == construct) & (frame["role"] == role) & (frame["survey_id"] == survey_id)]
                assert len(row) == 1 and (y == row["value"].iloc[0] or (np.isnan(y) and not row["shown"].iloc[0]))


def test_side_by_side_puts_scores_enps_and_the_reported_share_on_their_own_axes():
    frame = sides_frame()
    fig = charts.side_by_side(frame)
    units = units_per_axis(fig, frame)
    assert all(len(found) == 1 for found in units.values()), units
    by_unit = {next(iter(found)): axis for axis, found in units.items()}
    assert set(by_unit) == {"score", "enps", "percent"}
    enps, percent, score = (fig.layout[f"yaxis{by_unit[u][1:]}"] for u in ("enps", "percent", "score"))
    assert list(enps.tickvals) == [-100, -50, 0, 50, 100] and enps.range[0] <= -100 and enps.range[1] >= 100
    assert list(percent.ticktext)[-1] == "100%" and list(score.tickvals) == [0, 20, 40, 60, 80, 100]
    bars = {(t.meta[0][0], t.meta[0][1]): t for t in fig.data}
    assert list(bars[("enps", "pm")].text) == ["+14"] and list(bars[("pm_time_on_strategy_pct", "pm")].text) == ["23%"]
    assert {t.name for t in fig.data if t.showlegend is not False} == {"PMs", "Operations"}


def test_values_read_in_their_unit():
    assert charts.unit_of("enps").text(20) == "+20" and charts.unit_of("enps").text(-7) == "−7"
    assert charts.unit_of("enps").text(0.2) == "0" and charts.unit_of("percent").text(21.4) == "21%"
    assert charts.unit_of("score").text(71.6) == "72" and charts.unit_of("score").text(np.nan) == ""


def test_a_long_legend_gets_a_second_row_of_margin_rather_than_running_into_the_ticks():
    short = charts._legend_margin(["PMs", "Operations"])
    long = charts._legend_margin(["Satisfaction with product operations", "Product-operations alignment",
                                  "Insights without asking", "Time to first insight", "Release confidence"])
    assert long >= short + charts.LEGEND_ROW_PX


def test_a_wave_with_nothing_to_draw_gives_an_empty_figure_not_an_error():
    empty = trend_frame().iloc[0:0]
    assert not charts.constructs_over_waves(empty, "all").data
    assert not charts.side_by_side(empty).data
