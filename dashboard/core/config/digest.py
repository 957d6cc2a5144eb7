"""Settings of the digests: who receives which view how often, the mail server, and where links point.

The SMTP password never goes in this file: `password_env` names the environment variable (or the
top-level key of `.streamlit/secrets.toml`) that holds it, as `[jira].token_env` does the token.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from dashboard.core.config.base import _ENV_NAME, _Strict

DigestRole = Literal["vp", "lead", "ops"]
Cadence = Literal["weekly", "monthly"]


class Subscription(_Strict):
    """`[[digest.subscriptions]]`: one recipient's digest.

    A VP and product ops read the whole organisation; a lead reads one group or one team (and the
    organisation beside it), so a lead names exactly one of `group` and `team`, and the others none.
    """

    email: str
    role: DigestRole
    cadence: Cadence = "weekly"
    group: str | None = None
    team: str | None = None

    @field_validator("email")
    @classmethod
    def _address(cls, value: str) -> str:
        if value.count("@") != 1 or value.strip() != value or "." not in value.split("@")[1]:
            raise ValueError(f"not an email address: {value!r}")
        return value.lower()

    @model_validator(mode="after")
    def _scope_fits_role(self) -> Subscription:
        named = [kind for kind in ("group", "team") if getattr(self, kind)]
        if self.role == "lead" and len(named) != 1:
            raise ValueError("a lead's digest names exactly one of group or team")
        if self.role != "lead" and named:
            raise ValueError(f"a {self.role} digest covers the whole organisation: leave out {named[0]}")
        return self

    @property
    def scope(self) -> Literal["org", "group", "team"]:
        return "team" if self.team else "group" if self.group else "org"

    @property
    def scope_id(self) -> str:
        return self.team or self.group or "org"

    @property
    def id(self) -> str:
        """What names this subscription in the sent-log: the same declaration is the same subscription."""
        return f"{self.email}|{self.role}|{self.scope}:{self.scope_id}|{self.cadence}"


class Smtp(_Strict):
    """`[digest.smtp]`: the mail server. `security` is "starttls" (port 587) or "ssl" (port 465)."""

    host: str = Field(min_length=1)
    port: int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "ssl"] = "starttls"
    username: str | None = None
    password_env: str = Field("SMTP_PASSWORD", pattern=_ENV_NAME)
    sender: str = Field(min_length=3, description="the From address, e.g. 'Product Ops Health <prodops@example.com>'")
    timeout_seconds: float = Field(30, gt=0, le=600)
    max_retries: int = Field(3, ge=0, le=10)


class Digest(_Strict):
    """`[digest]`: the subscriptions, the mail server, and the dashboard's address for links."""

    base_url: str = Field("http://localhost:8501", description="the dashboard's address, for links that reopen a view")
    smtp: Smtp | None = None
    subscriptions: list[Subscription] = Field(default_factory=list)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must start with https:// (the address people open the dashboard at)")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _each_once(self) -> Digest:
        ids = [subscription.id for subscription in self.subscriptions]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"subscription declared twice: {repeated[0]}")
        return self
