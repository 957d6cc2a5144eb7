"""Settings for one organisation, read from `prodops.toml` and validated before anything runs.

The demo needs no file: every field has a default. A wrong or unknown field is one
`ConfigError` that names the file and the field, so a typo never silently falls back to a
default.

Each source's models live in a module of their own beside this one; this module joins them into
`Settings` and reads the file.
"""
from __future__ import annotations

import os
from datetime import time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator

from dashboard.core.config import alerts as _alerts
from dashboard.core.config.alerts import (
    Alert,
    MetricAlert,
    MissedCheckinsAlert,
    ReleaseReplannedAlert,
    ReleaseSlipAlert,
    RequestAgeAlert,
    SyncFailingAlert,
)
from dashboard.core.config.base import CONFIG_ENV, DB_ENV, DEFAULT_CONFIG_FILE, DEFAULT_DB, ConfigError, _Strict
from dashboard.core.config.calendar import DEFAULT_TITLE_SALT, Calendar, CalendarRule, GoogleCalendarSource, GraphCalendarSource, IcsCalendar
from dashboard.core.config.checkins import WEEKDAY_NAMES, CheckinForm, CheckinKind, Checkins, Weekday
from dashboard.core.config.digest import Digest, Smtp, Subscription, Webhook
from dashboard.core.config.jira import DataRequestSelector, JiraSource, WorkClassRule
from dashboard.core.config.surveys import CODEBOOKS, ROLES, SCALE_RANGES, TEAM_ROLES, SurveyMapping, SurveyQuestion
from dashboard.core.file_limits import SHOWN_ITEMS, FileRefused, excerpt, read_toml
from dashboard.core.privacy import MIN_ALLOWED

__all__ = [  # the source models, read through this module as before
    "CODEBOOKS", "CONFIG_ENV", "DB_ENV", "DEFAULT_CONFIG_FILE", "DEFAULT_DB", "DEFAULT_TITLE_SALT", "ROLES",
    "SCALE_RANGES", "TEAM_ROLES", "WEEKDAY_NAMES", "Alert", "Calendar", "CalendarRule", "CheckinForm", "CheckinKind",
    "Checkins", "ConfigError", "DataRequestSelector", "Digest", "GoogleCalendarSource", "GraphCalendarSource",
    "IcsCalendar", "JiraSource", "MetricAlert", "MissedCheckinsAlert", "ReleaseReplannedAlert", "ReleaseSlipAlert",
    "RequestAgeAlert", "Smtp", "Subscription", "SurveyMapping", "SurveyQuestion", "SyncFailingAlert", "Webhook", "Weekday",
    "WorkClassRule",
]


class WorkingHours(_Strict):
    start: time = time(9, 0)
    end: time = time(17, 0)
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(
        default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"], min_length=1
    )

    @model_validator(mode="after")
    def _end_after_start(self) -> WorkingHours:
        if self.end <= self.start:
            raise ValueError("end must be later than start")
        return self

    @property
    def hours_per_day(self) -> float:
        return (self.end.hour * 60 + self.end.minute - self.start.hour * 60 - self.start.minute) / 60

    @property
    def weekdays(self) -> list[int]:
        """The working days as Python weekday numbers (Monday is 0)."""
        names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        return sorted(names.index(d) for d in self.days)


class Privacy(_Strict):
    """The minimum group sizes; below `MIN_ALLOWED` no figure about people is anonymous, so none is accepted."""

    min_group_size: int = Field(5, ge=MIN_ALLOWED, description="fewest survey respondents a shown score may stand on")
    min_calendar_group: int = Field(MIN_ALLOWED, ge=MIN_ALLOWED, description="fewest PMs a shown calendar figure may stand on")


class Target(_Strict):
    """Where a metric should be, and how far off still counts as amber rather than red."""

    target: float
    tolerance: float = Field(0.0, ge=0)


DEFAULT_TARGETS: dict[str, Target] = {
    "pm_overhead_share": Target(target=0.25, tolerance=0.05),
    "pm_strategy_share": Target(target=0.20, tolerance=0.05),
    "pm_focus_hours": Target(target=8, tolerance=2),
    "pm_meeting_hours": Target(target=18, tolerance=3),
    "data_requests_per_pm": Target(target=1.5, tolerance=0.5),
    "data_request_days_to_fulfil": Target(target=3, tolerance=2),
    "insights_self_serve_score": Target(target=70, tolerance=10),
    "release_on_time_rate": Target(target=0.85, tolerance=0.1),
    "release_slip_days": Target(target=2, tolerance=3),
    "release_interval_days": Target(target=21, tolerance=7),
    "alignment_gap": Target(target=5, tolerance=5),
    "checkin_compliance_rate": Target(target=0.95, tolerance=0.1),
    "checkin_on_time_rate": Target(target=0.85, tolerance=0.1),
    # The bands of the four common mistakes' early warnings (dashboard/analysis/early_warnings.py).
    "ops_decision_share": Target(target=0.15, tolerance=0.10),
    "decision_rights_score": Target(target=65, tolerance=10),
    "prodops_coordination_share": Target(target=0.35, tolerance=0.10),
    "prodops_systems_work_share": Target(target=0.50, tolerance=0.15),
    "prodops_time_with_pms_share": Target(target=0.30, tolerance=0.10),
    "prodops_time_with_operations_share": Target(target=0.15, tolerance=0.05),
}


VIEWER_ROLES = ("leader", "ops", "pm")
ViewerRole = Literal["leader", "ops", "pm"]


class RoleMembers(_Strict):
    """Who holds one dashboard role: exact email addresses, email domains and group claims."""

    emails: list[str] = Field(default_factory=list)
    domains: list[str] = Field(default_factory=list, description="e.g. example.com: every address @example.com")
    groups: list[str] = Field(default_factory=list, description="values of the identity token's group claim")

    @field_validator("emails")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        wrong = [email for email in value if email.count("@") != 1 or email.strip() != email]
        if wrong:
            raise ValueError(f"not email addresses: {wrong}")
        return [email.lower() for email in value]

    @field_validator("domains")
    @classmethod
    def _bare_domains(cls, value: list[str]) -> list[str]:
        wrong = [domain for domain in value if "@" in domain or "." not in domain or domain.strip() != domain]
        if wrong:
            raise ValueError(f"not domains (write example.com, without @): {wrong}")
        return [domain.lower() for domain in value]


class Access(_Strict):
    """`[access]`: which role a signed-in viewer has (see `dashboard/app/auth.py` for what each may do).

    Only read when sign-in is on (an `[auth]` section in `.streamlit/secrets.toml`). An address
    listed by email outranks a group claim, which outranks a domain; within one kind, the role
    with more access wins (ops, then leader, then pm). A viewer who matches nothing gets
    `default_role`, and "none" (the default) turns them away. Without sign-in the app is open
    and everyone has `open_role`.
    """

    leader: RoleMembers = RoleMembers()
    ops: RoleMembers = RoleMembers()
    pm: RoleMembers = RoleMembers()
    default_role: Literal["leader", "ops", "pm", "none"] = "none"
    open_role: ViewerRole = Field("ops", description="everyone's role while sign-in is off (a laptop)")
    group_claim: str = Field("groups", min_length=1, description="the identity token claim that lists groups")

    @model_validator(mode="after")
    def _each_once(self) -> Access:
        for kind in ("emails", "domains", "groups"):
            seen: dict[str, str] = {}
            for role in VIEWER_ROLES:
                for value in getattr(getattr(self, role), kind):
                    if value in seen and seen[value] != role:
                        raise ValueError(f"{kind[:-1]} {value!r} is listed under both {seen[value]} and {role}")
                    seen[value] = role
        return self


class Settings(_Strict):
    org_timezone: str = "UTC"
    week_start: Literal["monday", "sunday"] = "monday"
    working_hours: WorkingHours = WorkingHours()
    calendar: Calendar = Calendar()
    checkins: Checkins = Checkins()
    privacy: Privacy = Privacy()
    access: Access = Access()
    surveys: dict[str, SurveyMapping] = Field(default_factory=dict, description="survey name -> mapping")
    targets: dict[str, Target] = Field(default_factory=lambda: dict(DEFAULT_TARGETS))
    database: str | None = None
    jira: JiraSource | None = None
    digest: Digest = Digest()
    alerts: list[Alert] = Field(default_factory=list, description="[[alerts]]: rules evaluated after every sync")

    @field_validator("org_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as 'Europe/Berlin')") from None
        return value

    @field_validator("targets")
    @classmethod
    def _merge_defaults(cls, value: dict[str, Target]) -> dict[str, Target]:
        return {**DEFAULT_TARGETS, **value}

    @model_validator(mode="after")
    def _alerts_refer_to_what_exists(self) -> Settings:
        _alerts.check(self.alerts, self.digest, self.targets)
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.org_timezone)

    def database_url(self) -> str:
        """Where the store lives: `PRODOPS_DB`, else the config's `database`, else the default file."""
        return os.environ.get(DB_ENV) or self.database or DEFAULT_DB


def _describe(error: ValidationError, source: str) -> str:
    """One line per invalid field, the first `SHOWN_ITEMS` of them: a file of a million bad keys gets a short error."""
    lines = [f"{source}: invalid configuration"]
    errors = error.errors()
    for item in errors[:SHOWN_ITEMS]:
        field = excerpt(".".join(str(part) for part in item["loc"]) or "(top level)", 80)
        message = "unknown field" if item["type"] == "extra_forbidden" else excerpt(item["msg"])
        lines.append(f"  field '{field}': {message}")
    if len(errors) > SHOWN_ITEMS:
        lines.append(f"  and {len(errors) - SHOWN_ITEMS:,} more")
    return "\n".join(lines)


def parse_settings(data: dict, source: str = "<settings>") -> Settings:
    try:
        return Settings.model_validate(data)
    except ValidationError as error:
        raise ConfigError(_describe(error, source)) from None


def load_settings(path: str | Path | None = None) -> Settings:
    """Read the settings file named by `path`, `PRODOPS_CONFIG` or `./prodops.toml`.

    With no argument and no file, the defaults stand (that is how the demo runs). A file that
    was named explicitly and does not exist is an error.
    """
    named = path or os.environ.get(CONFIG_ENV)
    file = Path(named or DEFAULT_CONFIG_FILE)
    if not file.exists():
        if named:
            raise ConfigError(f"{file}: configuration file not found")
        return Settings()
    try:
        data = read_toml(file, "configuration file")
    except FileRefused as error:
        raise ConfigError(str(error)) from None
    return parse_settings(data, str(file))
