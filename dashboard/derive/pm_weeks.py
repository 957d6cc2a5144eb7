"""PM-weeks: each PM's calendar turned into one row of hours per week.

Two million occurrences are too many to aggregate on every page view, so this runs after
each sync and pages read the result. Working hours, meetings and focus blocks are cut on the
PM's own wall clock: a meeting at 16:00 in Berlin is inside a Berlin PM's working day.

Definitions (DESIGN.md, metric catalog):
- a *meeting* is an occurrence with another attendee that the owner did not decline and that
  is neither a focus block nor time out of office; overlapping meetings count once;
- *working hours* are the PM's own window on their own working days (the roster's hours, else
  `working_hours` in the config), less time out of office;
- *focus hours* are free blocks at least `calendar.focus_min_minutes` long inside working
  hours, where free means no meeting, no hold and no absence (a declared focus block is free);
  *short focus hours* are free blocks from `calendar.short_focus_min_minutes` (60) up to that,
  and *fragmented hours* the shorter free gaps between them;
- *enablement hours* are accepted occurrences classified `enablement` (trainings, onboarding,
  office hours), overlaps counted once: the time a PM spends being taught the processes and tools;
- *hours with PMs* and *hours with operations* are meeting hours (overlaps counted once) in meetings
  where at least one other attendee is on the roster as a PM, as an operations person
  (`calendar_events.attendee_roles`); a week holding a meeting whose attendees' roles are not
  known (stored before they were) has neither, rather than too few;
- a product-ops person-week's *hours with a group* (`build_group_weeks`) are its meeting hours
  (overlaps counted once) in meetings where at least one other attendee's roster team
  (`calendar_events.attendee_teams`) was in that group on the day;
- an all-day occurrence is a marker, not eight hours of anything, unless it is time out of
  office: only then does it take time out of the working day.
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from dashboard.core.config import Settings
from dashboard.core.periods import floor, floor_date
from dashboard.core.schema import TABLES
from dashboard.core.teams import team_at
from dashboard.metrics.aggregate import group_at

PM_WEEK_COLUMNS = [
    "person_id", "week_start", "team_id", "working_hours", "meeting_hours", "overhead_hours",
    "strategy_hours", "focus_hours", "ooo_hours", "short_focus_hours", "fragmented_hours", "enablement_hours",
    "hours_with_pms", "hours_with_operations",
]
WITH_ROLES = {"hours_with_pms": "pm", "hours_with_operations": "ops"}
"""Each column of meeting hours with someone of a role, and that roster role."""
PARTNER_WEEK_COLUMNS = TABLES["prodops_group_weeks"].columns
HOUR_COLUMNS = [
    "working_hours", "meeting_hours", "overhead_hours", "strategy_hours", "focus_hours", "ooo_hours",
    "short_focus_hours", "fragmented_hours", "enablement_hours", *WITH_ROLES,
]


def _local(events: pd.DataFrame, people: pd.DataFrame, default_tz: str) -> pd.DataFrame:
    """Start and end of each occurrence on its owner's wall clock (naive local times)."""
    zones = people.set_index("person_id")["tz"].fillna(default_tz)
    events = events.assign(tz=events["person_id"].map(zones).fillna(default_tz))
    parts = []
    for tz, chunk in events.groupby("tz", sort=True):
        chunk = chunk.copy()
        for column in ("start_utc", "end_utc"):
            chunk[column] = pd.to_datetime(chunk[column]).dt.tz_localize("UTC").dt.tz_convert(tz).dt.tz_localize(None)
        parts.append(chunk)
    return pd.concat(parts) if parts else events


def _day_segments(events: pd.DataFrame) -> pd.DataFrame:
    """Split each occurrence into one piece per local day, as hours from that day's midnight."""
    start = events["start_utc"]
    end = events["end_utc"]
    days = (end - pd.Timedelta(microseconds=1)).dt.normalize().sub(start.dt.normalize()).dt.days.clip(lower=0) + 1
    repeated = events.loc[events.index.repeat(days)].copy()
    offset = repeated.groupby(level=0).cumcount()
    repeated["day"] = repeated["start_utc"].dt.normalize() + pd.to_timedelta(offset, unit="D")
    hour = pd.Timedelta(hours=1)
    repeated["s"] = ((repeated["start_utc"] - repeated["day"]) / hour).clip(lower=0)
    repeated["e"] = ((repeated["end_utc"] - repeated["day"]) / hour).clip(upper=24)
    return repeated.reset_index(drop=True)


def _covered(segments: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Hours covered by the union of intervals (`s`, `e`) per key, overlaps counted once."""
    if segments.empty:
        return pd.Series(dtype=float)
    ordered = segments.sort_values([*keys, "s"])
    reach = ordered.groupby(keys)["e"].cummax()
    before = reach.groupby([ordered[k] for k in keys]).shift().fillna(-np.inf)
    gained = (ordered["e"] - np.maximum(ordered["s"], before)).clip(lower=0)
    return gained.groupby([ordered[k] for k in keys]).sum()


def _free_blocks(busy: pd.DataFrame, days: pd.DataFrame) -> pd.DataFrame:
    """Every free gap in each working day: between busy intervals and at the day's two edges.

    `busy` and `days` carry each row's working window as `open_at` and `close_at` (hours).
    """
    keys = ["person_id", "day"]
    ordered = busy.sort_values([*keys, "s"])
    reach = ordered.groupby(keys)["e"].cummax()
    before = reach.groupby([ordered[k] for k in keys]).shift()
    before = before.fillna(ordered["open_at"]).clip(lower=ordered["open_at"])
    inner = pd.DataFrame({"person_id": ordered["person_id"], "day": ordered["day"], "gap": ordered["s"] - before})
    last = reach.groupby([ordered[k] for k in keys]).max().rename("last").reset_index()
    tail = days[[*keys, "open_at", "close_at"]].merge(last, on=keys, how="left")
    tail["gap"] = tail["close_at"] - tail["last"].fillna(tail["open_at"]).clip(lower=tail["open_at"])
    return pd.concat([inner, tail[[*keys, "gap"]]], ignore_index=True)


def _roles(meetings: pd.DataFrame) -> pd.Series:
    """Each meeting's other attendees' roles as ",ops,pm," (so a role is found whole), NaN where unknown."""
    known = meetings["attendee_roles"] if "attendee_roles" in meetings else pd.Series(None, index=meetings.index)
    return ("," + known.astype("string") + ",").astype(object).where(known.notna())


def _hour_of_day(value) -> float:
    return value.hour + value.minute / 60 + value.second / 3600


def working_windows(pms: pd.DataFrame, person_hours: pd.DataFrame | None, settings: Settings) -> pd.DataFrame:
    """Each PM's working window per working weekday: `person_id, weekday, open_at, close_at`.

    The roster's hours for a person (`person_hours`) win; everyone else works the configured
    `working_hours`. Weekdays are Python's numbers (Monday is 0).
    """
    names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    default = settings.working_hours
    own = person_hours if person_hours is not None else pd.DataFrame(columns=["person_id", "day_start", "day_end", "days"])
    own = own[own["person_id"].isin(pms["person_id"])]
    rows = [
        (person_id, names.index(day), _hour_of_day(start), _hour_of_day(end))
        for person_id, start, end, days in own[["person_id", "day_start", "day_end", "days"]].itertuples(index=False)
        for day in days
    ]
    others = pms.loc[~pms["person_id"].isin(own["person_id"]), "person_id"]
    rows += [
        (person_id, weekday, _hour_of_day(default.start), _hour_of_day(default.end))
        for person_id in others for weekday in default.weekdays
    ]
    return pd.DataFrame(rows, columns=["person_id", "weekday", "open_at", "close_at"])


def _in_window(frame: pd.DataFrame, windows: pd.DataFrame) -> pd.DataFrame:
    """The rows whose `day` is one of their person's working days, with that day's window."""
    return frame.assign(weekday=frame["day"].dt.day_of_week).merge(windows, on=["person_id", "weekday"])


def build_pm_weeks(tables: dict[str, pd.DataFrame], settings: Settings, as_of: date | None = None,
                   since: date | None = None, extent: pd.DataFrame | None = None, role: str = "pm") -> pd.DataFrame:
    """One row per PM per complete week between the PM's first and last calendar occurrence.

    With `role`, the same weeks of the people of another role (`prodops`: product ops's own
    time, `prodops_weeks`); a person without a team has none in the row.

    A week that has not ended by `as_of` is left out: its days still to come would read as
    free time (and calendars hold future meetings), so a running week is not a PM-week yet.

    With `since`, only the weeks from the one holding `since` on are built, so a day of new
    data does not cost a rebuild of every week: `calendar_events` then needs only the
    occurrences that end on or after that week's first day, and `extent` must give each PM's
    first and last occurrence over all of them (`person_id, start_utc, end_utc`, one row each),
    which is where their weeks begin and end.
    """
    found = _working_segments(tables, settings, role, since, extent)
    if found is None:
        return pd.DataFrame(columns=PM_WEEK_COLUMNS)
    segments, days = found
    keys = ["person_id", "day"]
    accepted = segments["response"].fillna("accepted") != "declined"
    ooo = segments[accepted & (segments["category"] == "ooo")]
    meetings = _meetings(segments)
    busy = segments[accepted & (segments["category"] != "focus")]

    per_day = days.set_index(keys)[["open_at", "close_at"]]
    per_day["ooo_hours"] = _covered(ooo, keys)
    per_day["meeting_hours"] = _covered(meetings, keys)
    per_day["overhead_hours"] = _covered(meetings[meetings["category"] == "overhead"], keys)
    per_day["strategy_hours"] = _covered(segments[accepted & (segments["category"] == "strategy")], keys)
    per_day["enablement_hours"] = _covered(segments[accepted & (segments["category"] == "enablement")], keys)
    roles = _roles(meetings)
    for column, role in WITH_ROLES.items():
        per_day[column] = _covered(meetings[roles.str.contains(f",{role},", regex=False).fillna(False).astype(bool)], keys)
    per_day["unknown_roles"] = roles.isna().groupby([meetings[k] for k in keys]).any()
    gaps = _free_blocks(busy, days)
    focus_at, short_at = settings.calendar.focus_min_minutes / 60, settings.calendar.short_focus_minutes / 60
    bands = {
        "focus_hours": gaps["gap"] >= focus_at,
        "short_focus_hours": (gaps["gap"] >= short_at) & (gaps["gap"] < focus_at),
        "fragmented_hours": (gaps["gap"] > 0) & (gaps["gap"] < short_at),
    }
    for column, band in bands.items():
        per_day[column] = gaps[band].groupby(keys)["gap"].sum()
    per_day = per_day.fillna(0.0)
    per_day["working_hours"] = (per_day["close_at"] - per_day["open_at"]) - per_day["ooo_hours"]

    per_day = per_day.reset_index()
    per_day["week_start"] = floor(per_day["day"], "week", settings.week_start)
    grouped = per_day.groupby(["person_id", "week_start"], as_index=False)
    weeks = grouped[HOUR_COLUMNS].sum()
    unknown = grouped["unknown_roles"].any()["unknown_roles"].astype(bool).to_numpy()
    weeks.loc[unknown, list(WITH_ROLES)] = np.nan
    weeks = weeks[weeks["working_hours"] > 0]
    if as_of is not None:
        weeks = weeks[weeks["week_start"] + pd.Timedelta(days=6) <= pd.Timestamp(as_of)]
    weeks["team_id"] = team_at(tables["memberships"], weeks["person_id"], weeks["week_start"])
    weeks["week_start"] = weeks["week_start"].dt.date
    return weeks[PM_WEEK_COLUMNS].reset_index(drop=True)


def _working_segments(tables: dict[str, pd.DataFrame], settings: Settings, role: str, since: date | None,
                      extent: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The occurrences of `role`'s people cut into pieces per local day inside their working windows
    (hours `s` to `e`; all-day markers left out), and their working days; None when they have none."""
    people, events = tables["people"], tables["calendar_events"]
    pms = people[people["role"] == role]
    events = events[events["person_id"].isin(pms["person_id"])]
    if events.empty:
        return None
    windows = working_windows(pms, tables.get("person_hours"), settings)
    segments = _in_window(_day_segments(_local(events, pms, settings.org_timezone)), windows)
    segments["s"] = segments["s"].clip(lower=segments["open_at"])
    segments["e"] = segments["e"].clip(upper=segments["close_at"])
    segments = segments[segments["e"] > segments["s"]]
    segments = segments[~segments["all_day"].fillna(False).astype(bool) | (segments["category"] == "ooo")]

    extent = events if extent is None else extent[extent["person_id"].isin(pms["person_id"])]
    first_week = None if since is None else pd.Timestamp(floor_date(since, "week", settings.week_start))
    days = _in_window(_working_days(extent, pms, settings, first_week), windows)
    if first_week is not None:
        days = days[days["day"] >= first_week].reset_index(drop=True)
        segments = segments[segments["day"] >= first_week]
    return segments, days


def _meetings(segments: pd.DataFrame) -> pd.DataFrame:
    """The pieces that are meetings: accepted (or not answered), with someone else, neither focus nor absence."""
    accepted = segments["response"].fillna("accepted") != "declined"
    return segments[accepted & (segments["attendee_count"].fillna(1) >= 2) & ~segments["category"].isin(["focus", "ooo"])]


def build_group_weeks(tables: dict[str, pd.DataFrame], settings: Settings, weeks: pd.DataFrame,
                      since: date | None = None, extent: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each product-ops person-week of `weeks` (`prodops_weeks` as `build_pm_weeks` made them, over
    the same `since` and `extent`) once per product group: its meeting hours, and those in meetings
    with someone of that group (`calendar_events.attendee_teams`, a team's group on the day, overlaps
    counted once), none included.

    Every group has a row for every person-week, so a group's figure stands on every product-ops
    person, not on the one who partners it. A week holding a meeting whose attendees' teams are not
    known (stored before they were) has no hours with any group, rather than too few.
    """
    weeks = weeks[weeks["meeting_hours"].notna()]
    if weeks.empty:
        return pd.DataFrame(columns=list(PARTNER_WEEK_COLUMNS))
    found = _working_segments(tables, settings, "prodops", since, extent)
    meetings = _meetings(found[0]) if found else pd.DataFrame(columns=["person_id", "day", "s", "e", "attendee_teams"])
    known = meetings["attendee_teams"] if "attendee_teams" in meetings else pd.Series(None, index=meetings.index, dtype=object)
    met = meetings.assign(team=known.astype(object).where(known.notna(), "").str.split(",")).explode("team")
    met = met[met["team"].astype(bool)]
    met = met.assign(group_name=group_at(tables, met["team"], met["day"]).to_numpy()).dropna(subset=["group_name"])
    keys = ["person_id", "week_start", "group_name"]
    hours = pd.DataFrame(columns=[*keys, "hours_with_group"])
    if not met.empty:
        by_day = _covered(met, ["person_id", "day", "group_name"]).rename("hours_with_group").reset_index()
        by_day["week_start"] = floor(by_day["day"], "week", settings.week_start).dt.date
        hours = by_day.groupby(keys, as_index=False)["hours_with_group"].sum()
    unknown = meetings.loc[known.isna(), ["person_id", "day"]]
    unknown_weeks = set(zip(unknown["person_id"], floor(unknown["day"], "week", settings.week_start).dt.date))

    groups = sorted(set(tables["teams"]["group_name"].dropna()) | set(met["group_name"]))
    if not groups:
        return pd.DataFrame(columns=list(PARTNER_WEEK_COLUMNS))
    grid = weeks[["person_id", "week_start", "meeting_hours"]].merge(pd.DataFrame({"group_name": groups}), how="cross")
    grid = grid.merge(hours, on=keys, how="left")
    grid["hours_with_group"] = grid["hours_with_group"].astype(float).fillna(0.0)
    blank = [(person, week) in unknown_weeks for person, week in zip(grid["person_id"], grid["week_start"])]
    grid.loc[blank, "hours_with_group"] = np.nan
    return grid[list(PARTNER_WEEK_COLUMNS)].sort_values(keys).reset_index(drop=True)


def _working_days(events: pd.DataFrame, pms: pd.DataFrame, settings: Settings, since: pd.Timestamp | None = None
                  ) -> pd.DataFrame:
    """Every day of each PM from the week of their first occurrence to the week of their last,
    within their time at the company and from `since` on (`_in_window` keeps their working days)."""
    local = _local(events[["person_id", "start_utc", "end_utc"]], pms, settings.org_timezone)
    span = local.groupby("person_id")["start_utc"].agg(["min", "max"])
    start = floor(span["min"], "week", settings.week_start)
    end = floor(span["max"], "week", settings.week_start) + pd.Timedelta(days=6)
    active = pms.drop_duplicates("person_id").set_index("person_id").reindex(span.index)
    start = start.where(~(pd.to_datetime(active["active_from"]) > start), pd.to_datetime(active["active_from"]))
    until = pd.to_datetime(active["active_to"]) - pd.Timedelta(days=1)
    end = end.where(~(until < end), until)
    if since is not None:
        start = start.clip(lower=since)
    rows = [pd.DataFrame({"person_id": person_id, "day": pd.date_range(first, last, freq="D")})
            for person_id, first, last in zip(span.index, start, end)]
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame({"person_id": [], "day": pd.to_datetime([])})
