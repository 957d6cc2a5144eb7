"""Surveys: what PMs and operations say, per wave, with every withheld number said to be withheld."""
from __future__ import annotations

import streamlit as st

from dashboard.app import survey_panels, survey_views, ui
from dashboard.core import safe_text

filters = ui.require_filters()
st.title("Surveys", anchor=False)
k = survey_views.min_group_size()
st.caption(
    f"Pulse surveys of PMs and operations · {ui.describe(filters)} · no score over fewer than {k} responses is shown, "
    "nor any that would let one be worked out from the others."
)

waves = survey_views.waves(filters.start, filters.end)
if waves.empty:
    st.info("No survey waves in this range. Load an export with the survey connector, or widen the range.", icon=":material/forum:")
    st.stop()

level, scope_id = filters.scope, filters.scope_id
trend = survey_views.construct_trend(level, scope_id, filters.start, filters.end)

st.header("Constructs over waves", anchor=False)
role = st.segmented_control("Who answered", ["all", "pm", "ops"], default="all", format_func=survey_views.ROLE_LABEL.get,
                            key="survey_role", required=True)
role = role or "all"
survey_panels.chart_with_points(survey_views.constructs_figure(level, scope_id, filters.start, filters.end, role), "survey_trend")
survey_panels.behind_a_point(trend[trend["role"] == role], "survey_trend", "Click a point on the chart, or choose one here")
with st.expander("Scores, n and response rates"):
    st.dataframe(survey_views.display_table(trend), hide_index=True, width="stretch")

st.header("PMs and operations side by side", anchor=False)
wave = st.selectbox("Wave", waves["survey_id"].tolist(), index=len(waves) - 1,
                    format_func=dict(zip(waves["survey_id"], waves["label"])).get, key="survey_wave")
sides = survey_views.pm_vs_ops(level, scope_id, wave)
survey_panels.chart_with_points(survey_views.sides_figure(level, scope_id, wave), "survey_sides")
if level != "org":
    st.caption("Operations people belong to no product team, so their side is the whole organisation's.")
withheld = sides[~sides["shown"]]
for row in withheld.itertuples():
    st.caption(f":material/visibility_off: {safe_text.markdown(row.who)}, {safe_text.markdown(row.title)}: {safe_text.markdown(row.note)}.")
survey_panels.behind_a_point(sides, "survey_sides", "Click a bar on the chart, or choose one here")

st.header("Answers to one question", anchor=False)
questions = survey_views.questions(wave)
if questions.empty:
    st.info("This wave has no scored questions.")
    st.stop()
question = st.selectbox("Question", questions["question_id"].tolist(),
                        format_func=dict(zip(questions["question_id"], questions["text"])).get, key="survey_question")
spread = survey_views.question_distribution(wave, question, level, scope_id)
if spread["shown"].any():
    st.plotly_chart(survey_views.distribution_figure(wave, question, level, scope_id), key="survey_distribution")
for row in spread[~spread["shown"]].itertuples():
    st.caption(f":material/visibility_off: {safe_text.markdown(row.who)}: {safe_text.markdown(row.note)}.")
