"""Overview: for a VP, each signal's scorecard against the quarter before, a year before and
its target, the running quarter to date, and the events on every time axis."""
from __future__ import annotations

import streamlit as st

from dashboard.analysis import milestones
from dashboard.app import auth, ui, verdict_panels, views
from dashboard.core import safe_text
from dashboard.core.notes import NoteError, annotation_metrics


def annotations_panel(filters: ui.Filters) -> None:
    """The events drawn on every time axis: listed, added and removed here, stored for everyone."""
    names = views.scope_names()
    message = st.session_state.pop("_annotation_message", None)
    if message:
        st.success(message, icon=":material/check:")
    with st.expander("Annotations on the time axes", icon=":material/flag:"):
        st.caption("Milestones and reorganisations, drawn on every chart so cause and effect can be seen. "
                   "An organisation-wide one shows on every chart; a group's or team's on its own charts.")
        existing = views.annotations()
        titles = {metric.id: metric.title for metric in views.METRICS.values()}
        st.dataframe(
            existing.assign(scope=existing["scope"].map(lambda i: names.get(i, i)),
                            metrics=existing["metrics"].map(lambda c: ", ".join(titles.get(i, i) for i in annotation_metrics(c)))),
            hide_index=True, width="stretch",
            column_config={"on_date": st.column_config.DateColumn("Date", format="D MMM YYYY"), "scope": "Where",
                           "label": "What happened", "metrics": "Meant to move"},
        )
        if not auth.may("annotate"):
            return
        scopes = [views.ORG, *([filters.group] if filters.group else []), *([filters.team] if filters.team else [])]
        with st.form("annotation_form", clear_on_submit=True, border=False):
            when, where, what = st.columns([1, 1, 3])
            on_date = when.date_input("Date", value=filters.today, key="ann_date")
            scope = where.selectbox("Where", scopes, format_func=lambda i: names.get(i, i), key="ann_scope")
            label = what.text_input("What happened", max_chars=80, key="ann_label",
                                    placeholder="e.g. New intake process for data requests")
            metrics = st.multiselect("Metrics it was meant to move (optional)", list(titles), format_func=titles.get,
                                     key="ann_metrics", help=milestones.RULE)
            if st.form_submit_button("Add annotation", icon=":material/add:"):
                try:
                    views.add_annotation(on_date, scope, label, metrics)
                except NoteError as error:
                    st.error(str(error))
                else:
                    st.session_state["_annotation_message"] = f"Added “{label.strip()}” on {on_date:%d %b %Y}."
                    st.rerun()
        keys = [(row.on_date, row.scope, row.label) for row in existing.itertuples()]
        chosen = st.multiselect("Remove", keys, format_func=lambda k: f"{k[0]:%d %b %Y} · {k[2]}", key="ann_pick")
        if chosen and st.button("Remove the chosen annotations", key="ann_remove", icon=":material/delete:"):
            views.remove_annotations(chosen)
            st.session_state["_annotation_message"] = f"Removed {len(chosen)} annotation(s)."
            st.rerun()


filters = ui.require_filters()
scope_name = views.scope_names().get(filters.scope_id, filters.scope_id)
title, view = st.columns([3, 2], vertical_alignment="bottom")
title.title("Product Ops Health", anchor=False)
with view:
    executive = verdict_panels.executive_view()
verdict_panels.verdicts(filters, compact=executive)
verdict_panels.look_at(filters)
if executive:
    st.stop()
verdict_panels.impacts(filters)
st.divider()
st.caption(f"{safe_text.markdown(scope_name)} · {ui.scorecard_quarter(filters)} · trends {ui.span(filters)}")
annotations_panel(filters)
for signal in views.signals():
    ui.scorecard(signal, filters)
    st.divider()
