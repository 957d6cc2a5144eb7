"""Settings for one organisation, read from `prodops.toml` and validated before anything runs.

The demo needs no file: every field has a default. A wrong or unknown field is one
`ConfigError` that names the file and the field, so a typo never silently falls back to a
default.
"""
from __future__ import annotations

import os
from datetime import date, time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dashboard.core.file_limits import SHOWN_ITEMS, FileRefused, excerpt, read_toml
from dashboard.core.privacy import MIN_ALLOWED

CONFIG_ENV = "PRODOPS_CONFIG"
DB_ENV = "PRODOPS_DB"
DEFAULT_CONFIG_FILE = "prodops.toml"
DEFAULT_DB = "data/prodops.duckdb"


class ConfigError(ValueError):
    """The configuration file is missing, unreadable or has a wrong field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_boolean_numbers(cls, value, info):
        """`limit = true` is a slip, not 1: pydantic would read a TOML boolean as a number."""
        annotation = cls.model_fields[info.field_name].annotation
        if isinstance(value, bool) and annotation in (int, float, int | None, float | None):
            raise ValueError(f"expected a number, got {str(value).lower()}")
        return value


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


DEFAULT_TITLE_SALT = "prodops-health/calendar-title/v1"  # public: set PRODOPS_TITLE_SALT for a private one
_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


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
        import re

        if value is not None:
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(f"not a valid regular expression: {error}") from None
        return value


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
        return self.title or self.id.replace("_", " ").capitalize()


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


class DataRequestSelector(_Strict):
    """Which Jira issues are ad-hoc data/insight requests (S2). Every criterion given must hold."""

    projects: list[str] = Field(default_factory=list, description="project keys, e.g. ['DATA']")
    issue_types: list[str] = Field(default_factory=list, description="issue type names, e.g. ['Data Request']")
    labels: list[str] = Field(default_factory=list, description="an issue carrying any of these labels")

    @model_validator(mode="after")
    def _something_selected(self) -> DataRequestSelector:
        if not (self.projects or self.issue_types or self.labels):
            raise ValueError("name at least one of projects, issue_types or labels")
        return self


class JiraSource(_Strict):
    """`[jira]`: where the work items, releases, data requests and check-in tickets come from.

    The token itself never goes in this file: `token_env` names the environment variable (or
    the top-level key of `.streamlit/secrets.toml`) that holds it. Cloud signs in with `email`
    and an API token, Data Center with a personal access token and no `email`; the server's
    own `serverInfo` decides which API is spoken, `mode` only double-checks it.
    """

    url: str
    mode: Literal["auto", "cloud", "datacenter"] = "auto"
    email: str | None = None
    token_env: str = Field("JIRA_API_TOKEN", pattern=_ENV_NAME)
    projects: list[str] = Field(default_factory=list)
    jql: str | None = Field(None, description="extra JQL, ANDed with `projects` (alone when no projects)")
    data_request: DataRequestSelector | None = None
    checkin_issue_type: str | None = None
    project_teams: dict[str, str] = Field(default_factory=dict, description="project key -> team_id of its releases")
    people: dict[str, str] = Field(
        default_factory=dict, description="Jira accountId, username, user key or email -> person_id"
    )
    page_size: int = Field(100, ge=1, le=1000)
    overlap_minutes: int = Field(10, ge=0, le=24 * 60)
    max_retries: int = Field(4, ge=0, le=10)
    timeout_seconds: float = Field(60, gt=0, le=600)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must start with https:// (the site address, e.g. https://example.atlassian.net)")
        return value.rstrip("/")

    @field_validator("jql")
    @classmethod
    def _no_order_by(cls, value: str | None) -> str | None:
        if value is not None and "order by" in " ".join(value.lower().split()):
            raise ValueError("leave out ORDER BY: the connector orders the search itself")
        return value

    @model_validator(mode="after")
    def _has_scope(self) -> JiraSource:
        if not (self.projects or self.jql or (self.data_request and self.data_request.projects)):
            raise ValueError("name the projects to pull (projects = [\"KEY\", ...]) or a jql filter")
        if self.mode == "cloud" and not self.email:
            raise ValueError("Jira Cloud signs in with email and API token: set email")
        return self


SCALE_RANGES: dict[str, tuple[float, float]] = {
    "likert5": (1, 5), "likert7": (1, 7), "nps": (0, 10), "0-10": (0, 10), "percent": (0, 100),
}
ROLES = ("pm", "ops", "eng", "design", "leader", "other")
TEAM_ROLES = ("pm", "eng", "design")  # roles that belong to a product team; others answer for the organisation
# Answer labels most tools write for the usual Likert items; a question names one with `values`.
CODEBOOKS: dict[str, dict[str, float]] = {
    "agree5": {"strongly disagree": 1, "disagree": 2, "neither agree nor disagree": 3, "agree": 4, "strongly agree": 5},
    "agree7": {
        "strongly disagree": 1, "disagree": 2, "somewhat disagree": 3, "neither agree nor disagree": 4,
        "somewhat agree": 5, "agree": 6, "strongly agree": 7,
    },
    "satisfied5": {"very dissatisfied": 1, "dissatisfied": 2, "neutral": 3, "satisfied": 4, "very satisfied": 5},
}
_IDENTIFIER = r"^[a-z][a-z0-9_]*$"


class SurveyQuestion(_Strict):
    """One `[surveys.<name>.questions."<column>"]` entry: the construct a column measures and its scale.

    The key names the column as the export does: a Qualtrics ImportId (`QID7_1`) or column
    code (`Q7_1`), a Typeform field ref, a SurveyMonkey `question | row label`, or the question
    text. An answer is a number on the scale unless `values` says how to read it: a table from
    the raw answer (a label, or a Qualtrics recode value, which may skip numbers) to the point on
    the scale, or the name of a built-in codebook (agree5, agree7, satisfied5).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    id: str | None = Field(None, pattern=r"^[A-Za-z0-9_.-]+$", description="question_id stored; default: the key")
    # Named `construct` in the file; `construct` is taken by pydantic's BaseModel in Python.
    construct_id: str = Field(alias="construct", pattern=_IDENTIFIER)
    scale: Literal["likert5", "likert7", "nps", "0-10", "percent"]
    reversed: bool = Field(False, description="agreeing means worse; scored as 100 minus the score")
    required: bool = Field(True, description="a file without this column is refused")
    values: dict[str, float] | Literal["agree5", "agree7", "satisfied5"] | None = None
    missing: list[str] = Field(default_factory=list, description="answers that mean no answer, e.g. 'N/A'")
    text: str | None = Field(None, description="the wording shown on the Survey page; default: the export's")

    @model_validator(mode="after")
    def _consistent(self) -> SurveyQuestion:
        low, high = SCALE_RANGES[self.scale]
        table = CODEBOOKS[self.values] if isinstance(self.values, str) else self.values or {}
        outside = [raw for raw, point in table.items() if not low <= point <= high]
        if outside:
            raise ValueError(f"values {outside} map outside the {self.scale} scale ({low:g}-{high:g})")
        if self.construct_id == "enps" and (self.scale not in ("nps", "0-10") or self.reversed):
            raise ValueError("eNPS is defined on a 0-10 scale only, not reversed (scale = \"nps\")")
        return self

    def codebook(self) -> dict[str, float] | None:
        """Raw answer (case and spacing ignored) to point on the scale; None when answers are numbers."""
        if self.values is None:
            return None
        table = CODEBOOKS[self.values] if isinstance(self.values, str) else self.values
        return {" ".join(raw.lower().split()): point for raw, point in table.items()}


class SurveyMapping(_Strict):
    """`[surveys.<name>]`: how one recurring survey's exports map to constructs, roles and teams.

    Each loaded export is one wave of the survey. The respondent's role is fixed (`role`) or read
    from a column (`role_question` with `role_values`); the team from `team_question`, matched to
    a team id or name, or through `team_aliases`. Every question column of the export must be
    mapped in `questions` or listed in `ignore`; anything else is reported, never guessed.
    """

    tool: Literal["google_forms", "qualtrics", "surveymonkey", "ms_forms", "typeform"] | None = Field(
        None, description="refuse exports of any other tool (the tool is recognised from the headers)"
    )
    timezone: str | None = Field(None, description="the zone the tool wrote local times in; default org_timezone")
    date_order: Literal["dmy", "mdy", "ymd"] | None = Field(
        None, description="how slashed dates read (Google Forms, SurveyMonkey, Microsoft Forms follow the locale)"
    )
    audience: list[Literal["pm", "ops", "eng", "design", "leader", "other"]] = Field(
        default_factory=lambda: ["pm", "ops"], min_length=1, description="roles invited; the response rate's base"
    )
    role: Literal["pm", "ops", "eng", "design", "leader", "other"] | None = None
    role_question: str | None = None
    role_values: dict[str, Literal["pm", "ops", "eng", "design", "leader", "other"]] = Field(default_factory=dict)
    team_question: str | None = None
    team_aliases: dict[str, str] = Field(default_factory=dict, description="answer -> team_id")
    ignore: list[str] = Field(default_factory=list, description="columns that are not scored (comments, checkboxes)")
    questions: dict[str, SurveyQuestion] = Field(min_length=1)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _role_source(self) -> SurveyMapping:
        if (self.role is None) == (self.role_question is None):
            raise ValueError("give exactly one of role (everyone answers as one role) or role_question")
        if self.role_question and not self.role_values:
            raise ValueError("role_question needs role_values (answer -> pm, ops, ...)")
        ids = [question.id or key for key, question in self.questions.items()]
        doubled = sorted({i for i in ids if ids.count(i) > 1})
        if doubled:
            raise ValueError(f"question ids used twice: {doubled}")
        return self


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

