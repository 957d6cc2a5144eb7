"""Decision edits: the changes to product work that decide something about it.

Product operations informs product decisions; it does not make them (issue 21, mistake 1).
Who changes an item's priority, its fix version or its rank, or closes it as not to be done,
is who decided. `work_item_transitions.field` names these fields in the words below, whatever
the source calls them, so a metric and a connector agree on one spelling of each.
"""
from __future__ import annotations

STATUS = "status"
PRIORITY = "priority"
FIX_VERSION = "fix_version"
RANK = "rank"
DECISION_FIELDS = (STATUS, PRIORITY, FIX_VERSION, RANK)
"""The fields a transition row may name; a status change is a decision only to a won't-do status."""

WONT_DO_STATUSES = ("won't do", "won't fix", "rejected", "declined", "cancelled", "canceled", "obsolete")
"""Status names (lower case) that close an item without doing it: closing it so is deciding against it."""


def wont_do(status: str | None) -> bool:
    """Whether a status name closes an item without doing it (a curly apostrophe counts as straight)."""
    return isinstance(status, str) and status.strip().lower().replace("\u2019", "'") in WONT_DO_STATUSES


def _sql(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


DECISION_ROWS = (
    f"(field IN ({_sql(PRIORITY)}, {_sql(FIX_VERSION)}, {_sql(RANK)}) OR (field = {_sql(STATUS)} AND "
    f"replace(lower(trim(to_value)), {_sql(chr(0x2019))}, {_sql(chr(39))}) IN ({', '.join(map(_sql, WONT_DO_STATUSES))})))"
)
"""The SQL condition on `work_item_transitions` that keeps the decision edits, as `wont_do` reads them."""
