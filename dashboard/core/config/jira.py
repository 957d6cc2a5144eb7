"""Settings of the Jira source: the site, the scope of work read, what counts as a data request,
and which work items build systems and which coordinate."""
from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from dashboard.core.config.base import _ENV_NAME, _Strict
from dashboard.core.keywords import valid_regex


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


class WorkClassRule(_Strict):
    """One `[[jira.work_classes]]` entry: every matcher given must hold; the first matching rule wins.

    The summary is read at sync time and never stored, so a rule on it applies to what is synced
    from then on; labels, components and the issue type can be checked against the stored items.
    """

    model_config = ConfigDict(populate_by_name=True)

    name: str = Field(min_length=1)
    work_class: Literal["systems", "coordination"] = Field(alias="class")
    labels: list[str] = Field(default_factory=list, description="an item carrying any of these labels (any case)")
    components: list[str] = Field(default_factory=list, description="an item in any of these components (any case)")
    issue_types: list[str] = Field(default_factory=list, description="issue type names (any case)")
    summary: list[str] = Field(default_factory=list, description="keywords; one must start a word of the summary")
    summary_regex: str | None = Field(None, description="a regular expression searched in the summary, ignoring case")

    @field_validator("summary_regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        return valid_regex(value)

    @model_validator(mode="after")
    def _matches_something(self) -> WorkClassRule:
        if not (self.labels or self.components or self.issue_types or self.summary or self.summary_regex):
            raise ValueError("name at least one of labels, components, issue_types, summary or summary_regex")
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
    work_classes: list[WorkClassRule] = Field(
        default_factory=list, description="systems or coordination work: tried first, in order"
    )
    default_work_classes: bool = Field(True, description="try the built-in work-class rules after `work_classes`")
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
