"""The QBR page's sections: the quarter picker, each section with its note, and the exports."""
from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from dashboard.app import auth, qbr_views, record_panels, ui, views
from dashboard.app.chart_points import point_choices
from dashboard.core import periods, safe_text
from dashboard.core.notes import NoteError
from dashboard.metrics import METRICS
from dashboard.report import FORMATS
from dashboard.report.images import ImageError
from dashboard.report.model import Chart

# ---------------------------------------------------------------------------------------------
# The quarterly business review


def qbr_quarter(quarters: list[date]) -> date:
    """The review's quarter: the one a link or address brings (`ui.seed_from_url`), else the last complete quarter."""
    by_param = {ui.quarter_param(q): q for q in quarters}
    ui.seed_from_url("qbr_quarter", quarters, by_param.get)
    chosen = st.selectbox("Quarter", quarters, index=len(quarters) - 1, format_func=periods.quarter_label, key="qbr_quarter",
                          help="Complete quarters only: a running quarter is not compared with a whole one.")
    st.query_params["quarter"] = ui.quarter_param(chosen)
    return chosen


def _table_frame(table) -> pd.DataFrame:
    frame = pd.DataFrame(table.rows, columns=table.columns)
    if frame.empty:
        return frame
    tones = table.tones or [None] * len(frame)
    colours = {"on": "#D3F9D8", "near": "#FFEC99", "off": "#FFC9C9", "better": "#D3F9D8", "worse": "#FFC9C9"}
    column = frame.columns[table.toned_column()]

    def paint(series: pd.Series) -> list[str]:
        return [f"background-color: {colours[t]}" if series.name == column and t in colours else "" for t in tones]

    return frame.style.apply(paint)


def qbr_chart(chart: Chart) -> None:
    """A chart of the review; one over a metric's periods opens the records behind a clicked point."""
    key = f"qbr_{chart.id}"
    if chart.metric_id is None:
        st.plotly_chart(chart.figure, key=key, config=ui.PLOTLY_CONFIG)
    else:
        names = views.scope_names()
        points = chart.points.assign(name=chart.points["scope_id"].map(lambda scope_id: names.get(scope_id, scope_id)))
        record_panels.chart_with_points(chart.figure, key, ui.PLOTLY_CONFIG)
        record_panels.behind_a_point(METRICS[chart.metric_id], points, chart.grain, key,
                                     point_choices(points, chart.grain))
    with st.expander("About this chart"):
        st.caption(safe_text.markdown(chart.caption))


def qbr_section(section, report) -> None:
    """One section of the review as the exports show it, with its stored note to edit."""
    st.header(section.title, anchor=False)
    if section.subtitle:
        st.caption(safe_text.markdown(section.subtitle))  # it names the team or group
    if section.charts:
        with ui.tile_row():
            for chart in section.charts:
                with ui.tile():
                    qbr_chart(chart)
    for table in section.tables:
        st.markdown(f"**{safe_text.markdown(table.title)}**")
        if table.rows:
            st.dataframe(_table_frame(table), hide_index=True, width="stretch", height="content")
        else:
            st.caption(table.empty)
    if auth.may("notes"):
        _qbr_note_editor(section, report)
    elif section.note:
        st.markdown(f"**Notes**  \n{section.note}")
    if section.footnotes:
        with st.expander("Definitions and method"):
            for footnote in section.footnotes:
                st.caption(footnote)


def _qbr_note_editor(section, report) -> None:
    """A form, so one click saves what was typed (a bare text area commits only when it loses
    focus: the first click on a button outside it merely committed the text)."""
    label = periods.label(report.quarter, "quarter")
    saved_key = f"_qbr_saved_{label}_{report.scope_id}_{section.id}"
    with st.form(f"qbr_note_form_{section.id}", border=False):
        text = st.text_area("Notes", value=section.note, key=f"qbr_note_{label}_{report.scope_id}_{section.id}",
                            placeholder="What happened, why, and what we do next. Stored with the quarter; goes into "
                                        "every export.")
        saved = st.form_submit_button("Save note", key=f"qbr_save_{section.id}", icon=":material/save:")
    if saved:
        try:
            qbr_views.save_qbr_note(report.quarter, report.scope_id, section.id, text)
        except NoteError as error:
            st.error(str(error))
        else:
            st.session_state[saved_key] = f"Note saved for {periods.quarter_label(report.quarter)}: it is in every export."
            st.rerun()
    message = st.session_state.pop(saved_key, None)
    if message:
        st.success(message, icon=":material/check:")
        st.toast(message, icon=":material/check:")


def qbr_exports(report) -> None:
    """Build the pack once on request, then offer every format for download."""

    ready = st.session_state.get("_qbr_ready") == (report.quarter, report.scope_id, views.store().version())
    if not ready:
        if not st.button("Prepare the QBR pack", key="qbr_prepare", icon=":material/download:",
                         help="PowerPoint, PDF, Markdown and CSV, with the charts as images. Takes a few seconds."):
            return
        st.session_state["_qbr_ready"] = (report.quarter, report.scope_id, views.store().version())
    try:
        files = qbr_views.qbr_files(report.quarter, report.scope, report.scope_id)
    except ImageError as error:
        st.error(f"The charts could not be drawn as images, so only the CSV is offered. {error}", icon=":material/error:")
        files = {"csv": qbr_views.qbr_csv(report.quarter, report.scope, report.scope_id)}
    for column, (fmt, (mime, title)) in zip(st.columns(len(FORMATS)), FORMATS.items()):
        if fmt not in files:
            continue
        column.download_button(title, files[fmt], file_name=f"{report.file_stem()}.{fmt}", mime=mime,
                               key=f"qbr_dl_{fmt}", on_click="ignore", icon=":material/download:", width="stretch")
