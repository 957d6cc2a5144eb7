"""Settings of the check-ins: each kind, its cadence, its evidence and grace, and the forms."""
from __future__ import annotations

from datetime import date, time
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from dashboard.core.config.base import _Strict
from dashboard.core.words import spoken

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class CheckinKind(_Strict):
    """One `[[checkins.kinds]]` entry: a standard check-in, when it is due, who owes it, what proves it.

    The cadence fixes one due day per period, on the team's clock: `weekly` on `weekday`,
    `monthly` on the `business_day`-th working day of the month (holidays skipped), `quarterly`
    `days_before_quarter_end` days before the quarter's last day. Every team owes it unless
    `groups` or `teams` narrow it down; nothing is owed before `start` (nor before a team starts).
    Evidence: Jira check-in tickets carrying `jira_label`, form rows whose kind answer is one of
    `form_values` (the id and the title always count), calendar occurrences whose event uid
    matches one of the `calendar_events` patterns (shell-style, e.g. "qbr-review-*").
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str | None = None
    cadence: Literal["weekly", "monthly", "quarterly"]
    weekday: Weekday | None = None
    business_day: int | None = Field(None, ge=1, le=20)
    days_before_quarter_end: int | None = Field(None, ge=0, le=80)
    due_time: time = time(17, 0)
    grace_hours: float | None = Field(None, ge=0, description="default: [checkins] grace_hours")
    groups: list[str] = Field(default_factory=list, description="owed by the teams of these groups")
    teams: list[str] = Field(default_factory=list, description="owed by these team ids")
    start: date | None = Field(None, description="nothing is owed with a due day before this")
    jira_label: str | None = None
    form_values: list[str] = Field(default_factory=list)
    calendar_events: list[str] = Field(default_factory=list, description="event uid patterns of the review meeting")

    @model_validator(mode="after")
    def _cadence_fields(self) -> CheckinKind:
        needed = {"weekly": "weekday", "monthly": "business_day", "quarterly": "days_before_quarter_end"}
        for cadence, name in needed.items():
            given = getattr(self, name) is not None
            if cadence == self.cadence and not given:
                raise ValueError(f"a {cadence} check-in needs {name}")
            if cadence != self.cadence and given:
                raise ValueError(f"{name} is for {cadence} check-ins, not {self.cadence}")
        return self

    @property
    def label(self) -> str:
        return self.title or spoken(self.id)


class CheckinForm(_Strict):
    """`[checkins.form]`: how a form export of check-ins (`load checkins FILE`) names team and kind."""

    team_column: str = "Team"
    kind_column: str | None = Field(None, description="the column naming the check-in; else `--kind` on load")
    team_aliases: dict[str, str] = Field(default_factory=dict, description="answer -> team_id")
    timezone: str | None = Field(None, description="the zone the form tool wrote local times in; default org_timezone")
    date_order: Literal["dmy", "mdy", "ymd"] | None = None


class Checkins(_Strict):
    grace_hours: float = Field(0, ge=0)
    kinds: list[CheckinKind] = Field(default_factory=list, description="the check-ins teams owe")
    holidays: list[date] = Field(default_factory=list, description="days nothing is due")
    holiday_calendar: str | None = Field(None, description="an ICS file of holidays and shutdowns")
    team_timezones: dict[str, str] = Field(default_factory=dict, description="team_id -> zone of its due times")
    team_starts: dict[str, date] = Field(default_factory=dict, description="team_id -> first day it owes check-ins")
    jira_submitted_status: str | None = Field(None, description="a ticket counts when first moved here; else when created")
    history_days: int = Field(730, ge=7, le=3660, description="how far back check-ins are expected")
    form: CheckinForm = CheckinForm()

    @field_validator("team_timezones")
    @classmethod
    def _known_zones(cls, value: dict[str, str]) -> dict[str, str]:
        for team, zone in value.items():
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {zone!r} for team {team!r}") from None
        return value

    @model_validator(mode="after")
    def _unique_kinds(self) -> Checkins:
        ids = [kind.id for kind in self.kinds]
        doubled = sorted({i for i in ids if ids.count(i) > 1})
        if doubled:
            raise ValueError(f"check-in kinds declared twice: {doubled}")
        return self

    def kind(self, kind_id: str) -> CheckinKind | None:
        return next((kind for kind in self.kinds if kind.id == kind_id), None)

    def title_of(self, kind_id: str) -> str:
        """What every page calls a check-in kind: its configured title, else its id in words (the
        data may hold kinds the config no longer declares)."""
        declared = self.kind(kind_id)
        return declared.label if declared else spoken(kind_id)
