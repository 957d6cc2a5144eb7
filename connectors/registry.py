"""Every source the pipeline runs, in the order a full sync runs them.

Adding a source is a folder under `connectors/` whose source class follows
`dashboard.pipeline.source.Source`, and a line here (docs/adding-a-source.md).
"""
from __future__ import annotations

from connectors.calendar import Calendars
from connectors.jira import Jira
from dashboard.pipeline.source import Source


def sources() -> dict[str, Source]:
    """A fresh instance of every source by name (a source may keep state for one run)."""
    return {source.name: source for source in (Jira(), Calendars())}
