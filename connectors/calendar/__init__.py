"""Calendars into `calendar_events`: ICS files and feeds, Google Calendar, Microsoft Graph.

One module per idea: `ics`, `google` and `graph` read their source into `Occurrence`s,
`normalize` is the one step that turns occurrences into rows, `classify` holds the rules, and
`sync` is the pipeline's source (`Calendars`) that runs it all. The names below are the public surface.
"""

from __future__ import annotations

from connectors.calendar.classify import CATEGORIES, DEFAULT_RULES, UNCLASSIFIED, Classifier, effective_rules, rules_preview
from connectors.calendar.ics import IcsError, ics_occurrences, ics_tables, ics_to_rows
from connectors.calendar.normalize import Occurrence, Owner, Window, roster_roles, roster_teams, title_hash
from connectors.calendar.sync import Calendars, SyncResult, sync_calendars, sync_window

__all__ = [
    "CATEGORIES",
    "DEFAULT_RULES",
    "UNCLASSIFIED",
    "Calendars",
    "Classifier",
    "IcsError",
    "Occurrence",
    "Owner",
    "SyncResult",
    "Window",
    "effective_rules",
    "ics_occurrences",
    "ics_tables",
    "ics_to_rows",
    "roster_roles",
    "roster_teams",
    "rules_preview",
    "sync_calendars",
    "sync_window",
    "title_hash",
]
