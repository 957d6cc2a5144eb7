"""How many calendar hours each classification rule catches: the rules preview.

A product-ops lead tunes `[[calendar.rules]]` by seeing which rules carry the hours, which catch
nothing, and how much time no rule explains. Two views of the same question:

- `stored_rule_hits`: the organisation's synced occurrences, each stored with the name of the
  rule it matched (titles are gone by then, so the rule name is what is left to count by);
- `file_rule_hits`: one ICS export classified now with the rules as configured, titles used in
  memory only, so a rule change can be tried before the next sync.

Both count what the PM-weeks count: declined occurrences are left out and an all-day occurrence
carries no hours. Hours are summed over the whole organisation, never shown per person.
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from connectors.calendar import UNCLASSIFIED, Owner, Window, effective_rules, ics_occurrences, rules_preview, sync_window
from connectors.calendar.ics import IcsError, Limits
from connectors.calendar.ics_files import too_large
from dashboard.core.config import Settings
from dashboard.core.store import Store

COLUMNS = ["rule", "category", "occurrences", "hours", "share"]
UNNAMED = "(synced before rule names were kept)"

_STORED = """
SELECT rule, category, count(*) AS occurrences,
       sum(CASE WHEN all_day THEN 0 ELSE EXTRACT(EPOCH FROM (end_utc - start_utc)) / 3600.0 END) AS hours
FROM calendar_events
WHERE start_utc >= ? AND start_utc < ? AND coalesce(response, 'accepted') <> 'declined'
GROUP BY rule, category
"""


def stored_rule_hits(store: Store, settings: Settings, first: date, last: date) -> pd.DataFrame:
    """Occurrences and hours per rule for occurrences starting from `first` up to, not including, `last`.

    Every configured rule has a row, in the order rules are tried, even when it catches nothing;
    then the unclassified occurrences (a row even when there are none); then rules no longer
    configured and occurrences synced before rule names were stored.
    """
    found = store.query(_STORED, [pd.Timestamp(first), pd.Timestamp(last)])
    found["hours"] = found["hours"].astype(float)
    found["rule"] = found["rule"].where(found["rule"].notna(), found["category"].map(_unnamed))
    rules = effective_rules(settings)
    order = pd.DataFrame({"rule": [r.name for r in rules], "category": [r.category for r in rules]})
    order = order.drop_duplicates("rule")
    counted = found.groupby("rule", as_index=False).agg(occurrences=("occurrences", "sum"), hours=("hours", "sum"))
    table = order.merge(counted, on="rule", how="left")
    rest = found[~found["rule"].isin(order["rule"])].groupby(["rule", "category"], as_index=False)[["occurrences", "hours"]].sum()
    if UNCLASSIFIED not in set(rest["rule"]):
        rest = pd.concat([rest, pd.DataFrame({"rule": [UNCLASSIFIED], "category": [UNCLASSIFIED]})], ignore_index=True)
    rest = rest.sort_values("rule", key=lambda r: r != UNCLASSIFIED, kind="stable")
    return _with_share(pd.concat([table, rest], ignore_index=True))


def file_rule_hits(ics: bytes | str, settings: Settings, owner_email: str = "", window: Window | None = None) -> pd.DataFrame:
    """The preview for one ICS export over `window` (the sync window), classified with the configured rules.

    ICS does not say whose calendar it is, so declines are recognised only when the owner's
    address is given (`owner_email`); without it every invitation counts as attended.

    Raises `connectors.calendar.IcsError` naming the problem when the file cannot be read, or is
    too large or runaway by the same limits a sync applies (`[calendar].max_ics_megabytes`, ...).
    """
    window = window or sync_window(settings)
    limit = int(settings.calendar.max_ics_megabytes * 2**20)
    if len(ics) > limit:
        raise IcsError(too_large(len(ics), limit))
    owner = Owner(person_id="preview", email=owner_email, tz=settings.org_timezone)
    occurrences = ics_occurrences(ics, owner, window, Limits.from_settings(settings))
    return _with_share(rules_preview(occurrences, effective_rules(settings)))


def _unnamed(category: str) -> str:
    return UNCLASSIFIED if category == UNCLASSIFIED else UNNAMED


def _with_share(table: pd.DataFrame) -> pd.DataFrame:
    table = table.fillna({"occurrences": 0, "hours": 0.0})
    table["occurrences"] = table["occurrences"].astype(int)
    total = table["hours"].sum()
    table["share"] = table["hours"] / total if total else 0.0
    return table[COLUMNS].reset_index(drop=True)
