"""QBR: a quarter against the one before, as the exported pack shows it, with notes per section."""
from __future__ import annotations

import streamlit as st

from dashboard.app import qbr_panels, qbr_views, ui
from dashboard.core import safe_text

filters = ui.require_filters()
st.title("Quarterly business review", anchor=False)
quarters = qbr_views.qbr_quarters()
if not quarters:
    st.info("There is no complete quarter of data yet: a review compares whole quarters.", icon=":material/event_busy:")
    st.stop()
picker, _ = st.columns([1, 3])
with picker:
    quarter = qbr_panels.qbr_quarter(quarters)
report = qbr_views.qbr(quarter, filters.scope, filters.scope_id)
st.caption(f"{safe_text.markdown(report.scope_name)} · {report.subtitle}. The exports carry exactly this content.")
qbr_panels.qbr_exports(report)
for section in report.sections:
    qbr_panels.qbr_section(section, report)
    st.divider()
