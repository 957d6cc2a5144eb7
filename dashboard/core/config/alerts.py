"""`[[alerts]]`: rules evaluated after every sync, each occurrence sent once to the rule's destinations.

A rule names what to watch (`kind`), where it goes (`to`: email addresses, or "slack:<name>" and
"teams:<name>" for a `[digest.webhooks]` entry, whose URL stays out of this file) and how long the
same thing stays quiet after it was sent (`quiet_days`). Which webhooks and targets exist is known
only beside the other sections, so `check` runs from `Settings`.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from dashboard.core.config.base import _Strict
from dashboard.core.config.digest import Digest

CHANNELS = ("slack", "teams")
RULE_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


def _destination(value: str) -> str:
    """An email address (lower case), or "slack:<name>" / "teams:<name>" for a webhook."""
    channel, colon, name = value.partition(":")
    if colon and channel in CHANNELS:
        if not name or name.strip() != name:
            raise ValueError(f"{value!r}: name the webhook after {channel}: (a [digest.webhooks] entry)")
        return value
    if value.count("@") != 1 or value.strip() != value or "." not in value.split("@")[1]:
        raise ValueError(f"not an email address nor slack:<webhook> / teams:<webhook>: {value!r}")
    return value.lower()


class _Rule(_Strict):
    id: str = Field(pattern=RULE_ID, description="names the rule in the alert state: renaming it sends its alerts again")
    to: list[str] = Field(min_length=1, description="email addresses, slack:<webhook> or teams:<webhook>")
    quiet_days: float = Field(0, ge=0, le=365, description="after an alert, no other of the same thing to the same place for this long")

    @field_validator("to")
    @classmethod
    def _destinations(cls, value: list[str]) -> list[str]:
        found = [_destination(item) for item in value]
        if len(set(found)) != len(found):
            raise ValueError("a destination is listed twice")
        return found

    def webhooks(self) -> list[tuple[str, str]]:
        """(channel, webhook name) of each chat destination."""
        return [tuple(item.split(":", 1)) for item in self.to if "@" not in item]  # type: ignore[misc]

    def emails(self) -> list[str]:
        return [item for item in self.to if "@" in item]


class MetricAlert(_Rule):
    """A metric's published value of the last whole period falls short of its target (`crosses = "target"`)
    or beyond the target's tolerance (`"band"`). With `scope` group or team and no `scope_id`, every group
    or team is watched, each on its own."""

    kind: Literal["metric"]
    metric: str
    scope: Literal["org", "group", "team"] = "org"
    scope_id: str | None = None
    grain: Literal["week", "month", "quarter"] = "month"
    crosses: Literal["target", "band"] = "band"

    @model_validator(mode="after")
    def _scope_named_fits(self) -> MetricAlert:
        if self.scope == "org" and self.scope_id not in (None, "org"):
            raise ValueError("an org-wide rule names no scope_id")
        return self


class MissedCheckinsAlert(_Rule):
    """A team missed `n` check-ins of one kind in a row (of `checkin` only, when named)."""

    kind: Literal["missed_checkins"]
    n: int = Field(ge=1)
    checkin: str | None = Field(None, description="a check-in kind id; all kinds when left out")


class ReleaseReplannedAlert(_Rule):
    """A release's planned date changed `k` times (open, or shipped in the last weeks)."""

    kind: Literal["release_replanned"]
    k: int = Field(ge=1)


class ReleaseSlipAlert(_Rule):
    """A release is more than `days` past its first planned date (still open, or shipped so)."""

    kind: Literal["release_slip"]
    days: int = Field(ge=0)


class RequestAgeAlert(_Rule):
    """A data or insight request still open more than `days` after it was created."""

    kind: Literal["request_age"]
    days: int = Field(ge=1)


class SyncFailingAlert(_Rule):
    """A source's syncs have failed for more than `hours` (since its first failure after the last success)."""

    kind: Literal["sync_failing"]
    hours: float = Field(gt=0)
    source: str | None = Field(None, description="one source (jira, calendar, ...); every source when left out")


def _kind(value: object) -> object:
    """The rule's `kind`: a callable discriminator, as `_Strict`'s before-validator rules out a field one."""
    return value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)


Alert = Annotated[
    Annotated[MetricAlert, Tag("metric")] | Annotated[MissedCheckinsAlert, Tag("missed_checkins")]
    | Annotated[ReleaseReplannedAlert, Tag("release_replanned")] | Annotated[ReleaseSlipAlert, Tag("release_slip")]
    | Annotated[RequestAgeAlert, Tag("request_age")] | Annotated[SyncFailingAlert, Tag("sync_failing")],
    Discriminator(_kind, custom_error_type="alert_kind", custom_error_message=(
        "kind must be one of metric, missed_checkins, release_replanned, release_slip, request_age, sync_failing")),
]


def check(alerts: list, digest: Digest, targets: dict) -> None:
    """What a rule refers to elsewhere exists: unique ids, its webhooks, a mail server, its metric's target."""
    ids = [rule.id for rule in alerts]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise ValueError(f"alert id declared twice: {repeated[0]}")
    for rule in alerts:
        for channel, name in rule.webhooks():
            webhook = digest.webhooks.get(name)
            if webhook is None:
                raise ValueError(f"alert {rule.id}: no [digest.webhooks.{name}]")
            if webhook.kind != channel:
                raise ValueError(f"alert {rule.id}: webhook {name!r} is a {webhook.kind} one")
        if rule.emails() and digest.smtp is None:
            raise ValueError(f"alert {rule.id}: email needs a mail server ([digest.smtp])")
        if rule.kind == "metric" and rule.metric not in targets:
            raise ValueError(f"alert {rule.id}: metric {rule.metric!r} has no target ([targets.{rule.metric}])")
