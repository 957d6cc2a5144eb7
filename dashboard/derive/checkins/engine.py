"""The check-in engine: the check-ins every team owes, matched with the evidence that they were sent.

`derive_checkins` is pure: canonical tables in, `checkins` rows out. It runs after every write
of source data (`dashboard.derive`), so a Jira sync, a calendar sync or a loaded form export
each recompute the check-ins from all the evidence there is.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from dashboard.core.config import Checkins, Settings
from dashboard.core.schema import TABLES
from dashboard.derive.checkins.evidence import EVIDENCE_COLUMNS, calendar_evidence, form_evidence, jira_evidence
from dashboard.derive.checkins.expectations import Team, expected_slots
from dashboard.derive.checkins.holidays import holiday_days
from dashboard.derive.checkins.matching import match

LOOKAHEAD = timedelta(days=100)
"""Far enough ahead to hold the period that is open now for every cadence."""


def moment(settings: Settings, as_of: date | None) -> datetime:
    """The instant the check-ins are judged at, naive UTC: the end of `as_of` on the organisation's
    clock when given (the demo, a rebuild for a past day), else now."""
    if as_of is None:
        return datetime.now(UTC).replace(tzinfo=None)
    end = datetime.combine(as_of + timedelta(days=1), time(0), tzinfo=ZoneInfo(settings.org_timezone))
    return end.astimezone(UTC).replace(tzinfo=None) - timedelta(microseconds=1)


def team_zones(people: pd.DataFrame, configured: dict[str, str]) -> dict[str, str]:
    """Each team's clock for due times: configured, else the zone most of its PMs are in.

    A tie goes to the zone of the PM with the lowest person id.
    """
    pms = people[(people["role"] == "pm") & people["team_id"].notna() & people["tz"].notna()]
    pms = pms.sort_values("person_id")
    zones = {}
    for team_id, members in pms.groupby("team_id", sort=True):
        counts = members["tz"].value_counts(sort=False)
        zones[team_id] = counts.index[counts.to_numpy().argmax()]
    return {**zones, **configured}


def team_starts(memberships: pd.DataFrame, configured: dict[str, date]) -> dict[str, date]:
    """The first day each team had anyone on it (or as configured): it owes nothing before."""
    if memberships.empty:
        return dict(configured)
    first = pd.to_datetime(memberships.groupby("team_id")["valid_from"].min()).dt.date
    return {**first.to_dict(), **configured}


def teams(tables: dict[str, pd.DataFrame], settings: Settings) -> list[Team]:
    config = settings.checkins
    zones = team_zones(tables["people"], config.team_timezones)
    starts = team_starts(tables["memberships"], config.team_starts)
    rows = tables["teams"].sort_values("team_id")
    return [Team(t, g if isinstance(g, str) else None, zones.get(t, settings.org_timezone), starts.get(t))
            for t, g in zip(rows["team_id"], rows["group_name"])]


def evidence(tables: dict[str, pd.DataFrame], settings: Settings, now: datetime) -> pd.DataFrame:
    """Every source's evidence in one frame."""
    frames = [jira_evidence(tables, settings.checkins), form_evidence(tables),
              calendar_evidence(tables, settings.checkins, now)]
    frames = [frame for frame in frames if not frame.empty]
    if not frames:
        return pd.DataFrame(columns=EVIDENCE_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def reach(config: Checkins) -> timedelta:
    """How long before a submission the check-in it fills can be due: a submission fills the check-in
    whose deadline is next or the one just passed, so at most the longest cadence (a quarter) plus
    the longest grace, and a week's margin."""
    grace = max([kind.grace_hours for kind in config.kinds if kind.grace_hours is not None] + [config.grace_hours])
    return timedelta(days=92 + 7, hours=grace)


def rederived_from(config: Checkins, since: date) -> date:
    """With new evidence from `since` on, the first due day whose check-ins can change."""
    return since - reach(config)


def context_from(config: Checkins, since: date) -> date:
    """With new evidence from `since` on, the first day of check-ins and evidence a re-derive reads:
    enough before `rederived_from` for every check-in from there on to be matched as a whole
    derive matches it."""
    return since - 2 * reach(config)


def derive_checkins(tables: dict[str, pd.DataFrame], settings: Settings, now: datetime, since: date | None = None
                    ) -> pd.DataFrame:
    """The `checkins` rows: every check-in owed whose period has opened by `now`, with its status.

    With `since`, only those due from `rederived_from(since)` on, from the evidence and check-ins
    from `context_from(since)` on (the tables may hold only those): a new day of evidence then
    costs months of check-ins, not the whole history.
    """
    config = settings.checkins
    columns = list(TABLES["checkins"].columns)
    if not config.kinds or tables["teams"].empty:
        return pd.DataFrame(columns=columns)
    today = pd.Timestamp(now).date()
    first = today - timedelta(days=config.history_days)
    if since is not None:
        first = max(first, context_from(config, since))
    last = today + LOOKAHEAD
    off = holiday_days(config.holidays, config.holiday_calendar, first - timedelta(days=31), last)
    slots = expected_slots(config.kinds, teams(tables, settings), first, last, off, config.grace_hours)
    slots = slots[slots["opens_at"] <= pd.Timestamp(now)]
    sent = evidence(tables, settings, now)
    if since is not None:
        sent = sent[pd.to_datetime(sent["submitted_at"]) >= pd.Timestamp(first)]
    matched = match(slots, sent, now)
    if since is not None:
        matched = matched[matched["due_at"] >= pd.Timestamp(rederived_from(config, since))]
    matched["checkin_id"] = matched["team_id"] + "/" + matched["kind"] + "/" + matched["period_start"].astype(str)
    return matched[columns].sort_values(["due_at", "team_id", "kind"], ignore_index=True)
