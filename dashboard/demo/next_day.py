"""One more day of data for an organisation already stored: what an incremental sync brings.

The calendar occurrences and the work items of the same weekday a week earlier, moved a week on
to `day`, under new ids. A new issue is not filed against a release that has already shipped, so
those fix versions are left off. The incremental benchmark and its test write these and then
`refresh(since=day)`.
"""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from dashboard.core.store import Store


def next_day(store: Store, day: date) -> dict[str, pd.DataFrame]:
    """`calendar_events` and `work_items` rows for `day`, copied from a week before."""
    before = day - timedelta(days=7)
    week = pd.Timedelta(days=7)
    events = store.query("SELECT * FROM calendar_events WHERE CAST(start_utc AS DATE) = ?", [before])
    items = store.query("SELECT * FROM work_items WHERE CAST(updated AS DATE) = ?", [before])
    shipped = set(store.query("SELECT name FROM releases WHERE released AND released_on < ?", [day])["name"])
    events["event_uid"] = events["event_uid"] + "+next"
    for column in ("start_utc", "end_utc"):
        events[column] = events[column] + week
    items["item_id"] = items["item_id"] + "-next"
    items["key"] = items["key"] + "-next"
    for column in ("created", "updated", "resolved"):
        items[column] = items[column] + week
    items["fix_versions"] = [None if versions is None else [v for v in versions if v not in shipped]
                             for versions in items["fix_versions"]]
    return {"calendar_events": events, "work_items": items}
