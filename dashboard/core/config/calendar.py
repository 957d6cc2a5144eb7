"""Settings of the calendar sources: ICS files, Google and Microsoft calendars, and the rules that classify time."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from dashboard.core.config.base import _ENV_NAME, _Strict
from dashboard.core.keywords import valid_regex

DEFAULT_TITLE_SALT = "prodops-health/calendar-title/v1"  # public: set PRODOPS_TITLE_SALT for a private one


class CalendarRule(_Strict):
    """One `[[calendar.rules]]` entry. Every condition given must hold; the first matching rule wins."""

    name: str = Field(min_length=1)
    category: Literal["overhead", "strategy", "focus", "one_on_one", "enablement", "other", "ooo"]
    title: list[str] = Field(default_factory=list, description="keywords; one must start a word of the title")
    title_regex: str | None = Field(None, description="a regular expression searched in the title, ignoring case")
    min_attendees: int | None = Field(None, ge=1, description="attendees counting the owner, rooms left out")
    max_attendees: int | None = Field(None, ge=1)
    min_minutes: int | None = Field(None, ge=0)
    max_minutes: int | None = Field(None, ge=0)
    recurring: bool | None = None
    all_day: bool | None = None
    organizer: list[str] = Field(default_factory=list, description="organiser email addresses")
    event_type: list[str] = Field(default_factory=list, description="Google eventType, e.g. focusTime")
    categories: list[str] = Field(default_factory=list, description="Outlook/Graph or ICS categories")
    show_as: list[Literal["busy", "tentative", "free", "oof", "workingElsewhere"]] = Field(default_factory=list)

    @field_validator("title_regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        return valid_regex(value)


class IcsCalendar(_Strict):
    """One `[[calendar.ics]]` entry: a file, a folder of `.ics` files or an https feed.

    A secret address belongs in the environment: name its variable in `location_env`. A
    folder's files without an `owner` are matched by file name (`pm@example.com.ics`) or by
    the calendar's `X-WR-CALNAME` when that is an email address.
    """

    location: str | None = None
    location_env: str | None = Field(None, pattern=_ENV_NAME)
    owner: str | None = Field(None, description="the calendar owner's email address")

    @model_validator(mode="after")
    def _one_location(self) -> IcsCalendar:
        if (self.location is None) == (self.location_env is None):
            raise ValueError("give exactly one of location or location_env")
        return self


class GoogleCalendarSource(_Strict):
    """`[calendar.google]`: Google Calendar API; credentials come from the environment only."""

    calendars: list[str] = Field(min_length=1, description="calendar ids, i.e. the owners' email addresses")
    api_url: str = "https://www.googleapis.com/calendar/v3"
    token_url: str = "https://oauth2.googleapis.com/token"
    incremental: bool = True
    page_size: int = Field(250, ge=1, le=2500)


class GraphCalendarSource(_Strict):
    """`[calendar.graph]`: Microsoft Graph with app credentials from the environment."""

    users: list[str] = Field(min_length=1, description="user principal names (email addresses)")
    api_url: str = "https://graph.microsoft.com/v1.0"
    login_url: str = "https://login.microsoftonline.com"
    incremental: bool = True
    page_size: int = Field(100, ge=1, le=1000)


class Calendar(_Strict):
    focus_min_minutes: int = Field(120, ge=15, le=480)
    short_focus_min_minutes: int = Field(60, ge=5, le=480, description="free blocks this long up to focus are short focus")
    history_days: int = Field(730, ge=7, le=3660, description="how far back a sync reads calendars")
    keep_titles: bool = Field(False, description="store event titles (otherwise only a salted hash)")
    title_salt: str = Field(DEFAULT_TITLE_SALT, min_length=1, description="PRODOPS_TITLE_SALT beats it")
    owners: dict[str, str] = Field(default_factory=dict, description="calendar owner email -> person_id")
    rules: list[CalendarRule] = Field(default_factory=list, description="tried first, in order")
    default_rules: bool = Field(True, description="try the built-in product rules after `rules`")
    ics: list[IcsCalendar] = Field(default_factory=list)
    google: GoogleCalendarSource | None = None
    graph: GraphCalendarSource | None = None
    timeout_seconds: float = Field(30, gt=0, le=600)
    max_retries: int = Field(3, ge=0, le=10, description="retries of a 429, 5xx or lost connection, with backoff")
    max_ics_megabytes: float = Field(20, gt=0, le=2048, description="a larger ICS file or feed is quarantined unread "
                                     "(reading a 20 MB calendar peaks under 1 GB: benchmarks/hostile_files.py)")
    max_occurrences: int = Field(
        200_000, ge=1_000, le=10_000_000, description="a calendar expanding to more occurrences in the window is quarantined"
    )
    max_series_occurrences: int = Field(
        5_000, ge=100, le=1_000_000, description="a calendar with a series this frequent in the window is quarantined"
    )

    @field_validator("owners")
    @classmethod
    def _lower_emails(cls, value: dict[str, str]) -> dict[str, str]:
        return {email.strip().lower(): person for email, person in value.items()}

    @model_validator(mode="after")
    def _short_below_focus(self) -> Calendar:
        if "short_focus_min_minutes" in self.model_fields_set and self.short_focus_min_minutes > self.focus_min_minutes:
            raise ValueError("short_focus_min_minutes must not exceed focus_min_minutes")
        return self

    @property
    def short_focus_minutes(self) -> int:
        """The short-focus floor; the default 60 gives way when focus_min_minutes is set lower."""
        return min(self.short_focus_min_minutes, self.focus_min_minutes)
