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
Channel = Literal["email", "slack", "teams"]


class Subscription(_Strict):
    """`[[digest.subscriptions]]`: one recipient's digest.

    A VP and product ops read the whole organisation; a lead reads one group or one team (and the
    organisation beside it), so a lead names exactly one of `group` and `team`, and the others none.
    """

    email: str | None = None
    role: DigestRole
    cadence: Cadence = "weekly"
    group: str | None = None
    team: str | None = None
    channel: Channel = "email"
    webhook: str | None = Field(None, description="for slack and teams: the name of a [digest.webhooks] entry")

    @field_validator("email")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is None:
            return None
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

    @model_validator(mode="after")
    def _destination_fits_channel(self) -> Subscription:
        if self.channel == "email" and (not self.email or self.webhook):
            raise ValueError("an email digest names an email address and no webhook")
        if self.channel != "email" and (not self.webhook or self.email):
            raise ValueError(f"a {self.channel} digest names a webhook (a [digest.webhooks] entry) and no email")
        return self

    @property
    def destination(self) -> str:
        """Where it goes, as a person reads it: the address, or the channel and webhook's name."""
        return self.email if self.channel == "email" else f"{self.channel}:{self.webhook}"

    @property
    def scope(self) -> Literal["org", "group", "team"]:
        return "team" if self.team else "group" if self.group else "org"

    @property
    def scope_id(self) -> str:
        return self.team or self.group or "org"

    @property
    def id(self) -> str:
        """What names this subscription in the sent-log: the same declaration is the same subscription."""
        return f"{self.destination}|{self.role}|{self.scope}:{self.scope_id}|{self.cadence}"


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


class Webhook(_Strict):
    """`[digest.webhooks.<name>]`: a Slack or Microsoft Teams incoming webhook.

    Its URL is a credential (whoever holds it can post to the channel), so it never goes in this
    file: `url_env` names the environment variable, or the top-level key of
    `.streamlit/secrets.toml`, that holds it. Subscriptions and the store name the webhook only.
    """

    kind: Literal["slack", "teams"]
    url_env: str = Field(pattern=_ENV_NAME)
    timeout_seconds: float = Field(10, gt=0, le=120)
    max_retries: int = Field(3, ge=0, le=10)


class Digest(_Strict):
    """`[digest]`: the subscriptions, the mail server, the webhooks and the dashboard's address for links."""

    base_url: str = Field("http://localhost:8501", description="the dashboard's address, for links that reopen a view")
    smtp: Smtp | None = None
    webhooks: dict[str, Webhook] = Field(default_factory=dict)
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
        for subscription in self.subscriptions:
            if subscription.webhook is None:
                continue
            webhook = self.webhooks.get(subscription.webhook)
            if webhook is None:
                raise ValueError(f"subscription {subscription.id}: no [digest.webhooks.{subscription.webhook}]")
            if webhook.kind != subscription.channel:
                raise ValueError(f"subscription {subscription.id}: webhook {subscription.webhook!r} is a {webhook.kind} one")
        return self
