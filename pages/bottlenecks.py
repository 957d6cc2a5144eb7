"""Bottlenecks: for a product-ops lead, every team and group ranked by how far each metric sits
from its peers and how fast it is getting worse, and the records behind each row."""
from __future__ import annotations

import streamlit as st

from dashboard.app import bottleneck_panels, ui, views

filters = ui.require_filters()
scored = views.scorecard_quarter(filters.last_quarter)
period = scored.quarter
st.title("Bottlenecks", anchor=False)
st.caption(
    f"{ui.quarter_text(scored)} · {ui.describe(filters).split(' · ')[0]} · each team against all teams, "
    "each group against all groups. Worst first: how far from typical, plus how fast it is getting worse, counting "
    "for less where few records stand behind a number. Values the privacy rules hold back are not ranked."
)
ranked = views.ranked(period, filters.group, filters.team)
if ranked.empty:
    st.info("Nothing to rank in this quarter: no team or group has a value yet.", icon=":material/search_off:")
    st.stop()
focus = bottleneck_panels.bottleneck_table(ranked)
if focus:
    bottleneck_panels.bottleneck_drilldown(focus, ranked, filters, period)
