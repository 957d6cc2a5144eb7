"""What the Survey page reads: waves, construct scores per wave, PM beside operations, one
question's answers. Every number comes from `dashboard.metrics.surveys`, so the page shows only
what the privacy decision allows, and says why the rest is missing.

Reads are cached on the store's version token, like `dashboard.app.views`: a published sync changes
the token and the next view recomputes.
"""
from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from dashboard.app import views
from dashboard.charts.trends import n_text
from dashboard.core.config import Settings
from dashboard.core.store import open_store
from dashboard.core.words import NO_VALUE, spoken
from dashboard.metrics import load_tables
from dashboard.metrics.survey import wave_dates
from dashboard.metrics.surveys import ALL, CONSTRUCTS, question_table, wave_table

ROLE_LABEL = {ALL: "Everyone", "pm": "PMs", "ops": "Operations"}
STATISTIC_LABEL = {"mean": "Score (0-100)", "favourable": "Favourable", "enps": "eNPS"}


SURVEY_TABLES = ("teams", "memberships", "team_groups", "survey_questions", "survey_answers", "survey_waves")


@st.cache_resource(max_entries=2, show_spinner=False)
def _tables(url: str, settings_json: str, version: str) -> dict[str, pd.DataFrame]:
    """Only the tables survey results read (the signal pages' cache holds the rest)."""
    return load_tables(open_store(Settings.model_validate_json(settings_json)), SURVEY_TABLES)


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


def construct_trend(level: str, scope_id: str, start: date, end: date) -> pd.DataFrame:
    """Every construct per wave in the range for one scope and each role filter, with the wave's
    date and label, the construct's title, n, response rate and a note where a value is withheld."""
    in_range = waves(start, end)
    frame = _wave_table(*views.cache_key(), level, scope_id)
    frame = frame.merge(in_range[["survey_id", "fielded_on", "label"]], on="survey_id")
    return frame.assign(title=frame["construct"].map(construct_title)).sort_values(["fielded_on", "construct", "role"], ignore_index=True)


def pm_vs_ops(level: str, scope_id: str, survey_id: str) -> pd.DataFrame:
    """PM scores for the scope beside operations scores for one wave. Operations people belong to no
    product team, so at a group or team their side is the whole organisation's (`scope_note` says so)."""
    pm = _wave_table(*views.cache_key(), level, scope_id)
    ops = _wave_table(*views.cache_key(), "org", "org")
    pm = pm[(pm["survey_id"] == survey_id) & (pm["role"] == "pm")]
    ops = ops[(ops["survey_id"] == survey_id) & (ops["role"] == "ops")]
    both = pd.concat([pm.assign(scope_note=""), ops.assign(scope_note="" if level == "org" else "whole organisation")], ignore_index=True)
    return both.assign(title=both["construct"].map(construct_title), who=both["role"].map(ROLE_LABEL))


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


def display_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Scores as a person reads them: the value, or the reason it is withheld, beside n and the
    response rate. A withheld score shows no n and no response rate (either would tell its size);
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
        "Score": [cell(v, s, n, lambda x: f"{x:.0f}") for v, s, n in zip(frame["mean"], frame["shown"], frame["note"])],
        "Favourable": [cell(v, s, "", lambda x: f"{x:.0%}") for v, s in zip(frame["favourable"], frame["shown"])],
        "eNPS": [cell(v, s, "", lambda x: f"{x:+.0f}") if c == "enps" else "" for v, s, c in zip(frame["enps"], frame["shown"], frame["construct"])],
        "n": frame["n"].map(n_text),
        "Response rate": rate,
    })
