"""What the Survey page reads: waves, construct scores per wave, PM beside operations, one
question's answers, and the answers behind one score. Every number comes from
`dashboard.metrics.surveys`, so the page shows only what the privacy decision allows, and says
why the rest is missing.

Reads are cached on the store's version token, like `dashboard.app.views`: a published sync changes
the token and the next view recomputes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.app import record_panels, views
from dashboard.charts import surveys as survey_charts
from dashboard.charts.surveys import unit_of
from dashboard.charts.trends import n_text
from dashboard.core.config import SCALE_RANGES, Settings
from dashboard.core.publication import CELLS_TABLE
from dashboard.core.store import open_store
from dashboard.core.words import NO_VALUE, spoken
from dashboard.metrics import load_tables
from dashboard.metrics.survey import DETRACTOR_UPTO, PROMOTER_FROM, base_scale, wave_dates
from dashboard.metrics.surveys import ALL, CONSTRUCTS, HIDDEN_NOTE, WAVE_CELLS, measure, question_table, wave_table

ROLE_LABEL = {ALL: "Everyone", "pm": "PMs", "ops": "Operations"}
ROLE_ORDER = {ALL: 0, "pm": 1, "ops": 2}
STATISTIC_OF_UNIT = {"score": "mean", "percent": "mean", "enps": "enps"}
"""The statistic a construct is drawn by: eNPS is its own statistic (promoters less detractors, on
-100..+100), not the mean of its 0-10 answers put on 0-100."""
UNIT_WORDS = {"score": "score, 0-100", "enps": "eNPS, −100 to +100", "percent": "percent reported"}


SURVEY_TABLES = ("teams", "memberships", "team_groups", "survey_questions", "survey_answers", "survey_waves", "privacy_cells")


@st.cache_resource(max_entries=2, show_spinner=False)
def _tables(url: str, settings_json: str, version: str) -> dict[str, pd.DataFrame]:
    """Only the tables survey results read (the signal pages' cache holds the rest), the publication
    ledger's wave cells among them: a score is shown as it was published, as on the signal pages,
    never recomputed beside it from answers changed since (two versions of a cell tell the change)."""
    return load_tables(open_store(Settings.model_validate_json(settings_json)), SURVEY_TABLES, rows={CELLS_TABLE: WAVE_CELLS})


def _settings(settings_json: str) -> Settings:
    return Settings.model_validate_json(settings_json)


def min_group_size() -> int:
    return views.settings().privacy.min_group_size


def construct_title(construct: str) -> str:
    return CONSTRUCTS.get(construct, spoken(construct))


@st.cache_data(max_entries=8, show_spinner=False)
def _waves(url: str, settings_json: str, version: str) -> pd.DataFrame:
    tables = _tables(url, settings_json, version)
    answers = tables["survey_answers"]
    if answers.empty:
        return pd.DataFrame(columns=["survey_id", "fielded_on", "responses", "survey", "tool", "label"])
    dates = wave_dates(tables, _settings(settings_json))
    counts = answers.drop_duplicates(["survey_id", "response_id"]).groupby("survey_id").size()
    frame = pd.DataFrame({"survey_id": dates.index, "fielded_on": dates.dt.date.values})
    frame["responses"] = frame["survey_id"].map(counts).fillna(0).astype(int)
    meta = tables["survey_waves"].set_index("survey_id") if not tables["survey_waves"].empty else pd.DataFrame()
    frame["survey"] = frame["survey_id"].map(meta["survey"]) if "survey" in meta else None
    frame["tool"] = frame["survey_id"].map(meta["tool"]) if "tool" in meta else None
    frame["label"] = [f"{sid} ({day:%d %b %Y})" for sid, day in zip(frame["survey_id"], frame["fielded_on"])]
    return frame.sort_values("fielded_on", ignore_index=True)


def waves(start: date, end: date) -> pd.DataFrame:
    """The waves whose date falls in [start, end], oldest first: survey_id, fielded_on, responses, label."""
    frame = _waves(*views.cache_key())
    return frame[(frame["fielded_on"] >= start) & (frame["fielded_on"] <= end)].reset_index(drop=True)


@st.cache_data(max_entries=32, show_spinner="Computing survey results…")
def _wave_table(url: str, settings_json: str, version: str, level: str, scope_id: str) -> pd.DataFrame:
    return wave_table(_tables(url, settings_json, version), _settings(settings_json), level, scope_id)


@st.cache_data(max_entries=8, show_spinner=False)
def _units(url: str, settings_json: str, version: str) -> dict[str, str]:
    questions = _tables(url, settings_json, version)["survey_questions"]
    scales = questions.dropna(subset=["construct"]).groupby("construct")["scale"].agg(lambda s: set(base_scale(s)))
    return {construct: construct_unit(construct, found) for construct, found in scales.items()}


def construct_unit(construct: str, scales: set[str]) -> str:
    """What a construct's figure is measured in: "enps" (-100..+100), "percent" (a share the
    respondents report, every question a percent answer) or "score" (0-100)."""
    if construct == "enps":
        return "enps"
    return "percent" if scales == {"percent"} else "score"


def _with_units(frame: pd.DataFrame, level: str) -> pd.DataFrame:
    """The frame with each row's unit, the value drawn in it, its scope level and the construct's title."""
    unit = frame["construct"].map(_units(*views.cache_key())).fillna("score")
    value = pd.Series(np.nan, index=frame.index, dtype=float)
    for name, statistic in STATISTIC_OF_UNIT.items():
        value = value.mask(unit == name, frame[statistic].astype(float))
    return frame.assign(unit=unit, value=value, level=level, title=frame["construct"].map(construct_title),
                        who=frame["role"].map(ROLE_LABEL))


def construct_trend(level: str, scope_id: str, start: date, end: date) -> pd.DataFrame:
    """Every construct per wave in the range for one scope and each role filter, with the wave's
    date and label, the construct's title, its unit and the `value` drawn in it, n, response rate
    and a note where a value is withheld."""
    in_range = waves(start, end)
    frame = _wave_table(*views.cache_key(), level, scope_id)
    frame = frame.merge(in_range[["survey_id", "fielded_on", "label"]], on="survey_id")
    return _with_units(frame, level).sort_values(["fielded_on", "construct", "role"], ignore_index=True)


def pm_vs_ops(level: str, scope_id: str, survey_id: str) -> pd.DataFrame:
    """PM scores for the scope beside operations scores for one wave, each in its unit. Operations
    people belong to no product team, so at a group or team their side is the whole organisation's
    (`scope_note` says so, and their `level` is the organisation's)."""
    pm = _wave_table(*views.cache_key(), level, scope_id)
    ops = _wave_table(*views.cache_key(), "org", "org")
    pm = _with_units(pm[(pm["survey_id"] == survey_id) & (pm["role"] == "pm")], level)
    ops = _with_units(ops[(ops["survey_id"] == survey_id) & (ops["role"] == "ops")], "org")
    both = pd.concat([pm.assign(scope_note=""), ops.assign(scope_note="" if level == "org" else "whole organisation")], ignore_index=True)
    wave = _waves(*views.cache_key()).set_index("survey_id")
    return both.assign(label=both["survey_id"].map(wave["label"]), fielded_on=both["survey_id"].map(wave["fielded_on"]))


@st.cache_data(max_entries=8, show_spinner=False)
def _questions(url: str, settings_json: str, version: str) -> pd.DataFrame:
    return _tables(url, settings_json, version)["survey_questions"].copy()


def questions(survey_id: str) -> pd.DataFrame:
    """The wave's questions: question_id, text, construct, scale."""
    frame = _questions(*views.cache_key())
    return frame[frame["survey_id"] == survey_id].sort_values(["construct", "question_id"], ignore_index=True)


@st.cache_data(max_entries=32, show_spinner=False)
def _distribution(url: str, settings_json: str, version: str, survey_id: str, question_id: str, level: str, scope_id: str) -> pd.DataFrame:
    return question_table(_tables(url, settings_json, version), _settings(settings_json), survey_id, question_id, level, scope_id)


def question_distribution(survey_id: str, question_id: str, level: str, scope_id: str) -> pd.DataFrame:
    """How the answers to one question were spread for the scope, per role filter, with a note
    ("fewer than 5 responses") in place of a withheld distribution."""
    frame = _distribution(*views.cache_key(), survey_id, question_id, level, scope_id)
    return frame.assign(who=frame["role"].map(ROLE_LABEL))


@views.per_version
def constructs_figure(level: str, scope_id: str, start: date, end: date, role: str) -> go.Figure:
    """The constructs over the waves for one role filter (`construct_trend`), built once per version."""
    return survey_charts.constructs_over_waves(construct_trend(level, scope_id, start, end), role)


@views.per_version
def sides_figure(level: str, scope_id: str, survey_id: str) -> go.Figure:
    """PMs and operations side by side in one wave (`pm_vs_ops`), built once per version."""
    return survey_charts.side_by_side(pm_vs_ops(level, scope_id, survey_id))


@views.per_version
def distribution_figure(survey_id: str, question_id: str, level: str, scope_id: str) -> go.Figure:
    """How the answers to one question spread (`question_distribution`), built once per version."""
    return survey_charts.distribution(question_distribution(survey_id, question_id, level, scope_id))


def display_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Scores as a person reads them: the value in its unit, or the reason it is withheld, beside n
    and the response rate. A withheld score shows no n and no response rate (either would tell its size);
    a shown one its response rate where at least k were invited."""

    def cell(value, shown, note, fmt):
        return fmt(value) if shown and pd.notna(value) else note or NO_VALUE

    rate = [f"{r:.0%} ({a} of {i})" if pd.notna(r) and s else NO_VALUE
            for r, a, i, s in zip(frame["response_rate"], frame["answered"].fillna(0).astype(int),
                                  frame["invited"].fillna(0).astype(int), frame["shown"])]
    return pd.DataFrame({
        "Wave": frame["label"],
        "Construct": frame["title"],
        "Who": frame["role"].map(ROLE_LABEL),
        "Value": [cell(v, s, n, unit_of(u).text) for v, s, n, u in zip(frame["value"], frame["shown"], frame["note"], frame["unit"])],
        "Unit": frame["unit"].map(UNIT_WORDS),
        "Favourable": [cell(v, s, "", lambda x: f"{x:.0%}") for v, s in zip(frame["favourable"], frame["shown"])],
        "n": frame["n"].map(n_text),
        "Response rate": rate,
    })


# ---------------------------------------------------------------------------------------------
# The answers behind one score

Point = tuple[str, str, str]
"""One score on a Survey chart: (construct, role filter, survey_id)."""
SCOPE_COLUMN = {"group": "group", "team": "team_id"}
"""Where a placed respondent's group and team are (`dashboard.metrics.surveys` places them)."""
RESPONDENTS, SHARE, SCORE, COUNTS_AS = "Respondents", "Share of respondents", "Score (0-100)", "Counts as"
PERCENT_ANSWER = "Answer (%)"
PROMOTER, PASSIVE, DETRACTOR = (f"promoter ({PROMOTER_FROM}-10)", f"passive ({DETRACTOR_UPTO + 1}-{PROMOTER_FROM - 1})",
                                f"detractor (0-{DETRACTOR_UPTO})")
ENPS_CLASS = {1.0: PROMOTER, 0.0: PASSIVE, -1.0: DETRACTOR}
COUNTED_HOW = {
    "score": "the mean of the respondents' scores (each respondent's answers averaged, on 0-100)",
    "percent": "the mean of the respondents' answers",
    "enps": "the share of promoters less the share of detractors, times 100",
}


def points(frame: pd.DataFrame) -> list[Point]:
    """Every score of a chart's frame, newest wave first, withheld ones too: choosing one of those
    says why it is withheld, and nothing more."""
    order = frame.assign(_at=pd.to_datetime(frame["fielded_on"]), _role=frame["role"].map(ROLE_ORDER))
    order = order.sort_values(["_at", "title", "_role"], ascending=[False, True, True], kind="stable")
    return [(c, r, s) for c, r, s in zip(order["construct"], order["role"], order["survey_id"])]


def point_labels(frame: pd.DataFrame) -> dict[Point, str]:
    """What the list of points says of each: "eNPS · PMs · pulse/2026Q4 (17 Nov 2026)"."""
    return {(c, r, s): f"{t} · {ROLE_LABEL.get(r, r)} · {w}" + ("" if shown else " · hidden")
            for c, r, s, t, w, shown in zip(frame["construct"], frame["role"], frame["survey_id"], frame["title"],
                                            frame["label"], frame["shown"])}


def size_text(row: pd.Series) -> str:
    """A shown score's n and its wave's response rate, as the table of scores gives them, and whose
    it is when not the chosen scope's: "n = 44 answered these questions · 53 of 70 invited answered
    the wave (76%)"."""
    parts = [f"n = {n_text(row['n'])} answered these questions"]
    if pd.notna(row["response_rate"]):
        parts.append(f"{int(row['answered'])} of {int(row['invited'])} invited answered the wave ({row['response_rate']:.0%})")
    if row.get("scope_note"):
        parts.append(str(row["scope_note"]))
    return " · ".join(parts)


def point_row(frame: pd.DataFrame, point: Point) -> pd.Series:
    construct, role, survey_id = point
    found = frame[(frame["construct"] == construct) & (frame["role"] == role) & (frame["survey_id"] == survey_id)]
    return found.iloc[0]


def clicked(event: dict | None, identities: list) -> Point | None:
    """The score a chart click picked: the figures carry `[construct, role, survey_id]` per point in
    each trace's `meta` (`identities`, in trace order)."""
    chosen = (event or {}).get("selection", {}).get("points", [])
    if not chosen:
        return None
    curve = chosen[0].get("curve_number")
    index = chosen[0].get("point_index", chosen[0].get("point_number"))
    if curve is None or index is None or curve >= len(identities) or not identities[curve]:
        return None
    mine = identities[curve]
    return tuple(mine[index]) if index < len(mine) else None


def on_click(chart_key: str, identities: list) -> None:
    """A click on a point or bar chooses it in the list under the chart (`record_panels`' key)."""
    point = clicked(st.session_state.get(chart_key), identities)
    if point is not None:
        st.session_state[record_panels.state_key(chart_key)] = point


@dataclass(frozen=True)
class Behind:
    """What stands behind one score: its answers counted per respondent, or only why there are none.

    `rows` is None where the page shows no answers: the score is withheld, or it is held at what an
    earlier version of the data published (`note` says which). `counted` is the score worked out
    from `rows` alone.
    """

    rows: pd.DataFrame | None
    counted: float | None
    note: str = ""


HELD_NOTE = f"The answers behind this score are {HIDDEN_NOTE}"


def behind(row: pd.Series) -> Behind:
    """The answers behind one score (a row of `construct_trend` or `pm_vs_ops`). Rows that would not
    count to the published score are never shown: they would be answers other than the score's."""
    if not row["shown"]:
        return Behind(None, None, row["note"] or HIDDEN_NOTE)
    rows = _answers(*views.cache_key(), row["level"], row["scope_id"], row["survey_id"], row["construct"], row["role"],
                    row["unit"])
    if rows is None:
        return Behind(None, None, HELD_NOTE)
    counted = recount(rows, row["unit"])
    if not np.isclose(counted, row["value"], rtol=0, atol=1e-6):
        return Behind(None, None, HELD_NOTE)
    return Behind(rows, counted)


def recount(rows: pd.DataFrame, unit: str) -> float:
    """The score from the rows shown, by the metric's definition (see `COUNTED_HOW`)."""
    n = rows[RESPONDENTS].sum()
    if unit == "enps":
        tally = rows.groupby(COUNTS_AS)[RESPONDENTS].sum()
        return float((tally.get(PROMOTER, 0) - tally.get(DETRACTOR, 0)) / n * 100)
    column = PERCENT_ANSWER if unit == "percent" else SCORE
    return float((rows[column] * rows[RESPONDENTS]).sum() / n)


@st.cache_data(max_entries=64, show_spinner=False)
def _answers(url: str, settings_json: str, version: str, level: str, scope_id: str, survey_id: str, construct: str,
             role: str, unit: str) -> pd.DataFrame | None:
    tables = _tables(url, settings_json, version)
    return answer_counts(tables, _settings(settings_json), level, scope_id, survey_id, construct, role, unit)


def answer_counts(tables: dict[str, pd.DataFrame], settings: Settings, level: str, scope_id: str, survey_id: str,
                  construct: str, role: str, unit: str) -> pd.DataFrame | None:
    """How many respondents of one score's cell gave each answer, or None where none may be shown.

    Why per respondent, not per question: a score is the mean over respondents of each one's
    average over the construct's questions (`dashboard.metrics.survey.per_respondent`), and a
    respondent may skip a question, so the answers of each question apart cannot add up to it;
    eNPS classes each respondent by their average answer. Counting respondents at each average
    answer does add up, exactly, to the score (the mean of the averages) and to eNPS (promoters
    less detractors over everyone). For a one-question construct the rows are that question's
    distribution, which the page already shows under "Answers to one question".

    Why it is safe: the rows are counts over the same respondents, in the same cell (wave, scope,
    role filter), as the score the privacy decision published; no person, no team below the
    scope, no submission time. They are shown only where that score is shown as it is now
    (`Measure.fresh`, the rule `question_table` applies to a question's distribution): a withheld
    score has nothing behind it, and a score held at an earlier version's value would, beside the
    answers there are now, tell what changed since.
    """
    found = measure(tables, settings, construct=construct)
    if not found.fresh("wave", level, survey_id, scope_id, role):
        return None
    people = found.placed[found.placed["wave"] == survey_id]
    if role != ALL:
        people = people[people["role"] == role]
    if level != "org":
        people = people[people[SCOPE_COLUMN[level]] == scope_id]
    if people.empty:
        return None
    answer = _answer_column(tables["survey_questions"], survey_id, construct)
    counts = pd.DataFrame({
        "answer": people["raw"].astype(float).round(9), "score": people["value"].astype(float).round(9),
        "class": people["promoter"].map(ENPS_CLASS),
    }).value_counts().rename(RESPONDENTS).reset_index().sort_values(["score", "answer"], ignore_index=True)
    if unit == "percent":
        columns = {"score": PERCENT_ANSWER}
    else:
        columns = {"answer": answer} if answer else {}
        columns.update({"class": COUNTS_AS} if unit == "enps" else {"score": SCORE})
    shown = list(columns.values())
    rows = counts.rename(columns=columns).groupby(shown, sort=False)[RESPONDENTS].sum().reset_index()
    return rows.assign(**{SHARE: rows[RESPONDENTS] / rows[RESPONDENTS].sum()})


def _answer_column(questions: pd.DataFrame, survey_id: str, construct: str) -> str | None:
    """The answer's column name, with its scale ("Average answer (1-5)"), or None when the
    construct's questions are on different scales (an average across them means nothing)."""
    mine = questions[(questions["survey_id"] == survey_id) & (questions["construct"] == construct)]
    scales = set(mine["scale"])
    if len(scales) != 1:
        return None
    low, high = SCALE_RANGES[base_scale(pd.Series(list(scales))).iloc[0]]
    return f"{'Answer' if len(mine) == 1 else 'Average answer'} ({low:g}-{high:g})"
