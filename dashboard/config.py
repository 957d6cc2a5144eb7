"""Settings for one organisation, read from `prodops.toml` and validated before anything runs.

The demo needs no file: every field has a default. A wrong or unknown field is one
`ConfigError` that names the file and the field, so a typo never silently falls back to a
default.
"""
from __future__ import annotations

import os
import tomllib
from datetime import time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

CONFIG_ENV = "PRODOPS_CONFIG"
DB_ENV = "PRODOPS_DB"
DEFAULT_CONFIG_FILE = "prodops.toml"
DEFAULT_DB = "data/prodops.duckdb"


class ConfigError(ValueError):
    """The configuration file is missing, unreadable or has a wrong field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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
    min_group_size: int = Field(5, ge=3, description="fewest survey respondents a shown score may stand on")
    min_calendar_group: int = Field(3, ge=2, description="fewest PMs a shown calendar figure may stand on")


class Target(_Strict):
    """Where a metric should be, and how far off still counts as amber rather than red."""

    target: float
    tolerance: float = Field(0.0, ge=0)


class Calendar(_Strict):
    focus_min_minutes: int = Field(120, ge=15, le=480)


class Checkins(_Strict):
    grace_hours: float = Field(0, ge=0)


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
}


class Settings(_Strict):
    org_timezone: str = "UTC"
    week_start: Literal["monday", "sunday"] = "monday"
    working_hours: WorkingHours = WorkingHours()
    calendar: Calendar = Calendar()
    checkins: Checkins = Checkins()
    privacy: Privacy = Privacy()
    targets: dict[str, Target] = Field(default_factory=lambda: dict(DEFAULT_TARGETS))
    database: str | None = None

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

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.org_timezone)

    def database_url(self) -> str:
        """Where the store lives: `PRODOPS_DB`, else the config's `database`, else the default file."""
        return os.environ.get(DB_ENV) or self.database or DEFAULT_DB


def _describe(error: ValidationError, source: str) -> str:
    lines = [f"{source}: invalid configuration"]
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "(top level)"
        message = "unknown field" if item["type"] == "extra_forbidden" else item["msg"]
        lines.append(f"  field '{field}': {message}")
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
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{file}: not valid TOML: {error}") from None
    return parse_settings(data, str(file))
