"""The Data page's sections: sources and their connections, loads, coverage and the calendar rules."""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from connectors.calendar import IcsError
from dashboard import doctor
from dashboard.app import auth, data_views, ui, uploads, views
from dashboard.core.config import Settings
from dashboard.core.store import Store

_LAST_SYNC = "_last_sync_outcomes"
_LAST_LOAD = "_last_load_message"
"""Outcomes kept in the session across the rerun that follows a sync or a load."""


def sync_panel(after: Callable[[Store, Settings], object] | None = None) -> None:
    """A "Sync now" control for the configured sources, with progress and each source's outcome;
    `after` runs when the sync is done, whatever its outcome (the alerts)."""
    sources = data_views.configured_sources()
    if not sources:
        st.info(
            "No source is configured, so this is the demo organisation. Add `[jira]` or `[calendar.*]` to "
            "`prodops.toml` to sync real data; rosters and survey exports load with `python -m dashboard load`."
        )
        return
    st.caption(f"Configured sources: {', '.join(sources)}. A sync publishes all of a source's data or none of it.")
    _show_outcomes(st.session_state.pop(_LAST_SYNC, []))
    if not auth.may("sync"):
        return
    if not st.button("Sync now", key="sync_now", icon=":material/sync:"):
        return
    with st.status("Syncing…", expanded=True) as status:
        bar = st.progress(0.0)

        def progress(stage: str, done: int, total: int | None) -> None:
            bar.progress(min(done / total, 1.0) if total else 0.0, text=f"{stage}: {done:,}" + (f" of {total:,}" if total else ""))

        outcomes = data_views.run_sync(progress, after)
        _show_outcomes(outcomes)
        failed = any(o.status == "failed" for o in outcomes)
        status.update(label="Sync failed: the last good data stays on screen" if failed else "Sync finished", state="error" if failed else "complete")
    if st.session_state.get(ui.FILTERS_KEY) is None:
        st.session_state[_LAST_SYNC] = outcomes  # the first data reruns the page: show them again there


def _show_outcomes(outcomes: list) -> None:
    for outcome in outcomes:
        line = f"**{outcome.source}**: {outcome.status}, {outcome.rows:,} rows in {outcome.seconds:.1f} s. {outcome.detail}"
        (st.error if outcome.status == "failed" else st.warning if outcome.status == "partial" else st.success)(line)


def connections_panel() -> None:
    """Each configured source's last run, and a "Test connection" that runs the doctor's checks for it."""

    runs = data_views.sync_status().sources.set_index("source") if views.has_data() else pd.DataFrame().rename_axis("source")
    for source in data_views.configured_sources():
        name, state, test = st.columns([2, 5, 2], vertical_alignment="center")
        name.markdown(f"**{source}**")
        if source in runs.index:
            run = runs.loc[source]
            state.caption(f"Last run: {run['last_status']}; last success: {run['last_success']}. {run['last_error']}".strip())
        else:
            state.caption("Never synced: test the connection, then Sync now.")
        if test.button("Test connection", key=f"test_{source}", icon=":material/network_check:"):
            with st.spinner(f"Reaching {source}…"):
                checks = doctor.SOURCE_CHECKS[source](views.settings(), doctor.Named())
            for check in checks:
                (st.success if check.status == doctor.READY else st.error)(f"{check.source}: {check.message}")


def uploads_panel() -> None:
    """Roster and survey exports loaded from the browser: a preview of what would load, then Load."""

    if not auth.may("sync"):
        return
    settings = views.settings()
    loaded = st.session_state.pop(_LAST_LOAD, None)
    if loaded:
        st.success(loaded, icon=":material/check:")
    roster, survey_side = st.columns(2, border=True)
    with roster:
        st.markdown("**Load the HR roster**")
        st.caption("A CSV with the columns in docs/roster.md. Nothing is written until you press Load.")
        file = st.file_uploader("Roster CSV", type=["csv"], key="roster_upload")
        if file is not None:
            preview = uploads.roster_preview(file.getvalue(), file.name)
            _show_preview(preview)
            if preview.loadable and st.button("Load roster", key="roster_load", icon=":material/upload:"):
                st.session_state[_LAST_LOAD] = uploads.load_roster_file(views.store(), preview, settings, views.today())
                st.rerun()
    with survey_side:
        st.markdown("**Load a survey wave**")
        if not settings.surveys:
            st.caption("Map a survey in `prodops.toml` first (`[surveys.NAME]`, see docs/surveys.md).")
            return
        survey = st.selectbox("Survey", sorted(settings.surveys), key="survey_name")
        wave = st.text_input("Wave", placeholder="e.g. 2026Q4", key="survey_wave").strip()
        file = st.file_uploader("Survey export", type=["csv", "json"], key="survey_upload")
        if file is not None and wave:
            preview = uploads.survey_preview(views.store(), file.getvalue(), file.name, survey, wave, settings)
            _show_preview(preview)
            if preview.loadable and st.button("Load wave", key="survey_load", icon=":material/upload:"):
                st.session_state[_LAST_LOAD] = uploads.load_survey_file(views.store(), preview, survey, wave, settings)
                st.rerun()


def _show_preview(preview) -> None:
    for column, (label, value) in zip(st.columns(max(1, len(preview.counts))), preview.counts.items(), strict=False):
        column.metric(label, f"{value:,}")
    for problem in preview.problems:
        (st.warning if preview.loadable else st.error)(problem)


def coverage_panel() -> None:
    """How much of the organisation each source covers."""
    table = data_views.coverage_table()
    st.dataframe(
        table, hide_index=True, width="stretch",
        column_config={
            "measure": "Coverage", "covered": st.column_config.NumberColumn("Covered", format="localized"),
            "total": st.column_config.NumberColumn("Of", format="localized"),
            "share": st.column_config.ProgressColumn("Share", format="percent", min_value=0.0, max_value=1.0),
            "counted": "Counted",
        },
    )


def rules_panel(filters: ui.Filters) -> None:
    """The rules preview: hours each calendar rule catches, synced and tried on a file."""
    st.caption(
        f"Calendar hours each `[[calendar.rules]]` entry catches from {filters.start:%d %b %Y} to {filters.end:%d %b %Y}, "
        "across the organisation, first match wins. Unclassified hours are time no rule explains; "
        "a rule with no hours may be shadowed by one above it. All-day occurrences count, but carry no hours."
    )
    _rule_table(data_views.stored_rule_hits(filters.start, filters.end))
    with st.expander("Try the rules on a calendar file", icon=":material/science:"):
        st.caption("Upload one ICS export to see how the rules as configured now classify it. "
                   "Titles are read in memory and not stored.")
        upload = st.file_uploader("ICS file", type=["ics"], key="rules_file")
        owner = st.text_input("Calendar owner's address (so declined invitations are recognised)", key="rules_owner")
        if upload is not None:
            try:
                _rule_table(data_views.file_rule_hits(upload.getvalue(), owner))
            except IcsError as error:
                st.error(f"{upload.name} could not be read: {error}")


def _rule_table(table: pd.DataFrame) -> None:
    st.dataframe(
        table.round({"hours": 1}), hide_index=True, width="stretch", height="content",
        column_config={
            "rule": "Rule", "category": "Category",
            "occurrences": st.column_config.NumberColumn("Occurrences", format="localized"),
            "hours": st.column_config.NumberColumn("Hours", format="localized"),
            "share": st.column_config.ProgressColumn("Share of hours", format="percent", min_value=0.0, max_value=1.0),
        },
    )
